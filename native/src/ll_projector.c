/*
 * The lens projection: logits = rows · W_U^T with ggml's matrix multiply on the
 * model's backend, in full or reduced precision.
 */
#include <stdlib.h>
#include <string.h>

#include "ll_internal.h"

/* Rows of W_U converted per step when a copy in another type is made. */
#define LL_CONVERT_ROWS 1024

static bool ll_projection_type_known(int32_t type) {
    return type == LL_TYPE_F32 || type == LL_TYPE_F16 || type == LL_TYPE_BF16 || type == LL_TYPE_Q8_0;
}

/* Fills dst (type of dst, [n_vocab, n_embd]) from src, LL_CONVERT_ROWS rows at a time. */
static int32_t ll_convert_unembedding(struct ggml_tensor *dst, const struct ggml_tensor *src, ll_error *err) {
    int64_t n_embd = src->ne[0];
    int64_t n_vocab = src->ne[1];
    size_t src_row = ggml_row_size(src->type, n_embd);
    size_t dst_row = ggml_row_size(dst->type, n_embd);
    ggml_to_float_t to_float = ggml_get_type_traits(src->type)->to_float;
    void *staged = malloc(src_row * LL_CONVERT_ROWS);                           /* [rows, n_embd] src type */
    float *floats = malloc(sizeof(float) * (size_t) n_embd * LL_CONVERT_ROWS);  /* [rows, n_embd] f32 */
    void *converted = malloc(dst_row * LL_CONVERT_ROWS);                        /* [rows, n_embd] dst type */
    if (staged == NULL || floats == NULL || converted == NULL) {
        free(staged);
        free(floats);
        free(converted);
        return ll_fail(err, LL_ERR_ALLOC, "out of memory converting the unembedding");
    }
    for (int64_t row = 0; row < n_vocab; row += LL_CONVERT_ROWS) {
        int64_t rows = n_vocab - row < LL_CONVERT_ROWS ? n_vocab - row : LL_CONVERT_ROWS;
        ggml_backend_tensor_get(src, staged, (size_t) row * src_row, (size_t) rows * src_row);
        if (src->type == GGML_TYPE_F32) {
            memcpy(floats, staged, (size_t) rows * src_row);
        } else {
            to_float(staged, floats, rows * n_embd);
        }
        if (dst->type == GGML_TYPE_F32) {
            ggml_backend_tensor_set(dst, floats, (size_t) row * dst_row, (size_t) rows * dst_row);
        } else {
            ggml_quantize_chunk(dst->type, floats, converted, 0, rows, n_embd, NULL);
            ggml_backend_tensor_set(dst, converted, (size_t) row * dst_row, (size_t) rows * dst_row);
        }
    }
    free(staged);
    free(floats);
    free(converted);
    return LL_OK;
}

/* Uses the model's W_U when it already has the wanted type, else makes a converted copy. */
static int32_t ll_projector_prepare_weights(ll_projector *projector, int32_t type, ll_error *err) {
    struct ggml_tensor *source = ll_model_unembedding(projector->model);
    if ((int32_t) source->type == type) {
        projector->unembedding = source;
        return LL_OK;
    }
    struct ggml_init_params params = {
        .mem_size = ggml_tensor_overhead(),
        .mem_buffer = NULL,
        .no_alloc = true,
    };
    projector->copy_ctx = ggml_init(params);
    if (projector->copy_ctx == NULL) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory allocating the projector");
    }
    struct ggml_tensor *copy = ggml_new_tensor_2d(projector->copy_ctx, (enum ggml_type) type, source->ne[0], source->ne[1]);
    ggml_set_name(copy, "unembedding_copy");
    projector->copy_buffer = ggml_backend_alloc_ctx_tensors_from_buft(
        projector->copy_ctx, ll_backend_buffer_type(projector->model->backend));
    if (projector->copy_buffer == NULL) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory for a %s copy of the unembedding (%zu bytes)",
                       ggml_type_name((enum ggml_type) type), ggml_nbytes(copy));
    }
    projector->unembedding = copy;
    return ll_convert_unembedding(copy, source, err);
}

int32_t ll_projector_create(ll_model *model, int32_t type, int32_t n_threads, ll_projector **out_projector,
                            ll_error *err) {
    ll_init_ggml();
    if (out_projector == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "out_projector is NULL");
    }
    *out_projector = NULL;
    if (model == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "model is NULL");
    }
    if (!ll_projection_type_known(type)) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT,
                       "projection type %d is not one of LL_TYPE_F32, LL_TYPE_F16, LL_TYPE_BF16, LL_TYPE_Q8_0", type);
    }
    if (type == LL_TYPE_Q8_0 && model->hp.n_embd % ggml_blck_size(GGML_TYPE_Q8_0) != 0) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "Q8_0 needs n_embd to be a multiple of %lld, not %d",
                       (long long) ggml_blck_size(GGML_TYPE_Q8_0), model->hp.n_embd);
    }
    if (n_threads < 1) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "n_threads = %d, expected at least 1", n_threads);
    }
    ll_projector *projector = calloc(1, sizeof *projector);
    if (projector == NULL) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory allocating the projector");
    }
    projector->model = model;
    projector->galloc = ggml_gallocr_new(ll_backend_buffer_type(model->backend));
    projector->lens_galloc = ggml_gallocr_new(ll_backend_buffer_type(model->backend));
    projector->backend = ll_backend_start(model->backend, n_threads);
    int32_t rc = LL_OK;
    if (projector->galloc == NULL || projector->lens_galloc == NULL) {
        rc = ll_fail(err, LL_ERR_ALLOC, "out of memory allocating the projector");
    } else if (projector->backend == NULL) {
        rc = ll_fail(err, LL_ERR_BACKEND, "could not start the backend");
    } else {
        rc = ll_projector_prepare_weights(projector, type, err);
    }
    if (rc != LL_OK) {
        ll_projector_free(projector);
        return rc;
    }
    *out_projector = projector;
    return ll_succeed(err);
}

void ll_projector_free(ll_projector *projector) {
    if (projector == NULL) {
        return;
    }
    if (projector->copy_buffer != NULL) {
        ggml_backend_buffer_free(projector->copy_buffer);
    }
    if (projector->copy_ctx != NULL) {
        ggml_free(projector->copy_ctx);
    }
    if (projector->galloc != NULL) {
        ggml_gallocr_free(projector->galloc);
    }
    if (projector->lens_galloc != NULL) {
        ggml_gallocr_free(projector->lens_galloc);
    }
    if (projector->backend != NULL) {
        ggml_backend_free(projector->backend);
    }
    free(projector);
}

struct ggml_tensor *ll_build_projection(struct ggml_context *ctx, struct ggml_cgraph *gf, const ll_projector *projector,
                                        struct ggml_tensor *input) {
    int64_t n_embd = input->ne[0];
    int64_t n_rows = input->ne[1];
    int64_t n_vocab = projector->model->hp.n_vocab;
    struct ggml_tensor *w = projector->unembedding;                                      /* [n_vocab, n_embd] */
    if (projector->model->backend != LL_BACKEND_CPU || n_vocab <= LL_PROJECT_SLICE) {
        struct ggml_tensor *output = ggml_mul_mat(ctx, w, input);                        /* [n_rows, n_vocab] */
        ggml_build_forward_expand(gf, output);
        return output;
    }
    struct ggml_tensor *output = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, n_vocab, n_rows); /* [n_rows, n_vocab] */
    for (int64_t v0 = 0; v0 < n_vocab; v0 += LL_PROJECT_SLICE) {
        int64_t count = n_vocab - v0 < LL_PROJECT_SLICE ? n_vocab - v0 : LL_PROJECT_SLICE;
        struct ggml_tensor *part = ggml_view_2d(ctx, w, n_embd, count, w->nb[1], (size_t) v0 * w->nb[1]); /* [count, n_embd] */
        struct ggml_tensor *logits_part = ggml_mul_mat(ctx, part, input);                                /* [n_rows, count] */
        struct ggml_tensor *destination = ggml_view_2d(ctx, output, count, n_rows, output->nb[1],
                                                       (size_t) v0 * output->nb[0]);                     /* [n_rows, count] */
        ggml_build_forward_expand(gf, ggml_cpy(ctx, logits_part, destination));
    }
    return output;
}

static int32_t ll_check_project_args(const ll_projector *projector, const float *rows, int32_t n_rows,
                                     const float *logits, size_t logits_capacity, ll_error *err) {
    if (projector == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "projector is NULL");
    }
    if (rows == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "rows is NULL");
    }
    if (logits == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "logits is NULL");
    }
    if (n_rows < 1) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "n_rows = %d, expected at least 1", n_rows);
    }
    const ll_hparams *hp = &projector->model->hp;
    size_t needed = (size_t) n_rows * (size_t) hp->n_vocab;
    if (logits_capacity < needed) {
        return ll_fail(err, LL_ERR_BUFFER, "logits holds %zu floats but [%d, %d] = %zu are needed",
                       logits_capacity, n_rows, hp->n_vocab, needed);
    }
    return LL_OK;
}

int32_t ll_project(ll_projector *projector, const float *rows, int32_t n_rows, float *logits,
                   size_t logits_capacity, ll_error *err) {
    int32_t rc = ll_check_project_args(projector, rows, n_rows, logits, logits_capacity, err);
    if (rc != LL_OK) {
        return rc;
    }
    int32_t backend = projector->model->backend;
    struct ggml_init_params params = {
        .mem_size = (size_t) LL_PROJECT_MAX_NODES(projector->model->hp.n_vocab) * ggml_tensor_overhead() +
                    ggml_graph_overhead_custom(LL_PROJECT_MAX_NODES(projector->model->hp.n_vocab), false),
        .mem_buffer = NULL,
        .no_alloc = true,
    };
    struct ggml_context *ctx = ggml_init(params);
    if (ctx == NULL) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory creating the projection graph");
    }
    int64_t n_embd = projector->model->hp.n_embd;
    int64_t n_vocab = projector->model->hp.n_vocab;
    struct ggml_tensor *input = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, n_embd, n_rows);  /* [n_rows, n_embd] */
    ggml_set_input(input);
    struct ggml_cgraph *gf = ggml_new_graph_custom(ctx, LL_PROJECT_MAX_NODES(n_vocab), false);
    struct ggml_tensor *output = ll_build_projection(ctx, gf, projector, input);         /* [n_rows, n_vocab] */
    ggml_set_output(output);

    /* On the CPU both ends are the caller's memory; elsewhere they are copied. */
    ggml_backend_buffer_t input_bound = ll_bind_caller_floats(backend, input, (float *) rows);
    ggml_backend_buffer_t output_bound = ll_bind_caller_floats(backend, output, logits);
    /* as in ll_forward: ggml would reuse a plan made for another graph whenever the tensors fit it */
    int32_t bound = (input_bound != NULL) | (output_bound != NULL) << 1;
    if (projector->planned_rows != n_rows || projector->planned_bound != bound) {
        projector->planned_rows = 0;
        if (ggml_gallocr_reserve(projector->galloc, gf)) {
            projector->planned_rows = n_rows;
            projector->planned_bound = bound;
        }
    }
    if (projector->planned_rows == 0 || !ggml_gallocr_alloc_graph(projector->galloc, gf)) {
        rc = ll_fail(err, LL_ERR_ALLOC, "out of memory allocating the projection of %d rows", n_rows);
    } else {
        if (input_bound == NULL) {
            ggml_backend_tensor_set(input, rows, 0, ggml_nbytes(input));
        }
        enum ggml_status status = ggml_backend_graph_compute(projector->backend, gf);
        if (status != GGML_STATUS_SUCCESS) {
            rc = ll_fail(err, LL_ERR_COMPUTE, "the %s backend failed to compute the projection (%s)",
                         ggml_backend_name(projector->backend), ggml_status_to_string(status));
        } else if (output_bound == NULL) {
            ggml_backend_tensor_get(output, logits, 0, ggml_nbytes(output));
        }
    }
    if (input_bound != NULL) {
        ggml_backend_buffer_free(input_bound);
    }
    if (output_bound != NULL) {
        ggml_backend_buffer_free(output_bound);
    }
    ggml_free(ctx);
    return rc == LL_OK ? ll_succeed(err) : rc;
}
