package dev.logitlens.api;

import dev.logitlens.hub.DownloadProgress;
import dev.logitlens.hub.HubModels;
import dev.logitlens.hub.HubOptions;
import dev.logitlens.lens.JvmProjectionKernel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.LensStatistics;
import dev.logitlens.lens.LogitLens;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.lens.SublayerStreams;
import dev.logitlens.model.CanonicalTensors;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.ModelFiles;
import dev.logitlens.model.ModelWeights;
import dev.logitlens.model.NonFiniteWeights;
import dev.logitlens.runtime.NativeModel;
import dev.logitlens.runtime.NativeProjectionKernel;
import dev.logitlens.runtime.NativeSession;
import dev.logitlens.runtime.NativeLibrary;
import dev.logitlens.runtime.NativeStatistics;
import dev.logitlens.runtime.ProjectionPrecision;
import dev.logitlens.runtime.ResidualMode;
import dev.logitlens.runtime.ResidualStream;
import dev.logitlens.time.Timings;
import dev.logitlens.time.Timings.Phase;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import dev.logitlens.tokenizer.TokenTexts;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The logit lens of one GPT-2 model, for applications: open a model file or a model by name, run the lens over
 * token ids or text, read typed results, close.
 *
 * <pre>{@code
 * try (LensModel model = LensModel.open("gpt2")) {
 *     LensResult lens = model.run("The capital of France is");
 *     int guess = lens.topTokenId(6, 4, 0);   // layer 6's top-1 at position 4
 * }
 * }</pre>
 *
 * The data path: tokens → native forward ({@link NativeSession}) → residual {@code [n_layer+1, T, d]}
 * off-heap → projection kernel → statistics ({@link LogitLens}) → {@link LensResult}.
 *
 * <p><b>Threads.</b> One LensModel may be used from several threads at once: its calls are serialised (one runs at
 * a time on a model, the others wait), so open several models for parallel work. Each call uses
 * {@link LensSettings#threads()} threads itself. {@link #close()} waits for a running call; after it, every call
 * (but {@code close} and {@code toString}) throws {@link IllegalStateException}.
 */
public final class LensModel implements AutoCloseable {

    private final String source;                // the path or the model name it was opened from
    private final NativeModel model;
    private final NativeSession session;
    private final LensSettings settings;
    private final Timings timings;
    private final LensStatistics statistics;    // null: in Java
    private final TokenTexts tokenTexts;        // the model's vocabulary as text, for every result
    private LogitLens nativeLens;               // made on first use, with the ggml projection kernel
    private LogitLens jvmLens;                  // made on first use, with the JVM kernel (packs W_U)
    private JvmProjectionKernel jvmKernel;      // jvmLens's kernel, closed here (the native one closes with the model)
    private SublayerStreams.FinalNorm finalNorm; // ln_f's weights, read on the first decomposition
    private String lastKernel;
    private boolean closed;

    private LensModel(String source, NativeModel model, NativeSession session, LensSettings settings, Timings timings) {
        this.source = source;
        this.model = model;
        this.session = session;
        this.settings = settings;
        this.timings = timings;
        this.statistics = settings.kernel().statistics() == KernelChoice.NATIVE ? NativeStatistics.INSTANCE : null;
        this.tokenTexts = TokenTexts.forVocabulary(model.config().nVocab());
    }

    /** Opens a GGUF file, a Hugging Face GPT-2 folder or an llm-viz JSON model with default settings. */
    public static LensModel open(Path path) throws IOException {
        return open(path, LensSettings.defaults());
    }

    /** Opens a GGUF file, a Hugging Face GPT-2 folder or an llm-viz JSON model. */
    public static LensModel open(Path path, LensSettings settings) throws IOException {
        return open(path, settings, path.toString());
    }

    /** {@link #open(String, LensSettings)} with default settings. */
    public static LensModel open(String model) throws IOException {
        return open(model, LensSettings.defaults());
    }

    /**
     * Opens a model given as the command line's {@code --model} takes it: a path to a GGUF file, a Hugging Face GPT-2
     * folder or an llm-viz JSON model when such a file or folder exists; else a model name, {@code gpt2},
     * {@code gpt2-medium}, {@code gpt2-large}, {@code gpt2-xl}, {@code distilgpt2} or a hub repo
     * {@code ORG/NAME[@REVISION]}, taken from the Hugging Face cache or, when it is not there, <b>downloaded into
     * it</b> (resumably, checked against the hub's sha256), without progress output. The environment variables apply
     * as for the command line: {@code HF_HOME} / {@code HF_HUB_CACHE} (where the cache is), {@code HF_ENDPOINT},
     * {@code HF_TOKEN}, and {@code HF_HUB_OFFLINE=1}, which forbids the download (a model not in the cache then
     * fails). See {@link HubModels#locate}.
     *
     * @throws IOException when the model is neither an existing path nor a model name, cannot be had from the cache
     *                     or the hub ({@link dev.logitlens.hub.HubException}), or cannot be read
     */
    public static LensModel open(String model, LensSettings settings) throws IOException {
        Path path = HubModels.locate(model, HubOptions.fromEnvironment(System.getenv()), DownloadProgress.NONE);
        return open(path, settings, model);
    }

    private static LensModel open(Path path, LensSettings settings, String source) throws IOException {
        Timings timings = new Timings();
        long mark = Timings.start();
        NativeLibrary.load();
        mark = timings.stop(Phase.LIBRARY_LOAD, mark);
        ModelWeights weights = ModelFiles.open(path);
        mark = timings.stop(Phase.MODEL_OPEN, mark);
        NativeModel model = NativeModel.adopt(weights, settings.backend(), settings.checkWeights());
        try {
            NativeSession session = model.newSession(settings.threads());
            timings.stop(Phase.WEIGHT_UPLOAD, mark);
            return new LensModel(source, model, session, settings, timings);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public synchronized Gpt2Config config() {
        ensureOpen();
        return model.config();
    }

    public synchronized LensSettings settings() {
        ensureOpen();
        return settings;
    }

    /**
     * The kernels the last {@code run} used, e.g. {@code native-f32 + native statistics}; before any run, those a
     * one-token input would use.
     */
    public synchronized String kernelName() {
        ensureOpen();
        return lastKernel != null ? lastKernel : describe(lensFor(1, model.config().nLayer() + 1));
    }

    private String describe(LogitLens lens) {
        if (lens.statisticsInGraph()) {
            return lens.kernel().name() + " + statistics in the graph (" + settings.backend().name().toLowerCase(Locale.ROOT) + ")";
        }
        return lens.kernel().name() + " + " + (statistics == null ? "jvm" : statistics.name()) + " statistics";
    }

    /**
     * The lens for an input of {@code nTokens} positions of {@code snapshots} rows each: the one of the projection
     * kernel {@link KernelChoice} picks, made with its kernel (timed as W_U preparation) on first use and kept until
     * {@link #close()}.
     */
    private LogitLens lensFor(int nTokens, int snapshots) {
        long rows = (long) nTokens * snapshots;
        long mark = Timings.start();
        if (settings.kernel().projection(settings.backend(), settings.precision(), rows) == KernelChoice.JVM) {
            if (jvmLens == null) {
                jvmKernel = new JvmProjectionKernel(model.weights().unembedding(), settings.threads());
                jvmLens = new LogitLens(jvmKernel, settings.threads(), statistics, tokenTexts, timings);
                timings.stop(Phase.UNEMBEDDING, mark);
            }
            return jvmLens;
        }
        if (nativeLens == null) {
            NativeProjectionKernel kernel = model.newProjectionKernel(settings.precision(), settings.threads());
            nativeLens = settings.kernel().inGraph(settings.backend())
                    ? LogitLens.inKernelGraph(kernel, settings.threads(), statistics, tokenTexts, timings)
                    : new LogitLens(kernel, settings.threads(), statistics, tokenTexts, timings);
            timings.stop(Phase.UNEMBEDDING, mark);
        }
        return nativeLens;
    }

    /** GPT-2's tokenisation of {@code text}; refused for models whose vocabulary is not GPT-2's. */
    public synchronized int[] tokenize(String text) {
        ensureOpen();
        Gpt2Tokenizer.requireGpt2Vocabulary(model.config().nVocab());
        long mark = Timings.start();
        int[] tokens = new Gpt2Tokenizer().encode(text);
        timings.stop(Phase.TOKENIZE, mark);
        return tokens;
    }

    /**
     * Where the time went since {@link #open}: library load, model open, weight upload, W_U preparation, and the
     * forward pass, projection and statistics of every {@code run} so far (accumulated).
     */
    public synchronized Timings timings() {
        ensureOpen();
        return timings;
    }

    /** The lens of every layer at every position of {@code tokens}, with {@link LensOptions#defaults()}. */
    public LensResult run(int[] tokens) {
        return run(tokens, -1, LensOptions.defaults());
    }

    /** The lens of every layer at every position of {@code tokens}. */
    public LensResult run(int[] tokens, LensOptions options) {
        return run(tokens, -1, options);
    }

    /**
     * The lens of a window of a longer text: {@code following} is the token after the window's last position
     * (its true next token), or −1 when the text ends there.
     */
    public LensResult run(int[] tokens, int following, LensOptions options) {
        return run(tokens, following, options, Snapshots.Kind.LAYERS);
    }

    /**
     * The lens of {@code tokens} over the rows {@code rows} names ({@link Snapshots}): {@code LAYERS} is the plain
     * lens ({@link #run(int[], int, LensOptions)}); {@code SUBLAYERS} adds the stream after each block's attention
     * ({@code in, h1.attn, h1, …}); {@code DECOMPOSED} decodes each sublayer's own output through ln_f with the final
     * stream's normalisation ({@code embed, attn1, mlp1, …, hn}; {@link SublayerStreams#decompose}), with or without
     * the affine as {@link LensSettings#mode()} says. KL to the final layer and ranks of the final top-1 are always
     * against the last row (the model's output), KL to the input against the first. {@link LensResult#snapshots()}
     * names the rows; {@link LensOptions#distributionCells()} index them.
     *
     * @param following the token after the window's last position, or −1 when the text ends there
     */
    public synchronized LensResult run(int[] tokens, int following, LensOptions options, Snapshots.Kind rows) {
        ensureOpen();
        int nLayer = model.config().nLayer();
        Snapshots snapshots = new Snapshots(rows, nLayer);
        try (Arena arena = Arena.ofConfined()) {
            long mark = Timings.start();
            ResidualMode mode = rows == Snapshots.Kind.DECOMPOSED ? ResidualMode.RAW : settings.mode();
            ResidualStream stream = session.forward(tokens, mode, rows != Snapshots.Kind.LAYERS, arena); // [n_layer+1, T, d] (+ mid [n_layer, T, d])
            int d = stream.width();
            MemorySegment residual = switch (rows) { // [S, T, d]
                case LAYERS -> stream.residual();
                case SUBLAYERS -> SublayerStreams.interleave(stream.residual(), stream.mid(), nLayer, tokens.length, d, arena);
                case DECOMPOSED -> SublayerStreams.decompose(stream.residual(), stream.mid(), nLayer, tokens.length, d,
                        finalNorm(), settings.mode() == ResidualMode.NORMALISED, arena);
            };
            timings.stop(Phase.FORWARD, mark);
            LogitLens lens = lensFor(tokens.length, snapshots.count());
            try {
                LensResult result = lens.run(residual, snapshots, stream.nTokens(), tokens, following, options);
                lastKernel = describe(lens);
                return result;
            } catch (ArithmeticException e) { // non-finite logits: W_U holds NaN or Inf
                throw new ArithmeticException(e.getMessage() + NonFiniteWeights.suspects(model.weights()));
            }
        }
    }

    /** ln_f's gain and bias as floats, read once. */
    private SublayerStreams.FinalNorm finalNorm() {
        if (finalNorm == null) {
            ModelWeights weights = model.weights();
            finalNorm = SublayerStreams.FinalNorm.of(weights.tensor(CanonicalTensors.OUTPUT_NORM_WEIGHT),
                    weights.tensor(CanonicalTensors.OUTPUT_NORM_BIAS), model.config().normEps());
        }
        return finalNorm;
    }

    /** The lens of {@code text}, tokenised with GPT-2's byte-pair encoding ({@link #tokenize}), with {@link LensOptions#defaults()}. */
    public LensResult run(String text) {
        return run(text, LensOptions.defaults());
    }

    /** The lens of {@code text}, tokenised with GPT-2's byte-pair encoding ({@link #tokenize}). */
    public LensResult run(String text, LensOptions options) {
        return run(tokenize(text), options);
    }

    /**
     * The logits of positions {@code [first, first + positions)} at every layer of a residual stream this model made
     * ({@link #residuals}), {@code [positions, n_layer + 1, V]} float32 into {@code out}, by the projection kernel a
     * run of that stream would use: for statistics over whole distributions a block at a time
     * ({@link dev.logitlens.lens.LensComparison}), never the {@code [n_layer + 1, T, V]} tensor.
     */
    public synchronized void project(ResidualStream stream, int first, int positions, MemorySegment out) {
        ensureOpen();
        lensFor(stream.nTokens(), stream.nLayers() + 1).project(stream.residual(), stream.nLayers(), stream.nTokens(), first, positions, out);
    }

    /** The residual stream itself, {@code [n_layer+1, T, d]} in {@code arena} (for probes and dumps). */
    public synchronized ResidualStream residuals(int[] tokens, Arena arena) {
        ensureOpen();
        return session.forward(tokens, settings.mode(), false, arena);
    }

    /** Waits for a running call, then releases the lenses, the kernels and the model. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (nativeLens != null) {
            nativeLens.close();
        }
        if (jvmLens != null) {
            jvmLens.close();
        }
        if (jvmKernel != null) {
            jvmKernel.close();
        }
        model.close(); // closes the session, the native kernel and the weights
    }

    /**
     * The model (its path or name), its shape, and how it runs, e.g.
     * {@code LensModel[gpt2: n_layer=12, d_model=768, vocab=50257; CPU, 8 threads, kernel AUTO (last: jvm-vector + native statistics)]}.
     */
    @Override
    public synchronized String toString() {
        if (closed) {
            return "LensModel[" + source + ", closed]";
        }
        Gpt2Config config = model.config();
        return "LensModel[" + source + ": n_layer=" + config.nLayer() + ", d_model=" + config.nEmbd() + ", vocab="
                + config.nVocab() + "; " + settings.backend() + ", " + settings.threads() + " threads, kernel "
                + settings.kernel() + (settings.precision() == ProjectionPrecision.F32 ? "" : " " + settings.precision())
                + (lastKernel != null ? " (last: " + lastKernel + ")" : "") + "]";
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the model " + source + " is closed");
        }
    }
}
