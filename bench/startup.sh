#!/usr/bin/env bash
# Start-up cost of whole `advise` processes, in instructions (callgrind):
# docs/benchmarks.md, "Start-up cache".
#
#   bench/startup.sh [ADVISE] [RUNS] [BASE]
#
# ADVISE (default build/app/advise) is measured three ways, RUNS times each
# (default 3), and the median printed:
#   off   the start-up cache off (ADVISE_NO_CACHE=1): parse and check every time
#   cold  an empty cache folder: parse, check, and write the entry
#   warm  the entry written by a run before: read and validate it
# BASE, when given (a build of main, say), is measured as it runs by default
# (with its own cache, if it has one, in a fresh folder: cold), and the
# ratios BASE / warm are printed. Two commands: the text report of
# examples/profiles/example.json, and `advise test tests/cases` (also per
# case). ADVISE_HOME is the source tree. Needs valgrind.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
advise=${1:-$root/build/app/advise}
runs=${2:-3}
base=${3:-}
cd "$root"
export ADVISE_HOME="$root" NO_COLOR=1 LC_ALL=C
unset ADVISE_NO_CACHE ADVISE_CACHE_DIR
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cases=$(cat tests/cases/*.cases tests/cases/*/*.cases 2>/dev/null | grep -c '^case ' || true)

count() {  # instructions of one process
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$@" >/dev/null 2>"$tmp/vg" || true
  grep -o 'Collected : [0-9]*' "$tmp/vg" | awk '{print $3}'
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
measure() {  # MODE EXE ARGS...
  local mode=$1 exe=$2
  shift 2
  for _ in $(seq "$runs"); do
    rm -rf "$tmp/cache"
    case $mode in
      off) ADVISE_NO_CACHE=1 count "$exe" "$@" ;;
      cold) ADVISE_CACHE_DIR="$tmp/cache" count "$exe" "$@" ;;
      warm)
        ADVISE_CACHE_DIR="$tmp/cache" "$exe" "$@" >/dev/null 2>&1 || true
        ADVISE_CACHE_DIR="$tmp/cache" count "$exe" "$@" ;;
    esac
  done | median
}
mega() { awk -v n="$1" 'BEGIN {printf "%.2f M", n / 1e6}'; }

for cmd in "examples/profiles/example.json" "test tests/cases"; do
  # shellcheck disable=SC2206
  args=($cmd)
  off=$(measure off "$advise" "${args[@]}")
  cold=$(measure cold "$advise" "${args[@]}")
  warm=$(measure warm "$advise" "${args[@]}")
  echo "advise $cmd (median of $runs):"
  echo "  off   $(mega "$off")"
  echo "  cold  $(mega "$cold")"
  echo "  warm  $(mega "$warm")   off/warm $(awk -v a="$off" -v b="$warm" 'BEGIN {printf "%.2f", a / b}')x"
  if [ "$cmd" = "test tests/cases" ] && [ "$cases" -gt 0 ]; then
    echo "  warm per case ($cases cases): $(mega $((warm / cases)))"
  fi
  if [ -n "$base" ]; then
    b=$(measure cold "$base" "${args[@]}")
    echo "  base  $(mega "$b")   base/warm $(awk -v a="$b" -v c="$warm" 'BEGIN {printf "%.2f", a / c}')x"
  fi
done
