package dev.logitlens.spark;

import dev.logitlens.api.KernelChoice;
import dev.logitlens.api.LensSettings;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.runtime.Backend;
import dev.logitlens.runtime.ProjectionPrecision;
import dev.logitlens.runtime.ResidualMode;
import dev.logitlens.table.LayerSelection;

import java.io.Serial;
import java.io.Serializable;
import java.util.Objects;

/**
 * What a Spark job of the lens computes, sent to every executor (hence {@link Serializable}): the model, how it runs,
 * and how documents are cut into windows and rows, with the meanings of {@code logitlens dump} and {@code stats}.
 *
 * @param model     the model as {@code --model} takes it: a path every executor can read, the file name of a model
 *                  shipped with {@code spark-submit --files} (found through {@code SparkFiles}), or a model name
 *                  (then each executor takes it from its Hugging Face cache or downloads it)
 * @param threads   threads of the executor's one model, ≥ 0; 0: the executor's cores ({@code spark.executor.cores},
 *                  or N of a {@code local[N]} master)
 * @param kernel    the projection kernel
 * @param precision W_U's precision in the native kernel
 * @param mode      {@link ResidualMode#NORMALISED} (the logit lens) or {@link ResidualMode#NO_AFFINE}
 * @param topK      top tokens per row, ≥ 1 (the dump's {@code topj_*} columns)
 * @param layers    the dump's layers as {@code --layers} takes them ({@code all}, {@code 0,6,10-12}, {@code last})
 * @param window    tokens per window; 0: the model's context
 * @param stride    tokens between window starts; 0: the window (no overlap)
 * @param bos       put {@code <|endoftext|>} before every document
 */
public record LensJob(String model, int threads, KernelChoice kernel, ProjectionPrecision precision, ResidualMode mode,
                      int topK, String layers, int window, int stride, boolean bos) implements Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    public LensJob {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(layers, "layers");
        if (threads < 0 || topK < 1 || window < 0 || stride < 0) {
            throw new IllegalArgumentException("threads, window and stride must be at least 0 and top-k at least 1: threads "
                    + threads + ", top-k " + topK + ", window " + window + ", stride " + stride);
        }
    }

    /** The defaults of {@code logitlens dump}: top 5, all layers, windows of the model's context without overlap. */
    public static LensJob of(String model) {
        return new LensJob(model, 0, KernelChoice.AUTO, ProjectionPrecision.F32, ResidualMode.NORMALISED, 5, "all", 0, 0, false);
    }

    public LensJob withThreads(int n) {
        return new LensJob(model, n, kernel, precision, mode, topK, layers, window, stride, bos);
    }

    public LensJob withTopK(int k) {
        return new LensJob(model, threads, kernel, precision, mode, k, layers, window, stride, bos);
    }

    public LensJob withLayers(String l) {
        return new LensJob(model, threads, kernel, precision, mode, topK, l, window, stride, bos);
    }

    public LensJob withWindow(int size, int step) {
        return new LensJob(model, threads, kernel, precision, mode, topK, layers, size, step, bos);
    }

    public LensJob withBos(boolean b) {
        return new LensJob(model, threads, kernel, precision, mode, topK, layers, window, stride, b);
    }

    public LensJob withMode(ResidualMode m) {
        return new LensJob(model, threads, kernel, precision, m, topK, layers, window, stride, bos);
    }

    /** The settings of the executor's model, on the CPU, with {@code cores} threads when {@link #threads()} is 0. */
    public LensSettings lensSettings(int cores) {
        return LensSettings.defaults().withBackend(Backend.CPU).withThreads(threads > 0 ? threads : Math.max(1, cores))
                .withKernel(kernel).withPrecision(precision).withMode(mode);
    }

    /** Tokens per window for a model of this shape. */
    public int windowFor(Gpt2Config config) {
        return window == 0 ? config.nCtx() : window;
    }

    /** Tokens between window starts for a model of this shape. */
    public int strideFor(Gpt2Config config) {
        return stride == 0 ? windowFor(config) : stride;
    }

    /** The dump's layers, ascending. */
    public int[] layersFor(Gpt2Config config) {
        return LayerSelection.parse(layers, config.nLayer());
    }
}
