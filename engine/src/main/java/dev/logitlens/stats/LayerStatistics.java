package dev.logitlens.stats;

import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.Snapshots;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * Accumulates per-layer sums over many lens results (the windows of a corpus) and gives their means
 * ({@link LayerSummary}). Sums are kept in double precision.
 */
public final class LayerStatistics {

    private final Snapshots snapshots;     // what the rows are
    private final int layers;              // S = snapshots.count() rows (n_layer + 1 for the layer lens); arrays below: [S]
    private final long[] positions;        // [n_layer + 1]
    private final long[] predicted;        // [n_layer + 1]
    private final double[] crossEntropy;   // [n_layer + 1] Σ −log p(next), nats
    private final double[] klToFinal;      // [n_layer + 1] Σ KL(final ‖ layer), nats
    private final long[] agreeWithFinal;   // [n_layer + 1]
    private final long[] correct;          // [n_layer + 1]
    private final double[] entropy;        // [n_layer + 1] Σ H, nats
    private long nextTokenBytes;           // Σ bytes of the predicted tokens (the same for every layer)

    /** @param nLayers n_layer: statistics are kept for layers 0..n_layer */
    public LayerStatistics(int nLayers) {
        this(Snapshots.layers(nLayers));
    }

    /** Statistics of every row of {@code snapshots} (e.g. {@link Snapshots#sublayers}); a summary's layer is its row. */
    public LayerStatistics(Snapshots snapshots) {
        this.snapshots = java.util.Objects.requireNonNull(snapshots, "snapshots");
        this.layers = snapshots.count();
        this.positions = new long[layers];
        this.predicted = new long[layers];
        this.crossEntropy = new double[layers];
        this.klToFinal = new double[layers];
        this.agreeWithFinal = new long[layers];
        this.correct = new long[layers];
        this.entropy = new double[layers];
    }

    /**
     * Adds the positions {@code [from, to)} of one lens result.
     *
     * @param lens       the lens of a window ({@code n_layer} must match), whose next tokens
     *                   ({@link LensResult#nextTokenId}) are the targets
     * @param byteLength how many bytes a token stands for (its UTF-8 bytes)
     */
    public void add(LensResult lens, int from, int to, IntUnaryOperator byteLength) {
        if (!lens.snapshots().equals(snapshots)) {
            throw new IllegalArgumentException("the lens has " + (lens.nLayers() + 1) + " layers, the statistics " + layers);
        }
        int last = layers - 1;
        for (int pos = from; pos < to; pos++) {
            int next = lens.nextTokenId(pos);
            if (next >= 0) {
                nextTokenBytes += byteLength.applyAsInt(next);
            }
            int finalTop = lens.topTokenId(last, pos, 0);
            for (int layer = 0; layer < layers; layer++) {
                positions[layer]++;
                klToFinal[layer] += lens.klToFinal(layer, pos);
                entropy[layer] += lens.entropy(layer, pos);
                int top = lens.topTokenId(layer, pos, 0);
                if (top == finalTop) {
                    agreeWithFinal[layer]++;
                }
                if (next >= 0) {
                    predicted[layer]++;
                    crossEntropy[layer] -= lens.logProbOfNextToken(layer, pos);
                    if (top == next) {
                        correct[layer]++;
                    }
                }
            }
        }
    }

    /** What the rows are. */
    public Snapshots snapshots() {
        return snapshots;
    }

    /** Bytes of the predicted tokens so far. */
    public long predictedBytes() {
        return nextTokenBytes;
    }

    /** The means per layer, from layer 0 up. */
    public List<LayerSummary> summaries() {
        List<LayerSummary> list = new ArrayList<>(layers);
        for (int layer = 0; layer < layers; layer++) {
            long n = positions[layer];
            long p = predicted[layer];
            list.add(new LayerSummary(layer, n, p,
                    p == 0 ? Double.NaN : crossEntropy[layer] / p,
                    nextTokenBytes == 0 ? Double.NaN : crossEntropy[layer] / Math.log(2) / nextTokenBytes,
                    n == 0 ? Double.NaN : klToFinal[layer] / n,
                    n == 0 ? Double.NaN : (double) agreeWithFinal[layer] / n,
                    p == 0 ? Double.NaN : (double) correct[layer] / p,
                    n == 0 ? Double.NaN : entropy[layer] / n));
        }
        return list;
    }
}
