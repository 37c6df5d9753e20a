package dev.logitlens.model;

import java.io.IOException;
import java.io.InputStream;
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

    /** The largest {@code config.json} or shard index read: real ones are a few kB. */
    static final long CONFIG_MAX_BYTES = 16L << 20;
    /** The largest llm-viz JSON model read (its weights are in the JSON: parsing takes several times this in heap). */
    static final long MODEL_MAX_BYTES = 256L << 20;

    /** Parses a whole regular file of at most {@code maxBytes} as UTF-8 JSON; what is larger is refused unread. */
    static Object read(Path file, long maxBytes) throws IOException {
        ModelFiles.requireRegularFile(file);
        long size = Files.size(file);
        if (size > maxBytes) {
            throw new ModelFormatException(file, String.format(java.util.Locale.ROOT,
                    "%,d bytes, more than the %,d bytes logitlens reads from such a JSON file", size, maxBytes));
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) maxBytes + 1); // a file that grew since its size was read stops here
        }
        if (bytes.length > maxBytes) {
            throw new ModelFormatException(file, "grew past " + maxBytes + " bytes while being read");
        }
        return parse(file, "", ByteBuffer.wrap(bytes));
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
