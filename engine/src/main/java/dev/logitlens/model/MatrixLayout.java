package dev.logitlens.model;

/** How a weight matrix is laid out in its file. */
public enum MatrixLayout {
    /** {@code [out_features, in_features]} row-major ({@code y = x W^T + b}): GGUF, torch nn.Linear. Canonical. */
    OUT_IN(0),
    /** {@code [in_features, out_features]} row-major ({@code y = x W + b}): Hugging Face GPT-2 Conv1D. */
    IN_OUT(1);

    private final int nativeCode;

    MatrixLayout(int nativeCode) {
        this.nativeCode = nativeCode;
    }

    /** The shim's {@code LL_LAYOUT_*} value. */
    public int nativeCode() {
        return nativeCode;
    }
}
