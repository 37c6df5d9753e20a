package dev.logitlens.corpus;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.logitlens.testing.FuzzFiles;
import dev.logitlens.tokenizer.Gpt2Tokenizer;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of corpus lines (docs/FUZZING.md): the same bytes as a {@code .jsonl} corpus and as a text
 * corpus either read as documents or are refused with a {@link CorpusException}. Every document read is numbered in
 * order, holds a non-blank text or a non-empty list of token ids, and its text tokenises into ids that decode back to
 * exactly that text (what the lens of a document relies on).
 */
class CorpusFuzzTest {

    private static final Gpt2Tokenizer TOKENIZER = new Gpt2Tokenizer();

    /**
     * Tokens of JSON and of the corpus format, for the mutator to insert: libFuzzer cannot guess a 6-byte escape by
     * flipping bytes. The surrogate escapes are JSON's known edge case (RFC 8259, section 8.2: unpaired surrogates).
     */
    @DictionaryEntries({"{\"text\": \"", "{\"tokens\": [", "\"text\"", "\"tokens\"", "\\u", "\\ud83d\\ude00", "\\ud800",
        "\\udfff", "\\n", "\\\"", "1e308", "-0", "2147483648", "50256", "<|endoftext|>"})
    @FuzzTest(maxDuration = "10s")
    void corpus(byte[] bytes) throws IOException {
        read(FuzzFiles.write("corpus.jsonl", bytes));
        read(FuzzFiles.write("corpus.txt", bytes));
    }

    private static void read(Path file) throws IOException {
        int[] next = {0};
        try {
            Corpus.open(file, "text").forEach(document -> {
                assertEquals(next[0]++, document.index(), "document numbers");
                assertTrue(document.source().startsWith(file.toString() + ":"), document.source());
                if (document.text() != null) {
                    assertFalse(document.text().isBlank(), "a blank document");
                    int[] ids = TOKENIZER.encode(document.text());
                    assertEquals(document.text(), TOKENIZER.decode(ids), "the text after tokenisation");
                } else {
                    assertTrue(document.tokens().length > 0, "a document of no tokens");
                    for (int id : document.tokens()) {
                        assertTrue(id >= 0, "token id " + id);
                    }
                }
            });
        } catch (CorpusException refused) {
            // refused, as documented
        }
    }
}
