package dev.logitlens.bench;

import dev.logitlens.lens.JvmProjectionKernel;
import dev.logitlens.lens.ProjectionKernel;
import dev.logitlens.lens.ScalarProjectionKernel;
import dev.logitlens.model.TensorInfo;

/** The projection kernels the benchmarks know, by {@link ProjectionKernel#name()}. */
final class BenchKernels {

    private BenchKernels() {
    }

    static ProjectionKernel create(String name, TensorInfo unembedding, int threads) {
        return switch (name) {
            case "jvm-vector" -> new JvmProjectionKernel(unembedding, threads);
            case "jvm-scalar" -> new ScalarProjectionKernel(unembedding);
            default -> throw new IllegalArgumentException("unknown projection kernel " + name + " (jvm-vector, jvm-scalar)");
        };
    }
}
