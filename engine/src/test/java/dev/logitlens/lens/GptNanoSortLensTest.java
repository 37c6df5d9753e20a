package dev.logitlens.lens;

import dev.logitlens.model.ModelFiles;
import dev.logitlens.runtime.Backend;
import dev.logitlens.runtime.NativeModel;
import dev.logitlens.runtime.NativeSession;
import dev.logitlens.runtime.ProjectionPrecision;
import dev.logitlens.runtime.ResidualMode;
import dev.logitlens.runtime.ResidualStream;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.Fixtures.FixtureTensor;
import dev.logitlens.testing.ReferenceGpt2;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The lens of the trained fixture gpt-nano-sort, through its separate lm_head, with both kernels: each
 * layer's logits and probabilities equal those obtained from the activations its public project
 * recorded (embeddings {@code x}, {@code block0..2}, through ln_f and lm_head in double precision), and
 * the final layer's probabilities equal the recorded {@code probs}.
 */
class GptNanoSortLensTest {

    private static final double TOLERANCE = 1e-4;
    private static final int T = 11;
    private static final int D = 48;
    private static final int V = 3;
    private static final int LAYERS = 3;

    @Test
    void everyLayersLensMatchesTheRecordedActivations() throws IOException {
        Map<String, FixtureTensor> partials = Fixtures.gptNanoSortPartials();
        List<LensCell> every = new ArrayList<>();
        for (int layer = 0; layer <= LAYERS; layer++) {
            for (int pos = 0; pos < T; pos++) {
                every.add(new LensCell(layer, pos));
            }
        }
        LensOptions options = LensOptions.defaults().withTopK(V).withDistributionCells(every);
        try (NativeModel model = NativeModel.create(ModelFiles.open(Fixtures.gptNanoSortModel()), Backend.CPU);
             NativeSession session = model.newSession(2);
             ProjectionKernel nativeKernel = model.newProjectionKernel(ProjectionPrecision.F32, 2);
             ProjectionKernel jvmKernel = new JvmProjectionKernel(model.weights().unembedding(), 2);
             Arena arena = Arena.ofConfined()) {
            CanonicalWeights weights = CanonicalWeights.read(model.weights());
            for (ProjectionKernel kernel : List.of(nativeKernel, jvmKernel)) {
                for (int b = 0; b < 3; b++) {
                    int[] tokens = new int[T];
                    for (int t = 0; t < T; t++) {
                        tokens[t] = (int) partials.get("idx").at(b, t);
                    }
                    ResidualStream stream = session.forward(tokens, ResidualMode.NORMALISED, false, arena);
                    LensResult lens = LogitLensTest.runOnce(kernel, stream.residual(), LAYERS, T, tokens, options);
                    for (int layer = 0; layer <= LAYERS; layer++) {
                        FixtureTensor recorded = partials.get(layer == 0 ? "x" : "block" + (layer - 1));
                        for (int t = 0; t < T; t++) {
                            double[] expected = lmHead(weights, lnF(weights, recorded, b, t));
                            double[] probs = ReferenceGpt2.softmax(expected);
                            String where = kernel.name() + " batch " + b + " layer " + layer + " position " + t;
                            for (int v = 0; v < V; v++) {
                                assertEquals(expected[v], lens.logits(layer, t)[v], TOLERANCE, where + " logit " + v);
                                assertEquals(probs[v], lens.probabilities(layer, t)[v], TOLERANCE, where + " probability " + v);
                                if (layer == LAYERS) {
                                    assertEquals(partials.get("probs").at(b, t, v), lens.probabilities(layer, t)[v], TOLERANCE,
                                            where + " recorded probs " + v);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static double[] lnF(CanonicalWeights w, FixtureTensor x, int b, int t) {
        double mean = 0;
        for (int c = 0; c < D; c++) {
            mean += x.at(b, t, c);
        }
        mean /= D;
        double variance = 0;
        for (int c = 0; c < D; c++) {
            double centred = x.at(b, t, c) - mean;
            variance += centred * centred;
        }
        variance /= D;
        double[] out = new double[D];
        float[] gain = w.get("output_norm.weight");
        float[] bias = w.get("output_norm.bias");
        for (int c = 0; c < D; c++) {
            out[c] = (x.at(b, t, c) - mean) / Math.sqrt(variance + 1e-5) * gain[c] + bias[c];
        }
        return out;
    }

    private static double[] lmHead(CanonicalWeights w, double[] h) {
        float[] head = w.get("output.weight"); // [V, D]
        double[] z = new double[V];
        for (int v = 0; v < V; v++) {
            for (int c = 0; c < D; c++) {
                z[v] += h[c] * head[v * D + c];
            }
        }
        return z;
    }
}
