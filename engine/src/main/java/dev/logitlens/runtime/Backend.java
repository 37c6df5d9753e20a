package dev.logitlens.runtime;

/** Where the native shim runs the forward pass. */
public enum Backend {
    CPU(0),
    CUDA(1);

    private final int nativeCode;

    Backend(int nativeCode) {
        this.nativeCode = nativeCode;
    }

    /** The shim's {@code LL_BACKEND_*} value. */
    public int nativeCode() {
        return nativeCode;
    }
}
