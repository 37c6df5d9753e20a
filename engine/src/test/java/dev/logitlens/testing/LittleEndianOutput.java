package dev.logitlens.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds a file's bytes in memory, little-endian. */
final class LittleEndianOutput {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    long position() {
        return out.size();
    }

    LittleEndianOutput u8(int v) {
        out.write(v);
        return this;
    }

    LittleEndianOutput u32(int v) {
        for (int i = 0; i < 4; i++) {
            out.write(v >>> (8 * i));
        }
        return this;
    }

    LittleEndianOutput u64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    LittleEndianOutput bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    /** A GGUF string: u64 byte length, then UTF-8. */
    LittleEndianOutput ggufString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return u64(b.length).bytes(b);
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    LittleEndianOutput pad(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }
}
