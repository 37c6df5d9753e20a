package dev.logitlens.model;

import dev.logitlens.testing.Fixtures;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static dev.logitlens.model.ModelAssertions.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad variants of the llm-viz fixture model. */
class LlmVizJsonModelTest {

    @TempDir
    Path dir;

    @Test
    void withoutLmHeadTheUnembeddingIsTied() throws IOException {
        try (ModelWeights opened = ModelFiles.open(variant(m -> m.remove("lm_head.weight")))) {
            assertTrue(opened.tiedUnembedding());
            assertEquals("token_embd.weight", opened.unembedding().name());
        }
    }

    @Test
    void useAfterCloseThrowsInsteadOfCrashing() throws IOException {
        ModelWeights opened = ModelFiles.open(Fixtures.gptNanoSortModel());
        TensorInfo wte = opened.tensor("token_embd.weight");
        opened.close();
        assertThrows(IllegalStateException.class, () -> wte.data().get(ValueLayout.JAVA_FLOAT, 0));
    }

    @Test
    void missingTensor() throws IOException {
        assertRejected(variant(m -> m.remove("transformer.h.2.ln_2.bias")), "missing tensor transformer.h.2.ln_2.bias");
    }

    @Test
    void wrongShape() throws IOException {
        assertRejected(variant(m -> m.put("transformer.h.1.attn.c_attn.weight",
                        withField(m.get("transformer.h.1.attn.c_attn.weight"), "shape", List.of(48, 144)))),
                "tensor transformer.h.1.attn.c_attn.weight has shape [48, 144], expected [144, 48]");
    }

    @Test
    void dataShorterThanTheShape() throws IOException {
        assertRejected(variant(m -> m.put("transformer.ln_f.bias", withField(m.get("transformer.ln_f.bias"), "data", "AAAAAA=="))),
                "tensor transformer.ln_f.bias has 4 bytes of data, F32 [48] needs 192");
    }

    @Test
    void badBase64() throws IOException {
        assertRejected(variant(m -> m.put("transformer.ln_f.bias", withField(m.get("transformer.ln_f.bias"), "data", "**"))),
                "tensor transformer.ln_f.bias: data is not valid base64");
    }

    @Test
    void unsupportedDtype() throws IOException {
        assertRejected(variant(m -> m.put("transformer.wpe.weight", withField(m.get("transformer.wpe.weight"), "dtype", "torch.float16"))),
                "unsupported dtype torch.float16 for transformer.wpe.weight: llm-viz models hold torch.float32");
    }

    @Test
    void badConfig() throws IOException {
        assertRejected(variant(m -> m.remove("config")), "no config object");
        assertRejected(variant(m -> m.put("config", withField(m.get("config"), "n_head", 5))),
                "its config object: n_embd 48 is not a multiple of n_head 5");
        assertRejected(variant(m -> m.put("config", withField(m.get("config"), "vocab_size", 4))),
                "tensor transformer.wte.weight has shape [3, 48], expected [4, 48]");
    }

    @Test
    void unexpectedTensor() throws IOException {
        assertRejected(variant(m -> m.put("transformer.h.9.ln_1.bias", m.get("transformer.h.0.ln_1.bias"))),
                "unexpected tensor transformer.h.9.ln_1.bias");
    }

    @Test
    void invalidJson() throws IOException {
        Path file = Files.writeString(dir.resolve("model.json"), Files.readString(Fixtures.gptNanoSortModel()).substring(0, 1000));
        assertRejected(file, "invalid JSON at line");
        assertRejected(Files.writeString(dir.resolve("array.json"), "[1, 2]"), "the model file must be an object, not an array");
    }

    /** The fixture model with {@code change} applied to its top-level object. */
    private Path variant(Consumer<Map<String, Object>> change) throws IOException {
        Map<String, Object> model = new LinkedHashMap<>(Json.asObject(Json.parse(Files.readString(Fixtures.gptNanoSortModel())), "model"));
        change.accept(model);
        return Files.writeString(dir.resolve("variant.json"), Json.write(model));
    }

    private static Map<String, Object> withField(Object object, String key, Object value) {
        @SuppressWarnings("unchecked")
        Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) object);
        copy.put(key, value);
        return copy;
    }
}
