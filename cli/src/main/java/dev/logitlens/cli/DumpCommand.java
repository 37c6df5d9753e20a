package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.corpus.Corpus;
import dev.logitlens.dump.DumpProgress;
import dev.logitlens.dump.DumpSettings;
import dev.logitlens.dump.LensDump;
import dev.logitlens.io.ParquetWriter;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.table.LayerSelection;
import dev.logitlens.table.LensRowsFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code logitlens dump}: the lens of a whole corpus into files, in shards that a rerun resumes. */
@Command(name = "dump", mixinStandardHelpOptions = true,
        description = {"Write the lens of every document of a corpus as JSONL, CSV, Parquet or NPY.",
                "Every statistic of every (layer, position), in shards (part-NNNNN) written atomically; documents"
                        + " longer than the window are split (--stride). Rerunning the same command over the same"
                        + " folder skips the documents already done."},
        footerHeading = "%nOutput:%n",
        footer = {"OUT/manifest.json: the model, the corpus and the settings; the columns with their units.",
                "OUT/part-NNNNN.{jsonl,csv,parquet}: one row per (doc, window, layer, position) (with --sublayers, a"
                        + " column sublayer after layer: 1 = after the block's attention, 2 = after the block): token, next token,"
                        + " top-k ids, texts, probabilities and logits, log p(next), the ranks of the final top-1, the"
                        + " next and the input token, KL(final || layer), KL(layer 0 || layer) and the entropy (nats).",
                "Parquet: GZIP pages (--parquet-compression), token texts dictionary-encoded, row groups of up to "
                        + ParquetWriter.DEFAULT_ROW_GROUP_ROWS + " rows, the columns' units in the footer's key-value metadata ("
                        + LensRowsFormat.UNITS_KEY + ", JSON).",
                "OUT/part-NNNNN.npy/: one .npy array per statistic, R rows: [R] int32 / float64 and top_* [R, k].",
                "OUT/part-NNNNN.docs.jsonl: the shard's documents and the sha256 of the manifest; written last, it marks"
                        + " the shard done.",
                "One dump at a time writes a folder (it is locked). A folder that holds no manifest.json must be empty;"
                        + " files the dump did not write are never adopted or overwritten. See docs/DUMP-FOLDER.md."})
final class DumpCommand implements Callable<Integer> {

    /** How long Ctrl-C waits for the dump to finish the document at hand. */
    private static final int STOP_WAIT_SECONDS = 30;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    KernelOptions kernelOptions;

    @Mixin
    CorpusOptions corpusOptions;

    @Mixin
    TrackOptions trackOptions;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "The output folder (created if missing).")
    Path out;

    @Option(names = "--format", paramLabel = "FORMAT", split = ",",
            description = "jsonl, csv, parquet and/or npy, comma-separated (default: parquet).")
    List<LensRowsFormat> formats = List.of(LensRowsFormat.PARQUET);

    @Option(names = "--parquet-compression", paramLabel = "CODEC",
            description = "gzip or uncompressed: the compression of the Parquet pages (default: gzip).")
    ParquetWriter.Codec parquetCodec = ParquetWriter.Options.DEFAULTS.codec();

    @Option(names = {"-k", "--top-k", "--topk"}, paramLabel = "K", description = "Top tokens per row (default: ${DEFAULT-VALUE}).")
    int topK = 5;

    @Option(names = "--layers", paramLabel = "LAYERS",
            description = "Layers to write: all, or a list such as 0,6,10-12 or last (default: ${DEFAULT-VALUE});"
                    + " with --sublayers, both rows of each chosen block.")
    String layers = "all";

    @Mixin
    RowOptions rowOptions;

    @Option(names = "--shard-docs", paramLabel = "N", description = "Documents per shard at most (default: ${DEFAULT-VALUE}).")
    int shardDocuments = 256;

    @Option(names = "--shard-rows", paramLabel = "N", description = "Rows per shard at most, after whole documents (default: ${DEFAULT-VALUE}).")
    int shardRows = 1_000_000;

    @Option(names = "--progress", paramLabel = "WHEN",
            description = "auto (a live line on a terminal, a line every 10 s otherwise), always or never (default: ${DEFAULT-VALUE}).")
    ProgressLine.Mode progressMode = ProgressLine.Mode.auto;

    @Override
    public Integer call() throws Exception {
        TopK.requirePositive(spec, topK);
        if (shardDocuments < 1 || shardRows < 1) {
            throw new ParameterException(spec.commandLine(), "--shard-docs and --shard-rows must be at least 1");
        }
        Snapshots.Kind rows = rowOptions.kind(spec);
        if (rows == Snapshots.Kind.DECOMPOSED) {
            throw new ParameterException(spec.commandLine(), "--decompose: dump writes the layer lens or, with --sublayers,"
                    + " the sublayer lens; decompose one input with run or plot");
        }
        LensSettings lensSettings = kernelOptions.settings(modelOptions);
        Corpus corpus = Corpus.open(corpusOptions.input, corpusOptions.textField);
        PrintWriter err = spec.commandLine().getErr();
        try (LensModel model = LensModel.open(modelOptions.modelPath(), lensSettings)) {
            int nCtx = model.config().nCtx();
            if (corpusOptions.window(nCtx) > nCtx) {
                throw new ParameterException(spec.commandLine(), "--window " + corpusOptions.window(nCtx)
                        + " exceeds the model's context of " + nCtx + " tokens");
            }
            if (corpusOptions.bos && model.config().nVocab() != dev.logitlens.tokenizer.Gpt2Tokenizer.VOCAB_SIZE) {
                throw new ParameterException(spec.commandLine(), "--bos prepends GPT-2's <|endoftext|>, but this model's vocabulary has "
                        + model.config().nVocab() + " tokens");
            }
            LensDump dump;
            try {
                DumpSettings settings = new DumpSettings(TopK.check(spec, topK, model.config().nVocab()), LayerSelection.parse(layers, model.config().nLayer()),
                        corpusOptions.window(nCtx), corpusOptions.stride(nCtx), corpusOptions.bos,
                        formats, shardDocuments, shardRows, parquetCodec, rows, trackOptions.ids(spec, model.config()));
                dump = new LensDump(model, modelOptions.model(), corpus, out, settings); // checks the settings against the model
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            ProgressLine progress = new ProgressLine(err, progressMode);
            AtomicInteger documentsDone = new AtomicInteger();
            CountDownLatch ended = new CountDownLatch(1);
            Thread interrupted = new Thread(() -> {
                // Ctrl-C: the dump stops before its next document, drops the shard it was filling and unlocks the
                // folder. A dump that does not stop in time is cut short like a crash, which the next run recovers.
                dump.requestStop();
                try {
                    ended.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                progress.finish();
                err.println("logitlens dump: interrupted after " + documentsDone.get()
                        + " documents; complete shards are kept: run the same command again to resume");
                err.flush();
            });
            Runtime.getRuntime().addShutdownHook(interrupted);
            LensDump.Summary summary;
            try {
                summary = dump.run(new DumpProgress() {
                    @Override
                    public void document(int done, int documents, long bytesDone, long bytes, long tokens) {
                        documentsDone.set(done);
                        progress.update("dump", done, documents, bytesDone, bytes, tokens, done == documents);
                    }

                    @Override
                    public void window(int done, int documents, long bytesDone, long bytes, long tokens) {
                        progress.update("dump", done, documents, bytesDone, bytes, tokens, false);
                    }
                });
            } finally {
                ended.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(interrupted);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it reports
                }
            }
            if (summary.stopped()) {
                return 130; // the process ends with the signal's status anyway; the hook reports
            }
            progress.finish();
            err.printf("wrote %d rows in %d shards to %s (%d documents; %d done before, skipped)%n", summary.rowsWritten(),
                    summary.shardsWritten(), out, summary.documents(), summary.documentsSkipped());
            if (corpus.ignoredFiles() > 0) {
                err.printf("ignored %d files of %s that are neither .txt nor .jsonl%n", corpus.ignoredFiles(), corpusOptions.input);
            }
            err.flush();
        }
        return 0;
    }
}
