/* Library-wide entry points: versions, backend availability, ggml logging. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ll_internal.h"

#ifdef LOGITLENS_HAVE_CUDA
#include "ggml-cuda.h"
#endif

/* ggml logs to stderr by default; a library inside a JVM keeps quiet unless
 * LOGITLENS_GGML_LOG is set to something other than "0". */
static void ll_ggml_log(enum ggml_log_level level, const char *text, void *user_data) {
    (void) level;
    if (user_data != NULL) {
        fputs(text, stderr);
    }
}

static void ll_install_log(void) {
    const char *setting = getenv("LOGITLENS_GGML_LOG");
    bool verbose = setting != NULL && setting[0] != '\0' && strcmp(setting, "0") != 0;
    /* user_data only carries the on/off switch */
    ggml_log_set(ll_ggml_log, verbose ? (void *) stderr : NULL);
}

#ifdef LOGITLENS_HAVE_CUDA
/* ggml's CUDA backend turns on TF32 tensor-core math for float32 matrix products (about 1e-3
 * relative error, where the CPU gives 1e-7). The shim asks cuBLAS for true float32 unless the
 * caller chose otherwise: NVIDIA_TF32_OVERRIDE=0 disables TF32 in cuBLAS, and is read when cuBLAS
 * starts, after this. Set NVIDIA_TF32_OVERRIDE=1 in the environment to trade precision for speed. */
static void ll_prefer_full_float32(void) {
    setenv("NVIDIA_TF32_OVERRIDE", "0", 0);
}
#endif

static void ll_init_once(void) {
    ll_install_log();
#ifdef LOGITLENS_HAVE_CUDA
    ll_prefer_full_float32();
#endif
}

void ll_init_ggml(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, ll_init_once);
}

int32_t ll_api_version(void) {
    return LL_API_VERSION;
}

const char *ll_ggml_version(void) {
    return ggml_version();
}

int32_t ll_backend_available(int32_t backend) {
    ll_init_ggml();
    switch (backend) {
        case LL_BACKEND_CPU:
            return 1;
        case LL_BACKEND_CUDA:
#ifdef LOGITLENS_HAVE_CUDA
            return ggml_backend_cuda_get_device_count() > 0;
#else
            return 0;
#endif
        default:
            return 0;
    }
}

int32_t ll_check_backend(int32_t backend, ll_error *err) {
    if (backend != LL_BACKEND_CPU && backend != LL_BACKEND_CUDA) {
        return ll_fail(err, LL_ERR_BACKEND, "backend %d is unknown (LL_BACKEND_CPU = 0, LL_BACKEND_CUDA = 1)",
                       backend);
    }
    if (!ll_backend_available(backend)) {
#ifdef LOGITLENS_HAVE_CUDA
        return ll_fail(err, LL_ERR_BACKEND, "no CUDA device is available");
#else
        return ll_fail(err, LL_ERR_BACKEND,
                       "this library was built without CUDA (configure with -DLOGITLENS_CUDA=ON)");
#endif
    }
    return LL_OK;
}
