package dev.logitlens.view;

import java.util.List;

import static dev.logitlens.view.Markup.escape;
import static dev.logitlens.view.Markup.num;

/**
 * The lens as a self-contained HTML page: one panel per view of each figure, laid out by {@link PlotLayout} with
 * absolutely positioned boxes (so cell (layer, position) is exactly where the layout says, in CSS pixels from the
 * page's top left corner). Nothing is loaded from elsewhere: no scripts at all, one inline style sheet, the
 * system's sans-serif fonts. Hovering a cell shows (pure CSS) its top-k tokens with probabilities and logits,
 * its three ranks, both KL divergences and the entropy. Every token is escaped.
 */
public final class HtmlPlot {

    private static final String STYLE = """
            html,body{margin:0;padding:0;background:#ffffff}
            body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;color:#111111}
            .page{position:relative}
            .page>div{position:absolute;box-sizing:border-box;white-space:pre}
            .title{font-size:16px;font-weight:bold;line-height:20px}
            .heading{font-size:14px;font-weight:bold;line-height:18px}
            .ptitle{font-size:13px;line-height:16px}
            .tick{font-size:10px;line-height:12px;color:#333333;text-align:center;width:60px}
            .bar{border:0.5px solid #888888}
            .xl{font-size:12px;line-height:12px;height:12px}
            .xt{transform-origin:0 100%;transform:rotate(-45deg)}
            .xb{transform-origin:100% 0;transform:rotate(-45deg)}
            .cap{font-size:10px;line-height:12px;color:#666666;text-align:right}
            .yl{font-size:12px;line-height:26px;text-align:right}
            .c{font-size:11px;line-height:26px;text-align:center}
            .c>span{display:block;overflow:hidden;padding:0 3px}
            .c.o{box-shadow:inset 0 0 0 3px var(--o)}
            .c .tip{display:none;position:absolute;left:0;top:100%;z-index:20;min-width:260px;padding:6px 8px;
              background:#ffffff;color:#111111;border:1px solid #555555;box-shadow:2px 2px 6px rgba(0,0,0,.3);
              font-size:12px;line-height:16px;text-align:left;white-space:normal}
            .c:hover{z-index:10;outline:1px solid #ff3300}
            .c:hover .tip{display:block}
            .tip table{border-collapse:collapse;margin:3px 0}
            .tip td{padding:0 6px 0 0;white-space:pre}
            .tip td.n{text-align:right}
            """;

    private HtmlPlot() {
    }

    /** The HTML page of the figures under an optional page title (empty for none). */
    public static String render(String title, List<LensFigure> figures) {
        PlotLayout layout = PlotLayout.of(title, figures);
        StringBuilder html = new StringBuilder(1 << 16);
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(escape(title.isEmpty() ? "logit lens" : title)).append("</title>\n<style>\n").append(STYLE)
                .append("</style>\n</head>\n<body>\n<div class=\"page\" style=\"width:").append(layout.width())
                .append("px;height:").append(layout.height()).append("px\">\n");
        if (!title.isEmpty()) {
            box(html, "title", PlotLayout.MARGIN, PlotLayout.MARGIN, "", title);
        }
        for (PlotLayout.Heading heading : layout.headings()) {
            box(html, "heading", PlotLayout.MARGIN, heading.y(), "", heading.text());
        }
        for (PlotLayout.Panel panel : layout.panels()) {
            panel(html, layout, panel);
        }
        html.append("</div>\n</body>\n</html>\n");
        return html.toString();
    }

    /** Like {@link #render(String, List)} for one figure. */
    public static String render(LensFigure figure) {
        return render("", List.of(figure));
    }

    private static void panel(StringBuilder html, PlotLayout layout, PlotLayout.Panel panel) {
        LensView view = panel.view();
        LensFigure figure = panel.figure();
        box(html, "ptitle", panel.gridX(), panel.top() + 3, "", view.title() + "   (" + view.scaleDescription() + ")");

        PlotLayout.Box bar = panel.colourBar();
        StringBuilder gradient = new StringBuilder("linear-gradient(to right");
        int stops = 32;
        for (int i = 0; i <= stops; i++) {
            double t = i / (double) stops;
            gradient.append(',').append(view.colorScale().hex(t)).append(' ').append(num(100 * t)).append('%');
        }
        gradient.append(')');
        html.append("<div class=\"bar\" data-view=\"").append(view.spec().shortName()).append("\" style=\"left:")
                .append(num(bar.x())).append("px;top:").append(num(bar.y())).append("px;width:").append(num(bar.width()))
                .append("px;height:").append(num(bar.height())).append("px;background:").append(gradient).append("\"></div>\n");
        for (LensView.Tick tick : view.ticks()) {
            box(html, "tick", bar.x() + tick.position() * bar.width() - 30, bar.y() + bar.height() + 3, "", tick.label());
        }

        PlotLayout.Box swatch = panel.legendSwatch();
        if (swatch != null) {
            html.append("<div class=\"legend\" style=\"left:").append(num(swatch.x())).append("px;top:").append(num(swatch.y()))
                    .append("px;width:").append(num(swatch.width())).append("px;height:").append(num(swatch.height()))
                    .append("px;background:#ffffff;box-shadow:inset 0 0 0 3px ").append(ColorScale.toHex(view.outlineRgb()))
                    .append("\"></div>\n");
            box(html, "tick", swatch.x() + swatch.width() + 6, swatch.y() + 2, "width:auto;text-align:left;",
                    PlotLayout.OUTLINE_LEGEND);
        }

        List<String> top = PlotLayout.topLabels(figure, view);
        List<String> bottom = PlotLayout.bottomLabels(figure, view);
        double gridBottom = panel.gridY() + panel.gridHeight();
        for (int i = 0; i < view.positions(); i++) {
            double x = panel.gridX() + (i + 0.5) * PlotLayout.CELL_WIDTH;
            if (!top.get(i).isEmpty()) {
                box(html, "xl xt", x, panel.gridY() - 6 - PlotLayout.LABEL_FONT, "", top.get(i));
            }
            if (!bottom.get(i).isEmpty()) {
                html.append("<div class=\"xl xb\" style=\"right:").append(num(layout.width() - x)).append("px;top:")
                        .append(num(gridBottom + 8)).append("px\">").append(escape(bottom.get(i))).append("</div>\n");
            }
        }
        box(html, "cap", panel.gridX() - 66, panel.gridY() - 18, "width:60px;", panel.nextTokensOnTop() ? "next" : "input");
        box(html, "cap", panel.gridX() - 66, gridBottom + 4, "width:60px;", panel.nextTokensOnTop() ? "input" : "next");

        for (int row = 0; row < panel.rows(); row++) {
            int layer = panel.layerAt(row);
            double y = panel.gridY() + row * PlotLayout.CELL_HEIGHT;
            box(html, "yl", panel.gridX() - 6 - panel.labelWidth(), y,
                    "width:" + num(panel.labelWidth()) + "px;", view.rowLabel(layer));
            for (int pos = view.start(); pos < view.end(); pos++) {
                cell(html, panel, layer, pos);
            }
        }
    }

    private static void cell(StringBuilder html, PlotLayout.Panel panel, int layer, int pos) {
        LensView view = panel.view();
        PlotLayout.Box box = panel.cell(layer, pos);
        int rgb = view.rgb(layer, pos);
        boolean outlined = view.outlined(layer, pos);
        html.append("<div class=\"c").append(outlined ? " o" : "").append("\" data-view=\"").append(view.spec().shortName())
                .append("\" data-layer=\"").append(layer).append("\" data-position=\"").append(pos)
                .append("\" style=\"left:").append(num(box.x())).append("px;top:").append(num(box.y()))
                .append("px;width:").append(num(box.width())).append("px;height:").append(num(box.height()))
                .append("px;background:").append(ColorScale.toHex(rgb)).append(";color:")
                .append(ColorScale.needsLightText(rgb) ? "#ffffff" : "#000000");
        if (outlined) {
            html.append(";--o:").append(ColorScale.toHex(view.outlineRgb()));
        }
        html.append("\"><span>")
                .append(escape(TokenLabels.clip(view.cellText(layer, pos, panel.figure()::label), PlotLayout.MAX_CELL_CHARS)))
                .append("</span>");
        CellDetails details = CellDetails.of(panel.figure(), view, layer, pos);
        html.append("<div class=\"tip\"><b>").append(escape(details.heading())).append("</b><br>")
                .append(escape(details.context())).append("<br>").append(escape(details.value())).append("<table>");
        for (CellDetails.Entry entry : details.top()) {
            html.append("<tr><td class=\"n\">").append(entry.rank()).append("</td><td>").append(escape(entry.token()))
                    .append("</td><td class=\"n\">").append(entry.probability()).append("</td><td class=\"n\">logit ")
                    .append(entry.logit()).append("</td></tr>");
        }
        html.append("</table>").append(escape(details.ranks())).append("<br>").append(escape(details.divergences()))
                .append("</div></div>\n");
    }

    private static void box(StringBuilder html, String cssClass, double x, double y, String style, String text) {
        html.append("<div class=\"").append(cssClass).append("\" style=\"").append(style).append("left:").append(num(x))
                .append("px;top:").append(num(y)).append("px\">").append(escape(text)).append("</div>\n");
    }
}
