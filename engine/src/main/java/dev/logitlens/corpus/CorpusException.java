package dev.logitlens.corpus;

import java.io.IOException;

/** A corpus that cannot be read as documents: the message names the file and line. */
public final class CorpusException extends IOException {

    public CorpusException(String message) {
        super(message);
    }

    public CorpusException(String message, Throwable cause) {
        super(message, cause);
    }
}
