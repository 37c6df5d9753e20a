package dev.logitlens.bench;

import dev.logitlens.lens.LensAccuracy;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.LogitLens;
import dev.logitlens.runtime.NativeModel;
import dev.logitlens.runtime.NativeProjectionKernel;
import dev.logitlens.runtime.NativeSession;
import dev.logitlens.runtime.ProjectionPrecision;
import dev.logitlens.runtime.ResidualMode;
import dev.logitlens.runtime.ResidualStream;

import java.lang.foreign.Arena;
import java.util.Locale;

/**
 * The accuracy of the reduced-precision native kernels against the float32 one at GPT-2-small shape
 * (the random {@link BenchModel}, T tokens): top-1 agreement, largest change of the final top-1's rank,
 * largest KL(final ‖ layer) and entropy errors, and the time of each.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx3g \
 *     -cp benchmarks/target/benchmarks.jar dev.logitlens.bench.PrecisionAccuracyMain [T] [THREADS]</pre>
 */
public final class PrecisionAccuracyMain {

    public static void main(String[] args) {
        int nTokens = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int[] tokens = BenchData.tokens(nTokens, 5);
        LensOptions options = LensOptions.defaults();
        try (NativeModel model = BenchModel.open();
             NativeSession session = model.newSession(threads);
             Arena arena = Arena.ofConfined()) {
            ResidualStream stream = session.forward(tokens, ResidualMode.NORMALISED, false, arena); // [13, T, 768]
            LensResult exact = null;
            for (ProjectionPrecision precision : ProjectionPrecision.values()) {
                try (NativeProjectionKernel kernel = model.newProjectionKernel(precision, threads);
                     LogitLens lens = new LogitLens(kernel, threads)) {
                    lens.run(stream.residual(), stream.nLayers(), nTokens, tokens, options); // warm-up
                    long start = System.nanoTime();
                    LensResult result = lens.run(stream.residual(), stream.nLayers(), nTokens, tokens, options);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    if (exact == null) {
                        exact = result;
                        System.out.printf(Locale.ROOT, "%-5s lens %.3f s (reference)%n", precision, seconds);
                    } else {
                        LensAccuracy a = LensAccuracy.compare(exact, result);
                        System.out.printf(Locale.ROOT, "%-5s lens %.3f s; top-1 agreement %.4f over %d cells; max rank change %d; max |dKL| %.2e nats; max |dH| %.2e nats%n",
                                precision, seconds, a.top1Agreement(), a.cells(), a.maxRankChange(), a.maxKlError(), a.maxEntropyError());
                    }
                }
            }
        }
    }
}
