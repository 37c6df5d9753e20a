package dev.logitlens.runtime;

import dev.logitlens.bindings.LogitLensNative;

/** The precision the native kernel multiplies W_U in (the shim's {@code ll_projector_create} type). */
public enum ProjectionPrecision {
    /** Full precision: W_U as stored when float32 (in place on the CPU), else a float32 copy. */
    F32(LogitLensNative.LL_TYPE_F32()),
    /** A float16 copy of W_U; ggml rounds each row to float16 too. */
    F16(LogitLensNative.LL_TYPE_F16()),
    /** A bfloat16 copy of W_U; ggml rounds each row to bfloat16 too. */
    BF16(LogitLensNative.LL_TYPE_BF16()),
    /** An 8-bit block-quantised copy of W_U (blocks of 32 with one scale); rows are quantised the same way. */
    Q8_0(LogitLensNative.LL_TYPE_Q8_0());

    private final int ggmlCode;

    ProjectionPrecision(int ggmlCode) {
        this.ggmlCode = ggmlCode;
    }

    int ggmlCode() {
        return ggmlCode;
    }
}
