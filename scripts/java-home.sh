#!/usr/bin/env bash
# Prints the home of a JDK new enough for logitlens (default: 25, the release the sources target).
# Looks at $JAVA_HOME first, then the usual JDK folders, then the java on PATH.
# Usage: JAVA_HOME=$(scripts/java-home.sh [MIN_VERSION]) || exit 1
set -u
min=${1:-25}

feature_version() {  # the feature release of the JDK at $1, or nothing
    local release="$1/release" v
    [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
    if [ -f "$release" ]; then
        v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
    else
        v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
    fi
    echo "$v"
}

candidates=()
[ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
for d in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/lib/jvm/* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$d" ] && candidates+=("$d")
done
if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
fi

# JAVA_HOME wins whenever it is new enough; otherwise the newest JDK found
best="" best_v=0
for c in "${candidates[@]}"; do
    v=$(feature_version "$c")
    [ -n "$v" ] && [ "$v" -ge "$min" ] || continue
    if [ "$c" = "${JAVA_HOME:-}" ]; then echo "$c"; exit 0; fi
    if [ "$v" -gt "$best_v" ]; then best=$c best_v=$v; fi
done
if [ -z "$best" ]; then
    echo "logitlens needs a JDK $min or newer (Panama and the Vector API); none found in JAVA_HOME, /usr/lib/jvm, /opt or on PATH." >&2
    echo "Install one (e.g. Temurin 25) and set JAVA_HOME to it." >&2
    exit 1
fi
echo "$best"
