package dev.logitlens.corpus;

/**
 * One document of a corpus: a text to tokenise, or token ids given as such (exactly one is non-null).
 *
 * @param index  its place in the corpus, from 0, in reading order
 * @param source where it came from: {@code file:line} or {@code file}
 * @param text   the text, or null
 * @param tokens the token ids ({@code [T]}), or null
 */
public record Document(int index, String source, String text, int[] tokens) {

    public Document {
        if ((text == null) == (tokens == null)) {
            throw new IllegalArgumentException("a document has a text or tokens, exactly one");
        }
    }

    /** The document's size for progress: UTF-8 bytes of a text, or 4 per token id. */
    public long size() {
        return text != null ? Utf8.length(text) : 4L * tokens.length;
    }
}
