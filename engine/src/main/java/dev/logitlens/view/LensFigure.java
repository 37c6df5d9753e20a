package dev.logitlens.view;

import dev.logitlens.lens.LensResult;

import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * What {@link SvgPlot} and {@link HtmlPlot} draw: one lens run, a position range and the views to draw it
 * in, one panel per view, stacked top to bottom.
 *
 * @param title     a heading for the figure (may be empty)
 * @param lens      the lens, with the input token ids it ran on
 * @param tokenText a token's text: {@code Gpt2Tokenizer::tokenText} for GPT-2's vocabulary, {@code Integer::toString}
 *                  for other vocabularies; any string is escaped when drawn
 * @param start     the first position shown
 * @param end       one past the last position shown
 * @param views     the panels, in order; at least one ({@code TRACK}: one panel per tracked token)
 * @param topDown   false (the post's layout): the final layer at the top, the input row at the bottom, input
 *                  tokens along the bottom and true next tokens along the top; true: flipped
 */
public record LensFigure(String title, LensResult lens, IntFunction<String> tokenText, int start, int end,
                         List<LensView.Spec> views, boolean topDown) {

    public LensFigure {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(lens, "lens");
        Objects.requireNonNull(tokenText, "tokenText");
        views = List.copyOf(views);
        if (views.isEmpty()) {
            throw new IllegalArgumentException("a figure needs at least one view");
        }
        for (LensView.Spec spec : views) {
            LensView.of(lens, spec, start, end); // validates the range
        }
    }

    /** Every position, the post's layout. */
    public static LensFigure of(String title, LensResult lens, IntFunction<String> tokenText, List<LensView.Spec> views) {
        return new LensFigure(title, lens, tokenText, 0, lens.nTokens(), views, false);
    }

    /** The views of this figure's range, one per panel. */
    public List<LensView> panels() {
        List<LensView> panels = new java.util.ArrayList<>();
        for (LensView.Spec spec : views) {
            if (spec.kind() == LensView.Kind.TRACK) {
                for (int i = 0; i < lens.tracked().size(); i++) { // one panel per tracked token
                    panels.add(LensView.tracked(lens, spec, i, start, end));
                }
            } else {
                panels.add(LensView.of(lens, spec, start, end));
            }
        }
        return List.copyOf(panels);
    }

    /** A token's text as drawn: visible escapes, in quotes like the post's labels. */
    String label(int id) {
        return TokenLabels.quoted(tokenText.apply(id));
    }

    /** The text of the input token at {@code pos}. */
    String inputLabel(int pos) {
        return label(lens.tokenId(pos));
    }
}
