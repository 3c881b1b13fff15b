#!/usr/bin/env bash
# Benchmark of the program list (docs/benchmarks.md, section "The program
# list"): one profile against a 10,000-program catalog, the whole process.
#
#   bench/program_list_bench.sh [RUNS] [COUNT]   default: 11 runs, 10000 programs
#
# Generates the catalog with scripts/gen_catalog.py (FICTITIOUS programs, not
# committed: too large) into a temporary folder, then times
#   advise --catalog CATALOG PROFILE --format json -o OUT
# RUNS times and prints the median and the largest CPU time (user + system:
# what the run costs, whatever else the machine runs) and wall time.
# Environment: ADVISE (default build/app/advise), PROFILE (default
# tests/cases/program_list/applicant.json), BASELINE (another advise binary:
# its runs alternate with ADVISE's, the same catalog and profile, and its
# output must be byte-identical).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-11}
count=${2:-10000}
advise=${ADVISE:-$root/build/app/advise}
baseline=${BASELINE:-}
profile=${PROFILE:-$root/tests/cases/program_list/applicant.json}
cd "$root"
export ADVISE_HOME="$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 scripts/gen_catalog.py --count "$count" --out "$tmp/catalog.csv" >/dev/null
echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD)"
echo "catalog: $count fictitious programs ($(wc -c < "$tmp/catalog.csv") bytes); profile: ${profile#$root/}"
TIMEFORMAT='%R %U %S'
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
bins=("$advise")
[ -n "$baseline" ] && bins+=("$baseline")
for b in "${bins[@]}"; do  # a first run each: caches warm, outputs kept
  "$b" --catalog "$tmp/catalog.csv" "$profile" --format json -o "$tmp/warm.json"
done
for i in "${!bins[@]}"; do : > "$tmp/times.$i"; done
for _ in $(seq "$runs"); do
  for i in "${!bins[@]}"; do
    { time "${bins[$i]}" --catalog "$tmp/catalog.csv" "$profile" --format json -o "$tmp/out.json" ; } 2>> "$tmp/times.$i"
  done
done
for i in "${!bins[@]}"; do
  echo "== ${bins[$i]}"
  "${bins[$i]}" --catalog "$tmp/catalog.csv" "$profile" --format json -o "$tmp/out.$i.json"
  cpu=$(awk '{printf "%.3f\n", $2 + $3}' "$tmp/times.$i")
  wall=$(awk '{print $1}' "$tmp/times.$i")
  echo "listed: $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['conclusions']['program_list']))" "$tmp/out.$i.json") programs"
  echo "cpu  s: median $(echo "$cpu" | median), min $(echo "$cpu" | sort -g | head -1), max $(echo "$cpu" | sort -g | tail -1)"
  echo "wall s: median $(echo "$wall" | median), min $(echo "$wall" | sort -g | head -1), max $(echo "$wall" | sort -g | tail -1)"
done
if [ -n "$baseline" ]; then
  cmp -s "$tmp/out.0.json" "$tmp/out.1.json" && echo "outputs: byte-identical" || echo "outputs: DIFFER"
fi
