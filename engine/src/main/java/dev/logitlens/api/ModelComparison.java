package dev.logitlens.api;

import dev.logitlens.lens.LensComparison;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.runtime.ResidualStream;

import java.lang.foreign.Arena;
import java.util.Objects;

/**
 * Two lens runs compared cell by cell ({@link LensComparison}: KL, JS, top-1 change): two inputs on one model
 * ({@code a == b}) or one input on two models. The models must share the vocabulary (the same V; the comparison cannot
 * tell two vocabularies of one size apart, so the caller vouches for it — GPT-2's tokeniser for both, say) and the
 * depth (layer l of A is set beside layer l of B). Inputs of different lengths are aligned at their ends.
 *
 * <pre>{@code
 * try (LensModel model = LensModel.open("gpt2")) {
 *     LensComparison c = ModelComparison.compare(model, model.tokenize("The capital of France is"),
 *                                                model, model.tokenize("The capital of Italy is"));
 *     double js = c.js(12, c.positions() - 1);   // nats
 * }
 * }</pre>
 */
public final class ModelComparison {

    private ModelComparison() {
    }

    /**
     * @throws IllegalArgumentException when the vocabularies' sizes or the depths differ
     */
    public static LensComparison compare(LensModel a, int[] tokensA, LensModel b, int[] tokensB) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        Gpt2Config configA = a.config();
        Gpt2Config configB = b.config();
        requireComparable(configA, configB);
        try (Arena arena = Arena.ofShared()) {
            ResidualStream streamA = a.residuals(tokensA, arena); // [n_layer+1, T_A, d_A]
            ResidualStream streamB = b.residuals(tokensB, arena); // [n_layer+1, T_B, d_B]
            return LensComparison.compare((first, count, out) -> a.project(streamA, first, count, out), tokensA.length,
                    (first, count, out) -> b.project(streamB, first, count, out), tokensB.length, configA.nLayer(),
                    configA.nVocab(), LensOptions.DEFAULT_POSITIONS_PER_BLOCK);
        }
    }

    /** Refuses two models whose vocabularies or depths differ, naming both. */
    public static void requireComparable(Gpt2Config a, Gpt2Config b) {
        if (a.nVocab() != b.nVocab()) {
            throw new IllegalArgumentException("the models' vocabularies differ (" + a.nVocab() + " and " + b.nVocab()
                    + " tokens): a comparison needs the same vocabulary");
        }
        if (a.nLayer() != b.nLayer()) {
            throw new IllegalArgumentException("the models have " + a.nLayer() + " and " + b.nLayer()
                    + " layers: a comparison sets layer l beside layer l and needs the same depth");
        }
    }
}
