package dev.logitlens.lens;

import dev.logitlens.runtime.NativeStatistics;
import dev.logitlens.time.Timings;
import dev.logitlens.tokenizer.TokenTexts;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The whole lens against {@link ReferenceLens} (double GEMM, softmax, full sort).
 *
 * <p>Tolerances: probabilities, KLs, entropies and log-sum-exps within {@value #ABSOLUTE} absolute; logits
 * within {@value #ABSOLUTE} · max(1, |z|). Ranks and top-k ids must be equal, except between tokens whose
 * reference logits are within {@code tie} of each other: there either order is right, so the rank must lie
 * in {@code [1 + #{z > z[x] + tie}, 1 + #{v ≠ x : z[v] > z[x] − tie}]} and a top-k slot may hold a different
 * id only if its reference logit is within tie of the expected one. On continuous random data tie = 1e-5
 * (float logits err by ~1e-6 here); on dyadic data (exact in float) tie = 0, so equal logits must be ordered
 * exactly by the rules: rank in the token's favour, lower id first.
 */
class LogitLensTest {

    private static final double ABSOLUTE = 1e-4;
    private static final double CONTINUOUS_TIE = 1e-5;

    enum Data { GAUSSIAN, PEAKED, DYADIC }

    static Stream<Arguments> cases() {
        return Stream.of(
                // nLayers, T, V, d, k, positions per block, threads, data
                Arguments.of(3, 5, 97, 24, 5, 2, 2, Data.GAUSSIAN),
                Arguments.of(1, 1, 50, 8, 1, 6, 1, Data.PEAKED),
                Arguments.of(2, 4, 33, 17, 20, 3, 2, Data.PEAKED),
                Arguments.of(12, 7, 301, 40, 3, 6, 2, Data.PEAKED),
                Arguments.of(12, 3, 1000, 72, 10, 1, 2, Data.GAUSSIAN),
                Arguments.of(0, 3, 40, 8, 4, 2, 2, Data.GAUSSIAN),
                Arguments.of(4, 9, 64, 16, 64, 4, 2, Data.DYADIC),
                Arguments.of(2, 6, 200, 9, 7, 5, 1, Data.DYADIC));
    }

    @ParameterizedTest(name = "layers={0} T={1} V={2} d={3} k={4} block={5} threads={6} {7}")
    @MethodSource("cases")
    void matchesDoubleReference(int nLayers, int nTokens, int vocab, int width, int k, int block, int threads, Data data) {
        Random random = new Random(1000L * nLayers + 100L * nTokens + vocab + width + k);
        int snapshots = nLayers + 1;
        float[] w = switch (data) {
            case GAUSSIAN -> TestMatrices.gaussian(random, vocab * width, 0.2);
            case PEAKED -> TestMatrices.peakedUnembedding(random, vocab, width);
            case DYADIC -> TestMatrices.dyadic(random, vocab * width, 2);
        };
        float[] residual = data == Data.DYADIC
                ? TestMatrices.dyadic(random, snapshots * nTokens * width, 4)
                : TestMatrices.gaussian(random, snapshots * nTokens * width, 1.0);
        int[] tokens = random.ints(nTokens, 0, vocab).toArray();
        double tie = data == Data.DYADIC ? 0 : CONTINUOUS_TIE;
        List<LensCell> cells = List.of(new LensCell(nLayers, nTokens - 1), new LensCell(0, 0));
        LensOptions options = LensOptions.defaults().withTopK(k).withPositionsPerBlock(block)
                .withDistributionCells(cells);

        ReferenceLens reference = new ReferenceLens(residual, snapshots, nTokens, w, vocab, width);
        try (JvmProjectionKernel kernel = new JvmProjectionKernel(TestMatrices.unembedding(w, vocab, width), 2);
             LogitLens jvmLens = new LogitLens(kernel, threads);
             LogitLens nativeLens = new LogitLens(kernel, threads, NativeStatistics.INSTANCE, TokenTexts.forVocabulary(vocab), new Timings())) {
            LensResult result = jvmLens.run(TestMatrices.offHeap(residual), nLayers, nTokens, tokens, options);
            assertMatches(reference, result, tokens, tie);
            // the shim's statistics (ll_lens_stats) over the same logits, held to the same reference
            LensResult nativeStatistics = nativeLens.run(TestMatrices.offHeap(residual), nLayers, nTokens, tokens, options);
            assertMatches(reference, nativeStatistics, tokens, tie);
            for (LensCell cell : cells) {
                assertDistribution(reference, nativeStatistics, cell.layer(), cell.position());
            }
            for (LensCell cell : cells) {
                assertDistribution(reference, result, cell.layer(), cell.position());
            }
            if (nTokens > 1) {
                assertThrows(IllegalArgumentException.class, () -> result.logits(0, 1));
            }
        }
    }

    @Test
    void scalarKernelGivesTheSameLens() {
        int nLayers = 2;
        int nTokens = 3;
        int vocab = 70;
        int width = 12;
        Random random = new Random(11);
        float[] w = TestMatrices.peakedUnembedding(random, vocab, width);
        float[] residual = TestMatrices.gaussian(random, (nLayers + 1) * nTokens * width, 1.0);
        int[] tokens = {3, 69, 0};
        try (ScalarProjectionKernel kernel = new ScalarProjectionKernel(TestMatrices.unembedding(w, vocab, width));
             LogitLens lens = new LogitLens(kernel, 2)) {
            LensResult result = lens.run(TestMatrices.offHeap(residual), nLayers, nTokens, tokens,
                    LensOptions.defaults().withTopK(4));
            assertMatches(new ReferenceLens(residual, nLayers + 1, nTokens, w, vocab, width), result, tokens, CONTINUOUS_TIE);
        }
    }

    /**
     * A graph kernel whose backend lacks one of the graph's operations (GraphLensKernel's contract: it throws
     * UnsupportedOperationException) is projected and summarised the usual way, and the lens says it no longer uses
     * the graph.
     */
    @Test
    void aBackendWithoutTheGraphsOperationsFallsBackToTheUsualWay() {
        int nLayers = 2;
        int nTokens = 3;
        int vocab = 70;
        int width = 12;
        Random random = new Random(12);
        float[] w = TestMatrices.peakedUnembedding(random, vocab, width);
        float[] residual = TestMatrices.gaussian(random, (nLayers + 1) * nTokens * width, 1.0);
        int[] tokens = {5, 0, 69};
        try (ScalarProjectionKernel scalar = new ScalarProjectionKernel(TestMatrices.unembedding(w, vocab, width));
             LogitLens lens = LogitLens.inKernelGraph(new WithoutGraph(scalar), 2, null,
                     TokenTexts.forVocabulary(vocab), new Timings())) {
            assertTrue(lens.statisticsInGraph());
            LensResult result = lens.run(TestMatrices.offHeap(residual), nLayers, nTokens, tokens,
                    LensOptions.defaults().withTopK(4));
            assertMatches(new ReferenceLens(residual, nLayers + 1, nTokens, w, vocab, width), result, tokens, CONTINUOUS_TIE);
            assertFalse(lens.statisticsInGraph(), "the lens no longer claims the graph");
        }
    }

    /** A kernel that projects but whose backend cannot run the lens graph. */
    private record WithoutGraph(ProjectionKernel kernel) implements GraphLensKernel {
        @Override public int vocabSize() { return kernel.vocabSize(); }
        @Override public int width() { return kernel.width(); }
        @Override public String name() { return "no-graph"; }
        @Override public void project(MemorySegment rows, int nRows, MemorySegment logits) { kernel.project(rows, nRows, logits); }
        @Override public void close() { }
        @Override public int projectAndSummarise(MemorySegment rows, int positions, int snapshots, int[] inputs, int[] nexts,
                                                 CellStatistics out) {
            throw new UnsupportedOperationException("this backend cannot compute TOP_K");
        }
    }

    /** A top-k above the vocabulary keeps every token, with both statistics paths (the defaults' 10 on a 3-token model). */
    @Test
    void aTopKAboveTheVocabularyKeepsEveryToken() {
        int nLayers = 1;
        int nTokens = 2;
        int vocab = 3;
        int width = 4;
        Random random = new Random(5);
        float[] w = TestMatrices.gaussian(random, vocab * width, 1.0);
        float[] residual = TestMatrices.gaussian(random, (nLayers + 1) * nTokens * width, 1.0);
        int[] tokens = {2, 0};
        try (ScalarProjectionKernel kernel = new ScalarProjectionKernel(TestMatrices.unembedding(w, vocab, width));
             LogitLens jvmLens = new LogitLens(kernel, 1);
             LogitLens nativeLens = new LogitLens(kernel, 1, NativeStatistics.INSTANCE, TokenTexts.forVocabulary(vocab), new Timings())) {
            for (LogitLens lens : List.of(jvmLens, nativeLens)) {
                LensResult result = lens.run(TestMatrices.offHeap(residual), nLayers, nTokens, tokens, LensOptions.defaults());
                assertEquals(vocab, result.topK());
                assertMatches(new ReferenceLens(residual, nLayers + 1, nTokens, w, vocab, width), result, tokens, CONTINUOUS_TIE);
            }
        }
    }

    /**
     * Hand-computed ranks and top-k with ties. d = 1, h = 1 at both layers, so the logits are W_U's column:
     * z = [1, 3, 3, 2, 3]. Top-k by logit then lower id: 1, 2, 4, 3, 0. Ranks: tokens 1, 2, 4 → 1 (tied at the
     * top, each in its own favour), token 3 → 4, token 0 → 5.
     */
    @Test
    void ranksAndTopKFollowTheTieRulesExactly() {
        float[] w = {1, 3, 3, 2, 3};
        float[] residual = {1, 1, 1, 1}; // [2 layers, 2 positions, d = 1]
        int[] tokens = {3, 0};
        try (JvmProjectionKernel kernel = new JvmProjectionKernel(TestMatrices.unembedding(w, 5, 1), 1);
             LogitLens lens = new LogitLens(kernel, 1)) {
            LensResult result = lens.run(TestMatrices.offHeap(residual), 1, 2, tokens,
                    LensOptions.defaults().withTopK(5));
            for (int layer = 0; layer <= 1; layer++) {
                for (int pos = 0; pos < 2; pos++) {
                    int[] top = new int[5];
                    for (int j = 0; j < 5; j++) {
                        top[j] = result.topTokenId(layer, pos, j);
                    }
                    assertArrayEquals(new int[] {1, 2, 4, 3, 0}, top);
                    assertEquals(1, result.rankOfFinalTop1(layer, pos));
                    assertEquals(0.0, result.klToFinal(layer, pos), 1e-12);
                }
                assertEquals(4, result.rankOfInputToken(layer, 0)); // token 3
                assertEquals(5, result.rankOfNextToken(layer, 0));  // token 0
                assertEquals(5, result.rankOfInputToken(layer, 1)); // token 0
                assertEquals(-1, result.rankOfNextToken(layer, 1)); // no next token
            }
            double lse = Math.log(Math.exp(1) + 3 * Math.exp(3) + Math.exp(2));
            assertEquals(lse, result.logSumExp(1, 0), 1e-6);
            assertEquals(Math.exp(3 - lse), result.topProb(1, 0, 0), 1e-6);
        }
    }

    /** A window of a longer text: the token after the window is the last position's true next token. */
    @Test
    void theFollowingTokenIsTheLastPositionsNextToken() {
        float[] w = {1, 3, 3, 2, 3};
        float[] residual = {1, 1, 1, 1}; // [2 layers, 2 positions, d = 1]
        try (JvmProjectionKernel kernel = new JvmProjectionKernel(TestMatrices.unembedding(w, 5, 1), 1);
             LogitLens lens = new LogitLens(kernel, 1)) {
            LensResult result = lens.run(TestMatrices.offHeap(residual), 1, 2, new int[] {3, 0}, 3, LensOptions.defaults().withTopK(5));
            for (int layer = 0; layer <= 1; layer++) {
                assertEquals(5, result.rankOfNextToken(layer, 0)); // token 0, inside the window
                assertEquals(4, result.rankOfNextToken(layer, 1)); // token 3, after the window
                assertEquals(2 - Math.log(Math.exp(1) + 3 * Math.exp(3) + Math.exp(2)), result.logProbOfNextToken(layer, 1), 1e-6);
            }
            assertThrows(IllegalArgumentException.class,
                    () -> lens.run(TestMatrices.offHeap(residual), 1, 2, new int[] {3, 0}, 5, LensOptions.defaults().withTopK(5)));
            assertThrows(IllegalArgumentException.class,
                    () -> lens.run(TestMatrices.offHeap(residual), 1, 2, new int[] {3, 0}, -2, LensOptions.defaults().withTopK(5)));
        }
    }

    /** One run of a lens of {@code kernel} with two statistics threads, the lens closed after it. */
    static LensResult runOnce(ProjectionKernel kernel, MemorySegment residual, int nLayers, int nTokens, int[] tokens,
                              LensOptions options) {
        try (LogitLens lens = new LogitLens(kernel, 2)) {
            return lens.run(residual, nLayers, nTokens, tokens, options);
        }
    }

    static void assertMatches(ReferenceLens reference, LensResult result, int[] tokens, double tie) {
        int nLayers = reference.snapshots - 1;
        int nTokens = reference.nTokens;
        assertEquals(nLayers, result.nLayers());
        assertEquals(nTokens, result.nTokens());
        for (int layer = 0; layer <= nLayers; layer++) {
            for (int pos = 0; pos < nTokens; pos++) {
                String where = "layer " + layer + ", position " + pos;
                assertTopK(reference, result, layer, pos, tie, where);
                int finalTop = result.topTokenId(nLayers, pos, 0);
                assertRank(reference, layer, pos, finalTop, result.rankOfFinalTop1(layer, pos), tie, where + ", final top-1");
                assertRank(reference, layer, pos, tokens[pos], result.rankOfInputToken(layer, pos), tie, where + ", input token");
                if (pos + 1 < nTokens) {
                    assertRank(reference, layer, pos, tokens[pos + 1], result.rankOfNextToken(layer, pos), tie, where + ", next token");
                    assertClose(reference.logProb(layer, pos, tokens[pos + 1]), result.logProbOfNextToken(layer, pos), where + ", log p(next)");
                } else {
                    assertEquals(-1, result.rankOfNextToken(layer, pos), where + ": no next token at the last position");
                    assertTrue(Double.isNaN(result.logProbOfNextToken(layer, pos)), where + ": no log p(next) at the last position");
                }
                assertClose(reference.kl(nLayers, layer, pos), result.klToFinal(layer, pos), where + ", KL(final ‖ layer)");
                assertClose(reference.kl(0, layer, pos), result.klToInput(layer, pos), where + ", KL(layer 0 ‖ layer)");
                assertClose(reference.entropy(layer, pos), result.entropy(layer, pos), where + ", entropy");
                assertClose(reference.lse[reference.cell(layer, pos)], result.logSumExp(layer, pos), where + ", log-sum-exp");
                assertEquals(result.entropy(layer, pos) / Math.log(2), result.entropyBits(layer, pos), 1e-12);
                assertEquals(result.klToFinal(layer, pos) / Math.log(2), result.klToFinalBits(layer, pos), 1e-12);
                assertEquals(result.klToInput(layer, pos) / Math.log(2), result.klToInputBits(layer, pos), 1e-12);
            }
        }
    }

    private static void assertTopK(ReferenceLens reference, LensResult result, int layer, int pos, double tie, String where) {
        Set<Integer> seen = new HashSet<>();
        for (int j = 0; j < result.topK(); j++) {
            int id = result.topTokenId(layer, pos, j);
            int expected = reference.top(layer, pos, j);
            assertTrue(seen.add(id), where + ": token " + id + " twice in the top-k");
            double gap = Math.abs(reference.logit(layer, pos, id) - reference.logit(layer, pos, expected));
            if (id != expected && gap > tie) {
                fail(where + ": top-k slot " + j + " holds " + id + ", expected " + expected + " (reference logits differ by " + gap + ")");
            }
            double z = reference.logit(layer, pos, id);
            assertEquals(z, result.topLogit(layer, pos, j), ABSOLUTE * Math.max(1, Math.abs(z)), where + ", top-k logit " + j);
            assertClose(Math.exp(reference.logProb(layer, pos, id)), result.topProb(layer, pos, j), where + ", top-k probability " + j);
        }
    }

    private static void assertRank(ReferenceLens reference, int layer, int pos, int token, int actual, double tie, String where) {
        int best = reference.rank(layer, pos, token, tie);
        int worst = reference.rank(layer, pos, token, -tie);
        if (actual < best || actual > worst) {
            fail(where + ": rank of token " + token + " is " + actual + ", expected "
                    + (best == worst ? String.valueOf(best) : "[" + best + ", " + worst + "] (near-ties)"));
        }
    }

    private static void assertDistribution(ReferenceLens reference, LensResult result, int layer, int pos) {
        assertTrue(result.hasDistribution(layer, pos));
        float[] logits = result.logits(layer, pos);
        float[] probs = result.probabilities(layer, pos);
        assertEquals(reference.vocab, logits.length);
        for (int v = 0; v < reference.vocab; v++) {
            double z = reference.logit(layer, pos, v);
            assertEquals(z, logits[v], ABSOLUTE * Math.max(1, Math.abs(z)), "logit " + v);
            assertClose(Math.exp(reference.logProb(layer, pos, v)), probs[v], "probability " + v);
        }
    }

    private static void assertClose(double expected, double actual, String what) {
        if (!(Math.abs(actual - expected) <= ABSOLUTE)) {
            fail(what + ": " + actual + ", expected " + expected + " ± " + ABSOLUTE);
        }
    }
}
