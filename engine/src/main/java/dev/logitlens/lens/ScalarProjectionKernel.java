package dev.logitlens.lens;

import dev.logitlens.model.TensorInfo;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The plain triple loop, single-threaded, float accumulation in k order, reading W_U in place
 * (F16/BF16 widened per element). A baseline for benchmarks and a simple oracle for tests.
 */
public final class ScalarProjectionKernel implements ProjectionKernel {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final UnembeddingMatrix unembedding;

    /** @param unembedding W_U, {@code [V, d]} (or {@code [d, V]} with layout IN_OUT), F32, F16 or BF16 */
    public ScalarProjectionKernel(TensorInfo unembedding) {
        this.unembedding = new UnembeddingMatrix(unembedding);
    }

    @Override
    public int vocabSize() {
        return unembedding.vocabSize();
    }

    @Override
    public int width() {
        return unembedding.width();
    }

    @Override
    public String name() {
        return "jvm-scalar";
    }

    @Override
    public void project(MemorySegment rows, int nRows, MemorySegment logits) {
        ProjectionBuffers.check(this, rows, nRows, logits);
        int d = width();
        int vocab = vocabSize();
        for (int r = 0; r < nRows; r++) {
            long rowBase = (long) r * d;
            for (int v = 0; v < vocab; v++) {
                float acc = 0f;
                for (int k = 0; k < d; k++) {
                    acc += rows.getAtIndex(F32, rowBase + k) * unembedding.get(v, k);
                }
                logits.setAtIndex(F32, (long) r * vocab + v, acc);
            }
        }
    }

    @Override
    public void close() {
    }
}
