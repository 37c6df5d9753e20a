package dev.logitlens.lens;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Computes every statistic of one position from its n_layer + 1 rows of logits and writes them into a
 * {@link LensResult}. One analyzer per statistics thread: it owns O(V) scratch (the final and input
 * layers' probabilities, a top-k selector).
 *
 * <p>Order: the final row and the layer-0 row first (their log-sum-exp and probabilities are the
 * references of the KLs, the final row's top-1 the target of a rank), then every layer.
 */
final class PositionAnalyzer {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final int vocabSize;
    private final int topK;
    private final TopKSelector selector;
    private final float[] finalProbs; // [V] softmax of the final layer at the current position
    private final float[] inputProbs; // [V] softmax of layer 0 at the current position

    PositionAnalyzer(int vocabSize, int topK) {
        VectorApi.require("the JVM statistics");
        this.vocabSize = vocabSize;
        this.topK = topK;
        this.selector = new TopKSelector(topK);
        this.finalProbs = new float[vocabSize];
        this.inputProbs = new float[vocabSize];
    }

    /**
     * @param logits    block of logits; this position's rows {@code [n_layer + 1, V]} start at {@code rowsOffset}
     * @param pos       the position in the result, whose input and next token ({@link LensResult#nextTokenId}) it reads
     */
    void analyze(MemorySegment logits, long rowsOffset, int pos, LensResult result) {
        int last = result.nLayers();
        long rowBytes = (long) vocabSize * Float.BYTES;
        long finalOffset = rowsOffset + last * rowBytes;
        long inputOffset = rowsOffset;

        double finalMass = summariseRow(logits, finalOffset, last, pos, result).probabilities(finalProbs);
        double inputMass = last == 0 ? finalMass : summariseRow(logits, inputOffset, 0, pos, result).probabilities(inputProbs);
        float[] inputReference = last == 0 ? finalProbs : inputProbs;
        double finalLse = result.logSumExp[result.cell(last, pos)];
        double inputLse = result.logSumExp[result.cell(0, pos)];

        int finalTop = result.topIds[result.cell(last, pos) * topK];
        int next = result.nextTokenId(pos);
        int input = result.tokenId(pos);
        for (int layer = 0; layer <= last; layer++) {
            long offset = rowsOffset + layer * rowBytes;
            if (layer != 0 && layer != last) {
                summariseRow(logits, offset, layer, pos, result);
            }
            int cell = result.cell(layer, pos);
            float nextLogit = next < 0 ? Float.NaN : logit(logits, offset, next);
            RowReductions.Comparison comparison = RowReductions.compare(
                    logits, offset, logits, finalOffset, finalProbs, logits, inputOffset, inputReference, vocabSize,
                    logit(logits, offset, finalTop), nextLogit, logit(logits, offset, input));
            double lse = result.logSumExp[cell];
            result.logProbNext[cell] = next < 0 ? Double.NaN : nextLogit - lse;
            // KL(ref ‖ layer) = Σ p_ref (z_ref − lse_ref − z + lse) = Σ p_ref (z_ref − z) + (lse − lse_ref)·Σ p_ref
            result.klFinal[cell] = comparison.crossFinal() + (lse - finalLse) * finalMass;
            result.klInput[cell] = comparison.crossInput() + (lse - inputLse) * inputMass;
            result.rankFinalTop1[cell] = LensResult.rank(comparison.aboveFirst());
            result.rankNext[cell] = next < 0 ? -1 : LensResult.rank(comparison.aboveSecond());
            result.rankInput[cell] = LensResult.rank(comparison.aboveThird());
        }
    }

    /** Top-k, log-sum-exp and entropy of one row into the result. */
    private RowSummary summariseRow(MemorySegment logits, long offset, int layer, int pos, LensResult result) {
        selector.reset();
        float max = RowReductions.maxAndTopK(logits, offset, vocabSize, selector);
        RowReductions.ExpSums sums = RowReductions.expSums(logits, offset, vocabSize, max);
        double lse = sums.logSumExp(max);
        int cell = result.cell(layer, pos);
        result.logSumExp[cell] = lse;
        result.entropy[cell] = sums.entropy();
        int top = cell * topK;
        selector.drainSorted(result.topIds, result.topLogits, top);
        for (int j = 0; j < topK; j++) {
            result.topProbs[top + j] = LensResult.probability(result.topLogits[top + j], lse);
        }
        return new RowSummary(logits, offset, max, sums);
    }

    /** A summarised row, from which its softmax can be written out. */
    private record RowSummary(MemorySegment logits, long offset, float max, RowReductions.ExpSums sums) {

        /** Writes softmax(row) into {@code probs [V]}; returns Σ probs as computed. */
        double probabilities(float[] probs) {
            return RowReductions.probabilities(logits, offset, probs.length, max, sums, probs);
        }
    }

    private static float logit(MemorySegment logits, long rowOffset, int token) {
        return logits.get(F32, rowOffset + (long) token * Float.BYTES);
    }
}
