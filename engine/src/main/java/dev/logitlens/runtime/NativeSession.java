package dev.logitlens.runtime;

import dev.logitlens.model.NonFiniteWeights;

import dev.logitlens.bindings.LogitLensNative;
import dev.logitlens.model.Gpt2Config;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Runs forward passes on a {@link NativeModel} and writes the residual stream into off-heap memory.
 * One forward pass at a time per session (calls are serialised); use one session per thread for
 * parallel passes. Use after close throws {@link IllegalStateException}.
 */
public final class NativeSession implements AutoCloseable {

    private final NativeModel model;
    private final int threads;
    private MemorySegment handle; // ll_session*; NULL once closed

    NativeSession(NativeModel model, MemorySegment handle, int threads) {
        this.model = model;
        this.handle = handle;
        this.threads = threads;
    }

    /**
     * Runs the model over {@code tokens} and returns the residual stream in a segment of {@code arena}.
     * The result's {@code residual} is {@code [n_layer+1, T, n_embd]} float32 (row 0 after the embeddings,
     * row l after block l), transformed as {@code mode} says; with {@code withMid} its {@code mid} is
     * {@code [n_layer, T, n_embd]}, the stream after each block's attention.
     */
    public ResidualStream forward(int[] tokens, ResidualMode mode, boolean withMid, Arena arena) {
        Gpt2Config c = model.config();
        long width = c.nEmbd();
        long t = tokens.length;
        MemorySegment residual = arena.allocate((c.nLayer() + 1L) * t * width * Float.BYTES, 64); // [n_layer+1, T, d]
        MemorySegment mid = withMid ? arena.allocate(c.nLayer() * t * width * Float.BYTES, 64) : MemorySegment.NULL; // [n_layer, T, d]
        forwardInto(tokens, mode, residual, mid);
        return new ResidualStream(residual, withMid ? mid : null, c.nLayer(), tokens.length, c.nEmbd(), mode);
    }

    /**
     * Like {@link #forward(int[], ResidualMode, boolean, Arena)}, into caller-supplied segments:
     * {@code residual} holds at least {@code (n_layer+1)·T·n_embd} floats, {@code mid} is
     * {@link MemorySegment#NULL} or holds {@code n_layer·T·n_embd}. Nothing is written on error.
     */
    public synchronized void forwardInto(int[] tokens, ResidualMode mode, MemorySegment residual, MemorySegment mid) {
        MemorySegment session = handle();
        boolean withMid = !mid.equals(MemorySegment.NULL);
        int flags = mode.nativeFlags() | (withMid ? LogitLensNative.LL_FORWARD_MID() : 0);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment ids = call.allocateFrom(ValueLayout.JAVA_INT, tokens); // [T]
            MemorySegment error = NativeCall.newError(call);
            int status = LogitLensNative.ll_forward(session, ids, tokens.length, flags,
                    residual, residual.byteSize() / Float.BYTES,
                    mid, withMid ? mid.byteSize() / Float.BYTES : 0, error);
            try {
                NativeCall.check(status, error, "forward pass failed");
            } catch (NativeException e) {
                if (e.status() != NativeStatus.NONFINITE) {
                    throw e;
                }
                throw new NativeException(e.status(), e.getMessage() + NonFiniteWeights.suspects(model.weights()));
            }
        }
    }

    public NativeModel model() {
        return model;
    }

    public int threads() {
        return threads;
    }

    private MemorySegment handle() {
        if (handle == null) {
            throw new IllegalStateException("the session is closed");
        }
        return handle;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (handle == null) {
                return;
            }
            LogitLensNative.ll_session_free(handle);
            handle = null;
        }
        model.forget(this);
    }
}
