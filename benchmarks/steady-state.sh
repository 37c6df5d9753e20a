#!/usr/bin/env bash
# The steady state (docs/BENCHMARKS.md): the full lens (projection and every statistic) at T = 512 and 1024 on the
# random GPT-2-small-shaped model, warm (PipelineBenchMain: forward, then forward + lens, best of RUNS after a
# warm-up; lens = the difference), against one bare float32 sgemm of the same shape through numpy/OpenBLAS with
# OpenBLAS's own kernel choice (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command alone), in one run.
#
#   benchmarks/steady-state.sh [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
JAVA_HOME=$("$root/scripts/java-home.sh")
cd "$root"
[ -f benchmarks/target/benchmarks.jar ] || JAVA_HOME=$JAVA_HOME mvn -B -q -ntp -DskipTests -pl benchmarks -am package
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(grep -o -w 'avx512[a-z_0-9]*\|avx2\|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')"
for t in 512 1024; do
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx3g \
        -cp benchmarks/target/benchmarks.jar dev.logitlens.bench.PipelineBenchMain "$t" 2 auto "${1:-3}" 2>&1 | grep -E '^T='
done
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 /usr/bin/python3 benchmarks/python/sgemm_numpy.py 512 1024
