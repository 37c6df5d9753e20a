package dev.logitlens.lens;

import java.util.Objects;

/**
 * What the rows of a {@link LensResult} are: the one place that names them, so that tables, pictures, dumps, corpus
 * statistics and the API read a row's label and block from here rather than from index arithmetic.
 *
 * <table>
 *   <caption>row kinds, for n = n_layer blocks</caption>
 *   <tr><th>kind</th><th>rows</th><th>labels, bottom to top</th></tr>
 *   <tr><td>{@link Kind#LAYERS}</td><td>n + 1</td><td>{@code in} (embeddings), {@code h1} … {@code hn} (after block l)</td></tr>
 *   <tr><td>{@link Kind#SUBLAYERS}</td><td>2n + 1</td><td>{@code in}, {@code h1.attn}, {@code h1}, …, {@code hn.attn},
 *       {@code hn}: {@code hl.attn} is the stream after block l's attention, before its MLP (TransformerLens's
 *       {@code resid_mid}, transformer-utils' {@code include_subblocks})</td></tr>
 *   <tr><td>{@link Kind#DECOMPOSED}</td><td>2n + 2</td><td>{@code embed}, {@code attn1}, {@code mlp1}, …, {@code attnn},
 *       {@code mlpn}, {@code hn}: each sublayer's own output (and the embeddings) through ln_f with the final stream's
 *       normalisation ({@link SublayerStreams#decompose}), then the final layer itself</td></tr>
 * </table>
 *
 * In every kind the first row is the reference of "KL to the input" and the last row that of "KL to the final layer"
 * and of "rank of the final top-1".
 *
 * @param kind    the kind of rows
 * @param nLayers n_layer, the model's number of blocks (≥ 0)
 */
public record Snapshots(Kind kind, int nLayers) {

    /** The kinds of rows. */
    public enum Kind {
        /** The residual stream after the embeddings and after every block. */
        LAYERS,
        /** The residual stream after the embeddings and after each block's attention and each block. */
        SUBLAYERS,
        /** Each sublayer's contribution to the final residual stream, then the final layer. */
        DECOMPOSED
    }

    /** The sublayer code of a row that ends no sublayer: the embeddings, and the final row of a decomposition. */
    public static final int NO_SUBLAYER = 0;
    /** The sublayer code of a row that ends at (or is the output of) a block's attention. */
    public static final int ATTENTION = 1;
    /** The sublayer code of a row that ends at (or is the output of) a block's MLP. */
    public static final int MLP = 2;

    public Snapshots {
        Objects.requireNonNull(kind, "kind");
        if (nLayers < 0) {
            throw new IllegalArgumentException("nLayers must be non-negative, not " + nLayers);
        }
    }

    /** The layer lens of a model of {@code nLayers} blocks: {@code in, h1, …, hn}. */
    public static Snapshots layers(int nLayers) {
        return new Snapshots(Kind.LAYERS, nLayers);
    }

    /** The sublayer lens: {@code in, h1.attn, h1, …, hn}. */
    public static Snapshots sublayers(int nLayers) {
        return new Snapshots(Kind.SUBLAYERS, nLayers);
    }

    /** The decomposition: {@code embed, attn1, mlp1, …, mlpn, hn}. */
    public static Snapshots decomposed(int nLayers) {
        return new Snapshots(Kind.DECOMPOSED, nLayers);
    }

    /** The number of rows. */
    public int count() {
        return switch (kind) {
            case LAYERS -> nLayers + 1;
            case SUBLAYERS -> 2 * nLayers + 1;
            case DECOMPOSED -> 2 * nLayers + 2;
        };
    }

    /** The index of the last row (the final layer): {@code count() − 1}. */
    public int last() {
        return count() - 1;
    }

    /** The block a row belongs to: 0 for the embeddings, l for a row of block l (the final row: n). */
    public int layer(int row) {
        Objects.checkIndex(row, count());
        return switch (kind) {
            case LAYERS -> row;
            case SUBLAYERS -> (row + 1) / 2;
            case DECOMPOSED -> row == last() ? nLayers : (row + 1) / 2;
        };
    }

    /**
     * Which sublayer of block {@link #layer(int)} the row stands after (or is the output of): {@link #ATTENTION},
     * {@link #MLP}, or {@link #NO_SUBLAYER} for the embeddings and a decomposition's final row. In the layer lens every
     * block row is {@link #MLP} (the block ends with it). Rows sort by (layer, sublayer) as they are numbered.
     */
    public int sublayer(int row) {
        Objects.checkIndex(row, count());
        if (row == 0 || kind == Kind.DECOMPOSED && row == last()) {
            return NO_SUBLAYER;
        }
        return switch (kind) {
            case LAYERS -> MLP;
            case SUBLAYERS, DECOMPOSED -> row % 2 == 1 ? ATTENTION : MLP;
        };
    }

    /** The row's label, as tables and pictures show it and {@code stats} prints it. */
    public String label(int row) {
        int layer = layer(row);
        int sublayer = sublayer(row);
        return switch (kind) {
            case LAYERS -> row == 0 ? "in" : "h" + layer;
            case SUBLAYERS -> row == 0 ? "in" : "h" + layer + (sublayer == ATTENTION ? ".attn" : "");
            case DECOMPOSED -> row == 0 ? "embed" : sublayer == NO_SUBLAYER ? "h" + layer
                    : (sublayer == ATTENTION ? "attn" : "mlp") + layer;
        };
    }

    /** The longest label's length in characters. */
    public int longestLabel() {
        int longest = 0;
        for (int row = 0; row < count(); row++) {
            longest = Math.max(longest, label(row).length());
        }
        return longest;
    }

    /** The rows in words, for a legend: e.g. {@code in = embeddings, hN = after block N}. */
    public String legend() {
        return switch (kind) {
            case LAYERS -> "in = embeddings, hN = after block N";
            case SUBLAYERS -> "in = embeddings, hN.attn = after block N's attention, hN = after block N";
            case DECOMPOSED -> "embed = the embeddings' term, attnN / mlpN = block N's attention / MLP output,"
                    + " each through ln_f with the final stream's scale; hN = the final layer";
        };
    }

    /** The rows of the given blocks, in row order: every row whose {@link #layer(int)} is in {@code layers}. */
    public int[] rowsOfLayers(int[] layers) {
        java.util.Set<Integer> wanted = new java.util.HashSet<>();
        for (int l : layers) {
            Objects.checkIndex(l, nLayers + 1);
            wanted.add(l);
        }
        return java.util.stream.IntStream.range(0, count()).filter(row -> wanted.contains(layer(row))).toArray();
    }
}
