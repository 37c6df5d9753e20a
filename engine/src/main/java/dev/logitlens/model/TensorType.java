package dev.logitlens.model;

import dev.logitlens.bindings.LogitLensNative;

/**
 * Element types of weight tensors. {@link #ggmlCode()} is ggml's {@code enum ggml_type} value,
 * the same number the native shim's {@code LL_TYPE_*} constants use.
 */
public enum TensorType {
    F32(LogitLensNative.LL_TYPE_F32(), 4),
    F16(LogitLensNative.LL_TYPE_F16(), 2),
    BF16(LogitLensNative.LL_TYPE_BF16(), 2);

    private final int ggmlCode;
    private final int bytesPerElement;

    TensorType(int ggmlCode, int bytesPerElement) {
        this.ggmlCode = ggmlCode;
        this.bytesPerElement = bytesPerElement;
    }

    public int ggmlCode() {
        return ggmlCode;
    }

    public int bytesPerElement() {
        return bytesPerElement;
    }

    public long byteSize(long elements) {
        return Math.multiplyExact(elements, (long) bytesPerElement);
    }

    /** The type with this ggml code, or null if logitlens does not read it. */
    public static TensorType fromGgmlCode(int code) {
        for (TensorType t : values()) {
            if (t.ggmlCode == code) {
                return t;
            }
        }
        return null;
    }
}
