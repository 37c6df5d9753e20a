package dev.logitlens.hub;

import dev.logitlens.io.AtomicFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The Hugging Face hub cache on disk, in {@code huggingface_hub}'s layout, so that the Python tools and
 * logitlens share downloads:
 * <pre>
 * {root}/models--{org}--{name}/refs/{revision}              the commit hash the revision pointed at
 * {root}/models--{org}--{name}/snapshots/{commit}/{file}    a relative symlink to ../../blobs/{etag}
 * {root}/models--{org}--{name}/blobs/{etag}                 the file's bytes ({etag}.incomplete while downloading)
 * {root}/.locks/models--{org}--{name}/{etag}.lock           held while a process downloads that blob
 * </pre>
 * Snapshot entries that are plain files (copies, Windows-style caches) are accepted as well as links.
 */
public final class HubCache {

    private final Path root;
    private final boolean symlinks;

    /** The cache at {@code root} (which need not exist yet). */
    public HubCache(Path root) {
        this(root, true);
    }

    /** With {@code symlinks} false, snapshot files are hard links or copies of their blobs (for tests of that layout). */
    HubCache(Path root, boolean symlinks) {
        this.root = root.toAbsolutePath().normalize();
        this.symlinks = symlinks;
    }

    public Path root() {
        return root;
    }

    /** The folder of the repo's files: {@code models--{org}--{name}}. */
    public Path repoFolder(HubRepo repo) {
        return root.resolve(folderName(repo.repoId()));
    }

    /** The folders where the repo may be cached: its own, then the legacy one of its short name, if any. */
    public List<Path> candidateFolders(HubRepo repo) {
        List<Path> folders = new ArrayList<>(List.of(repoFolder(repo)));
        if (repo.legacyName() != null) {
            folders.add(root.resolve(folderName(repo.legacyName())));
        }
        return folders;
    }

    /**
     * The snapshot folder of the repo at its revision, if the cache holds every one of {@code files} there:
     * a commit revision names the snapshot, a branch or tag is looked up in {@code refs/}.
     */
    public Optional<Path> findSnapshot(HubRepo repo, List<String> files) {
        for (Path folder : candidateFolders(repo)) {
            Optional<String> commit = repo.revisionIsCommit() ? Optional.of(repo.revision()) : readRef(folder, repo.revision());
            if (commit.isEmpty() || !isSafeName(commit.get())) {
                continue;
            }
            Path snapshot = folder.resolve("snapshots").resolve(commit.get());
            if (files.stream().allMatch(file -> Files.isRegularFile(snapshot.resolve(file)))) {
                return Optional.of(snapshot);
            }
        }
        return Optional.empty();
    }

    /** The commit {@code refs/{revision}} holds, if the file exists. */
    Optional<String> readRef(Path folder, String revision) {
        Path ref = folder.resolve("refs").resolve(revision);
        try {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            return commit.isEmpty() ? Optional.empty() : Optional.of(commit);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    Path snapshotFile(Path folder, String commit, String file) {
        return folder.resolve("snapshots").resolve(commit).resolve(file);
    }

    Path blob(Path folder, String etag) {
        return folder.resolve("blobs").resolve(etag);
    }

    Path incomplete(Path folder, String etag) {
        return folder.resolve("blobs").resolve(etag + ".incomplete");
    }

    Path lockFile(Path folder, String etag) {
        return root.resolve(".locks").resolve(folder.getFileName().toString()).resolve(etag + ".lock");
    }

    /** Writes {@code refs/{revision}} = {@code commit}, atomically (the commit alone, no newline, as Python does). */
    void writeRef(Path folder, String revision, String commit) throws HubException {
        Path ref = folder.resolve("refs").resolve(revision);
        try {
            Files.createDirectories(ref.getParent());
            byte[] bytes = commit.getBytes(StandardCharsets.US_ASCII);
            AtomicFile.write(ref, channel -> channel.write(ByteBuffer.wrap(bytes)));
        } catch (IOException e) {
            throw cacheError("cannot write " + ref, e);
        }
    }

    /**
     * Makes {@code snapshots/{commit}/{file}} point at {@code blobs/{etag}}: a relative symlink, or where the
     * file system has none, a hard link or a copy. An existing entry is replaced atomically.
     */
    void linkSnapshotFile(Path folder, String commit, String file, String etag) throws HubException {
        Path pointer = snapshotFile(folder, commit, file);
        Path blob = blob(folder, etag);
        try {
            Files.createDirectories(pointer.getParent());
            Path temporary = pointer.resolveSibling("." + pointer.getFileName() + "." + UUID.randomUUID() + ".tmp");
            try {
                createLinkOrCopy(temporary, blob);
                moveAtomically(temporary, pointer);
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException e) {
            throw cacheError("cannot create " + pointer, e);
        }
    }

    private void createLinkOrCopy(Path link, Path blob) throws IOException {
        if (symlinks) {
            try {
                Files.createSymbolicLink(link, link.getParent().relativize(blob));
                return;
            } catch (UnsupportedOperationException | IOException e) {
                // no symlinks here (Windows without developer mode, some network file systems)
            }
        }
        try {
            Files.createLink(link, blob);
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(blob, link);
        }
    }

    static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** {@code models--org--name} for {@code org/name}; {@code models--gpt2} for the legacy {@code gpt2}. */
    static String folderName(String repoIdOrLegacyName) {
        return "models--" + repoIdOrLegacyName.replace("/", "--");
    }

    /** A commit or etag that can safely be a file name: no separators, no leading dot. */
    static boolean isSafeName(String name) {
        return name.matches("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");
    }

    static HubException cacheError(String what, IOException e) {
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (detail.contains("No space left on device")) {
            detail = "the disk is full";
        }
        return new HubException(HubException.Reason.CACHE, what + ": " + detail, e);
    }
}
