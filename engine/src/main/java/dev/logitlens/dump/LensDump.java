package dev.logitlens.dump;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.corpus.Corpus;
import dev.logitlens.corpus.Document;
import dev.logitlens.corpus.DocumentLens;
import dev.logitlens.io.AtomicFile;
import dev.logitlens.io.CrashPoint;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.Snapshots;
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
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lens of a whole corpus, written to a folder in shards that can be resumed.
 *
 * <p>The folder holds {@code manifest.json} (the model, the corpus's fingerprint and the settings; written first and
 * never rewritten) and, per shard {@code part-NNNNN}: one file per format ({@link LensRowsFormat}) and
 * {@code part-NNNNN.docs.jsonl} listing its documents ({@code doc, source, tokens, windows, rows, manifest_sha256}).
 * The rules (docs/DUMP-FOLDER.md):
 * <ul>
 *   <li>one writer: the folder is locked ({@link FolderLock}) for the whole run; a second dump fails at once;</li>
 *   <li>nothing adopted blindly: a folder without {@code manifest.json} must be empty (a killed run may have left
 *       its lock file and the manifest's temporary file); every shard records the sha256 of the manifest it was
 *       made under, and a shard recording another, or a {@code part-*} file of no done shard, is refused;</li>
 *   <li>nothing overwritten: a shard is written into the hidden folder {@code .part-NNNNN.staging}, its documents
 *       file last; only then are its files moved into place (never over an existing file), the documents file last,
 *       which marks the shard done;</li>
 *   <li>a crash at any moment: a run starts by removing the manifest's temporary files and every staging folder
 *       that lacks its documents file, and by finishing the moves of every staging folder that has it. The shards
 *       done are a prefix of those of an uninterrupted run, so the rerun ends with the same bytes.</li>
 * </ul>
 * Running the same dump again over the same folder skips the documents of the done shards; a folder holding a dump
 * of another model, corpus or settings is refused.
 *
 * <p>The data path per document: text → tokens → windows → per window the lens ({@link DocumentLens}) → rows
 * ({@link LensRows}) → shard files.
 */
public final class LensDump {

    /** What a run did; {@code stopped} when {@link #requestStop()} ended it early (nothing half-written is left). */
    public record Summary(int documents, int documentsSkipped, int shardsWritten, long rowsWritten, long tokens, boolean stopped) {
    }

    static final String MANIFEST = "manifest.json";
    /** A shard's files as the user sees them: {@code part-NNNNN.EXT}. */
    private static final Pattern PART_FILE = Pattern.compile("part-(\\d{5,})\\.(.+)");
    private static final Pattern STAGING = Pattern.compile("\\.(part-\\d{5,})\\.staging");
    /** {@link AtomicFile}'s temporary file of the manifest. */
    private static final Pattern MANIFEST_TEMPORARY = Pattern.compile("\\.manifest\\.json-?\\d+\\.partial");
    /** Temporary files that versions before the staging folders left in the folder itself. */
    private static final Pattern OLD_TEMPORARY = Pattern.compile("\\.part-\\d{5,}\\.(jsonl|csv|parquet|docs\\.jsonl)-?\\d+\\.partial|\\.part-\\d{5,}\\.npy\\.-?\\d+");
    private static final String DOCS = ".docs.jsonl";
    /** The key of a documents line that holds the sha256 of the manifest the shard was made under. */
    static final String MANIFEST_SHA256 = "manifest_sha256";

    private final LensModel model;
    private final String modelId;
    private final Corpus corpus;
    private final Path folder;
    private final DumpSettings settings;
    private final TokenTexts texts;
    private final int[] rowsWritten;   // the lens rows of the chosen layers (both rows of a block with sublayers)
    private volatile boolean stopRequested;

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
        this.rowsWritten = new Snapshots(settings.rows(), model.config().nLayer()).rowsOfLayers(settings.layers());
    }

    /**
     * Asks a running {@link #run} to stop before its next document (from any thread, e.g. a shutdown hook): the shard
     * being filled is dropped, the lock released, and {@code run} returns a summary with {@code stopped}.
     */
    public void requestStop() {
        stopRequested = true;
    }

    /** Runs (or resumes) the dump. */
    public Summary run(DumpProgress progress) throws IOException {
        createFolder();
        refuseIfNotADump(false); // before the lock file is created in it; checked again under the lock
        try (FolderLock ignored = FolderLock.take(folder)) {
            Corpus.Summary size = corpus.scan();
            String manifestSha256 = prepareFolder(size);
            recover(manifestSha256);
            BitSet done = new BitSet();
            int nextShard = readDoneShards(done, manifestSha256, size.documents());
            return dump(progress, size, done, new Shard(nextShard, manifestSha256));
        }
    }

    private Summary dump(DumpProgress progress, Corpus.Summary size, BitSet done, Shard shard) throws IOException {
        DocumentLens lens = new DocumentLens(model, settings.window(), settings.stride(), settings.prependBos(),
                LensOptions.defaults().withTopK(settings.topK()).withTrackedTokens(settings.trackedTokens()), settings.rows());
        long[] counters = new long[3]; // bytes done, tokens this run, rows written
        int[] documentsDone = {0};
        int[] shards = {0};
        int[] skipped = {0};
        boolean stopped = false;
        try {
            corpus.forEach(document -> {
                if (stopRequested) {
                    throw new Stop();
                }
                if (done.get(document.index())) {
                    skipped[0]++;
                } else {
                    int tokens = addDocument(document, lens, shard, (documentTokens, documentBytes) -> {
                        if (stopRequested) {
                            throw new Stop(); // within a long document too: the shard in hand is dropped anyway
                        }
                        progress.window(documentsDone[0], size.documents(), counters[0] + documentBytes, size.bytes(),
                                counters[1] + documentTokens);
                    });
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
        } catch (Stop e) {
            stopped = true;
        }
        if (!stopped && shard.documents > 0) {
            counters[2] += shard.write(progress);
            shards[0]++;
        }
        return new Summary(size.documents(), skipped[0], shards[0], counters[2], counters[1], stopped);
    }

    /** Unwinds {@link Corpus#forEach} when a stop was requested. */
    private static final class Stop extends IOException {
        Stop() {
            super("stopped", null);
        }
    }

    private void validateSettings() {
        validate(model.config(), settings);
    }

    /**
     * Refuses settings that do not fit the model (window, layers, top-k, {@code --bos}): the caller's error, not the
     * dump's, so an {@link IllegalArgumentException}. For every writer of a dump (the Spark job too).
     */
    public static void validate(Gpt2Config config, DumpSettings settings) {
        TokenTexts texts = TokenTexts.forVocabulary(config.nVocab());
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
        for (int id : settings.trackedTokens()) {
            if (id < 0 || id >= config.nVocab()) {
                throw new IllegalArgumentException("tracked token id " + id + " is outside the vocabulary [0, " + config.nVocab() + ")");
            }
        }
        if (settings.prependBos() && !texts.isGpt2()) {
            throw new IllegalArgumentException("--bos prepends GPT-2's <|endoftext|>, but this model's vocabulary has " + config.nVocab() + " tokens");
        }
    }

    // ---- the folder and the manifest ----

    private void createFolder() throws IOException {
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new DumpException(folder + " exists and is not a folder");
        }
        Path parent = folder.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new DumpException("cannot create " + folder + ": folder " + parent + " does not exist");
        }
        Files.createDirectories(folder);
    }

    /**
     * Refuses a folder that holds no manifest and is not empty: all a killed dump can leave before its manifest is in
     * place is the lock file and the manifest's temporary file ({@code removeTemporary}: which is then removed).
     */
    private void refuseIfNotADump(boolean removeTemporary) throws IOException {
        if (Files.exists(folder.resolve(MANIFEST), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<String> foreign = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (name.equals(FolderLock.NAME)) {
                    continue;
                }
                if (MANIFEST_TEMPORARY.matcher(name).matches() && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    if (removeTemporary) {
                        Files.delete(entry);
                    }
                    continue;
                }
                foreign.add(name);
            }
        }
        if (!foreign.isEmpty()) {
            foreign.sort(null);
            throw new DumpException(folder + " is not empty and holds no " + MANIFEST + ", so it is not a logitlens dump (it holds "
                    + (foreign.size() == 1 ? foreign.getFirst() : foreign.getFirst() + " and " + (foreign.size() - 1) + " more")
                    + "); nothing there is adopted or overwritten: choose an empty or new folder");
        }
    }

    /**
     * Checks the manifest of a dump folder against this dump's, or, in a folder that is not yet a dump, checks that
     * it is empty and writes the manifest. Returns the sha256 of the manifest's bytes.
     */
    private String prepareFolder(Corpus.Summary size) throws IOException {
        Map<String, Object> manifest = manifest(size);
        Path file = folder.resolve(MANIFEST);
        String wanted = Json.write(manifest);
        if (!Files.exists(file)) {
            refuseIfNotADump(true);
            byte[] bytes = (wanted + "\n").getBytes(StandardCharsets.UTF_8); // manifestText's bytes
            int half = bytes.length / 2;
            AtomicFile.write(file, channel -> {
                writeFully(channel, ByteBuffer.wrap(bytes, 0, half));
                CrashPoint.reach("half of " + MANIFEST + " written");
                writeFully(channel, ByteBuffer.wrap(bytes, half, bytes.length - half));
            });
        }
        byte[] existingBytes = Files.readAllBytes(file);
        Map<String, Object> existing;
        try {
            existing = Json.asObject(Json.parse(new String(existingBytes, StandardCharsets.UTF_8)), MANIFEST);
        } catch (JsonException e) {
            throw new DumpException(file + " is not a logitlens manifest (" + e.getMessage() + "); choose another folder");
        }
        if (!existing.containsKey("logitlens_dump")) {
            throw new DumpException(file + " is not a logitlens manifest (it has no \"logitlens_dump\" key); choose another folder");
        }
        Map<String, Object> normalised = Json.asObject(Json.parse(wanted), MANIFEST);
        if (!existing.equals(normalised)) {
            throw new DumpException(folder + " holds a dump with other settings (" + SettingsDiff.describe(existing, normalised)
                    + "); resume it with the same ones, or choose another folder");
        }
        return sha256(existingBytes);
    }

    private static void writeFully(java.nio.channels.FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }

    /** This dump's manifest. */
    private Map<String, Object> manifest(Corpus.Summary size) throws IOException {
        return manifest(modelId, model.config(), model.settings(), corpus, size.documents(), settings);
    }

    /**
     * The text of {@code manifest.json} of a dump of {@code corpus} with these settings, as a dump writes it: one line
     * of JSON and a line feed. For other writers of the same rows (the Spark job), so that their manifest is this one.
     *
     * @param modelId   how the user named the model (a path or a hub name)
     * @param config    the model's shape
     * @param lens      how the model runs (its residual mode and precision are recorded)
     * @param corpus    the corpus (its path and fingerprint are recorded)
     * @param documents the corpus's number of documents
     * @param settings  what is written
     */
    public static String manifestText(String modelId, Gpt2Config config, LensSettings lens, Corpus corpus, int documents,
                                      DumpSettings settings) throws IOException {
        return Json.write(manifest(modelId, config, lens, corpus, documents, settings)) + "\n";
    }

    /** The manifest: only what the dump was made from, in a fixed key order, nothing that depends on the run. */
    private static Map<String, Object> manifest(String modelId, Gpt2Config config, LensSettings lens, Corpus corpus, int documents,
                                                DumpSettings settings) throws IOException {
        Map<String, Object> modelEntry = new LinkedHashMap<>();
        modelEntry.put("id", modelId);
        modelEntry.put("n_layer", config.nLayer());
        modelEntry.put("n_embd", config.nEmbd());
        modelEntry.put("n_head", config.nHead());
        modelEntry.put("n_ctx", config.nCtx());
        modelEntry.put("n_vocab", config.nVocab());
        modelEntry.put("mode", lens.mode().name());
        modelEntry.put("precision", lens.precision().name());
        Map<String, Object> corpusEntry = new LinkedHashMap<>();
        corpusEntry.put("path", corpus.input().toString());
        corpusEntry.put("fingerprint", corpus.fingerprint());
        corpusEntry.put("documents", documents);
        Map<String, Object> settingsEntry = new LinkedHashMap<>();
        settingsEntry.put("top_k", settings.topK());
        settingsEntry.put("layers", Arrays.stream(settings.layers()).boxed().toList());
        settingsEntry.put("window", settings.window());
        settingsEntry.put("stride", settings.stride());
        settingsEntry.put("bos", settings.prependBos());
        settingsEntry.put("formats", settings.formats().stream().map(f -> f.name().toLowerCase()).toList());
        settingsEntry.put("shard_documents", settings.shardDocuments());
        settingsEntry.put("shard_rows", settings.shardRows());
        if (settings.rows() == Snapshots.Kind.SUBLAYERS) { // absent for the layer lens: its manifests stay as they were
            settingsEntry.put("sublayers", true);
        }
        if (!settings.trackedTokens().isEmpty()) { // absent when none, so that earlier dumps' manifests still match
            settingsEntry.put("tracked_tokens", settings.trackedTokens());
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("logitlens_dump", 1);
        root.put("model", modelEntry);
        root.put("corpus", corpusEntry);
        root.put("settings", settingsEntry);
        root.put("columns", LensRows.columns(settings.topK(), settings.rows(), settings.trackedTokens(),
                TokenTexts.forVocabulary(config.nVocab())).stream().map(c -> {
            Map<String, Object> column = new LinkedHashMap<>(); // not Map.of: its order changes from run to run
            column.put("name", c.name());
            column.put("type", c.type().name().toLowerCase());
            column.put("nullable", c.nullable());
            column.put("description", c.description());
            return column;
        }).toList());
        return root;
    }

    /**
     * Cleans up after a run that was killed: removes the manifest's temporary files (and those older versions left)
     * and every staging folder without its documents file; finishes publishing every staging folder that has it.
     */
    private void recover(String manifestSha256) throws IOException {
        List<Path> entries = sortedEntries(folder, ".*");
        for (Path entry : entries) {
            String name = entry.getFileName().toString();
            Matcher staging = STAGING.matcher(name);
            if (staging.matches() && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                String stem = staging.group(1);
                Path docs = entry.resolve(stem + DOCS);
                if (Files.exists(docs)) {
                    checkDocuments(docs, manifestSha256, Integer.MAX_VALUE, new BitSet());
                    publish(entry, stem);
                } else {
                    deleteTree(entry);
                }
            } else if ((MANIFEST_TEMPORARY.matcher(name).matches() || OLD_TEMPORARY.matcher(name).matches())
                    && !Files.isSymbolicLink(entry)) {
                deleteTree(entry);
            }
        }
    }

    /** The entries of {@code folder} whose names match {@code glob}, in name order. */
    private static List<Path> sortedEntries(Path folder, String glob) throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder, glob)) {
            stream.forEach(entries::add);
        }
        entries.sort(null);
        return entries;
    }

    /**
     * Moves a complete staging folder's files into place, the documents file last, then removes the folder. A file
     * already under a shard file's name is not this dump's (its shard is not done): refused, never replaced.
     */
    private void publish(Path staging, String stem) throws IOException {
        List<Path> files = sortedEntries(staging, stem + ".*");
        Path docs = staging.resolve(stem + DOCS);
        files.remove(docs);
        files.add(docs);
        for (Path file : files) {
            Path target = folder.resolve(file.getFileName().toString());
            CrashPoint.reach("rename to " + target.getFileName());
            try {
                Files.move(file, target); // no REPLACE_EXISTING: an existing target fails the move
            } catch (FileAlreadyExistsException e) {
                throw new DumpException(target + " exists but was not written by this dump; move it away (" + staging.getFileName()
                        + " holds the shard's files and is finished by the next run)");
            }
            CrashPoint.reach("renamed to " + target.getFileName());
        }
        deleteTree(staging);
        CrashPoint.reach("removed " + staging.getFileName());
    }

    /**
     * Marks the documents of the done shards, after checking that each was made under this manifest and that every
     * {@code part-*} file belongs to a done shard; returns the number of the next shard.
     */
    private int readDoneShards(BitSet done, String manifestSha256, int documents) throws IOException {
        int next = 0;
        List<Path> parts = sortedEntries(folder, "part-*");
        for (Path entry : parts) {
            String name = entry.getFileName().toString();
            Matcher matcher = PART_FILE.matcher(name);
            if (!matcher.matches()) {
                continue;
            }
            String stem = "part-" + matcher.group(1);
            Path docs = folder.resolve(stem + DOCS);
            if (!Files.isRegularFile(docs)) {
                throw new DumpException(entry + " was not written by this dump (no " + docs.getFileName() + " marks its shard done); "
                        + "it is not adopted or overwritten: move it away, or choose another folder");
            }
            if (entry.equals(docs)) {
                next = Math.max(next, Integer.parseInt(matcher.group(1)) + 1);
                checkDocuments(docs, manifestSha256, documents, done);
            }
        }
        return next;
    }

    /** Reads a documents file into {@code done}, refusing one made under another manifest or listing impossible documents. */
    private static void checkDocuments(Path docs, String manifestSha256, int documents, BitSet done) throws IOException {
        try (BufferedReader reader = Files.newBufferedReader(docs, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> entry;
                int doc;
                try {
                    entry = Json.asObject(Json.parse(line), "line");
                    doc = Math.toIntExact(Json.asLong(entry.get("doc"), "doc"));
                } catch (JsonException | ArithmeticException e) {
                    throw new DumpException(docs + ":" + number + " is damaged (" + e.getMessage() + "); delete it and its part files to redo that shard");
                }
                Object recorded = entry.get(MANIFEST_SHA256);
                if (!manifestSha256.equals(recorded)) {
                    throw new DumpException(docs + " was not made under this folder's " + MANIFEST + " (its " + MANIFEST_SHA256 + " is "
                            + (recorded == null ? "missing" : Json.write(recorded)) + ", the manifest's is " + manifestSha256
                            + "); it is not adopted: move that shard away, or choose another folder");
                }
                if (doc < 0 || doc >= documents || done.get(doc)) {
                    throw new DumpException(docs + ":" + number + " lists document " + doc + ", which "
                            + (done.get(doc) ? "another line of a done shard lists too" : "the corpus does not have")
                            + "; it is not adopted: move that shard away, or choose another folder");
                }
                done.set(doc);
            }
        }
    }

    /** Deletes a file, or a folder with its content, that the dump wrote; never follows a link. */
    private static void deleteTree(Path root) throws IOException {
        if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            try (var walk = Files.walk(root)) {
                for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        } else {
            Files.deleteIfExists(root);
        }
    }

    // ---- documents ----

    /** Runs the lens over one document's windows into the shard; returns its token count. */
    private int addDocument(Document document, DocumentLens lens, Shard shard, DocumentLens.Progress progress) throws IOException {
        int rowsBefore = shard.rows.size();
        DocumentLens.Summary ran = lens.run(document, (window, result) ->
                shard.rows.add(result, document.index(), window, rowsWritten), progress);
        shard.addDocument(document, ran.tokens(), ran.windows(), shard.rows.size() - rowsBefore);
        return ran.tokens();
    }

    /** The rows and document list of the shard being filled. */
    private final class Shard {
        final LensRows rows = new LensRows(settings.topK(), texts, settings.rows(), settings.trackedTokens());
        final StringBuilder documentsList = new StringBuilder();
        final String manifestSha256;
        int number;
        int documents;

        Shard(int number, String manifestSha256) {
            this.number = number;
            this.manifestSha256 = manifestSha256;
        }

        void addDocument(Document document, int tokens, int windows, int rowCount) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("doc", document.index());
            line.put("source", document.source());
            line.put("tokens", tokens);
            line.put("windows", windows);
            line.put("rows", rowCount);
            line.put(MANIFEST_SHA256, manifestSha256);
            documentsList.append(Json.write(line)).append('\n');
            documents++;
        }

        /**
         * Writes every format, then the documents file, into the shard's staging folder, and publishes them (the
         * documents file last: it marks the shard done); starts the next shard.
         */
        int write(DumpProgress progress) throws IOException {
            String stem = String.format("part-%05d", number);
            List<String> names = new ArrayList<>();
            for (LensRowsFormat format : settings.formats()) {
                names.add(format.fileName(stem));
            }
            names.add(stem + DOCS);
            for (String name : names) {
                if (Files.exists(folder.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                    throw new DumpException(folder.resolve(name) + " exists but was not written by this dump; it is not overwritten: "
                            + "move it away, or choose another folder");
                }
            }
            Path staging = folder.resolve("." + stem + ".staging");
            Files.createDirectory(staging);
            CrashPoint.reach("created " + staging.getFileName());
            boolean complete = false;
            try {
                for (LensRowsFormat format : settings.formats()) {
                    format.write(rows, staging.resolve(format.fileName(stem)), settings.parquetCodec());
                }
                byte[] list = documentsList.toString().getBytes(StandardCharsets.UTF_8);
                AtomicFile.write(staging.resolve(stem + DOCS), channel -> writeFully(channel, ByteBuffer.wrap(list)));
                complete = true; // from here on, a failure is finished by the next run
            } finally {
                if (!complete) {
                    deleteTree(staging);
                }
            }
            publish(staging, stem);
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
