package dev.logitlens.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes Apache Parquet files with no dependencies. Why by hand: parquet-java, the reference writer, needs Hadoop
 * (parquet-hadoop with hadoop-common and its Configuration, tens of MB, even for a local file); the small wrappers
 * around it pull in the same, and Arrow's Java writer needs its JNI dataset library. A lens table needs little: a
 * flat schema, five types, one dictionary and one codec, and the JDK has the codec ({@link Deflater}). The files are
 * kept to what every reader (pyarrow, fastparquet, DuckDB, Spark) has taken for years:
 * <ul>
 *   <li>a flat schema: the root group and one leaf per {@link Column}, REQUIRED or OPTIONAL;</li>
 *   <li>row groups: each {@link #writeRows} call writes its rows as one or more row groups, a new one starting after
 *       {@link Options#rowGroupRows()} rows or before the row that would take it over {@link Options#rowGroupBytes()}
 *       bytes of values, whichever comes first; rows are not kept across calls, so every call starts a row group;</li>
 *   <li>per row group, one column chunk per column of version-1 data pages ({@code DATA_PAGE}); a chunk is cut into
 *       pages of about {@value #PAGE_TARGET_BYTES} bytes of values, each page with its own header and value count;</li>
 *   <li>encodings: numbers PLAIN; a {@link Type#STRING} chunk is dictionary-encoded (one {@code DICTIONARY_PAGE} of
 *       its distinct values, PLAIN, in order of first appearance, then data pages of {@code RLE_DICTIONARY} indices:
 *       a byte of bit width and the RLE/bit-packed hybrid) unless its dictionary would be over
 *       {@link Options#dictionaryBytes()} or no smaller than PLAIN, and is then PLAIN;</li>
 *   <li>definition levels of optional columns in the RLE/bit-packed hybrid (bit width 1) behind their 4-byte
 *       little-endian length; required columns have none;</li>
 *   <li>compression ({@link Options#codec()}): every page body (levels and values, not the page header) on its own;
 *       {@link Codec#GZIP} makes one gzip member (RFC 1952) per page with {@link Deflater};</li>
 *   <li>{@link Type#STRING} is {@code BYTE_ARRAY} annotated with both ConvertedType UTF8 and LogicalType STRING;</li>
 *   <li>column statistics: the null count of every chunk, and min/max of the INT32 and INT64 chunks (with
 *       {@code column_orders} set to the type-defined order, as the format asks);</li>
 *   <li>the footer: FileMetaData (version 1, as parquet-java and DuckDB write it whatever their encodings; created_by
 *       {@code logitlens version <version>}; the {@link Options#keyValueMetadata()}) in the Thrift compact protocol.</li>
 * </ul>
 * A call of zero rows writes nothing (a file with no row groups is valid and reads as an empty table). Invalid
 * arguments are rejected with an {@link IllegalArgumentException} before anything is written, so the writer stays
 * usable; after an {@link IOException} from the stream the file is broken and the writer refuses further rows.
 * Not thread-safe.
 */
public final class ParquetWriter implements AutoCloseable {

    /** Target size of the (uncompressed) values of one data page; a column chunk larger than this is split into pages. */
    static final int PAGE_TARGET_BYTES = 1 << 20;

    /** Rows of a row group at most, by default ({@link Options#DEFAULTS}). */
    public static final int DEFAULT_ROW_GROUP_ROWS = 1 << 17;

    private static final byte[] MAGIC = {'P', 'A', 'R', '1'};
    /**
     * The footer's created_by, in the form parquet-java parses ({@code <application> version <version>}): a string it
     * cannot parse makes Spark and other parquet-java readers ignore every column statistic (PARQUET-251).
     */
    static final String CREATED_BY = "logitlens version " + Objects.requireNonNullElse(
            ParquetWriter.class.getPackage().getImplementationVersion(), "dev");
    /** A gzip member's header: magic, deflate, no flags, no time, no extra flags, OS unknown. */
    private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

    // Parquet enum values (parquet.thrift)
    private static final int TYPE_INT32 = 1;
    private static final int TYPE_INT64 = 2;
    private static final int TYPE_FLOAT = 4;
    private static final int TYPE_DOUBLE = 5;
    private static final int TYPE_BYTE_ARRAY = 6;
    private static final int REPETITION_REQUIRED = 0;
    private static final int REPETITION_OPTIONAL = 1;
    private static final int CONVERTED_UTF8 = 0;
    private static final int ENCODING_PLAIN = 0;
    private static final int ENCODING_RLE = 3;
    private static final int ENCODING_RLE_DICTIONARY = 8;
    private static final int PAGE_DATA_PAGE = 0;
    private static final int PAGE_DICTIONARY_PAGE = 2;

    /** The column types: Parquet's physical types, and STRING = BYTE_ARRAY holding UTF-8. */
    public enum Type {
        INT32(TYPE_INT32, Integer.BYTES, int[].class),
        INT64(TYPE_INT64, Long.BYTES, long[].class),
        FLOAT(TYPE_FLOAT, Float.BYTES, float[].class),
        DOUBLE(TYPE_DOUBLE, Double.BYTES, double[].class),
        STRING(TYPE_BYTE_ARRAY, -1, String[].class);

        private final int physical;
        private final int width;
        private final Class<?> arrayClass;

        Type(int physical, int width, Class<?> arrayClass) {
            this.physical = physical;
            this.width = width;
            this.arrayClass = arrayClass;
        }
    }

    /** The page compression codecs written, with Parquet's names and ids ({@code CompressionCodec}). */
    public enum Codec {
        UNCOMPRESSED(0),
        /** A gzip member per page, deflated at {@link Deflater#DEFAULT_COMPRESSION}. */
        GZIP(2);

        private final int id;

        Codec(int id) {
            this.id = id;
        }
    }

    /** A flat column; optional columns may hold nulls. */
    public record Column(String name, Type type, boolean optional) {
        public Column {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("empty column name");
            }
        }

        public static Column required(String name, Type type) {
            return new Column(name, type, false);
        }

        public static Column optional(String name, Type type) {
            return new Column(name, type, true);
        }
    }

    /**
     * How a file is written.
     *
     * @param codec            the compression of every page
     * @param rowGroupRows     rows of a row group at most, ≥ 1
     * @param rowGroupBytes    bytes of values of a row group at most (uncompressed; a string counts its 4-byte length
     *                         and its UTF-8 bytes, a null its type's width), ≥ 1; a row group has at least one row
     * @param dictionaryBytes  bytes of a string chunk's dictionary page at most (uncompressed, PLAIN), ≥ 0; 0 = no
     *                         dictionaries
     * @param keyValueMetadata the footer's {@code key_value_metadata}, in this order; no nulls
     */
    public record Options(Codec codec, int rowGroupRows, long rowGroupBytes, int dictionaryBytes,
                          Map<String, String> keyValueMetadata) {

        /**
         * GZIP; row groups of up to 128 Ki rows and 64 MiB (a lens shard of a million top-5 rows: 8 row groups of about
         * 25 MB of values); dictionaries of up to 1 MiB, parquet-java's default page size, which GPT-2's whole
         * vocabulary fits (about 0.5 MB); no key-value metadata.
         */
        public static final Options DEFAULTS = new Options(Codec.GZIP, DEFAULT_ROW_GROUP_ROWS, 64L << 20, 1 << 20,
                Map.of());

        public Options {
            Objects.requireNonNull(codec, "codec");
            if (rowGroupRows < 1 || rowGroupBytes < 1) {
                throw new IllegalArgumentException("a row group holds at least one row and one byte, not "
                        + rowGroupRows + " rows and " + rowGroupBytes + " bytes");
            }
            if (dictionaryBytes < 0) {
                throw new IllegalArgumentException("negative dictionary size " + dictionaryBytes);
            }
            Map<String, String> copy = new LinkedHashMap<>();
            keyValueMetadata.forEach((key, value) -> copy.put(Objects.requireNonNull(key, "key"),
                    Objects.requireNonNull(value, () -> "the value of key '" + key + "'")));
            keyValueMetadata = Collections.unmodifiableMap(copy);
        }

        public Options withCodec(Codec codec) {
            return new Options(codec, rowGroupRows, rowGroupBytes, dictionaryBytes, keyValueMetadata);
        }

        public Options withRowGroups(int rows, long bytes) {
            return new Options(codec, rows, bytes, dictionaryBytes, keyValueMetadata);
        }

        public Options withDictionaryBytes(int bytes) {
            return new Options(codec, rowGroupRows, rowGroupBytes, bytes, keyValueMetadata);
        }

        public Options withKeyValueMetadata(Map<String, String> metadata) {
            return new Options(codec, rowGroupRows, rowGroupBytes, dictionaryBytes, metadata);
        }
    }

    /** What the footer needs to know of one written column chunk; offsets are file positions, -1 = none. */
    private record ChunkMeta(Column column, long start, long dictionaryPageOffset, long dataPageOffset, long numValues,
                             long uncompressedSize, long compressedSize, long nullCount, byte[] min, byte[] max) {
    }

    private record RowGroupMeta(List<ChunkMeta> chunks, long numRows, long fileOffset, long uncompressedSize,
                                long compressedSize) {
    }

    /**
     * A string chunk's dictionary: its distinct values in order of first appearance as PLAIN bytes, and the index of
     * the value of each non-null row, in row order, each in {@code bitWidth} bits.
     */
    private record Dictionary(int size, byte[] values, int[] indices, int bitWidth) {
    }

    private final OutputStream out;
    private final List<Column> columns;
    private final Options options;
    /** Bytes of a row's fixed-width values, nulls counted at full width. */
    private final long fixedRowBytes;
    private final int[] stringColumns;
    private final List<RowGroupMeta> rowGroups = new ArrayList<>();
    private long position;
    private long totalRows;
    /** The uncompressed size (page headers included) of the column chunk being written. */
    private long chunkUncompressed;
    private Deflater deflater;
    private final byte[] deflateBuffer = new byte[1 << 16];
    private boolean closed;
    private boolean failed;

    /** Starts a file with the {@link Options#DEFAULTS}. */
    public ParquetWriter(OutputStream out, List<Column> columns) throws IOException {
        this(out, columns, Options.DEFAULTS);
    }

    /** Starts a file on {@code out} (writes the magic); the caller owns and closes {@code out} after close(). */
    public ParquetWriter(OutputStream out, List<Column> columns, Options options) throws IOException {
        this.out = Objects.requireNonNull(out, "out");
        Objects.requireNonNull(columns, "columns");
        this.options = Objects.requireNonNull(options, "options");
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("a Parquet file needs at least one column");
        }
        Set<String> names = new HashSet<>();
        for (Column column : columns) {
            Objects.requireNonNull(column, "column");
            if (!names.add(column.name())) {
                throw new IllegalArgumentException("duplicate column name '" + column.name() + "'");
            }
        }
        this.columns = List.copyOf(columns);
        this.fixedRowBytes = this.columns.stream().filter(c -> c.type() != Type.STRING).mapToLong(c -> c.type().width).sum();
        this.stringColumns = IntStream.range(0, this.columns.size())
                .filter(c -> this.columns.get(c).type() == Type.STRING).toArray();
        write(MAGIC, 0, MAGIC.length);
    }

    /**
     * Writes {@code rows} rows, as one row group or, past the {@link Options}' bounds, several. values[i] is the data
     * of column i: int[] (INT32), long[] (INT64), float[] (FLOAT), double[] (DOUBLE) or String[] (STRING), each with
     * at least {@code rows} entries (only the first rows are used). nulls is null or has one entry per column, each
     * null (no nulls) or a boolean[rows] where true means the value is null (allowed only for optional columns; for
     * STRING a null array element also means null).
     */
    public void writeRows(int rows, Object[] values, boolean[][] nulls) throws IOException {
        checkOpen();
        validate(rows, values, nulls);
        if (rows == 0) {
            return;
        }
        boolean ok = false;
        try {
            boolean[][] isNull = new boolean[columns.size()][]; // [column][rows], null for required columns
            for (int c = 0; c < columns.size(); c++) {
                if (columns.get(c).optional()) {
                    isNull[c] = nullMask(rows, values[c], nulls == null ? null : nulls[c]);
                }
            }
            for (int from = 0, to; from < rows; from = to) {
                to = rowGroupEnd(from, rows, values);
                writeRowGroup(from, to, values, isNull);
            }
            ok = true;
        } finally {
            if (!ok) {
                failed = true;
            }
        }
    }

    /** Writes the footer (FileMetaData) and the trailing magic; does not close the stream. A second call does nothing. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (deflater != null) {
            deflater.end();
        }
        if (failed) {
            return; // the file is broken already; the caller has had the IOException
        }
        byte[] footer = fileMetaData();
        write(footer, 0, footer.length);
        byte[] tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(footer.length).put(MAGIC).array();
        write(tail, 0, tail.length);
        out.flush();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the ParquetWriter is closed");
        }
        if (failed) {
            throw new IllegalStateException("an earlier write of this ParquetWriter failed; the file is incomplete");
        }
    }

    private void validate(int rows, Object[] values, boolean[][] nulls) {
        if (rows < 0) {
            throw new IllegalArgumentException("negative row count " + rows);
        }
        if (values == null || values.length != columns.size()) {
            throw new IllegalArgumentException("values must have one array per column (" + columns.size() + "), got "
                    + (values == null ? "null" : values.length));
        }
        if (nulls != null && nulls.length != columns.size()) {
            throw new IllegalArgumentException("nulls must be null or have one entry per column (" + columns.size()
                    + "), got " + nulls.length);
        }
        for (int c = 0; c < columns.size(); c++) {
            Column column = columns.get(c);
            Object data = values[c];
            if (data == null || data.getClass() != column.type().arrayClass) {
                throw new IllegalArgumentException("column '" + column.name() + "' (" + column.type() + ") needs a "
                        + column.type().arrayClass.getSimpleName() + ", got "
                        + (data == null ? "null" : data.getClass().getSimpleName()));
            }
            int length = java.lang.reflect.Array.getLength(data);
            if (length < rows) {
                throw new IllegalArgumentException("column '" + column.name() + "' has " + length + " values for "
                        + rows + " rows");
            }
            boolean[] columnNulls = nulls == null ? null : nulls[c];
            if (columnNulls != null && columnNulls.length < rows) {
                throw new IllegalArgumentException("the nulls of column '" + column.name() + "' have " + columnNulls.length
                        + " entries for " + rows + " rows");
            }
            if (!column.optional()) {
                for (int r = 0; r < rows; r++) {
                    if (columnNulls != null && columnNulls[r]) {
                        throw new IllegalArgumentException("null in required column '" + column.name() + "' at row " + r);
                    }
                    if (data instanceof String[] strings && strings[r] == null) {
                        throw new IllegalArgumentException("null string in required column '" + column.name()
                                + "' at row " + r);
                    }
                }
            }
        }
    }

    // ---- row groups ----

    /**
     * One past the last row of the row group that starts at row {@code from}: at most {@link Options#rowGroupRows()}
     * rows, and after the first row none that would take the group's values over {@link Options#rowGroupBytes()}.
     */
    private int rowGroupEnd(int from, int rows, Object[] values) {
        int limit = (int) Math.min(rows, (long) from + options.rowGroupRows());
        long bytes = 0;
        int to = from;
        while (to < limit) {
            long row = fixedRowBytes;
            for (int c : stringColumns) {
                String s = ((String[]) values[c])[to];
                if (s != null) {
                    row += 4 + Utf8.length(s);
                }
            }
            if (to > from && bytes + row > options.rowGroupBytes()) {
                break;
            }
            bytes += row;
            to++;
        }
        return to;
    }

    /** Writes rows [from, to) as one row group; isNull[c] is column c's null mask ([rows], null if required). */
    private void writeRowGroup(int from, int to, Object[] values, boolean[][] isNull) throws IOException {
        long groupStart = position;
        long uncompressed = 0;
        List<ChunkMeta> chunks = new ArrayList<>(columns.size());
        for (int c = 0; c < columns.size(); c++) {
            ChunkMeta chunk = writeChunk(columns.get(c), from, to, values[c], isNull[c]);
            chunks.add(chunk);
            uncompressed += chunk.uncompressedSize();
        }
        rowGroups.add(new RowGroupMeta(List.copyOf(chunks), to - from, groupStart, uncompressed, position - groupStart));
        totalRows += to - from;
    }

    // ---- column chunks and pages ----

    /** Writes the chunk of rows [from, to) of one column; isNull is its null mask ([rows], null if required). */
    private ChunkMeta writeChunk(Column column, int from, int to, Object data, boolean[] isNull) throws IOException {
        long chunkStart = position;
        chunkUncompressed = 0;
        long nullCount = 0;
        if (isNull != null) {
            for (int r = from; r < to; r++) {
                if (isNull[r]) {
                    nullCount++;
                }
            }
        }
        long dictionaryPageOffset = -1;
        long dataPageOffset;
        if (column.type() == Type.STRING) {
            String[] strings = (String[]) data;
            Dictionary dictionary = dictionary(strings, from, to, isNull);
            if (dictionary != null) {
                dictionaryPageOffset = position;
                writePage(PAGE_DICTIONARY_PAGE, dictionary.size(), ENCODING_PLAIN, dictionary.values());
                dataPageOffset = position;
                writeIndexPages(dictionary, from, to, isNull);
            } else {
                dataPageOffset = position;
                writeStringPages(strings, from, to, isNull);
            }
        } else {
            dataPageOffset = position;
            int rowsPerPage = PAGE_TARGET_BYTES / column.type().width;
            for (int pageFrom = from; pageFrom < to; pageFrom += rowsPerPage) {
                int pageTo = (int) Math.min((long) pageFrom + rowsPerPage, to);
                writeDataPage(pageFrom, pageTo, isNull, ENCODING_PLAIN,
                        fixedWidthValues(column.type(), data, pageFrom, pageTo, isNull));
            }
        }
        byte[] min = null;
        byte[] max = null;
        if (nullCount < to - from) {
            switch (data) {
                case int[] ints -> {
                    int lo = Integer.MAX_VALUE;
                    int hi = Integer.MIN_VALUE;
                    for (int r = from; r < to; r++) {
                        if (isNull == null || !isNull[r]) {
                            lo = Math.min(lo, ints[r]);
                            hi = Math.max(hi, ints[r]);
                        }
                    }
                    min = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(lo).array();
                    max = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(hi).array();
                }
                case long[] longs -> {
                    long lo = Long.MAX_VALUE;
                    long hi = Long.MIN_VALUE;
                    for (int r = from; r < to; r++) {
                        if (isNull == null || !isNull[r]) {
                            lo = Math.min(lo, longs[r]);
                            hi = Math.max(hi, longs[r]);
                        }
                    }
                    min = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(lo).array();
                    max = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hi).array();
                }
                default -> {
                    // floats: NaN and the ±0 rules make min/max easy to get wrong, and nothing needs them
                    // strings: min/max would need truncation rules; only the null count is written
                }
            }
        }
        return new ChunkMeta(column, chunkStart, dictionaryPageOffset, dataPageOffset, to - from, chunkUncompressed,
                position - chunkStart, nullCount, min, max);
    }

    /** Which of the first {@code rows} values are null, from the flags and (for strings) null elements. */
    private static boolean[] nullMask(int rows, Object data, boolean[] flags) {
        boolean[] mask = new boolean[rows];
        if (flags != null) {
            System.arraycopy(flags, 0, mask, 0, rows);
        }
        if (data instanceof String[] strings) {
            for (int r = 0; r < rows; r++) {
                mask[r] |= strings[r] == null;
            }
        }
        return mask;
    }

    /** The PLAIN bytes of the non-null values among rows [from, to) of a fixed-width column. */
    private static byte[] fixedWidthValues(Type type, Object data, int from, int to, boolean[] isNull) {
        int count = 0;
        if (isNull == null) {
            count = to - from;
        } else {
            for (int r = from; r < to; r++) {
                if (!isNull[r]) {
                    count++;
                }
            }
        }
        ByteBuffer buffer = ByteBuffer.allocate(count * type.width).order(ByteOrder.LITTLE_ENDIAN);
        if (isNull == null) {
            switch (data) {
                case int[] a -> buffer.asIntBuffer().put(a, from, count);
                case long[] a -> buffer.asLongBuffer().put(a, from, count);
                case float[] a -> buffer.asFloatBuffer().put(a, from, count);
                case double[] a -> buffer.asDoubleBuffer().put(a, from, count);
                default -> throw new IllegalStateException("not a fixed-width column: " + type);
            }
        } else {
            for (int r = from; r < to; r++) {
                if (isNull[r]) {
                    continue;
                }
                switch (data) {
                    case int[] a -> buffer.putInt(a[r]);
                    case long[] a -> buffer.putLong(a[r]);
                    // raw bits: a NaN keeps its payload, as it was given
                    case float[] a -> buffer.putInt(Float.floatToRawIntBits(a[r]));
                    case double[] a -> buffer.putLong(Double.doubleToRawLongBits(a[r]));
                    default -> throw new IllegalStateException("not a fixed-width column: " + type);
                }
            }
        }
        return buffer.array();
    }

    /**
     * The dictionary of rows [from, to) of a string column, or null where the chunk stays PLAIN: no dictionaries
     * ({@link Options#dictionaryBytes()} 0), a dictionary over that size, or one that with its indices takes at least
     * the PLAIN bytes (all values distinct, or no values).
     */
    private Dictionary dictionary(String[] strings, int from, int to, boolean[] isNull) {
        if (options.dictionaryBytes() == 0) {
            return null;
        }
        Map<String, Integer> ids = new HashMap<>();
        ByteSink values = new ByteSink((int) Math.min(options.dictionaryBytes(), 16L + 16L * (to - from)));
        int[] lengths = new int[16];  // [entries]: PLAIN bytes of each entry, its 4-byte length included
        int[] indices = new int[to - from];
        int count = 0;
        long plainBytes = 0;
        for (int r = from; r < to; r++) {
            if (isNull != null && isNull[r]) {
                continue;
            }
            Integer id = ids.get(strings[r]);
            if (id == null) {
                byte[] utf8 = strings[r].getBytes(StandardCharsets.UTF_8);
                if (values.size() + 4L + utf8.length > options.dictionaryBytes()) {
                    return null;
                }
                id = ids.size();
                ids.put(strings[r], id);
                values.putIntLE(utf8.length);
                values.put(utf8);
                if (id == lengths.length) {
                    lengths = Arrays.copyOf(lengths, 2 * id);
                }
                lengths[id] = 4 + utf8.length;
            }
            plainBytes += lengths[id];
            indices[count++] = id;
        }
        int bitWidth = bitWidth(ids.size() - 1);
        if (values.size() + ((long) count * bitWidth + 7) / 8 >= plainBytes) {
            return null;
        }
        return new Dictionary(ids.size(), values.toByteArray(), Arrays.copyOf(indices, count), bitWidth);
    }

    /** Bits for the values 0..max, at least 1 (a bit width of 0 is valid Parquet, but readers have tripped on it). */
    static int bitWidth(int max) {
        return Math.max(1, 32 - Integer.numberOfLeadingZeros(max));
    }

    /** Writes the RLE_DICTIONARY data pages of rows [from, to), each with at most {@link #PAGE_TARGET_BYTES} of indices. */
    private void writeIndexPages(Dictionary dictionary, int from, int to, boolean[] isNull) throws IOException {
        int rowsPerPage = (int) Math.min(Integer.MAX_VALUE, PAGE_TARGET_BYTES * 8L / dictionary.bitWidth());
        int next = 0; // the first index of the page in dictionary.indices
        for (int pageFrom = from; pageFrom < to; pageFrom += rowsPerPage) {
            int pageTo = (int) Math.min((long) pageFrom + rowsPerPage, to);
            int count = pageTo - pageFrom;
            if (isNull != null) {
                for (int r = pageFrom; r < pageTo; r++) {
                    count -= isNull[r] ? 1 : 0;
                }
            }
            byte[] runs = rleHybrid(dictionary.indices(), next, next + count, dictionary.bitWidth());
            byte[] body = new byte[1 + runs.length];
            body[0] = (byte) dictionary.bitWidth();
            System.arraycopy(runs, 0, body, 1, runs.length);
            writeDataPage(pageFrom, pageTo, isNull, ENCODING_RLE_DICTIONARY, body);
            next += count;
        }
    }

    /** Writes the PLAIN pages of rows [from, to) of a string column, each with about {@link #PAGE_TARGET_BYTES} bytes of values. */
    private void writeStringPages(String[] strings, int from, int to, boolean[] isNull) throws IOException {
        ByteSink values = new ByteSink((int) Math.min(PAGE_TARGET_BYTES, 16L + 16L * (to - from)));
        int pageFrom = from;
        for (int r = from; r < to; r++) {
            if (isNull != null && isNull[r]) {
                continue;
            }
            byte[] utf8 = strings[r].getBytes(StandardCharsets.UTF_8);
            if (r > pageFrom && values.size() + 4L + utf8.length > PAGE_TARGET_BYTES) {
                writeDataPage(pageFrom, r, isNull, ENCODING_PLAIN, values.toByteArray());
                values.reset();
                pageFrom = r;
            }
            values.putIntLE(utf8.length);
            values.put(utf8);
        }
        writeDataPage(pageFrom, to, isNull, ENCODING_PLAIN, values.toByteArray());
    }

    /** Writes one DATA_PAGE (v1) holding rows [from, to): definition levels if optional, then the encoded values. */
    private void writeDataPage(int from, int to, boolean[] isNull, int encoding, byte[] values) throws IOException {
        byte[] body;
        if (isNull == null) {
            body = values;
        } else {
            byte[] levels = definitionLevels(isNull, from, to);
            ByteSink sink = new ByteSink(4 + levels.length + values.length);
            sink.putIntLE(levels.length);
            sink.put(levels);
            sink.put(values);
            body = sink.toByteArray();
        }
        writePage(PAGE_DATA_PAGE, to - from, encoding, body);
    }

    /**
     * Writes a page: its header, then its body compressed with the codec. numValues counts the nulls of a data page
     * and the entries of a dictionary page.
     */
    private void writePage(int pageType, int numValues, int encoding, byte[] body) throws IOException {
        byte[] stored = switch (options.codec()) {
            case UNCOMPRESSED -> body;
            case GZIP -> gzip(body);
        };
        ThriftCompactWriter header = new ThriftCompactWriter();
        header.structBegin();
        header.fieldI32(1, pageType);                // type
        header.fieldI32(2, body.length);             // uncompressed_page_size
        header.fieldI32(3, stored.length);           // compressed_page_size
        if (pageType == PAGE_DICTIONARY_PAGE) {
            header.fieldStructBegin(7);              // dictionary_page_header
            header.fieldI32(1, numValues);           //   num_values
            header.fieldI32(2, encoding);            //   encoding
        } else {
            header.fieldStructBegin(5);              // data_page_header
            header.fieldI32(1, numValues);           //   num_values (nulls included)
            header.fieldI32(2, encoding);            //   encoding
            header.fieldI32(3, ENCODING_RLE);        //   definition_level_encoding
            header.fieldI32(4, ENCODING_RLE);        //   repetition_level_encoding
        }
        header.structEnd();
        header.structEnd();
        byte[] headerBytes = header.toByteArray();
        write(headerBytes, 0, headerBytes.length);
        write(stored, 0, stored.length);
        chunkUncompressed += headerBytes.length + body.length;
    }

    /** {@code body} as one gzip member (RFC 1952): the header, the raw deflate stream, CRC-32 and length (mod 2^32). */
    private byte[] gzip(byte[] body) {
        if (deflater == null) {
            deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        } else {
            deflater.reset();
        }
        deflater.setInput(body);
        deflater.finish();
        ByteSink sink = new ByteSink(body.length / 2 + 64);
        sink.put(GZIP_HEADER);
        while (!deflater.finished()) {
            sink.put(deflateBuffer, 0, deflater.deflate(deflateBuffer));
        }
        CRC32 crc = new CRC32();
        crc.update(body);
        sink.putIntLE((int) crc.getValue());
        sink.putIntLE(body.length);
        return sink.toByteArray();
    }

    /** The definition levels of rows [from, to) (1 = defined, 0 = null), as {@link #rleHybrid} of bit width 1. */
    static byte[] definitionLevels(boolean[] isNull, int from, int to) {
        int[] levels = new int[to - from];
        for (int r = from; r < to; r++) {
            levels[r - from] = isNull[r] ? 0 : 1;
        }
        return rleHybrid(levels, 0, levels.length, 1);
    }

    /**
     * values[from, to), each in [0, 2^bitWidth), in the RLE/bit-packed hybrid without a length prefix. Runs of 8 or
     * more equal values become RLE runs (the value in ceil(bitWidth / 8) little-endian bytes); the rest is bit-packed
     * in groups of 8, LSB first (at most 63 groups a run, so the run header is one byte); only the last group may be
     * padded, with zeros.
     */
    static byte[] rleHybrid(int[] values, int from, int to, int bitWidth) {
        if (bitWidth < 1 || bitWidth > 32) {
            throw new IllegalArgumentException("bit width " + bitWidth);
        }
        ByteSink sink = new ByteSink(16 + (int) ((long) (to - from) * bitWidth / 8));
        int valueBytes = (bitWidth + 7) / 8;
        long mask = (1L << bitWidth) - 1;
        int i = from;
        while (i < to) {
            int run = runLength(values, i, to);
            if (run >= 8) {
                sink.putVarint((long) run << 1);            // RLE run header: count << 1
                for (int b = 0; b < valueBytes; b++) {
                    sink.put(values[i] >>> (8 * b));
                }
                i += run;
                continue;
            }
            int groups = 0;
            int start = i;
            do {
                groups++;
                i += 8;
            } while (i < to && groups < 63 && runLength(values, i, to) < 8);
            sink.putVarint((long) groups << 1 | 1);         // bit-packed run header: groups << 1 | 1
            long buffer = 0;                                 // bits not yet written, LSB first
            int bits = 0;
            for (int k = start; k < start + 8 * groups; k++) {
                buffer |= (k < to ? values[k] & mask : 0) << bits;
                bits += bitWidth;
                while (bits >= 8) {
                    sink.put((int) buffer);
                    buffer >>>= 8;
                    bits -= 8;
                }
            }
        }
        return sink.toByteArray();
    }

    /** How many values starting at {@code i} equal the one at {@code i} (counting at most up to {@code to}). */
    private static int runLength(int[] values, int i, int to) {
        int v = values[i];
        int j = i + 1;
        while (j < to && values[j] == v) {
            j++;
        }
        return j - i;
    }

    private void write(byte[] bytes, int offset, int length) throws IOException {
        try {
            out.write(bytes, offset, length);
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
        position += length;
    }

    // ---- footer ----

    private byte[] fileMetaData() {
        ThriftCompactWriter t = new ThriftCompactWriter();
        t.structBegin();
        t.fieldI32(1, 1);                                                    // version
        t.fieldListBegin(2, ThriftCompactWriter.STRUCT, columns.size() + 1); // schema
        t.structBegin();                                                     // the root group
        t.fieldI32(3, REPETITION_REQUIRED);                                  //   repetition_type
        t.fieldString(4, "schema");                                          //   name
        t.fieldI32(5, columns.size());                                       //   num_children
        t.structEnd();
        for (Column column : columns) {
            t.structBegin();
            t.fieldI32(1, column.type().physical);                           //   type
            t.fieldI32(3, column.optional() ? REPETITION_OPTIONAL : REPETITION_REQUIRED);
            t.fieldString(4, column.name());                                 //   name
            if (column.type() == Type.STRING) {
                t.fieldI32(6, CONVERTED_UTF8);                               //   converted_type
                t.fieldStructBegin(10);                                      //   logicalType
                t.fieldStructBegin(1);                                       //     STRING
                t.structEnd();
                t.structEnd();
            }
            t.structEnd();
        }
        t.fieldI64(3, totalRows);                                            // num_rows
        t.fieldListBegin(4, ThriftCompactWriter.STRUCT, rowGroups.size());   // row_groups
        for (RowGroupMeta group : rowGroups) {
            t.structBegin();
            t.fieldListBegin(1, ThriftCompactWriter.STRUCT, group.chunks().size()); // columns
            for (ChunkMeta chunk : group.chunks()) {
                columnChunk(t, chunk, options.codec());
            }
            t.fieldI64(2, group.uncompressedSize());                         //   total_byte_size (uncompressed)
            t.fieldI64(3, group.numRows());                                  //   num_rows
            t.fieldI64(5, group.fileOffset());                               //   file_offset
            t.fieldI64(6, group.compressedSize());                           //   total_compressed_size
            t.structEnd();
        }
        if (!options.keyValueMetadata().isEmpty()) {
            t.fieldListBegin(5, ThriftCompactWriter.STRUCT, options.keyValueMetadata().size()); // key_value_metadata
            for (Map.Entry<String, String> entry : options.keyValueMetadata().entrySet()) {
                t.structBegin();
                t.fieldString(1, entry.getKey());                            //   key
                t.fieldString(2, entry.getValue());                          //   value
                t.structEnd();
            }
        }
        t.fieldString(6, CREATED_BY);                                        // created_by
        t.fieldListBegin(7, ThriftCompactWriter.STRUCT, columns.size());     // column_orders
        for (int c = 0; c < columns.size(); c++) {
            t.structBegin();
            t.fieldStructBegin(1);                                           //   TYPE_ORDER
            t.structEnd();
            t.structEnd();
        }
        t.structEnd();
        return t.toByteArray();
    }

    private static void columnChunk(ThriftCompactWriter t, ChunkMeta chunk, Codec codec) {
        Column column = chunk.column();
        boolean dictionary = chunk.dictionaryPageOffset() >= 0;
        List<Integer> encodings = new ArrayList<>();
        encodings.add(ENCODING_PLAIN);              // the values, or the dictionary page
        if (dictionary) {
            encodings.add(ENCODING_RLE_DICTIONARY);
        }
        if (column.optional()) {
            encodings.add(ENCODING_RLE);            // the definition levels
        }
        t.structBegin();
        t.fieldI64(2, chunk.start());               // file_offset (deprecated; the start of the chunk, as parquet-java writes)
        t.fieldStructBegin(3);                      // meta_data
        t.fieldI32(1, column.type().physical);      //   type
        t.fieldListBegin(2, ThriftCompactWriter.I32, encodings.size()); // encodings
        for (int encoding : encodings) {
            t.i32(encoding);
        }
        t.fieldListBegin(3, ThriftCompactWriter.BINARY, 1); // path_in_schema
        t.string(column.name());
        t.fieldI32(4, codec.id);                    //   codec
        t.fieldI64(5, chunk.numValues());           //   num_values
        t.fieldI64(6, chunk.uncompressedSize());    //   total_uncompressed_size (page headers included)
        t.fieldI64(7, chunk.compressedSize());      //   total_compressed_size (page headers included)
        t.fieldI64(9, chunk.dataPageOffset());      //   data_page_offset
        if (dictionary) {
            t.fieldI64(11, chunk.dictionaryPageOffset()); // dictionary_page_offset
        }
        t.fieldStructBegin(12);                     //   statistics
        if (chunk.max() != null) {
            t.fieldBinary(1, chunk.max());          //     max (deprecated, signed order: right for INT32/INT64)
            t.fieldBinary(2, chunk.min());          //     min
        }
        t.fieldI64(3, chunk.nullCount());           //     null_count
        if (chunk.max() != null) {
            t.fieldBinary(5, chunk.max());          //     max_value
            t.fieldBinary(6, chunk.min());          //     min_value
        }
        t.structEnd();
        t.structEnd();
        t.structEnd();
    }

    /** A growable little-endian byte buffer. */
    private static final class ByteSink {
        private byte[] bytes;
        private int size;

        ByteSink(int capacity) {
            bytes = new byte[Math.max(16, capacity)];
        }

        int size() {
            return size;
        }

        void reset() {
            size = 0;
        }

        void put(int b) {
            ensure(1);
            bytes[size++] = (byte) b;
        }

        void put(byte[] b) {
            put(b, 0, b.length);
        }

        void put(byte[] b, int offset, int length) {
            ensure(length);
            System.arraycopy(b, offset, bytes, size, length);
            size += length;
        }

        void putIntLE(int v) {
            ensure(4);
            bytes[size++] = (byte) v;
            bytes[size++] = (byte) (v >>> 8);
            bytes[size++] = (byte) (v >>> 16);
            bytes[size++] = (byte) (v >>> 24);
        }

        void putVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                put((int) (v & 0x7F) | 0x80);
                v >>>= 7;
            }
            put((int) v);
        }

        byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }

        private void ensure(int extra) {
            long needed = (long) size + extra;
            if (needed > bytes.length) {
                long grown = Math.max(needed, 2L * bytes.length);
                if (grown > Integer.MAX_VALUE - 16) {
                    if (needed > Integer.MAX_VALUE - 16) {
                        throw new IllegalArgumentException("a Parquet page over 2 GiB");
                    }
                    grown = Integer.MAX_VALUE - 16;
                }
                bytes = Arrays.copyOf(bytes, (int) grown);
            }
        }
    }
}
