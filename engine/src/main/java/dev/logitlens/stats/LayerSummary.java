package dev.logitlens.stats;

/**
 * One layer's lens over a corpus, averaged over positions. Cross-entropies and KLs are reported in the units of
 * the tuned-lens paper (Belrose et al., 2023): cross-entropy as bits per byte (total bits over the UTF-8 bytes of
 * the predicted tokens) and KL divergence in bits; nats per token are given beside them.
 *
 * @param layer             0 = embeddings, l = after block l
 * @param positions         positions averaged (each document position once)
 * @param predicted         positions with a true next token (the cross-entropy's and accuracy's count)
 * @param crossEntropyNats  mean −log p_layer(next token), nats per token
 * @param bitsPerByte       Σ −log₂ p_layer(next token) / Σ bytes of the next tokens
 * @param klToFinalNats     mean KL(final ‖ layer), nats
 * @param top1Agreement     fraction of positions where the layer's top-1 is the final layer's top-1
 * @param top1Accuracy      fraction of predicted positions where the layer's top-1 is the true next token
 * @param entropyNats       mean entropy of the layer's distribution, nats
 */
public record LayerSummary(int layer, long positions, long predicted, double crossEntropyNats, double bitsPerByte,
                           double klToFinalNats, double top1Agreement, double top1Accuracy, double entropyNats) {

    private static final double LN_2 = Math.log(2);

    public double crossEntropyBits() {
        return crossEntropyNats / LN_2;
    }

    public double klToFinalBits() {
        return klToFinalNats / LN_2;
    }

    public double entropyBits() {
        return entropyNats / LN_2;
    }
}
