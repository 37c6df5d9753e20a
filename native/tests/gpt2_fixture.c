/* Random GPT-2 weights, their encodings, and a double-precision reference. */
#include "gpt2_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define Q8_0_BLOCK 32
#define Q8_0_BLOCK_BYTES (2 + Q8_0_BLOCK) /* fp16 scale, then 32 int8 */

/* ---- random numbers ------------------------------------------------------ */

uint64_t fixture_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double fixture_uniform(uint64_t *state, double lo, double hi) {
    return lo + (hi - lo) * (double) (fixture_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- half precision ------------------------------------------------------ */

static uint32_t f32_bits(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static float bits_f32(uint32_t bits) {
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

uint16_t fixture_f32_to_f16(float value) {
    uint32_t x = f32_bits(value);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t exponent = (x >> 23) & 0xFFu;
    uint32_t mantissa = x & 0x7FFFFFu;
    if (exponent == 0xFF) { /* inf or nan */
        return (uint16_t) (sign | 0x7C00u | (mantissa ? 0x200u : 0));
    }
    int32_t e = (int32_t) exponent - 127 + 15;
    if (e >= 31) {
        return (uint16_t) (sign | 0x7C00u);
    }
    if (e <= 0) { /* subnormal half: shift in the implicit bit, round to nearest even */
        if (e < -10) {
            return (uint16_t) sign;
        }
        uint32_t m = mantissa | 0x800000u;
        uint32_t shift = (uint32_t) (14 - e);
        uint32_t half = m >> shift;
        uint32_t rest = m & ((1u << shift) - 1);
        uint32_t midpoint = 1u << (shift - 1);
        if (rest > midpoint || (rest == midpoint && (half & 1))) {
            half++;
        }
        return (uint16_t) (sign | half);
    }
    uint32_t half = ((uint32_t) e << 10) | (mantissa >> 13);
    uint32_t rest = mantissa & 0x1FFFu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1))) {
        half++; /* may carry into the exponent, which is still correct */
    }
    return (uint16_t) (sign | half);
}

float fixture_f16_to_f32(uint16_t bits) {
    uint32_t sign = (uint32_t) (bits & 0x8000u) << 16;
    uint32_t exponent = (bits >> 10) & 0x1Fu;
    uint32_t mantissa = bits & 0x3FFu;
    if (exponent == 0) {
        float magnitude = (float) mantissa * (1.0f / 16777216.0f); /* 2^-24 */
        return sign ? -magnitude : magnitude;
    }
    if (exponent == 31) {
        return bits_f32(sign | 0x7F800000u | (mantissa << 13));
    }
    return bits_f32(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
}

uint16_t fixture_f32_to_bf16(float value) {
    uint32_t x = f32_bits(value);
    x += 0x7FFFu + ((x >> 16) & 1u);
    return (uint16_t) (x >> 16);
}

float fixture_bf16_to_f32(uint16_t bits) {
    return bits_f32((uint32_t) bits << 16);
}

/* ---- weights ------------------------------------------------------------- */

typedef enum weight_kind { KIND_EMBEDDING, KIND_MATRIX, KIND_GAIN, KIND_BIAS } weight_kind;

static void fill_values(fixture_tensor *t, weight_kind kind, uint64_t *rng) {
    size_t n = (size_t) (t->rows * t->cols);
    double scale = kind == KIND_MATRIX ? sqrt(3.0 / (double) t->cols) : 1.0;
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
            case KIND_EMBEDDING: t->values[i] = (float) fixture_uniform(rng, -1.0, 1.0); break;
            case KIND_MATRIX:    t->values[i] = (float) fixture_uniform(rng, -scale, scale); break;
            case KIND_GAIN:      t->values[i] = (float) fixture_uniform(rng, 0.8, 1.2); break;
            case KIND_BIAS:      t->values[i] = (float) fixture_uniform(rng, -0.1, 0.1); break;
        }
    }
}

static size_t encoded_size(int32_t type, int64_t rows, int64_t cols) {
    switch (type) {
        case LL_TYPE_F32:  return (size_t) (rows * cols) * 4;
        case LL_TYPE_Q8_0: return (size_t) (rows * (cols / Q8_0_BLOCK)) * Q8_0_BLOCK_BYTES;
        default:           return (size_t) (rows * cols) * 2;
    }
}

/* Element (r, c) of the canonical matrix goes to index r*cols + c, or to
 * c*rows + r when the matrix is stored transposed. */
static size_t stored_index(int64_t r, int64_t c, int64_t rows, int64_t cols, int transposed) {
    return transposed ? (size_t) (c * rows + r) : (size_t) (r * cols + c);
}

/* Rounds values to `type` and writes their encoding; values keep the decoded numbers. */
static void encode(fixture_tensor *t, int32_t type, int transposed, unsigned char *dst) {
    if (type == LL_TYPE_Q8_0) { /* rows of blocks, as ggml's quantize_row_q8_0_ref */
        for (int64_t r = 0; r < t->rows; r++) {
            for (int64_t b = 0; b < t->cols / Q8_0_BLOCK; b++) {
                float *x = t->values + r * t->cols + b * Q8_0_BLOCK;
                unsigned char *block = dst + (size_t) (r * (t->cols / Q8_0_BLOCK) + b) * Q8_0_BLOCK_BYTES;
                float amax = 0.0f;
                for (int i = 0; i < Q8_0_BLOCK; i++) {
                    amax = fmaxf(amax, fabsf(x[i]));
                }
                float d = amax / 127.0f;
                float id = d != 0.0f ? 1.0f / d : 0.0f;
                uint16_t d_bits = fixture_f32_to_f16(d);
                memcpy(block, &d_bits, 2);
                for (int i = 0; i < Q8_0_BLOCK; i++) {
                    int8_t q = (int8_t) roundf(x[i] * id);
                    block[2 + i] = (unsigned char) q;
                    x[i] = fixture_f16_to_f32(d_bits) * (float) q;
                }
            }
        }
        return;
    }
    for (int64_t r = 0; r < t->rows; r++) {
        for (int64_t c = 0; c < t->cols; c++) {
            float *value = &t->values[r * t->cols + c];
            size_t at = stored_index(r, c, t->rows, t->cols, transposed);
            if (type == LL_TYPE_F32) {
                memcpy(dst + at * 4, value, 4);
                continue;
            }
            uint16_t bits = type == LL_TYPE_F16 ? fixture_f32_to_f16(*value) : fixture_f32_to_bf16(*value);
            *value = type == LL_TYPE_F16 ? fixture_f16_to_f32(bits) : fixture_bf16_to_f32(bits);
            memcpy(dst + at * 2, &bits, 2);
        }
    }
}

static int add_tensor(gpt2_fixture *f, const fixture_options *o, uint64_t *rng, const char *name,
                      weight_kind kind, int64_t rows, int64_t cols) {
    fixture_tensor *t = &f->tensors[f->n_tensors];
    ll_tensor_desc *desc = &f->descs[f->n_tensors];
    int is_matrix = cols > 0;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->n_dims = is_matrix ? 2 : 1;
    t->rows = rows;
    t->cols = is_matrix ? cols : 1;
    t->values = malloc((size_t) (t->rows * t->cols) * sizeof *t->values);
    if (t->values == NULL) {
        return -1;
    }
    fill_values(t, kind, rng);

    int32_t type = is_matrix ? o->matrix_type : o->vector_type;
    int transposed = is_matrix && o->layout == LL_LAYOUT_IN_OUT;
    size_t nbytes = encoded_size(type, t->rows, t->cols);
    t->storage = aligned_alloc(64, (nbytes + o->misalign + 63) / 64 * 64);
    if (t->storage == NULL) {
        return -1;
    }
    unsigned char *data = (unsigned char *) t->storage + o->misalign;
    encode(t, type, transposed, data);

    desc->name = t->name;
    desc->type = type;
    desc->layout = is_matrix ? o->layout : LL_LAYOUT_OUT_IN;
    desc->n_dims = t->n_dims;
    desc->shape[0] = transposed ? t->cols : t->rows;
    desc->shape[1] = transposed ? t->rows : (is_matrix ? t->cols : 0);
    desc->data = data;
    desc->nbytes = nbytes;
    f->n_tensors++;
    return 0;
}

/* A tensor to generate: its shape in units of (V, C, d); a zero column count means 1-D. */
typedef struct tensor_plan {
    const char *name;   /* after "blk.N." for block tensors */
    weight_kind kind;
    int32_t rows_in_d, cols_in_d;
} tensor_plan;

static const tensor_plan BLOCK_PLAN[] = {
    { "attn_norm.weight", KIND_GAIN, 1, 0 },     { "attn_norm.bias", KIND_BIAS, 1, 0 },
    { "attn_qkv.weight", KIND_MATRIX, 3, 1 },    { "attn_qkv.bias", KIND_BIAS, 3, 0 },
    { "attn_output.weight", KIND_MATRIX, 1, 1 }, { "attn_output.bias", KIND_BIAS, 1, 0 },
    { "ffn_norm.weight", KIND_GAIN, 1, 0 },      { "ffn_norm.bias", KIND_BIAS, 1, 0 },
    { "ffn_up.weight", KIND_MATRIX, 4, 1 },      { "ffn_up.bias", KIND_BIAS, 4, 0 },
    { "ffn_down.weight", KIND_MATRIX, 1, 4 },    { "ffn_down.bias", KIND_BIAS, 1, 0 },
};
#define BLOCK_TENSORS ((int32_t) (sizeof BLOCK_PLAN / sizeof BLOCK_PLAN[0]))

static int add_globals(gpt2_fixture *f, const fixture_options *o, uint64_t *rng) {
    const ll_hparams *hp = &f->hp;
    if (add_tensor(f, o, rng, "token_embd.weight", KIND_EMBEDDING, hp->n_vocab, hp->n_embd) != 0 ||
        add_tensor(f, o, rng, "position_embd.weight", KIND_EMBEDDING, hp->n_ctx, hp->n_embd) != 0 ||
        add_tensor(f, o, rng, "output_norm.weight", KIND_GAIN, hp->n_embd, 0) != 0 ||
        add_tensor(f, o, rng, "output_norm.bias", KIND_BIAS, hp->n_embd, 0) != 0) {
        return -1;
    }
    return o->with_output ? add_tensor(f, o, rng, "output.weight", KIND_MATRIX, hp->n_vocab, hp->n_embd) : 0;
}

static int add_block(gpt2_fixture *f, const fixture_options *o, uint64_t *rng, int32_t layer) {
    const int64_t d = f->hp.n_embd;
    for (int32_t i = 0; i < BLOCK_TENSORS; i++) {
        char name[64];
        snprintf(name, sizeof name, "blk.%d.%s", layer, BLOCK_PLAN[i].name);
        if (add_tensor(f, o, rng, name, BLOCK_PLAN[i].kind, BLOCK_PLAN[i].rows_in_d * d,
                       BLOCK_PLAN[i].cols_in_d * d) != 0) {
            return -1;
        }
    }
    return 0;
}

int gpt2_fixture_make(gpt2_fixture *f, const ll_hparams *hp, const fixture_options *o) {
    int32_t capacity = 5 + BLOCK_TENSORS * hp->n_layer;
    uint64_t rng = o->seed;
    memset(f, 0, sizeof *f);
    f->hp = *hp;
    f->tensors = calloc((size_t) capacity, sizeof *f->tensors);
    f->descs = calloc((size_t) capacity, sizeof *f->descs);
    if (f->tensors == NULL || f->descs == NULL || add_globals(f, o, &rng) != 0) {
        return -1;
    }
    for (int32_t layer = 0; layer < hp->n_layer; layer++) {
        if (add_block(f, o, &rng, layer) != 0) {
            return -1;
        }
    }
    return 0;
}

void gpt2_fixture_free(gpt2_fixture *f) {
    for (int32_t i = 0; i < f->n_tensors; i++) {
        free(f->tensors[i].values);
        free(f->tensors[i].storage);
    }
    free(f->tensors);
    free(f->descs);
    memset(f, 0, sizeof *f);
}

int32_t gpt2_fixture_find(const gpt2_fixture *f, const char *name) {
    for (int32_t i = 0; i < f->n_tensors; i++) {
        if (strcmp(f->tensors[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

/* ---- reference forward pass ---------------------------------------------- */

static const float *weight(const gpt2_fixture *f, int32_t layer, const char *suffix) {
    char name[64];
    if (layer < 0) {
        snprintf(name, sizeof name, "%s", suffix);
    } else {
        snprintf(name, sizeof name, "blk.%d.%s", layer, suffix);
    }
    int32_t i = gpt2_fixture_find(f, name);
    return i < 0 ? NULL : f->tensors[i].values;
}

/* y [T, d] = LayerNorm(x [T, d]) with optional gain and bias. */
static void layer_norm(const double *x, double *y, int32_t n_tokens, int32_t d, double eps,
                       const float *gain, const float *bias) {
    for (int32_t t = 0; t < n_tokens; t++) {
        const double *row = x + (size_t) t * d;
        double mean = 0.0, var = 0.0;
        for (int32_t i = 0; i < d; i++) {
            mean += row[i];
        }
        mean /= d;
        for (int32_t i = 0; i < d; i++) {
            var += (row[i] - mean) * (row[i] - mean);
        }
        var /= d;
        double inv = 1.0 / sqrt(var + eps);
        for (int32_t i = 0; i < d; i++) {
            double v = (row[i] - mean) * inv;
            y[(size_t) t * d + i] = gain ? v * gain[i] + bias[i] : v;
        }
    }
}

/* y [T, out] = x [T, in] W^T + b with W [out, in]. */
static void linear(const double *x, double *y, int32_t n_tokens, int32_t in, int32_t out, const float *w,
                   const float *b) {
    for (int32_t t = 0; t < n_tokens; t++) {
        for (int32_t o = 0; o < out; o++) {
            double sum = b[o];
            for (int32_t i = 0; i < in; i++) {
                sum += x[(size_t) t * in + i] * w[(size_t) o * in + i];
            }
            y[(size_t) t * out + o] = sum;
        }
    }
}

/* out [T, d] = causal softmax(q k^T / sqrt(hd)) v per head, from qkv [T, 3d]. */
static void attention(const double *qkv, double *out, int32_t n_tokens, int32_t d, int32_t n_head) {
    int32_t hd = d / n_head;
    double *p = malloc((size_t) n_tokens * sizeof *p);
    for (int32_t h = 0; h < n_head; h++) {
        for (int32_t t = 0; t < n_tokens; t++) {
            const double *q = qkv + (size_t) t * 3 * d + h * hd;
            double max = -INFINITY, sum = 0.0;
            for (int32_t u = 0; u <= t; u++) {
                const double *k = qkv + (size_t) u * 3 * d + d + h * hd;
                double s = 0.0;
                for (int32_t e = 0; e < hd; e++) {
                    s += q[e] * k[e];
                }
                p[u] = s / sqrt((double) hd);
                max = fmax(max, p[u]);
            }
            for (int32_t u = 0; u <= t; u++) {
                p[u] = exp(p[u] - max);
                sum += p[u];
            }
            for (int32_t e = 0; e < hd; e++) {
                double acc = 0.0;
                for (int32_t u = 0; u <= t; u++) {
                    acc += p[u] * qkv[(size_t) u * 3 * d + 2 * d + h * hd + e];
                }
                out[(size_t) t * d + h * hd + e] = acc / sum;
            }
        }
    }
    free(p);
}

static double gelu_tanh(double x) {
    return 0.5 * x * (1.0 + tanh(0.79788456080286535588 /* sqrt(2/pi) */ * (x + 0.044715 * x * x * x)));
}

/* Writes x [T, d], transformed per flags, into dst. */
static void emit(const gpt2_fixture *f, const double *x, int32_t n_tokens, uint32_t flags, double *dst) {
    int32_t d = f->hp.n_embd;
    if (flags & LL_FORWARD_RAW) {
        memcpy(dst, x, (size_t) n_tokens * d * sizeof *dst);
    } else if (flags & LL_FORWARD_NO_AFFINE) {
        layer_norm(x, dst, n_tokens, d, f->hp.norm_eps, NULL, NULL);
    } else {
        layer_norm(x, dst, n_tokens, d, f->hp.norm_eps, weight(f, -1, "output_norm.weight"),
                   weight(f, -1, "output_norm.bias"));
    }
}

void gpt2_reference_forward(const gpt2_fixture *f, const int32_t *tokens, int32_t n_tokens, uint32_t flags,
                            double *out, double *mid) {
    const int32_t d = f->hp.n_embd;
    const size_t slice = (size_t) n_tokens * d;
    double *x = malloc(slice * sizeof *x);                /* [T, d] residual stream */
    double *h = malloc(slice * sizeof *h);                /* [T, d] */
    double *wide = malloc(slice * 4 * sizeof *wide);      /* [T, 4d] (qkv uses 3d of it) */
    double *a = malloc(slice * sizeof *a);                /* [T, d] */
    const float *wte = weight(f, -1, "token_embd.weight");
    const float *wpe = weight(f, -1, "position_embd.weight");
    for (int32_t t = 0; t < n_tokens; t++) {
        for (int32_t i = 0; i < d; i++) {
            x[(size_t) t * d + i] = (double) wte[(size_t) tokens[t] * d + i] + (double) wpe[(size_t) t * d + i];
        }
    }
    emit(f, x, n_tokens, flags, out);
    for (int32_t l = 0; l < f->hp.n_layer; l++) {
        layer_norm(x, h, n_tokens, d, f->hp.norm_eps, weight(f, l, "attn_norm.weight"), weight(f, l, "attn_norm.bias"));
        linear(h, wide, n_tokens, d, 3 * d, weight(f, l, "attn_qkv.weight"), weight(f, l, "attn_qkv.bias"));
        attention(wide, a, n_tokens, d, f->hp.n_head);
        linear(a, h, n_tokens, d, d, weight(f, l, "attn_output.weight"), weight(f, l, "attn_output.bias"));
        for (size_t i = 0; i < slice; i++) {
            x[i] += h[i];
        }
        if (flags & LL_FORWARD_MID) {
            emit(f, x, n_tokens, flags, mid + (size_t) l * slice);
        }
        layer_norm(x, h, n_tokens, d, f->hp.norm_eps, weight(f, l, "ffn_norm.weight"), weight(f, l, "ffn_norm.bias"));
        linear(h, wide, n_tokens, d, 4 * d, weight(f, l, "ffn_up.weight"), weight(f, l, "ffn_up.bias"));
        for (size_t i = 0; i < slice * 4; i++) {
            wide[i] = gelu_tanh(wide[i]);
        }
        linear(wide, h, n_tokens, 4 * d, d, weight(f, l, "ffn_down.weight"), weight(f, l, "ffn_down.bias"));
        for (size_t i = 0; i < slice; i++) {
            x[i] += h[i];
        }
        emit(f, x, n_tokens, flags, out + (size_t) (l + 1) * slice);
    }
    free(x);
    free(h);
    free(wide);
    free(a);
}
