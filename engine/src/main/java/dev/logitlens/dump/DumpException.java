package dev.logitlens.dump;

import java.io.IOException;

/** A dump that cannot start or go on: a folder holding another dump, a document the model cannot read. */
public final class DumpException extends IOException {

    public DumpException(String message) {
        super(message);
    }
}
