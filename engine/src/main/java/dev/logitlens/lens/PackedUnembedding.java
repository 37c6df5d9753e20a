package dev.logitlens.lens;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One off-heap f32 packed copy of W_U, V·d·4 bytes (plus the zero padding of the last panel):
 * column panels {@code [nPanels, d, NR]} — panel j holds, for every k, the NR values
 * {@code W_U[j·NR + c, k]} side by side, so the micro-kernel reads B with unit stride. F16 and BF16
 * weights are widened to f32 here, once.
 */
final class PackedUnembedding {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final int PANELS_PER_CHUNK = 64;

    private final MemorySegment panels; // [nPanels, d, NR] float32; columns ≥ V are zero
    private final int width;
    private final int nPanels;

    private PackedUnembedding(MemorySegment panels, int width, int nPanels) {
        this.panels = panels;
        this.width = width;
        this.nPanels = nPanels;
    }

    /** Packs {@code matrix} into memory from {@code arena}, panels spread over {@code workers}. */
    static PackedUnembedding pack(UnembeddingMatrix matrix, Arena arena, WorkerPool workers) {
        int nr = MicroKernel.NR;
        int vocab = matrix.vocabSize();
        int d = matrix.width();
        int nPanels = Math.ceilDiv(vocab, nr);
        long panelFloats = (long) d * nr;
        MemorySegment panels = arena.allocate(nPanels * panelFloats * Float.BYTES, 64); // zero-filled
        workers.forEachChunk(Math.ceilDiv(nPanels, PANELS_PER_CHUNK), (worker, chunk) -> {
            int end = Math.min(nPanels, (chunk + 1) * PANELS_PER_CHUNK);
            for (int j = chunk * PANELS_PER_CHUNK; j < end; j++) {
                long base = j * panelFloats;
                int columns = Math.min(nr, vocab - j * nr);
                for (int c = 0; c < columns; c++) {
                    int v = j * nr + c;
                    for (int k = 0; k < d; k++) {
                        panels.setAtIndex(F32, base + (long) k * nr + c, matrix.get(v, k));
                    }
                }
            }
        });
        return new PackedUnembedding(panels, d, nPanels);
    }

    /** {@code [nPanels, d, NR]} float32. */
    MemorySegment panels() {
        return panels;
    }

    int nPanels() {
        return nPanels;
    }

    /** Byte offset of {@code W_U[j·NR .. j·NR + NR, k]} in {@link #panels()}. */
    long offset(int panel, int k) {
        return ((long) panel * width + k) * MicroKernel.NR * Float.BYTES;
    }
}
