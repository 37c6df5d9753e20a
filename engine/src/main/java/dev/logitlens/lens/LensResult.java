package dev.logitlens.lens;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The statistics of every (layer, position) cell of one lens run. Layers are 0 (embeddings) to
 * {@link #nLayers()} (the final block, whose distribution is the model's output); positions 0 to
 * {@link #nTokens()} − 1.
 *
 * <p><b>Rank.</b> {@code rank(x) = 1 + #{v : z[v] > z[x]}} over the cell's logits z: 1 is the top token, and
 * tokens with equal logits share the better rank (ties are broken in the token's favour).
 *
 * <p><b>Top-k.</b> Sorted by descending logit, equal logits by lower token id; probabilities are
 * {@code exp(logit − logSumExp)}.
 *
 * <p><b>Units.</b> KL divergences and entropies are in nats, accumulated in double; the {@code ...Bits}
 * accessors divide by ln 2. KL values are reported as computed: a cell whose distribution equals its
 * reference can come out as a tiny negative number (rounding of the float logits, ~10⁻⁶).
 */
public final class LensResult {

    private static final double LN_2 = Math.log(2);

    private final int nLayers;
    private final int nTokens;
    private final int topK;
    private final int vocabSize;
    final int[] topIds;          // [n_layer + 1, T, k]
    final float[] topLogits;     // [n_layer + 1, T, k]
    final float[] topProbs;      // [n_layer + 1, T, k]
    final int[] rankFinalTop1;   // [n_layer + 1, T]
    final int[] rankNext;        // [n_layer + 1, T]; -1 at the last position
    final int[] rankInput;       // [n_layer + 1, T]
    final double[] klFinal;      // [n_layer + 1, T] nats
    final double[] klInput;      // [n_layer + 1, T] nats
    final double[] entropy;      // [n_layer + 1, T] nats
    final double[] logSumExp;    // [n_layer + 1, T]
    final double[] logProbNext;  // [n_layer + 1, T] nats; NaN where there is no next token
    private final List<LensCell> cells;
    private final Map<LensCell, Integer> cellIndex;
    final float[][] cellLogits;  // [cells][V]

    LensResult(int nLayers, int nTokens, int topK, int vocabSize, List<LensCell> cells) {
        this.nLayers = nLayers;
        this.nTokens = nTokens;
        this.topK = topK;
        this.vocabSize = vocabSize;
        int grid = (nLayers + 1) * nTokens;
        this.topIds = new int[grid * topK];
        this.topLogits = new float[grid * topK];
        this.topProbs = new float[grid * topK];
        this.rankFinalTop1 = new int[grid];
        this.rankNext = new int[grid];
        this.rankInput = new int[grid];
        this.klFinal = new double[grid];
        this.klInput = new double[grid];
        this.entropy = new double[grid];
        this.logSumExp = new double[grid];
        this.logProbNext = new double[grid];
        this.cells = List.copyOf(cells);
        this.cellIndex = new HashMap<>();
        for (LensCell cell : this.cells) {
            cellIndex.putIfAbsent(cell, cellIndex.size());
        }
        this.cellLogits = new float[cellIndex.size()][vocabSize];
    }

    /** A top-k entry's probability from its logit and its row's log-sum-exp. */
    static float probability(float logit, double logSumExp) {
        return (float) Math.exp(logit - logSumExp);
    }

    /** n_layer: the number of blocks; layers run from 0 to this, inclusive. */
    public int nLayers() {
        return nLayers;
    }

    /** T: the number of positions. */
    public int nTokens() {
        return nTokens;
    }

    public int topK() {
        return topK;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The j-th best token id (j = 0 is the top) at (layer, pos). */
    public int topTokenId(int layer, int pos, int j) {
        return topIds[topIndex(layer, pos, j)];
    }

    public float topLogit(int layer, int pos, int j) {
        return topLogits[topIndex(layer, pos, j)];
    }

    public float topProb(int layer, int pos, int j) {
        return topProbs[topIndex(layer, pos, j)];
    }

    /** Rank at (layer, pos) of the token the final layer puts first at pos. */
    public int rankOfFinalTop1(int layer, int pos) {
        return rankFinalTop1[cell(layer, pos)];
    }

    /** Rank at (layer, pos) of the true next token {@code tokens[pos + 1]} (at the last position: the following token when one was given); -1 where there is none. */
    public int rankOfNextToken(int layer, int pos) {
        return rankNext[cell(layer, pos)];
    }

    /** Rank at (layer, pos) of the input token {@code tokens[pos]}. */
    public int rankOfInputToken(int layer, int pos) {
        return rankInput[cell(layer, pos)];
    }

    /**
     * log p_layer(next) = z[next] − logSumExp at (layer, pos), nats: minus the cross-entropy of this layer's
     * prediction against the true next token; NaN where {@link #rankOfNextToken} is −1.
     */
    public double logProbOfNextToken(int layer, int pos) {
        return logProbNext[cell(layer, pos)];
    }

    /** KL(final ‖ layer) = Σ p_final (log p_final − log p_layer), nats. */
    public double klToFinal(int layer, int pos) {
        return klFinal[cell(layer, pos)];
    }

    public double klToFinalBits(int layer, int pos) {
        return klToFinal(layer, pos) / LN_2;
    }

    /** KL(layer 0 ‖ layer): divergence from the embeddings' distribution, nats. */
    public double klToInput(int layer, int pos) {
        return klInput[cell(layer, pos)];
    }

    public double klToInputBits(int layer, int pos) {
        return klToInput(layer, pos) / LN_2;
    }

    /** H = −Σ p log p, nats. */
    public double entropy(int layer, int pos) {
        return entropy[cell(layer, pos)];
    }

    public double entropyBits(int layer, int pos) {
        return entropy(layer, pos) / LN_2;
    }

    /** log Σ_v exp(z[v]): any probability is {@code exp(z[v] − logSumExp)}. */
    public double logSumExp(int layer, int pos) {
        return logSumExp[cell(layer, pos)];
    }

    /** The cells whose full distributions were requested, as given. */
    public List<LensCell> distributionCells() {
        return cells;
    }

    public boolean hasDistribution(int layer, int pos) {
        cell(layer, pos);
        return distributionIndex(layer, pos) >= 0;
    }

    /** A copy of all V logits at (layer, pos); the cell must have been requested in the options. */
    public float[] logits(int layer, int pos) {
        return storedLogits(layer, pos).clone();
    }

    /** All V probabilities {@code exp(z − logSumExp)} at (layer, pos); the cell must have been requested. */
    public float[] probabilities(int layer, int pos) {
        float[] z = storedLogits(layer, pos);
        double lse = logSumExp(layer, pos);
        float[] p = new float[z.length];
        for (int v = 0; v < z.length; v++) {
            p[v] = (float) Math.exp(z[v] - lse);
        }
        return p;
    }

    /** Index of (layer, pos) in the [n_layer + 1, T] arrays. */
    int cell(int layer, int pos) {
        Objects.checkIndex(layer, nLayers + 1);
        Objects.checkIndex(pos, nTokens);
        return layer * nTokens + pos;
    }

    /** Index into the stored full distributions, or -1 when the cell was not requested. */
    int distributionIndex(int layer, int pos) {
        return cellIndex.getOrDefault(new LensCell(layer, pos), -1);
    }

    private int topIndex(int layer, int pos, int j) {
        Objects.checkIndex(j, topK);
        return cell(layer, pos) * topK + j;
    }

    private float[] storedLogits(int layer, int pos) {
        cell(layer, pos);
        int index = distributionIndex(layer, pos);
        if (index < 0) {
            throw new IllegalArgumentException("no full distribution kept for layer " + layer + ", position " + pos
                    + ": list the cell in LensOptions.distributionCells");
        }
        return cellLogits[index];
    }
}
