package dev.logitlens.runtime;

import dev.logitlens.model.NonFiniteWeights;
import java.io.IOException;

import dev.logitlens.bindings.LogitLensNative;
import dev.logitlens.bindings.ll_hparams;
import dev.logitlens.bindings.ll_tensor_desc;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.ModelWeights;
import dev.logitlens.model.TensorInfo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A GPT-2 model inside the native shim. On the CPU backend the shim reads the weights where
 * {@link ModelWeights} mapped them, so this object owns the weights: closing it frees the native model
 * (and every session and projection kernel still open on it) and then closes the weights. Use after close throws
 * {@link IllegalStateException}.
 */
public final class NativeModel implements AutoCloseable {

    private final ModelWeights weights;
    private final Backend backend;
    private final List<AutoCloseable> dependents = new ArrayList<>(); // open sessions and projection kernels
    private MemorySegment handle; // ll_model*; NULL once closed

    private NativeModel(ModelWeights weights, Backend backend, MemorySegment handle) {
        this.weights = weights;
        this.backend = backend;
        this.handle = handle;
    }

    /**
     * Like {@link #create}, first refusing NaN or Inf in the weights when {@code checkWeights}
     * ({@link NonFiniteWeights#require}); takes the weights in every case: they are closed if this fails.
     */
    public static NativeModel adopt(ModelWeights weights, Backend backend, boolean checkWeights) throws IOException {
        try {
            if (checkWeights) {
                NonFiniteWeights.require(weights);
            }
            return create(weights, backend);
        } catch (IOException | RuntimeException | Error e) {
            weights.close();
            throw e;
        }
    }

    /**
     * Hands the weights to the shim. The returned model owns {@code weights} (closing it closes them);
     * on failure the weights are left open and unchanged, and the shim's message is thrown.
     */
    public static NativeModel create(ModelWeights weights, Backend backend) {
        NativeLibrary.load();
        Gpt2Config config = weights.config();
        List<TensorInfo> tensors = weights.tensors();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment hparams = ll_hparams.allocate(call);
            ll_hparams.n_vocab(hparams, config.nVocab());
            ll_hparams.n_ctx(hparams, config.nCtx());
            ll_hparams.n_embd(hparams, config.nEmbd());
            ll_hparams.n_head(hparams, config.nHead());
            ll_hparams.n_layer(hparams, config.nLayer());
            ll_hparams.norm_eps(hparams, config.normEps());

            MemorySegment table = ll_tensor_desc.allocateArray(tensors.size(), call); // [n_tensors] ll_tensor_desc
            for (int i = 0; i < tensors.size(); i++) {
                describe(ll_tensor_desc.asSlice(table, i), tensors.get(i), call);
            }
            MemorySegment out = call.allocate(ValueLayout.ADDRESS);
            MemorySegment error = NativeCall.newError(call);
            int status = LogitLensNative.ll_model_create(hparams, table, tensors.size(), backend.nativeCode(), out, error);
            NativeCall.check(status, error, "cannot load " + weights.source() + " into the native shim");
            return new NativeModel(weights, backend, out.get(ValueLayout.ADDRESS, 0));
        }
    }

    private static void describe(MemorySegment desc, TensorInfo tensor, Arena call) {
        long[] shape = tensor.shape();
        if (shape.length > LogitLensNative.LL_MAX_DIMS()) {
            throw new IllegalArgumentException(tensor.name() + " has " + shape.length + " dimensions; the shim takes at most " + LogitLensNative.LL_MAX_DIMS());
        }
        ll_tensor_desc.name(desc, call.allocateFrom(tensor.name()));
        ll_tensor_desc.type(desc, tensor.type().ggmlCode());
        ll_tensor_desc.layout(desc, tensor.layout().nativeCode());
        ll_tensor_desc.n_dims(desc, shape.length);
        for (int d = 0; d < shape.length; d++) {
            ll_tensor_desc.shape(desc, d, shape[d]);
        }
        ll_tensor_desc.data(desc, tensor.data());
        ll_tensor_desc.nbytes(desc, tensor.data().byteSize());
    }

    /** A session with its own compute buffers, running on {@code threads} CPU threads. */
    public synchronized NativeSession newSession(int threads) {
        return createChild(threads, "cannot create a session",
                (model, out, error) -> LogitLensNative.ll_session_create(model, threads, out, error),
                handle -> new NativeSession(this, handle, threads));
    }

    /** A lens projection kernel of this model's unembedding through ggml, in {@code precision}, on {@code threads} CPU threads. */
    public synchronized NativeProjectionKernel newProjectionKernel(ProjectionPrecision precision, int threads) {
        return createChild(threads, "cannot create the native " + precision + " projection",
                (model, out, error) -> LogitLensNative.ll_projector_create(model, precision.ggmlCode(), threads, out, error),
                handle -> new NativeProjectionKernel(this, precision, handle));
    }

    /** A shim constructor of a child object: {@code (ll_model*, out pointer, ll_error*) → status}. */
    @FunctionalInterface
    private interface ChildConstructor {
        int create(MemorySegment model, MemorySegment out, MemorySegment error);
    }

    /** Creates a child in the shim, wraps its handle and registers it to be closed before the model. */
    private <T extends AutoCloseable> T createChild(int threads, String failure, ChildConstructor constructor,
                                              Function<MemorySegment, T> wrap) {
        MemorySegment model = handle();
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment out = call.allocate(ValueLayout.ADDRESS);
            MemorySegment error = NativeCall.newError(call);
            NativeCall.check(constructor.create(model, out, error), error, failure);
            T child = wrap.apply(out.get(ValueLayout.ADDRESS, 0));
            dependents.add(child);
            return child;
        }
    }

    public Gpt2Config config() {
        return weights.config();
    }

    public ModelWeights weights() {
        handle();
        return weights;
    }

    public Backend backend() {
        return backend;
    }

    public synchronized boolean isClosed() {
        return handle == null;
    }

    synchronized void forget(AutoCloseable dependent) {
        dependents.remove(dependent);
    }

    /** The ll_model*; {@link IllegalStateException} once closed. */
    synchronized MemorySegment handle() {
        if (handle == null) {
            throw new IllegalStateException("the model " + weights.source() + " is closed");
        }
        return handle;
    }

    @Override
    public void close() {
        List<AutoCloseable> open;
        synchronized (this) {
            if (handle == null) {
                return;
            }
            open = List.copyOf(dependents);
        }
        for (AutoCloseable dependent : open) {
            closeDependent(dependent); // waits for a call in flight on it
        }
        synchronized (this) {
            if (handle != null) {
                LogitLensNative.ll_model_free(handle);
                handle = null;
                weights.close();
            }
        }
    }

    private static void closeDependent(AutoCloseable dependent) {
        try {
            dependent.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + dependent + " failed", e);
        }
    }
}
