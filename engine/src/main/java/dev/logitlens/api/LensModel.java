package dev.logitlens.api;

import dev.logitlens.lens.JvmProjectionKernel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.LensStatistics;
import dev.logitlens.lens.LogitLens;
import dev.logitlens.lens.ProjectionKernel;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.ModelFiles;
import dev.logitlens.model.ModelWeights;
import dev.logitlens.runtime.NativeModel;
import dev.logitlens.runtime.NativeSession;
import dev.logitlens.runtime.NativeLibrary;
import dev.logitlens.runtime.NativeStatistics;
import dev.logitlens.runtime.ResidualStream;
import dev.logitlens.time.Timings;
import dev.logitlens.time.Timings.Phase;
import dev.logitlens.tokenizer.Gpt2Tokenizer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * The logit lens of one GPT-2 model, for applications: open a model file, run the lens over token ids
 * or text, read typed results, close.
 *
 * <pre>{@code
 * try (LensModel model = LensModel.open(Path.of("gpt2.gguf"))) {
 *     LensResult lens = model.run("The capital of France is", LensOptions.defaults());
 *     int guess = lens.topTokenId(6, 4, 0);   // layer 6's top-1 at position 4
 * }
 * }</pre>
 *
 * The data path: tokens → native forward ({@link NativeSession}) → residual {@code [n_layer+1, T, d]}
 * off-heap → projection kernel → statistics ({@link LogitLens}) → {@link LensResult}. Calls are
 * serialised; open one LensModel per thread for parallel work.
 */
public final class LensModel implements AutoCloseable {

    private final NativeModel model;
    private final NativeSession session;
    private final LensSettings settings;
    private final Timings timings;
    private final LensStatistics statistics; // null: in Java
    private ProjectionKernel nativeKernel;   // made on first use
    private ProjectionKernel jvmKernel;      // made on first use (packs W_U)
    private String lastKernel;

    private LensModel(NativeModel model, NativeSession session, LensSettings settings, Timings timings) {
        this.model = model;
        this.session = session;
        this.settings = settings;
        this.timings = timings;
        this.statistics = settings.kernel().statistics() == KernelChoice.NATIVE ? NativeStatistics.INSTANCE : null;
    }

    /** Opens a GGUF file, a Hugging Face GPT-2 folder or an llm-viz JSON model with default settings. */
    public static LensModel open(Path path) throws IOException {
        return open(path, LensSettings.defaults());
    }

    public static LensModel open(Path path, LensSettings settings) throws IOException {
        Timings timings = new Timings();
        long mark = Timings.start();
        NativeLibrary.load();
        mark = timings.stop(Phase.LIBRARY_LOAD, mark);
        ModelWeights weights = ModelFiles.open(path);
        mark = timings.stop(Phase.MODEL_OPEN, mark);
        NativeModel model;
        try {
            model = NativeModel.create(weights, settings.backend());
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
        try {
            NativeSession session = model.newSession(settings.threads());
            timings.stop(Phase.WEIGHT_UPLOAD, mark);
            return new LensModel(model, session, settings, timings);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public Gpt2Config config() {
        return model.config();
    }

    public LensSettings settings() {
        return settings;
    }

    /**
     * The kernels the last {@code run} used, e.g. {@code native-f32 + native statistics}; before any run, those a
     * one-token input would use.
     */
    public synchronized String kernelName() {
        return lastKernel != null ? lastKernel : describe(kernelFor(1), statistics);
    }

    private static String describe(ProjectionKernel kernel, LensStatistics statistics) {
        return kernel.name() + " + " + (statistics == null ? "jvm" : statistics.name()) + " statistics";
    }

    /** The projection kernel for an input of {@code nTokens} positions, made (and timed as W_U preparation) on first use. */
    private ProjectionKernel kernelFor(int nTokens) {
        long rows = (long) nTokens * (config().nLayer() + 1);
        long mark = Timings.start();
        ProjectionKernel kernel;
        if (settings.kernel().projection(settings.backend(), settings.precision(), rows) == KernelChoice.JVM) {
            if (jvmKernel == null) {
                jvmKernel = new JvmProjectionKernel(model.weights().unembedding(), settings.threads());
                timings.stop(Phase.UNEMBEDDING, mark);
            }
            kernel = jvmKernel;
        } else {
            if (nativeKernel == null) {
                nativeKernel = model.newProjectionKernel(settings.precision(), settings.threads());
                timings.stop(Phase.UNEMBEDDING, mark);
            }
            kernel = nativeKernel;
        }
        return kernel;
    }

    /** GPT-2's tokenisation of {@code text}; refused for models whose vocabulary is not GPT-2's. */
    public int[] tokenize(String text) {
        Gpt2Tokenizer.requireGpt2Vocabulary(config().nVocab());
        long mark = Timings.start();
        int[] tokens = new Gpt2Tokenizer().encode(text);
        timings.stop(Phase.TOKENIZE, mark);
        return tokens;
    }

    /**
     * Where the time went since {@link #open}: library load, model open, weight upload, W_U preparation, and the
     * forward pass, projection and statistics of every {@code run} so far (accumulated).
     */
    public Timings timings() {
        return timings;
    }

    /** The lens of every layer at every position of {@code tokens}. */
    public LensResult run(int[] tokens, LensOptions options) {
        return run(tokens, -1, options);
    }

    /**
     * The lens of a window of a longer text: {@code following} is the token after the window's last position
     * (its true next token), or −1 when the text ends there.
     */
    public synchronized LensResult run(int[] tokens, int following, LensOptions options) {
        try (Arena arena = Arena.ofConfined()) {
            long mark = Timings.start();
            ResidualStream stream = session.forward(tokens, settings.mode(), false, arena); // [n_layer+1, T, d]
            timings.stop(Phase.FORWARD, mark);
            ProjectionKernel kernel = kernelFor(tokens.length);
            lastKernel = describe(kernel, statistics);
            LogitLens lens = new LogitLens(kernel, statistics, timings);
            return lens.run(stream.residual(), stream.nLayers(), stream.nTokens(), tokens, following, options);
        }
    }

    /** The lens of {@code text}, tokenised with GPT-2's byte-pair encoding ({@link #tokenize}). */
    public LensResult run(String text, LensOptions options) {
        return run(tokenize(text), options);
    }

    /** The residual stream itself, {@code [n_layer+1, T, d]} in {@code arena} (for probes and dumps). */
    public synchronized ResidualStream residuals(int[] tokens, Arena arena) {
        return session.forward(tokens, settings.mode(), false, arena);
    }

    @Override
    public synchronized void close() {
        if (jvmKernel != null) {
            jvmKernel.close();
        }
        model.close(); // closes the session, the native kernel and the weights
    }
}
