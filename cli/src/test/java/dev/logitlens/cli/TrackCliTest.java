package dev.logitlens.cli;

import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.CsvReader;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.ReferenceGpt2;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --track} and {@code --contrast} end to end: the tracked tokens' logit, probability and rank in every cell of
 * {@code run --format json} and {@code csv} against a float64 forward pass and lens ({@link ReferenceGpt2}); the token
 * rule (one token, else a usage error that shows the tokenisation); the contrast and track views; the line plot's
 * points against the same reference.
 */
class TrackCliTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 2);
    private static final int[] TOKENS = {3, 1, 4, 1, 5, 9, 2, 6};
    private static final String IDS = "3,1,4,1,5,9,2,6";

    @TempDir
    Path dir;

    private ReferenceGpt2.Trace reference(CanonicalWeights weights) {
        return new ReferenceGpt2(weights).run(TOKENS);
    }

    /** rank bracket: 1 + #{z > z[x] + slack} ≤ rank ≤ 1 + #{v ≠ x : z[v] > z[x] − slack} (near-ties may go either way). */
    private static void assertRank(double[] z, int token, long rank, String where) {
        double slack = 1e-4;
        int best = 1;
        int worst = 1;
        for (int v = 0; v < z.length; v++) {
            best += z[v] > z[token] + slack ? 1 : 0;
            worst += v != token && z[v] > z[token] - slack ? 1 : 0;
        }
        assertTrue(rank >= best && rank <= worst, where + ": rank " + rank + " outside [" + best + ", " + worst + "]");
    }

    private static double logSumExp(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : z) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }

    @Test
    void trackedTokensInJsonAndCsvMatchTheFloat64Reference() throws IOException {
        CanonicalWeights weights = TinyGpt2.generate(CONFIG, 31, 4, true);
        Path model = new GgufWriter(weights).write(dir.resolve("m.gguf"));
        double[][][] logits = reference(weights).logits(); // [n_layer+1][T][V]
        // --contrast's two tokens come first, then --track's (a repeat is tracked once)
        int[] tracked = {5, 9, 7, 0, 52};
        CliTest.Run json = CliTest.cli("run", "--model", model.toString(), "--tokens", IDS, "--format", "json",
                "--contrast", "5", "9", "--track", "7", "--track", "0", "--track", "52", "--track", "9");
        assertEquals(0, json.exit(), json.err());
        List<Object> layers = Json.asArray(Json.asObject(Json.parse(json.out()), "out").get("layers"), "layers");
        for (int layer = 0; layer <= CONFIG.nLayer(); layer++) {
            List<Object> cells = Json.asArray(layers.get(layer), "layer");
            for (int pos = 0; pos < TOKENS.length; pos++) {
                double[] z = logits[layer][pos];
                double lse = logSumExp(z);
                List<Object> entries = Json.asArray(Json.asObject(cells.get(pos), "cell").get("tracked"), "tracked");
                assertEquals(tracked.length, entries.size());
                for (int i = 0; i < tracked.length; i++) {
                    Map<String, Object> entry = Json.asObject(entries.get(i), "entry");
                    String where = "layer " + layer + " position " + pos + " token " + tracked[i];
                    assertEquals((long) tracked[i], entry.get("id"), where);
                    assertEquals(z[tracked[i]], Json.asDouble(entry.get("logit"), "logit"), 1e-4 * Math.max(1, Math.abs(z[tracked[i]])), where);
                    assertEquals(Math.exp(z[tracked[i]] - lse), Json.asDouble(entry.get("prob"), "prob"), 1e-5, where);
                    assertRank(z, tracked[i], Json.asLong(entry.get("rank"), "rank"), where);
                }
            }
        }

        CliTest.Run csv = CliTest.cli("run", "--model", model.toString(), "--tokens", IDS, "--format", "csv", "--track", "52");
        assertEquals(0, csv.exit(), csv.err());
        List<Map<String, String>> rows = CsvReader.rows(csv.out());
        assertEquals(TOKENS.length * (CONFIG.nLayer() + 1), rows.size());
        for (Map<String, String> row : rows) {
            double[] z = logits[Integer.parseInt(row.get("layer"))][Integer.parseInt(row.get("position"))];
            assertEquals("52", row.get("track1_id"));
            assertEquals(Math.exp(z[52] - logSumExp(z)), Double.parseDouble(row.get("track1_prob")), 1e-5);
            assertEquals(z[52], Double.parseDouble(row.get("track1_logit")), 1e-4 * Math.max(1, Math.abs(z[52])));
            assertRank(z, 52, Long.parseLong(row.get("track1_rank")), "csv");
        }
    }

    /** With --sublayers the tracked tokens follow every row, h1.attn included (the mid-block stream through ln_f). */
    @Test
    void trackedTokensFollowTheSublayerRows() throws IOException {
        CanonicalWeights weights = TinyGpt2.generate(CONFIG, 34, 4, true);
        Path model = new GgufWriter(weights).write(dir.resolve("m.gguf"));
        ReferenceGpt2 reference = new ReferenceGpt2(weights);
        ReferenceGpt2.Trace trace = reference.run(TOKENS);
        CliTest.Run json = CliTest.cli("run", "--model", model.toString(), "--tokens", IDS, "--format", "json", "--sublayers",
                "--track", "7");
        assertEquals(0, json.exit(), json.err());
        Map<String, Object> root = Json.asObject(Json.parse(json.out()), "out");
        assertEquals(List.of("in", "h1.attn", "h1", "h2.attn", "h2"), root.get("rows"));
        List<Object> rows = Json.asArray(root.get("layers"), "rows");
        for (int row = 0; row < rows.size(); row++) {
            for (int pos = 0; pos < TOKENS.length; pos++) {
                double[] z = row % 2 == 1
                        ? reference.unembed(reference.finalNorm(trace.mid()[row / 2][pos], true)) // block row/2 + 1's attention
                        : trace.logits()[row / 2][pos];
                Map<String, Object> entry = Json.asObject(Json.asArray(Json.asObject(Json.asArray(rows.get(row), "row").get(pos),
                        "cell").get("tracked"), "tracked").getFirst(), "entry");
                String where = "row " + row + " position " + pos;
                assertEquals(z[7], Json.asDouble(entry.get("logit"), "logit"), 1e-4 * Math.max(1, Math.abs(z[7])), where);
                assertEquals(Math.exp(z[7] - logSumExp(z)), Json.asDouble(entry.get("prob"), "prob"), 1e-5, where);
                assertRank(z, 7, Json.asLong(entry.get("rank"), "rank"), where);
            }
        }
    }

    @Test
    void theContrastAndTrackViewsPrintTheirValues() throws IOException {
        CanonicalWeights weights = TinyGpt2.generate(CONFIG, 32, 4, true);
        Path model = new GgufWriter(weights).write(dir.resolve("m.gguf"));
        double[][][] logits = reference(weights).logits();
        CliTest.Run contrast = CliTest.cli("run", "--model", model.toString(), "--tokens", IDS, "--contrast", "5", "9",
                "--view", "contrast", "--color", "never");
        assertEquals(0, contrast.exit(), contrast.err());
        List<String> lines = contrast.out().lines().toList();
        // rows from the final layer (line 1) down to the embeddings; each cell logit[5] − logit[9] with 2 decimals
        for (int row = 0; row <= CONFIG.nLayer(); row++) {
            int layer = CONFIG.nLayer() - row;
            String[] cells = lines.get(1 + row).substring(6).trim().split(" +");
            assertEquals(TOKENS.length, cells.length, lines.get(1 + row));
            for (int pos = 0; pos < TOKENS.length; pos++) {
                double expected = logits[layer][pos][5] - logits[layer][pos][9];
                assertEquals(expected, Double.parseDouble(cells[pos].replace("*", "")), 0.0051, "layer " + layer + " position " + pos);
            }
        }
        assertTrue(contrast.out().contains("0 at the centre"), contrast.out());

        CliTest.Run track = CliTest.cli("run", "--model", model.toString(), "--tokens", IDS, "--track", "7", "--track", "8",
                "--view", "track", "--color", "never");
        assertEquals(0, track.exit(), track.err());
        assertEquals(2, track.out().lines().filter(l -> l.startsWith("colour: ")).count(), "one table per tracked token");
        assertTrue(track.out().contains("p('7')") && track.out().contains("p('8')"), track.out());
    }

    @Test
    void theLinePlotPutsEveryPointAtItsReferenceProbability() throws Exception {
        CanonicalWeights weights = TinyGpt2.generate(CONFIG, 33, 4, true);
        Path model = new GgufWriter(weights).write(dir.resolve("m.gguf"));
        double[][][] logits = reference(weights).logits();
        Path svg = dir.resolve("track.svg");
        CliTest.Run run = CliTest.cli("plot", "--model", model.toString(), "--tokens", IDS, "--track", "7", "--track", "0",
                "--view", "track", "--position", "5", "--out", svg.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("line plot of 2 tracked tokens across 3 layers at position 5"), run.out());
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        NodeList circles = factory.newDocumentBuilder().parse(svg.toFile()).getElementsByTagNameNS("http://www.w3.org/2000/svg", "circle");
        assertEquals(2 * (CONFIG.nLayer() + 1), circles.getLength());
        for (int c = 0; c < circles.getLength(); c++) {
            Element point = (Element) circles.item(c);
            int token = Integer.parseInt(point.getAttribute("data-token"));
            double[] z = logits[Integer.parseInt(point.getAttribute("data-layer"))][5];
            double expected = Math.exp(z[token] - logSumExp(z));
            assertEquals(expected, Double.parseDouble(point.getAttribute("data-prob")), 1e-5 * Math.max(1e-3, expected) + 1e-9);
        }
        // the default position is the last; HTML wraps the same SVG
        Path html = dir.resolve("track.html");
        CliTest.Run last = CliTest.cli("plot", "--model", model.toString(), "--tokens", IDS, "--track", "7", "--view", "track",
                "--linear", "--out", html.toString());
        assertEquals(0, last.exit(), last.err());
        assertTrue(last.out().contains("at position 7"), last.out());
        assertTrue(Files.readString(html).contains("(linear scale)"));
    }

    @Test
    void aTrackedTokenMustBeOneTokenAndTheViewsNeedTheirTokens() throws IOException {
        Gpt2Config gpt2Vocabulary = TinyGpt2.config(50257, 16, 8, 2, 1);
        Path gpt2 = new GgufWriter(TinyGpt2.generate(gpt2Vocabulary, 3, 4, true)).write(dir.resolve("g.gguf"));
        CliTest.Run twoTokens = CliTest.cli("run", "--model", gpt2.toString(), "--text", "The capital of France is", "--track", " Paris,");
        assertEquals(2, twoTokens.exit(), twoTokens.out());
        assertTrue(twoTokens.err().contains("--track ' Paris,': a tracked token must be exactly one token, and this text is 2 tokens"
                + " (' Paris' = 6342, ',' = 11)"), twoTokens.err());
        assertEquals(2, CliTest.cli("run", "--model", gpt2.toString(), "--text", "x", "--track", "").exit(), "no token");
        assertEquals(2, CliTest.cli("run", "--model", gpt2.toString(), "--text", "x", "--contrast", " Paris", " Paris").exit(),
                "the same token twice");
        CliTest.Run paris = CliTest.cli("run", "--model", gpt2.toString(), "--text", "The capital of France is", "--track", " Paris",
                "--format", "csv");
        assertEquals(0, paris.exit(), paris.err());
        assertTrue(CsvReader.rows(paris.out()).stream().allMatch(row -> row.get("track1_id").equals("6342")));

        Path small = new GgufWriter(TinyGpt2.generate(CONFIG, 4, 4, true)).write(dir.resolve("s.gguf"));
        CliTest.Run notAnId = CliTest.cli("run", "--model", small.toString(), "--tokens", "1,2", "--track", "abc");
        assertEquals(2, notAnId.exit());
        assertTrue(notAnId.err().contains("give a token id from 0 to 52"), notAnId.err());
        assertEquals(2, CliTest.cli("run", "--model", small.toString(), "--tokens", "1,2", "--track", "53").exit());
        assertEquals(2, CliTest.cli("run", "--model", small.toString(), "--tokens", "1,2", "--view", "track").exit());
        assertEquals(2, CliTest.cli("run", "--model", small.toString(), "--tokens", "1,2", "--track", "3", "--view", "contrast").exit());
        String out = dir.resolve("p.svg").toString();
        assertEquals(2, CliTest.cli("plot", "--model", small.toString(), "--tokens", "1,2", "--track", "3", "--view", "track,logit",
                "--out", out).exit(), "the line plot is drawn on its own");
        assertEquals(2, CliTest.cli("plot", "--model", small.toString(), "--tokens", "1,2", "--view", "track", "--out", out).exit());
        assertEquals(2, CliTest.cli("plot", "--model", small.toString(), "--tokens", "1,2", "--track", "3", "--view", "track",
                "--position", "2", "--out", out).exit(), "position beyond the input");
        assertEquals(2, CliTest.cli("plot", "--model", small.toString(), "--tokens", "1,2", "--position", "1", "--out", out).exit(),
                "--position belongs to the line plot");
        assertEquals(2, CliTest.cli("plot", "--model", small.toString(), "--tokens", "1,2", "--view", "contrast", "--out", out).exit());
        assertEquals(2, CliTest.cli("run", "--model", small.toString(), "--model", small.toString(), "--tokens", "1,2").exit(),
                "one model");
        assertTrue(Files.notExists(Path.of(out)));
    }
}
