package dev.logitlens.io;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8: decoding that refuses malformed bytes instead of replacing them, and lengths without encoding. */
public final class Utf8 {

    private Utf8() {
    }

    /** {@code length} bytes from {@code offset} as text; {@link CharacterCodingException} on any malformed byte. */
    public static String decode(byte[] bytes, int offset, int length) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes, offset, length)).toString();
    }

    /** The number of bytes {@code text} takes in UTF-8, as {@link String#getBytes} encodes it (a lone surrogate becomes '?'). */
    public static long length(CharSequence text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch < 0x80) {
                bytes += 1;
            } else if (ch < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(ch) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += Character.isSurrogate(ch) ? 1 : 3;
            }
        }
        return bytes;
    }
}
