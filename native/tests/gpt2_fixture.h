/*
 * A random GPT-2 for tests and benchmarks: its weights in the form the shim
 * receives them (ll_tensor_desc table) and in the form a reference computes
 * with (canonical [out, in] float values, already rounded to the encoded
 * type), plus a straightforward double-precision forward pass independent of
 * ggml.
 */
#ifndef GPT2_FIXTURE_H
#define GPT2_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "logitlens.h"

typedef struct fixture_options {
    uint64_t seed;
    int32_t matrix_type;   /* LL_TYPE_* of 2-D tensors (embeddings included) */
    int32_t vector_type;   /* LL_TYPE_* of 1-D tensors */
    int32_t layout;        /* LL_LAYOUT_* of 2-D tensors */
    int32_t with_output;   /* also an untied output.weight */
    size_t misalign;       /* byte offset added to every tensor's data (0: aligned) */
} fixture_options;

typedef struct fixture_tensor {
    char name[64];
    int32_t n_dims;
    int64_t rows, cols;    /* canonical [rows, cols]; 1-D: [rows], cols = 1 */
    float *values;         /* [rows, cols] canonical values as the shim will see them */
    void *storage;         /* allocation behind the encoded bytes */
} fixture_tensor;

typedef struct gpt2_fixture {
    ll_hparams hp;
    int32_t n_tensors;
    fixture_tensor *tensors;   /* [n_tensors] */
    ll_tensor_desc *descs;     /* [n_tensors] the table for ll_model_create */
} gpt2_fixture;

/* Builds a random model; returns 0 on success. */
int gpt2_fixture_make(gpt2_fixture *fixture, const ll_hparams *hp, const fixture_options *options);
void gpt2_fixture_free(gpt2_fixture *fixture);

/* The descriptor index of a tensor name, or -1. */
int32_t gpt2_fixture_find(const gpt2_fixture *fixture, const char *name);

/*
 * Reference forward pass in double precision, same contract as ll_forward:
 * out [n_layer+1, T, d], mid [n_layer, T, d] (only with LL_FORWARD_MID).
 */
void gpt2_reference_forward(const gpt2_fixture *fixture, const int32_t *tokens, int32_t n_tokens,
                            uint32_t flags, double *out, double *mid);

/* Seeded pseudo-random numbers (splitmix64). */
uint64_t fixture_next(uint64_t *state);
double fixture_uniform(uint64_t *state, double lo, double hi);

/* IEEE half and bfloat16 conversions (round to nearest even). */
uint16_t fixture_f32_to_f16(float value);
float fixture_f16_to_f32(uint16_t bits);
uint16_t fixture_f32_to_bf16(float value);
float fixture_bf16_to_f32(uint16_t bits);

#endif /* GPT2_FIXTURE_H */
