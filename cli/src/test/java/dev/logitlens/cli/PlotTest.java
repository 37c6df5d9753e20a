package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;
import dev.logitlens.tokenizer.TokenTexts;
import dev.logitlens.view.LensFigure;
import dev.logitlens.view.LensView;
import dev.logitlens.view.PlotLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * {@code logitlens plot} end to end: the HTML page rendered by headless Chromium must show every cell, at the
 * pixel where {@link PlotLayout} puts it, in the colour {@link LensView} gives its value; the SVG must be XML with
 * one cell per (layer, position). Chromium is required: the test fails when it is missing (install it with
 * {@code scripts/install-deps.sh}); {@code -Dlogitlens.skipBrowserTests=true} skips the rendering.
 */
class PlotTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 2);
    private static final String IDS = "3,1,4,1,5,9,2,6";
    private static final String FIXTURE_IDS = "2,1,0,2,1,0,0,0,1,1,2";

    @TempDir
    Path dir;

    private Path model(String kind) throws IOException {
        return switch (kind) {
            case "gguf" -> new GgufWriter(TinyGpt2.generate(CONFIG, 21, 4, true)).write(dir.resolve("m.gguf"));
            case "safetensors" -> {
                CanonicalWeights weights = TinyGpt2.generate(CONFIG, 22, 4, false);
                yield new SafetensorsWriter(weights).writeFolder(dir.resolve("hf"));
            }
            case "fixture" -> Fixtures.gptNanoSortModel();
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static int[] ids(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    /** The model kind, then the options of the sublayer lens, the decomposition and the values in the cells. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gguf", "safetensors", "fixture", "gguf --sublayers", "safetensors --decompose --values",
            "fixture --sublayers --values"})
    void htmlRenderedByChromiumShowsEveryCellInItsColourWhereTheLayoutSays(String kindAndOptions) throws Exception {
        List<String> words = List.of(kindAndOptions.split(" "));
        String kind = words.getFirst();
        List<String> options = words.subList(1, words.size());
        Snapshots.Kind rows = options.contains("--sublayers") ? Snapshots.Kind.SUBLAYERS
                : options.contains("--decompose") ? Snapshots.Kind.DECOMPOSED : Snapshots.Kind.LAYERS;
        boolean values = options.contains("--values");
        Path model = model(kind);
        String tokens = kind.equals("fixture") ? FIXTURE_IDS : IDS;
        int[] ids = ids(tokens);
        int start = 1;
        int end = ids.length - 1;
        Path html = dir.resolve("lens.html");
        List<String> args = new ArrayList<>(List.of("plot", "--model", model.toString(), "--tokens", tokens, "--out", html.toString(),
                "--start", Integer.toString(start), "--end", Integer.toString(end), "--title", "plot test"));
        args.addAll(options);
        CliTest.Run run = CliTest.cli(args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("wrote " + html), run.out());
        String page = Files.readString(html);

        // the same figure, from our own run of the lens: where the cells are and what colour each must have
        List<LensView.Spec> specs = List.of(LensView.Spec.of(LensView.Kind.LOGIT), LensView.Spec.of(LensView.Kind.PROB),
                LensView.Spec.of(LensView.Kind.RANK), LensView.Spec.of(LensView.Kind.KL)).stream()
                .map(spec -> spec.withValues(values)).toList();
        PlotLayout layout;
        try (LensModel lensModel = LensModel.open(model)) {
            LensResult lens = lensModel.run(ids, -1, LensOptions.defaults().withTopK(1), rows);
            for (int row = 0; row <= lens.nLayers(); row++) {
                assertTrue(page.contains(">" + lens.snapshots().label(row) + "</div>"), "row label " + lens.snapshots().label(row));
                if (values) { // the cell of (row, start) shows its rank in the rank view, as text
                    String rank = Integer.toString(lens.rankOfFinalTop1(row, start));
                    assertTrue(page.contains("data-view=\"rank-final\" data-layer=\"" + row + "\" data-position=\"" + start + "\""),
                            "the rank view's cell");
                    Matcher cell = Pattern.compile("data-view=\"rank-final\" data-layer=\"" + row + "\" data-position=\"" + start
                            + "\"[^>]*><span>([^<]*)</span>").matcher(page);
                    assertTrue(cell.find(), "the rank cell of row " + row);
                    assertEquals(rank, cell.group(1), "the rank cell of row " + row + " shows the rank");
                }
            }
            LensFigure figure = new LensFigure("positions " + start + "\u2013" + (end - 1) + " of " + ids.length, lens,
                    TokenTexts.forVocabulary(lensModel.config().nVocab()), start, end, specs, false);
            layout = PlotLayout.of("plot test", List.of(figure));
        }
        Matcher size = Pattern.compile("<div class=\"page\" style=\"width:(\\d+)px;height:(\\d+)px\">").matcher(page);
        assertTrue(size.find(), "the page declares its size");
        assertEquals(layout.width(), Integer.parseInt(size.group(1)));
        assertEquals(layout.height(), Integer.parseInt(size.group(2)));

        assumeFalse(Browser.skipped(), Browser.SKIP_PROPERTY + "=true: not rendering");
        BufferedImage image = screenshot(html, layout.width(), layout.height());
        assertEquals(layout.width(), image.getWidth());
        assertEquals(layout.height(), image.getHeight());

        // not blank: many colours, much of it not white
        Set<Integer> colours = new HashSet<>();
        int notWhite = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                if (rgb != 0xffffff) {
                    notWhite++;
                }
            }
        }
        assertTrue(colours.size() > 50, "distinct colours: " + colours.size());
        assertTrue(notWhite > image.getWidth() * image.getHeight() / 10, "non-white pixels: " + notWhite);

        // every cell of every panel, at its probe pixel, in its colour; the darkest and lightest cells differ a lot
        int checked = 0;
        for (PlotLayout.Panel panel : layout.panels()) {
            LensView view = panel.view();
            double lowest = 2;
            double highest = -1;
            for (int layer = 0; layer <= view.nLayers(); layer++) {
                for (int pos = start; pos < end; pos++) {
                    PlotLayout.Point probe = panel.probe(layer, pos);
                    int actual = image.getRGB((int) Math.floor(probe.x()), (int) Math.floor(probe.y())) & 0xffffff;
                    int expected = view.rgb(layer, pos);
                    Browser.assertColourClose(expected, actual, view.spec().shortName() + " layer " + layer + " position " + pos);
                    lowest = Math.min(lowest, view.position(layer, pos));
                    highest = Math.max(highest, view.position(layer, pos));
                    checked++;
                }
            }
            if (view.kind() == LensView.Kind.PROB || view.kind() == LensView.Kind.LOGIT) {
                assertTrue(highest - lowest > 0.3, view.spec().shortName() + ": cells of very different values, "
                        + lowest + " to " + highest);
            }
        }
        assertEquals(4 * (view(layout).nLayers() + 1) * (end - start), checked);
        assertEquals(rows, view(layout).lens().snapshots().kind());
        // the outline legend: a white sample cell outlined in the view's outline colour, in every panel but KL's
        int legends = 0;
        for (PlotLayout.Panel panel : layout.panels()) {
            PlotLayout.Box swatch = panel.legendSwatch();
            if (panel.view().kind() == LensView.Kind.KL) {
                assertEquals(null, swatch, "the KL view outlines no cell");
                continue;
            }
            Browser.assertColourClose(panel.view().outlineRgb(), image.getRGB((int) (swatch.x() + 1), (int) swatch.centreY()) & 0xffffff,
                    panel.view().spec().shortName() + " legend's outline");
            Browser.assertColourClose(0xffffff, image.getRGB((int) swatch.centreX(), (int) swatch.centreY()) & 0xffffff,
                    panel.view().spec().shortName() + " legend's inside");
            legends++;
        }
        assertEquals(3, legends);
        assertEquals(3, page.split(Pattern.quote(PlotLayout.OUTLINE_LEGEND.replace("'", "&#39;")), -1).length - 1,
                "the legend's text, thrice");
        // and a pixel outside every cell is the white page
        PlotLayout.Panel first = layout.panels().getFirst();
        assertEquals(0xffffff, image.getRGB((int) first.gridX() + (int) first.gridWidth() + 8,
                (int) (first.gridY() + first.gridHeight() / 2)) & 0xffffff);
    }

    private static LensView view(PlotLayout layout) {
        return layout.panels().getFirst().view();
    }

    @Test
    void svgHasOneCellPerLayerAndPositionInRange() throws Exception {
        Path svg = dir.resolve("nano.svg");
        CliTest.Run run = CliTest.cli("plot", "--model", Fixtures.gptNanoSortModel().toString(), "--tokens", FIXTURE_IDS,
                "--out", svg.toString(), "--view", "prob", "--start", "2", "--end", "9");
        assertEquals(0, run.exit(), run.err());
        Document doc = parse(svg);
        List<Element> cells = cells(doc);
        assertEquals(4 * 7, cells.size(), "4 layers × positions 2..8");
        Set<String> seen = new HashSet<>();
        for (Element cell : cells) {
            int pos = Integer.parseInt(cell.getAttribute("data-position"));
            assertTrue(pos >= 2 && pos < 9, "position " + pos);
            assertTrue(seen.add(cell.getAttribute("data-layer") + "," + pos), "each cell once");
        }

        Path all = dir.resolve("all.svg");
        assertEquals(0, CliTest.cli("plot", "--model", Fixtures.gptNanoSortModel().toString(), "--tokens", FIXTURE_IDS,
                "--out", all.toString(), "--view", "all", "--compare", "input", "--kl-max", "5").exit());
        assertEquals(4 * 4 * 11, cells(parse(all)).size());
        String text = Files.readString(all);
        assertTrue(text.contains("data-view=\"rank-input\"") && text.contains("data-view=\"kl-input\""));
        assertTrue(text.contains("\u22655"), "the KL cap is on the colour bar");

        Path forced = dir.resolve("picture.out");
        assertEquals(0, CliTest.cli("plot", "--model", Fixtures.gptNanoSortModel().toString(), "--tokens", "0,1",
                "--out", forced.toString(), "--format", "svg", "--view", "kl,rank").exit());
        assertEquals(2 * 4 * 2, cells(parse(forced)).size());
    }

    @Test
    void usageErrorsExitWithTwoAndWriteNothing() throws IOException {
        String model = Fixtures.gptNanoSortModel().toString();
        assertEquals(2, CliTest.cli("plot", "--model", model, "--tokens", "0,1", "--out", dir.resolve("x.png").toString()).exit(),
                "unknown extension without --format");
        assertEquals(2, CliTest.cli("plot", "--model", model, "--tokens", "0,1").exit(), "no --out");
        assertEquals(2, CliTest.cli("plot", "--model", model, "--tokens", "0,1", "--out", dir.resolve("a.svg").toString(),
                "--view", "colour").exit());
        assertEquals(2, CliTest.cli("plot", "--model", model, "--tokens", "0,1", "--out", dir.resolve("a.svg").toString(),
                "--start", "1", "--end", "1").exit());
        assertEquals(2, CliTest.cli("plot", "--model", model, "--tokens", "0,1", "--out", dir.resolve("a.svg").toString(),
                "--kl-max", "-1").exit());
        assertEquals(2, CliTest.cli("plot", "--model", model, "--text", "hello", "--out", dir.resolve("a.svg").toString()).exit(),
                "text needs GPT-2's vocabulary");
        CliTest.Run missingFolder = CliTest.cli("plot", "--model", model, "--tokens", "0,1", "--out", dir.resolve("no/such/a.svg").toString());
        assertEquals(1, missingFolder.exit());
        assertTrue(missingFolder.err().contains("does not exist"), missingFolder.err());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "nothing written");
        }
    }

    private static Document parse(Path svg) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(svg.toFile());
    }

    private static List<Element> cells(Document doc) {
        NodeList rects = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect");
        List<Element> cells = new ArrayList<>();
        for (int i = 0; i < rects.getLength(); i++) {
            Element rect = (Element) rects.item(i);
            if ("cell".equals(rect.getAttribute("class"))) {
                cells.add(rect);
            }
        }
        return cells;
    }

    /** The page as Chromium draws it, {@code width × height} CSS pixels at scale 1. */
    static BufferedImage screenshot(Path html, int width, int height) throws Exception {
        String chromium = Browser.findChromium();
        Path png = html.resolveSibling(html.getFileName() + ".png");
        Path profile = Files.createTempDirectory(html.getParent(), "chromium-profile");
        Path log = html.resolveSibling("chromium.log");
        List<String> command = new ArrayList<>(List.of(chromium));
        command.addAll(Browser.screenshotFlags());
        command.addAll(List.of("--user-data-dir=" + profile, "--window-size=" + width + "," + height, "--screenshot=" + png,
                html.toUri().toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("chromium did not finish within 120 s: " + Files.readString(log));
        }
        if (process.exitValue() != 0 || !Files.exists(png)) {
            fail("chromium failed (exit " + process.exitValue() + "): " + Files.readString(log));
        }
        BufferedImage image = ImageIO.read(png.toFile());
        if (image == null) {
            fail("not a PNG: " + png);
        }
        return image;
    }
}
