/*
 * ggml's backends: loading them once per process, and starting them.
 *
 * A portable build (LOGITLENS_PORTABLE, the default) ships ggml's CPU backend as one
 * library per instruction-set level, libggml-cpu-<variant>.so beside liblogitlens
 * (x64 is the baseline; haswell = AVX2; skylakex, icelake, zen4, sapphirerapids = AVX-512
 * levels; ...). ggml scores each against the running CPU and loads the best
 * (ggml_backend_load_all_from_path); LOGITLENS_CPU_VARIANT=<variant> forces one instead.
 * A CUDA backend (libggml-cuda.so) found in the same folder is loaded too. A build with
 * LOGITLENS_PORTABLE=OFF links one CPU backend, compiled for the build machine, into ggml;
 * then nothing is loaded and the variant is reported as "native".
 *
 * Every backend is reached through ggml's registry (ggml_backend_dev_by_type), never by
 * linking a backend's own symbols, so that the same shim works with either build.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ll_internal.h"

#define LL_CPU_LIBRARY_PREFIX "libggml-cpu-"
#define LL_VARIANT_ENVIRONMENT "LOGITLENS_CPU_VARIANT"

/* Why the CPU backend is missing, when it is (set once, by ll_init_once). */
static char ll_load_failure[LL_MESSAGE_CAPACITY];

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

/* ggml's CUDA backend turns on TF32 tensor-core math for float32 matrix products (about 1e-3
 * relative error, where the CPU gives 1e-7). The shim asks cuBLAS for true float32 unless the
 * caller chose otherwise: NVIDIA_TF32_OVERRIDE=0 disables TF32 in cuBLAS, and is read when cuBLAS
 * starts, after this. Set NVIDIA_TF32_OVERRIDE=1 in the environment to trade precision for speed. */
static void ll_prefer_full_float32(void) {
    setenv("NVIDIA_TF32_OVERRIDE", "0", 0);
}

/* The folder liblogitlens was loaded from (where the backend libraries lie); false if unknown. */
static bool ll_library_folder(char folder[PATH_MAX]) {
    Dl_info info;
    if (dladdr((void *) ll_library_folder, &info) == 0 || info.dli_fname == NULL ||
        realpath(info.dli_fname, folder) == NULL) {
        return false;
    }
    char *slash = strrchr(folder, '/');
    if (slash == NULL) {
        return false;
    }
    *slash = '\0';
    return true;
}

static bool ll_file_exists(const char *path) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return false;
    }
    fclose(file);
    return true;
}

/* A variant name is a file-name fragment: letters, digits, '.', '_' (no path). */
static bool ll_valid_variant(const char *variant) {
    if (variant[0] == '\0' || strlen(variant) > 64) {
        return false;
    }
    for (const char *c = variant; *c != '\0'; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                  *c == '_' || *c == '.';
        if (!ok || (c[0] == '.' && c[1] == '.')) {
            return false;
        }
    }
    return true;
}

/* Loads the CPU variant the caller named; on failure records why in ll_load_failure. */
static void ll_load_forced_cpu(const char *folder, const char *variant) {
    if (!ll_valid_variant(variant)) {
        snprintf(ll_load_failure, sizeof ll_load_failure,
                 "%s='%.64s' is not a CPU variant name (e.g. x64, haswell, skylakex)", LL_VARIANT_ENVIRONMENT,
                 variant);
        return;
    }
    char path[PATH_MAX + 96];
    snprintf(path, sizeof path, "%s/" LL_CPU_LIBRARY_PREFIX "%s.so", folder, variant);
    if (!ll_file_exists(path)) {
        snprintf(ll_load_failure, sizeof ll_load_failure, "%s=%s: there is no %s in %.300s", LL_VARIANT_ENVIRONMENT,
                 variant, strrchr(path, '/') + 1, folder);
        return;
    }
    /* ggml_backend_load checks the variant's score first: NULL when this CPU lacks its features. */
    if (ggml_backend_load(path) == NULL) {
        snprintf(ll_load_failure, sizeof ll_load_failure,
                 "%s=%s: this CPU lacks the instructions that variant needs (or %s cannot be loaded)",
                 LL_VARIANT_ENVIRONMENT, variant, strrchr(path, '/') + 1);
    }
}

static void ll_load_backends(void) {
    const char *variant = getenv(LL_VARIANT_ENVIRONMENT);
    bool forced = variant != NULL && variant[0] != '\0';
    if (ggml_backend_reg_by_name("CUDA") != NULL) {
        ll_prefer_full_float32(); /* CUDA linked into ggml */
    }
    if (ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU) != NULL) {
        /* ggml was built with its backends linked in: nothing to load, nothing to choose */
        if (forced) {
            snprintf(ll_load_failure, sizeof ll_load_failure,
                     "%s=%s asks for a CPU variant, but this ggml has one CPU backend built in "
                     "(configure with -DLOGITLENS_PORTABLE=ON for one library per variant)",
                     LL_VARIANT_ENVIRONMENT, variant);
        }
        return;
    }
    char folder[PATH_MAX];
    if (!ll_library_folder(folder)) {
        snprintf(ll_load_failure, sizeof ll_load_failure,
                 "cannot find the folder liblogitlens was loaded from, where ggml's backends lie");
        return;
    }
    char cuda[PATH_MAX + 32];
    snprintf(cuda, sizeof cuda, "%s/libggml-cuda.so", folder);
    bool have_cuda = ll_file_exists(cuda);
    if (have_cuda) {
        /* setenv is not thread-safe in a process whose other threads may read the environment (a JVM):
         * done only when CUDA is there to read it, once, before its backend starts */
        ll_prefer_full_float32();
    }
    if (forced) {
        ll_load_forced_cpu(folder, variant);
        if (have_cuda) {
            ggml_backend_load(cuda);
        }
    } else {
        ggml_backend_load_all_from_path(folder);
        if (ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU) == NULL) {
            snprintf(ll_load_failure, sizeof ll_load_failure,
                     "no ggml CPU backend in %.300s runs on this CPU (expected " LL_CPU_LIBRARY_PREFIX
                     "<variant>.so files beside liblogitlens.so)",
                     folder);
        }
    }
}

static void ll_init_once(void) {
    ll_install_log();
    ll_load_backends();
}

void ll_init_ggml(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, ll_init_once);
}

/* The device behind one of our backends, or NULL when there is none. */
static ggml_backend_dev_t ll_backend_device(int32_t backend) {
    ll_init_ggml();
    switch (backend) {
        case LL_BACKEND_CPU:
            return ll_load_failure[0] != '\0' ? NULL : ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
        case LL_BACKEND_CUDA: {
            ggml_backend_reg_t cuda = ggml_backend_reg_by_name("CUDA");
            return cuda != NULL && ggml_backend_reg_dev_count(cuda) > 0 ? ggml_backend_reg_dev_get(cuda, 0) : NULL;
        }
        default:
            return NULL;
    }
}

int32_t ll_backend_available(int32_t backend) {
    return ll_backend_device(backend) != NULL;
}

int32_t ll_check_backend(int32_t backend, ll_error *err) {
    if (backend != LL_BACKEND_CPU && backend != LL_BACKEND_CUDA) {
        return ll_fail(err, LL_ERR_BACKEND, "backend %d is unknown (LL_BACKEND_CPU = 0, LL_BACKEND_CUDA = 1)",
                       backend);
    }
    if (ll_backend_device(backend) != NULL) {
        return LL_OK;
    }
    if (backend == LL_BACKEND_CPU) {
        return ll_fail(err, LL_ERR_BACKEND, "ggml's CPU backend is unavailable: %s", ll_load_failure);
    }
    if (ggml_backend_reg_by_name("CUDA") != NULL) {
        return ll_fail(err, LL_ERR_BACKEND, "ggml's CUDA backend is loaded but finds no CUDA device");
    }
    return ll_fail(err, LL_ERR_BACKEND,
                   "no CUDA backend: this library was built without CUDA (configure with -DLOGITLENS_CUDA=ON), "
                   "or libggml-cuda.so beside it cannot be loaded (its CUDA runtime is missing)");
}

ggml_backend_buffer_type_t ll_backend_buffer_type(int32_t backend) {
    if (backend == LL_BACKEND_CPU) {
        return ggml_backend_cpu_buffer_type(); /* host memory, in ggml-base: no backend library needed */
    }
    ggml_backend_dev_t device = ll_backend_device(backend);
    return device != NULL ? ggml_backend_dev_buffer_type(device) : NULL;
}

ggml_backend_t ll_backend_start(int32_t backend, int32_t n_threads) {
    ggml_backend_dev_t device = ll_backend_device(backend);
    if (device == NULL) {
        return NULL;
    }
    ggml_backend_t instance = ggml_backend_dev_init(device, NULL);
    if (instance != NULL && backend == LL_BACKEND_CPU) {
        ggml_backend_set_n_threads_t set_n_threads = (ggml_backend_set_n_threads_t) ggml_backend_reg_get_proc_address(
            ggml_backend_dev_backend_reg(device), "ggml_backend_set_n_threads");
        if (set_n_threads != NULL) {
            /* ggml's ceiling; more could not be used anyway */
            set_n_threads(instance, n_threads < GGML_MAX_N_THREADS ? n_threads : GGML_MAX_N_THREADS);
        }
    }
    return instance;
}

/* Appends `text` to out (capacity cap, always terminated); false when it did not fit. */
static bool ll_append(char *out, size_t cap, const char *text) {
    size_t used = strlen(out);
    size_t len = strlen(text);
    if (used + len + 1 > cap) {
        return false;
    }
    memcpy(out + used, text, len + 1);
    return true;
}

int32_t ll_cpu_backend_info(char *variant, size_t variant_capacity, char *features, size_t features_capacity,
                            ll_error *err) {
    if (variant == NULL || features == NULL || variant_capacity == 0 || features_capacity == 0) {
        return ll_fail(err, LL_ERR_INVALID_ARGUMENT, "variant and features must be non-NULL with a capacity > 0");
    }
    variant[0] = '\0';
    features[0] = '\0';
    int32_t rc = ll_check_backend(LL_BACKEND_CPU, err);
    if (rc != LL_OK) {
        return rc;
    }
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(ll_backend_device(LL_BACKEND_CPU));
    ggml_backend_get_features_t get_features =
        (ggml_backend_get_features_t) ggml_backend_reg_get_proc_address(reg, "ggml_backend_get_features");

    /* The variant is the name of the library the CPU backend's code lies in. */
    const char *name = "native";
    Dl_info info;
    if (get_features != NULL && dladdr((void *) get_features, &info) != 0 && info.dli_fname != NULL) {
        const char *file = strrchr(info.dli_fname, '/');
        file = file != NULL ? file + 1 : info.dli_fname;
        if (strncmp(file, LL_CPU_LIBRARY_PREFIX, strlen(LL_CPU_LIBRARY_PREFIX)) == 0) {
            name = file + strlen(LL_CPU_LIBRARY_PREFIX);
        }
    }
    /* variant names such as "armv8.2_1" hold a '.': strip only the ".so" suffix */
    const char *suffix = strstr(name, ".so");
    size_t name_len = suffix != NULL ? (size_t) (suffix - name) : strlen(name);
    if (name_len + 1 > variant_capacity) {
        return ll_fail(err, LL_ERR_BUFFER, "variant needs %zu bytes, the buffer has %zu", name_len + 1,
                       variant_capacity);
    }
    memcpy(variant, name, name_len);
    variant[name_len] = '\0';

    /* The features the variant was compiled with and the CPU has: "AVX2 FMA ... LLAMAFILE REPACK". */
    if (get_features != NULL) {
        for (const struct ggml_backend_feature *f = get_features(reg); f != NULL && f->name != NULL; f++) {
            bool on = strcmp(f->value, "1") == 0;
            char item[128];
            snprintf(item, sizeof item, on ? "%s%s" : "%s%s=%s", features[0] != '\0' ? " " : "", f->name, f->value);
            if (!ll_append(features, features_capacity, item)) {
                return ll_fail(err, LL_ERR_BUFFER, "the features do not fit in %zu bytes", features_capacity);
            }
        }
    }
    return ll_succeed(err);
}
