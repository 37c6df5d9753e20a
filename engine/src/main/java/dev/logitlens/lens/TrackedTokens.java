package dev.logitlens.lens;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * Chosen tokens followed through every (layer, position) cell of a lens run ({@link LensOptions#trackedTokens()}):
 * per tracked token x, its logit {@code z[x]}, its log-probability {@code z[x] − logSumExp} (nats) and its rank
 * {@code 1 + #{v : z[v] > z[x]}} (the rank rule of {@link LensResult}, ties in the token's favour). Computed by the
 * lens from each block of logits while it exists ({@link #record}); the {@code [n_layer + 1, T, V]} tensor is never
 * kept. The logit difference of two tracked tokens ({@link #difference}) equals their log-probability difference
 * (the log-sum-exp cancels): tuned-lens's {@code log_prob_diff}, in nats.
 */
public final class TrackedTokens {

    private static final TrackedTokens NONE = new TrackedTokens(new int[0], 1, 1);

    private final int[] ids;          // [n] the tracked token ids, in the order asked
    private final int snapshots;      // n_layer + 1 rows of cells
    private final int nTokens;        // T
    private final float[] logits;     // [n_layer + 1, T, n]
    private final double[] logProbs;  // [n_layer + 1, T, n] nats
    private final int[] ranks;        // [n_layer + 1, T, n]

    TrackedTokens(int[] ids, int snapshots, int nTokens) {
        if (ids.length > 0) {
            VectorApi.require("tracking tokens");
        }
        this.ids = ids.clone();
        this.snapshots = snapshots;
        this.nTokens = nTokens;
        int size = snapshots * nTokens * ids.length;
        this.logits = new float[size];
        this.logProbs = new double[size];
        this.ranks = new int[size];
    }

    /** No tracked tokens. */
    static TrackedTokens none() {
        return NONE;
    }

    /** The number of tracked tokens. */
    public int size() {
        return ids.length;
    }

    /** The id of tracked token {@code i} (in the order of {@link LensOptions#trackedTokens()}). */
    public int id(int i) {
        return ids[Objects.checkIndex(i, ids.length)];
    }

    /** A copy of the tracked ids, {@code [n]}. */
    public int[] ids() {
        return ids.clone();
    }

    /** The index of {@code tokenId} among the tracked tokens, or −1. */
    public int indexOf(int tokenId) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == tokenId) {
                return i;
            }
        }
        return -1;
    }

    /** z[x] of tracked token i at (layer, pos). */
    public float logit(int layer, int pos, int i) {
        return logits[index(layer, pos, i)];
    }

    /** log p(x) = z[x] − logSumExp at (layer, pos), nats. */
    public double logProb(int layer, int pos, int i) {
        return logProbs[index(layer, pos, i)];
    }

    /** p(x) = exp(z[x] − logSumExp) at (layer, pos). */
    public double probability(int layer, int pos, int i) {
        return Math.exp(logProb(layer, pos, i));
    }

    /** 1 + #{v : z[v] > z[x]} at (layer, pos): 1 = top. */
    public int rank(int layer, int pos, int i) {
        return ranks[index(layer, pos, i)];
    }

    /**
     * z[target] − z[anti] at (layer, pos) = log p(target) − log p(anti), nats (computed from the logits in double, so
     * the log-sum-exp does not round it).
     */
    public double difference(int layer, int pos, int target, int anti) {
        return (double) logit(layer, pos, target) - logit(layer, pos, anti);
    }

    /**
     * Records one position's cells from a block of logits.
     *
     * @param logits    block of logits; this position's rows {@code [snapshots, V]} start at {@code rowsOffset}
     * @param pos       the position in the run
     * @param vocab     V
     * @param logSumExp {@code [n_layer + 1, T]} the run's log-sum-exps, already computed for this position
     * @param scratch   {@code [n]} targets, and {@code counts} {@code [n]}: per-thread scratch
     */
    void record(MemorySegment logits, long rowsOffset, int pos, int vocab, double[] logSumExp, float[] scratch, int[] counts) {
        long rowBytes = (long) vocab * Float.BYTES;
        for (int layer = 0; layer < snapshots; layer++) {
            long offset = rowsOffset + layer * rowBytes;
            for (int i = 0; i < ids.length; i++) {
                scratch[i] = logits.get(ValueLayout.JAVA_FLOAT_UNALIGNED, offset + (long) ids[i] * Float.BYTES);
            }
            RowReductions.countAbove(logits, offset, vocab, scratch, counts);
            double lse = logSumExp[layer * nTokens + pos];
            for (int i = 0; i < ids.length; i++) {
                int at = index(layer, pos, i);
                this.logits[at] = scratch[i];
                logProbs[at] = scratch[i] - lse;
                ranks[at] = LensResult.rank(counts[i]);
            }
        }
    }

    /** The positions {@code [start, end)} only (as {@link LensResult#slice}). */
    TrackedTokens slice(int start, int end) {
        if (ids.length == 0) {
            return this;
        }
        TrackedTokens slice = new TrackedTokens(ids, snapshots, end - start);
        int n = ids.length;
        for (int layer = 0; layer < snapshots; layer++) {
            int from = (layer * nTokens + start) * n;
            int to = layer * (end - start) * n;
            int length = (end - start) * n;
            System.arraycopy(logits, from, slice.logits, to, length);
            System.arraycopy(logProbs, from, slice.logProbs, to, length);
            System.arraycopy(ranks, from, slice.ranks, to, length);
        }
        return slice;
    }

    private int index(int layer, int pos, int i) {
        Objects.checkIndex(layer, snapshots);
        Objects.checkIndex(pos, nTokens);
        Objects.checkIndex(i, ids.length);
        return (layer * nTokens + pos) * ids.length + i;
    }

    @Override
    public String toString() {
        return "TrackedTokens" + Arrays.toString(ids);
    }
}
