package dev.logitlens.runtime;

/** What the forward pass writes for each layer and position. */
public enum ResidualMode {
    /** Normalised by {@code ln_f}: each row with its own mean and variance, then {@code ln_f}'s gain and bias (the logit lens). */
    NORMALISED(0),
    /** Normalised without {@code ln_f}'s gain and bias ("before the learned pointwise transformation"). */
    NO_AFFINE(1),
    /** The raw residual stream. */
    RAW(2);

    private final int nativeFlags;

    ResidualMode(int nativeFlags) {
        this.nativeFlags = nativeFlags;
    }

    /** The shim's {@code LL_FORWARD_*} flag bits. */
    int nativeFlags() {
        return nativeFlags;
    }
}
