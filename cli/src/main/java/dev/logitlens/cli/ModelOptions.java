package dev.logitlens.cli;

import dev.logitlens.api.BackendChoice;
import dev.logitlens.hub.DownloadProgress;
import dev.logitlens.hub.HubModels;
import dev.logitlens.hub.HubOptions;
import dev.logitlens.runtime.Backend;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

/** Options that choose a model and where it runs. */
final class ModelOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL",
            description = "A GGUF file, a Hugging Face GPT-2 folder (config.json + model.safetensors), an llm-viz JSON model,"
                    + " or a model name: gpt2, gpt2-medium, gpt2-large, gpt2-xl, distilgpt2 or a hub repo ORG/NAME[@REVISION],"
                    + " taken from the Hugging Face cache or downloaded into it (HF_HOME, HF_HUB_OFFLINE, HF_TOKEN apply).")
    java.util.List<String> models = new java.util.ArrayList<>(); // every --model given, in order (only compare takes two)

    /** The {@code --model} given (the last, when a command that takes one is refused more), or null. */
    String model() {
        return models.isEmpty() ? null : models.getLast();
    }

    /** The CPUs this JVM may use: the most threads that help (more only wait on each other, and ggml's spin). */
    private static final int CPUS = Runtime.getRuntime().availableProcessors();

    int threads = CPUS;

    @Option(names = "--threads", paramLabel = "N",
            description = "CPU threads, 1 to the number of CPUs (default: all of them).")
    void threads(int n) {
        if (n < 1 || n > CPUS) {
            throw new ParameterException(mixee.commandLine(), "--threads " + n + ": use 1 to " + CPUS
                    + " (the CPUs this machine gives the JVM); more threads than CPUs only wait on each other");
        }
        threads = n;
    }

    @Option(names = "--backend", paramLabel = "NAME",
            description = "cpu, cuda or auto: CUDA where this build and the machine have it, else the CPU, saying which on"
                    + " standard error (default: cpu). On CUDA the weights go to the device once, and the lens's"
                    + " projection and statistics run there as one graph: only the per-cell results come back.")
    BackendChoice backendChoice = BackendChoice.CPU;

    private Backend backend; // resolved on first use

    /** The backend to run on; {@code --backend auto} is resolved once, and what it chose is said on standard error. */
    Backend backend() {
        if (backend == null) {
            backend = backendChoice.resolve();
            if (backendChoice == BackendChoice.AUTO) {
                mixee.commandLine().getErr().println("logitlens: " + BackendChoice.describeAuto(backend));
                mixee.commandLine().getErr().flush();
            }
        }
        return backend;
    }

    @Option(names = "--check-weights",
            description = "Read every weight once when the model opens and refuse NaN or Inf, naming the tensors (about 0.1 s"
                    + " for GPT-2 small; off by default: a run that meets NaN or Inf fails anyway and then names them).")
    boolean checkWeights;

    /** The model's local path; {@code --model} is required. A model name is resolved through the cache, downloading if needed. */
    Path modelPath() {
        if (model() == null) {
            throw new ParameterException(mixee.commandLine(), "Missing required option: '--model=MODEL'");
        }
        requireOneModel();
        return resolve(model());
    }

    /** The path of the i-th {@code --model} (for {@code compare}, which takes one or two). */
    Path modelPath(int i) {
        return resolve(models.get(i));
    }

    /** A usage error when {@code --model} was given more than once (every command but {@code compare} takes one). */
    private void requireOneModel() {
        if (models.size() > 1) {
            throw new ParameterException(mixee.commandLine(), "--model is given " + models.size() + " times: this command takes one model");
        }
    }

    /** Like {@link #modelPath()}, with the model {@code defaultName} when {@code --model} is not given. */
    Path modelPath(String defaultName) {
        requireOneModel();
        return resolve(model() != null ? model() : defaultName);
    }

    /** The model as titles should name it: a local file's or folder's name, else the name given (a hub snapshot folder is a commit hash). */
    String displayName(String defaultName) {
        return displayNameOf(model() != null ? model() : defaultName);
    }

    /** {@link #displayName} of a model given as {@code spec}. */
    static String displayNameOf(String spec) {
        Path local = localPath(spec);
        return local != null && Files.exists(local) && local.getFileName() != null ? local.getFileName().toString() : spec;
    }

    /** The model's path: {@link HubModels#locate}, with a download line on standard error. */
    private Path resolve(String spec) {
        DownloadLine progress = new DownloadLine(mixee.commandLine().getErr());
        try {
            return HubModels.locate(spec, hubOptions(mixee), progress);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            progress.finish();
        }
    }

    private static Path localPath(String spec) {
        try {
            return Path.of(spec);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** Hub options from the command line's environment, with logitlens's version in the User-Agent. */
    static HubOptions hubOptions(CommandSpec spec) {
        String version = LogitLensCli.class.getPackage().getImplementationVersion();
        return HubOptions.fromEnvironment(LogitLensCli.environment(spec)).withUserAgent("logitlens/" + (version == null ? "dev" : version));
    }

    /**
     * Download progress as one line on standard error, redrawn in place with {@code \r} at most 5 times a
     * second: the file, megabytes done and in all, the speed and the percentage. A finished file keeps its line.
     */
    static final class DownloadLine implements DownloadProgress {

        private static final long REDRAW_NANOS = 200_000_000L;

        private final PrintWriter err;
        private String file;
        private boolean fileDone;
        private long started;
        private long startBytes;
        private long lastDrawn;
        private int lastLength;
        private boolean open;

        DownloadLine(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void update(String name, long done, long total) {
            long now = System.nanoTime();
            if (!name.equals(file)) {
                finish();
                file = name;
                fileDone = false;
                started = now;
                startBytes = done;
            }
            boolean complete = total >= 0 && done >= total;
            if (fileDone || (!complete && open && now - lastDrawn < REDRAW_NANOS)) {
                return;
            }
            lastDrawn = now;
            draw(line(name, done, total, now));
            if (complete) {
                fileDone = true;
                finish();
            }
        }

        /** Ends the current line, if one is drawn. */
        void finish() {
            if (open) {
                err.println();
                err.flush();
                open = false;
                lastLength = 0;
            }
        }

        private String line(String name, long done, long total, long now) {
            double seconds = (now - started) / 1e9;
            double speed = seconds > 0.05 ? (done - startBytes) / 1e6 / seconds : 0;
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "downloading %s  %.1f", name, done / 1e6));
            if (total >= 0) {
                line.append(String.format(Locale.ROOT, " / %.1f MB  %.1f MB/s  %d%%", total / 1e6, speed,
                        total == 0 ? 100 : Math.min(100, done * 100 / total)));
            } else {
                line.append(String.format(Locale.ROOT, " MB  %.1f MB/s", speed));
            }
            return line.toString();
        }

        private void draw(String line) {
            String padding = " ".repeat(Math.max(0, lastLength - line.length()));
            err.print("\r" + line + padding);
            err.flush();
            lastLength = line.length();
            open = true;
        }
    }
}
