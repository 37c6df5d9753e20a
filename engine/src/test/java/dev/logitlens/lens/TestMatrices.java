package dev.logitlens.lens;

import dev.logitlens.model.MatrixLayout;
import dev.logitlens.model.TensorInfo;
import dev.logitlens.model.TensorType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Random test matrices, their rounding to F16/BF16, and off-heap copies as the lens expects them. */
final class TestMatrices {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TestMatrices() {
    }

    /** {@code n} values N(0, σ²). */
    static float[] gaussian(Random random, int n, double sigma) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * sigma);
        }
        return values;
    }

    /**
     * A W_U {@code [V, d]} whose softmax is far from uniform: N(0, 0.05²) noise, plus for every 7th token a
     * large multiple of one of a few directions, so a handful of tokens dominate each distribution.
     */
    static float[] peakedUnembedding(Random random, int vocab, int width) {
        float[] w = gaussian(random, vocab * width, 0.05);
        float[][] directions = new float[3][];
        for (int i = 0; i < directions.length; i++) {
            directions[i] = gaussian(random, width, 1.0 / Math.sqrt(width));
        }
        for (int v = 0; v < vocab; v += 7) {
            float[] direction = directions[(v / 7) % directions.length];
            double scale = 1.0 + 2.0 * random.nextDouble();
            for (int k = 0; k < width; k++) {
                w[v * width + k] += (float) (scale * direction[k]);
            }
        }
        return w;
    }

    /**
     * Values {@code i / steps} in [−1, 1] for a power-of-two {@code steps} ≤ 64: products of two are multiples
     * of 2⁻¹², so any dot product of up to 2¹⁰ of them is exact in float, in any order — and equal logits
     * (ties) are exactly equal. Few steps make many ties.
     */
    static float[] dyadic(Random random, int n, int steps) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (random.nextInt(2 * steps + 1) - steps) / (float) steps;
        }
        return values;
    }

    /** The value each element takes once stored as {@code type} (F16, BF16: round to nearest even). */
    static float[] rounded(float[] values, TensorType type) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = switch (type) {
                case F32 -> values[i];
                case F16 -> Float.float16ToFloat(Float.floatToFloat16(values[i]));
                case BF16 -> Float.intBitsToFloat(bf16Bits(values[i]) << 16);
            };
        }
        return out;
    }

    /**
     * W_U {@code [V, d]} stored as {@code type}, little-endian, in the given layout ({@code IN_OUT} stores the
     * transpose {@code [d, V]}).
     */
    static TensorInfo unembedding(float[] w, int vocab, int width, TensorType type, MatrixLayout layout) {
        MemorySegment data = Arena.ofAuto().allocate(type.byteSize((long) vocab * width), 8);
        for (int v = 0; v < vocab; v++) {
            for (int k = 0; k < width; k++) {
                long index = layout == MatrixLayout.OUT_IN ? (long) v * width + k : (long) k * vocab + v;
                float x = w[v * width + k];
                switch (type) {
                    case F32 -> data.setAtIndex(F32_LE, index, x);
                    case F16 -> data.setAtIndex(U16_LE, index, Float.floatToFloat16(x));
                    case BF16 -> data.setAtIndex(U16_LE, index, (short) bf16Bits(x));
                }
            }
        }
        long[] shape = layout == MatrixLayout.OUT_IN ? new long[] {vocab, width} : new long[] {width, vocab};
        return new TensorInfo("output.weight", type, shape, layout, data);
    }

    static TensorInfo unembedding(float[] w, int vocab, int width) {
        return unembedding(w, vocab, width, TensorType.F32, MatrixLayout.OUT_IN);
    }

    /** An off-heap float32 copy (native order) of {@code values}. */
    static MemorySegment offHeap(float[] values) {
        MemorySegment segment = Arena.ofAuto().allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, segment, ValueLayout.JAVA_FLOAT, 0, values.length);
        return segment;
    }

    static float[] toArray(MemorySegment segment, int n) {
        float[] values = new float[n];
        MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, 0, values, 0, n);
        return values;
    }

    private static int bf16Bits(float x) {
        int bits = Float.floatToRawIntBits(x);
        return (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
    }
}
