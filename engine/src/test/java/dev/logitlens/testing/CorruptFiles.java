package dev.logitlens.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Byte-level damage to files, for tests of readers. Each method changes the file in place and returns it. */
public final class CorruptFiles {

    private CorruptFiles() {
    }

    /** A copy of {@code file} named {@code name} in the same folder. */
    public static Path copy(Path file, String name) throws IOException {
        return Files.copy(file, file.resolveSibling(name), StandardCopyOption.REPLACE_EXISTING);
    }

    /** Cuts the file to its first {@code size} bytes. */
    public static Path truncate(Path file, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        }
        return file;
    }

    public static Path overwrite(Path file, long offset, byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes), offset);
        }
        return file;
    }

    /** Writes {@code value} as 8 little-endian bytes at {@code offset}. */
    public static Path overwriteLong(Path file, long offset, long value) throws IOException {
        return overwrite(file, offset, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
    }

    /** Inverts every bit of the byte at {@code offset}. */
    public static Path flipByte(Path file, long offset) throws IOException {
        byte[] all = Files.readAllBytes(file);
        return overwrite(file, offset, new byte[] {(byte) ~all[Math.toIntExact(offset)]});
    }
}
