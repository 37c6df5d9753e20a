/*
 * Forward-pass and projection timing at GPT-2 small's shape (12 layers, d 768,
 * 12 heads, vocabulary 50257, context 1024) with random F32 weights.
 *
 *   logitlens_forward_bench [--backend cpu|cuda] [--threads N] [--repeat N]
 *                           [--layout out_in|in_out] [--rows R] [T ...]
 *
 * Defaults: CPU, 2 threads, 5 timed runs after one warm-up, T = 128 and 1024,
 * R = 312. Prints the best and the mean wall time of ll_forward (flags 0) per T,
 * then of ll_project over R rows for each W_U precision, with its GFLOP/s.
 */
#define _POSIX_C_SOURCE 199309L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpt2_fixture.h"

#define MAX_LENGTHS 16

typedef struct bench_options {
    int32_t backend;
    int32_t rows;
    int32_t n_threads;
    int32_t repeat;
    int32_t layout;
    int32_t n_lengths;
    int32_t lengths[MAX_LENGTHS];
} bench_options;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static int parse_options(int argc, char **argv, bench_options *o) {
    *o = (bench_options) { .backend = LL_BACKEND_CPU, .rows = 312, .n_threads = 2, .repeat = 5,
                           .layout = LL_LAYOUT_OUT_IN };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
            o->backend = strcmp(argv[++i], "cuda") == 0 ? LL_BACKEND_CUDA : LL_BACKEND_CPU;
        } else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
            o->rows = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            o->n_threads = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            o->repeat = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--layout") == 0 && i + 1 < argc) {
            o->layout = strcmp(argv[++i], "in_out") == 0 ? LL_LAYOUT_IN_OUT : LL_LAYOUT_OUT_IN;
        } else if (argv[i][0] != '-' && o->n_lengths < MAX_LENGTHS) {
            o->lengths[o->n_lengths++] = atoi(argv[i]);
        } else {
            fprintf(stderr, "usage: %s [--backend cpu|cuda] [--threads N] [--repeat N] [--layout out_in|in_out] "
                            "[--rows R] [T ...]\n", argv[0]);
            return -1;
        }
    }
    if (o->n_lengths == 0) {
        o->lengths[o->n_lengths++] = 128;
        o->lengths[o->n_lengths++] = 1024;
    }
    return o->repeat >= 1 && o->rows >= 1 ? 0 : -1;
}

/* Times `repeat` calls of ll_forward over n_tokens tokens after one warm-up. */
static int time_length(ll_session *session, const ll_hparams *hp, int32_t n_tokens, int32_t repeat) {
    size_t out_n = (size_t) (hp->n_layer + 1) * n_tokens * hp->n_embd;
    float *out = malloc(out_n * sizeof *out);              /* [n_layer+1, T, d] */
    int32_t *tokens = malloc((size_t) n_tokens * sizeof *tokens);
    uint64_t rng = 42;
    for (int32_t i = 0; i < n_tokens; i++) {
        tokens[i] = (int32_t) (fixture_next(&rng) % (uint64_t) hp->n_vocab);
    }
    ll_error err;
    double best = 1e30, total = 0.0;
    int32_t rc = ll_forward(session, tokens, n_tokens, 0, out, out_n, NULL, 0, &err);
    for (int32_t r = 0; r < repeat && rc == LL_OK; r++) {
        double start = now_seconds();
        rc = ll_forward(session, tokens, n_tokens, 0, out, out_n, NULL, 0, &err);
        double elapsed = now_seconds() - start;
        best = elapsed < best ? elapsed : best;
        total += elapsed;
    }
    if (rc == LL_OK) {
        printf("T=%-5d best %.4f s  mean %.4f s  (%d runs)\n", n_tokens, best, total / repeat, repeat);
    } else {
        fprintf(stderr, "ll_forward failed at T=%d: %s\n", n_tokens, err.message);
    }
    free(out);
    free(tokens);
    return rc;
}

/* Times `repeat` calls of ll_project over `rows` rows in the given W_U precision after one warm-up. */
static int time_projection(ll_model *model, const ll_hparams *hp, int32_t type, const char *name, int32_t rows,
                           int32_t n_threads, int32_t repeat) {
    size_t logits_n = (size_t) rows * hp->n_vocab;
    float *input = malloc((size_t) rows * hp->n_embd * sizeof *input);  /* [rows, d] */
    float *logits = malloc(logits_n * sizeof *logits);                 /* [rows, V] */
    uint64_t rng = 7;
    for (int64_t i = 0; i < (int64_t) rows * hp->n_embd; i++) {
        input[i] = (float) fixture_uniform(&rng, -1.7, 1.7);
    }
    ll_projector *projector = NULL;
    ll_error err;
    int32_t rc = ll_projector_create(model, type, n_threads, &projector, &err);
    if (rc == LL_OK) {
        rc = ll_project(projector, input, rows, logits, logits_n, &err);
    }
    double best = 1e30, total = 0.0;
    for (int32_t r = 0; r < repeat && rc == LL_OK; r++) {
        double start = now_seconds();
        rc = ll_project(projector, input, rows, logits, logits_n, &err);
        double elapsed = now_seconds() - start;
        best = elapsed < best ? elapsed : best;
        total += elapsed;
    }
    if (rc == LL_OK) {
        double flops = 2.0 * rows * hp->n_embd * hp->n_vocab;
        printf("project %-4s %d rows: best %.4f s  mean %.4f s  %.1f GFLOP/s (best)\n", name, rows, best,
               total / repeat, flops / best / 1e9);
    } else {
        fprintf(stderr, "ll_project (%s) failed: %s\n", name, err.message);
    }
    ll_projector_free(projector);
    free(input);
    free(logits);
    return rc;
}

int main(int argc, char **argv) {
    bench_options o;
    if (parse_options(argc, argv, &o) != 0) {
        return 2;
    }
    const ll_hparams hp = { 50257, 1024, 768, 12, 12, 1e-5f };
    const fixture_options fo = { .seed = 1, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32,
                                 .layout = o.layout };
    gpt2_fixture f;
    ll_model *model = NULL;
    ll_session *session = NULL;
    ll_error err = { 0, "" };
    if (gpt2_fixture_make(&f, &hp, &fo) != 0) {
        fprintf(stderr, "out of memory building the model\n");
        return 1;
    }
    double start = now_seconds();
    int32_t rc = ll_model_create(&hp, f.descs, f.n_tensors, o.backend, &model, &err);
    double create_seconds = now_seconds() - start;
    if (rc == LL_OK) {
        rc = ll_session_create(model, o.n_threads, &session, &err);
    }
    if (rc != LL_OK) {
        fprintf(stderr, "setup failed: %s\n", err.message);
    } else {
        printf("GPT-2 small shape, F32 %s, ggml %s, %s, %d threads; ll_model_create %.3f s\n",
               o.layout == LL_LAYOUT_IN_OUT ? "IN_OUT" : "OUT_IN", ll_ggml_version(),
               o.backend == LL_BACKEND_CUDA ? "CUDA" : "CPU", o.n_threads, create_seconds);
        for (int32_t i = 0; i < o.n_lengths && rc == LL_OK; i++) {
            rc = time_length(session, &hp, o.lengths[i], o.repeat);
        }
        const int32_t types[] = { LL_TYPE_F32, LL_TYPE_F16, LL_TYPE_BF16, LL_TYPE_Q8_0 };
        const char *names[] = { "f32", "f16", "bf16", "q8_0" };
        for (int32_t i = 0; i < 4 && rc == LL_OK; i++) {
            rc = time_projection(model, &hp, types[i], names[i], o.rows, o.n_threads, o.repeat);
        }
    }
    ll_session_free(session);
    ll_model_free(model);
    gpt2_fixture_free(&f);
    return rc == LL_OK ? 0 : 1;
}
