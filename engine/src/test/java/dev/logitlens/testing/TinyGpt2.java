package dev.logitlens.testing;

import dev.logitlens.model.Gpt2Config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random GPT-2 weights of any size, for tests. Matrices are scaled by {@code 1/sqrt(in)} so
 * activations stay of order one; the unembedding is scaled so that the final logits have a standard
 * deviation of about {@code sharpness}: at 0 every next-token distribution is uniform, at 4 or more
 * they are peaked, with clear winners for a lens to find.
 */
public final class TinyGpt2 {

    public static final double DEFAULT_SHARPNESS = 4.0;
    public static final float NORM_EPS = 1e-5f;

    private TinyGpt2() {
    }

    /** A configuration with GPT-2's LayerNorm epsilon. */
    public static Gpt2Config config(int nVocab, int nCtx, int nEmbd, int nHead, int nLayer) {
        return new Gpt2Config(nVocab, nCtx, nEmbd, nHead, nLayer, NORM_EPS);
    }

    /** Weights for {@code config}; the same seed always gives the same weights. */
    public static CanonicalWeights generate(Gpt2Config config, long seed, double sharpness, boolean tied) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, float[]> tensors = new LinkedHashMap<>();
        double unembeddingScale = sharpness / Math.sqrt(config.nEmbd());
        for (String name : CanonicalWeights.names(config, tied)) {
            long[] shape = CanonicalWeights.shape(config, name);
            int n = Math.toIntExact(shape.length == 1 ? shape[0] : shape[0] * shape[1]);
            tensors.put(name, switch (kind(name, tied)) {
                case UNEMBEDDING -> gaussian(random, n, 0, unembeddingScale);
                case TOKEN -> gaussian(random, n, 0, 1);
                case POSITION -> gaussian(random, n, 0, 0.5);
                case NORM_GAIN -> gaussian(random, n, 1, 0.2);
                case NORM_BIAS -> gaussian(random, n, 0, 0.2);
                case MATRIX -> gaussian(random, n, 0, 1 / Math.sqrt(shape[1]));
                case BIAS -> gaussian(random, n, 0, 0.1);
            });
        }
        return new CanonicalWeights(config, tensors, tied);
    }

    private enum Kind { UNEMBEDDING, TOKEN, POSITION, NORM_GAIN, NORM_BIAS, MATRIX, BIAS }

    private static Kind kind(String name, boolean tied) {
        if (name.equals("output.weight") || (tied && name.equals("token_embd.weight"))) {
            return Kind.UNEMBEDDING;
        }
        if (name.equals("token_embd.weight")) {
            return Kind.TOKEN;
        }
        if (name.equals("position_embd.weight")) {
            return Kind.POSITION;
        }
        if (name.contains("norm.")) {
            return name.endsWith(".weight") ? Kind.NORM_GAIN : Kind.NORM_BIAS;
        }
        return name.endsWith(".weight") ? Kind.MATRIX : Kind.BIAS;
    }

    private static float[] gaussian(SplittableRandom random, int n, double mean, double std) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (mean + std * random.nextGaussian());
        }
        return values;
    }
}
