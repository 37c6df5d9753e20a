package dev.logitlens.cli;

import dev.logitlens.runtime.Backend;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options that choose a model and where it runs. */
final class ModelOptions {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH",
            description = "A GGUF file, a Hugging Face GPT-2 folder (config.json + model.safetensors) or an llm-viz JSON model.")
    Path model;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all cores, ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--backend", paramLabel = "NAME", description = "cpu or cuda (default: ${DEFAULT-VALUE}).")
    Backend backend = Backend.CPU;
}
