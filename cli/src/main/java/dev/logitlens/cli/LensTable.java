package dev.logitlens.cli;

import dev.logitlens.lens.Snapshots;
import dev.logitlens.view.ColorScale;
import dev.logitlens.view.LensView;
import dev.logitlens.view.TokenLabels;

import java.io.PrintWriter;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The lens as a terminal table, after the heat maps of the original post: one row per layer (the embeddings
 * row "in" included; the final layer at the top unless top-down), one column per position shown, each cell the
 * layer's top-1 token, its background the {@link LensView}'s colour (24-bit ANSI colour, the same scale as the
 * pictures); a cell whose top-1 is already the true next token is marked with '*'. Above the grid are the true
 * next tokens ('*' where the final layer predicts them, the post's "(*)"), below it the input tokens (swapped
 * when top-down). Spaces in tokens show as '·', control characters as escapes.
 */
final class LensTable {

    static final int CELL = 9;
    private static final int LABEL = 6;
    private static final int BAR = 40;
    private static final String RESET = "\u001b[0m";

    private final LensView view;
    private final IntFunction<String> tokenText;

    LensTable(LensView view, IntFunction<String> tokenText) {
        this.view = view;
        this.tokenText = tokenText;
    }

    void print(PrintWriter out, boolean colour, boolean topDown) {
        if (topDown) {
            inputRow(out);
        } else {
            nextRow(out);
        }
        int layers = view.nLayers();
        // the track and contrast views print their value in each cell: the tracked token is the same in every cell
        boolean numbers = view.kind() == LensView.Kind.TRACK || view.kind() == LensView.Kind.CONTRAST;
        for (int i = 0; i <= layers; i++) {
            int layer = topDown ? i : layers - i;
            out.print(pad(view.rowLabel(layer), labelWidth()));
            for (int pos = view.start(); pos < view.end(); pos++) {
                boolean predictsNext = view.predictsNext(layer, pos);
                String label = numbers ? view.format(view.value(layer, pos)) : view.cellText(layer, pos, tokenText);
                String text = pad(cellText(predictsNext ? "*" : "", label), CELL);
                out.print(' ');
                out.print(colour ? background(view.rgb(layer, pos)) + text + RESET : text);
            }
            out.println();
        }
        if (topDown) {
            nextRow(out);
        } else {
            inputRow(out);
        }
        Snapshots rows = view.lens().snapshots();
        out.println("rows: " + (rows.kind() == Snapshots.Kind.LAYERS ? "layers (" + rows.legend() + ")" : rows.legend())
                + "; columns: positions " + view.start() + "\u2013" + (view.end() - 1) + "; cells: "
                + (numbers || view.spec().values() ? "each cell's value (" + view.spec().shortName() + ")" : "each layer's top-1 token")
                + "; * = the true next token");
        out.println("colour: " + view.title() + " (" + view.scaleDescription() + ")" + (colour ? "" : " [colour off]"));
        if (colour) {
            colourBar(out);
        }
    }

    /** The row labels' column: {@value #LABEL} characters, or one more than the longest label ({@code h12.attn}). */
    private int labelWidth() {
        return Math.max(LABEL, view.lens().snapshots().longestLabel() + 1);
    }

    private void nextRow(PrintWriter out) {
        out.print(pad("next", labelWidth()));
        for (int pos = view.start(); pos < view.end(); pos++) {
            int next = view.nextTokenId(pos);
            out.print(' ');
            out.print(pad(next < 0 ? "" : cellText(view.predictsNext(view.nLayers(), pos) ? "*" : "", tokenText.apply(next)), CELL));
        }
        out.println();
    }

    private void inputRow(PrintWriter out) {
        int[] tokens = view.lens().tokens();
        out.print(pad("input", labelWidth()));
        for (int pos = view.start(); pos < view.end(); pos++) {
            out.print(' ');
            out.print(pad(cellText("", tokenText.apply(tokens[pos])), CELL));
        }
        out.println();
    }

    /** The colour scale: its first label, {@value #BAR} coloured cells from position 0 to 1, its last label. */
    private void colourBar(PrintWriter out) {
        List<LensView.Tick> ticks = view.ticks();
        StringBuilder bar = new StringBuilder(pad("scale", labelWidth())).append(' ').append(ticks.getFirst().label()).append(' ');
        for (int i = 0; i < BAR; i++) {
            bar.append(background(view.colorScale().rgb((i + 0.5) / BAR))).append(' ');
        }
        bar.append(RESET).append(' ').append(ticks.getLast().label());
        out.println(bar);
    }

    /** A 24-bit background colour with black or white text, whichever contrasts more. */
    static String background(int rgb) {
        String foreground = ColorScale.needsLightText(rgb) ? "\u001b[97m" : "\u001b[30m";
        return "\u001b[48;2;" + (rgb >> 16 & 0xff) + ";" + (rgb >> 8 & 0xff) + ";" + (rgb & 0xff) + "m" + foreground;
    }

    /** A mark and a token as one short line: whitespace made visible, cut to the cell width. */
    static String cellText(String mark, String token) {
        return mark + clip(token, CELL - mark.length());
    }

    /** A token as one short line: spaces as '·', control characters as escapes, at most {@code width} characters. */
    static String clip(String text, int width) {
        return TokenLabels.clip(TokenLabels.visible(text).replace(' ', '\u00b7'), width);
    }

    private static String pad(String text, int width) {
        int length = text.codePointCount(0, text.length());
        return length >= width ? text : text + " ".repeat(width - length);
    }
}
