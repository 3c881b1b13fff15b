#!/usr/bin/env bash
# Benchmark of `advise batch` (docs/benchmarks.md, section "batch").
#
#   bench/batch_bench.sh [COUNT] [RUNS]        defaults: 100000 profiles, 5 runs
#
# Builds `advise` and `batch_bench` in Release (build-bench/), generates
# COUNT profiles with a fixed seed (bench/gen_profiles.py), then
#   1. times `advise batch` on one thread and with --jobs 0 (every core), RUNS
#      times each, output to /dev/null, and prints the median and lines/s;
#      then the same with --rules-once (rule metadata once per batch, batch
#      format 2), runs of the two formats interleaved, with the ratio of
#      their medians and the bytes per record of each;
#   2. runs batch_bench, which times each phase on one thread (JSON
#      parsing, validation, inference, report, JSON rendering) and prints the
#      share of each.
# Environment: BUILD (default build-bench), SEED (default 20261129), JOBS for
# the build (default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-100000}
runs=${2:-5}
build=${BUILD:-$root/build-bench}
seed=${SEED:-20261129}
cd "$root"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DADVISE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target advise batch_bench >/dev/null
advise="$build/app/advise"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_profiles.py "$count" "$seed" >"$tmp/profiles.jsonl"
lines=$(wc -l <"$tmp/profiles.jsonl")
echo "machine: $(nproc) cores, $(uname -sr); $lines profiles, $(wc -c <"$tmp/profiles.jsonl") bytes, seed $seed"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet -- app kb engine dsl || echo ' (with uncommitted changes)')"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

TIMEFORMAT='%R %U %S'
for jobs in 1 0; do
  declare -A wall_of=() cpu_of=()
  for ((r = 0; r < runs; r++)); do
    for mode in default rules-once; do
      flag=()
      [ "$mode" = rules-once ] && flag=(--rules-once)
      code=0
      { time "$advise" batch --no-timing --jobs "$jobs" "${flag[@]}" "$tmp/profiles.jsonl" >/dev/null 2>"$tmp/err" || code=$?; } 2>"$tmp/time"
      if [ "$code" -gt 1 ]; then cat "$tmp/err"; exit 2; fi
      read -r wall user sys <"$tmp/time"
      wall_of[$mode]+="$wall "
      cpu_of[$mode]+="$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}') "
    done
  done
  declare -A med=()
  for mode in default rules-once; do
    m=$(printf '%s\n' ${wall_of[$mode]} | median)
    c=$(printf '%s\n' ${cpu_of[$mode]} | median)
    med[$mode]=$m
    flag=""
    [ "$mode" = rules-once ] && flag=" --rules-once"
    echo "advise batch --jobs $jobs$flag: median $m s wall over $runs runs (${wall_of[$mode]% }), $c s CPU;" \
      "$(awk -v n="$lines" -v t="$m" 'BEGIN {printf "%.0f", n / t}') lines/s; $(tail -1 "$tmp/err")"
  done
  echo "  --rules-once / default, lines/s: $(awk -v a="${med[default]}" -v b="${med[rules-once]}" 'BEGIN {printf "%.2f", a / b}')x"
  unset wall_of cpu_of med
done
for mode in default rules-once; do
  flag=()
  [ "$mode" = rules-once ] && flag=(--rules-once)
  "$advise" batch --no-timing "${flag[@]}" "$tmp/profiles.jsonl" >"$tmp/out" 2>/dev/null || true
  echo "output ($mode): $(wc -c <"$tmp/out") bytes, $(awk -v b="$(wc -c <"$tmp/out")" -v n="$lines" 'BEGIN {printf "%.0f", b / n}') bytes per line"
done

echo "phases on one thread (batch_bench, median of $runs runs):"
"$build/bench/batch_bench" "$root/kb" "$root/rules" "$tmp/profiles.jsonl" "$runs"
