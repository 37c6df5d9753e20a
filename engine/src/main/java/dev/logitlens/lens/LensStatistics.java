package dev.logitlens.lens;

import java.lang.foreign.MemorySegment;

/**
 * Computes the statistics of blocks of logits outside the JVM's own {@link PositionAnalyzer}: the statistics half
 * of a lens kernel, independent of which {@link ProjectionKernel} made the logits. Implementations are pure
 * functions of their arguments, safe to call from several threads at once on disjoint cells.
 */
public interface LensStatistics {

    /** A short name for reports and benchmarks, e.g. {@code native}. */
    String name();

    /**
     * The statistics of a block of logits.
     *
     * @param logits {@code [positions, snapshots, V]} float32 in native memory: each position's rows, layer 0 first
     * @param vocab  V
     * @param inputs {@code [positions]} each position's token; {@code nexts} {@code [positions]} its true next token or -1
     * @param out    at least {@code positions · snapshots} cells, position-major
     */
    void summarise(MemorySegment logits, int positions, int snapshots, int vocab, int[] inputs, int[] nexts, CellStatistics out);
}
