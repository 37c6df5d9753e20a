# The JVM's options for the two ways logitlens starts, in one place: ./logitlens and the distribution's
# bin/logitlens source this file (the distribution as lib/jvm-options.sh), and scripts/dist.sh records each start's
# cache with them. POSIX sh; no option holds a space, so each list is split on spaces where it is used.
#
# The full start: C2 and the Vector API (an incubator module, which the JVM announces on standard error), for every
# command but the quick start's.
LOGITLENS_FULL_OPTIONS="--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector --add-opens java.base/java.io=ALL-UNNAMED -XX:+UseParallelGC"
# The quick start: C1 only and no Vector API. On two cores C2 compiling the start-up code (JTokkit's vocabulary, the
# FFM linker's classes) takes the second core from the command, and JDK 25 links classes ahead of time (AOT cache)
# only when no incubator module is added: an 8-token lens about 0.25 s sooner (docs/BENCHMARKS.md, "Time to first
# lens"). Without the Vector API, --kernel auto projects with ggml at every length (VectorApi in the engine).
LOGITLENS_QUICK_OPTIONS="--enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:+UseParallelGC"

# 0 when the command line (the user's arguments) gets the quick start: a `run` without the options that need the
# JVM's own kernels (--kernel jvm, --track and --contrast; --kernel of any value, to keep the rule simple), unless
# LOGITLENS_QUICK=0.
logitlens_quick_start() {
    [ "${LOGITLENS_QUICK:-1}" != 0 ] && [ "${1:-}" = run ] || return 1
    for logitlens_arg in "$@"; do
        case "$logitlens_arg" in --kernel* | --track* | --contrast*) return 1 ;; esac
    done
    return 0
}
