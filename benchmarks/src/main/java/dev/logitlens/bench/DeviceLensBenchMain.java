package dev.logitlens.bench;

import dev.logitlens.api.KernelChoice;
import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.lens.LensAccuracy;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.runtime.Backend;
import dev.logitlens.runtime.ProjectionPrecision;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Forward pass + the whole lens (every statistic) of one model file on one backend, from Java, as
 * scripts/device/gpu-lens.sh times it against torch on the same card: per W_U precision (F32 first, then the
 * reduced ones), one warm-up run (CUDA context, cuBLAS, compute buffers), then the best and median of RUNS, one JSON
 * line each; a reduced precision's line also has its accuracy against F32 (top-1 agreement, max |ΔKL|, max rank
 * change of the final top-1), as docs/BENCHMARKS.md reports it for the CPU.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
 *     -cp benchmarks/target/benchmarks.jar dev.logitlens.bench.DeviceLensBenchMain MODEL T cpu|cuda [RUNS [PRECISIONS]]</pre>
 * PRECISIONS is a comma-separated list of F32, F16, BF16, Q8_0 (default: F32).
 */
public final class DeviceLensBenchMain {

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: DeviceLensBenchMain MODEL T cpu|cuda [RUNS [PRECISIONS]]");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        int nTokens = Integer.parseInt(args[1]);
        Backend backend = Backend.valueOf(args[2].toUpperCase(Locale.ROOT));
        int runs = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        String[] precisions = (args.length > 4 ? args[4] : "F32").split(",");
        LensResult exact = null;
        for (String name : precisions) {
            ProjectionPrecision precision = ProjectionPrecision.valueOf(name.strip().toUpperCase(Locale.ROOT));
            LensResult result = time(file, nTokens, backend, runs, precision, exact);
            if (precision == ProjectionPrecision.F32) {
                exact = result;
            }
        }
    }

    /** Opens the model at one precision, times RUNS lenses after a warm-up, prints the JSON line; returns the lens. */
    private static LensResult time(Path file, int nTokens, Backend backend, int runs, ProjectionPrecision precision,
                                   LensResult exact) throws IOException {
        LensSettings settings = LensSettings.defaults().withBackend(backend).withKernel(KernelChoice.AUTO)
                .withPrecision(precision);
        long open = System.nanoTime();
        try (LensModel model = LensModel.open(file, settings)) {
            double openSeconds = (System.nanoTime() - open) / 1e9;
            int[] tokens = new SplittableRandom(3).ints(nTokens, 0, model.config().nVocab()).toArray(); // [T]
            LensOptions options = LensOptions.defaults();
            LensResult result = model.run(tokens, options); // warm-up
            double[] seconds = new double[runs];
            for (int i = 0; i < runs; i++) {
                long start = System.nanoTime();
                result = model.run(tokens, options);
                seconds[i] = (System.nanoTime() - start) / 1e9;
            }
            Arrays.sort(seconds);
            String accuracy = "";
            if (exact != null) {
                LensAccuracy a = LensAccuracy.compare(exact, result);
                accuracy = String.format(Locale.ROOT, ", \"top1_agreement\": %.5f, \"max_kl_error\": %.5f,"
                        + " \"max_rank_change\": %d", a.top1Agreement(), a.maxKlError(), a.maxRankChange());
            }
            System.out.printf(Locale.ROOT, "{\"java_seconds\": %.4f, \"java_median_seconds\": %.4f, \"open_seconds\": %.2f,"
                            + " \"tokens\": %d, \"layers\": %d, \"d\": %d, \"backend\": \"%s\", \"precision\": \"%s\","
                            + " \"kernel\": \"%s\"%s}%n",
                    seconds[0], seconds[runs / 2], openSeconds, nTokens, model.config().nLayer(), model.config().nEmbd(),
                    backend.name().toLowerCase(Locale.ROOT), precision, model.kernelName(), accuracy);
            System.err.print(model.timings().format());
            return result;
        }
    }
}
