package dev.logitlens.testing;

import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.TensorType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes GPT-2 weights as a GGUF file the way llama.cpp lays one out for architecture {@code gpt2}:
 * the hyper-parameters as {@code gpt2.*} metadata, a small tokenizer vocabulary, then the tensors
 * with ggml dimensions (innermost first), each aligned. The {@code with...}/{@code without...}
 * methods bend the file out of shape, for tests of how a reader rejects it.
 */
public final class GgufWriter {

    // GGUF metadata value types
    private static final int UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10;

    /** One tensor as it will be written. */
    private static final class Planned {
        long[] shape; // row-major, outermost first
        float[] values;
        Integer typeCode; // a ggml type code to declare instead of the data's own
        Long offset; // an offset to declare instead of the real one

        Planned(long[] shape, float[] values) {
            this.shape = shape;
            this.values = values;
        }
    }

    private final Map<String, Planned> tensors = new LinkedHashMap<>();
    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private TensorType matrixType = TensorType.F32;
    private TensorType vectorType = TensorType.F32;
    private int version = 3;
    private int alignment = 32;

    public GgufWriter(CanonicalWeights weights) {
        Gpt2Config c = weights.config();
        metadata.put("general.architecture", "gpt2");
        metadata.put("general.name", "tiny-gpt2");
        metadata.put("gpt2.context_length", c.nCtx());
        metadata.put("gpt2.embedding_length", c.nEmbd());
        metadata.put("gpt2.feed_forward_length", 4 * c.nEmbd());
        metadata.put("gpt2.block_count", c.nLayer());
        metadata.put("gpt2.attention.head_count", c.nHead());
        metadata.put("gpt2.attention.layer_norm_epsilon", c.normEps());
        metadata.put("tokenizer.ggml.model", "gpt2");
        String[] tokens = new String[c.nVocab()];
        int[] tokenTypes = new int[c.nVocab()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = "tok" + i;
            tokenTypes[i] = 1;
        }
        metadata.put("tokenizer.ggml.tokens", tokens);
        metadata.put("tokenizer.ggml.token_type", tokenTypes);
        metadata.put("tokenizer.ggml.add_bos_token", false);
        for (Map.Entry<String, float[]> e : weights.tensors().entrySet()) {
            tensors.put(e.getKey(), new Planned(weights.shape(e.getKey()), e.getValue()));
        }
    }

    /** The type of 2-D tensors (matrices and embeddings); F32 by default. */
    public GgufWriter matrixType(TensorType type) {
        matrixType = type;
        return this;
    }

    /** The type of 1-D tensors (norms, biases); F32 by default, as llama.cpp writes them. */
    public GgufWriter vectorType(TensorType type) {
        vectorType = type;
        return this;
    }

    public GgufWriter version(int version) {
        this.version = version;
        return this;
    }

    /** Data alignment; other than 32, it is written as {@code general.alignment}. */
    public GgufWriter alignment(int alignment) {
        this.alignment = alignment;
        if (alignment != 32) {
            metadata.put("general.alignment", alignment);
        }
        return this;
    }

    /**
     * Sets (or adds) a metadata entry: String, Integer (u32), Long (u64), Float (f32), Boolean,
     * String[] or int[] (arrays); null removes the key.
     */
    public GgufWriter withMetadata(String key, Object value) {
        if (value == null) {
            metadata.remove(key);
        } else {
            metadata.put(key, value);
        }
        return this;
    }

    /** Replaces or adds a tensor: {@code shape} row-major, {@code values} written in the tensor's type. */
    public GgufWriter withTensor(String name, long[] shape, float[] values) {
        tensors.put(name, new Planned(shape.clone(), values.clone()));
        return this;
    }

    public GgufWriter without(String tensor) {
        planned(tensor);
        tensors.remove(tensor);
        return this;
    }

    /** Declares ggml type {@code code} for a tensor whose data stays in its ordinary type. */
    public GgufWriter withTypeCode(String tensor, int code) {
        planned(tensor).typeCode = code;
        return this;
    }

    /** Declares {@code offset} (relative to the data section) for a tensor whose data stays where it is. */
    public GgufWriter withOffset(String tensor, long offset) {
        planned(tensor).offset = offset;
        return this;
    }

    public Path write(Path file) throws IOException {
        LittleEndianOutput out = new LittleEndianOutput();
        out.bytes(new byte[] {'G', 'G', 'U', 'F'}).u32(version).u64(tensors.size()).u64(metadata.size());
        metadata.forEach((key, value) -> writeEntry(out, key, value));

        Map<String, byte[]> data = new LinkedHashMap<>();
        long offset = 0;
        for (Map.Entry<String, Planned> e : tensors.entrySet()) {
            Planned t = e.getValue();
            TensorType type = t.shape.length == 1 ? vectorType : matrixType;
            byte[] bytes = TensorCodec.encode(t.values, type);
            data.put(e.getKey(), bytes);
            out.ggufString(e.getKey()).u32(t.shape.length);
            for (int i = t.shape.length - 1; i >= 0; i--) {
                out.u64(t.shape[i]);
            }
            out.u32(t.typeCode != null ? t.typeCode : type.ggmlCode());
            out.u64(t.offset != null ? t.offset : offset);
            offset += align(bytes.length);
        }
        out.pad(alignment);
        for (byte[] bytes : data.values()) {
            out.bytes(bytes).pad(alignment);
        }
        Files.write(file, out.toByteArray());
        return file;
    }

    private Planned planned(String tensor) {
        Planned t = tensors.get(tensor);
        if (t == null) {
            throw new IllegalArgumentException("no tensor " + tensor + " to change");
        }
        return t;
    }

    private long align(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private static void writeEntry(LittleEndianOutput out, String key, Object value) {
        out.ggufString(key);
        switch (value) {
            case String s -> out.u32(STRING).ggufString(s);
            case Integer i -> out.u32(UINT32).u32(i);
            case Long l -> out.u32(UINT64).u64(l);
            case Float f -> out.u32(FLOAT32).u32(Float.floatToRawIntBits(f));
            case Boolean b -> out.u32(BOOL).u8(b ? 1 : 0);
            case String[] strings -> {
                out.u32(ARRAY).u32(STRING).u64(strings.length);
                for (String s : strings) {
                    out.ggufString(s);
                }
            }
            case int[] ints -> {
                out.u32(ARRAY).u32(INT32).u64(ints.length);
                for (int i : ints) {
                    out.u32(i);
                }
            }
            default -> throw new IllegalArgumentException("cannot write " + value.getClass() + " as GGUF metadata");
        }
    }
}
