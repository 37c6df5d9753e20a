package dev.logitlens.testing;

import dev.logitlens.model.Gpt2Config;

import java.util.function.UnaryOperator;

/**
 * A plain double-precision GPT-2 forward pass, written from the maths as the oracle for the native
 * engine: token plus learned position embeddings, then per block (pre-LayerNorm)
 * {@code x += attn(LN1(x))} and {@code x += mlp(LN2(x))}, with causal softmax attention scaled by
 * {@code 1/sqrt(head_dim)}, the tanh GELU {@code 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))} and
 * LayerNorm over the biased variance; then {@code ln_f} and the unembedding.
 * Matrices are {@code [out, in]}: {@code y = x W^T + b}.
 */
public final class ReferenceGpt2 {

    private final Gpt2Config config;
    private final CanonicalWeights weights;
    private final int d;

    public ReferenceGpt2(CanonicalWeights weights) {
        this.weights = weights;
        this.config = weights.config();
        this.d = config.nEmbd();
    }

    /** Every layer's residual stream over {@code tokens}. */
    public Trace run(int... tokens) {
        int nTokens = tokens.length;
        if (nTokens == 0 || nTokens > config.nCtx()) {
            throw new IllegalArgumentException(nTokens + " tokens: need 1 to n_ctx=" + config.nCtx());
        }
        float[] wte = weights.get("token_embd.weight"); // [V, d]
        float[] wpe = weights.get("position_embd.weight"); // [C, d]
        double[][][] residual = new double[config.nLayer() + 1][nTokens][d];
        double[][][] mid = new double[config.nLayer()][nTokens][d];
        double[][] x = new double[nTokens][d]; // [T, d]
        for (int t = 0; t < nTokens; t++) {
            if (tokens[t] < 0 || tokens[t] >= config.nVocab()) {
                throw new IllegalArgumentException("token " + tokens[t] + " at " + t + " is outside [0, " + config.nVocab() + ")");
            }
            for (int i = 0; i < d; i++) {
                x[t][i] = (double) wte[tokens[t] * d + i] + wpe[t * d + i];
            }
        }
        copyInto(x, residual[0]);
        for (int layer = 0; layer < config.nLayer(); layer++) {
            String blk = "blk." + layer + ".";
            double[][] attention = attention(layerNorm(x, blk + "attn_norm"), blk);
            add(x, attention);
            copyInto(x, mid[layer]);
            add(x, mlp(layerNorm(x, blk + "ffn_norm"), blk));
            copyInto(x, residual[layer + 1]);
        }
        return new Trace(residual, mid);
    }

    /** {@code ln_f} of one residual vector; without {@code affine}, only the normalisation (no gain, no bias). */
    public double[] finalNorm(double[] x, boolean affine) {
        return affine ? layerNorm(x, weights.get("output_norm.weight"), weights.get("output_norm.bias")) : normalize(x);
    }

    /** Logits {@code [V]} of a normalised vector: {@code x W_U^T}. */
    public double[] unembed(double[] normalized) {
        return linear(normalized, weights.unembedding(), null, config.nVocab());
    }

    public static double[] softmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** The residual stream of one run, and the lens views of it. */
    public final class Trace {
        private final double[][][] residual;
        private final double[][][] mid;

        private Trace(double[][][] residual, double[][][] mid) {
            this.residual = residual;
            this.mid = mid;
        }

        /** {@code [n_layer+1][T][d]}: row 0 after the embeddings, row l after block l. */
        public double[][][] residual() {
            return residual;
        }

        /** {@code [n_layer][T][d]}: block l's stream after its attention, before its MLP. */
        public double[][][] mid() {
            return mid;
        }

        /** {@code [n_layer+1][T][d]}: {@link #residual()} through {@code ln_f}, with or without its gain and bias. */
        public double[][][] normalized(boolean affine) {
            return map(residual, x -> finalNorm(x, affine));
        }

        /** {@code [n_layer][T][d]}: {@link #mid()} through {@code ln_f}. */
        public double[][][] midNormalized(boolean affine) {
            return map(mid, x -> finalNorm(x, affine));
        }

        /** {@code [n_layer+1][T][V]}: the logit lens, each layer's stream through {@code ln_f} and the unembedding. */
        public double[][][] logits() {
            return map(residual, x -> unembed(finalNorm(x, true)));
        }

        /** {@code [T][V]}: the model's output logits. */
        public double[][] finalLogits() {
            return logits()[residual.length - 1];
        }
    }

    // ---- the blocks ----

    private double[][] attention(double[][] h, String blk) {
        int nTokens = h.length;
        int nHead = config.nHead();
        int hd = config.headDim();
        double[][] qkv = new double[nTokens][]; // [T, 3d]: q | k | v
        for (int t = 0; t < nTokens; t++) {
            qkv[t] = linear(h[t], weights.get(blk + "attn_qkv.weight"), weights.get(blk + "attn_qkv.bias"), 3 * d);
        }
        double scale = 1 / Math.sqrt(hd);
        double[][] y = new double[nTokens][d]; // [T, d]: the heads' outputs side by side
        for (int head = 0; head < nHead; head++) {
            int q0 = head * hd;
            int k0 = d + head * hd;
            int v0 = 2 * d + head * hd;
            for (int t = 0; t < nTokens; t++) {
                double[] scores = new double[t + 1]; // causal: positions 0..t
                for (int s = 0; s <= t; s++) {
                    double dot = 0;
                    for (int i = 0; i < hd; i++) {
                        dot += qkv[t][q0 + i] * qkv[s][k0 + i];
                    }
                    scores[s] = dot * scale;
                }
                double[] p = softmax(scores);
                for (int s = 0; s <= t; s++) {
                    for (int i = 0; i < hd; i++) {
                        y[t][head * hd + i] += p[s] * qkv[s][v0 + i];
                    }
                }
            }
        }
        double[][] out = new double[nTokens][];
        for (int t = 0; t < nTokens; t++) {
            out[t] = linear(y[t], weights.get(blk + "attn_output.weight"), weights.get(blk + "attn_output.bias"), d);
        }
        return out;
    }

    private double[][] mlp(double[][] h, String blk) {
        int f = 4 * d;
        double[][] out = new double[h.length][];
        for (int t = 0; t < h.length; t++) {
            double[] up = linear(h[t], weights.get(blk + "ffn_up.weight"), weights.get(blk + "ffn_up.bias"), f);
            for (int i = 0; i < f; i++) {
                up[i] = gelu(up[i]);
            }
            out[t] = linear(up, weights.get(blk + "ffn_down.weight"), weights.get(blk + "ffn_down.bias"), d);
        }
        return out;
    }

    static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** {@code x W^T + b} for {@code W [out, in]}, {@code b [out]} (or none). */
    private static double[] linear(double[] x, float[] w, float[] b, int out) {
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double sum = b == null ? 0 : b[o];
            for (int i = 0; i < in; i++) {
                sum += x[i] * w[o * in + i];
            }
            y[o] = sum;
        }
        return y;
    }

    private double[][] layerNorm(double[][] x, String prefix) {
        float[] gain = weights.get(prefix + ".weight");
        float[] bias = weights.get(prefix + ".bias");
        double[][] out = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            out[t] = layerNorm(x[t], gain, bias);
        }
        return out;
    }

    private double[] layerNorm(double[] x, float[] gain, float[] bias) {
        double[] n = normalize(x);
        for (int i = 0; i < n.length; i++) {
            n[i] = n[i] * gain[i] + bias[i];
        }
        return n;
    }

    /** {@code (x - mean) / sqrt(var + eps)} with the biased variance. */
    private double[] normalize(double[] x) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double inv = 1 / Math.sqrt(var + config.normEps());
        double[] n = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            n[i] = (x[i] - mean) * inv;
        }
        return n;
    }

    private static void add(double[][] x, double[][] delta) {
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < x[t].length; i++) {
                x[t][i] += delta[t][i];
            }
        }
    }

    private static void copyInto(double[][] from, double[][] to) {
        for (int t = 0; t < from.length; t++) {
            System.arraycopy(from[t], 0, to[t], 0, from[t].length);
        }
    }

    private static double[][][] map(double[][][] stack, UnaryOperator<double[]> f) {
        double[][][] out = new double[stack.length][][];
        for (int l = 0; l < stack.length; l++) {
            out[l] = new double[stack[l].length][];
            for (int t = 0; t < stack[l].length; t++) {
                out[l][t] = f.apply(stack[l][t]);
            }
        }
        return out;
    }
}
