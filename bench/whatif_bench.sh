#!/usr/bin/env bash
# Benchmark of `advise what-if` (docs/benchmarks.md, section "what-if").
#
#   bench/whatif_bench.sh [RUNS]        default: 5 runs of each query
#
# Builds `advise` and `whatif_bench` in Release (build-bench/), then
#   1. times the whole process `advise what-if GOAL PROFILE` for every example
#      profile and five goals, RUNS times each, and prints the median and the
#      largest of the per-query medians of its CPU time (user + system: what
#      the query costs, whatever else the machine runs) and of its wall time,
#      with the evaluations each made (from the JSON answer);
#   2. runs whatif_bench: the same queries in one process, rules loaded once.
# Environment: BUILD (default build-bench), JOBS for the build (default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
build=${BUILD:-$root/build-bench}
cd "$root"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DADVISE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target advise whatif_bench >/dev/null
advise="$build/app/advise"
echo "machine: $(nproc) cores, $(uname -sr)"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet -- app kb engine dsl || echo ' (with uncommitted changes)')"

TIMEFORMAT='%R %U %S'
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

goals="strategy=single strategy=dual research_year=not_needed step2ck_plan=take_when_ready dual_application"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in examples/profiles/*.json; do
  for g in $goals; do
    for ((r = 0; r < runs; r++)); do
      # wall and CPU (user + system) seconds of the whole process
      { time "$advise" what-if "$g" "$p" >/dev/null 2>&1 || true; } 2>>"$tmp/t"
    done
    awk '{print $1 * 1e6}' "$tmp/t" | median >>"$tmp/medians"
    awk '{print ($2 + $3) * 1e6}' "$tmp/t" | median >>"$tmp/cpu"
    rm "$tmp/t"
    "$advise" what-if --format json "$g" "$p" | python3 -c 'import json,sys; print(json.load(sys.stdin)["evaluations"])' >>"$tmp/evals" || true
  done
done
n=$(wc -l <"$tmp/medians")
echo "$n queries, whole process (advise what-if GOAL PROFILE), median of $runs runs each:"
echo "  CPU time per query (user + system): median $(median <"$tmp/cpu" | awk '{printf "%.1f", $1/1000}') ms, max $(sort -g "$tmp/cpu" | tail -1 | awk '{printf "%.1f", $1/1000}') ms"
echo "  wall time per query: median $(median <"$tmp/medians" | awk '{printf "%.1f", $1/1000}') ms, max $(sort -g "$tmp/medians" | tail -1 | awk '{printf "%.1f", $1/1000}') ms"
echo "  evaluations per query: median $(median <"$tmp/evals"), max $(sort -g "$tmp/evals" | tail -1)"
"$build/bench/whatif_bench" "$runs"
