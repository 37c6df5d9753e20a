package dev.logitlens.api;

/** Which projection kernel turns residual rows into logits. */
public enum KernelChoice {
    /** ggml's matrix multiply in the native shim, on the model's backend (the default: the fastest here). */
    NATIVE,
    /** The Java Vector API kernel (an off-heap packed float32 copy of W_U). */
    JVM
}
