package dev.logitlens.api;

import dev.logitlens.lens.VectorApi;
import dev.logitlens.runtime.Backend;
import dev.logitlens.runtime.ProjectionPrecision;

/**
 * Which kernels turn residual rows into logits (the projection) and logits into statistics.
 *
 * <table>
 *   <caption>What each choice runs</caption>
 *   <tr><th>choice</th><th>projection</th><th>statistics</th></tr>
 *   <tr><td>{@link #AUTO}</td><td>CPU: per input, ggml for short inputs, the JVM's Vector API for long ones (float32;
 *       ggml in a JVM without the Vector API, see {@link VectorApi}); ggml at a reduced precision</td><td>CPU: the
 *       shim's (C)</td></tr>
 *   <tr><td>{@link #AUTO} on CUDA, {@link #NATIVE}</td><td colspan="2">one ggml graph on the model's backend
 *       ({@code ll_lens}): only the cells come back</td></tr>
 *   <tr><td>{@link #JVM}</td><td>the JVM's Vector API</td><td>the JVM's Vector API</td></tr>
 * </table>
 * The figures behind AUTO are in docs/BENCHMARKS.md ("Time to first lens").
 */
public enum KernelChoice {
    /** The fastest for the input at hand (see the table). */
    AUTO,
    /** ggml's matrix multiply in the native shim, on the model's backend, and the shim's statistics. */
    NATIVE,
    /** All in Java: the Vector API kernel (an off-heap packed float32 copy of W_U) and the Vector API statistics. */
    JVM;

    /**
     * Positions·layers rows from which AUTO projects with the JVM kernel on the CPU: below, ggml's product (no
     * packed copy of W_U to make, nothing to compile) finishes first in a fresh process; above, the JVM kernel's
     * higher throughput repays its set-up. The system property {@code logitlens.jvmProjectionMinRows} overrides it
     * (for the benchmarks that find it).
     */
    public static final int JVM_PROJECTION_MIN_ROWS = Integer.getInteger("logitlens.jvmProjectionMinRows", 4096);

    /** Whether the projection of {@code rows} rows runs in the JVM ({@link #JVM}) or in ggml ({@link #NATIVE}), in this JVM. */
    public KernelChoice projection(Backend backend, ProjectionPrecision precision, long rows) {
        return projection(backend, precision, rows, VectorApi.available());
    }

    /**
     * {@link #projection(Backend, ProjectionPrecision, long)} in a JVM with or without the Vector API: without it
     * ({@link VectorApi}), AUTO always picks ggml.
     */
    public KernelChoice projection(Backend backend, ProjectionPrecision precision, long rows, boolean vectorApi) {
        return switch (this) {
            case NATIVE, JVM -> this;
            case AUTO -> vectorApi && backend == Backend.CPU && precision == ProjectionPrecision.F32 && rows >= JVM_PROJECTION_MIN_ROWS
                    ? JVM : NATIVE;
        };
    }

    /**
     * Whether the projection and statistics run as one ggml graph on the model's backend ({@code ll_lens}), the
     * logits staying there: always for {@link #NATIVE}, for {@link #AUTO} off the CPU.
     */
    public boolean inGraph(Backend backend) {
        return this == NATIVE || (this == AUTO && backend != Backend.CPU);
    }

    /** Whether the statistics run in the shim ({@link #NATIVE}) or in Java ({@link #JVM}). */
    public KernelChoice statistics() {
        return this == JVM ? JVM : NATIVE;
    }
}
