package dev.logitlens.model;

import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.CorruptFiles;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.logitlens.model.ModelAssertions.assertRejected;
import static dev.logitlens.model.ModelAssertions.assertSameWeights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufModelTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(11, 7, 16, 4, 2);
    /** Where the first metadata key's length lies: after magic, version, tensor count and entry count. */
    private static final long FIRST_KEY_LENGTH_OFFSET = 4 + 4 + 8 + 8;

    @TempDir
    Path dir;

    private final CanonicalWeights untied = TinyGpt2.generate(CONFIG, 7, 4, false);
    private final CanonicalWeights tied = TinyGpt2.generate(CONFIG, 8, 4, true);

    @ParameterizedTest(name = "matrices {0}, vectors {1}, tied {2}, version {3}, alignment {4}")
    @CsvSource({
        "F32, F32, false, 3, 32",
        "F32, F32, true, 3, 32",
        "F16, F32, false, 3, 32",
        "F16, F16, true, 2, 32",
        "BF16, F32, false, 3, 64",
        "BF16, BF16, true, 3, 32",
    })
    void roundTrip(TensorType matrices, TensorType vectors, boolean isTied, int version, int alignment) throws IOException {
        CanonicalWeights weights = isTied ? tied : untied;
        Path file = new GgufWriter(weights).matrixType(matrices).vectorType(vectors).version(version).alignment(alignment)
                .write(dir.resolve("model.gguf"));
        try (ModelWeights opened = GgufModel.open(file)) {
            assertEquals("gguf", opened.format());
            assertEquals(file, opened.source());
            assertSameWeights(weights, opened, t -> t.rank() == 1 ? vectors : matrices);
            for (TensorInfo t : opened.tensors()) {
                assertEquals(MatrixLayout.OUT_IN, t.layout(), t.name());
                assertArrayEquals(weights.shape(t.name()), t.shape(), t.name());
                assertTrue(t.data().isReadOnly(), t.name());
            }
            assertEquals(isTied ? "token_embd.weight" : "output.weight", opened.unembedding().name());
        }
    }

    @Test
    void anOutputThatCopiesTheTokenEmbeddingIsTied() throws IOException {
        // llama.cpp's converter writes GPT-2's tied unembedding out again as output.weight
        Path file = new GgufWriter(tied)
                .withTensor("output.weight", tied.shape("token_embd.weight"), tied.get("token_embd.weight"))
                .write(dir.resolve("model.gguf"));
        try (ModelWeights opened = GgufModel.open(file)) {
            assertTrue(opened.tiedUnembedding());
            assertEquals("token_embd.weight", opened.unembedding().name());
            assertFalse(opened.tensors().stream().anyMatch(t -> t.name().equals("output.weight")));
        }
    }

    @Test
    void useAfterCloseThrowsInsteadOfCrashing() throws IOException {
        ModelWeights opened = GgufModel.open(new GgufWriter(untied).write(dir.resolve("model.gguf")));
        TensorInfo qkv = opened.tensor("blk.0.attn_qkv.weight");
        opened.close();
        opened.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> qkv.data().get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void unknownTensorNameIsAnIllegalArgument() throws IOException {
        try (ModelWeights opened = GgufModel.open(new GgufWriter(tied).write(dir.resolve("model.gguf")))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opened.tensor("output.weight"));
            assertTrue(e.getMessage().contains("output.weight"), e.getMessage());
        }
    }

    // ---- bad files ----

    @Test
    void emptyFile() throws IOException {
        assertRejected(Files.createFile(dir.resolve("empty.gguf")), "empty file");
    }

    @ParameterizedTest
    @ValueSource(longs = {3, 10, 30, 200, 700})
    void truncatedInTheHeader(long size) throws IOException {
        assertRejected(CorruptFiles.truncate(validFile(), size), "truncated");
    }

    @Test
    void truncatedInTheData() throws IOException {
        long dataSize = Files.size(validFile()) - headerSize();
        assertRejected(CorruptFiles.truncate(validFile(), headerSize() + dataSize - 100),
                "truncated or corrupt: header says ");
        assertRejected(CorruptFiles.truncate(validFile(), headerSize() + dataSize - 100), "file has " + (dataSize - 100));
        assertRejected(CorruptFiles.truncate(validFile(), headerSize()), "file has 0");
    }

    @Test
    void corruptMagic() throws IOException {
        assertRejected(CorruptFiles.flipByte(validFile(), 1), "not a GGUF file");
    }

    @Test
    void unsupportedVersion() throws IOException {
        assertRejected(CorruptFiles.overwrite(validFile(), 4, new byte[] {1, 0, 0, 0}), "unsupported GGUF version 1");
        assertRejected(CorruptFiles.overwrite(validFile(), 4, new byte[] {0, 0, 0, 3}), "big-endian");
    }

    @Test
    void hugeStringLength() throws IOException {
        Path file = CorruptFiles.overwriteLong(validFile(), FIRST_KEY_LENGTH_OFFSET, 1L << 60);
        assertRejected(file, "the key of metadata entry 0 at offset 32 needs 1152921504606846976 bytes");
    }

    @Test
    void stringLengthAboveTwoToTheSixtyThree() throws IOException {
        assertRejected(CorruptFiles.overwriteLong(validFile(), FIRST_KEY_LENGTH_OFFSET, -1), "needs 18446744073709551615 bytes");
    }

    @Test
    void hugeCounts() throws IOException {
        assertRejected(CorruptFiles.overwriteLong(validFile(), 8, 1L << 62), "claims 4611686018427387904 tensors");
        assertRejected(CorruptFiles.overwriteLong(validFile(), 16, -1), "claims 18446744073709551615 metadata entries");
    }

    @Test
    void tensorOffsetPastTheEnd() throws IOException {
        Path file = new GgufWriter(untied).withOffset("blk.1.ffn_up.weight", 1L << 40).write(dir.resolve("m.gguf"));
        assertRejected(file, "tensor blk.1.ffn_up.weight at offset 1099511627776");
        file = new GgufWriter(untied).withOffset("blk.1.ffn_up.weight", -64).write(dir.resolve("m.gguf"));
        assertRejected(file, "more than 2^63 bytes of data (tensor blk.1.ffn_up.weight");
    }

    @Test
    void tensorsThatShareBytesAreRefused() throws IOException {
        Path file = new GgufWriter(untied).withOffset("blk.0.attn_norm.weight", 0).write(dir.resolve("m.gguf"));
        assertRejected(file, "tensors blk.0.attn_norm.weight and token_embd.weight share bytes of the file");
        file = new GgufWriter(untied).withOffset("blk.1.ffn_up.bias", 0).withOffset("blk.1.ffn_down.bias", 0).write(dir.resolve("m.gguf"));
        assertRejected(file, "share bytes of the file");
    }

    @Test
    void misalignedTensorOffset() throws IOException {
        Path file = new GgufWriter(untied).withOffset("blk.0.attn_qkv.bias", 4).write(dir.resolve("m.gguf"));
        assertRejected(file, "tensor blk.0.attn_qkv.bias has offset 4, not a multiple of the alignment 32");
    }

    @Test
    void missingTensor() throws IOException {
        assertRejected(new GgufWriter(untied).without("blk.1.ffn_up.bias").write(dir.resolve("m.gguf")),
                "missing tensor blk.1.ffn_up.bias");
        assertRejected(new GgufWriter(untied).without("token_embd.weight").write(dir.resolve("m.gguf")),
                "missing tensor token_embd.weight");
    }

    @Test
    void wrongShape() throws IOException {
        Path file = new GgufWriter(untied).withTensor("blk.0.attn_qkv.weight", new long[] {40, 16}, new float[40 * 16])
                .write(dir.resolve("m.gguf"));
        assertRejected(file, "tensor blk.0.attn_qkv.weight has shape [40, 16], expected [48, 16]");
        file = new GgufWriter(untied).withTensor("position_embd.weight", new long[] {16, 7}, new float[16 * 7])
                .write(dir.resolve("m.gguf"));
        assertRejected(file, "tensor position_embd.weight has shape [16, 7], expected [7, 16]");
    }

    @Test
    void unsupportedTensorType() throws IOException {
        assertRejected(new GgufWriter(untied).withTypeCode("blk.0.ffn_down.weight", 8).write(dir.resolve("m.gguf")),
                "tensor blk.0.ffn_down.weight has type Q8_0 (ggml type 8): logitlens reads F32, F16 and BF16");
        assertRejected(new GgufWriter(untied).withTypeCode("blk.0.ffn_down.weight", 1000).write(dir.resolve("m.gguf")),
                "has type ggml type 1000");
    }

    @Test
    void tooManyDimensions() throws IOException {
        Path file = new GgufWriter(untied).withTensor("output_norm.bias", new long[] {1, 1, 1, 1, 16}, new float[16])
                .write(dir.resolve("m.gguf"));
        assertRejected(file, "tensor output_norm.bias has 5 dimensions, expected 1 to 4");
    }

    @Test
    void unexpectedTensor() throws IOException {
        assertRejected(new GgufWriter(untied).withTensor("blk.2.attn_qkv.bias", new long[] {48}, new float[48])
                .write(dir.resolve("m.gguf")), "unexpected tensor blk.2.attn_qkv.bias for a GPT-2 model with");
        assertRejected(new GgufWriter(untied).withTensor("rope_freqs.weight", new long[] {8}, new float[8])
                .write(dir.resolve("m.gguf")), "unexpected tensor rope_freqs.weight");
    }

    @Test
    void otherArchitecture() throws IOException {
        assertRejected(new GgufWriter(untied).withMetadata("general.architecture", "llama").write(dir.resolve("m.gguf")),
                "general.architecture is \"llama\": logitlens reads gpt2 models only");
    }

    @Test
    void missingOrMistypedMetadata() throws IOException {
        assertRejected(new GgufWriter(untied).withMetadata("gpt2.block_count", null).write(dir.resolve("m.gguf")),
                "missing metadata key gpt2.block_count");
        assertRejected(new GgufWriter(untied).withMetadata("gpt2.context_length", "seven").write(dir.resolve("m.gguf")),
                "metadata key gpt2.context_length is the string \"seven\", expected an integer");
        assertRejected(new GgufWriter(untied).withMetadata("gpt2.attention.layer_norm_epsilon", null).write(dir.resolve("m.gguf")),
                "missing metadata key gpt2.attention.layer_norm_epsilon");
    }

    @Test
    void metadataInconsistentWithTensors() throws IOException {
        assertRejected(new GgufWriter(untied).withMetadata("gpt2.block_count", 3).write(dir.resolve("m.gguf")),
                "missing tensor blk.2.attn_norm.weight");
        // found by GgufFuzzTest (its input timeout-03251ef2...): a block count in range but far beyond the file's
        // tensors made the reader list the names of every block, running out of memory or time
        for (int blocks : new int[] {236_847_104, 1 << 28}) {
            assertRejected(new GgufWriter(untied).withMetadata("gpt2.block_count", blocks).write(dir.resolve("m.gguf")),
                    "missing tensor blk.2.attn_norm.weight");
        }
        assertRejected(new GgufWriter(untied).withMetadata("gpt2.embedding_length", 32).write(dir.resolve("m.gguf")),
                "tensor token_embd.weight has shape [11, 16], expected [11, 32]");
        assertRejected(new GgufWriter(untied).withMetadata("gpt2.attention.head_count", 5).write(dir.resolve("m.gguf")),
                "n_embd 16 is not a multiple of n_head 5");
        assertRejected(new GgufWriter(untied).withMetadata("gpt2.context_length", 0).write(dir.resolve("m.gguf")),
                "n_ctx = 0 is out of range");
    }

    @Test
    void badAlignment() throws IOException {
        assertRejected(new GgufWriter(untied).alignment(24).write(dir.resolve("m.gguf")),
                "general.alignment 24 is not a power of two");
    }

    private Path validFile() throws IOException {
        return new GgufWriter(untied).write(dir.resolve("model.gguf"));
    }

    /** Bytes before the tensor data: a valid file's size less the tensors' aligned sizes. */
    private long headerSize() throws IOException {
        Path probe = new GgufWriter(untied).write(dir.resolve("probe.gguf"));
        try (ModelWeights opened = GgufModel.open(probe)) {
            long data = opened.tensors().stream().mapToLong(t -> (t.data().byteSize() + 31) / 32 * 32).sum();
            return Files.size(probe) - data;
        }
    }
}
