package dev.logitlens.view;

import dev.logitlens.lens.LensResult;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One heat map of the lens, as in nostalgebraist's "interpreting GPT: the logit lens" (2020): rows are
 * layers (0 = the embeddings, the "input" row, to n_layer), columns are the positions {@code [start, end)},
 * each cell is labelled with that layer's top-1 token and coloured by a value chosen by the {@link Kind}.
 * The same model serves the terminal table ({@code logitlens run}) and the pictures ({@link SvgPlot},
 * {@link HtmlPlot}).
 *
 * <h2>Values and colour scales</h2>
 * The scale position of a cell ({@link #position}) is in [0, 1]; {@link #colorScale()} turns it into a colour.
 * <table>
 *   <caption>views</caption>
 *   <tr><th>kind</th><th>value</th><th>position</th><th>colours</th></tr>
 *   <tr><td>{@code LOGIT}</td><td>the top-1 token's logit</td>
 *       <td>linear between the 5th and 95th percentile of the values shown (clamped)</td>
 *       <td>CET-CBL2: low dark, high light</td></tr>
 *   <tr><td>{@code PROB}</td><td>the top-1 token's probability</td><td>the value, on [0, 1]</td>
 *       <td>Blues_r: 0 dark blue, 1 near white</td></tr>
 *   <tr><td>{@code RANK}</td><td>the rank, in this layer, of the final layer's top-1 token ({@code FINAL}) or of
 *       the input token ({@code INPUT}); 1 = top</td>
 *       <td>{@code ln(min(rank, rankMax)) / ln(rankMax)}: rank 1 → 0, rank ≥ rankMax → 1 (log scale, capped)</td>
 *       <td>Blues: rank 1 near white, the cap dark blue</td></tr>
 *   <tr><td>{@code KL}</td><td>KL(final ‖ layer) ({@code FINAL}) or KL(layer 0 ‖ layer) ({@code INPUT}), in nats</td>
 *       <td>{@code min(max(KL, 0), klMax) / klMax}: KL ≥ klMax saturates at 1</td>
 *       <td>CET-CBL2 reversed: 0 near white, the cap near black</td></tr>
 *   <tr><td>{@code TRACK}</td><td>a tracked token's probability ({@link LensResult#tracked()}; one view per tracked
 *       token, {@link #tracked})</td><td>the value, on [0, 1]</td><td>Blues_r, as {@code PROB}</td></tr>
 *   <tr><td>{@code CONTRAST}</td><td>the logit difference of the first two tracked tokens, target − anti-target
 *       (= their log-probability difference, nats)</td>
 *       <td>linear on [−m, m], m = the largest |value| shown: 0 at the centre</td>
 *       <td>RdBu (diverging): the anti-target ahead red, even near white, the target ahead blue</td></tr>
 * </table>
 *
 * <h2>What follows the post, and what we chose</h2>
 * Sources: the post (LessWrong, 31 Aug 2020), its Colab notebook of 30 Aug 2020 (function
 * {@code show_token_progress}) and the author's later {@code transformer-utils}
 * ({@code src/transformer_utils/logit_lens/plotting.py}).
 * <ul>
 *   <li><b>From the post:</b> cells labelled with the layer's top-1 token; logits coloured with colorcet's
 *       {@code linear_protanopic_deuteranopic_kbw_5_98_c40}, probabilities with {@code Blues_r} on [0, 1], ranks
 *       with {@code Blues} on a log scale starting at rank 1, KL with the reversed kbw map from 0 to a cap of 30
 *       ("I cut off the color scale at 30 so other distinctions were perceptible at all"), KL in nats (the
 *       notebook's {@code kl_div} uses {@code np.log}); the two references of the post's addendum: KL(final ‖
 *       layer) and KL(input ‖ layer), rank of the final top-1 and rank of the input token; the logit and
 *       probability views colour by the layer's own top-1 (the notebook's {@code max_logit_frame} and
 *       {@code max_p_frame}; transformer-utils later switched to the value of the final layer's top-1, which the
 *       lens result does not keep); cells outlined where the layer's top-1 equals the final layer's (not in
 *       the KL view, as in the notebook's {@code plot_all}).</li>
 *   <li><b>Our choices:</b> the rank cap is 1000 for both references (the post's figures bottom out at rank
 *       100 for the final top-1 and at 1000 for the input token; one cap keeps the two comparable); the logit
 *       range is transformer-utils' 5th–95th percentile of the values shown, because the notebook's
 *       [0, max final logit] is empty for models whose logits are all negative (GPT-2 with ln_f's gain and bias
 *       often is); when every value is equal the range is that value ± 0.5. The KL cap is configurable
 *       ({@link Spec#klMax}, default {@value #DEFAULT_KL_MAX} nats). The rank view keeps the top-1 token as its
 *       cell label (the post prints the rank number there; ours is in the tooltip), unless {@link Spec#values()}
 *       asks for the number, as the post's rank and KL figures show it.</li>
 * </ul>
 */
public final class LensView {

    /** What colours the cells. */
    public enum Kind {
        LOGIT, PROB, RANK, KL, TRACK, CONTRAST;

        /** The four views of the post, which need nothing but the lens ({@code --view all}). */
        public static final java.util.List<Kind> POST = java.util.List.of(LOGIT, PROB, RANK, KL);

        /** The lower-case name used on the command line. */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What ranks and KL divergences compare against: the final layer's output, or the input (layer 0). */
    public enum Reference {
        FINAL, INPUT;

        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The post's KL cap: the darkest colour means KL ≥ 30 nats. */
    public static final double DEFAULT_KL_MAX = 30;
    /** Ranks at or beyond this get the darkest colour. */
    public static final int DEFAULT_RANK_MAX = 1000;
    /** The logit range: these percentiles of the values shown (numpy's linear interpolation). */
    public static final double LOGIT_LOW_PERCENTILE = 5;
    public static final double LOGIT_HIGH_PERCENTILE = 95;

    /**
     * The choice of one view.
     *
     * @param kind      what colours the cells
     * @param reference for {@code RANK} and {@code KL}: the final layer or the input; ignored by the others
     * @param klMax     KL at or above this (nats) gets the end colour; positive and finite
     * @param rankMax   ranks at or above this get the end colour; at least 2
     * @param values    each cell shows its value ({@link #format}: the rank, the KL, the probability, the logit)
     *                  instead of its top-1 token, as the post's rank and KL figures did; the token stays in the
     *                  tooltip
     */
    public record Spec(Kind kind, Reference reference, double klMax, int rankMax, boolean values) {

        public Spec {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(reference, "reference");
            if (!(klMax > 0) || Double.isInfinite(klMax)) {
                throw new IllegalArgumentException("the KL cap must be a positive number, not " + klMax);
            }
            if (rankMax < 2) {
                throw new IllegalArgumentException("the rank cap must be at least 2, not " + rankMax);
            }
        }

        /** A view whose cells show their top-1 tokens. */
        public Spec(Kind kind, Reference reference, double klMax, int rankMax) {
            this(kind, reference, klMax, rankMax, false);
        }

        /** The view with the final layer as reference and the default caps. */
        public static Spec of(Kind kind) {
            return new Spec(kind, Reference.FINAL, DEFAULT_KL_MAX, DEFAULT_RANK_MAX);
        }

        public static Spec of(Kind kind, Reference reference) {
            return new Spec(kind, reference, DEFAULT_KL_MAX, DEFAULT_RANK_MAX);
        }

        public Spec withReference(Reference r) {
            return new Spec(kind, r, klMax, rankMax, values);
        }

        public Spec withKlMax(double max) {
            return new Spec(kind, reference, max, rankMax, values);
        }

        public Spec withRankMax(int max) {
            return new Spec(kind, reference, klMax, max, values);
        }

        public Spec withValues(boolean show) {
            return new Spec(kind, reference, klMax, rankMax, show);
        }

        /** Whether the reference matters for this kind. */
        public boolean usesReference() {
            return kind == Kind.RANK || kind == Kind.KL;
        }

        /** A short name: {@code logit}, {@code prob}, {@code rank-final}, {@code kl-input}, ... */
        public String shortName() {
            return usesReference() ? kind.cliName() + "-" + reference.cliName() : kind.cliName();
        }
    }

    /** A mark on the colour bar: a scale position and its label. */
    public record Tick(double position, String label) {
    }

    private final LensResult lens;
    private final Spec spec;
    private final int start;
    private final int end;
    private final double low;
    private final double high;
    private final int tracked;  // TRACK: the tracked token shown (index into LensResult.tracked())

    private LensView(LensResult lens, Spec spec, int start, int end, int tracked) {
        this.lens = Objects.requireNonNull(lens, "lens");
        this.spec = Objects.requireNonNull(spec, "spec");
        if (start < 0 || end > lens.nTokens() || start >= end) {
            throw new IllegalArgumentException("position range [" + start + ", " + end + ") must lie in [0, "
                    + lens.nTokens() + ") and hold at least one position");
        }
        this.start = start;
        this.end = end;
        int needed = spec.kind() == Kind.CONTRAST ? 2 : spec.kind() == Kind.TRACK ? tracked + 1 : 0;
        if (lens.tracked().size() < needed) {
            throw new IllegalArgumentException("the " + spec.kind().cliName() + " view needs " + needed
                    + " tracked token(s); the lens tracked " + lens.tracked().size());
        }
        this.tracked = tracked;
        double[] range = switch (spec.kind()) {
            case LOGIT -> logitRange();
            case PROB -> new double[] {0, 1};
            case RANK -> new double[] {1, spec.rankMax()};
            case KL -> new double[] {0, spec.klMax()};
            case TRACK -> new double[] {0, 1};
            case CONTRAST -> contrastRange();
        };
        this.low = range[0];
        this.high = range[1];
    }

    /** The view of positions {@code [start, end)}. */
    public static LensView of(LensResult lens, Spec spec, int start, int end) {
        return new LensView(lens, spec, start, end, 0);
    }

    /** The {@code TRACK} view of tracked token {@code i} ({@link LensResult#tracked()}) over positions {@code [start, end)}. */
    public static LensView tracked(LensResult lens, Spec spec, int i, int start, int end) {
        if (spec.kind() != Kind.TRACK || i < 0) {
            throw new IllegalArgumentException("a tracked token's view is a TRACK view of an index >= 0, not " + spec.kind() + " of " + i);
        }
        return new LensView(lens, spec, start, end, i);
    }

    /** The tracked token this view shows (TRACK), as an index into {@link LensResult#tracked()}. */
    public int trackedIndex() {
        return tracked;
    }

    /** The view of every position. */
    public static LensView of(LensResult lens, Spec spec) {
        return new LensView(lens, spec, 0, lens.nTokens(), 0);
    }

    public LensResult lens() {
        return lens;
    }

    public Spec spec() {
        return spec;
    }

    public Kind kind() {
        return spec.kind();
    }

    public Reference reference() {
        return spec.reference();
    }

    /** The first position shown. */
    public int start() {
        return start;
    }

    /** One past the last position shown. */
    public int end() {
        return end;
    }

    /** The number of positions shown. */
    public int positions() {
        return end - start;
    }

    /** The last row: rows are 0..nLayers ({@link LensResult#nLayers()}; n_layer for the layer lens). */
    public int nLayers() {
        return lens.nLayers();
    }

    /** A row's label: {@code in}, {@code h1}, … ({@link dev.logitlens.lens.Snapshots#label}). */
    public String rowLabel(int row) {
        return lens.snapshots().label(row);
    }

    /**
     * What a cell shows: its value ({@link #format}) when the spec asks for {@link Spec#values()}, else its top-1
     * token as {@code tokenLabel} writes it.
     */
    public String cellText(int layer, int pos, java.util.function.IntFunction<String> tokenLabel) {
        return spec.values() ? format(value(layer, pos)) : tokenLabel.apply(labelTokenId(layer, pos));
    }

    /** The value a cell is coloured by (see the class comment); KL in nats. */
    public double value(int layer, int pos) {
        return switch (spec.kind()) {
            case LOGIT -> lens.topLogit(layer, pos, 0);
            case PROB -> lens.topProb(layer, pos, 0);
            case RANK -> spec.reference() == Reference.FINAL ? lens.rankOfFinalTop1(layer, pos) : lens.rankOfInputToken(layer, pos);
            case KL -> spec.reference() == Reference.FINAL ? lens.klToFinal(layer, pos) : lens.klToInput(layer, pos);
            case TRACK -> lens.tracked().probability(layer, pos, tracked);
            case CONTRAST -> lens.tracked().difference(layer, pos, 0, 1);
        };
    }

    /** The cell's position on the colour scale, in [0, 1]. */
    public double position(int layer, int pos) {
        return positionOf(value(layer, pos));
    }

    /** Where a value falls on this view's colour scale, in [0, 1] (clamped; NaN → 0). */
    public double positionOf(double value) {
        if (Double.isNaN(value)) {
            return 0;
        }
        double t = spec.kind() == Kind.RANK
                ? Math.log(Math.clamp(value, 1.0, spec.rankMax())) / Math.log(spec.rankMax())
                : (value - low) / (high - low);
        return Math.clamp(t, 0.0, 1.0);
    }

    /** The cell's colour, {@code 0xRRGGBB}. */
    public int rgb(int layer, int pos) {
        return colorScale().rgb(position(layer, pos));
    }

    /** The token the cell is labelled with: the layer's top-1. */
    public int labelTokenId(int layer, int pos) {
        return lens.topTokenId(layer, pos, 0);
    }

    /** The true next token at {@code pos} ({@link LensResult#nextTokenId}: after a window's last position, the token that follows it); −1 where there is none. */
    public int nextTokenId(int pos) {
        return lens.nextTokenId(pos);
    }

    /** Whether the layer's top-1 at {@code pos} is already the true next token. */
    public boolean predictsNext(int layer, int pos) {
        return nextTokenId(pos) >= 0 && labelTokenId(layer, pos) == nextTokenId(pos);
    }

    /** Whether the layer's top-1 equals the final layer's top-1 at {@code pos}. */
    public boolean matchesFinal(int layer, int pos) {
        return labelTokenId(layer, pos) == lens.topTokenId(lens.nLayers(), pos, 0);
    }

    /** Whether this view outlines cells at all: every view but KL (as in the post) and the contrast (its own scale). */
    public boolean hasOutlines() {
        return spec.kind() != Kind.KL && spec.kind() != Kind.CONTRAST;
    }

    /** Whether the cell is outlined: it matches the final top-1, in a view that outlines ({@link #hasOutlines}). */
    public boolean outlined(int layer, int pos) {
        return hasOutlines() && matchesFinal(layer, pos);
    }

    /** The colour of the outline: black on the logit map, olive on the blue ones (the notebook's choice). */
    public int outlineRgb() {
        return spec.kind() == Kind.LOGIT || spec.kind() == Kind.KL ? 0x000000 : 0xAAAA30;
    }

    public ColorScale colorScale() {
        return switch (spec.kind()) {
            case LOGIT -> ColorScale.CET_CBL2;
            case PROB -> ColorScale.BLUES_R;
            case RANK -> ColorScale.BLUES;
            case KL -> ColorScale.CET_CBL2_R;
            case TRACK -> ColorScale.BLUES_R;
            case CONTRAST -> ColorScale.RD_BU;
        };
    }

    /** The value at scale position 0. */
    public double low() {
        return low;
    }

    /** The value at scale position 1 (the cap for ranks and KL). */
    public double high() {
        return high;
    }

    /** Whether the scale is logarithmic (ranks). */
    public boolean logarithmic() {
        return spec.kind() == Kind.RANK;
    }

    /**
     * A value as text: probabilities with 3 decimals ({@link #formatProbability}; a tracked token's too), logits, KL and
     * contrasts with 2, ranks as integers.
     */
    public String format(double value) {
        return switch (spec.kind()) {
            case PROB, TRACK -> formatProbability(value, 3);
            case LOGIT, KL, CONTRAST -> String.format(Locale.ROOT, "%.2f", value);
            case RANK -> Long.toString(Math.round(value));
        };
    }

    /** What the colour shows, for titles. */
    public String title() {
        return switch (spec.kind()) {
            case LOGIT -> "top-1 token and its logit";
            case PROB -> "top-1 token and its probability";
            case RANK -> spec.reference() == Reference.FINAL
                    ? "top-1 token; colour: rank of the final layer's top-1 token"
                    : "top-1 token; colour: rank of the input token";
            case KL -> spec.reference() == Reference.FINAL
                    ? "top-1 token; colour: KL(final \u2016 layer), nats"
                    : "top-1 token; colour: KL(layer 0 \u2016 layer), nats";
            case TRACK -> "top-1 token; colour: p(" + trackedText(tracked) + ")";
            case CONTRAST -> "top-1 token; colour: logit " + trackedText(0) + " \u2212 logit " + trackedText(1)
                    + " (= log-prob difference), nats";
        };
    }

    /** The colour scale in words: its range and map. */
    public String scaleDescription() {
        String range = switch (spec.kind()) {
            case LOGIT -> "logit " + format(low) + " to " + format(high) + ": 5th to 95th percentile shown";
            case PROB -> "probability 0 to 1";
            case RANK -> "rank 1 to \u2265" + spec.rankMax() + ", log scale";
            case KL -> "KL 0 to \u2265" + compact(spec.klMax()) + " nats";
            case TRACK -> "probability 0 to 1";
            case CONTRAST -> "difference " + format(low) + " to " + format(high) + " nats, 0 at the centre";
        };
        return range + ", " + colorScale().name();
    }

    /** Marks for the colour bar, from position 0 to 1. */
    public List<Tick> ticks() {
        List<Tick> ticks = new ArrayList<>();
        switch (spec.kind()) {
            case PROB, TRACK -> {
                for (int i = 0; i <= 4; i++) {
                    ticks.add(new Tick(i / 4.0, String.format(Locale.ROOT, "%.2f", i / 4.0)));
                }
            }
            case LOGIT, CONTRAST -> {
                for (int i = 0; i <= 4; i++) {
                    double v = low + (high - low) * i / 4;
                    ticks.add(new Tick(i / 4.0, String.format(Locale.ROOT, "%.1f", v)));
                }
            }
            case RANK -> {
                for (long r = 1; r < spec.rankMax(); r *= 10) {
                    ticks.add(new Tick(positionOf(r), Long.toString(r)));
                }
                ticks.add(new Tick(1, "\u2265" + spec.rankMax()));
            }
            case KL -> {
                for (int i = 0; i < 3; i++) {
                    double v = spec.klMax() * i / 3;
                    ticks.add(new Tick(i / 3.0, compact(v)));
                }
                ticks.add(new Tick(1, "\u2265" + compact(spec.klMax())));
            }
        }
        return ticks;
    }

    /** Tracked token i's text, quoted as in the pictures. */
    private String trackedText(int i) {
        return TokenLabels.quoted(lens.tokenText(lens.tracked().id(i)));
    }

    /** [−m, m] with m the largest |target − anti| shown (1 when every difference is 0): 0 sits at the centre. */
    private double[] contrastRange() {
        double m = 0;
        for (int layer = 0; layer <= lens.nLayers(); layer++) {
            for (int pos = start; pos < end; pos++) {
                m = Math.max(m, Math.abs(lens.tracked().difference(layer, pos, 0, 1)));
            }
        }
        if (!(m > 0) || Double.isInfinite(m)) {
            m = 1;
        }
        return new double[] {-m, m};
    }

    /**
     * A probability with {@code decimals} decimals; one too small to show a non-zero digit that way (below
     * 10^−decimals, but above 0) in scientific notation with two significant digits instead ({@code 3.2e-06}), so
     * that a small probability is never printed as {@code 0.0000}.
     */
    public static String formatProbability(double p, int decimals) {
        if (p > 0 && p < Math.pow(10, -decimals)) {
            return String.format(Locale.ROOT, "%.1e", p);
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", p);
    }

    /** A tick value: whole numbers as such, others with three significant digits. */
    private static String compact(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
    }

    /** numpy-style percentiles (linear interpolation) of the top-1 logits shown. */
    private double[] logitRange() {
        double[] values = new double[(lens.nLayers() + 1) * (end - start)];
        int i = 0;
        for (int layer = 0; layer <= lens.nLayers(); layer++) {
            for (int pos = start; pos < end; pos++) {
                values[i++] = lens.topLogit(layer, pos, 0);
            }
        }
        Arrays.sort(values);
        double lo = percentile(values, LOGIT_LOW_PERCENTILE);
        double hi = percentile(values, LOGIT_HIGH_PERCENTILE);
        if (!(hi > lo)) {
            return new double[] {lo - 0.5, lo + 0.5};
        }
        return new double[] {lo, hi};
    }

    /** The p-th percentile of sorted values, interpolating linearly between neighbours (numpy's default). */
    static double percentile(double[] sorted, double p) {
        double index = (sorted.length - 1) * p / 100;
        int below = (int) Math.floor(index);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (index - below);
    }
}
