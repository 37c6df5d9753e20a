package dev.logitlens.model;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link ModelWeights} whose tensors live in one {@link Arena} (mapped files or decoded data), freed by {@link #close()}. */
final class LoadedWeights implements ModelWeights {

    private final Gpt2Config config;
    private final Map<String, TensorInfo> byName = new LinkedHashMap<>();
    private final List<TensorInfo> tensors;
    private final boolean tied;
    private final Path source;
    private final String format;
    private final Arena arena;
    private boolean closed;

    /** {@code tensors} are in canonical order and already validated; the weights take ownership of {@code arena}. */
    LoadedWeights(Gpt2Config config, List<TensorInfo> tensors, boolean tied, Path source, String format, Arena arena) {
        this.config = config;
        this.tensors = List.copyOf(tensors);
        for (TensorInfo t : this.tensors) {
            byName.put(t.name(), t);
        }
        this.tied = tied;
        this.source = source;
        this.format = format;
        this.arena = arena;
    }

    @Override
    public Gpt2Config config() {
        return config;
    }

    @Override
    public List<TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public TensorInfo tensor(String canonicalName) {
        TensorInfo t = byName.get(canonicalName);
        if (t == null) {
            throw new IllegalArgumentException(source + " has no tensor " + canonicalName);
        }
        return t;
    }

    @Override
    public boolean tiedUnembedding() {
        return tied;
    }

    @Override
    public Path source() {
        return source;
    }

    @Override
    public String format() {
        return format;
    }

    /** Releases the tensors' memory; later access to their data throws {@link IllegalStateException}. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    @Override
    public String toString() {
        return format + " " + source + " (" + config + (tied ? ", tied" : ", untied") + " unembedding)";
    }
}
