package dev.logitlens.lens;

import dev.logitlens.model.TensorInfo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.locks.ReentrantLock;

import static dev.logitlens.lens.MicroKernel.MR;
import static dev.logitlens.lens.MicroKernel.NR;

/**
 * A cache-blocked, multithreaded GEMM on the JDK Vector API (BLIS-style).
 *
 * <p>Memory: one off-heap f32 packed copy of W_U, V·d·4 bytes ({@link PackedUnembedding}, 154 MB for
 * GPT-2 small), made once at construction (F16/BF16 widened there); per call, the rows are packed
 * into {@code [⌈nRows/MR⌉, d, MR]} micro-panels (zero-padded, reused across calls).
 *
 * <p>Blocking: threads claim chunks of {@value #PANELS_PER_CHUNK} column panels (NR = 2 vectors of
 * W_U rows each). Within a panel, k is split into blocks of {@value #KC} so the {@code [KC, NR]} slice of
 * the panel (16 KiB) stays in L1 while every row micro-panel (6 rows, in L2) passes over it; the
 * {@link MicroKernel} keeps a 6 × NR tile of logits in registers. Tiles that stick out of the matrix
 * (the last rows when nRows % 6 ≠ 0, the last panel when V % NR ≠ 0) are computed in a per-worker
 * scratch tile and copied in.
 *
 * <p>{@link #project} calls are serialised; the kernel's own threads do the work.
 */
public final class JvmProjectionKernel implements ProjectionKernel {

    /** k block: a [KC, NR] f32 slice of a panel is 16 KiB. */
    private static final int KC = 256;
    /** Column panels a worker claims at a time (1024 vocabulary columns). */
    private static final int PANELS_PER_CHUNK = 64;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** One [MR, NR] float32 tile: a method, not a constant, so that loading this class needs no Vector API ({@link VectorApi}). */
    private static long tileBytes() {
        return (long) MR * NR * Float.BYTES;
    }

    private final int vocabSize;
    private final int width;
    private final WorkerPool workers;
    private final Arena arena;
    private final PackedUnembedding packed;
    private final MemorySegment edgeTiles; // [threads, MR, NR] float32
    private final ReentrantLock callLock = new ReentrantLock();
    private Arena rowArena;
    private MemorySegment packedRows; // [⌈nRows/MR⌉, d, MR] float32, grown on demand
    private boolean closed;

    /**
     * @param unembedding W_U, {@code [V, d]} (or {@code [d, V]} with layout IN_OUT), F32, F16 or BF16; copied, so
     *                    the tensor may be closed afterwards
     * @param threads     worker threads (≥ 1), owned by this kernel until {@link #close()}
     */
    public JvmProjectionKernel(TensorInfo unembedding, int threads) {
        VectorApi.require("the JVM kernel");
        UnembeddingMatrix matrix = new UnembeddingMatrix(unembedding);
        this.vocabSize = matrix.vocabSize();
        this.width = matrix.width();
        this.workers = new WorkerPool(threads, "logitlens-projection");
        this.arena = Arena.ofShared();
        try {
            this.packed = PackedUnembedding.pack(matrix, arena, workers);
            this.edgeTiles = arena.allocate(threads * tileBytes(), 64);
        } catch (RuntimeException | Error e) {
            workers.close();
            arena.close();
            throw e;
        }
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
        return "jvm-vector";
    }

    /** The vector shape this JVM runs the kernel with: e.g. "512-bit vectors (16 floats), 8x32 register tile". */
    public static String vectorShape() {
        return MicroKernel.SPECIES.vectorBitSize() + "-bit vectors (" + MicroKernel.SPECIES.length() + " floats), "
                + MR + "x" + MicroKernel.NR + " register tile";
    }

    /** Worker threads. */
    public int threads() {
        return workers.threads();
    }

    @Override
    public void project(MemorySegment rows, int nRows, MemorySegment logits) {
        ProjectionBuffers.check(this, rows, nRows, logits);
        callLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("projection kernel is closed");
            }
            MemorySegment a = packRows(rows, nRows);
            int nPanels = packed.nPanels();
            workers.forEachChunk(Math.ceilDiv(nPanels, PANELS_PER_CHUNK), (worker, chunk) -> {
                MemorySegment edgeTile = edgeTiles.asSlice(worker * tileBytes(), tileBytes());
                int end = Math.min(nPanels, (chunk + 1) * PANELS_PER_CHUNK);
                for (int j = chunk * PANELS_PER_CHUNK; j < end; j++) {
                    multiplyPanel(a, nRows, j, logits, edgeTile);
                }
            });
        } finally {
            callLock.unlock();
        }
    }

    /** Copies {@code rows [nRows, d]} into the zero-padded micro-panels {@code [⌈nRows/MR⌉, d, MR]}. */
    private MemorySegment packRows(MemorySegment rows, int nRows) {
        int rowBlocks = Math.ceilDiv(nRows, MR);
        long bytes = (long) rowBlocks * width * MR * Float.BYTES;
        if (packedRows == null || packedRows.byteSize() < bytes) {
            if (rowArena != null) {
                rowArena.close();
            }
            rowArena = Arena.ofShared();
            packedRows = rowArena.allocate(bytes, 64);
        }
        MemorySegment a = packedRows;
        for (int i = 0; i < rowBlocks; i++) {
            long blockBase = (long) i * width * MR;
            for (int r = 0; r < MR; r++) {
                int row = i * MR + r;
                if (row < nRows) {
                    long rowBase = (long) row * width;
                    for (int k = 0; k < width; k++) {
                        a.setAtIndex(F32, blockBase + (long) k * MR + r, rows.getAtIndex(F32, rowBase + k));
                    }
                } else {
                    for (int k = 0; k < width; k++) {
                        a.setAtIndex(F32, blockBase + (long) k * MR + r, 0f);
                    }
                }
            }
        }
        return a;
    }

    /** All rows times column panel j: {@code logits[:, j·NR .. j·NR + NR)}. */
    private void multiplyPanel(MemorySegment a, int nRows, int panel, MemorySegment logits, MemorySegment edgeTile) {
        int fullRowBlocks = nRows / MR;
        int columns = Math.min(NR, vocabSize - panel * NR);
        long ldc = (long) vocabSize * Float.BYTES;
        MemorySegment b = packed.panels();
        if (columns == NR) {
            for (int pc = 0; pc < width; pc += KC) {
                int kc = Math.min(KC, width - pc);
                long bOffset = packed.offset(panel, pc);
                for (int i = 0; i < fullRowBlocks; i++) {
                    long cOffset = (long) i * MR * ldc + (long) panel * NR * Float.BYTES;
                    MicroKernel.multiply(a, aOffset(i, pc), b, bOffset, kc, logits, cOffset, ldc, pc > 0);
                }
            }
            if (fullRowBlocks * MR < nRows) {
                multiplyEdgeTile(a, nRows, fullRowBlocks, panel, columns, logits, edgeTile);
            }
        } else {
            for (int i = 0; i < Math.ceilDiv(nRows, MR); i++) {
                multiplyEdgeTile(a, nRows, i, panel, columns, logits, edgeTile);
            }
        }
    }

    /** A tile that sticks out of C: computed whole in the scratch tile, then its valid part copied. */
    private void multiplyEdgeTile(MemorySegment a, int nRows, int rowBlock, int panel, int columns,
                                  MemorySegment logits, MemorySegment edgeTile) {
        long tileRowBytes = (long) NR * Float.BYTES;
        for (int pc = 0; pc < width; pc += KC) {
            int kc = Math.min(KC, width - pc);
            MicroKernel.multiply(a, aOffset(rowBlock, pc), packed.panels(), packed.offset(panel, pc), kc,
                    edgeTile, 0, tileRowBytes, pc > 0);
        }
        int rows = Math.min(MR, nRows - rowBlock * MR);
        for (int r = 0; r < rows; r++) {
            long destination = (long) (rowBlock * MR + r) * vocabSize * Float.BYTES + (long) panel * NR * Float.BYTES;
            MemorySegment.copy(edgeTile, r * tileRowBytes, logits, destination, (long) columns * Float.BYTES);
        }
    }

    private long aOffset(int rowBlock, int k) {
        return ((long) rowBlock * width + k) * MR * Float.BYTES;
    }

    /** Stops the worker threads and frees the packed copy. Idempotent. */
    @Override
    public void close() {
        callLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            workers.close();
            arena.close();
            if (rowArena != null) {
                rowArena.close();
            }
        } finally {
            callLock.unlock();
        }
    }
}
