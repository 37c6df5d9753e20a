package dev.logitlens.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads little-endian values in sequence from a segment (a mapped file), checking every read
 * against the segment's end first: a corrupt length or count gives a {@link ModelFormatException}
 * naming what was being read, never an oversized allocation or an out-of-bounds access.
 */
final class BoundedReader {

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment segment;
    private final Path file;
    private long position;

    BoundedReader(MemorySegment segment, Path file) {
        this.segment = segment;
        this.file = file;
    }

    long position() {
        return position;
    }

    long remaining() {
        return segment.byteSize() - position;
    }

    /** Fails unless {@code n} (an unsigned count of bytes) more bytes can be read. */
    void require(long n, String what) throws ModelFormatException {
        if (n < 0 || n > remaining()) {
            throw new ModelFormatException(file, "truncated or corrupt: " + what + " at offset " + position + " needs "
                    + Long.toUnsignedString(n) + " bytes, the file has " + remaining() + " left");
        }
    }

    int u8(String what) throws ModelFormatException {
        require(1, what);
        return Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, position++));
    }

    /** An unsigned 32-bit value, in an int's bits. */
    int u32(String what) throws ModelFormatException {
        require(4, what);
        int v = segment.get(U32, position);
        position += 4;
        return v;
    }

    /** An unsigned 64-bit value, in a long's bits (negative when it is 2^63 or more). */
    long u64(String what) throws ModelFormatException {
        require(8, what);
        long v = segment.get(U64, position);
        position += 8;
        return v;
    }

    float f32(String what) throws ModelFormatException {
        return Float.intBitsToFloat(u32(what));
    }

    double f64(String what) throws ModelFormatException {
        return Double.longBitsToDouble(u64(what));
    }

    /** {@code n} bytes as text: invalid UTF-8 becomes U+FFFD. */
    String utf8(long n, String what) throws ModelFormatException {
        require(n, what);
        byte[] bytes = segment.asSlice(position, n).toArray(ValueLayout.JAVA_BYTE);
        position += n;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    void skip(long n, String what) throws ModelFormatException {
        require(n, what);
        position += n;
    }
}
