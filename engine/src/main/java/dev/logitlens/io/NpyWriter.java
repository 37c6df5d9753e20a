package dev.logitlens.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Writes NumPy {@code .npy} files (format version 1.0, C order) straight from off-heap memory: the
 * segment's bytes go to the file through the channel, with no copy into the Java heap. Files are
 * written atomically ({@link AtomicFile}).
 */
public final class NpyWriter {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};

    private NpyWriter() {
    }

    /** Writes {@code data} as a little-endian float32 array of the given shape. */
    public static void writeFloat32(Path target, MemorySegment data, long... shape) throws IOException {
        long elements = elementCount(shape);
        long bytes = elements * Float.BYTES;
        if (data.byteSize() < bytes) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + bytes + " bytes, the segment has " + data.byteSize());
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("NpyWriter writes float32 from little-endian machines only");
        }
        ByteBuffer header = header("<f4", shape);
        MemorySegment payload = data.asSlice(0, bytes);
        AtomicFile.write(target, channel -> {
            writeFully(channel, header);
            // large segments are written in slices: a ByteBuffer view holds at most 2^31-1 bytes
            long chunk = 1L << 30;
            for (long offset = 0; offset < bytes; offset += chunk) {
                writeFully(channel, payload.asSlice(offset, Math.min(chunk, bytes - offset)).asByteBuffer());
            }
        });
    }

    /**
     * Writes a little-endian array from the heap: {@code dtype} such as {@code <i4}, {@code <f4} or {@code <f8},
     * {@code data} its bytes in C order (position to limit), which must match the shape.
     */
    public static void write(Path target, String dtype, ByteBuffer data, long... shape) throws IOException {
        int itemSize = switch (dtype) {
            case "<i4", "<f4" -> 4;
            case "<i8", "<f8" -> 8;
            default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
        };
        long bytes = elementCount(shape) * itemSize;
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes
                    + " bytes, the buffer has " + data.remaining());
        }
        ByteBuffer header = header(dtype, shape);
        ByteBuffer payload = data.duplicate();
        AtomicFile.write(target, channel -> {
            writeFully(channel, header);
            writeFully(channel, payload);
        });
    }

    /** The .npy header for a dtype such as {@code <f4} or {@code <i4}, padded to a multiple of 64 bytes. */
    static ByteBuffer header(String dtype, long... shape) {
        String dims = Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
        if (shape.length == 1) {
            dims += ",";
        }
        String dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (" + dims + "), }";
        int unpadded = MAGIC.length + 2 + dict.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        String text = dict + " ".repeat(padding) + "\n";
        ByteBuffer buffer = ByteBuffer.allocate(MAGIC.length + 2 + text.length()).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(MAGIC).putShort((short) text.length()).put(text.getBytes(StandardCharsets.US_ASCII)).flip();
        return buffer;
    }

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Reads the float32 payload of a .npy file written by {@link #writeFloat32} (for tests and tools). */
    public static float[] readFloat32(Path file) throws IOException {
        byte[] all = java.nio.file.Files.readAllBytes(file);
        ByteBuffer buffer = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < MAGIC.length; i++) {
            if (buffer.get() != MAGIC[i]) {
                throw new IOException(file + " is not a version 1.0 .npy file");
            }
        }
        int headerLength = Short.toUnsignedInt(buffer.getShort());
        String header = new String(all, buffer.position(), headerLength, StandardCharsets.US_ASCII);
        if (!header.contains("'descr': '<f4'")) {
            throw new IOException(file + " is not float32: " + header.strip());
        }
        buffer.position(buffer.position() + headerLength);
        float[] values = new float[buffer.remaining() / Float.BYTES];
        MemorySegment.ofArray(all).asSlice(buffer.position())
                .asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }

    /** The little-endian payload of a .npy file whose dtype must be {@code dtype} (for tests and tools). */
    public static ByteBuffer readPayload(Path file, String dtype) throws IOException {
        byte[] all = java.nio.file.Files.readAllBytes(file);
        int headerLength = Short.toUnsignedInt(ByteBuffer.wrap(all, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort());
        String header = new String(all, 10, headerLength, StandardCharsets.US_ASCII);
        if (!header.contains("'descr': '" + dtype + "'")) {
            throw new IOException(file + " is not " + dtype + ": " + header.strip());
        }
        return ByteBuffer.wrap(all, 10 + headerLength, all.length - 10 - headerLength).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The shape recorded in a .npy header. */
    public static long[] readShape(Path file) throws IOException {
        byte[] all = java.nio.file.Files.readAllBytes(file);
        int headerLength = Short.toUnsignedInt(ByteBuffer.wrap(all, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort());
        String header = new String(all, 10, headerLength, StandardCharsets.US_ASCII);
        int open = header.indexOf("'shape': (") + "'shape': (".length();
        String inside = header.substring(open, header.indexOf(')', open));
        return Arrays.stream(inside.split(",")).map(String::strip).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
    }
}
