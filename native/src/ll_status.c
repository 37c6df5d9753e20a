/* Error reporting into the caller's optional ll_error. */
#include <stdarg.h>
#include <stdio.h>

#include "ll_internal.h"

int32_t ll_fail(ll_error *err, int32_t code, const char *fmt, ...) {
    if (err != NULL) {
        va_list args;
        va_start(args, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, args);
        va_end(args);
    }
    return code;
}

int32_t ll_succeed(ll_error *err) {
    if (err != NULL) {
        err->code = LL_OK;
        err->message[0] = '\0';
    }
    return LL_OK;
}
