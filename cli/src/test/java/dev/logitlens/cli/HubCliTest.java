package dev.logitlens.cli;

import dev.logitlens.cli.CliTest.Run;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.HubTestServer;
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.logitlens.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Models by name on the command line: download, info and run through the Hugging Face cache, against a loopback hub. */
class HubCliTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 2);

    @TempDir
    Path dir;

    private HubTestServer server;
    private CanonicalWeights weights;
    private String commit;
    private long parameters;

    @BeforeEach
    void serveTinyGpt2() throws IOException {
        weights = TinyGpt2.generate(CONFIG, 11, 4, true);
        parameters = weights.tensors().values().stream().mapToLong(values -> values.length).sum();
        Path source = new SafetensorsWriter(weights).writeFolder(dir.resolve("source"));
        server = HubTestServer.start();
        commit = server.addRepo("openai-community/gpt2", source);
    }

    @AfterEach
    void stopServer() throws IOException {
        server.close();
    }

    private Map<String, String> env(String... extra) {
        Map<String, String> env = new HashMap<>(Map.of("HF_HOME", dir.resolve("hf").toString(), "HF_ENDPOINT", server.endpoint()));
        for (int i = 0; i < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return env;
    }

    private Path snapshot() {
        return dir.resolve("hf/hub/models--openai-community--gpt2/snapshots").resolve(commit);
    }

    @Test
    void downloadThenInfoOfTheName() throws IOException {
        Run download = cli(env(), "download", "gpt2");
        assertEquals(0, download.exit(), download.err());
        assertEquals(snapshot().toString(), download.out().strip());
        assertTrue(download.err().contains("\rdownloading model.safetensors"), download.err());
        assertTrue(download.err().contains("100%"), download.err());
        assertTrue(Files.isSymbolicLink(snapshot().resolve("model.safetensors")));

        server.clearRequests();
        Run again = cli(env(), "download", "gpt2");
        assertEquals(0, again.exit(), again.err());
        assertEquals(snapshot().toString(), again.out().strip());
        assertTrue(again.err().contains("gpt2: already in the cache"), again.err());
        assertEquals(List.of(), server.requests());

        Run info = cli(env(), "info", "gpt2");
        assertEquals(0, info.exit(), info.err());
        assertTrue(info.out().contains("openai-community/gpt2 @ main"), info.out());
        assertTrue(info.out().contains(commit), info.out());
        assertTrue(info.out().contains("Hugging Face safetensors"), info.out());
        assertTrue(info.out().lines().anyMatch(l -> l.matches("n_layer\\s+2")), info.out());
        assertTrue(info.out().lines().anyMatch(l -> l.matches("d_model\\s+32")), info.out());

        Run json = cli(env(), "info", "gpt2", "--format", "json");
        assertEquals(0, json.exit(), json.err());
        Map<String, Object> root = Json.asObject(Json.parse(json.out()), "info");
        assertEquals(commit, root.get("commit"));
        assertEquals(snapshot().toString(), root.get("path"));
        assertEquals("safetensors", root.get("format"));
        assertEquals(List.of(2L, 4L, 32L, 12L, 53L), List.of(root.get("n_layer"), root.get("n_head"), root.get("d_model"),
                root.get("n_ctx"), root.get("vocab")));
        assertEquals(parameters, root.get("parameters"));
        assertEquals(Map.of("F32", (long) weights.tensors().size()), root.get("dtypes"));
        assertEquals(List.of(), server.requests(), "info never goes to the network");
    }

    @Test
    void runByNameWorksOfflineFromTheCacheWithTheServerStopped() throws IOException {
        Run download = cli(env(), "download", "openai-community/gpt2");
        assertEquals(0, download.exit(), download.err());
        server.close();

        Run run = cli(env("HF_HUB_OFFLINE", "1"), "run", "--model", "gpt2", "--tokens", "1,2,3", "--format", "json");
        assertEquals(0, run.exit(), run.err());
        Map<String, Object> root = Json.asObject(Json.parse(run.out()), "output");
        assertEquals(3, Json.asArray(root.get("layers"), "layers").size(), "embeddings + 2 blocks");
        assertFalse(run.err().contains("downloading"), run.err());
    }

    @Test
    void runByNameDownloadsWhenNeeded() {
        Run run = cli(env(), "run", "--model", "gpt2", "--tokens", "1,2,3", "--format", "json");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("downloading model.safetensors"), run.err());
        assertTrue(Files.isRegularFile(snapshot().resolve("model.safetensors")));
    }

    @Test
    void infoOfLocalGgufAndSafetensors() throws IOException {
        Path gguf = new GgufWriter(weights).write(dir.resolve("tiny.gguf"));
        Run ggufInfo = cli(env(), "info", gguf.toString());
        assertEquals(0, ggufInfo.exit(), ggufInfo.err());
        assertTrue(ggufInfo.out().contains("GGUF"), ggufInfo.out());
        assertTrue(ggufInfo.out().contains("tiny.gguf"), ggufInfo.out());
        assertTrue(ggufInfo.out().contains(String.format(java.util.Locale.ROOT, "%,d", parameters)), ggufInfo.out());

        Path folder = new SafetensorsWriter(weights).writeFolder(dir.resolve("folder"));
        Run json = cli(env(), "info", folder.toString(), "--format", "json");
        assertEquals(0, json.exit(), json.err());
        Map<String, Object> root = Json.asObject(Json.parse(json.out()), "info");
        assertEquals("safetensors", root.get("format"));
        assertEquals(folder.toAbsolutePath().toString(), root.get("path"));
        assertFalse(root.containsKey("commit"), "a local folder has no commit");
        List<Object> files = Json.asArray(root.get("files"), "files");
        assertEquals(2, files.size());
        Map<String, Object> weightsFile = Json.asObject(files.get(1), "file");
        assertEquals("model.safetensors", weightsFile.get("name"));
        assertEquals(Files.size(folder.resolve("model.safetensors")), weightsFile.get("bytes"));
        assertEquals(List.of(), server.requests());
    }

    @Test
    void namesThatAreNotCachedFailClearlyOffline() {
        Run info = cli(env(), "info", "gpt2-medium");
        assertEquals(1, info.exit());
        assertTrue(info.err().contains("gpt2-medium is not in the cache at " + dir.resolve("hf/hub/models--openai-community--gpt2-medium")),
                info.err());
        assertTrue(info.err().contains("run `logitlens download gpt2-medium`"), info.err());

        Run run = cli(env("HF_HUB_OFFLINE", "1"), "run", "--model", "gpt2-xl", "--tokens", "1");
        assertEquals(1, run.exit());
        assertTrue(run.err().contains("not in the cache") && run.err().contains("offline mode is on"), run.err());
        assertFalse(run.err().contains("at dev.logitlens"), "a message, not a stack trace: " + run.err());

        Run download = cli(env("HF_HUB_OFFLINE", "1"), "download", "distilgpt2");
        assertEquals(1, download.exit());
        assertTrue(download.err().contains("offline mode is on"), download.err());
        assertEquals(List.of(), server.requests());
    }

    @Test
    void hubErrorsExitWithOneAndAMessage() throws IOException {
        Run missing = cli(env(), "download", "nobody/nothing");
        assertEquals(1, missing.exit());
        assertTrue(missing.err().startsWith("logitlens: no such repo"), missing.err());

        Run noFile = cli(env(), "run", "--model", dir.resolve("absent.gguf").toString(), "--tokens", "1");
        assertEquals(1, noFile.exit());
        assertTrue(noFile.err().contains("absent.gguf does not exist"), noFile.err());

        Run unreachable = cli(env("HF_ENDPOINT", HubTestServer.closedPortEndpoint()), "download", "gpt2");
        assertEquals(1, unreachable.exit());
        assertTrue(unreachable.err().contains("no network"), unreachable.err());
    }

    @Test
    void badArgumentsExitWithTwo() {
        assertEquals(2, cli(env(), "download").exit(), "no name");
        assertEquals(2, cli(env(), "download", "not a name").exit());
        assertEquals(2, cli(env(), "download", "gpt2@main", "--revision", "v2").exit(), "two revisions");
        assertEquals(2, cli(env(), "info").exit(), "no model");
        assertEquals(2, cli(env(), "info", "gpt2", "--format", "xml").exit());
        assertEquals(2, cli(env(), "info", "gpt2", "extra").exit());
        assertEquals(List.of(), server.requests());
    }
}
