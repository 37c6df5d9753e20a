package dev.logitlens.dump;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.corpus.Corpus;
import dev.logitlens.corpus.Windows;
import dev.logitlens.io.NpyWriter;
import dev.logitlens.io.ParquetWriter;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.table.LensRows;
import dev.logitlens.table.LensRowsFormat;
import dev.logitlens.table.TableColumn;
import dev.logitlens.testing.CsvReader;
import dev.logitlens.testing.FolderBytes;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TableAssertions;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dump end to end on a generated model: every format against the lens of each window, resume, refusal. */
class LensDumpTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 2);
    private static final int[][] DOCUMENTS = documents();

    @TempDir
    static Path shared;

    static LensModel model;
    static Path corpusFile;

    @BeforeAll
    static void open() throws IOException {
        Path file = new GgufWriter(TinyGpt2.generate(CONFIG, 11, 4, true)).write(shared.resolve("m.gguf"));
        model = LensModel.open(file, LensSettings.defaults().withThreads(2));
        corpusFile = Fixtures.writeTokenCorpus(shared.resolve("corpus.jsonl"), DOCUMENTS);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    // The lens of a window here and in the dump can differ by an ulp of exp (the JIT's state differs between the
    // calls), so real-valued statistics are compared to 1e-5; ids, ranks and positions exactly.

    /** Lengths 5, 12 (one full window), 30 (several), 1 (no next token at all), 13. */
    private static int[][] documents() {
        SplittableRandom random = new SplittableRandom(5);
        int[] lengths = {5, 12, 30, 1, 13};
        int[][] documents = new int[lengths.length][];
        for (int d = 0; d < lengths.length; d++) {
            documents[d] = random.ints(lengths[d], 0, CONFIG.nVocab()).toArray();
        }
        return documents;
    }

    private static DumpSettings settings(int window, int stride, int[] layers, int shardDocuments, LensRowsFormat... formats) {
        return new DumpSettings(3, layers, window, stride, false, List.of(formats), shardDocuments, 1_000_000,
                ParquetWriter.Codec.GZIP);
    }

    private static LensDump.Summary dump(Path folder, DumpSettings settings) throws IOException {
        return new LensDump(model, "m.gguf", Corpus.open(corpusFile, "text"), folder, settings).run(DumpProgress.NONE);
    }

    /** All rows of the CSV parts, in part order. */
    private static List<Map<String, String>> csvRows(Path folder) throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path part : files.filter(p -> p.getFileName().toString().matches("part-\\d+\\.csv")).sorted().toList()) {
                rows.addAll(CsvReader.rows(Files.readString(part)));
            }
        }
        return rows;
    }

    @Test
    void everyFormatHoldsTheLensOfEachWindow() throws IOException, SQLException {
        Path folder = shared.resolve("all-formats");
        int window = 8;
        int stride = 5;
        int[] layers = {0, 2};
        LensDump.Summary summary = dump(folder, settings(window, stride, layers, 2,
                LensRowsFormat.CSV, LensRowsFormat.JSONL, LensRowsFormat.PARQUET, LensRowsFormat.NPY));
        assertEquals(5, summary.documents());
        assertEquals(3, summary.shardsWritten());
        int expectedRows = Arrays.stream(DOCUMENTS).mapToInt(d -> d.length * layers.length).sum();
        assertEquals(expectedRows, summary.rowsWritten());

        List<Map<String, String>> rows = csvRows(folder);
        assertEquals(expectedRows, rows.size());
        LensOptions options = LensOptions.defaults().withTopK(3);
        int r = 0;
        for (int d = 0; d < DOCUMENTS.length; d++) {
            int[] tokens = DOCUMENTS[d];
            for (Windows.Window w : Windows.plan(tokens.length, window, stride)) {
                int end = w.start() + w.length();
                int[] windowTokens = Arrays.copyOfRange(tokens, w.start(), end);
                int following = end < tokens.length ? tokens[end] : -1;
                LensResult lens = model.run(windowTokens, following, options);
                for (int p = w.emitFrom(); p < w.length(); p++) {
                    int position = w.start() + p;
                    for (int layer : layers) {
                        Map<String, String> row = rows.get(r++);
                        String where = "doc " + d + " position " + position + " layer " + layer;
                        assertEquals(Integer.toString(d), row.get("doc"), where);
                        assertEquals(Integer.toString(w.index()), row.get("window"), where);
                        assertEquals(Integer.toString(layer), row.get("layer"), where);
                        assertEquals(Integer.toString(position), row.get("position"), where);
                        assertEquals(Integer.toString(p + 1), row.get("context"), where);
                        assertEquals(Integer.toString(tokens[position]), row.get("token_id"), where);
                        assertEquals(Integer.toString(tokens[position]), row.get("token"), where);
                        boolean last = position + 1 == tokens.length;
                        assertEquals(last ? "" : Integer.toString(tokens[position + 1]), row.get("next_id"), where);
                        assertEquals(last ? "" : Integer.toString(lens.rankOfNextToken(layer, p)), row.get("rank_next"), where);
                        if (!last) {
                            assertEquals(lens.logProbOfNextToken(layer, p), Double.parseDouble(row.get("logprob_next")), 1e-5, where);
                        }
                        for (int j = 0; j < 3; j++) {
                            assertEquals(Integer.toString(lens.topTokenId(layer, p, j)), row.get("top" + (j + 1) + "_id"), where);
                            assertEquals(lens.topProb(layer, p, j), Float.parseFloat(row.get("top" + (j + 1) + "_prob")), 1e-6, where);
                            assertEquals(lens.topLogit(layer, p, j), Float.parseFloat(row.get("top" + (j + 1) + "_logit")), where);
                        }
                        assertEquals(Integer.toString(lens.rankOfFinalTop1(layer, p)), row.get("rank_final_top1"), where);
                        assertEquals(Integer.toString(lens.rankOfInputToken(layer, p)), row.get("rank_input"), where);
                        assertEquals(lens.klToFinal(layer, p), Double.parseDouble(row.get("kl_final")), 1e-5, where);
                        assertEquals(lens.klToInput(layer, p), Double.parseDouble(row.get("kl_input")), 1e-5, where);
                        assertEquals(lens.entropy(layer, p), Double.parseDouble(row.get("entropy")), 1e-5, where);
                    }
                }
            }
        }
        assertOtherFormatsAgree(folder, rows);
        List<String> docs = Files.readAllLines(folder.resolve("part-00001.docs.jsonl"));
        assertEquals(2, docs.size());
        Map<String, Object> third = Json.asObject(Json.parse(docs.getFirst()), "doc");
        assertEquals(2L, third.get("doc"));
        assertEquals(30L, third.get("tokens"));
        assertEquals((long) Windows.plan(30, window, stride).size(), third.get("windows"));
        assertEquals(60L, third.get("rows"));
    }

    /** JSONL, NPY and Parquet hold the same rows as CSV. */
    private static void assertOtherFormatsAgree(Path folder, List<Map<String, String>> rows) throws IOException, SQLException {
        List<Object> json = new ArrayList<>();
        List<ByteBuffer> rankNext = new ArrayList<>();
        List<ByteBuffer> topIds = new ArrayList<>();
        List<ByteBuffer> klFinal = new ArrayList<>();
        for (int part = 0; part < 3; part++) {
            String stem = String.format("part-%05d", part);
            for (String line : Files.readAllLines(folder.resolve(stem + ".jsonl"))) {
                json.add(Json.parse(line));
            }
            Path npy = folder.resolve(stem + ".npy");
            assertTrue(Files.isDirectory(npy));
            long rowsInPart = NpyWriter.readShape(npy.resolve("doc.npy"))[0];
            assertEquals(3, NpyWriter.readShape(npy.resolve("top_ids.npy"))[1]);
            assertEquals(rowsInPart, NpyWriter.readShape(npy.resolve("top_ids.npy"))[0]);
            rankNext.add(NpyWriter.readPayload(npy.resolve("rank_next.npy"), "<i4"));
            topIds.add(NpyWriter.readPayload(npy.resolve("top_ids.npy"), "<i4"));
            klFinal.add(NpyWriter.readPayload(npy.resolve("kl_final.npy"), "<f8"));
        }
        assertEquals(rows.size(), json.size());
        int r = 0;
        for (int part = 0; part < 3; part++) {
            while (rankNext.get(part).hasRemaining()) {
                Map<String, String> row = rows.get(r);
                Map<String, Object> object = Json.asObject(json.get(r), "row");
                String next = row.get("rank_next");
                assertEquals(next.isEmpty() ? null : Long.parseLong(next), object.get("rank_next"));
                assertEquals(next.isEmpty() ? -1 : Integer.parseInt(next), rankNext.get(part).getInt());
                Map<String, Object> top2 = Json.asObject(Json.asArray(object.get("top"), "top").get(1), "top2");
                assertEquals(Long.parseLong(row.get("top2_id")), top2.get("id"));
                assertEquals(Double.parseDouble(row.get("kl_final")), Json.asDouble(object.get("kl_final"), "kl"), 0);
                for (int j = 1; j <= 3; j++) {
                    assertEquals(Integer.parseInt(row.get("top" + j + "_id")), topIds.get(part).getInt());
                }
                assertEquals(Double.parseDouble(row.get("kl_final")), klFinal.get(part).getDouble(), 0);
                r++;
            }
        }
        assertEquals(rows.size(), r);

        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement()) {
            String glob = folder.resolve("part-*.parquet").toString().replace("'", "''");
            try (ResultSet result = sql.executeQuery("SELECT count(*), count(rank_next), sum(kl_final), max(top3_token) "
                    + "FROM read_parquet('" + glob + "')")) {
                assertTrue(result.next());
                assertEquals(rows.size(), result.getLong(1));
                assertEquals(rows.stream().filter(row -> !row.get("rank_next").isEmpty()).count(), result.getLong(2));
                double kl = rows.stream().mapToDouble(row -> Double.parseDouble(row.get("kl_final"))).sum();
                assertEquals(kl, result.getDouble(3), 1e-9 * Math.max(1, kl));
            }
            try (ResultSet result = sql.executeQuery("SELECT doc, position, layer, top1_prob, entropy FROM read_parquet('" + glob
                    + "') ORDER BY doc, position, layer")) {
                for (Map<String, String> row : rows) {
                    assertTrue(result.next());
                    assertEquals(Integer.parseInt(row.get("doc")), result.getInt(1));
                    assertEquals(Integer.parseInt(row.get("position")), result.getInt(2));
                    assertEquals(Integer.parseInt(row.get("layer")), result.getInt(3));
                    assertEquals(Float.parseFloat(row.get("top1_prob")), result.getFloat(4));
                    assertEquals(Double.parseDouble(row.get("entropy")), result.getDouble(5));
                }
                assertFalse(result.next());
            }
            // GZIP pages, dictionary-encoded token texts, the units in the footer
            try (ResultSet result = sql.executeQuery("SELECT count(*) FILTER (WHERE compression <> 'GZIP'), "
                    + "count(*) FILTER (WHERE path_in_schema LIKE '%token' AND encodings NOT LIKE '%RLE_DICTIONARY%'), "
                    + "count(*) FILTER (WHERE path_in_schema LIKE '%token') FROM parquet_metadata('" + glob + "')")) {
                assertTrue(result.next());
                assertEquals(0, result.getLong(1), "chunks not GZIP");
                assertEquals(0, result.getLong(2), "token chunks not dictionary-encoded");
                assertEquals(3 * 4, result.getLong(3), "token chunks: 3 shards of token, top1..3_token");
            }
            Map<String, Object> units = new java.util.LinkedHashMap<>();
            for (TableColumn column : LensRows.columns(3)) {
                units.put(column.name(), column.unit());
            }
            try (ResultSet result = sql.executeQuery("SELECT DISTINCT decode(value) FROM parquet_kv_metadata('" + glob
                    + "') WHERE decode(key) = '" + LensRowsFormat.UNITS_KEY + "'")) {
                assertTrue(result.next());
                assertEquals(units, Json.parse(result.getString(1)));
                assertEquals("nats", Json.asObject(Json.parse(result.getString(1)), "units").get("kl_final"));
                assertFalse(result.next(), "the same units in every shard");
            }
        }
    }

    @Test
    void aRerunSkipsTheDoneShardsFinishesTheStagedOneAndRedoesTheRest() throws IOException {
        DumpSettings settings = settings(12, 12, new int[] {0, 1, 2}, 1, LensRowsFormat.CSV, LensRowsFormat.NPY);
        Path whole = shared.resolve("whole");
        assertEquals(5, dump(whole, settings).shardsWritten());
        List<Map<String, String>> expected = csvRows(whole);
        Map<String, byte[]> expectedBytes = FolderBytes.of(whole);

        Path resumed = shared.resolve("resumed");
        dump(resumed, settings);
        // a crash while shard 2 was being published: its CSV is in place, its NPY folder and documents file are still
        // in its staging folder; shard 3 was being written (its staging folder lacks the documents file); shard 4 was
        // never begun; a killed run's lock file and the temporary file of a manifest were left behind
        Path staging2 = Files.createDirectory(resumed.resolve(".part-00002.staging"));
        Files.move(resumed.resolve("part-00002.npy"), staging2.resolve("part-00002.npy"));
        Files.move(resumed.resolve("part-00002.docs.jsonl"), staging2.resolve("part-00002.docs.jsonl"));
        Path staging3 = Files.createDirectory(resumed.resolve(".part-00003.staging"));
        Files.move(resumed.resolve("part-00003.csv"), staging3.resolve("part-00003.csv"));
        Files.writeString(staging3.resolve(".part-00003.docs.jsonl123.partial"), "half");
        FolderBytes.deleteTree(resumed.resolve("part-00003.npy"));
        Files.delete(resumed.resolve("part-00003.docs.jsonl"));
        FolderBytes.deleteTree(resumed.resolve("part-00004.npy"));
        Files.delete(resumed.resolve("part-00004.csv"));
        Files.delete(resumed.resolve("part-00004.docs.jsonl"));
        Files.writeString(resumed.resolve(FolderLock.NAME), "pid 999999999\n");
        Files.writeString(resumed.resolve(".manifest.json4711.partial"), "{\"logitlens");
        int[] documentsSeen = {0};
        LensDump.Summary again = new LensDump(model, "m.gguf", Corpus.open(corpusFile, "text"), resumed, settings)
                .run((done, documents, bytesDone, bytes, tokens) -> documentsSeen[0] = done);
        assertEquals(3, again.documentsSkipped(), "shards 0 and 1, and shard 2 finished from its staging folder");
        assertEquals(2, again.shardsWritten());
        assertEquals(5, documentsSeen[0]);
        TableAssertions.assertSameRows(expected, csvRows(resumed));
        FolderBytes.assertSame(expectedBytes, FolderBytes.of(resumed)); // no staging, temporary or lock file is left

        LensDump.Summary nothingLeft = dump(resumed, settings);
        assertEquals(5, nothingLeft.documentsSkipped());
        assertEquals(0, nothingLeft.shardsWritten());
        FolderBytes.assertSame(expectedBytes, FolderBytes.of(resumed));
    }

    /** One writer per folder: a second dump fails at once naming the holder; a lock whose process is gone is taken over. */
    @Test
    void aLockedFolderIsRefusedAndAStaleLockTakenOver() throws IOException {
        DumpSettings settings = settings(12, 12, new int[] {0, 2}, 2, LensRowsFormat.CSV);
        Path folder = Files.createDirectory(shared.resolve("locked"));
        try (FolderLock held = FolderLock.take(folder)) {
            DumpException e = assertThrows(DumpException.class, () -> dump(folder, settings));
            assertTrue(e.getMessage().contains(folder.toString()) && e.getMessage().contains("another dump")
                    && e.getMessage().contains("(pid " + ProcessHandle.current().pid() + ")"), e.getMessage());
            assertEquals(List.of(FolderLock.NAME), FolderBytes.names(folder), "the refused dump wrote nothing");
        }
        assertEquals(List.of(FolderLock.NAME), FolderBytes.names(folder), "the lock file stays ...");
        assertEquals(0, Files.size(folder.resolve(FolderLock.NAME)), "... emptied of its pid");

        // the lock file of a killed dump, which holds no OS lock any more
        Files.writeString(folder.resolve(FolderLock.NAME), "pid 999999999\n");
        assertEquals(3, dump(folder, settings).shardsWritten());
        assertEquals(0, Files.size(folder.resolve(FolderLock.NAME)));

        // a file of that name that is not a lock file is not emptied
        Path notALock = Files.createDirectory(shared.resolve("not-a-lock"));
        Files.writeString(notALock.resolve(FolderLock.NAME), "my notes\n");
        DumpException e = assertThrows(DumpException.class, () -> dump(notALock, settings));
        assertTrue(e.getMessage().contains("not the lock file"), e.getMessage());
        assertEquals("my notes\n", Files.readString(notALock.resolve(FolderLock.NAME)));
    }

    /** Shards without a manifest, or any file in a folder without one, are not adopted, and nothing there is touched. */
    @Test
    void aFolderThatIsNotADumpIsRefusedAndLeftAsItWas() throws IOException {
        DumpSettings settings = settings(12, 12, new int[] {0, 2}, 2, LensRowsFormat.JSONL);
        Path unrelated = Files.createDirectory(shared.resolve("unrelated"));
        Files.writeString(unrelated.resolve("part-00000.jsonl"), "my own notes\n");
        Path shardsOnly = shared.resolve("shards-only");
        dump(shardsOnly, settings);
        Files.delete(shardsOnly.resolve("manifest.json"));
        Path other = Files.createDirectory(shared.resolve("other-files"));
        Files.writeString(other.resolve("notes.txt"), "x");
        for (Path folder : List.of(unrelated, shardsOnly, other)) {
            Map<String, byte[]> before = FolderBytes.of(folder);
            DumpException e = assertThrows(DumpException.class, () -> dump(folder, settings), folder.toString());
            assertTrue(e.getMessage().contains(folder.toString()) && e.getMessage().contains("not a logitlens dump"), e.getMessage());
            FolderBytes.assertSame(before, FolderBytes.of(folder));
        }

        // what a dump killed before its manifest was in place leaves is no obstacle
        Path killedEarly = Files.createDirectory(shared.resolve("killed-early"));
        Files.writeString(killedEarly.resolve(FolderLock.NAME), "pid 999999999\n");
        Files.writeString(killedEarly.resolve(".manifest.json123.partial"), "{\"logit");
        assertEquals(3, dump(killedEarly, settings).shardsWritten());
        assertEquals(Set.of(FolderLock.NAME, "manifest.json", "part-00000.jsonl", "part-00000.docs.jsonl", "part-00001.jsonl", "part-00001.docs.jsonl",
                "part-00002.jsonl", "part-00002.docs.jsonl"), Set.copyOf(FolderBytes.names(killedEarly)));
    }

    /** Inside a dump folder: a shard made under another manifest, and a part file of no done shard, are refused; nothing is overwritten. */
    @Test
    void shardsNotMadeUnderTheManifestAreRefusedAndNothingIsOverwritten() throws IOException {
        DumpSettings settings = settings(12, 12, new int[] {0, 2}, 2, LensRowsFormat.CSV);
        Path folder = shared.resolve("provenance");
        dump(folder, settings);
        Path docs = folder.resolve("part-00001.docs.jsonl");
        String original = Files.readString(docs);
        String sha256 = (String) Json.asObject(Json.parse(original.lines().findFirst().orElseThrow()), "line").get("manifest_sha256");
        assertEquals(java.util.HexFormat.of().formatHex(sha256(Files.readAllBytes(folder.resolve("manifest.json")))), sha256,
                "a shard records the sha256 of manifest.json");

        Files.writeString(docs, original.replace(sha256, "0".repeat(64)));
        DumpException e = assertThrows(DumpException.class, () -> dump(folder, settings));
        assertTrue(e.getMessage().contains(docs.toString()) && e.getMessage().contains("not made under"), e.getMessage());
        Files.writeString(docs, original.replaceAll(",\"manifest_sha256\":\"[0-9a-f]+\"", ""));
        e = assertThrows(DumpException.class, () -> dump(folder, settings));
        assertTrue(e.getMessage().contains(docs.toString()) && e.getMessage().contains("is missing"), e.getMessage());
        Files.writeString(docs, original);

        // a file under the name of the next shard, which the dump would write: not this dump's
        Files.delete(folder.resolve("part-00002.docs.jsonl"));
        Files.delete(folder.resolve("part-00002.csv"));
        Path foreign = Files.writeString(folder.resolve("part-00002.csv"), "mine");
        Map<String, byte[]> before = FolderBytes.of(folder);
        e = assertThrows(DumpException.class, () -> dump(folder, settings));
        assertTrue(e.getMessage().contains(foreign.toString()) && e.getMessage().contains("not written by this dump"), e.getMessage());
        FolderBytes.assertSame(before, FolderBytes.of(folder));

        // the same, met while finishing a staged shard
        Files.delete(foreign);
        Path staging = Files.createDirectory(folder.resolve(".part-00002.staging"));
        new LensDump(model, "m.gguf", Corpus.open(corpusFile, "text"), shared.resolve("provenance-source"), settings).run(DumpProgress.NONE);
        Files.copy(shared.resolve("provenance-source").resolve("part-00002.csv"), staging.resolve("part-00002.csv"));
        Files.writeString(staging.resolve("part-00002.docs.jsonl"), Files.readString(shared.resolve("provenance-source").resolve("part-00002.docs.jsonl")));
        Files.writeString(foreign, "mine");
        e = assertThrows(DumpException.class, () -> dump(folder, settings));
        assertTrue(e.getMessage().contains(foreign.toString()) && e.getMessage().contains("not written by this dump"), e.getMessage());
        assertEquals("mine", Files.readString(foreign));
        Files.delete(foreign);
        LensDump.Summary finished = dump(folder, settings);
        assertEquals(5, finished.documentsSkipped(), "the staged shard is finished, not redone");
        assertEquals(0, finished.shardsWritten());
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aFolderOfAnotherDumpIsRefused() throws IOException {
        Path folder = shared.resolve("refused");
        dump(folder, settings(12, 12, new int[] {0, 2}, 10, LensRowsFormat.CSV));
        DumpException e = assertThrows(DumpException.class,
                () -> dump(folder, settings(12, 6, new int[] {0, 2}, 10, LensRowsFormat.CSV)));
        assertTrue(e.getMessage().contains("other settings (settings.stride: 12 \u2192 6);"), e.getMessage());

        Path file = Files.writeString(shared.resolve("a-file"), "x");
        assertThrows(DumpException.class, () -> dump(file, settings(12, 12, new int[] {0}, 10, LensRowsFormat.CSV)));
        IllegalArgumentException window = assertThrows(IllegalArgumentException.class,
                () -> dump(shared.resolve("w"), settings(13, 13, new int[] {0}, 10, LensRowsFormat.CSV)));
        assertTrue(window.getMessage().contains("context of 12"), window.getMessage());
        IllegalArgumentException layers = assertThrows(IllegalArgumentException.class,
                () -> dump(shared.resolve("l"), settings(12, 12, new int[] {0, 3}, 10, LensRowsFormat.CSV)));
        assertTrue(layers.getMessage().contains("0..2"), layers.getMessage());
        IOException text = assertThrows(IOException.class, () -> new LensDump(model, "m.gguf",
                Corpus.open(Files.writeString(shared.resolve("t.txt"), "words\n"), "text"), shared.resolve("t"),
                settings(12, 12, new int[] {0}, 10, LensRowsFormat.CSV)).run(DumpProgress.NONE));
        assertTrue(text.getMessage().contains("not GPT-2's"), text.getMessage());
    }
}
