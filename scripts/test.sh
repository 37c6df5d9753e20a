#!/usr/bin/env bash
# The test command: installs what the machine lacks (scripts/install-deps.sh; without root it names the
# packages and stops), builds the native shim and ggml (CMake), runs the C tests (ctest), every Java test
# (JUnit), then the tests of the ./logitlens launcher (scripts/test-launcher.sh). Extra arguments go to Maven
# (e.g. -Dtest=ResidualsTest -Dsurefire.failIfNoSpecifiedTests=false).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! scripts/install-deps.sh --check >/dev/null; then
    scripts/install-deps.sh
fi
JAVA_HOME=$(scripts/java-home.sh) || exit 1
export JAVA_HOME
mvn -B -ntp verify "$@"
scripts/test-launcher.sh
