package dev.logitlens.model;

import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.CorruptFiles;
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.logitlens.model.ModelAssertions.assertRejected;
import static dev.logitlens.model.ModelAssertions.assertSameWeights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsModelTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(13, 9, 16, 2, 2);

    @TempDir
    Path dir;

    private final CanonicalWeights untied = TinyGpt2.generate(CONFIG, 21, 4, false);
    private final CanonicalWeights tied = TinyGpt2.generate(CONFIG, 22, 4, true);

    @ParameterizedTest(name = "{0}, prefixed {1}, tied {2}")
    @CsvSource({
        "F32, true, false",
        "F32, false, false",
        "F32, true, true",
        "F32, false, true",
        "F16, true, false",
        "F16, false, true",
        "BF16, true, true",
        "BF16, false, false",
    })
    void roundTripThroughAFolder(TensorType type, boolean prefixed, boolean isTied) throws IOException {
        CanonicalWeights weights = isTied ? tied : untied;
        Path folder = new SafetensorsWriter(weights).type(type).prefixed(prefixed).writeFolder(dir.resolve("gpt2"));
        try (ModelWeights opened = ModelFiles.open(folder)) {
            assertEquals("safetensors", opened.format());
            assertSameWeights(weights, opened, t -> type);
            for (TensorInfo t : opened.tensors()) {
                boolean conv1d = t.name().matches("blk\\.\\d+\\.(attn_qkv|attn_output|ffn_up|ffn_down)\\.weight");
                long[] canonical = weights.shape(t.name());
                assertEquals(conv1d ? MatrixLayout.IN_OUT : MatrixLayout.OUT_IN, t.layout(), t.name());
                assertArrayEquals(conv1d ? new long[] {canonical[1], canonical[0]} : canonical, t.shape(), t.name());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void roundTripThroughShards(int shards) throws IOException {
        Path folder = new SafetensorsWriter(untied).type(TensorType.F16).writeSharded(dir.resolve("gpt2"), shards);
        try (ModelWeights opened = ModelFiles.open(folder)) {
            assertSameWeights(untied, opened, t -> TensorType.F16);
            assertEquals(folder.resolve("model.safetensors.index.json"), opened.source());
        }
    }

    @Test
    void aSafetensorsFileWithItsConfigBeside() throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter(untied);
        Path file = writer.writeFile(dir.resolve("weights.safetensors"));
        writer.writeConfig(dir.resolve("config.json"));
        try (ModelWeights opened = ModelFiles.open(file)) {
            assertSameWeights(untied, opened, t -> TensorType.F32);
            assertEquals(file, opened.source());
        }
    }

    @Test
    void anLmHeadThatCopiesTheTokenEmbeddingIsTied() throws IOException {
        Path folder = new SafetensorsWriter(tied).lmHeadWhenTied(true).writeFolder(dir.resolve("gpt2"));
        try (ModelWeights opened = ModelFiles.open(folder)) {
            assertTrue(opened.tiedUnembedding());
            assertSameWeights(tied, opened, t -> TensorType.F32);
        }
    }

    @Test
    void maskBuffersAreNotNeeded() throws IOException {
        Path folder = new SafetensorsWriter(untied).maskBuffers(false).writeFolder(dir.resolve("gpt2"));
        try (ModelWeights opened = ModelFiles.open(folder)) {
            assertSameWeights(untied, opened, t -> TensorType.F32);
        }
    }

    @Test
    void useAfterCloseThrowsInsteadOfCrashing() throws IOException {
        ModelWeights opened = ModelFiles.open(new SafetensorsWriter(untied).writeSharded(dir.resolve("gpt2"), 2));
        TensorInfo first = opened.tensors().getFirst();
        TensorInfo last = opened.tensors().getLast();
        opened.close();
        assertThrows(IllegalStateException.class, () -> first.data().get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> last.data().get(ValueLayout.JAVA_BYTE, 0));
    }

    // ---- bad files ----

    @Test
    void emptyFile() throws IOException {
        Path folder = new SafetensorsWriter(untied).writeFolder(dir.resolve("gpt2"));
        Files.write(folder.resolve("model.safetensors"), new byte[0]);
        assertRejected(folder.resolve("model.safetensors"), "empty file");
    }

    @Test
    void truncatedAtSeveralPoints() throws IOException {
        Path file = modelFile();
        long size = Files.size(file);
        long headerEnd = 8 + headerLength(file);
        assertRejected(CorruptFiles.truncate(modelFile(), 5), "truncated: 5 bytes, shorter than the 8-byte header length");
        assertRejected(CorruptFiles.truncate(modelFile(), 100), "truncated: header says it is " + (headerEnd - 8)
                + " bytes, file has 92 after the length");
        assertRejected(CorruptFiles.truncate(modelFile(), headerEnd + 10), "truncated: header says " + (size - headerEnd)
                + " bytes of data (to the end of lm_head.weight), file has 10");
        assertRejected(CorruptFiles.truncate(modelFile(), size - 1), "file has " + (size - headerEnd - 1));
    }

    @Test
    void corruptHeader() throws IOException {
        assertRejected(CorruptFiles.overwriteLong(modelFile(), 0, 1L << 40), "corrupt: header length 1099511627776 is outside");
        assertRejected(CorruptFiles.overwriteLong(modelFile(), 0, -8), "corrupt: header length 18446744073709551608");
        Path arrayHeader = modelFile();
        Files.write(arrayHeader, new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '[', '1', ']', ' ', ' ', ' ', ' ', ' '});
        assertRejected(arrayHeader, "header: the header must be an object, not an array");
        assertRejected(CorruptFiles.overwrite(modelFile(), 9, new byte[] {'x'}), "header: invalid JSON at line 1, column 2");
        assertRejected(CorruptFiles.overwrite(modelFile(), 9, new byte[] {(byte) 0xC3}), "header: not valid UTF-8");
    }

    @Test
    void missingTensor() throws IOException {
        assertRejected(new SafetensorsWriter(untied).without("transformer.h.1.mlp.c_fc.bias").writeFolder(dir.resolve("a")),
                "missing tensor transformer.h.1.mlp.c_fc.bias");
        assertRejected(new SafetensorsWriter(untied).prefixed(false).without("ln_f.weight").writeFolder(dir.resolve("b")),
                "missing tensor ln_f.weight");
    }

    @Test
    void wrongShape() throws IOException {
        Path folder = new SafetensorsWriter(untied).prefixed(false)
                .withTensor("h.0.attn.c_attn.weight", new long[] {16, 40}, new float[16 * 40]).writeFolder(dir.resolve("a"));
        assertRejected(folder, "model.safetensors: tensor h.0.attn.c_attn.weight has shape [16, 40], expected [16, 48]");
        folder = new SafetensorsWriter(untied).prefixed(false)
                .withTensor("h.1.mlp.c_proj.weight", new long[] {16, 64}, new float[16 * 64]).writeFolder(dir.resolve("b"));
        assertRejected(folder, "tensor h.1.mlp.c_proj.weight has shape [16, 64], expected [64, 16]");
    }

    @Test
    void unsupportedDtype() throws IOException {
        assertRejected(new SafetensorsWriter(untied).withDtype("transformer.h.0.ln_1.weight", "I64").writeFolder(dir.resolve("a")),
                "unsupported dtype I64 for transformer.h.0.ln_1.weight: logitlens reads F32, F16 and BF16");
        assertRejected(new SafetensorsWriter(untied).withDtype("transformer.wte.weight", "F8_E4M3").writeFolder(dir.resolve("b")),
                "unsupported dtype F8_E4M3 for transformer.wte.weight");
    }

    @Test
    void dataSizeDisagreesWithTheShape() throws IOException {
        assertRejected(new SafetensorsWriter(untied).withDtype("transformer.h.0.ln_1.weight", "F16").writeFolder(dir.resolve("a")),
                "tensor transformer.h.0.ln_1.weight has 64 bytes of data, F16 [16] needs 32");
    }

    @Test
    void unexpectedTensor() throws IOException {
        assertRejected(new SafetensorsWriter(untied).withTensor("score.weight", new long[] {2, 16}, new float[32])
                .writeFolder(dir.resolve("a")), "unexpected tensor score.weight: not a GPT-2 weight");
        assertRejected(new SafetensorsWriter(untied).withTensor("transformer.h.2.ln_1.bias", new long[] {16}, new float[16])
                .writeFolder(dir.resolve("b")), "unexpected tensor transformer.h.2.ln_1.bias for a GPT-2 model with");
        assertRejected(new SafetensorsWriter(untied).withTensor("h.0.ln_1.bias", new long[] {16}, new float[16])
                .writeFolder(dir.resolve("c")), "tensors transformer.h.0.ln_1.bias and h.0.ln_1.bias are both blk.0.attn_norm.bias");
    }

    @Test
    void configInconsistentWithTheTensors() throws IOException {
        assertRejected(new SafetensorsWriter(untied).withConfig("vocab_size", 99).writeFolder(dir.resolve("a")),
                "tensor transformer.wte.weight has shape [13, 16], expected [99, 16] for n_vocab=99");
        assertRejected(new SafetensorsWriter(untied).withConfig("n_layer", 3).writeFolder(dir.resolve("b")),
                "missing tensor transformer.h.2.ln_1.weight");
        // as GgufFuzzTest found for GGUF: n_layer in range but far beyond the file's tensors
        assertRejected(new SafetensorsWriter(untied).withConfig("n_layer", 1 << 28).writeFolder(dir.resolve("b2")),
                "missing tensor transformer.h.2.ln_1.weight");
        assertRejected(new SafetensorsWriter(untied).withConfig("n_positions", 4).writeFolder(dir.resolve("c")),
                "(from config.json)");
        assertRejected(new SafetensorsWriter(untied).withConfig("n_head", 3).writeFolder(dir.resolve("d")),
                "config.json: n_embd 16 is not a multiple of n_head 3");
    }

    @Test
    void badConfig() throws IOException {
        assertRejected(new SafetensorsWriter(untied).withConfig("n_embd", null).writeFolder(dir.resolve("a")),
                "config.json: missing n_embd");
        assertRejected(new SafetensorsWriter(untied).withConfig("n_embd", "16").writeFolder(dir.resolve("b")),
                "config.json: n_embd must be an integer, not the string \"16\"");
        assertRejected(new SafetensorsWriter(untied).withConfig("model_type", "llama").writeFolder(dir.resolve("c")),
                "config.json: model_type is \"llama\": logitlens reads gpt2 models only");
        Path folder = new SafetensorsWriter(untied).writeFolder(dir.resolve("d"));
        Files.writeString(folder.resolve("config.json"), "{\"n_embd\": 16,}");
        assertRejected(folder, "config.json: invalid JSON at line 1, column 15");
        // a number beyond a double (found by JsonFuzzTest): quoted in the message, it escaped as an IllegalArgumentException
        Files.writeString(folder.resolve("config.json"), "{\"model_type\": 1e999}");
        assertRejected(folder, "config.json: invalid JSON at line 1, column 16: number 1e999 is out of range");
    }

    @Test
    void untiedConfigWithoutAnLmHead() throws IOException {
        assertRejected(new SafetensorsWriter(tied).withConfig("tie_word_embeddings", false).writeFolder(dir.resolve("a")),
                "missing tensor lm_head.weight: config.json sets tie_word_embeddings to false");
    }

    @Test
    void missingFiles() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("empty"));
        assertRejected(folder, "no config.json");
        new SafetensorsWriter(untied).writeConfig(folder.resolve("config.json"));
        assertRejected(folder, "no model.safetensors or model.safetensors.index.json");
        Path lone = new SafetensorsWriter(untied).writeFile(Files.createDirectories(dir.resolve("lone")).resolve("w.safetensors"));
        assertRejected(lone, "no config.json beside it");
    }

    @Test
    void badShards() throws IOException {
        Path folder = new SafetensorsWriter(untied).writeSharded(dir.resolve("a"), 2);
        Files.delete(folder.resolve("model-00002-of-00002.safetensors"));
        assertRejected(folder, "model.safetensors.index.json: shard model-00002-of-00002.safetensors does not exist");

        folder = new SafetensorsWriter(untied).writeSharded(dir.resolve("b"), 2);
        Path index = folder.resolve("model.safetensors.index.json");
        Files.writeString(index, Files.readString(index).replaceFirst("model-00002-of-00002", "../../etc/passwd"));
        assertRejected(folder, "weight_map names shard \"../../etc/passwd.safetensors\", not a file in the same folder");

        folder = new SafetensorsWriter(untied).writeSharded(dir.resolve("c"), 2);
        index = folder.resolve("model.safetensors.index.json");
        Files.writeString(index, Files.readString(index).replace("\"transformer.wpe.weight\"", "\"transformer.nothing\""));
        assertRejected(folder, "weight_map puts transformer.nothing in model-00002-of-00002.safetensors, which does not contain it");
    }

    private Path modelFile() throws IOException {
        return new SafetensorsWriter(untied).writeFolder(dir.resolve("gpt2")).resolve("model.safetensors");
    }

    private static long headerLength(Path file) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }
}
