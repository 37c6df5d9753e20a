package dev.logitlens.model;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The canonical (GGUF) tensor names of a GPT-2 model and their shapes, row-major with matrices
 * {@code [out_features, in_features]}, as {@code native/include/logitlens.h} lists them.
 */
public final class CanonicalTensors {

    public static final String TOKEN_EMBD = "token_embd.weight";
    public static final String POSITION_EMBD = "position_embd.weight";
    public static final String OUTPUT_NORM_WEIGHT = "output_norm.weight";
    public static final String OUTPUT_NORM_BIAS = "output_norm.bias";
    public static final String OUTPUT = "output.weight";

    /** The per-block tensors, without their {@code blk.N.} prefix, in file order. */
    public static final List<String> BLOCK_TENSORS = List.of(
            "attn_norm.weight", "attn_norm.bias",
            "attn_qkv.weight", "attn_qkv.bias",
            "attn_output.weight", "attn_output.bias",
            "ffn_norm.weight", "ffn_norm.bias",
            "ffn_up.weight", "ffn_up.bias",
            "ffn_down.weight", "ffn_down.bias");

    private static final Pattern BLOCK_NAME = Pattern.compile("blk\\.(0|[1-9][0-9]{0,8})\\.([a-z_]+\\.(?:weight|bias))");

    private CanonicalTensors() {
    }

    public static String block(int layer, String tensor) {
        return "blk." + layer + "." + tensor;
    }

    /** Every tensor a model must have, in file order; {@link #OUTPUT} is optional and not included. */
    public static List<String> required(int nLayer) {
        return requiredNames(nLayer).toList();
    }

    /**
     * {@link #required} as a lazy stream: a reader checking a file against a header's {@code n_layer} stops at the
     * first missing name instead of listing the names of every block the header claims.
     */
    public static Stream<String> requiredNames(int nLayer) {
        return Stream.of(Stream.of(TOKEN_EMBD, POSITION_EMBD),
                        IntStream.range(0, nLayer).boxed().flatMap(layer -> BLOCK_TENSORS.stream().map(t -> block(layer, t))),
                        Stream.of(OUTPUT_NORM_WEIGHT, OUTPUT_NORM_BIAS))
                .flatMap(names -> names);
    }

    /** The canonical shape of {@code name} under {@code config}, or null when it is no tensor of that model. */
    public static long[] shape(String name, Gpt2Config config) {
        long v = config.nVocab();
        long c = config.nCtx();
        long d = config.nEmbd();
        long f = 4L * d;
        switch (name) {
            case TOKEN_EMBD, OUTPUT:
                return new long[] {v, d};
            case POSITION_EMBD:
                return new long[] {c, d};
            case OUTPUT_NORM_WEIGHT, OUTPUT_NORM_BIAS:
                return new long[] {d};
            default:
                break;
        }
        Matcher m = BLOCK_NAME.matcher(name);
        if (!m.matches() || Integer.parseInt(m.group(1)) >= config.nLayer()) {
            return null;
        }
        return switch (m.group(2)) {
            case "attn_norm.weight", "attn_norm.bias", "ffn_norm.weight", "ffn_norm.bias",
                 "attn_output.bias", "ffn_down.bias" -> new long[] {d};
            case "attn_qkv.weight" -> new long[] {3 * d, d};
            case "attn_qkv.bias" -> new long[] {3 * d};
            case "attn_output.weight" -> new long[] {d, d};
            case "ffn_up.weight" -> new long[] {f, d};
            case "ffn_up.bias" -> new long[] {f};
            case "ffn_down.weight" -> new long[] {d, f};
            default -> null;
        };
    }
}
