package dev.logitlens.model;

import dev.logitlens.bindings.LogitLensNative;

/** How a weight matrix is laid out in its file. */
public enum MatrixLayout {
    /** {@code [out_features, in_features]} row-major ({@code y = x W^T + b}): GGUF, torch nn.Linear. Canonical. */
    OUT_IN(LogitLensNative.LL_LAYOUT_OUT_IN()),
    /** {@code [in_features, out_features]} row-major ({@code y = x W + b}): Hugging Face GPT-2 Conv1D. */
    IN_OUT(LogitLensNative.LL_LAYOUT_IN_OUT());

    private final int nativeCode;

    MatrixLayout(int nativeCode) {
        this.nativeCode = nativeCode;
    }

    /** The shim's {@code LL_LAYOUT_*} value. */
    public int nativeCode() {
        return nativeCode;
    }
}
