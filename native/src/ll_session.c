/* Sessions: a backend, reusable compute memory, and the forward pass. */
#include <stdlib.h>
#include <string.h>

#include "ll_internal.h"


struct ll_session {
    const ll_model *model;
    ggml_backend_t backend;
    ggml_gallocr_t galloc;       /* compute buffers, kept and grown across calls */
    int32_t planned_tokens;      /* the graph galloc's plan was made for: length (0: none yet), */
    uint32_t planned_flags;      /* flags, */
    int32_t planned_bound;       /* and which outputs were the caller's memory (bit 0: out, bit 1: mid) */
    void *graph_memory;          /* metadata of each call's graph (ggml context memory) */
    size_t graph_memory_size;
};

/* ---- session lifetime ---------------------------------------------------- */

int32_t ll_session_create(ll_model *model, int32_t n_threads, ll_session **out_session, ll_error *err) {
    ll_init_ggml();
    if (out_session == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "out_session is NULL");
    }
    *out_session = NULL;
    if (model == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "model is NULL");
    }
    if (n_threads < 1) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "n_threads = %d, expected at least 1", n_threads);
    }
    ll_session *session = calloc(1, sizeof *session);
    if (session == NULL) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory allocating the session");
    }
    session->model = model;
    session->graph_memory_size = ll_graph_context_size(&model->hp);
    session->graph_memory = malloc(session->graph_memory_size);
    session->galloc = ggml_gallocr_new(ll_backend_buffer_type(model->backend));
    if (session->graph_memory == NULL || session->galloc == NULL) {
        ll_session_free(session);
        return ll_fail(err, LL_ERR_ALLOC, "out of memory allocating the session");
    }
    session->backend = ll_backend_start(model->backend, n_threads);
    if (session->backend == NULL) {
        ll_session_free(session);
        return ll_fail(err, LL_ERR_BACKEND, "could not start the backend");
    }
    *out_session = session;
    return ll_succeed(err);
}

void ll_session_free(ll_session *session) {
    if (session == NULL) {
        return;
    }
    if (session->galloc != NULL) {
        ggml_gallocr_free(session->galloc);
    }
    if (session->backend != NULL) {
        ggml_backend_free(session->backend);
    }
    free(session->graph_memory);
    free(session);
}

/* ---- forward ------------------------------------------------------------- */

static int32_t ll_check_forward_args(const ll_session *session, const int32_t *tokens, int32_t n_tokens,
                                     uint32_t flags, const float *out, size_t out_capacity,
                                     const float *mid_out, size_t mid_capacity, ll_error *err) {
    const uint32_t known = LL_FORWARD_NO_AFFINE | LL_FORWARD_RAW | LL_FORWARD_MID;
    if (session == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "session is NULL");
    }
    if (tokens == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "tokens is NULL");
    }
    if (out == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "out is NULL");
    }
    if (flags & ~known) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "unknown flag bits 0x%x", flags & ~known);
    }
    if ((flags & LL_FORWARD_RAW) && (flags & LL_FORWARD_NO_AFFINE)) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT,
                       "LL_FORWARD_RAW and LL_FORWARD_NO_AFFINE exclude each other (RAW skips the norm entirely)");
    }
    if ((flags & LL_FORWARD_MID) && mid_out == NULL) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "LL_FORWARD_MID is set but mid_out is NULL");
    }
    const ll_hparams *hp = &session->model->hp;
    if (n_tokens < 0) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "n_tokens = %d is negative", n_tokens);
    }
    if (n_tokens == 0 || n_tokens > hp->n_ctx) {
        return ll_fail(err, LL_ERR_CONTEXT, "n_tokens = %d is outside [1, n_ctx = %d]", n_tokens, hp->n_ctx);
    }
    size_t per_slice = (size_t) n_tokens * (size_t) hp->n_embd;
    size_t out_needed = (size_t) (hp->n_layer + 1) * per_slice;
    if (out_capacity < out_needed) {
        return ll_fail(err, LL_ERR_BUFFER, "out holds %zu floats but [%d, %d, %d] = %zu are needed",
                       out_capacity, hp->n_layer + 1, n_tokens, hp->n_embd, out_needed);
    }
    size_t mid_needed = (size_t) hp->n_layer * per_slice;
    if ((flags & LL_FORWARD_MID) && mid_capacity < mid_needed) {
        return ll_fail(err, LL_ERR_BUFFER, "mid_out holds %zu floats but [%d, %d, %d] = %zu are needed",
                       mid_capacity, hp->n_layer, n_tokens, hp->n_embd, mid_needed);
    }
    for (int32_t i = 0; i < n_tokens; i++) {
        if (tokens[i] < 0 || tokens[i] >= hp->n_vocab) {
            return ll_fail(err, LL_ERR_TOKEN, "token id %d at position %d is outside the vocabulary [0, %d)",
                           tokens[i], i, hp->n_vocab);
        }
    }
    return LL_OK;
}

static int32_t ll_compute(ll_session *session, const ll_graph *graph, const int32_t *tokens, uint32_t flags,
                          int32_t bound, ll_error *err) {
    int32_t n_tokens = (int32_t) graph->tokens->ne[0];
    /*
     * ggml_gallocr_alloc_graph reuses the last allocation plan whenever the new graph has as many nodes and
     * every tensor still fits its old slot. Graphs of another length can pass that test with a different
     * structure (a reshape where a copy was, as the attention heads of T = 1 are contiguous), and the old
     * plan's buffer sharing then overwrites tensors still in use. So a new shape gets a new plan (outputs
     * bound to the caller's memory or not count as shape: the allocator places only the unbound ones).
     */
    if (session->planned_tokens != n_tokens || session->planned_flags != flags || session->planned_bound != bound) {
        if (!ggml_gallocr_reserve(session->galloc, graph->gf)) {
            session->planned_tokens = 0;
            return ll_fail(err, LL_ERR_ALLOC, "out of memory reserving compute buffers for %d tokens", n_tokens);
        }
        session->planned_tokens = n_tokens;
        session->planned_flags = flags;
        session->planned_bound = bound;
    }
    if (!ggml_gallocr_alloc_graph(session->galloc, graph->gf)) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory allocating compute buffers for %d tokens", n_tokens);
    }
    ggml_backend_tensor_set(graph->tokens, tokens, 0, ggml_nbytes(graph->tokens));
    enum ggml_status status = ggml_backend_graph_compute(session->backend, graph->gf);
    if (status != GGML_STATUS_SUCCESS) {
        return ll_fail(err, LL_ERR_COMPUTE, "the %s backend failed to compute the graph (%s)",
                       ggml_backend_name(session->backend), ggml_status_to_string(status));
    }
    return LL_OK;
}

/* The bits of float i of `stream`, which may lie at any address (the caller's buffer need not be float-aligned). */
static inline uint32_t ll_float_bits(const unsigned char *stream, size_t i) {
    uint32_t bits;
    memcpy(&bits, stream + i * sizeof bits, sizeof bits);
    return bits;
}

/*
 * LL_OK when every value of `stream` [n_rows, n_tokens, d] is finite; else LL_ERR_NONFINITE naming the
 * first row (layer first_layer + row) and position that holds a NaN or Inf. One pass of integer tests
 * on the exponent bits, which compilers vectorise (memcpy becomes an unaligned load); the position is
 * looked for only after a hit.
 */
static int32_t ll_check_finite(const void *stream, int32_t n_rows, int32_t n_tokens, int32_t d, const char *what,
                               int32_t first_layer, ll_error *err) {
    const unsigned char *bytes = stream;
    size_t n = (size_t) n_rows * (size_t) n_tokens * (size_t) d;
    uint32_t any = 0;
    for (size_t i = 0; i < n; i++) {
        any |= (ll_float_bits(bytes, i) & 0x7f800000u) == 0x7f800000u; /* exponent all ones: Inf or NaN */
    }
    if (!any) {
        return LL_OK;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = ll_float_bits(bytes, i);
        if ((bits & 0x7f800000u) == 0x7f800000u) {
            size_t row = i / ((size_t) n_tokens * (size_t) d);
            size_t position = i / (size_t) d % (size_t) n_tokens;
            return ll_fail(err, LL_ERR_NONFINITE,
                           "the %s holds %s first at layer %d (0 = the embeddings), position %zu: the weights that "
                           "feed it (the embeddings, the blocks up to that layer, or ln_f) hold NaN or Inf",
                           what, (bits & 0x007fffffu) != 0 ? "NaN" : "Inf", first_layer + (int32_t) row, position);
        }
    }
    return LL_OK;
}

int32_t ll_forward(ll_session *session, const int32_t *tokens, int32_t n_tokens, uint32_t flags,
                   float *out, size_t out_capacity, float *mid_out, size_t mid_capacity, ll_error *err) {
    int32_t rc = ll_check_forward_args(session, tokens, n_tokens, flags, out, out_capacity, mid_out,
                                       mid_capacity, err);
    if (rc != LL_OK) {
        return rc;
    }
    struct ggml_init_params params = {
        .mem_size = session->graph_memory_size,
        .mem_buffer = session->graph_memory,
        .no_alloc = true,
    };
    struct ggml_context *ctx = ggml_init(params);
    if (ctx == NULL) {
        return ll_fail(err, LL_ERR_ALLOC, "out of memory creating the graph context");
    }
    ll_graph graph;
    ll_graph_build(ctx, session->model, n_tokens, flags, &graph);
    ggml_backend_buffer_t out_bound = ll_bind_caller_floats(session->model->backend, graph.out, out);
    ggml_backend_buffer_t mid_bound = ll_bind_caller_floats(session->model->backend, graph.mid, mid_out);

    rc = ll_compute(session, &graph, tokens, flags, (out_bound != NULL) | (mid_bound != NULL) << 1, err);
    if (rc == LL_OK && out_bound == NULL) {
        ggml_backend_tensor_get(graph.out, out, 0, ggml_nbytes(graph.out));
    }
    if (rc == LL_OK && graph.mid != NULL && mid_bound == NULL) {
        ggml_backend_tensor_get(graph.mid, mid_out, 0, ggml_nbytes(graph.mid));
    }

    if (out_bound != NULL) {
        ggml_backend_buffer_free(out_bound);
    }
    if (mid_bound != NULL) {
        ggml_backend_buffer_free(mid_bound);
    }
    ggml_free(ctx);
    if (rc != LL_OK) {
        return rc;
    }
    const ll_hparams *hp = &session->model->hp;
    rc = ll_check_finite(out, hp->n_layer + 1, n_tokens, hp->n_embd, "residual stream", 0, err);
    if (rc == LL_OK && (flags & LL_FORWARD_MID) != 0) {
        rc = ll_check_finite(mid_out, hp->n_layer, n_tokens, hp->n_embd, "mid-block stream", 1, err);
    }
    return rc == LL_OK ? ll_succeed(err) : rc;
}
