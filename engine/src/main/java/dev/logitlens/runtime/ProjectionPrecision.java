package dev.logitlens.runtime;

/** The precision the native kernel multiplies W_U in (the shim's {@code ll_projector_create} type). */
public enum ProjectionPrecision {
    /** Full precision: W_U as stored when float32 (in place on the CPU), else a float32 copy. */
    F32(0),
    /** A float16 copy of W_U; ggml rounds each row to float16 too. */
    F16(1),
    /** A bfloat16 copy of W_U; ggml rounds each row to bfloat16 too. */
    BF16(30),
    /** An 8-bit block-quantised copy of W_U (blocks of 32 with one scale); rows are quantised the same way. */
    Q8_0(8);

    private final int ggmlCode;

    ProjectionPrecision(int ggmlCode) {
        this.ggmlCode = ggmlCode;
    }

    int ggmlCode() {
        return ggmlCode;
    }
}
