package dev.logitlens.tokenizer;

import dev.logitlens.model.JsonException;
import dev.logitlens.testing.Fixtures;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** JTokkit's r50k_base agrees with a plain BPE encoder over OpenAI's GPT-2 files, id for id. */
class TokenizerAgreementTest {

    private static ReferenceBpe reference;
    private final Gpt2Tokenizer tokenizer = new Gpt2Tokenizer();

    @BeforeAll
    static void load() throws IOException, JsonException {
        reference = new ReferenceBpe(Fixtures.gpt2TokenizerDir());
    }

    @Test
    void sameVocabulary() {
        assertEquals(Gpt2Tokenizer.VOCAB_SIZE, reference.size());
        for (int id = 0; id < Gpt2Tokenizer.VOCAB_SIZE; id++) {
            assertArrayEquals(reference.tokenBytes(id), tokenizer.tokenBytes(id), "token " + id);
        }
    }

    @Test
    void sameIdsOnVariedText() {
        List<String> texts = corpus();
        assertEquals(true, texts.size() >= 300);
        for (String text : texts) {
            assertArrayEquals(reference.encode(text), tokenizer.encode(text), () -> "text: " + escape(text));
        }
    }

    private static final List<String> HANDWRITTEN = List.of(
            "", " ", "  ", "\n", "\n\n\n", "\t", " \t \n ", "a", "A", "hello world", "Hello World!", "  leading spaces",
            "trailing spaces   ", "trailing newline\n", "mixed \t\n whitespace \r\n here",
            "I'm can't won't they're we've he'll she'd it's", "I'M CAN'T THEY'RE WE'VE HE'LL", "rock 'n' roll ''quoted''",
            "1234567890", "3.14159 2.71828 -42 +7 1e10 0x1F 1,000,000", "phone: +1 (555) 123-4567", "2024-01-31T12:34:56Z",
            "naïve café résumé façade coöperate", "Straße Ärger Öl Übermut", "Ελληνικά κείμενο", "Русский текст, ёжик",
            "日本語のテキスト、漢字とかな", "中文文本：你好，世界！", "한국어 텍스트입니다", "עברית וערבית العربية", "हिन्दी पाठ",
            "ไทย ภาษา", "emoji 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷🇯🇵 ❤️", "🤖🤖🤖🤖", "math: ∑ ∫ √ ∞ ≠ ≤ ≥ ±", "arrows → ← ↑ ↓ ⇒",
            "“smart quotes” ‘single’ — en–dash … ellipsis", "combining: e\u0301 a\u0308 n\u0303", "zero\u200bwidth\u200djoiner",
            "nbsp\u00a0here\u3000ideographic space", "\u2028line separator\u2029paragraph", "control \u0001\u0002\u007f chars",
            "def f(x):\n    return x ** 2  # square\n", "for (int i = 0; i < n; i++) { sum += a[i]; }",
            "<html><body class=\"x\">&amp;&lt;</body></html>", "{\"key\": [1, 2, {\"nested\": null}]}", "SELECT * FROM t WHERE id = 42;",
            "https://example.com/path?q=1&r=two#frag", "user@example.com", "C:\\Windows\\System32\\", "$HOME/.config/app.yml",
            "!!!???...,,,;;;:::", "___---===+++***", "<|endoftext|>", "a<|endoftext|>b", "<|endoftext", "The quick brown fox jumps over the lazy dog.",
            "supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "      indented code block", "x\u00a0\u00a0\u00a0y", "Ⅻ ⅷ ① ⑽ ² ³ ½", "١٢٣ ٤٥٦ ۷۸۹", "\uD83D\uDE00\uD83D\uDE00 \uD83D",
            " 's 't 're 've 'm 'll 'd", "'s", "''", "'", "don't\n\nstop", "tab\tseparated\tvalues\t1\t2", "a  b   c    d");

    private static final String[] FRAGMENTS = {
        "the", "The", " of", " and", "ing", "tion", "GPT", "token", "lens", "residual", "layer", "logit", " 42", "2025", "0.5",
        "3e-5", "π", "é", "ü", "ß", "ø", "ñ", "中", "文", "日本", "한", "🙂", "🚀", "👩🏾‍💻", "🇩🇪", "—", "…", "“", "”", "'s", "'ll",
        "'RE", "\n", "\n\n", "\t", " ", "  ", "   ", "\u00a0", "\u3000", "\r\n", "(", ")", "[", "]", "{", "}", ";", ":", ",", ".",
        "!", "?", "-", "_", "=", "+", "*", "/", "\\", "|", "&", "^", "%", "$", "#", "@", "~", "`", "<", ">", "\"", "x", "Q", "z9",
        "αβγ", "жизнь", "مرحبا", "שלום", "नमस्ते", "x=1", "->", "=>", "::", "//", "/*", "*/", "0x", "ff", "\u0301", "\u200d",
    };

    /** Hand-picked strings plus seeded random concatenations of fragments: letters, digits, symbols, whitespace runs. */
    private static List<String> corpus() {
        List<String> texts = new ArrayList<>(HANDWRITTEN);
        Random random = new Random(20250131);
        for (int i = 0; i < 300; i++) {
            StringBuilder text = new StringBuilder();
            int pieces = 1 + random.nextInt(25);
            for (int p = 0; p < pieces; p++) {
                text.append(FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
                if (random.nextInt(3) == 0) {
                    text.append(' ');
                }
            }
            texts.add(text.toString());
        }
        return texts;
    }

    private static String escape(String text) {
        StringBuilder sb = new StringBuilder();
        text.codePoints().forEach(cp -> sb.append(cp < 0x20 || cp > 0x7e ? String.format("\\u{%x}", cp) : Character.toString(cp)));
        return sb.toString();
    }
}
