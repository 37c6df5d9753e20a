package dev.logitlens.lens;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The logit lens done naively in double precision: a plain GEMM, softmax by log-sum-exp, a full sort.
 * The oracle of the tests; shares no code with the engine.
 */
final class ReferenceLens {

    final int snapshots;
    final int nTokens;
    final int vocab;
    final double[][] logits;   // [S·T][V], cell = layer·T + pos
    final double[] lse;        // [S·T]
    final int[][] order;       // [S·T][V] token ids by descending logit, ties by lower id

    ReferenceLens(float[] residual /* [S, T, d] */, int snapshots, int nTokens, float[] w /* [V, d] */, int vocab, int width) {
        this.snapshots = snapshots;
        this.nTokens = nTokens;
        this.vocab = vocab;
        this.logits = multiply(residual, snapshots * nTokens, w, vocab, width);
        this.lse = new double[logits.length];
        this.order = new int[logits.length][];
        for (int c = 0; c < logits.length; c++) {
            double[] z = logits[c];
            double max = Arrays.stream(z).max().orElseThrow();
            double sum = 0;
            for (double x : z) {
                sum += Math.exp(x - max);
            }
            lse[c] = max + Math.log(sum);
            order[c] = IntStream.range(0, vocab).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(v -> -z[v]).thenComparingInt(v -> v))
                    .mapToInt(Integer::intValue).toArray();
        }
    }

    /** {@code out[r][v] = Σ_k rows[r, k] · w[v, k]} in double. */
    static double[][] multiply(float[] rows, int nRows, float[] w, int vocab, int width) {
        double[][] out = new double[nRows][vocab];
        for (int r = 0; r < nRows; r++) {
            for (int v = 0; v < vocab; v++) {
                double acc = 0;
                for (int k = 0; k < width; k++) {
                    acc += (double) rows[r * width + k] * w[v * width + k];
                }
                out[r][v] = acc;
            }
        }
        return out;
    }

    /** {@code Σ_k |rows[r, k] · w[v, k]|}: the scale that rounding errors of the dot product are relative to. */
    static double[][] magnitudes(float[] rows, int nRows, float[] w, int vocab, int width) {
        double[][] out = new double[nRows][vocab];
        for (int r = 0; r < nRows; r++) {
            for (int v = 0; v < vocab; v++) {
                double acc = 0;
                for (int k = 0; k < width; k++) {
                    acc += Math.abs((double) rows[r * width + k] * w[v * width + k]);
                }
                out[r][v] = acc;
            }
        }
        return out;
    }

    int cell(int layer, int pos) {
        return layer * nTokens + pos;
    }

    double logit(int layer, int pos, int token) {
        return logits[cell(layer, pos)][token];
    }

    double logProb(int layer, int pos, int token) {
        return logits[cell(layer, pos)][token] - lse[cell(layer, pos)];
    }

    int top(int layer, int pos, int j) {
        return order[cell(layer, pos)][j];
    }

    /** rank(x) = 1 + #{v : z[v] > z[x] + slack}; slack 0 is the definition, ±tie brackets near-ties. */
    int rank(int layer, int pos, int token, double slack) {
        double[] z = logits[cell(layer, pos)];
        double target = z[token] + slack;
        int above = 0;
        for (int v = 0; v < vocab; v++) {
            if (v != token && z[v] > target) {
                above++;
            }
        }
        return 1 + above;
    }

    double entropy(int layer, int pos) {
        double h = 0;
        for (int v = 0; v < vocab; v++) {
            double logP = logProb(layer, pos, v);
            h -= Math.exp(logP) * logP;
        }
        return h;
    }

    /** KL(reference layer ‖ layer) at pos. */
    double kl(int referenceLayer, int layer, int pos) {
        double kl = 0;
        for (int v = 0; v < vocab; v++) {
            double logP = logProb(referenceLayer, pos, v);
            kl += Math.exp(logP) * (logP - logProb(layer, pos, v));
        }
        return kl;
    }
}
