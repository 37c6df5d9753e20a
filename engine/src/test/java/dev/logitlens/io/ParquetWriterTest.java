package dev.logitlens.io;

import dev.logitlens.io.ParquetWriter.Codec;
import dev.logitlens.io.ParquetWriter.Column;
import dev.logitlens.io.ParquetWriter.Options;
import dev.logitlens.io.ParquetWriter.Type;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntPredicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ParquetWriter}, checked with an independent reader: DuckDB (JDBC) reads every file back, and its
 * {@code parquet_schema}, {@code parquet_metadata} and {@code parquet_file_metadata} show the footer as a
 * reader sees it. The page headers of a large chunk are walked with a small Thrift compact reader here.
 */
class ParquetWriterTest {

    private static Connection duckdb;

    @TempDir
    Path dir;

    @BeforeAll
    static void openDuckDb() throws SQLException {
        duckdb = DriverManager.getConnection("jdbc:duckdb:");
    }

    @AfterAll
    static void closeDuckDb() throws SQLException {
        if (duckdb != null) {
            duckdb.close();
        }
    }

    // ---- types, values and nulls ----

    @ParameterizedTest
    @EnumSource(Codec.class)
    void everyTypeRequiredAndOptionalRoundTrips(Codec codec) throws Exception {
        int rows = 1003;
        List<Column> columns = List.of(
                Column.required("id", Type.INT32),
                Column.optional("i32", Type.INT32),
                Column.required("i64", Type.INT64),
                Column.optional("i64_opt", Type.INT64),
                Column.required("f32", Type.FLOAT),
                Column.optional("f32_opt", Type.FLOAT),
                Column.required("f64", Type.DOUBLE),
                Column.optional("f64_opt", Type.DOUBLE),
                Column.required("s", Type.STRING),
                Column.optional("s_opt", Type.STRING));
        int[] id = new int[rows];
        int[] i32 = new int[rows];
        long[] i64 = new long[rows];
        float[] f32 = new float[rows];
        double[] f64 = new double[rows];
        String[] s = new String[rows];
        String[] sOpt = new String[rows];
        boolean[] every3 = new boolean[rows];
        boolean[] every5 = new boolean[rows];
        for (int r = 0; r < rows; r++) {
            id[r] = r;
            i32[r] = r * 7919 - 40000;
            i64[r] = (long) r * 1_000_000_007L - 3;
            f32[r] = r * 0.25f - 17.5f;
            f64[r] = r * 1e-3 - 0.5;
            s[r] = "row " + r;
            sOpt[r] = r % 7 == 0 ? null : "opt-" + r; // a null element is a null
            every3[r] = r % 3 == 0;
            every5[r] = r % 5 == 1;
        }
        Path file = write(columns, rows,
                new Object[]{id, i32, i64, i64, f32, f32, f64, f64, s, sOpt},
                new boolean[][]{null, every3, null, every5, null, every3, null, every5, null, every3},
                Options.DEFAULTS.withCodec(codec));

        try (Statement st = duckdb.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM read_parquet('" + file + "') ORDER BY id")) {
            int r = 0;
            while (rs.next()) {
                assertEquals(r, rs.getInt("id"));
                assertNullableEquals(every3[r] ? null : i32[r], rs.getObject("i32"), "i32", r);
                assertEquals(i64[r], rs.getLong("i64"));
                assertNullableEquals(every5[r] ? null : i64[r], rs.getObject("i64_opt"), "i64_opt", r);
                assertEquals(f32[r], rs.getFloat("f32"));
                assertNullableEquals(every3[r] ? null : f32[r], rs.getObject("f32_opt"), "f32_opt", r);
                assertEquals(f64[r], rs.getDouble("f64"));
                assertNullableEquals(every5[r] ? null : f64[r], rs.getObject("f64_opt"), "f64_opt", r);
                assertEquals(s[r], rs.getString("s"));
                assertNullableEquals(every3[r] || sOpt[r] == null ? null : sOpt[r], rs.getObject("s_opt"), "s_opt", r);
                r++;
            }
            assertEquals(rows, r);
        }

        // DuckDB's DESCRIBE shows every Parquet column as nullable; parquet_schema below has the repetition
        assertEquals(List.of(
                        List.of("id", "INTEGER"), List.of("i32", "INTEGER"), List.of("i64", "BIGINT"),
                        List.of("i64_opt", "BIGINT"), List.of("f32", "FLOAT"), List.of("f32_opt", "FLOAT"),
                        List.of("f64", "DOUBLE"), List.of("f64_opt", "DOUBLE"), List.of("s", "VARCHAR"),
                        List.of("s_opt", "VARCHAR")),
                query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('" + file + "'))"));

        List<List<String>> schema = query("SELECT name, type, repetition_type, num_children, converted_type, logical_type "
                + "FROM parquet_schema('" + file + "')");
        assertEquals(11, schema.size());
        assertEquals("schema", schema.get(0).get(0));
        assertEquals("10", schema.get(0).get(3));
        assertEquals(List.of("id", "INT32", "REQUIRED"), schema.get(1).subList(0, 3));
        assertEquals(List.of("i32", "INT32", "OPTIONAL"), schema.get(2).subList(0, 3));
        assertEquals(List.of("i64", "INT64", "REQUIRED"), schema.get(3).subList(0, 3));
        assertEquals(List.of("i64_opt", "INT64", "OPTIONAL"), schema.get(4).subList(0, 3));
        assertEquals(List.of("f32", "FLOAT", "REQUIRED"), schema.get(5).subList(0, 3));
        assertEquals(List.of("f32_opt", "FLOAT", "OPTIONAL"), schema.get(6).subList(0, 3));
        assertEquals(List.of("f64", "DOUBLE", "REQUIRED"), schema.get(7).subList(0, 3));
        assertEquals(List.of("f64_opt", "DOUBLE", "OPTIONAL"), schema.get(8).subList(0, 3));
        assertEquals(List.of("s", "BYTE_ARRAY", "REQUIRED"), schema.get(9).subList(0, 3));
        assertEquals(List.of("s_opt", "BYTE_ARRAY", "OPTIONAL"), schema.get(10).subList(0, 3));
        for (int c : new int[]{9, 10}) {
            assertEquals("UTF8", schema.get(c).get(4), "converted type of " + schema.get(c).get(0));
            assertTrue(schema.get(c).get(5).toUpperCase().contains("STRING"), "logical type " + schema.get(c).get(5));
        }
        assertNull(schema.get(1).get(4), "no converted type on numbers");
        assertNull(schema.get(1).get(5), "no logical type on numbers");

        // the footer as DuckDB reads it: chunk metadata and statistics
        Map<String, List<String>> meta = new HashMap<>();
        for (List<String> row : query("SELECT path_in_schema, type, compression, num_values, stats_null_count, "
                + "stats_min_value, stats_max_value, encodings FROM parquet_metadata('" + file + "')")) {
            meta.put(row.get(0), row);
        }
        assertEquals(10, meta.size());
        for (List<String> row : meta.values()) {
            assertEquals(codec.name(), row.get(2), row.get(0));
            assertEquals(Integer.toString(rows), row.get(3), row.get(0));
            assertTrue(row.get(7).contains("PLAIN"), row.get(0) + " encodings " + row.get(7));
        }
        assertEquals("0", meta.get("id").get(4));
        assertEquals("0", meta.get("id").get(5));
        assertEquals(Integer.toString(rows - 1), meta.get("id").get(6));
        assertEquals(Long.toString(count(every3)), meta.get("i32").get(4));
        assertEquals(Long.toString(count(every5)), meta.get("i64_opt").get(4));
        long sNulls = 0;
        for (int r = 0; r < rows; r++) {
            sNulls += every3[r] || sOpt[r] == null ? 1 : 0;
        }
        assertEquals(Long.toString(sNulls), meta.get("s_opt").get(4));
        assertEquals(Long.toString(i64[0]), meta.get("i64").get(5));
        assertEquals(Long.toString(i64[rows - 1]), meta.get("i64").get(6));
        int lo = Integer.MAX_VALUE;
        int hi = Integer.MIN_VALUE;
        for (int r = 0; r < rows; r++) {
            if (!every3[r]) {
                lo = Math.min(lo, i32[r]);
                hi = Math.max(hi, i32[r]);
            }
        }
        assertEquals(Integer.toString(lo), meta.get("i32").get(5));
        assertEquals(Integer.toString(hi), meta.get("i32").get(6));

        // statistics are used to skip row groups: a filter must still see the right rows
        assertEquals(List.of(List.of(Long.toString(rows - count(every3)))),
                query("SELECT count(*) FROM read_parquet('" + file + "') WHERE i32 >= " + lo + " AND i32 <= " + hi));
        assertEquals(List.of(List.of("1")),
                query("SELECT count(*) FROM read_parquet('" + file + "') WHERE id = " + (rows - 1)));

        List<List<String>> fileMeta = query("SELECT created_by, num_rows, num_row_groups, format_version "
                + "FROM parquet_file_metadata('" + file + "')");
        assertEquals(List.of(List.of(ParquetWriter.CREATED_BY, Integer.toString(rows), "1", "1")), fileMeta);
        assertTrue(ParquetWriter.CREATED_BY.matches("logitlens version \\S+"), "parquet-java parses it: " + ParquetWriter.CREATED_BY);
        for (String column : List.of("id", "i32", "f64_opt", "s", "s_opt")) {
            assertEquals(rows, dataPages(file, column).stream().mapToLong(Page::values).sum(), column);
        }
    }

    static Stream<Arguments> nullPatterns() {
        Map<String, IntPredicate> patterns = new LinkedHashMap<>();
        patterns.put("none", r -> false);
        patterns.put("all", r -> true);
        patterns.put("alternating", r -> r % 2 == 0);
        patterns.put("alternating-odd", r -> r % 2 == 1);
        patterns.put("every-ninth", r -> r % 9 == 4);
        patterns.put("long-runs", r -> (r / 37) % 2 == 0);
        patterns.put("mixed-runs", r -> r < 3 || (r >= 20 && r < 29) || (r >= 40 && r < 41) || (r >= 100 && r < 611)
                || r % 13 == 0);
        patterns.put("last-only", r -> false); // replaced below by the row count
        Random random = new Random(42);
        boolean[] noise = new boolean[5000];
        for (int r = 0; r < noise.length; r++) {
            noise[r] = random.nextInt(3) == 0;
        }
        patterns.put("random", r -> noise[r]);
        List<Arguments> cases = new ArrayList<>();
        for (int rows : new int[]{1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 504, 505, 513, 1000, 4999}) {
            for (Map.Entry<String, IntPredicate> e : patterns.entrySet()) {
                IntPredicate p = e.getKey().equals("last-only") ? r -> r == rows - 1 : e.getValue();
                cases.add(Arguments.of(e.getKey(), rows, p));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}, {1} rows")
    @MethodSource("nullPatterns")
    void definitionLevelsAreRightForEveryNullPattern(String pattern, int rows, IntPredicate nullAt) throws Exception {
        int[] id = new int[rows];
        long[] values = new long[rows + 3]; // longer than needed: only the first rows count
        String[] strings = new String[rows];
        String[] few = new String[rows]; // few distinct values: dictionary-encoded, unless all are null
        boolean[] nulls = new boolean[rows];
        for (int r = 0; r < rows; r++) {
            id[r] = r;
            values[r] = r * 31L - 1000;
            strings[r] = r % 4 == 0 ? "" : "s" + r;
            few[r] = "t" + r % 5;
            nulls[r] = nullAt.test(r);
        }
        Path file = write(List.of(Column.required("id", Type.INT32), Column.optional("v", Type.INT64),
                        Column.optional("s", Type.STRING), Column.optional("t", Type.STRING)), rows,
                new Object[]{id, values, strings, few}, new boolean[][]{null, nulls, nulls, nulls});

        long expectedNulls = count(nulls);
        try (Statement st = duckdb.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, v, s, t FROM read_parquet('" + file + "') ORDER BY id")) {
            int r = 0;
            while (rs.next()) {
                assertEquals(r, rs.getInt(1));
                assertNullableEquals(nulls[r] ? null : values[r], rs.getObject(2), pattern + " v", r);
                assertNullableEquals(nulls[r] ? null : strings[r], rs.getObject(3), pattern + " s", r);
                assertNullableEquals(nulls[r] ? null : few[r], rs.getObject(4), pattern + " t", r);
                r++;
            }
            assertEquals(rows, r);
        }
        assertEquals(List.of(List.of(Long.toString(expectedNulls), Long.toString(expectedNulls))),
                query("SELECT count(*) FILTER (WHERE v IS NULL), count(*) FILTER (WHERE s IS NULL) FROM read_parquet('"
                        + file + "')"));
        assertEquals(List.of(List.of("v", Long.toString(expectedNulls)), List.of("s", Long.toString(expectedNulls)),
                        List.of("t", Long.toString(expectedNulls))),
                query("SELECT path_in_schema, stats_null_count FROM parquet_metadata('" + file + "') "
                        + "WHERE path_in_schema <> 'id' ORDER BY column_id"));
        // 8 values of at most 5 distinct ones: a dictionary of ≤ 30 bytes and 3 bytes of indices, against 48 PLAIN
        long defined = rows - expectedNulls;
        if (defined == 0 || defined >= 8) {
            assertEquals(defined >= 8, dictionaryPage(file, "t") != null, "t is dictionary-encoded with 8 values or more");
        }

        // and the hybrid decodes to the same levels with a decoder written from the spec here
        assertArrayEquals(nulls, decodeLevels(ParquetWriter.definitionLevels(nulls, 0, rows), rows), pattern);
    }

    @Test
    void stringsKeepNonAsciiEmptyAndNullApart() throws Exception {
        String[] s = {"", "ä", "日本語テキスト", "emoji 😀 and 🧪", null, "", "tab\tnew\nline", "\u0000nul", "Ωmega", "a".repeat(70_000)};
        boolean[] nulls = new boolean[s.length];
        nulls[1] = true; // a flagged null wins over the value
        int[] id = new int[s.length];
        for (int r = 0; r < s.length; r++) {
            id[r] = r;
        }
        Path file = write(List.of(Column.required("id", Type.INT32), Column.optional("s", Type.STRING),
                        Column.required("t", Type.STRING)), s.length,
                new Object[]{id, s, new String[]{"x", "", "ü", "日本", "😀", "", "", "end", "", "b"}},
                new boolean[][]{null, nulls, null});
        try (Statement st = duckdb.createStatement();
             ResultSet rs = st.executeQuery("SELECT s, t, octet_length(encode(s)) FROM read_parquet('" + file + "') ORDER BY id")) {
            String[] t = {"x", "", "ü", "日本", "😀", "", "", "end", "", "b"};
            for (int r = 0; r < s.length; r++) {
                assertTrue(rs.next());
                String expected = r == 1 ? null : s[r];
                assertNullableEquals(expected, rs.getObject(1), "s", r);
                assertEquals(t[r], rs.getString(2));
                if (expected != null) {
                    assertEquals(expected.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, rs.getLong(3));
                }
            }
            assertFalse(rs.next());
        }
        assertEquals(List.of(List.of("2", "2")),
                query("SELECT count(*) FILTER (WHERE s = ''), count(*) FILTER (WHERE s IS NULL) FROM read_parquet('" + file + "')"));
    }

    @Test
    void nanInfinitiesAndExtremeNumbersSurvive() throws Exception {
        float[] f = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0.0f, 0.0f, Float.MIN_VALUE,
                Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_NORMAL, 1.5f};
        double[] d = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, Double.MIN_VALUE,
                Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_NORMAL, Math.PI};
        int[] i = {Integer.MIN_VALUE, Integer.MAX_VALUE, 0, -1, 1, Integer.MIN_VALUE + 1, Integer.MAX_VALUE - 1, 255, 65536, -65536};
        long[] l = {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 1, Long.MIN_VALUE + 1, Long.MAX_VALUE - 1, 1L << 32, -(1L << 40), 42};
        int[] id = new int[f.length];
        for (int r = 0; r < id.length; r++) {
            id[r] = r;
        }
        boolean[] nulls = new boolean[f.length];
        nulls[9] = true;
        // the required columns go through the bulk copy, the optional ones value by value: both keep the bits
        Path file = write(List.of(Column.required("id", Type.INT32), Column.required("f", Type.FLOAT),
                        Column.optional("f_opt", Type.FLOAT), Column.required("d", Type.DOUBLE),
                        Column.optional("d_opt", Type.DOUBLE), Column.required("i", Type.INT32),
                        Column.optional("i_opt", Type.INT32), Column.required("l", Type.INT64),
                        Column.optional("l_opt", Type.INT64)),
                f.length, new Object[]{id, f, f, d, d, i, i, l, l},
                new boolean[][]{null, null, nulls, null, nulls, null, nulls, null, nulls});
        try (Statement st = duckdb.createStatement();
             ResultSet rs = st.executeQuery("SELECT f, f_opt, d, d_opt, i, i_opt, l, l_opt FROM read_parquet('"
                     + file + "') ORDER BY id")) {
            for (int r = 0; r < f.length; r++) {
                assertTrue(rs.next());
                assertEquals(Float.floatToIntBits(f[r]), Float.floatToIntBits(rs.getFloat(1)), "f row " + r);
                assertEquals(Double.doubleToLongBits(d[r]), Double.doubleToLongBits(rs.getDouble(3)), "d row " + r);
                assertEquals(i[r], rs.getInt(5), "i row " + r);
                assertEquals(l[r], rs.getLong(7), "l row " + r);
                if (r == 9) {
                    for (int c : new int[]{2, 4, 6, 8}) {
                        assertNull(rs.getObject(c), "column " + c + " row 9");
                    }
                } else {
                    assertEquals(Float.floatToIntBits(f[r]), Float.floatToIntBits(rs.getFloat(2)), "f_opt row " + r);
                    assertEquals(Double.doubleToLongBits(d[r]), Double.doubleToLongBits(rs.getDouble(4)), "d_opt row " + r);
                    assertEquals(i[r], rs.getInt(6), "i_opt row " + r);
                    assertEquals(l[r], rs.getLong(8), "l_opt row " + r);
                }
            }
            assertFalse(rs.next());
        }
        // min/max statistics of the extremes, and filters that rely on them
        List<List<String>> stats = query("SELECT path_in_schema, stats_min_value, stats_max_value FROM parquet_metadata('"
                + file + "') WHERE path_in_schema IN ('i', 'i_opt', 'l', 'l_opt') ORDER BY column_id");
        assertEquals(List.of(List.of("i", Integer.toString(Integer.MIN_VALUE), Integer.toString(Integer.MAX_VALUE)),
                List.of("i_opt", Integer.toString(Integer.MIN_VALUE), Integer.toString(Integer.MAX_VALUE)),
                List.of("l", Long.toString(Long.MIN_VALUE), Long.toString(Long.MAX_VALUE)),
                List.of("l_opt", Long.toString(Long.MIN_VALUE), Long.toString(Long.MAX_VALUE))), stats);
        assertEquals(List.of(List.of("1", "1", "1")), query("SELECT count(*) FILTER (WHERE l = " + Long.MIN_VALUE
                + "), count(*) FILTER (WHERE isnan(f_opt)), count(*) FILTER (WHERE d_opt = 'inf'::DOUBLE) FROM read_parquet('" + file + "')"));
        // no float min/max is written, so nothing is skipped: MAX_VALUE, +Infinity and NaN (the largest in DuckDB)
        assertEquals(List.of(List.of("3")),
                query("SELECT count(*) FROM read_parquet('" + file + "') WHERE f > 3e38::FLOAT"));
    }

    // ---- row groups, pages, empty files ----

    @Test
    void severalRowGroupsReadAsOneTable() throws Exception {
        Path file = dir.resolve("groups.parquet");
        List<Column> columns = List.of(Column.required("id", Type.INT64), Column.optional("name", Type.STRING));
        int[] sizes = {5, 0, 1, 1000, 17};
        try (OutputStream out = Files.newOutputStream(file); ParquetWriter writer = new ParquetWriter(out, columns)) {
            long next = 0;
            for (int size : sizes) {
                long[] ids = new long[size];
                String[] names = new String[size];
                for (int r = 0; r < size; r++) {
                    ids[r] = next + r;
                    names[r] = (next + r) % 10 == 3 ? null : "n" + (next + r);
                }
                writer.writeRows(size, new Object[]{ids, names}, null);
                next += size;
            }
        }
        long total = 1023;
        assertEquals(List.of(List.of(Long.toString(total), Long.toString(total * (total - 1) / 2), "102")),
                query("SELECT count(*), sum(id), count(*) FILTER (WHERE name IS NULL) FROM read_parquet('" + file + "')"));
        assertEquals(List.of(List.of("0")), query("SELECT count(*) FROM read_parquet('" + file
                + "') WHERE name IS DISTINCT FROM (CASE WHEN id % 10 = 3 THEN NULL ELSE 'n' || id END)"));
        // the zero-row group is skipped; the others keep their sizes and order
        assertEquals(List.of(List.of("0", "5"), List.of("1", "1"), List.of("2", "1000"), List.of("3", "17")),
                query("SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('" + file + "') ORDER BY 1"));
        // filters over the min/max statistics of the row groups
        assertEquals(List.of(List.of("23", "1000", "1022")),
                query("SELECT count(*), min(id), max(id) FROM read_parquet('" + file + "') WHERE id >= 1000"));
        assertEquals(List.of(List.of("2", "5", "6")),
                query("SELECT count(*), min(id), max(id) FROM read_parquet('" + file + "') WHERE id BETWEEN 5 AND 6"));
        assertEquals(List.of(List.of(ParquetWriter.CREATED_BY, Long.toString(total), "4")),
                query("SELECT created_by, num_rows, num_row_groups FROM parquet_file_metadata('" + file + "')"));
    }

    @Test
    void largeChunksAreSplitIntoPages() throws Exception {
        int rows = 700_000; // 2.8 MB of INT32, 5.6 MB of DOUBLE, ~7 MB of strings
        int[] id = new int[rows];
        double[] d = new double[rows];
        String[] s = new String[rows];
        boolean[] nulls = new boolean[rows];
        for (int r = 0; r < rows; r++) {
            id[r] = r;
            d[r] = r * 0.5;
            s[r] = r % 1000 < 300 ? null : "value-" + r;
            nulls[r] = r % 11 == 0;
        }
        List<Column> columns = List.of(Column.required("id", Type.INT32), Column.optional("d", Type.DOUBLE),
                Column.optional("s", Type.STRING));
        Path file = write(columns, rows, new Object[]{id, d, s}, new boolean[][]{null, nulls, null});

        assertEquals(List.of(List.of(Integer.toString(rows), Long.toString((long) rows * (rows - 1) / 2))),
                query("SELECT count(*), sum(id) FROM read_parquet('" + file + "')"));
        assertEquals(List.of(List.of("0")), query("SELECT count(*) FROM read_parquet('" + file + "') WHERE "
                + "d IS DISTINCT FROM (CASE WHEN id % 11 = 0 THEN NULL ELSE id * 0.5 END) "
                + "OR s IS DISTINCT FROM (CASE WHEN id % 1000 < 300 THEN NULL ELSE 'value-' || id END)"));

        // walk the pages of each chunk: several pages, each under the target, num_values adding up to the rows
        for (String column : List.of("id", "d", "s")) {
            List<Page> pages = dataPages(file, column);
            assertTrue(pages.size() >= 3, column + " has " + pages.size() + " pages");
            assertEquals(rows, pages.stream().mapToLong(Page::values).sum(), column + ": num_values of the pages");
            for (Page page : pages) {
                assertTrue(page.uncompressedSize() <= ParquetWriter.PAGE_TARGET_BYTES + 64 * 1024,
                        column + ": a page of " + page.uncompressedSize() + " bytes");
            }
        }
    }

    @Test
    void aValueLargerThanAPageGetsAPageOfItsOwn() throws Exception {
        String big = "x".repeat(3 * ParquetWriter.PAGE_TARGET_BYTES);
        String large = "é".repeat(ParquetWriter.PAGE_TARGET_BYTES); // 2 MiB of UTF-8
        String[] s = {big, null, "a", "b", large, null, "c"};
        int[] id = {0, 1, 2, 3, 4, 5, 6};
        Path file = write(List.of(Column.required("id", Type.INT32), Column.optional("s", Type.STRING)), s.length,
                new Object[]{id, s}, null);
        try (Statement st = duckdb.createStatement();
             ResultSet rs = st.executeQuery("SELECT s FROM read_parquet('" + file + "') ORDER BY id")) {
            for (int r = 0; r < s.length; r++) {
                assertTrue(rs.next());
                assertNullableEquals(s[r], rs.getObject(1), "s", r);
            }
            assertFalse(rs.next());
        }
        // a page is cut before the value that would take it over the target, never before the first value
        assertEquals(List.of(2, 2, 2, 1), dataPages(file, "s").stream().map(Page::values).toList());
        assertEquals(List.of(7), dataPages(file, "id").stream().map(Page::values).toList());
    }

    /** A page as its header describes it, with its body after decompression. */
    record Page(int type, int values, int encoding, int uncompressedSize, int compressedSize, byte[] body) {
    }

    /**
     * The data pages of a column's chunks, in file order, read from the page headers that the chunks hold. Checks on
     * the way what a reader relies on: a chunk is its optional dictionary page (at dictionary_page_offset, the
     * chunk's start) followed by its data pages (from data_page_offset), they fill total_compressed_size exactly, and
     * each body decompresses (with the chunk's codec, by the JDK's gzip reader) to uncompressed_page_size bytes,
     * which with the headers add up to total_uncompressed_size.
     */
    private List<Page> dataPages(Path file, String column) throws Exception {
        List<Page> data = new ArrayList<>();
        for (List<Page> chunk : chunks(file, column)) {
            data.addAll(chunk.subList(chunk.getFirst().type() == 2 ? 1 : 0, chunk.size()));
        }
        return data;
    }

    /** The dictionary page of a column's first chunk, or null when it has none. */
    private Page dictionaryPage(Path file, String column) throws Exception {
        Page first = chunks(file, column).getFirst().getFirst();
        return first.type() == 2 ? first : null;
    }

    /** The pages of each chunk of a column, in row group order; see {@link #dataPages}. */
    private List<List<Page>> chunks(Path file, String column) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        List<List<String>> chunks = query("SELECT dictionary_page_offset, data_page_offset, total_compressed_size, "
                + "total_uncompressed_size, compression FROM parquet_metadata('" + file + "') WHERE path_in_schema = '"
                + column + "' ORDER BY row_group_id");
        assertFalse(chunks.isEmpty(), "no chunk of " + column);
        List<List<Page>> result = new ArrayList<>();
        for (List<String> chunk : chunks) {
            boolean dictionary = chunk.get(0) != null;
            long dataPageOffset = Long.parseLong(chunk.get(1));
            long offset = dictionary ? Long.parseLong(chunk.get(0)) : dataPageOffset;
            long end = offset + Long.parseLong(chunk.get(2));
            long uncompressed = 0;
            String codec = chunk.get(4);
            List<Page> pages = new ArrayList<>();
            while (offset < end) {
                if (pages.size() == (dictionary ? 1 : 0)) {
                    assertEquals(dataPageOffset, offset, column + ": data_page_offset is the first data page");
                }
                CompactReader reader = new CompactReader(bytes, (int) offset);
                Map<Integer, Object> header = reader.readStruct();
                int type = (Integer) header.get(1);
                assertEquals(pages.isEmpty() && dictionary ? 2 : 0, type, column + ": DICTIONARY_PAGE first, then DATA_PAGE");
                int uncompressedSize = (Integer) header.get(2);
                int compressedSize = (Integer) header.get(3);
                byte[] stored = java.util.Arrays.copyOfRange(bytes, reader.position(), reader.position() + compressedSize);
                byte[] body = switch (codec) {
                    case "UNCOMPRESSED" -> stored;
                    case "GZIP" -> {
                        try (var gzip = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(stored))) {
                            yield gzip.readAllBytes();
                        }
                    }
                    default -> throw new AssertionError("codec " + codec);
                };
                assertEquals(uncompressedSize, body.length, column + ": uncompressed_page_size");
                @SuppressWarnings("unchecked")
                Map<Integer, Object> pageHeader = (Map<Integer, Object>) header.get(type == 2 ? 7 : 5);
                int values = (Integer) pageHeader.get(1);
                assertTrue(values > 0, column + ": a page of no values");
                pages.add(new Page(type, values, (Integer) pageHeader.get(2), uncompressedSize, compressedSize, body));
                uncompressed += reader.position() - offset + uncompressedSize;
                offset = reader.position() + compressedSize;
            }
            assertEquals(end, offset, column + ": the pages fill the chunk exactly");
            assertEquals(Long.parseLong(chunk.get(3)), uncompressed, column + ": total_uncompressed_size");
            result.add(pages);
        }
        return result;
    }

    @Test
    void aFileWithoutRowGroupsIsValid() throws Exception {
        List<Column> columns = List.of(Column.required("a", Type.INT32), Column.optional("b", Type.STRING),
                Column.optional("c", Type.DOUBLE));
        Path none = dir.resolve("none.parquet");
        try (OutputStream out = Files.newOutputStream(none)) {
            new ParquetWriter(out, columns).close();
        }
        Path zero = dir.resolve("zero.parquet");
        try (OutputStream out = Files.newOutputStream(zero); ParquetWriter writer = new ParquetWriter(out, columns)) {
            writer.writeRows(0, new Object[]{new int[0], new String[0], new double[0]}, null);
        }
        for (Path file : List.of(none, zero)) {
            assertEquals(List.of(List.of("0")), query("SELECT count(*) FROM read_parquet('" + file + "')"));
            assertEquals(List.of(List.of("a", "INTEGER"), List.of("b", "VARCHAR"), List.of("c", "DOUBLE")),
                    query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('" + file + "'))"));
            assertEquals(List.of(List.of("0", "0")),
                    query("SELECT num_rows, num_row_groups FROM parquet_file_metadata('" + file + "')"));
        }
    }

    // ---- compression, dictionaries, row group bounds, key-value metadata ----

    @Test
    void gzipCompressesEveryPageAndIsTheDefault() throws Exception {
        int rows = 60_000;
        int[] id = new int[rows];
        double[] d = new double[rows];
        String[] s = new String[rows];
        boolean[] nulls = new boolean[rows];
        for (int r = 0; r < rows; r++) {
            id[r] = r;
            d[r] = (r % 100) * 0.25;
            s[r] = "value-" + r; // all distinct: PLAIN
            nulls[r] = r % 17 == 0;
        }
        List<Column> columns = List.of(Column.required("id", Type.INT32), Column.optional("d", Type.DOUBLE),
                Column.required("s", Type.STRING));
        Object[] values = {id, d, s};
        boolean[][] nullFlags = {null, nulls, null};
        Path gzip = write(columns, rows, values, nullFlags);
        Path plain = write(columns, rows, values, nullFlags, Options.DEFAULTS.withCodec(Codec.UNCOMPRESSED));

        for (Path file : List.of(gzip, plain)) {
            assertEquals(List.of(List.of(Integer.toString(rows), "0")), query("SELECT count(*), count(*) FILTER (WHERE "
                    + "d IS DISTINCT FROM (CASE WHEN id % 17 = 0 THEN NULL ELSE (id % 100) * 0.25 END) "
                    + "OR s IS DISTINCT FROM 'value-' || id) FROM read_parquet('" + file + "')"));
        }
        Map<String, List<String>> zipped = chunkSizes(gzip);
        Map<String, List<String>> unzipped = chunkSizes(plain);
        for (Column column : columns) {
            String name = column.name();
            assertEquals("GZIP", zipped.get(name).get(0), name);
            assertEquals("UNCOMPRESSED", unzipped.get(name).get(0), name);
            assertEquals(unzipped.get(name).get(1), unzipped.get(name).get(2), name + ": uncompressed = compressed");
            long compressed = Long.parseLong(zipped.get(name).get(1));
            long uncompressed = Long.parseLong(zipped.get(name).get(2));
            assertTrue(compressed * 2 < uncompressed, name + ": " + compressed + " of " + uncompressed + " bytes");
            // the same pages, compressed: each gzip body inflates to the uncompressed file's page
            List<Page> pages = dataPages(gzip, name);
            List<Page> reference = dataPages(plain, name);
            assertEquals(reference.size(), pages.size(), name);
            for (int p = 0; p < pages.size(); p++) {
                assertArrayEquals(reference.get(p).body(), pages.get(p).body(), name + " page " + p);
                assertTrue(pages.get(p).compressedSize() < pages.get(p).uncompressedSize(), name + " page " + p);
            }
        }
        assertTrue(Files.size(gzip) * 2 < Files.size(plain), Files.size(gzip) + " vs " + Files.size(plain) + " bytes");
    }

    /** Per column of a one-row-group file: compression, total_compressed_size, total_uncompressed_size. */
    private static Map<String, List<String>> chunkSizes(Path file) throws SQLException {
        Map<String, List<String>> sizes = new HashMap<>();
        for (List<String> row : query("SELECT path_in_schema, compression, total_compressed_size, total_uncompressed_size "
                + "FROM parquet_metadata('" + file + "')")) {
            sizes.put(row.get(0), row.subList(1, 4));
        }
        return sizes;
    }

    @Test
    void stringsAreDictionaryEncodedWhereItPays() throws Exception {
        int rows = 20_000;
        String[] vocabulary = new String[1000]; // 1000 entries: indices of 10 bits
        for (int v = 0; v < vocabulary.length; v++) {
            vocabulary[v] = v == 0 ? "" : "tok" + v + (v % 7 == 0 ? "é" : "") + (v % 50 == 0 ? " 😀" : "");
        }
        String[] token = new String[rows];
        String[] pair = new String[rows];
        String[] same = new String[rows];
        String[] distinct = new String[rows];
        String[] wide = new String[rows];
        boolean[] nulls = new boolean[rows];
        int[] id = new int[rows];
        for (int r = 0; r < rows; r++) {
            id[r] = r;
            token[r] = vocabulary[(int) ((r * 7919L) % vocabulary.length)];
            pair[r] = r % 3 == 0 ? null : (r / 5) % 2 == 0 ? "a" : "b";
            same[r] = "same";
            distinct[r] = "row-" + r;
            wide[r] = "w".repeat(100) + r % 300; // a 32 KB dictionary: over the bound below
            nulls[r] = r % 11 == 0;
        }
        List<Column> columns = List.of(Column.required("id", Type.INT32), Column.required("token", Type.STRING),
                Column.optional("pair", Type.STRING), Column.optional("same", Type.STRING),
                Column.required("all_distinct", Type.STRING), Column.required("wide", Type.STRING));
        Object[] values = {id, token, pair, same, distinct, wide};
        boolean[][] nullFlags = {null, null, null, nulls, null, null};
        Path file = write(columns, rows, values, nullFlags, Options.DEFAULTS.withDictionaryBytes(16 << 10));

        try (Statement st = duckdb.createStatement();
             ResultSet rs = st.executeQuery("SELECT token, pair, same, all_distinct, wide FROM read_parquet('" + file
                     + "') ORDER BY id")) {
            for (int r = 0; r < rows; r++) {
                assertTrue(rs.next());
                assertEquals(token[r], rs.getString(1), "token row " + r);
                assertNullableEquals(pair[r], rs.getObject(2), "pair", r);
                assertNullableEquals(nulls[r] ? null : same[r], rs.getObject(3), "same", r);
                assertEquals(distinct[r], rs.getString(4), "distinct row " + r);
                assertEquals(wide[r], rs.getString(5), "wide row " + r);
            }
            assertFalse(rs.next());
        }
        Map<String, List<String>> meta = new HashMap<>();
        for (List<String> row : query("SELECT path_in_schema, encodings, dictionary_page_offset IS NOT NULL "
                + "FROM parquet_metadata('" + file + "')")) {
            meta.put(row.get(0), row);
        }
        for (String column : List.of("token", "pair", "same")) {
            assertTrue(meta.get(column).get(1).contains("RLE_DICTIONARY"), column + ": " + meta.get(column));
            assertEquals("true", meta.get(column).get(2), column + " has a dictionary page");
            for (Page page : dataPages(file, column)) {
                assertEquals(8, page.encoding(), column + ": RLE_DICTIONARY data pages");
            }
        }
        for (String column : List.of("id", "all_distinct", "wide")) {
            assertFalse(meta.get(column).get(1).contains("DICTIONARY"), column + ": " + meta.get(column));
            assertEquals("false", meta.get(column).get(2), column + " has no dictionary page");
        }

        // the dictionary page: the distinct values, PLAIN, in order of first appearance
        Page dictionary = dictionaryPage(file, "token");
        assertEquals(0, dictionary.encoding(), "PLAIN");
        List<String> firstSeen = new ArrayList<>(new java.util.LinkedHashSet<>(List.of(token)));
        assertEquals(vocabulary.length, firstSeen.size());
        assertEquals(firstSeen, plainStrings(dictionary.body(), dictionary.values()));
        assertEquals(2, dictionaryPage(file, "pair").values());
        assertEquals(1, dictionaryPage(file, "same").values());
        // a data page: the bit width, then the indices in the hybrid (after the levels of an optional column)
        byte[] tokenPage = dataPages(file, "token").getFirst().body();
        assertEquals(10, tokenPage[0], "bit width of 1000 entries");
        int[] indices = decodeHybrid(java.util.Arrays.copyOfRange(tokenPage, 1, tokenPage.length), rows, 10);
        for (int r = 0; r < rows; r++) {
            assertEquals(token[r], firstSeen.get(indices[r]), "index of row " + r);
        }
        byte[] samePage = dataPages(file, "same").getFirst().body();
        int levels = ByteBuffer.wrap(samePage).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertEquals(1, samePage[4 + levels], "bit width of one entry");

        // all distinct, with a dictionary well under the bound: it would only add the indices, so PLAIN
        String[] unique = new String[200];
        for (int r = 0; r < unique.length; r++) {
            unique[r] = "u" + r;
        }
        Path allDistinct = write(List.of(Column.required("u", Type.STRING)), unique.length, new Object[]{unique}, null);
        assertNull(dictionaryPage(allDistinct, "u"));
        assertEquals(List.of(List.of("200", "200")),
                query("SELECT count(*), count(DISTINCT u) FROM read_parquet('" + allDistinct + "') WHERE u LIKE 'u%'"));

        // no dictionaries at all when told so
        Path none = write(columns, rows, values, nullFlags, Options.DEFAULTS.withDictionaryBytes(0));
        assertEquals(List.of(List.of("0")), query("SELECT count(*) FROM parquet_metadata('" + none
                + "') WHERE dictionary_page_offset IS NOT NULL OR encodings LIKE '%DICTIONARY%'"));
        assertEquals(List.of(List.of(Integer.toString(rows))), query("SELECT count(*) FROM read_parquet('" + none
                + "') a JOIN read_parquet('" + file + "') b ON a.id = b.id AND a.token = b.token "
                + "AND a.pair IS NOT DISTINCT FROM b.pair AND a.same IS NOT DISTINCT FROM b.same"));
    }

    /** The first {@code count} PLAIN BYTE_ARRAY values of {@code body}, as UTF-8 strings. */
    private static List<String> plainStrings(byte[] body, int count) {
        ByteBuffer buffer = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] utf8 = new byte[buffer.getInt()];
            buffer.get(utf8);
            strings.add(new String(utf8, java.nio.charset.StandardCharsets.UTF_8));
        }
        assertFalse(buffer.hasRemaining(), "bytes after the last value");
        return strings;
    }

    @Test
    void rowGroupsAreCutAtTheRowBound() throws Exception {
        int rows = 1000;
        long[] id = new long[rows];
        String[] name = new String[rows];
        for (int r = 0; r < rows; r++) {
            id[r] = r;
            name[r] = r % 13 == 0 ? null : "n" + r % 10;
        }
        Path file = write(List.of(Column.required("id", Type.INT64), Column.optional("name", Type.STRING)), rows,
                new Object[]{id, name}, null, Options.DEFAULTS.withRowGroups(300, Long.MAX_VALUE));
        assertEquals(List.of(List.of(Integer.toString(rows), Long.toString((long) rows * (rows - 1) / 2), "0")),
                query("SELECT count(*), sum(id), count(*) FILTER (WHERE name IS DISTINCT FROM "
                        + "(CASE WHEN id % 13 = 0 THEN NULL ELSE 'n' || id % 10 END)) FROM read_parquet('" + file + "')"));
        assertEquals(List.of(List.of("0", "300", "0", "299"), List.of("1", "300", "300", "599"),
                        List.of("2", "300", "600", "899"), List.of("3", "100", "900", "999")),
                query("SELECT row_group_id, row_group_num_rows, stats_min_value, stats_max_value FROM parquet_metadata('"
                        + file + "') WHERE path_in_schema = 'id' ORDER BY row_group_id"));
        assertEquals(List.of(List.of(Integer.toString(rows), "4")),
                query("SELECT num_rows, num_row_groups FROM parquet_file_metadata('" + file + "')"));
        // every chunk has its own dictionary and null count
        List<List<Page>> chunks = chunks(file, "name");
        assertEquals(4, chunks.size());
        for (List<Page> chunk : chunks) {
            assertEquals(2, chunk.getFirst().type(), "a dictionary page first");
            assertEquals(10, chunk.getFirst().values());
        }
        assertEquals(List.of(List.of("24"), List.of("23"), List.of("23"), List.of("7")),
                query("SELECT stats_null_count FROM parquet_metadata('" + file + "') WHERE path_in_schema = 'name' "
                        + "ORDER BY row_group_id"));
        // a filter that the row groups' statistics answer
        assertEquals(List.of(List.of("100", "900")),
                query("SELECT count(*), min(id) FROM read_parquet('" + file + "') WHERE id >= 900"));
    }

    @Test
    void rowGroupsAreCutAtTheByteBound() throws Exception {
        // every row 20 bytes of values (INT64 8, a string's length 4 and 8 bytes of UTF-8, whatever its characters),
        // but row 100 with 5000 bytes of string: over the bound alone, it gets a row group of its own
        int rows = 200;
        String[] eightBytes = {"abcdefgh", "éééé", "😀😀", "日本ab"};
        long[] id = new long[rows];
        String[] s = new String[rows];
        for (int r = 0; r < rows; r++) {
            id[r] = r;
            s[r] = r == 100 ? "x".repeat(4996) : eightBytes[r % eightBytes.length];
        }
        Path file = write(List.of(Column.required("id", Type.INT64), Column.required("s", Type.STRING)), rows,
                new Object[]{id, s}, null, Options.DEFAULTS.withRowGroups(Integer.MAX_VALUE, 64 * 20 + 10));
        assertEquals(List.of(List.of("64"), List.of("36"), List.of("1"), List.of("64"), List.of("35")),
                query("SELECT row_group_num_rows FROM parquet_metadata('" + file + "') WHERE path_in_schema = 'id' "
                        + "ORDER BY row_group_id"));
        try (Statement st = duckdb.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, s FROM read_parquet('" + file + "') ORDER BY id")) {
            for (int r = 0; r < rows; r++) {
                assertTrue(rs.next());
                assertEquals(r, rs.getLong(1));
                assertEquals(s[r], rs.getString(2), "row " + r);
            }
            assertFalse(rs.next());
        }
    }

    @Test
    void keyValueMetadataIsInTheFooter() throws Exception {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("logitlens.units", "{\"x\":\"nats\"}");
        metadata.put("note", "ünïcode ‖ 😀");
        metadata.put("empty", "");
        Path file = write(List.of(Column.required("x", Type.DOUBLE)), 3, new Object[]{new double[]{1, 2, 3}}, null,
                Options.DEFAULTS.withKeyValueMetadata(metadata));
        assertEquals(List.of(List.of("logitlens.units", "{\"x\":\"nats\"}"), List.of("note", "ünïcode ‖ 😀"),
                        List.of("empty", "")),
                query("SELECT decode(key), decode(value) FROM parquet_kv_metadata('" + file + "')"));
        assertEquals(List.of(List.of("6.0")), query("SELECT sum(x) FROM read_parquet('" + file + "')"));
        Path none = write(List.of(Column.required("x", Type.DOUBLE)), 1, new Object[]{new double[]{1}}, null);
        assertEquals(List.of(List.of("0")), query("SELECT count(*) FROM parquet_kv_metadata('" + none + "')"));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 7, 8, 9, 10, 15, 16, 17, 24, 31, 32})
    void theHybridEncodingRoundTripsEveryBitWidth(int bitWidth) {
        Random random = new Random(bitWidth);
        for (int n : new int[]{0, 1, 7, 8, 9, 63, 64, 65, 511, 512, 513, 1000, 5000}) {
            int[] values = new int[n];
            for (int i = 0; i < n; ) {
                int value = (int) (random.nextLong() & ((1L << bitWidth) - 1));
                int run = random.nextInt(4) == 0 ? 1 + random.nextInt(40) : 1;
                for (int k = 0; k < run && i < n; k++) {
                    values[i++] = value;
                }
            }
            byte[] encoded = ParquetWriter.rleHybrid(values, 0, n, bitWidth);
            assertArrayEquals(values, decodeHybrid(encoded, n, bitWidth), bitWidth + " bits, " + n + " values");
            if (n > 3) {
                assertArrayEquals(java.util.Arrays.copyOfRange(values, 3, n),
                        decodeHybrid(ParquetWriter.rleHybrid(values, 3, n, bitWidth), n - 3, bitWidth), "from 3");
            }
        }
        assertEquals(bitWidth, ParquetWriter.bitWidth(bitWidth == 32 ? -1 : (1 << bitWidth) - 1));
        if (bitWidth > 1) {
            assertEquals(bitWidth, ParquetWriter.bitWidth(1 << (bitWidth - 1)));
        }
    }

    // ---- the API's contract ----

    @Test
    void invalidRowGroupsAreRejectedWithTheColumnName() throws Exception {
        List<Column> columns = List.of(Column.required("req_int", Type.INT32), Column.optional("opt_str", Type.STRING),
                Column.required("req_str", Type.STRING));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ParquetWriter writer = new ParquetWriter(bytes, columns)) {
            int size = bytes.size();
            assertMessage(IllegalArgumentException.class, "req_int", () -> writer.writeRows(2,
                    new Object[]{new long[2], new String[]{"a", "b"}, new String[]{"a", "b"}}, null));
            assertMessage(IllegalArgumentException.class, "req_int", () -> writer.writeRows(2,
                    new Object[]{null, new String[]{"a", "b"}, new String[]{"a", "b"}}, null));
            assertMessage(IllegalArgumentException.class, "opt_str", () -> writer.writeRows(2,
                    new Object[]{new int[2], new Object[]{"a", "b"}, new String[]{"a", "b"}}, null));
            assertMessage(IllegalArgumentException.class, "req_str", () -> writer.writeRows(3,
                    new Object[]{new int[3], new String[3], new String[]{"a", "b"}}, null));
            assertMessage(IllegalArgumentException.class, "req_int", () -> writer.writeRows(2,
                    new Object[]{new int[2], new String[2], new String[]{"a", "b"}}, new boolean[][]{{false, true}, null, null}));
            assertMessage(IllegalArgumentException.class, "req_str", () -> writer.writeRows(2,
                    new Object[]{new int[2], new String[2], new String[]{"a", null}}, null));
            assertMessage(IllegalArgumentException.class, "req_str", () -> writer.writeRows(2,
                    new Object[]{new int[2], new String[2], new String[]{"a", "b"}}, new boolean[][]{null, null, {true, false}}));
            assertMessage(IllegalArgumentException.class, "opt_str", () -> writer.writeRows(2,
                    new Object[]{new int[2], new String[2], new String[]{"a", "b"}}, new boolean[][]{null, {true}, null}));
            assertMessage(IllegalArgumentException.class, "negative", () -> writer.writeRows(-1,
                    new Object[]{new int[2], new String[2], new String[]{"a", "b"}}, null));
            assertMessage(IllegalArgumentException.class, "one array per column", () -> writer.writeRows(2,
                    new Object[]{new int[2], new String[2]}, null));
            assertMessage(IllegalArgumentException.class, "one entry per column", () -> writer.writeRows(2,
                    new Object[]{new int[2], new String[2], new String[]{"a", "b"}}, new boolean[][]{null}));
            assertEquals(size, bytes.size(), "a rejected row group writes nothing");
            // the writer is still usable after a rejected row group
            writer.writeRows(2, new Object[]{new int[]{4, 5}, new String[]{null, "x"}, new String[]{"a", "b"}},
                    new boolean[][]{null, {false, false}, null});
        }
        Path file = dir.resolve("after-errors.parquet");
        Files.write(file, bytes.toByteArray());
        assertEquals(List.of(java.util.Arrays.asList("4", null, "a"), List.of("5", "x", "b")),
                query("SELECT * FROM read_parquet('" + file + "') ORDER BY req_int"));

        assertMessage(IllegalArgumentException.class, "duplicate", () -> new ParquetWriter(new ByteArrayOutputStream(),
                List.of(Column.required("x", Type.INT32), Column.optional("x", Type.FLOAT))));
        assertMessage(IllegalArgumentException.class, "at least one column",
                () -> new ParquetWriter(new ByteArrayOutputStream(), List.of()));
        assertMessage(IllegalArgumentException.class, "empty", () -> Column.required("", Type.INT32));
        assertMessage(IllegalArgumentException.class, "at least one row", () -> Options.DEFAULTS.withRowGroups(0, 1));
        assertMessage(IllegalArgumentException.class, "at least one row", () -> Options.DEFAULTS.withRowGroups(1, 0));
        assertMessage(IllegalArgumentException.class, "negative", () -> Options.DEFAULTS.withDictionaryBytes(-1));
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("k", null);
        assertMessage(NullPointerException.class, "'k'", () -> Options.DEFAULTS.withKeyValueMetadata(nullValue));
    }

    @Test
    void closeWritesTheFooterOnceAndLeavesTheStreamOpen() throws Exception {
        boolean[] closed = {false};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream() {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        ParquetWriter writer = new ParquetWriter(bytes, List.of(Column.required("x", Type.INT32)));
        assertArrayEquals(new byte[]{'P', 'A', 'R', '1'}, bytes.toByteArray(), "the constructor writes the magic");
        writer.writeRows(3, new Object[]{new int[]{1, 2, 3}}, null);
        writer.close();
        int size = bytes.size();
        writer.close();
        assertEquals(size, bytes.size(), "a second close writes nothing");
        assertFalse(closed[0], "the stream stays open");
        byte[] file = bytes.toByteArray();
        assertArrayEquals(new byte[]{'P', 'A', 'R', '1'}, java.util.Arrays.copyOfRange(file, file.length - 4, file.length));
        int footer = ByteBuffer.wrap(file, file.length - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertTrue(footer > 0 && footer < file.length - 12, "footer length " + footer);
        assertMessage(IllegalStateException.class, "closed",
                () -> writer.writeRows(1, new Object[]{new int[]{1}}, null));
    }

    @Test
    void aFailedStreamStopsTheWriter() throws Exception {
        OutputStream failing = new OutputStream() {
            int budget = 40;

            @Override
            public void write(int b) throws IOException {
                if (--budget < 0) {
                    throw new IOException("disk full");
                }
            }
        };
        ParquetWriter writer = new ParquetWriter(failing, List.of(Column.required("x", Type.INT64)));
        assertThrows(IOException.class, () -> writer.writeRows(100, new Object[]{new long[100]}, null));
        assertMessage(IllegalStateException.class, "failed", () -> writer.writeRows(1, new Object[]{new long[1]}, null));
        writer.close();
    }

    // ---- helpers ----

    private Path write(List<Column> columns, int rows, Object[] values, boolean[][] nulls) throws IOException {
        return write(columns, rows, values, nulls, Options.DEFAULTS);
    }

    private Path write(List<Column> columns, int rows, Object[] values, boolean[][] nulls, Options options)
            throws IOException {
        Path file = Files.createTempFile(dir, "t", ".parquet");
        try (OutputStream out = Files.newOutputStream(file);
             ParquetWriter writer = new ParquetWriter(out, columns, options)) {
            writer.writeRows(rows, values, nulls);
        }
        return file;
    }

    /** Runs a query and returns its rows as strings (SQL NULL as Java null, shown as "null" by toString). */
    private static List<List<String>> query(String sql) throws SQLException {
        List<List<String>> rows = new ArrayList<>();
        try (Statement st = duckdb.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>(n);
                for (int c = 1; c <= n; c++) {
                    Object v = rs.getObject(c);
                    row.add(v == null ? null : v.toString());
                }
                rows.add(java.util.Collections.unmodifiableList(row));
            }
        }
        return rows;
    }

    private static void assertNullableEquals(Object expected, Object actual, String column, int row) {
        if (expected == null) {
            assertNull(actual, column + " row " + row + " should be null");
        } else if (expected instanceof Float f) {
            assertEquals(f, ((Number) actual).floatValue(), column + " row " + row);
        } else if (expected instanceof Double d) {
            assertEquals(d, ((Number) actual).doubleValue(), column + " row " + row);
        } else if (expected instanceof Integer i) {
            assertEquals(i, ((Number) actual).intValue(), column + " row " + row);
        } else if (expected instanceof Long l) {
            assertEquals(l, ((Number) actual).longValue(), column + " row " + row);
        } else {
            assertEquals(expected, actual == null ? null : actual.toString(), column + " row " + row);
        }
    }

    private static <T extends Throwable> void assertMessage(Class<T> type, String part,
                                                            org.junit.jupiter.api.function.Executable call) {
        T e = assertThrows(type, call);
        assertTrue(e.getMessage() != null && e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
    }

    private static long count(boolean[] flags) {
        long n = 0;
        for (boolean f : flags) {
            n += f ? 1 : 0;
        }
        return n;
    }

    /** Decodes {@code count} bit-width-1 levels of the RLE/bit-packed hybrid into null flags (level 0 = null). */
    private static boolean[] decodeLevels(byte[] encoded, int count) {
        int[] levels = decodeHybrid(encoded, count, 1);
        boolean[] isNull = new boolean[count];
        for (int i = 0; i < count; i++) {
            isNull[i] = levels[i] == 0;
        }
        return isNull;
    }

    /**
     * Decodes {@code count} values of {@code bitWidth} bits of the RLE/bit-packed hybrid (no length prefix), as the
     * format's encodings document describes it; checks that padding bits are zero and no bytes follow.
     */
    private static int[] decodeHybrid(byte[] encoded, int count, int bitWidth) {
        int[] values = new int[count];
        long mask = (1L << bitWidth) - 1;
        int pos = 0;
        int n = 0;
        while (n < count) {
            long header = 0;
            int shift = 0;
            int b;
            do {
                b = encoded[pos++] & 0xFF;
                header |= (long) (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            if ((header & 1) == 0) {
                long run = header >>> 1;
                long value = 0;
                for (int k = 0; k < (bitWidth + 7) / 8; k++) {
                    value |= (long) (encoded[pos++] & 0xFF) << (8 * k);
                }
                assertEquals(value, value & mask, "RLE value " + value + " wider than " + bitWidth + " bits");
                assertTrue(run > 0 && n + run <= count, "RLE run of " + run + " at value " + n);
                for (long k = 0; k < run; k++) {
                    values[n++] = (int) value;
                }
            } else {
                long groups = header >>> 1;
                for (long k = 0; k < groups * 8; k++) {
                    long value = 0;
                    for (int bit = 0; bit < bitWidth; bit++) {
                        long at = k * bitWidth + bit;
                        value |= (long) ((encoded[pos + (int) (at / 8)] >> (at % 8)) & 1) << bit;
                    }
                    if (n < count) {
                        values[n++] = (int) value;
                    } else {
                        assertEquals(0, value, "padding bits are zero");
                    }
                }
                pos += (int) (groups * bitWidth);
            }
        }
        assertEquals(encoded.length, pos, "no bytes after the last run");
        return values;
    }

    /** Just enough of the Thrift compact protocol to read a page header: structs, ints, binaries, lists. */
    private static final class CompactReader {
        private final byte[] bytes;
        private int pos;

        CompactReader(byte[] bytes, int pos) {
            this.bytes = bytes;
            this.pos = pos;
        }

        int position() {
            return pos;
        }

        Map<Integer, Object> readStruct() {
            Map<Integer, Object> fields = new HashMap<>();
            int last = 0;
            while (true) {
                int b = bytes[pos++] & 0xFF;
                if (b == 0) {
                    return fields;
                }
                int type = b & 0x0F;
                int delta = b >>> 4;
                int id = delta != 0 ? last + delta : (int) unzigzag(varint());
                fields.put(id, value(type));
                last = id;
            }
        }

        private Object value(int type) {
            return switch (type) {
                case 1 -> true;
                case 2 -> false;
                case 3 -> bytes[pos++];
                case 4, 5 -> (int) unzigzag(varint());
                case 6 -> unzigzag(varint());
                case 8 -> {
                    int n = (int) varint();
                    byte[] v = java.util.Arrays.copyOfRange(bytes, pos, pos + n);
                    pos += n;
                    yield v;
                }
                case 9 -> {
                    int h = bytes[pos++] & 0xFF;
                    int n = h >>> 4 == 15 ? (int) varint() : h >>> 4;
                    List<Object> list = new ArrayList<>();
                    for (int k = 0; k < n; k++) {
                        list.add(value(h & 0x0F));
                    }
                    yield list;
                }
                case 12 -> readStruct();
                default -> throw new AssertionError("unexpected compact type " + type + " at " + pos);
            };
        }

        private long varint() {
            long v = 0;
            int shift = 0;
            int b;
            do {
                b = bytes[pos++] & 0xFF;
                v |= (long) (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            return v;
        }

        private static long unzigzag(long v) {
            return (v >>> 1) ^ -(v & 1);
        }
    }
}
