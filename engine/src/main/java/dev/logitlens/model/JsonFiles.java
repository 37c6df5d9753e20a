package dev.logitlens.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** JSON read from model files, with errors that name the file. */
final class JsonFiles {

    private JsonFiles() {
    }

    /** Parses a whole file as UTF-8 JSON. */
    static Object read(Path file) throws IOException {
        return parse(file, "", ByteBuffer.wrap(Files.readAllBytes(file)));
    }

    /**
     * Parses {@code bytes} as UTF-8 JSON; {@code what} (e.g. {@code "header: "}) starts error messages
     * about the file.
     */
    static Object parse(Path file, String what, ByteBuffer bytes) throws ModelFormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file, what + "not valid UTF-8 text", e);
        }
        try {
            return Json.parse(text);
        } catch (JsonException e) {
            throw new ModelFormatException(file, what + e.getMessage(), e);
        }
    }
}
