package dev.logitlens.table;

import dev.logitlens.corpus.Windows;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.lens.TrackedTokens;
import dev.logitlens.model.Json;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * The lens in long format: one row per (document, window, layer, position), columns as {@link #columns(int)}
 * lists them. Rows accumulate from several lens results (the windows of many documents) into growing column
 * arrays, which the writers ({@link LensRowsFormat}) read directly.
 *
 * <p>Columns, in order: {@code doc, window, layer, position, context, token_id, token, next_id}, then for
 * j = 1..k {@code topj_id, topj_token, topj_prob, topj_logit}, then {@code logprob_next, rank_final_top1,
 * rank_next, rank_input, kl_final, kl_input, entropy}, then per tracked token i = 1..n ({@code LensOptions.trackedTokens})
 * {@code tracki_id, tracki_prob, tracki_logit, tracki_rank}. Divergences, entropies and log-probabilities are in
 * nats; ranks count from 1 with ties in the token's favour ({@code 1 + #{v : z[v] > z[x]}}).
 */
public final class LensRows {

    private final int topK;
    private final boolean withSublayer;      // the column "sublayer" after "layer" (sublayer lens, decomposition)
    private final int[] tracked;             // [n] the tracked token ids, in the lens's order
    private final IntFunction<String> tokenText;
    private final List<TableColumn> columns;
    private int size;
    private int capacity;

    // every array below: [capacity], one entry per row
    private int[] doc;
    private int[] window;
    private int[] layer;
    private int[] sublayer;
    private int[] position;
    private int[] context;
    private int[] tokenId;
    private String[] token;
    private int[] nextId;
    private boolean[] noNext;
    private final int[][] topId;          // [k][capacity]
    private final String[][] topToken;    // [k][capacity]
    private final float[][] topProb;      // [k][capacity]
    private final float[][] topLogit;     // [k][capacity]
    private double[] logProbNext;
    private int[] rankFinalTop1;
    private int[] rankNext;
    private int[] rankInput;
    private double[] klFinal;
    private double[] klInput;
    private double[] entropy;
    private final float[][] trackProb;    // [n][capacity]
    private final float[][] trackLogit;   // [n][capacity]
    private final int[][] trackRank;      // [n][capacity]
    private final int[][] trackId;        // [n][capacity]

    /**
     * @param topK      top tokens per row, ≥ 1 (at most the lens results' own top-k)
     * @param tokenText a token id's text (GPT-2's byte-level BPE), or the id itself for other vocabularies
     */
    public LensRows(int topK, IntFunction<String> tokenText) {
        this(topK, tokenText, Snapshots.Kind.LAYERS);
    }

    /**
     * A table of the rows {@code rows} names: for the layer lens the columns of {@link #columns(int)}; for the
     * sublayer lens and the decomposition those of {@link #columns(int, Snapshots.Kind)}, with {@code sublayer}.
     */
    public LensRows(int topK, IntFunction<String> tokenText, Snapshots.Kind rows) {
        this(topK, tokenText, rows, List.of());
    }

    /**
     * A table of {@code rows} that also holds the tracked tokens {@code tracked} (four columns each after
     * {@code entropy}: {@code tracki_id, tracki_prob, tracki_logit, tracki_rank}); every lens result added must track
     * them, in this order.
     */
    public LensRows(int topK, IntFunction<String> tokenText, Snapshots.Kind rows, List<Integer> tracked) {
        this.tracked = tracked.stream().mapToInt(Integer::intValue).toArray();
        this.trackProb = new float[this.tracked.length][];
        this.trackLogit = new float[this.tracked.length][];
        this.trackRank = new int[this.tracked.length][];
        this.trackId = new int[this.tracked.length][];
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be at least 1, not " + topK);
        }
        this.topK = topK;
        this.withSublayer = rows != Snapshots.Kind.LAYERS;
        this.tokenText = Objects.requireNonNull(tokenText, "tokenText");
        this.columns = columns(topK, rows, tracked, tokenText);
        this.topId = new int[topK][];
        this.topToken = new String[topK][];
        this.topProb = new float[topK][];
        this.topLogit = new float[topK][];
        allocate(256);
    }

    // units of the columns (TableColumn.unit)
    private static final String INDEX = "index from 0";
    private static final String TOKEN_ID = "token id";
    private static final String TEXT = "text";
    private static final String NATS = "nats";
    private static final String RANK = "rank from 1 (1 = most likely)";

    /** The columns of a table with {@code topK} top tokens per row. */
    public static List<TableColumn> columns(int topK) {
        return columns(topK, Snapshots.Kind.LAYERS);
    }

    /**
     * The columns of a table of {@code rows}: for the sublayer lens and the decomposition, {@code sublayer} follows
     * {@code layer} (then the block a row belongs to): {@link Snapshots#sublayer} (1 = the row stands after, or is the
     * output of, block {@code layer}'s attention; 2 = its MLP; 0 = the embeddings, or the decomposition's final row).
     */
    public static List<TableColumn> columns(int topK, Snapshots.Kind rows) {
        return columns(topK, rows, List.of(), Integer::toString);
    }

    /** The columns of a table of {@code rows} with the tracked tokens {@code tracked} (their texts by {@code tokenText}). */
    public static List<TableColumn> columns(int topK, Snapshots.Kind rows, List<Integer> tracked, IntFunction<String> tokenText) {
        List<TableColumn> list = new ArrayList<>();
        list.add(new TableColumn("doc", ColumnType.INT32, false, "document index in the input, from 0", INDEX));
        list.add(new TableColumn("window", ColumnType.INT32, false, "window index in the document, from 0", INDEX));
        if (rows == Snapshots.Kind.LAYERS) {
            list.add(new TableColumn("layer", ColumnType.INT32, false, "0 = embeddings, l = after block l", "layer (0 = embeddings)"));
        } else {
            list.add(new TableColumn("layer", ColumnType.INT32, false, "the block of the row: 0 = embeddings, l = block l",
                    "layer (0 = embeddings)"));
            list.add(new TableColumn("sublayer", ColumnType.INT32, false, rows == Snapshots.Kind.SUBLAYERS
                    ? "1 = after block layer's attention, 2 = after its MLP (the block's output), 0 = the embeddings"
                    : "1 = block layer's attention output, 2 = its MLP output, 0 = the embeddings or the final layer",
                    "sublayer (0 none, 1 attention, 2 MLP)"));
        }
        list.add(new TableColumn("position", ColumnType.INT32, false, "token position in the document, from 0", INDEX));
        list.add(new TableColumn("context", ColumnType.INT32, false, "tokens the model saw at this position (its window position + 1)", "tokens"));
        list.add(new TableColumn("token_id", ColumnType.INT32, false, "the input token at this position", TOKEN_ID));
        list.add(new TableColumn("token", ColumnType.STRING, false, "its text", TEXT));
        list.add(new TableColumn("next_id", ColumnType.INT32, true, "the true next token; null at the document's end", TOKEN_ID));
        for (int j = 1; j <= topK; j++) {
            list.add(new TableColumn("top" + j + "_id", ColumnType.INT32, false, "the layer's " + ordinal(j) + " most likely token", TOKEN_ID));
            list.add(new TableColumn("top" + j + "_token", ColumnType.STRING, false, "its text", TEXT));
            list.add(new TableColumn("top" + j + "_prob", ColumnType.FLOAT32, false, "its probability", "probability (0 to 1)"));
            list.add(new TableColumn("top" + j + "_logit", ColumnType.FLOAT32, false, "its logit", "logit (unnormalised, natural-log scale)"));
        }
        list.add(new TableColumn("logprob_next", ColumnType.FLOAT64, true, "log p(next token) under the layer, nats; null at the end", NATS));
        list.add(new TableColumn("rank_final_top1", ColumnType.INT32, false, "rank of the final layer's top-1 token", RANK));
        list.add(new TableColumn("rank_next", ColumnType.INT32, true, "rank of the true next token; null at the end", RANK));
        list.add(new TableColumn("rank_input", ColumnType.INT32, false, "rank of the input token", RANK));
        list.add(new TableColumn("kl_final", ColumnType.FLOAT64, false, "KL(final ‖ layer), nats", NATS));
        list.add(new TableColumn("kl_input", ColumnType.FLOAT64, false, "KL(layer 0 ‖ layer), nats", NATS));
        list.add(new TableColumn("entropy", ColumnType.FLOAT64, false, "entropy of the layer's distribution, nats", NATS));
        for (int i = 1; i <= tracked.size(); i++) {
            int id = tracked.get(i - 1);
            String which = "tracked token " + i + " (id " + id + ", " + Json.write(tokenText.apply(id)) + ")";
            list.add(new TableColumn("track" + i + "_id", ColumnType.INT32, false, "the id of " + which, TOKEN_ID));
            list.add(new TableColumn("track" + i + "_prob", ColumnType.FLOAT32, false, "the layer's probability of " + which, "probability (0 to 1)"));
            list.add(new TableColumn("track" + i + "_logit", ColumnType.FLOAT32, false, "the layer's logit of " + which, "logit (unnormalised, natural-log scale)"));
            list.add(new TableColumn("track" + i + "_rank", ColumnType.INT32, false, "the rank of " + which, RANK));
        }
        return List.copyOf(list);
    }

    private static String ordinal(int j) {
        return switch (j) {
            case 1 -> "1st";
            case 2 -> "2nd";
            case 3 -> "3rd";
            default -> j + "th";
        };
    }

    public int topK() {
        return topK;
    }

    /** The number of tracked tokens (four columns each, after {@code entropy}). */
    public int trackedCount() {
        return tracked.length;
    }

    public List<TableColumn> columns() {
        return columns;
    }

    /** The index of the first top-k column ({@code top1_id}): 8, or 9 with the column {@code sublayer}. */
    public int topStart() {
        return withSublayer ? 9 : 8;
    }

    /** Rows held. */
    public int size() {
        return size;
    }

    /** Forgets the rows, keeping the arrays for reuse. */
    public void clear() {
        size = 0;
    }

    /**
     * Appends the rows a window of a document reports ({@link Windows.Window#emitFrom()} to its end, so that every
     * position of the document is written once, as {@link Windows} splits it), for each of the lens rows {@code layers}
     * (as in {@link #add(LensResult, int, int, int, int, int, int[])}).
     */
    public void add(LensResult lens, int docIndex, Windows.Window window, int[] layers) {
        add(lens, docIndex, window.index(), window.start(), window.emitFrom(), window.length(), layers);
    }

    /**
     * Appends the rows of one lens result: every layer of {@code layers} at the window positions
     * {@code [from, to)}, layer-major within each position's group (rows sorted by position, then layer).
     *
     * @param lens           the lens of the window, with top-k ≥ this table's; its tokens and following token give
     *                       the input and next-token columns
     * @param docIndex       the document's index
     * @param windowIndex    the window's index in the document
     * @param windowStart    the document position of the window's first token
     * @param from           first window position to write
     * @param to             one past the last window position to write
     * @param layers         rows to write, each in [0, {@link LensResult#nLayers()}]; the columns {@code layer} (and
     *                       {@code sublayer}) are named by {@link LensResult#snapshots()}
     */
    public void add(LensResult lens, int docIndex, int windowIndex, int windowStart, int from, int to, int[] layers) {
        Objects.checkFromToIndex(from, to, lens.nTokens());
        if (lens.topK() < topK) {
            throw new IllegalArgumentException("the lens kept the top " + lens.topK() + " tokens; the table needs " + topK);
        }
        for (int l : layers) {
            Objects.checkIndex(l, lens.nLayers() + 1);
        }
        Snapshots snapshots = lens.snapshots();
        if (withSublayer == (snapshots.kind() == Snapshots.Kind.LAYERS)) {
            throw new IllegalArgumentException("a table of " + (withSublayer ? "sublayer" : "layer") + " rows cannot hold a "
                    + snapshots.kind() + " lens");
        }
        TrackedTokens t = lens.tracked();
        if (!Arrays.equals(t.ids(), tracked)) {
            throw new IllegalArgumentException("the lens tracked " + Arrays.toString(t.ids()) + "; the table needs " + Arrays.toString(tracked));
        }
        ensure(size + (to - from) * layers.length);
        for (int pos = from; pos < to; pos++) {
            int input = lens.tokenId(pos);
            int next = lens.nextTokenId(pos);
            String inputText = tokenText.apply(input);
            for (int l : layers) {
                int r = size++;
                doc[r] = docIndex;
                window[r] = windowIndex;
                layer[r] = snapshots.layer(l);
                sublayer[r] = withSublayer ? snapshots.sublayer(l) : 0;
                position[r] = windowStart + pos;
                context[r] = pos + 1;
                tokenId[r] = input;
                token[r] = inputText;
                nextId[r] = next;
                noNext[r] = next < 0;
                for (int j = 0; j < topK; j++) {
                    int id = lens.topTokenId(l, pos, j);
                    topId[j][r] = id;
                    topToken[j][r] = tokenText.apply(id);
                    topProb[j][r] = lens.topProb(l, pos, j);
                    topLogit[j][r] = lens.topLogit(l, pos, j);
                }
                logProbNext[r] = lens.logProbOfNextToken(l, pos);
                rankFinalTop1[r] = lens.rankOfFinalTop1(l, pos);
                rankNext[r] = lens.rankOfNextToken(l, pos);
                rankInput[r] = lens.rankOfInputToken(l, pos);
                klFinal[r] = lens.klToFinal(l, pos);
                klInput[r] = lens.klToInput(l, pos);
                entropy[r] = lens.entropy(l, pos);
                for (int i = 0; i < tracked.length; i++) {
                    trackId[i][r] = tracked[i];
                    trackProb[i][r] = (float) t.probability(l, pos, i);
                    trackLogit[i][r] = t.logit(l, pos, i);
                    trackRank[i][r] = t.rank(l, pos, i);
                }
            }
        }
    }

    /**
     * The values of column {@code index} of {@link #columns()}: an {@code int[]}, {@code float[]}, {@code double[]}
     * or {@code String[]} (by the column's type) of at least {@link #size()} entries; only the first size() are rows.
     * The array is the table's own: read it before the next {@link #add}.
     */
    public Object values(int index) {
        Objects.checkIndex(index, columns.size());
        if (withSublayer) {
            if (index == 3) {
                return sublayer;
            }
            if (index > 3) {
                index--; // the columns of a layer table from here on
            }
        }
        int fixed = 8;
        if (index < fixed) {
            return switch (index) {
                case 0 -> doc;
                case 1 -> window;
                case 2 -> layer;
                case 3 -> position;
                case 4 -> context;
                case 5 -> tokenId;
                case 6 -> token;
                default -> nextId;
            };
        }
        int top = index - fixed;
        if (top < 4 * topK) {
            int j = top / 4;
            return switch (top % 4) {
                case 0 -> topId[j];
                case 1 -> topToken[j];
                case 2 -> topProb[j];
                default -> topLogit[j];
            };
        }
        int tail = top - 4 * topK;
        if (tail >= 7) { // the tracked tokens, four columns each
            int i = (tail - 7) / 4;
            return switch ((tail - 7) % 4) {
                case 0 -> trackId[i];
                case 1 -> trackProb[i];
                case 2 -> trackLogit[i];
                default -> trackRank[i];
            };
        }
        return switch (tail) {
            case 0 -> logProbNext;
            case 1 -> rankFinalTop1;
            case 2 -> rankNext;
            case 3 -> rankInput;
            case 4 -> klFinal;
            case 5 -> klInput;
            default -> entropy;
        };
    }

    /** For a nullable column, which rows are null ({@code [capacity]}, the first size() are rows); null for other columns. */
    public boolean[] nulls(int index) {
        return columns.get(index).nullable() ? noNext : null;
    }

    /** Whether row {@code row} of column {@code index} is null. */
    public boolean isNull(int index, int row) {
        Objects.checkIndex(row, size);
        boolean[] nulls = nulls(index);
        return nulls != null && nulls[row];
    }

    private void ensure(int needed) {
        if (needed > capacity) {
            allocate(Math.max(needed, capacity * 2));
        }
    }

    private void allocate(int n) {
        doc = grow(doc, n);
        window = grow(window, n);
        layer = grow(layer, n);
        sublayer = grow(sublayer, n);
        position = grow(position, n);
        context = grow(context, n);
        tokenId = grow(tokenId, n);
        token = token == null ? new String[n] : Arrays.copyOf(token, n);
        nextId = grow(nextId, n);
        noNext = noNext == null ? new boolean[n] : Arrays.copyOf(noNext, n);
        for (int j = 0; j < topK; j++) {
            topId[j] = grow(topId[j], n);
            topToken[j] = topToken[j] == null ? new String[n] : Arrays.copyOf(topToken[j], n);
            topProb[j] = topProb[j] == null ? new float[n] : Arrays.copyOf(topProb[j], n);
            topLogit[j] = topLogit[j] == null ? new float[n] : Arrays.copyOf(topLogit[j], n);
        }
        logProbNext = grow(logProbNext, n);
        rankFinalTop1 = grow(rankFinalTop1, n);
        rankNext = grow(rankNext, n);
        rankInput = grow(rankInput, n);
        klFinal = grow(klFinal, n);
        klInput = grow(klInput, n);
        entropy = grow(entropy, n);
        for (int i = 0; i < tracked.length; i++) {
            trackId[i] = grow(trackId[i], n);
            trackProb[i] = trackProb[i] == null ? new float[n] : Arrays.copyOf(trackProb[i], n);
            trackLogit[i] = trackLogit[i] == null ? new float[n] : Arrays.copyOf(trackLogit[i], n);
            trackRank[i] = grow(trackRank[i], n);
        }
        capacity = n;
    }

    private static int[] grow(int[] a, int n) {
        return a == null ? new int[n] : Arrays.copyOf(a, n);
    }

    private static double[] grow(double[] a, int n) {
        return a == null ? new double[n] : Arrays.copyOf(a, n);
    }
}
