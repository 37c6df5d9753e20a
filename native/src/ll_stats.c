/*
 * The lens statistics of a block of logits on the CPU (ll_lens_stats): per row
 * the maximum and top-k, log-sum-exp and entropy; per row against its
 * position's final and layer-0 rows, the two KL divergences and the ranks of
 * three target tokens. The same rules as the JVM's PositionAnalyzer and
 * RowReductions (engine/.../lens/), which stay the reference:
 *   rank(x)  = 1 + #{v : z[v] > z[x]}                (ties in the token's favour)
 *   top-k    : descending logit, equal logits by lower id
 *   lse      = max + log Σ exp(z − max)
 *   entropy  = log S − Σ e·(z − max) / S              with e = exp(z − max), S = Σ e
 *   KL(ref ‖ z) = Σ p_ref (z_ref − z) + (lse − lse_ref) · Σ p_ref
 *
 * Why this exists beside the JVM statistics: it is fast from the first call.
 * The JVM's Vector API code runs interpreted until C2 compiles it, which for a
 * short input (a few hundred rows) costs more than the whole lens; this code
 * is compiled ahead of time, in three variants (AVX-512, AVX2, baseline x86-64)
 * chosen when the library loads, so one build runs on any x86-64 CPU.
 *
 * Vectors are GCC vector extensions of 16 floats: each variant lowers them to
 * its own registers (one zmm, two ymm, four xmm). Sums accumulate in float
 * lanes over blocks of LL_SUM_BLOCK elements and in double across blocks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ll_internal.h"

#define LL_LANES 16
/* Elements per float-lane partial sum before it is added to a double. */
#define LL_SUM_BLOCK 512
/* Elements whose maximum is tested against the top-k threshold at once. */
#define LL_SCAN_BLOCK 256

typedef float   ll_v16f __attribute__((vector_size(LL_LANES * sizeof(float)), aligned(4)));
typedef int32_t ll_v16i __attribute__((vector_size(LL_LANES * sizeof(int32_t)), aligned(4)));

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#  define LL_VARIANTS __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#  define LL_VARIANTS
#endif
/* The vector helpers are inlined into each variant and so take its instruction set. */
#define LL_INLINE __attribute__((always_inline))

static inline LL_INLINE ll_v16f ll_load(const float *p) {
    ll_v16f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline LL_INLINE ll_v16f ll_splat(float x) {
    return (ll_v16f) { x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x };
}

static inline LL_INLINE ll_v16f ll_select(ll_v16i mask, ll_v16f a, ll_v16f b) {
    return (ll_v16f) (((ll_v16i) a & mask) | ((ll_v16i) b & ~mask));
}

static inline LL_INLINE ll_v16f ll_max(ll_v16f a, ll_v16f b) {
    return ll_select(a > b, a, b);
}

static inline LL_INLINE float ll_hsum(ll_v16f v) {
    float s = 0.0f;
    for (int i = 0; i < LL_LANES; i++) {
        s += v[i];
    }
    return s;
}

/*
 * exp(x) for x <= 0 (every argument here is a logit minus its row's maximum):
 * Cephes' expf, n = round(x / ln 2), r = x − n ln 2 in two parts, a degree-6
 * polynomial, scaled by 2^n; about 1 ulp. Below −87.3 (where 2^n leaves the
 * normal range) and for −inf it returns 0, as exp underflows.
 */
static inline LL_INLINE ll_v16f ll_exp(ll_v16f x) {
    const ll_v16f round_magic = ll_splat(12582912.0f); /* 1.5 · 2^23: adding it rounds to an integer */
    ll_v16i underflow = x < ll_splat(-87.3f);
    ll_v16f xc = ll_select(underflow, ll_splat(0.0f), x);
    ll_v16f n = (xc * ll_splat(1.44269504088896341f) + round_magic) - round_magic;
    ll_v16f r = xc - n * ll_splat(0.693359375f) - n * ll_splat(-2.12194440e-4f);
    ll_v16f p = ll_splat(1.9875691500e-4f);
    p = p * r + ll_splat(1.3981999507e-3f);
    p = p * r + ll_splat(8.3334519073e-3f);
    p = p * r + ll_splat(4.1665795894e-2f);
    p = p * r + ll_splat(1.6666665459e-1f);
    p = p * r + ll_splat(5.0000001201e-1f);
    p = p * r * r + r + ll_splat(1.0f);
    ll_v16i scale = (__builtin_convertvector(n, ll_v16i) + 127) << 23;
    return ll_select(underflow, ll_splat(0.0f), p * (ll_v16f) scale);
}

/* ---- top-k --------------------------------------------------------------- */

/* The k best (logit, id) so far, best first; ids arrive in increasing order. */
typedef struct ll_topk {
    int32_t k, n;
    int32_t *ids;
    float *logits;
} ll_topk;

/* Keeps (id, x) when it beats the worst kept entry; a later id never beats an equal logit. */
static inline LL_INLINE void ll_topk_offer(ll_topk *top, int32_t id, float x) {
    if (top->n == top->k) {
        if (!(x > top->logits[top->k - 1])) {
            return;
        }
        top->n--;
    }
    int32_t i = top->n;
    while (i > 0 && x > top->logits[i - 1]) {
        top->logits[i] = top->logits[i - 1];
        top->ids[i] = top->ids[i - 1];
        i--;
    }
    top->logits[i] = x;
    top->ids[i] = id;
    top->n++;
}

/* The entry a candidate must beat; −inf until k entries are kept. */
static inline LL_INLINE float ll_topk_threshold(const ll_topk *top) {
    return top->n < top->k ? -INFINITY : top->logits[top->k - 1];
}

/* ---- one row ------------------------------------------------------------- */

/* Returns max(z) and fills top (empty on entry). A NaN logit is never kept, as in the JVM. */
LL_VARIANTS
static float ll_max_and_topk(const float *z, int32_t n, ll_topk *top) {
    float max = -INFINITY;
    int32_t v = 0;
    for (; v < n && top->n < top->k; v++) {
        max = z[v] > max ? z[v] : max;
        if (z[v] == z[v]) {
            ll_topk_offer(top, v, z[v]);
        }
    }
    ll_v16f vmax = ll_splat(max);
    for (; v + LL_SCAN_BLOCK <= n; v += LL_SCAN_BLOCK) {
        ll_v16f block_max = ll_load(z + v);
        for (int32_t i = LL_LANES; i < LL_SCAN_BLOCK; i += LL_LANES) {
            block_max = ll_max(block_max, ll_load(z + v + i));
        }
        vmax = ll_max(vmax, block_max);
        float threshold = ll_topk_threshold(top);
        ll_v16i above = block_max > ll_splat(threshold);
        int any = 0;
        for (int i = 0; i < LL_LANES; i++) {
            any |= above[i];
        }
        if (any) {
            for (int32_t i = v; i < v + LL_SCAN_BLOCK; i++) {
                if (z[i] > threshold) {
                    ll_topk_offer(top, i, z[i]);
                    threshold = ll_topk_threshold(top);
                }
            }
        }
    }
    for (int i = 0; i < LL_LANES; i++) {
        max = vmax[i] > max ? vmax[i] : max;
    }
    for (; v < n; v++) {
        max = z[v] > max ? z[v] : max;
        if (z[v] > ll_topk_threshold(top)) {
            ll_topk_offer(top, v, z[v]);
        }
    }
    return max;
}

/* S = Σ exp(z − max) and W = Σ exp(z − max)·(z − max). */
LL_VARIANTS
static void ll_exp_sums(const float *z, int32_t n, float max, double *sum, double *weighted) {
    double s = 0.0, w = 0.0;
    int32_t v = 0;
    const ll_v16f vmax = ll_splat(max);
    while (v + LL_LANES <= n) {
        int32_t end = v + LL_SUM_BLOCK < n ? v + LL_SUM_BLOCK : n;
        ll_v16f bs = ll_splat(0.0f), bw = ll_splat(0.0f);
        for (; v + LL_LANES <= end; v += LL_LANES) {
            ll_v16f shifted = ll_load(z + v) - vmax;
            ll_v16f e = ll_exp(shifted);
            bs += e;
            bw += e * shifted;
        }
        s += ll_hsum(bs);
        w += ll_hsum(bw);
    }
    for (; v < n; v++) {
        double shifted = (double) z[v] - max;
        double e = exp(shifted);
        s += e;
        w += e * shifted;
    }
    *sum = s;
    *weighted = w;
}

/* p = softmax(z) from the shifted logits; returns Σ p as computed. */
LL_VARIANTS
static double ll_probabilities(const float *z, int32_t n, float max, double sum, float *p) {
    double log_sum = log(sum);
    const ll_v16f shift = ll_splat(max + 0.0f), vlog = ll_splat((float) log_sum);
    double mass = 0.0;
    int32_t v = 0;
    while (v + LL_LANES <= n) {
        int32_t end = v + LL_SUM_BLOCK < n ? v + LL_SUM_BLOCK : n;
        ll_v16f bm = ll_splat(0.0f);
        for (; v + LL_LANES <= end; v += LL_LANES) {
            ll_v16f pv = ll_exp((ll_load(z + v) - shift) - vlog);
            memcpy(p + v, &pv, sizeof pv);
            bm += pv;
        }
        mass += ll_hsum(bm);
    }
    for (; v < n; v++) {
        p[v] = (float) exp(((double) z[v] - max) - log_sum);
        mass += p[v];
    }
    return mass;
}

typedef struct ll_comparison {
    double cross_final, cross_input; /* Σ p_final (z_final − z), Σ p_input (z_input − z) */
    int32_t above[3];                /* #{v : z[v] > target_i}; a NaN target counts nothing */
} ll_comparison;

LL_VARIANTS
static void ll_compare(const float *z, const float *z_final, const float *p_final, const float *z_input,
                       const float *p_input, int32_t n, const float targets[3], ll_comparison *out) {
    double cf = 0.0, ci = 0.0;
    int32_t above[3] = { 0, 0, 0 };
    const ll_v16f t0 = ll_splat(targets[0]), t1 = ll_splat(targets[1]), t2 = ll_splat(targets[2]);
    int32_t v = 0;
    while (v + LL_LANES <= n) {
        int32_t end = v + LL_SUM_BLOCK < n ? v + LL_SUM_BLOCK : n;
        ll_v16f bf = ll_splat(0.0f), bi = ll_splat(0.0f);
        ll_v16i c0 = { 0 }, c1 = { 0 }, c2 = { 0 };
        for (; v + LL_LANES <= end; v += LL_LANES) {
            ll_v16f x = ll_load(z + v);
            bf += ll_load(p_final + v) * (ll_load(z_final + v) - x);
            bi += ll_load(p_input + v) * (ll_load(z_input + v) - x);
            c0 -= x > t0; /* a true comparison is −1 */
            c1 -= x > t1;
            c2 -= x > t2;
        }
        cf += ll_hsum(bf);
        ci += ll_hsum(bi);
        for (int i = 0; i < LL_LANES; i++) {
            above[0] += c0[i];
            above[1] += c1[i];
            above[2] += c2[i];
        }
    }
    for (; v < n; v++) {
        float x = z[v];
        cf += (double) p_final[v] * (z_final[v] - x);
        ci += (double) p_input[v] * (z_input[v] - x);
        above[0] += x > targets[0];
        above[1] += x > targets[1];
        above[2] += x > targets[2];
    }
    out->cross_final = cf;
    out->cross_input = ci;
    memcpy(out->above, above, sizeof above);
}

/* ---- one position -------------------------------------------------------- */

typedef struct ll_row_summary {
    float max;
    double sum, lse;
} ll_row_summary;

/* Top-k, log-sum-exp and entropy of one row into cell `cell` of out. */
static ll_row_summary ll_summarise_row(const float *z, int32_t n_vocab, int32_t top_k, int64_t cell,
                                       const ll_lens_stats_out *out) {
    ll_topk top = { top_k, 0, out->top_ids + cell * top_k, out->top_logits + cell * top_k };
    ll_row_summary row;
    row.max = ll_max_and_topk(z, n_vocab, &top);
    for (int32_t j = top.n; j < top_k; j++) { /* fewer than k comparable logits (NaN rows) */
        top.ids[j] = -1;
        top.logits[j] = NAN;
    }
    double weighted;
    ll_exp_sums(z, n_vocab, row.max, &row.sum, &weighted);
    row.lse = row.max + log(row.sum);
    out->log_sum_exp[cell] = row.lse;
    out->entropy[cell] = log(row.sum) - weighted / row.sum;
    return row;
}

/* Every statistic of the n_snapshots rows of one position (cells [first, first + n_snapshots)). */
static void ll_position_stats(const float *rows, int32_t n_snapshots, int32_t n_vocab, int32_t top_k,
                              int32_t input_token, int32_t next_token, int64_t first,
                              float *p_final, float *p_input, const ll_lens_stats_out *out) {
    const int32_t last = n_snapshots - 1;
    const float *z_final = rows + (size_t) last * (size_t) n_vocab;
    const float *z_input = rows;
    ll_row_summary final_row = ll_summarise_row(z_final, n_vocab, top_k, first + last, out);
    double final_mass = ll_probabilities(z_final, n_vocab, final_row.max, final_row.sum, p_final);
    ll_row_summary input_row = final_row;
    double input_mass = final_mass;
    const float *p_in = p_final;
    if (last > 0) {
        input_row = ll_summarise_row(z_input, n_vocab, top_k, first, out);
        input_mass = ll_probabilities(z_input, n_vocab, input_row.max, input_row.sum, p_input);
        p_in = p_input;
    }
    int32_t final_top = out->top_ids[(first + last) * top_k];
    for (int32_t layer = 0; layer <= last; layer++) {
        const float *z = rows + (size_t) layer * (size_t) n_vocab;
        int64_t cell = first + layer;
        double lse = layer == last ? final_row.lse
                   : layer == 0 ? input_row.lse
                   : ll_summarise_row(z, n_vocab, top_k, cell, out).lse;
        float next_logit = next_token < 0 ? NAN : z[next_token];
        float targets[3] = { final_top < 0 ? NAN : z[final_top], next_logit, z[input_token] };
        ll_comparison cmp;
        ll_compare(z, z_final, p_final, z_input, p_in, n_vocab, targets, &cmp);
        out->kl_final[cell] = cmp.cross_final + (lse - final_row.lse) * final_mass;
        out->kl_input[cell] = cmp.cross_input + (lse - input_row.lse) * input_mass;
        out->logprob_next[cell] = next_token < 0 ? NAN : next_logit - lse;
        out->rank_final_top1[cell] = 1 + cmp.above[0];
        out->rank_next[cell] = next_token < 0 ? -1 : 1 + cmp.above[1];
        out->rank_input[cell] = 1 + cmp.above[2];
    }
}

/* ---- entry point --------------------------------------------------------- */

static int32_t ll_check_stats_outputs(const ll_lens_stats_out *out, ll_error *err) {
    const void *outputs[] = { out->top_ids, out->top_logits, out->log_sum_exp, out->entropy, out->kl_final,
                              out->kl_input, out->logprob_next, out->rank_final_top1, out->rank_next, out->rank_input };
    static const char *const names[] = { "top_ids", "top_logits", "log_sum_exp", "entropy", "kl_final",
                                         "kl_input", "logprob_next", "rank_final_top1", "rank_next", "rank_input" };
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        if (outputs[i] == NULL) {
            return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "out->%s is NULL", names[i]);
        }
    }
    return LL_OK;
}

int32_t ll_check_lens_arguments(int32_t n_positions, int32_t n_snapshots, int32_t n_vocab,
                                const int32_t *input_tokens, const int32_t *next_tokens, int32_t top_k,
                                const ll_lens_stats_out *out, ll_error *err) {
    if (input_tokens == NULL || next_tokens == NULL || out == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "input_tokens, next_tokens and out must not be NULL");
    }
    if (n_positions < 1 || n_snapshots < 1 || n_vocab < 1) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "n_positions = %d, n_snapshots = %d and n_vocab = %d must be at least 1",
                       n_positions, n_snapshots, n_vocab);
    }
    if (top_k < 1 || top_k > n_vocab) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "top_k = %d is outside [1, n_vocab = %d]", top_k, n_vocab);
    }
    int32_t rc = ll_check_stats_outputs(out, err);
    if (rc != LL_OK) {
        return rc;
    }
    for (int32_t p = 0; p < n_positions; p++) {
        if (input_tokens[p] < 0 || input_tokens[p] >= n_vocab) {
            return ll_fail(err, LL_ERR_TOKEN, "input token %d at position %d is outside [0, %d)", input_tokens[p], p, n_vocab);
        }
        if (next_tokens[p] < -1 || next_tokens[p] >= n_vocab) {
            return ll_fail(err, LL_ERR_TOKEN, "next token %d at position %d is outside [0, %d) (or -1 for none)",
                           next_tokens[p], p, n_vocab);
        }
    }
    return LL_OK;
}

int32_t ll_lens_stats(const float *logits, int32_t n_positions, int32_t n_snapshots, int32_t n_vocab,
                      const int32_t *input_tokens, const int32_t *next_tokens, int32_t top_k,
                      const ll_lens_stats_out *out, ll_error *err) {
    if (logits == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "logits must not be NULL");
    }
    int32_t rc = ll_check_lens_arguments(n_positions, n_snapshots, n_vocab, input_tokens, next_tokens, top_k, out, err);
    if (rc != LL_OK) {
        return rc;
    }
    float *scratch = malloc(2 * (size_t) n_vocab * sizeof *scratch); /* [2, V]: p_final, p_input */
    if (scratch == NULL) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory allocating 2 x %d floats of scratch", n_vocab);
    }
    for (int32_t p = 0; p < n_positions; p++) {
        const float *rows = logits + (size_t) p * (size_t) n_snapshots * (size_t) n_vocab; /* [S, V] */
        ll_position_stats(rows, n_snapshots, n_vocab, top_k, input_tokens[p], next_tokens[p],
                          (int64_t) p * n_snapshots, scratch, scratch + n_vocab, out);
    }
    free(scratch);
    return ll_succeed(err);
}
