#!/usr/bin/env bash
# The C tests under AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer: configures
# build/native-sanitize with -DLOGITLENS_SANITIZE=ON (see native/CMakeLists.txt), builds the shim and its tests,
# and runs ctest there. Any finding stops its test program, so ctest fails. Extra arguments go to the configure
# step (e.g. -DLOGITLENS_PORTABLE=OFF, below).
#
# The build is portable (LOGITLENS_PORTABLE=ON, as shipped): the shim then loads ggml's CPU backend from a library
# beside it, and test_backends_x64 / test_forward_x64 / test_backends_missing run the variant loading, forced and
# missing, which a build with one CPU backend linked in (OFF) never reaches. It costs building ggml's CPU backend
# once per instruction-set level; -DLOGITLENS_PORTABLE=OFF builds one and skips those three tests.
#
# ggml itself is not instrumented (its own GGML_SANITIZE_* options stay off): its findings would be upstream's to
# fix, not ours, and instrumenting it would slow the build of its 14 CPU variants and every kernel the tests run.
# ASan's interceptors watch every malloc, free and memcpy of the process all the same, so a leak of ggml memory the
# shim forgets to free, or a copy past a buffer the shim hands to ggml, is reported either way. To instrument it
# too: scripts/test-sanitizers.sh -DGGML_SANITIZE_ADDRESS=ON -DGGML_SANITIZE_UNDEFINED=ON (with
# -DLOGITLENS_PORTABLE=OFF, about 3 minutes on 2 cores; the tests found nothing in ggml that way either).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/native-sanitize
# RelWithDebInfo: optimised as shipped (UB that only optimisation exposes is exercised), with line numbers in
# the reports; no bench, which is not a test. The defaults are restated so that a run without arguments is the
# default build again after one with some (CMake keeps what it was last told); the arguments come last and win.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOGITLENS_SANITIZE=ON -DLOGITLENS_BUILD_BENCH=OFF \
    -DLOGITLENS_PORTABLE=ON -DGGML_SANITIZE_ADDRESS=OFF -DGGML_SANITIZE_UNDEFINED=OFF "$@"
cmake --build "$build" -j "$(nproc)"
# detect_leaks: LeakSanitizer at each program's exit; abort_on_error: a report ends the program with SIGABRT.
# halt_on_error / print_stacktrace: the first UB stops the program (the build also says -fno-sanitize-recover)
# and says where it came from.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --test-dir "$build" --output-on-failure
