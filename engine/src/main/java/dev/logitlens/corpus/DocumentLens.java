package dev.logitlens.corpus;

import dev.logitlens.api.LensModel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.tokenizer.Gpt2Tokenizer;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * The lens of whole documents: text → tokens (GPT-2's BPE, {@code <|endoftext|>} first on request) → windows
 * ({@link Windows}) → one lens run per window, each window's last position told its true next token.
 */
public final class DocumentLens {

    /** Receives each window's lens. */
    @FunctionalInterface
    public interface WindowHandler {
        /**
         * @param window the window (its reported rows: window positions [emitFrom, length))
         * @param lens   its lens, carrying its tokens and the token after it (−1 at the document's end)
         */
        void accept(Windows.Window window, LensResult lens) throws IOException;
    }

    private final LensModel model;
    private final int windowSize;
    private final int stride;
    private final boolean prependBos;
    private final LensOptions options;
    private final boolean gpt2Vocabulary;

    /**
     * @param model      the open model
     * @param windowSize tokens per window, 1..n_ctx
     * @param stride     1..windowSize
     * @param prependBos put {@code <|endoftext|>} before each document (GPT-2's vocabulary only)
     * @param options    top-k and blocking of each lens run
     */
    public DocumentLens(LensModel model, int windowSize, int stride, boolean prependBos, LensOptions options) {
        this.model = model;
        this.gpt2Vocabulary = model.config().nVocab() == Gpt2Tokenizer.VOCAB_SIZE;
        if (windowSize < 1 || windowSize > model.config().nCtx()) {
            throw new IllegalArgumentException("the window must be 1 to " + model.config().nCtx() + " tokens (the model's context), not " + windowSize);
        }
        if (stride < 1 || stride > windowSize) {
            throw new IllegalArgumentException("the stride must be 1 to the window's " + windowSize + " tokens, not " + stride);
        }
        if (prependBos && !gpt2Vocabulary) {
            throw new IllegalArgumentException("prepending <|endoftext|> needs GPT-2's vocabulary; this model has "
                    + model.config().nVocab() + " tokens");
        }
        this.windowSize = windowSize;
        this.stride = stride;
        this.prependBos = prependBos;
        this.options = options;
    }

    /** The document's tokens, validated against the model's vocabulary. */
    public int[] tokens(Document document) throws CorpusException {
        int[] ids;
        if (document.text() != null) {
            if (!gpt2Vocabulary) {
                throw new CorpusException(document.source() + " is text, but the model's vocabulary (" + model.config().nVocab()
                        + " tokens) is not GPT-2's: give token ids in a JSONL \"tokens\" field");
            }
            ids = new Gpt2Tokenizer().encode(document.text());
        } else {
            ids = document.tokens();
            int vocab = model.config().nVocab();
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] >= vocab) {
                    throw new CorpusException(document.source() + ": token id " + ids[i] + " at position " + i
                            + " is outside the model's vocabulary [0, " + vocab + ")");
                }
            }
        }
        if (!prependBos) {
            return ids;
        }
        int[] withBos = new int[ids.length + 1];
        withBos[0] = Gpt2Tokenizer.END_OF_TEXT;
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    /** Runs the lens over every window of {@code tokens} ({@code [T]}, T ≥ 1); returns the windows. */
    public List<Windows.Window> run(int[] tokens, WindowHandler handler) throws IOException {
        List<Windows.Window> windows = Windows.plan(tokens.length, windowSize, stride);
        for (Windows.Window window : windows) {
            int end = window.start() + window.length();
            int[] windowTokens = Arrays.copyOfRange(tokens, window.start(), end);
            int following = end < tokens.length ? tokens[end] : -1;
            handler.accept(window, model.run(windowTokens, following, options));
        }
        return windows;
    }
}
