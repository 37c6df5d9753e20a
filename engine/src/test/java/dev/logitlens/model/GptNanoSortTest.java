package dev.logitlens.model;

import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.Fixtures.FixtureTensor;
import dev.logitlens.testing.ReferenceGpt2;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The llm-viz fixture model: it opens, and the reference forward pass reproduces its recorded activations. */
class GptNanoSortTest {

    private static final int BATCH = 3;
    private static final int T = 11;
    private static final double TOLERANCE = 1e-5;

    private static CanonicalWeights weights;
    private static Map<String, FixtureTensor> partials;

    @BeforeAll
    static void load() throws IOException {
        try (ModelWeights opened = ModelFiles.open(Fixtures.gptNanoSortModel())) {
            weights = CanonicalWeights.read(opened);
        }
        partials = Fixtures.gptNanoSortPartials();
    }

    @Test
    void opens() throws IOException {
        try (ModelWeights opened = ModelFiles.open(Fixtures.gptNanoSortModel())) {
            assertEquals(new Gpt2Config(3, 11, 48, 3, 3, 1e-5f), opened.config());
            assertEquals("llm-viz-json", opened.format());
            assertFalse(opened.tiedUnembedding());
            assertEquals("output.weight", opened.unembedding().name());
            assertEquals(2 + 12 * 3 + 2 + 1, opened.tensors().size());
            for (TensorInfo t : opened.tensors()) {
                assertEquals(TensorType.F32, t.type(), t.name());
                assertEquals(MatrixLayout.OUT_IN, t.layout(), t.name());
            }
            assertArrayEquals(new long[] {144, 48}, opened.tensor("blk.2.attn_qkv.weight").shape());
            assertArrayEquals(new long[] {48, 192}, opened.tensor("blk.0.ffn_down.weight").shape());
        }
    }

    @Test
    void referenceForwardPassReproducesTheRecordedActivations() {
        ReferenceGpt2 reference = new ReferenceGpt2(weights);
        for (int b = 0; b < BATCH; b++) {
            ReferenceGpt2.Trace trace = reference.run(tokens(b));
            double[][][] residual = trace.residual();
            assertClose("x", b, residual[0]);
            assertClose("attnResid", b, trace.mid()[0]);
            for (int layer = 0; layer < 3; layer++) {
                assertClose("block" + layer, b, residual[layer + 1]);
            }
            assertClose("ln_f", b, trace.normalized(true)[3]);
            double[][] logits = trace.finalLogits();
            assertClose("lm_head", b, logits);
            double[][] probs = new double[T][];
            for (int t = 0; t < T; t++) {
                probs[t] = ReferenceGpt2.softmax(logits[t]);
            }
            assertClose("probs", b, probs);
        }
    }

    @Test
    void modelSortsItsInput() {
        double[][] logits = new ReferenceGpt2(weights).run(tokens(0)).finalLogits();
        int[] argmax = new int[T];
        for (int t = 0; t < T; t++) {
            for (int v = 1; v < 3; v++) {
                if (logits[t][v] > logits[t][argmax[t]]) {
                    argmax[t] = v;
                }
            }
        }
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2}, argmax);
    }

    private static int[] tokens(int b) {
        int[] tokens = new int[T];
        for (int t = 0; t < T; t++) {
            tokens[t] = (int) partials.get("idx").at(b, t);
        }
        return tokens;
    }

    /** {@code actual} [T][n] against the fixture's {@code key} [B, T, n] at batch row {@code b}. */
    private static void assertClose(String key, int b, double[][] actual) {
        FixtureTensor expected = partials.get(key);
        assertEquals(actual[0].length, expected.shape()[2], key + " width");
        double worst = 0;
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < actual[t].length; i++) {
                worst = Math.max(worst, Math.abs(actual[t][i] - expected.at(b, t, i)));
            }
        }
        double maxError = worst;
        assertEquals(0, maxError, TOLERANCE, () -> key + "[" + b + "] differs by up to " + maxError);
    }
}
