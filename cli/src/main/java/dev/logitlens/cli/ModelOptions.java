package dev.logitlens.cli;

import dev.logitlens.runtime.Backend;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;

/** Options that choose a model and where it runs. */
final class ModelOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL",
            description = "A GGUF file, a Hugging Face GPT-2 folder (config.json + model.safetensors) or an llm-viz JSON model.")
    String model;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all cores, ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--backend", paramLabel = "NAME", description = "cpu or cuda (default: ${DEFAULT-VALUE}).")
    Backend backend = Backend.CPU;

    /** The model's local path; {@code --model} is required. */
    Path modelPath() {
        if (model == null) {
            throw new ParameterException(mixee.commandLine(), "Missing required option: '--model=MODEL'");
        }
        return Path.of(model);
    }
}
