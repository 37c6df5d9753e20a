package dev.logitlens.bench;

import dev.logitlens.model.TensorInfo;
import dev.logitlens.model.TensorType;
import dev.logitlens.runtime.NativeModel;
import dev.logitlens.runtime.NativeProjectionKernel;
import dev.logitlens.runtime.NativeSession;
import dev.logitlens.runtime.ProjectionPrecision;
import dev.logitlens.runtime.ResidualMode;
import dev.logitlens.runtime.ResidualStream;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;

/**
 * Issue #8, part 3: what a two-pass BF16 lens would cost on the random GPT-2-small-shaped {@link BenchModel}.
 * The first pass is ggml's BF16 projection; the second would re-score in float32 every token whose BF16 logit lies
 * within a rigorous error bound of a decision, so that top-k and ranks are those of float32 by construction. This
 * study measures, without building the second pass, how many tokens per row that is, and how far KL and entropy
 * move when every other logit keeps its BF16 value.
 *
 * <p>The bound, per row r and token v ({@code ~x} is x rounded to BF16, {@code δx = ~x − x}, γ = d·2⁻²⁴·1.01):
 * <pre>|~z[r,v] − z[r,v]| ≤ E[r,v] = ‖δh_r‖·‖~w_v‖ + ‖h_r‖·‖δw_v‖ + γ·(‖~h_r‖·‖~w_v‖ + ‖h_r‖·‖w_v‖)</pre>
 * from {@code ~h·~w − h·w = δh·~w + h·δw} (Cauchy–Schwarz) and the float32 accumulation of both products. A token
 * must be re-scored for the top-k when {@code ~z + E ≥ t_k − E_top} (t_k the k-th BF16 logit, E_top the largest E
 * among the BF16 top k) and for a rank target x when {@code |~z − z[x]| ≤ E}.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx6g \
 *     -cp benchmarks/target/benchmarks.jar dev.logitlens.bench.Bf16RefinementStudyMain [T] [THREADS] [TOP_K] [MASS_FLOOR]</pre>
 * (MASS_FLOOR &gt; 0: also re-score every token whose BF16 probability in the row or in its final row is at least that.)
 */
public final class Bf16RefinementStudyMain {

    private static final double GAMMA = 768 * 0x1p-24 * 1.01;

    public static void main(String[] args) {
        int nTokens = args.length > 0 ? Integer.parseInt(args[0]) : 128;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int topK = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        double massFloor = args.length > 3 ? Double.parseDouble(args[3]) : 0;
        int[] tokens = BenchData.tokens(nTokens, 5);
        try (NativeModel model = BenchModel.open();
             NativeSession session = model.newSession(threads);
             Arena arena = Arena.ofConfined()) {
            ResidualStream stream = session.forward(tokens, ResidualMode.NORMALISED, false, arena); // [S, T, d]
            int snapshots = stream.nLayers() + 1;
            int width = stream.width();
            int rows = snapshots * nTokens;
            TensorInfo unembedding = model.weights().unembedding();                                  // [V, d]
            if (unembedding.type() != TensorType.F32) {
                throw new IllegalStateException("the study needs a float32 W_U, not " + unembedding.type());
            }
            int vocab = (int) unembedding.dim(0);
            MemorySegment exact = arena.allocate((long) rows * vocab * Float.BYTES, 64);             // [S·T, V]
            MemorySegment bf16 = arena.allocate((long) rows * vocab * Float.BYTES, 64);              // [S·T, V]
            double f32Seconds = project(model, ProjectionPrecision.F32, threads, stream.residual(), rows, exact);
            double bf16Seconds = project(model, ProjectionPrecision.BF16, threads, stream.residual(), rows, bf16);

            double[] wNorm = new double[vocab], wtNorm = new double[vocab], dwNorm = new double[vocab];   // [V]
            float[] w = new float[width];
            for (int v = 0; v < vocab; v++) {
                MemorySegment.copy(unembedding.data(), ValueLayout.JAVA_FLOAT, (long) v * width * Float.BYTES, w, 0, width);
                double[] n = norms(w);
                wNorm[v] = n[0];
                wtNorm[v] = n[1];
                dwNorm[v] = n[2];
            }

            long[] windowByLayer = new long[snapshots];
            int[] windowSizes = new int[rows];
            double worstBoundUse = 0, maxKl = 0, maxEntropy = 0;
            long decisionsWrong = 0;
            float[] h = new float[width];
            float[] zExact = new float[vocab], zBf16 = new float[vocab], zRefined = new float[vocab];
            float[] finalExact = new float[vocab], finalRefined = new float[vocab], finalBf16 = new float[vocab];
            double meanEntropy = 0;
            double[] bound = new double[vocab];
            boolean[] rescore = new boolean[vocab];
            for (int p = 0; p < nTokens; p++) {
                for (int layer = snapshots - 1; layer >= 0; layer--) { // the final row first: its top-1 is a target
                    int row = layer * nTokens + p;
                    MemorySegment.copy(stream.residual(), ValueLayout.JAVA_FLOAT, (long) row * width * Float.BYTES, h, 0, width);
                    MemorySegment.copy(exact, ValueLayout.JAVA_FLOAT, (long) row * vocab * Float.BYTES, zExact, 0, vocab);
                    MemorySegment.copy(bf16, ValueLayout.JAVA_FLOAT, (long) row * vocab * Float.BYTES, zBf16, 0, vocab);
                    double[] hn = norms(h);
                    for (int v = 0; v < vocab; v++) {
                        bound[v] = hn[2] * wtNorm[v] + hn[0] * dwNorm[v] + GAMMA * (hn[1] * wtNorm[v] + hn[0] * wNorm[v]);
                        worstBoundUse = Math.max(worstBoundUse, Math.abs(zBf16[v] - zExact[v]) / bound[v]);
                    }
                    Arrays.fill(rescore, false);
                    int[] topBf16 = topK(zBf16, topK);
                    double threshold = zBf16[topBf16[topK - 1]], topBound = 0;
                    for (int id : topBf16) {
                        topBound = Math.max(topBound, bound[id]);
                    }
                    for (int v = 0; v < vocab; v++) {
                        rescore[v] |= zBf16[v] + bound[v] >= threshold - topBound;
                    }
                    int finalTop = topK(layer == snapshots - 1 ? zExact : finalExact, 1)[0];
                    int[] targets = p + 1 < nTokens ? new int[] { finalTop, tokens[p], tokens[p + 1] } : new int[] { finalTop, tokens[p] };
                    for (int x : targets) {
                        float zx = zExact[x];
                        rescore[x] = true;
                        for (int v = 0; v < vocab; v++) {
                            rescore[v] |= Math.abs(zBf16[v] - zx) <= bound[v];
                        }
                    }
                    if (massFloor > 0) { // also every token with a probability of at least massFloor here or in the final row
                        double lse = logSumExp(zBf16), lseFinal = logSumExp(layer == snapshots - 1 ? zBf16 : finalBf16);
                        float[] zf = layer == snapshots - 1 ? zBf16 : finalBf16;
                        for (int v = 0; v < vocab; v++) {
                            rescore[v] |= zBf16[v] - lse >= Math.log(massFloor) || zf[v] - lseFinal >= Math.log(massFloor);
                        }
                    }
                    int count = 0;
                    for (int v = 0; v < vocab; v++) {
                        zRefined[v] = rescore[v] ? zExact[v] : zBf16[v];
                        count += rescore[v] ? 1 : 0;
                    }
                    windowSizes[row] = count;
                    windowByLayer[layer] += count;
                    // the construction's promise: the refined row decides as the exact one does
                    if (!Arrays.equals(topK(zRefined, topK), topK(zExact, topK))) {
                        decisionsWrong++;
                    }
                    for (int x : targets) {
                        if (rank(zRefined, x) != rank(zExact, x)) {
                            decisionsWrong++;
                        }
                    }
                    if (layer == snapshots - 1) {
                        System.arraycopy(zExact, 0, finalExact, 0, vocab);
                        System.arraycopy(zRefined, 0, finalRefined, 0, vocab);
                        System.arraycopy(zBf16, 0, finalBf16, 0, vocab);
                    }
                    maxKl = Math.max(maxKl, Math.abs(kl(finalRefined, zRefined) - kl(finalExact, zExact)));
                    double h0 = entropy(zExact);
                    meanEntropy += h0 / rows;
                    maxEntropy = Math.max(maxEntropy, Math.abs(entropy(zRefined) - h0));
                }
            }
            int[] sorted = windowSizes.clone();
            Arrays.sort(sorted);
            long total = Arrays.stream(windowSizes).asLongStream().sum();
            System.out.printf(Locale.ROOT, "T=%d, %d rows, V=%d, top-%d, %d threads, also re-scored: p >= %.1e; mean entropy of the float32 rows %.2f nats%n",
                    nTokens, rows, vocab, topK, threads, massFloor, meanEntropy);
            System.out.printf(Locale.ROOT, "projection: f32 %.3f s, bf16 %.3f s (%.2fx)%n", f32Seconds, bf16Seconds, f32Seconds / bf16Seconds);
            System.out.printf(Locale.ROOT, "largest |bf16 - f32| / bound: %.3f (the bound holds when <= 1)%n", worstBoundUse);
            System.out.printf(Locale.ROOT, "tokens to re-score per row: mean %.0f (%.2f %% of V), median %d, p90 %d, max %d%n",
                    (double) total / rows, 100.0 * total / rows / vocab, sorted[rows / 2], sorted[rows * 9 / 10], sorted[rows - 1]);
            StringBuilder perLayer = new StringBuilder("mean per layer (% of V):");
            for (int layer = 0; layer < snapshots; layer++) {
                perLayer.append(String.format(Locale.ROOT, " %d:%.2f", layer, 100.0 * windowByLayer[layer] / nTokens / vocab));
            }
            System.out.println(perLayer);
            System.out.printf(Locale.ROOT, "decisions that differ from float32 after re-scoring: %d (must be 0)%n", decisionsWrong);
            System.out.printf(Locale.ROOT, "the other logits left in BF16: max |dKL(final || layer)| %.2e nats, max |dH| %.2e nats%n", maxKl, maxEntropy);
        }
    }

    private static double project(NativeModel model, ProjectionPrecision precision, int threads, MemorySegment rows, int nRows,
                                  MemorySegment logits) {
        try (NativeProjectionKernel kernel = model.newProjectionKernel(precision, threads)) {
            kernel.project(rows, nRows, logits); // warm-up
            long start = System.nanoTime();
            kernel.project(rows, nRows, logits);
            return (System.nanoTime() - start) / 1e9;
        }
    }

    /** {‖x‖, ‖~x‖, ‖δx‖} with ~x the BF16 rounding (to nearest, ties to even) of x. */
    private static double[] norms(float[] x) {
        double n = 0, nt = 0, nd = 0;
        for (float value : x) {
            float rounded = bf16(value);
            n += (double) value * value;
            nt += (double) rounded * rounded;
            nd += ((double) rounded - value) * ((double) rounded - value);
        }
        return new double[] { Math.sqrt(n) * (1 + 1e-12), Math.sqrt(nt) * (1 + 1e-12), Math.sqrt(nd) * (1 + 1e-12) };
    }

    /** x rounded to BF16 (8 significant bits), to nearest, ties to even, as ggml rounds. */
    static float bf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        bits = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
        return Float.intBitsToFloat(bits);
    }

    /** The k largest, best first, equal logits by lower id. */
    private static int[] topK(float[] z, int k) {
        int[] ids = new int[k];
        float[] best = new float[k];
        Arrays.fill(best, Float.NEGATIVE_INFINITY);
        Arrays.fill(ids, -1);
        for (int v = 0; v < z.length; v++) {
            if (z[v] > best[k - 1]) {
                int i = k - 1;
                while (i > 0 && z[v] > best[i - 1]) {
                    best[i] = best[i - 1];
                    ids[i] = ids[i - 1];
                    i--;
                }
                best[i] = z[v];
                ids[i] = v;
            }
        }
        return ids;
    }

    private static int rank(float[] z, int x) {
        int above = 0;
        for (float value : z) {
            above += value > z[x] ? 1 : 0;
        }
        return 1 + above;
    }

    private static double logSumExp(float[] z) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float value : z) {
            max = Math.max(max, value);
        }
        for (float value : z) {
            sum += Math.exp(value - max);
        }
        return max + Math.log(sum);
    }

    private static double kl(float[] reference, float[] z) {
        double lseRef = logSumExp(reference), lse = logSumExp(z), sum = 0;
        for (int v = 0; v < z.length; v++) {
            double lpRef = reference[v] - lseRef;
            sum += Math.exp(lpRef) * (lpRef - (z[v] - lse));
        }
        return sum;
    }

    private static double entropy(float[] z) {
        double lse = logSumExp(z), sum = 0;
        for (float value : z) {
            double lp = value - lse;
            sum -= Math.exp(lp) * lp;
        }
        return sum;
    }
}
