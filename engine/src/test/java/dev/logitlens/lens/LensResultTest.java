package dev.logitlens.lens;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.stats.LayerStatistics;
import dev.logitlens.stats.LayerSummary;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.LensAssertions;
import dev.logitlens.testing.TinyGpt2;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a lens result carries besides its statistics: its input, the next-token rule, slices, bulk rows, its text. */
class LensResultTest {

    private static final int[] TOKENS = {5, 17, 3, 60, 0, 42, 9};
    private static final int FOLLOWING = 33;

    @TempDir
    static Path dir;

    private static LensModel model;
    private static Gpt2Config config;

    @BeforeAll
    static void open() throws IOException {
        config = TinyGpt2.config(61, 16, 32, 4, 2);
        model = LensModel.open(new GgufWriter(TinyGpt2.generate(config, 2, 6, true)).write(dir.resolve("m.gguf")),
                LensSettings.defaults().withThreads(2));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void theNextTokenIsTheNextInputOrTheFollowingOne() {
        LensResult text = model.run(TOKENS, LensOptions.defaults().withTopK(2));
        LensResult window = model.run(TOKENS, FOLLOWING, LensOptions.defaults().withTopK(2));
        int last = TOKENS.length - 1;
        for (int pos = 0; pos < last; pos++) {
            assertEquals(TOKENS[pos + 1], text.nextTokenId(pos));
            assertEquals(TOKENS[pos + 1], window.nextTokenId(pos));
            assertEquals(TOKENS[pos], window.tokenId(pos));
        }
        assertEquals(-1, text.following());
        assertEquals(-1, text.nextTokenId(last), "the text ends: no next token");
        assertEquals(FOLLOWING, window.following());
        assertEquals(FOLLOWING, window.nextTokenId(last), "a window: the token after it");
        for (int layer = 0; layer <= config.nLayer(); layer++) {
            assertEquals(-1, text.rankOfNextToken(layer, last));
            assertTrue(Double.isNaN(text.logProbOfNextToken(layer, last)));
            assertTrue(window.rankOfNextToken(layer, last) >= 1, "the statistics follow the same rule");
            assertFalse(Double.isNaN(window.logProbOfNextToken(layer, last)));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> text.nextTokenId(TOKENS.length));
        assertThrows(IndexOutOfBoundsException.class, () -> text.nextTokenId(-1));

        int[] copy = window.tokens();
        assertArrayEquals(TOKENS, copy);
        copy[0] = 1;
        assertEquals(TOKENS[0], window.tokenId(0), "tokens() is a copy");
    }

    @Test
    void aSliceHoldsThoseCellsOfTheWholeResult() {
        List<LensCell> kept = List.of(new LensCell(1, 3), new LensCell(0, 0), new LensCell(2, 6));
        LensResult whole = model.run(TOKENS, FOLLOWING, LensOptions.defaults().withTopK(4).withDistributionCells(kept));

        LensResult middle = whole.slice(2, 5);
        assertEquals(3, middle.nTokens());
        assertArrayEquals(new int[] {3, 60, 0}, middle.tokens());
        assertEquals(TOKENS[5], middle.following(), "the token after the slice");
        assertEquals(TOKENS[5], middle.nextTokenId(2));
        for (int pos = 0; pos < middle.nTokens(); pos++) {
            LensAssertions.assertSameCells(whole, pos + 2, middle, pos);
        }
        assertEquals(List.of(new LensCell(1, 1)), middle.distributionCells(), "cells re-indexed, those outside dropped");
        assertArrayEquals(whole.logits(1, 3), middle.logits(1, 1));
        assertFalse(middle.hasDistribution(0, 0));

        LensResult end = whole.slice(4, TOKENS.length);
        assertEquals(FOLLOWING, end.following(), "a slice to the end keeps the original following token");
        assertEquals(FOLLOWING, end.nextTokenId(2));
        assertArrayEquals(whole.logits(2, 6), end.logits(2, 2));
        for (int pos = 0; pos < end.nTokens(); pos++) {
            LensAssertions.assertSameCells(whole, pos + 4, end, pos);
        }
        LensAssertions.assertSameResult(whole, whole.slice(0, TOKENS.length));

        assertThrows(IndexOutOfBoundsException.class, () -> whole.slice(-1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> whole.slice(3, TOKENS.length + 1));
        assertThrows(IndexOutOfBoundsException.class, () -> whole.slice(4, 3));
        assertThrows(IllegalArgumentException.class, () -> whole.slice(2, 2));
    }

    @Test
    void bulkRowsEqualTheCells() {
        LensResult lens = model.run(TOKENS, LensOptions.defaults().withTopK(3));
        for (int layer = 0; layer <= config.nLayer(); layer++) {
            double[] klFinal = lens.klToFinal(layer);
            double[] klInput = lens.klToInput(layer);
            double[] entropy = lens.entropy(layer);
            double[] logProbNext = lens.logProbOfNextToken(layer);
            int[] rankNext = lens.rankOfNextToken(layer);
            int[] rankFinal = lens.rankOfFinalTop1(layer);
            int[] rankInput = lens.rankOfInputToken(layer);
            int[] top = lens.topTokenIds(layer);
            for (int[] row : new int[][] {rankNext, rankFinal, rankInput, top}) {
                assertEquals(TOKENS.length, row.length);
            }
            for (int pos = 0; pos < TOKENS.length; pos++) {
                assertEquals(lens.klToFinal(layer, pos), klFinal[pos]);
                assertEquals(lens.klToInput(layer, pos), klInput[pos]);
                assertEquals(lens.entropy(layer, pos), entropy[pos]);
                assertEquals(lens.logProbOfNextToken(layer, pos), logProbNext[pos]);
                assertEquals(lens.rankOfNextToken(layer, pos), rankNext[pos]);
                assertEquals(lens.rankOfFinalTop1(layer, pos), rankFinal[pos]);
                assertEquals(lens.rankOfInputToken(layer, pos), rankInput[pos]);
                assertEquals(lens.topTokenId(layer, pos, 0), top[pos]);
            }
        }
        klFinalRowIsACopy(lens);
        assertThrows(IndexOutOfBoundsException.class, () -> lens.entropy(config.nLayer() + 1));
    }

    private static void klFinalRowIsACopy(LensResult lens) {
        double[] row = lens.klToFinal(0);
        row[0] = 1e9;
        assertNotEquals(1e9, lens.klToFinal(0, 0));
    }

    @Test
    void layerStatisticsOfAWindowCountItsFollowingToken() {
        LensResult text = model.run(TOKENS, LensOptions.defaults().withTopK(1));
        LensResult window = model.run(TOKENS, FOLLOWING, LensOptions.defaults().withTopK(1));
        LayerStatistics ofText = new LayerStatistics(config.nLayer());
        LayerStatistics ofWindow = new LayerStatistics(config.nLayer());
        ofText.add(text, 0, TOKENS.length, id -> 1);
        ofWindow.add(window, 0, TOKENS.length, id -> 1);
        LayerSummary textSummary = ofText.summaries().getFirst();
        LayerSummary windowSummary = ofWindow.summaries().getFirst();
        assertEquals(TOKENS.length - 1, textSummary.predicted(), "the last position of a text predicts nothing");
        assertEquals(TOKENS.length, windowSummary.predicted(), "that of a window predicts the following token");
        assertEquals(TOKENS.length, ofWindow.predictedBytes());
    }

    @Test
    void toStringShowsTheShapeAndTheTokensTexts() throws IOException {
        Gpt2Config gpt2 = TinyGpt2.config(Gpt2Tokenizer.VOCAB_SIZE, 16, 16, 2, 1);
        Path file = new GgufWriter(TinyGpt2.generate(gpt2, 6, 4, true)).write(dir.resolve("vocab.gguf"));
        try (LensModel vocab = LensModel.open(file, LensSettings.defaults().withThreads(1))) {
            LensResult lens = vocab.run("Hello world");
            String text = lens.toString();
            assertTrue(text.contains("2 layers"), text);
            assertTrue(text.contains("2 positions"), text);
            assertTrue(text.contains("top-" + LensOptions.DEFAULT_TOP_K), text);
            assertTrue(text.contains(Integer.toString(Gpt2Tokenizer.VOCAB_SIZE)), text);
            assertTrue(text.contains("\"Hello\" \" world\""), text);
            assertTrue(text.contains("\"" + lens.tokenText(lens.topTokenId(1, 0, 0)) .replace("\n", "\\n") + "\""), text);
            assertEquals(" world", lens.tokenText(995));

            int[] many = vocab.tokenize("one two three four five six seven eight nine ten eleven twelve thirteen fourteen");
            String abbreviated = vocab.run(many).toString();
            assertTrue(abbreviated.contains(" twelve\""), abbreviated);
            assertFalse(abbreviated.contains(" fourteen\""), abbreviated);
            assertTrue(abbreviated.contains("(" + (many.length - 12) + " more)"), abbreviated);
            assertTrue(abbreviated.lines().count() <= 3, abbreviated);
        }
    }
}
