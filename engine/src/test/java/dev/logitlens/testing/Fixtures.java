package dev.logitlens.testing;

import dev.logitlens.model.Json;
import dev.logitlens.model.JsonException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The test fixtures in the repository's {@code test-data/} folder (see its README for sources and licences). Found
 * through the system property {@code logitlens.root} (the repository root, set by surefire), else by walking up
 * from the working directory to a folder holding {@code test-data}. Missing fixtures fail the test.
 */
public final class Fixtures {

    private static final String FIXTURES = "test-data";

    private Fixtures() {
    }

    /** A tensor of the fixture files. */
    public record FixtureTensor(long[] shape, float[] data) {

        /** The element at a row-major index. */
        public float at(int... index) {
            if (index.length != shape.length) {
                throw new IllegalArgumentException(index.length + " indices for shape " + Arrays.toString(shape));
            }
            long flat = 0;
            for (int i = 0; i < index.length; i++) {
                flat = flat * shape[i] + index[i];
            }
            return data[Math.toIntExact(flat)];
        }
    }

    public static Path root() {
        String property = System.getProperty("logitlens.root");
        if (property != null) {
            Path candidate = Path.of(property).resolve(FIXTURES).normalize();
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(FIXTURES);
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("test fixtures not found: no " + FIXTURES + " in logitlens.root=" + property
                + " nor above " + Path.of("").toAbsolutePath());
    }

    /** Writes {@code documents} as a JSONL corpus of token ids ({@code {"tokens": [...]}} a line) to {@code file}. */
    public static Path writeTokenCorpus(Path file, int[][] documents) throws IOException {
        StringBuilder jsonl = new StringBuilder();
        for (int[] document : documents) {
            jsonl.append("{\"tokens\": ").append(Arrays.toString(document)).append("}\n");
        }
        return Files.writeString(file, jsonl);
    }

    /** {@code gpt-nano-sort/gpt-nano-sort-model.json}: the llm-viz model (3 layers, 3 heads, d=48, vocab 3, context 11). */
    public static Path gptNanoSortModel() {
        return existing(root().resolve("gpt-nano-sort/gpt-nano-sort-model.json"));
    }

    /** {@code gpt2-tokenizer/}: OpenAI's {@code encoder.json} and {@code vocab.bpe}. */
    public static Path gpt2TokenizerDir() {
        return existing(root().resolve("gpt2-tokenizer"));
    }

    /**
     * The reference activations of gpt-nano-sort over its batch of 3 sequences of 11 tokens, by key:
     * {@code idx} [3, 11] (token ids as floats), {@code block0..2} [3, 11, 48], {@code ln_f} [3, 11, 48],
     * {@code lm_head} [3, 11, 3], {@code probs} [3, 11, 3], and the layer-0 internals.
     */
    public static Map<String, FixtureTensor> gptNanoSortPartials() {
        Path file = existing(root().resolve("gpt-nano-sort/gpt-nano-sort-t0-partials.json"));
        try {
            Map<String, Object> json = Json.asObject(Json.parse(Files.readString(file)), file.toString());
            Map<String, FixtureTensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : json.entrySet()) {
                if (!e.getKey().equals("config")) {
                    tensors.put(e.getKey(), tensor(e.getKey(), Json.asObject(e.getValue(), e.getKey())));
                }
            }
            return tensors;
        } catch (JsonException e) {
            throw new IllegalStateException(file + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FixtureTensor tensor(String name, Map<String, Object> fields) throws JsonException {
        List<Object> dims = Json.asArray(fields.get("shape"), name + ".shape");
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = Json.asLong(dims.get(i), name + ".shape");
        }
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(Json.asString(fields.get("data"), name + ".data")))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] data = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(data);
        return new FixtureTensor(shape, data);
    }

    private static Path existing(Path path) {
        if (!Files.exists(path)) {
            throw new IllegalStateException("test fixture missing: " + path);
        }
        return path;
    }
}
