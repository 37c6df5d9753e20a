package dev.logitlens.bench;

import dev.logitlens.model.MatrixLayout;
import dev.logitlens.model.TensorInfo;
import dev.logitlens.model.TensorType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Random inputs at GPT-2-small shape (V = 50257, d = 768, 12 layers), off-heap, from a fixed seed. */
final class BenchData {

    static final int VOCAB = 50257;
    static final int WIDTH = 768;
    static final int LAYERS = 12;

    private BenchData() {
    }

    /** W_U {@code [V, d]} F32, uniform in ±0.1 (the scale of GPT-2's wte), allocated from {@code arena}. */
    static TensorInfo unembedding(Arena arena, long seed) {
        MemorySegment data = arena.allocate((long) VOCAB * WIDTH * Float.BYTES, 64); // [V, d]
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < (long) VOCAB * WIDTH; i++) {
            data.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (random.nextDouble() * 0.2 - 0.1));
        }
        return new TensorInfo("output.weight", TensorType.F32, new long[] {VOCAB, WIDTH}, MatrixLayout.OUT_IN, data);
    }

    /** {@code rows} rows of width d, each standardised to mean 0, variance 1 like an ln_f output. */
    static MemorySegment normalisedRows(Arena arena, int rows, long seed) {
        MemorySegment data = arena.allocate((long) rows * WIDTH * Float.BYTES, 64); // [rows, d]
        SplittableRandom random = new SplittableRandom(seed);
        float[] row = new float[WIDTH];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            double squares = 0;
            for (int k = 0; k < WIDTH; k++) {
                row[k] = (float) (random.nextDouble() * 2 - 1);
                sum += row[k];
                squares += row[k] * row[k];
            }
            double mean = sum / WIDTH;
            double scale = 1 / Math.sqrt(squares / WIDTH - mean * mean + 1e-5);
            for (int k = 0; k < WIDTH; k++) {
                data.setAtIndex(ValueLayout.JAVA_FLOAT, (long) r * WIDTH + k, (float) ((row[k] - mean) * scale));
            }
        }
        return data;
    }

    /** {@code [T]} token ids in [0, V). */
    static int[] tokens(int nTokens, long seed) {
        return new SplittableRandom(seed).ints(nTokens, 0, VOCAB).toArray();
    }

    /** 2 · rows · d · V: the multiply-adds of projecting {@code rows} rows, counted as two FLOPs each. */
    static double projectionFlops(long rows) {
        return 2.0 * rows * WIDTH * VOCAB;
    }
}
