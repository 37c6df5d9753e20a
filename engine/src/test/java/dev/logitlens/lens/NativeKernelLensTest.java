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
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;
import dev.logitlens.time.Timings;
import dev.logitlens.tokenizer.TokenTexts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native (ggml) projection kernel against the double-precision reference lens and against the JVM
 * kernel, over the residual streams of tiny random GPT-2s run through the shim; and the reduced-precision
 * kernels within the accuracy docs/BENCHMARKS.md documents.
 */
class NativeKernelLensTest {

    private static final double TIE = 1e-5;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "tied={0}")
    @ValueSource(booleans = {true, false})
    void nativeAndJvmKernelsGiveTheReferenceLens(boolean tied) throws IOException {
        Gpt2Config config = TinyGpt2.config(211, 16, 64, 4, 3);
        CanonicalWeights weights = TinyGpt2.generate(config, 5, 6.0, tied);
        Path file = tied ? new GgufWriter(weights).write(dir.resolve("m.gguf"))
                : new SafetensorsWriter(weights).writeFolder(dir.resolve("hf"));
        int[] tokens = new Random(3).ints(16, 0, config.nVocab()).toArray();
        LensOptions options = LensOptions.defaults().withTopK(7).withPositionsPerBlock(5)
                .withDistributionCells(List.of(new LensCell(1, 4)));
        try (NativeModel model = NativeModel.create(ModelFiles.open(file), Backend.CPU);
             NativeSession session = model.newSession(2);
             NativeProjectionKernel nativeKernel = model.newProjectionKernel(ProjectionPrecision.F32, 2);
             JvmProjectionKernel jvmKernel = new JvmProjectionKernel(model.weights().unembedding(), 2);
             Arena arena = Arena.ofConfined()) {
            ResidualStream stream = session.forward(tokens, ResidualMode.NORMALISED, false, arena);
            float[] residual = stream.residual().toArray(ValueLayout.JAVA_FLOAT); // [L+1, T, d]
            ReferenceLens reference = new ReferenceLens(residual, config.nLayer() + 1, tokens.length,
                    weights.unembedding(), config.nVocab(), config.nEmbd());

            LensResult viaNative = LogitLensTest.runOnce(nativeKernel, stream.residual(), config.nLayer(), tokens.length, tokens, options);
            LensResult viaJvm = LogitLensTest.runOnce(jvmKernel, stream.residual(), config.nLayer(), tokens.length, tokens, options);
            LogitLensTest.assertMatches(reference, viaNative, tokens, TIE);
            LogitLensTest.assertMatches(reference, viaJvm, tokens, TIE);
            for (int v = 0; v < config.nVocab(); v++) {
                assertEquals(viaJvm.logits(1, 4)[v], viaNative.logits(1, 4)[v], 1e-4, "logit " + v + " of cell (1, 4)");
            }
            assertEquals("native-f32", nativeKernel.name());
        }
    }

    /**
     * The lens as one ggml graph (ll_lens, what CUDA runs) on ggml's CPU backend: the reference lens within the JVM
     * kernel's tolerance, and the shim's C statistics on ggml's logits (top-k and ranks exactly, the sums, which the
     * graph makes in float32, to 1e-5 relative); a block holding a cell kept
     * whole goes the usual way (projection, then statistics) and the other blocks the graph.
     */
    @ParameterizedTest(name = "tied={0}")
    @ValueSource(booleans = {true, false})
    void theLensGraphGivesTheReferenceLens(boolean tied) throws IOException {
        Gpt2Config config = TinyGpt2.config(389, 24, 64, 4, 3);
        CanonicalWeights weights = TinyGpt2.generate(config, 8, 6.0, tied);
        Path file = tied ? new GgufWriter(weights).write(dir.resolve("m.gguf"))
                : new SafetensorsWriter(weights).writeFolder(dir.resolve("hf"));
        int[] tokens = new Random(5).ints(19, 0, config.nVocab()).toArray();
        LensOptions options = LensOptions.defaults().withTopK(9).withPositionsPerBlock(4)
                .withDistributionCells(List.of(new LensCell(2, 9)));
        try (NativeModel model = NativeModel.create(ModelFiles.open(file), Backend.CPU);
             NativeSession session = model.newSession(2);
             NativeProjectionKernel kernel = model.newProjectionKernel(ProjectionPrecision.F32, 2);
             Arena arena = Arena.ofConfined()) {
            ResidualStream stream = session.forward(tokens, ResidualMode.NORMALISED, false, arena);
            float[] residual = stream.residual().toArray(ValueLayout.JAVA_FLOAT); // [L+1, T, d]
            ReferenceLens reference = new ReferenceLens(residual, config.nLayer() + 1, tokens.length,
                    weights.unembedding(), config.nVocab(), config.nEmbd());
            LensResult viaGraph;
            try (LogitLens lens = LogitLens.inKernelGraph(kernel, 2, NativeStatistics.INSTANCE,
                    TokenTexts.forVocabulary(config.nVocab()), new Timings())) {
                viaGraph = lens.run(stream.residual(), config.nLayer(), tokens.length, tokens, options);
            }
            LogitLensTest.assertMatches(reference, viaGraph, tokens, TIE);
            LensResult viaC;
            try (LogitLens lens = new LogitLens(kernel, 2, NativeStatistics.INSTANCE,
                    TokenTexts.forVocabulary(config.nVocab()), new Timings())) {
                viaC = lens.run(stream.residual(), config.nLayer(), tokens.length, tokens, options);
            }
            for (int layer = 0; layer <= config.nLayer(); layer++) {
                for (int pos = 0; pos < tokens.length; pos++) {
                    String cell = "cell (" + layer + ", " + pos + ")";
                    for (int j = 0; j < 9; j++) {
                        assertEquals(viaC.topTokenId(layer, pos, j), viaGraph.topTokenId(layer, pos, j), cell);
                    }
                    assertEquals(viaC.rankOfFinalTop1(layer, pos), viaGraph.rankOfFinalTop1(layer, pos), cell);
                    assertEquals(viaC.rankOfNextToken(layer, pos), viaGraph.rankOfNextToken(layer, pos), cell);
                    assertEquals(viaC.rankOfInputToken(layer, pos), viaGraph.rankOfInputToken(layer, pos), cell);
                    assertEquals(viaC.klToFinal(layer, pos), viaGraph.klToFinal(layer, pos), 1e-5 * (1 + Math.abs(viaC.klToFinal(layer, pos))), cell);
                    assertEquals(viaC.klToInput(layer, pos), viaGraph.klToInput(layer, pos), 1e-5 * (1 + Math.abs(viaC.klToInput(layer, pos))), cell);
                    assertEquals(viaC.entropy(layer, pos), viaGraph.entropy(layer, pos), 1e-5 * (1 + Math.abs(viaC.entropy(layer, pos))), cell);
                }
            }
            assertArrayEquals(viaC.logits(2, 9), viaGraph.logits(2, 9), "the kept cell's logits come from ggml");
        }
    }

    /**
     * Reduced precision on a tiny sharp model (final logits with a standard deviation of about 6):
     * measured here F16 / BF16 / Q8_0 = max |ΔKL| 0.008 / 0.069 / 0.24 nats, max rank change 1 / 1 / 2,
     * top-1 agreement 100 %. The bounds leave a margin of about 2 so that a regression (a wrong
     * conversion, a lost scale) fails; docs/BENCHMARKS.md has the figures at GPT-2-small shape.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"F16", "BF16", "Q8_0"})
    void reducedPrecisionStaysWithinItsDocumentedAccuracy(String name) throws IOException {
        ProjectionPrecision precision = ProjectionPrecision.valueOf(name);
        Gpt2Config config = TinyGpt2.config(503, 32, 128, 4, 2);
        CanonicalWeights weights = TinyGpt2.generate(config, 9, 6.0, true);
        Path file = new GgufWriter(weights).write(dir.resolve("m.gguf"));
        int[] tokens = new Random(4).ints(32, 0, config.nVocab()).toArray();
        LensOptions options = LensOptions.defaults().withTopK(1);
        try (NativeModel model = NativeModel.create(ModelFiles.open(file), Backend.CPU);
             NativeSession session = model.newSession(2);
             NativeProjectionKernel exact = model.newProjectionKernel(ProjectionPrecision.F32, 2);
             NativeProjectionKernel reduced = model.newProjectionKernel(precision, 2);
             Arena arena = Arena.ofConfined()) {
            ResidualStream stream = session.forward(tokens, ResidualMode.NORMALISED, false, arena);
            LensResult a = LogitLensTest.runOnce(exact, stream.residual(), config.nLayer(), tokens.length, tokens, options);
            LensResult b = LogitLensTest.runOnce(reduced, stream.residual(), config.nLayer(), tokens.length, tokens, options);
            LensAccuracy accuracy = LensAccuracy.compare(a, b);
            double maxKlError = switch (precision) {
                case F16 -> 0.02;
                case BF16 -> 0.15;
                default -> 0.5;
            };
            assertTrue(accuracy.top1Agreement() >= 0.95, accuracy.toString());
            assertTrue(accuracy.maxRankChange() <= 4, accuracy.toString());
            assertTrue(accuracy.maxKlError() <= maxKlError, accuracy.toString());
            assertTrue(accuracy.maxKlError() > 0, "a reduced-precision kernel that is exact is not reduced: " + accuracy);
        }
    }

    @Test
    void theNativeKernelRefusesHeapSegmentsAndUseAfterClose() throws IOException {
        Gpt2Config config = TinyGpt2.config(11, 4, 32, 2, 1);
        Path file = new GgufWriter(TinyGpt2.generate(config, 1, 2, true)).write(dir.resolve("m.gguf"));
        NativeModel model = NativeModel.create(ModelFiles.open(file), Backend.CPU);
        NativeProjectionKernel kernel = model.newProjectionKernel(ProjectionPrecision.F32, 1);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rows = arena.allocate(32 * Float.BYTES);
            MemorySegment logits = arena.allocate(11 * Float.BYTES);
            assertThrows(IllegalArgumentException.class, () -> kernel.project(MemorySegment.ofArray(new float[32]), 1, logits));
            assertThrows(IllegalArgumentException.class, () -> kernel.project(rows, 2, logits)); // rows too small for 2
            kernel.project(rows, 1, logits);
            model.close(); // closes the kernel first
            assertThrows(IllegalStateException.class, () -> kernel.project(rows, 1, logits));
            assertThrows(IllegalStateException.class, () -> model.newProjectionKernel(ProjectionPrecision.F32, 1));
        }
    }
}
