package dev.logitlens.runtime;

/** The shim's status codes ({@code LL_ERR_*} in logitlens.h). */
public enum NativeStatus {
    OK(0),
    INVALID_ARGUMENT(1),
    HPARAMS(2),
    MISSING_TENSOR(3),
    TENSOR(4),
    TOKEN(5),
    CONTEXT(6),
    BUFFER(7),
    BACKEND(8),
    ALLOC(9),
    COMPUTE(10),
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
