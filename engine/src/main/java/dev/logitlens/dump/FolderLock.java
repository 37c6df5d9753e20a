package dev.logitlens.dump;

import dev.logitlens.io.CrashPoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one writer of a dump folder: an OS lock ({@link FileChannel#tryLock()}) on {@value #NAME} inside it. The OS
 * drops the lock when its process ends however it ends, so the lock of a killed dump is simply taken over; the file
 * holds the holder's pid only for the message of whoever finds it taken, and is emptied (not removed) when the lock
 * is released.
 *
 * <p>The file is never removed: a dump that removed it would let a second one, which had opened it just before, lock
 * the removed file while a third locks a new one. And the lock is the process's (POSIX): closing any descriptor of
 * the file in this process would release it, so the file is opened once per folder and process ({@link #HELD}).
 */
final class FolderLock implements AutoCloseable {

    static final String NAME = ".logitlens-dump.lock";

    /** The lock files this process holds (real paths). */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;

    private FolderLock(Path key, FileChannel channel) {
        this.key = key;
        this.channel = channel;
    }

    /** Locks {@code folder} (which exists) or fails at once, naming the holder. */
    static FolderLock take(Path folder) throws IOException {
        Path key = folder.toRealPath().resolve(NAME);
        if (!HELD.add(key)) {
            throw busy(folder, "pid " + ProcessHandle.current().pid());
        }
        FileChannel channel = null;
        try {
            if (Files.exists(key, LinkOption.NOFOLLOW_LINKS)) {
                // a file of that name that no dump wrote is not emptied: read before any lock is held (closing a
                // descriptor of a file releases this process's lock on it)
                String text = Files.isRegularFile(key, LinkOption.NOFOLLOW_LINKS) ? Files.readString(key, StandardCharsets.ISO_8859_1) : null;
                if (text == null || !(text.isEmpty() || text.matches("pid \\d+\n"))) {
                    throw new DumpException(key + " is not the lock file of a logitlens dump; it is not overwritten: move it away, or choose another folder");
                }
            }
            channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw busy(folder, holder(key));
            }
            channel.truncate(0);
            ByteBuffer pid = ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
            while (pid.hasRemaining()) {
                channel.write(pid, pid.position());
            }
            CrashPoint.reach("dump folder locked");
            return new FolderLock(key, channel);
        } catch (IOException | RuntimeException | Error e) {
            if (channel != null) {
                channel.close();
            }
            HELD.remove(key);
            throw e;
        }
    }

    private static DumpException busy(Path folder, String holder) {
        return new DumpException(folder + " is being written by another dump (" + holder + "); wait for it to end, or choose another folder");
    }

    /** "pid N" as the holder wrote it, or words saying it has not (yet). Only read when this process holds no lock on it. */
    private static String holder(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (text.startsWith("pid ") && text.length() > 4 && text.substring(4).chars().allMatch(Character::isDigit)) {
                return text;
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return "a process that has not yet written its pid to " + NAME;
    }

    /** Empties the lock file, then releases the lock. */
    @Override
    public void close() throws IOException {
        try {
            CrashPoint.reach("releasing the lock");
            channel.truncate(0);
        } finally {
            try {
                channel.close();
            } finally {
                HELD.remove(key);
            }
        }
    }
}
