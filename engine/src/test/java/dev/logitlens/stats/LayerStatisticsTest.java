package dev.logitlens.stats;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.lens.LensCell;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-layer means against sums computed here from the full distributions of every cell. */
class LayerStatisticsTest {

    @TempDir
    Path dir;

    @Test
    void meansMatchTheFullDistributions() throws IOException {
        Gpt2Config config = TinyGpt2.config(41, 16, 32, 4, 3);
        Path file = new GgufWriter(TinyGpt2.generate(config, 3, 3, true)).write(dir.resolve("m.gguf"));
        int[][] windows = {{1, 5, 9, 5, 1, 40, 7}, {3, 3, 3, 3}};
        int[] following = {12, -1};
        int[] from = {0, 1};
        try (LensModel model = LensModel.open(file, LensSettings.defaults().withThreads(2))) {
            LayerStatistics statistics = new LayerStatistics(config.nLayer());
            int layers = config.nLayer() + 1;
            double[] ce = new double[layers];
            double[] kl = new double[layers];
            double[] entropy = new double[layers];
            double[] agree = new double[layers];
            double[] correct = new double[layers];
            long positions = 0;
            long predicted = 0;
            long bytes = 0;
            for (int w = 0; w < windows.length; w++) {
                int[] tokens = windows[w];
                List<LensCell> cells = new ArrayList<>();
                for (int layer = 0; layer < layers; layer++) {
                    for (int pos = 0; pos < tokens.length; pos++) {
                        cells.add(new LensCell(layer, pos));
                    }
                }
                LensResult lens = model.run(tokens, following[w], LensOptions.defaults().withTopK(1).withDistributionCells(cells));
                statistics.add(lens, from[w], tokens.length, id -> id % 3 + 1);
                for (int pos = from[w]; pos < tokens.length; pos++) {
                    int next = pos + 1 < tokens.length ? tokens[pos + 1] : following[w];
                    positions++;
                    if (next >= 0) {
                        predicted++;
                        bytes += next % 3 + 1;
                    }
                    float[] finalProbs = lens.probabilities(config.nLayer(), pos);
                    int finalTop = argmax(finalProbs);
                    for (int layer = 0; layer < layers; layer++) {
                        float[] p = lens.probabilities(layer, pos);
                        for (int v = 0; v < p.length; v++) {
                            entropy[layer] -= p[v] > 0 ? p[v] * Math.log(p[v]) : 0;
                            kl[layer] += finalProbs[v] > 0 ? finalProbs[v] * (Math.log(finalProbs[v]) - Math.log(p[v])) : 0;
                        }
                        agree[layer] += argmax(p) == finalTop ? 1 : 0;
                        if (next >= 0) {
                            ce[layer] -= Math.log(p[next]);
                            correct[layer] += argmax(p) == next ? 1 : 0;
                        }
                    }
                }
            }
            List<LayerSummary> summaries = statistics.summaries();
            assertEquals(layers, summaries.size());
            assertEquals(bytes, statistics.predictedBytes());
            for (int layer = 0; layer < layers; layer++) {
                LayerSummary s = summaries.get(layer);
                assertEquals(layer, s.layer());
                assertEquals(positions, s.positions());
                assertEquals(predicted, s.predicted());
                assertEquals(ce[layer] / predicted, s.crossEntropyNats(), 1e-4);
                assertEquals(ce[layer] / Math.log(2) / bytes, s.bitsPerByte(), 1e-4);
                assertEquals(kl[layer] / positions, s.klToFinalNats(), 1e-4);
                assertEquals(s.klToFinalNats() / Math.log(2), s.klToFinalBits(), 1e-12);
                assertEquals(entropy[layer] / positions, s.entropyNats(), 1e-4);
                assertEquals(agree[layer] / positions, s.top1Agreement(), 1e-12);
                assertEquals(correct[layer] / predicted, s.top1Accuracy(), 1e-12);
            }
            assertEquals(1.0, summaries.getLast().top1Agreement());
            assertEquals(0.0, summaries.getLast().klToFinalNats(), 1e-6);
            assertTrue(summaries.getFirst().klToFinalNats() > 0.01, "layer 0 differs from the final layer");
            assertThrows(IllegalArgumentException.class, () -> new LayerStatistics(2).add(
                    model.run(new int[] {1}, LensOptions.defaults()), 0, 1, id -> 1));
        }
    }

    /**
     * Statistics of the windows split into two parts, each serialised and read back (as a Spark partition's result
     * travels), then merged, equal the statistics of all windows: counts exactly, sums up to the order of additions.
     */
    @Test
    void mergedPartsEqualTheWhole() throws Exception {
        Gpt2Config config = TinyGpt2.config(41, 16, 32, 4, 3);
        Path file = new GgufWriter(TinyGpt2.generate(config, 3, 3, true)).write(dir.resolve("m.gguf"));
        int[][] windows = {{1, 5, 9, 5, 1, 40, 7}, {3, 3, 3, 3}, {2, 8, 30}, {11}};
        int[] following = {12, -1, 4, -1};
        try (LensModel model = LensModel.open(file, LensSettings.defaults().withThreads(2))) {
            LayerStatistics whole = new LayerStatistics(config.nLayer());
            LayerStatistics first = new LayerStatistics(config.nLayer());
            LayerStatistics second = new LayerStatistics(config.nLayer());
            for (int w = 0; w < windows.length; w++) {
                LensResult lens = model.run(windows[w], following[w], LensOptions.defaults().withTopK(1));
                whole.add(lens, 0, windows[w].length, id -> id % 3 + 1);
                (w < 2 ? first : second).add(lens, 0, windows[w].length, id -> id % 3 + 1);
            }
            LayerStatistics merged = roundTrip(first);
            merged.merge(roundTrip(second));
            assertEquals(whole.predictedBytes(), merged.predictedBytes());
            assertEquals(dev.logitlens.lens.Snapshots.layers(config.nLayer()), merged.snapshots());
            List<LayerSummary> expected = whole.summaries();
            List<LayerSummary> actual = merged.summaries();
            for (int layer = 0; layer <= config.nLayer(); layer++) {
                LayerSummary e = expected.get(layer);
                LayerSummary a = actual.get(layer);
                assertEquals(e.positions(), a.positions());
                assertEquals(e.predicted(), a.predicted());
                assertEquals(e.top1Agreement(), a.top1Agreement());
                assertEquals(e.top1Accuracy(), a.top1Accuracy());
                assertEquals(e.crossEntropyNats(), a.crossEntropyNats(), 1e-12);
                assertEquals(e.bitsPerByte(), a.bitsPerByte(), 1e-12);
                assertEquals(e.klToFinalNats(), a.klToFinalNats(), 1e-12);
                assertEquals(e.entropyNats(), a.entropyNats(), 1e-12);
            }
            // not the average of the two parts' means: the parts have 11 and 4 positions
            assertEquals(15, actual.getFirst().positions());
            assertThrows(IllegalArgumentException.class, () -> merged.merge(new LayerStatistics(2)));
        }
    }

    private static LayerStatistics roundTrip(LayerStatistics statistics) throws IOException, ClassNotFoundException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(statistics);
        }
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            return (LayerStatistics) in.readObject();
        }
    }

    private static int argmax(float[] p) {
        int best = 0;
        for (int v = 1; v < p.length; v++) {
            if (p[v] > p[best]) {
                best = v;
            }
        }
        return best;
    }
}
