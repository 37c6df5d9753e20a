package dev.logitlens.view;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The geometry shared by {@link SvgPlot} and {@link HtmlPlot}, in CSS pixels from the page's top left corner:
 * the same numbers position the SVG elements and the HTML page's absolutely positioned boxes, so a test (or a
 * reader) can ask where cell (layer, position) of a panel is drawn.
 *
 * <p>Layout, after the post's figures: a page title; per figure a heading; per view a panel: its title, a
 * horizontal colour bar with its scale (the notebook puts its colour bar on top too), the true next tokens
 * rotated 45° along the top (prefixed "(*) " when the final layer predicts them), the grid (one row per layer,
 * the final layer at the top, the input row "in" at the bottom, unless top-down), the input tokens rotated 45°
 * along the bottom, layer names ({@code in}, {@code h1} … {@code hN}: the output of block N) on the left.
 * Top-down swaps the rows and the two token axes, like transformer-utils' {@code top_down}.
 *
 * <p>Text widths are estimated ({@value #CHAR_WIDTH} px per character of 12 px text, labels clipped to
 * {@value #MAX_LABEL_CHARS} characters), so margins are generous rather than exact.
 */
public final class PlotLayout {

    public static final double MARGIN = 16;
    public static final double CELL_WIDTH = 84;
    public static final double CELL_HEIGHT = 26;
    public static final double CELL_FONT = 11;
    public static final double LABEL_FONT = 12;
    public static final double TITLE_FONT = 16;
    public static final double PANEL_TITLE_FONT = 13;
    public static final double CHAR_WIDTH = 7.2;
    public static final int MAX_LABEL_CHARS = 18;
    /** Characters of token text in a cell (quotes included) before it is clipped with "…". */
    public static final int MAX_CELL_CHARS = 11;
    /** Width of the outline drawn inside cells whose top-1 matches the final layer's. */
    public static final double OUTLINE = 3;
    static final double PAGE_TITLE_HEIGHT = 32;
    static final double FIGURE_TITLE_HEIGHT = 26;
    static final double PANEL_TITLE_HEIGHT = 22;
    static final double BAR_HEIGHT = 12;
    static final double BAR_BLOCK = BAR_HEIGHT + 26;
    static final double BAR_MAX_WIDTH = 360;
    static final double PANEL_GAP = 24;
    static final double LAYER_LABEL_WIDTH = 44;
    /** The legend of the cell outlines, right of the colour bar (views that outline cells only). */
    public static final String OUTLINE_LEGEND = "outlined: the top-1 token is the final layer's top-1";
    static final double LEGEND_FONT = 10;
    static final double LEGEND_GAP = 36;
    static final double LEGEND_SWATCH_WIDTH = 22;
    private static final double COS45 = Math.sqrt(0.5);

    /** A rectangle. */
    public record Box(double x, double y, double width, double height) {

        public double centreX() {
            return x + width / 2;
        }

        public double centreY() {
            return y + height / 2;
        }
    }

    /** A point. */
    public record Point(double x, double y) {
    }

    /**
     * One panel: a view of a figure, placed on the page.
     *
     * @param figure   the figure it belongs to
     * @param view     what it shows
     * @param top      the panel's top edge
     * @param gridX    the grid's left edge
     * @param gridY    the grid's top edge
     * @param height   the panel's height
     */
    public record Panel(LensFigure figure, LensView view, double top, double gridX, double gridY, double height) {

        /** Rows from the top: 0 = the final layer (or the input row when top-down). */
        public int rows() {
            return view.nLayers() + 1;
        }

        public int columns() {
            return view.positions();
        }

        /** The layer drawn in row {@code row} (0 = the top row). */
        public int layerAt(int row) {
            Objects.checkIndex(row, rows());
            return figure.topDown() ? row : view.nLayers() - row;
        }

        /** The row of {@code layer}. */
        public int rowOf(int layer) {
            Objects.checkIndex(layer, rows());
            return figure.topDown() ? layer : view.nLayers() - layer;
        }

        /** The cell of (layer, position); position is absolute, in [start, end). */
        public Box cell(int layer, int pos) {
            if (pos < view.start() || pos >= view.end()) {
                throw new IndexOutOfBoundsException("position " + pos + " is outside [" + view.start() + ", " + view.end() + ")");
            }
            return new Box(gridX + (pos - view.start()) * CELL_WIDTH, gridY + rowOf(layer) * CELL_HEIGHT, CELL_WIDTH, CELL_HEIGHT);
        }

        /**
         * A pixel of the cell that shows its colour and nothing else: horizontally centred, 5 px below the cell's
         * top edge, inside the outline ({@value #OUTLINE} px) and above the token text (centred, {@value #CELL_FONT} px).
         */
        public Point probe(int layer, int pos) {
            Box box = cell(layer, pos);
            return new Point(box.centreX(), box.y() + 5);
        }

        public double gridWidth() {
            return columns() * CELL_WIDTH;
        }

        public double gridHeight() {
            return rows() * CELL_HEIGHT;
        }

        /** The colour bar. */
        public Box colourBar() {
            return new Box(gridX, top + PANEL_TITLE_HEIGHT, Math.min(BAR_MAX_WIDTH, Math.max(gridWidth(), 160)), BAR_HEIGHT);
        }

        /** The width of the row labels' column: wide enough for the longest ({@code h12.attn}), at least 44 px. */
        public double labelWidth() {
            return PlotLayout.labelWidth(view);
        }

        /**
         * The outline legend's sample cell, right of the colour bar; its text ({@link #OUTLINE_LEGEND}) follows it,
         * 6 px to its right. Null for views that outline no cell (KL, contrast: {@link LensView#hasOutlines}).
         */
        public Box legendSwatch() {
            if (!view.hasOutlines()) {
                return null;
            }
            Box bar = colourBar();
            return new Box(bar.x() + bar.width() + LEGEND_GAP, bar.y() - 2, LEGEND_SWATCH_WIDTH, BAR_HEIGHT + 4);
        }

        /** Whether the top axis shows the true next tokens (else the input tokens). */
        public boolean nextTokensOnTop() {
            return !figure.topDown();
        }
    }

    /** A figure heading placed on the page. */
    public record Heading(String text, double y) {
    }

    private final String title;
    private final List<Panel> panels;
    private final List<Heading> headings;
    private final double width;
    private final double height;

    private PlotLayout(String title, List<Panel> panels, List<Heading> headings, double width, double height) {
        this.title = title;
        this.panels = List.copyOf(panels);
        this.headings = List.copyOf(headings);
        this.width = width;
        this.height = height;
    }

    /** The layout of a page: an optional title (empty for none) and the figures' panels, top to bottom. */
    public static PlotLayout of(String title, List<LensFigure> figures) {
        Objects.requireNonNull(title, "title");
        if (figures.isEmpty()) {
            throw new IllegalArgumentException("nothing to draw: no figures");
        }
        double gridX = MARGIN + LAYER_LABEL_WIDTH + 8;
        for (LensFigure figure : figures) {
            for (LensView view : figure.panels()) {
                gridX = Math.max(gridX, MARGIN + labelWidth(view) + 8);
            }
        }
        double right = 0;
        double textWidth = title.length() * TITLE_FONT * 0.6;
        for (LensFigure figure : figures) {
            textWidth = Math.max(textWidth, figure.title().length() * 8.4);
            for (LensView view : figure.panels()) {
                gridX = Math.max(gridX, MARGIN + labelRun(bottomLabels(figure, view)) - CELL_WIDTH / 2);
                right = Math.max(right, view.positions() * CELL_WIDTH
                        + Math.max(labelRun(topLabels(figure, view)) - CELL_WIDTH / 2, 40));
                if (view.hasOutlines()) { // the outline legend, right of the colour bar
                    double bar = Math.min(BAR_MAX_WIDTH, Math.max(view.positions() * CELL_WIDTH, 160));
                    right = Math.max(right, bar + LEGEND_GAP + LEGEND_SWATCH_WIDTH + 6
                            + OUTLINE_LEGEND.length() * LEGEND_FONT * 0.6);
                }
                textWidth = Math.max(textWidth, (view.title() + "   " + view.scaleDescription()).length() * PANEL_TITLE_FONT * 0.58);
            }
        }
        double width = Math.ceil(Math.max(gridX + right, MARGIN + textWidth) + MARGIN);

        List<Panel> panels = new ArrayList<>();
        List<Heading> headings = new ArrayList<>();
        double y = MARGIN + (title.isEmpty() ? 0 : PAGE_TITLE_HEIGHT);
        for (LensFigure figure : figures) {
            if (!figure.title().isEmpty()) {
                headings.add(new Heading(figure.title(), y));
                y += FIGURE_TITLE_HEIGHT;
            }
            for (LensView view : figure.panels()) {
                double topRun = labelRun(topLabels(figure, view));
                double bottomRun = labelRun(bottomLabels(figure, view));
                double gridY = y + PANEL_TITLE_HEIGHT + BAR_BLOCK + topRun;
                double panelHeight = PANEL_TITLE_HEIGHT + BAR_BLOCK + topRun + (view.nLayers() + 1) * CELL_HEIGHT + bottomRun;
                panels.add(new Panel(figure, view, y, gridX, gridY, panelHeight));
                y += panelHeight + PANEL_GAP;
            }
        }
        double height = Math.ceil(y - PANEL_GAP + MARGIN);
        return new PlotLayout(title, panels, headings, width, height);
    }

    public String title() {
        return title;
    }

    /** The panels, top to bottom. */
    public List<Panel> panels() {
        return panels;
    }

    /** The figures' headings. */
    public List<Heading> headings() {
        return headings;
    }

    /** The page width in CSS pixels (whole). */
    public int width() {
        return (int) width;
    }

    /** The page height in CSS pixels (whole). */
    public int height() {
        return (int) height;
    }

    /** The width of the row labels' column of a view: its longest label at {@value #CHAR_WIDTH} px a character, at least 44 px. */
    static double labelWidth(LensView view) {
        return Math.max(LAYER_LABEL_WIDTH, view.lens().snapshots().longestLabel() * CHAR_WIDTH);
    }

    /** A layer's row label: {@code in} for the embeddings (layer 0), {@code hN} for the output of block N. */
    public static String layerName(int layer) {
        if (layer < 0) {
            throw new IllegalArgumentException("layer " + layer);
        }
        return layer == 0 ? "in" : "h" + layer;
    }

    /** The labels of the top axis, one per position shown. */
    static List<String> topLabels(LensFigure figure, LensView view) {
        return figure.topDown() ? inputLabels(figure, view) : nextLabels(figure, view);
    }

    /** The labels of the bottom axis, one per position shown. */
    static List<String> bottomLabels(LensFigure figure, LensView view) {
        return figure.topDown() ? nextLabels(figure, view) : inputLabels(figure, view);
    }

    /** The input tokens, as the post: quoted. */
    static List<String> inputLabels(LensFigure figure, LensView view) {
        List<String> labels = new ArrayList<>();
        for (int pos = view.start(); pos < view.end(); pos++) {
            labels.add(TokenLabels.clip(figure.inputLabel(pos), MAX_LABEL_CHARS));
        }
        return labels;
    }

    /** The true next tokens, "(*) " first where the final layer's top-1 is that token; empty at the text's end. */
    static List<String> nextLabels(LensFigure figure, LensView view) {
        List<String> labels = new ArrayList<>();
        for (int pos = view.start(); pos < view.end(); pos++) {
            int next = view.nextTokenId(pos);
            String label = next < 0 ? "" : (view.predictsNext(view.nLayers(), pos) ? "(*) " : "") + figure.label(next);
            labels.add(TokenLabels.clip(label, MAX_LABEL_CHARS));
        }
        return labels;
    }

    /** The horizontal (and vertical) run of the longest label rotated by 45°, plus room for the glyphs' height. */
    private static double labelRun(List<String> labels) {
        int longest = 0;
        for (String label : labels) {
            longest = Math.max(longest, label.codePointCount(0, label.length()));
        }
        return longest * CHAR_WIDTH * COS45 + LABEL_FONT + 4;
    }
}
