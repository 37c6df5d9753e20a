package dev.logitlens.bench;

import dev.logitlens.lens.JvmProjectionKernel;
import dev.logitlens.lens.ProjectionKernel;
import dev.logitlens.lens.ScalarProjectionKernel;
import dev.logitlens.model.TensorInfo;
import dev.logitlens.runtime.NativeModel;
import dev.logitlens.runtime.NativeProjectionKernel;
import dev.logitlens.runtime.ProjectionPrecision;

import java.lang.foreign.MemorySegment;
import java.util.Locale;

/** The projection kernels the benchmarks know, by {@link ProjectionKernel#name()}. */
final class BenchKernels {

    private BenchKernels() {
    }

    /**
     * {@code jvm-vector} and {@code jvm-scalar} multiply {@code unembedding}; the native kernels
     * ({@code native-f32}, {@code native-f16}, {@code native-bf16}, {@code native-q8_0}) multiply the W_U of
     * {@link BenchModel}, the same shape; closing the kernel closes that model.
     */
    static ProjectionKernel create(String name, TensorInfo unembedding, int threads) {
        return switch (name) {
            case "jvm-vector" -> new JvmProjectionKernel(unembedding, threads);
            case "jvm-scalar" -> new ScalarProjectionKernel(unembedding);
            case "native-f32", "native-f16", "native-bf16", "native-q8_0" -> nativeKernel(name, threads);
            default -> throw new IllegalArgumentException("unknown projection kernel " + name
                    + " (jvm-vector, jvm-scalar, native-f32, native-f16, native-bf16, native-q8_0)");
        };
    }

    private static ProjectionKernel nativeKernel(String name, int threads) {
        ProjectionPrecision precision = ProjectionPrecision.valueOf(name.substring("native-".length()).toUpperCase(Locale.ROOT));
        NativeModel model = BenchModel.open();
        NativeProjectionKernel kernel = model.newProjectionKernel(precision, threads);
        return new ProjectionKernel() {
            public int vocabSize() { return kernel.vocabSize(); }
            public int width() { return kernel.width(); }
            public String name() { return kernel.name(); }
            public void project(MemorySegment rows, int nRows, MemorySegment logits) { kernel.project(rows, nRows, logits); }
            public void close() { model.close(); }
        };
    }
}
