package dev.logitlens.lens;

import dev.logitlens.model.MatrixLayout;
import dev.logitlens.model.TensorInfo;
import dev.logitlens.model.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The vector kernel and the scalar kernel against a double-precision GEMM on the same (rounded) weights.
 *
 * <p>Tolerance: |logit − reference| ≤ 1e-4 · Σ_k |h_k · w_k| — relative to the magnitude the float rounding
 * of a d-term dot product scales with (a logit near 0 from cancellation is held to the same absolute error
 * as its terms). Shapes put tails everywhere: V and d not multiples of the vector width or of NR = 16,
 * row counts below, at and above multiples of the 6- and 8-row micro-kernels, d above the k block of 256.
 */
class ProjectionKernelTest {

    private static final double TOLERANCE = 1e-4;

    static Stream<Arguments> shapes() {
        List<Arguments> cases = new ArrayList<>();
        int[][] shapes = {
                // V, d, nRows
                {1, 1, 1},
                {37, 13, 5},
                {16, 8, 6},
                {33, 40, 7},
                {100, 64, 13},
                {257, 300, 12},
                {1041, 96, 29},
                {50, 513, 3},
                {300, 70, 24},
                {129, 33, 25},
                {64, 48, 36},
        };
        for (int[] shape : shapes) {
            for (TensorType type : TensorType.values()) {
                for (int threads : new int[] {1, 2}) {
                    cases.add(Arguments.of(shape[0], shape[1], shape[2], type, MatrixLayout.OUT_IN, threads));
                }
            }
        }
        cases.add(Arguments.of(77, 31, 9, TensorType.F16, MatrixLayout.IN_OUT, 2));
        cases.add(Arguments.of(77, 31, 9, TensorType.F32, MatrixLayout.IN_OUT, 1));
        return cases.stream();
    }

    @ParameterizedTest(name = "V={0} d={1} rows={2} {3} {4} threads={5}")
    @MethodSource("shapes")
    void kernelsMatchDoubleReference(int vocab, int width, int nRows, TensorType type, MatrixLayout layout, int threads) {
        Random random = new Random(31L * vocab + 7L * width + nRows + type.ordinal());
        float[] w = TestMatrices.gaussian(random, vocab * width, 0.5);
        float[] rows = TestMatrices.gaussian(random, nRows * width, 1.0);
        TensorInfo tensor = TestMatrices.unembedding(w, vocab, width, type, layout);
        float[] stored = TestMatrices.rounded(w, type);
        double[][] reference = ReferenceLens.multiply(rows, nRows, stored, vocab, width);
        double[][] scale = ReferenceLens.magnitudes(rows, nRows, stored, vocab, width);

        try (JvmProjectionKernel vector = new JvmProjectionKernel(tensor, threads);
             ScalarProjectionKernel scalar = new ScalarProjectionKernel(tensor)) {
            assertEquals(vocab, vector.vocabSize());
            assertEquals(width, vector.width());
            assertProjects(vector, rows, nRows, reference, scale);
            assertProjects(scalar, rows, nRows, reference, scale);
        }
    }

    @ParameterizedTest(name = "threads={0}")
    @MethodSource("threadCounts")
    void repeatedCallsWithFewerRowsOverwriteEverything(int threads) {
        int vocab = 45;
        int width = 20;
        Random random = new Random(5);
        float[] w = TestMatrices.gaussian(random, vocab * width, 0.5);
        try (JvmProjectionKernel kernel = new JvmProjectionKernel(TestMatrices.unembedding(w, vocab, width), threads)) {
            for (int nRows : new int[] {14, 3, 8}) {
                float[] rows = TestMatrices.gaussian(random, nRows * width, 1.0);
                assertProjects(kernel, rows, nRows, ReferenceLens.multiply(rows, nRows, w, vocab, width),
                        ReferenceLens.magnitudes(rows, nRows, w, vocab, width));
            }
        }
    }

    /** The tile follows the vector width: 8 rows with 16 lanes, 6 with 8 (the pom's second run limits HotSpot to AVX2). */
    @Test
    void theTileFitsTheVectorRegisters() {
        int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        assertEquals(lanes >= 16 ? 8 : 6, MicroKernel.MR);
        if (java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:UseAVX=2")) {
            assertEquals(8, lanes, "with -XX:UseAVX=2 the preferred species has 8 float lanes");
        }
    }

    static Stream<Integer> threadCounts() {
        return Stream.of(1, 2);
    }

    private static void assertProjects(ProjectionKernel kernel, float[] rows, int nRows, double[][] reference, double[][] scale) {
        int vocab = kernel.vocabSize();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment logits = arena.allocate((long) nRows * vocab * Float.BYTES);
            logits.fill((byte) 0x7f); // garbage (~3.4e38) wherever the kernel forgets to write
            kernel.project(TestMatrices.offHeap(rows), nRows, logits);
            float[] out = TestMatrices.toArray(logits, nRows * vocab);
            for (int r = 0; r < nRows; r++) {
                for (int v = 0; v < vocab; v++) {
                    double expected = reference[r][v];
                    double actual = out[r * vocab + v];
                    double allowed = TOLERANCE * Math.max(scale[r][v], Double.MIN_NORMAL);
                    if (!(Math.abs(actual - expected) <= allowed)) {
                        fail(kernel.name() + ": logits[" + r + ", " + v + "] = " + actual + ", expected " + expected + " ± " + allowed);
                    }
                }
            }
        }
    }
}
