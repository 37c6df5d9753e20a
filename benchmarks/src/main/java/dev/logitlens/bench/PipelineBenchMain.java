package dev.logitlens.bench;

import dev.logitlens.api.KernelChoice;
import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.runtime.ProjectionPrecision;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Locale;

/**
 * The numbers of docs/BENCHMARKS.md for the whole data path, in one fresh JVM: forward pass alone and
 * forward + lens (every statistic) on the random GPT-2-small-shaped {@link BenchModel}, best and median
 * of several runs after one warm-up run, then the peak resident set (VmHWM) of the process.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx3g \
 *     -cp benchmarks/target/benchmarks.jar dev.logitlens.bench.PipelineBenchMain T THREADS auto|native|jvm [RUNS [F32|F16|BF16|Q8_0]]</pre>
 */
public final class PipelineBenchMain {

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: PipelineBenchMain T THREADS auto|native|jvm [RUNS [PRECISION]]");
            System.exit(2);
        }
        int nTokens = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        KernelChoice kernel = KernelChoice.valueOf(args[2].toUpperCase(Locale.ROOT));
        int runs = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        ProjectionPrecision precision = args.length > 4 ? ProjectionPrecision.valueOf(args[4].toUpperCase(Locale.ROOT)) : ProjectionPrecision.F32;
        int[] tokens = BenchData.tokens(nTokens, 3);
        LensOptions options = LensOptions.defaults();
        try (LensModel model = LensModel.open(BenchModel.file(), LensSettings.defaults().withThreads(threads).withKernel(kernel).withPrecision(precision))) {
            model.run(tokens, options); // warm-up: JIT, packed copies, compute buffers
            double[] forward = new double[runs];
            double[] lens = new double[runs];
            for (int i = 0; i < runs; i++) {
                long start = System.nanoTime();
                try (Arena arena = Arena.ofConfined()) {
                    model.residuals(tokens, arena);
                }
                forward[i] = (System.nanoTime() - start) / 1e9;
                start = System.nanoTime();
                LensResult result = model.run(tokens, options);
                lens[i] = (System.nanoTime() - start) / 1e9;
                if (result.nTokens() != nTokens) {
                    throw new IllegalStateException("wrong result shape");
                }
            }
            System.out.print("phases over all runs, warm-up included:\n" + model.timings().format());
            double projection = BenchData.projectionFlops((long) (BenchModel.GPT2_SMALL.nLayer() + 1) * nTokens);
            System.out.printf(Locale.ROOT, "T=%d threads=%d kernel=%s: forward %s s; forward+lens %s s (best %.1f GFLOP/s effective projection incl. statistics and forward)%n",
                    nTokens, threads, model.kernelName(), summary(forward), summary(lens), projection / 1e9 / min(lens));
        }
        System.out.println(LensBenchMain.memoryLine("VmHWM"));
    }

    private static String summary(double[] seconds) {
        double[] sorted = seconds.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "best %.3f, median %.3f", sorted[0], sorted[sorted.length / 2]);
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }
}
