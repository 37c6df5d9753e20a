package dev.logitlens.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The published GPT-2 tokenisations of {@code test-data/gpt2-reference.md}. */
class Gpt2TokenizerTest {

    private final Gpt2Tokenizer tokenizer = new Gpt2Tokenizer();

    @Test
    void referenceEncodings() {
        assertArrayEquals(new int[] {31373, 995}, tokenizer.encode("hello world"));
        assertArrayEquals(new int[] {15496, 616, 1438, 318}, tokenizer.encode("Hello my name is"));
        assertArrayEquals(new int[] {15496, 995}, tokenizer.encode("Hello world"));
        assertArrayEquals(new int[] {18435, 995}, tokenizer.encode(" Hello world"));
        assertArrayEquals(new int[] {464, 3290}, tokenizer.encode("The dog"));
        assertArrayEquals(new int[] {15496, 11, 616, 3290, 318, 257, 1310}, tokenizer.encode("Hello, my dog is a little"));
        assertArrayEquals(new int[] {8888, 11, 314}, tokenizer.encode("Today, I"));
        assertArrayEquals(new int[] {36235, 39141, 18765, 1143, 326, 9061, 561, 530, 1110, 1716},
                tokenizer.encode("Alan Turing theorized that computers would one day become"));
    }

    @Test
    void specialTokenOnlyWhenAllowed() {
        assertArrayEquals(new int[] {31373, 220, 50256}, tokenizer.encodeAllowingSpecial("hello <|endoftext|>"));
        assertArrayEquals(new int[] {50256, 15496, 995, 0}, tokenizer.encodeAllowingSpecial("<|endoftext|>Hello world!"));
        assertArrayEquals(new int[] {50256, 50256}, tokenizer.encodeAllowingSpecial("<|endoftext|><|endoftext|>"));
        assertArrayEquals(new int[0], tokenizer.encodeAllowingSpecial(""));
        int[] plain = tokenizer.encode("hello <|endoftext|>");
        assertEquals(31373, plain[0]);
        for (int id : plain) {
            assertEquals(true, id != Gpt2Tokenizer.END_OF_TEXT, "encode must not produce the special token");
        }
        assertEquals("hello <|endoftext|>", tokenizer.decode(plain));
    }

    @Test
    void decodesAGreedyContinuation() {
        int[] ids = {464, 3290, 373, 1043, 287, 257, 2214, 1474, 262, 16246, 286, 2688, 290, 2688, 27262, 13, 198, 198, 464, 3290};
        assertEquals("The dog was found in a field near the intersection of West and West Streets.\n\nThe dog", tokenizer.decode(ids));
        assertEquals("<|endoftext|>Hello", tokenizer.decode(50256, 15496));
    }

    @Test
    void tokenTextShowsPartialCharactersAsBytes() {
        assertEquals(" world", tokenizer.tokenText(995));
        assertEquals("<|endoftext|>", tokenizer.tokenText(50256));
        assertEquals("!", tokenizer.tokenText(0));
        int[] robot = tokenizer.encode("🤖"); // U+1F916: four UTF-8 bytes in three tokens
        assertArrayEquals(new int[] {8582, 97, 244}, robot);
        assertEquals("<0xF0><0x9F>", tokenizer.tokenText(robot[0]));
        assertEquals("<0xA4>", tokenizer.tokenText(robot[1]));
        assertEquals("🤖", tokenizer.decode(robot));
        assertArrayEquals(new byte[] {(byte) 0xF0, (byte) 0x9F}, tokenizer.tokenBytes(robot[0]));
    }

    @Test
    void displayTextKeepsValidRunsAroundInvalidBytes() {
        assertEquals("a<0xFF>b<0xE2><0x82>", Gpt2Tokenizer.displayText(new byte[] {'a', (byte) 0xFF, 'b', (byte) 0xE2, (byte) 0x82}));
        assertEquals("€", Gpt2Tokenizer.displayText(new byte[] {(byte) 0xE2, (byte) 0x82, (byte) 0xAC}));
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        assertEquals(50257, tokenizer.vocabSize());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(15496, 50257));
        assertEquals("token id 50257 is outside GPT-2's vocabulary [0, 50257)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenText(-1));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenBytes(Integer.MAX_VALUE));
    }
}
