/*
 * Every validation rule of the shim returns its status code and a message,
 * and the process survives: a bad input that reached a ggml assertion would
 * abort this test.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2_fixture.h"
#include "test_support.h"


/* Checks the returned code, the code in err and a non-empty message. */
static void expect_status(const char *what, int32_t got, const ll_error *err, int32_t want) {
    g_checks++;
    int ok = got == want && err->code == want && (want == LL_OK) == (err->message[0] == '\0');
    if (!ok) {
        g_failures++;
        printf("FAIL: %s: returned %d (err %d, \"%s\"), expected %d\n", what, got, err->code, err->message, want);
    } else if (want != LL_OK) {
        printf("  %-44s -> %2d  %s\n", what, got, err->message);
    }
}


static const ll_hparams TINY = { 11, 8, 16, 2, 2, 1e-5f };

/* ---- ll_model_create ----------------------------------------------------- */

static void expect_create(const char *what, const ll_hparams *hp, const ll_tensor_desc *descs, int32_t n,
                          int32_t backend, int32_t want) {
    ll_error err = { -1, "" };
    ll_model *model = (ll_model *) &err; /* must be reset to NULL on failure */
    int32_t got = ll_model_create(hp, descs, n, backend, &model, &err);
    expect_status(what, got, &err, want);
    expect(want == LL_OK ? model != NULL : model == NULL, "out_model is NULL after a failure");
    if (got == LL_OK) {
        ll_model_free(model);
    }
    /* the same call without an ll_error must give the same code */
    model = NULL;
    got = ll_model_create(hp, descs, n, backend, &model, NULL);
    expect(got == want, "same status with err = NULL");
    if (got == LL_OK) {
        ll_model_free(model);
    }
}

static void test_create_arguments(const gpt2_fixture *f) {
    ll_error err;
    expect_status("out_model NULL", ll_model_create(&TINY, f->descs, f->n_tensors, LL_BACKEND_CPU, NULL, &err),
                  &err, LL_ERR_INVALID_ARGUMENT);
    expect_create("hparams NULL", NULL, f->descs, f->n_tensors, LL_BACKEND_CPU, LL_ERR_INVALID_ARGUMENT);
    expect_create("n_tensors negative", &TINY, f->descs, -1, LL_BACKEND_CPU, LL_ERR_INVALID_ARGUMENT);
    expect_create("tensors NULL", &TINY, NULL, 3, LL_BACKEND_CPU, LL_ERR_INVALID_ARGUMENT);
    expect_create("no tensors at all", &TINY, NULL, 0, LL_BACKEND_CPU, LL_ERR_MISSING_TENSOR);
    expect_create("backend unknown", &TINY, f->descs, f->n_tensors, 7, LL_ERR_BACKEND);
    expect_create("backend negative", &TINY, f->descs, f->n_tensors, -1, LL_ERR_BACKEND);
    if (!ll_backend_available(LL_BACKEND_CUDA)) {
        expect_create("backend CUDA unavailable", &TINY, f->descs, f->n_tensors, LL_BACKEND_CUDA, LL_ERR_BACKEND);
    }
    expect(ll_backend_available(42) == 0, "ll_backend_available(42) == 0");
    expect_create("valid model", &TINY, f->descs, f->n_tensors, LL_BACKEND_CPU, LL_OK);
}

static void test_hparams(const gpt2_fixture *f) {
    struct { const char *what; ll_hparams hp; } bad[] = {
        { "n_vocab 0", { 0, 8, 16, 2, 2, 1e-5f } },
        { "n_vocab huge", { 1 << 30, 8, 16, 2, 2, 1e-5f } },
        { "n_ctx negative", { 11, -8, 16, 2, 2, 1e-5f } },
        { "n_ctx huge", { 11, 1 << 20, 16, 2, 2, 1e-5f } },
        { "n_embd 0", { 11, 8, 0, 2, 2, 1e-5f } },
        { "n_embd huge", { 11, 8, 1 << 20, 2, 2, 1e-5f } },
        { "n_head 0", { 11, 8, 16, 0, 2, 1e-5f } },
        { "n_head > n_embd", { 11, 8, 16, 32, 2, 1e-5f } },
        { "n_embd not a multiple of n_head", { 11, 8, 16, 3, 2, 1e-5f } },
        { "n_layer 0", { 11, 8, 16, 2, 0, 1e-5f } },
        { "n_layer huge", { 11, 8, 16, 2, 100000, 1e-5f } },
        { "norm_eps 0", { 11, 8, 16, 2, 2, 0.0f } },
        { "norm_eps negative", { 11, 8, 16, 2, 2, -1e-5f } },
        { "norm_eps NaN", { 11, 8, 16, 2, 2, NAN } },
        { "norm_eps infinite", { 11, 8, 16, 2, 2, INFINITY } },
        { "norm_eps 1", { 11, 8, 16, 2, 2, 1.0f } },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_create(bad[i].what, &bad[i].hp, f->descs, f->n_tensors, LL_BACKEND_CPU, LL_ERR_HPARAMS);
    }
    /* hyper-parameters valid on their own but not matching the tensors */
    ll_hparams wider = TINY;
    wider.n_embd = 32;
    expect_create("hparams disagree with shapes", &wider, f->descs, f->n_tensors, LL_BACKEND_CPU, LL_ERR_TENSOR);
    ll_hparams fewer = TINY;
    fewer.n_layer = 1;
    expect_create("tensors of a layer beyond n_layer", &fewer, f->descs, f->n_tensors, LL_BACKEND_CPU, LL_ERR_TENSOR);
}

/* ---- the tensor table ------------------------------------------------------ */

typedef void (*desc_mutation)(ll_tensor_desc *descs, int32_t *n, int32_t target);

/* Applies `mutate` to a copy of the table (at tensor `name`) and expects `want`. */
static void expect_mutation(const gpt2_fixture *f, const char *what, const char *name, desc_mutation mutate,
                            int32_t want) {
    ll_tensor_desc *descs = malloc((size_t) (f->n_tensors + 1) * sizeof *descs);
    memcpy(descs, f->descs, (size_t) f->n_tensors * sizeof *descs);
    int32_t n = f->n_tensors;
    mutate(descs, &n, gpt2_fixture_find(f, name));
    expect_create(what, &f->hp, descs, n, LL_BACKEND_CPU, want);
    free(descs);
}

static void m_name_null(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].name = NULL; }
static void m_name_unknown(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].name = "wte"; }
static void m_name_layer_high(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].name = "blk.2.attn_qkv.weight"; }
static void m_name_layer_zero_pad(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].name = "blk.01.attn_qkv.weight"; }
static void m_name_layer_sign(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].name = "blk.-1.attn_qkv.weight"; }
static void m_name_layer_huge(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].name = "blk.99999999999.attn_qkv.weight"; }
static void m_name_suffix(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].name = "blk.0.attn_qkv.weight.x"; }
static void m_name_no_layer(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].name = "blk..attn_qkv.weight"; }
static void m_duplicate(ll_tensor_desc *d, int32_t *n, int32_t t) { d[*n] = d[t]; (*n)++; }
static void m_remove(ll_tensor_desc *d, int32_t *n, int32_t t) { d[t] = d[*n - 1]; (*n)--; }
static void m_type_unknown(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].type = 2; }
static void m_type_negative(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].type = -1; }
static void m_type_q8_0(ll_tensor_desc *d, int32_t *n, int32_t t) {
    (void) n;
    d[t].type = LL_TYPE_Q8_0;
    d[t].nbytes = (size_t) (d[t].shape[0] * (d[t].n_dims == 2 ? d[t].shape[1] : 1)) / 32 * 34;
}
static void m_layout_unknown(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].layout = 2; }
static void m_layout_in_out(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].layout = LL_LAYOUT_IN_OUT; }
static void m_dims_zero(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].n_dims = 0; }
static void m_dims_five(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].n_dims = 5; }
static void m_dims_three(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].n_dims = 3; d[t].shape[2] = 1; }
static void m_dims_two_for_vector(ll_tensor_desc *d, int32_t *n, int32_t t) {
    (void) n;
    d[t].n_dims = 2;
    d[t].shape[1] = d[t].shape[0];
    d[t].shape[0] = 1;
}
static void m_shape_swapped(ll_tensor_desc *d, int32_t *n, int32_t t) {
    (void) n;
    int64_t rows = d[t].shape[0];
    d[t].shape[0] = d[t].shape[1];
    d[t].shape[1] = rows;
}
static void m_shape_huge(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].shape[0] = INT64_MAX; }
static void m_shape_negative(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].shape[0] = -16; }
static void m_nbytes_less(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].nbytes -= 1; }
static void m_nbytes_more(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].nbytes += 4; }
static void m_data_null(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].data = NULL; }
static void m_type_f16_half_bytes(ll_tensor_desc *d, int32_t *n, int32_t t) { (void) n; d[t].type = LL_TYPE_F16; d[t].nbytes /= 2; }

static void test_tensor_table(const gpt2_fixture *f) {
    const char *qkv = "blk.0.attn_qkv.weight";
    const char *bias = "blk.1.ffn_up.bias";
    expect_mutation(f, "name NULL", qkv, m_name_null, LL_ERR_INVALID_ARGUMENT);
    expect_mutation(f, "name unknown", qkv, m_name_unknown, LL_ERR_TENSOR);
    expect_mutation(f, "layer >= n_layer", qkv, m_name_layer_high, LL_ERR_TENSOR);
    expect_mutation(f, "layer with a leading zero", qkv, m_name_layer_zero_pad, LL_ERR_TENSOR);
    expect_mutation(f, "layer with a sign", qkv, m_name_layer_sign, LL_ERR_TENSOR);
    expect_mutation(f, "layer with 11 digits", qkv, m_name_layer_huge, LL_ERR_TENSOR);
    expect_mutation(f, "name with a trailing part", qkv, m_name_suffix, LL_ERR_TENSOR);
    expect_mutation(f, "name without a layer", qkv, m_name_no_layer, LL_ERR_TENSOR);
    expect_mutation(f, "duplicate tensor", qkv, m_duplicate, LL_ERR_TENSOR);
    expect_mutation(f, "missing block tensor", bias, m_remove, LL_ERR_MISSING_TENSOR);
    expect_mutation(f, "missing token_embd", "token_embd.weight", m_remove, LL_ERR_MISSING_TENSOR);
    expect_mutation(f, "missing output_norm.bias", "output_norm.bias", m_remove, LL_ERR_MISSING_TENSOR);
    expect_mutation(f, "type unsupported (Q4_1)", qkv, m_type_unknown, LL_ERR_TENSOR);
    expect_mutation(f, "type negative", qkv, m_type_negative, LL_ERR_TENSOR);
    expect_mutation(f, "Q8_0 rows of 16 (not 32k)", qkv, m_type_q8_0, LL_ERR_TENSOR);
    expect_mutation(f, "Q8_0 vector", "blk.0.ffn_up.bias", m_type_q8_0, LL_ERR_TENSOR);
    expect_mutation(f, "layout unknown", qkv, m_layout_unknown, LL_ERR_TENSOR);
    expect_mutation(f, "IN_OUT with the canonical shape", qkv, m_layout_in_out, LL_ERR_TENSOR);
    expect_mutation(f, "n_dims 0", qkv, m_dims_zero, LL_ERR_TENSOR);
    expect_mutation(f, "n_dims 5", qkv, m_dims_five, LL_ERR_TENSOR);
    expect_mutation(f, "n_dims 3", qkv, m_dims_three, LL_ERR_TENSOR);
    expect_mutation(f, "vector given as [1, d]", bias, m_dims_two_for_vector, LL_ERR_TENSOR);
    expect_mutation(f, "matrix shape transposed (OUT_IN)", qkv, m_shape_swapped, LL_ERR_TENSOR);
    expect_mutation(f, "shape INT64_MAX", qkv, m_shape_huge, LL_ERR_TENSOR);
    expect_mutation(f, "shape negative", bias, m_shape_negative, LL_ERR_TENSOR);
    expect_mutation(f, "nbytes one short", qkv, m_nbytes_less, LL_ERR_TENSOR);
    expect_mutation(f, "nbytes too large", bias, m_nbytes_more, LL_ERR_TENSOR);
    expect_mutation(f, "F16 vector of the right size", bias, m_type_f16_half_bytes, LL_OK);
    expect_mutation(f, "data NULL", bias, m_data_null, LL_ERR_INVALID_ARGUMENT);
    expect_mutation(f, "output.weight absent (tied)", "output.weight", m_remove, LL_OK);
}

/* Q8_0 is refused where it cannot be used as it lies: transposed matrices. */
static void test_q8_0_transposed(void) {
    const ll_hparams hp = { 11, 8, 32, 2, 1, 1e-5f };
    const fixture_options options = { .seed = 3, .matrix_type = LL_TYPE_Q8_0, .vector_type = LL_TYPE_F32 };
    gpt2_fixture f;
    if (gpt2_fixture_make(&f, &hp, &options) != 0) {
        expect(0, "fixture");
        return;
    }
    int32_t t = gpt2_fixture_find(&f, "blk.0.attn_output.weight"); /* square: the shape stays valid */
    f.descs[t].layout = LL_LAYOUT_IN_OUT;
    expect_create("Q8_0 matrix in IN_OUT layout", &hp, f.descs, f.n_tensors, LL_BACKEND_CPU, LL_ERR_TENSOR);
    gpt2_fixture_free(&f);
}

/* ---- sessions ------------------------------------------------------------ */

static void test_session(ll_model *model) {
    ll_error err;
    ll_session *session = (ll_session *) &err;
    expect_status("out_session NULL", ll_session_create(model, 1, NULL, &err), &err, LL_ERR_INVALID_ARGUMENT);
    expect_status("model NULL", ll_session_create(NULL, 1, &session, &err), &err, LL_ERR_INVALID_ARGUMENT);
    expect(session == NULL, "out_session is NULL after a failure");
    expect_status("n_threads 0", ll_session_create(model, 0, &session, &err), &err, LL_ERR_INVALID_ARGUMENT);
    expect_status("n_threads negative", ll_session_create(model, -4, &session, &err), &err, LL_ERR_INVALID_ARGUMENT);
    expect_status("n_threads 100000 (capped)", ll_session_create(model, 100000, &session, &err), &err, LL_OK);
    ll_session_free(session);
}

/* ---- ll_forward ---------------------------------------------------------- */

#define SENTINEL 12345.0f

typedef struct forward_call {
    ll_session *session;
    const int32_t *tokens;
    int32_t n_tokens;
    uint32_t flags;
    float *out;
    size_t out_capacity;
    float *mid;
    size_t mid_capacity;
} forward_call;

static int untouched(const float *buffer, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (buffer[i] != SENTINEL) {
            return 0;
        }
    }
    return 1;
}

/* A failing call returns `want`, writes nothing, and says the same without err. */
static void expect_forward(const char *what, forward_call c, float *out, float *mid, size_t n, int32_t want) {
    for (size_t i = 0; i < n; i++) {
        out[i] = mid[i] = SENTINEL;
    }
    ll_error err = { -1, "" };
    int32_t got = ll_forward(c.session, c.tokens, c.n_tokens, c.flags, c.out, c.out_capacity, c.mid,
                             c.mid_capacity, &err);
    expect_status(what, got, &err, want);
    if (want != LL_OK) {
        expect(untouched(out, n) && untouched(mid, n), "nothing written on failure");
        expect(ll_forward(c.session, c.tokens, c.n_tokens, c.flags, c.out, c.out_capacity, c.mid, c.mid_capacity,
                          NULL) == want, "same status with err = NULL");
    }
}

static void test_forward(ll_model *model) {
    ll_session *session = NULL;
    if (ll_session_create(model, 2, &session, NULL) != LL_OK) {
        expect(0, "session");
        return;
    }
    const int32_t L = TINY.n_layer, T = 4, d = TINY.n_embd;
    const size_t out_n = (size_t) (L + 1) * T * d, mid_n = (size_t) L * T * d;
    const size_t big = (size_t) (L + 1) * TINY.n_ctx * d + 64;
    float *out = malloc(big * sizeof *out), *mid = malloc(big * sizeof *mid);
    int32_t tokens[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2, 3, 4, 5 };
    const forward_call ok = { session, tokens, T, LL_FORWARD_MID, out, out_n, mid, mid_n };
    forward_call c;

    expect_forward("valid call", ok, out, mid, big, LL_OK);
    c = ok; c.session = NULL;             expect_forward("session NULL", c, out, mid, big, LL_ERR_INVALID_ARGUMENT);
    c = ok; c.tokens = NULL;              expect_forward("tokens NULL", c, out, mid, big, LL_ERR_INVALID_ARGUMENT);
    c = ok; c.out = NULL;                 expect_forward("out NULL", c, out, mid, big, LL_ERR_INVALID_ARGUMENT);
    c = ok; c.flags = 8;                  expect_forward("unknown flag 0x8", c, out, mid, big, LL_ERR_INVALID_ARGUMENT);
    c = ok; c.flags = 0x80000000u;        expect_forward("unknown flag 0x80000000", c, out, mid, big, LL_ERR_INVALID_ARGUMENT);
    c = ok; c.flags = LL_FORWARD_RAW | LL_FORWARD_NO_AFFINE;
    expect_forward("RAW with NO_AFFINE", c, out, mid, big, LL_ERR_INVALID_ARGUMENT);
    c = ok; c.mid = NULL;                 expect_forward("MID without mid_out", c, out, mid, big, LL_ERR_INVALID_ARGUMENT);
    c = ok; c.n_tokens = -1;              expect_forward("n_tokens negative", c, out, mid, big, LL_ERR_INVALID_ARGUMENT);
    c = ok; c.n_tokens = 0;               expect_forward("n_tokens 0", c, out, mid, big, LL_ERR_CONTEXT);
    c = ok; c.n_tokens = TINY.n_ctx + 1;  c.out_capacity = c.mid_capacity = big;
    expect_forward("n_tokens > n_ctx", c, out, mid, big, LL_ERR_CONTEXT);
    c = ok; c.out_capacity = out_n - 1;   expect_forward("out one float short", c, out, mid, big, LL_ERR_BUFFER);
    c = ok; c.mid_capacity = mid_n - 1;   expect_forward("mid_out one float short", c, out, mid, big, LL_ERR_BUFFER);
    c = ok; c.mid = NULL; c.mid_capacity = 0; c.flags = 0;
    expect_forward("no MID: mid_out may be NULL", c, out, mid, big, LL_OK);

    tokens[3] = TINY.n_vocab;
    expect_forward("token == n_vocab", ok, out, mid, big, LL_ERR_TOKEN);
    ll_error err;
    ll_forward(session, tokens, T, 0, out, out_n, NULL, 0, &err);
    expect(strcmp(err.message, "token id 11 at position 3 is outside the vocabulary [0, 11)") == 0,
           "token message names the id, the position and the range");
    tokens[3] = -1;
    expect_forward("token negative", ok, out, mid, big, LL_ERR_TOKEN);
    tokens[3] = 4;
    expect_forward("valid again after failures", ok, out, mid, big, LL_OK);

    free(out);
    free(mid);
    ll_session_free(session);
}

/* Runs the forward pass of TINY with `value` written into element `element` of tensor `name` (F32, used in
 * place); expects LL_ERR_NONFINITE and a message holding `where`, with and without LL_FORWARD_MID, into
 * float-aligned buffers and into buffers 2 bytes off (the check reads the caller's buffer at any address). */
static void expect_non_finite(const char *name, int64_t element, float value, const char *where) {
    const fixture_options options = { .seed = 5, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32 };
    gpt2_fixture f;
    if (gpt2_fixture_make(&f, &TINY, &options) != 0) {
        expect(0, "fixture allocation");
        return;
    }
    int32_t t = gpt2_fixture_find(&f, name);
    ((float *) f.descs[t].data)[element] = value;
    ll_model *model = NULL;
    ll_session *session = NULL;
    if (ll_model_create(&TINY, f.descs, f.n_tensors, LL_BACKEND_CPU, &model, NULL) != LL_OK ||
        ll_session_create(model, 1, &session, NULL) != LL_OK) {
        expect(0, "model and session");
    } else {
        const int32_t T = 4;
        int32_t tokens[4] = { 1, 2, 3, 4 };
        size_t out_n = (size_t) (TINY.n_layer + 1) * T * TINY.n_embd;
        size_t mid_n = (size_t) TINY.n_layer * T * TINY.n_embd;
        unsigned char *out_bytes = malloc(out_n * sizeof(float) + 2), *mid_bytes = malloc(mid_n * sizeof(float) + 2);
        for (size_t shift = 0; shift <= 2; shift += 2) {
            float *out = (float *) (void *) (out_bytes + shift), *mid = (float *) (void *) (mid_bytes + shift);
            for (uint32_t flags = 0; flags <= LL_FORWARD_MID; flags += LL_FORWARD_MID) {
                ll_error err = { 0 };
                int32_t rc = ll_forward(session, tokens, T, flags, out, out_n, mid, mid_n, &err);
                char what[768];
                snprintf(what, sizeof what, "%s[%lld] = %g, buffers %zu bytes off: LL_ERR_NONFINITE naming '%s' (got %d: %s)",
                         name, (long long) element, value, shift, where, rc, err.message);
                expect(rc == LL_ERR_NONFINITE && strstr(err.message, where) != NULL, what);
            }
        }
        free(out_bytes);
        free(mid_bytes);
    }
    ll_session_free(session);
    ll_model_free(model);
    gpt2_fixture_free(&f);
}

/* NaN or Inf in the weights: the forward pass says where the stream first stops being finite. */
static void test_non_finite_weights(void) {
    /* token 3 is at position 2: its embedding row is NaN from layer 0 on */
    expect_non_finite("token_embd.weight", 3 * TINY.n_embd + 5, NAN, "NaN first at layer 0 (0 = the embeddings), position 2");
    expect_non_finite("position_embd.weight", 1 * TINY.n_embd, INFINITY, "first at layer 0 (0 = the embeddings), position 1");
    /* block 1 is the second block: the stream after it is layer 2 */
    expect_non_finite("blk.1.ffn_up.weight", 7, NAN, "NaN first at layer 2");
    expect_non_finite("output_norm.weight", 0, NAN, "NaN first at layer 0");
}

int main(void) {
    const fixture_options options = { .seed = 11, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32,
                                      .with_output = 1 };
    gpt2_fixture f;
    if (gpt2_fixture_make(&f, &TINY, &options) != 0) {
        printf("fixture allocation failed\n");
        return 1;
    }
    ll_model_free(NULL);
    ll_session_free(NULL);
    expect(ll_model_has_output(NULL) == 0, "ll_model_has_output(NULL) == 0");

    test_create_arguments(&f);
    test_hparams(&f);
    test_tensor_table(&f);
    test_q8_0_transposed();
    test_non_finite_weights();

    ll_model *model = NULL;
    if (ll_model_create(&TINY, f.descs, f.n_tensors, LL_BACKEND_CPU, &model, NULL) != LL_OK) {
        expect(0, "valid model");
    } else {
        test_session(model);
        test_forward(model);
    }
    ll_model_free(model);
    gpt2_fixture_free(&f);
    return finish();
}
