package dev.logitlens.corpus;

import dev.logitlens.io.Utf8;

import java.nio.file.Path;

/**
 * One document of a corpus: a text to tokenise, token ids given as such, or a text file read a piece at a time when
 * its lens runs (exactly one is non-null).
 *
 * @param index    its place in the corpus, from 0, in reading order
 * @param source   where it came from: {@code file:line} or {@code file}
 * @param text     the text, or null
 * @param tokens   the token ids ({@code [T]}), or null
 * @param textFile a UTF-8 file whose whole text is the document, streamed (never held whole), or null
 */
public record Document(int index, String source, String text, int[] tokens, TextFile textFile) {

    /** A UTF-8 text file and its size in bytes. */
    public record TextFile(Path path, long bytes) {
    }

    public Document {
        int given = (text != null ? 1 : 0) + (tokens != null ? 1 : 0) + (textFile != null ? 1 : 0);
        if (given != 1) {
            throw new IllegalArgumentException("a document has a text, tokens or a text file, exactly one");
        }
    }

    /** A document given as a text or as token ids. */
    public Document(int index, String source, String text, int[] tokens) {
        this(index, source, text, tokens, null);
    }

    /** The document's size for progress: UTF-8 bytes of a text or text file, or 4 per token id. */
    public long size() {
        if (textFile != null) {
            return textFile.bytes();
        }
        return text != null ? Utf8.length(text) : 4L * tokens.length;
    }
}
