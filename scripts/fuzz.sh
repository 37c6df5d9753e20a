#!/usr/bin/env bash
# Coverage-guided fuzzing of the readers for as long as you like (docs/FUZZING.md).
#
# Usage: scripts/fuzz.sh [TARGET|all] [DURATION] [MAVEN ARGUMENTS...]
#   TARGET    one fuzz test class: GgufFuzzTest SafetensorsFuzzTest ConfigJsonFuzzTest JsonFuzzTest
#             LlmVizJsonFuzzTest CorpusFuzzTest TokenizerFuzzTest; "all" (the default) fuzzes each in turn
#   DURATION  per target: seconds, or a number with s, m or h (default 1h)
#   e.g.      scripts/fuzz.sh GgufFuzzTest 8h -o -Dlogitlens.skipNative=true
#
# Each run goes on from the corpus earlier runs grew, kept in engine/.cifuzz-corpus/ (git-ignored). An input that
# crashes, runs out of memory or hangs (over 10 s: -Dlogitlens.fuzz.timeout=N) stops the run and is written to
# engine/src/test/resources/<package>/<Test>Inputs/<method>/, where every test run replays it: fix the reader, keep
# the file. The libFuzzer log (cov, ft, corp, exec/s) of each target is in engine/target/fuzz-logs/TARGET.log.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(GgufFuzzTest SafetensorsFuzzTest ConfigJsonFuzzTest JsonFuzzTest LlmVizJsonFuzzTest CorpusFuzzTest TokenizerFuzzTest)
target=${1:-all}
duration=${2:-1h}
shift $(( $# < 2 ? $# : 2 ))

case $duration in
    *h) seconds=$(( ${duration%h} * 3600 )) ;;
    *m) seconds=$(( ${duration%m} * 60 )) ;;
    *s) seconds=${duration%s} ;;
    *) seconds=$duration ;;
esac
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "fuzz.sh: the duration is a number of seconds, or a number with s, m or h, not \"$duration\"" >&2
    exit 2
fi
if [ "$target" = all ]; then
    targets=("${all[@]}")
elif [[ " ${all[*]} " == *" $target "* ]]; then
    targets=("$target")
else
    echo "fuzz.sh: no fuzz test \"$target\"; the targets are: ${all[*]} (or all)" >&2
    exit 2
fi

JAVA_HOME=$(scripts/java-home.sh) || exit 1
export JAVA_HOME
mkdir -p engine/target/fuzz-logs
failed=()
for t in "${targets[@]}"; do
    log=engine/target/fuzz-logs/$t.log
    echo "fuzz.sh: fuzzing $t for ${seconds} s; log: $log"
    # only the execution "fuzz" runs tests (-DskipTests skips the others); it runs just this target
    mvn -B -ntp -pl bindings,engine -am verify -DskipTests -Dlogitlens.fuzz.skip=false \
        -Dlogitlens.fuzz.targets="$t" -Djazzer.internal.arg.2=-max_total_time="$seconds" \
        -Dsurefire.timeout=$(( seconds + 600 )) "$@" 2>&1 | tee "$log" || failed+=("$t")
    grep -E '^#[0-9]+ +DONE|^Done [0-9]+ runs' "$log" || true
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: findings (or a failed build) in: ${failed[*]}; see their logs" >&2
    exit 1
fi
