#!/usr/bin/env bash
# Benchmark of the program list (docs/benchmarks.md, section "The program
# list"): one profile against a 10,000-program catalog, the whole process.
#
#   bench/program_list_bench.sh [RUNS] [COUNT]   default: 11 runs, 10000 programs
#
# Generates the catalog with scripts/gen_catalog.py (FICTITIOUS programs, not
# committed: too large) into a temporary folder, then times
#   advise --catalog CATALOG PROFILE --format FORMAT > OUT
# (or `-o OUT`, which syncs the file to disk, with OUTPUT=file) RUNS times
# and prints the median, smallest and largest CPU time (user + system: what
# the run costs, whatever else the machine runs), system time, wall time and
# page faults (minor faults: on a virtual machine each 4 KiB one costs
# microseconds; app/heap.hpp).
# Environment: ADVISE (default build/app/advise), PROFILE (default
# tests/cases/program_list/applicant.json), FORMAT (default json), OUTPUT
# (stdout, the default, or file), BASELINE (another advise binary: its runs
# alternate with ADVISE's, the same catalog and profile, and its output must
# be byte-identical). Needs python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-11}
count=${2:-10000}
advise=${ADVISE:-$root/build/app/advise}
baseline=${BASELINE:-}
profile=${PROFILE:-$root/tests/cases/program_list/applicant.json}
format=${FORMAT:-json}
output=${OUTPUT:-stdout}
cd "$root"
export ADVISE_HOME="$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 scripts/gen_catalog.py --count "$count" --out "$tmp/catalog.csv" >/dev/null
echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD)"
echo "catalog: $count fictitious programs ($(wc -c < "$tmp/catalog.csv") bytes); profile: ${profile#$root/}"
bins=("$advise")
[ -n "$baseline" ] && bins+=("$baseline")
# The runs alternate between the binaries; each is timed with its own CPU
# time and minor faults (getrusage of the child), in milliseconds; the outputs are compared.
python3 - "$runs" "$tmp" "$profile" "$format" "$output" "${bins[@]}" <<'PY'
import json, os, resource, statistics, subprocess, sys, time
runs, tmp, profile, fmt, output = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
bins = sys.argv[6:]
def one(b, out):
    args = [b, "--catalog", f"{tmp}/catalog.csv", profile, "--format", fmt]
    if output == "file":
        subprocess.run(args + ["-o", out], check=True)
    else:
        with open(out, "w") as f:
            subprocess.run(args, stdout=f, check=True)
for i, b in enumerate(bins):  # a first run each: caches warm
    one(b, f"{tmp}/out.{i}")
rows = {i: [] for i in range(len(bins))}
for _ in range(runs):
    for i, b in enumerate(bins):
        r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        one(b, f"{tmp}/out.{i}")
        t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        user, system = (r1.ru_utime - r0.ru_utime) * 1000, (r1.ru_stime - r0.ru_stime) * 1000
        rows[i].append({"cpu": user + system, "sys": system, "wall": (t1 - t0) * 1000, "faults": r1.ru_minflt - r0.ru_minflt})
for i, b in enumerate(bins):
    subprocess.run([b, "--catalog", f"{tmp}/catalog.csv", profile, "--format", "json", "-o", f"{tmp}/list.{i}.json"], check=True)
    print(f"== {b}")
    print(f"listed: {len(json.load(open(f'{tmp}/list.{i}.json'))['conclusions']['program_list'])} programs")
    for col, unit in (("cpu", "ms"), ("sys", "ms"), ("wall", "ms"), ("faults", "")):
        v = [r[col] for r in rows[i]]
        print(f"{col:6s} median {statistics.median(v):.1f}{unit}, min {min(v):.1f}{unit}, max {max(v):.1f}{unit}")
PY
if [ -n "$baseline" ]; then
  cmp -s "$tmp/out.0" "$tmp/out.1" && echo "outputs: byte-identical" || echo "outputs: DIFFER"
fi
