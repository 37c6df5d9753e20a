package dev.logitlens.dump;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.corpus.Corpus;
import dev.logitlens.io.ParquetWriter;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.table.LensRowsFormat;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A dump of the sublayer lens in Parquet, read back by DuckDB: the rows named by (layer, sublayer) are the API's. */
class SublayerDumpTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 3);
    private static final int[] DOCUMENT = {4, 8, 15, 16, 23, 42, 7};

    @TempDir
    Path dir;

    @Test
    void parquetRowsAreIdentifiedByLayerAndSublayer() throws Exception {
        Path file = new GgufWriter(TinyGpt2.generate(CONFIG, 13, 4, true)).write(dir.resolve("m.gguf"));
        Path corpus = Files.writeString(dir.resolve("c.jsonl"), "{\"tokens\": [4, 8, 15, 16, 23, 42, 7]}\n");
        int[] layers = {0, 2, 3};
        try (LensModel model = LensModel.open(file, LensSettings.defaults().withThreads(2))) {
            LensResult lens = model.run(DOCUMENT, -1, LensOptions.defaults().withTopK(2), Snapshots.Kind.SUBLAYERS);
            DumpSettings settings = new DumpSettings(2, layers, 12, 12, false, List.of(LensRowsFormat.PARQUET), 10, 1_000_000,
                    ParquetWriter.Codec.GZIP, Snapshots.Kind.SUBLAYERS);
            Path folder = dir.resolve("dump");
            new LensDump(model, "m.gguf", Corpus.open(corpus, "text"), folder, settings).run(DumpProgress.NONE);
            int[] rows = lens.snapshots().rowsOfLayers(layers); // in, h2.attn, h2, h3.attn, h3
            assertEquals(5, rows.length);
            try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement();
                 ResultSet result = sql.executeQuery("SELECT position, layer, sublayer, top1_id, kl_final, kl_input FROM read_parquet('"
                         + folder.resolve("part-*.parquet").toString().replace("'", "''") + "') ORDER BY position, layer, sublayer")) {
                for (int pos = 0; pos < DOCUMENT.length; pos++) {
                    for (int row : rows) {
                        assertTrue(result.next());
                        String where = lens.snapshots().label(row) + " at " + pos;
                        assertEquals(pos, result.getInt(1), where);
                        assertEquals(lens.snapshots().layer(row), result.getInt(2), where);
                        assertEquals(lens.snapshots().sublayer(row), result.getInt(3), where);
                        assertEquals(lens.topTokenId(row, pos, 0), result.getInt(4), where);
                        assertEquals(lens.klToFinal(row, pos), result.getDouble(5), 1e-5, where);
                        assertEquals(lens.klToInput(row, pos), result.getDouble(6), 1e-5, where);
                    }
                }
                assertFalse(result.next());
            }
            assertTrue(Files.readString(folder.resolve("manifest.json")).contains("\"sublayers\":true"));
            DumpSettings layerLens = new DumpSettings(2, layers, 12, 12, false, List.of(LensRowsFormat.PARQUET), 10, 1_000_000,
                    ParquetWriter.Codec.GZIP);
            DumpException mixed = assertThrows(DumpException.class, () ->
                    new LensDump(model, "m.gguf", Corpus.open(corpus, "text"), folder, layerLens).run(DumpProgress.NONE));
            assertTrue(mixed.getMessage().contains("settings.sublayers: true \u2192 (none)"), mixed.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new DumpSettings(2, layers, 12, 12, false,
                List.of(LensRowsFormat.PARQUET), 10, 1_000_000, ParquetWriter.Codec.GZIP, Snapshots.Kind.DECOMPOSED));
    }
}
