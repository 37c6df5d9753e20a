package dev.logitlens.runtime;

import dev.logitlens.bindings.LogitLensNative;

/** The shim's status codes ({@code LL_ERR_*} in logitlens.h, taken from the generated bindings). */
public enum NativeStatus {
    OK(LogitLensNative.LL_OK()),
    INVALID_ARGUMENT(LogitLensNative.LL_ERR_INVALID_ARGUMENT()),
    HPARAMS(LogitLensNative.LL_ERR_HPARAMS()),
    MISSING_TENSOR(LogitLensNative.LL_ERR_MISSING_TENSOR()),
    TENSOR(LogitLensNative.LL_ERR_TENSOR()),
    TOKEN(LogitLensNative.LL_ERR_TOKEN()),
    CONTEXT(LogitLensNative.LL_ERR_CONTEXT()),
    BUFFER(LogitLensNative.LL_ERR_BUFFER()),
    BACKEND(LogitLensNative.LL_ERR_BACKEND()),
    ALLOC(LogitLensNative.LL_ERR_ALLOC()),
    COMPUTE(LogitLensNative.LL_ERR_COMPUTE()),
    /** The forward pass produced NaN or Inf: the model's weights hold some. */
    NONFINITE(LogitLensNative.LL_ERR_NONFINITE()),
    /** A code this version of the engine does not know. */
    UNKNOWN(-1);

    private final int code;

    NativeStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static NativeStatus of(int code) {
        for (NativeStatus s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return UNKNOWN;
    }
}
