package dev.logitlens.model;

import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fuzz tests' model: a tiny GPT-2 whose files are the seeds of the model readers' fuzz tests and the fixed
 * companions of a fuzzed file (the {@code config.json} beside a fuzzed {@code model.safetensors}, and the other way
 * round). {@link #main} rewrites the seed files under {@code src/test/resources} (run from the engine folder); the
 * fuzz tests replay them in every test run.
 */
public final class FuzzSeeds {

    /** Small enough that a seed stays under libFuzzer's default 4 kB input size. */
    public static final CanonicalWeights UNTIED = TinyGpt2.generate(TinyGpt2.config(3, 2, 4, 2, 1), 1, 4, false);
    public static final CanonicalWeights TIED = TinyGpt2.generate(TinyGpt2.config(3, 2, 4, 2, 1), 2, 4, true);

    private FuzzSeeds() {
    }

    /** An llm-viz JSON model of {@code weights} (names with the {@code transformer.} prefix, matrices [out, in]). */
    public static byte[] llmVizJson(CanonicalWeights weights) {
        Gpt2Config c = weights.config();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("config", Map.of("vocab_size", c.nVocab(), "block_size", c.nCtx(), "n_embd", c.nEmbd(),
                "n_head", c.nHead(), "n_layer", c.nLayer()));
        for (Map.Entry<String, float[]> e : weights.tensors().entrySet()) {
            ByteBuffer data = ByteBuffer.allocate(4 * e.getValue().length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : e.getValue()) {
                data.putFloat(v);
            }
            List<Long> shape = java.util.Arrays.stream(weights.shape(e.getKey())).boxed().toList();
            root.put(HuggingFaceNames.fromCanonical(e.getKey(), true),
                    Map.of("shape", shape, "dtype", "torch.float32", "data", Base64.getEncoder().encodeToString(data.array())));
        }
        return Json.write(root).getBytes(StandardCharsets.UTF_8);
    }

    /** Rewrites every seed: {@code args[0]} is the test resources folder ({@code src/test/resources} by default). */
    public static void main(String[] args) throws IOException {
        Path resources = Path.of(args.length > 0 ? args[0] : "src/test/resources");

        Path gguf = inputs(resources, "dev/logitlens/model/GgufFuzzTest", "gguf");
        new GgufWriter(UNTIED).write(gguf.resolve("seed-untied.gguf"));
        new GgufWriter(TIED).write(gguf.resolve("seed-tied.gguf"));
        new GgufWriter(TIED).version(2).alignment(64).matrixType(TensorType.F16).vectorType(TensorType.BF16)
                .write(gguf.resolve("seed-v2-f16-aligned.gguf"));

        Path safetensors = inputs(resources, "dev/logitlens/model/SafetensorsFuzzTest", "safetensors");
        new SafetensorsWriter(UNTIED).writeFile(safetensors.resolve("seed-untied.safetensors"));
        new SafetensorsWriter(UNTIED).prefixed(false).type(TensorType.F16).maskBuffers(false)
                .writeFile(safetensors.resolve("seed-f16-bare-names.safetensors"));

        Path config = inputs(resources, "dev/logitlens/model/ConfigJsonFuzzTest", "configJson");
        new SafetensorsWriter(UNTIED).writeConfig(config.resolve("seed-config.json"));
        new SafetensorsWriter(UNTIED).withConfig("n_positions", null).withConfig("layer_norm_epsilon", null)
                .withConfig("model_type", null).withConfig("tie_word_embeddings", null).writeConfig(config.resolve("seed-minimal.json"));

        Path llmViz = inputs(resources, "dev/logitlens/model/LlmVizJsonFuzzTest", "llmVizJson");
        Files.write(llmViz.resolve("seed-model.json"), llmVizJson(UNTIED));

        Path json = inputs(resources, "dev/logitlens/model/JsonFuzzTest", "json");
        Files.writeString(json.resolve("seed-values.json"),
                "{\"a\": [1, -0, 2.5e-3, 1E+2, 12345678901234567890, true, false, null], \"b\": {\"c\": \"\\u00e9\\n\\\"\\\\\\/\\ud83d\\ude00\"}}");
        Files.writeString(json.resolve("seed-nested.json"), "[[[[{\"x\":[{}]}]]]]");
        Files.copy(config.resolve("seed-config.json"), json.resolve("seed-config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        Path corpus = inputs(resources, "dev/logitlens/corpus/CorpusFuzzTest", "corpus");
        Files.writeString(corpus.resolve("seed-jsonl.jsonl"), """
                {"text": "Hello world, \\u00e9t\\u00e9!"}

                {"tokens": [50256, 15496, 0]}\r
                {"id": 7, "text": "line\\twith <|endoftext|> inside"}
                """);
        Files.writeString(corpus.resolve("seed-text.txt"), "The quick brown fox\r\n\n  jumps over\tthe lazy dog. Привет 😀\nlast line");

        Path tokenizer = inputs(resources, "dev/logitlens/tokenizer/TokenizerFuzzTest", "tokenize");
        Files.writeString(tokenizer.resolve("seed-english.txt"), "Hello, world! It's 2024 and I'm here...   ok\n\n");
        Files.writeString(tokenizer.resolve("seed-special.txt"), "a<|endoftext|>b<|endoftext|><|endoftext|>");
        Files.writeString(tokenizer.resolve("seed-unicode.txt"), "naïve café — 東京 😀 \u0000\u00a0 \t\r\n");
    }

    private static Path inputs(Path resources, String testClass, String method) throws IOException {
        return Files.createDirectories(resources.resolve(testClass + "Inputs").resolve(method));
    }
}
