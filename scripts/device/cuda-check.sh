#!/usr/bin/env bash
# The GPU check, for a machine with CUDA and no network: builds ggml (from the local source folder
# that the npm path cached in .cache/ggml) and the shim with ggml's CUDA backend, runs every C test
# (the CUDA ones included: forward pass and projection against the double-precision reference), then
# times the forward pass and the projection on the GPU and on the CPU.
#
#   scripts/device/cuda-check.sh            # CUDA on (sm_90 by default: CUDA_ARCH=90)
#   LOGITLENS_CUDA=OFF scripts/device/cuda-check.sh   # the same flow on a CPU-only machine
#
# Logs go to $OUT (the device tool's output folder) or build/cuda-report.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-build/cuda-report}
mkdir -p "$out"
cuda=${LOGITLENS_CUDA:-ON}
ggml=${LOGITLENS_GGML_DIR:-$PWD/.cache/ggml/llama.cpp/ggml}
[ -d /usr/local/cuda/bin ] && export PATH=/usr/local/cuda/bin:$PATH
build=build/cuda-check

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"; } | tee "$out/device.txt"

start=$(date +%s)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DLOGITLENS_CUDA="$cuda" \
    -DLOGITLENS_GGML_SOURCE=dir -DLOGITLENS_GGML_DIR="$ggml" \
    -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-90}" >"$out/configure.log" 2>&1 \
    || { tail -n 30 "$out/configure.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" >"$out/build.log" 2>&1 || { tail -n 40 "$out/build.log"; exit 1; }
echo "configure + build: $(( $(date +%s) - start )) s"

status=0
ctest --test-dir "$build" --output-on-failure >"$out/ctest.log" 2>&1 || status=$?
grep -E "tests passed|Test +#|passed, .* failed|skipped" "$out/ctest.log" || true

bench="$build/bin/logitlens_forward_bench"
if [ "$cuda" = "ON" ]; then
    "$bench" --backend cuda --threads 1 --repeat 10 128 1024 2>&1 | tee "$out/bench-cuda.txt" || status=1
fi
"$bench" --threads "$(nproc)" --repeat 3 128 1024 2>&1 | tee "$out/bench-cpu.txt" || status=1
exit $status
