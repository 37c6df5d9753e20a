#!/usr/bin/env bash
# Tests the distribution tarball: makes it with scripts/dist.sh --no-build from the jar the test command has
# just built, unpacks it into an empty temporary folder and runs its bin/logitlens with an environment that has
# no JAVA_HOME and no java on PATH (only the few tools the launcher calls); the lens must be byte for byte the
# jar's own, run by the JDK. Ends with the line "N passed, N failed". Run by scripts/test.sh.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
passed=0 failed=0
check() { # check "what" command...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
JAVA_HOME=$(scripts/java-home.sh) || exit 1

scripts/dist.sh --no-build >"$tmp/dist.log" 2>&1 || { cat "$tmp/dist.log"; echo "dist: 0 passed, 1 failed"; exit 1; }
tarball=$(sed -n 's/^dist: \(dist\/[^ ]*\.tar\.gz\) .*/\1/p' "$tmp/dist.log")
check "dist.sh names its tarball" test -f "$tarball"
tail -n 1 "$tmp/dist.log"

mkdir "$tmp/unpacked" "$tmp/tools"
tar -C "$tmp/unpacked" -xzf "$tarball"
home=$(echo "$tmp"/unpacked/logitlens-*)
for f in bin/logitlens runtime/bin/java lib/logitlens.jar lib/logitlens.aot lib/logitlens-quick.aot LICENSE THIRD-PARTY-NOTICES.md; do
    check "the tarball holds $f" test -e "$home/$f"
done
# PATH: the tools the launcher uses and nothing else (no java)
for tool in sh dirname readlink date wc tr cat mkfifo rm; do ln -s "$(command -v "$tool")" "$tmp/tools/$tool"; done
bare() { env -i HOME="$tmp/home" PATH="$tmp/tools" "$@"; }
mkdir "$tmp/home"
check "no java on the test's PATH" bash -c "! PATH='$tmp/tools' command -v java"

model=$root/test-data/gpt-nano-sort/gpt-nano-sort-model.json
args=(run --model "$model" --tokens 2,1,0,2,1,0,0,0,1,1,2 --format csv)
bare "$home/bin/logitlens" "${args[@]}" >"$tmp/dist.csv" 2>"$tmp/dist.err"
check "bin/logitlens run succeeds without a JDK" test -s "$tmp/dist.csv"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
    -jar cli/target/logitlens.jar "${args[@]}" >"$tmp/jar.csv" 2>/dev/null
check "its lens is the jar's, byte for byte" cmp -s "$tmp/dist.csv" "$tmp/jar.csv"
check "no message on standard error, not even the incubator warning" test ! -s "$tmp/dist.err"
bare "$home/bin/logitlens" info --system >"$tmp/system.txt" 2>/dev/null
check "info --system names the CPU variant" grep -q "^cpu_variant " "$tmp/system.txt"
check "and the distribution's runtime" grep -q "$home/runtime" "$tmp/system.txt"
bare LOGITLENS_QUICK=0 "$home/bin/logitlens" "${args[@]}" >"$tmp/full.csv" 2>"$tmp/full.err"
check "the same lens in the full start as in run's quick start" cmp -s "$tmp/full.csv" "$tmp/dist.csv"
check "and no message on standard error there either" test ! -s "$tmp/full.err"
bare LOGITLENS_QUICK=0 LOGITLENS_AOT=0 "$home/bin/logitlens" "${args[@]}" >"$tmp/noaot.csv" 2>/dev/null
check "the same lens without the start-up cache" cmp -s "$tmp/noaot.csv" "$tmp/dist.csv"
bare "$home/bin/logitlens" "${args[@]}" --timings 2>&1 >/dev/null | grep -q "a quick start, without the Vector API"
check "run starts quick" test $? -eq 0
. "$home/lib/jvm-options.sh"
# shellcheck disable=SC2086 # the option list is split on its spaces
"$home/runtime/bin/java" $LOGITLENS_QUICK_OPTIONS \
    -XX:AOTCache="$home/lib/logitlens-quick.aot" -Xlog:aot -jar "$home/lib/logitlens.jar" --version >"$tmp/aot.log" 2>&1
check "the quick start's cache, recorded elsewhere, is used where the tarball was unpacked" \
    grep -q "Using AOT-linked classes: true" "$tmp/aot.log"
bare "$home/bin/logitlens" "${args[@]}" --track 1 --timings 2>&1 >/dev/null | grep -q "^timings (.*threads):"
check "but not with --track" test $? -eq 0
bare "$home/bin/logitlens" run --model "$tmp/missing.gguf" --tokens 1 >/dev/null 2>"$tmp/missing.err"
check "a missing model is exit 1" test $? -eq 1
check "with a message that names it" grep -q "missing.gguf" "$tmp/missing.err"
mkdir "$tmp/fifo"
bare TMPDIR="$tmp/fifo" "$home/bin/logitlens" --help >"$tmp/help.out" 2>"$tmp/help.err"
check "--help: exit 0" test $? -eq 0
check "--help: the usage, and nothing on standard error" bash -c "grep -q '^Usage: logitlens' '$tmp/help.out' && test ! -s '$tmp/help.err'"
check "the launcher's named pipe is removed" test -z "$(ls -A "$tmp/fifo")"
bare "$home/bin/logitlens" run --view nope >/dev/null 2>"$tmp/usage.err"
check "a bad value is exit 2" test $? -eq 2
check "with its message and no incubator warning" bash -c \
    "grep -q \"^logitlens: Invalid value for option '--view'\" '$tmp/usage.err' && ! grep -q incubator '$tmp/usage.err'"
bare JAVA_TOOL_OPTIONS=-Dlogitlens.test=1 "$home/bin/logitlens" --help >/dev/null 2>"$tmp/tool.err"
check "the JVM's other start-up messages pass the filter" test "$(cat "$tmp/tool.err")" = "Picked up JAVA_TOOL_OPTIONS: -Dlogitlens.test=1"
# serve: the runtime holds jdk.httpserver, and the distribution serves its page and stops on SIGTERM
check "the runtime holds jdk.httpserver (serve)" bash -c "'$home/runtime/bin/java' --list-modules | grep -q '^jdk.httpserver@'"
env -i HOME="$tmp/home" PATH="$tmp/tools" "$home/bin/logitlens" serve --model "$model" --port 0 --threads 1 \
    >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve_pid=$!
port=
for _ in $(seq 1 600); do # the address line, within a minute
    port=$(sed -n 's|^serving the lens of .* at http://127\.0\.0\.1:\([0-9]*\)/ .*|\1|p' "$tmp/serve.out")
    { [ -n "$port" ] || ! kill -0 "$serve_pid" 2>/dev/null; } && break
    sleep 0.1
done
page=
if [ -n "$port" ]; then # bash's own /dev/tcp: no HTTP client needed
    page=$(exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' \
        "$port" >&3 && cat <&3)
fi
check "bin/logitlens serve prints its address" test -n "$port"
check "and answers with its page" grep -q "^HTTP/1.1 200" <<<"$page"
kill -TERM "$serve_pid" 2>/dev/null
wait "$serve_pid"
check "and stops on SIGTERM, closing the model" grep -qx stopped "$tmp/serve.out"
check "serve: no message on standard error" test ! -s "$tmp/serve.err"
echo "dist: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
