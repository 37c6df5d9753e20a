package dev.logitlens.hub;

import dev.logitlens.hub.HubException.Reason;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fetches the files of one repo revision into the cache, as {@code huggingface_hub} would: asks the hub
 * which commit the revision is and which blob each file is, downloads the blobs the cache lacks, links
 * them into {@code snapshots/{commit}/} and records the commit in {@code refs/{revision}}.
 */
final class SnapshotFetcher {

    private final HubClient client;
    private final HubCache cache;
    private final BlobDownloader blobs;

    SnapshotFetcher(HubClient client, HubCache cache, HubOptions options) {
        this.client = client;
        this.cache = cache;
        this.blobs = new BlobDownloader(client, cache, options);
    }

    /**
     * Returns {@code snapshots/{commit}} holding every one of {@code files}. The first file tells the commit;
     * the others are asked for at that commit, so all come from the same one even if the branch moves meanwhile.
     */
    Path fetch(HubRepo repo, List<String> files, DownloadProgress progress) throws HubException {
        Path folder = cache.repoFolder(repo);
        List<FileMetadata> metadata = new ArrayList<>();
        String commit = repo.revision();
        for (String file : files) {
            FileMetadata meta = head(repo, metadata.isEmpty() ? repo.revision() : commit, file, !metadata.isEmpty());
            commit = meta.commit();
            metadata.add(meta);
        }
        for (int i = 0; i < files.size(); i++) {
            String file = files.get(i);
            FileMetadata meta = metadata.get(i);
            if (!Files.isRegularFile(cache.snapshotFile(folder, commit, file))) {
                blobs.fetch(folder, repo, file, meta, progress);
                cache.linkSnapshotFile(folder, commit, file, meta.etag());
            }
        }
        if (!repo.revision().equals(commit)) {
            cache.writeRef(folder, repo.revision(), commit);
        }
        return folder.resolve("snapshots").resolve(commit);
    }

    private FileMetadata head(HubRepo repo, String revision, String file, boolean repoExists) throws HubException {
        try {
            return client.head(repo, revision, file, repoExists);
        } catch (HubException e) {
            if (e.reason() == Reason.NOT_FOUND && repoExists && file.equals(HubModels.WEIGHTS_FILE)) {
                throw new HubException(Reason.UNSUPPORTED, repo.repoId() + " has no " + HubModels.WEIGHTS_FILE
                        + ": pytorch_model.bin only is not supported; convert to safetensors or GGUF", e);
            }
            throw e;
        }
    }
}
