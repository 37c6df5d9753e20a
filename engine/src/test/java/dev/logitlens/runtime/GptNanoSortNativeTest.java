package dev.logitlens.runtime;

import dev.logitlens.model.ModelFiles;
import dev.logitlens.model.TensorInfo;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.Fixtures.FixtureTensor;
import dev.logitlens.testing.TensorCodec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The trained fixture gpt-nano-sort through the native shim: the residual after each block, the
 * ln_f output and the logits through its separate lm_head equal the reference activations recorded
 * by its public project (PyTorch), within 1e-5.
 */
class GptNanoSortNativeTest {

    private static final double TOLERANCE = 1e-5;
    private static final int BATCH = 3;
    private static final int T = 11;
    private static final int D = 48;
    private static final int LAYERS = 3;

    private static Map<String, FixtureTensor> partials;

    @BeforeAll
    static void load() throws IOException {
        partials = Fixtures.gptNanoSortPartials();
    }

    @Test
    void residualsLnFAndLogitsMatchTheRecordedActivations() throws IOException {
        try (NativeModel model = NativeModel.create(ModelFiles.open(Fixtures.gptNanoSortModel()), Backend.CPU);
             NativeSession session = model.newSession(2);
             Arena arena = Arena.ofConfined()) {
            assertEquals(false, model.weights().tiedUnembedding());
            TensorInfo lmHead = model.weights().unembedding();
            float[] head = TensorCodec.canonicalFloats(lmHead); // [3, 48]
            for (int b = 0; b < BATCH; b++) {
                int[] tokens = tokens(b);
                ResidualStream raw = session.forward(tokens, ResidualMode.RAW, true, arena);
                ResidualStream lens = session.forward(tokens, ResidualMode.NORMALISED, false, arena);
                for (int t = 0; t < T; t++) {
                    check("x", b, t, raw, 0, partials.get("x"));
                    check("attnResid", b, t, raw.mid(), 0, partials.get("attnResid"));
                    for (int layer = 0; layer < LAYERS; layer++) {
                        check("block" + layer, b, t, raw, layer + 1, partials.get("block" + layer));
                    }
                    check("ln_f", b, t, lens, LAYERS, partials.get("ln_f"));
                    for (int v = 0; v < 3; v++) {
                        double logit = 0;
                        for (int c = 0; c < D; c++) {
                            logit += (double) lens.at(LAYERS, t, c) * head[v * D + c];
                        }
                        within("lm_head", b, t, v, partials.get("lm_head").at(b, t, v), logit);
                    }
                }
            }
        }
    }

    private static int[] tokens(int b) {
        int[] tokens = new int[T];
        for (int t = 0; t < T; t++) {
            tokens[t] = (int) partials.get("idx").at(b, t);
        }
        return tokens;
    }

    private static void check(String key, int b, int t, ResidualStream stream, int snapshot, FixtureTensor expected) {
        for (int c = 0; c < D; c++) {
            within(key, b, t, c, expected.at(b, t, c), stream.at(snapshot, t, c));
        }
    }

    private static void check(String key, int b, int t, java.lang.foreign.MemorySegment mid, int block, FixtureTensor expected) {
        for (int c = 0; c < D; c++) {
            float got = mid.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, ((long) block * T + t) * D + c);
            within(key, b, t, c, expected.at(b, t, c), got);
        }
    }

    private static void within(String key, int b, int t, int c, double want, double got) {
        if (!(Math.abs(got - want) <= TOLERANCE * Math.max(1, Math.abs(want)))) {
            fail(key + "[" + b + ", " + t + ", " + c + "]: expected " + want + ", got " + got);
        }
    }
}
