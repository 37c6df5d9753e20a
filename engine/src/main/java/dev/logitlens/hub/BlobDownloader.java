package dev.logitlens.hub;

import dev.logitlens.hub.HubException.Reason;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Brings one blob into the cache: downloads it to {@code blobs/{etag}.incomplete}, resuming what an earlier
 * run left there, retrying broken transfers, checks its size and (for LFS files) its sha256, and moves it
 * to {@code blobs/{etag}}. A lock file keeps two processes from writing the same blob at once.
 */
final class BlobDownloader {

    /**
     * The most bytes written for a file whose size the hub does not announce: the hub keeps every file above 10 MB in
     * LFS, whose size it always announces, so a regular file without one is small; an endless body stops here.
     */
    static final long MAX_UNANNOUNCED_BYTES = 64L << 20;

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)");
    private static final long LOCK_POLL_MILLIS = 200;

    /** A transfer that broke off but may succeed when resumed. */
    private static final class Broken extends Exception {
        private static final long serialVersionUID = 1L;

        Broken(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final HubClient client;
    private final HubCache cache;
    private final HubOptions options;

    BlobDownloader(HubClient client, HubCache cache, HubOptions options) {
        this.client = client;
        this.cache = cache;
        this.options = options;
    }

    /** Makes sure {@code blobs/{etag}} in {@code folder} holds {@code file}, as {@code meta} describes it. */
    void fetch(Path folder, HubRepo repo, String file, FileMetadata meta, DownloadProgress progress) throws HubException {
        Path blob = cache.blob(folder, meta.etag());
        if (Files.isRegularFile(blob)) {
            return;
        }
        Path partial = cache.incomplete(folder, meta.etag());
        Path lockFile = cache.lockFile(folder, meta.etag());
        try {
            Files.createDirectories(blob.getParent());
            Files.createDirectories(lockFile.getParent());
        } catch (IOException e) {
            throw HubCache.cacheError("cannot create the cache folders in " + cache.root(), e);
        }
        try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = acquire(lockChannel, blob, partial, lockFile, file, repo, meta, progress)) {
            if (lock == null || Files.isRegularFile(blob)) {
                return; // another process finished it while we waited
            }
            download(partial, repo, file, meta, progress);
            verify(partial, repo, file, meta);
            HubCache.moveAtomically(partial, blob);
        } catch (HubException e) {
            throw e;
        } catch (IOException e) {
            throw HubCache.cacheError("cannot write " + blob, e);
        }
    }

    /**
     * Takes the blob's lock, waiting while another process holds it and makes progress. Returns null when
     * the blob appeared while waiting.
     */
    private FileLock acquire(FileChannel channel, Path blob, Path partial, Path lockFile, String file, HubRepo repo,
                             FileMetadata meta, DownloadProgress progress) throws IOException {
        long lastSize = -1;
        long lastChange = System.nanoTime();
        while (true) {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this JVM holds it, on another thread
            }
            if (lock != null) {
                return lock;
            }
            if (Files.isRegularFile(blob)) {
                return null;
            }
            long size = Files.exists(partial) ? Files.size(partial) : 0;
            if (size != lastSize) {
                lastSize = size;
                lastChange = System.nanoTime();
                progress.update(file, size, meta.size());
            } else if (System.nanoTime() - lastChange > options.readTimeout().toNanos()) {
                throw new HubException(Reason.LOCKED, "another process is downloading " + file + " of " + repo.repoId()
                        + " (it holds " + lockFile + ") and has written nothing for " + options.readTimeout().toSeconds()
                        + " s; wait for it to finish or stop it, then try again");
            }
            try {
                Thread.sleep(LOCK_POLL_MILLIS);
            } catch (InterruptedException e) {
                throw HubClient.interrupted();
            }
        }
    }

    /** Downloads into {@code partial} until it holds the whole file, resuming and retrying broken transfers. */
    private void download(Path partial, HubRepo repo, String file, FileMetadata meta, DownloadProgress progress) throws HubException {
        for (int attempt = 0; ; attempt++) {
            try {
                transfer(partial, repo, file, meta, progress);
                return;
            } catch (Broken e) {
                if (attempt >= options.retries()) {
                    throw new HubException(Reason.TRANSFER, "the download of " + file + " of " + repo.repoId() + " broke off at "
                            + sizeOf(partial) + " of " + (meta.size() < 0 ? "?" : meta.size()) + " bytes (" + e.getMessage()
                            + (options.retries() > 0 ? ", " + (attempt + 1) + " tries" : "") + "); run again to resume it from "
                            + partial, e);
                }
                try {
                    Thread.sleep(options.retryDelay().toMillis() << Math.min(attempt, 10));
                } catch (InterruptedException interrupted) {
                    throw HubClient.interrupted();
                }
            }
        }
    }

    /** One {@code GET}, appending to {@code partial} from its current size. */
    private void transfer(Path partial, HubRepo repo, String file, FileMetadata meta, DownloadProgress progress)
            throws HubException, Broken {
        long size = meta.size();
        long limit = size >= 0 ? size : MAX_UNANNOUNCED_BYTES; // what may be written at most
        try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long offset = out.size();
            if (size >= 0 && offset > size) {
                out.truncate(0);
                offset = 0;
            }
            if (size >= 0 && offset == size) {
                return; // complete from an earlier run; verified next
            }
            try (HubClient.Download response = send(meta, offset)) {
                long done = startOf(response, offset, repo, file, out);
                out.position(done);
                progress.update(file, done, size);
                List<ByteBuffer> buffers;
                try {
                    while ((buffers = next(response)) != null) {
                        for (ByteBuffer buffer : buffers) {
                            done += buffer.remaining();
                            if (done > limit) {
                                throw new HubException(Reason.CORRUPT, "the server sent more than the " + limit + " bytes "
                                        + (size >= 0 ? "announced" : "logitlens accepts for a file whose size the hub does not announce")
                                        + " for " + file + " of " + repo.repoId() + "; the download was deleted, run again");
                            }
                            while (buffer.hasRemaining()) {
                                out.write(buffer);
                            }
                        }
                        progress.update(file, done, size);
                    }
                } finally {
                    out.force(true); // what arrived stays for the next try to resume after
                }
                if (size >= 0 && done < size) {
                    throw new Broken("the connection closed early", null);
                }
            }
        } catch (HubException e) {
            if (e.reason() == Reason.CORRUPT) {
                deleteQuietly(partial);
            }
            throw e;
        } catch (IOException e) {
            throw HubCache.cacheError("cannot write " + partial, e);
        }
    }

    private HubClient.Download send(FileMetadata meta, long offset) throws HubException, Broken {
        try {
            return client.get(meta.location(), offset);
        } catch (IOException e) {
            throw new Broken(HubClient.describeNetworkError(e), e);
        } catch (InterruptedException e) {
            throw HubClient.interrupted();
        }
    }

    private List<ByteBuffer> next(HubClient.Download response) throws HubException, Broken {
        try {
            return response.body().next(options.readTimeout());
        } catch (IOException e) {
            throw new Broken(HubClient.describeNetworkError(e), e);
        } catch (InterruptedException e) {
            throw HubClient.interrupted();
        }
    }

    /**
     * Where the response's body starts in the file: {@code offset} for a 206 that resumes there, 0 for a 200
     * (the server ignored the range: start over). Other statuses throw.
     */
    private long startOf(HubClient.Download response, long offset, HubRepo repo, String file, FileChannel out)
            throws IOException, HubException, Broken {
        int status = response.status();
        if (status == 200) {
            if (offset > 0) {
                out.truncate(0);
            }
            return 0;
        }
        if (status == 206) {
            Optional<String> range = response.headers().firstValue("Content-Range");
            Matcher m = CONTENT_RANGE.matcher(range.orElse(""));
            if (m.matches() && Long.parseLong(m.group(1)) == offset) {
                return offset;
            }
            out.truncate(0);
            throw new Broken("the server resumed at the wrong place (" + range.orElse("no Content-Range") + ")", null);
        }
        if (status == 416) {
            out.truncate(0);
            throw new Broken("the server refused to resume (416)", null);
        }
        if (status >= 500 || status == 429) {
            throw new Broken("the server answered " + status, null);
        }
        Reason reason = status == 401 || status == 403 ? Reason.ACCESS_DENIED : status == 404 ? Reason.NOT_FOUND : Reason.SERVER;
        throw new HubException(reason, "the download of " + file + " of " + repo.repoId() + " from " + response.uri().getHost()
                + " failed: HTTP " + status);
    }

    /**
     * A download becomes a cached blob only once checked: its size against the announced one, its sha256 against an
     * LFS etag, and where the hub announced no size, its git blob hash against the git etag. Nothing checkable (no
     * size and an etag that is no hash) is refused: a body cut short or padded would otherwise be cached as complete.
     */
    private void verify(Path partial, HubRepo repo, String file, FileMetadata meta) throws IOException {
        long actual = Files.size(partial);
        if (meta.size() >= 0 && actual != meta.size()) {
            throw new HubException(Reason.TRANSFER, "the download of " + file + " of " + repo.repoId() + " has " + actual
                    + " bytes, not " + meta.size() + "; run again");
        }
        if (meta.size() < 0 && !meta.etagIsSha256()) {
            String gitHash = meta.etagIsGitHash() ? gitBlobHash(partial) : null;
            String reason = gitHash == null ? "the hub announced neither its size nor a hash to check it by"
                    : gitHash.equals(meta.etag()) ? null
                    : "its git hash is " + gitHash + ", not the announced " + meta.etag() + " (the hub sent no size)";
            if (reason != null) {
                Files.deleteIfExists(partial);
                throw new HubException(Reason.CORRUPT, "the download of " + file + " of " + repo.repoId() + " cannot be trusted: "
                        + reason + ". It was deleted; run again");
            }
        }
        if (meta.etagIsSha256()) {
            String sha256 = sha256(partial);
            if (!sha256.equals(meta.etag())) {
                Files.deleteIfExists(partial);
                throw new HubException(Reason.CORRUPT, "the download of " + file + " of " + repo.repoId() + " is corrupt: its sha256 is "
                        + sha256 + ", but the hub announced " + meta.etag() + ". The bad file was deleted; run again to download it anew");
            }
        }
    }

    /** The hash git gives {@code file} as a blob: sha1 of "blob {size}\0" and the bytes (the hub's ETag of a regular file). */
    static String gitBlobHash(Path file) throws IOException {
        byte[] header = ("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII);
        return hash("SHA-1", header, file);
    }

    static String sha256(Path file) throws IOException {
        return hash("SHA-256", new byte[0], file);
    }

    /** {@code algorithm} (which every JDK has) over {@code prefix} then the file's bytes, in hex. */
    private static String hash(String algorithm, byte[] prefix, Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has " + algorithm, e);
        }
        digest.update(prefix);
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            while (in.read(buffer) >= 0) {
                buffer.flip();
                digest.update(buffer);
                buffer.clear();
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the next run truncates it anyway: its size exceeds the file's
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
