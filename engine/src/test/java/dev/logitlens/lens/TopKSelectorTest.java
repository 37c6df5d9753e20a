package dev.logitlens.lens;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The vectorised max + top-k scan against a full sort, on rows with many exact ties. */
class TopKSelectorTest {

    @ParameterizedTest(name = "n={0} k={1}")
    @CsvSource({"1,1", "7,3", "8,8", "9,1", "100,10", "100,99", "1000,5", "1003,600", "50257,10"})
    void scanKeepsTheBestKSortedByLogitThenId(int n, int k) {
        Random random = new Random(n * 31L + k);
        float[] z = new float[n];
        for (int v = 0; v < n; v++) {
            z[v] = random.nextInt(40) - 20; // ties everywhere
        }
        if (n > 3) {
            z[n - 1] = 100; // the maximum in the scalar tail or the last vector
        }
        TopKSelector selector = new TopKSelector(k);
        float max = RowReductions.maxAndTopK(TestMatrices.offHeap(z), 0, n, selector);
        int[] ids = new int[k];
        float[] logits = new float[k];
        selector.drainSorted(ids, logits, 0);
        assertEquals(0, selector.size());

        int[] expected = IntStream.range(0, n).boxed()
                .sorted(Comparator.<Integer>comparingDouble(v -> -z[v]).thenComparingInt(v -> v))
                .limit(k).mapToInt(Integer::intValue).toArray();
        assertArrayEquals(expected, ids);
        for (int j = 0; j < k; j++) {
            assertEquals(z[expected[j]], logits[j]);
        }
        assertEquals(z[expected[0]], max);
    }
}
