#!/usr/bin/env bash
# Tests of scripts/spark-local.sh, run by scripts/test.sh after the Maven build: the Spark job in local mode against the
# command line (./logitlens) on the trained fixture and a small corpus of token ids: the same manifest.json byte for
# byte, the same number of rows, the same stats table; a corrupt document: exit 1 and the command line's message.
# Ends with the line "N passed, N failed". Needs the built jars (mvn package).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
model=test-data/gpt-nano-sort/gpt-nano-sort-model.json
passed=0 failed=0
check() { # check "what" command...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
tmp=$(mktemp -d); trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

[ -f cli/target/logitlens.jar ] || { echo "test-spark-local: build first (mvn package)"; exit 1; }
# 7 documents of 3 to 15 token ids (the fixture's vocabulary is 0, 1, 2)
awk 'BEGIN { for (i = 1; i <= 7; i++) { printf "{\"tokens\": ["; for (j = 0; j < 2 * i + 1; j++) printf "%s%d", (j ? ", " : ""), (i * j + int(j / 2)) % 3; print "]}" } }' \
    >"$tmp/corpus.jsonl"
options=(--model "$model" --window 8 --stride 5)

./logitlens dump "$tmp/corpus.jsonl" "${options[@]}" --shard-docs 3 --out "$tmp/cli" --progress never 2>"$tmp/cli.err"
check "the command line dumps" test -f "$tmp/cli/manifest.json"
scripts/spark-local.sh --master 'local[2]' dump "$tmp/corpus.jsonl" "${options[@]}" --out "$tmp/spark" --shard-docs 3 \
    >"$tmp/spark.out" 2>"$tmp/spark.err"
check "the Spark job dumps (exit 0)" test $? -eq 0
check "the same manifest.json" cmp -s "$tmp/cli/manifest.json" "$tmp/spark/manifest.json"
check "3 partitions, a compressed Parquet file each" test "$(ls "$tmp"/spark/part-*.zstd.parquet | wc -l)" -eq 3
check "no INFO lines of Spark" bash -c "! grep -q ' INFO ' '$tmp/spark.err'"
check "and says what it wrote" grep -q "wrote .*: 7 documents in 3 partitions" "$tmp/spark.err"

./logitlens stats "$tmp/corpus.jsonl" "${options[@]}" --progress never >"$tmp/cli.stats" 2>/dev/null
scripts/spark-local.sh stats "$tmp/corpus.jsonl" "${options[@]}" --shard-docs 2 >"$tmp/spark.stats" 2>/dev/null
check "the same stats table" cmp -s "$tmp/cli.stats" "$tmp/spark.stats"
check "of 7 documents" grep -q "^7 documents" "$tmp/spark.stats"

printf '{"tokens": [0, 1]}\n{"tokens": [0, 7]}\n' >"$tmp/bad.jsonl"
./logitlens stats "$tmp/bad.jsonl" --model "$model" --progress never 2>"$tmp/bad-cli.err"
scripts/spark-local.sh stats "$tmp/bad.jsonl" --model "$model" 2>"$tmp/bad-spark.err"
check "a corrupt document: exit 1" test $? -eq 1
check "with the command line's message" bash -c "grep '^logitlens: ' '$tmp/bad-spark.err' | head -n 1 | cmp -s - <(grep '^logitlens: ' '$tmp/bad-cli.err')"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
