/*
 * The little harness the C tests share: a check counter, `expect`, the backend
 * argument, and the closing line "N passed, N failed" that ctest's log and CI read.
 * Each test program includes it once (the state is per program).
 */
#ifndef TEST_SUPPORT_H
#define TEST_SUPPORT_H

#include <stdio.h>
#include <string.h>

#include "logitlens.h"

/* ctest's SKIP_RETURN_CODE for a CUDA test run where no device is present. */
#define EXIT_SKIPPED 77

static int g_checks;
static int g_failures;
static int32_t g_backend = LL_BACKEND_CPU;

static inline void expect(int ok, const char *what) {
    g_checks++;
    if (!ok) {
        g_failures++;
        printf("FAIL: %s\n", what);
    }
}

/*
 * "cuda" as the first argument selects the CUDA backend; returns 0 to go on, or
 * EXIT_SKIPPED when CUDA was asked for and no device is available.
 */
static inline int select_backend(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "cuda") == 0) {
        g_backend = LL_BACKEND_CUDA;
        if (!ll_backend_available(LL_BACKEND_CUDA)) {
            printf("no CUDA device available: skipped\n");
            return EXIT_SKIPPED;
        }
    }
    return 0;
}

/* Prints the closing line and returns the exit status. */
static inline int finish(void) {
    printf("%d passed, %d failed\n", g_checks - g_failures, g_failures);
    return g_failures == 0 ? 0 : 1;
}

#endif /* TEST_SUPPORT_H */
