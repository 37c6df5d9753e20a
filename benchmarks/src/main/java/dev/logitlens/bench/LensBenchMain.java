package dev.logitlens.bench;

import dev.logitlens.lens.JvmProjectionKernel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.LogitLens;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Runs the full JVM lens once at GPT-2-small shape on random data and prints the wall time, the
 * effective projection rate and the peak resident set (VmHWM).
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector
 * -cp benchmarks/target/benchmarks.jar dev.logitlens.bench.LensBenchMain [T=1024] [threads=2] [positionsPerBlock=24]}.
 * A warm-up run over {@value #WARM_UP_BLOCKS} blocks comes first, so that the timed run measures C2-compiled code
 * (the Vector API is only fast once C2 has compiled it: the first block alone takes ~2 s interpreted).
 */
public final class LensBenchMain {

    private static final int WARM_UP_BLOCKS = 4;

    private LensBenchMain() {
    }

    public static void main(String[] args) throws IOException {
        int nTokens = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int positionsPerBlock = args.length > 2 ? Integer.parseInt(args[2]) : LensOptions.DEFAULT_POSITIONS_PER_BLOCK;
        int snapshots = BenchData.LAYERS + 1;
        LensOptions options = LensOptions.defaults().withPositionsPerBlock(positionsPerBlock);

        try (Arena arena = Arena.ofShared()) {
            MemorySegment residual = BenchData.normalisedRows(arena, snapshots * nTokens, 2); // [13, T, 768]
            int[] tokens = BenchData.tokens(nTokens, 3);
            long packStart = System.nanoTime();
            try (JvmProjectionKernel kernel = new JvmProjectionKernel(BenchData.unembedding(arena, 1), threads);
                 LogitLens lens = new LogitLens(kernel, threads)) {
                double packSeconds = (System.nanoTime() - packStart) / 1e9;
                int warmTokens = Math.min(nTokens, WARM_UP_BLOCKS * positionsPerBlock);
                long warmStart = System.nanoTime();
                lens.run(residual, BenchData.LAYERS, warmTokens, Arrays.copyOf(tokens, warmTokens), options);

                double warmSeconds = (System.nanoTime() - warmStart) / 1e9;
                long start = System.nanoTime();
                LensResult result = lens.run(residual, BenchData.LAYERS, nTokens, tokens, options);
                double seconds = (System.nanoTime() - start) / 1e9;
                double gflops = BenchData.projectionFlops((long) snapshots * nTokens) / seconds / 1e9;
                System.out.printf("lens T=%d threads=%d positionsPerBlock=%d: %.3f s, %.1f GFLOP/s effective%n",
                        nTokens, threads, positionsPerBlock, seconds, gflops);
                System.out.printf("W_U random generation + packing: %.3f s; warm-up over %d positions: %.3f s%n",
                        packSeconds, warmTokens, warmSeconds);
                System.out.printf("final-layer top-1 at position 0: %d (p = %.4f)%n", result.topTokenId(BenchData.LAYERS, 0, 0),
                        result.topProb(BenchData.LAYERS, 0, 0));
            }
        }
        System.out.println(memoryLine("VmHWM") + ", " + memoryLine("VmRSS"));
    }

    /** A line of /proc/self/status, e.g. {@code VmHWM: 512000 kB}. */
    static String memoryLine(String key) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(line -> line.startsWith(key + ":"))
                .map(line -> line.replaceAll("\\s+", " "))
                .findFirst().orElse(key + ": unavailable");
    }
}
