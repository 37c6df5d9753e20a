package dev.logitlens.runtime;

import dev.logitlens.bindings.LogitLensNative;
import dev.logitlens.lens.ProjectionBuffers;
import dev.logitlens.lens.ProjectionKernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * The lens projection through ggml's matrix multiply in the shim, on the model's backend
 * ({@code ll_project}). On the CPU the rows and logits segments are read and written in place.
 * Both segments must be off-heap (native) memory. Calls are serialised. Made by
 * {@link NativeModel#newProjectionKernel}; closing the model closes it.
 */
public final class NativeProjectionKernel implements ProjectionKernel {

    private final NativeModel model;
    private final ProjectionPrecision precision;
    private final int vocabSize;
    private final int width;
    private MemorySegment handle; // ll_projector*; NULL once closed

    NativeProjectionKernel(NativeModel model, ProjectionPrecision precision, MemorySegment handle) {
        this.model = model;
        this.precision = precision;
        this.handle = handle;
        this.vocabSize = model.config().nVocab();
        this.width = model.config().nEmbd();
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public String name() {
        return "native-" + precision.name().toLowerCase(Locale.ROOT);
    }

    public ProjectionPrecision precision() {
        return precision;
    }

    @Override
    public synchronized void project(MemorySegment rows, int nRows, MemorySegment logits) {
        ProjectionBuffers.check(this, rows, nRows, logits); // the shim cannot see the rows segment's size
        if (handle == null) {
            throw new IllegalStateException("the native projection kernel is closed");
        }
        if (!rows.isNative() || !logits.isNative()) {
            throw new IllegalArgumentException("the native kernel needs off-heap (native) segments for rows and logits");
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment error = NativeCall.newError(call);
            int status = LogitLensNative.ll_project(handle, rows, nRows, logits, logits.byteSize() / Float.BYTES, error);
            NativeCall.check(status, error, "native projection failed");
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (handle == null) {
                return;
            }
            LogitLensNative.ll_projector_free(handle);
            handle = null;
        }
        model.forget(this);
    }
}
