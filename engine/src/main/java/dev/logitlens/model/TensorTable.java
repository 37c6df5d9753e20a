package dev.logitlens.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Collects a model's tensors as a reader finds them, checks each against the configuration
 * (a known canonical name, seen once, the expected shape for its layout, the right byte size),
 * then checks that none is missing and builds the {@link ModelWeights}.
 */
final class TensorTable {

    private final Gpt2Config config;
    private final String configOrigin;
    private final UnaryOperator<String> nameInFile;
    private final Map<String, TensorInfo> tensors = new HashMap<>();
    private final Map<String, String> foundAs = new HashMap<>();

    /**
     * @param configOrigin where the configuration came from, for messages (e.g. {@code config.json})
     * @param nameInFile   the name a canonical tensor has in the file format, for messages
     */
    TensorTable(Gpt2Config config, String configOrigin, UnaryOperator<String> nameInFile) {
        this.config = config;
        this.configOrigin = configOrigin;
        this.nameInFile = nameInFile;
    }

    /** A configuration from values read out of a file, each checked to be in range. */
    static Gpt2Config checkedConfig(Path file, String origin, long nVocab, long nCtx, long nEmbd, long nHead,
                                    long nLayer, double normEps) throws ModelFormatException {
        checkRange(file, origin, "n_vocab", nVocab);
        checkRange(file, origin, "n_ctx", nCtx);
        checkRange(file, origin, "n_embd", nEmbd);
        checkRange(file, origin, "n_head", nHead);
        checkRange(file, origin, "n_layer", nLayer);
        try {
            return new Gpt2Config((int) nVocab, (int) nCtx, (int) nEmbd, (int) nHead, (int) nLayer, (float) normEps);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, origin + ": " + e.getMessage(), e);
        }
    }

    private static void checkRange(Path file, String origin, String name, long value) throws ModelFormatException {
        // n_embd is multiplied by 4 for the MLP: keep it and everything else far from overflow
        if (value <= 0 || value > (1L << 28)) {
            throw new ModelFormatException(file, origin + ": " + name + " = " + value + " is out of range");
        }
    }

    Gpt2Config config() {
        return config;
    }

    /**
     * Adds one tensor read from {@code file}, where it is called {@code sourceName}.
     * {@code tensor.name()} is its canonical name; its shape is as stored, interpreted with its layout.
     */
    void add(Path file, String sourceName, TensorInfo tensor) throws ModelFormatException {
        String name = tensor.name();
        long[] canonical = CanonicalTensors.shape(name, config);
        if (canonical == null) {
            throw new ModelFormatException(file, "unexpected tensor " + sourceName + " for a GPT-2 model with " + config
                    + " (from " + configOrigin + ")");
        }
        String earlier = foundAs.putIfAbsent(name, sourceName);
        if (earlier != null) {
            throw new ModelFormatException(file, earlier.equals(sourceName)
                    ? "tensor " + sourceName + " appears twice"
                    : "tensors " + earlier + " and " + sourceName + " are both " + name);
        }
        long[] expected = tensor.layout() == MatrixLayout.IN_OUT ? reversed(canonical) : canonical;
        if (!Arrays.equals(tensor.shape(), expected)) {
            throw new ModelFormatException(file, "tensor " + sourceName + " has shape " + Arrays.toString(tensor.shape())
                    + ", expected " + Arrays.toString(expected) + " for " + config + " (from " + configOrigin + ")");
        }
        long bytes = tensor.type().byteSize(tensor.elementCount());
        if (tensor.data().byteSize() != bytes) {
            throw new ModelFormatException(file, "tensor " + sourceName + " has " + tensor.data().byteSize()
                    + " bytes of data, " + tensor.type() + " " + Arrays.toString(tensor.shape()) + " needs " + bytes);
        }
        tensors.put(name, tensor);
    }

    boolean has(String canonicalName) {
        return tensors.containsKey(canonicalName);
    }

    /**
     * Checks that every required tensor is present and builds the weights, which take ownership of
     * {@code arena}. An {@code output.weight} with the same type, shape and bytes as {@code token_embd}
     * is a copy of a tied unembedding: it is dropped and the weights report a tied unembedding.
     */
    ModelWeights build(Path file, String format, Arena arena) throws ModelFormatException {
        // the walk stops at the first missing tensor, after at most as many names as the file has tensors: a header
        // claiming 2^28 blocks must not make the reader list 3·10^9 names (GgufFuzzTest found that hang)
        String missing = CanonicalTensors.requiredNames(config.nLayer()).filter(name -> !tensors.containsKey(name))
                .findFirst().orElse(null);
        if (missing != null) {
            throw new ModelFormatException(file, "missing tensor " + nameInFile.apply(missing));
        }
        refuseSharedBytes(file);
        List<TensorInfo> ordered = new ArrayList<>();
        for (String name : CanonicalTensors.required(config.nLayer())) { // no more names than tensors found
            ordered.add(tensors.get(name));
        }
        TensorInfo output = tensors.get(CanonicalTensors.OUTPUT);
        boolean tied = output == null || sameContents(output, tensors.get(CanonicalTensors.TOKEN_EMBD));
        if (!tied) {
            ordered.add(output);
        }
        return new LoadedWeights(config, ordered, tied, file, format, arena);
    }

    /**
     * Each tensor's data is its own: two tensors whose bytes overlap are a malformed file (safetensors forbids it; a
     * GGUF writer never does it). The one exception is {@code output.weight} declared on exactly the bytes of
     * {@code token_embd}: a tied unembedding, said the long way.
     */
    private void refuseSharedBytes(Path file) throws ModelFormatException {
        List<Map.Entry<String, TensorInfo>> byAddress = new ArrayList<>(tensors.entrySet());
        byAddress.sort(Comparator.<Map.Entry<String, TensorInfo>>comparingLong(e -> e.getValue().data().address())
                .thenComparing(Map.Entry::getKey));
        for (int i = 1; i < byAddress.size(); i++) {
            String previousName = byAddress.get(i - 1).getKey();
            String nextName = byAddress.get(i).getKey();
            TensorInfo previous = byAddress.get(i - 1).getValue();
            TensorInfo next = byAddress.get(i).getValue();
            if (next.data().address() >= previous.data().address() + previous.data().byteSize()) {
                continue;
            }
            boolean tiedAlias = next.data().address() == previous.data().address()
                    && next.data().byteSize() == previous.data().byteSize()
                    && Set.of(CanonicalTensors.OUTPUT, CanonicalTensors.TOKEN_EMBD)
                            .equals(Set.of(previousName, nextName));
            if (!tiedAlias) {
                throw new ModelFormatException(file, "tensors " + foundAs.get(previousName) + " and " + foundAs.get(nextName)
                        + " share bytes of the file: each tensor needs data of its own");
            }
        }
    }

    private static boolean sameContents(TensorInfo a, TensorInfo b) {
        if (a.type() != b.type() || a.layout() != b.layout() || !Arrays.equals(a.shape(), b.shape())) {
            return false;
        }
        MemorySegment x = a.data();
        MemorySegment y = b.data();
        return x.address() == y.address() || x.mismatch(y) == -1;
    }

    static long[] reversed(long[] shape) {
        long[] r = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            r[i] = shape[shape.length - 1 - i];
        }
        return r;
    }
}
