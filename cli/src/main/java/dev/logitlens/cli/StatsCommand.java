package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.corpus.Corpus;
import dev.logitlens.corpus.DocumentLens;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.model.Json;
import dev.logitlens.stats.LayerStatistics;
import dev.logitlens.stats.StatsReport;
import dev.logitlens.tokenizer.TokenTexts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code logitlens stats}: per-layer aggregates of the lens over a corpus. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Per-layer averages of the lens over a corpus, in the tuned-lens paper's units.",
                "As in Belrose et al. (2023): cross-entropy against the true next token in bits per byte (and nats"
                        + " per token), mean KL(final || layer) in bits; also top-1 agreement with the final layer,"
                        + " top-1 accuracy and mean entropy in bits."})
final class StatsCommand implements Callable<Integer> {

    enum Format { table, csv, json }

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    KernelOptions kernelOptions;

    @Mixin
    CorpusOptions corpusOptions;

    @Option(names = "--format", paramLabel = "FORMAT", description = "table, csv or json (default: ${DEFAULT-VALUE}).")
    Format format = Format.table;

    @Option(names = "--progress", paramLabel = "WHEN", description = "auto, always or never (default: ${DEFAULT-VALUE}).")
    ProgressLine.Mode progressMode = ProgressLine.Mode.auto;

    @Mixin
    RowOptions rowOptions;

    @Override
    public Integer call() throws Exception {
        Snapshots.Kind rows = rowOptions.kind(spec);
        if (rows == Snapshots.Kind.DECOMPOSED) {
            throw new ParameterException(spec.commandLine(), "--decompose: stats averages the layer lens or, with --sublayers,"
                    + " the sublayer lens; decompose one input with run or plot");
        }
        LensSettings settings = kernelOptions.settings(modelOptions);
        Corpus corpus = Corpus.open(corpusOptions.input, corpusOptions.textField);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (LensModel model = LensModel.open(modelOptions.modelPath(), settings)) {
            int nCtx = model.config().nCtx();
            DocumentLens documents;
            try {
                documents = new DocumentLens(model, corpusOptions.window(nCtx), corpusOptions.stride(nCtx), corpusOptions.bos,
                        LensOptions.defaults().withTopK(1), rows);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            TokenTexts texts = TokenTexts.forVocabulary(model.config().nVocab());
            Snapshots snapshots = new Snapshots(rows, model.config().nLayer());
            LayerStatistics statistics = new LayerStatistics(snapshots);
            Corpus.Summary size = corpus.scan();
            ProgressLine progress = new ProgressLine(err, progressMode);
            long[] done = {0, 0, 0}; // documents, bytes, tokens
            corpus.forEach(document -> {
                DocumentLens.Summary ran = documents.run(document, (window, lens) ->
                        statistics.add(window, lens, texts::byteLength),
                        (tokens, bytes) -> progress.update("stats", (int) done[0], size.documents(), done[1] + bytes, size.bytes(),
                                done[2] + tokens, false));
                done[0]++;
                done[1] += document.size();
                done[2] += ran.tokens();
                progress.update("stats", (int) done[0], size.documents(), done[1], size.bytes(), done[2], done[0] == size.documents());
            });
            progress.finish();
            StatsReport report = new StatsReport(size.documents(), done[2], statistics, texts.isGpt2());
            report.requirePredictions(corpusOptions.input.toString());
            switch (format) {
                case table -> report.printTable(out);
                case csv -> report.printCsv(out);
                case json -> out.println(Json.write(report.json()));
            }
            out.flush();
        }
        return 0;
    }
}
