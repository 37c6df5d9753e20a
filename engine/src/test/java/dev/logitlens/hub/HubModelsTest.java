package dev.logitlens.hub;

import dev.logitlens.hub.HubException.Reason;
import dev.logitlens.testing.HubTestServer;
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Downloads from a loopback stand-in for the hub into an empty cache, and what goes wrong on the way. */
class HubModelsTest {

    private static final String REPO = "openai-community/gpt2";

    @TempDir
    Path dir;

    private HubTestServer server;
    private Path source;
    private Path cache;
    private String commit;
    private String weightsSha;

    @BeforeEach
    void serveTinyGpt2() throws IOException {
        source = new SafetensorsWriter(TinyGpt2.generate(TinyGpt2.config(53, 12, 32, 4, 2), 7, 4, false))
                .writeFolder(dir.resolve("source"));
        server = HubTestServer.start();
        commit = server.addRepo(REPO, source);
        weightsSha = HubTestServer.sha256(Files.readAllBytes(source.resolve("model.safetensors")));
        cache = dir.resolve("hf-home/hub");
    }

    @AfterEach
    void stopServer() throws IOException {
        server.close();
    }

    private Map<String, String> env(String... extra) {
        Map<String, String> env = new HashMap<>(Map.of("HF_HOME", dir.resolve("hf-home").toString(), "HF_ENDPOINT", server.endpoint()));
        for (int i = 0; i < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return env;
    }

    private HubOptions options(String... extra) {
        return HubOptions.fromEnvironment(env(extra)).withRetries(0, Duration.ZERO);
    }

    private Path repoFolder() {
        return cache.resolve("models--openai-community--gpt2");
    }

    private long weightsSize() throws IOException {
        return Files.size(source.resolve("model.safetensors"));
    }

    @Test
    void freshDownloadWritesTheHuggingFaceHubLayout() throws IOException {
        List<long[]> updates = new ArrayList<>();
        Path snapshot = HubModels.resolve("gpt2", env(), (file, done, total) -> {
            if (file.equals("model.safetensors")) {
                updates.add(new long[] {done, total});
            }
        });

        Path folder = repoFolder();
        assertEquals(folder.resolve("snapshots").resolve(commit), snapshot);
        assertEquals(commit, Files.readString(folder.resolve("refs/main")), "refs/main holds the bare commit");
        String configEtag = HubTestServer.gitBlobHash(Files.readAllBytes(source.resolve("config.json")));
        assertEquals(Path.of("../../blobs/" + configEtag), Files.readSymbolicLink(snapshot.resolve("config.json")));
        assertEquals(Path.of("../../blobs/" + weightsSha), Files.readSymbolicLink(snapshot.resolve("model.safetensors")));
        try (Stream<Path> blobs = Files.list(folder.resolve("blobs"))) {
            assertEquals(Set.of(configEtag, weightsSha), blobs.map(p -> p.getFileName().toString()).collect(Collectors.toSet()),
                    "the blobs, by etag, and no .incomplete left");
        }
        for (String file : List.of("config.json", "model.safetensors")) {
            assertArrayEquals(Files.readAllBytes(source.resolve(file)), Files.readAllBytes(snapshot.resolve(file)), file);
        }
        assertFalse(updates.isEmpty());
        assertArrayEquals(new long[] {weightsSize(), weightsSize()}, updates.getLast(), "the last update says done");

        for (HubTestServer.Request request : server.requests()) {
            assertTrue(request.header("User-Agent").startsWith("logitlens/"), request.toString());
            assertEquals(null, request.header("Authorization"), "no HF_TOKEN, no Authorization");
        }
        assertEquals(2, server.requests("HEAD").size(), server.requests().toString());
        assertEquals(2, server.requests("GET").size(), server.requests().toString());
    }

    @Test
    void aSecondResolveUsesTheCacheWithoutAnyRequest() throws IOException {
        Path first = HubModels.resolve("gpt2", env(), DownloadProgress.NONE);
        assertFalse(server.requests().isEmpty());
        server.clearRequests();

        assertEquals(first, HubModels.resolve("gpt2", env(), DownloadProgress.NONE));
        assertEquals(first, HubModels.resolve(REPO, env(), DownloadProgress.NONE));
        assertEquals(first, HubModels.lookup("gpt2", options()).orElseThrow());
        assertEquals(List.of(), server.requests());
    }

    @Test
    void offlineModeUsesTheCacheAndOtherwiseFailsWithoutTouchingTheNetwork() throws IOException {
        HubException notCached = assertThrows(HubException.class,
                () -> HubModels.resolve("gpt2", env("HF_HUB_OFFLINE", "1"), DownloadProgress.NONE));
        assertEquals(Reason.OFFLINE, notCached.reason());
        assertTrue(notCached.getMessage().contains("not in the cache at " + repoFolder()), notCached.getMessage());
        assertTrue(notCached.getMessage().contains("offline mode is on"), notCached.getMessage());
        assertTrue(notCached.getMessage().contains("--model PATH"), notCached.getMessage());
        assertEquals(List.of(), server.requests());

        Path snapshot = HubModels.resolve("gpt2", env(), DownloadProgress.NONE);
        server.clearRequests();
        assertEquals(snapshot, HubModels.resolve("gpt2", env("HF_HUB_OFFLINE", "true"), DownloadProgress.NONE));
        assertEquals(List.of(), server.requests());
    }

    /** No size announced (no Content-Length): the git ETag checks the body, so the whole file is cached as before. */
    @Test
    void anUnsizedRegularFileIsCheckedByItsGitHash() throws IOException {
        server.serveRegularFilesUnsized(0L);
        Path snapshot = HubModels.resolve("gpt2", options(), DownloadProgress.NONE);
        assertEquals(Files.readString(source.resolve("config.json")), Files.readString(snapshot.resolve("config.json")));
    }

    /** No size announced and a body cut short or padded: refused and deleted, never cached as complete. */
    @Test
    void anUnsizedBodyThatIsCutOrPaddedIsNeverCached() throws IOException {
        for (long extra : new long[] {-5, 7}) {
            server.serveRegularFilesUnsized(extra);
            HubException bad = assertThrows(HubException.class, () -> HubModels.resolve("gpt2", options(), DownloadProgress.NONE));
            assertEquals(HubException.Reason.CORRUPT, bad.reason());
            assertTrue(bad.getMessage().contains("config.json") && bad.getMessage().contains("its git hash is"), bad.getMessage());
            assertFalse(Files.exists(repoFolder().resolve("snapshots")) && hasConfig(), "no config.json in a snapshot");
        }
        server.serveRegularFilesUnsized(0L);
        assertTrue(Files.exists(HubModels.resolve("gpt2", options(), DownloadProgress.NONE).resolve("config.json")),
                "a later good download succeeds");
    }

    /** An endless unsized body stops at the documented cap instead of filling the disk. */
    @Test
    void anEndlessUnsizedBodyStopsAtTheCap() throws IOException {
        server.serveRegularFilesUnsized(BlobDownloader.MAX_UNANNOUNCED_BYTES + (1 << 20));
        HubException endless = assertThrows(HubException.class, () -> HubModels.resolve("gpt2", options(), DownloadProgress.NONE));
        assertEquals(HubException.Reason.CORRUPT, endless.reason());
        assertTrue(endless.getMessage().contains("does not announce"), endless.getMessage());
        try (Stream<Path> blobs = Files.list(repoFolder().resolve("blobs"))) {
            assertEquals(List.of(), blobs.filter(p -> p.getFileName().toString().endsWith(".incomplete")).toList(),
                    "the oversized partial file is deleted");
        }
    }

    private boolean hasConfig() throws IOException {
        try (Stream<Path> snapshots = Files.list(repoFolder().resolve("snapshots"))) {
            return snapshots.anyMatch(s -> Files.exists(s.resolve("config.json")));
        }
    }

    @Test
    void aDroppedConnectionLeavesIncompleteAndTheNextCallResumesWithRange() throws IOException {
        server.dropNextDownloadAfter(10_000);
        HubException dropped = assertThrows(HubException.class, () -> HubModels.resolve("gpt2", options(), DownloadProgress.NONE));
        assertEquals(Reason.TRANSFER, dropped.reason(), dropped.getMessage());
        assertTrue(dropped.getMessage().contains("run again to resume"), dropped.getMessage());
        Path incomplete = repoFolder().resolve("blobs/" + weightsSha + ".incomplete");
        long kept = Files.size(incomplete);
        assertTrue(kept > 0 && kept <= 10_000, "kept " + kept);
        assertFalse(Files.exists(repoFolder().resolve("blobs/" + weightsSha)));
        assertFalse(Files.exists(repoFolder().resolve("refs/main")), "no ref to a snapshot that is not whole");

        server.clearRequests();
        Path snapshot = HubModels.resolve("gpt2", options(), DownloadProgress.NONE);
        List<HubTestServer.Request> gets = server.requests("GET");
        assertEquals(1, gets.size(), "config.json was complete; only the weights are fetched: " + gets);
        assertEquals("bytes=" + kept + "-", gets.getFirst().header("Range"));
        assertEquals(weightsSha, BlobDownloader.sha256(snapshot.resolve("model.safetensors")));
        assertFalse(Files.exists(incomplete));
    }

    @Test
    void aDroppedConnectionIsResumedWithinOneCall() throws IOException {
        server.dropNextDownloadAfter(5_000);
        server.dropNextDownloadAfter(3_000);
        Path snapshot = HubModels.resolve("gpt2", options().withRetries(2, Duration.ofMillis(10)), DownloadProgress.NONE);
        List<String> ranges = server.requests("GET").stream().filter(r -> r.path().startsWith("/cdn/"))
                .map(r -> String.valueOf(r.header("Range"))).toList();
        assertEquals(3, ranges.size(), ranges.toString());
        assertEquals("null", ranges.get(0));
        assertTrue(ranges.get(1).startsWith("bytes=") && !ranges.get(1).equals("bytes=0-"), ranges.toString());
        assertArrayEquals(Files.readAllBytes(source.resolve("model.safetensors")), Files.readAllBytes(snapshot.resolve("model.safetensors")));
    }

    @Test
    void aTransferThatGivesUpAfterItsRetriesKeepsThePartialFile() throws IOException {
        for (int i = 0; i < 3; i++) {
            server.dropNextDownloadAfter(1_000);
        }
        HubException e = assertThrows(HubException.class,
                () -> HubModels.resolve("gpt2", options().withRetries(2, Duration.ofMillis(1)), DownloadProgress.NONE));
        assertEquals(Reason.TRANSFER, e.reason());
        assertTrue(e.getMessage().contains("3 tries"), e.getMessage());
        assertTrue(Files.size(repoFolder().resolve("blobs/" + weightsSha + ".incomplete")) > 0);
    }

    @Test
    void aServerThatIgnoresRangeStillGivesTheRightFile() throws IOException {
        server.dropNextDownloadAfter(10_000);
        assertThrows(HubException.class, () -> HubModels.resolve("gpt2", options(), DownloadProgress.NONE));
        server.ignoreRange(true);
        server.clearRequests();

        Path snapshot = HubModels.resolve("gpt2", options(), DownloadProgress.NONE);
        assertNotNull(server.requests("GET").getFirst().header("Range"), "a resume was asked for and refused");
        assertArrayEquals(Files.readAllBytes(source.resolve("model.safetensors")), Files.readAllBytes(snapshot.resolve("model.safetensors")));
    }

    @Test
    void aCorruptDownloadFailsClearlyAndLeavesNoBlob() throws IOException {
        server.corruptBodies(true);
        HubException e = assertThrows(HubException.class, () -> HubModels.resolve("gpt2", options(), DownloadProgress.NONE));
        assertEquals(Reason.CORRUPT, e.reason());
        assertTrue(e.getMessage().contains("corrupt") && e.getMessage().contains("sha256") && e.getMessage().contains(weightsSha),
                e.getMessage());
        assertFalse(Files.exists(repoFolder().resolve("blobs/" + weightsSha)));
        assertFalse(Files.exists(repoFolder().resolve("blobs/" + weightsSha + ".incomplete")));
        assertFalse(Files.exists(repoFolder().resolve("snapshots/" + commit + "/model.safetensors")));
        assertTrue(HubModels.lookup("gpt2", options()).isEmpty());

        server.corruptBodies(false);
        Path snapshot = HubModels.resolve("gpt2", options(), DownloadProgress.NONE);
        assertEquals(weightsSha, BlobDownloader.sha256(snapshot.resolve("model.safetensors")));
    }

    @Test
    void aStalledTransferTimesOutAndKeepsWhatArrived() throws IOException {
        server.stallNextDownloadAfter(4_000, Duration.ofSeconds(20));
        HubOptions impatient = options().withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(400));
        long start = System.nanoTime();
        HubException e = assertThrows(HubException.class, () -> HubModels.resolve("gpt2", impatient, DownloadProgress.NONE));
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "gave up long before the stall ended");
        assertEquals(Reason.TRANSFER, e.reason());
        assertTrue(e.getMessage().contains("no data for"), e.getMessage());
        long kept = Files.size(repoFolder().resolve("blobs/" + weightsSha + ".incomplete"));
        assertTrue(kept > 0 && kept <= 4_000, "kept " + kept);

        Path snapshot = HubModels.resolve("gpt2", impatient, DownloadProgress.NONE);
        assertEquals(weightsSha, BlobDownloader.sha256(snapshot.resolve("model.safetensors")));
    }

    @Test
    void missingReposAndFilesAndAccessGiveClearMessages() throws IOException {
        HubException noRepo = assertThrows(HubException.class, () -> HubModels.resolve("nobody/nothing", options(), DownloadProgress.NONE));
        assertEquals(Reason.NOT_FOUND, noRepo.reason());
        assertTrue(noRepo.getMessage().contains("no such repo") && noRepo.getMessage().contains("nobody/nothing")
                && noRepo.getMessage().contains("404"), noRepo.getMessage());

        HubException noRevision = assertThrows(HubException.class, () -> HubModels.resolve("gpt2@v9", options(), DownloadProgress.NONE));
        assertEquals(Reason.NOT_FOUND, noRevision.reason());
        assertTrue(noRevision.getMessage().contains("no revision 'v9'"), noRevision.getMessage());

        server.requireToken("hf_right");
        HubException noToken = assertThrows(HubException.class, () -> HubModels.resolve("gpt2", options(), DownloadProgress.NONE));
        assertEquals(Reason.ACCESS_DENIED, noToken.reason());
        assertTrue(noToken.getMessage().contains("401") && noToken.getMessage().contains("private or gated")
                && noToken.getMessage().contains("set HF_TOKEN"), noToken.getMessage());

        HubException wrongToken = assertThrows(HubException.class,
                () -> HubModels.resolve("gpt2", options("HF_TOKEN", "hf_wrong"), DownloadProgress.NONE));
        assertEquals(Reason.ACCESS_DENIED, wrongToken.reason());
        assertTrue(wrongToken.getMessage().contains("rejected the token in HF_TOKEN"), wrongToken.getMessage());
        assertFalse(wrongToken.getMessage().contains("hf_wrong"), "the token is never shown");
        assertFalse(Files.exists(repoFolder().resolve("blobs")), "nothing downloaded");
    }

    @Test
    void aRepoWithOnlyPytorchWeightsIsRefused() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("pt"));
        Files.copy(source.resolve("config.json"), folder.resolve("config.json"));
        Files.write(folder.resolve("pytorch_model.bin"), new byte[] {1, 2, 3});
        server.addRepo("someone/old-gpt2", folder);

        HubException e = assertThrows(HubException.class, () -> HubModels.resolve("someone/old-gpt2", options(), DownloadProgress.NONE));
        assertEquals(Reason.UNSUPPORTED, e.reason());
        assertEquals("someone/old-gpt2 has no model.safetensors: pytorch_model.bin only is not supported; convert to safetensors or GGUF",
                e.getMessage());
    }

    @Test
    void anUnreachableEndpointFailsFastWhenTheModelIsNotCached() throws IOException {
        String closed = HubTestServer.closedPortEndpoint();
        long start = System.nanoTime();
        HubException e = assertThrows(HubException.class,
                () -> HubModels.resolve("gpt2", env("HF_ENDPOINT", closed), DownloadProgress.NONE));
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "no waiting for a refused connection");
        assertEquals(Reason.UNREACHABLE, e.reason());
        assertTrue(e.getMessage().startsWith("no network: could not reach " + closed), e.getMessage());
        assertTrue(e.getMessage().contains("not in the cache at " + repoFolder()), e.getMessage());
        assertTrue(e.getMessage().contains("--model PATH"), e.getMessage());

        Path snapshot = HubModels.resolve("gpt2", env(), DownloadProgress.NONE);
        assertEquals(snapshot, HubModels.resolve("gpt2", env("HF_ENDPOINT", closed), DownloadProgress.NONE),
                "once cached, no network is needed");
    }

    @Test
    void anUnresolvableHostIsNoNetworkToo() {
        HubException e = assertThrows(HubException.class,
                () -> HubModels.resolve("gpt2", env("HF_ENDPOINT", "http://no-such-host.invalid"), DownloadProgress.NONE));
        assertEquals(Reason.UNREACHABLE, e.reason());
        assertTrue(e.getMessage().startsWith("no network: could not reach http://no-such-host.invalid"), e.getMessage());
    }

    @Test
    void aRenamedRepoIsFollowedThroughItsRelativeRedirect() throws IOException {
        String newCommit = server.addRepo("new-org/tiny", source);
        server.rename("old-org/tiny", "new-org/tiny");

        Path snapshot = HubModels.resolve("old-org/tiny", options(), DownloadProgress.NONE);
        assertEquals(cache.resolve("models--old-org--tiny/snapshots/" + newCommit), snapshot, "cached under the name asked for");
        assertEquals(weightsSha, BlobDownloader.sha256(snapshot.resolve("model.safetensors")));
        List<String> heads = server.requests("HEAD").stream().map(HubTestServer.Request::path).toList();
        assertTrue(heads.contains("/old-org/tiny/resolve/main/config.json"), heads.toString());
        assertTrue(heads.contains("/new-org/tiny/resolve/main/config.json"), heads.toString());
    }

    @Test
    void anEndpointWithATrailingSlashWorks() throws IOException {
        Path snapshot = HubModels.resolve("gpt2", env("HF_ENDPOINT", server.endpoint() + "/"), DownloadProgress.NONE);
        assertTrue(Files.isRegularFile(snapshot.resolve("model.safetensors")));
        assertTrue(server.requests().stream().noneMatch(r -> r.path().startsWith("//")), server.requests().toString());
        assertTrue(server.requests("HEAD").stream().anyMatch(r -> r.path().equals("/" + REPO + "/resolve/main/config.json")));
    }

    @Test
    void theTokenIsSentAsBearer() throws IOException {
        server.requireToken("hf_test_token");
        Path snapshot = HubModels.resolve("gpt2", options("HF_TOKEN", "hf_test_token"), DownloadProgress.NONE);
        assertTrue(Files.isRegularFile(snapshot.resolve("model.safetensors")));
        List<HubTestServer.Request> heads = server.requests("HEAD");
        assertFalse(heads.isEmpty());
        for (HubTestServer.Request head : heads) {
            assertEquals("Bearer hf_test_token", head.header("Authorization"), head.toString());
        }
    }

    @Test
    void aDownloadWaitsForTheProcessHoldingTheBlobsLock() throws Exception {
        Path lockFile = cache.resolve(".locks/models--openai-community--gpt2/" + weightsSha + ".lock");
        Files.createDirectories(lockFile.getParent());
        HubOptions impatient = options().withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(600));
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock held = channel.lock()) {
            assertTrue(held.isValid());
            HubException e = assertThrows(HubException.class, () -> HubModels.resolve("gpt2", impatient, DownloadProgress.NONE));
            assertEquals(Reason.LOCKED, e.reason());
            assertTrue(e.getMessage().contains("another process is downloading model.safetensors"), e.getMessage());
            assertTrue(server.requests("GET").stream().noneMatch(r -> r.path().startsWith("/cdn/")), "no bytes fetched under someone else's lock");
        }

        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
        FileLock held = channel.lock();
        Thread release = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(300);
                held.release();
                channel.close();
            } catch (IOException | InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        Path snapshot = HubModels.resolve("gpt2", impatient, DownloadProgress.NONE);
        release.join();
        assertEquals(weightsSha, BlobDownloader.sha256(snapshot.resolve("model.safetensors")));
    }
}
