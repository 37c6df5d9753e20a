#!/usr/bin/env bash
# Time to first lens (docs/BENCHMARKS.md): `logitlens run` on 8 tokens of a random GPT-2-small-shaped model, as a
# whole process from the shell, on a Hugging Face folder laid out as the hub cache holds it and on a GGUF file,
# against the same job as a PyTorch process (benchmarks/python/lens_torch.py), in one hyperfine run, page cache
# warm (each run re-reads the files first), 2 threads. Also with the full start instead of run's quick one
# (LOGITLENS_QUICK=0), with and without the JDK AOT cache (LOGITLENS_AOT=0).
#
#   benchmarks/time-to-first-lens.sh [DIR]      (DIR: where the models are written once; default $TMPDIR/logitlens-ttfl)
#
# Needs hyperfine and Debian's python3-torch (apt-get install hyperfine python3-torch), and a build
# (./logitlens builds itself).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-${TMPDIR:-/tmp}/logitlens-ttfl}
JAVA_HOME=$("$root/scripts/java-home.sh")
export JAVA_HOME
cd "$root"
"$root/logitlens" --version >/dev/null # builds, and records the AOT cache
[ -f benchmarks/target/benchmarks.jar ] || mvn -B -q -ntp -DskipTests -pl benchmarks -am package
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx4g \
    -cp benchmarks/target/benchmarks.jar dev.logitlens.bench.BenchModelsMain "$dir" >/dev/null 2>&1
snapshot=$(ls -d "$dir"/hub/models--openai-community--gpt2/snapshots/*)
export HF_HUB_CACHE="$dir/hub" HF_HUB_OFFLINE=1
tokens=464,3139,286,4881,318,6342,13,383
warm="cat $dir/gpt2-small.gguf $snapshot/model.safetensors $snapshot/config.json"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(grep -o -w 'avx512[a-z_0-9]*\|avx2\|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')"
hyperfine -N -w 1 -r "${RUNS:-10}" --prepare "$warm" --export-markdown "$dir/ttfl.md" \
    -n "logitlens run, HF folder (--model gpt2)" "$root/logitlens run --model gpt2 --tokens $tokens --threads 2" \
    -n "logitlens run, GGUF" "$root/logitlens run --model $dir/gpt2-small.gguf --tokens $tokens --threads 2" \
    -n "PyTorch process, HF folder" "/usr/bin/python3 $root/benchmarks/python/lens_torch.py $snapshot $tokens 2"
LOGITLENS_QUICK=0 hyperfine -N -w 1 -r "${RUNS:-10}" --prepare "$warm" \
    -n "logitlens run, GGUF, full start (LOGITLENS_QUICK=0)" "$root/logitlens run --model $dir/gpt2-small.gguf --tokens $tokens --threads 2"
LOGITLENS_QUICK=0 LOGITLENS_AOT=0 hyperfine -N -w 1 -r "${RUNS:-10}" --prepare "$warm" \
    -n "logitlens run, GGUF, full start without the AOT cache" "$root/logitlens run --model $dir/gpt2-small.gguf --tokens $tokens --threads 2"
echo "phases (one run each):"
$warm >/dev/null; "$root/logitlens" run --model gpt2 --tokens $tokens --threads 2 --timings 2>&1 >/dev/null | grep -v '^WARNING'
$warm >/dev/null; "$root/logitlens" run --model "$dir/gpt2-small.gguf" --tokens $tokens --threads 2 --timings 2>&1 >/dev/null | grep -v '^WARNING'
$warm >/dev/null; /usr/bin/python3 benchmarks/python/lens_torch.py "$snapshot" $tokens 2 --timings 2>&1 >/dev/null | grep -v Warning | grep ' ms'
