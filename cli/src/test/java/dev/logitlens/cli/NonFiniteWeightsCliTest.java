package dev.logitlens.cli;

import dev.logitlens.cli.CliTest.Run;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static dev.logitlens.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NaN or Inf in a model's weights: every command that runs the lens fails (exit 1) with a message that says where,
 * instead of printing ranks of 1 and "NaN" cells with exit 0.
 */
class NonFiniteWeightsCliTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 2);

    @TempDir
    Path dir;

    private Path modelWith(String tensor, int element, float value) throws IOException {
        CanonicalWeights weights = TinyGpt2.generate(CONFIG, 7, 2, false); // untied: output.weight is W_U
        weights.get(tensor)[element] = value;
        return new GgufWriter(weights).write(dir.resolve(tensor + "-" + element + ".gguf"));
    }

    @Test
    void aNonFiniteBlockWeightIsNamedByLayerAndPosition() throws IOException {
        Path model = modelWith("blk.0.ffn_up.weight", 3, Float.NaN);
        for (String kernel : new String[] {"native", "jvm"}) {
            for (String format : new String[] {"csv", "json"}) {
                Run run = cli("run", "--model", model.toString(), "--tokens", "1,2,3", "--kernel", kernel, "--format", format);
                assertEquals(1, run.exit(), run.out() + run.err());
                assertTrue(run.err().contains("NaN first at layer 1"), run.err());
                assertTrue(run.err().contains("1 tensor holds NaN or Inf: NaN in blk.0.ffn_up.weight (element 3)"), run.err());
                assertFalse(run.out().contains("NaN"), run.out());
            }
        }
        Run residuals = cli("residuals", "--model", model.toString(), "--tokens", "1,2,3", "--out", dir.resolve("r.npy").toString());
        assertEquals(1, residuals.exit(), residuals.err());
        assertTrue(residuals.err().contains("NaN in blk.0.ffn_up.weight (element 3)"), residuals.err());
    }

    @Test
    void checkWeightsRefusesTheModelAtOpenNamingEveryTensor() throws IOException {
        CanonicalWeights weights = TinyGpt2.generate(CONFIG, 7, 2, false);
        weights.get("blk.1.attn_qkv.weight")[10] = Float.NEGATIVE_INFINITY;
        weights.get("output_norm.bias")[0] = Float.NaN;
        Path model = new GgufWriter(weights).write(dir.resolve("two.gguf"));
        for (String[] command : new String[][] {
                {"run", "--tokens", "1,2,3"},
                {"residuals", "--tokens", "1,2,3", "--out", dir.resolve("r.npy").toString()}}) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(command),
                    java.util.stream.Stream.of("--model", model.toString(), "--check-weights")).toArray(String[]::new);
            Run run = cli(args);
            assertEquals(1, run.exit(), run.out() + run.err());
            assertTrue(run.err().contains(model.toString()), run.err());
            assertTrue(run.err().contains("2 tensors hold NaN or Inf: Inf in blk.1.attn_qkv.weight (element 10), "
                    + "NaN in output_norm.bias (element 0)"), run.err());
            assertFalse(run.err().contains("layer"), "refused before any forward pass: " + run.err());
        }
        Path clean = new GgufWriter(TinyGpt2.generate(CONFIG, 7, 2, false)).write(dir.resolve("clean.gguf"));
        Run run = cli("run", "--model", clean.toString(), "--tokens", "1,2,3", "--check-weights", "--format", "csv");
        assertEquals(0, run.exit(), run.err());
    }

    @Test
    void aNonFiniteUnembeddingIsRefusedByEveryStatisticsPath() throws IOException {
        Path model = modelWith("output.weight", 5 * CONFIG.nEmbd() + 1, Float.POSITIVE_INFINITY);
        for (String kernel : new String[] {"native", "jvm"}) {
            Run run = cli("run", "--model", model.toString(), "--tokens", "1,2,3", "--kernel", kernel, "--format", "csv");
            assertEquals(1, run.exit(), kernel + ": " + run.out() + run.err());
            assertTrue(run.err().contains("the unembedding W_U holds NaN or Inf"), run.err());
            assertTrue(run.err().contains("layer 0 (0 = the embeddings), position 0"), run.err());
            assertTrue(run.err().contains("Inf in output.weight (element " + (5 * CONFIG.nEmbd() + 1) + ")"), run.err());
        }
    }
}
