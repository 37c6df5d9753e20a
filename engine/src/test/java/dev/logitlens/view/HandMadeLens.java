package dev.logitlens.view;

import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.LogitLens;
import dev.logitlens.lens.ScalarProjectionKernel;
import dev.logitlens.model.MatrixLayout;
import dev.logitlens.model.TensorInfo;
import dev.logitlens.model.TensorType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A lens whose logits are chosen by hand: W_U is the identity (V = d), so every cell's logits are its residual
 * row. 2 blocks (layers 0..2), 3 positions, V = 2048, input tokens {20, 7, 11}. Per cell: a top-1 token with a
 * large logit, the final layer's top-1 placed at an exact rank by giving {@code rank − 2} filler tokens (ids from
 * 100 up) logit 1 and it 0.5, every other logit 0.
 *
 * <pre>
 * position            0                      1                      2
 * final top-1 f       7 (logit 60)           9 (logit 8)            11 (logit 4)
 * layer 1             top 7, logit 5 (rank 1) top 2, logit 5, f rank 100  top 11, logit 4 (= final: KL 0)
 * layer 0             top 3, logit 60, f rank 1500  top 9, logit 3 (rank 1)  top 4, logit 5, f rank 1000
 * </pre>
 */
final class HandMadeLens {

    static final int VOCAB = 2048;
    static final int LAYERS = 2;
    static final int[] TOKENS = {20, 7, 11};

    private HandMadeLens() {
    }

    static LensResult build() {
        int positions = TOKENS.length;
        float[][][] z = new float[LAYERS + 1][positions][VOCAB];
        // position 0: final top-1 7
        z[2][0][7] = 60;
        z[1][0][7] = 5;
        topWithRank(z[0][0], 3, 60, 7, 1500);
        // position 1: final top-1 9
        z[2][1][9] = 8;
        topWithRank(z[1][1], 2, 5, 9, 100);
        z[0][1][9] = 3;
        // position 2: final top-1 11
        z[2][2][11] = 4;
        z[1][2][11] = 4;
        topWithRank(z[0][2], 4, 5, 11, 1000);

        MemorySegment w = Arena.ofAuto().allocate((long) VOCAB * VOCAB * Float.BYTES, 8);
        ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int v = 0; v < VOCAB; v++) {
            w.setAtIndex(le, (long) v * VOCAB + v, 1f);
        }
        TensorInfo unembedding = new TensorInfo("output.weight", TensorType.F32, new long[] {VOCAB, VOCAB}, MatrixLayout.OUT_IN, w);
        MemorySegment residual = Arena.ofAuto().allocate((long) (LAYERS + 1) * positions * VOCAB * Float.BYTES, 64);
        long i = 0;
        for (float[][] layer : z) {
            for (float[] row : layer) {
                for (float x : row) {
                    residual.setAtIndex(ValueLayout.JAVA_FLOAT, i++, x);
                }
            }
        }
        try (ScalarProjectionKernel kernel = new ScalarProjectionKernel(unembedding); LogitLens lens = new LogitLens(kernel, 1)) {
            return lens.run(residual, LAYERS, positions, TOKENS, LensOptions.defaults().withTopK(3));
        }
    }

    /** Top-1 {@code top} with logit {@code logit}; token {@code f} at rank {@code rank} (≥ 2). */
    private static void topWithRank(float[] z, int top, float logit, int f, int rank) {
        z[top] = logit;
        for (int k = 0; k < rank - 2; k++) {
            z[100 + k] = 1;
        }
        z[f] = 0.5f;
    }
}
