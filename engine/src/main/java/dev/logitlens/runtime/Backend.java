package dev.logitlens.runtime;

import dev.logitlens.bindings.LogitLensNative;

/** Where the native shim runs the forward pass. */
public enum Backend {
    CPU(LogitLensNative.LL_BACKEND_CPU()),
    CUDA(LogitLensNative.LL_BACKEND_CUDA());

    private final int nativeCode;

    Backend(int nativeCode) {
        this.nativeCode = nativeCode;
    }

    /** The shim's {@code LL_BACKEND_*} value. */
    public int nativeCode() {
        return nativeCode;
    }
}
