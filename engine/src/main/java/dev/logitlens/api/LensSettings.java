package dev.logitlens.api;

import dev.logitlens.runtime.Backend;
import dev.logitlens.runtime.ProjectionPrecision;
import dev.logitlens.runtime.ResidualMode;

/**
 * How a {@link LensModel} runs.
 *
 * @param backend   where the forward pass (and the native kernel) runs
 * @param threads   CPU threads for the forward pass, the projection kernels and the statistics (each run of the lens)
 * @param kernel    which projection kernel computes the logits
 * @param precision W_U's precision in the native kernel (the JVM kernel is always float32)
 * @param mode      {@link ResidualMode#NORMALISED} (the logit lens) or {@link ResidualMode#NO_AFFINE}
 *                  (normalised without ln_f's gain and bias)
 * @param checkWeights read every weight once at open and refuse NaN or Inf, naming the tensors (about 0.1 s for GPT-2
 *                  small; off by default: a forward pass that meets a non-finite number fails anyway and then names them)
 */
public record LensSettings(Backend backend, int threads, KernelChoice kernel, ProjectionPrecision precision, ResidualMode mode,
                           boolean checkWeights) {

    public LensSettings {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        if (mode == ResidualMode.RAW) {
            throw new IllegalArgumentException("the lens decodes normalised rows: use NORMALISED or NO_AFFINE, not RAW");
        }
        if (kernel == KernelChoice.JVM && precision != ProjectionPrecision.F32) {
            throw new IllegalArgumentException("the JVM kernel computes in float32 only; " + precision + " needs the native kernel");
        }
    }

    /** CPU, every core, the fastest float32 kernel for the backend, the logit lens. */
    public static LensSettings defaults() {
        return new LensSettings(Backend.CPU, Runtime.getRuntime().availableProcessors(), KernelChoice.AUTO,
                ProjectionPrecision.F32, ResidualMode.NORMALISED, false);
    }

    public LensSettings withBackend(Backend b) {
        return new LensSettings(b, threads, kernel, precision, mode, checkWeights);
    }

    public LensSettings withThreads(int n) {
        return new LensSettings(backend, n, kernel, precision, mode, checkWeights);
    }

    public LensSettings withKernel(KernelChoice k) {
        return new LensSettings(backend, threads, k, precision, mode, checkWeights);
    }

    public LensSettings withPrecision(ProjectionPrecision p) {
        return new LensSettings(backend, threads, kernel, p, mode, checkWeights);
    }

    public LensSettings withMode(ResidualMode m) {
        return new LensSettings(backend, threads, kernel, precision, m, checkWeights);
    }

    public LensSettings withCheckWeights(boolean check) {
        return new LensSettings(backend, threads, kernel, precision, mode, check);
    }
}
