package dev.logitlens.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Model names, repo ids, revisions and the options read from the environment. */
class HubNamesTest {

    @TempDir
    Path dir;

    @Test
    void shortNamesMapToTheirOrganisationRepos() {
        assertEquals(new HubRepo("openai-community/gpt2", "main", "gpt2"), HubRepo.parse("gpt2"));
        assertEquals("openai-community/gpt2-medium", HubRepo.parse("gpt2-medium").repoId());
        assertEquals("openai-community/gpt2-large", HubRepo.parse("gpt2-large").repoId());
        assertEquals("openai-community/gpt2-xl", HubRepo.parse("gpt2-xl").repoId());
        assertEquals(new HubRepo("distilbert/distilgpt2", "main", "distilgpt2"), HubRepo.parse("distilgpt2"));
        assertEquals("gpt2", HubRepo.parse("openai-community/gpt2").legacyName(), "the full id still finds models--gpt2");
        assertNull(HubRepo.parse("someone/tiny-gpt2").legacyName());
    }

    @Test
    void revisionsFollowAnAtSign() {
        HubRepo repo = HubRepo.parse("someone/tiny@v1.0");
        assertEquals("someone/tiny", repo.repoId());
        assertEquals("v1.0", repo.revision());
        assertFalse(repo.revisionIsCommit());
        String commit = "0123456789abcdef0123456789abcdef01234567";
        assertTrue(HubRepo.parse("gpt2@" + commit).revisionIsCommit());
        assertEquals("refs/pr/1", HubRepo.parse("a/b", "refs/pr/1").revision());
        assertEquals("dev", HubRepo.parse("a/b@dev", "main").revision(), "an explicit revision beats the default");
        assertEquals("gpt2@dev", HubRepo.parse("gpt2@dev").displayName());
    }

    @Test
    void malformedNamesAreRejected() {
        for (String bad : new String[] {"", "gpt3", "a/b/c", "/abs/path", "./a/b", "a--b/c", "a/b..c", "-a/b", "a/b-",
                "models/x.gguf", "a/b@", "a/b@../x", "a/b@/x", "a b/c"}) {
            assertThrows(IllegalArgumentException.class, () -> HubRepo.parse(bad), bad);
            assertFalse(HubModels.isModelName(bad), bad);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HubModels.resolve("gpt3", HubOptions.fromEnvironment(Map.of()), DownloadProgress.NONE));
        assertTrue(e.getMessage().contains("gpt2-medium"), "the message lists the known names: " + e.getMessage());
    }

    @Test
    void modelNamesAreKnownNamesOrRepoIdsThatAreNotLocalPaths() throws IOException {
        assertTrue(HubModels.isModelName("gpt2"));
        assertTrue(HubModels.isModelName("distilgpt2@main"));
        assertTrue(HubModels.isModelName("someone/tiny-gpt2"));
        Path local = Files.createDirectories(dir.resolve("org/name"));
        assertTrue(Files.isDirectory(local));
        assertFalse(HubModels.isModelName(local.toString()), "an absolute path is no repo id");
        String relative = Path.of("").toAbsolutePath().relativize(local).toString();
        assertFalse(HubModels.isModelName(relative), "an existing relative path is a path: " + relative);
    }

    @Test
    void cacheFolderFollowsHuggingFacePrecedence() {
        Path home = Path.of(System.getProperty("user.home"));
        assertEquals(Path.of("/c/hub"), HubOptions.cacheDir(Map.of("HF_HUB_CACHE", "/c/hub", "HF_HOME", "/h", "XDG_CACHE_HOME", "/x")));
        assertEquals(Path.of("/h/hub"), HubOptions.cacheDir(Map.of("HF_HOME", "/h", "XDG_CACHE_HOME", "/x")));
        assertEquals(Path.of("/x/huggingface/hub"), HubOptions.cacheDir(Map.of("XDG_CACHE_HOME", "/x")));
        assertEquals(home.resolve(".cache/huggingface/hub"), HubOptions.cacheDir(Map.of()));
        assertEquals(home.resolve(".cache/huggingface/hub"), HubOptions.cacheDir(Map.of("HF_HOME", "")), "empty means unset");
    }

    @Test
    void environmentGivesEndpointTokenAndOfflineMode() {
        HubOptions defaults = HubOptions.fromEnvironment(Map.of());
        assertEquals("https://huggingface.co", defaults.endpoint());
        assertNull(defaults.token());
        assertFalse(defaults.offline());
        assertTrue(defaults.userAgent().startsWith("logitlens/"), defaults.userAgent());

        HubOptions set = HubOptions.fromEnvironment(Map.of("HF_ENDPOINT", "http://mirror.test:8080//", "HF_TOKEN", "hf_secret",
                "HF_HUB_OFFLINE", "1"));
        assertEquals("http://mirror.test:8080", set.endpoint(), "trailing slashes are dropped");
        assertEquals("hf_secret", set.token());
        assertTrue(set.offline());
        assertFalse(set.toString().contains("hf_secret"), set.toString());

        for (String on : new String[] {"1", "true", "TRUE", "yes", "On"}) {
            assertTrue(HubOptions.fromEnvironment(Map.of("HF_HUB_OFFLINE", on)).offline(), on);
        }
        for (String off : new String[] {"0", "false", "no", "off", ""}) {
            assertFalse(HubOptions.fromEnvironment(Map.of("HF_HUB_OFFLINE", off)).offline(), off);
        }
    }

    @Test
    void tokenGoesOnlyToTheEndpointsOrigin() {
        URI hub = URI.create("https://huggingface.co");
        assertTrue(HubClient.sameOrigin(URI.create("https://huggingface.co/openai-community/gpt2/resolve/main/x"), hub));
        assertTrue(HubClient.sameOrigin(URI.create("https://HuggingFace.co:443/x"), hub));
        assertFalse(HubClient.sameOrigin(URI.create("https://cdn-lfs.huggingface.co/x"), hub));
        assertFalse(HubClient.sameOrigin(URI.create("http://huggingface.co/x"), hub));
        assertFalse(HubClient.sameOrigin(URI.create("https://huggingface.co:8443/x"), hub));
    }

    @Test
    void etagsLoseWeakMarkersAndQuotes() {
        assertEquals("abc", HubClient.normalizeEtag("W/\"abc\""));
        assertEquals("abc", HubClient.normalizeEtag("\"abc\""));
        assertEquals("abc", HubClient.normalizeEtag("abc"));
    }
}
