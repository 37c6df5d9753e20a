package dev.logitlens.corpus;

import dev.logitlens.tokenizer.Gpt2Tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The GPT-2 tokens of a UTF-8 text file, encoded a piece at a time: text is read until it holds a place where it
 * may be cut without changing the tokens ({@link Gpt2Tokenizer#lastSafeCut}), the text before that place is encoded
 * and dropped. Holds a piece of text and its tokens, never the whole file.
 */
final class TextFileTokens implements TokenSource {

    /** Text with no place to cut is refused past this many characters (a file of one 64 Mi-character "word"). */
    static final int MAX_UNCUT_CHARS = 64 << 20;

    private final Utf8File file;
    private final String label;
    private final Gpt2Tokenizer tokenizer = new Gpt2Tokenizer();
    private final StringBuilder text = new StringBuilder(); // read, not yet encoded
    private TokenSource encoded = TokenSource.of(new int[0]); // the last piece's tokens, not yet handed out
    private boolean ended;

    TextFileTokens(Path path, String label) throws IOException {
        this(path, label, Utf8File.PIECE_BYTES);
    }

    /** @param pieceBytes bytes read at a time (small in tests, to cut the text in many places) */
    TextFileTokens(Path path, String label, int pieceBytes) throws IOException {
        this.file = new Utf8File(path, label, pieceBytes);
        this.label = label;
    }

    @Override
    public int read(int[] into, int offset, int length) throws IOException {
        int n;
        while ((n = encoded.read(into, offset, length)) < 0 && !ended) {
            encodeMore();
        }
        return n;
    }

    private void encodeMore() throws IOException {
        if (!file.readInto(text)) {
            ended = true;
            take(text.length());
            return;
        }
        int cut = Gpt2Tokenizer.lastSafeCut(text);
        if (cut > 0) {
            take(cut);
        } else if (text.length() > MAX_UNCUT_CHARS) {
            throw new CorpusException(label + ": more than " + MAX_UNCUT_CHARS + " characters without a single space or newline"
                    + " between words, where the text could be cut to be tokenised a piece at a time");
        }
    }

    /** Encodes the first {@code chars} characters of the text read and drops them. */
    private void take(int chars) {
        encoded = TokenSource.of(tokenizer.encode(text.substring(0, chars)));
        text.delete(0, chars);
    }

    @Override
    public long bytesRead() {
        return file.bytesRead();
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
