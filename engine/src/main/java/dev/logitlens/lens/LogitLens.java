package dev.logitlens.lens;

import dev.logitlens.time.Timings;
import dev.logitlens.time.Timings.Phase;
import dev.logitlens.tokenizer.TokenTexts;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * The logit lens: decodes the normalised residual of every layer at every position through W_U and
 * summarises each distribution ({@link LensResult}).
 *
 * <p>Work goes block by block: a block is all n_layer + 1 layers of {@link LensOptions#positionsPerBlock()}
 * positions, gathered into {@code [P·(n_layer + 1), d]} rows, projected by the {@link ProjectionKernel}
 * into {@code [P·(n_layer + 1), V]} logits (the only O(V) buffer per row in flight: the full
 * {@code [n_layer + 1, T, V]} tensor never exists), then summarised position by position on the lens's
 * statistics threads. Holding all layers of a position together keeps the final layer's and layer 0's logits
 * at hand for the KL divergences.
 *
 * <p>With a {@link GraphLensKernel} ({@link #inKernelGraph}) a block instead goes to the kernel whole: projection and
 * statistics run as one graph on its backend and only the cells come back (the logits are then never on the host,
 * except for a block holding a cell whose full distribution the options keep, and for every block when tokens are
 * tracked: those go the usual way).
 *
 * <p>A lens owns, for its lifetime, its statistics threads and its off-heap block buffers (the logits block,
 * ~63 MB for GPT-2 small at the default 24 positions): the buffers are allocated by the first run and again only
 * when a run needs larger ones; {@link #close()} releases both. Runs are serialised (one at a time per lens).
 */
public final class LogitLens implements AutoCloseable {

    private final ProjectionKernel kernel;
    private final LensStatistics statistics;       // null: in Java (PositionAnalyzer)
    private GraphLensKernel graph;                 // non-null: blocks run whole in the kernel's graph
    private final IntFunction<String> tokenTexts;  // token id -> text, handed to every result
    private final Timings timings;                 // projection and statistics, accumulated over runs
    private final WorkerPool workers;              // the statistics threads
    private Arena blockArena;                      // holds rows and logits; null before the first run and after close
    private MemorySegment rows;                    // [P·S, d] float32 gathered residual rows of a block
    private MemorySegment logits;                  // [P·S, V] float32 logits of a block; null until a block needs it
    private long blockRows;                        // P·S: the rows the buffers hold
    private boolean closed;

    /**
     * A lens with its statistics computed in Java, token texts for the kernel's vocabulary
     * ({@link TokenTexts#forVocabulary}) and timings of its own.
     *
     * @param kernel  projects rows onto the vocabulary; not closed by the lens
     * @param threads statistics threads, ≥ 1
     */
    public LogitLens(ProjectionKernel kernel, int threads) {
        this(kernel, threads, null, TokenTexts.forVocabulary(kernel.vocabSize()), new Timings());
    }

    /**
     * @param kernel     projects rows onto the vocabulary; not closed by the lens
     * @param threads    statistics threads, ≥ 1
     * @param statistics computes the statistics of the logits, or null to compute them in Java ({@link PositionAnalyzer})
     * @param tokenTexts a token id's text, handed to every result ({@link LensResult#tokenText})
     * @param timings    receives each run's projection and statistics time
     */
    public LogitLens(ProjectionKernel kernel, int threads, LensStatistics statistics, IntFunction<String> tokenTexts,
                     Timings timings) {
        this(kernel, null, threads, statistics, tokenTexts, timings);
    }

    /**
     * A lens whose blocks run whole in {@code kernel}'s graph (projection and statistics on its backend,
     * {@link GraphLensKernel}); a block whose logits the options need on the host (cells kept whole) is projected
     * by the kernel and summarised by {@code statistics} instead.
     *
     * @param statistics computes the statistics of a block projected the usual way, or null to compute them in Java
     * @param timings    receives each run's time: a graph block's as projection
     */
    public static LogitLens inKernelGraph(GraphLensKernel kernel, int threads, LensStatistics statistics,
                                          IntFunction<String> tokenTexts, Timings timings) {
        return new LogitLens(kernel, Objects.requireNonNull(kernel, "kernel"), threads, statistics, tokenTexts, timings);
    }

    private LogitLens(ProjectionKernel kernel, GraphLensKernel graph, int threads, LensStatistics statistics,
                      IntFunction<String> tokenTexts, Timings timings) {
        this.kernel = Objects.requireNonNull(kernel, "kernel");
        this.graph = graph;
        this.statistics = statistics;
        this.tokenTexts = Objects.requireNonNull(tokenTexts, "tokenTexts");
        this.timings = Objects.requireNonNull(timings, "timings");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        this.workers = new WorkerPool(threads, "logitlens-statistics");
    }

    public ProjectionKernel kernel() {
        return kernel;
    }

    /**
     * Whether blocks run whole in the kernel's graph ({@link #inKernelGraph}); false for other lenses, and after a
     * backend turned out to lack one of the graph's operations.
     */
    public synchronized boolean statisticsInGraph() {
        return graph != null;
    }

    /** The number of statistics threads. */
    public int threads() {
        return workers.threads();
    }

    /**
     * Runs the lens.
     *
     * @param residual {@code [nLayers + 1, nTokens, d]} float32 (native byte order): layer 0 = embeddings, already
     *                 normalised by ln_f
     * @param nLayers  n_layer, the number of transformer blocks (≥ 0)
     * @param nTokens  T, the number of positions (≥ 1)
     * @param tokens   {@code [T]} the input token ids, each in [0, V)
     * @param options  top-k, cells to keep whole and blocking
     * @throws IllegalStateException after {@link #close()}
     */
    public LensResult run(MemorySegment residual, int nLayers, int nTokens, int[] tokens, LensOptions options) {
        return run(residual, nLayers, nTokens, tokens, -1, options);
    }

    /**
     * Runs the lens over a window of a longer text: like {@link #run(MemorySegment, int, int, int[], LensOptions)},
     * with {@code following}, the token that comes after the window's last position, as that position's true next
     * token (−1 when the text ends there, as in the plain run).
     */
    public LensResult run(MemorySegment residual, int nLayers, int nTokens, int[] tokens, int following,
                          LensOptions options) {
        if (nLayers < 0) {
            throw new IllegalArgumentException("nLayers must be non-negative, not " + nLayers);
        }
        return run(residual, Snapshots.layers(nLayers), nTokens, tokens, following, options);
    }

    /**
     * Runs the lens over any rows of the residual stream: {@code residual} holds {@code snapshots.count()} rows per
     * position ({@code [S, nTokens, d]}), the first the reference of "KL to the input", the last that of "KL to the
     * final layer" and "rank of the final top-1"; the result's rows are named by {@code snapshots}. The layer lens is
     * {@link Snapshots#layers}; {@link SublayerStreams} makes the rows of the others.
     */
    public synchronized LensResult run(MemorySegment residual, Snapshots snapshots, int nTokens, int[] tokens,
                                       int following, LensOptions options) {
        Objects.requireNonNull(snapshots, "snapshots");
        int nLayers = snapshots.last(); // the last row
        if (closed) {
            throw new IllegalStateException("the lens is closed");
        }
        validate(residual, nLayers, nTokens, tokens, options);
        if (following < -1 || following >= kernel.vocabSize()) {
            throw new IllegalArgumentException("following token id " + following + " is outside the vocabulary [0, "
                    + kernel.vocabSize() + ") (or -1 for none)");
        }
        int vocab = kernel.vocabSize();
        int rowsPerPosition = snapshots.count(); // S
        int positionsPerBlock = Math.min(options.positionsPerBlock(), nTokens);
        int threads = Math.min(workers.threads(), positionsPerBlock);
        int topK = options.topKFor(vocab);
        LensResult result = new LensResult(snapshots, tokens, following, topK, vocab, options.distributionCells(),
                tokenTexts);
        ensureRows((long) positionsPerBlock * rowsPerPosition);
        TrackedTokens tracked = options.trackedTokens().isEmpty() ? TrackedTokens.none()
                : new TrackedTokens(options.trackedTokens().stream().mapToInt(Integer::intValue).toArray(), rowsPerPosition, nTokens);
        result.tracked = tracked;
        BlockSummary summary = statistics != null
                ? new CellSummary(positionsPerBlock, rowsPerPosition, topK)
                : new JvmSummary(threads, vocab, topK);
        GraphSummary graphSummary = graph != null ? new GraphSummary(positionsPerBlock, rowsPerPosition, topK) : null;
        for (int first = 0; first < nTokens; first += positionsPerBlock) {
            int positions = Math.min(positionsPerBlock, nTokens - first);
            gather(residual, nTokens, rowsPerPosition, first, positions);
            long mark = Timings.start();
            if (graph != null && !needsLogits(result, first, positions)) {
                try {
                    graphSummary.summarise(rows, first, positions, rowsPerPosition, result);
                    timings.stop(Phase.PROJECTION, mark);
                    continue;
                } catch (UnsupportedOperationException e) { // the backend lacks an operation: the usual way from now on
                    graph = null;
                }
            }
            ensureLogits();
            kernel.project(rows, positions * rowsPerPosition, logits);
            mark = timings.stop(Phase.PROJECTION, mark);
            summary.summarise(workers, logits, first, positions, rowsPerPosition, result);
            track(tracked, logits, first, positions, rowsPerPosition, result);
            copyDistributions(logits, first, positions, rowsPerPosition, result);
            timings.stop(Phase.STATISTICS, mark);
        }
        requireFiniteLogits(result);
        return result;
    }

    /**
     * The logits of the positions {@code [first, first + positions)} at every layer, without statistics: for
     * computations that need whole distributions of a few positions at a time ({@link LensComparison}).
     *
     * @param residual {@code [nLayers + 1, nTokens, d]} float32, as {@link #run}
     * @param out      {@code [positions, nLayers + 1, V]} float32, each position's rows, layer 0 first
     * @throws IllegalStateException after {@link #close()}
     */
    public synchronized void project(MemorySegment residual, int nLayers, int nTokens, int first, int positions, MemorySegment out) {
        if (closed) {
            throw new IllegalStateException("the lens is closed");
        }
        Objects.requireNonNull(residual, "residual");
        Objects.requireNonNull(out, "out");
        Objects.checkFromIndexSize(first, positions, nTokens);
        int snapshots = nLayers + 1;
        long needed = (long) snapshots * nTokens * kernel.width() * Float.BYTES;
        if (residual.byteSize() < needed) {
            throw new IllegalArgumentException("residual segment too small: needs " + needed + " bytes, got " + residual.byteSize());
        }
        if (out.byteSize() < (long) positions * snapshots * kernel.vocabSize() * Float.BYTES) {
            throw new IllegalArgumentException("out is smaller than [" + positions + ", " + snapshots + ", " + kernel.vocabSize() + "] float32");
        }
        ensureRows((long) positions * snapshots);
        gather(residual, nTokens, snapshots, first, positions);
        long mark = Timings.start();
        kernel.project(rows, positions * snapshots, out);
        timings.stop(Phase.PROJECTION, mark);
    }

    /** Copies the rows of positions {@code [first, first + positions)} into {@link #rows}, {@code [positions, snapshots, d]}. */
    private void gather(MemorySegment residual, int nTokens, int snapshots, int first, int positions) {
        long rowBytes = (long) kernel.width() * Float.BYTES;
        for (int p = 0; p < positions; p++) {
            for (int layer = 0; layer < snapshots; layer++) {
                long source = ((long) layer * nTokens + first + p) * rowBytes;
                MemorySegment.copy(residual, source, rows, (long) (p * snapshots + layer) * rowBytes, rowBytes);
            }
        }
    }

    /**
     * A NaN or +Inf logit makes a cell's log-sum-exp non-finite, and then every probability, KL and rank of the cell
     * meaningless: refused, naming the first cell, rather than written out as numbers. (The native forward pass already
     * refuses a non-finite residual; this catches the unembedding W_U, which the residual never meets.)
     */
    private static void requireFiniteLogits(LensResult result) {
        int nTokens = result.nTokens();
        for (int cell = 0; cell < result.logSumExp.length; cell++) { // [n_layer + 1, T]
            if (!Double.isFinite(result.logSumExp[cell])) {
                int row = cell / nTokens;
                String where = result.snapshots().kind() == Snapshots.Kind.LAYERS
                        ? "layer " + row + " (0 = the embeddings)" : "row " + result.snapshots().label(row);
                throw new ArithmeticException("the logits at " + where + ", position "
                        + cell % nTokens + " are not all finite (their log-sum-exp is " + result.logSumExp[cell]
                        + "): the unembedding W_U holds NaN or Inf");
            }
        }
    }

    /**
     * Makes the rows buffer hold at least {@code neededRows} rows: kept when large enough, else allocated anew (and
     * the logits buffer with it, made again by {@link #ensureLogits} when a block needs it).
     */
    private void ensureRows(long neededRows) {
        if (blockArena != null && blockRows >= neededRows) {
            return;
        }
        if (blockArena != null) {
            blockArena.close();
            blockArena = null;
            logits = null;
        }
        Arena arena = Arena.ofShared();
        try {
            rows = arena.allocate(neededRows * kernel.width() * Float.BYTES, 64);
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
        blockArena = arena;
        blockRows = neededRows;
    }

    /** Allocates the logits buffer, {@code [blockRows, V]}, in the rows' arena unless it exists. */
    private void ensureLogits() {
        if (logits == null) {
            logits = blockArena.allocate(blockRows * kernel.vocabSize() * Float.BYTES, 64);
        }
    }

    /**
     * Whether the block of positions {@code [first, first + positions)} needs its logits on the host: it holds a cell
     * whose logits are kept whole, or tokens are tracked.
     */
    private static boolean needsLogits(LensResult result, int first, int positions) {
        if (result.tracked().size() > 0) { // tracked tokens are read from the logits on the host
            return true;
        }
        for (LensCell cell : result.distributionCells()) {
            if (cell.position() >= first && cell.position() < first + positions) {
                return true;
            }
        }
        return false;
    }

    /** Stops the statistics threads and frees the block buffers; waits for a running {@code run}. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        workers.close();
        if (blockArena != null) {
            blockArena.close();
            blockArena = null;
            rows = null;
            logits = null;
        }
    }

    /** The statistics of one block of logits {@code [positions, snapshots, V]} into the result. */
    private interface BlockSummary {
        void summarise(WorkerPool workers, MemorySegment logits, int first, int positions, int snapshots, LensResult result);
    }

    /** In Java: one {@link PositionAnalyzer} per statistics thread, a position at a time. */
    private static final class JvmSummary implements BlockSummary {
        private final PositionAnalyzer[] analyzers;

        JvmSummary(int threads, int vocab, int topK) {
            analyzers = new PositionAnalyzer[threads];
            for (int w = 0; w < threads; w++) {
                analyzers[w] = new PositionAnalyzer(vocab, topK);
            }
        }

        @Override
        public void summarise(WorkerPool workers, MemorySegment logits, int first, int positions, int snapshots,
                              LensResult result) {
            long positionBytes = (long) snapshots * result.vocabSize() * Float.BYTES;
            workers.forEachChunk(positions, (worker, p) -> analyzers[worker].analyze(logits, p * positionBytes, first + p, result));
        }
    }

    /** By {@link #statistics} ({@link LensStatistics}), each statistics thread taking a share of the positions. */
    private final class CellSummary implements BlockSummary {
        private final CellStatistics cells; // [P, S] cells of one block

        /** The cells' few bytes per run are left to the garbage collector ({@link Arena#ofAuto()}). */
        CellSummary(int positionsPerBlock, int snapshots, int topK) {
            cells = new CellStatistics(positionsPerBlock * snapshots, topK, Arena.ofAuto());
        }

        @Override
        public void summarise(WorkerPool workers, MemorySegment logits, int first, int positions, int snapshots,
                              LensResult result) {
            long positionBytes = (long) snapshots * result.vocabSize() * Float.BYTES;
            workers.forEachChunk(positions, (worker, p) -> {
                int pos = first + p;
                CellStatistics slice = cells.slice(p * snapshots, snapshots);
                statistics.summarise(logits.asSlice(p * positionBytes, positionBytes), 1, snapshots, result.vocabSize(),
                        new int[] {result.tokenId(pos)}, new int[] {result.nextTokenId(pos)}, slice);
                for (int layer = 0; layer < snapshots; layer++) {
                    slice.copyInto(layer, result, layer, pos);
                }
            });
        }
    }

    /** By the kernel's graph ({@link GraphLensKernel}): projection and statistics of the block in one call. */
    private final class GraphSummary {
        private final CellStatistics cells; // [P, S] cells of one block

        GraphSummary(int positionsPerBlock, int snapshots, int topK) {
            cells = new CellStatistics(positionsPerBlock * snapshots, topK, Arena.ofAuto());
        }

        void summarise(MemorySegment rows, int first, int positions, int snapshots, LensResult result) {
            int[] inputs = new int[positions];
            int[] nexts = new int[positions];
            for (int p = 0; p < positions; p++) {
                inputs[p] = result.tokenId(first + p);
                nexts[p] = result.nextTokenId(first + p);
            }
            graph.projectAndSummarise(rows, positions, snapshots, inputs, nexts, cells);
            for (int p = 0; p < positions; p++) {
                for (int layer = 0; layer < snapshots; layer++) {
                    cells.copyInto(p * snapshots + layer, result, layer, first + p);
                }
            }
        }
    }

    /** The tracked tokens' cells of a block, after its log-sum-exps are in the result; each thread a share of the positions. */
    private void track(TrackedTokens tracked, MemorySegment logits, int first, int positions, int snapshots, LensResult result) {
        if (tracked.size() == 0) {
            return;
        }
        int vocab = result.vocabSize();
        long positionBytes = (long) snapshots * vocab * Float.BYTES;
        workers.forEachChunk(positions, (worker, p) -> tracked.record(logits, p * positionBytes, first + p, vocab,
                result.logSumExp, new float[tracked.size()], new int[tracked.size()]));
    }

    /** The full logits of the cells the options asked to keep whole. */
    private static void copyDistributions(MemorySegment logits, int first, int positions, int snapshots, LensResult result) {
        int vocab = result.vocabSize();
        for (int p = 0; p < positions; p++) {
            for (int layer = 0; layer < snapshots; layer++) {
                int distribution = result.distributionIndex(layer, first + p);
                if (distribution >= 0) {
                    long offset = (long) (p * snapshots + layer) * vocab * Float.BYTES;
                    MemorySegment.copy(logits, ValueLayout.JAVA_FLOAT_UNALIGNED, offset, result.cellLogits[distribution], 0, vocab);
                }
            }
        }
    }

    private void validate(MemorySegment residual, int nLayers, int nTokens, int[] tokens, LensOptions options) {
        Objects.requireNonNull(residual, "residual");
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(options, "options");
        if (nLayers < 0) {
            throw new IllegalArgumentException("nLayers must be non-negative, not " + nLayers);
        }
        if (nTokens < 1) {
            throw new IllegalArgumentException("nTokens must be at least 1, not " + nTokens);
        }
        if (tokens.length != nTokens) {
            throw new IllegalArgumentException("tokens has " + tokens.length + " ids but nTokens is " + nTokens);
        }
        int vocab = kernel.vocabSize();
        for (int t = 0; t < nTokens; t++) {
            if (tokens[t] < 0 || tokens[t] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[t] + " at position " + t + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        long needed = (long) (nLayers + 1) * nTokens * kernel.width() * Float.BYTES;
        if (residual.byteSize() < needed) {
            throw new IllegalArgumentException("residual segment too small: [" + (nLayers + 1) + ", " + nTokens + ", " + kernel.width()
                    + "] float32 needs " + needed + " bytes, got " + residual.byteSize());
        }
        for (int id : options.trackedTokens()) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("tracked token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        for (LensCell cell : options.distributionCells()) {
            if (cell.layer() > nLayers || cell.position() >= nTokens) {
                throw new IllegalArgumentException("distribution cell " + cell + " is outside the grid of " + (nLayers + 1)
                        + " layers × " + nTokens + " positions");
            }
        }
    }
}
