/*
 * The GPT-2 weight table: tensor names, canonical shapes, and validation of
 * the caller's descriptors. Everything here runs before any tensor reaches
 * ggml, so that no input can trip a ggml assertion.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ll_internal.h"

/* Upper bounds that keep every size computation far from overflow. */
#define LL_MAX_VOCAB  (1 << 24)
#define LL_MAX_CTX    (1 << 16)
#define LL_MAX_EMBD   (1 << 16)
#define LL_MAX_LAYERS 1024

/* Symbolic dimensions of the canonical shapes. */
typedef enum ll_dim {
    LL_DIM_NONE,   /* absent: the tensor is 1-D */
    LL_DIM_VOCAB,  /* V */
    LL_DIM_CTX,    /* C */
    LL_DIM_EMBD,   /* d */
    LL_DIM_QKV,    /* 3d */
    LL_DIM_FFN     /* f = 4d */
} ll_dim;

typedef struct ll_weight_spec {
    const char *name;  /* full name for globals, the part after "blk.N." for blocks */
    ll_dim rows;       /* outermost dimension (the length of a 1-D tensor) */
    ll_dim cols;       /* innermost dimension, LL_DIM_NONE for 1-D tensors */
} ll_weight_spec;

static const ll_weight_spec LL_GLOBAL_SPECS[LL_GW_COUNT] = {
    [LL_GW_TOKEN_EMBD]    = { "token_embd.weight",    LL_DIM_VOCAB, LL_DIM_EMBD },
    [LL_GW_POSITION_EMBD] = { "position_embd.weight", LL_DIM_CTX,   LL_DIM_EMBD },
    [LL_GW_OUTPUT_NORM]   = { "output_norm.weight",   LL_DIM_EMBD,  LL_DIM_NONE },
    [LL_GW_OUTPUT_NORM_B] = { "output_norm.bias",     LL_DIM_EMBD,  LL_DIM_NONE },
    [LL_GW_OUTPUT]        = { "output.weight",        LL_DIM_VOCAB, LL_DIM_EMBD },
};

static const ll_weight_spec LL_BLOCK_SPECS[LL_BW_COUNT] = {
    [LL_BW_ATTN_NORM]   = { "attn_norm.weight",   LL_DIM_EMBD, LL_DIM_NONE },
    [LL_BW_ATTN_NORM_B] = { "attn_norm.bias",     LL_DIM_EMBD, LL_DIM_NONE },
    [LL_BW_ATTN_QKV]    = { "attn_qkv.weight",    LL_DIM_QKV,  LL_DIM_EMBD },
    [LL_BW_ATTN_QKV_B]  = { "attn_qkv.bias",      LL_DIM_QKV,  LL_DIM_NONE },
    [LL_BW_ATTN_OUT]    = { "attn_output.weight", LL_DIM_EMBD, LL_DIM_EMBD },
    [LL_BW_ATTN_OUT_B]  = { "attn_output.bias",   LL_DIM_EMBD, LL_DIM_NONE },
    [LL_BW_FFN_NORM]    = { "ffn_norm.weight",    LL_DIM_EMBD, LL_DIM_NONE },
    [LL_BW_FFN_NORM_B]  = { "ffn_norm.bias",      LL_DIM_EMBD, LL_DIM_NONE },
    [LL_BW_FFN_UP]      = { "ffn_up.weight",      LL_DIM_FFN,  LL_DIM_EMBD },
    [LL_BW_FFN_UP_B]    = { "ffn_up.bias",        LL_DIM_FFN,  LL_DIM_NONE },
    [LL_BW_FFN_DOWN]    = { "ffn_down.weight",    LL_DIM_EMBD, LL_DIM_FFN  },
    [LL_BW_FFN_DOWN_B]  = { "ffn_down.bias",      LL_DIM_EMBD, LL_DIM_NONE },
};

#define LL_BLOCK_PREFIX "blk."
#define LL_NAME_CAPACITY 64
/* Longest caller-supplied name quoted in a message. */
#define LL_QUOTE_MAX 80

/* ---- hyper-parameters ---------------------------------------------------- */

static int32_t ll_check_range(const char *what, int32_t value, int32_t max, ll_error *err) {
    if (value < 1 || value > max) {
        return ll_fail(err, LL_ERR_HPARAMS, "%s = %d is outside [1, %d]", what, value, max);
    }
    return LL_OK;
}

int32_t ll_check_hparams(const ll_hparams *hp, ll_error *err) {
    int32_t rc;
    if ((rc = ll_check_range("n_vocab", hp->n_vocab, LL_MAX_VOCAB, err)) != LL_OK ||
        (rc = ll_check_range("n_ctx", hp->n_ctx, LL_MAX_CTX, err)) != LL_OK ||
        (rc = ll_check_range("n_embd", hp->n_embd, LL_MAX_EMBD, err)) != LL_OK ||
        (rc = ll_check_range("n_head", hp->n_head, hp->n_embd, err)) != LL_OK ||
        (rc = ll_check_range("n_layer", hp->n_layer, LL_MAX_LAYERS, err)) != LL_OK) {
        return rc;
    }
    if (hp->n_embd % hp->n_head != 0) {
        return ll_fail(err, LL_ERR_HPARAMS, "n_embd = %d is not a multiple of n_head = %d",
                       hp->n_embd, hp->n_head);
    }
    if (!isfinite(hp->norm_eps) || hp->norm_eps <= 0.0f || hp->norm_eps >= 1.0f) {
        return ll_fail(err, LL_ERR_HPARAMS, "norm_eps = %g is not a finite value in (0, 1)",
                       (double) hp->norm_eps);
    }
    return LL_OK;
}

/* ---- slots --------------------------------------------------------------- */

int32_t ll_slot_count(const ll_hparams *hp) {
    return LL_GW_COUNT + hp->n_layer * LL_BW_COUNT;
}

static const ll_weight_spec *ll_slot_spec(int32_t slot) {
    return slot < LL_GW_COUNT ? &LL_GLOBAL_SPECS[slot]
                              : &LL_BLOCK_SPECS[(slot - LL_GW_COUNT) % LL_BW_COUNT];
}

static int64_t ll_dim_size(const ll_hparams *hp, ll_dim dim) {
    switch (dim) {
        case LL_DIM_VOCAB: return hp->n_vocab;
        case LL_DIM_CTX:   return hp->n_ctx;
        case LL_DIM_EMBD:  return hp->n_embd;
        case LL_DIM_QKV:   return 3 * (int64_t) hp->n_embd;
        case LL_DIM_FFN:   return 4 * (int64_t) hp->n_embd;
        case LL_DIM_NONE:  break;
    }
    return 0;
}

ll_shape ll_slot_shape(const ll_hparams *hp, int32_t slot) {
    const ll_weight_spec *spec = ll_slot_spec(slot);
    ll_shape shape = { 1, { ll_dim_size(hp, spec->rows), 0 } };
    if (spec->cols != LL_DIM_NONE) {
        shape.n_dims = 2;
        shape.dim[1] = ll_dim_size(hp, spec->cols);
    }
    return shape;
}

void ll_slot_name(int32_t slot, char *buf, size_t capacity) {
    if (slot < LL_GW_COUNT) {
        snprintf(buf, capacity, "%s", LL_GLOBAL_SPECS[slot].name);
    } else {
        snprintf(buf, capacity, LL_BLOCK_PREFIX "%d.%s", (slot - LL_GW_COUNT) / LL_BW_COUNT,
                 ll_slot_spec(slot)->name);
    }
}

/* Parses the decimal layer index of "blk.N.<rest>": 1 to 9 digits, no leading
 * zero. On success *rest points after the dot following N. */
static bool ll_parse_layer(const char *s, int32_t *layer, const char **rest) {
    int32_t value = 0;
    int n_digits = 0;
    while (s[n_digits] >= '0' && s[n_digits] <= '9') {
        if (n_digits == 9) {
            return false;
        }
        value = value * 10 + (s[n_digits] - '0');
        n_digits++;
    }
    if (n_digits == 0 || (n_digits > 1 && s[0] == '0') || s[n_digits] != '.') {
        return false;
    }
    *layer = value;
    *rest = s + n_digits + 1;
    return true;
}

/* The slot a name refers to; LL_ERR_TENSOR for an unknown name or layer. */
static int32_t ll_lookup_slot(const ll_hparams *hp, const char *name, int32_t *slot, ll_error *err) {
    for (int32_t g = 0; g < LL_GW_COUNT; g++) {
        if (strcmp(name, LL_GLOBAL_SPECS[g].name) == 0) {
            *slot = g;
            return LL_OK;
        }
    }
    int32_t layer;
    const char *rest;
    if (strncmp(name, LL_BLOCK_PREFIX, strlen(LL_BLOCK_PREFIX)) == 0 &&
        ll_parse_layer(name + strlen(LL_BLOCK_PREFIX), &layer, &rest)) {
        for (int32_t w = 0; w < LL_BW_COUNT; w++) {
            if (strcmp(rest, LL_BLOCK_SPECS[w].name) != 0) {
                continue;
            }
            if (layer >= hp->n_layer) {
                return ll_fail(err, LL_ERR_TENSOR,
                               "tensor '%.*s' names layer %d, outside the model's layers [0, n_layer = %d)",
                               LL_QUOTE_MAX, name, layer, hp->n_layer);
            }
            *slot = ll_block_slot(layer, w);
            return LL_OK;
        }
    }
    return ll_fail(err, LL_ERR_TENSOR, "unknown tensor name '%.*s'", LL_QUOTE_MAX, name);
}

/* ---- one descriptor ------------------------------------------------------ */

static const char *ll_type_name(int32_t type) {
    switch (type) {
        case LL_TYPE_F32:  return "F32";
        case LL_TYPE_F16:  return "F16";
        case LL_TYPE_BF16: return "BF16";
        case LL_TYPE_Q8_0: return "Q8_0";
        default:           return NULL;
    }
}

/* Writes "[a, b, ...]" into buf. */
static void ll_format_dims(const int64_t *dims, int32_t n_dims, char *buf, size_t capacity) {
    size_t used = (size_t) snprintf(buf, capacity, "[");
    for (int32_t i = 0; i < n_dims && used < capacity; i++) {
        used += (size_t) snprintf(buf + used, capacity - used, i == 0 ? "%lld" : ", %lld",
                                  (long long) dims[i]);
    }
    if (used < capacity) {
        snprintf(buf + used, capacity - used, "]");
    }
}

/* Element type: known, and Q8_0 only where ggml can use it as it lies. */
static int32_t ll_check_type(const char *name, const ll_tensor_desc *t, ll_shape want, ll_error *err) {
    const char *type_name = ll_type_name(t->type);
    if (type_name == NULL) {
        return ll_fail(err, LL_ERR_TENSOR,
                       "tensor '%s' has unknown type %d (expected F32 = 0, F16 = 1, BF16 = 30 or Q8_0 = 8)",
                       name, t->type);
    }
    if (t->type != LL_TYPE_Q8_0) {
        return LL_OK;
    }
    if (want.n_dims != 2) {
        return ll_fail(err, LL_ERR_TENSOR, "tensor '%s': Q8_0 is accepted for matrices only", name);
    }
    if (t->layout == LL_LAYOUT_IN_OUT) {
        return ll_fail(err, LL_ERR_TENSOR,
                       "tensor '%s': a Q8_0 matrix cannot be transposed, pass it as LL_LAYOUT_OUT_IN", name);
    }
    int64_t block = ggml_blck_size(GGML_TYPE_Q8_0);
    if (want.dim[1] % block != 0) {
        return ll_fail(err, LL_ERR_TENSOR,
                       "tensor '%s': Q8_0 needs rows whose length is a multiple of %lld, not %lld",
                       name, (long long) block, (long long) want.dim[1]);
    }
    return LL_OK;
}

/* Shape as stored: the canonical one, or its transpose for LL_LAYOUT_IN_OUT. */
static int32_t ll_check_shape(const char *name, const ll_tensor_desc *t, ll_shape want, ll_error *err) {
    if (t->n_dims < 1 || t->n_dims > LL_MAX_DIMS) {
        return ll_fail(err, LL_ERR_TENSOR, "tensor '%s' has n_dims = %d, outside [1, %d]",
                       name, t->n_dims, LL_MAX_DIMS);
    }
    if (want.n_dims == 2 && t->layout != LL_LAYOUT_OUT_IN && t->layout != LL_LAYOUT_IN_OUT) {
        return ll_fail(err, LL_ERR_TENSOR,
                       "tensor '%s' has unknown layout %d (expected LL_LAYOUT_OUT_IN = 0 or LL_LAYOUT_IN_OUT = 1)",
                       name, t->layout);
    }
    bool transposed = want.n_dims == 2 && t->layout == LL_LAYOUT_IN_OUT;
    int64_t stored[2] = { want.dim[transposed ? 1 : 0], want.dim[transposed ? 0 : 1] };
    bool same = t->n_dims == want.n_dims;
    for (int32_t i = 0; same && i < want.n_dims; i++) {
        same = t->shape[i] == stored[i];
    }
    if (!same) {
        char got_text[128];
        char want_text[64];
        ll_format_dims(t->shape, t->n_dims, got_text, sizeof got_text);
        ll_format_dims(stored, want.n_dims, want_text, sizeof want_text);
        return ll_fail(err, LL_ERR_TENSOR, "tensor '%s' has shape %s, expected %s%s", name, got_text,
                       want_text, want.n_dims == 1 ? "" : transposed ? " (LL_LAYOUT_IN_OUT)" : " (LL_LAYOUT_OUT_IN)");
    }
    return LL_OK;
}

static int32_t ll_check_nbytes(const char *name, const ll_tensor_desc *t, ll_error *err) {
    int64_t inner = t->shape[t->n_dims - 1];
    int64_t rows = t->n_dims == 2 ? t->shape[0] : 1;
    size_t expected = (size_t) rows * ggml_row_size((enum ggml_type) t->type, inner);
    if (t->nbytes != expected) {
        return ll_fail(err, LL_ERR_TENSOR, "tensor '%s' has nbytes = %zu, but %s %s needs %zu",
                       name, t->nbytes, ll_type_name(t->type), t->n_dims == 2 ? "matrix" : "vector", expected);
    }
    return LL_OK;
}

static int32_t ll_check_tensor(const ll_hparams *hp, int32_t slot, const ll_tensor_desc *t, ll_error *err) {
    char name[LL_NAME_CAPACITY];
    ll_slot_name(slot, name, sizeof name);
    ll_shape want = ll_slot_shape(hp, slot);
    if (t->data == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "tensor '%s' has data = NULL", name);
    }
    int32_t rc;
    if ((rc = ll_check_shape(name, t, want, err)) != LL_OK ||
        (rc = ll_check_type(name, t, want, err)) != LL_OK ||
        (rc = ll_check_nbytes(name, t, err)) != LL_OK) {
        return rc;
    }
    return LL_OK;
}

/* ---- the whole table ----------------------------------------------------- */

static int32_t ll_check_complete(const ll_hparams *hp, const ll_tensor_desc **slots, ll_error *err) {
    for (int32_t slot = 0; slot < ll_slot_count(hp); slot++) {
        if (slots[slot] == NULL && slot != LL_GW_OUTPUT) {
            char name[LL_NAME_CAPACITY];
            ll_slot_name(slot, name, sizeof name);
            return ll_fail(err, LL_ERR_MISSING_TENSOR, "required tensor '%s' is missing", name);
        }
    }
    return LL_OK;
}

int32_t ll_match_tensors(const ll_hparams *hp, const ll_tensor_desc *tensors, int32_t n_tensors,
                         const ll_tensor_desc **slots, ll_error *err) {
    for (int32_t i = 0; i < n_tensors; i++) {
        const ll_tensor_desc *t = &tensors[i];
        if (t->name == NULL) {
            return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "tensors[%d].name is NULL", i);
        }
        int32_t slot = 0;
        int32_t rc = ll_lookup_slot(hp, t->name, &slot, err);
        if (rc != LL_OK) {
            return rc;
        }
        if (slots[slot] != NULL) {
            return ll_fail(err, LL_ERR_TENSOR, "tensor '%s' appears twice (tensors[%d] and tensors[%d])",
                           t->name, (int) (slots[slot] - tensors), i);
        }
        if ((rc = ll_check_tensor(hp, slot, t, err)) != LL_OK) {
            return rc;
        }
        slots[slot] = t;
    }
    return ll_check_complete(hp, slots, err);
}
