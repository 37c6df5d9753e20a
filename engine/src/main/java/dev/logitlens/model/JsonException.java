package dev.logitlens.model;

import java.io.IOException;

/** JSON text that is not valid JSON, or a value that is not of the type a reader expects. */
public class JsonException extends IOException {

    private static final long serialVersionUID = 1L;

    public JsonException(String message) {
        super(message);
    }
}
