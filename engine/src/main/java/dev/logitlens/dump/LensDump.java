package dev.logitlens.dump;

import dev.logitlens.api.LensModel;
import dev.logitlens.corpus.Corpus;
import dev.logitlens.corpus.Document;
import dev.logitlens.corpus.DocumentLens;
import dev.logitlens.corpus.Windows;
import dev.logitlens.io.AtomicFile;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.model.JsonException;
import dev.logitlens.table.LensRows;
import dev.logitlens.table.LensRowsFormat;
import dev.logitlens.tokenizer.TokenTexts;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lens of a whole corpus, written to a folder in shards that can be resumed.
 *
 * <p>The folder holds {@code manifest.json} (the model, the corpus's fingerprint and the settings) and, per shard
 * {@code part-NNNNN}: one file per format ({@link LensRowsFormat}) and, written last, {@code part-NNNNN.docs.jsonl}
 * listing its documents ({@code doc, source, tokens, windows, rows}). Every file is written atomically, and a shard
 * counts as done only once its documents file exists, so a crash, a full disk or Ctrl-C leaves complete shards and
 * at most a hidden temporary file (removed by the next run). Running the same dump again over the same folder skips
 * the documents of the done shards; a folder holding a dump of another model, corpus or settings is refused.
 *
 * <p>The data path per document: text → tokens → windows → per window the lens ({@link DocumentLens}) → rows
 * ({@link LensRows}) → shard files.
 */
public final class LensDump {

    /** What a run did. */
    public record Summary(int documents, int documentsSkipped, int shardsWritten, long rowsWritten, long tokens) {
    }

    static final String MANIFEST = "manifest.json";
    private static final Pattern DOCS_FILE = Pattern.compile("part-(\\d{5,})\\.docs\\.jsonl");

    private final LensModel model;
    private final String modelId;
    private final Corpus corpus;
    private final Path folder;
    private final DumpSettings settings;
    private final TokenTexts texts;

    /**
     * @param model    the open model
     * @param modelId  how the user named the model (a path or a hub name), recorded in the manifest
     * @param corpus   the documents
     * @param folder   the output folder; created if missing (its parent must exist)
     * @param settings what to write
     * @throws IllegalArgumentException when the settings do not fit the model (window, layers, top-k, {@code --bos})
     */
    public LensDump(LensModel model, String modelId, Corpus corpus, Path folder, DumpSettings settings) {
        this.model = Objects.requireNonNull(model, "model");
        this.modelId = Objects.requireNonNull(modelId, "modelId");
        this.corpus = Objects.requireNonNull(corpus, "corpus");
        this.folder = Objects.requireNonNull(folder, "folder");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.texts = TokenTexts.forVocabulary(model.config().nVocab());
        validateSettings();
    }

    /** Runs (or resumes) the dump. */
    public Summary run(DumpProgress progress) throws IOException {
        Corpus.Summary size = corpus.scan();
        prepareFolder(size);
        BitSet done = new BitSet();
        int nextShard = readDoneShards(done);
        Shard shard = new Shard(nextShard);
        DocumentLens lens = new DocumentLens(model, settings.window(), settings.stride(), settings.prependBos(),
                LensOptions.defaults().withTopK(settings.topK()));
        long[] counters = new long[3]; // bytes done, tokens this run, rows written
        int[] documentsDone = {0};
        int[] shards = {0};
        int[] skipped = {0};
        corpus.forEach(document -> {
            if (done.get(document.index())) {
                skipped[0]++;
            } else {
                int tokens = addDocument(document, lens, shard);
                counters[1] += tokens;
                if (shard.documents >= settings.shardDocuments() || shard.rows.size() >= settings.shardRows()) {
                    counters[2] += shard.write(progress);
                    shards[0]++;
                }
            }
            documentsDone[0]++;
            counters[0] += document.size();
            progress.document(documentsDone[0], size.documents(), counters[0], size.bytes(), counters[1]);
        });
        if (shard.documents > 0) {
            counters[2] += shard.write(progress);
            shards[0]++;
        }
        return new Summary(size.documents(), skipped[0], shards[0], counters[2], counters[1]);
    }

    /** Settings that do not fit the model are the caller's error, not the dump's: {@link IllegalArgumentException}. */
    private void validateSettings() {
        Gpt2Config config = model.config();
        if (settings.window() > config.nCtx()) {
            throw new IllegalArgumentException("the window of " + settings.window() + " tokens exceeds the model's context of " + config.nCtx());
        }
        int[] layers = settings.layers();
        if (layers[0] < 0 || layers[layers.length - 1] > config.nLayer()) {
            throw new IllegalArgumentException("layers " + Arrays.toString(layers) + " are outside the model's 0.." + config.nLayer());
        }
        if (settings.topK() > config.nVocab()) {
            throw new IllegalArgumentException("top-k " + settings.topK() + " exceeds the vocabulary of " + config.nVocab() + " tokens");
        }
        if (settings.prependBos() && !texts.isGpt2()) {
            throw new IllegalArgumentException("--bos prepends GPT-2's <|endoftext|>, but this model's vocabulary has " + config.nVocab() + " tokens");
        }
    }

    // ---- the folder and the manifest ----

    private void prepareFolder(Corpus.Summary size) throws IOException {
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new DumpException(folder + " exists and is not a folder");
        }
        Path parent = folder.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new DumpException("cannot create " + folder + ": folder " + parent + " does not exist");
        }
        Files.createDirectories(folder);
        removeLeftovers();
        Map<String, Object> manifest = manifest(size);
        Path file = folder.resolve(MANIFEST);
        String wanted = Json.write(manifest);
        if (Files.exists(file)) {
            Map<String, Object> existing;
            try {
                existing = Json.asObject(Json.parse(Files.readString(file, StandardCharsets.UTF_8)), MANIFEST);
            } catch (JsonException e) {
                throw new DumpException(file + " is not a logitlens manifest (" + e.getMessage() + "); choose another folder");
            }
            Map<String, Object> normalised = Json.asObject(Json.parse(wanted), MANIFEST);
            if (!existing.equals(normalised)) {
                throw new DumpException(folder + " holds a dump with other settings (" + SettingsDiff.describe(existing, normalised)
                        + "); resume it with the same ones, or choose another folder");
            }
        } else {
            byte[] bytes = (wanted + "\n").getBytes(StandardCharsets.UTF_8);
            AtomicFile.write(file, channel -> channel.write(ByteBuffer.wrap(bytes)));
        }
    }

    private Map<String, Object> manifest(Corpus.Summary size) throws IOException {
        Gpt2Config config = model.config();
        Map<String, Object> modelEntry = new LinkedHashMap<>();
        modelEntry.put("id", modelId);
        modelEntry.put("n_layer", config.nLayer());
        modelEntry.put("n_embd", config.nEmbd());
        modelEntry.put("n_head", config.nHead());
        modelEntry.put("n_ctx", config.nCtx());
        modelEntry.put("n_vocab", config.nVocab());
        modelEntry.put("mode", model.settings().mode().name());
        modelEntry.put("precision", model.settings().precision().name());
        Map<String, Object> corpusEntry = new LinkedHashMap<>();
        corpusEntry.put("path", corpus.input().toString());
        corpusEntry.put("fingerprint", corpus.fingerprint());
        corpusEntry.put("documents", size.documents());
        Map<String, Object> settingsEntry = new LinkedHashMap<>();
        settingsEntry.put("top_k", settings.topK());
        settingsEntry.put("layers", Arrays.stream(settings.layers()).boxed().toList());
        settingsEntry.put("window", settings.window());
        settingsEntry.put("stride", settings.stride());
        settingsEntry.put("bos", settings.prependBos());
        settingsEntry.put("formats", settings.formats().stream().map(f -> f.name().toLowerCase()).toList());
        settingsEntry.put("shard_documents", settings.shardDocuments());
        settingsEntry.put("shard_rows", settings.shardRows());
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("logitlens_dump", 1);
        root.put("model", modelEntry);
        root.put("corpus", corpusEntry);
        root.put("settings", settingsEntry);
        root.put("columns", LensRows.columns(settings.topK()).stream().map(c -> Map.of(
                "name", c.name(), "type", c.type().name().toLowerCase(), "nullable", c.nullable(), "description", c.description())).toList());
        return root;
    }

    private void removeLeftovers() throws IOException {
        removeTemporaryFiles(folder);
    }

    /**
     * Removes the temporary files of an interrupted run from a dump folder: hidden, named after a part or the
     * manifest. Safe to call from a shutdown hook; a run removes them itself when it starts.
     */
    public static void removeTemporaryFiles(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, ".part-*")) {
            for (Path entry : entries) {
                if (Files.isDirectory(entry)) {
                    try (var walk = Files.walk(entry)) {
                        for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(path);
                        }
                    }
                } else {
                    Files.deleteIfExists(entry);
                }
            }
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, ".manifest.json*")) {
            for (Path entry : entries) {
                Files.deleteIfExists(entry);
            }
        }
    }

    /** Marks the documents of the done shards; returns the number of the next shard. */
    private int readDoneShards(BitSet done) throws IOException {
        int next = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, "part-*.docs.jsonl")) {
            for (Path entry : entries) {
                Matcher matcher = DOCS_FILE.matcher(entry.getFileName().toString());
                if (!matcher.matches()) {
                    continue;
                }
                next = Math.max(next, Integer.parseInt(matcher.group(1)) + 1);
                try (BufferedReader reader = Files.newBufferedReader(entry, StandardCharsets.UTF_8)) {
                    String line;
                    while ((line = reader.readLine()) != null) {
                        if (!line.isBlank()) {
                            try {
                                done.set(Math.toIntExact(Json.asLong(Json.asObject(Json.parse(line), "line").get("doc"), "doc")));
                            } catch (JsonException | ArithmeticException e) {
                                throw new DumpException(entry + " is damaged (" + e.getMessage() + "); delete it and its part files to redo that shard");
                            }
                        }
                    }
                }
            }
        }
        return next;
    }

    // ---- documents ----

    /** Runs the lens over one document's windows into the shard; returns its token count. */
    private int addDocument(Document document, DocumentLens lens, Shard shard) throws IOException {
        int[] tokens = lens.tokens(document);
        int rowsBefore = shard.rows.size();
        List<Windows.Window> windows = lens.run(tokens, (window, result) ->
                shard.rows.add(result, document.index(), window.index(), window.start(), window.emitFrom(), window.length(),
                        settings.layers()));
        shard.addDocument(document, tokens.length, windows.size(), shard.rows.size() - rowsBefore);
        return tokens.length;
    }

    /** The rows and document list of the shard being filled. */
    private final class Shard {
        final LensRows rows = new LensRows(settings.topK(), texts);
        final StringBuilder documentsList = new StringBuilder();
        int number;
        int documents;

        Shard(int number) {
            this.number = number;
        }

        void addDocument(Document document, int tokens, int windows, int rowCount) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("doc", document.index());
            line.put("source", document.source());
            line.put("tokens", tokens);
            line.put("windows", windows);
            line.put("rows", rowCount);
            documentsList.append(Json.write(line)).append('\n');
            documents++;
        }

        /** Writes every format, then the documents file that marks the shard done; starts the next shard. */
        int write(DumpProgress progress) throws IOException {
            String stem = String.format("part-%05d", number);
            for (LensRowsFormat format : settings.formats()) {
                format.write(rows, folder.resolve(format.fileName(stem)));
            }
            byte[] list = documentsList.toString().getBytes(StandardCharsets.UTF_8);
            AtomicFile.write(folder.resolve(stem + ".docs.jsonl"), channel -> {
                ByteBuffer buffer = ByteBuffer.wrap(list);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            });
            int written = rows.size();
            progress.shard(stem, written);
            rows.clear();
            documentsList.setLength(0);
            documents = 0;
            number++;
            return written;
        }
    }
}
