package dev.logitlens.testing;

import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.model.TensorType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GPT-2 weights as a Hugging Face checkpoint: {@code config.json} and {@code model.safetensors}
 * (or shards with {@code model.safetensors.index.json}), with Hugging Face's names and its Conv1D
 * matrices stored {@code [in, out]}, plus the attention mask buffers a real GPT-2 checkpoint carries.
 * The {@code with...}/{@code without...} methods bend the files out of shape, for tests of how a
 * reader rejects them.
 */
public final class SafetensorsWriter {

    /** Canonical block tensor → Hugging Face name (after {@code h.N.}), and whether it is a Conv1D matrix. */
    private record HfName(String name, boolean conv1d) {
    }

    private static final Map<String, HfName> BLOCK_NAMES = Map.ofEntries(
            Map.entry("attn_norm.weight", new HfName("ln_1.weight", false)),
            Map.entry("attn_norm.bias", new HfName("ln_1.bias", false)),
            Map.entry("attn_qkv.weight", new HfName("attn.c_attn.weight", true)),
            Map.entry("attn_qkv.bias", new HfName("attn.c_attn.bias", false)),
            Map.entry("attn_output.weight", new HfName("attn.c_proj.weight", true)),
            Map.entry("attn_output.bias", new HfName("attn.c_proj.bias", false)),
            Map.entry("ffn_norm.weight", new HfName("ln_2.weight", false)),
            Map.entry("ffn_norm.bias", new HfName("ln_2.bias", false)),
            Map.entry("ffn_up.weight", new HfName("mlp.c_fc.weight", true)),
            Map.entry("ffn_up.bias", new HfName("mlp.c_fc.bias", false)),
            Map.entry("ffn_down.weight", new HfName("mlp.c_proj.weight", true)),
            Map.entry("ffn_down.bias", new HfName("mlp.c_proj.bias", false)));

    /** One tensor as it will be written. */
    private static final class Planned {
        long[] shape;
        float[] values;
        String dtype; // a dtype to declare instead of the data's own

        Planned(long[] shape, float[] values) {
            this.shape = shape;
            this.values = values;
        }
    }

    private final CanonicalWeights weights;
    private final Map<String, Planned> overrides = new LinkedHashMap<>();
    private final List<String> removed = new ArrayList<>();
    private final Map<String, Object> configOverrides = new LinkedHashMap<>();
    private TensorType type = TensorType.F32;
    private boolean prefixed = true;
    private boolean maskBuffers = true;
    private boolean lmHeadWhenTied;

    public SafetensorsWriter(CanonicalWeights weights) {
        this.weights = weights;
    }

    /** The element type of every weight; F32 by default. */
    public SafetensorsWriter type(TensorType type) {
        this.type = type;
        return this;
    }

    /** Whether names carry the {@code transformer.} prefix (as GPT2LMHeadModel saves them); true by default. */
    public SafetensorsWriter prefixed(boolean prefixed) {
        this.prefixed = prefixed;
        return this;
    }

    /** Whether to write the {@code h.N.attn.bias} / {@code h.N.attn.masked_bias} buffers; true by default. */
    public SafetensorsWriter maskBuffers(boolean maskBuffers) {
        this.maskBuffers = maskBuffers;
        return this;
    }

    /** For tied weights, also write {@code lm_head.weight} as a copy of {@code wte.weight}. */
    public SafetensorsWriter lmHeadWhenTied(boolean lmHead) {
        this.lmHeadWhenTied = lmHead;
        return this;
    }

    /** Replaces or adds a tensor by its name in the file ({@code shape} as stored). */
    public SafetensorsWriter withTensor(String name, long[] shape, float[] values) {
        overrides.put(name, new Planned(shape.clone(), values.clone()));
        return this;
    }

    /** Declares {@code dtype} for a tensor whose data stays in the ordinary type. */
    public SafetensorsWriter withDtype(String name, String dtype) {
        Planned t = plan().get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor " + name + " to change");
        }
        t.dtype = dtype;
        overrides.put(name, t);
        return this;
    }

    public SafetensorsWriter without(String name) {
        removed.add(name);
        return this;
    }

    /** Sets a config.json entry; null removes it. */
    public SafetensorsWriter withConfig(String key, Object value) {
        configOverrides.put(key, value);
        return this;
    }

    /** The name a tensor has in the file: the prefix, when on, goes before everything but {@code lm_head.weight}. */
    private String hfName(String bareName) {
        return bareName.equals("lm_head.weight") || !prefixed ? bareName : "transformer." + bareName;
    }

    /** {@code config.json} and {@code model.safetensors} in {@code folder}; returns the folder. */
    public Path writeFolder(Path folder) throws IOException {
        Files.createDirectories(folder);
        writeConfig(folder.resolve("config.json"));
        writeFile(folder.resolve("model.safetensors"));
        return folder;
    }

    /** {@code config.json}, {@code shards} shard files and {@code model.safetensors.index.json}; returns the folder. */
    public Path writeSharded(Path folder, int shards) throws IOException {
        Files.createDirectories(folder);
        writeConfig(folder.resolve("config.json"));
        List<Map.Entry<String, Planned>> all = new ArrayList<>(plan().entrySet());
        Map<String, Object> weightMap = new LinkedHashMap<>();
        for (int s = 0; s < shards; s++) {
            String shardName = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            Map<String, Planned> part = new LinkedHashMap<>();
            for (int i = s; i < all.size(); i += shards) {
                part.put(all.get(i).getKey(), all.get(i).getValue());
                weightMap.put(all.get(i).getKey(), shardName);
            }
            Files.write(folder.resolve(shardName), safetensors(part));
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_size", 0));
        index.put("weight_map", weightMap);
        Files.writeString(folder.resolve("model.safetensors.index.json"), Json.write(index));
        return folder;
    }

    /** Only the {@code .safetensors} file. */
    public Path writeFile(Path file) throws IOException {
        Files.write(file, safetensors(plan()));
        return file;
    }

    public Path writeConfig(Path file) throws IOException {
        Gpt2Config c = weights.config();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("activation_function", "gelu_new");
        config.put("architectures", List.of("GPT2LMHeadModel"));
        config.put("layer_norm_epsilon", (double) c.normEps());
        config.put("model_type", "gpt2");
        config.put("n_ctx", c.nCtx());
        config.put("n_embd", c.nEmbd());
        config.put("n_head", c.nHead());
        config.put("n_layer", c.nLayer());
        config.put("n_positions", c.nCtx());
        config.put("tie_word_embeddings", weights.tied());
        config.put("vocab_size", c.nVocab());
        configOverrides.forEach((key, value) -> {
            if (value == null) {
                config.remove(key);
            } else {
                config.put(key, value);
            }
        });
        Files.writeString(file, Json.write(config));
        return file;
    }

    /** Every tensor to write, by its name in the file, with overrides applied. */
    private Map<String, Planned> plan() {
        Gpt2Config c = weights.config();
        Map<String, Planned> plan = new LinkedHashMap<>();
        plan.put(hfName("wte.weight"), canonical("token_embd.weight"));
        plan.put(hfName("wpe.weight"), canonical("position_embd.weight"));
        for (int layer = 0; layer < c.nLayer(); layer++) {
            for (Map.Entry<String, HfName> e : BLOCK_NAMES.entrySet()) {
                Planned t = canonical("blk." + layer + "." + e.getKey());
                if (e.getValue().conv1d()) { // [out, in] → [in, out]
                    t = new Planned(new long[] {t.shape[1], t.shape[0]},
                            TensorCodec.transpose(t.values, (int) t.shape[0], (int) t.shape[1]));
                }
                plan.put(hfName("h." + layer + "." + e.getValue().name()), t);
            }
            if (maskBuffers) {
                plan.put(hfName("h." + layer + ".attn.bias"), causalMask(c.nCtx()));
                plan.put(hfName("h." + layer + ".attn.masked_bias"), new Planned(new long[0], new float[] {-1e4f}));
            }
        }
        plan.put(hfName("ln_f.weight"), canonical("output_norm.weight"));
        plan.put(hfName("ln_f.bias"), canonical("output_norm.bias"));
        if (!weights.tied()) {
            plan.put("lm_head.weight", canonical("output.weight"));
        } else if (lmHeadWhenTied) {
            plan.put("lm_head.weight", canonical("token_embd.weight"));
        }
        plan.putAll(overrides);
        removed.forEach(plan::remove);
        return plan;
    }

    private Planned canonical(String name) {
        return new Planned(weights.shape(name), weights.get(name));
    }

    /** A {@code [1, 1, C, C]} lower-triangular matrix of ones, as GPT-2 registers it. */
    private static Planned causalMask(int nCtx) {
        float[] mask = new float[nCtx * nCtx];
        for (int i = 0; i < nCtx; i++) {
            for (int j = 0; j <= i; j++) {
                mask[i * nCtx + j] = 1;
            }
        }
        return new Planned(new long[] {1, 1, nCtx, nCtx}, mask);
    }

    private byte[] safetensors(Map<String, Planned> tensors) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        LittleEndianOutput data = new LittleEndianOutput();
        for (Map.Entry<String, Planned> e : tensors.entrySet()) {
            Planned t = e.getValue();
            byte[] bytes = TensorCodec.encode(t.values, type);
            long begin = data.position();
            data.bytes(bytes);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype != null ? t.dtype : type.name());
            List<Long> shape = new ArrayList<>();
            for (long d : t.shape) {
                shape.add(d);
            }
            entry.put("shape", shape);
            entry.put("data_offsets", List.of(begin, data.position()));
            header.put(e.getKey(), entry);
        }
        StringBuilder json = new StringBuilder(Json.write(header));
        while (json.length() % 8 != 0) { // the format pads the header with spaces to a multiple of 8
            json.append(' ');
        }
        byte[] headerBytes = json.toString().getBytes(StandardCharsets.UTF_8);
        return new LittleEndianOutput().u64(headerBytes.length).bytes(headerBytes).bytes(data.toByteArray()).toByteArray();
    }
}
