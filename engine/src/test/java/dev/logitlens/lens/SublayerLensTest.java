package dev.logitlens.lens;

import dev.logitlens.api.KernelChoice;
import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.runtime.ResidualMode;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.ReferenceGpt2;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sublayer lens and the decomposition on tiny random GPT-2s, through the API (native forward, both projection
 * kernels), against rows built here in double from {@link ReferenceGpt2}'s hidden states (its own forward pass,
 * its own ln_f) and decoded by {@link ReferenceLens}: every statistic of every row within the lens tests'
 * tolerances. The decomposition also satisfies its identity: the terms' logits plus those of ln_f's bias sum to the
 * model's output logits.
 */
class SublayerLensTest {

    private static final int[] TOKENS = {5, 17, 3, 0, 42, 9, 60};

    @TempDir
    Path dir;

    @Test
    void sublayerRowsAreTheStreamsAfterEachAttentionAndEachBlock() throws IOException {
        Gpt2Config config = TinyGpt2.config(61, 8, 32, 4, 3);
        CanonicalWeights weights = TinyGpt2.generate(config, 11, 6, true);
        Path file = new GgufWriter(weights).write(dir.resolve("m.gguf"));
        ReferenceGpt2.Trace trace = new ReferenceGpt2(weights).run(TOKENS);
        for (boolean affine : new boolean[] {true, false}) {
            double[][][] h = trace.normalized(affine);       // [n+1][T][d]
            double[][][] mid = trace.midNormalized(affine);  // [n][T][d]
            List<double[][]> rows = new ArrayList<>();       // in, h1.attn, h1, h2.attn, h2, h3.attn, h3
            rows.add(h[0]);
            for (int l = 1; l <= config.nLayer(); l++) {
                rows.add(mid[l - 1]);
                rows.add(h[l]);
            }
            ReferenceLens reference = reference(rows, weights, config);
            for (KernelChoice kernel : new KernelChoice[] {KernelChoice.NATIVE, KernelChoice.JVM}) {
                LensSettings settings = LensSettings.defaults().withThreads(2).withKernel(kernel)
                        .withMode(affine ? ResidualMode.NORMALISED : ResidualMode.NO_AFFINE);
                try (LensModel model = LensModel.open(file, settings)) {
                    LensResult lens = model.run(TOKENS, -1, LensOptions.defaults().withTopK(7), Snapshots.Kind.SUBLAYERS);
                    assertEquals(Snapshots.sublayers(3), lens.snapshots());
                    List<String> labels = new ArrayList<>();
                    for (int row = 0; row <= lens.nLayers(); row++) {
                        labels.add(lens.snapshots().label(row));
                    }
                    assertEquals(List.of("in", "h1.attn", "h1", "h2.attn", "h2", "h3.attn", "h3"), labels);
                    LogitLensTest.assertMatches(reference, lens, TOKENS, 1e-5);
                    LensResult plain = model.run(TOKENS, LensOptions.defaults().withTopK(7));
                    for (int pos = 0; pos < TOKENS.length; pos++) {
                        assertEquals(plain.klToFinal(1, pos), lens.klToFinal(2, pos), 1e-5, "h1 is h1 in both lenses");
                    }
                }
            }
        }
    }

    @Test
    void decompositionDecodesEachSublayersOutputWithTheFinalStreamsScale() throws IOException {
        Gpt2Config config = TinyGpt2.config(67, 8, 24, 4, 2);
        CanonicalWeights weights = TinyGpt2.generate(config, 5, 6, false);
        Path file = new GgufWriter(weights).write(dir.resolve("untied.gguf"));
        ReferenceGpt2 model = new ReferenceGpt2(weights);
        ReferenceGpt2.Trace trace = model.run(TOKENS);
        double[][][] h = trace.residual(); // raw [n+1][T][d]
        double[][][] mid = trace.mid();    // raw [n][T][d]
        int n = config.nLayer();
        int d = config.nEmbd();
        float[] gain = weights.get("output_norm.weight");
        float[] bias = weights.get("output_norm.bias");
        for (boolean affine : new boolean[] {true, false}) {
            List<double[][]> rows = new ArrayList<>(); // embed, attn1, mlp1, attn2, mlp2, h2
            for (int r = 0; r < 2 * n + 2; r++) {
                rows.add(new double[TOKENS.length][]);
            }
            for (int t = 0; t < TOKENS.length; t++) {
                double[] last = h[n][t];
                double mean = 0;
                for (double v : last) {
                    mean += v;
                }
                mean /= d;
                double variance = 0;
                for (double v : last) {
                    variance += (v - mean) * (v - mean);
                }
                double scale = 1 / Math.sqrt(variance / d + config.normEps());
                rows.get(0)[t] = term(h[0][t], scale, affine ? gain : null);
                for (int l = 1; l <= n; l++) {
                    rows.get(2 * l - 1)[t] = term(minus(mid[l - 1][t], h[l - 1][t]), scale, affine ? gain : null);
                    rows.get(2 * l)[t] = term(minus(h[l][t], mid[l - 1][t]), scale, affine ? gain : null);
                }
                rows.get(2 * n + 1)[t] = model.finalNorm(last, affine);
            }
            ReferenceLens reference = reference(rows, weights, config);
            List<LensCell> keep = new ArrayList<>();
            for (int row = 0; row < 2 * n + 2; row++) {
                keep.add(new LensCell(row, 4));
            }
            for (KernelChoice kernel : new KernelChoice[] {KernelChoice.NATIVE, KernelChoice.JVM}) {
                LensSettings settings = LensSettings.defaults().withThreads(2).withKernel(kernel)
                        .withMode(affine ? ResidualMode.NORMALISED : ResidualMode.NO_AFFINE);
                try (LensModel lensModel = LensModel.open(file, settings)) {
                    LensResult lens = lensModel.run(TOKENS, -1, LensOptions.defaults().withTopK(5).withDistributionCells(keep),
                            Snapshots.Kind.DECOMPOSED);
                    List<String> labels = new ArrayList<>();
                    for (int row = 0; row <= lens.nLayers(); row++) {
                        labels.add(lens.snapshots().label(row));
                    }
                    assertEquals(List.of("embed", "attn1", "mlp1", "attn2", "mlp2", "h2"), labels);
                    LogitLensTest.assertMatches(reference, lens, TOKENS, 1e-5);

                    // the identity: Σ terms' logits + the bias's logits = the output logits (the plain lens's last row)
                    float[] wU = weights.unembedding(); // [V, d]
                    float[] output = lensModel.run(TOKENS, -1, LensOptions.defaults().withDistributionCells(
                            List.of(new LensCell(n, 4))), Snapshots.Kind.LAYERS).logits(n, 4);
                    double largest = 0;
                    for (int v = 0; v < config.nVocab(); v++) {
                        double sum = 0;
                        for (int row = 0; row < 2 * n + 1; row++) {
                            sum += lens.logits(row, 4)[v];
                        }
                        for (int c = 0; c < d && affine; c++) {
                            sum += (double) bias[c] * wU[v * d + c];
                        }
                        assertEquals(output[v], sum, 1e-4, "logit " + v + ": the terms sum to the output");
                        assertEquals(lens.logits(2 * n + 1, 4)[v], output[v], 1e-4, "the last row is the output");
                        largest = Math.max(largest, Math.abs(lens.logits(1, 4)[v]));
                    }
                    assertTrue(largest > 0.1, "the attention term is not negligible, so the identity tests something");
                }
            }
        }
    }

    @Test
    void rowLabelsAndBlocks() {
        Snapshots layers = Snapshots.layers(2);
        assertEquals(3, layers.count());
        assertEquals("h2", layers.label(2));
        Snapshots sub = Snapshots.sublayers(12);
        assertEquals(25, sub.count());
        assertEquals("h12.attn", sub.label(23));
        assertEquals(12, sub.layer(23));
        assertEquals(Snapshots.ATTENTION, sub.sublayer(23));
        assertEquals(Snapshots.MLP, sub.sublayer(24));
        assertEquals(Snapshots.NO_SUBLAYER, sub.sublayer(0));
        Snapshots parts = Snapshots.decomposed(1);
        assertEquals(List.of("embed", "attn1", "mlp1", "h1"),
                List.of(parts.label(0), parts.label(1), parts.label(2), parts.label(3)));
        assertEquals(1, parts.layer(3));
        assertEquals(Snapshots.NO_SUBLAYER, parts.sublayer(3));
        assertEquals(List.of(0, 3, 4), java.util.Arrays.stream(sub.rowsOfLayers(new int[] {0, 2})).boxed().toList());
    }

    /** x − mean(x), times the scale and, when given, the gain. */
    private static double[] term(double[] x, double scale, float[] gain) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double[] out = new double[x.length];
        for (int c = 0; c < x.length; c++) {
            out[c] = (x[c] - mean) * scale * (gain == null ? 1 : gain[c]);
        }
        return out;
    }

    private static double[] minus(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int c = 0; c < a.length; c++) {
            out[c] = a[c] - b[c];
        }
        return out;
    }

    /** The reference lens of rows {@code [S][T][d]} (as float32, the lens's input type). */
    private static ReferenceLens reference(List<double[][]> rows, CanonicalWeights weights, Gpt2Config config) {
        int d = config.nEmbd();
        float[] flat = new float[rows.size() * TOKENS.length * d]; // [S, T, d]
        for (int s = 0; s < rows.size(); s++) {
            for (int t = 0; t < TOKENS.length; t++) {
                for (int c = 0; c < d; c++) {
                    flat[(s * TOKENS.length + t) * d + c] = (float) rows.get(s)[t][c];
                }
            }
        }
        return new ReferenceLens(flat, rows.size(), TOKENS.length, weights.unembedding(), config.nVocab(), d);
    }
}
