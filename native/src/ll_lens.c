/*
 * The lens on the projector's backend (ll_lens): the projection and every
 * statistic of ll_lens_stats in one ggml graph, so that on a device only the
 * per-cell results leave it (the [R, V] logits never cross to the host). The
 * same graph runs on ggml's CPU backend, where the tests check it against
 * ll_lens_stats and the JVM's statistics.
 *
 * Shapes are row-major, outermost first, as in the header; R = P·S rows, row
 * r = p·S + s (position p, snapshot s: 0 the embeddings, S−1 the final layer);
 * ggml's ne order is the reverse.
 *
 *   z          [R, V]   logits = rows · W_U^T                  (kept: the exact path reads it)
 *   max        [R]      z[argmax z]
 *   log_sum    [R]      log Σ exp(z − max)           → lse = max + log_sum, in double on the host
 *   logp       [R, V]   z − max − log_sum
 *   p          [R, V]   exp(z − max) / Σ exp(z − max)
 *   entropy    [R]      −Σ p·logp
 *   kl_ref     [R]      Σ p_ref·(logp_ref − logp), ref = the position's final / layer-0 row
 *   above_x    [R]      #{v : z[v] > z[x]} for x = next, input, final top-1 → rank = 1 + above
 *   top        [R, k]   ggml_top_k's ids (in no order) and their logits; ordered on the host
 *
 * Exactness. Three rules of the statistics depend on ties, which a parallel
 * top-k or argmax does not promise to break as the JVM does (the lower id):
 * the top-k set when equal logits straddle its boundary, and the final top-1
 * when the final row's maximum is not unique. The graph detects both (the
 * count of logits ≥ the k-th, the count equal to the final maximum) and a
 * non-finite result; for such a position the host reads that position's S
 * rows of z back and computes it with ll_lens_stats, so every cell obeys the
 * same rules whatever the backend.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ll_internal.h"

/* Nodes of the statistics part of the graph (about 60 are used; generous). */
#define LL_LENS_STATS_NODES 128

typedef struct ll_lens_graph {
    struct ggml_cgraph *gf;
    struct ggml_tensor *rows;          /* [R, d] F32 input */
    struct ggml_tensor *input_ids;     /* [R] I32 input: each row's position's input token */
    struct ggml_tensor *next_ids;      /* [R] I32 input: the next token (0 where there is none) */
    struct ggml_tensor *z;             /* [R, V] logits */
    struct ggml_tensor *max;           /* [R] */
    struct ggml_tensor *log_sum;       /* [R] */
    struct ggml_tensor *entropy;       /* [R] nats */
    struct ggml_tensor *kl_final;      /* [R] nats */
    struct ggml_tensor *kl_input;      /* [R] nats */
    struct ggml_tensor *next_logit;    /* [R] */
    struct ggml_tensor *above_next;    /* [R] */
    struct ggml_tensor *above_input;   /* [R] */
    struct ggml_tensor *above_top1;    /* [R] above the final row's top-1 */
    struct ggml_tensor *final_maxima;  /* [P] #{v : z_final[v] = max z_final} */
    struct ggml_tensor *top_ids;       /* [R, k] I32, in no order */
    struct ggml_tensor *top_logits;    /* [R, k] */
    struct ggml_tensor *at_least_kth;  /* [R] #{v : z[v] ≥ the k-th largest} */
} ll_lens_graph;

/* ---- builders ------------------------------------------------------------- */

/* out[r, j] = z[r, ids[r, j]]: z [R, V], ids [R, n] I32 → [R, n]. */
static struct ggml_tensor *ll_gather(struct ggml_context *ctx, struct ggml_tensor *z, struct ggml_tensor *ids) {
    int64_t n_vocab = z->ne[0];
    int64_t n_rows = z->ne[1];
    int64_t n = ids->ne[0];
    struct ggml_tensor *columns = ggml_reshape_3d(ctx, z, 1, n_vocab, n_rows);                   /* [R, V, 1] */
    struct ggml_tensor *picked = ggml_get_rows(ctx, columns, ggml_reshape_2d(ctx, ids, n, n_rows)); /* [R, n, 1] */
    return ggml_reshape_2d(ctx, picked, n, n_rows);                                                /* [R, n] */
}

/* #{v : z[r, v] > threshold[r]}: z [R, V], threshold [R, 1] → [R, 1] (exact: z − t > 0 ⇔ z > t for floats). */
static struct ggml_tensor *ll_count_above(struct ggml_context *ctx, struct ggml_tensor *z, struct ggml_tensor *threshold) {
    return ggml_sum_rows(ctx, ggml_step(ctx, ggml_sub(ctx, z, threshold)));
}

/* #{v : z[r, v] < threshold[r]}: [R, V], [R, 1] → [R, 1]. */
static struct ggml_tensor *ll_count_below(struct ggml_context *ctx, struct ggml_tensor *z, struct ggml_tensor *threshold) {
    return ggml_sum_rows(ctx, ggml_step(ctx, ggml_neg(ctx, ggml_sub(ctx, z, threshold))));
}

/* The snapshot s of every position: x [P, S, n] (ggml ne: n, S, P) → a view [P, 1, n]. */
static struct ggml_tensor *ll_snapshot(struct ggml_context *ctx, struct ggml_tensor *x, int64_t s) {
    return ggml_view_3d(ctx, x, x->ne[0], 1, x->ne[2], x->nb[1], x->nb[2], (size_t) s * x->nb[1]);
}

/* KL(ref ‖ row) for every row: Σ_v p_ref (logp_ref − logp); logp, p [P, S, V], ref a snapshot → [R, 1]. */
static struct ggml_tensor *ll_kl_to(struct ggml_context *ctx, struct ggml_tensor *logp, struct ggml_tensor *p, int64_t ref) {
    struct ggml_tensor *excess = ggml_sub(ctx, logp, ll_snapshot(ctx, logp, ref));          /* [P, S, V] logp − logp_ref */
    struct ggml_tensor *weighted = ggml_mul(ctx, excess, ll_snapshot(ctx, p, ref));          /* [P, S, V] */
    struct ggml_tensor *kl = ggml_neg(ctx, ggml_sum_rows(ctx, weighted));                     /* [P, S, 1] */
    return ggml_reshape_2d(ctx, kl, 1, logp->ne[1] * logp->ne[2]);                            /* [R, 1] */
}

/* max, log Σ exp(z − max), entropy and the two KLs. */
static void ll_build_distribution(struct ggml_context *ctx, ll_lens_graph *g, int64_t n_snapshots) {
    struct ggml_tensor *z = g->z;                                                             /* [R, V] */
    int64_t n_vocab = z->ne[0];
    int64_t n_rows = z->ne[1];
    struct ggml_tensor *argmax = ggml_argmax(ctx, z);                                         /* [R] I32 */
    g->max = ll_gather(ctx, z, ggml_reshape_2d(ctx, argmax, 1, n_rows));                      /* [R, 1] */
    struct ggml_tensor *shifted = ggml_sub(ctx, z, g->max);                                   /* [R, V] z − max */
    struct ggml_tensor *e = ggml_exp(ctx, shifted);                                           /* [R, V] */
    struct ggml_tensor *sum = ggml_sum_rows(ctx, e);                                          /* [R, 1] */
    g->log_sum = ggml_log(ctx, sum);                                                          /* [R, 1] */
    struct ggml_tensor *logp = ggml_sub(ctx, shifted, g->log_sum);                            /* [R, V] */
    struct ggml_tensor *p = ggml_div(ctx, e, sum);                                            /* [R, V] */
    g->entropy = ggml_neg(ctx, ggml_sum_rows(ctx, ggml_mul(ctx, p, logp)));                   /* [R, 1] */
    int64_t n_positions = n_rows / n_snapshots;
    struct ggml_tensor *logp3 = ggml_reshape_3d(ctx, logp, n_vocab, n_snapshots, n_positions); /* [P, S, V] */
    struct ggml_tensor *p3 = ggml_reshape_3d(ctx, p, n_vocab, n_snapshots, n_positions);       /* [P, S, V] */
    g->kl_final = ll_kl_to(ctx, logp3, p3, n_snapshots - 1);
    g->kl_input = ll_kl_to(ctx, logp3, p3, 0);
}

/* The three ranks' counts, and how many logits of each final row equal its maximum. */
static void ll_build_ranks(struct ggml_context *ctx, ll_lens_graph *g, int64_t n_snapshots) {
    struct ggml_tensor *z = g->z;                                                             /* [R, V] */
    int64_t n_vocab = z->ne[0];
    int64_t n_rows = z->ne[1];
    int64_t n_positions = n_rows / n_snapshots;
    g->next_logit = ll_gather(ctx, z, g->next_ids);                                           /* [R, 1] */
    g->above_next = ll_count_above(ctx, z, g->next_logit);                                    /* [R, 1] */
    g->above_input = ll_count_above(ctx, z, ll_gather(ctx, z, g->input_ids));                 /* [R, 1] */
    /* the final row's top-1 as a one-hot mask (unique unless final_maxima says otherwise) */
    struct ggml_tensor *z3 = ggml_reshape_3d(ctx, z, n_vocab, n_snapshots, n_positions);      /* [P, S, V] */
    struct ggml_tensor *max3 = ggml_reshape_3d(ctx, g->max, 1, n_snapshots, n_positions);     /* [P, S, 1] */
    struct ggml_tensor *below = ggml_step(ctx, ggml_neg(ctx, ggml_sub(ctx, ll_snapshot(ctx, z3, n_snapshots - 1),
                                                                      ll_snapshot(ctx, max3, n_snapshots - 1)))); /* [P, 1, V] */
    struct ggml_tensor *is_max = ggml_scale_bias(ctx, below, -1.0f, 1.0f);                    /* [P, 1, V] 1 at the maximum */
    g->final_maxima = ggml_sum_rows(ctx, is_max);                                             /* [P, 1, 1] */
    struct ggml_tensor *top1_logit = ggml_sum_rows(ctx, ggml_mul(ctx, z3, is_max));           /* [P, S, 1] z[final top-1] */
    g->above_top1 = ll_count_above(ctx, z, ggml_reshape_2d(ctx, top1_logit, 1, n_rows));      /* [R, 1] */
}

/* The top-k ids and logits, and the count of logits at least the k-th largest (k when no tie straddles it). */
static void ll_build_top_k(struct ggml_context *ctx, ll_lens_graph *g, int32_t top_k) {
    struct ggml_tensor *z = g->z;                                                             /* [R, V] */
    int64_t n_rows = z->ne[1];
    g->top_ids = ggml_top_k(ctx, z, top_k);                                                   /* [R, k] I32 */
    g->top_logits = ll_gather(ctx, z, g->top_ids);                                            /* [R, k] */
    struct ggml_tensor *negated = ggml_neg(ctx, g->top_logits);                               /* [R, k] */
    struct ggml_tensor *kth = ggml_neg(ctx, ll_gather(ctx, negated,
                                                      ggml_reshape_2d(ctx, ggml_argmax(ctx, negated), 1, n_rows))); /* [R, 1] */
    struct ggml_tensor *below_kth = ll_count_below(ctx, z, kth);                             /* [R, 1] */
    g->at_least_kth = ggml_scale_bias(ctx, below_kth, -1.0f, (float) z->ne[0]);              /* [R, 1] V − below */
}

static void ll_lens_graph_build(struct ggml_context *ctx, const ll_projector *projector, int32_t n_positions,
                                int32_t n_snapshots, int32_t top_k, ll_lens_graph *g) {
    int64_t n_rows = (int64_t) n_positions * n_snapshots;
    g->gf = ggml_new_graph_custom(ctx, LL_PROJECT_MAX_NODES(projector->model->hp.n_vocab) + LL_LENS_STATS_NODES, false);
    g->rows = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, projector->model->hp.n_embd, n_rows);    /* [R, d] */
    g->input_ids = ggml_new_tensor_2d(ctx, GGML_TYPE_I32, 1, n_rows);                         /* [R, 1] */
    g->next_ids = ggml_new_tensor_2d(ctx, GGML_TYPE_I32, 1, n_rows);                          /* [R, 1] */
    ggml_set_input(g->rows);
    ggml_set_input(g->input_ids);
    ggml_set_input(g->next_ids);
    g->z = ll_build_projection(ctx, g->gf, projector, g->rows);                               /* [R, V] */
    ll_build_distribution(ctx, g, n_snapshots);
    ll_build_ranks(ctx, g, n_snapshots);
    ll_build_top_k(ctx, g, top_k);
    struct ggml_tensor *outputs[] = { g->z, g->max, g->log_sum, g->entropy, g->kl_final, g->kl_input, g->next_logit,
                                      g->above_next, g->above_input, g->above_top1, g->final_maxima, g->top_ids,
                                      g->top_logits, g->at_least_kth };
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        ggml_set_output(outputs[i]);
        ggml_build_forward_expand(g->gf, outputs[i]);
    }
}

/* ---- the host's part -------------------------------------------------------- */

/* Per-row results read back from the backend. */
typedef struct ll_lens_readback {
    float *max, *log_sum, *entropy, *kl_final, *kl_input, *next_logit;  /* [R] */
    float *above_next, *above_input, *above_top1, *at_least_kth;        /* [R] */
    float *final_maxima;                                                /* [P] */
    int32_t *top_ids;                                                   /* [R, k] */
    float *top_logits;                                                  /* [R, k] */
    float *exact_rows;                                                  /* [S, V] one position's z: made by the exact path */
} ll_lens_readback;

static void ll_readback_free(ll_lens_readback *b) {
    float *floats[] = { b->max, b->log_sum, b->entropy, b->kl_final, b->kl_input, b->next_logit, b->above_next,
                        b->above_input, b->above_top1, b->at_least_kth, b->final_maxima, b->top_logits, b->exact_rows };
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
        free(floats[i]);
    }
    free(b->top_ids);
}

static bool ll_readback_alloc(ll_lens_readback *b, int64_t n_positions, int64_t n_snapshots, int32_t top_k) {
    size_t rows = (size_t) (n_positions * n_snapshots);
    float **per_row[] = { &b->max, &b->log_sum, &b->entropy, &b->kl_final, &b->kl_input, &b->next_logit,
                          &b->above_next, &b->above_input, &b->above_top1, &b->at_least_kth };
    bool ok = true;
    for (size_t i = 0; i < sizeof per_row / sizeof per_row[0]; i++) {
        *per_row[i] = malloc(rows * sizeof(float));
        ok = ok && *per_row[i] != NULL;
    }
    b->final_maxima = malloc((size_t) n_positions * sizeof(float));
    b->top_ids = malloc(rows * (size_t) top_k * sizeof(int32_t));
    b->top_logits = malloc(rows * (size_t) top_k * sizeof(float));
    return ok && b->final_maxima != NULL && b->top_ids != NULL && b->top_logits != NULL;
}

static void ll_readback(const ll_lens_graph *g, ll_lens_readback *b) {
    struct { const struct ggml_tensor *tensor; void *dst; } reads[] = {
        { g->max, b->max }, { g->log_sum, b->log_sum }, { g->entropy, b->entropy }, { g->kl_final, b->kl_final },
        { g->kl_input, b->kl_input }, { g->next_logit, b->next_logit }, { g->above_next, b->above_next },
        { g->above_input, b->above_input }, { g->above_top1, b->above_top1 }, { g->at_least_kth, b->at_least_kth },
        { g->final_maxima, b->final_maxima }, { g->top_ids, b->top_ids }, { g->top_logits, b->top_logits },
    };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        ggml_backend_tensor_get(reads[i].tensor, reads[i].dst, 0, ggml_nbytes(reads[i].tensor));
    }
}

/* Sorts one row's k (id, logit) pairs by descending logit, equal logits by lower id (insertion sort: k is small). */
static void ll_order_top_k(int32_t *ids, float *logits, int32_t k) {
    for (int32_t i = 1; i < k; i++) {
        int32_t id = ids[i];
        float logit = logits[i];
        int32_t j = i - 1;
        while (j >= 0 && (logits[j] < logit || (logits[j] == logit && ids[j] > id))) {
            ids[j + 1] = ids[j];
            logits[j + 1] = logits[j];
            j--;
        }
        ids[j + 1] = id;
        logits[j + 1] = logit;
    }
}

/* Whether every row of position p has a result the ties cannot have changed, and finite values. */
static bool ll_position_is_exact(const ll_lens_readback *b, int64_t p, int32_t n_snapshots, int32_t top_k) {
    if (b->final_maxima[p] != 1.0f) {
        return false;
    }
    for (int64_t r = p * n_snapshots; r < (p + 1) * n_snapshots; r++) {
        if (b->at_least_kth[r] != (float) top_k || !isfinite(b->max[r]) || !isfinite(b->log_sum[r])
                || !isfinite(b->entropy[r]) || !isfinite(b->kl_final[r]) || !isfinite(b->kl_input[r])) {
            return false;
        }
    }
    return true;
}

/* The cells of position p from the graph's results. */
static void ll_position_from_graph(const ll_lens_readback *b, int64_t p, int32_t n_snapshots, int32_t top_k,
                                   int32_t next_token, const ll_lens_stats_out *out) {
    for (int64_t r = p * n_snapshots; r < (p + 1) * n_snapshots; r++) {
        int32_t *ids = b->top_ids + r * top_k;
        float *logits = b->top_logits + r * top_k;
        ll_order_top_k(ids, logits, top_k);
        memcpy(out->top_ids + r * top_k, ids, (size_t) top_k * sizeof *ids);
        memcpy(out->top_logits + r * top_k, logits, (size_t) top_k * sizeof *logits);
        double lse = (double) b->max[r] + (double) b->log_sum[r];
        out->log_sum_exp[r] = lse;
        out->entropy[r] = b->entropy[r];
        out->kl_final[r] = b->kl_final[r];
        out->kl_input[r] = b->kl_input[r];
        out->logprob_next[r] = next_token < 0 ? NAN : (double) b->next_logit[r] - lse;
        out->rank_final_top1[r] = 1 + (int32_t) b->above_top1[r];
        out->rank_next[r] = next_token < 0 ? -1 : 1 + (int32_t) b->above_next[r];
        out->rank_input[r] = 1 + (int32_t) b->above_input[r];
    }
}

/* The cells of position p by ll_lens_stats on its S rows of z, read back. */
static int32_t ll_position_exactly(const ll_lens_graph *g, ll_lens_readback *b, int64_t p, int32_t n_snapshots,
                                   int32_t top_k, int32_t input_token, int32_t next_token,
                                   const ll_lens_stats_out *out, ll_error *err) {
    int64_t n_vocab = g->z->ne[0];
    size_t position_bytes = (size_t) n_snapshots * (size_t) n_vocab * sizeof(float);
    if (b->exact_rows == NULL && (b->exact_rows = malloc(position_bytes)) == NULL) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory reading back %d x %lld logits", n_snapshots, (long long) n_vocab);
    }
    ggml_backend_tensor_get(g->z, b->exact_rows, (size_t) p * position_bytes, position_bytes);
    int64_t first = p * n_snapshots;
    ll_lens_stats_out cells = {
        .top_ids = out->top_ids + first * top_k,
        .top_logits = out->top_logits + first * top_k,
        .log_sum_exp = out->log_sum_exp + first,
        .entropy = out->entropy + first,
        .kl_final = out->kl_final + first,
        .kl_input = out->kl_input + first,
        .logprob_next = out->logprob_next + first,
        .rank_final_top1 = out->rank_final_top1 + first,
        .rank_next = out->rank_next + first,
        .rank_input = out->rank_input + first,
    };
    return ll_lens_stats(b->exact_rows, 1, n_snapshots, (int32_t) n_vocab, &input_token, &next_token, top_k, &cells, err);
}

/* ---- entry point ------------------------------------------------------------ */

/* Inputs [R] per row: each position's token repeated over its snapshots; a missing next token as 0. */
static int32_t *ll_row_tokens(const int32_t *tokens, int32_t n_positions, int32_t n_snapshots) {
    int32_t *per_row = malloc((size_t) n_positions * (size_t) n_snapshots * sizeof *per_row);
    if (per_row != NULL) {
        for (int32_t p = 0; p < n_positions; p++) {
            for (int32_t s = 0; s < n_snapshots; s++) {
                per_row[(size_t) p * n_snapshots + s] = tokens[p] < 0 ? 0 : tokens[p];
            }
        }
    }
    return per_row;
}

int32_t ll_lens(ll_projector *projector, const float *rows, int32_t n_positions, int32_t n_snapshots,
                const int32_t *input_tokens, const int32_t *next_tokens, int32_t top_k,
                const ll_lens_stats_out *out, int32_t *n_recomputed, ll_error *err) {
    if (projector == NULL || rows == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "projector and rows must not be NULL");
    }
    int32_t n_vocab = projector->model->hp.n_vocab;
    int32_t rc = ll_check_lens_arguments(n_positions, n_snapshots, n_vocab, input_tokens, next_tokens, top_k, out, err);
    if (rc != LL_OK) {
        return rc;
    }
    if ((int64_t) n_positions * n_snapshots > INT32_MAX / 2) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "%d positions x %d snapshots are too many rows for one call",
                       n_positions, n_snapshots);
    }
    size_t nodes = LL_PROJECT_MAX_NODES(n_vocab) + LL_LENS_STATS_NODES;
    struct ggml_init_params params = {
        .mem_size = nodes * ggml_tensor_overhead() + ggml_graph_overhead_custom(nodes, false),
        .mem_buffer = NULL,
        .no_alloc = true,
    };
    struct ggml_context *ctx = ggml_init(params);
    int32_t *input_ids = ll_row_tokens(input_tokens, n_positions, n_snapshots);  /* [R] */
    int32_t *next_ids = ll_row_tokens(next_tokens, n_positions, n_snapshots);    /* [R] */
    ll_lens_readback back = {0};
    bool allocated = ll_readback_alloc(&back, n_positions, n_snapshots, top_k);
    if (ctx == NULL || input_ids == NULL || next_ids == NULL || !allocated) {
        rc = ll_fail(err, LL_ERR_ALLOC, "out of memory preparing the lens of %d x %d rows", n_positions, n_snapshots);
        goto done;
    }
    ll_lens_graph g;
    ll_lens_graph_build(ctx, projector, n_positions, n_snapshots, top_k, &g);
    for (int i = 0; i < ggml_graph_n_nodes(g.gf); i++) {
        struct ggml_tensor *node = ggml_graph_node(g.gf, i);
        if (!ggml_backend_supports_op(projector->backend, node)) {
            rc = ll_fail(err, LL_ERR_BACKEND, "the %s backend cannot compute %s of the lens graph",
                         ggml_backend_name(projector->backend), ggml_op_desc(node));
            goto done;
        }
    }
    /* ggml would reuse a plan made for another graph whenever the tensors fit it: plan per shape */
    int64_t shape = ((int64_t) n_positions << 40) | ((int64_t) n_snapshots << 20) | top_k;
    if (projector->lens_planned != shape) {
        projector->lens_planned = 0;
        if (ggml_gallocr_reserve(projector->lens_galloc, g.gf)) {
            projector->lens_planned = shape;
        }
    }
    if (projector->lens_planned == 0 || !ggml_gallocr_alloc_graph(projector->lens_galloc, g.gf)) {
        rc = ll_fail(err, LL_ERR_ALLOC, "out of %s memory for the lens of %d x %d rows (%zu MB of logits)",
                     ggml_backend_name(projector->backend), n_positions, n_snapshots, ggml_nbytes(g.z) >> 20);
        goto done;
    }
    ggml_backend_tensor_set(g.rows, rows, 0, ggml_nbytes(g.rows));
    ggml_backend_tensor_set(g.input_ids, input_ids, 0, ggml_nbytes(g.input_ids));
    ggml_backend_tensor_set(g.next_ids, next_ids, 0, ggml_nbytes(g.next_ids));
    enum ggml_status status = ggml_backend_graph_compute(projector->backend, g.gf);
    if (status != GGML_STATUS_SUCCESS) {
        rc = ll_fail(err, LL_ERR_COMPUTE, "the %s backend failed to compute the lens (%s)",
                     ggml_backend_name(projector->backend), ggml_status_to_string(status));
        goto done;
    }
    ll_readback(&g, &back);
    int32_t exact_positions = 0;
    for (int32_t p = 0; p < n_positions && rc == LL_OK; p++) {
        if (ll_position_is_exact(&back, p, n_snapshots, top_k)) {
            ll_position_from_graph(&back, p, n_snapshots, top_k, next_tokens[p], out);
        } else {
            exact_positions++;
            rc = ll_position_exactly(&g, &back, p, n_snapshots, top_k, input_tokens[p], next_tokens[p], out, err);
        }
    }
    if (n_recomputed != NULL) {
        *n_recomputed = exact_positions;
    }
done:
    ll_readback_free(&back);
    free(input_ids);
    free(next_ids);
    if (ctx != NULL) {
        ggml_free(ctx);
    }
    return rc == LL_OK ? ll_succeed(err) : rc;
}
