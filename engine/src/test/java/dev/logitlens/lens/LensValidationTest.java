package dev.logitlens.lens;

import dev.logitlens.model.MatrixLayout;
import dev.logitlens.model.TensorInfo;
import dev.logitlens.model.TensorType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every argument error is an exception that says what is wrong, thrown before any work. */
class LensValidationTest {

    private static final int VOCAB = 20;
    private static final int WIDTH = 4;
    private static final int LAYERS = 2;
    private static final int TOKENS = 3;

    private static JvmProjectionKernel kernel;
    private static LogitLens lens;
    private static MemorySegment residual; // [LAYERS + 1, TOKENS, WIDTH]

    @BeforeAll
    static void setUp() {
        Random random = new Random(3);
        kernel = new JvmProjectionKernel(TestMatrices.unembedding(TestMatrices.gaussian(random, VOCAB * WIDTH, 1), VOCAB, WIDTH), 2);
        lens = new LogitLens(kernel, 2);
        residual = TestMatrices.offHeap(TestMatrices.gaussian(random, (LAYERS + 1) * TOKENS * WIDTH, 1));
    }

    @AfterAll
    static void tearDown() {
        lens.close();
        kernel.close();
    }

    private static final int[] TOKEN_IDS = {1, 2, 3};

    @Test
    void residualTooSmall() {
        MemorySegment small = residual.asSlice(0, residual.byteSize() - Float.BYTES);
        assertMessage(() -> lens.run(small, LAYERS, TOKENS, TOKEN_IDS, LensOptions.defaults()), "residual segment too small");
    }

    @Test
    void tokenIdOutOfRange() {
        assertMessage(() -> lens.run(residual, LAYERS, TOKENS, new int[] {1, VOCAB, 3}, LensOptions.defaults()), "token id " + VOCAB);
        assertMessage(() -> lens.run(residual, LAYERS, TOKENS, new int[] {-1, 2, 3}, LensOptions.defaults()), "token id -1");
    }

    @Test
    void topKOutOfRange() {
        assertMessage(() -> LensOptions.defaults().withTopK(0), "topK must be at least 1");
        // above the vocabulary: every token, not an error (LensOptions.topKFor)
        assertEquals(VOCAB, lens.run(residual, LAYERS, TOKENS, TOKEN_IDS, LensOptions.defaults().withTopK(VOCAB + 1)).topK());
    }

    @Test
    void tokenCountMismatch() {
        assertMessage(() -> lens.run(residual, LAYERS, TOKENS, new int[] {1, 2}, LensOptions.defaults()), "tokens has 2 ids but nTokens is 3");
        assertMessage(() -> lens.run(residual, LAYERS, 0, new int[0], LensOptions.defaults()), "nTokens must be at least 1");
        assertMessage(() -> lens.run(residual, -1, TOKENS, TOKEN_IDS, LensOptions.defaults()), "nLayers must be non-negative");
    }

    @Test
    void distributionCellOutsideTheGrid() {
        assertMessage(() -> lens.run(residual, LAYERS, TOKENS, TOKEN_IDS,
                LensOptions.defaults().withDistributionCells(List.of(new LensCell(LAYERS + 1, 0)))), "outside the grid");
        assertMessage(() -> new LensCell(0, -1), "non-negative");
    }

    @Test
    void badOptions() {
        assertMessage(() -> new LogitLens(kernel, 0), "threads must be at least 1");
        assertMessage(() -> LensOptions.defaults().withPositionsPerBlock(0), "positionsPerBlock must be at least 1");
    }

    @Test
    void projectionBuffersTooSmall() {
        MemorySegment rows = TestMatrices.offHeap(new float[2 * WIDTH]);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment logits = arena.allocate(2L * VOCAB * Float.BYTES);
            assertMessage(() -> kernel.project(rows, 3, logits), "rows segment too small");
            assertMessage(() -> kernel.project(rows, 2, logits.asSlice(0, logits.byteSize() - 1)), "logits segment too small");
            assertMessage(() -> kernel.project(rows, 0, logits), "nRows must be at least 1");
            assertMessage(() -> kernel.project(rows, 2, logits.asReadOnly()), "read-only");
        }
    }

    @Test
    void unembeddingOfTheWrongShape() {
        MemorySegment data = Arena.ofAuto().allocate(VOCAB * WIDTH * Float.BYTES);
        assertMessage(() -> new JvmProjectionKernel(new TensorInfo("w", TensorType.F32, new long[] {VOCAB * WIDTH}, MatrixLayout.OUT_IN, data), 1),
                "must be a matrix");
        assertMessage(() -> new ScalarProjectionKernel(new TensorInfo("w", TensorType.F16, new long[] {VOCAB, 2 * WIDTH + 1}, MatrixLayout.OUT_IN, data)),
                "bytes of data");
        assertMessage(() -> new JvmProjectionKernel(new TensorInfo("w", TensorType.F32, new long[] {VOCAB, WIDTH}, MatrixLayout.OUT_IN, data), 0),
                "thread count must be at least 1");
    }

    @Test
    void closedKernelRefusesWork() {
        JvmProjectionKernel closed = new JvmProjectionKernel(TestMatrices.unembedding(new float[VOCAB * WIDTH], VOCAB, WIDTH), 1);
        closed.close();
        closed.close();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rows = arena.allocate((long) WIDTH * Float.BYTES);
            MemorySegment logits = arena.allocate((long) VOCAB * Float.BYTES);
            assertMessage(() -> closed.project(rows, 1, logits), "closed");
        }
    }

    @Test
    void resultAccessorsCheckTheirIndices() {
        LensResult result = lens.run(residual, LAYERS, TOKENS, TOKEN_IDS, LensOptions.defaults().withTopK(2));
        assertThrows(IndexOutOfBoundsException.class, () -> result.entropy(LAYERS + 1, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> result.klToFinal(0, TOKENS));
        assertThrows(IndexOutOfBoundsException.class, () -> result.topTokenId(0, 0, 2));
        assertMessage(() -> result.probabilities(0, 0), "no full distribution kept");
    }

    private static void assertMessage(Executable call, String fragment) {
        Throwable thrown = assertThrows(RuntimeException.class, call);
        assertTrue(thrown instanceof IllegalArgumentException || thrown instanceof IllegalStateException,
                "unexpected exception type " + thrown);
        assertTrue(thrown.getMessage().contains(fragment), "message \"" + thrown.getMessage() + "\" should mention \"" + fragment + "\"");
    }
}
