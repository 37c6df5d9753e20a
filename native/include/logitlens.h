/*
 * logitlens native shim: a GPT-2 forward pass on ggml that writes every layer's
 * residual stream into a caller-supplied float32 buffer.
 *
 * Contract:
 *  - Every entry point validates its inputs and returns LL_OK (0) or an ll_status
 *    error code; when `err` is not NULL it also receives the code and a message.
 *    No input, however bad, reaches a ggml assertion: the process never aborts.
 *  - Weights are supplied by the caller as a table of tensors (ll_tensor_desc).
 *    On the CPU backend, tensors in the canonical layout are used where they lie
 *    (no copy): the caller must keep that memory alive and unchanged until
 *    ll_model_free. Two exceptions are copied once, at ll_model_create, into memory
 *    the shim owns: matrices given in the transposed layout (LL_LAYOUT_IN_OUT,
 *    the Hugging Face Conv1D layout) and 1-D tensors (norm gains and biases) that
 *    are not float32.
 *  - A model may be used by several sessions and projectors; one session or
 *    projector must not be used by two threads at once.
 *  - CUDA: float32 products run in true float32 (the shim sets
 *    NVIDIA_TF32_OVERRIDE=0 at its first call unless the environment already sets
 *    it; set it to 1 to let cuBLAS use TF32, about 1e-3 relative error).
 *
 * Tensor names and canonical shapes (row-major, outermost first; d = n_embd,
 * V = n_vocab, C = n_ctx, f = 4*d):
 *    token_embd.weight      [V, d]       position_embd.weight   [C, d]
 *    blk.N.attn_norm.weight [d]          blk.N.attn_norm.bias   [d]
 *    blk.N.attn_qkv.weight  [3d, d]      blk.N.attn_qkv.bias    [3d]
 *    blk.N.attn_output.weight [d, d]     blk.N.attn_output.bias [d]
 *    blk.N.ffn_norm.weight  [d]          blk.N.ffn_norm.bias    [d]
 *    blk.N.ffn_up.weight    [f, d]       blk.N.ffn_up.bias      [f]
 *    blk.N.ffn_down.weight  [d, f]       blk.N.ffn_down.bias    [d]
 *    output_norm.weight     [d]          output_norm.bias       [d]
 *    output.weight          [V, d]       (optional: an untied unembedding)
 * Matrices are [out_features, in_features] (y = x W^T + b), as GGUF files store
 * them; LL_LAYOUT_IN_OUT marks a matrix stored as [in_features, out_features].
 */
#ifndef LOGITLENS_H
#define LOGITLENS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  define LL_API __declspec(dllexport)
#else
#  define LL_API __attribute__((visibility("default")))
#endif

#define LL_API_VERSION 1
#define LL_MAX_DIMS 4
#define LL_MESSAGE_CAPACITY 512

/* Status codes. */
#define LL_OK                    0
#define LL_ERR_INVALID_ARGUMENT  1  /* a null pointer, a negative count, an unknown flag */
#define LL_ERR_HPARAMS           2  /* hyper-parameters out of range or inconsistent */
#define LL_ERR_MISSING_TENSOR    3  /* a required tensor is absent */
#define LL_ERR_TENSOR            4  /* unknown or duplicate name, wrong type, shape or byte size */
#define LL_ERR_TOKEN             5  /* a token id outside [0, n_vocab) */
#define LL_ERR_CONTEXT           6  /* no tokens, or more than n_ctx */
#define LL_ERR_BUFFER            7  /* an output buffer too small */
#define LL_ERR_BACKEND           8  /* the backend is unknown or unavailable */
#define LL_ERR_ALLOC             9  /* out of memory */
#define LL_ERR_COMPUTE          10  /* the backend failed to compute the graph */
#define LL_ERR_NONFINITE        11  /* the forward pass produced NaN or Inf (the weights hold some) */

/* Element types: the numeric values are ggml's (enum ggml_type). */
#define LL_TYPE_F32   0
#define LL_TYPE_F16   1
#define LL_TYPE_Q8_0  8
#define LL_TYPE_BF16 30

/* Matrix layouts. */
#define LL_LAYOUT_OUT_IN 0  /* [out, in] row-major: canonical, used in place */
#define LL_LAYOUT_IN_OUT 1  /* [in, out] row-major (Hugging Face Conv1D): transposed once at load */

/* Backends. */
#define LL_BACKEND_CPU  0
#define LL_BACKEND_CUDA 1

/* ll_forward flags. */
#define LL_FORWARD_NO_AFFINE 1u  /* normalise each row without ln_f's gain and bias */
#define LL_FORWARD_RAW       2u  /* write the raw residual stream, not normalised */
#define LL_FORWARD_MID       4u  /* also write the mid-block residual (after attention, before the MLP) */

typedef struct ll_error {
    int32_t code;
    char message[LL_MESSAGE_CAPACITY];
} ll_error;

typedef struct ll_hparams {
    int32_t n_vocab;
    int32_t n_ctx;
    int32_t n_embd;
    int32_t n_head;
    int32_t n_layer;
    float   norm_eps;   /* LayerNorm epsilon: 1e-5 for GPT-2 */
} ll_hparams;

typedef struct ll_tensor_desc {
    const char *name;
    int32_t     type;              /* LL_TYPE_* */
    int32_t     layout;            /* LL_LAYOUT_*; ignored for 1-D tensors */
    int32_t     n_dims;            /* 1..LL_MAX_DIMS */
    int64_t     shape[LL_MAX_DIMS];/* row-major, outermost first, as stored */
    const void *data;
    size_t      nbytes;
} ll_tensor_desc;

typedef struct ll_model ll_model;
typedef struct ll_session ll_session;
typedef struct ll_projector ll_projector;

/* The API version this library was built with (LL_API_VERSION). */
LL_API int32_t ll_api_version(void);

/* The ggml version string of the linked ggml. */
LL_API const char *ll_ggml_version(void);

/*
 * Backends. ggml's backends are libraries beside this one, loaded at the first call that needs
 * one: the CPU backend in the variant that best fits the running CPU (libggml-cpu-<variant>.so:
 * x64 is the baseline, haswell = AVX2, skylakex/icelake/zen4/... = AVX-512 levels), or the one
 * the environment variable LOGITLENS_CPU_VARIANT names; libggml-cuda.so when present.
 */

/* 1 when the backend is loaded and a device is present, else 0. */
LL_API int32_t ll_backend_available(int32_t backend);

/*
 * The CPU backend in use. `variant` receives its variant name ("x64", "haswell", "skylakex", ...;
 * "native" when ggml was built with one CPU backend linked in), `features` the instruction-set
 * features it was compiled with and the CPU has, space-separated ("SSE3 SSSE3 AVX AVX2 F16C FMA
 * BMI2 AVX512 ... LLAMAFILE=1"-style: a bare name is on, NAME=value otherwise). Both are
 * NUL-terminated; LL_ERR_BUFFER when one does not fit, LL_ERR_BACKEND when the CPU backend
 * could not be loaded (the message says why).
 */
LL_API int32_t ll_cpu_backend_info(char *variant, size_t variant_capacity,
                                   char *features, size_t features_capacity, ll_error *err);

/*
 * Create a model from hyper-parameters and a table of n_tensors tensors.
 * On success *out_model receives the model; free it with ll_model_free.
 */
LL_API int32_t ll_model_create(const ll_hparams *hparams,
                               const ll_tensor_desc *tensors, int32_t n_tensors,
                               int32_t backend,
                               ll_model **out_model, ll_error *err);

/* Free a model (NULL is allowed). Its sessions must be freed first. */
LL_API void ll_model_free(ll_model *model);

/* 1 when the model has a separate output.weight, 0 when it ties it to token_embd. */
LL_API int32_t ll_model_has_output(const ll_model *model);

/* Create a session over a model with n_threads CPU threads (>= 1). */
LL_API int32_t ll_session_create(ll_model *model, int32_t n_threads,
                                 ll_session **out_session, ll_error *err);

/* Free a session (NULL is allowed). */
LL_API void ll_session_free(ll_session *session);

/*
 * Run the model over n_tokens token ids and write the residual stream:
 *   out      [n_layer+1, n_tokens, n_embd] float32: row 0 after the embeddings,
 *            row l after block l; normalised with ln_f (flags change this).
 *            out_capacity is its size in floats.
 *   mid_out  [n_layer, n_tokens, n_embd] float32, only with LL_FORWARD_MID
 *            (else it may be NULL): the stream after block l's attention,
 *            before its MLP, transformed like out.
 * Nothing is written unless every input is valid. The outputs are then checked: a NaN or Inf
 * anywhere (weights that hold some) gives LL_ERR_NONFINITE, whose message names the first layer
 * and position where one appears; the outputs hold what was computed.
 */
LL_API int32_t ll_forward(ll_session *session,
                          const int32_t *tokens, int32_t n_tokens,
                          uint32_t flags,
                          float *out, size_t out_capacity,
                          float *mid_out, size_t mid_capacity,
                          ll_error *err);

/*
 * The lens projection on the model's backend: logits = rows · W_U^T, where W_U
 * [n_vocab, n_embd] is output.weight when the model has one, else token_embd.weight.
 * `type` is the precision W_U is multiplied in:
 *   LL_TYPE_F32   as stored when stored as F32 (in place on the CPU), else an F32 copy;
 *   LL_TYPE_F16, LL_TYPE_BF16, LL_TYPE_Q8_0
 *                 reduced precision: a copy converted once (Q8_0 needs n_embd % 32 == 0);
 *                 ggml then also rounds each row to that type before the dot products.
 * The projector owns its backend (n_threads CPU threads) and any copy of W_U; free it
 * before its model.
 */
LL_API int32_t ll_projector_create(ll_model *model, int32_t type, int32_t n_threads,
                                   ll_projector **out_projector, ll_error *err);

/* Free a projector (NULL is allowed). */
LL_API void ll_projector_free(ll_projector *projector);

/*
 * logits [n_rows, n_vocab] float32 = rows [n_rows, n_embd] float32 · W_U^T.
 * logits_capacity is the size of logits in floats. Nothing is written on error.
 */
LL_API int32_t ll_project(ll_projector *projector, const float *rows, int32_t n_rows,
                          float *logits, size_t logits_capacity, ll_error *err);

/*
 * Where ll_lens_stats writes. Every array is [n_positions, n_snapshots] cells
 * (position-major: the cell of layer l at position p is p * n_snapshots + l),
 * times top_k for the top-k arrays. Units are nats.
 */
typedef struct ll_lens_stats_out {
    int32_t *top_ids;         /* [P, S, top_k] best first, equal logits by lower id */
    float   *top_logits;      /* [P, S, top_k] */
    double  *log_sum_exp;     /* [P, S] log sum_v exp z[v] */
    double  *entropy;         /* [P, S] -sum p log p */
    double  *kl_final;        /* [P, S] KL(final row || row) */
    double  *kl_input;        /* [P, S] KL(layer-0 row || row) */
    double  *logprob_next;    /* [P, S] z[next] - log_sum_exp; NaN where next is -1 */
    int32_t *rank_final_top1; /* [P, S] rank of the final row's top-1 */
    int32_t *rank_next;       /* [P, S] rank of the next token; -1 where next is -1 */
    int32_t *rank_input;      /* [P, S] rank of the input token */
} ll_lens_stats_out;

/*
 * The lens statistics of a block of logits, on the CPU, in the calling thread
 * (a pure function: any number of threads may call it at once on disjoint outputs).
 *   logits       [n_positions, n_snapshots, n_vocab] float32: each position's rows,
 *                layer 0 (the embeddings) first and the final layer last
 *   input_tokens [n_positions] the token at each position, in [0, n_vocab)
 *   next_tokens  [n_positions] the true next token, or -1 where there is none
 * rank(x) = 1 + #{v : z[v] > z[x]}; KL(ref || z) = sum p_ref (log p_ref - log p_z).
 * Nothing is written unless every input is valid.
 */
LL_API int32_t ll_lens_stats(const float *logits, int32_t n_positions, int32_t n_snapshots, int32_t n_vocab,
                             const int32_t *input_tokens, const int32_t *next_tokens, int32_t top_k,
                             const ll_lens_stats_out *out, ll_error *err);

/*
 * The lens of a block of residual rows on the projector's backend: the projection and every
 * statistic of ll_lens_stats in one ggml graph, so that only the per-cell results leave the
 * backend (on CUDA the [n_positions·n_snapshots, n_vocab] logits never reach the host; on the
 * CPU it is ggml's CPU backend doing the same work).
 *   rows  [n_positions, n_snapshots, n_embd] float32: each position's normalised residual rows,
 *         layer 0 (the embeddings) first and the final layer last
 *   input_tokens, next_tokens, top_k, out: as ll_lens_stats, with the same rules and units.
 * The results equal ll_lens_stats' on the same logits but for the rounding of the sums, which
 * the backend makes in float32 (entropy and KL: about 1e-6 relative); maxima, top-k logits and
 * ranks are exact. Where ties could make a parallel top-k or argmax break them otherwise than
 * "the lower id" (equal logits across the k-th place, or a final row whose maximum is not
 * unique), or a result is not finite, that position's rows are read back and computed by
 * ll_lens_stats. n_recomputed (may be NULL) receives how many positions were.
 * Nothing is written unless every input is valid.
 */
LL_API int32_t ll_lens(ll_projector *projector, const float *rows, int32_t n_positions, int32_t n_snapshots,
                       const int32_t *input_tokens, const int32_t *next_tokens, int32_t top_k,
                       const ll_lens_stats_out *out, int32_t *n_recomputed, ll_error *err);

#ifdef __cplusplus
}
#endif

#endif /* LOGITLENS_H */
