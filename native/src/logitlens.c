/* Library-wide entry points: versions. (Backends: ll_backend.c.) */
#include "ll_internal.h"

int32_t ll_api_version(void) {
    return LL_API_VERSION;
}

const char *ll_ggml_version(void) {
    return ggml_version();
}
