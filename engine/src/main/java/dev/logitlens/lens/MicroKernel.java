package dev.logitlens.lens;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The register-blocked inner kernel of {@link JvmProjectionKernel}: one {@code MR × NR} tile of C
 * (6 rows × 2 vectors, 12 vector accumulators) from a packed A micro-panel and a packed B panel.
 * Per k step: two B vector loads, six broadcasts of A, twelve FMAs.
 */
final class MicroKernel {

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Rows of a tile. */
    static final int MR = 6;
    /** Columns of a tile: two vectors. */
    static final int NR = 2 * SPECIES.length();

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final long VECTOR_BYTES = SPECIES.vectorByteSize();
    private static final long A_STEP = MR * (long) Float.BYTES;
    private static final long B_STEP = NR * (long) Float.BYTES;

    private MicroKernel() {
    }

    /**
     * {@code C[MR, NR] = (accumulate ? C : 0) + A · B} over {@code kc} steps of k.
     *
     * @param a         packed A micro-panel at {@code aOffset}: {@code [kc, MR]} float32, k-major
     * @param b         packed B panel at {@code bOffset}: {@code [kc, NR]} float32, k-major
     * @param c         C tile at {@code cOffset}: {@code [MR, NR]} float32, rows {@code cRowBytes} apart
     */
    static void multiply(MemorySegment a, long aOffset, MemorySegment b, long bOffset, int kc,
                         MemorySegment c, long cOffset, long cRowBytes, boolean accumulate) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate) {
            long o = cOffset;
            c00 = load(c, o); c01 = load(c, o + VECTOR_BYTES); o += cRowBytes;
            c10 = load(c, o); c11 = load(c, o + VECTOR_BYTES); o += cRowBytes;
            c20 = load(c, o); c21 = load(c, o + VECTOR_BYTES); o += cRowBytes;
            c30 = load(c, o); c31 = load(c, o + VECTOR_BYTES); o += cRowBytes;
            c40 = load(c, o); c41 = load(c, o + VECTOR_BYTES); o += cRowBytes;
            c50 = load(c, o); c51 = load(c, o + VECTOR_BYTES);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(SPECIES);
        }
        // The loop's induction variable is A's byte offset: C2 then hoists the bounds checks of the six A loads out
        // of the loop, leaving the two of B (with B's offset as the variable, the six A checks stay in the loop).
        long aEnd = aOffset + kc * A_STEP;
        for (long ao = aOffset, bo = bOffset; ao < aEnd; ao += A_STEP, bo += B_STEP) {
            FloatVector b0 = load(b, bo);
            FloatVector b1 = load(b, bo + VECTOR_BYTES);
            FloatVector x = FloatVector.broadcast(SPECIES, a.get(F32, ao));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a.get(F32, ao + 4));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a.get(F32, ao + 8));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a.get(F32, ao + 12));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a.get(F32, ao + 16));
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a.get(F32, ao + 20));
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        long o = cOffset;
        c00.intoMemorySegment(c, o, ORDER); c01.intoMemorySegment(c, o + VECTOR_BYTES, ORDER); o += cRowBytes;
        c10.intoMemorySegment(c, o, ORDER); c11.intoMemorySegment(c, o + VECTOR_BYTES, ORDER); o += cRowBytes;
        c20.intoMemorySegment(c, o, ORDER); c21.intoMemorySegment(c, o + VECTOR_BYTES, ORDER); o += cRowBytes;
        c30.intoMemorySegment(c, o, ORDER); c31.intoMemorySegment(c, o + VECTOR_BYTES, ORDER); o += cRowBytes;
        c40.intoMemorySegment(c, o, ORDER); c41.intoMemorySegment(c, o + VECTOR_BYTES, ORDER); o += cRowBytes;
        c50.intoMemorySegment(c, o, ORDER); c51.intoMemorySegment(c, o + VECTOR_BYTES, ORDER);
    }

    private static FloatVector load(MemorySegment segment, long offset) {
        return FloatVector.fromMemorySegment(SPECIES, segment, offset, ORDER);
    }
}
