package dev.logitlens.corpus;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A UTF-8 text file read a piece at a time, strictly: a malformed byte (or a file cut inside a character) is a
 * {@link CorpusException} naming the file and the byte's offset. Holds one piece, never the whole file.
 */
final class Utf8File implements Closeable {

    /** Bytes read per piece. */
    static final int PIECE_BYTES = 1 << 20;

    private final InputStream in;
    private final String label;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final int pieceBytes;
    private final byte[] bytes;     // [pieceBytes + 3]: bytes read, not yet decoded, from offset 0
    private final CharBuffer chars; // [pieceBytes + 3]: UTF-8 never decodes to more chars than bytes
    private int pending;            // bytes of `bytes` not yet decoded (the start of a character cut by a read)
    private long offset;            // file offset of bytes[0]
    private boolean ended;

    Utf8File(Path file, String label, int pieceBytes) throws IOException {
        this.in = Files.newInputStream(file);
        this.label = label;
        this.pieceBytes = pieceBytes;
        this.bytes = new byte[pieceBytes + 3]; // + the first bytes of a character cut by the previous read
        this.chars = CharBuffer.allocate(pieceBytes + 3);
    }

    /** Appends the file's next piece of text to {@code text}; false once the whole file has been read. */
    boolean readInto(StringBuilder text) throws IOException {
        if (ended) {
            return false;
        }
        int n = in.readNBytes(bytes, pending, pieceBytes);
        boolean last = n < pieceBytes;
        ByteBuffer input = ByteBuffer.wrap(bytes, 0, pending + n);
        chars.clear();
        CoderResult result = decoder.decode(input, chars, last);
        if (result.isError()) {
            throw new CorpusException(label + ": not valid UTF-8 at byte " + (offset + input.position()));
        }
        if (last) {
            decoder.flush(chars);
            ended = true;
        }
        offset += input.position();
        pending = input.remaining();
        System.arraycopy(bytes, input.position(), bytes, 0, pending);
        text.append(chars.flip());
        return true;
    }

    /** Bytes of the file decoded so far. */
    long bytesRead() {
        return offset;
    }

    /** Whether the file holds nothing but white space ({@link String#isBlank()}'s rule); reads no further than the first other character. */
    static boolean isBlank(Path file, String label) throws IOException {
        try (Utf8File reader = new Utf8File(file, label, 1 << 12)) {
            StringBuilder text = new StringBuilder();
            while (reader.readInto(text)) {
                if (!text.toString().isBlank()) {
                    return false;
                }
                text.setLength(0);
            }
            return true;
        }
    }

    /** Reads the whole file once, checking that it is UTF-8. */
    static void validate(Path file, String label) throws IOException {
        try (Utf8File reader = new Utf8File(file, label, PIECE_BYTES)) {
            StringBuilder text = new StringBuilder();
            while (reader.readInto(text)) {
                text.setLength(0);
            }
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
