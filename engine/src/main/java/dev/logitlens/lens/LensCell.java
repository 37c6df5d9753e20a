package dev.logitlens.lens;

/**
 * One (layer, position) cell of the lens grid.
 *
 * @param layer    0 = embeddings, n_layer = the final block's output
 * @param position token position, 0-based
 */
public record LensCell(int layer, int position) {

    public LensCell {
        if (layer < 0 || position < 0) {
            throw new IllegalArgumentException("layer and position must be non-negative: " + layer + ", " + position);
        }
    }
}
