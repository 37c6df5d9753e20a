package dev.logitlens.dump;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.corpus.Corpus;
import dev.logitlens.corpus.Windows;
import dev.logitlens.io.NpyWriter;
import dev.logitlens.io.ParquetWriter;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.lens.TrackedTokens;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.table.LensRowsFormat;
import dev.logitlens.testing.CsvReader;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.GgufWriter;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dump with tracked tokens: the {@code track<i>_id, _prob, _logit, _rank} columns of every row hold the lens's
 * tracked values of that window (CSV), and JSONL, NPY and Parquet (read back by DuckDB) hold the same; the manifest
 * names the tracked ids, and a folder dumped with other tracked tokens is refused.
 */
class TrackedDumpTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 2);
    private static final List<Integer> TRACKED = List.of(7, 0, 52);
    private static final int[][] DOCUMENTS = {{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9}, {52, 0}, {11}};

    @TempDir
    static Path shared;

    static LensModel model;
    static Path corpusFile;

    @BeforeAll
    static void open() throws IOException {
        Path file = new GgufWriter(TinyGpt2.generate(CONFIG, 12, 4, true)).write(shared.resolve("m.gguf"));
        model = LensModel.open(file, LensSettings.defaults().withThreads(2));
        corpusFile = Fixtures.writeTokenCorpus(shared.resolve("corpus.jsonl"), DOCUMENTS);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static DumpSettings settings(List<Integer> tracked) {
        return new DumpSettings(2, new int[] {0, 1, 2}, 8, 5, false, List.of(LensRowsFormat.CSV, LensRowsFormat.JSONL,
                LensRowsFormat.PARQUET, LensRowsFormat.NPY), 100, 1_000_000, ParquetWriter.Codec.GZIP, Snapshots.Kind.LAYERS, tracked);
    }

    private static void dump(Path folder, List<Integer> tracked) throws IOException {
        new LensDump(model, "m.gguf", Corpus.open(corpusFile, "text"), folder, settings(tracked)).run(DumpProgress.NONE);
    }

    @Test
    void everyFormatHoldsTheTrackedTokensOfEachWindow() throws IOException, SQLException {
        Path folder = shared.resolve("tracked");
        dump(folder, TRACKED);
        List<Map<String, String>> rows = CsvReader.rows(Files.readString(folder.resolve("part-00000.csv")));
        LensOptions options = LensOptions.defaults().withTopK(2).withTrackedTokens(TRACKED);
        int r = 0;
        for (int[] tokens : DOCUMENTS) {
            for (Windows.Window w : Windows.plan(tokens.length, 8, 5)) {
                int end = w.start() + w.length();
                LensResult lens = model.run(Arrays.copyOfRange(tokens, w.start(), end), end < tokens.length ? tokens[end] : -1, options);
                TrackedTokens t = lens.tracked();
                for (int p = w.emitFrom(); p < w.length(); p++) {
                    for (int layer = 0; layer <= 2; layer++) {
                        Map<String, String> row = rows.get(r++);
                        String where = "row " + (r - 1);
                        assertEquals(Integer.toString(layer), row.get("layer"), where);
                        for (int i = 0; i < TRACKED.size(); i++) {
                            String name = "track" + (i + 1);
                            assertEquals(Integer.toString(TRACKED.get(i)), row.get(name + "_id"), where);
                            assertEquals(t.probability(layer, p, i), Float.parseFloat(row.get(name + "_prob")), 1e-6, where);
                            assertEquals(t.logit(layer, p, i), Float.parseFloat(row.get(name + "_logit")), 1e-5, where);
                            assertEquals(Integer.toString(t.rank(layer, p, i)), row.get(name + "_rank"), where);
                        }
                    }
                }
            }
        }
        assertEquals(rows.size(), r);

        // JSONL: the same values under the same names
        List<String> lines = Files.readAllLines(folder.resolve("part-00000.jsonl"));
        assertEquals(rows.size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
            Map<String, Object> object = Json.asObject(Json.parse(lines.get(i)), "row");
            for (int j = 1; j <= TRACKED.size(); j++) {
                assertEquals(Long.parseLong(rows.get(i).get("track" + j + "_rank")), object.get("track" + j + "_rank"));
                assertEquals(Float.parseFloat(rows.get(i).get("track" + j + "_prob")), (float) Json.asDouble(object.get("track" + j + "_prob"), "p"));
            }
        }

        // NPY: [R, n] arrays, tracked token i in column i
        Path npy = folder.resolve("part-00000.npy");
        assertEquals(List.of((long) rows.size(), (long) TRACKED.size()), Arrays.stream(NpyWriter.readShape(npy.resolve("track_probs.npy"))).boxed().toList());
        float[] probs = NpyWriter.readFloat32(npy.resolve("track_probs.npy"));
        ByteBuffer ranks = NpyWriter.readPayload(npy.resolve("track_ranks.npy"), "<i4");
        ByteBuffer ids = NpyWriter.readPayload(npy.resolve("track_ids.npy"), "<i4");
        for (int row = 0; row < rows.size(); row++) {
            for (int i = 0; i < TRACKED.size(); i++) {
                assertEquals(Float.parseFloat(rows.get(row).get("track" + (i + 1) + "_prob")), probs[row * TRACKED.size() + i]);
                assertEquals(Integer.parseInt(rows.get(row).get("track" + (i + 1) + "_rank")), ranks.getInt());
                assertEquals(TRACKED.get(i), ids.getInt());
            }
        }

        // Parquet, read by DuckDB
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement();
             ResultSet result = sql.executeQuery("SELECT track1_id, track2_prob, track3_logit, track1_rank FROM read_parquet('"
                     + folder.resolve("part-00000.parquet").toString().replace("'", "''") + "')")) {
            for (Map<String, String> row : rows) {
                assertTrue(result.next());
                assertEquals(Integer.parseInt(row.get("track1_id")), result.getInt(1));
                assertEquals(Float.parseFloat(row.get("track2_prob")), result.getFloat(2));
                assertEquals(Float.parseFloat(row.get("track3_logit")), result.getFloat(3));
                assertEquals(Integer.parseInt(row.get("track1_rank")), result.getInt(4));
            }
            assertFalse(result.next());
        }

        // the manifest names them; a rerun with other tracked tokens is refused, naming the setting
        Map<String, Object> manifest = Json.asObject(Json.parse(Files.readString(folder.resolve("manifest.json"))), "manifest");
        assertEquals(List.of(7L, 0L, 52L), Json.asObject(manifest.get("settings"), "settings").get("tracked_tokens"));
        DumpException refused = assertThrows(DumpException.class, () -> dump(folder, List.of(7, 0)));
        assertTrue(refused.getMessage().contains("tracked_tokens"), refused.getMessage());
    }

    @Test
    void withoutTrackedTokensTheManifestIsAsBefore() throws IOException {
        Path folder = shared.resolve("untracked");
        dump(folder, List.of());
        String manifest = Files.readString(folder.resolve("manifest.json"));
        assertFalse(manifest.contains("tracked_tokens"), manifest);
        assertFalse(manifest.contains("track1_"), manifest);
        assertFalse(Files.exists(folder.resolve("part-00000.npy").resolve("track_probs.npy")));
    }
}
