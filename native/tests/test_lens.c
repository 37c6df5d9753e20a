/*
 * ll_lens (the projection and statistics as one ggml graph) against ll_project
 * followed by ll_lens_stats on the same rows: top-k and ranks exact, the sums
 * (log-sum-exp, entropy, KLs, log p(next)) within 1e-5 relative; with W_U rows
 * duplicated so that ties decide the top-k and the final top-1 (those positions
 * take the exact path); and its validation.
 *
 *   logitlens_test_lens [cpu|cuda]   (cuda exits 77, "skipped", without a device)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2_fixture.h"
#include "test_support.h"

/* Relative tolerance of the sums the backend makes in float32. */
#define SUM_TOLERANCE 1e-5

typedef struct lens_cells {
    int32_t *top_ids;    /* [R, k] */
    float *top_logits;   /* [R, k] */
    double *reals;       /* [5, R]: lse, entropy, kl_final, kl_input, logprob_next */
    int32_t *ranks;      /* [3, R]: final top-1, next, input */
    ll_lens_stats_out out;
} lens_cells;

static void cells_alloc(lens_cells *c, int32_t n_rows, int32_t top_k) {
    c->top_ids = malloc(sizeof(int32_t) * (size_t) n_rows * top_k);
    c->top_logits = malloc(sizeof(float) * (size_t) n_rows * top_k);
    c->reals = malloc(sizeof(double) * 5 * (size_t) n_rows);
    c->ranks = malloc(sizeof(int32_t) * 3 * (size_t) n_rows);
    c->out = (ll_lens_stats_out) { c->top_ids, c->top_logits, c->reals, c->reals + n_rows, c->reals + 2 * n_rows,
                                   c->reals + 3 * n_rows, c->reals + 4 * n_rows, c->ranks, c->ranks + n_rows,
                                   c->ranks + 2 * n_rows };
}

static void cells_free(lens_cells *c) {
    free(c->top_ids), free(c->top_logits), free(c->reals), free(c->ranks);
}

static int same_real(double a, double b) {
    if (isnan(a) || isnan(b)) {
        return isnan(a) && isnan(b);
    }
    return fabs(a - b) <= SUM_TOLERANCE * (1 + fabs(b));
}

/*
 * Makes `duplicates` rows of the float32 W_U copies of earlier rows (every row a copy of one of the
 * first `distinct` when distinct > 0), so that their logits tie exactly.
 */
static void duplicate_unembedding_rows(gpt2_fixture *f, int32_t distinct) {
    int32_t index = gpt2_fixture_find(f, "token_embd.weight");
    float *w = (float *) f->descs[index].data; /* [V, d] */
    int64_t d = f->hp.n_embd;
    for (int64_t v = distinct; v < f->hp.n_vocab; v++) {
        memcpy(w + v * d, w + (v % distinct) * d, sizeof(float) * (size_t) d);
    }
}

/* ll_lens against ll_project + ll_lens_stats on n_positions × n_snapshots random rows. */
static void check_lens(int32_t n_vocab, int32_t n_positions, int32_t n_snapshots, int32_t top_k, int32_t distinct,
                       int32_t want_recomputed_min) {
    ll_hparams hp = { .n_vocab = n_vocab, .n_ctx = 16, .n_embd = 32, .n_head = 2, .n_layer = 1, .norm_eps = 1e-5f };
    fixture_options options = { .seed = 7 + (uint64_t) n_vocab, .matrix_type = LL_TYPE_F32,
                                .vector_type = LL_TYPE_F32, .layout = LL_LAYOUT_OUT_IN };
    gpt2_fixture f;
    if (gpt2_fixture_make(&f, &hp, &options) != 0) {
        expect(0, "fixture");
        return;
    }
    if (distinct > 0) {
        duplicate_unembedding_rows(&f, distinct);
    }
    ll_error err;
    ll_model *model = NULL;
    ll_projector *projector = NULL;
    expect(ll_model_create(&hp, f.descs, f.n_tensors, g_backend, &model, &err) == LL_OK, err.message);
    expect(model != NULL && ll_projector_create(model, LL_TYPE_F32, 2, &projector, &err) == LL_OK, err.message);
    if (projector == NULL) {
        ll_model_free(model);
        gpt2_fixture_free(&f);
        return;
    }
    int32_t n_rows = n_positions * n_snapshots;
    uint64_t state = 99 + (uint64_t) n_rows;
    float *rows = malloc(sizeof(float) * (size_t) n_rows * hp.n_embd);      /* [P, S, d] */
    float *logits = malloc(sizeof(float) * (size_t) n_rows * hp.n_vocab);   /* [P, S, V] */
    int32_t *inputs = malloc(sizeof(int32_t) * (size_t) n_positions);       /* [P] */
    int32_t *nexts = malloc(sizeof(int32_t) * (size_t) n_positions);        /* [P] */
    for (int64_t i = 0; i < (int64_t) n_rows * hp.n_embd; i++) {
        rows[i] = (float) fixture_uniform(&state, -2, 2);
    }
    for (int32_t p = 0; p < n_positions; p++) {
        inputs[p] = (int32_t) (fixture_next(&state) % (uint64_t) n_vocab);
        nexts[p] = p == n_positions - 1 ? -1 : (int32_t) (fixture_next(&state) % (uint64_t) n_vocab);
    }
    lens_cells want, got;
    cells_alloc(&want, n_rows, top_k);
    cells_alloc(&got, n_rows, top_k);
    expect(ll_project(projector, rows, n_rows, logits, (size_t) n_rows * n_vocab, &err) == LL_OK, err.message);
    expect(ll_lens_stats(logits, n_positions, n_snapshots, n_vocab, inputs, nexts, top_k, &want.out, &err) == LL_OK,
           err.message);
    int32_t recomputed = -1;
    int32_t rc = ll_lens(projector, rows, n_positions, n_snapshots, inputs, nexts, top_k, &got.out, &recomputed, &err);
    char what[200];
    snprintf(what, sizeof what, "V=%d P=%d S=%d k=%d distinct=%d: ll_lens succeeds (%s)", n_vocab, n_positions,
             n_snapshots, top_k, distinct, err.message);
    expect(rc == LL_OK, what);

    int bad_top = 0, bad_rank = 0, bad_real = 0;
    for (int64_t i = 0; i < (int64_t) n_rows * top_k; i++) {
        bad_top += got.top_ids[i] != want.top_ids[i] || got.top_logits[i] != want.top_logits[i];
    }
    for (int64_t i = 0; i < 3 * (int64_t) n_rows; i++) {
        bad_rank += got.ranks[i] != want.ranks[i];
    }
    for (int64_t i = 0; i < 5 * (int64_t) n_rows; i++) {
        if (!same_real(got.reals[i], want.reals[i])) {
            if (bad_real++ == 0) {
                printf("  first difference: statistic %lld row %lld: %.9g vs %.9g\n", (long long) (i / n_rows),
                       (long long) (i % n_rows), got.reals[i], want.reals[i]);
            }
        }
    }
    printf("  V=%-5d P=%-3d S=%-2d k=%-3d distinct=%-3d recomputed %d of %d positions\n", n_vocab, n_positions,
           n_snapshots, top_k, distinct, recomputed, n_positions);
    snprintf(what, sizeof what, "V=%d P=%d S=%d distinct=%d: top-k ids and logits exact", n_vocab, n_positions,
             n_snapshots, distinct);
    expect(bad_top == 0, what);
    snprintf(what, sizeof what, "V=%d P=%d S=%d distinct=%d: ranks exact", n_vocab, n_positions, n_snapshots, distinct);
    expect(bad_rank == 0, what);
    snprintf(what, sizeof what, "V=%d P=%d S=%d distinct=%d: sums within %.0e", n_vocab, n_positions, n_snapshots,
             distinct, SUM_TOLERANCE);
    expect(bad_real == 0, what);
    snprintf(what, sizeof what, "V=%d P=%d S=%d distinct=%d: at least %d positions took the exact path", n_vocab,
             n_positions, n_snapshots, distinct, want_recomputed_min);
    expect(recomputed >= want_recomputed_min && recomputed <= n_positions, what);
    if (distinct == 0) {
        expect(recomputed == 0, "without ties no position needs the exact path");
    }
    cells_free(&want);
    cells_free(&got);
    free(rows), free(logits), free(inputs), free(nexts);
    ll_projector_free(projector);
    ll_model_free(model);
    gpt2_fixture_free(&f);
}

static void check_validation(void) {
    ll_hparams hp = { .n_vocab = 40, .n_ctx = 8, .n_embd = 32, .n_head = 2, .n_layer = 1, .norm_eps = 1e-5f };
    fixture_options options = { .seed = 3, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32 };
    gpt2_fixture f;
    if (gpt2_fixture_make(&f, &hp, &options) != 0) {
        expect(0, "fixture");
        return;
    }
    ll_error err;
    ll_model *model = NULL;
    ll_projector *projector = NULL;
    ll_model_create(&hp, f.descs, f.n_tensors, g_backend, &model, &err);
    ll_projector_create(model, LL_TYPE_F32, 1, &projector, &err);
    float rows[2 * 32] = { 0 };
    int32_t inputs[1] = { 3 }, nexts[1] = { -1 }, bad_input[1] = { 40 }, bad_next[1] = { -2 };
    lens_cells c;
    cells_alloc(&c, 2, 5);
    c.top_ids[0] = -7;
    expect(ll_lens(NULL, rows, 1, 2, inputs, nexts, 5, &c.out, NULL, &err) == LL_ERR_INVALID_ARGUMENT, "NULL projector");
    expect(ll_lens(projector, NULL, 1, 2, inputs, nexts, 5, &c.out, NULL, &err) == LL_ERR_INVALID_ARGUMENT, "NULL rows");
    expect(ll_lens(projector, rows, 0, 2, inputs, nexts, 5, &c.out, NULL, &err) == LL_ERR_INVALID_ARGUMENT, "0 positions");
    expect(ll_lens(projector, rows, 1, 2, inputs, nexts, 41, &c.out, NULL, &err) == LL_ERR_INVALID_ARGUMENT, "top_k > V");
    expect(ll_lens(projector, rows, 1, 2, bad_input, nexts, 5, &c.out, NULL, &err) == LL_ERR_TOKEN, "input >= V");
    expect(ll_lens(projector, rows, 1, 2, inputs, bad_next, 5, &c.out, NULL, &err) == LL_ERR_TOKEN, "next -2");
    ll_lens_stats_out missing = c.out;
    missing.entropy = NULL;
    expect(ll_lens(projector, rows, 1, 2, inputs, nexts, 5, &missing, NULL, &err) == LL_ERR_INVALID_ARGUMENT &&
               strstr(err.message, "entropy") != NULL, "a NULL output is named");
    expect(c.top_ids[0] == -7, "nothing written on error");
    expect(ll_lens(projector, rows, 1, 2, inputs, nexts, 5, &c.out, NULL, NULL) == LL_OK, "all-zero rows, no error struct");
    expect(c.ranks[0] == 1 && c.top_ids[0] == 0 && c.top_ids[4] == 4, "all-equal logits: ranks 1, top-k by lower id");
    cells_free(&c);
    ll_projector_free(projector);
    ll_model_free(model);
    gpt2_fixture_free(&f);
}

int main(int argc, char **argv) {
    int skip = select_backend(argc, argv);
    if (skip != 0) {
        return skip;
    }
    check_lens(1000, 3, 4, 5, 0, 0);      /* V a multiple of nothing in particular */
    check_lens(4099, 5, 3, 10, 0, 0);     /* beyond two CPU projection slices */
    check_lens(37, 2, 1, 1, 0, 0);        /* one snapshot: the final row is the input row */
    check_lens(777, 4, 5, 37, 0, 0);      /* k beyond every vector width */
    check_lens(600, 4, 3, 5, 3, 4);       /* three distinct logits per row: ties everywhere, all exact-path */
    check_lens(600, 4, 3, 600, 7, 4);     /* k = V */
    check_validation();
    return finish();
}
