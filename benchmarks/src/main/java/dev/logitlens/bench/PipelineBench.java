package dev.logitlens.bench;

import dev.logitlens.api.KernelChoice;
import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.runtime.ResidualStream;
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

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

/**
 * The whole data path on a random GPT-2-small-shaped model ({@link BenchModel}): {@code forward} is the
 * native forward pass alone (tokens → residual {@code [13, T, 768]}); {@code lens} is forward pass +
 * projection + every statistic, with the native (ggml) or the JVM kernel.
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar PipelineBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class PipelineBench {

    @Param({"128", "1024"})
    public int tokens;

    @Param({"NATIVE", "JVM"})
    public KernelChoice kernel;

    @Param({"2"})
    public int threads;

    private LensModel model;
    private int[] tokenIds; // [T]

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        model = LensModel.open(BenchModel.file(), LensSettings.defaults().withThreads(threads).withKernel(kernel));
        tokenIds = BenchData.tokens(tokens, 3);
    }

    @Benchmark
    public LensResult lens() {
        return model.run(tokenIds, LensOptions.defaults());
    }

    @Benchmark
    public float forward() {
        try (Arena arena = Arena.ofConfined()) {
            ResidualStream stream = model.residuals(tokenIds, arena);
            return stream.at(stream.nLayers(), tokens - 1, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }
}
