package dev.logitlens.view;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A figure as data for a page that draws it itself (the interactive page of {@code logitlens serve}): every cell's
 * label and tooltip, and for every view of the figure every cell's colour, text colour, outline and value, all
 * computed here by {@link LensView}, {@link ColorScale} and {@link CellDetails} — the rules {@link HtmlPlot} draws
 * with — so the page paints what it is given and holds no colour rule of its own. Switching views on the page is
 * then a matter of choosing another of the lists below.
 *
 * <p>{@link #of} returns plain maps and lists (strings, numbers, booleans) for a JSON writer:
 * <pre>
 * title, start, end,
 * topCaption, bottomCaption        "next" / "input" (swapped when top-down)
 * top[c], bottom[c]                the axis labels of column c (position start + c), as PlotLayout draws them
 * rows[r] = {layer, name}          row r from the top: its layer and its name ("in", "h1", ...)
 * cells[r][c] = {label, heading, context, top: [[rank, token, probability, logit], ...], ranks, divergences}
 * views[i] = {name, kind, reference, title, scale, bar: [33 colours], ticks: [[position, label], ...], outline,
 *             fill[r][c], light[r][c], outlined[r][c], value[r][c]}
 * </pre>
 * where {@code reference} is null for views that have none, {@code fill} is the cell's {@code #rrggbb} colour,
 * {@code light} whether its text is white, {@code outlined} whether it gets the {@code outline} colour's inset
 * border, and {@code value} the tooltip's line with the view's value ({@code prob = 0.731}).
 */
public final class LensPageData {

    /** Colours of a view's colour bar, evenly spaced from scale position 0 to 1 (as {@link HtmlPlot}'s bar). */
    public static final int BAR_STOPS = 33;

    private LensPageData() {
    }

    /** The figure's data, laid out as its first panel (rows top to bottom as {@link PlotLayout} orders them). */
    public static Map<String, Object> of(LensFigure figure) {
        PlotLayout layout = PlotLayout.of("", List.of(figure));
        List<PlotLayout.Panel> panels = layout.panels();
        PlotLayout.Panel first = panels.getFirst();
        LensView firstView = first.view();

        Map<String, Object> data = new LinkedHashMap<>();
        data.put("title", figure.title());
        data.put("start", figure.start());
        data.put("end", figure.end());
        data.put("topCaption", first.nextTokensOnTop() ? "next" : "input");
        data.put("bottomCaption", first.nextTokensOnTop() ? "input" : "next");
        data.put("top", PlotLayout.topLabels(figure, firstView));
        data.put("bottom", PlotLayout.bottomLabels(figure, firstView));

        List<Object> rows = new ArrayList<>();
        List<Object> cells = new ArrayList<>();
        for (int row = 0; row < first.rows(); row++) {
            int layer = first.layerAt(row);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("layer", layer);
            r.put("name", firstView.lens().snapshots().label(layer));
            rows.add(r);
            List<Object> line = new ArrayList<>();
            for (int pos = figure.start(); pos < figure.end(); pos++) {
                line.add(cell(figure, firstView, layer, pos));
            }
            cells.add(line);
        }
        data.put("rows", rows);
        data.put("cells", cells);

        List<Object> views = new ArrayList<>();
        for (PlotLayout.Panel panel : panels) {
            views.add(view(panel));
        }
        data.put("views", views);
        return data;
    }

    private static Map<String, Object> cell(LensFigure figure, LensView view, int layer, int pos) {
        CellDetails details = CellDetails.of(figure, view, layer, pos);
        Map<String, Object> cell = new LinkedHashMap<>();
        cell.put("label", TokenLabels.clip(figure.label(view.labelTokenId(layer, pos)), PlotLayout.MAX_CELL_CHARS));
        cell.put("heading", details.heading());
        cell.put("context", details.context());
        List<Object> top = new ArrayList<>();
        for (CellDetails.Entry entry : details.top()) {
            top.add(List.of(entry.rank(), entry.token(), entry.probability(), entry.logit()));
        }
        cell.put("top", top);
        cell.put("ranks", details.ranks());
        cell.put("divergences", details.divergences());
        return cell;
    }

    private static Map<String, Object> view(PlotLayout.Panel panel) {
        LensView view = panel.view();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("name", view.spec().shortName());
        data.put("kind", view.kind().cliName());
        data.put("reference", view.spec().usesReference() ? view.reference().cliName() : null);
        data.put("title", view.title());
        data.put("scale", view.scaleDescription());
        List<Object> bar = new ArrayList<>();
        for (int i = 0; i < BAR_STOPS; i++) {
            bar.add(view.colorScale().hex(i / (double) (BAR_STOPS - 1)));
        }
        data.put("bar", bar);
        List<Object> ticks = new ArrayList<>();
        for (LensView.Tick tick : view.ticks()) {
            ticks.add(List.of(tick.position(), tick.label()));
        }
        data.put("ticks", ticks);
        data.put("outline", ColorScale.toHex(view.outlineRgb()));
        List<Object> fill = new ArrayList<>();
        List<Object> light = new ArrayList<>();
        List<Object> outlined = new ArrayList<>();
        List<Object> value = new ArrayList<>();
        for (int row = 0; row < panel.rows(); row++) {
            int layer = panel.layerAt(row);
            List<Object> f = new ArrayList<>();
            List<Object> l = new ArrayList<>();
            List<Object> o = new ArrayList<>();
            List<Object> v = new ArrayList<>();
            for (int pos = view.start(); pos < view.end(); pos++) {
                int rgb = view.rgb(layer, pos);
                f.add(ColorScale.toHex(rgb));
                l.add(ColorScale.needsLightText(rgb));
                o.add(view.outlined(layer, pos));
                v.add(CellDetails.value(view, layer, pos));
            }
            fill.add(f);
            light.add(l);
            outlined.add(o);
            value.add(v);
        }
        data.put("fill", fill);
        data.put("light", light);
        data.put("outlined", outlined);
        data.put("value", value);
        return data;
    }
}
