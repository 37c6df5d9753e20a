package dev.logitlens.model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Reads a GGUF file (version 2 or 3, little-endian) holding a {@code gpt2} model as llama.cpp writes
 * it. The file is memory-mapped; tensors are slices of the mapping, valid until the weights are closed.
 * GGUF lists dimensions innermost first (ggml's {@code ne}); {@link TensorInfo#shape()} is the reverse,
 * row-major, so matrices come out {@code [out, in]}.
 */
public final class GgufModel {

    public static final String FORMAT = "gguf";
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    public static final int DEFAULT_ALIGNMENT = 32;

    /** GGUF metadata value types. */
    static final int TYPE_UINT8 = 0, TYPE_INT8 = 1, TYPE_UINT16 = 2, TYPE_INT16 = 3, TYPE_UINT32 = 4, TYPE_INT32 = 5,
            TYPE_FLOAT32 = 6, TYPE_BOOL = 7, TYPE_STRING = 8, TYPE_ARRAY = 9, TYPE_UINT64 = 10, TYPE_INT64 = 11,
            TYPE_FLOAT64 = 12;

    private static final int MAX_DIMS = 4;
    private static final int MAX_ARRAY_NESTING = 8;
    // smallest possible encodings, to reject absurd counts before looping over them
    private static final long MIN_KV_BYTES = 8 + 4 + 1;
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

    /** ggml type names by code, for messages; null where a code is unused. */
    private static final String[] GGML_TYPE_NAMES = {
        "F32", "F16", "Q4_0", "Q4_1", null, null, "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
        "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16",
        "I32", "I64", "F64", "IQ1_M", "BF16", null, null, null, "TQ1_0", "TQ2_0", null, null, null, "MXFP4"};

    /** An array in the metadata: its contents are skipped, only its element type and length kept. */
    record ArrayValue(int elementType, long length) {
    }

    private record RawTensor(String name, long[] ne, int ggmlType, long offset) {
    }

    private GgufModel() {
    }

    public static ModelWeights open(Path file) throws IOException {
        long size = Files.size(file);
        if (size == 0) {
            throw new ModelFormatException(file, "empty file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return read(file, mapped, arena);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static ModelWeights read(Path file, MemorySegment mapped, Arena arena) throws ModelFormatException {
        BoundedReader in = new BoundedReader(mapped, file);
        int magic = in.u32("the GGUF magic");
        if (magic != MAGIC) {
            throw new ModelFormatException(file, "not a GGUF file: it starts with "
                    + hex(mapped.asSlice(0, Math.min(4, mapped.byteSize()))) + ", expected \"GGUF\" (47 47 55 46)");
        }
        int version = in.u32("the GGUF version");
        if (version != 2 && version != 3) {
            throw new ModelFormatException(file, Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? "big-endian GGUF is not supported"
                    : "unsupported GGUF version " + Integer.toUnsignedString(version) + " (logitlens reads versions 2 and 3)");
        }
        long tensorCount = in.u64("the tensor count");
        long kvCount = in.u64("the metadata entry count");
        checkCount(file, in, kvCount, MIN_KV_BYTES, "metadata entries");

        Map<String, Object> metadata = new HashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = readString(in, "the key of metadata entry " + i);
            int type = in.u32("the value type of metadata key " + key);
            Object value = readValue(file, in, type, key, 0);
            if (metadata.putIfAbsent(key, value) != null) {
                throw new ModelFormatException(file, "metadata key " + key + " appears twice");
            }
        }
        String architecture = stringKey(file, metadata, "general.architecture");
        if (!architecture.equals("gpt2")) {
            throw new ModelFormatException(file, "general.architecture is \"" + architecture + "\": logitlens reads gpt2 models only");
        }
        long alignment = metadata.containsKey("general.alignment") ? intKey(file, metadata, "general.alignment") : DEFAULT_ALIGNMENT;
        if (alignment <= 0 || alignment > (1 << 30) || Long.bitCount(alignment) != 1) {
            throw new ModelFormatException(file, "general.alignment " + alignment + " is not a power of two");
        }

        checkCount(file, in, tensorCount, MIN_TENSOR_INFO_BYTES, "tensors");
        List<RawTensor> raw = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            raw.add(readTensorInfo(file, in, i));
        }
        long dataStart = alignUp(in.position(), alignment);
        if (dataStart > mapped.byteSize()) {
            throw new ModelFormatException(file, "truncated: the file ends at byte " + mapped.byteSize()
                    + ", before the tensor data (which starts at byte " + dataStart + ")");
        }
        long dataSize = mapped.byteSize() - dataStart;

        Gpt2Config config = readConfig(file, metadata, raw);
        List<TensorType> types = new ArrayList<>(); // parallel to raw
        for (RawTensor t : raw) {
            types.add(checkedType(file, t));
            if (t.offset() % alignment != 0) {
                throw new ModelFormatException(file, "tensor " + t.name() + " has offset " + Long.toUnsignedString(t.offset())
                        + ", not a multiple of the alignment " + alignment);
            }
        }
        checkDataFits(file, raw, types, dataSize);

        TensorTable table = new TensorTable(config, "the GGUF metadata", UnaryOperator.identity());
        for (int i = 0; i < raw.size(); i++) {
            RawTensor t = raw.get(i);
            long[] shape = TensorTable.reversed(t.ne());
            TensorType type = types.get(i);
            long bytes = type.byteSize(elementCount(t.ne()));
            MemorySegment data = mapped.asSlice(dataStart + t.offset(), bytes);
            table.add(file, t.name(), new TensorInfo(t.name(), type, shape, MatrixLayout.OUT_IN, data));
        }
        return table.build(file, FORMAT, arena);
    }

    private static void checkCount(Path file, BoundedReader in, long count, long minBytesEach, String what)
            throws ModelFormatException {
        if (count < 0 || count > in.remaining() / minBytesEach) {
            throw new ModelFormatException(file, "truncated or corrupt: header claims " + Long.toUnsignedString(count) + " " + what
                    + ", more than the " + in.remaining() + " bytes after offset " + in.position() + " can hold");
        }
    }

    private static String readString(BoundedReader in, String what) throws ModelFormatException {
        long length = in.u64("the length of " + what);
        return in.utf8(length, what);
    }

    private static Object readValue(Path file, BoundedReader in, int type, String key, int depth) throws ModelFormatException {
        String what = "the value of metadata key " + key;
        return switch (type) {
            case TYPE_UINT8 -> (long) in.u8(what);
            case TYPE_INT8 -> (long) (byte) in.u8(what);
            case TYPE_UINT16, TYPE_INT16 -> {
                int lo = in.u8(what);
                int v = lo | (in.u8(what) << 8);
                yield type == TYPE_INT16 ? (long) (short) v : (long) v;
            }
            case TYPE_UINT32 -> Integer.toUnsignedLong(in.u32(what));
            case TYPE_INT32 -> (long) in.u32(what);
            case TYPE_FLOAT32 -> (double) in.f32(what);
            case TYPE_BOOL -> in.u8(what) != 0;
            case TYPE_STRING -> readString(in, what);
            case TYPE_UINT64 -> {
                long v = in.u64(what);
                yield v >= 0 ? (Object) v : new BigInteger(Long.toUnsignedString(v));
            }
            case TYPE_INT64 -> in.u64(what);
            case TYPE_FLOAT64 -> in.f64(what);
            case TYPE_ARRAY -> skipArray(file, in, key, depth);
            default -> throw new ModelFormatException(file, "metadata key " + key + " has unknown value type "
                    + Integer.toUnsignedString(type));
        };
    }

    private static ArrayValue skipArray(Path file, BoundedReader in, String key, int depth) throws ModelFormatException {
        if (depth >= MAX_ARRAY_NESTING) {
            throw new ModelFormatException(file, "metadata key " + key + " nests arrays deeper than " + MAX_ARRAY_NESTING);
        }
        int elementType = in.u32("the element type of array " + key);
        long length = in.u64("the length of array " + key);
        long fixedSize = switch (elementType) {
            case TYPE_UINT8, TYPE_INT8, TYPE_BOOL -> 1;
            case TYPE_UINT16, TYPE_INT16 -> 2;
            case TYPE_UINT32, TYPE_INT32, TYPE_FLOAT32 -> 4;
            case TYPE_UINT64, TYPE_INT64, TYPE_FLOAT64 -> 8;
            case TYPE_STRING, TYPE_ARRAY -> 0;
            default -> throw new ModelFormatException(file, "array " + key + " has unknown element type "
                    + Integer.toUnsignedString(elementType));
        };
        if (fixedSize > 0) {
            checkCount(file, in, length, fixedSize, "elements in array " + key);
            in.skip(length * fixedSize, "the elements of array " + key);
        } else {
            checkCount(file, in, length, elementType == TYPE_STRING ? 8 : 12, "elements in array " + key);
            for (long i = 0; i < length; i++) {
                if (elementType == TYPE_STRING) {
                    long n = in.u64("the length of string " + i + " of array " + key);
                    in.skip(n, "string " + i + " of array " + key);
                } else {
                    skipArray(file, in, key + "[" + i + "]", depth + 1);
                }
            }
        }
        return new ArrayValue(elementType, length);
    }

    private static RawTensor readTensorInfo(Path file, BoundedReader in, long index) throws ModelFormatException {
        String name = readString(in, "the name of tensor " + index);
        int nDims = in.u32("the dimension count of tensor " + name);
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw new ModelFormatException(file, "tensor " + name + " has " + Integer.toUnsignedString(nDims)
                    + " dimensions, expected 1 to " + MAX_DIMS);
        }
        long[] ne = new long[nDims];
        for (int i = 0; i < nDims; i++) {
            ne[i] = in.u64("dimension " + i + " of tensor " + name);
            if (ne[i] <= 0) {
                throw new ModelFormatException(file, "tensor " + name + " has dimension " + i + " = "
                        + Long.toUnsignedString(ne[i]) + ", expected a positive size");
            }
        }
        int type = in.u32("the type of tensor " + name);
        long offset = in.u64("the data offset of tensor " + name);
        if (!addressable(ne)) {
            throw new ModelFormatException(file, "tensor " + name + " has too many elements: ne " + Arrays.toString(ne));
        }
        return new RawTensor(name, ne, type, offset);
    }

    private static Gpt2Config readConfig(Path file, Map<String, Object> metadata, List<RawTensor> raw)
            throws ModelFormatException {
        RawTensor tokenEmbd = raw.stream().filter(t -> t.name().equals(CanonicalTensors.TOKEN_EMBD)).findFirst()
                .orElseThrow(() -> new ModelFormatException(file, "missing tensor " + CanonicalTensors.TOKEN_EMBD));
        if (tokenEmbd.ne().length != 2) {
            throw new ModelFormatException(file, "tensor " + CanonicalTensors.TOKEN_EMBD + " has "
                    + tokenEmbd.ne().length + " dimensions, expected 2 ([n_vocab, n_embd])");
        }
        return TensorTable.checkedConfig(file, "the GGUF metadata",
                tokenEmbd.ne()[1],
                intKey(file, metadata, "gpt2.context_length"),
                intKey(file, metadata, "gpt2.embedding_length"),
                intKey(file, metadata, "gpt2.attention.head_count"),
                intKey(file, metadata, "gpt2.block_count"),
                floatKey(file, metadata, "gpt2.attention.layer_norm_epsilon"));
    }

    private static TensorType checkedType(Path file, RawTensor t) throws ModelFormatException {
        TensorType type = TensorType.fromGgmlCode(t.ggmlType());
        if (type == null) {
            int code = t.ggmlType();
            String name = code >= 0 && code < GGML_TYPE_NAMES.length ? GGML_TYPE_NAMES[code] : null;
            throw new ModelFormatException(file, "tensor " + t.name() + " has type "
                    + (name != null ? name + " (ggml type " + code + ")" : "ggml type " + Integer.toUnsignedString(code))
                    + ": logitlens reads F32, F16 and BF16");
        }
        return type;
    }

    /** Every tensor must lie inside the data section; names the tensor reaching furthest past its end. */
    private static void checkDataFits(Path file, List<RawTensor> raw, List<TensorType> types, long dataSize)
            throws ModelFormatException {
        RawTensor furthest = null;
        long furthestEnd = 0;
        for (int i = 0; i < raw.size(); i++) {
            RawTensor t = raw.get(i);
            long bytes = types.get(i).byteSize(elementCount(t.ne()));
            long end = t.offset() < 0 || t.offset() > Long.MAX_VALUE - bytes ? Long.MAX_VALUE : t.offset() + bytes;
            if (end > furthestEnd) {
                furthestEnd = end;
                furthest = t;
            }
        }
        if (furthestEnd > dataSize) {
            throw new ModelFormatException(file, "truncated or corrupt: header says "
                    + (furthestEnd == Long.MAX_VALUE ? "more than 2^63" : Long.toString(furthestEnd))
                    + " bytes of data (tensor " + furthest.name() + " at offset " + Long.toUnsignedString(furthest.offset())
                    + "), file has " + dataSize);
        }
    }

    private static long intKey(Path file, Map<String, Object> metadata, String key) throws ModelFormatException {
        Object value = requiredKey(file, metadata, key);
        if (value instanceof Long n) {
            return n;
        }
        throw new ModelFormatException(file, "metadata key " + key + " is " + describe(value) + ", expected an integer"
                + (value instanceof BigInteger ? " in range" : ""));
    }

    private static double floatKey(Path file, Map<String, Object> metadata, String key) throws ModelFormatException {
        Object value = requiredKey(file, metadata, key);
        if (value instanceof Double d) {
            return d;
        }
        throw new ModelFormatException(file, "metadata key " + key + " is " + describe(value) + ", expected a float");
    }

    private static String stringKey(Path file, Map<String, Object> metadata, String key) throws ModelFormatException {
        Object value = requiredKey(file, metadata, key);
        if (value instanceof String s) {
            return s;
        }
        throw new ModelFormatException(file, "metadata key " + key + " is " + describe(value) + ", expected a string");
    }

    private static Object requiredKey(Path file, Map<String, Object> metadata, String key) throws ModelFormatException {
        Object value = metadata.get(key);
        if (value == null) {
            throw new ModelFormatException(file, "missing metadata key " + key);
        }
        return value;
    }

    private static String describe(Object value) {
        return switch (value) {
            case String s -> "the string \"" + s + "\"";
            case ArrayValue a -> "an array of " + a.length() + " elements";
            default -> value.toString();
        };
    }

    /** Whether the tensor's size in bytes, at up to 8 bytes an element, fits a long. */
    private static boolean addressable(long[] ne) {
        try {
            return elementCount(ne) <= Long.MAX_VALUE / 8;
        } catch (ArithmeticException e) {
            return false;
        }
    }

    private static long elementCount(long[] ne) {
        long n = 1;
        for (long d : ne) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static long alignUp(long position, long alignment) {
        return (position + alignment - 1) / alignment * alignment;
    }

    private static String hex(MemorySegment bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes.toArray(ValueLayout.JAVA_BYTE)) {
            sb.append(sb.isEmpty() ? "" : " ").append(String.format("%02x", b));
        }
        return sb.toString();
    }
}
