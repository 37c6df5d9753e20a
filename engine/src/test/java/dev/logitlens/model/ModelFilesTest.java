package dev.logitlens.model;

import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.CorruptFiles;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static dev.logitlens.model.ModelAssertions.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link ModelFiles#open} tells the formats apart. */
class ModelFilesTest {

    @TempDir
    Path dir;

    private final CanonicalWeights weights = TinyGpt2.generate(TinyGpt2.config(5, 4, 8, 2, 1), 3, 4, false);

    @Test
    void huggingFaceFolderByTheFolderOrItsFiles() throws IOException {
        Path folder = new SafetensorsWriter(weights).writeFolder(dir.resolve("single"));
        assertFormat("safetensors", folder);
        assertFormat("safetensors", folder.resolve("config.json"));
        assertFormat("safetensors", folder.resolve("model.safetensors"));
        Path sharded = new SafetensorsWriter(weights).writeSharded(dir.resolve("sharded"), 2);
        assertFormat("safetensors", sharded);
        assertFormat("safetensors", sharded.resolve("model.safetensors.index.json"));
    }

    @Test
    void ggufByExtensionOrMagic() throws IOException {
        Path file = new GgufWriter(weights).write(dir.resolve("tiny.gguf"));
        assertFormat("gguf", file);
        assertFormat("gguf", CorruptFiles.copy(file, "tiny.bin"));
    }

    @Test
    void llmVizJson() throws IOException {
        assertFormat("llm-viz-json", Fixtures.gptNanoSortModel());
    }

    @Test
    void somethingElse() throws IOException {
        assertRejected(Files.writeString(dir.resolve("weights.bin"), "not a model"), "not a model logitlens reads");
        assertRejected(dir.resolve("absent.gguf"), "no such file or folder");
        assertRejected(Files.createFile(dir.resolve("empty.json")), "empty file");
        assertRejected(Files.createFile(dir.resolve("empty.gguf")), "empty file");
    }

    /** A FIFO is refused before it is opened (opening one for reading waits for a writer forever). */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void specialFilesAreRefusedUnopened() throws Exception {
        Path noExtension = mkfifo(dir.resolve("model"));
        assertRejected(noExtension, "not a regular file");
        assertRejected(mkfifo(dir.resolve("model.json")), "not a regular file");
        Path folder = new SafetensorsWriter(weights).writeFolder(dir.resolve("fifo-config"));
        Files.delete(folder.resolve("config.json"));
        mkfifo(folder.resolve("config.json"));
        assertRejected(folder, "not a regular file");
    }

    /** config.json is read only up to 16 MiB (a 1 GB one cost 4 GB of heap and an OutOfMemoryError). */
    @Test
    void anOversizedConfigIsRefusedUnread() throws IOException {
        Path folder = new SafetensorsWriter(weights).writeFolder(dir.resolve("big-config"));
        try (RandomAccessFile config = new RandomAccessFile(folder.resolve("config.json").toFile(), "rw")) {
            config.setLength(JsonFiles.CONFIG_MAX_BYTES + 1); // sparse: nothing is written
        }
        assertRejected(folder, "more than the 16,777,216 bytes logitlens reads");
    }

    private static Path mkfifo(Path path) throws Exception {
        Process process = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        assertEquals(0, process.waitFor(), "mkfifo " + path);
        return path;
    }

    private static void assertFormat(String format, Path path) throws IOException {
        try (ModelWeights opened = ModelFiles.open(path)) {
            assertEquals(format, opened.format(), path.toString());
        }
    }
}
