package dev.logitlens.view;

import dev.logitlens.lens.LensResult;
import dev.logitlens.view.LensView.Kind;
import dev.logitlens.view.LensView.Reference;
import dev.logitlens.view.LensView.Spec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SVG and HTML of the hand-made lens, with hostile token texts. */
class PlotRenderTest {

    /** Token texts that break naive markup: tags, entities, quotes, control characters, a lone surrogate. */
    static final IntFunction<String> NASTY = id -> switch (id) {
        case 3 -> "<script>alert('x')</script>&amp;\"";
        case 7 -> "\u0000\u0007\n\t]]>";
        case 9 -> "<0xF0>";
        case 11 -> "\uD800 lone";
        case 20 -> "\u001b[31m red";
        default -> "t" + id;
    };

    private static LensResult lens;

    @BeforeAll
    static void build() {
        lens = HandMadeLens.build();
    }

    private static LensFigure figure(List<Spec> views, int start, int end, boolean topDown) {
        return new LensFigure("hand-made <lens> & \"friends\"", lens, NASTY, start, end, views, topDown);
    }

    private static final List<Spec> ALL = List.of(Spec.of(Kind.LOGIT), Spec.of(Kind.PROB), Spec.of(Kind.RANK),
            Spec.of(Kind.KL), Spec.of(Kind.RANK, Reference.INPUT), Spec.of(Kind.KL, Reference.INPUT));

    static Document parseXml(String xml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
    }

    static List<Element> elements(Document doc, String tag, String cssClass) {
        NodeList nodes = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", tag);
        List<Element> found = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            if (cssClass == null || cssClass.equals(e.getAttribute("class"))) {
                found.add(e);
            }
        }
        return found;
    }

    @Test
    void svgIsWellFormedWithOneCellPerLayerAndPositionAndEscapedTokens() throws Exception {
        String svg = SvgPlot.render("page <title>", List.of(figure(ALL, 0, 3, false), figure(List.of(Spec.of(Kind.PROB)), 1, 3, true)));
        Document doc = parseXml(svg);
        assertEquals("svg", doc.getDocumentElement().getLocalName());
        List<Element> cells = elements(doc, "rect", "cell");
        assertEquals(6 * 3 * 3 + 3 * 2, cells.size(), "one rect per (layer, position) per panel");
        assertEquals(7, elements(doc, "g", "panel").size());

        // the escaped texts come back intact (visible escapes for what XML cannot hold)
        String text = doc.getDocumentElement().getTextContent();
        assertTrue(text.contains("'<script>alert('x')</script>&amp;\"'"), "tags and entities are text, not markup");
        assertTrue(text.contains("'\\x00\\x07\\n\\t]]>'"), "control characters become visible escapes");
        assertTrue(text.contains("'<0xF0>'"));
        assertTrue(text.contains("\\uD800 lone"), "a lone surrogate becomes an escape");
        assertTrue(text.contains("'\\x1B[31m red'"));
        assertFalse(svg.contains("\u0000") || svg.contains("\u001b") || svg.contains("\uD800"));
        assertFalse(svg.contains("<script"), "no raw tag from a token");

        // every cell's fill is the view's colour of that cell
        for (Element cell : cells) {
            Element panel = (Element) cell.getParentNode().getParentNode();
            String view = panel.getAttribute("data-view");
            Spec spec = ALL.stream().filter(s -> s.shortName().equals(view)).findFirst().orElseThrow();
            int layer = Integer.parseInt(cell.getAttribute("data-layer"));
            int pos = Integer.parseInt(cell.getAttribute("data-position"));
            int start = panel == panelOf(cells.getLast()) ? 1 : 0;
            LensView lensView = LensView.of(lens, spec, start, 3);
            assertEquals(ColorScale.toHex(lensView.rgb(layer, pos)), cell.getAttribute("fill"), view + " " + layer + "," + pos);
        }
    }

    private static Element panelOf(Element cell) {
        return (Element) cell.getParentNode().getParentNode();
    }

    @Test
    void svgCellsSitWhereTheLayoutSays() throws Exception {
        LensFigure bottomUp = figure(List.of(Spec.of(Kind.PROB)), 0, 3, false);
        LensFigure topDown = figure(List.of(Spec.of(Kind.PROB)), 0, 3, true);
        PlotLayout layout = PlotLayout.of("", List.of(bottomUp, topDown));
        Document doc = parseXml(SvgPlot.render("", List.of(bottomUp, topDown)));
        List<Element> cells = elements(doc, "rect", "cell");
        for (int i = 0; i < cells.size(); i++) {
            Element cell = cells.get(i);
            PlotLayout.Panel panel = layout.panels().get(i < 9 ? 0 : 1);
            PlotLayout.Box box = panel.cell(Integer.parseInt(cell.getAttribute("data-layer")), Integer.parseInt(cell.getAttribute("data-position")));
            assertEquals(box.x(), Double.parseDouble(cell.getAttribute("x")), 0.01);
            assertEquals(box.y(), Double.parseDouble(cell.getAttribute("y")), 0.01);
        }
        // the post's layout: the final layer on top; top-down flips it
        PlotLayout.Panel first = layout.panels().get(0);
        PlotLayout.Panel second = layout.panels().get(1);
        assertTrue(first.cell(2, 0).y() < first.cell(0, 0).y());
        assertTrue(second.cell(2, 0).y() > second.cell(0, 0).y());
        assertTrue(first.cell(0, 1).x() > first.cell(0, 0).x());
        assertEquals(first.cell(0, 0).y() + PlotLayout.CELL_HEIGHT, first.cell(0, 0).y() + first.cell(0, 0).height());
        assertTrue(second.top() >= first.top() + first.height(), "panels do not overlap");
        assertTrue(layout.height() >= second.top() + second.height());
        assertTrue(layout.width() >= first.gridX() + first.gridWidth());
        assertThrows(IndexOutOfBoundsException.class, () -> first.cell(0, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> first.cell(3, 0));
    }

    @Test
    void axesCarryInputTokensBelowAndStarredNextTokensAbove() {
        LensFigure figure = figure(List.of(Spec.of(Kind.PROB)), 0, 3, false);
        LensView view = figure.panels().getFirst();
        List<String> top = PlotLayout.topLabels(figure, view);
        assertTrue(top.get(0).startsWith("(*) "), "the final layer predicts the true next token at position 0: " + top.get(0));
        assertFalse(top.get(1).startsWith("(*)"));
        assertEquals("", top.get(2), "no next token after the last position");
        assertEquals("'\\x1B[31m red'", PlotLayout.bottomLabels(figure, view).get(0));
        LensFigure flipped = figure(List.of(Spec.of(Kind.PROB)), 0, 3, true);
        assertEquals(PlotLayout.bottomLabels(figure, view), PlotLayout.topLabels(flipped, view));
    }

    @Test
    void htmlIsSelfContainedEscapedAndHasHoverDetailsForEveryCell() {
        String html = HtmlPlot.render("page <title>", List.of(figure(ALL, 0, 3, false)));
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertFalse(html.contains("<script"), "no scripts, and no token became a tag");
        assertFalse(html.contains("src=") || html.contains("href=") || html.contains("@import") || html.contains("url("),
                "nothing is loaded from elsewhere");
        assertFalse(html.contains("\u0000") || html.contains("\u001b") || html.contains("\uD800"));
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;&quot;"));
        assertTrue(html.contains("page &lt;title&gt;"));
        Matcher cells = Pattern.compile("<div class=\"c( o)?\" data-view=\"([a-z-]+)\" data-layer=\"(\\d)\" data-position=\"(\\d)\"").matcher(html);
        int count = 0;
        while (cells.find()) {
            count++;
        }
        assertEquals(6 * 9, count, "one box per (layer, position) per view");
        assertEquals(6 * 9, html.split("<div class=\"tip\">", -1).length - 1, "every cell has its hover details");
        // the hover details hold the top-k with probabilities: top-3 at layer 0, position 0 is 3, then fillers
        assertTrue(html.contains("<tr><td class=\"n\">1</td><td>&#39;&lt;script&gt;"), "top-1 listed first");
        assertTrue(html.contains("rank of final top-1 1500"));
        assertTrue(html.contains(".c:hover .tip{display:block}"));
    }

    @Test
    void textHelpersEscapeAndClip() {
        assertEquals("a\\nb\\tc\\x7F\\x85", TokenLabels.visible("a\nb\tc\u007f\u0085"));
        assertEquals("\uD83D\uDE00", TokenLabels.visible("\uD83D\uDE00"), "a surrogate pair is one character, kept");
        assertEquals("\\uDE00", TokenLabels.visible("\uDE00"));
        assertEquals("&lt;&amp;&gt;&quot;&#39;", Markup.escape("<&>\"'"));
        assertEquals("abc…", TokenLabels.clip("abcdefg", 4));
        assertEquals("abcd", TokenLabels.clip("abcd", 4));
        assertEquals("\uD83D\uDE00…", TokenLabels.clip("\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00", 2), "clips whole code points");
        assertEquals("1.5", Markup.num(1.5));
        assertEquals("2", Markup.num(2.0001));
        assertEquals("0.33", Markup.num(1 / 3.0));
    }
}
