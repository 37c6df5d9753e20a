package dev.logitlens.model;

/**
 * GPT-2 hyper-parameters.
 *
 * @param nVocab   vocabulary size (50257 for OpenAI's GPT-2)
 * @param nCtx     context length (positions in {@code position_embd})
 * @param nEmbd    residual width d
 * @param nHead    attention heads (d must be a multiple)
 * @param nLayer   transformer blocks
 * @param normEps  LayerNorm epsilon (1e-5 for GPT-2)
 */
public record Gpt2Config(int nVocab, int nCtx, int nEmbd, int nHead, int nLayer, float normEps) {

    public Gpt2Config {
        if (nVocab <= 0 || nCtx <= 0 || nEmbd <= 0 || nHead <= 0 || nLayer <= 0) {
            throw new IllegalArgumentException("GPT-2 hyper-parameters must be positive: " + describe(nVocab, nCtx, nEmbd, nHead, nLayer));
        }
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("n_embd " + nEmbd + " is not a multiple of n_head " + nHead);
        }
        if (!(normEps > 0) || Float.isInfinite(normEps)) {
            throw new IllegalArgumentException("LayerNorm epsilon must be a positive finite number, not " + normEps);
        }
    }

    public int headDim() {
        return nEmbd / nHead;
    }

    /** Residual snapshots per position: the embeddings plus one after each block. */
    public int nSnapshots() {
        return nLayer + 1;
    }

    private static String describe(int nVocab, int nCtx, int nEmbd, int nHead, int nLayer) {
        return "n_vocab=" + nVocab + " n_ctx=" + nCtx + " n_embd=" + nEmbd + " n_head=" + nHead + " n_layer=" + nLayer;
    }

    @Override
    public String toString() {
        return describe(nVocab, nCtx, nEmbd, nHead, nLayer) + " eps=" + normEps;
    }
}
