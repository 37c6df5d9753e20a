package dev.logitlens.testing;

import dev.logitlens.model.MatrixLayout;
import dev.logitlens.model.TensorInfo;
import dev.logitlens.model.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Encodes floats into a tensor type's little-endian bytes and decodes tensors back to canonical floats. */
public final class TensorCodec {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TensorCodec() {
    }

    /** {@code values} as {@code type}, little-endian: F16 and BF16 round to nearest even. */
    public static byte[] encode(float[] values, TensorType type) {
        ByteBuffer out = ByteBuffer.allocate(values.length * type.bytesPerElement()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (type) {
                case F32 -> out.putFloat(v);
                case F16 -> out.putShort(Float.floatToFloat16(v));
                case BF16 -> out.putShort(toBf16(v));
            }
        }
        return out.array();
    }

    /** What {@code v} reads back as after a round trip through {@code type}. */
    public static float roundTrip(float v, TensorType type) {
        return switch (type) {
            case F32 -> v;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
            case BF16 -> fromBf16(toBf16(v));
        };
    }

    /** A tensor's values in canonical order: an {@link MatrixLayout#IN_OUT} matrix is transposed to {@code [out, in]}. */
    public static float[] canonicalFloats(TensorInfo tensor) {
        float[] stored = floats(tensor.data(), tensor.type(), Math.toIntExact(tensor.elementCount()));
        if (tensor.layout() == MatrixLayout.IN_OUT && tensor.rank() == 2) {
            return transpose(stored, (int) tensor.dim(0), (int) tensor.dim(1));
        }
        return stored;
    }

    /** {@code n} values of {@code type} from the start of {@code data}. */
    public static float[] floats(MemorySegment data, TensorType type, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (type) {
                case F32 -> data.getAtIndex(F32, i);
                case F16 -> Float.float16ToFloat(data.getAtIndex(U16, i));
                case BF16 -> fromBf16(data.getAtIndex(U16, i));
            };
        }
        return out;
    }

    /** A row-major {@code [rows, cols]} matrix as {@code [cols, rows]}. */
    public static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

    private static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    private static float fromBf16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
