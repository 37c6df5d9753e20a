#!/bin/sh
# Fails when native/include/logitlens.h changed but the committed bindings were not
# regenerated: compares the header's sha256 with the one regenerate.sh recorded.
# Needs neither Maven nor jextract (the same check runs as BindingsUpToDateTest).
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
HEADER=$ROOT/native/include/logitlens.h
SHA_FILE=$ROOT/bindings/src/main/resources/dev/logitlens/bindings/logitlens.h.sha256

[ -f "$HEADER" ] || { echo "check.sh: $HEADER not found" >&2; exit 2; }
[ -f "$SHA_FILE" ] || { echo "check.sh: $SHA_FILE not found: run bindings/regenerate.sh" >&2; exit 1; }

if command -v sha256sum >/dev/null 2>&1; then
    ACTUAL=$(sha256sum "$HEADER" | cut -d ' ' -f 1)
else
    ACTUAL=$(shasum -a 256 "$HEADER" | cut -d ' ' -f 1)
fi
RECORDED=$(tr -d ' \t\r\n' < "$SHA_FILE")

if [ "$ACTUAL" != "$RECORDED" ]; then
    echo "Panama bindings are out of date: native/include/logitlens.h has sha256 $ACTUAL," >&2
    echo "but the bindings were generated from $RECORDED." >&2
    echo "Run bindings/regenerate.sh (needs jextract) and commit the regenerated bindings." >&2
    exit 1
fi
echo "bindings up to date with native/include/logitlens.h ($ACTUAL)"
