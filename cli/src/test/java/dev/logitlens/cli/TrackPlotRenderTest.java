package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.tokenizer.TokenTexts;
import dev.logitlens.view.ColorScale;
import dev.logitlens.view.ComparisonPlot;
import dev.logitlens.view.LensFigure;
import dev.logitlens.view.LensView;
import dev.logitlens.view.PlotLayout;
import dev.logitlens.view.TrackPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The new pictures as headless Chromium draws them (as {@link PlotTest} does for the lens's own): the contrast and
 * track-map heat maps cell by cell where {@link PlotLayout} puts them, the contrast's colours on the right side of 0;
 * the line plot's points in their line's colour; the comparison's cells in the colour of their value and outlined in
 * red where the top-1 changed. Needs Chromium ({@code -Dlogitlens.skipBrowserTests=true} skips the rendering).
 */
class TrackPlotRenderTest {

    private static final String IDS = "2,1,0,2,1,0,0,0,1,1,2";
    private static final int TOLERANCE = 3;

    @TempDir
    Path dir;

    private static int[] ids(String csv) {
        return java.util.Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static int pixel(BufferedImage image, double x, double y) {
        return image.getRGB((int) Math.floor(x), (int) Math.floor(y)) & 0xffffff;
    }

    /** Whether two RGB colours agree within {@link #TOLERANCE} in each channel. */
    private static boolean close(int expected, int actual) {
        for (int shift = 0; shift <= 16; shift += 8) {
            if (Math.abs((expected >> shift & 0xff) - (actual >> shift & 0xff)) > TOLERANCE) {
                return false;
            }
        }
        return true;
    }

    private static void assertClose(int expected, int actual, String what) {
        if (!close(expected, actual)) {
            fail(what + ": expected " + String.format("#%06x", expected) + " but the screenshot has " + String.format("#%06x", actual));
        }
    }

    /** The browser's rendering of an SVG document at its own width and height (skipped without a browser). */
    private static BufferedImage screenshot(Path svg, Document doc) throws Exception {
        Element root = doc.getDocumentElement();
        int width = (int) Math.ceil(Double.parseDouble(root.getAttribute("width")));
        int height = (int) Math.ceil(Double.parseDouble(root.getAttribute("height")));
        assumeFalse(Boolean.getBoolean("logitlens.skipBrowserTests"), "logitlens.skipBrowserTests=true: not rendering");
        return PlotTest.screenshot(svg, width, height);
    }

    private static Document parse(Path svg) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(svg.toFile());
    }

    @Test
    void contrastAndTrackMapsShowEveryCellInItsColour() throws Exception {
        Path model = Fixtures.gptNanoSortModel();
        Path html = dir.resolve("contrast.html");
        CliTest.Run run = CliTest.cli("plot", "--model", model.toString(), "--tokens", IDS, "--contrast", "1", "0", "--track", "2",
                "--view", "contrast,track-map", "--out", html.toString(), "--title", "t");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("2 views"), run.out());
        int[] tokens = ids(IDS);
        PlotLayout layout;
        try (LensModel lensModel = LensModel.open(model)) {
            LensResult lens = lensModel.run(tokens, LensOptions.defaults().withTopK(5).withTrackedTokens(List.of(1, 0, 2)));
            LensFigure figure = new LensFigure("positions 0\u2013" + (tokens.length - 1) + " of " + tokens.length, lens,
                    TokenTexts.forVocabulary(3), 0, tokens.length,
                    List.of(LensView.Spec.of(LensView.Kind.CONTRAST), LensView.Spec.of(LensView.Kind.TRACK)), false);
            layout = PlotLayout.of("t", List.of(figure));
        }
        assertEquals(1 + 3, layout.panels().size(), "the contrast, then one track panel per tracked token");
        assertEquals(null, layout.panels().getFirst().legendSwatch(), "the contrast outlines no cell, so has no outline legend");
        assertTrue(layout.panels().getLast().legendSwatch() != null, "a track map outlines like the probability view");
        assumeFalse(Boolean.getBoolean("logitlens.skipBrowserTests"), "logitlens.skipBrowserTests=true: not rendering");
        BufferedImage image = PlotTest.screenshot(html, layout.width(), layout.height());
        int checked = 0;
        int positive = 0;
        int negative = 0;
        for (PlotLayout.Panel panel : layout.panels()) {
            LensView view = panel.view();
            for (int layer = 0; layer <= view.nLayers(); layer++) {
                for (int pos = 0; pos < tokens.length; pos++) {
                    PlotLayout.Point probe = panel.probe(layer, pos);
                    int actual = pixel(image, probe.x(), probe.y());
                    assertClose(view.rgb(layer, pos), actual, view.title() + " layer " + layer + " position " + pos);
                    checked++;
                    if (view.kind() == LensView.Kind.CONTRAST && Math.abs(view.value(layer, pos)) > 1) {
                        // diverging about 0: the target ahead is blue, the anti-target ahead red
                        int red = actual >> 16 & 0xff;
                        int blue = actual & 0xff;
                        if (view.value(layer, pos) > 0) {
                            assertTrue(blue > red, "a positive difference is blue: " + String.format("#%06x", actual));
                            positive++;
                        } else {
                            assertTrue(red > blue, "a negative difference is red: " + String.format("#%06x", actual));
                            negative++;
                        }
                    }
                }
            }
        }
        assertEquals(4 * 4 * tokens.length, checked);
        assertTrue(positive > 3 && negative > 3, positive + " positive, " + negative + " negative");
        assertEquals(0xf7f7f7, ColorScale.RD_BU.rgb(0.5), "0 sits at the centre's near white");
    }

    @Test
    void theLinePlotsPointsAreDrawnInTheirLinesColour() throws Exception {
        Path svg = dir.resolve("lines.svg");
        CliTest.Run run = CliTest.cli("plot", "--model", Fixtures.gptNanoSortModel().toString(), "--tokens", IDS,
                "--track", "0", "--track", "1", "--track", "2", "--view", "track", "--position", "7", "--out", svg.toString());
        assertEquals(0, run.exit(), run.err());
        Document doc = parse(svg);
        BufferedImage image = screenshot(svg, doc);
        NodeList circles = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "circle");
        assertEquals(3 * 4, circles.getLength());
        int seen = 0;
        for (int c = 0; c < circles.getLength(); c++) {
            Element point = (Element) circles.item(c);
            int token = Integer.parseInt(point.getAttribute("data-token"));
            int expected = Integer.parseInt(point.getAttribute("fill").substring(1), 16);
            assertEquals(TrackPlot.COLOURS[token], expected, "token i's line takes colour i (tracked in id order here)");
            int actual = pixel(image, Double.parseDouble(point.getAttribute("cx")), Double.parseDouble(point.getAttribute("cy")));
            // points of different lines may overlap (equal probabilities): the one drawn last shows
            boolean anyLine = false;
            for (int colour : new int[] {TrackPlot.COLOURS[0], TrackPlot.COLOURS[1], TrackPlot.COLOURS[2]}) {
                anyLine |= close(colour, actual);
            }
            assertTrue(anyLine, "point " + c + " is drawn in a line's colour, not " + String.format("#%06x", actual));
            seen += actual == expected ? 1 : 0;
        }
        assertTrue(seen >= 8, "most points show their own colour: " + seen);
    }

    @Test
    void theDiffHeatMapShowsEveryCellInTheColourOfItsValue() throws Exception {
        Path svg = dir.resolve("diff.svg");
        CliTest.Run run = CliTest.cli("compare", "--model", Fixtures.gptNanoSortModel().toString(), "--tokens", IDS,
                "--tokens", "1,0,2,2,1,0,0,0,1", "--out", svg.toString(), "--color", "never");
        assertEquals(0, run.exit(), run.err());
        Document doc = parse(svg);
        BufferedImage image = screenshot(svg, doc);
        NodeList rects = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect");
        int cells = 0;
        int outlined = 0;
        for (int i = 0; i < rects.getLength(); i++) {
            Element rect = (Element) rects.item(i);
            double x = Double.parseDouble(rect.getAttribute("x"));
            double y = Double.parseDouble(rect.getAttribute("y"));
            if (rect.getAttribute("class").equals("cell")) {
                double js = Double.parseDouble(rect.getAttribute("data-value"));
                int expected = ComparisonPlot.colorScale().rgb(Math.max(js, 0) / Math.log(2));
                assertClose(expected, pixel(image, x + PlotLayout.CELL_WIDTH / 2, y + 5), "cell " + rect.getAttribute("data-layer")
                        + "," + rect.getAttribute("data-position"));
                cells++;
            } else if (rect.getAttribute("class").equals("outline")) {
                assertClose(ComparisonPlot.CHANGED_RGB, pixel(image, x + 1, y + 8), "outline");
                outlined++;
            }
        }
        assertEquals(4 * 9, cells);
        assertTrue(outlined > 0, "some top-1 tokens changed");
    }
}
