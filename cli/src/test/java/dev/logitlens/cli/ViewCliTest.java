package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.table.LensRows;
import dev.logitlens.table.TableColumn;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import dev.logitlens.view.LensView;
import dev.logitlens.view.LensView.Kind;
import dev.logitlens.view.LensView.Reference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code run}'s views, ranges, layout, colours and CSV; the positional TEXT; {@code demo}. */
class ViewCliTest {

    private static final String IDS = "2,1,0,2,1,0,0,0,1,1,2";
    private static final int[] TOKENS = Arrays.stream(IDS.split(",")).mapToInt(Integer::parseInt).toArray();
    private static final Pattern BACKGROUND = Pattern.compile("\u001b\\[48;2;(\\d+);(\\d+);(\\d+)m");

    @TempDir
    static Path shared;

    private static String fixture;
    private static LensResult lens;
    /** A one-block GPT-2 with GPT-2's vocabulary (d = 8, ≈ 400k parameters) and room for the demo's longest text. */
    private static Path gpt2Vocabulary;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() throws IOException {
        fixture = Fixtures.gptNanoSortModel().toString();
        try (LensModel model = LensModel.open(Fixtures.gptNanoSortModel())) {
            lens = model.run(TOKENS, LensOptions.defaults().withTopK(3).withTrackedTokens(List.of(1, 0))); // as --contrast 1 0
        }
        gpt2Vocabulary = new GgufWriter(TinyGpt2.generate(TinyGpt2.config(Gpt2Tokenizer.VOCAB_SIZE, 512, 8, 2, 1), 5, 4, true))
                .write(shared.resolve("gpt2-vocab.gguf"));
    }

    private static LensView expected(Kind kind, Reference reference, int start, int end) {
        return LensView.of(lens, LensView.Spec.of(kind, reference), start, end);
    }

    /** The colours of a table row's cells, in order. */
    private static List<Integer> backgrounds(String line) {
        List<Integer> colours = new ArrayList<>();
        Matcher m = BACKGROUND.matcher(line);
        while (m.find()) {
            colours.add(Integer.parseInt(m.group(1)) << 16 | Integer.parseInt(m.group(2)) << 8 | Integer.parseInt(m.group(3)));
        }
        return colours;
    }

    /** The cells of an uncoloured table row: after the 6-character label, one space and 9 characters each. */
    private static List<String> cells(String line, int count) {
        List<String> cells = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int from = 6 + i * 10 + 1;
            cells.add(line.substring(from, Math.min(line.length(), from + 9)).strip());
        }
        return cells;
    }

    @Test
    void everyViewAndReferenceColoursTheCellsWithItsScale() {
        for (Kind kind : Kind.values()) {
            for (Reference reference : Reference.values()) {
                CliTest.Run run = CliTest.cli("run", "--model", fixture, "--tokens", IDS, "--color", "always",
                        "--view", kind.cliName(), "--compare", reference.cliName(), "--contrast", "1", "0"); // track, contrast: the first table
                assertEquals(0, run.exit(), run.err());
                List<String> lines = run.out().lines().toList();
                LensView view = expected(kind, reference, 0, TOKENS.length);
                for (int row = 1; row <= 4; row++) {
                    int layer = 4 - row;
                    assertTrue(lines.get(row).startsWith(layer == 0 ? "in" : "h" + layer), lines.get(row));
                    List<Integer> colours = backgrounds(lines.get(row));
                    assertEquals(TOKENS.length, colours.size(), lines.get(row));
                    for (int pos = 0; pos < TOKENS.length; pos++) {
                        int e = view.rgb(layer, pos);
                        int a = colours.get(pos);
                        for (int shift = 0; shift <= 16; shift += 8) {
                            assertTrue(Math.abs((e >> shift & 0xff) - (a >> shift & 0xff)) <= 1,
                                    kind + "/" + reference + " layer " + layer + " pos " + pos + ": " + Integer.toHexString(e)
                                            + " vs " + Integer.toHexString(a));
                        }
                    }
                }
                assertTrue(run.out().contains("colour: " + view.title()), "the legend names the view");
                assertTrue(lines.stream().anyMatch(l -> l.startsWith("scale")), "a colour bar");
            }
        }
        // the views really differ: probability and KL colour the final row differently
        assertFalse(backgrounds(CliTest.cli("run", "--model", fixture, "--tokens", IDS, "--color", "always", "--view", "prob")
                .out().lines().toList().get(1)).equals(backgrounds(CliTest.cli("run", "--model", fixture, "--tokens", IDS,
                "--color", "always", "--view", "kl").out().lines().toList().get(1))));
    }

    @Test
    void colourAlwaysWritesAnsiCodesAndNeverWritesNone() {
        CliTest.Run always = CliTest.cli("run", "--model", fixture, "--tokens", IDS, "--color", "always", "--view", "rank");
        assertTrue(always.out().contains("\u001b[48;2;"), always.out());
        CliTest.Run never = CliTest.cli("run", "--model", fixture, "--tokens", IDS, "--color", "never", "--view", "rank");
        assertEquals(0, never.exit());
        assertFalse(never.out().contains("\u001b"), never.out());
        assertTrue(never.out().contains("[colour off]"));
    }

    @Test
    void cellsShowTopTokensAndStarTheTrueNextToken() {
        CliTest.Run run = CliTest.cli("run", "--model", fixture, "--tokens", IDS, "--color", "never");
        List<String> lines = run.out().lines().toList();
        LensView view = expected(Kind.PROB, Reference.FINAL, 0, TOKENS.length);
        int stars = 0;
        for (int row = 1; row <= 4; row++) {
            int layer = 4 - row;
            List<String> cells = cells(lines.get(row), TOKENS.length);
            for (int pos = 0; pos < TOKENS.length; pos++) {
                String expectedCell = (view.predictsNext(layer, pos) ? "*" : "") + view.labelTokenId(layer, pos);
                assertEquals(expectedCell, cells.get(pos), "layer " + layer + " position " + pos);
                stars += view.predictsNext(layer, pos) ? 1 : 0;
            }
        }
        assertTrue(stars >= 6, "the trained sorter predicts its output: " + stars + " stars");
        assertTrue(lines.get(0).startsWith("next"));
        assertEquals(List.of("1", "0", "2", "1", "*0"), cells(lines.get(0), 5), "true next tokens, * where the final layer has them");
        assertTrue(lines.get(5).startsWith("input"));
        assertEquals(List.of("2", "1", "0"), cells(lines.get(5), 3));
    }

    @Test
    void topDownPutsTheEmbeddingsFirst() {
        List<String> lines = CliTest.cli("run", "--model", fixture, "--tokens", IDS, "--color", "never", "--top-down").out().lines().toList();
        assertTrue(lines.get(0).startsWith("input"), lines.get(0));
        assertTrue(lines.get(1).startsWith("in "), lines.get(1));
        assertTrue(lines.get(2).startsWith("h1"));
        assertTrue(lines.get(4).startsWith("h3"));
        assertTrue(lines.get(5).startsWith("next"));
    }

    @Test
    void startAndEndChooseThePositionsAndAreChecked() {
        CliTest.Run run = CliTest.cli("run", "--model", fixture, "--tokens", IDS, "--color", "never", "--start", "3", "--end", "7");
        assertEquals(0, run.exit(), run.err());
        List<String> lines = run.out().lines().toList();
        LensView view = expected(Kind.PROB, Reference.FINAL, 3, 7);
        List<String> finalRow = cells(lines.get(1), 4);
        for (int i = 0; i < 4; i++) {
            assertEquals((view.predictsNext(3, 3 + i) ? "*" : "") + view.labelTokenId(3, 3 + i), finalRow.get(i));
        }
        assertEquals(6 + 4 * 10, lines.get(1).length(), "a label and four columns of 1 + 9 characters");
        assertEquals(List.of("2", "1", "0", "0"), cells(lines.get(5), 4), "input tokens 3..6");
        assertTrue(run.out().contains("positions 3\u20136"));

        for (String[] range : List.of(new String[] {"7", "7"}, new String[] {"-1", "3"}, new String[] {"0", "12"},
                new String[] {"11", null}, new String[] {null, "0"}, new String[] {"5", "2"})) {
            List<String> args = new ArrayList<>(List.of("run", "--model", fixture, "--tokens", IDS));
            if (range[0] != null) {
                args.addAll(List.of("--start", range[0]));
            }
            if (range[1] != null) {
                args.addAll(List.of("--end", range[1]));
            }
            CliTest.Run bad = CliTest.cli(args.toArray(String[]::new));
            assertEquals(2, bad.exit(), String.join(" ", args) + ": " + bad.err());
            assertTrue(bad.err().contains("0 <= start < end <= 11"), bad.err());
        }
        assertEquals(2, CliTest.cli("run", "--model", fixture, "--tokens", IDS, "--view", "colourful").exit());
        assertEquals(2, CliTest.cli("run", "--model", fixture, "--tokens", IDS, "--compare", "middle").exit());
        assertEquals(2, CliTest.cli("run", "--model", fixture, "--tokens", IDS, "--view", "kl", "--kl-max", "0").exit());
    }

    @Test
    void csvHasTheColumnsAndOneRowPerLayerAndPosition() {
        CliTest.Run run = CliTest.cli("run", "--model", fixture, "--tokens", IDS, "--format", "csv", "-k", "2");
        assertEquals(0, run.exit(), run.err());
        List<String> lines = run.out().lines().toList();
        String header = LensRows.columns(2).stream().map(TableColumn::name).collect(Collectors.joining(","));
        assertEquals(header, lines.getFirst());
        assertTrue(header.startsWith("doc,window,layer,position,"));
        assertTrue(header.contains("top1_id,top1_token,top1_prob,top1_logit,top2_id"));
        assertTrue(header.endsWith("rank_final_top1,rank_next,rank_input,kl_final,kl_input,entropy"));
        assertEquals(1 + 4 * 11, lines.size());

        List<String> ranged = CliTest.cli("run", "--model", fixture, "--tokens", IDS, "--format", "csv", "--start", "2", "--end", "5")
                .out().lines().toList();
        assertEquals(1 + 4 * 3, ranged.size());
        List<String> names = Arrays.asList(ranged.getFirst().split(","));
        int layerColumn = names.indexOf("layer");
        int positionColumn = names.indexOf("position");
        int top1Column = names.indexOf("top1_id");
        for (String row : ranged.subList(1, ranged.size())) {
            String[] fields = row.split(",");
            int layer = Integer.parseInt(fields[layerColumn]);
            int pos = Integer.parseInt(fields[positionColumn]);
            assertTrue(pos >= 2 && pos < 5, row);
            assertEquals(lens.topTokenId(layer, pos, 0), Integer.parseInt(fields[top1Column]), row);
        }
    }

    @Test
    void positionalTextIsOneInputAmongTokensTextAndFile() throws IOException {
        String model = gpt2Vocabulary.toString();
        CliTest.Run text = CliTest.cli("run", "--model", model, "--color", "never", "Hello world");
        assertEquals(0, text.exit(), text.err());
        List<String> lines = text.out().lines().toList();
        assertEquals(List.of("Hello", "\u00b7world"), cells(lines.get(3), 2), "the input row shows the text's two tokens");
        CliTest.Run same = CliTest.cli("run", "--model", model, "--color", "never", "--text", "Hello world");
        assertEquals(text.out(), same.out(), "TEXT is --text");

        Path file = Files.writeString(dir.resolve("in.txt"), "Hello");
        assertEquals(2, CliTest.cli("run", "--model", model, "Hello", "--tokens", "1").exit());
        assertEquals(2, CliTest.cli("run", "--model", model, "Hello", "--text", "world").exit());
        assertEquals(2, CliTest.cli("run", "--model", model, "Hello", "--file", file.toString()).exit());
        assertEquals(2, CliTest.cli("run", "--model", model, "Hello", "world").exit(), "one TEXT only");
        CliTest.Run none = CliTest.cli("run", "--model", model);
        assertEquals(2, none.exit());
        assertTrue(none.err().contains("give exactly one input"), none.err());
        assertEquals(2, CliTest.cli("run", "--model", fixture, "Hello").exit(), "text needs GPT-2's vocabulary");
        assertEquals(0, CliTest.cli("run", "--model", model, "--file", file.toString(), "--color", "never").exit());
    }

    @Test
    void demoNeedsGpt2sVocabulary() {
        Path out = dir.resolve("demo");
        CliTest.Run run = CliTest.cli("demo", "--model", fixture, "--out", out.toString());
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("GPT-2's vocabulary"), run.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void demoRunsAndDrawsThePostsThreeExamples() throws Exception {
        Path out = dir.resolve("pictures");
        CliTest.Run run = CliTest.cli("demo", "--model", gpt2Vocabulary.toString(), "--out", out.toString(), "--color", "never");
        assertEquals(0, run.exit(), run.err());
        assertEquals(5, run.out().lines().filter(l -> l.startsWith("== ")).count(), "two GPT-3 stretches, two plasma ones, one repetition");
        assertTrue(run.out().contains("positions 137\u2013146"), "the post's stretch: ' we train GPT-3, an aut...'");
        for (String name : List.of("gpt3-abstract", "plasma", "repetition")) {
            assertTrue(run.out().contains("wrote " + out.resolve(name + ".html")), run.out());
            assertTrue(Files.size(out.resolve(name + ".html")) > 10_000);
        }
        String gpt3 = Files.readString(out.resolve("gpt3-abstract.html"));
        for (String token : List.of(" we", " train", " G", "PT", " aut", "ore", "gressive", " 175", " billion")) {
            assertTrue(gpt3.contains("&#39;" + token + "&#39;"), "the GPT-3 abstract's token '" + token + "'");
        }
        assertFalse(gpt3.contains("&#39; societal&#39;"), "only the two stretches are drawn");
        String plasma = Files.readString(out.resolve("plasma.html"));
        assertTrue(plasma.contains("&#39; plasma&#39;") && plasma.contains("&#39;Sometimes&#39;") && plasma.contains("&#39; matter&#39;"));
        String repetition = Files.readString(out.resolve("repetition.html"));
        assertTrue(repetition.contains("&#39; love&#39;") && repetition.contains("&#39;I&#39;"));

        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        Document svg = factory.newDocumentBuilder().parse(out.resolve("gpt3-abstract.svg").toFile());
        assertEquals(2 * 6, svg.getElementsByTagNameNS("http://www.w3.org/2000/svg", "g").getLength()
                - 2 * 6 * 2 * 10, "six panels per stretch (the other groups are the cells: 2 layers × 10 positions each)");
        assertTrue(Files.readString(out.resolve("repetition.svg")).contains("data-view=\"kl-input\""));
    }
}
