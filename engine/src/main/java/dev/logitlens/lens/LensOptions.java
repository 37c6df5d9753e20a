package dev.logitlens.lens;

import java.util.List;

/**
 * How to run the lens.
 *
 * @param topK              tokens kept per cell, at least 1; a vocabulary of fewer tokens keeps all of them
 *                          ({@link #topKFor})
 * @param distributionCells cells whose full logits (and so probabilities) the result keeps, V floats each
 * @param positionsPerBlock positions projected together; a block is all n_layer + 1 layers of these
 *                          positions, and holds {@code positionsPerBlock · (n_layer + 1) · V} floats of logits
 * @param trackedTokens     token ids whose logit, probability and rank every cell records ({@link TrackedTokens},
 *                          {@link LensResult#tracked()}), in this order; repeats are refused
 *
 * <p>Threads are the model's concern, not a run's: {@code LensSettings.threads()} (or the {@link LogitLens}'s own).
 */
public record LensOptions(int topK, List<LensCell> distributionCells, int positionsPerBlock, List<Integer> trackedTokens) {

    /**
     * 24 positions × 13 GPT-2 layers = 312 rows (a multiple of the 6-row micro-kernel), 63 MB of logits: W_U
     * (154 MB) streams from memory once per block, and at 312 rows that costs ~half of what it does at 78.
     */
    public static final int DEFAULT_POSITIONS_PER_BLOCK = 24;
    public static final int DEFAULT_TOP_K = 10;

    public LensOptions {
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be at least 1, not " + topK);
        }
        distributionCells = List.copyOf(distributionCells);
        if (positionsPerBlock < 1) {
            throw new IllegalArgumentException("positionsPerBlock must be at least 1, not " + positionsPerBlock);
        }
        trackedTokens = List.copyOf(trackedTokens);
        if (trackedTokens.stream().distinct().count() != trackedTokens.size()) {
            throw new IllegalArgumentException("tracked tokens repeat an id: " + trackedTokens);
        }
    }

    /** Options that track no token. */
    public LensOptions(int topK, List<LensCell> distributionCells, int positionsPerBlock) {
        this(topK, distributionCells, positionsPerBlock, List.of());
    }

    /** Top 10, no full distributions, 24 positions per block. */
    public static LensOptions defaults() {
        return new LensOptions(DEFAULT_TOP_K, List.of(), DEFAULT_POSITIONS_PER_BLOCK);
    }

    /** The number of tokens a cell keeps in a vocabulary of {@code vocabSize}: {@code min(topK, vocabSize)}. */
    public int topKFor(int vocabSize) {
        return Math.min(topK, vocabSize);
    }

    public LensOptions withTopK(int k) {
        return new LensOptions(k, distributionCells, positionsPerBlock, trackedTokens);
    }

    public LensOptions withDistributionCells(List<LensCell> cells) {
        return new LensOptions(topK, cells, positionsPerBlock, trackedTokens);
    }

    public LensOptions withPositionsPerBlock(int positions) {
        return new LensOptions(topK, distributionCells, positions, trackedTokens);
    }

    /** These options tracking {@code ids} (a copy; in this order). */
    public LensOptions withTrackedTokens(List<Integer> ids) {
        return new LensOptions(topK, distributionCells, positionsPerBlock, ids);
    }
}
