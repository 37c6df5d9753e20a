package dev.logitlens.tokenizer;

import java.util.function.IntFunction;

/**
 * Token ids as text for tables and pictures, cached per id: GPT-2's byte-level BPE pieces for models with
 * GPT-2's vocabulary ({@link Gpt2Tokenizer#tokenText}), the id itself for any other vocabulary (such as the
 * 3-token sorting fixture).
 */
public final class TokenTexts implements IntFunction<String> {

    private final Gpt2Tokenizer tokenizer;
    private final String[] cache; // [V]

    private TokenTexts(int vocabSize) {
        this.tokenizer = vocabSize == Gpt2Tokenizer.VOCAB_SIZE ? new Gpt2Tokenizer() : null;
        this.cache = new String[vocabSize];
    }

    /** Token texts for a model whose vocabulary has {@code vocabSize} tokens. */
    public static TokenTexts forVocabulary(int vocabSize) {
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabulary size must be positive, not " + vocabSize);
        }
        return new TokenTexts(vocabSize);
    }

    /** Whether the texts are GPT-2's BPE pieces (otherwise ids). */
    public boolean isGpt2() {
        return tokenizer != null;
    }

    @Override
    public String apply(int id) {
        String text = cache[id];
        if (text == null) {
            text = tokenizer != null ? tokenizer.tokenText(id) : Integer.toString(id);
            cache[id] = text;
        }
        return text;
    }

    /** The number of bytes token {@code id} stands for: its UTF-8 bytes for GPT-2, else 1. */
    public int byteLength(int id) {
        return tokenizer != null ? tokenizer.tokenBytes(id).length : 1;
    }
}
