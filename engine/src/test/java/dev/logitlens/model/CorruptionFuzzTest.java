package dev.logitlens.model;

import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.CorruptFiles;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded random damage to the headers of valid files: every variant either opens (the damage hit
 * something harmless) or is rejected with a {@link ModelFormatException}; nothing else escapes.
 */
class CorruptionFuzzTest {

    private static final int VARIANTS = 400;

    @TempDir
    Path dir;

    private final CanonicalWeights weights = TinyGpt2.generate(TinyGpt2.config(7, 5, 8, 2, 1), 1, 4, false);

    @Test
    void gguf() throws IOException {
        Path valid = new GgufWriter(weights).write(dir.resolve("valid.gguf"));
        fuzz(valid, headerEnd(valid), "fuzz.gguf");
    }

    @Test
    void safetensors() throws IOException {
        Path folder = new SafetensorsWriter(weights).writeFolder(dir.resolve("valid"));
        Path valid = folder.resolve("model.safetensors");
        long headerEnd = 8 + ByteBuffer.wrap(Files.readAllBytes(valid), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        fuzz(valid, headerEnd, "fuzz.safetensors");
    }

    /** Where a GGUF file's tensor data starts: its size less the tensors' sizes, each padded to the alignment. */
    private static long headerEnd(Path gguf) throws IOException {
        try (ModelWeights opened = ModelFiles.open(gguf)) {
            return Files.size(gguf) - opened.tensors().stream().mapToLong(t -> (t.data().byteSize() + 31) / 32 * 32).sum();
        }
    }

    /** Damages copies of {@code valid} within its first {@code headerEnd} bytes: random bytes, lengths, or a cut. */
    private void fuzz(Path valid, long headerEnd, String name) throws IOException {
        Random random = new Random(1234);
        byte[] original = Files.readAllBytes(valid);
        int rejected = 0;
        for (int i = 0; i < VARIANTS; i++) {
            Path file = Files.write(valid.resolveSibling(name), original);
            long at = random.nextLong(headerEnd);
            switch (random.nextInt(4)) {
                case 0 -> CorruptFiles.flipByte(file, at);
                case 1 -> CorruptFiles.overwrite(file, at, new byte[] {(byte) random.nextInt(256), (byte) random.nextInt(256)});
                case 2 -> CorruptFiles.overwriteLong(file, Math.min(at, original.length - 8), random.nextLong() >>> random.nextInt(64));
                default -> CorruptFiles.truncate(file, at);
            }
            try {
                ModelFiles.open(file).close();
            } catch (ModelFormatException expected) {
                rejected++;
            } catch (Throwable unexpected) {
                fail("variant " + i + " escaped as " + unexpected, unexpected);
            }
        }
        assertTrue(rejected > VARIANTS / 2, "only " + rejected + " of " + VARIANTS + " damaged files were rejected");
    }
}
