package dev.logitlens.cli;

import dev.logitlens.lens.LensResult;

import java.io.PrintWriter;
import java.util.function.IntFunction;

/**
 * The lens as a terminal table, after the heat maps of the original post: one row per layer (the
 * embeddings row "in" included), one column per position, each cell the layer's top-1 token, its
 * background coloured by that token's probability (white → deep blue); a cell whose top-1 is already
 * the true next token is marked with '*'.
 */
final class LensTable {

    private static final int CELL = 9;
    private static final String RESET = "\u001b[0m";

    private final LensResult lens;
    private final int[] tokens;
    private final IntFunction<String> tokenText;

    LensTable(LensResult lens, int[] tokens, IntFunction<String> tokenText) {
        this.lens = lens;
        this.tokens = tokens;
        this.tokenText = tokenText;
    }

    void print(PrintWriter out, boolean colour, boolean topDown) {
        out.print(pad("", 6));
        for (int token : tokens) {
            out.print(' ');
            out.print(pad(clip(tokenText.apply(token)), CELL));
        }
        out.println();
        int layers = lens.nLayers();
        for (int i = 0; i <= layers; i++) {
            int layer = topDown ? i : layers - i;
            out.print(pad(layer == 0 ? "in" : "h" + layer, 6));
            for (int pos = 0; pos < tokens.length; pos++) {
                int top = lens.topTokenId(layer, pos, 0);
                boolean predictsNext = pos + 1 < tokens.length && top == tokens[pos + 1];
                String text = pad((predictsNext ? "*" : "") + clip(tokenText.apply(top)), CELL);
                out.print(' ');
                out.print(colour ? background(lens.topProb(layer, pos, 0)) + text + RESET : text);
            }
            out.println();
        }
        out.println("rows: layers (in = embeddings); cells: top-1 token" + (colour ? ", shaded by its probability" : "")
                + "; * = the true next token");
    }

    /** A 256-colour background from white (p = 0) to deep blue (p = 1), with black or white text. */
    private static String background(double p) {
        int[] ramp = {231, 195, 159, 123, 117, 81, 75, 69, 33, 27, 21, 19};
        int step = (int) Math.min(ramp.length - 1, Math.floor(p * ramp.length));
        String foreground = step >= 8 ? "\u001b[97m" : "\u001b[30m";
        return "\u001b[48;5;" + ramp[step] + "m" + foreground;
    }

    /** A token as one short line: whitespace made visible, cut to the cell width. */
    static String clip(String text) {
        String visible = text.replace("\n", "\\n").replace("\t", "\\t").replace(' ', '·');
        return visible.length() <= CELL ? visible : visible.substring(0, CELL - 1) + "…";
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text : text + " ".repeat(width - text.length());
    }
}
