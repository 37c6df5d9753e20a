package dev.logitlens.dump;

import dev.logitlens.io.CrashPoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * The one writer of a dump folder: an OS lock ({@link FileChannel#tryLock()}) on {@value #NAME} inside it. The OS
 * drops the lock when its process ends however it ends, so the lock of a killed dump is simply taken over; the file
 * holds the holder's pid only for the message of whoever finds it taken. Released (and the file removed) by
 * {@link #close()}.
 *
 * <p>The file is removed while locked, so a second dump that opened it just before may then lock the removed file:
 * each holder therefore writes a random token into the file it locked and checks that the file under the name holds
 * it, and tries again otherwise.
 */
final class FolderLock implements AutoCloseable {

    static final String NAME = ".logitlens-dump.lock";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    private final FileChannel channel;

    private FolderLock(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Locks {@code folder} (which exists) or fails at once, naming the holder. */
    static FolderLock take(Path folder) throws IOException {
        Path file = folder.resolve(NAME);
        for (int attempt = 0; ; attempt++) {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            boolean kept = false;
            try {
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null; // held by this very process
                }
                if (lock == null) {
                    throw new DumpException(folder + " is being written by another dump (" + holder(file)
                            + "); wait for it to end, or choose another folder");
                }
                byte[] mine = ("pid " + ProcessHandle.current().pid() + " token " + Long.toHexString(RANDOM.nextLong()) + "\n")
                        .getBytes(StandardCharsets.US_ASCII);
                channel.truncate(0);
                ByteBuffer buffer = ByteBuffer.wrap(mine);
                while (buffer.hasRemaining()) {
                    channel.write(buffer, buffer.position());
                }
                byte[] there;
                try {
                    there = Files.readAllBytes(file);
                } catch (NoSuchFileException e) {
                    there = new byte[0];
                }
                if (java.util.Arrays.equals(mine, there)) {
                    kept = true;
                    CrashPoint.reach("dump folder locked");
                    return new FolderLock(file, channel);
                }
                if (attempt >= 100) {
                    throw new DumpException("cannot lock " + folder + ": " + NAME + " keeps being replaced");
                }
            } finally {
                if (!kept) {
                    channel.close();
                }
            }
        }
    }

    /** "pid N" as the holder wrote it, or words saying it has not yet. */
    private static String holder(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (text.startsWith("pid ")) {
                String pid = text.substring(4).split(" ", 2)[0];
                if (!pid.isEmpty() && pid.chars().allMatch(Character::isDigit)) {
                    return "pid " + pid;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return "a process that has not yet written its pid to " + file.getFileName();
    }

    /** Removes the lock file, then releases the lock: nothing of it is left in the folder. */
    @Override
    public void close() throws IOException {
        try {
            CrashPoint.reach("removing the lock file");
            Files.deleteIfExists(file);
        } finally {
            channel.close();
        }
    }
}
