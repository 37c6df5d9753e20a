/*
 * The native half of the soak (docs/SOAK.md): a small model, a session and a projector created, used and freed
 * 1,000 times in one process, rotating what varies (tied or untied W_U, transposed or in-place weights, forward
 * flags and lengths, projection types), with the heap in use sampled as it goes. It must be the same at the end
 * as after the first few cycles, give or take LL_SOAK_SLACK bytes: anything the shim (or ggml through it) keeps
 * per cycle shows up here, also what a process frees only at exit, which a leak checker misses. Under
 * AddressSanitizer (scripts/test-sanitizers.sh) the heap is ASan's, and LeakSanitizer checks the exit as well.
 *
 *   logitlens_test_soak [cycles]   (default 1000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define LL_SOAK_ASAN 1
#  endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#  define LL_SOAK_ASAN 1
#endif
#if defined(LL_SOAK_ASAN)
/* from the sanitizer runtime (<sanitizer/allocator_interface.h>, which not every compiler installs) */
size_t __sanitizer_get_current_allocated_bytes(void);
#elif defined(__GLIBC__)
#  include <malloc.h>
#endif

#include "gpt2_fixture.h"
#include "test_support.h"

/* Heap growth allowed between the reference cycle and the end: 1,000 cycles that each kept 16 bytes exceed it. */
#define LL_SOAK_SLACK (16 * 1024)
/* Cycles run before the reference sample: every combination of the rotation has been seen once by then. */
#define LL_SOAK_WARMUP 24

static const ll_hparams TINY = { .n_vocab = 96, .n_ctx = 16, .n_embd = 32, .n_head = 4, .n_layer = 2,
                                 .norm_eps = 1e-5f };

/* Bytes of heap in use, or -1 where this C library cannot say. */
static long long heap_in_use(void) {
#if defined(LL_SOAK_ASAN)
    return (long long) __sanitizer_get_current_allocated_bytes();
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 info = mallinfo2();
    return (long long) (info.uordblks + info.hblkhd); /* arena chunks in use + mmapped chunks */
#else
    return -1;
#endif
}

static const uint32_t FLAGS[] = { 0, LL_FORWARD_MID, LL_FORWARD_RAW | LL_FORWARD_MID, LL_FORWARD_NO_AFFINE };
static const int32_t TYPES[] = { LL_TYPE_F32, LL_TYPE_F16, LL_TYPE_BF16, LL_TYPE_Q8_0 };

/* One cycle: create, two forward passes of different lengths, one projection, free. 0 on success. */
static int cycle(const gpt2_fixture *fixtures, int i, float *out, float *mid, float *logits) {
    const gpt2_fixture *f = &fixtures[i % 2];
    ll_model *model = NULL;
    ll_session *session = NULL;
    ll_projector *projector = NULL;
    ll_error err = { 0 };
    int failed = ll_model_create(&TINY, f->descs, f->n_tensors, LL_BACKEND_CPU, &model, &err) != LL_OK ||
                 ll_session_create(model, 1, &session, &err) != LL_OK;
    for (int pass = 0; pass < 2 && !failed; pass++) {
        int32_t n_tokens = 1 + (i + pass * 7) % TINY.n_ctx;
        int32_t tokens[16];
        for (int32_t t = 0; t < n_tokens; t++) {
            tokens[t] = (i * 13 + t * 5) % TINY.n_vocab;
        }
        uint32_t flags = FLAGS[(i + pass) % 4];
        size_t slice = (size_t) n_tokens * TINY.n_embd;
        failed = ll_forward(session, tokens, n_tokens, flags, out, (TINY.n_layer + 1) * slice, mid,
                            TINY.n_layer * slice, &err) != LL_OK;
    }
    if (!failed) {
        /* Q8_0 needs n_embd % 32 == 0: TINY has 32 */
        failed = ll_projector_create(model, TYPES[(i / 2) % 4], 1, &projector, &err) != LL_OK ||
                 ll_project(projector, out, 3, logits, 3 * (size_t) TINY.n_vocab, &err) != LL_OK;
    }
    /* an invalid call in every cycle: the error paths must not keep anything either */
    ll_session *none = NULL;
    expect(ll_session_create(model, 0, &none, NULL) == LL_ERR_INVALID_ARGUMENT && none == NULL,
           "n_threads = 0 is refused");
    if (failed) {
        printf("cycle %d: %s\n", i, err.message);
    }
    ll_projector_free(projector);
    ll_session_free(session);
    ll_model_free(model);
    return failed;
}

int main(int argc, char **argv) {
#if !defined(LL_SOAK_ASAN) && defined(__GLIBC__)
    /* glibc's per-thread cache counts the chunks it holds as in use, and fills over hundreds of cycles: the
     * figures are exact with it off, which only the environment can do, before the program starts */
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (tunables == NULL || strstr(tunables, "glibc.malloc.tcache_count=0") == NULL) {
        char setting[1024];
        snprintf(setting, sizeof setting, "%s%sglibc.malloc.tcache_count=0", tunables != NULL ? tunables : "",
                 tunables != NULL ? ":" : "");
        setenv("GLIBC_TUNABLES", setting, 1);
        execv("/proc/self/exe", argv);
        printf("cannot restart with glibc's thread cache off; the heap figures may drift\n");
    }
#endif
    int cycles = argc > 1 ? atoi(argv[1]) : 1000;
    if (cycles <= LL_SOAK_WARMUP) {
        printf("cycles must exceed %d\n", LL_SOAK_WARMUP);
        return 2;
    }
    /* tied W_U with in-place weights; untied with Hugging Face's [in, out] matrices (copied and transposed) */
    const fixture_options options[2] = {
        { .seed = 21, .matrix_type = LL_TYPE_F32, .vector_type = LL_TYPE_F32 },
        { .seed = 22, .matrix_type = LL_TYPE_F16, .vector_type = LL_TYPE_BF16, .layout = LL_LAYOUT_IN_OUT,
          .with_output = 1 },
    };
    gpt2_fixture fixtures[2];
    if (gpt2_fixture_make(&fixtures[0], &TINY, &options[0]) != 0 ||
        gpt2_fixture_make(&fixtures[1], &TINY, &options[1]) != 0) {
        printf("fixture allocation failed\n");
        return 1;
    }
    float *out = malloc(sizeof(float) * (TINY.n_layer + 1) * TINY.n_ctx * TINY.n_embd);
    float *mid = malloc(sizeof(float) * TINY.n_layer * TINY.n_ctx * TINY.n_embd);
    float *logits = malloc(sizeof(float) * 3 * TINY.n_vocab);

    long long reference = -1;
    int failures = 0;
    printf("%8s %14s\n", "cycles", "heap bytes");
    for (int i = 0; i < cycles; i++) {
        failures += cycle(fixtures, i, out, mid, logits);
        if (i + 1 == LL_SOAK_WARMUP) {
            reference = heap_in_use();
        }
        if ((i + 1) % (cycles / 10 > 0 ? cycles / 10 : 1) == 0 || i + 1 == LL_SOAK_WARMUP) {
            printf("%8d %14lld\n", i + 1, heap_in_use());
        }
    }
    expect(failures == 0, "every cycle succeeds");
    long long end = heap_in_use();
    if (reference >= 0 && end >= 0) {
        char what[160];
        snprintf(what, sizeof what, "heap after %d cycles (%lld bytes) within %d bytes of cycle %d's (%lld)", cycles,
                 end, LL_SOAK_SLACK, LL_SOAK_WARMUP, reference);
        expect(end - reference <= LL_SOAK_SLACK, what);
    } else {
        printf("this C library reports no heap figures: only the cycles are checked\n");
    }
    free(out);
    free(mid);
    free(logits);
    gpt2_fixture_free(&fixtures[0]);
    gpt2_fixture_free(&fixtures[1]);
    return finish();
}
