package dev.logitlens.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** A folder's whole content, hidden files included, to compare two folders byte for byte. */
public final class FolderBytes {

    private FolderBytes() {
    }

    /** Every file under {@code folder} by its relative path ("/"-separated); every folder as a path ending in "/". */
    public static Map<String, byte[]> of(Path folder) throws IOException {
        Map<String, byte[]> content = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.filter(p -> !p.equals(folder)).toList()) {
                String name = folder.relativize(path).toString().replace('\\', '/');
                if (Files.isDirectory(path)) {
                    content.put(name + "/", new byte[0]);
                } else {
                    content.put(name, Files.readAllBytes(path));
                }
            }
        }
        return content;
    }

    /** The names in {@code folder}, sorted. */
    public static List<String> names(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    public static void assertSame(Map<String, byte[]> expected, Map<String, byte[]> actual) {
        assertSame(expected, actual, "");
    }

    public static void assertSame(Map<String, byte[]> expected, Map<String, byte[]> actual, String context) {
        assertEquals(expected.keySet(), actual.keySet(), context + "the same files");
        for (Map.Entry<String, byte[]> entry : expected.entrySet()) {
            if (!Arrays.equals(entry.getValue(), actual.get(entry.getKey()))) {
                fail(context + entry.getKey() + " differs (" + entry.getValue().length + " bytes expected, "
                        + actual.get(entry.getKey()).length + " found)");
            }
        }
    }

    public static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
