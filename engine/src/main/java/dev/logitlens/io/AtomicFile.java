package dev.logitlens.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes a file so that readers see either the old file or the complete new one: the bytes go to a
 * temporary file in the same folder, which is forced to disk and renamed over the target. A failure
 * (a full disk, an exception in the writer) deletes the temporary file and leaves the target as it was.
 */
public final class AtomicFile {

    /** Writes the content of a file through a channel. */
    @FunctionalInterface
    public interface ChannelWriter {
        void write(FileChannel channel) throws IOException;
    }

    private AtomicFile() {
    }

    public static void write(Path target, ChannelWriter writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        if (folder != null && !Files.isDirectory(folder)) {
            throw new IOException("cannot write " + target + ": folder " + folder + " does not exist");
        }
        Path partial = Files.createTempFile(folder, "." + absolute.getFileName(), ".partial");
        String name = absolute.getFileName().toString();
        CrashPoint.reach("temporary file of " + name + " created");
        boolean done = false;
        try {
            publishable(partial, absolute);
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(channel);
                CrashPoint.reach("temporary file of " + name + " written, not forced");
                channel.force(true);
            }
            CrashPoint.reach("rename to " + name);
            try {
                Files.move(partial, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            CrashPoint.reach("renamed to " + name);
        } catch (IOException e) {
            throw new IOException("cannot write " + target + ": " + describe(e), e);
        } finally {
            if (!done) {
                Files.deleteIfExists(partial);
            }
        }
    }

    /**
     * Gives the temporary file (created owner-only) the permissions the target would get: the target's own when it
     * exists, else read-write for the owner and readable by all (0644), as an ordinary new file under the usual umask.
     */
    private static void publishable(Path partial, Path target) throws IOException {
        if (!partial.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Set<PosixFilePermission> permissions = Files.exists(target)
                ? Files.getPosixFilePermissions(target)
                : PosixFilePermissions.fromString("rw-r--r--");
        Files.setPosixFilePermissions(partial, permissions);
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        if (message != null && message.contains("No space left on device")) {
            return "the disk is full (nothing was written; the previous file, if any, is unchanged)";
        }
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
