package dev.logitlens.lens;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The register-blocked inner kernel of {@link JvmProjectionKernel}: one {@code MR × NR} tile of C from a packed A
 * micro-panel and a packed B panel, NR = 2 vectors. MR is chosen for the CPU at class initialisation from the
 * vector width the Vector API reports: 8 rows (16 vector accumulators + 2 B vectors + 1 broadcast = 19 of the 32
 * registers) with 16-lane (AVX-512) vectors, 6 rows (12 + 3 = 15 of 16 registers) otherwise (AVX2). On an
 * AVX-512 EPYC, ProjectionBench gave 192-202 GFLOP/s with 8 rows against 174-178 with 6 (docs/BENCHMARKS.md).
 * 10 and 12 rows were no faster, and HotSpot's C1 cannot compile a 12-row tile ("out of virtual registers"),
 * which can leave it running without C2's vector intrinsics for minutes: keep every variant small enough for
 * C1's tier 3. Per k step: two B vector loads, MR broadcasts of A, 2·MR FMAs.
 *
 * <p>The two variants repeat one pattern on purpose: each accumulator must be its own local variable for C2 to
 * keep it in a register (arrays of vectors, or a loop over rows, are not scalar-replaced and box every vector).
 */
final class MicroKernel {

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int R6 = 6;
    private static final int R8 = 8;
    /** Rows of a tile: 8 with 16-lane vectors (32 registers), else 6. */
    static final int MR = SPECIES.length() >= 16 ? R8 : R6;
    /** Columns of a tile: two vectors. */
    static final int NR = 2 * SPECIES.length();

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final long VECTOR_BYTES = SPECIES.vectorByteSize();
    private static final long A_STEP = R6 * (long) Float.BYTES;
    private static final long A_STEP_8 = R8 * (long) Float.BYTES;
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
        if (MR == R8) { // a constant: C2 keeps one branch
            multiply8(a, aOffset, b, bOffset, kc, c, cOffset, cRowBytes, accumulate);
        } else {
            multiply6(a, aOffset, b, bOffset, kc, c, cOffset, cRowBytes, accumulate);
        }
    }

    /** {@link #multiply} with a 6 × NR tile: 12 vector accumulators, for CPUs with 16 vector registers (AVX2). */
    private static void multiply6(MemorySegment a, long aOffset, MemorySegment b, long bOffset, int kc,
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

    /** {@link #multiply} with an 8 × NR tile: 16 vector accumulators, for CPUs with 32 vector registers (AVX-512). */
    private static void multiply8(MemorySegment a, long aOffset, MemorySegment b, long bOffset, int kc,
                                  MemorySegment c, long cOffset, long cRowBytes, boolean accumulate) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (accumulate) {
            long o = cOffset;
            c00 = load(c, o); c01 = load(c, o + VECTOR_BYTES); o += cRowBytes;
            c10 = load(c, o); c11 = load(c, o + VECTOR_BYTES); o += cRowBytes;
            c20 = load(c, o); c21 = load(c, o + VECTOR_BYTES); o += cRowBytes;
            c30 = load(c, o); c31 = load(c, o + VECTOR_BYTES); o += cRowBytes;
            c40 = load(c, o); c41 = load(c, o + VECTOR_BYTES); o += cRowBytes;
            c50 = load(c, o); c51 = load(c, o + VECTOR_BYTES); o += cRowBytes;
            c60 = load(c, o); c61 = load(c, o + VECTOR_BYTES); o += cRowBytes;
            c70 = load(c, o); c71 = load(c, o + VECTOR_BYTES);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = FloatVector.zero(SPECIES);
        }
        long aEnd = aOffset + kc * A_STEP_8;
        for (long ao = aOffset, bo = bOffset; ao < aEnd; ao += A_STEP_8, bo += B_STEP) {
            FloatVector b0 = load(b, bo);
            FloatVector b1 = load(b, bo + VECTOR_BYTES);
            FloatVector x;
            x = FloatVector.broadcast(SPECIES, a.get(F32, ao + 0));
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
            x = FloatVector.broadcast(SPECIES, a.get(F32, ao + 24));
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, a.get(F32, ao + 28));
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        long o = cOffset;
        c00.intoMemorySegment(c, o, ORDER); c01.intoMemorySegment(c, o + VECTOR_BYTES, ORDER); o += cRowBytes;
        c10.intoMemorySegment(c, o, ORDER); c11.intoMemorySegment(c, o + VECTOR_BYTES, ORDER); o += cRowBytes;
        c20.intoMemorySegment(c, o, ORDER); c21.intoMemorySegment(c, o + VECTOR_BYTES, ORDER); o += cRowBytes;
        c30.intoMemorySegment(c, o, ORDER); c31.intoMemorySegment(c, o + VECTOR_BYTES, ORDER); o += cRowBytes;
        c40.intoMemorySegment(c, o, ORDER); c41.intoMemorySegment(c, o + VECTOR_BYTES, ORDER); o += cRowBytes;
        c50.intoMemorySegment(c, o, ORDER); c51.intoMemorySegment(c, o + VECTOR_BYTES, ORDER); o += cRowBytes;
        c60.intoMemorySegment(c, o, ORDER); c61.intoMemorySegment(c, o + VECTOR_BYTES, ORDER); o += cRowBytes;
        c70.intoMemorySegment(c, o, ORDER); c71.intoMemorySegment(c, o + VECTOR_BYTES, ORDER);
    }

    private static FloatVector load(MemorySegment segment, long offset) {
        return FloatVector.fromMemorySegment(SPECIES, segment, offset, ORDER);
    }
}
