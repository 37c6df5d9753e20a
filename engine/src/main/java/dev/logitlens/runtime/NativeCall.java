package dev.logitlens.runtime;

import dev.logitlens.bindings.ll_error;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Turns the shim's (status, ll_error) convention into exceptions. */
final class NativeCall {

    private NativeCall() {
    }

    /** A zeroed ll_error for one call. */
    static MemorySegment newError(Arena arena) {
        return ll_error.allocate(arena);
    }

    /** Throws {@link NativeException} unless {@code status} is LL_OK. */
    static void check(int status, MemorySegment error, String what) {
        if (status == 0) {
            return;
        }
        String message = ll_error.message(error).getString(0);
        if (message.isEmpty()) {
            message = "status " + status;
        }
        throw new NativeException(NativeStatus.of(status), what + ": " + message);
    }
}
