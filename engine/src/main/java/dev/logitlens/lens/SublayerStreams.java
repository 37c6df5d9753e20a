package dev.logitlens.lens;

import dev.logitlens.model.TensorInfo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The rows of the sublayer lens and of the decomposition ({@link Snapshots}), made from the residual stream the shim
 * writes with {@code LL_FORWARD_MID}: {@code h [n+1, T, d]} (after the embeddings and after each block) and
 * {@code mid [n, T, d]} (after each block's attention, before its MLP).
 *
 * <p><b>Decomposition.</b> The final stream is a sum of terms, {@code h_n = e + Σ_l (a_l + m_l)}: the embeddings
 * {@code e = h_0}, block l's attention output {@code a_l = mid_l − h_{l−1}} and its MLP output
 * {@code m_l = h_l − mid_l}. ln_f is affine once its scale is fixed, so with the final stream's statistics
 * {@code μ = mean(h_n)}, {@code s = 1/sqrt(var(h_n) + ε)} (biased variance, ln_f's ε) each term is decoded as
 * {@code term(x) = (x − mean(x)) · s · g} (g = ln_f's gain; no bias; without the affine, no gain either), and then
 * <pre>{@code   term(e) + Σ_l (term(a_l) + term(m_l)) + b = ln_f(h_n)   }</pre>
 * exactly (b = ln_f's bias, none without the affine): the terms' logits, plus those of the bias, sum to the model's
 * output logits. This is TransformerLens's {@code decompose_resid(apply_ln=True)} ({@code apply_ln_to_stack} with the
 * final stream's {@code ln_final.hook_scale}: every term shares the scale of the stream it is part of, which is what
 * makes the sum exact). The rule is {@link FinalNorm#apply}.
 */
public final class SublayerStreams {

    private SublayerStreams() {
    }

    /**
     * ln_f: {@code y = (x − mean(x)) · s · g + b} with {@code s = 1/sqrt(var(x) + ε)}, the biased variance over the
     * row. The statistics {@code mean} and {@code s} may come from another row (the decomposition's rule).
     *
     * @param gain  {@code [d]} ln_f's weight
     * @param bias  {@code [d]} ln_f's bias
     * @param eps   ln_f's ε
     */
    public record FinalNorm(float[] gain, float[] bias, double eps) {

        public FinalNorm {
            Objects.requireNonNull(gain, "gain");
            Objects.requireNonNull(bias, "bias");
            if (gain.length != bias.length) {
                throw new IllegalArgumentException("ln_f's gain has " + gain.length + " values, its bias " + bias.length);
            }
        }

        /** ln_f of a model's weights ({@code output_norm.weight}, {@code output_norm.bias}; F32, F16 or BF16). */
        public static FinalNorm of(TensorInfo gain, TensorInfo bias, double eps) {
            return new FinalNorm(floats(gain), floats(bias), eps);
        }

        /** {@code 1/sqrt(var(x) + ε)} of a row, biased variance, in double. */
        public double inverseScale(double[] x) {
            double mean = mean(x);
            double variance = 0;
            for (double v : x) {
                variance += (v - mean) * (v - mean);
            }
            return 1 / Math.sqrt(variance / x.length + eps);
        }

        /**
         * The one normalisation rule: {@code out[c] = (x[c] − mean(x)) · inverseScale · (affine ? g[c] : 1)
         * + (affine && withBias ? b[c] : 0)}, into {@code out} as float32.
         */
        public void apply(double[] x, double inverseScale, boolean affine, boolean withBias, MemorySegment out, long offset) {
            double mean = mean(x);
            for (int c = 0; c < x.length; c++) {
                double y = (x[c] - mean) * inverseScale;
                if (affine) {
                    y = y * gain[c] + (withBias ? bias[c] : 0);
                }
                out.setAtIndex(ValueLayout.JAVA_FLOAT, offset + c, (float) y);
            }
        }

        private static double mean(double[] x) {
            double sum = 0;
            for (double v : x) {
                sum += v;
            }
            return sum / x.length;
        }

        private static float[] floats(TensorInfo tensor) {
            ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            ValueLayout.OfShort u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[Math.toIntExact(tensor.elementCount())];
            for (int i = 0; i < out.length; i++) {
                out[i] = switch (tensor.type()) {
                    case F32 -> tensor.data().getAtIndex(f32, i);
                    case F16 -> Float.float16ToFloat(tensor.data().getAtIndex(u16, i));
                    case BF16 -> Float.intBitsToFloat(tensor.data().getAtIndex(u16, i) << 16);
                };
            }
            return out;
        }
    }

    /**
     * The sublayer lens's rows {@code in, h1.attn, h1, …, hn}: {@code h} and {@code mid} interleaved, as they are
     * (normalised or not: rows are copied, not transformed).
     *
     * @param h   {@code [n+1, T, d]} float32
     * @param mid {@code [n, T, d]} float32
     * @return {@code [2n+1, T, d]} float32 in {@code arena}
     */
    public static MemorySegment interleave(MemorySegment h, MemorySegment mid, int nLayers, int nTokens, int width,
                                           Arena arena) {
        long plane = (long) nTokens * width * Float.BYTES; // one row of every position: [T, d]
        requireSize(h, (nLayers + 1) * plane, "h");
        requireSize(mid, nLayers * plane, "mid");
        Snapshots rows = Snapshots.sublayers(nLayers);
        MemorySegment out = arena.allocate(rows.count() * plane, 64); // [2n+1, T, d]
        for (int row = 0; row < rows.count(); row++) {
            int layer = rows.layer(row);
            boolean attention = rows.sublayer(row) == Snapshots.ATTENTION;
            MemorySegment.copy(attention ? mid : h, (attention ? layer - 1 : layer) * plane, out, row * plane, plane);
        }
        return out;
    }

    /**
     * The decomposition's rows {@code embed, attn1, mlp1, …, mlpn, hn} (class comment): every term through ln_f with
     * the final stream's statistics and without the bias, then {@code ln_f(h_n)} itself, with the bias.
     *
     * @param h      {@code [n+1, T, d]} float32, the raw residual stream ({@code LL_FORWARD_RAW})
     * @param mid    {@code [n, T, d]} float32, raw
     * @param affine with ln_f's gain (and, on the final row, its bias); without, the normalisation alone
     * @return {@code [2n+2, T, d]} float32 in {@code arena}
     */
    public static MemorySegment decompose(MemorySegment h, MemorySegment mid, int nLayers, int nTokens, int width,
                                          FinalNorm norm, boolean affine, Arena arena) {
        long plane = (long) nTokens * width; // floats of [T, d]
        requireSize(h, (nLayers + 1) * plane * Float.BYTES, "h");
        requireSize(mid, nLayers * plane * Float.BYTES, "mid");
        if (norm.gain().length != width) {
            throw new IllegalArgumentException("ln_f has " + norm.gain().length + " channels, the stream " + width);
        }
        Snapshots rows = Snapshots.decomposed(nLayers);
        MemorySegment out = arena.allocate(rows.count() * plane * Float.BYTES, 64); // [2n+2, T, d]
        double[] term = new double[width];     // [d] one term at one position
        double[] finalRow = new double[width]; // [d] h_n at one position
        for (int t = 0; t < nTokens; t++) {
            read(h, (nLayers * plane) + (long) t * width, finalRow);
            double scale = norm.inverseScale(finalRow);
            for (int row = 0; row < rows.count(); row++) {
                int layer = rows.layer(row);
                long target = row * plane + (long) t * width;
                switch (rows.sublayer(row)) {
                    case Snapshots.ATTENTION -> difference(mid, layer - 1, h, layer - 1, plane, t, term);   // mid_l − h_{l−1}
                    case Snapshots.MLP -> difference(h, layer, mid, layer - 1, plane, t, term);             // h_l − mid_l
                    default -> read(h, (long) layer * plane + (long) t * width, term);                      // h_0, or h_n
                }
                boolean last = row == rows.last();
                norm.apply(term, scale, affine, last, out, target);
            }
        }
        return out;
    }

    /** {@code into = a[i, t] − b[j, t]} of two {@code [*, T, d]} streams. */
    private static void difference(MemorySegment a, int i, MemorySegment b, int j, long plane, int t, double[] into) {
        long width = into.length;
        for (int c = 0; c < into.length; c++) {
            into[c] = (double) a.getAtIndex(ValueLayout.JAVA_FLOAT, i * plane + t * width + c)
                    - b.getAtIndex(ValueLayout.JAVA_FLOAT, j * plane + t * width + c);
        }
    }

    private static void read(MemorySegment stream, long offset, double[] into) {
        for (int c = 0; c < into.length; c++) {
            into[c] = stream.getAtIndex(ValueLayout.JAVA_FLOAT, offset + c);
        }
    }

    private static void requireSize(MemorySegment segment, long bytes, String name) {
        Objects.requireNonNull(segment, name);
        if (segment.byteSize() < bytes) {
            throw new IllegalArgumentException(name + " holds " + segment.byteSize() + " bytes; " + bytes + " needed");
        }
    }
}
