package dev.logitlens.cli;

import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.CsvReader;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.ReferenceGpt2;
import dev.logitlens.testing.SafetensorsWriter;
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
 * {@code logitlens compare} end to end against float64 forward passes ({@link ReferenceGpt2}): KL(A ‖ B), JS and the
 * top-1 tokens of every cell, for two inputs of different lengths on one model (aligned at the end) and for one input
 * on two models; the refusals (model and input counts, different vocabularies or depths); the diff heat map's cells.
 */
class CompareCliTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 2);
    private static final int[] A = {3, 1, 4, 1, 5, 9, 2};
    private static final int[] B = {7, 1, 8, 2};

    @TempDir
    Path dir;

    private static String ids(int[] tokens) {
        StringBuilder s = new StringBuilder();
        for (int t : tokens) {
            s.append(s.isEmpty() ? "" : ",").append(t);
        }
        return s.toString();
    }

    /** KL(a ‖ b), JS(a, b) in nats and both argmaxes (lower id on ties) of two logit rows, in double. */
    private static double[] reference(double[] za, double[] zb) {
        double lseA = lse(za);
        double lseB = lse(zb);
        double kl = 0;
        double js = 0;
        for (int v = 0; v < za.length; v++) {
            double pa = Math.exp(za[v] - lseA);
            double pb = Math.exp(zb[v] - lseB);
            double m = (pa + pb) / 2;
            kl += pa * ((za[v] - lseA) - (zb[v] - lseB));
            js += 0.5 * pa * Math.log(pa / m) + 0.5 * pb * Math.log(pb / m);
        }
        return new double[] {kl, js, argmax(za), argmax(zb)};
    }

    private static double lse(double[] z) {
        double max = z[argmax(z)];
        double sum = 0;
        for (double v : z) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }

    private static int argmax(double[] z) {
        int best = 0;
        for (int v = 1; v < z.length; v++) {
            if (z[v] > z[best]) {
                best = v;
            }
        }
        return best;
    }

    private static void assertCells(String json, double[][][] logitsA, double[][][] logitsB, int[] a, int[] b) throws IOException {
        Map<String, Object> root = Json.asObject(Json.parse(json), "out");
        int common = Math.min(a.length, b.length);
        List<Object> cells = Json.asArray(root.get("cells"), "cells");
        assertEquals(common * (CONFIG.nLayer() + 1), cells.size());
        for (Object item : cells) {
            Map<String, Object> cell = Json.asObject(item, "cell");
            int layer = (int) Json.asLong(cell.get("layer"), "layer");
            int posA = (int) Json.asLong(cell.get("position_a"), "a");
            int posB = (int) Json.asLong(cell.get("position_b"), "b");
            assertEquals(a.length - posA, b.length - posB, "aligned at the end");
            double[] expected = reference(logitsA[layer][posA], logitsB[layer][posB]);
            String where = "layer " + layer + " positions " + posA + "/" + posB;
            assertEquals(expected[0], Json.asDouble(cell.get("kl"), "kl"), 1e-4 * Math.max(1, expected[0]), where);
            assertEquals(expected[1], Json.asDouble(cell.get("js"), "js"), 1e-5, where);
            assertEquals((long) expected[2], cell.get("top1_a"), where);
            assertEquals((long) expected[3], cell.get("top1_b"), where);
            assertEquals(expected[2] != expected[3], cell.get("top1_changed"), where);
        }
    }

    @Test
    void twoInputsOnOneModelMatchTheFloat64Reference() throws IOException {
        CanonicalWeights weights = TinyGpt2.generate(CONFIG, 41, 4, true);
        Path model = new GgufWriter(weights).write(dir.resolve("m.gguf"));
        ReferenceGpt2 reference = new ReferenceGpt2(weights);
        CliTest.Run run = CliTest.cli("compare", "--model", model.toString(), "--tokens", ids(A), "--tokens", ids(B), "--format", "json");
        assertEquals(0, run.exit(), run.err());
        assertCells(run.out(), reference.run(A).logits(), reference.run(B).logits(), A, B);
        assertTrue(run.out().contains("aligned at the end: A's positions 3\u20136 with B's 0\u20133"), run.out());

        CliTest.Run table = CliTest.cli("compare", "--model", model.toString(), "--tokens", ids(A), "--tokens", ids(B), "--color", "never");
        assertEquals(0, table.exit(), table.err());
        List<String> lines = table.out().lines().toList();
        assertTrue(lines.get(0).startsWith("A "), table.out());
        assertTrue(lines.get(1).startsWith("h2"), table.out());
        assertTrue(lines.get(3).startsWith("in"), table.out());
        assertTrue(lines.get(4).startsWith("B "), table.out());
        assertTrue(table.out().contains("aligned at the end"), table.out());

        CliTest.Run csv = CliTest.cli("compare", "--model", model.toString(), "--tokens", ids(B), "--tokens", ids(B), "--format", "csv");
        assertEquals(0, csv.exit(), csv.err());
        for (Map<String, String> row : CsvReader.rows(csv.out())) { // an input against itself: no divergence, no change
            assertEquals(0, Double.parseDouble(row.get("kl")), 1e-6);
            assertEquals(0, Double.parseDouble(row.get("js")), 1e-6);
            assertEquals("false", row.get("top1_changed"));
        }
    }

    @Test
    void oneInputOnTwoModelsMatchesTheFloat64ReferenceAndTheHeatMapHasEveryCell() throws Exception {
        CanonicalWeights first = TinyGpt2.generate(CONFIG, 42, 4, true);
        CanonicalWeights second = TinyGpt2.generate(CONFIG, 43, 4, false);
        Path a = new GgufWriter(first).write(dir.resolve("a.gguf"));
        Path b = new SafetensorsWriter(second).writeFolder(dir.resolve("b"));
        Path svg = dir.resolve("diff.svg");
        CliTest.Run run = CliTest.cli("compare", "--model", a.toString(), "--model", b.toString(), "--tokens", ids(A),
                "--format", "json", "--out", svg.toString(), "--view", "kl");
        assertEquals(0, run.exit(), run.err());
        double[][][] logitsA = new ReferenceGpt2(first).run(A).logits();
        double[][][] logitsB = new ReferenceGpt2(second).run(A).logits();
        assertCells(run.out(), logitsA, logitsB, A, A);

        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        NodeList rects = factory.newDocumentBuilder().parse(svg.toFile()).getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect");
        int cells = 0;
        int outlines = 0;
        int changed = 0;
        for (int i = 0; i < rects.getLength(); i++) {
            Element rect = (Element) rects.item(i);
            if (rect.getAttribute("class").equals("cell")) {
                cells++;
                int layer = Integer.parseInt(rect.getAttribute("data-layer"));
                int pos = Integer.parseInt(rect.getAttribute("data-position"));
                double[] expected = reference(logitsA[layer][pos], logitsB[layer][pos]);
                assertEquals(expected[0], Double.parseDouble(rect.getAttribute("data-value")), 1e-4 * Math.max(1, expected[0]));
                changed += expected[2] != expected[3] ? 1 : 0;
            } else if (rect.getAttribute("class").equals("outline")) {
                outlines++;
            }
        }
        assertEquals(A.length * (CONFIG.nLayer() + 1), cells);
        assertEquals(changed, outlines, "one red outline per changed top-1");
        Path html = dir.resolve("diff.html");
        assertEquals(0, CliTest.cli("compare", "--model", a.toString(), "--model", b.toString(), "--tokens", ids(A), "--out",
                html.toString()).exit());
        assertTrue(Files.readString(html).startsWith("<!DOCTYPE html>"));
    }

    @Test
    void refusesWhatCannotBeCompared() throws IOException {
        Path model = new GgufWriter(TinyGpt2.generate(CONFIG, 44, 4, true)).write(dir.resolve("m.gguf"));
        Path otherVocabulary = new GgufWriter(TinyGpt2.generate(TinyGpt2.config(54, 12, 32, 4, 2), 45, 4, true)).write(dir.resolve("v.gguf"));
        Path deeper = new GgufWriter(TinyGpt2.generate(TinyGpt2.config(53, 12, 32, 4, 3), 46, 4, true)).write(dir.resolve("d.gguf"));
        String m = model.toString();
        CliTest.Run vocabulary = CliTest.cli("compare", "--model", m, "--model", otherVocabulary.toString(), "--tokens", "1,2");
        assertEquals(2, vocabulary.exit());
        assertTrue(vocabulary.err().contains("the models' vocabularies differ (53 and 54 tokens)"), vocabulary.err());
        CliTest.Run depth = CliTest.cli("compare", "--model", m, "--model", deeper.toString(), "--tokens", "1,2");
        assertEquals(2, depth.exit());
        assertTrue(depth.err().contains("the models have 2 and 3 layers"), depth.err());
        assertEquals(2, CliTest.cli("compare", "--model", m, "--tokens", "1,2").exit(), "one model needs two inputs");
        assertEquals(2, CliTest.cli("compare", "--model", m, "--model", m, "--tokens", "1,2", "--tokens", "1").exit(),
                "two models take one input");
        assertEquals(2, CliTest.cli("compare", "--model", m, "--model", m, "--model", m, "--tokens", "1").exit());
        assertEquals(2, CliTest.cli("compare", "--tokens", "1", "--tokens", "2").exit(), "no model");
        assertEquals(2, CliTest.cli("compare", "--model", m, "--tokens", "1,53", "--tokens", "1").exit(), "id outside the vocabulary");
        assertEquals(2, CliTest.cli("compare", "--model", m, "--tokens", "1,x", "--tokens", "1").exit());
        assertEquals(2, CliTest.cli("compare", "--model", m, "--text", "a", "--tokens", "1").exit(), "text needs GPT-2's vocabulary");
        assertEquals(2, CliTest.cli("compare", "--model", m, "--tokens", "1", "--tokens", "2", "--out", dir.resolve("x.png").toString()).exit());
        assertEquals(2, CliTest.cli("compare", "--model", m, "--tokens", "1", "--tokens", "2", "--kl-max", "0").exit());
    }
}
