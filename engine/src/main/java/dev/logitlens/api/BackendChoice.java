package dev.logitlens.api;

import dev.logitlens.runtime.Backend;
import dev.logitlens.runtime.NativeBackends;

/** Where the model runs, as a user asks for it: a backend, or {@link #AUTO} to take CUDA where it is there. */
public enum BackendChoice {
    /** CUDA when this build has ggml's CUDA backend and the machine a CUDA device; else the CPU. */
    AUTO,
    /** ggml's CPU backend. */
    CPU,
    /** ggml's CUDA backend: a model opened with it fails, saying why, where the build or the machine lacks CUDA. */
    CUDA;

    /** The backend this choice runs on here (AUTO asks the native libraries whether a CUDA device is present). */
    public Backend resolve() {
        return switch (this) {
            case CPU -> Backend.CPU;
            case CUDA -> Backend.CUDA;
            case AUTO -> NativeBackends.available(Backend.CUDA) ? Backend.CUDA : Backend.CPU;
        };
    }

    /** A line saying what {@link #AUTO} chose, for the user: e.g. {@code --backend auto: cpu (no CUDA device ...)}. */
    public static String describeAuto(Backend chosen) {
        return "--backend auto: " + (chosen == Backend.CUDA ? "cuda (a CUDA device is present)"
                : "cpu (this build has no CUDA backend, or the machine no CUDA device)");
    }
}
