/*
 * Loading ggml's CPU backend: which variant was chosen, and what happens when
 * LOGITLENS_CPU_VARIANT forces one. ctest runs this program three ways:
 *   - unset: a variant is loaded; in a portable build its library lies beside liblogitlens;
 *   - LOGITLENS_CPU_VARIANT=x64 (the baseline): exactly that variant is reported
 *     (test_forward_x64 then checks the forward pass on it against the reference);
 *   - LOGITLENS_CPU_VARIANT=no_such_variant: every entry point that needs the CPU fails with
 *     LL_ERR_BACKEND and a message that names the variable, and nothing aborts.
 */
#include <stdlib.h>

#include "gpt2_fixture.h"
#include "test_support.h"

static const ll_hparams TINY = { .n_vocab = 50, .n_ctx = 16, .n_embd = 32, .n_head = 4, .n_layer = 2,
                                 .norm_eps = 1e-5f };

static void test_forced_missing(void) {
    char variant[64];
    char features[1024];
    ll_error err = { 0 };
    expect(ll_backend_available(LL_BACKEND_CPU) == 0, "no CPU backend when the forced variant does not exist");
    expect(ll_cpu_backend_info(variant, sizeof variant, features, sizeof features, &err) == LL_ERR_BACKEND,
           "ll_cpu_backend_info fails with LL_ERR_BACKEND");
    expect(strstr(err.message, "LOGITLENS_CPU_VARIANT") != NULL, "the message names LOGITLENS_CPU_VARIANT");
    printf("message: %s\n", err.message);

    const fixture_options options = { .seed = 3, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32 };
    gpt2_fixture f;
    if (gpt2_fixture_make(&f, &TINY, &options) != 0) {
        expect(0, "fixture allocation");
        return;
    }
    ll_model *model = NULL;
    ll_error model_err = { 0 };
    expect(ll_model_create(&TINY, f.descs, f.n_tensors, LL_BACKEND_CPU, &model, &model_err) == LL_ERR_BACKEND,
           "ll_model_create fails with LL_ERR_BACKEND");
    expect(model == NULL, "no model");
    expect(strstr(model_err.message, "LOGITLENS_CPU_VARIANT") != NULL, "ll_model_create's message names the variable");
    gpt2_fixture_free(&f);
}

static void test_loaded(const char *forced) {
    char variant[64];
    char features[2048];
    ll_error err = { 0 };
    expect(ll_backend_available(LL_BACKEND_CPU) == 1, "the CPU backend is available");
    int32_t rc = ll_cpu_backend_info(variant, sizeof variant, features, sizeof features, &err);
    expect(rc == LL_OK, "ll_cpu_backend_info succeeds");
    if (rc != LL_OK) {
        printf("error: %s\n", err.message);
        return;
    }
    printf("variant: %s\nfeatures: %s\n", variant, features);
    expect(variant[0] != '\0', "a variant name");
    if (forced != NULL) {
        expect(strcmp(variant, forced) == 0, "the forced variant is the one loaded");
    }
    if (strcmp(variant, "x64") == 0) {
        expect(strstr(features, "AVX") == NULL, "the baseline variant uses no AVX");
    }
    if (strcmp(variant, "haswell") == 0 || strcmp(variant, "skylakex") == 0 || strcmp(variant, "zen4") == 0) {
        expect(strstr(features, "AVX2") != NULL, "an AVX2-level variant reports AVX2");
    }

    /* Buffers too small are an error, not an overflow. */
    char tiny[1];
    expect(ll_cpu_backend_info(tiny, sizeof tiny, features, sizeof features, &err) == LL_ERR_BUFFER,
           "a 1-byte variant buffer gives LL_ERR_BUFFER");
    if (features[0] != '\0') {
        expect(ll_cpu_backend_info(variant, sizeof variant, tiny, sizeof tiny, &err) == LL_ERR_BUFFER,
               "a 1-byte features buffer gives LL_ERR_BUFFER");
    }
    expect(ll_cpu_backend_info(NULL, 8, features, sizeof features, &err) == LL_ERR_INVALID_ARGUMENT,
           "a NULL variant buffer gives LL_ERR_INVALID_ARGUMENT");
}

int main(void) {
    const char *forced = getenv("LOGITLENS_CPU_VARIANT");
    if (forced != NULL && forced[0] == '\0') {
        forced = NULL;
    }
    if (forced != NULL && strncmp(forced, "no_such", 7) == 0) {
        test_forced_missing();
    } else {
        test_loaded(forced);
    }
    return finish();
}
