package dev.logitlens.model;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One weight tensor, read where it lies (usually a memory-mapped file).
 *
 * @param name   the canonical (GGUF) name, e.g. {@code blk.3.attn_qkv.weight}
 * @param type   element type
 * @param shape  row-major dimensions as stored, outermost first
 * @param layout for matrices, how rows and columns are stored; {@link MatrixLayout#OUT_IN} otherwise
 * @param data   the tensor's bytes, exactly {@code type.byteSize(elementCount())} long
 */
public record TensorInfo(String name, TensorType type, long[] shape, MatrixLayout layout, MemorySegment data) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape) + (layout == MatrixLayout.IN_OUT ? " (in,out)" : "");
    }
}
