package dev.logitlens.lens;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LensComparison} against KL, JS and top-1 computed in double from {@link ReferenceLens}'s logits (double GEMM):
 * two inputs through one unembedding (two prompts, one model) and one through two (two models), inputs of different
 * lengths aligned at the end, blocks that do not divide the positions.
 */
class LensComparisonTest {

    private static final double ABSOLUTE = 1e-5;

    @ParameterizedTest(name = "layers={0} T_A={1} T_B={2} V={3} d={4} block={5} two models={6}")
    @CsvSource({"3, 5, 5, 97, 24, 2, false", "2, 7, 4, 150, 16, 3, false", "1, 3, 6, 64, 12, 4, true", "0, 2, 2, 40, 8, 1, true"})
    void matchesDoubleReference(int nLayers, int tokensA, int tokensB, int vocab, int width, int block, boolean twoModels) {
        Random random = new Random(17L * nLayers + 5L * tokensA + tokensB + vocab);
        int snapshots = nLayers + 1;
        float[] wA = TestMatrices.peakedUnembedding(random, vocab, width);
        float[] wB = twoModels ? TestMatrices.peakedUnembedding(random, vocab, width) : wA;
        float[] residualA = TestMatrices.gaussian(random, snapshots * tokensA * width, 1.0);
        float[] residualB = TestMatrices.gaussian(random, snapshots * tokensB * width, 1.0);
        ReferenceLens a = new ReferenceLens(residualA, snapshots, tokensA, wA, vocab, width);
        ReferenceLens b = new ReferenceLens(residualB, snapshots, tokensB, wB, vocab, width);
        try (JvmProjectionKernel kernelA = new JvmProjectionKernel(TestMatrices.unembedding(wA, vocab, width), 2);
             JvmProjectionKernel kernelB = new JvmProjectionKernel(TestMatrices.unembedding(wB, vocab, width), 2);
             LogitLens lensA = new LogitLens(kernelA, 1);
             LogitLens lensB = new LogitLens(kernelB, 1)) {
            MemorySegment segmentA = TestMatrices.offHeap(residualA);
            MemorySegment segmentB = TestMatrices.offHeap(residualB);
            LensComparison comparison = LensComparison.compare(
                    (first, count, out) -> lensA.project(segmentA, nLayers, tokensA, first, count, out), tokensA,
                    (first, count, out) -> lensB.project(segmentB, nLayers, tokensB, first, count, out), tokensB,
                    nLayers, vocab, block);
            int common = Math.min(tokensA, tokensB);
            assertEquals(common, comparison.positions());
            for (int i = 0; i < common; i++) {
                int posA = tokensA - common + i;
                int posB = tokensB - common + i;
                assertEquals(posA, comparison.positionA(i));
                assertEquals(posB, comparison.positionB(i));
                for (int layer = 0; layer < snapshots; layer++) {
                    double kl = 0;
                    double js = 0;
                    for (int v = 0; v < vocab; v++) {
                        double la = a.logProb(layer, posA, v);
                        double lb = b.logProb(layer, posB, v);
                        double pa = Math.exp(la);
                        double pb = Math.exp(lb);
                        double m = (pa + pb) / 2;
                        kl += pa * (la - lb);
                        js += 0.5 * pa * Math.log(pa / m) + 0.5 * pb * Math.log(pb / m);
                    }
                    assertEquals(kl, comparison.kl(layer, i), ABSOLUTE * Math.max(1, kl), "KL at layer " + layer + ", " + i);
                    assertEquals(js, comparison.js(layer, i), ABSOLUTE, "JS at layer " + layer + ", " + i);
                    assertTrue(comparison.js(layer, i) <= Math.log(2) + 1e-12);
                    assertEquals(a.top(layer, posA, 0), comparison.topA(layer, i));
                    assertEquals(b.top(layer, posB, 0), comparison.topB(layer, i));
                    assertEquals(a.top(layer, posA, 0) != b.top(layer, posB, 0), comparison.top1Changed(layer, i));
                }
            }
        }
    }

    /**
     * By hand: V = 2, d = 1, W_U = [1, −1]. A's rows are h = 0 (p = ½, ½) and B's h = ln 3 / 2 (logits ±ln√3: p = ¾, ¼).
     * KL(A ‖ B) = ½ ln(½/¾) + ½ ln(½/¼) = ½ ln(4/3); M = (⅝, ⅜); JS = ½ [½ ln(½/⅝) + ½ ln(½/⅜)] + ½ [¾ ln(¾/⅝) + ¼ ln(¼/⅜)].
     * A's logits tie: its top-1 is the lower id, 0, as B's: unchanged.
     */
    @Test
    void aComparisonByHand() {
        float h = (float) (Math.log(3) / 2);
        float[] w = {1, -1};
        try (JvmProjectionKernel kernel = new JvmProjectionKernel(TestMatrices.unembedding(w, 2, 1), 1);
             LogitLens lens = new LogitLens(kernel, 1)) {
            MemorySegment a = TestMatrices.offHeap(new float[] {0, 0});   // [2 layers, 1 position, d = 1]
            MemorySegment b = TestMatrices.offHeap(new float[] {h, -h});  // layer 1 of B flips the order
            LensComparison c = LensComparison.compare((f, n, out) -> lens.project(a, 1, 1, f, n, out), 1,
                    (f, n, out) -> lens.project(b, 1, 1, f, n, out), 1, 1, 2, 24);
            double kl = 0.5 * Math.log(4.0 / 3);
            double js = 0.5 * (0.5 * Math.log(0.5 / 0.625) + 0.5 * Math.log(0.5 / 0.375))
                    + 0.5 * (0.75 * Math.log(0.75 / 0.625) + 0.25 * Math.log(0.25 / 0.375));
            for (int layer = 0; layer <= 1; layer++) {
                assertEquals(kl, c.kl(layer, 0), 1e-6);
                assertEquals(js, c.js(layer, 0), 1e-6);
                assertEquals(0, c.topA(layer, 0));
            }
            assertEquals(0, c.topB(0, 0));
            assertFalse(c.top1Changed(0, 0));
            assertEquals(1, c.topB(1, 0));
            assertTrue(c.top1Changed(1, 0));
        }
    }
}
