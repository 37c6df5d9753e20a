package dev.logitlens.lens;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The vectorised passes over one row of logits {@code z [V]} (float32, off-heap) behind the lens
 * statistics. Sums are accumulated in float vector lanes over blocks of {@value #BLOCK} elements and
 * the block totals in double, which bounds the relative rounding error of each sum by about
 * {@code BLOCK / lanes · 2⁻²⁴} (≈ 2·10⁻⁶) whatever V is.
 */
final class RowReductions {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final int BLOCK = 32 * LANES;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private RowReductions() {
    }

    /** Σ exp(z − max) and Σ exp(z − max)·(z − max) of a row. */
    record ExpSums(double sum, double weightedShift) {

        /** log Σ exp(z). */
        double logSumExp(float max) {
            return max + Math.log(sum);
        }

        /** −Σ p log p with p = softmax(z). */
        double entropy() {
            return Math.log(sum) - weightedShift / sum;
        }
    }

    /** Σ p_ref (z_ref − z) for the two reference distributions, and how many z exceed each of three targets. */
    record Comparison(double crossFinal, double crossInput, int aboveFirst, int aboveSecond, int aboveThird) {
    }

    /**
     * Returns max(z) and offers every token to {@code topK} (empty on entry): the first k unconditionally,
     * the rest only where a vector compare against the current threshold lets them through.
     *
     * @param z row {@code [n]} at byte offset {@code offset}
     */
    static float maxAndTopK(MemorySegment z, long offset, int n, TopKSelector topK) {
        float max = Float.NEGATIVE_INFINITY;
        int v = 0;
        for (; v < n && !topK.isFull(); v++) {
            float x = z.get(F32, offset + (long) v * Float.BYTES);
            max = Math.max(max, x);
            topK.offer(v, x);
        }
        float threshold = topK.threshold();
        FloatVector vmax = FloatVector.broadcast(SPECIES, max);
        int upper = v + SPECIES.loopBound(n - v);
        for (; v < upper; v += LANES) {
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, z, offset + (long) v * Float.BYTES, ORDER);
            vmax = vmax.max(x);
            VectorMask<Float> above = x.compare(VectorOperators.GT, threshold);
            if (above.anyTrue()) {
                for (int lane = above.firstTrue(); lane < LANES; lane++) {
                    float candidate = x.lane(lane);
                    if (candidate > threshold) {
                        topK.offer(v + lane, candidate);
                        threshold = topK.threshold();
                    }
                }
            }
        }
        max = Math.max(max, vmax.reduceLanes(VectorOperators.MAX));
        for (; v < n; v++) {
            float x = z.get(F32, offset + (long) v * Float.BYTES);
            max = Math.max(max, x);
            if (x > threshold) {
                topK.offer(v, x);
                threshold = topK.threshold();
            }
        }
        return max;
    }

    /** {@link ExpSums} of a row whose maximum is {@code max}. */
    static ExpSums expSums(MemorySegment z, long offset, int n, float max) {
        double sum = 0;
        double weighted = 0;
        int upper = SPECIES.loopBound(n);
        int v = 0;
        while (v < upper) {
            int blockEnd = Math.min(upper, v + BLOCK);
            FloatVector blockSum = FloatVector.zero(SPECIES);
            FloatVector blockWeighted = FloatVector.zero(SPECIES);
            for (; v < blockEnd; v += LANES) {
                FloatVector shifted = FloatVector.fromMemorySegment(SPECIES, z, offset + (long) v * Float.BYTES, ORDER).sub(max);
                FloatVector e = shifted.lanewise(VectorOperators.EXP);
                blockSum = blockSum.add(e);
                blockWeighted = e.fma(shifted, blockWeighted);
            }
            sum += blockSum.reduceLanes(VectorOperators.ADD);
            weighted += blockWeighted.reduceLanes(VectorOperators.ADD);
        }
        for (; v < n; v++) {
            double shifted = z.get(F32, offset + (long) v * Float.BYTES) - max;
            double e = Math.exp(shifted);
            sum += e;
            weighted += e * shifted;
        }
        return new ExpSums(sum, weighted);
    }

    /**
     * {@code p[v] = exp((z[v] − max) − log sum)} = softmax(z) into {@code p [n]}, computed from the shifted
     * logits so that rounding lse to float cannot scale every p; returns Σ p as computed (1 up to rounding).
     */
    static double probabilities(MemorySegment z, long offset, int n, float max, ExpSums sums, float[] p) {
        double logSum = Math.log(sums.sum());
        float logSumF = (float) logSum;
        double mass = 0;
        int upper = SPECIES.loopBound(n);
        int v = 0;
        while (v < upper) {
            int blockEnd = Math.min(upper, v + BLOCK);
            FloatVector blockMass = FloatVector.zero(SPECIES);
            for (; v < blockEnd; v += LANES) {
                FloatVector pv = FloatVector.fromMemorySegment(SPECIES, z, offset + (long) v * Float.BYTES, ORDER)
                        .sub(max).sub(logSumF).lanewise(VectorOperators.EXP);
                pv.intoArray(p, v);
                blockMass = blockMass.add(pv);
            }
            mass += blockMass.reduceLanes(VectorOperators.ADD);
        }
        for (; v < n; v++) {
            p[v] = (float) Math.exp((z.get(F32, offset + (long) v * Float.BYTES) - max) - logSum);
            mass += p[v];
        }
        return mass;
    }

    /**
     * Compares row z with the final layer's row (logits {@code zFinal}, probabilities {@code pFinal}) and
     * the input layer's: Σ p_final (z_final − z), Σ p_input (z_input − z), and the counts of z above
     * each target (a NaN target counts nothing).
     */
    static Comparison compare(MemorySegment z, long offset, MemorySegment zFinal, long finalOffset, float[] pFinal,
                              MemorySegment zInput, long inputOffset, float[] pInput, int n,
                              float first, float second, float third) {
        double crossFinal = 0;
        double crossInput = 0;
        int aboveFirst = 0;
        int aboveSecond = 0;
        int aboveThird = 0;
        int upper = SPECIES.loopBound(n);
        int v = 0;
        while (v < upper) {
            int blockEnd = Math.min(upper, v + BLOCK);
            FloatVector blockFinal = FloatVector.zero(SPECIES);
            FloatVector blockInput = FloatVector.zero(SPECIES);
            for (; v < blockEnd; v += LANES) {
                long byteIndex = (long) v * Float.BYTES;
                FloatVector x = FloatVector.fromMemorySegment(SPECIES, z, offset + byteIndex, ORDER);
                FloatVector xf = FloatVector.fromMemorySegment(SPECIES, zFinal, finalOffset + byteIndex, ORDER);
                FloatVector xi = FloatVector.fromMemorySegment(SPECIES, zInput, inputOffset + byteIndex, ORDER);
                blockFinal = FloatVector.fromArray(SPECIES, pFinal, v).fma(xf.sub(x), blockFinal);
                blockInput = FloatVector.fromArray(SPECIES, pInput, v).fma(xi.sub(x), blockInput);
                aboveFirst += x.compare(VectorOperators.GT, first).trueCount();
                aboveSecond += x.compare(VectorOperators.GT, second).trueCount();
                aboveThird += x.compare(VectorOperators.GT, third).trueCount();
            }
            crossFinal += blockFinal.reduceLanes(VectorOperators.ADD);
            crossInput += blockInput.reduceLanes(VectorOperators.ADD);
        }
        for (; v < n; v++) {
            long byteIndex = (long) v * Float.BYTES;
            float x = z.get(F32, offset + byteIndex);
            crossFinal += (double) pFinal[v] * (zFinal.get(F32, finalOffset + byteIndex) - x);
            crossInput += (double) pInput[v] * (zInput.get(F32, inputOffset + byteIndex) - x);
            aboveFirst += x > first ? 1 : 0;
            aboveSecond += x > second ? 1 : 0;
            aboveThird += x > third ? 1 : 0;
        }
        return new Comparison(crossFinal, crossInput, aboveFirst, aboveSecond, aboveThird);
    }

    /**
     * For each target, how many z exceed it, into {@code counts [targets.length]} (a NaN target counts nothing): the
     * count behind a rank ({@link LensResult#rank}). One pass over the row per target.
     */
    static void countAbove(MemorySegment z, long offset, int n, float[] targets, int[] counts) {
        int upper = SPECIES.loopBound(n);
        for (int i = 0; i < targets.length; i++) {
            float target = targets[i];
            int above = 0;
            int v = 0;
            for (; v < upper; v += LANES) {
                FloatVector x = FloatVector.fromMemorySegment(SPECIES, z, offset + (long) v * Float.BYTES, ORDER);
                above += x.compare(VectorOperators.GT, target).trueCount();
            }
            for (; v < n; v++) {
                above += z.get(F32, offset + (long) v * Float.BYTES) > target ? 1 : 0;
            }
            counts[i] = above;
        }
    }
}
