package dev.logitlens.lens;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Two lens runs compared cell by cell: two inputs on one model, or one input on two models with the same vocabulary
 * and depth. Per (layer, aligned position): KL(A ‖ B) = Σ p_A (log p_A − log p_B) and the Jensen–Shannon divergence
 * JS = ½ KL(A ‖ M) + ½ KL(B ‖ M) with M = ½ (p_A + p_B), both in nats (JS ≤ ln 2), and each side's top-1 token
 * (equal logits: the lower id, as top-k orders them), so whether the top-1 changed and to what.
 *
 * <p><b>Alignment.</b> Inputs of different lengths are aligned at their ends: the last {@code min(T_A, T_B)}
 * positions of each are compared, A's position {@code offsetA + i} with B's {@code offsetB + i}, so that the last
 * positions, whose next-token predictions are usually what differs, always meet.
 *
 * <p>Work goes {@code positionsPerBlock} positions at a time: each side's logits {@code [P, n_layer + 1, V]} are
 * projected into a block buffer ({@link Projector}) and compared in double; the {@code [n_layer + 1, T, V]} tensors
 * never exist.
 */
public final class LensComparison {

    /** Projects the logits of positions {@code [first, first + positions)} of one side, {@code [positions, n_layer + 1, V]} float32. */
    @FunctionalInterface
    public interface Projector {
        void project(int first, int positions, MemorySegment out);
    }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final double LN_2 = Math.log(2);

    private final int nLayers;
    private final int positions;      // P: the aligned positions
    private final int offsetA;        // A's position of aligned position 0
    private final int offsetB;
    private final double[] kl;        // [n_layer + 1, P] nats
    private final double[] js;        // [n_layer + 1, P] nats
    private final int[] topA;         // [n_layer + 1, P]
    private final int[] topB;         // [n_layer + 1, P]

    private LensComparison(int nLayers, int positions, int offsetA, int offsetB) {
        this.nLayers = nLayers;
        this.positions = positions;
        this.offsetA = offsetA;
        this.offsetB = offsetB;
        int grid = (nLayers + 1) * positions;
        this.kl = new double[grid];
        this.js = new double[grid];
        this.topA = new int[grid];
        this.topB = new int[grid];
    }

    /**
     * Compares two sides of {@code nLayers + 1} layers over vocabulary {@code vocab}, aligned at the end.
     *
     * @param tokensA           T_A, A's positions (≥ 1); {@code tokensB} likewise
     * @param positionsPerBlock positions projected at a time (≥ 1): two buffers of {@code P · (n_layer + 1) · V} floats
     */
    public static LensComparison compare(Projector a, int tokensA, Projector b, int tokensB, int nLayers, int vocab,
                                         int positionsPerBlock) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        VectorApi.require("comparing lenses");
        if (tokensA < 1 || tokensB < 1 || nLayers < 0 || vocab < 1 || positionsPerBlock < 1) {
            throw new IllegalArgumentException("bad comparison shape: T_A=" + tokensA + " T_B=" + tokensB + " n_layer="
                    + nLayers + " V=" + vocab + " block=" + positionsPerBlock);
        }
        int common = Math.min(tokensA, tokensB);
        LensComparison result = new LensComparison(nLayers, common, tokensA - common, tokensB - common);
        int snapshots = nLayers + 1;
        int block = Math.min(positionsPerBlock, common);
        long rowBytes = (long) vocab * Float.BYTES;
        try (Arena arena = Arena.ofShared()) { // shared: a kernel may project on its own threads
            MemorySegment logitsA = arena.allocate(block * snapshots * rowBytes, 64); // [P, n_layer + 1, V]
            MemorySegment logitsB = arena.allocate(block * snapshots * rowBytes, 64); // [P, n_layer + 1, V]
            for (int first = 0; first < common; first += block) {
                int count = Math.min(block, common - first);
                a.project(result.offsetA + first, count, logitsA);
                b.project(result.offsetB + first, count, logitsB);
                for (int p = 0; p < count; p++) {
                    for (int layer = 0; layer < snapshots; layer++) {
                        long offset = (long) (p * snapshots + layer) * rowBytes;
                        result.compareRows(logitsA, logitsB, offset, vocab, layer * common + first + p);
                    }
                }
            }
        }
        return result;
    }

    /**
     * KL, JS and both top-1s of one pair of rows into cell {@code cell}: the maxima, top-1s (equal logits by lower id)
     * and log-sum-exps by the lens's own row reductions, then one pass for the two divergences.
     */
    private void compareRows(MemorySegment za, MemorySegment zb, long offset, int vocab, int cell) {
        TopKSelector top = new TopKSelector(1);
        int[] id = new int[1];
        float[] logit = new float[1];
        float maxA = RowReductions.maxAndTopK(za, offset, vocab, top);
        top.drainSorted(id, logit, 0);
        int argA = id[0];
        float maxB = RowReductions.maxAndTopK(zb, offset, vocab, top);
        top.drainSorted(id, logit, 0);
        int argB = id[0];
        double lseA = maxA + Math.log(RowReductions.expSums(za, offset, vocab, maxA).sum());
        double lseB = maxB + Math.log(RowReductions.expSums(zb, offset, vocab, maxB).sum());
        double klAB = 0;
        double jsSum = 0;
        for (int v = 0; v < vocab; v++) {
            double logA = za.get(F32, offset + (long) v * Float.BYTES) - lseA;
            double logB = zb.get(F32, offset + (long) v * Float.BYTES) - lseB;
            double pA = Math.exp(logA);
            double pB = Math.exp(logB);
            klAB += pA * (logA - logB);
            double m = 0.5 * (pA + pB);
            if (m > 0) {
                double logM = Math.log(m);
                jsSum += (pA > 0 ? pA * (logA - logM) : 0) + (pB > 0 ? pB * (logB - logM) : 0);
            }
        }
        kl[cell] = klAB;
        js[cell] = 0.5 * jsSum;
        topA[cell] = argA;
        topB[cell] = argB;
    }

    /** n_layer: layers run from 0 (embeddings) to this. */
    public int nLayers() {
        return nLayers;
    }

    /** The aligned positions compared: {@code min(T_A, T_B)}. */
    public int positions() {
        return positions;
    }

    /** A's position of aligned position {@code i}: {@code T_A − positions() + i}. */
    public int positionA(int i) {
        return offsetA + Objects.checkIndex(i, positions);
    }

    /** B's position of aligned position {@code i}: {@code T_B − positions() + i}. */
    public int positionB(int i) {
        return offsetB + Objects.checkIndex(i, positions);
    }

    /** KL(A ‖ B) at (layer, aligned position i), nats. */
    public double kl(int layer, int i) {
        return kl[cell(layer, i)];
    }

    /** Jensen–Shannon divergence at (layer, aligned position i), nats (0 to ln 2). */
    public double js(int layer, int i) {
        return js[cell(layer, i)];
    }

    /** {@link #js} in bits (0 to 1). */
    public double jsBits(int layer, int i) {
        return js(layer, i) / LN_2;
    }

    /** A's top-1 token at (layer, aligned position i). */
    public int topA(int layer, int i) {
        return topA[cell(layer, i)];
    }

    /** B's top-1 token at (layer, aligned position i). */
    public int topB(int layer, int i) {
        return topB[cell(layer, i)];
    }

    /** Whether the top-1 token differs between A and B at (layer, aligned position i). */
    public boolean top1Changed(int layer, int i) {
        return topA(layer, i) != topB(layer, i);
    }

    private int cell(int layer, int i) {
        Objects.checkIndex(layer, nLayers + 1);
        Objects.checkIndex(i, positions);
        return layer * positions + i;
    }
}
