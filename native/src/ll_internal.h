/*
 * Internal declarations shared by the shim's translation units.
 * Public contract: include/logitlens.h.
 */
#ifndef LL_INTERNAL_H
#define LL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ggml.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "logitlens.h"

#if defined(__GNUC__) || defined(__clang__)
#  define LL_PRINTF(fmt_index, args_index) __attribute__((format(printf, fmt_index, args_index)))
#else
#  define LL_PRINTF(fmt_index, args_index)
#endif

/* ---- status (ll_status.c) ---------------------------------------------- */

/* Records `code` and a formatted message in `err` (which may be NULL); returns code. */
int32_t ll_fail(ll_error *err, int32_t code, const char *fmt, ...) LL_PRINTF(3, 4);

/* Records success (code LL_OK, empty message) in `err` (which may be NULL); returns LL_OK. */
int32_t ll_succeed(ll_error *err);

/* ---- backends (ll_backend.c) -------------------------------------------- */

/* Once per process: installs the ggml log filter (LOGITLENS_GGML_LOG=1 lets ggml talk) and loads
 * ggml's backend libraries from liblogitlens's folder (the best CPU variant, or LOGITLENS_CPU_VARIANT). */
void ll_init_ggml(void);

/* LL_OK when `backend` is known, loaded and has a device; else LL_ERR_BACKEND saying why. */
int32_t ll_check_backend(int32_t backend, ll_error *err);

/* Starts a backend instance (CPU: with n_threads threads); NULL on failure. */
ggml_backend_t ll_backend_start(int32_t backend, int32_t n_threads);

/* The buffer type holding the backend's tensors (NULL when the backend is unavailable). */
ggml_backend_buffer_type_t ll_backend_buffer_type(int32_t backend);

/* ---- weight table (ll_weights.c) ---------------------------------------- */

/* Weights outside the blocks. */
enum ll_global_weight {
    LL_GW_TOKEN_EMBD,
    LL_GW_POSITION_EMBD,
    LL_GW_OUTPUT_NORM,
    LL_GW_OUTPUT_NORM_B,
    LL_GW_OUTPUT,          /* optional: the untied unembedding, used by the projector only */
    LL_GW_COUNT
};

/* Weights of one transformer block. */
enum ll_block_weight {
    LL_BW_ATTN_NORM,
    LL_BW_ATTN_NORM_B,
    LL_BW_ATTN_QKV,
    LL_BW_ATTN_QKV_B,
    LL_BW_ATTN_OUT,
    LL_BW_ATTN_OUT_B,
    LL_BW_FFN_NORM,
    LL_BW_FFN_NORM_B,
    LL_BW_FFN_UP,
    LL_BW_FFN_UP_B,
    LL_BW_FFN_DOWN,
    LL_BW_FFN_DOWN_B,
    LL_BW_COUNT
};

/* Weight slots are numbered globals first, then LL_BW_COUNT per block. */
static inline int32_t ll_block_slot(int32_t layer, int32_t weight) {
    return LL_GW_COUNT + layer * LL_BW_COUNT + weight;
}

/* A canonical tensor shape, row-major, outermost first: [rows, cols] or [len]. */
typedef struct ll_shape {
    int32_t n_dims;
    int64_t dim[2];
} ll_shape;

/* LL_OK when every hyper-parameter is in range, else LL_ERR_HPARAMS. */
int32_t ll_check_hparams(const ll_hparams *hp, ll_error *err);

int32_t  ll_slot_count(const ll_hparams *hp);
ll_shape ll_slot_shape(const ll_hparams *hp, int32_t slot);
void     ll_slot_name(int32_t slot, char *buf, size_t capacity);

/*
 * Validates the caller's tensor table and sorts it into slots:
 * slots[ll_slot_count(hp)] receives each slot's descriptor, NULL for an absent
 * optional weight. Returns LL_OK or the first problem's status.
 */
int32_t ll_match_tensors(const ll_hparams *hp, const ll_tensor_desc *tensors, int32_t n_tensors,
                         const ll_tensor_desc **slots, ll_error *err);

/* ---- model (ll_model.c) ------------------------------------------------- */

struct ll_model {
    ll_hparams hp;
    int32_t backend;                 /* LL_BACKEND_* */
    int32_t has_output;
    struct ggml_context *ctx;        /* metadata of the weight tensors (no_alloc) */
    ggml_backend_buffer_t owned;     /* tensors the shim copied, converted or uploaded */
    ggml_backend_buffer_t *borrowed; /* [n_borrowed] CPU buffers over the caller's memory */
    int32_t n_borrowed;
    struct ggml_tensor **weights;    /* [ll_slot_count] in ggml order (ne0 innermost); NULL if unused */
    struct ggml_tensor *positions;   /* [n_ctx] I32: 0, 1, ..., n_ctx-1 */
};

/* The unembedding W_U: output.weight when present, else token_embd.weight. */
struct ggml_tensor *ll_model_unembedding(const struct ll_model *model);

/*
 * Binds a ggml tensor to host memory it does not own (no copy). Returns the
 * buffer to free with ggml_backend_buffer_free, or NULL on failure.
 * `data` must be aligned to the tensor's element size.
 */
ggml_backend_buffer_t ll_bind_host_memory(struct ggml_tensor *tensor, void *data);

/*
 * On the CPU a graph input or output is read or written straight in the caller's
 * float buffer: returns the binding buffer (free it after the computation), or
 * NULL where that cannot be (device backend, misaligned buffer, no tensor) and
 * the tensor must be allocated and copied in or out instead.
 */
ggml_backend_buffer_t ll_bind_caller_floats(int32_t backend, struct ggml_tensor *tensor, float *dst);

/* ---- graph (ll_graph.c) ------------------------------------------------- */

typedef struct ll_graph {
    struct ggml_cgraph *gf;
    struct ggml_tensor *tokens;  /* [T] I32 input */
    struct ggml_tensor *out;     /* [n_layer+1, T, d] F32 (ggml ne: d, T, n_layer+1) */
    struct ggml_tensor *mid;     /* [n_layer, T, d] F32, only with LL_FORWARD_MID, else NULL */
} ll_graph;

/* The node capacity of a forward graph and the context memory to build it. */
size_t ll_graph_capacity(const ll_hparams *hp);
size_t ll_graph_context_size(const ll_hparams *hp);

/* Builds the forward graph over n_tokens tokens in a no_alloc context. */
void ll_graph_build(struct ggml_context *ctx, const struct ll_model *model,
                    int32_t n_tokens, uint32_t flags, ll_graph *graph);

/* ---- statistics (ll_stats.c) -------------------------------------------- */

/* ll_lens_stats's checks of everything but the logits (shared with ll_lens): LL_OK or the first problem. */
int32_t ll_check_lens_arguments(int32_t n_positions, int32_t n_snapshots, int32_t n_vocab,
                                const int32_t *input_tokens, const int32_t *next_tokens, int32_t top_k,
                                const ll_lens_stats_out *out, ll_error *err);

/* ---- projector (ll_projector.c) and lens graph (ll_lens.c) --------------- */

/*
 * On the CPU, W_U is multiplied in slices of this many vocabulary rows (6 MB in float32), each
 * finished against every input row while it sits in the cache: ggml's CPU matrix multiply tiles
 * only a few input rows at a time, so a whole W_U (154 MB for GPT-2) would stream from memory
 * once per few rows.
 */
#define LL_PROJECT_SLICE 2048
/* Graph nodes of a projection: per slice two views, a product and a copy; and the input. */
#define LL_PROJECT_MAX_NODES(n_vocab) (4 * ((n_vocab) / LL_PROJECT_SLICE + 1) + 4)

struct ll_projector {
    const ll_model *model;
    ggml_backend_t backend;
    struct ggml_tensor *unembedding;  /* [n_vocab, n_embd] (ggml ne: n_embd, n_vocab), the model's or the copy */
    struct ggml_context *copy_ctx;    /* metadata of the copy, NULL when the model's tensor is used */
    ggml_backend_buffer_t copy_buffer;
    ggml_gallocr_t galloc;            /* per-slice products, and inputs/outputs not bound to the caller's memory */
    int32_t planned_rows;             /* the graph galloc's plan was made for (0: none yet) ... */
    int32_t planned_bound;            /* ... and which ends were the caller's memory (bit 0: input, bit 1: output) */
    ggml_gallocr_t lens_galloc;       /* every tensor of ll_lens's graph */
    int64_t lens_planned;             /* the (positions, snapshots, top_k) its plan was made for (0: none yet) */
};

/*
 * Adds logits = input · W_U^T to gf: input [n_rows, n_embd] F32 → [n_rows, n_vocab] F32 (on the
 * CPU in slices of LL_PROJECT_SLICE vocabulary rows). Needs LL_PROJECT_MAX_NODES(n_vocab) nodes.
 */
struct ggml_tensor *ll_build_projection(struct ggml_context *ctx, struct ggml_cgraph *gf, const ll_projector *projector,
                                        struct ggml_tensor *input);

#endif /* LL_INTERNAL_H */
