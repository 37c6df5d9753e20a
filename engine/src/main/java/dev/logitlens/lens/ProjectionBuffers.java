package dev.logitlens.lens;

import java.lang.foreign.MemorySegment;

/** Argument checks shared by the {@link ProjectionKernel} implementations. */
public final class ProjectionBuffers {

    private ProjectionBuffers() {
    }

    /** Throws {@link IllegalArgumentException} unless rows holds {@code [nRows, d]} and logits {@code [nRows, V]} float32. */
    public static void check(ProjectionKernel kernel, MemorySegment rows, int nRows, MemorySegment logits) {
        if (nRows < 1) {
            throw new IllegalArgumentException("nRows must be at least 1, not " + nRows);
        }
        long rowBytes = (long) nRows * kernel.width() * Float.BYTES;
        if (rows.byteSize() < rowBytes) {
            throw new IllegalArgumentException("rows segment too small: " + nRows + " rows of width " + kernel.width()
                    + " need " + rowBytes + " bytes, got " + rows.byteSize());
        }
        long logitBytes = (long) nRows * kernel.vocabSize() * Float.BYTES;
        if (logits.byteSize() < logitBytes) {
            throw new IllegalArgumentException("logits segment too small: " + nRows + " rows of " + kernel.vocabSize()
                    + " logits need " + logitBytes + " bytes, got " + logits.byteSize());
        }
        if (logits.isReadOnly()) {
            throw new IllegalArgumentException("logits segment is read-only");
        }
    }
}
