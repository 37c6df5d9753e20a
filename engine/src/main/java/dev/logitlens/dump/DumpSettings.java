package dev.logitlens.dump;

import dev.logitlens.io.ParquetWriter;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.table.LensRowsFormat;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a dump writes.
 *
 * @param topK           top tokens per row
 * @param layers         the layers written, ascending, each in [0, n_layer]
 * @param window         tokens per window (≤ the model's context)
 * @param stride         tokens between window starts, 1 ≤ stride ≤ window
 * @param prependBos     put {@code <|endoftext|>} before every document, so its first token is predicted too
 * @param formats        the files written for every shard
 * @param shardDocuments a shard is closed after this many documents ...
 * @param shardRows      ... or once it holds this many rows, whichever comes first
 * @param parquetCodec   the compression of the Parquet files; not in the manifest, as it changes no value: a
 *                       resumed dump may use another
 * @param rows           {@link Snapshots.Kind#LAYERS}, or {@link Snapshots.Kind#SUBLAYERS} for the stream after each
 *                       block's attention too (both rows of every layer in {@code layers}; the column {@code sublayer}
 *                       tells them apart; recorded in the manifest as {@code settings.sublayers}, so that a folder never
 *                       mixes the two)
 * @param trackedTokens  token ids whose probability, logit and rank every row holds ({@code track<i>_*} columns); in the
 *                       manifest when not empty
 */
public record DumpSettings(int topK, int[] layers, int window, int stride, boolean prependBos,
                           List<LensRowsFormat> formats, int shardDocuments, int shardRows,
                           ParquetWriter.Codec parquetCodec, Snapshots.Kind rows, List<Integer> trackedTokens) {

    /** The settings of a dump of the layer lens that tracks no token. */
    public DumpSettings(int topK, int[] layers, int window, int stride, boolean prependBos,
                        List<LensRowsFormat> formats, int shardDocuments, int shardRows, ParquetWriter.Codec parquetCodec) {
        this(topK, layers, window, stride, prependBos, formats, shardDocuments, shardRows, parquetCodec, Snapshots.Kind.LAYERS);
    }

    /** The settings of a dump of {@code rows} that tracks no token. */
    public DumpSettings(int topK, int[] layers, int window, int stride, boolean prependBos, List<LensRowsFormat> formats,
                        int shardDocuments, int shardRows, ParquetWriter.Codec parquetCodec, Snapshots.Kind rows) {
        this(topK, layers, window, stride, prependBos, formats, shardDocuments, shardRows, parquetCodec, rows, List.of());
    }

    public DumpSettings {
        if (topK < 1) {
            throw new IllegalArgumentException("top-k must be at least 1, not " + topK);
        }
        layers = layers.clone();
        if (layers.length == 0) {
            throw new IllegalArgumentException("no layers chosen");
        }
        for (int i = 1; i < layers.length; i++) {
            if (layers[i] <= layers[i - 1]) {
                throw new IllegalArgumentException("layers must be ascending without repeats: " + Arrays.toString(layers));
            }
        }
        if (window < 1) {
            throw new IllegalArgumentException("the window must be at least 1 token, not " + window);
        }
        if (stride < 1 || stride > window) {
            throw new IllegalArgumentException("the stride must be between 1 and the window (" + window + "), not " + stride);
        }
        formats = List.copyOf(formats);
        if (formats.isEmpty()) {
            throw new IllegalArgumentException("no output format chosen");
        }
        if (shardDocuments < 1 || shardRows < 1) {
            throw new IllegalArgumentException("shards hold at least one document and one row");
        }
        Objects.requireNonNull(parquetCodec, "parquetCodec");
        if (rows == Snapshots.Kind.DECOMPOSED || rows == null) {
            throw new IllegalArgumentException("a dump writes the layer or the sublayer lens, not " + rows);
        }
        trackedTokens = List.copyOf(trackedTokens);
    }

    @Override
    public int[] layers() {
        return layers.clone();
    }
}
