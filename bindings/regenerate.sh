#!/bin/sh
# Regenerates the Panama (java.lang.foreign) bindings of native/include/logitlens.h
# into bindings/src/main/java/dev/logitlens/bindings/ and records the header's
# sha256 next to them (checked by BindingsUpToDateTest and bindings/check.sh).
# Run it after every change to the header, then commit the result.
#
# jextract is found through $JEXTRACT, else on PATH. It is not published in any
# package registry: build it from the openjdk/jextract sources
# (https://github.com/openjdk/jextract, master branch targets JDK 25) against a
# libclang (e.g. Debian's libclang1-14 + libclang-common-14-dev).
#
# No --library/-l option is passed on purpose: the generated LogitLensNative then
# resolves symbols with SymbolLookup.loaderLookup() (plus the default lookup), so
# the engine must System.load() liblogitlens before the first call into it.
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
HEADER=native/include/logitlens.h
OUT=bindings/src/main/java
PKG=dev.logitlens.bindings
PKG_DIR=$OUT/dev/logitlens/bindings
SHA_FILE=bindings/src/main/resources/dev/logitlens/bindings/logitlens.h.sha256

JEXTRACT=${JEXTRACT:-$(command -v jextract 2>/dev/null || true)}
if [ -z "$JEXTRACT" ] || [ ! -x "$JEXTRACT" ]; then
    echo "regenerate.sh: jextract not found (set JEXTRACT=/path/to/jextract or put it on PATH)." >&2
    echo "jextract is not available from any package registry; build it from the" >&2
    echo "openjdk/jextract sources (https://github.com/openjdk/jextract) with JDK 25 and libclang." >&2
    exit 1
fi

cd "$ROOT"
[ -f "$HEADER" ] || { echo "regenerate.sh: $HEADER not found" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

echo "Using $("$JEXTRACT" --version 2>&1 | head -n 1) ($JEXTRACT)"

# 1. List every declaration jextract sees, then keep only those that logitlens.h itself
#    declares (not stddef.h/stdint.h internals), as --include-* options in an @argfile.
if ! "$JEXTRACT" --dump-includes "$TMP/all-includes.txt" "$HEADER" >"$TMP/dump.log" 2>&1; then
    cat "$TMP/dump.log" >&2
    exit 1
fi
awk '$1 ~ /^--include-/ && $NF ~ /(^|\/)native\/include\/logitlens\.h$/ { print $1, $2 }' \
    "$TMP/all-includes.txt" > "$TMP/includes.txt"
[ -s "$TMP/includes.txt" ] || { echo "regenerate.sh: no declarations found in $HEADER" >&2; exit 1; }

# 2. Generate. The old package directory is removed first so that bindings of
#    declarations deleted from the header do not linger.
rm -rf "$PKG_DIR"
"$JEXTRACT" \
    --output "$OUT" \
    --target-package "$PKG" \
    --header-class-name LogitLensNative \
    @"$TMP/includes.txt" \
    "$HEADER"

# 3. Record the header the bindings were generated from.
mkdir -p "$(dirname "$SHA_FILE")"
if command -v sha256sum >/dev/null 2>&1; then
    DIGEST=$(sha256sum "$HEADER" | cut -d ' ' -f 1)
else
    DIGEST=$(shasum -a 256 "$HEADER" | cut -d ' ' -f 1)
fi
printf '%s\n' "$DIGEST" > "$SHA_FILE"

echo "Generated $(ls "$PKG_DIR" | wc -l | tr -d ' ') files in $PKG_DIR"
echo "Recorded sha256 $DIGEST of $HEADER in $SHA_FILE"
