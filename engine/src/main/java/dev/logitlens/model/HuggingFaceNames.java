package dev.logitlens.model;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face / minGPT GPT-2 tensor names ({@code wte.weight}, {@code h.3.attn.c_attn.weight}, ...,
 * with or without a {@code transformer.} prefix, and {@code lm_head.weight}) and their canonical names.
 */
final class HuggingFaceNames {

    static final String PREFIX = "transformer.";
    static final String LM_HEAD = "lm_head.weight";

    private static final Map<String, String> BLOCK_PARTS = Map.of(
            "ln_1", "attn_norm",
            "attn.c_attn", "attn_qkv",
            "attn.c_proj", "attn_output",
            "ln_2", "ffn_norm",
            "mlp.c_fc", "ffn_up",
            "mlp.c_proj", "ffn_down");
    private static final Map<String, String> TOP_LEVEL = Map.of(
            "wte.weight", CanonicalTensors.TOKEN_EMBD,
            "wpe.weight", CanonicalTensors.POSITION_EMBD,
            "ln_f.weight", CanonicalTensors.OUTPUT_NORM_WEIGHT,
            "ln_f.bias", CanonicalTensors.OUTPUT_NORM_BIAS);

    private static final Pattern BLOCK = Pattern.compile(
            "h\\.(0|[1-9][0-9]{0,8})\\.(ln_1|ln_2|attn\\.c_attn|attn\\.c_proj|mlp\\.c_fc|mlp\\.c_proj)\\.(weight|bias)");
    private static final Pattern ATTENTION_BUFFER = Pattern.compile("h\\.(0|[1-9][0-9]{0,8})\\.attn\\.(bias|masked_bias)");
    private static final Pattern CANONICAL_BLOCK = Pattern.compile("blk\\.([0-9]+)\\.([a-z_]+)\\.(weight|bias)");

    private HuggingFaceNames() {
    }

    /** The canonical name of a GPT-2 weight, or null when {@code name} is none (a buffer or something else). */
    static String canonical(String name) {
        if (name.equals(LM_HEAD)) {
            return CanonicalTensors.OUTPUT;
        }
        String bare = stripPrefix(name);
        String top = TOP_LEVEL.get(bare);
        if (top != null) {
            return top;
        }
        Matcher m = BLOCK.matcher(bare);
        return m.matches() ? CanonicalTensors.block(Integer.parseInt(m.group(1)), BLOCK_PARTS.get(m.group(2)) + "." + m.group(3)) : null;
    }

    /** The attention's causal-mask buffers ({@code h.N.attn.bias}, {@code h.N.attn.masked_bias}): not weights. */
    static boolean isAttentionBuffer(String name) {
        return ATTENTION_BUFFER.matcher(stripPrefix(name)).matches();
    }

    /** Whether the matrix is a Conv1D weight, stored {@code [in, out]}. */
    static boolean isConv1dWeight(String canonicalName) {
        return canonicalName.startsWith("blk.") && canonicalName.endsWith(".weight") && !canonicalName.contains("_norm.");
    }

    /** The Hugging Face name of a canonical tensor, with the prefix or without. */
    static String fromCanonical(String canonicalName, boolean prefixed) {
        if (canonicalName.equals(CanonicalTensors.OUTPUT)) {
            return LM_HEAD;
        }
        String prefix = prefixed ? PREFIX : "";
        for (Map.Entry<String, String> e : TOP_LEVEL.entrySet()) {
            if (e.getValue().equals(canonicalName)) {
                return prefix + e.getKey();
            }
        }
        Matcher m = CANONICAL_BLOCK.matcher(canonicalName);
        if (m.matches()) {
            for (Map.Entry<String, String> e : BLOCK_PARTS.entrySet()) {
                if (e.getValue().equals(m.group(2))) {
                    return prefix + "h." + m.group(1) + "." + e.getKey() + "." + m.group(3);
                }
            }
        }
        return canonicalName;
    }

    private static String stripPrefix(String name) {
        return name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
    }
}
