package dev.logitlens.lens;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@link VectorExp} against Math.exp: < 1 ulp from the exact value over a dense sweep of the softmax range, 0 below it. */
class VectorExpTest {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int MAX_ULPS = 1;

    /** Every 2⁸-th float by bit pattern from MIN_NORMAL_ARGUMENT up to −0 (4.4 million, down to tiny magnitudes). */
    @Test
    void withinOneUlpOnTheNonPositiveRange() {
        float[] batch = new float[SPECIES.length() * 1024];
        int filled = 0;
        double worst = 0;
        int from = Float.floatToRawIntBits(VectorExp.MIN_NORMAL_ARGUMENT);
        for (int bits = from; bits >= Float.floatToRawIntBits(-0f) && bits < 0; bits -= 256) { // sign bit set: walks up to −0
            batch[filled++] = Float.intBitsToFloat(bits);
            if (filled == batch.length) {
                worst = Math.max(worst, checkBatch(batch, filled));
                filled = 0;
            }
        }
        worst = Math.max(worst, checkBatch(batch, filled));
        assertTrue(worst <= MAX_ULPS, "worst error " + worst + " ulp");
        System.out.println("VectorExp worst error " + worst + " ulp");
    }

    @Test
    void withinOneUlpOnRandomArgumentsUpTo88() {
        SplittableRandom random = new SplittableRandom(7);
        float[] batch = new float[SPECIES.length() * 4096];
        for (int round = 0; round < 50; round++) {
            for (int i = 0; i < batch.length; i++) {
                batch[i] = (float) random.nextDouble(VectorExp.MIN_NORMAL_ARGUMENT, 88);
            }
            checkBatch(batch, batch.length);
        }
    }

    @Test
    void edgeCases() {
        assertEquals(1f, exp(0f));
        assertEquals(1f, exp(-0f));
        assertEquals(0f, exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, exp(-1000f));
        assertEquals(0f, exp(Math.nextDown(VectorExp.MIN_NORMAL_ARGUMENT)));
        assertTrue(exp(VectorExp.MIN_NORMAL_ARGUMENT) >= Float.MIN_NORMAL);
        assertTrue(Float.isNaN(exp(Float.NaN)));
    }

    private static float exp(float x) {
        float[] lanes = new float[SPECIES.length()];
        java.util.Arrays.fill(lanes, x);
        return VectorExp.exp(FloatVector.fromArray(SPECIES, lanes, 0)).lane(SPECIES.length() - 1);
    }

    /** Checks exp of x[0 .. n) (x holds whole vectors); returns the worst error in ulps of the result. */
    private static double checkBatch(float[] x, int n) {
        float[] e = new float[x.length];
        for (int i = 0; i < n; i += SPECIES.length()) {
            VectorExp.exp(FloatVector.fromArray(SPECIES, x, i)).intoArray(e, i);
        }
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double expected = Math.exp(x[i]);
            double ulps = Math.abs(e[i] - expected) / Math.ulp((float) expected);
            if (!(ulps <= MAX_ULPS)) {
                fail("exp(" + x[i] + ") = " + e[i] + ", expected " + expected + " (" + ulps + " ulp)");
            }
            worst = Math.max(worst, ulps);
        }
        return worst;
    }
}
