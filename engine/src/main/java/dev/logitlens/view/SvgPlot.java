package dev.logitlens.view;

import java.util.List;

import static dev.logitlens.view.Markup.escape;
import static dev.logitlens.view.Markup.num;

/**
 * The lens as an SVG picture, one panel per view of each figure (geometry: {@link PlotLayout}). The file is
 * self-contained, well-formed XML: no scripts, no external fonts or style sheets (text uses the system's
 * sans-serif fonts), every token escaped. Each cell is a {@code <rect class="cell">} with {@code data-layer} and
 * {@code data-position} attributes, inside a group whose {@code <title>} (the viewer's tooltip) lists the cell's
 * top-k tokens with probabilities and logits, its ranks and its KL divergences.
 */
public final class SvgPlot {

    private static final String FONT = "DejaVu Sans, Verdana, Arial, sans-serif";

    private SvgPlot() {
    }

    /** The SVG document of the figures under an optional page title (empty for none). */
    public static String render(String title, List<LensFigure> figures) {
        PlotLayout layout = PlotLayout.of(title, figures);
        StringBuilder svg = new StringBuilder(1 << 16);
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"").append(layout.width())
                .append("\" height=\"").append(layout.height()).append("\" viewBox=\"0 0 ").append(layout.width()).append(' ')
                .append(layout.height()).append("\" font-family=\"").append(FONT).append("\">\n");
        svg.append("<title>").append(escape(title.isEmpty() ? "logit lens" : title)).append("</title>\n");
        svg.append("<rect x=\"0\" y=\"0\" width=\"").append(layout.width()).append("\" height=\"").append(layout.height())
                .append("\" fill=\"#ffffff\"/>\n");
        if (!title.isEmpty()) {
            text(svg, PlotLayout.MARGIN, PlotLayout.MARGIN + PlotLayout.TITLE_FONT, PlotLayout.TITLE_FONT, "start", "#111111",
                    " font-weight=\"bold\"", title);
        }
        for (PlotLayout.Heading heading : layout.headings()) {
            text(svg, PlotLayout.MARGIN, heading.y() + 16, 14, "start", "#111111", " font-weight=\"bold\"", heading.text());
        }
        int index = 0;
        for (PlotLayout.Panel panel : layout.panels()) {
            panel(svg, panel, index++);
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    /** Like {@link #render(String, List)} for one figure titled with its own title. */
    public static String render(LensFigure figure) {
        return render("", List.of(figure));
    }

    private static void panel(StringBuilder svg, PlotLayout.Panel panel, int index) {
        LensView view = panel.view();
        LensFigure figure = panel.figure();
        svg.append("<g class=\"panel\" data-view=\"").append(view.spec().shortName()).append("\">\n");
        text(svg, panel.gridX(), panel.top() + 15, PlotLayout.PANEL_TITLE_FONT, "start", "#111111", "",
                view.title() + "   (" + view.scaleDescription() + ")");

        // the colour bar: a gradient through the scale, ticks and their labels below
        PlotLayout.Box bar = panel.colourBar();
        String id = "bar" + index;
        svg.append("<defs><linearGradient id=\"").append(id).append("\" x1=\"0\" y1=\"0\" x2=\"1\" y2=\"0\">");
        int stops = 32;
        for (int i = 0; i <= stops; i++) {
            double t = i / (double) stops;
            svg.append("<stop offset=\"").append(num(t)).append("\" stop-color=\"").append(view.colorScale().hex(t)).append("\"/>");
        }
        svg.append("</linearGradient></defs>\n");
        svg.append("<rect class=\"colour-bar\" x=\"").append(num(bar.x())).append("\" y=\"").append(num(bar.y()))
                .append("\" width=\"").append(num(bar.width())).append("\" height=\"").append(num(bar.height()))
                .append("\" fill=\"url(#").append(id).append(")\" stroke=\"#888888\" stroke-width=\"0.5\"/>\n");
        for (LensView.Tick tick : view.ticks()) {
            double x = bar.x() + tick.position() * bar.width();
            svg.append("<line x1=\"").append(num(x)).append("\" y1=\"").append(num(bar.y() + bar.height())).append("\" x2=\"")
                    .append(num(x)).append("\" y2=\"").append(num(bar.y() + bar.height() + 4)).append("\" stroke=\"#555555\"/>");
            text(svg, x, bar.y() + bar.height() + 15, 10, "middle", "#333333", "", tick.label());
        }

        PlotLayout.Box swatch = panel.legendSwatch();
        if (swatch != null) {
            double inset = PlotLayout.OUTLINE / 2;
            svg.append("<rect class=\"legend\" x=\"").append(num(swatch.x() + inset)).append("\" y=\"").append(num(swatch.y() + inset))
                    .append("\" width=\"").append(num(swatch.width() - PlotLayout.OUTLINE)).append("\" height=\"")
                    .append(num(swatch.height() - PlotLayout.OUTLINE)).append("\" fill=\"#ffffff\" stroke=\"")
                    .append(ColorScale.toHex(view.outlineRgb())).append("\" stroke-width=\"").append(num(PlotLayout.OUTLINE)).append("\"/>\n");
            text(svg, swatch.x() + swatch.width() + 6, swatch.centreY() + 3.5, 10, "start", "#333333", "", PlotLayout.OUTLINE_LEGEND);
        }

        // axes: tokens rotated by 45 degrees along the top and the bottom
        List<String> top = PlotLayout.topLabels(figure, view);
        List<String> bottom = PlotLayout.bottomLabels(figure, view);
        double gridBottom = panel.gridY() + panel.gridHeight();
        for (int i = 0; i < view.positions(); i++) {
            double x = panel.gridX() + (i + 0.5) * PlotLayout.CELL_WIDTH;
            rotated(svg, x, panel.gridY() - 6, "start", 0, top.get(i));
            rotated(svg, x, gridBottom + 8, "end", PlotLayout.LABEL_FONT * 0.8, bottom.get(i));
        }
        text(svg, panel.gridX() - 6, panel.gridY() - 6, 10, "end", "#666666", "", panel.nextTokensOnTop() ? "next" : "input");
        text(svg, panel.gridX() - 6, gridBottom + 14, 10, "end", "#666666", "", panel.nextTokensOnTop() ? "input" : "next");

        // rows: layer names on the left, cells
        for (int row = 0; row < panel.rows(); row++) {
            int layer = panel.layerAt(row);
            double y = panel.gridY() + row * PlotLayout.CELL_HEIGHT;
            text(svg, panel.gridX() - 6, y + PlotLayout.CELL_HEIGHT / 2 + PlotLayout.LABEL_FONT * 0.35, PlotLayout.LABEL_FONT,
                    "end", "#111111", "", view.rowLabel(layer));
            for (int pos = view.start(); pos < view.end(); pos++) {
                cell(svg, panel, layer, pos);
            }
        }
        svg.append("</g>\n");
    }

    private static void cell(StringBuilder svg, PlotLayout.Panel panel, int layer, int pos) {
        LensView view = panel.view();
        PlotLayout.Box box = panel.cell(layer, pos);
        int rgb = view.rgb(layer, pos);
        svg.append("<g data-layer=\"").append(layer).append("\" data-position=\"").append(pos).append("\"><title>");
        List<String> lines = CellDetails.of(panel.figure(), view, layer, pos).lines();
        for (int i = 0; i < lines.size(); i++) {
            svg.append(i == 0 ? "" : "\n").append(escape(lines.get(i)));
        }
        svg.append("</title>");
        svg.append("<rect class=\"cell\" data-layer=\"").append(layer).append("\" data-position=\"").append(pos)
                .append("\" data-value=\"").append(escape(view.format(view.value(layer, pos))))
                .append("\" x=\"").append(num(box.x())).append("\" y=\"").append(num(box.y()))
                .append("\" width=\"").append(num(box.width())).append("\" height=\"").append(num(box.height()))
                .append("\" fill=\"").append(ColorScale.toHex(rgb)).append("\"/>");
        if (view.outlined(layer, pos)) {
            double inset = PlotLayout.OUTLINE / 2;
            svg.append("<rect class=\"outline\" x=\"").append(num(box.x() + inset)).append("\" y=\"").append(num(box.y() + inset))
                    .append("\" width=\"").append(num(box.width() - PlotLayout.OUTLINE)).append("\" height=\"")
                    .append(num(box.height() - PlotLayout.OUTLINE)).append("\" fill=\"none\" stroke=\"")
                    .append(ColorScale.toHex(view.outlineRgb())).append("\" stroke-width=\"").append(num(PlotLayout.OUTLINE)).append("\"/>");
        }
        String label = TokenLabels.clip(view.cellText(layer, pos, panel.figure()::label), PlotLayout.MAX_CELL_CHARS);
        text(svg, box.centreX(), box.centreY() + PlotLayout.CELL_FONT * 0.35, PlotLayout.CELL_FONT, "middle",
                ColorScale.needsLightText(rgb) ? "#ffffff" : "#000000", "", label);
        svg.append("</g>\n");
    }

    private static void rotated(StringBuilder svg, double x, double y, String anchor, double dy, String label) {
        if (label.isEmpty()) {
            return;
        }
        svg.append("<text transform=\"translate(").append(num(x)).append(' ').append(num(y)).append(") rotate(-45)\" y=\"")
                .append(num(dy)).append("\" font-size=\"").append(num(PlotLayout.LABEL_FONT)).append("\" text-anchor=\"")
                .append(anchor).append("\" fill=\"#111111\" xml:space=\"preserve\" style=\"white-space:pre\">")
                .append(escape(label)).append("</text>\n");
    }

    private static void text(StringBuilder svg, double x, double y, double size, String anchor, String fill, String extra, String text) {
        svg.append("<text x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" font-size=\"").append(num(size))
                .append("\" text-anchor=\"").append(anchor).append("\" fill=\"").append(fill).append('"').append(extra)
                .append(" xml:space=\"preserve\" style=\"white-space:pre\">").append(escape(text)).append("</text>\n");
    }
}
