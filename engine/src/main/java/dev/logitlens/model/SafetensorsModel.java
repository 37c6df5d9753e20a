package dev.logitlens.model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a Hugging Face GPT-2 checkpoint: {@code config.json} plus {@code model.safetensors}, or shards
 * listed by {@code model.safetensors.index.json}. Files are memory-mapped; tensors are slices of the
 * mappings. Conv1D matrices keep their stored {@code [in, out]} shape with {@link MatrixLayout#IN_OUT}.
 * Tensor names may carry the {@code transformer.} prefix; the attention's mask buffers are ignored.
 */
public final class SafetensorsModel {

    public static final String FORMAT = "safetensors";
    public static final String CONFIG_FILE = "config.json";
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** The safetensors format's own limit on the JSON header. */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** What config.json says. */
    private record HfConfig(Gpt2Config config, boolean tieWordEmbeddings) {
    }

    /** One header entry, as written: {@code data_offsets} [begin, end) are relative to the end of the header. */
    private record RawEntry(String name, String dtype, long[] shape, long begin, long end) {

        static RawEntry parse(String name, Object value) throws JsonException {
            Map<String, Object> fields = Json.asObject(value, name);
            String dtype = Json.asString(fields.get("dtype"), name + ".dtype");
            List<Object> dims = Json.asArray(fields.get("shape"), name + ".shape");
            long[] shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = Json.asLong(dims.get(i), name + ".shape[" + i + "]");
                if (shape[i] < 0) {
                    throw new JsonException(name + ".shape[" + i + "] is negative");
                }
            }
            List<Object> offsets = Json.asArray(fields.get("data_offsets"), name + ".data_offsets");
            if (offsets.size() != 2) {
                throw new JsonException(name + ".data_offsets must be [begin, end], not " + Json.write(offsets));
            }
            long begin = Json.asLong(offsets.get(0), name + ".data_offsets[0]");
            long end = Json.asLong(offsets.get(1), name + ".data_offsets[1]");
            if (begin < 0 || end < begin) {
                throw new JsonException(name + ".data_offsets " + Json.write(offsets) + " is not a range [begin, end)");
            }
            return new RawEntry(name, dtype, shape, begin, end);
        }
    }

    /** One header entry with its data, checked to lie inside the file. */
    private record Entry(String name, String dtype, long[] shape, MemorySegment data) {
    }

    private SafetensorsModel() {
    }

    /** A Hugging Face model folder: {@code config.json} with {@code model.safetensors} or the sharded index. */
    public static ModelWeights openFolder(Path folder) throws IOException {
        Path configFile = folder.resolve(CONFIG_FILE);
        if (!Files.exists(configFile)) {
            throw new ModelFormatException(folder, "no " + CONFIG_FILE + ": a Hugging Face model folder needs one beside "
                    + SINGLE_FILE);
        }
        ModelFiles.requireRegularFile(configFile);
        Path single = folder.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return read(single, List.of(single), readConfig(configFile), Map.of());
        }
        Path index = folder.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return readSharded(index, readConfig(configFile));
        }
        throw new ModelFormatException(folder, "no " + SINGLE_FILE + " or " + INDEX_FILE);
    }

    /** One {@code .safetensors} file, with {@code config.json} in the same folder. */
    public static ModelWeights openFile(Path file) throws IOException {
        Path configFile = file.toAbsolutePath().resolveSibling(CONFIG_FILE);
        if (!Files.exists(configFile)) {
            throw new ModelFormatException(file, "no " + CONFIG_FILE + " beside it: safetensors files hold no hyper-parameters");
        }
        ModelFiles.requireRegularFile(configFile);
        return read(file, List.of(file), readConfig(configFile), Map.of());
    }

    private static ModelWeights readSharded(Path index, HfConfig config) throws IOException {
        Map<String, String> weightMap = new LinkedHashMap<>();
        Set<String> shardNames = new LinkedHashSet<>();
        try {
            Map<String, Object> root = Json.asObject(JsonFiles.read(index, JsonFiles.CONFIG_MAX_BYTES), "the index");
            for (Map.Entry<String, Object> e : Json.asObject(root.get("weight_map"), "weight_map").entrySet()) {
                String shard = Json.asString(e.getValue(), "weight_map[\"" + e.getKey() + "\"]");
                if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..") || shard.equals(".")) {
                    throw new ModelFormatException(index, "weight_map names shard \"" + shard + "\", not a file in the same folder");
                }
                weightMap.put(e.getKey(), shard);
                shardNames.add(shard);
            }
        } catch (JsonException e) {
            throw new ModelFormatException(index, e.getMessage(), e);
        }
        if (shardNames.isEmpty()) {
            throw new ModelFormatException(index, "weight_map lists no tensors");
        }
        List<Path> shards = new ArrayList<>();
        for (String shard : shardNames) {
            Path path = index.resolveSibling(shard);
            if (!Files.isRegularFile(path)) {
                throw new ModelFormatException(index, "shard " + shard + " does not exist");
            }
            shards.add(path);
        }
        return read(index, shards, config, weightMap);
    }

    /**
     * Maps every file, checks each header and tensor, and builds the weights; {@code describedAs} is the
     * file named in messages about the model as a whole (a missing tensor).
     */
    private static ModelWeights read(Path describedAs, List<Path> files, HfConfig hf, Map<String, String> weightMap)
            throws IOException {
        Arena arena = Arena.ofShared();
        try {
            List<List<Entry>> headers = new ArrayList<>();
            for (Path file : files) {
                headers.add(mapAndReadHeader(file, arena));
            }
            boolean prefixed = headers.stream().flatMap(List::stream).anyMatch(e -> e.name().startsWith(HuggingFaceNames.PREFIX));
            TensorTable table = new TensorTable(hf.config(), CONFIG_FILE, name -> HuggingFaceNames.fromCanonical(name, prefixed));
            for (int i = 0; i < files.size(); i++) {
                Path file = files.get(i);
                for (Entry entry : headers.get(i)) {
                    String shard = weightMap.get(entry.name());
                    if (shard != null && !shard.equals(file.getFileName().toString())) {
                        throw new ModelFormatException(describedAs, "weight_map puts " + entry.name() + " in " + shard
                                + ", but it is in " + file.getFileName());
                    }
                    addEntry(file, entry, table);
                }
            }
            checkWeightMap(describedAs, weightMap, headers);
            if (!hf.tieWordEmbeddings() && !table.has(CanonicalTensors.OUTPUT)) {
                throw new ModelFormatException(describedAs, "missing tensor " + HuggingFaceNames.LM_HEAD + ": " + CONFIG_FILE
                        + " sets tie_word_embeddings to false");
            }
            return table.build(describedAs, FORMAT, arena);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static void addEntry(Path file, Entry entry, TensorTable table) throws ModelFormatException {
        if (HuggingFaceNames.isAttentionBuffer(entry.name())) {
            return;
        }
        String canonical = HuggingFaceNames.canonical(entry.name());
        if (canonical == null) {
            throw new ModelFormatException(file, "unexpected tensor " + entry.name() + ": not a GPT-2 weight");
        }
        TensorType type = switch (entry.dtype()) {
            case "F32" -> TensorType.F32;
            case "F16" -> TensorType.F16;
            case "BF16" -> TensorType.BF16;
            default -> throw new ModelFormatException(file, "unsupported dtype " + entry.dtype() + " for " + entry.name()
                    + ": logitlens reads F32, F16 and BF16");
        };
        MatrixLayout layout = HuggingFaceNames.isConv1dWeight(canonical) ? MatrixLayout.IN_OUT : MatrixLayout.OUT_IN;
        table.add(file, entry.name(), new TensorInfo(canonical, type, entry.shape(), layout, entry.data()));
    }

    private static void checkWeightMap(Path index, Map<String, String> weightMap, List<List<Entry>> headers)
            throws ModelFormatException {
        Set<String> found = new HashSet<>();
        headers.forEach(entries -> entries.forEach(e -> found.add(e.name())));
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            if (!found.contains(e.getKey())) {
                throw new ModelFormatException(index, "weight_map puts " + e.getKey() + " in " + e.getValue()
                        + ", which does not contain it");
            }
        }
    }

    /** Maps a safetensors file into {@code arena} and reads its header, checking every entry lies inside the file. */
    private static List<Entry> mapAndReadHeader(Path file, Arena arena) throws IOException {
        long size = Files.size(file);
        if (size == 0) {
            throw new ModelFormatException(file, "empty file");
        }
        if (size < 8) {
            throw new ModelFormatException(file, "truncated: " + size + " bytes, shorter than the 8-byte header length");
        }
        MemorySegment mapped;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        }
        long headerLength = mapped.get(U64, 0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file, "corrupt: header length " + Long.toUnsignedString(headerLength)
                    + " is outside 2.." + MAX_HEADER_BYTES + " bytes");
        }
        if (headerLength > size - 8) {
            throw new ModelFormatException(file, "truncated: header says it is " + headerLength + " bytes, file has "
                    + (size - 8) + " after the length");
        }
        Object header = JsonFiles.parse(file, "header: ", mapped.asSlice(8, headerLength).asByteBuffer());
        List<RawEntry> raw = new ArrayList<>();
        try {
            for (Map.Entry<String, Object> e : Json.asObject(header, "the header").entrySet()) {
                if (!e.getKey().equals("__metadata__")) {
                    raw.add(RawEntry.parse(e.getKey(), e.getValue()));
                }
            }
        } catch (JsonException e) {
            throw new ModelFormatException(file, "header: " + e.getMessage(), e);
        }
        MemorySegment data = mapped.asSlice(8 + headerLength);
        RawEntry furthest = raw.stream().max(Comparator.comparingLong(RawEntry::end)).orElse(null);
        if (furthest != null && furthest.end() > data.byteSize()) {
            throw new ModelFormatException(file, "truncated: header says " + furthest.end() + " bytes of data (to the end of "
                    + furthest.name() + "), file has " + data.byteSize());
        }
        List<Entry> entries = new ArrayList<>();
        for (RawEntry r : raw) {
            entries.add(new Entry(r.name(), r.dtype(), r.shape(), data.asSlice(r.begin(), r.end() - r.begin())));
        }
        return entries;
    }

    private static HfConfig readConfig(Path file) throws IOException {
        try {
            Map<String, Object> json = Json.asObject(JsonFiles.read(file, JsonFiles.CONFIG_MAX_BYTES), "the configuration");
            Object modelType = json.get("model_type");
            if (modelType != null && !modelType.equals("gpt2")) {
                throw new ModelFormatException(file, "model_type is " + Json.write(modelType) + ": logitlens reads gpt2 models only");
            }
            String ctxKey = json.containsKey("n_positions") ? "n_positions" : "n_ctx";
            Gpt2Config config = TensorTable.checkedConfig(file, CONFIG_FILE,
                    required(file, json, "vocab_size"),
                    required(file, json, ctxKey),
                    required(file, json, "n_embd"),
                    required(file, json, "n_head"),
                    required(file, json, "n_layer"),
                    json.containsKey("layer_norm_epsilon") ? Json.asDouble(json.get("layer_norm_epsilon"), "layer_norm_epsilon") : 1e-5);
            boolean tie = !json.containsKey("tie_word_embeddings")
                    || Json.asBoolean(json.get("tie_word_embeddings"), "tie_word_embeddings");
            return new HfConfig(config, tie);
        } catch (JsonException e) {
            throw new ModelFormatException(file, e.getMessage(), e);
        }
    }

    private static long required(Path file, Map<String, Object> json, String key) throws IOException {
        if (!json.containsKey(key)) {
            throw new ModelFormatException(file, "missing " + key);
        }
        return Json.asLong(json.get(key), key);
    }
}
