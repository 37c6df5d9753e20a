package dev.logitlens.stats;

import dev.logitlens.corpus.CorpusException;
import dev.logitlens.lens.Snapshots;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The per-layer table of {@code logitlens stats} over a corpus, as a terminal table, CSV or JSON: one rule for every
 * writer of it (the command line and the Spark job). Cross-entropies in nats per token and bits per byte, KL and
 * entropy in bits (and nats), agreements and accuracies as fractions from 0 to 1.
 *
 * @param documents  documents in the corpus
 * @param tokens     tokens run through the lens (each document's, {@code <|endoftext|>} included when prepended)
 * @param statistics the sums of every position of the corpus
 * @param gpt2       whether the vocabulary is GPT-2's (else a token counts as one byte)
 */
public record StatsReport(int documents, long tokens, LayerStatistics statistics, boolean gpt2) {

    /** Refuses a corpus in which no position has a next token: there is nothing to average. */
    public void requirePredictions(String input) throws CorpusException {
        if (statistics.summaries().getFirst().predicted() == 0) {
            throw new CorpusException(input + ": " + documents + " documents, " + tokens
                    + " tokens, and no position with a next token to predict: there is nothing to average");
        }
    }

    /** The table for a terminal: a header line, then one line per layer ({@code in}, {@code h1}, ...). */
    public void printTable(PrintWriter out) {
        List<LayerSummary> summaries = statistics.summaries();
        Snapshots snapshots = statistics.snapshots();
        out.printf(Locale.ROOT, "%d documents, %d tokens, %d positions with a next token (%d bytes)%n", documents, tokens,
                summaries.getFirst().predicted(), statistics.predictedBytes());
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

    /**
     * CSV (RFC 4180 line ends), one row per layer, every value at full precision; with sublayers, {@code layer} is the
     * row's block and {@code sublayer} follows it (as in a dump).
     */
    public void printCsv(PrintWriter out) {
        Snapshots snapshots = statistics.snapshots();
        boolean sublayers = snapshots.kind() != Snapshots.Kind.LAYERS;
        out.print("layer," + (sublayers ? "sublayer," : "") + "positions,predicted,ce_nats_per_token,ce_bits_per_byte,kl_final_bits,kl_final_nats,top1_agreement,top1_accuracy,entropy_bits,entropy_nats\r\n");
        for (LayerSummary s : statistics.summaries()) {
            String layer = sublayers ? snapshots.layer(s.layer()) + "," + snapshots.sublayer(s.layer()) : Integer.toString(s.layer());
            out.print(String.format(Locale.ROOT, "%s,%d,%d,%s,%s,%s,%s,%s,%s,%s,%s\r\n", layer, s.positions(), s.predicted(),
                    s.crossEntropyNats(), s.bitsPerByte(), s.klToFinalBits(), s.klToFinalNats(), s.top1Agreement(),
                    s.top1Accuracy(), s.entropyBits(), s.entropyNats()));
        }
    }

    /**
     * The JSON object: {@code documents, tokens, predicted_bytes, layers: [...]}; a mean without positions is null; with
     * sublayers each entry holds the block ({@code layer}), the {@code sublayer} code and the row's {@code label}.
     */
    public Map<String, Object> json() {
        Snapshots snapshots = statistics.snapshots();
        List<Object> layers = new ArrayList<>();
        for (LayerSummary s : statistics.summaries()) {
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
        root.put("predicted_bytes", statistics.predictedBytes());
        root.put("layers", layers);
        return root;
    }

    private static Object finite(double value) {
        return Double.isFinite(value) ? value : null;
    }
}
