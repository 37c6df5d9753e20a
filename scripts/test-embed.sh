#!/usr/bin/env bash
# Builds and runs examples/embed, a project of its own that depends on the installed artifact
# dev.logitlens:logitlens-engine (run `mvn install` first; scripts/test.sh does). The example runs the lens of
# the trained sorting fixture: its final layer must predict the sorted digits. Ends with "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
JAVA_HOME=$(scripts/java-home.sh) || exit 1
export JAVA_HOME
passed=0 failed=0
check() { # check "what" command...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

mvn -B -q -ntp -f examples/embed/pom.xml clean package exec:exec >"$tmp/out" 2>"$tmp/err"
status=$?
check "the example builds against the installed engine and runs" test "$status" -eq 0
[ "$status" -eq 0 ] || { cat "$tmp/out" "$tmp/err"; }
cat "$tmp/out"
# tokens 2,1,0,2,1,0 | 0,0,1,1,2: from position 5 on, the final layer predicts the sorted digits 0 0 1 1 2 2
final=$(grep '^layer  3 |' "$tmp/out" | tr -s ' ' | cut -d'|' -f2 | sed 's/ ([0-9.]*)//g' | tr -s ' ' | cut -d' ' -f7-12)
check "its final layer predicts the sorted digits (got '$final')" test "$final" = "0 0 1 1 2 2"
check "it prints every layer down to the embeddings" grep -q '^layer  0 |' "$tmp/out"
echo "embed: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
