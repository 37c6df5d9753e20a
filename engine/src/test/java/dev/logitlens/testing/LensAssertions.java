package dev.logitlens.testing;

import dev.logitlens.lens.LensCell;
import dev.logitlens.lens.LensResult;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Exact comparisons of lens results, cell by cell. */
public final class LensAssertions {

    private LensAssertions() {
    }

    /** Every statistic of every cell, the input and the kept distributions are equal, bit for bit. */
    public static void assertSameResult(LensResult expected, LensResult actual) {
        assertEquals(expected.nLayers(), actual.nLayers(), "layers");
        assertEquals(expected.nTokens(), actual.nTokens(), "positions");
        assertArrayEquals(expected.tokens(), actual.tokens(), "tokens");
        assertEquals(expected.following(), actual.following(), "following");
        assertEquals(expected.distributionCells(), actual.distributionCells(), "distribution cells");
        for (int pos = 0; pos < expected.nTokens(); pos++) {
            assertSameCells(expected, pos, actual, pos);
        }
        for (LensCell cell : expected.distributionCells()) {
            assertArrayEquals(expected.logits(cell.layer(), cell.position()), actual.logits(cell.layer(), cell.position()),
                    "logits of " + cell);
        }
    }

    /** Every statistic of every layer at {@code expectedPos} of one result equals that at {@code actualPos} of another. */
    public static void assertSameCells(LensResult expected, int expectedPos, LensResult actual, int actualPos) {
        assertEquals(expected.topK(), actual.topK(), "top-k");
        assertEquals(expected.vocabSize(), actual.vocabSize(), "vocabulary");
        assertEquals(expected.nextTokenId(expectedPos), actual.nextTokenId(actualPos), "next token at " + actualPos);
        assertEquals(expected.tokenId(expectedPos), actual.tokenId(actualPos), "token at " + actualPos);
        for (int layer = 0; layer <= expected.nLayers(); layer++) {
            String where = "layer " + layer + ", position " + actualPos;
            for (int j = 0; j < expected.topK(); j++) {
                assertEquals(expected.topTokenId(layer, expectedPos, j), actual.topTokenId(layer, actualPos, j), where + " top " + j);
                assertEquals(expected.topLogit(layer, expectedPos, j), actual.topLogit(layer, actualPos, j), where + " logit " + j);
                assertEquals(expected.topProb(layer, expectedPos, j), actual.topProb(layer, actualPos, j), where + " prob " + j);
            }
            assertEquals(expected.rankOfFinalTop1(layer, expectedPos), actual.rankOfFinalTop1(layer, actualPos), where);
            assertEquals(expected.rankOfNextToken(layer, expectedPos), actual.rankOfNextToken(layer, actualPos), where);
            assertEquals(expected.rankOfInputToken(layer, expectedPos), actual.rankOfInputToken(layer, actualPos), where);
            assertEquals(expected.logProbOfNextToken(layer, expectedPos), actual.logProbOfNextToken(layer, actualPos), where);
            assertEquals(expected.klToFinal(layer, expectedPos), actual.klToFinal(layer, actualPos), where);
            assertEquals(expected.klToInput(layer, expectedPos), actual.klToInput(layer, actualPos), where);
            assertEquals(expected.entropy(layer, expectedPos), actual.entropy(layer, actualPos), where);
            assertEquals(expected.logSumExp(layer, expectedPos), actual.logSumExp(layer, actualPos), where);
        }
    }
}
