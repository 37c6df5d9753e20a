package dev.logitlens.view;

import dev.logitlens.lens.LensComparison;

import java.util.Locale;
import java.util.Objects;
import java.util.function.IntFunction;

import static dev.logitlens.view.Markup.escape;
import static dev.logitlens.view.Markup.num;

/**
 * Two lens runs compared ({@link LensComparison}) as a diff heat map, in SVG (or the same SVG inside a self-contained
 * HTML page): rows are layers (the final layer on top, "in" at the bottom, as {@link SvgPlot}), columns the aligned
 * positions, A's input tokens along the top and B's along the bottom. A cell is coloured by the {@link Metric} and
 * labelled with the top-1 token: where A's and B's differ it shows B's, prefixed "≠", outlined in red; its
 * {@code <title>} gives both top-1 tokens, KL(A ‖ B) and JS. Cells are {@code <rect class="cell">} with
 * {@code data-layer}, {@code data-position} (the aligned index) and {@code data-value}. Cell sizes and fonts are
 * {@link PlotLayout}'s.
 */
public final class ComparisonPlot {

    /** What colours the cells. */
    public enum Metric {
        /** Jensen–Shannon divergence, nats, from 0 (white) to ln 2 (black). */
        JS,
        /** KL(A ‖ B), nats, from 0 (white) to the cap (black). */
        KL,
        /** 1 where the top-1 token changed (black), 0 where not (white). */
        TOP1;

        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The outline of a cell whose top-1 changed. */
    public static final int CHANGED_RGB = 0xE4002B;
    private static final String FONT = "DejaVu Sans, Verdana, Arial, sans-serif";
    private static final double LEFT = 80;
    private static final double BAR_WIDTH = 300;

    private ComparisonPlot() {
    }

    /** The value a cell is coloured by. */
    public static double value(LensComparison c, Metric metric, int layer, int i) {
        return switch (metric) {
            case JS -> c.js(layer, i);
            case KL -> c.kl(layer, i);
            case TOP1 -> c.top1Changed(layer, i) ? 1 : 0;
        };
    }

    /** The value at the scale's dark end: ln 2 for JS, {@code klMax} for KL, 1 for top-1 changes. */
    public static double cap(Metric metric, double klMax) {
        return switch (metric) {
            case JS -> Math.log(2);
            case KL -> klMax;
            case TOP1 -> 1;
        };
    }

    /** The colour scale: 0 near white to the cap near black, as the lens's KL view (CET-CBL2 reversed). */
    public static ColorScale colorScale() {
        return ColorScale.CET_CBL2_R;
    }

    /**
     * The SVG document.
     *
     * @param title     page title (may be empty)
     * @param subtitle  what was compared and how it was aligned
     * @param tokensA   A's input token ids, {@code [T_A]}; {@code tokensB} B's
     * @param klMax     the KL cap, nats (KL metric only)
     */
    public static String svg(String title, String subtitle, LensComparison c, int[] tokensA, int[] tokensB,
                             IntFunction<String> tokenText, Metric metric, double klMax) {
        Objects.requireNonNull(metric, "metric");
        double cap = cap(metric, klMax);
        int rows = c.nLayers() + 1;
        double cw = PlotLayout.CELL_WIDTH;
        double ch = PlotLayout.CELL_HEIGHT;
        int longest = 0; // the longest axis label, whose 45° run sets the room above and below the grid
        for (int i = 0; i < c.positions(); i++) {
            longest = Math.max(longest, Math.max(axisLabel(c.positionA(i), tokensA, tokenText).length(),
                    axisLabel(c.positionB(i), tokensB, tokenText).length()));
        }
        double labelRun = longest * PlotLayout.CHAR_WIDTH * Math.sqrt(0.5) + PlotLayout.LABEL_FONT + 8;
        double gridX = LEFT;
        double gridY = 110 + labelRun;
        double width = Math.max(gridX + c.positions() * cw + labelRun, 16 + Math.max(title.length(), subtitle.length()) * 7.5) + 16;
        double height = gridY + rows * ch + labelRun + 16;
        StringBuilder svg = new StringBuilder(1 << 15);
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"").append(num(width)).append("\" height=\"")
                .append(num(height)).append("\" viewBox=\"0 0 ").append(num(width)).append(' ').append(num(height))
                .append("\" font-family=\"").append(FONT).append("\">\n");
        svg.append("<title>").append(escape(title.isEmpty() ? "lens comparison" : title)).append("</title>\n");
        svg.append("<rect x=\"0\" y=\"0\" width=\"").append(num(width)).append("\" height=\"").append(num(height)).append("\" fill=\"#ffffff\"/>\n");
        text(svg, 16, 26, 16, "start", "#111111", " font-weight=\"bold\"", title);
        text(svg, 16, 46, 13, "start", "#111111", "", subtitle);
        String what = switch (metric) {
            case JS -> "colour: JS divergence, nats (0 to ln 2 = " + String.format(Locale.ROOT, "%.3f", cap) + ")";
            case KL -> "colour: KL(A \u2016 B), nats (0 to \u2265" + String.format(Locale.ROOT, "%.3g", cap) + ")";
            case TOP1 -> "colour: top-1 changed (dark) or not (white)";
        };
        text(svg, 16, 66, 13, "start", "#111111", "", what + "; cells: top-1 token, \u2260 and red outline where B's differs from A's");

        // colour bar
        svg.append("<defs><linearGradient id=\"bar\" x1=\"0\" y1=\"0\" x2=\"1\" y2=\"0\">");
        for (int s = 0; s <= 32; s++) {
            svg.append("<stop offset=\"").append(num(s / 32.0)).append("\" stop-color=\"").append(colorScale().hex(s / 32.0)).append("\"/>");
        }
        svg.append("</linearGradient></defs>\n");
        svg.append("<rect class=\"colour-bar\" x=\"").append(num(gridX)).append("\" y=\"78\" width=\"").append(num(BAR_WIDTH))
                .append("\" height=\"10\" fill=\"url(#bar)\" stroke=\"#888888\" stroke-width=\"0.5\"/>\n");
        text(svg, gridX, 100, 10, "middle", "#333333", "", "0");
        text(svg, gridX + BAR_WIDTH, 100, 10, "middle", "#333333", "", metric == Metric.TOP1 ? "1" : String.format(Locale.ROOT, "%.3g", cap));

        text(svg, gridX - 6, gridY - 6, 10, "end", "#666666", "", "A");
        text(svg, gridX - 6, gridY + rows * ch + 14, 10, "end", "#666666", "", "B");
        for (int i = 0; i < c.positions(); i++) {
            double x = gridX + (i + 0.5) * cw;
            rotated(svg, x, gridY - 6, "start", 0, axisLabel(c.positionA(i), tokensA, tokenText));
            rotated(svg, x, gridY + rows * ch + 8, "end", PlotLayout.LABEL_FONT * 0.8, axisLabel(c.positionB(i), tokensB, tokenText));
        }
        for (int row = 0; row < rows; row++) {
            int layer = c.nLayers() - row;
            double y = gridY + row * ch;
            text(svg, gridX - 6, y + ch / 2 + 4, PlotLayout.LABEL_FONT, "end", "#111111", "", PlotLayout.layerName(layer));
            for (int i = 0; i < c.positions(); i++) {
                double x = gridX + i * cw;
                double v = value(c, metric, layer, i);
                int rgb = colorScale().rgb(Math.clamp(Double.isNaN(v) ? 0 : Math.max(v, 0) / cap, 0.0, 1.0));
                boolean changed = c.top1Changed(layer, i);
                svg.append("<g data-layer=\"").append(layer).append("\" data-position=\"").append(i).append("\"><title>")
                        .append(escape(String.format(Locale.ROOT, "%s (layer %d), A position %d, B position %d%ntop-1 A %s, B %s%s%nKL(A \u2016 B) %.4f nats \u00b7 JS %.4f nats",
                                PlotLayout.layerName(layer), layer, c.positionA(i), c.positionB(i),
                                TokenLabels.quoted(tokenText.apply(c.topA(layer, i))), TokenLabels.quoted(tokenText.apply(c.topB(layer, i))),
                                changed ? " (changed)" : "", c.kl(layer, i), c.js(layer, i))))
                        .append("</title>");
                svg.append("<rect class=\"cell\" data-layer=\"").append(layer).append("\" data-position=\"").append(i)
                        .append("\" data-value=\"").append(String.format(Locale.ROOT, "%.4f", v)).append("\" x=\"").append(num(x))
                        .append("\" y=\"").append(num(y)).append("\" width=\"").append(num(cw)).append("\" height=\"").append(num(ch))
                        .append("\" fill=\"").append(ColorScale.toHex(rgb)).append("\"/>");
                if (changed) {
                    double inset = PlotLayout.OUTLINE / 2;
                    svg.append("<rect class=\"outline\" x=\"").append(num(x + inset)).append("\" y=\"").append(num(y + inset))
                            .append("\" width=\"").append(num(cw - PlotLayout.OUTLINE)).append("\" height=\"").append(num(ch - PlotLayout.OUTLINE))
                            .append("\" fill=\"none\" stroke=\"").append(ColorScale.toHex(CHANGED_RGB)).append("\" stroke-width=\"")
                            .append(num(PlotLayout.OUTLINE)).append("\"/>");
                }
                String label = TokenLabels.clip((changed ? "\u2260" : "") + TokenLabels.quoted(tokenText.apply(c.topB(layer, i))),
                        PlotLayout.MAX_CELL_CHARS);
                text(svg, x + cw / 2, y + ch / 2 + PlotLayout.CELL_FONT * 0.35, PlotLayout.CELL_FONT, "middle",
                        ColorScale.needsLightText(rgb) ? "#ffffff" : "#000000", "", label);
                svg.append("</g>\n");
            }
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    /** The SVG as a standalone file (with an XML declaration). */
    public static String svgDocument(String title, String subtitle, LensComparison c, int[] tokensA, int[] tokensB,
                                     IntFunction<String> tokenText, Metric metric, double klMax) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg(title, subtitle, c, tokensA, tokensB, tokenText, metric, klMax);
    }

    /** A self-contained HTML page holding the SVG inline (hover a cell for its tooltip); no scripts, nothing loaded. */
    public static String html(String title, String subtitle, LensComparison c, int[] tokensA, int[] tokensB,
                              IntFunction<String> tokenText, Metric metric, double klMax) {
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
                + escape(title.isEmpty() ? "lens comparison" : title) + "</title>\n<style>html,body{margin:0;padding:0;background:#ffffff}"
                + "svg{display:block}</style>\n</head>\n<body>\n"
                + svg(title, subtitle, c, tokensA, tokensB, tokenText, metric, klMax) + "</body>\n</html>\n";
    }

    /** An axis label: the position and its input token, quoted, clipped as the lens pictures clip theirs. */
    private static String axisLabel(int pos, int[] tokens, IntFunction<String> tokenText) {
        return TokenLabels.clip(pos + " " + TokenLabels.quoted(tokenText.apply(tokens[pos])), PlotLayout.MAX_LABEL_CHARS);
    }

    private static void rotated(StringBuilder svg, double x, double y, String anchor, double dy, String label) {
        svg.append("<text transform=\"translate(").append(num(x)).append(' ').append(num(y)).append(") rotate(-45)\" y=\"")
                .append(num(dy)).append("\" font-size=\"").append(num(PlotLayout.LABEL_FONT)).append("\" text-anchor=\"")
                .append(anchor).append("\" fill=\"#111111\" xml:space=\"preserve\" style=\"white-space:pre\">")
                .append(escape(label)).append("</text>\n");
    }

    private static void text(StringBuilder svg, double x, double y, double size, String anchor, String fill, String extra, String text) {
        if (text.isEmpty()) {
            return;
        }
        svg.append("<text x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" font-size=\"").append(num(size))
                .append("\" text-anchor=\"").append(anchor).append("\" fill=\"").append(fill).append('"').append(extra)
                .append(" xml:space=\"preserve\" style=\"white-space:pre\">").append(escape(text)).append("</text>\n");
    }
}
