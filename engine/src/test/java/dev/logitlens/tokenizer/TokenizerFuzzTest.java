package dev.logitlens.tokenizer;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.logitlens.corpus.Windows;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of tokenisation (docs/FUZZING.md): any bytes, read as UTF-8 text (malformed bytes replaced,
 * as a decoder does), tokenise into ids of GPT-2's vocabulary whose bytes are exactly the text's UTF-8; with the
 * special token allowed, each {@code <|endoftext|>} becomes one id 50256 and the ids still decode to the text; the
 * windows of a document of that many tokens report every position once.
 */
class TokenizerFuzzTest {

    private static final Gpt2Tokenizer TOKENIZER = new Gpt2Tokenizer();

    @FuzzTest(maxDuration = "10s")
    void tokenize(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);

        int[] ids = TOKENIZER.encode(text);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (int id : ids) {
            assertTrue(id >= 0 && id < Gpt2Tokenizer.END_OF_TEXT, "ordinary token id " + id);
            joined.writeBytes(TOKENIZER.tokenBytes(id));
            TOKENIZER.tokenText(id);
        }
        assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), joined.toByteArray(), "the bytes of the tokens");
        assertEquals(text, TOKENIZER.decode(ids));

        int[] special = TOKENIZER.encodeAllowingSpecial(text);
        long markers = java.util.Arrays.stream(special).filter(id -> id == Gpt2Tokenizer.END_OF_TEXT).count();
        assertEquals(occurrences(text, Gpt2Tokenizer.END_OF_TEXT_MARKER), markers, "<|endoftext|> tokens");
        assertEquals(text, TOKENIZER.decode(special));

        // the cut a long text file is tokenised at (TextFileTokens) changes no token
        int cut = Gpt2Tokenizer.lastSafeCut(text);
        if (cut > 0) {
            int[] before = TOKENIZER.encode(text.substring(0, cut));
            int[] after = TOKENIZER.encode(text.substring(cut));
            int[] joinedIds = java.util.Arrays.copyOf(before, before.length + after.length);
            System.arraycopy(after, 0, joinedIds, before.length, after.length);
            assertArrayEquals(ids, joinedIds, "the tokens of the text cut at " + cut);
        }

        if (ids.length > 0) {
            int size = 1 + (bytes[0] & 0x0f);
            int stride = 1 + (bytes[bytes.length - 1] & 0xff) % size;
            assertWindowsCoverOnce(ids.length, size, stride);
        }
    }

    private static long occurrences(String text, String marker) {
        long n = 0;
        for (int at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + marker.length())) {
            n++;
        }
        return n;
    }

    private static void assertWindowsCoverOnce(int tokens, int size, int stride) {
        List<Windows.Window> windows = Windows.plan(tokens, size, stride);
        int next = 0; // the next position to report
        for (Windows.Window w : windows) {
            assertTrue(w.length() >= 1 && w.length() <= size && w.emitFrom() >= 0 && w.emitFrom() < w.length(), w.toString());
            assertEquals(next, w.start() + w.emitFrom(), "the first position " + w + " reports");
            next = w.start() + w.length();
        }
        assertEquals(tokens, next, "positions reported");
    }
}
