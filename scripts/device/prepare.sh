#!/usr/bin/env bash
# Prepares .device/ (ignored by git) for scripts/device/gpu-lens.sh on a machine without Java or network:
#   .device/logitlens-dist.tar.gz   the distribution: a jlinked Java runtime + the command-line jar (scripts/dist.sh)
#   .device/benchmarks.jar          the benchmarks, for DeviceLensBenchMain (the timed Java side)
#   .device/ggml-src.tar.gz         ggml's sources (from .cache/ggml), for the CUDA build there
# Then, with the device tool: run  scripts/device/gpu-lens.sh  carrying [".device"] (it must stay under 64 MiB).
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=$(scripts/java-home.sh) || exit 1
export JAVA_HOME
scripts/dist.sh
mvn -B -q -ntp -DskipTests -Dlogitlens.skipNative=true -pl benchmarks -am package
[ -d .cache/ggml/llama.cpp/ggml ] || { echo "prepare: no ggml sources in .cache/ggml (build once: they are fetched there)" >&2; exit 1; }
rm -rf .device
mkdir -p .device
cp dist/logitlens-*-linux-x86_64.tar.gz .device/logitlens-dist.tar.gz
cp benchmarks/target/benchmarks.jar .device/benchmarks.jar
tar czf .device/ggml-src.tar.gz -C .cache/ggml/llama.cpp --exclude='ggml/.git' ggml
size=$(du -sm .device | cut -f1)
echo "prepare: .device holds $size MiB (the device tool carries at most 64)"
[ "$size" -le 64 ] || { echo "prepare: too large to carry" >&2; exit 1; }
