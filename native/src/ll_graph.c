/*
 * The GPT-2 forward graph. Shapes in comments are ggml's order, innermost
 * first: [d, T] is T rows of d floats.
 */
#include <math.h>

#include "ll_internal.h"

/* Graph nodes, with room to spare: a transformer block uses up to about 80
 * (4 query blocks and LL_FORWARD_MID), the embeddings and first output about 12. */
#define LL_NODES_PER_LAYER 128
#define LL_NODES_FIXED     64

size_t ll_graph_capacity(const ll_hparams *hp) {
    return (size_t) LL_NODES_PER_LAYER * (size_t) hp->n_layer + LL_NODES_FIXED;
}

size_t ll_graph_context_size(const ll_hparams *hp) {
    size_t capacity = ll_graph_capacity(hp);
    return ggml_tensor_overhead() * capacity + ggml_graph_overhead_custom(capacity, false);
}

/* ---- building blocks ----------------------------------------------------- */

/* LayerNorm over each row: (x - mean) / sqrt(var + eps) * gain + bias. [d, T] -> [d, T] */
static struct ggml_tensor *ll_layer_norm(struct ggml_context *ctx, struct ggml_tensor *x, float eps,
                                         struct ggml_tensor *gain, struct ggml_tensor *bias) {
    struct ggml_tensor *y = ggml_norm(ctx, x, eps);
    return ggml_add(ctx, ggml_mul(ctx, y, gain), bias);
}

/* A matrix product accumulated in f32 on every backend (the CPU always does;
 * CUDA would otherwise accumulate F16 weights in F16). */
static struct ggml_tensor *ll_mul_mat(struct ggml_context *ctx, struct ggml_tensor *a, struct ggml_tensor *b) {
    struct ggml_tensor *product = ggml_mul_mat(ctx, a, b);
    ggml_prec_set_acc(product, GGML_PREC_F32);
    return product;
}

/* y = x W^T + b with W [in, out] (ggml order of a [out, in] matrix). [in, T] -> [out, T] */
static struct ggml_tensor *ll_linear(struct ggml_context *ctx, struct ggml_tensor *x,
                                     struct ggml_tensor *weight, struct ggml_tensor *bias) {
    return ggml_add(ctx, ll_mul_mat(ctx, weight, x), bias);
}

/*
 * GPT-2's tanh-GELU, 0.5 x (1 + tanh(c (x + 0.044715 x^3))) with c = sqrt(2/pi),
 * written as the identical x * sigmoid(2c (x + 0.044715 x^3)).
 * ggml_gelu is not used: on the CPU it reads an fp16 lookup table
 * (GGML_GELU_FP16 in ggml-cpu/vec.h) whose error, around 1e-3, is far above
 * the 1e-5 this engine promises. sqr, scale_bias, mul and sigmoid (1/(1+expf))
 * are all computed in plain f32.
 */
static struct ggml_tensor *ll_gelu_tanh(struct ggml_context *ctx, struct ggml_tensor *x) {
    const float two_c = 2.0f * 0.7978845608028654f; /* 2 sqrt(2/pi) */
    struct ggml_tensor *z = ggml_sqr(ctx, x);                          /* x^2 */
    z = ggml_scale_bias(ctx, z, two_c * 0.044715f, two_c);             /* 2c (1 + 0.044715 x^2) */
    z = ggml_mul(ctx, z, x);                                           /* 2c (x + 0.044715 x^3) */
    return ggml_mul(ctx, x, ggml_sigmoid(ctx, z));
}

/* Query blocks of at least this many tokens, at most LL_ATTENTION_BLOCKS of them. */
#define LL_ATTENTION_MIN_BLOCK 128
#define LL_ATTENTION_BLOCKS    4

/*
 * Causal attention of the queries [q0, q1) over the keys [0, q1), all heads.
 *   q_all [head_dim, T, n_head] view, k_all [head_dim, T, n_head] view,
 *   vt [T, head_dim, n_head] contiguous  ->  [head_dim, n_head, q1 - q0]
 */
static struct ggml_tensor *ll_attend_block(struct ggml_context *ctx, struct ggml_tensor *q_all,
                                           struct ggml_tensor *k_all, struct ggml_tensor *vt,
                                           int64_t q0, int64_t q1, float scale) {
    const int64_t head_dim = q_all->ne[0], n_head = q_all->ne[2];
    /* contiguous, so that ggml's CPU matmul takes its sgemm path */
    struct ggml_tensor *q = ggml_cont(ctx, ggml_view_3d(ctx, q_all, head_dim, q1 - q0, n_head, q_all->nb[1],
                                                        q_all->nb[2], (size_t) q0 * q_all->nb[1])); /* [head_dim, Tb, n_head] */
    struct ggml_tensor *k = ggml_view_3d(ctx, k_all, head_dim, q1, n_head, k_all->nb[1], k_all->nb[2], 0);
    struct ggml_tensor *v = ggml_view_3d(ctx, vt, q1, head_dim, n_head, vt->nb[1], vt->nb[2], 0);
    struct ggml_tensor *scores = ll_mul_mat(ctx, k, q);                   /* [q1, Tb, n_head] */
    scores = ggml_diag_mask_inf_inplace(ctx, scores, (int) q0);           /* key > q0 + row: -inf */
    scores = ggml_soft_max_ext_inplace(ctx, scores, NULL, scale, 0.0f);
    struct ggml_tensor *heads = ll_mul_mat(ctx, v, scores);               /* [head_dim, Tb, n_head] */
    return ggml_permute(ctx, heads, 0, 2, 1, 3);                          /* [head_dim, n_head, Tb] */
}

/*
 * Causal multi-head self-attention with its output projection. [d, T] -> [d, T]
 * Queries are taken in blocks so that each block multiplies only against the
 * keys it may see: with 4 blocks about 3/8 of the score and value products
 * (and of the softmax) are skipped.
 */
static struct ggml_tensor *ll_attention(struct ggml_context *ctx, const ll_model *model, int32_t layer,
                                        struct ggml_tensor *x) {
    struct ggml_tensor *const *w = &model->weights[ll_block_slot(layer, 0)];
    const int64_t d = model->hp.n_embd;
    const int64_t n_head = model->hp.n_head;
    const int64_t head_dim = d / n_head;
    const int64_t n_tokens = x->ne[1];
    const float scale = 1.0f / sqrtf((float) head_dim);

    struct ggml_tensor *qkv = ll_linear(ctx, x, w[LL_BW_ATTN_QKV], w[LL_BW_ATTN_QKV_B]); /* [3d, T] */
    const size_t es = ggml_element_size(qkv);
    /* q, k, v: [head_dim, n_head, T] views into qkv */
    struct ggml_tensor *q = ggml_view_3d(ctx, qkv, head_dim, n_head, n_tokens, head_dim * es, qkv->nb[1], 0);
    struct ggml_tensor *k = ggml_view_3d(ctx, qkv, head_dim, n_head, n_tokens, head_dim * es, qkv->nb[1], d * es);
    struct ggml_tensor *v = ggml_view_3d(ctx, qkv, head_dim, n_head, n_tokens, head_dim * es, qkv->nb[1], 2 * d * es);
    q = ggml_permute(ctx, q, 0, 2, 1, 3);                                        /* [head_dim, T, n_head] */
    k = ggml_permute(ctx, k, 0, 2, 1, 3);                                        /* [head_dim, T, n_head] */
    struct ggml_tensor *vt = ggml_cont(ctx, ggml_permute(ctx, v, 1, 2, 0, 3));   /* [T, head_dim, n_head] */

    int64_t n_blocks = n_tokens / LL_ATTENTION_MIN_BLOCK;
    n_blocks = n_blocks < 1 ? 1 : n_blocks > LL_ATTENTION_BLOCKS ? LL_ATTENTION_BLOCKS : n_blocks;
    struct ggml_tensor *heads = NULL;                                            /* [head_dim, n_head, T] */
    for (int64_t b = 0; b < n_blocks; b++) {
        struct ggml_tensor *block = ll_attend_block(ctx, q, k, vt, n_tokens * b / n_blocks,
                                                    n_tokens * (b + 1) / n_blocks, scale);
        heads = heads == NULL ? block : ggml_concat(ctx, heads, block, 2);
    }
    struct ggml_tensor *merged = ggml_is_contiguous(heads) ? ggml_reshape_2d(ctx, heads, d, n_tokens)
                                                           : ggml_cont_2d(ctx, heads, d, n_tokens); /* [d, T] */
    return ll_linear(ctx, merged, w[LL_BW_ATTN_OUT], w[LL_BW_ATTN_OUT_B]);
}

/* The MLP: down(gelu(up(x))). [d, T] -> [d, T] */
static struct ggml_tensor *ll_mlp(struct ggml_context *ctx, const ll_model *model, int32_t layer,
                                  struct ggml_tensor *x) {
    struct ggml_tensor *const *w = &model->weights[ll_block_slot(layer, 0)];
    struct ggml_tensor *h = ll_linear(ctx, x, w[LL_BW_FFN_UP], w[LL_BW_FFN_UP_B]); /* [4d, T] */
    return ll_linear(ctx, ll_gelu_tanh(ctx, h), w[LL_BW_FFN_DOWN], w[LL_BW_FFN_DOWN_B]);
}

/* Writes the stream x [d, T], transformed per flags, into dst's slice `index`. */
static void ll_emit(struct ggml_context *ctx, struct ggml_cgraph *gf, const ll_model *model,
                    struct ggml_tensor *x, uint32_t flags, struct ggml_tensor *dst, int32_t index) {
    struct ggml_tensor *y = x;
    if (flags & LL_FORWARD_NO_AFFINE) {
        y = ggml_norm(ctx, x, model->hp.norm_eps);
    } else if (!(flags & LL_FORWARD_RAW)) {
        y = ll_layer_norm(ctx, x, model->hp.norm_eps, model->weights[LL_GW_OUTPUT_NORM],
                          model->weights[LL_GW_OUTPUT_NORM_B]);
    }
    struct ggml_tensor *slice = ggml_view_2d(ctx, dst, dst->ne[0], dst->ne[1], dst->nb[1], (size_t) index * dst->nb[2]);
    ggml_build_forward_expand(gf, ggml_cpy(ctx, y, slice));
}

/* Token plus position embeddings. -> [d, T] */
static struct ggml_tensor *ll_embed(struct ggml_context *ctx, const ll_model *model, struct ggml_tensor *tokens) {
    struct ggml_tensor *positions = ggml_view_1d(ctx, model->positions, tokens->ne[0], 0);
    return ggml_add(ctx, ggml_get_rows(ctx, model->weights[LL_GW_TOKEN_EMBD], tokens),
                    ggml_get_rows(ctx, model->weights[LL_GW_POSITION_EMBD], positions));
}

static struct ggml_tensor *ll_as_input(struct ggml_tensor *t, const char *name) {
    ggml_set_name(t, name);
    ggml_set_input(t);
    return t;
}

static struct ggml_tensor *ll_new_output(struct ggml_context *ctx, int64_t d, int64_t n_tokens, int64_t n_slices,
                                         const char *name) {
    struct ggml_tensor *t = ggml_new_tensor_3d(ctx, GGML_TYPE_F32, d, n_tokens, n_slices);
    ggml_set_name(t, name);
    ggml_set_output(t);
    return t;
}

void ll_graph_build(struct ggml_context *ctx, const ll_model *model, int32_t n_tokens, uint32_t flags,
                    ll_graph *graph) {
    const ll_hparams *hp = &model->hp;
    const float eps = hp->norm_eps;

    graph->gf = ggml_new_graph_custom(ctx, ll_graph_capacity(hp), false);
    graph->tokens = ll_as_input(ggml_new_tensor_1d(ctx, GGML_TYPE_I32, n_tokens), "tokens");
    graph->out = ll_new_output(ctx, hp->n_embd, n_tokens, hp->n_layer + 1, "out");
    graph->mid = (flags & LL_FORWARD_MID) ? ll_new_output(ctx, hp->n_embd, n_tokens, hp->n_layer, "mid") : NULL;

    struct ggml_tensor *x = ll_embed(ctx, model, graph->tokens); /* [d, T] */
    ll_emit(ctx, graph->gf, model, x, flags, graph->out, 0);
    for (int32_t layer = 0; layer < hp->n_layer; layer++) {
        struct ggml_tensor *const *w = &model->weights[ll_block_slot(layer, 0)];
        struct ggml_tensor *h = ll_layer_norm(ctx, x, eps, w[LL_BW_ATTN_NORM], w[LL_BW_ATTN_NORM_B]);
        x = ggml_add(ctx, x, ll_attention(ctx, model, layer, h));
        if (graph->mid != NULL) {
            ll_emit(ctx, graph->gf, model, x, flags, graph->mid, layer);
        }
        h = ll_layer_norm(ctx, x, eps, w[LL_BW_FFN_NORM], w[LL_BW_FFN_NORM_B]);
        x = ggml_add(ctx, x, ll_mlp(ctx, model, layer, h));
        ll_emit(ctx, graph->gf, model, x, flags, graph->out, layer + 1);
    }
}
