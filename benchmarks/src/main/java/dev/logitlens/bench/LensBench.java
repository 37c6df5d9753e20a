package dev.logitlens.bench;

import dev.logitlens.lens.JvmProjectionKernel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.LogitLens;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * The full lens with every statistic (top-10, three ranks, two KLs, entropy, log-sum-exp) over a random
 * normalised residual {@code [13, T, 768]}, GPT-2-small W_U, JVM vector kernel. One op is one whole run:
 * 2·13·T·768·50257 FLOPs of projection (T = 128: 128 GFLOP; T = 1024: 1.03 TFLOP).
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar LensBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
public class LensBench {

    @Param({"128", "1024"})
    public int tokens;

    @Param({"2"})
    public int threads;

    @Param({"24"})
    public int positionsPerBlock;

    private Arena arena;
    private JvmProjectionKernel kernel;
    private LogitLens lens;
    private MemorySegment residual; // [n_layer + 1, T, d]
    private int[] tokenIds;         // [T]
    private LensOptions options;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        kernel = new JvmProjectionKernel(BenchData.unembedding(arena, 1), threads);
        lens = new LogitLens(kernel, threads);
        residual = BenchData.normalisedRows(arena, (BenchData.LAYERS + 1) * tokens, 2);
        tokenIds = BenchData.tokens(tokens, 3);
        options = LensOptions.defaults().withPositionsPerBlock(positionsPerBlock);
    }

    @Benchmark
    public LensResult lens() {
        return lens.run(residual, BenchData.LAYERS, tokens, tokenIds, options);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        lens.close();
        kernel.close();
        arena.close();
    }
}
