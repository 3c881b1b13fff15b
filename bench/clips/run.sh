#!/usr/bin/env bash
# Advise against CLIPS 6.30 on the same 13 rules (issue 19): class_of_target
# and the Step 5.1 strategy rules, bench/clips/strategy.rules and
# bench/clips/strategy.clp, over the same profiles.
#
#   bench/clips/run.sh [COUNT] [RUNS]      # defaults 10000 profiles, 5 runs
#
# From the repository root, with `clips` installed and advise built
# (ADVISE=path, default build/app/advise). Generates COUNT profiles
# (bench/gen_profiles.py, seed 20261129), adds bench/clips/extra.jsonl (cases
# the generator never makes: a single application, failures, missing
# fields), keeps those Advise accepts, writes them as CLIPS facts, checks
# that both programs reach the same strategy by the same rules for every
# profile (bench/clips/canonical.py), then times each whole process RUNS times,
# alternately, and prints the medians:
#   advise batch --no-timing --rules bench/clips/strategy.rules P.jsonl > /dev/null
#   clips -f2 RUN.clp > /dev/null   (load strategy.clp, load-facts, run, exit)
set -euo pipefail
count=${1:-10000}
runs=${2:-5}
advise=${ADVISE:-build/app/advise}
export ADVISE_HOME=${ADVISE_HOME:-$PWD}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 bench/gen_profiles.py "$count" 20261129 > "$tmp/all.jsonl" 2>/dev/null
cat bench/clips/extra.jsonl >> "$tmp/all.jsonl"
"$advise" batch --no-timing --rules bench/clips/strategy.rules "$tmp/all.jsonl" 2>/dev/null |
  python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for l in sys.stdin:
    r = json.loads(l)
    if "conclusions" in r:
        print(lines[r["line"] - 1])' "$tmp/all.jsonl" > "$tmp/p.jsonl" || true
n=$(wc -l < "$tmp/p.jsonl")
python3 bench/clips/to_facts.py kb < "$tmp/p.jsonl" > "$tmp/p.fct"
cat > "$tmp/run.clp" <<CLP
(load "bench/clips/strategy.clp")
(load-facts "$tmp/p.fct")
(run)
(exit)
CLP

"$advise" batch --no-timing --rules bench/clips/strategy.rules "$tmp/p.jsonl" > "$tmp/advise.jsonl" 2>/dev/null || true
clips -f2 "$tmp/run.clp" > "$tmp/clips.out"
python3 bench/clips/canonical.py advise < "$tmp/advise.jsonl" > "$tmp/advise.txt"
python3 bench/clips/canonical.py clips "$n" < "$tmp/clips.out" > "$tmp/clips.txt"
if ! cmp -s "$tmp/advise.txt" "$tmp/clips.txt"; then
  echo "DIFFERENT: Advise and CLIPS do not conclude the same" >&2
  diff "$tmp/advise.txt" "$tmp/clips.txt" | head -20 >&2
  exit 1
fi
echo "$n profiles: Advise and CLIPS reach the same strategy by the same rules for every one"
echo "rules fired (both): $(cut -d' ' -f3 "$tmp/advise.txt" | sed 's/rules=//' | tr ',' '\n' | grep -c . ) firings"

python3 - "$runs" "$advise" "$tmp" <<'PY'
import statistics, subprocess, sys, time
runs, advise, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cmds = {
    "advise": [advise, "batch", "--no-timing", "--rules", "bench/clips/strategy.rules", f"{tmp}/p.jsonl"],
    "clips": ["clips", "-f2", f"{tmp}/run.clp"],
}
times = {k: [] for k in cmds}
for _ in range(runs):
    for k, c in cmds.items():
        t = time.perf_counter()
        subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[k].append(time.perf_counter() - t)
for k in cmds:
    print(f"{k}: median {statistics.median(times[k]):.3f} s ({' · '.join(f'{x:.3f}' for x in times[k])})")
print(f"advise / clips: {statistics.median(times['advise']) / statistics.median(times['clips']):.2f}x")
PY
