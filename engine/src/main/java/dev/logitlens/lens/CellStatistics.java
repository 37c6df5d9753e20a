package dev.logitlens.lens;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Off-heap statistics of a block of cells, in the layout the shim's {@code ll_lens_stats} writes
 * ({@code ll_lens_stats_out}): every array {@code [P, S]} cells, position-major (cell = p · S + layer), the top-k
 * arrays times k. A {@link LensStatistics} implementation (the native one, {@code NativeStatistics}) fills it;
 * {@link LogitLens} then copies it into the {@link LensResult}. Units are nats.
 */
public final class CellStatistics {

    private final int cells;
    private final int topK;
    public final MemorySegment topIds;        // [P, S, k] int32
    public final MemorySegment topLogits;     // [P, S, k] float32
    public final MemorySegment logSumExp;     // [P, S] float64
    public final MemorySegment entropy;       // [P, S] float64
    public final MemorySegment klFinal;       // [P, S] float64
    public final MemorySegment klInput;       // [P, S] float64
    public final MemorySegment logProbNext;   // [P, S] float64, NaN where there is no next token
    public final MemorySegment rankFinalTop1; // [P, S] int32
    public final MemorySegment rankNext;      // [P, S] int32, -1 where there is no next token
    public final MemorySegment rankInput;     // [P, S] int32

    CellStatistics(int cells, int topK, Arena arena) {
        this.cells = cells;
        this.topK = topK;
        this.topIds = arena.allocate((long) cells * topK * Integer.BYTES, 64);
        this.topLogits = arena.allocate((long) cells * topK * Float.BYTES, 64);
        this.logSumExp = arena.allocate((long) cells * Double.BYTES, 64);
        this.entropy = arena.allocate((long) cells * Double.BYTES, 64);
        this.klFinal = arena.allocate((long) cells * Double.BYTES, 64);
        this.klInput = arena.allocate((long) cells * Double.BYTES, 64);
        this.logProbNext = arena.allocate((long) cells * Double.BYTES, 64);
        this.rankFinalTop1 = arena.allocate((long) cells * Integer.BYTES, 64);
        this.rankNext = arena.allocate((long) cells * Integer.BYTES, 64);
        this.rankInput = arena.allocate((long) cells * Integer.BYTES, 64);
    }

    /** How many cells it holds. */
    public int cells() {
        return cells;
    }

    public int topK() {
        return topK;
    }

    /** The cells {@code [first, first + count)} as their own view (for one thread's share of a block). */
    public CellStatistics slice(int first, int count) {
        return new CellStatistics(this, first, count);
    }

    private CellStatistics(CellStatistics whole, int first, int count) {
        this.cells = count;
        this.topK = whole.topK;
        this.topIds = whole.topIds.asSlice((long) first * topK * Integer.BYTES, (long) count * topK * Integer.BYTES);
        this.topLogits = whole.topLogits.asSlice((long) first * topK * Float.BYTES, (long) count * topK * Float.BYTES);
        this.logSumExp = doubles(whole.logSumExp, first, count);
        this.entropy = doubles(whole.entropy, first, count);
        this.klFinal = doubles(whole.klFinal, first, count);
        this.klInput = doubles(whole.klInput, first, count);
        this.logProbNext = doubles(whole.logProbNext, first, count);
        this.rankFinalTop1 = ints(whole.rankFinalTop1, first, count);
        this.rankNext = ints(whole.rankNext, first, count);
        this.rankInput = ints(whole.rankInput, first, count);
    }

    private static MemorySegment doubles(MemorySegment s, int first, int count) {
        return s.asSlice((long) first * Double.BYTES, (long) count * Double.BYTES);
    }

    private static MemorySegment ints(MemorySegment s, int first, int count) {
        return s.asSlice((long) first * Integer.BYTES, (long) count * Integer.BYTES);
    }

    /** Copies cell {@code c} into the result's cell (layer, pos), with the top-k probabilities exp(logit − lse). */
    void copyInto(int c, LensResult result, int layer, int pos) {
        int cell = result.cell(layer, pos);
        double lse = logSumExp.getAtIndex(ValueLayout.JAVA_DOUBLE, c);
        result.logSumExp[cell] = lse;
        result.entropy[cell] = entropy.getAtIndex(ValueLayout.JAVA_DOUBLE, c);
        result.klFinal[cell] = klFinal.getAtIndex(ValueLayout.JAVA_DOUBLE, c);
        result.klInput[cell] = klInput.getAtIndex(ValueLayout.JAVA_DOUBLE, c);
        result.logProbNext[cell] = logProbNext.getAtIndex(ValueLayout.JAVA_DOUBLE, c);
        result.rankFinalTop1[cell] = rankFinalTop1.getAtIndex(ValueLayout.JAVA_INT, c);
        result.rankNext[cell] = rankNext.getAtIndex(ValueLayout.JAVA_INT, c);
        result.rankInput[cell] = rankInput.getAtIndex(ValueLayout.JAVA_INT, c);
        int top = cell * topK;
        for (int j = 0; j < topK; j++) {
            float logit = topLogits.getAtIndex(ValueLayout.JAVA_FLOAT, (long) c * topK + j);
            result.topIds[top + j] = topIds.getAtIndex(ValueLayout.JAVA_INT, (long) c * topK + j);
            result.topLogits[top + j] = logit;
            result.topProbs[top + j] = LensResult.probability(logit, lse);
        }
    }
}
