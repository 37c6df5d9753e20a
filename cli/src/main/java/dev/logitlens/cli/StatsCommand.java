package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.corpus.Corpus;
import dev.logitlens.corpus.CorpusException;
import dev.logitlens.corpus.DocumentLens;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.model.Json;
import dev.logitlens.stats.LayerStatistics;
import dev.logitlens.stats.LayerSummary;
import dev.logitlens.tokenizer.TokenTexts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
                        statistics.add(lens, window.emitFrom(), window.length(), texts::byteLength),
                        (tokens, bytes) -> progress.update("stats", (int) done[0], size.documents(), done[1] + bytes, size.bytes(),
                                done[2] + tokens, false));
                done[0]++;
                done[1] += document.size();
                done[2] += ran.tokens();
                progress.update("stats", (int) done[0], size.documents(), done[1], size.bytes(), done[2], done[0] == size.documents());
            });
            progress.finish();
            List<LayerSummary> summaries = statistics.summaries();
            if (summaries.getFirst().predicted() == 0) {
                throw new CorpusException(corpusOptions.input + ": " + size.documents() + " documents, " + done[2]
                        + " tokens, and no position with a next token to predict: there is nothing to average");
            }
            switch (format) {
                case table -> printTable(out, summaries, snapshots, size.documents(), done[2], statistics.predictedBytes(), texts.isGpt2());
                case csv -> printCsv(out, summaries, snapshots);
                case json -> out.println(Json.write(json(summaries, snapshots, size.documents(), done[2], statistics.predictedBytes())));
            }
            out.flush();
        }
        return 0;
    }

    private static void printTable(PrintWriter out, List<LayerSummary> summaries, Snapshots snapshots, int documents, long tokens,
                                   long bytes, boolean gpt2) {
        out.printf(Locale.ROOT, "%d documents, %d tokens, %d positions with a next token (%d bytes)%n", documents, tokens,
                summaries.getFirst().predicted(), bytes);
        String label = "%-" + Math.max(6, snapshots.longestLabel()) + "s"; // the rows' labels: in, h1 (h1.attn)
        out.printf(Locale.ROOT, label + " %12s %10s %14s %12s %11s %13s%n",
                "layer", "CE nats/tok", "bits/byte", "KL(final) bits", "top1=final", "top1=next", "entropy bits");
        for (LayerSummary s : summaries) {
            out.printf(Locale.ROOT, label + " %12.4f %10.4f %14.4f %12.4f %11.4f %13.4f%n",
                    snapshots.label(s.layer()), s.crossEntropyNats(), s.bitsPerByte(), s.klToFinalBits(),
                    s.top1Agreement(), s.top1Accuracy(), s.entropyBits());
        }
        if (!gpt2) {
            out.println("bits/byte counts one byte per token: the vocabulary is not GPT-2's");
        }
    }

    /** CSV; with sublayers, {@code layer} is the row's block and {@code sublayer} follows it (as in a dump). */
    private static void printCsv(PrintWriter out, List<LayerSummary> summaries, Snapshots snapshots) {
        boolean sublayers = snapshots.kind() != Snapshots.Kind.LAYERS;
        out.print("layer," + (sublayers ? "sublayer," : "") + "positions,predicted,ce_nats_per_token,ce_bits_per_byte,kl_final_bits,kl_final_nats,top1_agreement,top1_accuracy,entropy_bits,entropy_nats\r\n");
        for (LayerSummary s : summaries) {
            String layer = sublayers ? snapshots.layer(s.layer()) + "," + snapshots.sublayer(s.layer()) : Integer.toString(s.layer());
            out.print(String.format(Locale.ROOT, "%s,%d,%d,%s,%s,%s,%s,%s,%s,%s,%s\r\n", layer, s.positions(), s.predicted(),
                    s.crossEntropyNats(), s.bitsPerByte(), s.klToFinalBits(), s.klToFinalNats(), s.top1Agreement(),
                    s.top1Accuracy(), s.entropyBits(), s.entropyNats()));
        }
    }

    private static Map<String, Object> json(List<LayerSummary> summaries, Snapshots snapshots, int documents, long tokens,
                                            long bytes) {
        List<Object> layers = new ArrayList<>();
        for (LayerSummary s : summaries) {
            Map<String, Object> layer = new LinkedHashMap<>();
            if (snapshots.kind() == Snapshots.Kind.LAYERS) {
                layer.put("layer", s.layer());
            } else { // with sublayers: the block, the sublayer code and the label of the row
                layer.put("layer", snapshots.layer(s.layer()));
                layer.put("sublayer", snapshots.sublayer(s.layer()));
                layer.put("label", snapshots.label(s.layer()));
            }
            layer.put("positions", s.positions());
            layer.put("predicted", s.predicted());
            layer.put("ce_nats_per_token", finite(s.crossEntropyNats()));
            layer.put("ce_bits_per_byte", finite(s.bitsPerByte()));
            layer.put("kl_final_bits", finite(s.klToFinalBits()));
            layer.put("kl_final_nats", finite(s.klToFinalNats()));
            layer.put("top1_agreement", finite(s.top1Agreement()));
            layer.put("top1_accuracy", finite(s.top1Accuracy()));
            layer.put("entropy_bits", finite(s.entropyBits()));
            layer.put("entropy_nats", finite(s.entropyNats()));
            layers.add(layer);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("documents", documents);
        root.put("tokens", tokens);
        root.put("predicted_bytes", bytes);
        root.put("layers", layers);
        return root;
    }

    private static Object finite(double value) {
        return Double.isFinite(value) ? value : null;
    }
}
