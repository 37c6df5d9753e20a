package dev.logitlens.view;

import dev.logitlens.lens.LensResult;
import dev.logitlens.view.LensView.Kind;
import dev.logitlens.view.LensView.Reference;
import dev.logitlens.view.LensView.Spec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Values, scale positions and colours of every view on {@link HandMadeLens}, whose ranks and logits are known. */
class LensViewTest {

    private static LensResult lens;

    @BeforeAll
    static void build() {
        lens = HandMadeLens.build();
        // the hand-made lens is what its comment says
        assertEquals(7, lens.topTokenId(2, 0, 0));
        assertEquals(3, lens.topTokenId(0, 0, 0));
        assertEquals(1500, lens.rankOfFinalTop1(0, 0));
        assertEquals(100, lens.rankOfFinalTop1(1, 1));
        assertEquals(1000, lens.rankOfFinalTop1(0, 2));
        assertEquals(1, lens.rankOfFinalTop1(1, 0));
        assertEquals(1501, lens.rankOfInputToken(0, 0));
        assertEquals(2, lens.rankOfInputToken(2, 0));
    }

    private static LensView view(Spec spec) {
        return LensView.of(lens, spec);
    }

    @Test
    void rankIsLogScaledFromOneToTheCap() {
        LensView rank = view(Spec.of(Kind.RANK));
        assertEquals(1.0, rank.value(1, 0));
        assertEquals(0.0, rank.position(1, 0), 1e-12, "rank 1 is the start of the scale");
        assertEquals(2.0 / 3.0, rank.position(1, 1), 1e-12, "rank 100 of a 1000 cap: log 100 / log 1000");
        assertEquals(1.0, rank.position(0, 2), 1e-12, "rank 1000: the cap");
        assertEquals(1500.0, rank.value(0, 0));
        assertEquals(1.0, rank.position(0, 0), 1e-12, "rank 1500: beyond the cap, saturated");
        assertTrue(rank.logarithmic());
        assertEquals(ColorScale.BLUES, rank.colorScale());
        assertEquals(0xf7fbff, rank.rgb(1, 0), "rank 1 is Blues' lightest colour");
        assertEquals(0x08306b, rank.rgb(0, 0), "the cap is Blues' darkest colour");

        LensView capped = view(Spec.of(Kind.RANK).withRankMax(10_000));
        assertEquals(Math.log(1500) / Math.log(10_000), capped.position(0, 0), 1e-12, "a higher cap no longer saturates");
        assertEquals(List.of("1", "10", "100", "\u22651000"), rank.ticks().stream().map(LensView.Tick::label).toList());
    }

    @Test
    void rankAgainstTheInputUsesTheInputTokensRank() {
        LensView rank = view(Spec.of(Kind.RANK, Reference.INPUT));
        assertEquals(1501.0, rank.value(0, 0));
        assertEquals(1.0, rank.position(0, 0), 1e-12);
        assertEquals(2.0, rank.value(2, 0));
        assertEquals(Math.log(2) / Math.log(1000), rank.position(2, 0), 1e-12);
    }

    @Test
    void probabilityIsTheTopOneProbabilityOnZeroToOne() {
        LensView prob = view(Spec.of(Kind.PROB));
        for (int layer = 0; layer <= 2; layer++) {
            for (int pos = 0; pos < 3; pos++) {
                assertEquals(lens.topProb(layer, pos, 0), prob.value(layer, pos), 0);
                assertEquals(lens.topProb(layer, pos, 0), prob.position(layer, pos), 1e-9);
            }
        }
        // the final layer at position 0 puts e^60 against 2047 · e^0: probability 1 to float precision
        assertEquals(1.0, prob.position(2, 0), 1e-6);
        // layer 1 at position 1: e^5 against 2047 others at 0 or 1 (98 of them): well below one half
        double expected = Math.exp(5) / (Math.exp(5) + 98 * Math.E + Math.exp(0.5) + (2048 - 100));
        assertEquals(expected, prob.value(1, 1), 1e-6);
        assertEquals(ColorScale.BLUES_R, prob.colorScale());
        assertEquals(0xf7fbff, prob.rgb(2, 0), "probability 1 is Blues_r's light end");
    }

    @Test
    void logitRangeIsTheFifthToNinetyFifthPercentileOfTheValuesShown() {
        LensView logit = view(Spec.of(Kind.LOGIT));
        // top-1 logits shown: 60, 8, 4 (final), 5, 5, 4 (layer 1), 60, 3, 5 (layer 0)
        // sorted: 3 4 4 5 5 5 8 60 60; 5th percentile at index 0.4 → 3.4; 95th at index 7.6 → 60
        assertEquals(3.4, logit.low(), 1e-12);
        assertEquals(60, logit.high(), 1e-12);
        assertEquals(8.0, logit.value(2, 1));
        assertEquals((8 - 3.4) / (60 - 3.4), logit.position(2, 1), 1e-12);
        assertEquals(0.0, logit.position(0, 1), 0, "3 is below the 5th percentile: clamped to 0");
        assertEquals(1.0, logit.position(2, 0), 0);
        assertEquals(ColorScale.CET_CBL2.rgb(1), logit.rgb(2, 0));

        // the range follows the positions shown: position 2 alone has 4, 4, 5 → [4.0, 4.9]
        LensView last = LensView.of(lens, Spec.of(Kind.LOGIT), 2, 3);
        assertEquals(4.0, last.low(), 1e-12);
        assertEquals(4.9, last.high(), 1e-12);
        // all values equal: the value ± 0.5
        double[] sorted = {2, 2, 2};
        assertEquals(2, LensView.percentile(sorted, 95), 0);
    }

    @Test
    void klSaturatesAtItsConfigurableCap() {
        LensView kl = view(Spec.of(Kind.KL));
        assertEquals(LensView.DEFAULT_KL_MAX, kl.high());
        double big = lens.klToFinal(0, 0);
        assertTrue(big > 50, "KL(final ‖ layer 0) at position 0 is about 59.5 nats, was " + big);
        assertEquals(big, kl.value(0, 0), 0);
        assertEquals(1.0, kl.position(0, 0), 0, "above the cap of 30: saturated");
        assertEquals(0x000000, ColorScale.CET_CBL2_R.rgb(1) & 0xe0e0e0, "the cap is (near) black");
        assertEquals(ColorScale.CET_CBL2_R.rgb(1), kl.rgb(0, 0));
        double mid = lens.klToFinal(1, 0);
        assertTrue(mid > 0 && mid < 30, "KL at layer 1, position 0 is between 0 and the cap: " + mid);
        assertEquals(mid / 30, kl.position(1, 0), 1e-12);
        assertEquals(0.0, kl.position(1, 2), 1e-6, "layer 1 equals the final layer at position 2: KL 0");

        LensView wide = view(Spec.of(Kind.KL).withKlMax(100));
        assertEquals(big / 100, wide.position(0, 0), 1e-12);
        assertEquals(List.of("0", "33.3", "66.7", "\u2265100"), wide.ticks().stream().map(LensView.Tick::label).toList());
        assertEquals(List.of("0", "10", "20", "\u226530"), kl.ticks().stream().map(LensView.Tick::label).toList());

        LensView input = view(Spec.of(Kind.KL, Reference.INPUT));
        assertEquals(0.0, input.position(0, 1), 1e-6, "KL(layer 0 ‖ layer 0) = 0");
        assertEquals(lens.klToInput(2, 0) / 30 > 1 ? 1 : lens.klToInput(2, 0) / 30, input.position(2, 0), 1e-12);
    }

    @Test
    void labelsMarksAndOutlines() {
        LensView prob = view(Spec.of(Kind.PROB));
        assertEquals(3, prob.labelTokenId(0, 0));
        assertEquals(7, prob.nextTokenId(0));
        assertEquals(-1, prob.nextTokenId(2));
        assertTrue(prob.predictsNext(2, 0), "the final layer predicts the true next token 7");
        assertTrue(prob.predictsNext(1, 0));
        assertFalse(prob.predictsNext(0, 0));
        assertFalse(prob.predictsNext(2, 2), "no next token at the end");
        assertTrue(prob.outlined(1, 0), "layer 1's top-1 equals the final one");
        assertFalse(prob.outlined(0, 0));
        assertFalse(view(Spec.of(Kind.KL)).outlined(1, 0), "the KL view outlines nothing, as in the post");

        // a window of the text (position 0 alone): its last position's next token is the one after the window
        LensView window = LensView.of(lens.slice(0, 1), Spec.of(Kind.PROB));
        assertEquals(7, window.nextTokenId(0), "the token after the window");
        assertTrue(window.predictsNext(2, 0), "the final layer predicts it");
        assertFalse(window.predictsNext(0, 0));
    }

    @Test
    void rangesAndCapsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> LensView.of(lens, Spec.of(Kind.PROB), 2, 2));
        assertThrows(IllegalArgumentException.class, () -> LensView.of(lens, Spec.of(Kind.PROB), 0, 4));
        assertThrows(IllegalArgumentException.class, () -> LensView.of(lens, Spec.of(Kind.PROB), -1, 2));
        assertThrows(IllegalArgumentException.class, () -> Spec.of(Kind.KL).withKlMax(0));
        assertThrows(IllegalArgumentException.class, () -> Spec.of(Kind.KL).withKlMax(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Spec.of(Kind.RANK).withRankMax(1));
        LensView view = LensView.of(lens, Spec.of(Kind.PROB), 1, 3);
        assertEquals(2, view.positions());
        assertEquals(1, view.start());
    }

    @Test
    void probabilitiesTooSmallForTheirDecimalsAreWrittenInScientificNotation() {
        assertEquals("0.0001", LensView.formatProbability(1e-4, 4));
        assertEquals("9.9e-05", LensView.formatProbability(9.9e-5, 4));
        assertEquals("3.2e-06", LensView.formatProbability(3.21e-6, 4));
        assertEquals("0.0000", LensView.formatProbability(0, 4), "an exact zero stays as it is");
        assertEquals("0.5000", LensView.formatProbability(0.5, 4));
        assertEquals("4.0e-04", LensView.formatProbability(4e-4, 3));
        assertEquals("0.001", LensView.formatProbability(1e-3, 3));
        assertEquals("4.0e-04", LensView.of(HandMadeLens.build(), LensView.Spec.of(LensView.Kind.PROB)).format(4e-4));
    }
}
