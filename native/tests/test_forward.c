/*
 * ll_forward against an independent double-precision GPT-2 (gpt2_fixture.c),
 * for every flag combination, several sequence lengths, both layouts, all
 * accepted element types, and aligned as well as misaligned memory.
 *
 *   logitlens_test_forward [cpu|cuda]     (default cpu; cuda exits 77, "skipped",
 *                                           when no CUDA device is available)
 *
 * Error metric: max over elements of |got - want| / max(1, |want|), that is an
 * absolute error for values below 1 and a relative one above.
 * Tolerances:
 *   F32      1e-5  (the engine's promise)
 *   F16      5e-3  ggml's CPU matmul rounds the activations to F16 as well
 *                  (vec_dot_type of F16 is F16), about 2^-11 relative per product;
 *                  the reference uses the F16-rounded weights but exact activations;
 *                  measured about 2e-3.
 *   BF16     3e-2  the same with BF16 activations (2^-8 relative).
 *   Q8_0     1e-1  activations are quantized to Q8_0 blocks of 32 by ggml
 *                  (step max/127 per block); measured about 7e-2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2_fixture.h"
#include "test_support.h"

#define TINY_HPARAMS { 11, 8, 16, 2, 2, 1e-5f }


static double scaled_error(const float *got, const double *want, size_t n) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double scale = want[i] < -1.0 ? -want[i] : want[i] > 1.0 ? want[i] : 1.0;
        double err = ((double) got[i] - want[i]) / scale;
        err = err < 0 ? -err : err;
        if (!(err <= worst)) { /* also catches NaN */
            worst = err != err ? 1e300 : err;
        }
    }
    return worst;
}

typedef struct forward_case {
    const char *label;
    ll_hparams hp;
    fixture_options options;
    double tolerance;
    int32_t n_threads;
} forward_case;

static const uint32_t FLAG_SETS[] = {
    0, LL_FORWARD_NO_AFFINE, LL_FORWARD_RAW,
    LL_FORWARD_MID, LL_FORWARD_MID | LL_FORWARD_NO_AFFINE, LL_FORWARD_MID | LL_FORWARD_RAW,
};

/* Runs one forward pass, compares out (and mid) with the reference, and
 * raises *worst to the largest error seen. */
static void compare_forward(const forward_case *c, ll_session *session, const gpt2_fixture *f,
                            const int32_t *tokens, int32_t n_tokens, uint32_t flags, double *worst) {
    const ll_hparams *hp = &c->hp;
    size_t slice = (size_t) n_tokens * hp->n_embd;
    size_t out_n = (size_t) (hp->n_layer + 1) * slice, mid_n = (size_t) hp->n_layer * slice;
    float *out = malloc(out_n * sizeof *out), *mid = malloc(mid_n * sizeof *mid);
    double *want_out = malloc(out_n * sizeof *want_out), *want_mid = malloc(mid_n * sizeof *want_mid);
    int with_mid = (flags & LL_FORWARD_MID) != 0;

    ll_error err = { -1, "stale" };
    int32_t rc = ll_forward(session, tokens, n_tokens, flags, out, out_n, with_mid ? mid : NULL,
                            with_mid ? mid_n : 0, &err);
    gpt2_reference_forward(f, tokens, n_tokens, flags, want_out, want_mid);

    char what[768];
    snprintf(what, sizeof what, "%s: T=%d flags=0x%x returns LL_OK (got %d: %s)", c->label, n_tokens, flags, rc,
             err.message);
    expect(rc == LL_OK && err.code == LL_OK && err.message[0] == '\0', what);
    if (rc == LL_OK) {
        double e_out = scaled_error(out, want_out, out_n);
        double e_mid = with_mid ? scaled_error(mid, want_mid, mid_n) : 0.0;
        snprintf(what, sizeof what, "%s: T=%d flags=0x%x error out %.3g mid %.3g <= %.1g", c->label, n_tokens,
                 flags, e_out, e_mid, c->tolerance);
        expect(e_out <= c->tolerance && e_mid <= c->tolerance, what);
        *worst = e_out > *worst ? e_out : *worst;
        *worst = e_mid > *worst ? e_mid : *worst;
    }
    free(out);
    free(mid);
    free(want_out);
    free(want_mid);
}

/* Output buffers that are not float-aligned (out and mid 2 bytes off) are computed elsewhere and copied, and
 * checked for NaN and Inf where they lie (under UBSan, a float-sized load there would stop the program). */
static void compare_misaligned_output(const forward_case *c, ll_session *session, const gpt2_fixture *f,
                                      const int32_t *tokens, int32_t n_tokens) {
    size_t slice = (size_t) n_tokens * c->hp.n_embd;
    size_t out_n = (size_t) (c->hp.n_layer + 1) * slice, mid_n = (size_t) c->hp.n_layer * slice;
    unsigned char *bytes = malloc(out_n * sizeof(float) + 8), *mid_bytes = malloc(mid_n * sizeof(float) + 8);
    float *out = malloc(out_n * sizeof *out), *mid = malloc(mid_n * sizeof *mid);
    double *want = malloc(out_n * sizeof *want), *want_mid = malloc(mid_n * sizeof *want_mid);
    float *shifted = (float *) (void *) (bytes + 2), *mid_shifted = (float *) (void *) (mid_bytes + 2);
    int32_t rc = ll_forward(session, tokens, n_tokens, LL_FORWARD_MID, shifted, out_n, mid_shifted, mid_n, NULL);
    memcpy(out, bytes + 2, out_n * sizeof *out);
    memcpy(mid, mid_bytes + 2, mid_n * sizeof *mid);
    gpt2_reference_forward(f, tokens, n_tokens, LL_FORWARD_MID, want, want_mid);
    char what[768];
    double e = rc == LL_OK ? scaled_error(out, want, out_n) : 1e300;
    double e_mid = rc == LL_OK ? scaled_error(mid, want_mid, mid_n) : 1e300;
    snprintf(what, sizeof what, "%s: misaligned out and mid buffers, rc %d, error out %.3g mid %.3g", c->label, rc,
             e, e_mid);
    expect(rc == LL_OK && e <= c->tolerance && e_mid <= c->tolerance, what);
    free(bytes);
    free(mid_bytes);
    free(out);
    free(mid);
    free(want);
    free(want_mid);
}

static void run_case(const forward_case *c) {
    gpt2_fixture f;
    if (gpt2_fixture_make(&f, &c->hp, &c->options) != 0) {
        expect(0, "fixture allocation");
        return;
    }
    ll_model *model = NULL;
    ll_session *session = NULL;
    ll_error err;
    int32_t rc = ll_model_create(&c->hp, f.descs, f.n_tensors, g_backend, &model, &err);
    char what[768];
    snprintf(what, sizeof what, "%s: ll_model_create (%d: %s)", c->label, rc, rc ? err.message : "");
    expect(rc == LL_OK && model != NULL, what);
    if (rc == LL_OK) {
        expect(ll_model_has_output(model) == (c->options.with_output != 0), "ll_model_has_output");
        rc = ll_session_create(model, c->n_threads, &session, &err);
        snprintf(what, sizeof what, "%s: ll_session_create (%d: %s)", c->label, rc, rc ? err.message : "");
        expect(rc == LL_OK && session != NULL, what);
    }
    if (session != NULL) {
        uint64_t rng = c->options.seed ^ 0xABCDEFull;
        int32_t *tokens = malloc((size_t) c->hp.n_ctx * sizeof *tokens);
        for (int32_t i = 0; i < c->hp.n_ctx; i++) {
            tokens[i] = (int32_t) (fixture_next(&rng) % (uint64_t) c->hp.n_vocab);
        }
        /* the full context first, then shorter and full again: buffers are reused */
        const int32_t lengths[] = { c->hp.n_ctx, 1, c->hp.n_ctx / 2 + 1, c->hp.n_ctx };
        double worst = 0.0;
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
            for (size_t fi = 0; fi < sizeof FLAG_SETS / sizeof FLAG_SETS[0]; fi++) {
                compare_forward(c, session, &f, tokens, lengths[li], FLAG_SETS[fi], &worst);
            }
        }
        printf("%-30s max error %.3g (tolerance %.0e) over %zu lengths x %zu flag sets\n", c->label, worst,
               c->tolerance, sizeof lengths / sizeof lengths[0], sizeof FLAG_SETS / sizeof FLAG_SETS[0]);
        compare_misaligned_output(c, session, &f, tokens, c->hp.n_ctx);
        free(tokens);
    }
    ll_session_free(session);
    ll_model_free(model);
    gpt2_fixture_free(&f);
}

/* Two sessions with different thread counts over one model agree exactly. */
static void run_shared_model(void) {
    const ll_hparams hp = { 23, 16, 32, 4, 2, 1e-5f };
    const fixture_options options = { .seed = 7, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32 };
    gpt2_fixture f;
    ll_model *model = NULL;
    ll_session *one = NULL, *three = NULL;
    if (gpt2_fixture_make(&f, &hp, &options) != 0 ||
        ll_model_create(&hp, f.descs, f.n_tensors, g_backend, &model, NULL) != LL_OK ||
        ll_session_create(model, 1, &one, NULL) != LL_OK || ll_session_create(model, 3, &three, NULL) != LL_OK) {
        expect(0, "shared model: setup");
    } else {
        int32_t tokens[16];
        for (int32_t i = 0; i < 16; i++) {
            tokens[i] = (i * 7) % hp.n_vocab;
        }
        size_t n = (size_t) (hp.n_layer + 1) * 16 * hp.n_embd;
        float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        int32_t rc_a = ll_forward(one, tokens, 16, 0, a, n, NULL, 0, NULL);
        int32_t rc_b = ll_forward(three, tokens, 16, 0, b, n, NULL, 0, NULL);
        expect(rc_a == LL_OK && rc_b == LL_OK && memcmp(a, b, n * sizeof *a) == 0,
               "shared model: 1-thread and 3-thread sessions give identical output");
        free(a);
        free(b);
    }
    ll_session_free(one);
    ll_session_free(three);
    ll_model_free(model);
    gpt2_fixture_free(&f);
}

/*
 * One session, many lengths and flags in a row: each result equals a fresh session's for the same input.
 * ggml's allocator reuses its last plan when a graph of another length fits it, and the graph of T = 1
 * has another structure (its attention heads are contiguous: a reshape where longer inputs copy), so a
 * stale plan overwrote live tensors after a longer call. This test failed before ll_compute re-planned.
 */
static void run_length_changes(const ll_hparams hp, const int32_t lengths[10]) {
    const fixture_options options = { .seed = 12, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32 };
    const uint32_t flags[10] = { 0, 0, LL_FORWARD_RAW, 0, 0, LL_FORWARD_NO_AFFINE, 0, LL_FORWARD_RAW, 0, 0 };
    gpt2_fixture f;
    ll_model *model = NULL;
    ll_session *reused = NULL;
    if (gpt2_fixture_make(&f, &hp, &options) != 0 ||
        ll_model_create(&hp, f.descs, f.n_tensors, g_backend, &model, NULL) != LL_OK ||
        ll_session_create(model, 2, &reused, NULL) != LL_OK) {
        expect(0, "length changes: setup");
    } else {
        size_t capacity = (size_t) (hp.n_layer + 1) * hp.n_ctx * hp.n_embd;
        float *got = malloc(capacity * sizeof *got), *want = malloc(capacity * sizeof *want);
        int32_t tokens[160];
        for (size_t c = 0; c < 10; c++) {
            int32_t n = lengths[c];
            for (int32_t i = 0; i < n; i++) {
                tokens[i] = (int32_t) ((i * 11 + c * 5 + 3) % hp.n_vocab);
            }
            size_t count = (size_t) (hp.n_layer + 1) * n * hp.n_embd;
            ll_session *fresh = NULL;
            int ok = ll_session_create(model, 2, &fresh, NULL) == LL_OK &&
                     ll_forward(fresh, tokens, n, flags[c], want, capacity, NULL, 0, NULL) == LL_OK &&
                     ll_forward(reused, tokens, n, flags[c], got, capacity, NULL, 0, NULL) == LL_OK;
            ll_session_free(fresh);
            char what[96];
            snprintf(what, sizeof what, "length changes, n_ctx %d: call %zu (T = %d, flags %u) equals a fresh session's",
                     hp.n_ctx, c, n, flags[c]);
            expect(ok && memcmp(got, want, count * sizeof *got) == 0, what);
        }
        free(got);
        free(want);
    }
    ll_session_free(reused);
    ll_model_free(model);
    gpt2_fixture_free(&f);
}

/*
 * On the CPU, canonical F32 tensors are used in the caller's memory: changing
 * that memory after ll_model_create changes the result. Transposed tensors
 * were copied at create, and a device backend uploads everything: changing
 * their source changes nothing.
 */
static void run_zero_copy(int32_t layout, int expect_change) {
    const ll_hparams hp = TINY_HPARAMS;
    const fixture_options options = { .seed = 9, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32,
                                      .layout = layout };
    gpt2_fixture f;
    ll_model *model = NULL;
    ll_session *session = NULL;
    if (gpt2_fixture_make(&f, &hp, &options) != 0 ||
        ll_model_create(&hp, f.descs, f.n_tensors, g_backend, &model, NULL) != LL_OK ||
        ll_session_create(model, 2, &session, NULL) != LL_OK) {
        expect(0, "zero copy: setup");
    } else {
        const int32_t tokens[4] = { 3, 1, 4, 1 };
        size_t n = (size_t) (hp.n_layer + 1) * 4 * hp.n_embd;
        float *before = malloc(n * sizeof *before), *after = malloc(n * sizeof *after);
        ll_forward(session, tokens, 4, LL_FORWARD_RAW, before, n, NULL, 0, NULL);
        int32_t t = gpt2_fixture_find(&f, "blk.1.ffn_down.weight");
        ((float *) (uintptr_t) f.descs[t].data)[0] += 1.0f;
        ll_forward(session, tokens, 4, LL_FORWARD_RAW, after, n, NULL, 0, NULL);
        int changed = memcmp(before, after, n * sizeof *before) != 0;
        expect(changed == expect_change, expect_change ? "zero copy: OUT_IN F32 weights are used in place"
                                                       : "zero copy: weights were copied at create");
        free(before);
        free(after);
    }
    ll_session_free(session);
    ll_model_free(model);
    gpt2_fixture_free(&f);
}

/*
 * The same weights stored [out, in] (used in place) and [in, out] (transposed at create, on every core, in
 * 64 x 64 tiles) give bit-identical residuals: the transposition is an exact copy however it is split. d = 72
 * makes every matrix more than one tile wide and none a whole number of tiles; F16 checks the 2-byte copy.
 */
static void run_layouts_agree(int32_t type) {
    const ll_hparams hp = { 37, 8, 72, 4, 2, 1e-5f };
    const int32_t tokens[5] = { 3, 1, 4, 1, 5 };
    size_t n = (size_t) (hp.n_layer + 1) * 5 * hp.n_embd;
    float *out[2] = { malloc(n * sizeof(float)), malloc(n * sizeof(float)) };
    int ok = out[0] != NULL && out[1] != NULL;
    for (int32_t layout = 0; layout < 2 && ok; layout++) {
        const fixture_options options = { .seed = 13, .matrix_type = type, .vector_type = LL_TYPE_F32, .layout = layout };
        gpt2_fixture f;
        ll_model *model = NULL;
        ll_session *session = NULL;
        ok = gpt2_fixture_make(&f, &hp, &options) == 0 &&
             ll_model_create(&hp, f.descs, f.n_tensors, g_backend, &model, NULL) == LL_OK &&
             ll_session_create(model, 2, &session, NULL) == LL_OK &&
             ll_forward(session, tokens, 5, LL_FORWARD_RAW, out[layout], n, NULL, 0, NULL) == LL_OK;
        ll_session_free(session);
        ll_model_free(model);
        gpt2_fixture_free(&f);
    }
    expect(ok && memcmp(out[0], out[1], n * sizeof(float)) == 0,
           type == LL_TYPE_F32 ? "layouts: F32 [in, out] weights give the bits of [out, in]"
                               : "layouts: F16 [in, out] weights give the bits of [out, in]");
    free(out[0]);
    free(out[1]);
}

int main(int argc, char **argv) {
    int skipped = select_backend(argc, argv);
    if (skipped) {
        return skipped;
    }
    const ll_hparams tiny = TINY_HPARAMS;
    const ll_hparams deeper = { 17, 12, 24, 3, 3, 1e-5f };
    const ll_hparams q8 = { 13, 8, 64, 4, 2, 1e-5f };
    /* long enough for the attention to be split into query blocks (>= 128 tokens each) */
    const ll_hparams long_context = { 50, 520, 32, 2, 2, 1e-5f };
    const forward_case cases[] = {
        { "f32 out_in", tiny, { .seed = 1, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32,
                                .with_output = 1 }, 1e-5, 2 },
        { "f32 in_out 3 layers", deeper, { .seed = 2, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32,
                                           .layout = LL_LAYOUT_IN_OUT }, 1e-5, 1 },
        { "f32 data at 4 mod 32", tiny, { .seed = 3, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32,
                                          .misalign = 4 }, 1e-5, 2 },
        { "f32 data at 2 mod 32 (copied)", tiny, { .seed = 4, .matrix_type = LL_TYPE_F32,
                                                   .vector_type = LL_TYPE_F32, .misalign = 2 }, 1e-5, 2 },
        { "f16", deeper, { .seed = 5, .matrix_type = LL_TYPE_F16, .vector_type = LL_TYPE_F16 }, 5e-3, 2 },
        { "bf16 in_out", deeper, { .seed = 6, .matrix_type = LL_TYPE_BF16, .vector_type = LL_TYPE_BF16,
                                   .layout = LL_LAYOUT_IN_OUT }, 3e-2, 2 },
        { "q8_0", q8, { .seed = 8, .matrix_type = LL_TYPE_Q8_0, .vector_type = LL_TYPE_F32,
                        .with_output = 1 }, 1e-1, 2 },
        { "f32 T=520 (4 query blocks)", long_context, { .seed = 10, .matrix_type = LL_TYPE_F32,
                                                             .vector_type = LL_TYPE_F32 }, 1e-5, 2 },
    };
    expect(ll_api_version() == LL_API_VERSION, "ll_api_version");
    expect(ll_ggml_version() != NULL && strcmp(ll_ggml_version(), "0.25.1") == 0, "ll_ggml_version is 0.25.1");
    expect(ll_backend_available(LL_BACKEND_CPU) == 1, "CPU backend available");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&cases[i]);
    }
    run_shared_model();
    const int32_t short_lengths[10] = { 12, 1, 5, 1, 12, 2, 11, 1, 7, 12 };
    const int32_t long_lengths[10] = { 12, 1, 5, 1, 160, 2, 130, 1, 7, 12 };
    run_length_changes((ll_hparams) { 53, 12, 32, 4, 2, 1e-5f }, short_lengths);
    run_length_changes((ll_hparams) { 29, 160, 32, 4, 2, 1e-5f }, long_lengths);
    run_zero_copy(LL_LAYOUT_OUT_IN, g_backend == LL_BACKEND_CPU);
    run_zero_copy(LL_LAYOUT_IN_OUT, 0);
    run_layouts_agree(LL_TYPE_F32);
    run_layouts_agree(LL_TYPE_F16);
    return finish();
}
