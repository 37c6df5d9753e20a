package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.testing.CsvReader;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --sublayers} and {@code --decompose} in {@code run}, {@code dump} and {@code stats} against the API's lens of
 * the same rows (itself tested against a float64 reference in the engine's SublayerLensTest); {@code --values}; and
 * the demo on models whose context is shorter than its examples.
 */
class SublayerCliTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 2);
    private static final String IDS = "3,1,4,1,5,9,2,6";
    private static final int[] TOKENS = Arrays.stream(IDS.split(",")).mapToInt(Integer::parseInt).toArray();

    @TempDir
    static Path shared;

    private static Path model;
    private static LensResult sublayers;
    private static LensResult decomposed;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() throws IOException {
        model = new GgufWriter(TinyGpt2.generate(CONFIG, 31, 4, true)).write(shared.resolve("m.gguf"));
        try (LensModel lens = LensModel.open(model)) {
            sublayers = lens.run(TOKENS, -1, LensOptions.defaults().withTopK(5), Snapshots.Kind.SUBLAYERS);
            decomposed = lens.run(TOKENS, -1, LensOptions.defaults().withTopK(5), Snapshots.Kind.DECOMPOSED);
        }
    }

    @Test
    void runShowsTheSublayerRowsInTheTableJsonAndCsv() throws Exception {
        CliTest.Run table = CliTest.cli("run", "--model", model.toString(), "--tokens", IDS, "--color", "never", "--sublayers");
        assertEquals(0, table.exit(), table.err());
        List<String> lines = table.out().lines().toList();
        List<String> labels = List.of("h2", "h2.attn", "h1", "h1.attn", "in"); // the final row on top
        for (int i = 0; i < labels.size(); i++) {
            String line = lines.get(1 + i);
            List<String> cells = List.of(line.trim().split(" +"));
            assertEquals(labels.get(i), cells.getFirst(), line);
            int row = sublayers.nLayers() - i;
            for (int pos = 0; pos < TOKENS.length; pos++) {
                assertEquals(Integer.toString(sublayers.topTokenId(row, pos, 0)), cells.get(1 + pos).replace("*", ""),
                        labels.get(i) + " position " + pos);
            }
        }
        assertTrue(table.out().contains("rows: in = embeddings, hN.attn = after block N's attention, hN = after block N;"),
                table.out());

        CliTest.Run json = CliTest.cli("run", "--model", model.toString(), "--tokens", IDS, "--format", "json", "--sublayers");
        assertEquals(0, json.exit(), json.err());
        Map<?, ?> root = (Map<?, ?>) Json.parse(json.out());
        assertEquals(List.of("in", "h1.attn", "h1", "h2.attn", "h2"), root.get("rows"));
        List<?> rows = (List<?>) root.get("layers");
        assertEquals(5, rows.size());
        for (int row = 0; row < 5; row++) {
            for (int pos = 0; pos < TOKENS.length; pos++) {
                Map<?, ?> cell = (Map<?, ?>) ((List<?>) rows.get(row)).get(pos);
                assertEquals(sublayers.klToFinal(row, pos), ((Number) cell.get("kl_final")).doubleValue(), 1e-12);
            }
        }
        CliTest.Run plain = CliTest.cli("run", "--model", model.toString(), "--tokens", IDS, "--format", "json");
        assertFalse(((Map<?, ?>) Json.parse(plain.out())).containsKey("rows"), "the layer lens's JSON is as it was");

        CliTest.Run csv = CliTest.cli("run", "--model", model.toString(), "--tokens", IDS, "--format", "csv", "--sublayers");
        assertEquals(0, csv.exit(), csv.err());
        List<List<String>> records = CsvReader.records(csv.out());
        List<String> header = records.getFirst();
        assertEquals(List.of("doc", "window", "layer", "sublayer", "position"), header.subList(0, 5));
        assertEquals(1 + 5 * TOKENS.length, records.size());
        int kl = header.indexOf("kl_final");
        int i = 0;
        for (int pos = 0; pos < TOKENS.length; pos++) {
            for (int row = 0; row < 5; row++) {
                List<String> record = records.get(1 + i++);
                assertEquals(Integer.toString(sublayers.snapshots().layer(row)), record.get(2));
                assertEquals(Integer.toString(sublayers.snapshots().sublayer(row)), record.get(3));
                assertEquals(Integer.toString(pos), record.get(4));
                assertEquals(sublayers.klToFinal(row, pos), Double.parseDouble(record.get(kl)), 1e-12);
            }
        }
        CliTest.Run plainCsv = CliTest.cli("run", "--model", model.toString(), "--tokens", IDS, "--format", "csv");
        assertFalse(plainCsv.out().lines().findFirst().orElseThrow().contains("sublayer"));
    }

    @Test
    void runDecomposesAndPrintsValues() throws Exception {
        CliTest.Run json = CliTest.cli("run", "--model", model.toString(), "--tokens", IDS, "--format", "json", "--decompose");
        assertEquals(0, json.exit(), json.err());
        Map<?, ?> root = (Map<?, ?>) Json.parse(json.out());
        assertEquals(List.of("embed", "attn1", "mlp1", "attn2", "mlp2", "h2"), root.get("rows"));
        List<?> rows = (List<?>) root.get("layers");
        for (int row = 0; row < 6; row++) {
            Map<?, ?> cell = (Map<?, ?>) ((List<?>) rows.get(row)).get(3);
            assertEquals(decomposed.entropy(row, 3), ((Number) cell.get("entropy")).doubleValue(), 1e-12);
        }

        CliTest.Run values = CliTest.cli("run", "--model", model.toString(), "--tokens", IDS, "--color", "never", "--decompose",
                "--view", "rank", "--values");
        assertEquals(0, values.exit(), values.err());
        List<String> lines = values.out().lines().toList();
        for (int i = 0; i < 6; i++) {
            int row = decomposed.nLayers() - i;
            List<String> cells = List.of(lines.get(1 + i).trim().split(" +"));
            assertEquals(decomposed.snapshots().label(row), cells.getFirst());
            for (int pos = 0; pos < TOKENS.length; pos++) {
                assertEquals(Integer.toString(decomposed.rankOfFinalTop1(row, pos)), cells.get(1 + pos).replace("*", ""),
                        "the rank of " + cells.getFirst() + " at " + pos);
            }
        }
        assertTrue(values.out().contains("cells: each cell's value (rank-final)"), values.out());
    }

    @Test
    void sublayersAndDecomposeAreUsageErrorsWhereTheyCannotGo() throws IOException {
        String corpus = Files.writeString(dir.resolve("c.jsonl"), "{\"tokens\": [1, 2, 0]}\n").toString();
        List<List<String>> commands = List.of(
                List.of("run", "-m", model.toString(), "--tokens", IDS, "--sublayers", "--decompose"),
                List.of("plot", "-m", model.toString(), "--tokens", IDS, "--out", dir.resolve("p.svg").toString(), "--sublayers", "--decompose"),
                List.of("dump", "-m", model.toString(), corpus, "--out", dir.resolve("d").toString(), "--decompose"),
                List.of("stats", "-m", model.toString(), corpus, "--decompose"));
        for (List<String> command : commands) {
            CliTest.Run run = CliTest.cli(command.toArray(String[]::new));
            assertEquals(2, run.exit(), command + ": " + run.err());
            assertTrue(run.err().contains("--decompose"), run.err());
        }
        assertFalse(Files.exists(dir.resolve("d")) || Files.exists(dir.resolve("p.svg")), "nothing written");
    }

    @Test
    void dumpAndStatsWithSublayers() throws Exception {
        Path corpus = Files.writeString(dir.resolve("c.jsonl"), "{\"tokens\": [" + IDS + "]}\n");
        Path out = dir.resolve("dump");
        CliTest.Run dump = CliTest.cli("dump", "-m", model.toString(), corpus.toString(), "--out", out.toString(),
                "--format", "csv,npy", "--layers", "0,2", "--sublayers", "--progress", "never");
        assertEquals(0, dump.exit(), dump.err());
        List<List<String>> records = CsvReader.records(Files.readString(out.resolve("part-00000.csv")));
        int[] rows = {0, 3, 4}; // in, h2.attn, h2
        assertEquals(1 + rows.length * TOKENS.length, records.size());
        int kl = records.getFirst().indexOf("kl_final");
        int i = 1;
        for (int pos = 0; pos < TOKENS.length; pos++) {
            for (int row : rows) {
                List<String> record = records.get(i++);
                assertEquals(List.of(Integer.toString(sublayers.snapshots().layer(row)), Integer.toString(sublayers.snapshots().sublayer(row)),
                        Integer.toString(pos)), record.subList(2, 5));
                assertEquals(sublayers.klToFinal(row, pos), Double.parseDouble(record.get(kl)), 1e-12);
            }
        }
        assertTrue(Files.size(out.resolve("part-00000.npy").resolve("sublayer.npy")) > 0);
        assertTrue(Files.readString(out.resolve("manifest.json")).contains("\"sublayers\":true"));
        CliTest.Run mixed = CliTest.cli("dump", "-m", model.toString(), corpus.toString(), "--out", out.toString(),
                "--format", "csv,npy", "--layers", "0,2", "--progress", "never");
        assertEquals(1, mixed.exit());
        assertTrue(mixed.err().contains("settings.sublayers: true \u2192 (none)"), mixed.err());

        CliTest.Run stats = CliTest.cli("stats", "-m", model.toString(), corpus.toString(), "--sublayers", "--format", "json",
                "--progress", "never");
        assertEquals(0, stats.exit(), stats.err());
        List<?> layers = (List<?>) ((Map<?, ?>) Json.parse(stats.out())).get("layers");
        assertEquals(5, layers.size());
        for (int row = 0; row < 5; row++) {
            Map<?, ?> layer = (Map<?, ?>) layers.get(row);
            assertEquals(sublayers.snapshots().label(row), layer.get("label"));
            assertEquals(sublayers.snapshots().sublayer(row), ((Number) layer.get("sublayer")).intValue());
            double mean = Arrays.stream(sublayers.klToFinal(row)).average().orElseThrow();
            assertEquals(mean, ((Number) layer.get("kl_final_nats")).doubleValue(), 1e-9);
        }
        CliTest.Run statsTable = CliTest.cli("stats", "-m", model.toString(), corpus.toString(), "--sublayers", "--progress", "never");
        assertTrue(statsTable.out().lines().anyMatch(line -> line.startsWith("h2.attn ")), statsTable.out());
    }

    @Test
    void demoTruncatesOrSkipsExamplesLongerThanTheContext() throws Exception {
        Path roomy = gpt2Vocabulary(160); // the GPT-3 abstract's stretches end at 157: truncated, drawn
        Path out = dir.resolve("roomy");
        CliTest.Run run = CliTest.cli("demo", "--model", roomy.toString(), "--out", out.toString(), "--color", "never");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("note: the example 'gpt3-abstract' has "), run.err());
        assertTrue(run.err().contains("more than the model's context of 160: it runs on the first 160"), run.err());
        String gpt3 = Files.readString(out.resolve("gpt3-abstract.html"));
        assertTrue(gpt3.contains(">positions 137\u2013146</div>") && gpt3.contains(">positions 147\u2013156</div>"), "the headings");
        assertEquals(2, gpt3.split("GPT-3 abstract \\(two stretches", -1).length - 1, "the example's name: in the page title only");

        Path small = gpt2Vocabulary(16); // only "I love plasma." ×4 (16 tokens) fits
        Path few = dir.resolve("few");
        CliTest.Run skipping = CliTest.cli("demo", "--model", small.toString(), "--out", few.toString(), "--color", "never");
        assertEquals(0, skipping.exit(), skipping.err());
        assertTrue(skipping.err().contains("note: skipped the example 'gpt3-abstract'"), skipping.err());
        assertTrue(skipping.err().contains("note: skipped the example 'plasma'"), skipping.err());
        assertTrue(Files.exists(few.resolve("repetition.html")));
        assertFalse(Files.exists(few.resolve("plasma.html")) || Files.exists(few.resolve("gpt3-abstract.html")));

        CliTest.Run none = CliTest.cli("demo", "--model", gpt2Vocabulary(8).toString(), "--out", dir.resolve("none").toString(),
                "--color", "never");
        assertEquals(1, none.exit());
        assertTrue(none.err().contains("no example fits the model's context of 8 tokens"), none.err());
    }

    /** A one-block model with GPT-2's vocabulary and a context of {@code nCtx} tokens. */
    private Path gpt2Vocabulary(int nCtx) throws IOException {
        return new GgufWriter(TinyGpt2.generate(TinyGpt2.config(Gpt2Tokenizer.VOCAB_SIZE, nCtx, 8, 2, 1), 5, 4, true))
                .write(dir.resolve("gpt2-vocab-" + nCtx + ".gguf"));
    }
}
