package dev.logitlens.lens;

/**
 * Bounded selection of the k largest logits of a row: a binary heap of at most k entries whose root
 * is the worst kept entry. Order: higher logit first, equal logits by lower token id.
 */
final class TopKSelector {

    private final int capacity;
    private final int[] ids;       // [capacity] heap of token ids, worst at 0
    private final float[] logits;  // [capacity] their logits
    private int size;

    TopKSelector(int capacity) {
        this.capacity = capacity;
        this.ids = new int[capacity];
        this.logits = new float[capacity];
    }

    void reset() {
        size = 0;
    }

    boolean isFull() {
        return size == capacity;
    }

    /** Once full, the logit a newcomer must exceed to enter (newcomers come in increasing id order). */
    float threshold() {
        return isFull() ? logits[0] : Float.NEGATIVE_INFINITY;
    }

    /** Keeps (id, logit) if it is among the best {@code capacity} seen so far. */
    void offer(int id, float logit) {
        if (size < capacity) {
            ids[size] = id;
            logits[size] = logit;
            siftUp(size++);
        } else if (worse(logits[0], ids[0], logit, id)) {
            ids[0] = id;
            logits[0] = logit;
            siftDown(0);
        }
    }

    /** Writes the kept entries best first into {@code outIds/outLogits[offset ..]} and empties the selector. */
    void drainSorted(int[] outIds, float[] outLogits, int offset) {
        for (int n = size; n > 0; n--) {
            outIds[offset + n - 1] = ids[0];
            outLogits[offset + n - 1] = logits[0];
            size--;
            if (size > 0) {
                ids[0] = ids[size];
                logits[0] = logits[size];
                siftDown(0);
            }
        }
    }

    int size() {
        return size;
    }

    private static boolean worse(float logitA, int idA, float logitB, int idB) {
        return logitA < logitB || (logitA == logitB && idA > idB);
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!worse(logits[i], ids[i], logits[parent], ids[parent])) {
                return;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i) {
        while (true) {
            int left = 2 * i + 1;
            if (left >= size) {
                return;
            }
            int worst = left;
            int right = left + 1;
            if (right < size && worse(logits[right], ids[right], logits[left], ids[left])) {
                worst = right;
            }
            if (!worse(logits[worst], ids[worst], logits[i], ids[i])) {
                return;
            }
            swap(i, worst);
            i = worst;
        }
    }

    private void swap(int i, int j) {
        int id = ids[i];
        ids[i] = ids[j];
        ids[j] = id;
        float logit = logits[i];
        logits[i] = logits[j];
        logits[j] = logit;
    }
}
