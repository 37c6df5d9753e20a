package dev.logitlens.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Scratch files for the fuzz tests, whose readers take a path: one folder per JVM, one file per name, rewritten by
 * each execution (creating a folder per input would cost more than the read). The folder is deleted when the JVM
 * exits.
 */
public final class FuzzFiles {

    private static final Path DIR = createFolder();

    private FuzzFiles() {
    }

    /** The scratch folder, for files a target keeps from one execution to the next. */
    public static Path folder() {
        return DIR;
    }

    /** {@code bytes} as the file {@code name} in the scratch folder, replacing what it held. */
    public static Path write(String name, byte[] bytes) {
        return write(DIR.resolve(name), bytes);
    }

    /** {@code bytes} as {@code file}, replacing what it held. */
    public static Path write(Path file, byte[] bytes) {
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path createFolder() {
        try {
            Path dir = Files.createTempDirectory("logitlens-fuzz");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder left behind is harmless
        }
    }
}
