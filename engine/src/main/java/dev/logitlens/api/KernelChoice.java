package dev.logitlens.api;

import dev.logitlens.runtime.Backend;
import dev.logitlens.runtime.ProjectionPrecision;

/** Which projection kernel turns residual rows into logits. */
public enum KernelChoice {
    /**
     * The fastest for the backend: {@link #JVM} on the CPU, {@link #NATIVE} on CUDA (see docs/BENCHMARKS.md);
     * {@link #NATIVE} whenever a reduced precision is asked for, which only it computes.
     */
    AUTO,
    /** ggml's matrix multiply in the native shim, on the model's backend. */
    NATIVE,
    /** The Java Vector API kernel (an off-heap packed float32 copy of W_U). */
    JVM;

    /** {@link #NATIVE} or {@link #JVM}: what this choice means on {@code backend} at {@code precision}. */
    public KernelChoice resolve(Backend backend, ProjectionPrecision precision) {
        if (this != AUTO) {
            return this;
        }
        return backend == Backend.CPU && precision == ProjectionPrecision.F32 ? JVM : NATIVE;
    }
}
