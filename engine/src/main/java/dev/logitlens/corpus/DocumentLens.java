package dev.logitlens.corpus;

import dev.logitlens.api.LensModel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.lens.LensResult;
import dev.logitlens.tokenizer.Gpt2Tokenizer;

import java.io.IOException;
import java.util.Arrays;

/**
 * The lens of whole documents: text → tokens (GPT-2's BPE, {@code <|endoftext|>} first on request) → windows
 * ({@link Windows}) → one lens run per window, each window's last position told its true next token. A document is
 * streamed: its tokens are read as the windows need them, so a long text file is never held whole.
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

    /** Hears how far a document's lens has got, after each window: for a progress line within a long document. */
    @FunctionalInterface
    public interface Progress {
        /**
         * @param tokens tokens of the document run through the lens so far
         * @param bytes  bytes of a text file document read so far (0 for a document held in memory)
         */
        void advanced(int tokens, long bytes) throws IOException;

        Progress NONE = (tokens, bytes) -> { };
    }

    private final LensModel model;
    private final int windowSize;
    private final int stride;
    private final boolean prependBos;
    private final LensOptions options;
    private final Snapshots.Kind rows;        // the rows of each window's lens
    private final boolean gpt2Vocabulary;

    /**
     * @param model      the open model
     * @param windowSize tokens per window, 1..n_ctx
     * @param stride     1..windowSize
     * @param prependBos put {@code <|endoftext|>} before each document (GPT-2's vocabulary only)
     * @param options    top-k and blocking of each lens run
     */
    public DocumentLens(LensModel model, int windowSize, int stride, boolean prependBos, LensOptions options) {
        this(model, windowSize, stride, prependBos, options, Snapshots.Kind.LAYERS);
    }

    /** Like the layer lens's constructor, with the rows {@code rows} names ({@link LensModel#run(int[], int, LensOptions, Snapshots.Kind)}). */
    public DocumentLens(LensModel model, int windowSize, int stride, boolean prependBos, LensOptions options,
                        Snapshots.Kind rows) {
        this.rows = java.util.Objects.requireNonNull(rows, "rows");
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

    /** What one document's lens ran over. */
    public record Summary(int tokens, int windows) {
    }

    /**
     * Runs the lens over every window of the document, in order. The tokens are read as the windows need them: a text
     * file is tokenised a piece at a time, and at most a window and a piece of tokens are held.
     */
    public Summary run(Document document, WindowHandler handler) throws IOException {
        return run(document, handler, Progress.NONE);
    }

    /** Like {@link #run(Document, WindowHandler)}, telling {@code progress} after each window. */
    public Summary run(Document document, WindowHandler handler, Progress progress) throws IOException {
        try (TokenSource tokens = tokens(document)) {
            return run(tokens, document.source(), handler, progress);
        }
    }

    /** The document's tokens, given ids validated against the model's vocabulary, {@code <|endoftext|>} first on request. */
    private TokenSource tokens(Document document) throws IOException {
        TokenSource ids;
        if (document.tokens() != null) {
            int vocab = model.config().nVocab();
            int[] given = document.tokens();
            for (int i = 0; i < given.length; i++) {
                if (given[i] >= vocab) {
                    throw new CorpusException(document.source() + ": token id " + given[i] + " at position " + i
                            + " is outside the model's vocabulary [0, " + vocab + ")");
                }
            }
            ids = TokenSource.of(given);
        } else {
            if (!gpt2Vocabulary) {
                throw new CorpusException(document.source() + " is text, but the model's vocabulary (" + model.config().nVocab()
                        + " tokens) is not GPT-2's: give token ids in a JSONL \"tokens\" field");
            }
            ids = document.text() != null
                    ? TokenSource.of(new Gpt2Tokenizer().encode(document.text()))
                    : new TextFileTokens(document.textFile().path(), document.source());
        }
        return prependBos ? TokenSource.prepend(Gpt2Tokenizer.END_OF_TEXT, ids) : ids;
    }

    /**
     * The windows of {@link Windows}, planned as the tokens arrive: before each window, tokens are read until the
     * buffer holds the window and the token after it, or the document has ended.
     */
    private Summary run(TokenSource source, String label, WindowHandler handler, Progress progress) throws IOException {
        int[] buffer = new int[windowSize + 1 + READ_TOKENS]; // [window + 1 + a read]: document positions [base, base + held)
        long base = 0;
        int held = 0;
        boolean ended = false;
        Windows.Window window = null;
        int windows = 0;
        while (true) {
            long start = Windows.nextStart(window, stride);
            int drop = (int) Math.min(start - base, held);       // positions before the window are done with
            System.arraycopy(buffer, drop, buffer, 0, held - drop);
            held -= drop;
            base += drop;
            while (!ended && base + held < start + windowSize + 1) {
                int n = source.read(buffer, held, buffer.length - held);
                ended = n < 0;
                held += Math.max(n, 0);
            }
            long available = base + held;
            if (available > Integer.MAX_VALUE) {
                throw new CorpusException(label + ": more than " + Integer.MAX_VALUE + " tokens");
            }
            // until the end is seen, any length past the window's end plans the same window: a full one, not the last
            int tokens = ended ? (int) available : (int) (start + windowSize + 1);
            if (tokens == 0) {
                throw new CorpusException(label + ": no tokens");
            }
            window = Windows.next(window, tokens, windowSize, stride);
            if (window == null) {
                return new Summary(tokens, windows);
            }
            int from = (int) (window.start() - base);
            int[] windowTokens = Arrays.copyOfRange(buffer, from, from + window.length()); // [length]
            int end = from + window.length();
            int following = end < held ? buffer[end] : -1;
            handler.accept(window, model.run(windowTokens, following, options, rows));
            windows++;
            progress.advanced(window.start() + window.length(), source.bytesRead());
        }
    }

    /** Tokens read from the source at a time, at most. */
    private static final int READ_TOKENS = 1 << 16;
}
