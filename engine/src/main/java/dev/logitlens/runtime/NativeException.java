package dev.logitlens.runtime;

/** An error reported by the native shim: its status and its message. The shim changed nothing. */
public final class NativeException extends RuntimeException {

    private final NativeStatus status;

    public NativeException(NativeStatus status, String message) {
        super(message);
        this.status = status;
    }

    public NativeStatus status() {
        return status;
    }
}
