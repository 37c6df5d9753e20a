package dev.logitlens.testing;

import dev.logitlens.model.CanonicalTensors;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.ModelWeights;
import dev.logitlens.model.TensorInfo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GPT-2 model's weights as plain float arrays, one per canonical tensor, row-major in canonical
 * shape (matrices {@code [out, in]}).
 *
 * @param tensors canonical name → values; {@code output.weight} present exactly when {@code tied} is false
 */
public record CanonicalWeights(Gpt2Config config, Map<String, float[]> tensors, boolean tied) {

    public CanonicalWeights {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        for (String name : names(config, tied)) {
            float[] values = tensors.get(name);
            if (values == null) {
                throw new IllegalArgumentException("no values for " + name);
            }
            long expected = elements(shape(config, name));
            if (values.length != expected) {
                throw new IllegalArgumentException(name + " has " + values.length + " values, expected " + expected);
            }
        }
        if (tensors.size() != names(config, tied).size()) {
            throw new IllegalArgumentException("unexpected tensors among " + tensors.keySet());
        }
    }

    /** Every tensor of such a model, in canonical file order. */
    public static List<String> names(Gpt2Config config, boolean tied) {
        List<String> names = new ArrayList<>(CanonicalTensors.required(config.nLayer()));
        if (!tied) {
            names.add(CanonicalTensors.OUTPUT);
        }
        return names;
    }

    public static long[] shape(Gpt2Config config, String name) {
        long[] shape = CanonicalTensors.shape(name, config);
        if (shape == null) {
            throw new IllegalArgumentException("not a tensor of " + config + ": " + name);
        }
        return shape;
    }

    /** Reads every tensor of opened weights into canonical float arrays (decoding F16/BF16, transposing [in, out]). */
    public static CanonicalWeights read(ModelWeights weights) {
        Map<String, float[]> tensors = new LinkedHashMap<>();
        for (TensorInfo t : weights.tensors()) {
            tensors.put(t.name(), TensorCodec.canonicalFloats(t));
        }
        return new CanonicalWeights(weights.config(), tensors, weights.tiedUnembedding());
    }

    public float[] get(String name) {
        float[] values = tensors.get(name);
        if (values == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        return values;
    }

    public long[] shape(String name) {
        return shape(config, name);
    }

    /** The unembedding {@code [V, d]}: {@code output.weight}, or {@code token_embd.weight} when tied. */
    public float[] unembedding() {
        return get(tied ? CanonicalTensors.TOKEN_EMBD : CanonicalTensors.OUTPUT);
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
