package dev.logitlens.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * GPT-2's byte-level BPE tokenizer (OpenAI's {@code r50k_base} vocabulary: 50,256 byte-pair tokens
 * and {@code <|endoftext|>} = 50256), backed by JTokkit. Thread-safe; instances share one vocabulary.
 */
public final class Gpt2Tokenizer {

    public static final int VOCAB_SIZE = 50257;
    public static final int END_OF_TEXT = 50256;
    public static final String END_OF_TEXT_MARKER = "<|endoftext|>";

    /** Loaded on first use (JTokkit parses the vocabulary once). */
    private static final class Vocabulary {
        static final Encoding R50K = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
    }

    private final Encoding encoding = Vocabulary.R50K;

    /**
     * Loads the vocabulary now (about 100 ms in a fresh JVM), so that a later first use does not wait: the command
     * line calls it on a background thread while it parses its arguments and opens the model.
     */
    public static void preload() {
        Objects.requireNonNull(Vocabulary.R50K);
    }

    /**
     * Fails with {@link IllegalArgumentException} unless a model's vocabulary of {@code nVocab} tokens is
     * GPT-2's, the only one this tokeniser can encode text for.
     */
    public static void requireGpt2Vocabulary(int nVocab) {
        if (nVocab != VOCAB_SIZE) {
            throw new IllegalArgumentException("this model's vocabulary has " + nVocab + " tokens, not GPT-2's "
                    + VOCAB_SIZE + ": give token ids instead of text");
        }
    }

    /** Token ids of {@code text}; {@code <|endoftext|>} in the text is ordinary text, not the special token. */
    public int[] encode(String text) {
        return encoding.encodeOrdinary(text).toArray();
    }

    /** Token ids of {@code text}, where each {@code <|endoftext|>} becomes the special token {@value #END_OF_TEXT}. */
    public int[] encodeAllowingSpecial(String text) {
        IntArrayList ids = new IntArrayList();
        int start = 0;
        while (true) {
            int marker = text.indexOf(END_OF_TEXT_MARKER, start);
            int end = marker < 0 ? text.length() : marker;
            if (end > start) {
                IntArrayList piece = encoding.encodeOrdinary(text.substring(start, end));
                for (int i = 0; i < piece.size(); i++) {
                    ids.add(piece.get(i));
                }
            }
            if (marker < 0) {
                return ids.toArray();
            }
            ids.add(END_OF_TEXT);
            start = marker + END_OF_TEXT_MARKER.length();
        }
    }

    /**
     * Where a text may be cut so that encoding its two parts on their own gives the tokens of the whole: the index
     * of the last single space or newline of {@code text} with a character that is not white space on each side, or
     * −1 when there is none. The cut goes before that space or newline. Why it is safe: GPT-2's pre-tokeniser (the
     * regex {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}) never runs a
     * piece on from a character that is not white space into the white space after it, the piece that starts at the
     * space depends only on the text from there on, and byte-pair merges stay inside a piece. Used to encode a long
     * text a piece at a time ({@code TextFileTokens}).
     */
    public static int lastSafeCut(CharSequence text) {
        for (int i = text.length() - 2; i >= 1; i--) {
            char c = text.charAt(i);
            if ((c == ' ' || c == '\n') && !whiteSpace(text.charAt(i - 1)) && !whiteSpace(text.charAt(i + 1))) {
                return i;
            }
        }
        return -1;
    }

    /** White space by every definition the pre-tokeniser might use (Java's {@code \s}, Unicode's spaces). */
    private static boolean whiteSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    /** The text of a token sequence; bytes that do not form valid UTF-8 become U+FFFD. */
    public String decode(int... ids) {
        return new String(bytes(ids), StandardCharsets.UTF_8);
    }

    /** The bytes one token stands for ({@code <|endoftext|>}'s are its marker text). */
    public byte[] tokenBytes(int id) {
        return bytes(id);
    }

    /**
     * One token's text, for display. A token can be part of a multi-byte UTF-8 character: bytes that
     * are not valid UTF-8 on their own are shown as {@code <0xE2>}, the rest as text.
     */
    public String tokenText(int id) {
        return displayText(bytes(id));
    }

    public int vocabSize() {
        return VOCAB_SIZE;
    }

    /** Fails with {@link IllegalArgumentException} unless {@code id} is in {@code [0, 50257)}. */
    public static void checkId(int id) {
        if (id < 0 || id >= VOCAB_SIZE) {
            throw new IllegalArgumentException("token id " + id + " is outside GPT-2's vocabulary [0, " + VOCAB_SIZE + ")");
        }
    }

    private byte[] bytes(int... ids) {
        IntArrayList list = new IntArrayList(ids.length);
        for (int id : ids) {
            checkId(id);
            list.add(id);
        }
        return encoding.decodeBytes(list);
    }

    static String displayText(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never decodes to more chars than bytes
        StringBuilder text = new StringBuilder();
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            text.append(out.flip());
            out.clear();
            if (!result.isError()) {
                return text.toString();
            }
            for (int i = 0; i < result.length(); i++) {
                text.append(String.format("<0x%02X>", in.get()));
            }
        }
    }
}
