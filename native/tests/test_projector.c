/*
 * ll_project against a double-precision product of the same rows and W_U, in
 * full and reduced precision, tied and untied; and its validation.
 *
 *   logitlens_test_projector [cpu|cuda]   (cuda exits 77, "skipped", without a device)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2_fixture.h"
#include "test_support.h"


static void expect_status(const char *what, int32_t got, const ll_error *err, int32_t want) {
    g_checks++;
    if (got != want || err->code != want || (want != LL_OK && err->message[0] == '\0')) {
        g_failures++;
        printf("FAIL: %s: returned %d (\"%s\"), expected %d\n", what, got, err->message, want);
    } else if (want != LL_OK) {
        printf("  %-40s -> %2d  %s\n", what, got, err->message);
    }
}

/*
 * Relative tolerance per logit, as a fraction of sum_k |h_k w_k|: f32 rounding only for F32;
 * for the reduced types ggml rounds both W_U and the row to the type (Q8_0: blocks of 32
 * with one scale, error up to half a step of max|x|/127 per element).
 */
static double tolerance(int32_t type) {
    switch (type) {
        case LL_TYPE_F32:  return 1e-5;
        case LL_TYPE_F16:  return 5e-4;
        case LL_TYPE_BF16: return 5e-3;
        default:           return 1e-2; /* Q8_0 */
    }
}

static const char *type_name(int32_t type) {
    switch (type) {
        case LL_TYPE_F32:  return "f32";
        case LL_TYPE_F16:  return "f16";
        case LL_TYPE_BF16: return "bf16";
        default:           return "q8_0";
    }
}

/* Projects n_rows random rows and compares each logit with the double product. */
static void check_projection(ll_model *model, const gpt2_fixture *f, int32_t type, int32_t n_rows) {
    const ll_hparams *hp = &f->hp;
    const fixture_tensor *wu = &f->tensors[gpt2_fixture_find(f, ll_model_has_output(model) ? "output.weight"
                                                                                            : "token_embd.weight")];
    uint64_t state = 1234 + (uint64_t) n_rows;
    float *rows = malloc(sizeof(float) * (size_t) n_rows * hp->n_embd);      /* [n_rows, d] */
    float *logits = malloc(sizeof(float) * (size_t) n_rows * hp->n_vocab);   /* [n_rows, V] */
    for (int64_t i = 0; i < (int64_t) n_rows * hp->n_embd; i++) {
        rows[i] = (float) fixture_uniform(&state, -2, 2);
    }
    ll_projector *projector = NULL;
    ll_error err;
    char what[96];
    snprintf(what, sizeof what, "create %s projector", type_name(type));
    expect_status(what, ll_projector_create(model, type, 2, &projector, &err), &err, LL_OK);
    if (projector == NULL) {
        free(rows);
        free(logits);
        return;
    }
    snprintf(what, sizeof what, "project %d rows in %s", n_rows, type_name(type));
    expect_status(what, ll_project(projector, rows, n_rows, logits, (size_t) n_rows * hp->n_vocab, &err), &err, LL_OK);

    double worst = 0;
    for (int32_t r = 0; r < n_rows; r++) {
        for (int32_t v = 0; v < hp->n_vocab; v++) {
            double exact = 0, magnitude = 0;
            for (int32_t k = 0; k < hp->n_embd; k++) {
                double product = (double) rows[(int64_t) r * hp->n_embd + k] * wu->values[(int64_t) v * hp->n_embd + k];
                exact += product;
                magnitude += fabs(product);
            }
            double error = fabs(logits[(int64_t) r * hp->n_vocab + v] - exact) / magnitude;
            worst = error > worst ? error : worst;
        }
    }
    printf("  %-40s max error %.2e of sum|h w| (tolerance %.0e)\n", what, worst, tolerance(type));
    expect(worst <= tolerance(type), what);
    ll_projector_free(projector);
    free(rows);
    free(logits);
}

static void test_validation(ll_model *model, const ll_hparams *hp) {
    ll_projector *projector = NULL;
    ll_error err;
    expect_status("create: out NULL", ll_projector_create(model, LL_TYPE_F32, 1, NULL, &err), &err,
                  LL_ERR_INVALID_ARGUMENT);
    expect_status("create: model NULL", ll_projector_create(NULL, LL_TYPE_F32, 1, &projector, &err), &err,
                  LL_ERR_INVALID_ARGUMENT);
    expect_status("create: unknown type", ll_projector_create(model, 2, 1, &projector, &err), &err,
                  LL_ERR_INVALID_ARGUMENT);
    expect_status("create: 0 threads", ll_projector_create(model, LL_TYPE_F32, 0, &projector, &err), &err,
                  LL_ERR_INVALID_ARGUMENT);
    expect(projector == NULL, "no projector after failures");
    expect_status("create", ll_projector_create(model, LL_TYPE_F32, 1, &projector, &err), &err, LL_OK);

    float rows[2 * 64] = { 0 };
    size_t capacity = 2 * (size_t) hp->n_vocab;
    float *logits = malloc(sizeof(float) * capacity);
    for (size_t i = 0; i < capacity; i++) {
        logits[i] = -7.0f;
    }
    expect_status("project: projector NULL", ll_project(NULL, rows, 2, logits, capacity, &err), &err,
                  LL_ERR_INVALID_ARGUMENT);
    expect_status("project: rows NULL", ll_project(projector, NULL, 2, logits, capacity, &err), &err,
                  LL_ERR_INVALID_ARGUMENT);
    expect_status("project: logits NULL", ll_project(projector, rows, 2, NULL, capacity, &err), &err,
                  LL_ERR_INVALID_ARGUMENT);
    expect_status("project: 0 rows", ll_project(projector, rows, 0, logits, capacity, &err), &err,
                  LL_ERR_INVALID_ARGUMENT);
    expect_status("project: logits one float short", ll_project(projector, rows, 2, logits, capacity - 1, &err),
                  &err, LL_ERR_BUFFER);
    int untouched = 1;
    for (size_t i = 0; i < capacity; i++) {
        untouched &= logits[i] == -7.0f;
    }
    expect(untouched, "nothing written on error");
    expect_status("project", ll_project(projector, rows, 2, logits, capacity, NULL), &(ll_error){ 0, "" }, LL_OK);
    ll_projector_free(projector);
    ll_projector_free(NULL);
    free(logits);
}

static void test_q8_0_needs_whole_blocks(void) {
    const ll_hparams hp = { 13, 4, 48, 3, 1, 1e-5f };
    const fixture_options options = { .seed = 5, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32 };
    gpt2_fixture f;
    ll_model *model = NULL;
    if (gpt2_fixture_make(&f, &hp, &options) != 0 ||
        ll_model_create(&hp, f.descs, f.n_tensors, g_backend, &model, NULL) != LL_OK) {
        expect(0, "model with n_embd 48");
        return;
    }
    ll_projector *projector = NULL;
    ll_error err;
    expect_status("create: q8_0 with n_embd 48", ll_projector_create(model, LL_TYPE_Q8_0, 1, &projector, &err),
                  &err, LL_ERR_INVALID_ARGUMENT);
    ll_model_free(model);
    gpt2_fixture_free(&f);
}

/* A vocabulary of two whole CPU slices of W_U (LL_PROJECT_SLICE = 2048 rows) and a tail of 3. */
static void test_several_slices(void) {
    const ll_hparams hp = { 2 * 2048 + 3, 4, 64, 4, 1, 1e-5f };
    const fixture_options options = { .seed = 8, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32 };
    gpt2_fixture f;
    ll_model *model = NULL;
    if (gpt2_fixture_make(&f, &hp, &options) != 0 ||
        ll_model_create(&hp, f.descs, f.n_tensors, g_backend, &model, NULL) != LL_OK) {
        expect(0, "model with 4099 tokens");
        return;
    }
    printf("tied W_U of %d tokens (several slices):\n", hp.n_vocab);
    check_projection(model, &f, LL_TYPE_F32, 5);
    check_projection(model, &f, LL_TYPE_Q8_0, 3);
    ll_model_free(model);
    gpt2_fixture_free(&f);
}

int main(int argc, char **argv) {
    int skipped = select_backend(argc, argv);
    if (skipped) {
        return skipped;
    }
    const ll_hparams hp = { 97, 8, 64, 4, 1, 1e-5f };
    const int32_t types[] = { LL_TYPE_F32, LL_TYPE_F16, LL_TYPE_BF16, LL_TYPE_Q8_0 };
    const int32_t stored[] = { LL_TYPE_F32, LL_TYPE_F16 };
    for (int untied = 0; untied <= 1; untied++) {
        for (size_t s = 0; s < sizeof stored / sizeof stored[0]; s++) {
            const fixture_options options = { .seed = 21 + (uint64_t) untied, .matrix_type = stored[s],
                                              .vector_type = LL_TYPE_F32, .with_output = untied };
            gpt2_fixture f;
            ll_model *model = NULL;
            if (gpt2_fixture_make(&f, &hp, &options) != 0 ||
                ll_model_create(&hp, f.descs, f.n_tensors, g_backend, &model, NULL) != LL_OK) {
                expect(0, "valid model");
                continue;
            }
            printf("%s W_U stored as %s:\n", untied ? "untied" : "tied", type_name(stored[s]));
            for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
                check_projection(model, &f, types[t], 1);
                check_projection(model, &f, types[t], 37);
            }
            if (untied && stored[s] == LL_TYPE_F32) {
                test_validation(model, &hp);
            }
            ll_model_free(model);
            gpt2_fixture_free(&f);
        }
    }
    test_q8_0_needs_whole_blocks();
    test_several_slices();
    return finish();
}
