package dev.logitlens.lens;

import java.lang.foreign.MemorySegment;

/**
 * Projects normalised residual rows onto the vocabulary with the unembedding W_U:
 * {@code logits[r, v] = Σ_k rows[r, k] · W_U[v, k]}.
 *
 * <p>A kernel holds (a view or a copy of) one W_U, {@code [vocabSize(), width()]}, and the resources
 * it needs to multiply with it (threads, packed copies); {@link #close()} releases them. Every buffer is
 * float32 in native byte order, row-major.
 */
public interface ProjectionKernel extends AutoCloseable {

    /** V: the number of logits per row. */
    int vocabSize();

    /** d: the residual width, the length of one input row. */
    int width();

    /** A short name for reports and benchmarks, e.g. {@code jvm-vector}. */
    String name();

    /**
     * Writes {@code logits[r, v] = Σ_k rows[r, k] · W_U[v, k]} for {@code r < nRows}.
     *
     * @param rows   {@code [nRows, d]} float32, at least {@code nRows · d · 4} bytes
     * @param nRows  how many rows to project (≥ 1)
     * @param logits {@code [nRows, V]} float32, at least {@code nRows · V · 4} bytes; overwritten
     */
    void project(MemorySegment rows, int nRows, MemorySegment logits);

    @Override
    void close();
}
