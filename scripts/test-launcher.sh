#!/usr/bin/env bash
# Tests of the ./logitlens launcher's start-up caches (the JDK AOT caches cli/target/logitlens.aot and, for the
# quick start, cli/target/logitlens-quick.aot), run by
# scripts/test.sh after the Maven build: recorded after a build; used while fresh (same output as without);
# recorded again when stale (jar newer) or damaged (with a warning); and LOGITLENS_AOT=0 leaves it alone. Then its
# standard error: without the JVM's incubator warning, with everything else, in order, and the command's exit code;
# and run's quick start.
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
# the start-up cache is the full start's (a run gets the quick start, which uses none: LOGITLENS_QUICK=0)
lens() { LOGITLENS_QUICK=0 ./logitlens run --model "$model" --tokens 2,1,0,2,1,0,0,0,1,1,2 --format csv 2>"$tmp/err"; }
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
check "no JVM message on standard error (not even the incubator warning)" bash -c "! grep -q . '$tmp/err'"

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

# The quick start (C1 only, no Vector API, a cache of its own) of a run without --kernel, --track or
# --contrast: the same lens.
quick_cache=cli/target/logitlens-quick.aot
rm -f "$aot" "$aot.size" "$quick_cache" "$quick_cache.size"
./logitlens run --model "$model" --tokens 2,1,0,2,1,0,0,0,1,1,2 --format csv >"$tmp/quick.csv" 2>"$tmp/quick.err"
check "a quick start: the same lens as the full start" cmp -s "$tmp/quick.csv" "$tmp/with.csv"
check "with nothing on standard error" test ! -s "$tmp/quick.err"
check "it records its own cache" test -s "$quick_cache" -a "$(stat -c %s "$quick_cache")" = "$(cat "$quick_cache.size")"
check "and not the full start's" test ! -e "$aot"
./logitlens run --model "$model" --tokens 2,1,0,2,1,0,0,0,1,1,2 --format csv >"$tmp/quick2.csv" 2>"$tmp/quick.err"
check "the same lens with that cache" cmp -s "$tmp/quick2.csv" "$tmp/with.csv"
LOGITLENS_AOT=0 ./logitlens run --model "$model" --tokens 2,1,0,2,1,0,0,0,1,1,2 --format csv >"$tmp/quick3.csv" 2>"$tmp/quick.err"
check "and without it" cmp -s "$tmp/quick3.csv" "$tmp/with.csv"
head -c 4096 "$quick_cache" >"$tmp/cut" && cat "$tmp/cut" >"$quick_cache"   # damaged
./logitlens run --model "$model" --tokens 2,1,0,2,1,0,0,0,1,1,2 --format csv >"$tmp/quick4.csv" 2>"$tmp/quick.err"
check "a damaged quick cache is reported and recorded again" bash -c "grep -q 'start-up cache .*logitlens-quick.aot is damaged' '$tmp/quick.err' \
    && [ \$(stat -c %s '$quick_cache') = \$(cat '$quick_cache.size') ] && cmp -s '$tmp/quick4.csv' '$tmp/with.csv'"
./logitlens run --model "$model" --tokens 2,1,0,2,1 --timings 2>&1 >/dev/null | grep -q "a quick start, without the Vector API"
check "run --timings says it started quick" test $? -eq 0
for full in "--kernel jvm" "--track 1" "--contrast 1 2"; do
    ./logitlens run --model "$model" --tokens 2,1,0,2,1 $full --timings 2>&1 >/dev/null | grep -q "^timings (.*threads):"
    check "run $full starts the full JVM" test $? -eq 0
done
LOGITLENS_QUICK=0 ./logitlens run --model "$model" --tokens 2,1,0,2,1 --timings 2>&1 >/dev/null | grep -q "^timings (.*threads):"
check "and so does LOGITLENS_QUICK=0" test $? -eq 0
# A JVM without the Vector API (started by hand) refuses what needs it with a message, not a NoClassDefFoundError.
"$("$root/scripts/java-home.sh")/bin/java" --enable-native-access=ALL-UNNAMED -jar cli/target/logitlens.jar \
    run --model "$model" --tokens 2,1,0,2,1 --kernel jvm >/dev/null 2>"$tmp/novector.err"
check "--kernel jvm without the Vector API: exit 1" test $? -eq 1
check "and a message that says what is missing" grep -q "the JVM kernel needs the Vector API" "$tmp/novector.err"
"$("$root/scripts/java-home.sh")/bin/java" --enable-native-access=ALL-UNNAMED -jar cli/target/logitlens.jar \
    run --model "$model" --tokens 2,1,0,2,1 --track 1 >/dev/null 2>"$tmp/novector.err"
check "--track without it: exit 1 and the message" bash -c "[ $? -eq 1 ] && grep -q 'tracking tokens needs the Vector API' '$tmp/novector.err'"

# Standard error: the JVM's "Using incubator modules" warning is dropped (the launcher's filter), every other line
# arrives, in order with standard output, and the exit code is the command's.
./logitlens --help >"$tmp/help.out" 2>"$tmp/help.err"; status=$?
check "--help: exit 0" test "$status" -eq 0
check "--help: the usage on standard output" grep -q "^Usage: logitlens" "$tmp/help.out"
check "--help: nothing on standard error" test ! -s "$tmp/help.err"
./logitlens run --view nope >/dev/null 2>"$tmp/usage.err"; status=$?
check "a bad value: exit 2" test "$status" -eq 2
check "with its message, first" bash -c "head -n 1 '$tmp/usage.err' | grep -q \"^logitlens: Invalid value for option '--view': expected one of logit, prob, rank, kl\""
check "and no incubator warning" bash -c "! grep -q 'incubator' '$tmp/usage.err'"
./logitlens runn >/dev/null 2>"$tmp/typo.err"; status=$?
check "a mistyped command: exit 2 and a suggestion" bash -c "[ $status -eq 2 ] && grep -q 'Did you mean: logitlens run?' '$tmp/typo.err'"
./logitlens run --model "$tmp/missing.gguf" --tokens 1 >/dev/null 2>"$tmp/missing.err"; status=$?
check "a missing model: exit 1, the message names it" bash -c "[ $status -eq 1 ] && grep -q 'missing.gguf' '$tmp/missing.err'"
JAVA_TOOL_OPTIONS=-Dlogitlens.test=1 ./logitlens --help >/dev/null 2>"$tmp/tool.err"
check "the JVM's other start-up messages pass the filter" test "$(cat "$tmp/tool.err")" = "Picked up JAVA_TOOL_OPTIONS: -Dlogitlens.test=1"
./logitlens run --model "$model" --tokens 2,1,0,2,1,0,0,0,1,1,2 --format csv --timings >"$tmp/both" 2>&1
check "standard output, then the timings on standard error, in order" \
    bash -c "[ \$(grep -n '^0,0,' '$tmp/both' | tail -n 1 | cut -d: -f1) -lt \$(grep -n '^timings' '$tmp/both' | cut -d: -f1) ]"
check "and no warning among them" bash -c "! grep -q '^WARNING' '$tmp/both'"

rm -f "$aot" "$aot.size"
LOGITLENS_AOT=0 lens >/dev/null
check "LOGITLENS_AOT=0 records nothing" test ! -e "$aot"
lens >/dev/null
echo "launcher: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
