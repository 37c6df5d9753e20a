package dev.logitlens.view;

import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.TrackedTokens;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.IntFunction;

import static dev.logitlens.view.Markup.escape;
import static dev.logitlens.view.Markup.num;

/**
 * The tracked tokens' probabilities across layers at one position, as an SVG line plot: x = layer (in, h1 … hN; or the
 * sublayer rows when the lens has them),
 * y = probability, one line per tracked token ({@link LensResult#tracked()}) with a legend. The y axis is logarithmic
 * by default, from the decade below the smallest probability shown (at least {@value #LOG_FLOOR}) to 1, because a
 * token's probability rises over several orders of magnitude through the layers and a linear axis flattens all of it
 * but the last layers to 0; {@code linear} draws 0 to 1 instead. Lines take the Okabe–Ito colours (safe for colour
 * blindness), in the order the tokens were tracked. Each point is a {@code <circle class="point">} with
 * {@code data-token}, {@code data-layer} and {@code data-prob}, its {@code <title>} the probability, logit and rank.
 * Self-contained, like {@link SvgPlot}: no scripts, system fonts, every token escaped.
 */
public final class TrackPlot {

    /** The lowest probability the log axis shows: smaller ones are drawn at its bottom edge. */
    public static final double LOG_FLOOR = 1e-12;

    /** Okabe &amp; Ito (2008), "Color Universal Design": the line colours in order (black last, then repeated). */
    public static final int[] COLOURS = {0x0072B2, 0xD55E00, 0x009E73, 0xCC79A7, 0xE69F00, 0x56B4E9, 0xF0E442, 0x000000};

    static final double PLOT_WIDTH = 560;
    static final double PLOT_HEIGHT = 320;
    static final double LEFT = 70;
    static final double TOP = 56;
    static final double LEGEND_WIDTH = 220;
    private static final String FONT = "DejaVu Sans, Verdana, Arial, sans-serif";

    private TrackPlot() {
    }

    /**
     * The SVG document.
     *
     * @param title     the page title (may be empty)
     * @param lens      a lens that tracked at least one token
     * @param tokenText a token's text
     * @param pos       the position plotted
     * @param linear    a linear y axis from 0 to 1 instead of the logarithmic one
     */
    public static String render(String title, LensResult lens, IntFunction<String> tokenText, int pos, boolean linear) {
        Objects.requireNonNull(title, "title");
        TrackedTokens tracked = lens.tracked();
        if (tracked.size() == 0) {
            throw new IllegalArgumentException("the lens tracked no token: nothing to plot");
        }
        Objects.checkIndex(pos, lens.nTokens());
        int layers = lens.nLayers() + 1;
        double low = lowDecade(lens, pos);
        double width = LEFT + PLOT_WIDTH + 30 + LEGEND_WIDTH;
        double height = TOP + PLOT_HEIGHT + 60;
        StringBuilder svg = new StringBuilder(1 << 14);
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"").append(num(width)).append("\" height=\"")
                .append(num(height)).append("\" viewBox=\"0 0 ").append(num(width)).append(' ').append(num(height))
                .append("\" font-family=\"").append(FONT).append("\">\n");
        svg.append("<title>").append(escape(title.isEmpty() ? "tracked tokens" : title)).append("</title>\n");
        svg.append("<rect x=\"0\" y=\"0\" width=\"").append(num(width)).append("\" height=\"").append(num(height)).append("\" fill=\"#ffffff\"/>\n");
        text(svg, 16, 24, 16, "start", " font-weight=\"bold\"", title);
        int next = lens.nextTokenId(pos);
        text(svg, 16, 44, 13, "start", "", "probability by layer at position " + pos + ": input "
                + TokenLabels.quoted(tokenText.apply(lens.tokenId(pos))) + " \u2192 next "
                + (next < 0 ? "(end of text)" : TokenLabels.quoted(tokenText.apply(next)))
                + (linear ? " (linear scale)" : " (log scale)"));

        // axes and grid
        double bottom = TOP + PLOT_HEIGHT;
        svg.append("<rect class=\"frame\" x=\"").append(num(LEFT)).append("\" y=\"").append(num(TOP)).append("\" width=\"")
                .append(num(PLOT_WIDTH)).append("\" height=\"").append(num(PLOT_HEIGHT)).append("\" fill=\"none\" stroke=\"#555555\"/>\n");
        for (double[] tick : yTicks(low, linear)) {
            double y = y(tick[0], low, linear);
            svg.append("<line x1=\"").append(num(LEFT)).append("\" y1=\"").append(num(y)).append("\" x2=\"").append(num(LEFT + PLOT_WIDTH))
                    .append("\" y2=\"").append(num(y)).append("\" stroke=\"#dddddd\"/>\n");
            text(svg, LEFT - 6, y + 4, 11, "end", "", label(tick[0], linear));
        }
        for (int layer = 0; layer < layers; layer++) {
            double x = x(layer, layers);
            svg.append("<line x1=\"").append(num(x)).append("\" y1=\"").append(num(bottom)).append("\" x2=\"").append(num(x))
                    .append("\" y2=\"").append(num(bottom + 4)).append("\" stroke=\"#555555\"/>\n");
            text(svg, x, bottom + 17, 11, "middle", "", lens.snapshots().label(layer));
        }
        text(svg, LEFT + PLOT_WIDTH / 2, bottom + 40, 12, "middle", "", (lens.snapshots().kind() == dev.logitlens.lens.Snapshots.Kind.LAYERS
                ? "layer" : "row") + " (" + lens.snapshots().legend() + ")");
        svg.append("<text transform=\"translate(18 ").append(num(TOP + PLOT_HEIGHT / 2)).append(") rotate(-90)\" font-size=\"12\"")
                .append(" text-anchor=\"middle\" fill=\"#111111\">probability</text>\n");

        // one line per tracked token, and its legend entry
        for (int i = 0; i < tracked.size(); i++) {
            String colour = ColorScale.toHex(COLOURS[i % COLOURS.length]);
            String token = TokenLabels.quoted(tokenText.apply(tracked.id(i)));
            StringBuilder points = new StringBuilder();
            for (int layer = 0; layer < layers; layer++) {
                points.append(layer == 0 ? "" : " ").append(num(x(layer, layers))).append(',')
                        .append(num(y(tracked.probability(layer, pos, i), low, linear)));
            }
            svg.append("<g class=\"line\" data-token=\"").append(tracked.id(i)).append("\">\n");
            svg.append("<polyline points=\"").append(points).append("\" fill=\"none\" stroke=\"").append(colour)
                    .append("\" stroke-width=\"2\"").append(i % 2 == 1 ? " stroke-dasharray=\"6 3\"" : "").append("/>\n");
            for (int layer = 0; layer < layers; layer++) {
                double p = tracked.probability(layer, pos, i);
                svg.append("<circle class=\"point\" data-token=\"").append(tracked.id(i)).append("\" data-layer=\"").append(layer)
                        .append("\" data-prob=\"").append(String.format(Locale.ROOT, "%.6g", p)).append("\" cx=\"")
                        .append(num(x(layer, layers))).append("\" cy=\"").append(num(y(p, low, linear)))
                        .append("\" r=\"3.5\" fill=\"").append(colour).append("\"><title>")
                        .append(escape(String.format(Locale.ROOT, "%s at %s: p=%.4g, logit %.2f, rank %d", token,
                                lens.snapshots().label(layer), p, tracked.logit(layer, pos, i), tracked.rank(layer, pos, i))))
                        .append("</title></circle>\n");
            }
            double ly = TOP + 10 + i * 22;
            double lx = LEFT + PLOT_WIDTH + 30;
            svg.append("<line class=\"legend\" x1=\"").append(num(lx)).append("\" y1=\"").append(num(ly)).append("\" x2=\"").append(num(lx + 28))
                    .append("\" y2=\"").append(num(ly)).append("\" stroke=\"").append(colour).append("\" stroke-width=\"2\"")
                    .append(i % 2 == 1 ? " stroke-dasharray=\"6 3\"" : "").append("/>\n");
            text(svg, lx + 36, ly + 4, 12, "start", "", TokenLabels.clip(token, PlotLayout.MAX_LABEL_CHARS) + " (id " + tracked.id(i) + ")");
            svg.append("</g>\n");
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    /** The largest power of ten at or below the smallest probability shown, at least {@value #LOG_FLOOR}, at most 0.1. */
    static double lowDecade(LensResult lens, int pos) {
        double min = 1;
        for (int layer = 0; layer <= lens.nLayers(); layer++) {
            for (int i = 0; i < lens.tracked().size(); i++) {
                min = Math.min(min, lens.tracked().probability(layer, pos, i));
            }
        }
        double decade = Math.pow(10, Math.floor(Math.log10(Math.max(min, LOG_FLOOR))));
        return Math.min(decade, 0.1);
    }

    /** The x of a layer's column. */
    static double x(int layer, int layers) {
        return LEFT + (layers == 1 ? PLOT_WIDTH / 2 : 20 + layer * (PLOT_WIDTH - 40) / (layers - 1));
    }

    /** The y of a probability: log10 between the low decade (bottom) and 1 (top), or linear 0 to 1; clamped to the frame. */
    static double y(double p, double low, boolean linear) {
        double t = linear ? p : (Math.log10(Math.max(p, low)) - Math.log10(low)) / -Math.log10(low);
        return TOP + PLOT_HEIGHT * (1 - Math.clamp(Double.isNaN(t) ? 0 : t, 0.0, 1.0));
    }

    private static List<double[]> yTicks(double low, boolean linear) {
        List<double[]> ticks = new ArrayList<>();
        if (linear) {
            for (int i = 0; i <= 4; i++) {
                ticks.add(new double[] {i / 4.0});
            }
        } else {
            for (double p = low; p <= 1.0000001; p *= 10) {
                ticks.add(new double[] {p});
            }
        }
        return ticks;
    }

    private static String label(double p, boolean linear) {
        if (linear) {
            return String.format(Locale.ROOT, "%.2f", p);
        }
        int exponent = (int) Math.round(Math.log10(p));
        return exponent == 0 ? "1" : "1e" + exponent;
    }

    private static void text(StringBuilder svg, double x, double y, double size, String anchor, String extra, String text) {
        if (text.isEmpty()) {
            return;
        }
        svg.append("<text x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" font-size=\"").append(num(size))
                .append("\" text-anchor=\"").append(anchor).append("\" fill=\"#111111\"").append(extra)
                .append(" xml:space=\"preserve\" style=\"white-space:pre\">").append(escape(text)).append("</text>\n");
    }
}
