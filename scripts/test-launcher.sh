#!/usr/bin/env bash
# Tests of the ./logitlens launcher's start-up cache (the JDK AOT cache in cli/target/logitlens.aot), run by
# scripts/test.sh after the Maven build: recorded after a build; used while fresh (same output as without);
# recorded again when stale (jar newer) or damaged (with a warning); and LOGITLENS_AOT=0 leaves it alone.
# Ends with the line "N passed, N failed". Needs the built jar (mvn package).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
aot=cli/target/logitlens.aot
model=test-data/gpt-nano-sort/gpt-nano-sort-model.json
passed=0 failed=0
check() { # check "what" command...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
lens() { ./logitlens run --model "$model" --tokens 2,1,0,2,1,0,0,0,1,1,2 --format csv 2>"$tmp/err"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

[ -f cli/target/logitlens.jar ] || { echo "test-launcher: build first (mvn package)"; exit 1; }
rm -f "$aot" "$aot.size"
lens >"$tmp/first.csv"
check "a run records the cache" test -s "$aot" -a -s "$aot.size"
check "the cache is newer than the jar" test "$aot" -nt cli/target/logitlens.jar
LOGITLENS_AOT=0 lens >"$tmp/without.csv"
lens >"$tmp/with.csv"
check "the lens is the same with and without the cache" cmp -s "$tmp/with.csv" "$tmp/without.csv"
check "and the same as the run that recorded it" cmp -s "$tmp/with.csv" "$tmp/first.csv"
check "no JVM message on standard error" bash -c "! grep -v '^WARNING: Using incubator modules' '$tmp/err' | grep -q ."

head -c 4096 "$aot" >"$tmp/cut" && cat "$tmp/cut" >"$aot"   # damaged: truncated, still newer than the jar
lens >"$tmp/damaged.csv"
check "a damaged cache is reported" grep -q "start-up cache .* is damaged" "$tmp/err"
check "and recorded again" test "$(stat -c %s "$aot")" = "$(cat "$aot.size")" -a "$(stat -c %s "$aot")" -gt 4096
check "the lens is unchanged" cmp -s "$tmp/damaged.csv" "$tmp/with.csv"

touch -d '2000-01-01' "$aot"                                 # stale: older than the jar
lens >"$tmp/stale.csv"
check "a stale cache is recorded again" test "$aot" -nt cli/target/logitlens.jar
check "silently" bash -c "! grep -q 'start-up cache' '$tmp/err'"
check "the lens is unchanged" cmp -s "$tmp/stale.csv" "$tmp/with.csv"

rm -f "$aot" "$aot.size"
LOGITLENS_AOT=0 lens >/dev/null
check "LOGITLENS_AOT=0 records nothing" test ! -e "$aot"
lens >/dev/null
echo "launcher: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
