package dev.logitlens.hub;

import dev.logitlens.hub.HubException.Reason;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * GPT-2 models by name ({@code gpt2}, {@code gpt2-medium}, ..., or any {@code org/name[@revision]} repo on
 * the Hugging Face hub), found in the Hugging Face cache or downloaded into it.
 *
 * <p>The cache comes first: a model whose snapshot holds {@code config.json} and {@code model.safetensors}
 * is used without any network access. Otherwise, unless offline mode is on, the missing files are
 * downloaded (resumably, checked against the hub's sha256) into the cache in {@code huggingface_hub}'s
 * layout, which Python tools share. Every failure is a {@link HubException} with a message for the user.
 */
public final class HubModels {

    public static final String CONFIG_FILE = "config.json";
    public static final String WEIGHTS_FILE = "model.safetensors";
    /** The files a model needs, in the order they are fetched. */
    public static final List<String> REQUIRED_FILES = List.of(CONFIG_FILE, WEIGHTS_FILE);

    private static final String LOCAL_MODEL_HINT = "Point --model at a local model instead: a GGUF file or a folder"
            + " with config.json + model.safetensors (--model PATH).";

    private HubModels() {
    }

    /**
     * True for the known short names ({@link HubRepo#KNOWN_NAMES}, optionally {@code @revision}) and for
     * {@code org/name[@revision]} that is not an existing local path (nor looks like a model file's name).
     */
    public static boolean isModelName(String text) {
        if (text == null || !HubRepo.isValid(text)) {
            return false;
        }
        String name = text.strip();
        int at = name.indexOf('@');
        if (HubRepo.KNOWN_NAMES.containsKey(at >= 0 ? name.substring(0, at) : name)) {
            return true;
        }
        try {
            return !Files.exists(Path.of(name));
        } catch (InvalidPathException e) {
            return true;
        }
    }

    /**
     * A model named as a local path or by name, as {@code --model} takes it: {@code pathOrName} itself when such a
     * file or folder exists; else, when it is a model name ({@link #isModelName}), its snapshot folder as
     * {@link #resolve(HubRepo, HubOptions, DownloadProgress)} finds it: from the cache, or downloaded into it when
     * missing (unless {@link HubOptions#offline()}).
     *
     * @throws IOException  when it is neither an existing file or folder nor a model name
     * @throws HubException when the name cannot be resolved (offline, no network, no such repo, ...)
     */
    public static Path locate(String pathOrName, HubOptions options, DownloadProgress progress) throws IOException {
        Path local = localPath(pathOrName);
        if (local != null && Files.exists(local)) {
            return local;
        }
        if (local != null && Files.exists(local, LinkOption.NOFOLLOW_LINKS)) {
            // a link that leads nowhere (dangling, or a loop) is still the user's path, never a name to look up
            throw new IOException("model " + pathOrName + " is a symbolic link that leads to no file or folder"
                    + " (dangling, or a loop)");
        }
        if (!isModelName(pathOrName)) {
            throw new IOException("model " + pathOrName + " does not exist: no such file or folder, and not a model"
                    + " name (" + String.join(", ", HubRepo.KNOWN_NAMES.keySet()) + " or a hub repo ORG/NAME)");
        }
        return resolve(pathOrName, options, progress);
    }

    /** {@code text} as a path, or null when it cannot be one. */
    private static Path localPath(String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** {@link #resolve(HubRepo, HubOptions, DownloadProgress)} with options from environment variables. */
    public static Path resolve(String nameOrRepo, Map<String, String> environment, DownloadProgress progress) throws HubException {
        return resolve(nameOrRepo, HubOptions.fromEnvironment(environment), progress);
    }

    /**
     * {@link #resolve(HubRepo, HubOptions, DownloadProgress)} of a parsed name.
     *
     * @throws IllegalArgumentException when the name is malformed ({@link HubRepo#parse(String)})
     */
    public static Path resolve(String nameOrRepo, HubOptions options, DownloadProgress progress) throws HubException {
        return resolve(HubRepo.parse(nameOrRepo), options, progress);
    }

    /**
     * The model's snapshot folder, holding {@code config.json} and {@code model.safetensors}: from the cache
     * when it is there, else downloaded into it (unless {@link HubOptions#offline()}).
     *
     * @throws HubException when the model is not cached and cannot be downloaded; the message says why
     *                      (offline, no network, no such repo, no access, a corrupt or broken download) and
     *                      what to do
     */
    public static Path resolve(HubRepo repo, HubOptions options, DownloadProgress progress) throws HubException {
        HubCache cache = new HubCache(options.cacheDir());
        Optional<Path> cached = cache.findSnapshot(repo, REQUIRED_FILES);
        if (cached.isPresent()) {
            return cached.get();
        }
        if (options.offline()) {
            throw new HubException(Reason.OFFLINE, repo.displayName() + " is not in the cache at " + cache.repoFolder(repo)
                    + pytorchNote(cache, repo) + ", and offline mode is on (HF_HUB_OFFLINE), so it cannot be downloaded. "
                    + LOCAL_MODEL_HINT);
        }
        try (HubClient client = new HubClient(options)) {
            return new SnapshotFetcher(client, cache, options).fetch(repo, REQUIRED_FILES, progress);
        } catch (HubException e) {
            if (e.reason() == Reason.UNREACHABLE) {
                throw new HubException(Reason.UNREACHABLE, "no network: " + e.getMessage() + ", and " + repo.displayName()
                        + " is not in the cache at " + cache.repoFolder(repo) + ". " + LOCAL_MODEL_HINT, e.getCause());
            }
            throw e;
        }
    }

    /**
     * The cached snapshot of the model, if the cache holds it whole; never touches the network.
     *
     * @throws IllegalArgumentException when the name is malformed ({@link HubRepo#parse(String)})
     */
    public static Optional<Path> lookup(String nameOrRepo, HubOptions options) {
        return lookup(HubRepo.parse(nameOrRepo), options);
    }

    /** The cached snapshot of the model, if the cache holds it whole; never touches the network. */
    public static Optional<Path> lookup(HubRepo repo, HubOptions options) {
        return new HubCache(options.cacheDir()).findSnapshot(repo, REQUIRED_FILES);
    }

    /** Where the model's files go in the cache: {@code models--{org}--{name}}. */
    public static Path cacheFolder(HubRepo repo, HubOptions options) {
        return new HubCache(options.cacheDir()).repoFolder(repo);
    }

    /** Explains a cached snapshot that has only PyTorch weights, which logitlens cannot read. */
    private static String pytorchNote(HubCache cache, HubRepo repo) {
        for (Path folder : cache.candidateFolders(repo)) {
            Optional<String> commit = repo.revisionIsCommit() ? Optional.of(repo.revision()) : cache.readRef(folder, repo.revision());
            if (commit.isPresent() && HubCache.isSafeName(commit.get())
                    && Files.exists(folder.resolve("snapshots").resolve(commit.get()).resolve("pytorch_model.bin"))) {
                return " (only pytorch_model.bin is cached: pytorch_model.bin only is not supported; convert to safetensors or GGUF)";
            }
        }
        return "";
    }
}
