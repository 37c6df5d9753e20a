package dev.logitlens.bench;

import dev.logitlens.lens.ProjectionKernel;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * One projection {@code logits [rows, V] = rows [rows, d] · W_U^T} at GPT-2-small shape, random weights.
 * {@code config} is {@code kernel:rows}: 312 rows = the lens's default block (24 positions × 13 layers), 78 rows
 * = a block of 6 positions (W_U's 154 MB then stream from memory for 4× fewer FLOPs); the scalar
 * kernel runs 6 rows only (it is ~50× slower). The score is projections per second; the {@code gflops}
 * counter is 2·rows·d·V FLOPs per second / 1e9.
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar ProjectionBench [-p threads=2]}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class ProjectionBench {

    @Param({"jvm-vector:312", "native-f32:312", "native-f16:312", "native-bf16:312", "native-q8_0:312", "jvm-vector:78", "native-f32:78", "jvm-scalar:6"})
    public String config;

    @Param({"2"})
    public int threads;

    private Arena arena;
    private ProjectionKernel kernel;
    private MemorySegment rows;   // [nRows, d]
    private MemorySegment logits; // [nRows, V]
    private int nRows;

    /** Reports the FLOP rate next to the score: JMH divides OPERATIONS counters by the measured time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflops;

        @Setup(Level.Iteration)
        public void reset() {
            gflops = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = config.split(":");
        nRows = Integer.parseInt(parts[1]);
        arena = Arena.ofShared();
        kernel = BenchKernels.create(parts[0], BenchData.unembedding(arena, 1), threads);
        rows = BenchData.normalisedRows(arena, nRows, 2);
        logits = arena.allocate((long) nRows * BenchData.VOCAB * Float.BYTES, 64);
    }

    @Benchmark
    public MemorySegment project(Flops flops) {
        kernel.project(rows, nRows, logits);
        flops.gflops += BenchData.projectionFlops(nRows) / 1e9;
        return logits;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernel.close();
        arena.close();
    }
}
