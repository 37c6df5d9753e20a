#!/usr/bin/env bash
# The GPU check of issue #11, in one call on a machine with CUDA, PyTorch and transformers, and no Java or network
# (prepare with scripts/device/prepare.sh; carry .device/):
#   1. builds ggml + the shim with CUDA and runs every C test, the CUDA ones included (scripts/device/cuda-check.sh);
#   2. for random GPT-2 weights at GPT-2-small and GPT-2-XL shapes in a Hugging Face folder (benchmarks/gpu/hf_lens.py):
#      the residuals and every statistic from Java (the carried jlinked runtime), on the CPU and on CUDA, against
#      transformers' GPT2LMHeadModel(output_hidden_states=True) + ln_f + W_U in torch on the same GPU, and CUDA against
#      the CPU; and run, plot, dump, stats and residuals with --backend cuda;
#   3. times forward + the whole lens at the XL shape, T=1024, from Java on CUDA against the same statistics in torch
#      float32 on the same card, with the peak GPU memory of each; and the lens with W_U in F16 and BF16 (tensor
#      cores), with their accuracy against F32 (top-1 agreement, max |ΔKL|).
# Everything goes to $OUT (the device tool's output folder; build/gpu-lens-report otherwise); summary.txt is the report.
#
# A CPU dry run of the same flow (what CI-like machines can check):
#   LOGITLENS_CUDA=OFF SKIP_BUILD=1 LOGITLENS_LIBRARY_PATH=build/native/lib SHAPES=tiny:2:64:4 T_TIME=128 \
#       PYTHON=/usr/bin/python3 scripts/device/gpu-lens.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-build/gpu-lens-report}
mkdir -p "$out"
py=${PYTHON:-python3}
cuda=${LOGITLENS_CUDA:-ON}
shapes=${SHAPES:-"small:12:768:12 xl:48:1600:25"}
t_check=${T_CHECK:-64}
t_time=${T_TIME:-1024}
work=build/gpu-lens
rm -rf "$work"
mkdir -p "$work"
t0=$(date +%s)
status=0
log() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$out/summary.txt"; }
fail() { log "FAILED: $*"; status=1; }

# ---- 1. the carried runtime, the CUDA build and the C tests ----------------------------------------------------
tar xzf .device/logitlens-dist.tar.gz -C "$work" || { log "no .device/logitlens-dist.tar.gz: run scripts/device/prepare.sh"; exit 1; }
home=$(echo "$work"/logitlens-*)
logitlens="$home/bin/logitlens"
java="$home/runtime/bin/java"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"; } \
    | tee "$out/device.txt"
grep -o -m1 'flags.*' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_bf16|amx_tile)$' | tr '\n' ' ' \
    >"$out/cpu-flags.txt"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    if [ ! -d .cache/ggml/llama.cpp/ggml ]; then
        mkdir -p .cache/ggml/llama.cpp
        tar xzf .device/ggml-src.tar.gz -C .cache/ggml/llama.cpp
    fi
    if LOGITLENS_CUDA="$cuda" OUT="$out" scripts/device/cuda-check.sh >"$out/cuda-check.txt" 2>&1; then
        log "C build and tests (CUDA=$cuda): passed"
    else
        fail "C build or tests (CUDA=$cuda): $out/cuda-check.txt"
    fi
    grep -E "configure \+ build|passed|failed|skipped" "$out/cuda-check.txt" | tee -a "$out/summary.txt"
    export LOGITLENS_LIBRARY_PATH=$PWD/build/cuda-check/lib
fi
backends=cpu
[ "$cuda" = ON ] && backends="cpu cuda"
device=cpu
[ "$cuda" = ON ] && device=cuda

# ---- 2. correctness at each shape ----------------------------------------------------------------------------
for spec in $shapes; do
    IFS=: read -r name layers width heads <<<"$spec"
    model="$work/$name"
    "$py" benchmarks/gpu/hf_lens.py make --out "$model" --layers "$layers" --d "$width" --heads "$heads" \
        >>"$out/python.log" 2>&1 || { fail "$name: making the weights ($out/python.log)"; continue; }
    "$py" -c "import random; random.seed(7); print(','.join(str(random.randrange(50257)) for _ in range($t_check)))" \
        >"$work/tokens-$name.txt"
    tokens=$(cat "$work/tokens-$name.txt")
    "$py" benchmarks/gpu/hf_lens.py reference --model "$model" --tokens "$work/tokens-$name.txt" \
        --out "$work/ref-$name.npz" --device "$device" 2>>"$out/python.log" | tee -a "$out/summary.txt"
    for backend in $backends; do
        lens="$work/lens-$name-$backend.csv"
        if ! "$logitlens" residuals --model "$model" --tokens "$tokens" --backend "$backend" -o "$work/res-$name-$backend.npy" \
                2>>"$out/java.log" \
            || ! "$logitlens" run --model "$model" --tokens "$tokens" --backend "$backend" --format csv >"$lens" 2>>"$out/java.log"; then
            fail "$name on $backend: the Java commands ($out/java.log)"
            continue
        fi
        second=()
        [ "$backend" != cpu ] && second=(--csv2 "$work/lens-$name-cpu.csv")
        "$py" benchmarks/gpu/hf_lens.py compare --ref "$work/ref-$name.npz" --residuals "$work/res-$name-$backend.npy" \
            --csv "$lens" "${second[@]}" --label "$name java-$backend vs torch-$device" | tee -a "$out/summary.txt"
        [ "${PIPESTATUS[0]}" = 0 ] || fail "$name on $backend: outside the tolerances"
    done
done

# ---- every other command on the device ---------------------------------------------------------------------------
first=${shapes%% *}
model="$work/${first%%:*}"
printf '%s\n' '{"text": "The logit lens reads every layer as if it were the last."}' \
    '{"text": "Paris is the capital of France, and Berlin is the capital of Germany."}' >"$work/corpus.jsonl"
for backend in $backends; do
    "$logitlens" plot --model "$model" --text "The capital of France is Paris" --backend "$backend" \
        -o "$work/plot-$backend.svg" 2>>"$out/java.log" || fail "plot on $backend"
    "$logitlens" dump --model "$model" "$work/corpus.jsonl" --backend "$backend" -o "$work/dump-$backend" \
        2>>"$out/java.log" || fail "dump on $backend"
    "$logitlens" stats --model "$model" "$work/corpus.jsonl" --backend "$backend" --format csv \
        >"$work/stats-$backend.csv" 2>>"$out/java.log" || fail "stats on $backend"
done
if [ "$cuda" = ON ]; then
    "$py" - "$work/stats-cpu.csv" "$work/stats-cuda.csv" <<'EOF' | tee -a "$out/summary.txt" || fail "stats: CUDA differs from the CPU"
import csv, sys
def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None
a, b = (list(csv.DictReader(open(p))) for p in sys.argv[1:3])
pairs = [(number(x[k]), number(y[k])) for x, y in zip(a, b) for k in x if k != "layer"]
worst = max((abs(u - v) / (1 + abs(u)) for u, v in pairs if u is not None and v is not None), default=0.0)
print(f"stats cuda vs cpu: {len(a)} layers, max relative difference {worst:.2e}")
sys.exit(0 if len(a) == len(b) and worst < 1e-3 else 1)
EOF
fi
log "commands on $backends: done"

# ---- 3. timing: forward + the whole lens, Java against torch, peak GPU memory ---------------------------------
last=${shapes##* }
model="$work/${last%%:*}"
"$py" -c "import random; random.seed(8); print(','.join(str(random.randrange(50257)) for _ in range($t_time)))" \
    >"$work/tokens-time.txt"
peak() { # the highest memory.used (MiB) nvidia-smi sampled while "$@" ran, minus the level before
    if ! command -v nvidia-smi >/dev/null; then "$@"; echo "peak_gpu_mib: n/a"; return; fi
    local base; base=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -n 1)
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 50 >"$work/mem.log" &
    local sampler=$!
    "$@"
    kill "$sampler" 2>/dev/null
    wait "$sampler" 2>/dev/null
    echo "peak_gpu_mib: $(( $(sort -n "$work/mem.log" | tail -n 1) - base ))"
}
peak "$java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp .device/benchmarks.jar \
    dev.logitlens.bench.DeviceLensBenchMain "$model" "$t_time" "$device" 3 "${PRECISIONS:-F32,F16,BF16}" \
    2>>"$out/java.log" | tee -a "$out/summary.txt"
peak "$py" benchmarks/gpu/hf_lens.py time --model "$model" --tokens "$work/tokens-time.txt" --device "$device" \
    2>>"$out/python.log" | tee -a "$out/summary.txt"
log "done (exit $status)"
exit $status
