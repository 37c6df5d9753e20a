package dev.logitlens.view;

import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.Snapshots;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What a cell's tooltip says: where it is, its top-k tokens with probabilities and logits, its ranks and KLs. */
record CellDetails(String heading, String context, List<Entry> top, String ranks, String divergences, String value) {

    /** One of the top-k tokens. */
    record Entry(int rank, String token, String probability, String logit) {
    }

    static CellDetails of(LensFigure figure, LensView view, int layer, int pos) {
        LensResult lens = view.lens();
        String heading = lens.snapshots().kind() == Snapshots.Kind.LAYERS
                ? PlotLayout.layerName(layer) + " (layer " + layer + "), position " + pos
                : view.rowLabel(layer) + ", position " + pos;
        int next = view.nextTokenId(pos);
        String context = "input " + figure.inputLabel(pos) + " \u2192 next " + (next < 0 ? "(end of text)" : figure.label(next));
        List<Entry> top = new ArrayList<>();
        for (int j = 0; j < lens.topK(); j++) {
            top.add(new Entry(j + 1, figure.label(lens.topTokenId(layer, pos, j)),
                    LensView.formatProbability(lens.topProb(layer, pos, j), 4),
                    String.format(Locale.ROOT, "%.2f", lens.topLogit(layer, pos, j))));
        }
        int rankNext = lens.rankOfNextToken(layer, pos);
        String ranks = "rank of final top-1 " + lens.rankOfFinalTop1(layer, pos)
                + " \u00b7 of next token " + (rankNext < 0 ? "\u2013" : Integer.toString(rankNext))
                + " \u00b7 of input token " + lens.rankOfInputToken(layer, pos);
        String divergences = String.format(Locale.ROOT, "KL(final \u2016 layer) %.3f \u00b7 KL(layer 0 \u2016 layer) %.3f \u00b7 entropy %.3f nats",
                lens.klToFinal(layer, pos), lens.klToInput(layer, pos), lens.entropy(layer, pos));
        String value = value(view, layer, pos);
        dev.logitlens.lens.TrackedTokens tracked = lens.tracked();
        for (int i = 0; i < tracked.size(); i++) { // every tracked token, in the value line
            value += String.format(Locale.ROOT, " \u00b7 %s p=%.4f logit %.2f rank %d", figure.label(tracked.id(i)),
                    tracked.probability(layer, pos, i), tracked.logit(layer, pos, i), tracked.rank(layer, pos, i));
        }
        return new CellDetails(heading, context, top, ranks, divergences, value);
    }

    /** The line with the view's value: {@code prob = 0.731}. */
    static String value(LensView view, int layer, int pos) {
        return view.spec().shortName() + " = " + view.format(view.value(layer, pos));
    }

    /** The details as plain text lines (SVG {@code <title>}). */
    List<String> lines() {
        List<String> lines = new ArrayList<>();
        lines.add(heading);
        lines.add(context);
        lines.add(value);
        for (Entry entry : top) {
            lines.add(entry.rank() + ". " + entry.token() + "  p=" + entry.probability() + "  logit " + entry.logit());
        }
        lines.add(ranks);
        lines.add(divergences);
        return lines;
    }
}
