package dev.logitlens.runtime;

import java.lang.foreign.MemorySegment;

/**
 * The residual stream of one forward pass, off-heap.
 *
 * @param residual [nLayers+1, nTokens, width] float32: after the embeddings, then after each block
 * @param mid      [nLayers, nTokens, width] float32 after each block's attention, or null
 */
public record ResidualStream(MemorySegment residual, MemorySegment mid, int nLayers, int nTokens, int width, ResidualMode mode) {

    /** The float at (snapshot, position, channel) of {@link #residual()}; snapshot 0 is the embeddings. */
    public float at(int snapshot, int position, int channel) {
        long index = ((long) snapshot * nTokens + position) * width + channel;
        return residual.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, index);
    }

    /** One row {@code [width]} of {@link #residual()}, as a slice (no copy). */
    public MemorySegment row(int snapshot, int position) {
        long rowBytes = (long) width * Float.BYTES;
        return residual.asSlice(((long) snapshot * nTokens + position) * rowBytes, rowBytes);
    }
}
