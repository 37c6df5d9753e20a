package dev.logitlens.runtime;

import dev.logitlens.bindings.LogitLensNative;
import dev.logitlens.lens.CellStatistics;
import dev.logitlens.lens.GraphLensKernel;
import dev.logitlens.lens.ProjectionBuffers;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/**
 * The lens projection through ggml's matrix multiply in the shim, on the model's backend
 * ({@code ll_project}), and the whole lens of a block as one ggml graph there ({@code ll_lens}: the projection and
 * the statistics, equal to the shim's CPU statistics but for float32 sums, about 1e-6 relative; exact top-k and
 * ranks). On the CPU the rows and logits segments are read and written in place.
 * Both segments must be off-heap (native) memory. Calls are serialised. Made by
 * {@link NativeModel#newProjectionKernel}; closing the model closes it.
 */
public final class NativeProjectionKernel implements GraphLensKernel {

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
    public synchronized int projectAndSummarise(MemorySegment rows, int positions, int snapshots, int[] inputs,
                                                int[] nexts, CellStatistics out) {
        long rowBytes = (long) width * Float.BYTES;
        if (positions < 1 || snapshots < 1 || !rows.isNative() || rows.byteSize() < (long) positions * snapshots * rowBytes
                || inputs.length < positions || nexts.length < positions || out.cells() < positions * snapshots) {
            throw new IllegalArgumentException("projectAndSummarise: [" + positions + ", " + snapshots + ", " + width
                    + "] float32 rows in native memory, " + positions + " input and next tokens and as many cells needed");
        }
        if (handle == null) {
            throw new IllegalStateException("the native projection kernel is closed");
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment recomputed = call.allocate(ValueLayout.JAVA_INT);
            MemorySegment error = NativeCall.newError(call);
            int status = LogitLensNative.ll_lens(handle, rows, positions, snapshots,
                    call.allocateFrom(ValueLayout.JAVA_INT, inputs), call.allocateFrom(ValueLayout.JAVA_INT, nexts),
                    out.topK(), NativeStatistics.outputs(out, call), recomputed, error);
            try {
                NativeCall.check(status, error, "the lens graph failed");
            } catch (NativeException e) {
                if (e.status() == NativeStatus.BACKEND) { // an operation the backend lacks: the contract's signal
                    throw new UnsupportedOperationException(e.getMessage(), e);
                }
                throw e;
            }
            return recomputed.get(ValueLayout.JAVA_INT, 0);
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
