#!/usr/bin/env bash
# The soak (docs/SOAK.md): 10,000 lens calls in one JVM, then 1,000 models opened, run and closed, with the resident
# set and the Java heap sampled as they go (dev.logitlens.bench.SoakMain); exits 1 when either grew past its
# threshold over the second half of a phase. Then the native half, the shim's own 1,000 create-use-free cycles
# (test_soak), under AddressSanitizer when scripts/test-sanitizers.sh has built it, else from build/native.
# Arguments go to SoakMain (--calls N, --opens N, --samples N, --threads N, --rss-mib X, --heap-mib X, --leak-bytes N).
# Builds the benchmarks jar when it is missing, from the native libraries already in build/native/lib.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; flags: $(grep -o -w 'avx512[a-z_0-9]*\|avx2\|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')"
[ -f benchmarks/target/benchmarks.jar ] || mvn -B -q -ntp -Dlogitlens.skipNative=true -DskipTests -pl benchmarks -am package
# a fixed heap, touched at start: see SoakMain
"$JAVA_HOME/bin/java" -Xms256m -Xmx256m -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
    -cp benchmarks/target/benchmarks.jar dev.logitlens.bench.SoakMain "$@" 2> >(grep -v '^WARNING' >&2)
for soak in build/native-sanitize/bin/logitlens_test_soak build/native/bin/logitlens_test_soak; do
    if [ -x "$soak" ]; then
        echo; echo "native: $soak"
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$soak"
        exit
    fi
done
echo "no test_soak built (cmake --build build/native, or scripts/test-sanitizers.sh): native half skipped"
