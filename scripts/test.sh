#!/usr/bin/env bash
# The test command: installs what the machine lacks (scripts/install-deps.sh; without root it names the
# packages and stops), builds the native shim and ggml (CMake), runs the C tests (ctest) and every Java test
# (JUnit), and installs the artifacts into the local Maven repository (~/.m2: logitlens-engine 0.2.0 and what
# it needs). Then the C tests again under AddressSanitizer and UndefinedBehaviorSanitizer, in a build of their
# own (scripts/test-sanitizers.sh), and the tests of the ./logitlens launcher (scripts/test-launcher.sh), of the
# Spark job's local launcher against the command line (scripts/test-spark-local.sh), of
# the distribution tarball (scripts/test-dist.sh) and of the example that depends on the installed engine
# (scripts/test-embed.sh).
# Extra arguments go to Maven (e.g. -Dtest=ResidualsTest -Dsurefire.failIfNoSpecifiedTests=false).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! scripts/install-deps.sh --check >/dev/null; then
    scripts/install-deps.sh
fi
JAVA_HOME=$(scripts/java-home.sh) || exit 1
export JAVA_HOME
mvn -B -ntp install "$@"
scripts/test-sanitizers.sh
scripts/test-launcher.sh
scripts/test-spark-local.sh
scripts/test-dist.sh
scripts/test-embed.sh
