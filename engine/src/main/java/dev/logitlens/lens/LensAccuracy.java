package dev.logitlens.lens;

/**
 * How far a lens computed in reduced precision is from the same lens in full precision.
 *
 * @param cells          (layer, position) cells compared
 * @param top1Agreement  fraction of cells whose top-1 token is the same
 * @param maxRankChange  the largest change of the rank of the full-precision top-1 token
 * @param maxKlError     the largest |KL(final ‖ layer) difference|, nats
 * @param maxEntropyError the largest |entropy difference|, nats
 */
public record LensAccuracy(int cells, double top1Agreement, int maxRankChange, double maxKlError, double maxEntropyError) {

    /** Compares {@code reduced} with {@code exact}, cell by cell (both must have the same shape). */
    public static LensAccuracy compare(LensResult exact, LensResult reduced) {
        if (exact.nLayers() != reduced.nLayers() || exact.nTokens() != reduced.nTokens()) {
            throw new IllegalArgumentException("the two lenses have different shapes");
        }
        int cells = 0;
        int agree = 0;
        int rankChange = 0;
        double klError = 0;
        double entropyError = 0;
        for (int layer = 0; layer <= exact.nLayers(); layer++) {
            for (int pos = 0; pos < exact.nTokens(); pos++) {
                cells++;
                if (exact.topTokenId(layer, pos, 0) == reduced.topTokenId(layer, pos, 0)) {
                    agree++;
                }
                rankChange = Math.max(rankChange, Math.abs(exact.rankOfFinalTop1(layer, pos) - reduced.rankOfFinalTop1(layer, pos)));
                klError = Math.max(klError, Math.abs(exact.klToFinal(layer, pos) - reduced.klToFinal(layer, pos)));
                entropyError = Math.max(entropyError, Math.abs(exact.entropy(layer, pos) - reduced.entropy(layer, pos)));
            }
        }
        return new LensAccuracy(cells, (double) agree / cells, rankChange, klError, entropyError);
    }
}
