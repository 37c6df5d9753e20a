package dev.logitlens.cli;

import dev.logitlens.api.KernelChoice;
import dev.logitlens.api.LensSettings;
import dev.logitlens.runtime.ProjectionPrecision;
import dev.logitlens.runtime.ResidualMode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Options that choose how the lens computes its logits. */
final class KernelOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--kernel", paramLabel = "KERNEL",
            description = "auto (on the CPU per input: ggml's projection below 4096 positions x layers, the JVM's above, and"
                    + " the shim's C statistics; on CUDA the native graph), native (the projection and the statistics as one"
                    + " ggml graph on the backend) or jvm (Vector API) (default: auto).")
    KernelChoice kernel = KernelChoice.AUTO;

    @Option(names = "--precision", paramLabel = "TYPE",
            description = "W_U precision of the native kernel: F32, F16, BF16 or Q8_0 (default: ${DEFAULT-VALUE}; any but F32 runs"
                    + " the native kernel, which --kernel jvm refuses).")
    ProjectionPrecision precision = ProjectionPrecision.F32;

    @Option(names = "--no-affine", description = "Decode rows normalised without ln_f's gain and bias.")
    boolean noAffine;

    /**
     * The lens settings of these options and the model options' backend and threads; settings that contradict each
     * other ({@code --precision Q8_0 --kernel jvm}) are a usage error (exit 2).
     */
    LensSettings settings(ModelOptions model) {
        try {
            return LensSettings.defaults()
                    .withBackend(model.backend())
                    .withThreads(model.threads)
                    .withCheckWeights(model.checkWeights)
                    .withKernel(kernel)
                    .withPrecision(precision)
                    .withMode(noAffine ? ResidualMode.NO_AFFINE : ResidualMode.NORMALISED);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(mixee.commandLine(), "--kernel " + CliEnums.name(kernel) + " --precision "
                    + CliEnums.name(precision) + ": " + e.getMessage());
        }
    }
}
