/*
 * ll_lens_stats against a plain double-precision reference written from the
 * definitions (full sort for top-k, log-softmax in double, KL as a sum of
 * p_ref (log p_ref - log p), ranks by counting), on random logits with ties,
 * a sharp row, a flat row and vocabulary sizes that are not a multiple of the
 * vector width; plus validation. Tolerance: 1e-5 relative on sums (float logits,
 * float exp), exact on ids and ranks.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "test_support.h"

#define TOP_K 7

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static double uniform(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double) (g_rng >> 11) / 9007199254740992.0;
}

/* log-softmax of a row in double. */
static void log_softmax(const float *z, int n, double *out) {
    double max = -INFINITY;
    for (int v = 0; v < n; v++) {
        max = z[v] > max ? z[v] : max;
    }
    double s = 0;
    for (int v = 0; v < n; v++) {
        s += exp((double) z[v] - max);
    }
    double lse = max + log(s);
    for (int v = 0; v < n; v++) {
        out[v] = (double) z[v] - lse;
    }
}

static int rank_of(const float *z, int n, int x) {
    int above = 0;
    for (int v = 0; v < n; v++) {
        above += z[v] > z[x];
    }
    return 1 + above;
}

/* The j-th best id by (logit desc, id asc), by selection over everything. */
static void reference_top(const float *z, int n, int k, int *ids) {
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int v = 0; v < n; v++) {
            int taken = 0;
            for (int i = 0; i < j; i++) {
                taken |= ids[i] == v;
            }
            if (!taken && (best < 0 || z[v] > z[best])) {
                best = v;
            }
        }
        ids[j] = best;
    }
}

static int close_to(double got, double want, double scale) {
    return fabs(got - want) <= 1e-5 * (1.0 + fabs(scale));
}

static void check_block(int n_positions, int n_snapshots, int n_vocab, int ties) {
    size_t cells = (size_t) n_positions * n_snapshots;
    float *logits = malloc(cells * n_vocab * sizeof *logits); /* [P, S, V] */
    int32_t *inputs = malloc(n_positions * sizeof *inputs);
    int32_t *nexts = malloc(n_positions * sizeof *nexts);
    for (size_t i = 0; i < cells * n_vocab; i++) {
        double x = 6.0 * (uniform() - 0.5);
        logits[i] = (float) (ties ? round(x * 2) / 2 : x); /* ties: many equal logits */
    }
    /* a sharp row and a flat row */
    for (int v = 0; v < n_vocab; v++) {
        logits[(size_t) 0 * n_vocab + v] = v == 3 ? 40.0f : logits[v];
        if (cells > 1) {
            logits[(size_t) 1 * n_vocab + v] = 0.25f;
        }
    }
    for (int p = 0; p < n_positions; p++) {
        inputs[p] = (int32_t) (uniform() * n_vocab);
        nexts[p] = p == n_positions - 1 ? -1 : (int32_t) (uniform() * n_vocab);
    }
    int32_t *top_ids = malloc(cells * TOP_K * sizeof *top_ids);
    float *top_logits = malloc(cells * TOP_K * sizeof *top_logits);
    double *reals = malloc(5 * cells * sizeof *reals);
    int32_t *ranks = malloc(3 * cells * sizeof *ranks);
    ll_lens_stats_out out = { top_ids, top_logits, reals, reals + cells, reals + 2 * cells, reals + 3 * cells,
                              reals + 4 * cells, ranks, ranks + cells, ranks + 2 * cells };
    ll_error err;
    int32_t rc = ll_lens_stats(logits, n_positions, n_snapshots, n_vocab, inputs, nexts, TOP_K, &out, &err);
    expect(rc == LL_OK, "ll_lens_stats succeeds");
    if (rc != LL_OK) {
        printf("  %s\n", err.message);
        return;
    }
    double *lp = malloc(n_vocab * sizeof *lp), *lp_final = malloc(n_vocab * sizeof *lp),
           *lp_input = malloc(n_vocab * sizeof *lp);
    int ids[TOP_K];
    int bad_top = 0, bad_rank = 0, bad_real = 0;
    for (int p = 0; p < n_positions; p++) {
        const float *rows = logits + (size_t) p * n_snapshots * n_vocab;
        const float *z_final = rows + (size_t) (n_snapshots - 1) * n_vocab;
        log_softmax(z_final, n_vocab, lp_final);
        log_softmax(rows, n_vocab, lp_input);
        int final_ids[TOP_K];
        reference_top(z_final, n_vocab, TOP_K, final_ids);
        for (int l = 0; l < n_snapshots; l++) {
            const float *z = rows + (size_t) l * n_vocab;
            size_t cell = (size_t) p * n_snapshots + l;
            log_softmax(z, n_vocab, lp);
            reference_top(z, n_vocab, TOP_K, ids);
            for (int j = 0; j < TOP_K; j++) {
                bad_top += top_ids[cell * TOP_K + j] != ids[j] || top_logits[cell * TOP_K + j] != z[ids[j]];
            }
            double entropy = 0, kl_final = 0, kl_input = 0;
            for (int v = 0; v < n_vocab; v++) {
                entropy -= exp(lp[v]) * lp[v];
                kl_final += exp(lp_final[v]) * (lp_final[v] - lp[v]);
                kl_input += exp(lp_input[v]) * (lp_input[v] - lp[v]);
            }
            double lse = z[0] - lp[0];
            bad_real += !close_to(out.log_sum_exp[cell], lse, lse) || !close_to(out.entropy[cell], entropy, entropy) ||
                        !close_to(out.kl_final[cell], kl_final, kl_final) ||
                        !close_to(out.kl_input[cell], kl_input, kl_input);
            int next = nexts[p];
            bad_real += next < 0 ? !isnan(out.logprob_next[cell]) : !close_to(out.logprob_next[cell], lp[next], lp[next]);
            bad_rank += out.rank_final_top1[cell] != rank_of(z, n_vocab, final_ids[0]) ||
                        out.rank_input[cell] != rank_of(z, n_vocab, inputs[p]) ||
                        out.rank_next[cell] != (next < 0 ? -1 : rank_of(z, n_vocab, next));
        }
    }
    char what[160];
    snprintf(what, sizeof what, "P=%d S=%d V=%d ties=%d: top-k ids and logits exact", n_positions, n_snapshots, n_vocab, ties);
    expect(bad_top == 0, what);
    snprintf(what, sizeof what, "P=%d S=%d V=%d ties=%d: ranks exact", n_positions, n_snapshots, n_vocab, ties);
    expect(bad_rank == 0, what);
    snprintf(what, sizeof what, "P=%d S=%d V=%d ties=%d: lse, entropy, KLs, log p(next) within 1e-5", n_positions,
             n_snapshots, n_vocab, ties);
    expect(bad_real == 0, what);
    free(lp), free(lp_final), free(lp_input);
    free(logits), free(inputs), free(nexts), free(top_ids), free(top_logits), free(reals), free(ranks);
}

static void check_validation(void) {
    float logits[2 * 8] = { 0 };
    int32_t inputs[1] = { 0 }, nexts[1] = { -1 }, ids[2 * 7];
    float top[2 * 7];
    double reals[5 * 2];
    int32_t ranks[3 * 2];
    ll_lens_stats_out out = { ids, top, reals, reals + 2, reals + 4, reals + 6, reals + 8, ranks, ranks + 2, ranks + 4 };
    ll_error err;
    expect(ll_lens_stats(NULL, 1, 2, 8, inputs, nexts, 2, &out, &err) == LL_ERR_INVALID_ARGUMENT, "NULL logits refused");
    expect(ll_lens_stats(logits, 1, 2, 8, inputs, nexts, 9, &out, &err) == LL_ERR_INVALID_ARGUMENT, "top_k > V refused");
    expect(ll_lens_stats(logits, 1, 2, 8, inputs, nexts, 0, &out, &err) == LL_ERR_INVALID_ARGUMENT, "top_k 0 refused");
    expect(ll_lens_stats(logits, 0, 2, 8, inputs, nexts, 2, &out, &err) == LL_ERR_INVALID_ARGUMENT, "no positions refused");
    int32_t bad_input[1] = { 8 }, bad_next[1] = { -2 };
    expect(ll_lens_stats(logits, 1, 2, 8, bad_input, nexts, 2, &out, &err) == LL_ERR_TOKEN, "input token >= V refused");
    expect(ll_lens_stats(logits, 1, 2, 8, inputs, bad_next, 2, &out, &err) == LL_ERR_TOKEN, "next token -2 refused");
    ll_lens_stats_out missing = out;
    missing.kl_input = NULL;
    expect(ll_lens_stats(logits, 1, 2, 8, inputs, nexts, 2, &missing, &err) == LL_ERR_INVALID_ARGUMENT &&
               strstr(err.message, "kl_input") != NULL,
           "a NULL output is named");
    expect(ll_lens_stats(logits, 1, 2, 8, inputs, nexts, 2, &out, NULL) == LL_OK, "valid call without an error struct");
}

int main(void) {
    check_block(3, 4, 1000, 0);    /* V a multiple of nothing in particular */
    check_block(2, 3, 4099, 1);    /* ties everywhere; V beyond several scan blocks, not a multiple of 16 */
    check_block(1, 1, 37, 0);      /* one layer: the final row is the input row; V below one scan block */
    check_block(5, 13, 777, 1);
    check_validation();
    return finish();
}
