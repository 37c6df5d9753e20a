package dev.logitlens.table;

import dev.logitlens.io.AtomicFile;
import dev.logitlens.io.NpyWriter;
import dev.logitlens.io.ParquetWriter;
import dev.logitlens.model.Json;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The file formats of a {@link LensRows} table. Every file is written atomically: a crash or a full disk
 * leaves either nothing or the complete file under its name.
 *
 * <ul>
 *   <li>{@link #JSONL}: one JSON object per row; the top-k as {@code "top": [{"id", "token", "prob", "logit"}]};
 *       nulls and NaN as {@code null}.</li>
 *   <li>{@link #CSV}: RFC 4180, a header of {@link LensRows#columns(int)} names, nulls as empty fields.</li>
 *   <li>{@link #PARQUET}: the same flat columns (INT32, FLOAT, DOUBLE, UTF-8 strings; nullable where the column is),
 *       as {@link ParquetWriter} writes them with its {@link ParquetWriter.Options#DEFAULTS} (several row groups
 *       in a large table, token texts dictionary-encoded), GZIP unless told otherwise; the footer's key-value
 *       metadata {@value #UNITS_KEY} holds the units, a JSON object of column name → {@link TableColumn#unit()};
 *       pandas and DuckDB read it.</li>
 *   <li>{@link #NPY}: a folder with one array per statistic, R = rows: {@code doc, window, layer, position, context,
 *       token_id, next_id (−1 = none), rank_final_top1, rank_next (−1 = none), rank_input} {@code [R] int32};
 *       {@code top_ids [R, k] int32}; {@code top_probs, top_logits [R, k] float32}; {@code logprob_next (NaN = none),
 *       kl_final, kl_input, entropy [R] float64}. Token texts are not stored: decode the ids.</li>
 * </ul>
 */
public enum LensRowsFormat {
    JSONL("jsonl"),
    CSV("csv"),
    PARQUET("parquet"),
    NPY("npy");

    /** The Parquet footer key of the columns' units. */
    public static final String UNITS_KEY = "logitlens.units";

    private final String extension;

    LensRowsFormat(String extension) {
        this.extension = extension;
    }

    /** The file (or, for NPY, folder) name of a table called {@code stem}: {@code stem.jsonl}, ..., {@code stem.npy}. */
    public String fileName(String stem) {
        return stem + "." + extension;
    }

    /**
     * Writes the table to {@code target} atomically (NPY: a folder, renamed into place when complete); Parquet pages
     * are compressed with {@code parquetCodec}, which the other formats ignore.
     */
    public void write(LensRows rows, Path target, ParquetWriter.Codec parquetCodec) throws IOException {
        switch (this) {
            case JSONL -> AtomicFile.write(target, channel -> writeText(rows, Channels.newOutputStream(channel), true));
            case CSV -> AtomicFile.write(target, channel -> writeText(rows, Channels.newOutputStream(channel), false));
            case PARQUET -> AtomicFile.write(target, channel -> writeParquet(rows, Channels.newOutputStream(channel), parquetCodec));
            case NPY -> writeNpyFolder(rows, target);
        }
    }

    /** Writes CSV (with the header when {@code header}) or JSONL to a character stream. */
    public static void writeText(LensRows rows, Appendable out, boolean jsonl, boolean header) throws IOException {
        if (jsonl) {
            for (int r = 0; r < rows.size(); r++) {
                out.append(jsonLine(rows, r)).append('\n');
            }
        } else {
            if (header) {
                out.append(csvHeader(rows)).append("\r\n");
            }
            for (int r = 0; r < rows.size(); r++) {
                out.append(csvLine(rows, r)).append("\r\n");
            }
        }
    }

    private static void writeText(LensRows rows, OutputStream stream, boolean jsonl) throws IOException {
        Writer writer = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 16);
        writeText(rows, writer, jsonl, true);
        writer.flush();
    }

    static String csvHeader(LensRows rows) {
        StringBuilder line = new StringBuilder();
        for (TableColumn column : rows.columns()) {
            if (!line.isEmpty()) {
                line.append(',');
            }
            line.append(column.name());
        }
        return line.toString();
    }

    static String csvLine(LensRows rows, int r) {
        StringBuilder line = new StringBuilder(256);
        List<TableColumn> columns = rows.columns();
        for (int c = 0; c < columns.size(); c++) {
            if (c > 0) {
                line.append(',');
            }
            if (rows.isNull(c, r)) {
                continue;
            }
            Object values = rows.values(c);
            switch (columns.get(c).type()) {
                case INT32 -> line.append(((int[]) values)[r]);
                case FLOAT32 -> line.append(number(((float[]) values)[r]));
                case FLOAT64 -> line.append(number(((double[]) values)[r]));
                case STRING -> line.append(csvQuote(((String[]) values)[r]));
            }
        }
        return line.toString();
    }

    /** A CSV field: quoted (quotes doubled) when it holds a comma, quote, line break or edge whitespace. */
    public static String csvQuote(String text) {
        boolean quote = text.isEmpty() || Character.isWhitespace(text.charAt(0)) || Character.isWhitespace(text.charAt(text.length() - 1));
        for (int i = 0; !quote && i < text.length(); i++) {
            char ch = text.charAt(i);
            quote = ch == ',' || ch == '"' || ch == '\n' || ch == '\r';
        }
        return quote ? '"' + text.replace("\"", "\"\"") + '"' : text;
    }

    private static String number(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }

    private static String number(float value) {
        if (Float.isNaN(value) || Float.isInfinite(value)) {
            return number((double) value);
        }
        return value == Math.rint(value) && Math.abs(value) < 1e7f ? Long.toString((long) value) : Float.toString(value);
    }

    static String jsonLine(LensRows rows, int r) {
        StringBuilder line = new StringBuilder(512).append('{');
        List<TableColumn> columns = rows.columns();
        int topStart = rows.topStart();
        int topEnd = topStart + 4 * rows.topK();
        for (int c = 0; c < columns.size(); c++) {
            if (c == topStart) {
                line.append("\"top\":[");
                for (int j = 0; j < rows.topK(); j++) {
                    int base = topStart + 4 * j;
                    line.append(j == 0 ? "{" : ",{")
                            .append("\"id\":").append(((int[]) rows.values(base))[r])
                            .append(",\"token\":").append(Json.write(((String[]) rows.values(base + 1))[r]))
                            .append(",\"prob\":").append(jsonNumber(((float[]) rows.values(base + 2))[r]))
                            .append(",\"logit\":").append(jsonNumber(((float[]) rows.values(base + 3))[r]))
                            .append('}');
                }
                line.append("],");
                c = topEnd - 1;
                continue;
            }
            line.append('"').append(columns.get(c).name()).append("\":");
            Object values = rows.values(c);
            if (rows.isNull(c, r)) {
                line.append("null");
            } else {
                switch (columns.get(c).type()) {
                    case INT32 -> line.append(((int[]) values)[r]);
                    case FLOAT32 -> line.append(jsonNumber(((float[]) values)[r]));
                    case FLOAT64 -> line.append(jsonNumber(((double[]) values)[r]));
                    case STRING -> line.append(Json.write(((String[]) values)[r]));
                }
            }
            if (c + 1 < columns.size()) {
                line.append(',');
            }
        }
        return line.append('}').toString();
    }

    private static String jsonNumber(double value) {
        return Double.isFinite(value) ? number(value) : "null";
    }

    private static String jsonNumber(float value) {
        return Float.isFinite(value) ? number(value) : "null";
    }

    private static void writeParquet(LensRows rows, OutputStream stream, ParquetWriter.Codec codec) throws IOException {
        List<ParquetWriter.Column> schema = new ArrayList<>();
        Map<String, String> units = new LinkedHashMap<>();
        Object[] values = new Object[rows.columns().size()];
        boolean[][] nulls = new boolean[values.length][];
        for (int c = 0; c < values.length; c++) {
            TableColumn column = rows.columns().get(c);
            ParquetWriter.Type type = switch (column.type()) {
                case INT32 -> ParquetWriter.Type.INT32;
                case FLOAT32 -> ParquetWriter.Type.FLOAT;
                case FLOAT64 -> ParquetWriter.Type.DOUBLE;
                case STRING -> ParquetWriter.Type.STRING;
            };
            schema.add(column.nullable() ? ParquetWriter.Column.optional(column.name(), type) : ParquetWriter.Column.required(column.name(), type));
            values[c] = rows.values(c);
            nulls[c] = rows.nulls(c);
            units.put(column.name(), column.unit());
        }
        ParquetWriter.Options options = ParquetWriter.Options.DEFAULTS.withCodec(codec)
                .withKeyValueMetadata(Map.of(UNITS_KEY, Json.write(units)));
        OutputStream buffered = new java.io.BufferedOutputStream(stream, 1 << 16);
        try (ParquetWriter writer = new ParquetWriter(buffered, schema, options)) {
            writer.writeRows(rows.size(), values, nulls);
        }
        buffered.flush();
    }

    private static void writeNpyFolder(LensRows rows, Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        if (!Files.isDirectory(parent)) {
            throw new IOException("cannot write " + target + ": folder " + parent + " does not exist");
        }
        Path partial = Files.createTempDirectory(parent, "." + absolute.getFileName() + ".");
        boolean done = false;
        try {
            if (partial.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(partial, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            int n = rows.size();
            int k = rows.topK();
            int topStart = rows.topStart();
            for (int c = 0; c < topStart; c++) { // doc, window, layer, (sublayer,) position, context, token_id, next_id
                TableColumn column = rows.columns().get(c);
                if (column.type() == ColumnType.INT32) { // not the token's text
                    NpyWriter.write(partial.resolve(column.name() + ".npy"), "<i4",
                            ints((int[]) rows.values(c), n, rows.nulls(c), column.nullable() ? -1 : 0), n);
                }
            }
            int tail = topStart + 4 * k;
            ByteBuffer ids = buffer((long) n * k * 4);
            ByteBuffer probs = buffer((long) n * k * 4);
            ByteBuffer logits = buffer((long) n * k * 4);
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < k; j++) {
                    ids.putInt(((int[]) rows.values(topStart + 4 * j))[r]);
                    probs.putFloat(((float[]) rows.values(topStart + 4 * j + 2))[r]);
                    logits.putFloat(((float[]) rows.values(topStart + 4 * j + 3))[r]);
                }
            }
            NpyWriter.write(partial.resolve("top_ids.npy"), "<i4", ids.flip(), n, k);
            NpyWriter.write(partial.resolve("top_probs.npy"), "<f4", probs.flip(), n, k);
            NpyWriter.write(partial.resolve("top_logits.npy"), "<f4", logits.flip(), n, k);
            NpyWriter.write(partial.resolve("logprob_next.npy"), "<f8", doubles((double[]) rows.values(tail), n, rows.nulls(tail)), n);
            NpyWriter.write(partial.resolve("rank_final_top1.npy"), "<i4", ints((int[]) rows.values(tail + 1), n, null, 0), n);
            NpyWriter.write(partial.resolve("rank_next.npy"), "<i4", ints((int[]) rows.values(tail + 2), n, rows.nulls(tail + 2), -1), n);
            NpyWriter.write(partial.resolve("rank_input.npy"), "<i4", ints((int[]) rows.values(tail + 3), n, null, 0), n);
            NpyWriter.write(partial.resolve("kl_final.npy"), "<f8", doubles((double[]) rows.values(tail + 4), n, null), n);
            NpyWriter.write(partial.resolve("kl_input.npy"), "<f8", doubles((double[]) rows.values(tail + 5), n, null), n);
            NpyWriter.write(partial.resolve("entropy.npy"), "<f8", doubles((double[]) rows.values(tail + 6), n, null), n);
            int tracked = rows.trackedCount();
            if (tracked > 0) { // [R, n] each, tracked token i in column i
                ByteBuffer trackIds = buffer((long) n * tracked * 4);
                ByteBuffer trackProbs = buffer((long) n * tracked * 4);
                ByteBuffer trackLogits = buffer((long) n * tracked * 4);
                ByteBuffer trackRanks = buffer((long) n * tracked * 4);
                int trackStart = tail + 7;
                for (int r = 0; r < n; r++) {
                    for (int i = 0; i < tracked; i++) {
                        trackIds.putInt(((int[]) rows.values(trackStart + 4 * i))[r]);
                        trackProbs.putFloat(((float[]) rows.values(trackStart + 4 * i + 1))[r]);
                        trackLogits.putFloat(((float[]) rows.values(trackStart + 4 * i + 2))[r]);
                        trackRanks.putInt(((int[]) rows.values(trackStart + 4 * i + 3))[r]);
                    }
                }
                NpyWriter.write(partial.resolve("track_ids.npy"), "<i4", trackIds.flip(), n, tracked);
                NpyWriter.write(partial.resolve("track_probs.npy"), "<f4", trackProbs.flip(), n, tracked);
                NpyWriter.write(partial.resolve("track_logits.npy"), "<f4", trackLogits.flip(), n, tracked);
                NpyWriter.write(partial.resolve("track_ranks.npy"), "<i4", trackRanks.flip(), n, tracked);
            }
            if (Files.exists(absolute)) {
                deleteTree(absolute);
            }
            dev.logitlens.io.CrashPoint.reach("rename to " + absolute.getFileName());
            try {
                Files.move(partial, absolute, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, absolute);
            }
            done = true;
        } finally {
            if (!done) {
                deleteTree(partial);
            }
        }
    }

    private static ByteBuffer buffer(long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("table too large for one .npy buffer: " + bytes + " bytes; write smaller shards");
        }
        return ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer ints(int[] values, int n, boolean[] nulls, int nullValue) {
        ByteBuffer buffer = buffer((long) n * 4);
        for (int r = 0; r < n; r++) {
            buffer.putInt(nulls != null && nulls[r] ? nullValue : values[r]);
        }
        return buffer.flip();
    }

    private static ByteBuffer doubles(double[] values, int n, boolean[] nulls) {
        ByteBuffer buffer = buffer((long) n * 8);
        for (int r = 0; r < n; r++) {
            buffer.putDouble(nulls != null && nulls[r] ? Double.NaN : values[r]);
        }
        return buffer.flip();
    }

    /** Deletes a folder this class created (a partial NPY folder) or replaces (an older NPY folder). */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
