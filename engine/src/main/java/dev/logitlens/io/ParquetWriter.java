package dev.logitlens.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Writes Apache Parquet files with no dependencies (parquet-java needs Hadoop). The files are as plain as
 * the format allows, so that every reader (pyarrow, fastparquet, DuckDB, Spark) takes them:
 * <ul>
 *   <li>a flat schema: the root group and one leaf per {@link Column}, REQUIRED or OPTIONAL;</li>
 *   <li>per row group, one column chunk per column made of version-1 data pages ({@code DATA_PAGE}), PLAIN
 *       encoding, no dictionary, no compression; a chunk is cut into pages of about
 *       {@value #PAGE_TARGET_BYTES} bytes of values, each page with its own header and value count;</li>
 *   <li>definition levels of optional columns in the RLE/bit-packed hybrid (bit width 1) behind their 4-byte
 *       little-endian length; required columns have none;</li>
 *   <li>{@link Type#STRING} is {@code BYTE_ARRAY} annotated with both ConvertedType UTF8 and LogicalType STRING;</li>
 *   <li>column statistics: the null count of every chunk, and min/max of the INT32 and INT64 chunks (with
 *       {@code column_orders} set to the type-defined order, as the format asks);</li>
 *   <li>the footer: FileMetaData (version 1, created_by {@code logitlens}) in the Thrift compact protocol.</li>
 * </ul>
 * The writer does not buffer rows: each {@link #writeRowGroup} call writes one row group straight away. A row
 * group of zero rows is skipped (a file with no row groups is valid and reads as an empty table). Invalid
 * arguments are rejected with an {@link IllegalArgumentException} before anything is written, so the writer stays
 * usable; after an {@link IOException} from the stream the file is broken and the writer refuses further rows.
 * Not thread-safe.
 */
public final class ParquetWriter implements AutoCloseable {

    /** Target size of the values of one data page; a column chunk larger than this is split into pages. */
    static final int PAGE_TARGET_BYTES = 1 << 20;

    private static final byte[] MAGIC = {'P', 'A', 'R', '1'};
    private static final String CREATED_BY = "logitlens";

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
    private static final int CODEC_UNCOMPRESSED = 0;
    private static final int PAGE_DATA_PAGE = 0;

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

    /** What the footer needs to know of one written column chunk. */
    private record ChunkMeta(Column column, long dataPageOffset, long numValues, long totalSize, long nullCount,
                             byte[] min, byte[] max, boolean optionalEncodings) {
    }

    private record RowGroupMeta(List<ChunkMeta> chunks, long numRows, long fileOffset, long totalSize) {
    }

    private final OutputStream out;
    private final List<Column> columns;
    private final List<RowGroupMeta> rowGroups = new ArrayList<>();
    private long position;
    private long totalRows;
    private boolean closed;
    private boolean failed;

    /** Starts a file on {@code out} (writes the magic); the caller owns and closes {@code out} after close(). */
    public ParquetWriter(OutputStream out, List<Column> columns) throws IOException {
        this.out = Objects.requireNonNull(out, "out");
        Objects.requireNonNull(columns, "columns");
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
        write(MAGIC, 0, MAGIC.length);
    }

    /**
     * Writes one row group of {@code rows} rows. values[i] is the data of column i: int[] (INT32), long[] (INT64),
     * float[] (FLOAT), double[] (DOUBLE) or String[] (STRING), each with at least {@code rows} entries (only the
     * first rows are used). nulls is null or has one entry per column, each null (no nulls) or a boolean[rows]
     * where true means the value is null (allowed only for optional columns; for STRING a null array element also means null).
     */
    public void writeRowGroup(int rows, Object[] values, boolean[][] nulls) throws IOException {
        checkOpen();
        validate(rows, values, nulls);
        if (rows == 0) {
            return;
        }
        boolean ok = false;
        try {
            long groupStart = position;
            List<ChunkMeta> chunks = new ArrayList<>(columns.size());
            for (int c = 0; c < columns.size(); c++) {
                chunks.add(writeChunk(columns.get(c), rows, values[c], nulls == null ? null : nulls[c]));
            }
            rowGroups.add(new RowGroupMeta(List.copyOf(chunks), rows, groupStart, position - groupStart));
            totalRows += rows;
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

    // ---- column chunks and pages ----

    private ChunkMeta writeChunk(Column column, int rows, Object data, boolean[] nullFlags) throws IOException {
        long chunkStart = position;
        boolean[] isNull = column.optional() ? nullMask(rows, data, nullFlags) : null;
        long nullCount = 0;
        if (isNull != null) {
            for (int r = 0; r < rows; r++) {
                if (isNull[r]) {
                    nullCount++;
                }
            }
        }
        if (column.type() == Type.STRING) {
            writeStringPages((String[]) data, rows, isNull);
        } else {
            int rowsPerPage = PAGE_TARGET_BYTES / column.type().width;
            for (int from = 0; from < rows; from += rowsPerPage) {
                int to = (int) Math.min((long) from + rowsPerPage, rows);
                writePage(from, to, isNull, fixedWidthValues(column.type(), data, from, to, isNull));
            }
        }
        byte[] min = null;
        byte[] max = null;
        if (nullCount < rows) {
            switch (data) {
                case int[] ints -> {
                    int lo = Integer.MAX_VALUE;
                    int hi = Integer.MIN_VALUE;
                    for (int r = 0; r < rows; r++) {
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
                    for (int r = 0; r < rows; r++) {
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
        return new ChunkMeta(column, chunkStart, rows, position - chunkStart, nullCount, min, max, column.optional());
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

    /** Writes the pages of a string column, each with about {@link #PAGE_TARGET_BYTES} bytes of values. */
    private void writeStringPages(String[] strings, int rows, boolean[] isNull) throws IOException {
        ByteSink values = new ByteSink(Math.min(PAGE_TARGET_BYTES, 16 + 16 * rows));
        int from = 0;
        for (int r = 0; r < rows; r++) {
            if (isNull != null && isNull[r]) {
                continue;
            }
            byte[] utf8 = strings[r].getBytes(StandardCharsets.UTF_8);
            if (r > from && values.size() + 4L + utf8.length > PAGE_TARGET_BYTES) {
                writePage(from, r, isNull, values.toByteArray());
                values.reset();
                from = r;
            }
            values.putIntLE(utf8.length);
            values.put(utf8);
        }
        writePage(from, rows, isNull, values.toByteArray());
    }

    /** Writes one DATA_PAGE (v1) holding rows [from, to): header, definition levels if optional, values. */
    private void writePage(int from, int to, boolean[] isNull, byte[] values) throws IOException {
        byte[] levels = isNull == null ? new byte[0] : definitionLevels(isNull, from, to);
        long bodySize = (isNull == null ? 0L : 4L + levels.length) + values.length;
        if (bodySize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a value of " + values.length + " bytes does not fit in a Parquet page");
        }
        ThriftCompactWriter header = new ThriftCompactWriter();
        header.structBegin();
        header.fieldI32(1, PAGE_DATA_PAGE);          // type
        header.fieldI32(2, (int) bodySize);          // uncompressed_page_size
        header.fieldI32(3, (int) bodySize);          // compressed_page_size
        header.fieldStructBegin(5);                  // data_page_header
        header.fieldI32(1, to - from);               // num_values (nulls included)
        header.fieldI32(2, ENCODING_PLAIN);          // encoding
        header.fieldI32(3, ENCODING_RLE);            // definition_level_encoding
        header.fieldI32(4, ENCODING_RLE);            // repetition_level_encoding
        header.structEnd();
        header.structEnd();
        byte[] headerBytes = header.toByteArray();
        write(headerBytes, 0, headerBytes.length);
        if (isNull != null) {
            byte[] length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(levels.length).array();
            write(length, 0, 4);
            write(levels, 0, levels.length);
        }
        write(values, 0, values.length);
    }

    /**
     * The definition levels of rows [from, to) (1 = defined, 0 = null) in the RLE/bit-packed hybrid with bit
     * width 1, without the length prefix. Runs of 8 or more equal levels become RLE runs; the rest is bit-packed
     * in groups of 8 (at most 63 groups a run, so the run header is one byte); only the last group may be
     * padded, with zeros.
     */
    static byte[] definitionLevels(boolean[] isNull, int from, int to) {
        ByteSink sink = new ByteSink(16 + (to - from) / 8);
        int i = from;
        while (i < to) {
            int run = runLength(isNull, i, to);
            if (run >= 8) {
                sink.putVarint((long) run << 1);            // RLE run header: count << 1
                sink.put(isNull[i] ? 0 : 1);                // the repeated level, in ceil(1 / 8) = 1 byte
                i += run;
                continue;
            }
            int groups = 0;
            int start = i;
            do {
                groups++;
                i += 8;
            } while (i < to && groups < 63 && runLength(isNull, i, to) < 8);
            sink.putVarint((long) groups << 1 | 1);         // bit-packed run header: groups << 1 | 1
            for (int g = 0; g < groups; g++) {
                int b = 0;
                for (int k = 0; k < 8; k++) {
                    int r = start + g * 8 + k;
                    if (r < to && !isNull[r]) {
                        b |= 1 << k;                        // LSB first
                    }
                }
                sink.put(b);
            }
        }
        return sink.toByteArray();
    }

    /** How many levels starting at {@code i} equal the one at {@code i} (counting at most up to {@code to}). */
    private static int runLength(boolean[] isNull, int i, int to) {
        boolean v = isNull[i];
        int j = i + 1;
        while (j < to && isNull[j] == v) {
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
                columnChunk(t, chunk);
            }
            t.fieldI64(2, group.totalSize());                                //   total_byte_size
            t.fieldI64(3, group.numRows());                                  //   num_rows
            t.fieldI64(5, group.fileOffset());                               //   file_offset
            t.fieldI64(6, group.totalSize());                                //   total_compressed_size
            t.structEnd();
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

    private static void columnChunk(ThriftCompactWriter t, ChunkMeta chunk) {
        Column column = chunk.column();
        t.structBegin();
        t.fieldI64(2, chunk.dataPageOffset());      // file_offset (deprecated; the start of the chunk, as parquet-java writes)
        t.fieldStructBegin(3);                      // meta_data
        t.fieldI32(1, column.type().physical);      //   type
        if (chunk.optionalEncodings()) {            //   encodings
            t.fieldListBegin(2, ThriftCompactWriter.I32, 2);
            t.i32(ENCODING_PLAIN);
            t.i32(ENCODING_RLE);
        } else {
            t.fieldListBegin(2, ThriftCompactWriter.I32, 1);
            t.i32(ENCODING_PLAIN);
        }
        t.fieldListBegin(3, ThriftCompactWriter.BINARY, 1); // path_in_schema
        t.string(column.name());
        t.fieldI32(4, CODEC_UNCOMPRESSED);          //   codec
        t.fieldI64(5, chunk.numValues());           //   num_values
        t.fieldI64(6, chunk.totalSize());           //   total_uncompressed_size (page headers included)
        t.fieldI64(7, chunk.totalSize());           //   total_compressed_size
        t.fieldI64(9, chunk.dataPageOffset());      //   data_page_offset
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
            ensure(b.length);
            System.arraycopy(b, 0, bytes, size, b.length);
            size += b.length;
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
            return java.util.Arrays.copyOf(bytes, size);
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
                bytes = java.util.Arrays.copyOf(bytes, (int) grown);
            }
        }
    }
}
