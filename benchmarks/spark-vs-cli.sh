#!/usr/bin/env bash
# The Spark job in local mode (scripts/spark-local.sh) against the command line, `dump` of one corpus, each run under
# /usr/bin/time -v (wall, CPU, peak RSS): docs/BENCHMARKS.md, "Corpora on Spark (issue #12)".
# Usage: benchmarks/spark-vs-cli.sh MODEL CORPUS WORKDIR   (builds nothing: mvn -DskipTests -pl spark -am package first)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
model=$1 corpus=$2 work=$3
cd "$root"
mkdir -p "$work"
run() { # run NAME command...
    local name=$1; shift
    rm -rf "$work/out-$name"
    /usr/bin/time -v "$@" 2>"$work/$name.time" >/dev/null
    echo "$name exit $? | $(grep -E 'Elapsed|User time|System time|Maximum resident' "$work/$name.time" | sed 's/^\s*//' | paste -sd'|') | $(uptime | sed 's/.*load/load/')"
}
run spark1 scripts/spark-local.sh --master 'local[1]' dump "$corpus" --model "$model" --out "$work/out-spark1" --shard-docs 4
run cli1 ./logitlens dump "$corpus" --model "$model" --out "$work/out-cli1" --threads 1 --progress never
run spark2 scripts/spark-local.sh --master 'local[2]' dump "$corpus" --model "$model" --out "$work/out-spark2" --shard-docs 4
run cli2 ./logitlens dump "$corpus" --model "$model" --out "$work/out-cli2" --threads 2 --progress never
