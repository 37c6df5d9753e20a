package dev.logitlens.lens;

import dev.logitlens.model.MatrixLayout;
import dev.logitlens.model.TensorInfo;
import dev.logitlens.model.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Element access to a W_U tensor as stored in a model file: F32, F16 or BF16, little-endian,
 * {@code [V, d]} ({@link MatrixLayout#OUT_IN}) or {@code [d, V]} ({@link MatrixLayout#IN_OUT}).
 * Reads in place; nothing is copied.
 */
final class UnembeddingMatrix {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final TensorType type;
    private final MemorySegment data; // [V, d] or [d, V] elements of type
    private final int vocabSize;
    private final int width;
    private final long vocabStride; // elements between W[v, k] and W[v + 1, k]
    private final long widthStride; // elements between W[v, k] and W[v, k + 1]

    UnembeddingMatrix(TensorInfo tensor) {
        if (tensor.rank() != 2) {
            throw new IllegalArgumentException("the unembedding must be a matrix, not " + tensor);
        }
        boolean outIn = tensor.layout() == MatrixLayout.OUT_IN;
        long v = outIn ? tensor.dim(0) : tensor.dim(1);
        long d = outIn ? tensor.dim(1) : tensor.dim(0);
        if (v < 1 || d < 1 || v > Integer.MAX_VALUE || d > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("unembedding dimensions out of range: " + tensor);
        }
        long bytes = tensor.type().byteSize(tensor.elementCount());
        if (tensor.data().byteSize() < bytes) {
            throw new IllegalArgumentException("unembedding " + tensor + " needs " + bytes + " bytes of data, got " + tensor.data().byteSize());
        }
        this.type = tensor.type();
        this.data = tensor.data();
        this.vocabSize = (int) v;
        this.width = (int) d;
        this.vocabStride = outIn ? d : 1;
        this.widthStride = outIn ? 1 : v;
    }

    int vocabSize() {
        return vocabSize;
    }

    int width() {
        return width;
    }

    /** W_U[v, k] as a float (F16 and BF16 widened exactly). */
    float get(int v, int k) {
        long index = v * vocabStride + k * widthStride;
        return switch (type) {
            case F32 -> data.getAtIndex(F32, index);
            case F16 -> Float.float16ToFloat(data.getAtIndex(U16, index));
            case BF16 -> Float.intBitsToFloat(data.getAtIndex(U16, index) << 16);
        };
    }
}
