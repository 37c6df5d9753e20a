package dev.logitlens.corpus;

import java.io.Closeable;
import java.io.IOException;

/** A document's token ids, read in order a piece at a time, so that a long document is never held whole. */
interface TokenSource extends Closeable {

    /** Reads up to {@code length} ids into {@code into[offset, offset + length)}; returns how many, or −1 at the end. */
    int read(int[] into, int offset, int length) throws IOException;

    /** Bytes of the document's file read so far, for progress; 0 for a document held in memory. */
    default long bytesRead() {
        return 0;
    }

    @Override
    default void close() throws IOException {
    }

    /** The ids of {@code tokens} ({@code [T]}), in order. */
    static TokenSource of(int[] tokens) {
        return new TokenSource() {
            private int next;

            @Override
            public int read(int[] into, int offset, int length) {
                if (next == tokens.length) {
                    return -1;
                }
                int n = Math.min(length, tokens.length - next);
                System.arraycopy(tokens, next, into, offset, n);
                next += n;
                return n;
            }
        };
    }

    /** {@code first}, then the ids of {@code rest}. */
    static TokenSource prepend(int first, TokenSource rest) {
        return new TokenSource() {
            private boolean firstRead;

            @Override
            public int read(int[] into, int offset, int length) throws IOException {
                if (length > 0 && !firstRead) {
                    firstRead = true;
                    into[offset] = first;
                    return 1;
                }
                return rest.read(into, offset, length);
            }

            @Override
            public long bytesRead() {
                return rest.bytesRead();
            }

            @Override
            public void close() throws IOException {
                rest.close();
            }
        };
    }
}
