package dev.logitlens.api;

import dev.logitlens.lens.JvmProjectionKernel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.LogitLens;
import dev.logitlens.lens.ProjectionKernel;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.ModelFiles;
import dev.logitlens.model.ModelWeights;
import dev.logitlens.runtime.NativeModel;
import dev.logitlens.runtime.NativeSession;
import dev.logitlens.runtime.ResidualStream;
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
    private final ProjectionKernel kernel;
    private final LogitLens lens;
    private final LensSettings settings;

    private LensModel(NativeModel model, NativeSession session, ProjectionKernel kernel, LensSettings settings) {
        this.model = model;
        this.session = session;
        this.kernel = kernel;
        this.lens = new LogitLens(kernel);
        this.settings = settings;
    }

    /** Opens a GGUF file, a Hugging Face GPT-2 folder or an llm-viz JSON model with default settings. */
    public static LensModel open(Path path) throws IOException {
        return open(path, LensSettings.defaults());
    }

    public static LensModel open(Path path, LensSettings settings) throws IOException {
        ModelWeights weights = ModelFiles.open(path);
        NativeModel model;
        try {
            model = NativeModel.create(weights, settings.backend());
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
        try {
            NativeSession session = model.newSession(settings.threads());
            ProjectionKernel kernel = switch (settings.kernel().resolve(settings.backend(), settings.precision())) {
                case JVM -> new JvmProjectionKernel(model.weights().unembedding(), settings.threads());
                default -> model.newProjectionKernel(settings.precision(), settings.threads());
            };
            return new LensModel(model, session, kernel, settings);
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

    /** The name of the projection kernel in use, e.g. {@code native-f32}. */
    public String kernelName() {
        return kernel.name();
    }

    /** GPT-2's tokenisation of {@code text}; refused for models whose vocabulary is not GPT-2's. */
    public int[] tokenize(String text) {
        Gpt2Tokenizer.requireGpt2Vocabulary(config().nVocab());
        return new Gpt2Tokenizer().encode(text);
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
            ResidualStream stream = session.forward(tokens, settings.mode(), false, arena); // [n_layer+1, T, d]
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
        kernel.close();
        model.close(); // closes the session and the weights
    }
}
