package dev.logitlens.model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Reads a model in the JSON format of bbycroft/llm-viz ({@code gpt-nano-sort-model.json}): a
 * {@code config} object (minGPT's {@code n_layer}, {@code n_head}, {@code n_embd}, {@code vocab_size},
 * {@code block_size}) and one entry per tensor, {@code {"shape", "dtype": "torch.float32", "data": base64}}
 * holding little-endian float32 in row-major order. Names are Hugging Face GPT-2's with the
 * {@code transformer.} prefix, but matrices are {@code nn.Linear} weights, {@code [out, in]} (canonical);
 * {@code lm_head.weight} is a separate unembedding. The data is decoded into off-heap memory.
 */
public final class LlmVizJsonModel {

    public static final String FORMAT = "llm-viz-json";
    private static final String FLOAT32 = "torch.float32";
    private static final double NORM_EPS = 1e-5;

    private LlmVizJsonModel() {
    }

    public static ModelWeights open(Path file) throws IOException {
        if (Files.size(file) == 0) {
            throw new ModelFormatException(file, "empty file");
        }
        Arena arena = Arena.ofShared();
        try {
            Map<String, Object> root = Json.asObject(JsonFiles.read(file, JsonFiles.MODEL_MAX_BYTES), "the model file");
            TensorTable table = new TensorTable(readConfig(file, root), "its config object",
                    name -> HuggingFaceNames.fromCanonical(name, true));
            for (Map.Entry<String, Object> e : root.entrySet()) {
                String name = e.getKey();
                if (name.equals("config") || HuggingFaceNames.isAttentionBuffer(name)) {
                    continue;
                }
                String canonical = HuggingFaceNames.canonical(name);
                if (canonical == null) {
                    throw new ModelFormatException(file, "unexpected tensor " + name + ": not a GPT-2 weight");
                }
                table.add(file, name, readTensor(file, name, canonical, Json.asObject(e.getValue(), name), arena));
            }
            return table.build(file, FORMAT, arena);
        } catch (JsonException e) {
            arena.close();
            throw new ModelFormatException(file, e.getMessage(), e);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static Gpt2Config readConfig(Path file, Map<String, Object> root) throws IOException {
        if (!root.containsKey("config")) {
            throw new ModelFormatException(file, "no config object");
        }
        Map<String, Object> config = Json.asObject(root.get("config"), "config");
        return TensorTable.checkedConfig(file, "its config object",
                required(file, config, "vocab_size"),
                required(file, config, "block_size"),
                required(file, config, "n_embd"),
                required(file, config, "n_head"),
                required(file, config, "n_layer"),
                NORM_EPS);
    }

    private static long required(Path file, Map<String, Object> config, String key) throws IOException {
        if (!config.containsKey(key)) {
            throw new ModelFormatException(file, "config has no " + key);
        }
        return Json.asLong(config.get(key), "config." + key);
    }

    /** Decodes one tensor into {@code arena}; the table checks its shape afterwards. */
    private static TensorInfo readTensor(Path file, String name, String canonical, Map<String, Object> fields, Arena arena)
            throws IOException {
        String dtype = Json.asString(fields.get("dtype"), name + ".dtype");
        if (!dtype.equals(FLOAT32)) {
            throw new ModelFormatException(file, "unsupported dtype " + dtype + " for " + name + ": llm-viz models hold " + FLOAT32);
        }
        List<Object> dims = Json.asArray(fields.get("shape"), name + ".shape");
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = Json.asLong(dims.get(i), name + ".shape[" + i + "]");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(Json.asString(fields.get("data"), name + ".data"));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "tensor " + name + ": data is not valid base64 (" + e.getMessage() + ")", e);
        }
        MemorySegment data = arena.allocate(bytes.length, Float.BYTES);
        MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return new TensorInfo(canonical, TensorType.F32, shape, MatrixLayout.OUT_IN, data.asReadOnly());
    }
}
