/*
 * Model creation: the caller's weights become ggml tensors. On the CPU,
 * canonical tensors are bound where they lie; the rest (transposed matrices,
 * non-F32 vectors, misaligned data, and every tensor on a device backend) is
 * converted into one buffer the model owns.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ll_internal.h"

/* Transposition tile edge, in elements: a 64 x 64 tile of floats (16 KiB) stays in L1. */
#define LL_TILE 64
/* Most threads that convert weights at load time. */
#define LL_MAX_LOAD_THREADS 16
/* The alignment ggml_backend_cpu_buffer_from_ptr asserts (TENSOR_ALIGNMENT in ggml-impl.h). */
#define LL_GGML_BUFFER_ALIGNMENT 32

ggml_backend_buffer_t ll_bind_host_memory(struct ggml_tensor *tensor, void *data) {
    /* ggml wants an aligned buffer base; the tensor itself may sit anywhere
     * inside the buffer, so the buffer starts at the aligned address just
     * below the data (nothing before `data` is ever touched). */
    uintptr_t address = (uintptr_t) data;
    uintptr_t base = address - address % LL_GGML_BUFFER_ALIGNMENT;
    size_t size = (size_t) (address - base) + ggml_nbytes(tensor);
    ggml_backend_buffer_t buffer = ggml_backend_cpu_buffer_from_ptr((void *) base, size);
    if (buffer == NULL) {
        return NULL;
    }
    if (ggml_backend_tensor_alloc(buffer, tensor, data) != GGML_STATUS_SUCCESS) {
        ggml_backend_buffer_free(buffer);
        return NULL;
    }
    return buffer;
}

ggml_backend_buffer_t ll_bind_caller_floats(int32_t backend, struct ggml_tensor *tensor, float *dst) {
    if (tensor == NULL || backend != LL_BACKEND_CPU || (uintptr_t) dst % sizeof(float) != 0) {
        return NULL;
    }
    return ll_bind_host_memory(tensor, dst);
}

/* ---- placement ----------------------------------------------------------- */

static bool ll_is_transposed(const ll_tensor_desc *t) {
    return t->n_dims == 2 && t->layout == LL_LAYOUT_IN_OUT;
}

/* 1-D tensors feed ggml's binary ops, which want F32 operands. */
static bool ll_needs_f32(const ll_tensor_desc *t) {
    return t->n_dims == 1 && t->type != LL_TYPE_F32;
}

static size_t ll_element_alignment(int32_t type) {
    return type == LL_TYPE_F32 ? 4 : 2;  /* F16, BF16 and Q8_0 (fp16 scale) */
}

/* True when the tensor can be used in the caller's memory as it lies. */
static bool ll_borrows(const ll_model *model, const ll_tensor_desc *t) {
    return model->backend == LL_BACKEND_CPU && !ll_is_transposed(t) && !ll_needs_f32(t) &&
           (uintptr_t) t->data % ll_element_alignment(t->type) == 0;
}

/* ---- conversions --------------------------------------------------------- */

/*
 * dst [cols, rows] = transpose of src [rows, cols], for 2- and 4-byte elements,
 * restricted to the source columns [c_begin, c_end) (one thread's share).
 * Each 64 x 64 tile is read down its columns and written along dst's rows, so
 * every store is sequential.
 */
#define LL_DEFINE_TRANSPOSE(suffix, element_t)                                                   \
    static void ll_transpose_##suffix(element_t *dst, const element_t *src, int64_t rows,        \
                                      int64_t cols, int64_t c_begin, int64_t c_end) {            \
        for (int64_t c0 = c_begin; c0 < c_end; c0 += LL_TILE) {                                  \
            int64_t c1 = c0 + LL_TILE < c_end ? c0 + LL_TILE : c_end;                            \
            for (int64_t r0 = 0; r0 < rows; r0 += LL_TILE) {                                     \
                int64_t r1 = r0 + LL_TILE < rows ? r0 + LL_TILE : rows;                          \
                for (int64_t c = c0; c < c1; c++) {                                              \
                    element_t *out = dst + c * rows;                                             \
                    for (int64_t r = r0; r < r1; r++) {                                          \
                        out[r] = src[r * cols + c];                                              \
                    }                                                                            \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }
LL_DEFINE_TRANSPOSE(u16, uint16_t)
LL_DEFINE_TRANSPOSE(u32, uint32_t)

/*
 * Writes part `part` of `n_parts` of the tensor's canonical, ggml-ready bytes
 * into dst (ggml_nbytes(tensor) in all): a transposed matrix is split by
 * source columns (whole tiles); anything else is done whole by part 0.
 */
static void ll_convert(void *dst, const ll_tensor_desc *t, int64_t part, int64_t n_parts) {
    if (ll_is_transposed(t)) {
        /* stored [in, out]; Q8_0 never gets here (rejected at validation) */
        int64_t rows = t->shape[0], cols = t->shape[1];
        int64_t tiles = (cols + LL_TILE - 1) / LL_TILE;
        int64_t c_begin = tiles * part / n_parts * LL_TILE, c_end = tiles * (part + 1) / n_parts * LL_TILE;
        c_end = c_end < cols ? c_end : cols;
        if (t->type == LL_TYPE_F32) {
            ll_transpose_u32(dst, t->data, rows, cols, c_begin, c_end);
        } else {
            ll_transpose_u16(dst, t->data, rows, cols, c_begin, c_end);
        }
    } else if (part != 0) {
        return;
    } else if (ll_needs_f32(t)) {
        if (t->type == LL_TYPE_F16) {
            ggml_fp16_to_fp32_row(t->data, dst, t->shape[0]);
        } else {
            ggml_bf16_to_fp32_row(t->data, dst, t->shape[0]);
        }
    } else {
        memcpy(dst, t->data, t->nbytes);
    }
}

/* One conversion: the caller's tensor into host memory (the tensor itself, or staging for a device). */
typedef struct ll_conversion {
    void *dst;
    const ll_tensor_desc *src;
} ll_conversion;

/* The conversions shared by the load threads: a task is one part of one conversion. */
typedef struct ll_conversion_queue {
    const ll_conversion *items;
    int64_t n_items;
    int64_t n_parts;           /* parts per conversion */
    atomic_int_fast64_t next;  /* the next task: item * n_parts + part */
} ll_conversion_queue;

static void *ll_conversion_worker(void *arg) {
    ll_conversion_queue *queue = arg;
    for (int64_t task = atomic_fetch_add(&queue->next, 1); task < queue->n_items * queue->n_parts;
         task = atomic_fetch_add(&queue->next, 1)) {
        const ll_conversion *c = &queue->items[task / queue->n_parts];
        ll_convert(c->dst, c->src, task % queue->n_parts, queue->n_parts);
    }
    return NULL;
}

static int64_t ll_load_threads(void) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online < 1 ? 1 : online > LL_MAX_LOAD_THREADS ? LL_MAX_LOAD_THREADS : online;
}

/*
 * Runs the conversions on every core (at most LL_MAX_LOAD_THREADS): a Hugging
 * Face model's Conv1D matrices are 70 % of its bytes, and transposing them on
 * one thread was the largest part of opening it. A thread that cannot be
 * started leaves its share to the others; the calling thread always works.
 */
static void ll_convert_all(const ll_conversion *items, int64_t n_items) {
    int64_t n_threads = ll_load_threads();
    ll_conversion_queue queue = { items, n_items, n_threads, 0 };
    pthread_t threads[LL_MAX_LOAD_THREADS];
    bool started[LL_MAX_LOAD_THREADS] = { false };
    for (int64_t i = 1; i < n_threads; i++) {
        started[i] = pthread_create(&threads[i], NULL, ll_conversion_worker, &queue) == 0;
    }
    ll_conversion_worker(&queue);
    for (int64_t i = 1; i < n_threads; i++) {
        if (started[i]) {
            pthread_join(threads[i], NULL);
        }
    }
}

/* ---- construction -------------------------------------------------------- */

/* A ggml tensor with the slot's canonical shape (ggml order: innermost first). */
static struct ggml_tensor *ll_new_weight(struct ggml_context *ctx, const ll_hparams *hp, int32_t slot,
                                         const ll_tensor_desc *t) {
    ll_shape shape = ll_slot_shape(hp, slot);
    enum ggml_type type = ll_needs_f32(t) ? GGML_TYPE_F32 : (enum ggml_type) t->type;
    struct ggml_tensor *tensor = shape.n_dims == 2
        ? ggml_new_tensor_2d(ctx, type, shape.dim[1], shape.dim[0])
        : ggml_new_tensor_1d(ctx, type, shape.dim[0]);
    ggml_set_name(tensor, t->name);
    return tensor;
}

static int32_t ll_model_alloc(const ll_hparams *hp, int32_t backend, ll_model **out, ll_error *err) {
    int32_t n_slots = ll_slot_count(hp);
    ll_model *model = calloc(1, sizeof *model);
    if (model == NULL) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory allocating the model");
    }
    model->hp = *hp;
    model->backend = backend;
    model->weights = calloc((size_t) n_slots, sizeof *model->weights);
    model->borrowed = calloc((size_t) n_slots, sizeof *model->borrowed);
    struct ggml_init_params params = {
        .mem_size = ggml_tensor_overhead() * (size_t) (n_slots + 1),
        .mem_buffer = NULL,
        .no_alloc = true,
    };
    model->ctx = model->weights && model->borrowed ? ggml_init(params) : NULL;
    if (model->ctx == NULL) {
        ll_model_free(model);
        return ll_fail(err, LL_ERR_ALLOC, "out of memory allocating the model");
    }
    *out = model;
    return LL_OK;
}

/* Creates every supplied tensor's metadata. */
static void ll_model_declare(ll_model *model, const ll_tensor_desc **slots) {
    for (int32_t slot = 0; slot < ll_slot_count(&model->hp); slot++) {
        if (slots[slot] != NULL) {
            model->weights[slot] = ll_new_weight(model->ctx, &model->hp, slot, slots[slot]);
        }
    }
    model->has_output = slots[LL_GW_OUTPUT] != NULL;
    model->positions = ggml_new_tensor_1d(model->ctx, GGML_TYPE_I32, model->hp.n_ctx);
    ggml_set_name(model->positions, "positions");
}

static int32_t ll_model_borrow(ll_model *model, const ll_tensor_desc **slots, ll_error *err) {
    for (int32_t slot = 0; slot < ll_slot_count(&model->hp); slot++) {
        struct ggml_tensor *tensor = model->weights[slot];
        if (tensor == NULL || !ll_borrows(model, slots[slot])) {
            continue;
        }
        ggml_backend_buffer_t buffer = ll_bind_host_memory(tensor, (void *) slots[slot]->data);
        if (buffer == NULL) {
            return ll_fail(err, LL_ERR_ALLOC, "could not bind tensor '%s' to the caller's memory", tensor->name);
        }
        ggml_backend_buffer_set_usage(buffer, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
        model->borrowed[model->n_borrowed++] = buffer;
    }
    return LL_OK;
}

static int32_t ll_model_fill_positions(ll_model *model, ll_error *err) {
    int32_t n_ctx = model->hp.n_ctx;
    int32_t *positions = malloc((size_t) n_ctx * sizeof *positions);
    if (positions == NULL) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory allocating positions");
    }
    for (int32_t i = 0; i < n_ctx; i++) {
        positions[i] = i;
    }
    ggml_backend_tensor_set(model->positions, positions, 0, (size_t) n_ctx * sizeof *positions);
    free(positions);
    return LL_OK;
}

/*
 * Fills the owned tensors from the caller's descriptors: host tensors are
 * converted in place, device tensors that need a conversion through host
 * staging memory; the rest is copied to the device as it is.
 */
static int32_t ll_model_upload(ll_model *model, const ll_tensor_desc **slots, ll_error *err) {
    int32_t n_slots = ll_slot_count(&model->hp);
    ll_conversion *items = calloc((size_t) n_slots, sizeof *items);
    struct ggml_tensor **staged = calloc((size_t) n_slots, sizeof *staged); /* [n_items] device tensor or NULL */
    int32_t rc = items && staged ? LL_OK : ll_fail(err, LL_ERR_ALLOC, "out of memory listing the model's conversions");
    int64_t n_items = 0;
    for (int32_t slot = 0; slot < n_slots && rc == LL_OK; slot++) {
        struct ggml_tensor *tensor = model->weights[slot];
        const ll_tensor_desc *t = slots[slot];
        if (tensor == NULL || tensor->buffer != model->owned) {
            continue;
        }
        if (ggml_backend_buffer_is_host(tensor->buffer)) {
            items[n_items++] = (ll_conversion) { tensor->data, t };
        } else if (!ll_is_transposed(t) && !ll_needs_f32(t)) {
            ggml_backend_tensor_set(tensor, t->data, 0, ggml_nbytes(tensor));
        } else {
            void *staging = malloc(ggml_nbytes(tensor));
            if (staging == NULL) {
                rc = ll_fail(err, LL_ERR_ALLOC, "out of memory staging tensor '%s' (%zu bytes)", tensor->name,
                             ggml_nbytes(tensor));
                break;
            }
            staged[n_items] = tensor;
            items[n_items++] = (ll_conversion) { staging, t };
        }
    }
    if (rc == LL_OK) {
        ll_convert_all(items, n_items);
    }
    for (int64_t i = 0; i < n_items; i++) {
        if (staged[i] != NULL) {
            if (rc == LL_OK) {
                ggml_backend_tensor_set(staged[i], items[i].dst, 0, ggml_nbytes(staged[i]));
            }
            free(items[i].dst);
        }
    }
    free(items);
    free(staged);
    return rc;
}

/* Allocates the owned buffer (every tensor not yet bound) and fills it. */
static int32_t ll_model_own(ll_model *model, const ll_tensor_desc **slots, ll_error *err) {
    model->owned = ggml_backend_alloc_ctx_tensors_from_buft(model->ctx, ll_backend_buffer_type(model->backend));
    if (model->owned == NULL) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory allocating the model's own tensors (%zu bytes)",
                       ggml_backend_alloc_ctx_tensors_from_buft_size(model->ctx, ll_backend_buffer_type(model->backend)));
    }
    ggml_backend_buffer_set_usage(model->owned, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
    int32_t rc = ll_model_upload(model, slots, err);
    return rc != LL_OK ? rc : ll_model_fill_positions(model, err);
}

int32_t ll_model_create(const ll_hparams *hparams, const ll_tensor_desc *tensors, int32_t n_tensors,
                        int32_t backend, ll_model **out_model, ll_error *err) {
    ll_init_ggml();
    if (out_model == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "out_model is NULL");
    }
    *out_model = NULL;
    if (hparams == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "hparams is NULL");
    }
    if (n_tensors < 0) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "n_tensors = %d is negative", n_tensors);
    }
    if (tensors == NULL && n_tensors > 0) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "tensors is NULL but n_tensors = %d", n_tensors);
    }
    int32_t rc;
    if ((rc = ll_check_backend(backend, err)) != LL_OK || (rc = ll_check_hparams(hparams, err)) != LL_OK) {
        return rc;
    }
    const ll_tensor_desc **slots = calloc((size_t) ll_slot_count(hparams), sizeof *slots);
    if (slots == NULL) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory allocating the tensor table");
    }
    ll_model *model = NULL;
    if ((rc = ll_match_tensors(hparams, tensors, n_tensors, slots, err)) == LL_OK &&
        (rc = ll_model_alloc(hparams, backend, &model, err)) == LL_OK) {
        ll_model_declare(model, slots);
        if ((rc = ll_model_borrow(model, slots, err)) != LL_OK || (rc = ll_model_own(model, slots, err)) != LL_OK) {
            ll_model_free(model);
            model = NULL;
        }
    }
    free(slots);
    if (rc != LL_OK) {
        return rc;
    }
    *out_model = model;
    return ll_succeed(err);
}

void ll_model_free(ll_model *model) {
    if (model == NULL) {
        return;
    }
    for (int32_t i = 0; i < model->n_borrowed; i++) {
        ggml_backend_buffer_free(model->borrowed[i]);
    }
    if (model->owned != NULL) {
        ggml_backend_buffer_free(model->owned);
    }
    if (model->ctx != NULL) {
        ggml_free(model->ctx);
    }
    free(model->borrowed);
    free(model->weights);
    free(model);
}

struct ggml_tensor *ll_model_unembedding(const ll_model *model) {
    return model->has_output ? model->weights[LL_GW_OUTPUT] : model->weights[LL_GW_TOKEN_EMBD];
}

int32_t ll_model_has_output(const ll_model *model) {
    return model != NULL && model->has_output;
}
