package dev.logitlens.testing;

import dev.logitlens.model.Gpt2Config;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Properties of the generated models and of the reference forward pass (its agreement with PyTorch is GptNanoSortTest's). */
class ReferenceGpt2Test {

    private static final Gpt2Config CONFIG = TinyGpt2.config(50, 16, 32, 4, 3);
    private static final int[] TOKENS = {3, 14, 15, 9, 26, 5, 35, 8, 9, 7};

    @Test
    void generationIsSeeded() {
        CanonicalWeights a = TinyGpt2.generate(CONFIG, 1, 4, false);
        CanonicalWeights b = TinyGpt2.generate(CONFIG, 1, 4, false);
        CanonicalWeights c = TinyGpt2.generate(CONFIG, 2, 4, false);
        for (String name : a.tensors().keySet()) {
            assertArrayEquals(a.get(name), b.get(name), name);
        }
        assertFalse(Arrays.equals(a.get("blk.0.attn_qkv.weight"), c.get("blk.0.attn_qkv.weight")));
        assertTrue(TinyGpt2.generate(CONFIG, 1, 4, true).tied());
    }

    @Test
    void sharpnessControlsHowPeakedTheOutputIs() {
        for (boolean tied : new boolean[] {false, true}) {
            double flat = meanTopProbability(TinyGpt2.generate(CONFIG, 5, 0, tied));
            double sharp = meanTopProbability(TinyGpt2.generate(CONFIG, 5, 6, tied));
            assertEquals(1.0 / CONFIG.nVocab(), flat, 1e-12, "sharpness 0 gives uniform distributions");
            assertTrue(sharp > 10.0 / CONFIG.nVocab(), "sharp model's mean top probability " + sharp);
        }
    }

    @Test
    void attentionIsCausal() {
        ReferenceGpt2 model = new ReferenceGpt2(TinyGpt2.generate(CONFIG, 9, 4, false));
        ReferenceGpt2.Trace prefix = model.run(Arrays.copyOf(TOKENS, 4));
        ReferenceGpt2.Trace full = model.run(TOKENS);
        for (int layer = 0; layer <= CONFIG.nLayer(); layer++) {
            for (int t = 0; t < 4; t++) {
                assertArrayEquals(prefix.residual()[layer][t], full.residual()[layer][t], 1e-12);
            }
        }
        assertFalse(Arrays.equals(full.residual()[1][4], model.run(TOKENS[0], TOKENS[1], TOKENS[2], TOKENS[3], 0).residual()[1][4]));
    }

    @Test
    void traceShapesAndLensViews() {
        ReferenceGpt2 model = new ReferenceGpt2(TinyGpt2.generate(CONFIG, 11, 4, true));
        ReferenceGpt2.Trace trace = model.run(TOKENS);
        int n = TOKENS.length;
        assertEquals(CONFIG.nLayer() + 1, trace.residual().length);
        assertEquals(n, trace.residual()[0].length);
        assertEquals(CONFIG.nEmbd(), trace.residual()[0][0].length);
        assertEquals(CONFIG.nLayer(), trace.mid().length);
        assertEquals(CONFIG.nLayer(), trace.midNormalized(true).length);
        double[][][] logits = trace.logits();
        assertEquals(CONFIG.nVocab(), logits[0][0].length);
        assertArrayEquals(logits[CONFIG.nLayer()][n - 1], trace.finalLogits()[n - 1]);
        for (double[] row : trace.normalized(false)[2]) {
            double mean = 0;
            double var = 0;
            for (double v : row) {
                mean += v / row.length;
            }
            for (double v : row) {
                var += (v - mean) * (v - mean) / row.length;
            }
            assertEquals(0, mean, 1e-12);
            assertEquals(1, var, 1e-3);
        }
    }

    @Test
    void tanhGelu() {
        assertEquals(0, ReferenceGpt2.gelu(0));
        assertEquals(0.8411919906082768, ReferenceGpt2.gelu(1), 1e-15);
        assertEquals(-0.15880800939172324, ReferenceGpt2.gelu(-1), 1e-15);
    }

    @Test
    void rejectsBadInput() {
        ReferenceGpt2 model = new ReferenceGpt2(TinyGpt2.generate(CONFIG, 1, 4, true));
        assertThrows(IllegalArgumentException.class, () -> model.run());
        assertThrows(IllegalArgumentException.class, () -> model.run(new int[CONFIG.nCtx() + 1]));
        assertThrows(IllegalArgumentException.class, () -> model.run(1, CONFIG.nVocab()));
    }

    private static double meanTopProbability(CanonicalWeights weights) {
        double[][] logits = new ReferenceGpt2(weights).run(TOKENS).finalLogits();
        double sum = 0;
        for (double[] row : logits) {
            double top = 0;
            for (double p : ReferenceGpt2.softmax(row)) {
                top = Math.max(top, p);
            }
            sum += top;
        }
        return sum / logits.length;
    }
}
