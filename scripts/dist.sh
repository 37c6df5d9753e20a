#!/usr/bin/env bash
# Builds dist/logitlens-<version>-linux-x86_64.tar.gz: a distribution that needs neither a JDK nor Python.
#   logitlens-<version>/bin/logitlens       the launcher (scripts/dist/logitlens)
#   logitlens-<version>/lib/jvm-options.sh  the JVM's options for its two ways to start (scripts/dist/jvm-options.sh)
#   logitlens-<version>/runtime/            a Java runtime made by jlink with the modules the jar needs
#   logitlens-<version>/lib/logitlens.jar   the command line with the engine, the bindings and the native
#                                           libraries (liblogitlens, ggml and its CPU variants) inside
#   logitlens-<version>/lib/logitlens.aot   the JDK start-up cache, recorded with that runtime (+ its size)
#   logitlens-<version>/lib/logitlens-quick.aot   the quick start's, likewise
#   logitlens-<version>/LICENSE, THIRD-PARTY-NOTICES.md, README.md
# Needs a JDK 25 (scripts/java-home.sh) and the build tools of scripts/install-deps.sh.
# Usage: scripts/dist.sh [--no-build]   (--no-build: package cli/target/logitlens.jar as it is, e.g. right after
# the test command built it)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
JAVA_HOME=$(scripts/java-home.sh) || exit 1
export JAVA_HOME

version=$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' pom.xml | head -n 1)
[ -n "$version" ] || { echo "dist: cannot read the version from pom.xml" >&2; exit 1; }
arch=$(uname -m)
name="logitlens-$version"
tarball="dist/$name-linux-$arch.tar.gz"

jar=cli/target/logitlens.jar
if [ "${1:-}" = --no-build ]; then
    [ -f "$jar" ] || { echo "dist: --no-build, but there is no $jar (run mvn package)" >&2; exit 1; }
else
    mkdir -p build
    echo "dist: building the jar (mvn package; log in build/dist-build.log) ..." >&2
    if ! mvn -B -ntp -DskipTests -pl cli -am package >build/dist-build.log 2>&1; then
        tail -n 40 build/dist-build.log >&2
        echo "dist: the build failed; the whole log is build/dist-build.log" >&2
        exit 1
    fi
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/logitlens-dist.XXXXXX")
trap 'rm -rf "$stage"' EXIT
home="$stage/$name"
mkdir -p "$home/bin" "$home/lib"

# The modules jdeps finds in the jar (java.base, java.net.http, jdk.httpserver, jdk.incubator.vector today), and
# nothing else; scripts/test-dist.sh checks that serve runs on them.
modules=$("$JAVA_HOME/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 "$jar")
echo "dist: jlink $modules" >&2
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress zip-6 --output "$home/runtime"
# jlink keeps the native libraries' symbol tables when it links from a JDK without jmods: libjvm.so is 30 MB
# with them, 25 MB without (the dynamic symbols stay).
if command -v objcopy >/dev/null 2>&1; then
    find "$home/runtime" -name '*.so' -exec objcopy --strip-unneeded {} \;
fi

cp "$jar" "$home/lib/logitlens.jar"
cp scripts/dist/logitlens "$home/bin/logitlens"
cp scripts/dist/jvm-options.sh "$home/lib/jvm-options.sh"
chmod 755 "$home/bin/logitlens"
cp LICENSE THIRD-PARTY-NOTICES.md "$home/"
cat >"$home/README.md" <<README
# logitlens $version

The logit lens for GPT-2, without Java or Python installed: \`bin/logitlens --help\`.

    bin/logitlens run --model gpt2 "The capital of France is"
    bin/logitlens info --system

The Java runtime in \`runtime/\` was made with jlink ($modules); the native libraries are inside
\`lib/logitlens.jar\` and unpacked once into \`~/.cache/logitlens/natives/\`. The project's README has the
whole manual. Licence: MIT (LICENSE); third-party notices: THIRD-PARTY-NOTICES.md.
README

# The start-up caches (JDK AOT caches), each from one training run of the distribution's own runtime and jar on the
# small test model, started as the launcher starts the JVM: the full start's and the quick start's
# (scripts/dist/logitlens). The JVM checks the jar by its path relative to the runtime, so they stay valid
# wherever the folder goes.
record_cache() { # record_cache FILE JVM_FLAGS...
    local file=$1
    shift
    if "$home/runtime/bin/java" "$@" -XX:AOTCacheOutput="$file" -Xlog:aot=off -Xlog:cds=off -jar "$home/lib/logitlens.jar" \
        run --model test-data/gpt-nano-sort/gpt-nano-sort-model.json --tokens 2,1,0,2,1,0,0,0,1,1,2 --color never \
        >/dev/null 2>"$stage/cache.log" && [ -s "$file" ]; then
        wc -c <"$file" | tr -d ' ' >"$file.size"
    else
        echo "dist: recording the start-up cache $(basename "$file") failed (the distribution works without it):" >&2
        cat "$stage/cache.log" >&2
        rm -f "$file"
    fi
    rm -f "$file.config"
}
. scripts/dist/jvm-options.sh
# shellcheck disable=SC2086 # each option list is split on its spaces
record_cache "$home/lib/logitlens.aot" $LOGITLENS_FULL_OPTIONS
# shellcheck disable=SC2086
record_cache "$home/lib/logitlens-quick.aot" $LOGITLENS_QUICK_OPTIONS

mkdir -p dist
tar -C "$stage" -czf "$tarball.partial" "$name"
mv -f "$tarball.partial" "$tarball"
echo "dist: $tarball ($(du -h "$tarball" | cut -f1); unpacked $(du -sh "$home" | cut -f1))"
