package dev.logitlens.hub;

import dev.logitlens.testing.HubTestServer;
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Caches laid out by hand the way huggingface_hub leaves them are found, with no server at all. */
class HubCacheTest {

    private static final String COMMIT = "e7da7f221d5bf496a48136c0cd264e630fe9fcc8";

    @TempDir
    Path dir;

    private Path model;
    private Path cache;
    private String unreachable;

    @BeforeEach
    void writeModel() throws IOException {
        model = new SafetensorsWriter(TinyGpt2.generate(TinyGpt2.config(53, 12, 32, 4, 2), 3, 4, false)).writeFolder(dir.resolve("model"));
        cache = dir.resolve("cache");
        unreachable = HubTestServer.closedPortEndpoint();
    }

    /** As huggingface_hub writes it: refs/{revision}, blobs/{etag}, snapshots/{commit}/{file} → ../../blobs/{etag}. */
    private Path pythonCache(String folderName, String revision, boolean symlinks) throws IOException {
        Path folder = cache.resolve(folderName);
        Path snapshot = Files.createDirectories(folder.resolve("snapshots").resolve(COMMIT));
        Files.createDirectories(folder.resolve("blobs"));
        for (String file : HubModels.REQUIRED_FILES) {
            byte[] bytes = Files.readAllBytes(model.resolve(file));
            String etag = file.endsWith(".safetensors") ? HubTestServer.sha256(bytes) : HubTestServer.gitBlobHash(bytes);
            Files.write(folder.resolve("blobs").resolve(etag), bytes);
            if (symlinks) {
                Files.createSymbolicLink(snapshot.resolve(file), Path.of("../../blobs", etag));
            } else {
                Files.write(snapshot.resolve(file), bytes);
            }
        }
        if (revision != null) {
            Files.createDirectories(folder.resolve("refs"));
            Files.writeString(folder.resolve("refs").resolve(revision), COMMIT);
        }
        return snapshot;
    }

    private Map<String, String> env() {
        return Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", unreachable);
    }

    @Test
    void theLegacyFolderOfAShortNameIsFound() throws IOException {
        Path snapshot = pythonCache("models--gpt2", "main", true);
        assertEquals(snapshot, HubModels.resolve("gpt2", env(), DownloadProgress.NONE));
        assertEquals(snapshot, HubModels.resolve("openai-community/gpt2", env(), DownloadProgress.NONE));
        assertEquals(Optional.of(snapshot), HubModels.lookup("gpt2", HubOptions.fromEnvironment(env())));
        assertArrayEquals(Files.readAllBytes(model.resolve("model.safetensors")), Files.readAllBytes(snapshot.resolve("model.safetensors")));
    }

    @Test
    void theOrganisationFolderComesFirst() throws IOException {
        pythonCache("models--gpt2", "main", true);
        Path current = pythonCache("models--openai-community--gpt2", "main", true);
        assertEquals(current, HubModels.resolve("gpt2", env(), DownloadProgress.NONE));
    }

    @Test
    void snapshotsOfPlainFilesAreAccepted() throws IOException {
        Path snapshot = pythonCache("models--distilbert--distilgpt2", "main", false);
        assertFalse(Files.isSymbolicLink(snapshot.resolve("model.safetensors")));
        assertEquals(snapshot, HubModels.resolve("distilgpt2", env(), DownloadProgress.NONE));
    }

    @Test
    void aCommitRevisionNamesTheSnapshotWithoutAnyRef() throws IOException {
        Path snapshot = pythonCache("models--someone--tiny", null, true);
        assertEquals(snapshot, HubModels.resolve("someone/tiny@" + COMMIT, env(), DownloadProgress.NONE));
        HubException e = assertThrows(HubException.class, () -> HubModels.resolve("someone/tiny", env(), DownloadProgress.NONE));
        assertEquals(HubException.Reason.UNREACHABLE, e.reason(), "no refs/main: the branch is not known offline");
    }

    @Test
    void otherRevisionsUseTheirOwnRefs() throws IOException {
        Path snapshot = pythonCache("models--someone--tiny", "v1", true);
        assertEquals(snapshot, HubModels.resolve("someone/tiny@v1", env(), DownloadProgress.NONE));
        assertTrue(HubModels.lookup("someone/tiny", HubOptions.fromEnvironment(env())).isEmpty(), "refs/main is missing");
    }

    @Test
    void aSnapshotMissingTheWeightsIsNotAModel() throws IOException {
        Path snapshot = pythonCache("models--gpt2", "main", true);
        Files.delete(snapshot.resolve("model.safetensors"));
        Files.write(snapshot.resolve("pytorch_model.bin"), new byte[] {0});
        assertTrue(HubModels.lookup("gpt2", HubOptions.fromEnvironment(env())).isEmpty());
        HubException e = assertThrows(HubException.class,
                () -> HubModels.resolve("gpt2", Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1"), DownloadProgress.NONE));
        assertTrue(e.getMessage().contains("pytorch_model.bin only is not supported"), e.getMessage());
    }

    @Test
    void aBrokenSymlinkIsNotACachedFile() throws IOException {
        Path snapshot = pythonCache("models--gpt2", "main", true);
        String weightsSha = HubTestServer.sha256(Files.readAllBytes(model.resolve("model.safetensors")));
        Files.delete(cache.resolve("models--gpt2/blobs").resolve(weightsSha));
        assertTrue(Files.isSymbolicLink(snapshot.resolve("model.safetensors")));
        assertTrue(HubModels.lookup("gpt2", HubOptions.fromEnvironment(env())).isEmpty());
    }

    @Test
    void snapshotFilesAreCopiesWhereSymlinksAreImpossible() throws IOException {
        HubCache noLinks = new HubCache(cache, false);
        HubRepo repo = HubRepo.parse("someone/tiny");
        Path folder = noLinks.repoFolder(repo);
        Files.createDirectories(folder.resolve("blobs"));
        Files.write(noLinks.blob(folder, "abc"), new byte[] {1, 2, 3});
        noLinks.linkSnapshotFile(folder, COMMIT, "config.json", "abc");
        Path file = folder.resolve("snapshots").resolve(COMMIT).resolve("config.json");
        assertFalse(Files.isSymbolicLink(file));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));

        HubCache links = new HubCache(cache);
        links.linkSnapshotFile(folder, COMMIT, "config.json", "abc");
        assertEquals(Path.of("../../blobs/abc"), Files.readSymbolicLink(file), "an existing entry is replaced");
        links.writeRef(folder, "main", COMMIT);
        assertEquals(COMMIT, Files.readString(folder.resolve("refs/main")));
        try (var entries = Files.list(folder.resolve("refs"))) {
            assertEquals(List.of(folder.resolve("refs/main")), entries.toList(), "no temporary files left");
        }
    }
}
