package dev.logitlens.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicFileTest {

    @TempDir
    Path dir;

    private static void write(Path target, String text) throws IOException {
        AtomicFile.write(target, channel -> channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void aNewFileIsReadableByAllAndAReplacedOneKeepsItsPermissions() throws IOException {
        Path file = dir.resolve("new.txt");
        write(file, "one");
        assertEquals("one", Files.readString(file));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
        write(file, "two");
        assertEquals("two", Files.readString(file));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void aFailingWriterLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("kept.txt");
        write(file, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(file, channel -> {
            channel.write(ByteBuffer.wrap("half".getBytes(StandardCharsets.UTF_8)));
            throw new IOException("No space left on device");
        }));
        assertTrue(e.getMessage().contains("the disk is full"), e.getMessage());
        assertEquals("old", Files.readString(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "only the target is left");
        }
        IOException noFolder = assertThrows(IOException.class, () -> write(dir.resolve("missing/x.txt"), "x"));
        assertTrue(noFolder.getMessage().contains("does not exist"), noFolder.getMessage());
    }
}
