package dev.logitlens.lens;

import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.ModelFiles;
import dev.logitlens.runtime.Backend;
import dev.logitlens.runtime.NativeModel;
import dev.logitlens.runtime.NativeProjectionKernel;
import dev.logitlens.runtime.NativeSession;
import dev.logitlens.runtime.NativeStatistics;
import dev.logitlens.runtime.ProjectionPrecision;
import dev.logitlens.runtime.ResidualMode;
import dev.logitlens.runtime.ResidualStream;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import dev.logitlens.time.Timings;
import dev.logitlens.tokenizer.TokenTexts;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tracked tokens ({@link TrackedTokens}) against {@link ReferenceLens} (double GEMM, log-sum-exp, ranks counted from
 * the definition), with both statistics paths, block sizes that do not divide T, and dyadic data (exact in float) on
 * which ties must follow the rank rule exactly.
 */
class TrackedTokensTest {

    private static final double ABSOLUTE = 1e-4;

    @ParameterizedTest(name = "layers={0} T={1} V={2} d={3} block={4} dyadic={5}")
    @CsvSource({"3, 5, 97, 24, 2, false", "12, 7, 301, 40, 3, false", "0, 3, 40, 8, 2, false", "4, 9, 64, 16, 4, true",
            "2, 6, 200, 9, 5, true"})
    void matchesDoubleReference(int nLayers, int nTokens, int vocab, int width, int block, boolean dyadic) {
        Random random = new Random(31L * nLayers + 7L * nTokens + vocab);
        int snapshots = nLayers + 1;
        float[] w = dyadic ? TestMatrices.dyadic(random, vocab * width, 2) : TestMatrices.peakedUnembedding(random, vocab, width);
        float[] residual = dyadic ? TestMatrices.dyadic(random, snapshots * nTokens * width, 4)
                : TestMatrices.gaussian(random, snapshots * nTokens * width, 1.0);
        int[] tokens = random.ints(nTokens, 0, vocab).toArray();
        List<Integer> tracked = List.of(vocab - 1, 0, vocab / 2, 3);
        double tie = dyadic ? 0 : 1e-5;
        ReferenceLens reference = new ReferenceLens(residual, snapshots, nTokens, w, vocab, width);
        LensOptions options = LensOptions.defaults().withPositionsPerBlock(block).withTrackedTokens(tracked);
        try (JvmProjectionKernel kernel = new JvmProjectionKernel(TestMatrices.unembedding(w, vocab, width), 2);
             LogitLens jvmLens = new LogitLens(kernel, 2);
             LogitLens nativeLens = new LogitLens(kernel, 2, NativeStatistics.INSTANCE, TokenTexts.forVocabulary(vocab), new Timings())) {
            for (LogitLens lens : List.of(jvmLens, nativeLens)) {
                LensResult result = lens.run(TestMatrices.offHeap(residual), nLayers, nTokens, tokens, options);
                TrackedTokens t = result.tracked();
                assertEquals(tracked.size(), t.size());
                for (int layer = 0; layer < snapshots; layer++) {
                    for (int pos = 0; pos < nTokens; pos++) {
                        for (int i = 0; i < t.size(); i++) {
                            int id = tracked.get(i);
                            assertEquals(id, t.id(i));
                            double z = reference.logit(layer, pos, id);
                            assertEquals(z, t.logit(layer, pos, i), ABSOLUTE * Math.max(1, Math.abs(z)));
                            assertEquals(reference.logProb(layer, pos, id), t.logProb(layer, pos, i), ABSOLUTE);
                            assertEquals(Math.exp(reference.logProb(layer, pos, id)), t.probability(layer, pos, i), ABSOLUTE);
                            int rank = t.rank(layer, pos, i);
                            int best = reference.rank(layer, pos, id, tie);
                            int worst = reference.rank(layer, pos, id, -tie);
                            assertTrue(rank >= best && rank <= worst, "rank " + rank + " outside [" + best + ", " + worst
                                    + "] at layer " + layer + " position " + pos + " token " + id);
                        }
                        // the contrast is the log-probability difference: the log-sum-exp cancels
                        double expected = reference.logProb(layer, pos, tracked.get(0)) - reference.logProb(layer, pos, tracked.get(1));
                        assertEquals(expected, t.difference(layer, pos, 0, 1), ABSOLUTE * Math.max(1, Math.abs(expected)));
                    }
                }
                // the tracked tokens' ranks agree with the lens's own ranks of the same token (one rule)
                for (int pos = 0; pos < nTokens; pos++) {
                    int i = t.indexOf(tokens[pos]);
                    if (i >= 0) {
                        for (int layer = 0; layer < snapshots; layer++) {
                            assertEquals(result.rankOfInputToken(layer, pos), t.rank(layer, pos, i));
                        }
                    }
                }
                if (nTokens > 2) {
                    LensResult slice = result.slice(1, nTokens - 1);
                    for (int layer = 0; layer < snapshots; layer++) {
                        for (int pos = 1; pos < nTokens - 1; pos++) {
                            for (int i = 0; i < t.size(); i++) {
                                assertEquals(t.logit(layer, pos, i), slice.tracked().logit(layer, pos - 1, i));
                                assertEquals(t.logProb(layer, pos, i), slice.tracked().logProb(layer, pos - 1, i));
                                assertEquals(t.rank(layer, pos, i), slice.tracked().rank(layer, pos - 1, i));
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * A lens whose blocks run whole in the kernel's ggml graph ({@link LogitLens#inKernelGraph}) keeps no logits on the
     * host; with tracked tokens its blocks go the usual way, and the tracked values are the reference's.
     */
    @Test
    void theGraphLensTracksTokensToo(@TempDir Path dir) throws IOException {
        Gpt2Config config = TinyGpt2.config(389, 24, 64, 4, 3);
        CanonicalWeights weights = TinyGpt2.generate(config, 9, 6.0, true);
        Path file = new GgufWriter(weights).write(dir.resolve("m.gguf"));
        int[] tokens = new Random(6).ints(11, 0, config.nVocab()).toArray();
        List<Integer> tracked = List.of(388, 0, tokens[4]);
        LensOptions options = LensOptions.defaults().withTopK(3).withPositionsPerBlock(4).withTrackedTokens(tracked);
        try (NativeModel model = NativeModel.create(ModelFiles.open(file), Backend.CPU);
             NativeSession session = model.newSession(2);
             NativeProjectionKernel kernel = model.newProjectionKernel(ProjectionPrecision.F32, 2);
             Arena arena = Arena.ofConfined();
             LogitLens lens = LogitLens.inKernelGraph(kernel, 2, NativeStatistics.INSTANCE, TokenTexts.forVocabulary(config.nVocab()),
                     new Timings())) {
            ResidualStream stream = session.forward(tokens, ResidualMode.NORMALISED, false, arena);
            float[] residual = stream.residual().toArray(ValueLayout.JAVA_FLOAT); // [L+1, T, d]
            ReferenceLens reference = new ReferenceLens(residual, config.nLayer() + 1, tokens.length, weights.unembedding(),
                    config.nVocab(), config.nEmbd());
            TrackedTokens t = lens.run(stream.residual(), config.nLayer(), tokens.length, tokens, options).tracked();
            for (int layer = 0; layer <= config.nLayer(); layer++) {
                for (int pos = 0; pos < tokens.length; pos++) {
                    for (int i = 0; i < tracked.size(); i++) {
                        int id = tracked.get(i);
                        double z = reference.logit(layer, pos, id);
                        assertEquals(z, t.logit(layer, pos, i), ABSOLUTE * Math.max(1, Math.abs(z)));
                        assertEquals(reference.logProb(layer, pos, id), t.logProb(layer, pos, i), ABSOLUTE);
                        int rank = t.rank(layer, pos, i);
                        assertTrue(rank >= reference.rank(layer, pos, id, 1e-5) && rank <= reference.rank(layer, pos, id, -1e-5));
                    }
                }
            }
        }
    }

    /** z = [1, 3, 3, 2, 3] at every cell (d = 1, h = 1): tracked 4, 0, 3 have ranks 1 (tied top), 5 and 4. */
    @Test
    void ranksFollowTheTieRuleExactly() {
        float[] w = {1, 3, 3, 2, 3};
        float[] residual = {1, 1, 1, 1}; // [2 layers, 2 positions, d = 1]
        try (JvmProjectionKernel kernel = new JvmProjectionKernel(TestMatrices.unembedding(w, 5, 1), 1);
             LogitLens lens = new LogitLens(kernel, 1)) {
            LensResult result = lens.run(TestMatrices.offHeap(residual), 1, 2, new int[] {3, 0},
                    LensOptions.defaults().withTopK(2).withTrackedTokens(List.of(4, 0, 3)));
            double lse = Math.log(Math.exp(1) + 3 * Math.exp(3) + Math.exp(2));
            for (int layer = 0; layer <= 1; layer++) {
                for (int pos = 0; pos < 2; pos++) {
                    TrackedTokens t = result.tracked();
                    assertEquals(1, t.rank(layer, pos, 0));
                    assertEquals(5, t.rank(layer, pos, 1));
                    assertEquals(4, t.rank(layer, pos, 2));
                    assertEquals(3.0, t.logit(layer, pos, 0));
                    assertEquals(Math.exp(1 - lse), t.probability(layer, pos, 1), 1e-7);
                    assertEquals(2.0, t.difference(layer, pos, 0, 1));
                }
            }
        }
    }

    @Test
    void refusesIdsOutsideTheVocabularyAndRepeats() {
        float[] w = {1, 3, 3, 2, 3};
        try (JvmProjectionKernel kernel = new JvmProjectionKernel(TestMatrices.unembedding(w, 5, 1), 1);
             LogitLens lens = new LogitLens(kernel, 1)) {
            assertThrows(IllegalArgumentException.class, () -> lens.run(TestMatrices.offHeap(new float[] {1, 1}), 1, 1,
                    new int[] {0}, LensOptions.defaults().withTrackedTokens(List.of(5))));
        }
        assertThrows(IllegalArgumentException.class, () -> LensOptions.defaults().withTrackedTokens(List.of(2, 2)));
    }

    @Test
    void untrackedRunsHaveNone() {
        float[] w = {1, 3, 3, 2, 3};
        try (JvmProjectionKernel kernel = new JvmProjectionKernel(TestMatrices.unembedding(w, 5, 1), 1);
             LogitLens lens = new LogitLens(kernel, 1)) {
            LensResult result = lens.run(TestMatrices.offHeap(new float[] {1, 1}), 1, 1, new int[] {0}, LensOptions.defaults());
            assertEquals(0, result.tracked().size());
        }
    }
}
