package dev.logitlens.lens;

import java.lang.foreign.MemorySegment;

/**
 * A projection kernel that can also run the whole lens of a block where it computes: the projection and every
 * statistic in one graph on its backend, handing back only the cells. On a GPU the block's {@code [P·S, V]} logits
 * then never cross to the host, where they would be 63 MB per block of GPT-2 small (the shim's {@code ll_lens}).
 * The cells follow the rules and units of {@link LensResult}; see the implementation for its tolerances.
 */
public interface GraphLensKernel extends ProjectionKernel {

    /**
     * The statistics of {@code rows} projected onto the vocabulary.
     *
     * @param rows      {@code [positions, snapshots, d]} float32 in native memory: each position's residual rows,
     *                  layer 0 first and the final layer last
     * @param inputs    {@code [positions]} each position's token; {@code nexts} {@code [positions]} its true next
     *                  token or −1
     * @param out       at least {@code positions · snapshots} cells, position-major
     * @return how many positions were recomputed on the host from their logits because ties or non-finite values
     *         made the graph's result uncertain (0 normally)
     * @throws UnsupportedOperationException when the backend cannot compute an operation of the graph (a lens then
     *                                       projects and summarises the usual way instead)
     */
    int projectAndSummarise(MemorySegment rows, int positions, int snapshots, int[] inputs, int[] nexts,
                            CellStatistics out);
}
