package dev.logitlens.lens;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * The statistics of every (layer, position) cell of one lens run, with the input it ran on. Layers are 0
 * (embeddings) to {@link #nLayers()} (the final block, whose distribution is the model's output); positions 0 to
 * {@link #nTokens()} − 1. The rows may also be those of the sublayer lens or of the decomposition
 * ({@link #snapshots()}: {@code in, h1.attn, h1, …} or {@code embed, attn1, mlp1, …, hN}); every accessor's
 * {@code layer} is then a row, 0 to {@link #nLayers()}, the first still the reference of "KL to the input" and the
 * last that of "KL to the final layer".
 *
 * <p><b>Input.</b> The result carries the token ids it ran on ({@link #tokens()}), the token after them
 * ({@link #following()}, −1 when none) and the model's token texts ({@link #tokenText}). The true next token of a
 * position is the rule of {@link #nextTokenId}; every statistic "of the next token" follows it.
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

    /** Tokens shown by {@link #toString()} before it abbreviates. */
    private static final int SHOWN_TOKENS = 12;

    private final Snapshots snapshots;              // what the rows are
    private final int nLayers;                      // the last row: snapshots.last()
    private final int nTokens;
    private final int topK;
    private final int vocabSize;
    private final int[] tokens;                     // [T] the input token ids
    private final int following;                    // the token after the last position, or -1
    private final IntFunction<String> tokenTexts;   // token id -> its text
    // S = snapshots.count() rows: n_layer + 1 for the layer lens, 2·n_layer + 1 with sublayers, 2·n_layer + 2 decomposed
    final int[] topIds;          // [S, T, k]
    final float[] topLogits;     // [S, T, k]
    final float[] topProbs;      // [S, T, k]
    final int[] rankFinalTop1;   // [S, T]
    final int[] rankNext;        // [S, T]; -1 where there is no next token
    final int[] rankInput;       // [S, T]
    final double[] klFinal;      // [S, T] nats
    final double[] klInput;      // [S, T] nats
    final double[] entropy;      // [S, T] nats
    final double[] logSumExp;    // [S, T]
    final double[] logProbNext;  // [S, T] nats; NaN where there is no next token
    private final List<LensCell> cells;
    private final Map<LensCell, Integer> cellIndex;
    final float[][] cellLogits;  // [cells][V]
    TrackedTokens tracked = TrackedTokens.none(); // set by the lens when LensOptions tracks tokens

    /**
     * An empty result for the lens to fill.
     *
     * @param tokens     {@code [T]} the input token ids (copied)
     * @param following  the token after the last position, or −1 when none
     * @param tokenTexts a token id's text
     */
    LensResult(Snapshots snapshots, int[] tokens, int following, int topK, int vocabSize, List<LensCell> cells,
               IntFunction<String> tokenTexts) {
        this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
        this.nLayers = snapshots.last();
        this.nTokens = tokens.length;
        this.topK = topK;
        this.vocabSize = vocabSize;
        this.tokens = tokens.clone();
        this.following = following;
        this.tokenTexts = Objects.requireNonNull(tokenTexts, "tokenTexts");
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

    /**
     * The result of the positions {@code [start, end)} only: every statistic of those cells, the tokens
     * {@code tokens[start..end)}, as following token {@code tokens[end]} (the original {@link #following()} when
     * {@code end} is T), and the kept full distributions of those positions, re-indexed (others are dropped).
     * Statistics are copied, not recomputed: each cell saw the context of the whole run.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 ≤ start ≤ end ≤ T}
     * @throws IllegalArgumentException  when the range is empty
     */
    public LensResult slice(int start, int end) {
        Objects.checkFromToIndex(start, end, nTokens);
        if (start == end) {
            throw new IllegalArgumentException("a slice holds at least one position: [" + start + ", " + end + ") is empty");
        }
        List<LensCell> kept = new ArrayList<>();
        for (LensCell cell : cells) {
            if (cell.position() >= start && cell.position() < end) {
                kept.add(new LensCell(cell.layer(), cell.position() - start));
            }
        }
        LensResult slice = new LensResult(snapshots, Arrays.copyOfRange(tokens, start, end),
                end < nTokens ? tokens[end] : following, topK, vocabSize, kept, tokenTexts);
        int width = end - start;
        for (int layer = 0; layer <= nLayers; layer++) {
            int from = cell(layer, start);
            int to = slice.cell(layer, 0);
            System.arraycopy(topIds, from * topK, slice.topIds, to * topK, width * topK);
            System.arraycopy(topLogits, from * topK, slice.topLogits, to * topK, width * topK);
            System.arraycopy(topProbs, from * topK, slice.topProbs, to * topK, width * topK);
            System.arraycopy(rankFinalTop1, from, slice.rankFinalTop1, to, width);
            System.arraycopy(rankNext, from, slice.rankNext, to, width);
            System.arraycopy(rankInput, from, slice.rankInput, to, width);
            System.arraycopy(klFinal, from, slice.klFinal, to, width);
            System.arraycopy(klInput, from, slice.klInput, to, width);
            System.arraycopy(entropy, from, slice.entropy, to, width);
            System.arraycopy(logSumExp, from, slice.logSumExp, to, width);
            System.arraycopy(logProbNext, from, slice.logProbNext, to, width);
        }
        slice.tracked = tracked.slice(start, end);
        for (LensCell cell : slice.cellIndex.keySet()) {
            float[] source = cellLogits[distributionIndex(cell.layer(), cell.position() + start)];
            System.arraycopy(source, 0, slice.cellLogits[slice.distributionIndex(cell.layer(), cell.position())], 0, vocabSize);
        }
        return slice;
    }

    /** The rank rule, {@code rank(x) = 1 + #{v : z[v] > z[x]}}, from that count: every rank of the lens comes from here. */
    static int rank(int countAbove) {
        return 1 + countAbove;
    }

    /** A top-k entry's probability from its logit and its row's log-sum-exp. */
    static float probability(float logit, double logSumExp) {
        return (float) Math.exp(logit - logSumExp);
    }

    /**
     * The index of the last row: rows (the "layers" of every accessor) run from 0 to this, inclusive. For the layer
     * lens it is n_layer, the number of blocks; for the sublayer lens and the decomposition it is
     * {@link Snapshots#last()} (2·n_layer, 2·n_layer + 1), and {@link #snapshots()} names each row.
     */
    public int nLayers() {
        return nLayers;
    }

    /** What the rows are: their labels, and the block each belongs to ({@link Snapshots#layers} for the plain lens). */
    public Snapshots snapshots() {
        return snapshots;
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

    /** A copy of the input token ids, {@code [T]}. */
    public int[] tokens() {
        return tokens.clone();
    }

    /** The input token at {@code pos}. */
    public int tokenId(int pos) {
        return tokens[Objects.checkIndex(pos, nTokens)];
    }

    /** The token after the last position (the true next token of a window of a longer text), or −1 when none. */
    public int following() {
        return following;
    }

    /**
     * The true next token of position {@code pos}: {@code tokens[pos + 1]}, or after the last position
     * {@link #following()}; −1 when there is none.
     */
    public int nextTokenId(int pos) {
        Objects.checkIndex(pos, nTokens);
        return pos + 1 < nTokens ? tokens[pos + 1] : following;
    }

    /** The text of token {@code id} in the model's vocabulary (GPT-2's byte-level BPE piece, or the id for others). */
    public String tokenText(int id) {
        Objects.checkIndex(id, vocabSize);
        return tokenTexts.apply(id);
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

    /** Rank at (layer, pos) of the true next token ({@link #nextTokenId}); −1 where there is none. */
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

    /** {@link #klToFinal(int, int)} of every position of {@code layer}, {@code [T]} nats. */
    public double[] klToFinal(int layer) {
        return row(klFinal, layer);
    }

    /** {@link #klToInput(int, int)} of every position of {@code layer}, {@code [T]} nats. */
    public double[] klToInput(int layer) {
        return row(klInput, layer);
    }

    /** {@link #entropy(int, int)} of every position of {@code layer}, {@code [T]} nats. */
    public double[] entropy(int layer) {
        return row(entropy, layer);
    }

    /** {@link #logProbOfNextToken(int, int)} of every position of {@code layer}, {@code [T]} nats; NaN where there is no next token. */
    public double[] logProbOfNextToken(int layer) {
        return row(logProbNext, layer);
    }

    /** {@link #rankOfNextToken(int, int)} of every position of {@code layer}, {@code [T]}; −1 where there is no next token. */
    public int[] rankOfNextToken(int layer) {
        return row(rankNext, layer);
    }

    /** {@link #rankOfFinalTop1(int, int)} of every position of {@code layer}, {@code [T]}. */
    public int[] rankOfFinalTop1(int layer) {
        return row(rankFinalTop1, layer);
    }

    /** {@link #rankOfInputToken(int, int)} of every position of {@code layer}, {@code [T]}. */
    public int[] rankOfInputToken(int layer) {
        return row(rankInput, layer);
    }

    /** The top-1 token id of every position of {@code layer}, {@code [T]}. */
    public int[] topTokenIds(int layer) {
        int[] ids = new int[nTokens];
        for (int pos = 0; pos < nTokens; pos++) {
            ids[pos] = topIds[cell(layer, pos) * topK];
        }
        return ids;
    }

    /** The tracked tokens' logits, probabilities and ranks per cell ({@link LensOptions#trackedTokens()}; none unless asked). */
    public TrackedTokens tracked() {
        return tracked;
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

    /**
     * One or a few lines for a console: the shape, top-k and vocabulary, the input tokens' texts and the final
     * layer's top-1 text per position (both abbreviated after {@value #SHOWN_TOKENS}).
     */
    @Override
    public String toString() {
        int[] finalTop = topTokenIds(nLayers);
        String rows = switch (snapshots.kind()) {
            case LAYERS -> (nLayers + 1) + " layers (0 = embeddings)";
            case SUBLAYERS -> (nLayers + 1) + " rows (" + snapshots.legend() + ")";
            case DECOMPOSED -> (nLayers + 1) + " rows (decomposed: " + snapshots.legend() + ")";
        };
        return "LensResult[" + rows + " × " + nTokens + " positions, top-" + topK
                + " of " + vocabSize + " tokens"
                + (following >= 0 ? ", following " + quoted(tokenText(following)) : "") + "]"
                + "\n  tokens:      " + texts(tokens)
                + "\n  final top-1: " + texts(finalTop);
    }

    /** The texts of the first {@value #SHOWN_TOKENS} ids, quoted, and how many more there are. */
    private String texts(int[] ids) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < Math.min(ids.length, SHOWN_TOKENS); i++) {
            line.append(i == 0 ? "" : " ").append(quoted(tokenText(ids[i])));
        }
        if (ids.length > SHOWN_TOKENS) {
            line.append(" … (").append(ids.length - SHOWN_TOKENS).append(" more)");
        }
        return line.toString();
    }

    /** A token's text in double quotes, with line breaks, tabs, quotes and backslashes escaped. */
    private static String quoted(String text) {
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "\\r")
                .replace("\t", "\\t") + '"';
    }

    /** {@code [T]}: a copy of one layer's row of a {@code [n_layer + 1, T]} array. */
    private double[] row(double[] grid, int layer) {
        Objects.checkIndex(layer, nLayers + 1);
        return Arrays.copyOfRange(grid, layer * nTokens, (layer + 1) * nTokens);
    }

    private int[] row(int[] grid, int layer) {
        Objects.checkIndex(layer, nLayers + 1);
        return Arrays.copyOfRange(grid, layer * nTokens, (layer + 1) * nTokens);
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
