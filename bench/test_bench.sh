#!/usr/bin/env bash
# Benchmark of `advise test` (docs/benchmarks.md, section "advise test").
#
#   bench/test_bench.sh [COUNT] [RUNS]        defaults: 1000 cases, 5 runs
#
# Builds `advise` in Release (build-bench/), generates COUNT cases against the
# full knowledge base with a fixed seed: each an inline profile drawn over the
# schema and ten expectations of every form. `advise test --update` then
# writes the actual outcomes into them (setup, not timed), so that the timed
# runs check 10 x COUNT expectations that all hold. Times the whole process,
# `advise test CASES` and `advise test --coverage CASES`, RUNS times each,
# and prints the medians.
# Environment: BUILD (default build-bench), SEED (default 20261129), JOBS for
# the build (default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-1000}
runs=${2:-5}
build=${BUILD:-$root/build-bench}
seed=${SEED:-20261129}
cd "$root"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DADVISE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target advise >/dev/null
advise="$build/app/advise"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$count" "$seed" "$root" >"$tmp/bench.cases" <<'EOF'
import json, os, random, sys
count, seed, root = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
specialties = list(json.load(open(os.path.join(root, "kb", "specialties.json"))))
rotations = ["internal_medicine", "surgery", "pediatrics", "ob_gyn", "psychiatry", "family_medicine", "neurology"]
r = random.Random(seed)
print(f"# {count} generated cases (seed {seed}) for bench/test_bench.sh")
for i in range(count):
    p = {"citizenship": r.choices(["us_citizen", "permanent_resident", "visa_required"], [8, 1, 1])[0],
         "school_type": r.choices(["img", "us_md", "us_do"], [8, 1, 1])[0],
         "stage": r.choice(["ms1", "ms2", "ms3", "ms4", "graduate"]),
         "target_specialty": r.choice(specialties),
         "backup_specialties": r.sample(specialties, r.randint(0, 2))}
    if p["stage"] in ("ms3", "ms4", "graduate"):
        p["step1"] = r.choices(["pass", "fail"], [12, 1])[0]
        p["step1_attempts"] = 1 if r.random() < 0.9 else 2
        if r.random() < 0.75:
            p["step2ck"] = max(1, min(300, int(r.gauss(245, 12))))
            p["step2ck_attempts"] = 1
        p["core_rotations_done"] = r.sample(rotations, r.randint(2, 7))
        p["core_honors"] = r.sample(p["core_rotations_done"], r.randint(0, 2))
    p["publications"] = r.randint(0, 6)
    p["research_months_us"] = r.choice([0, 0, 6, 12, 24])
    p["us_letters_in_specialty"] = r.randint(0, 3)
    p["programs_know_you"] = r.randint(0, 4)
    p["research_year_possible"] = r.random() < 0.5
    p["risk_tolerance"] = r.choice(["low", "medium", "high"])
    p["match_status"] = r.choices(["preparing", "applying", "unmatched", "matched_backup"], [6, 3, 1, 1])[0]
    t = p["target_specialty"]
    print(f'\ncase "generated {i + 1}: {t}"')
    print(f"  profile {json.dumps(p)}")
    # Placeholders of every form; --update writes the actual outcomes in.
    print("  expect specialty_class == ultra")
    print("  expect strategy == single")
    print("  expect research_year == not_needed")
    print("  expect step2ck_plan == done")
    print(f"  expect applications[{t}] == 1..2")
    print("  expect backup_specialties contains internal_medicine")
    print("  expect red_flags contains step1_failure")
    print("  expect recommended dual_application")
    print("  expect fired class_of_target")
    print("  expect strategy explained by single_when_exceptional")
    print("end")
EOF

code=0
"$advise" test --update "$tmp/bench.cases" >"$tmp/update.out" 2>&1 || code=$?
if [ "$code" -gt 1 ]; then cat "$tmp/update.out"; exit 2; fi
if ! "$advise" test "$tmp/bench.cases" >"$tmp/check.out" 2>&1; then
  echo "after --update, some generated cases still fail:"; head -40 "$tmp/check.out"; exit 2
fi
echo "machine: $(nproc) cores, $(uname -sr); $(tail -1 "$tmp/check.out")"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet -- app kb engine dsl rules || echo ' (with uncommitted changes)')"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

TIMEFORMAT='%R %U %S'
for args in "" "--coverage"; do
  walls=() cpus=()
  for ((i = 0; i < runs; i++)); do
    # shellcheck disable=SC2086
    { time "$advise" test $args "$tmp/bench.cases" >/dev/null 2>&1; } 2>"$tmp/time"
    read -r wall user sys <"$tmp/time"
    walls+=("$wall")
    cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')")
  done
  m=$(printf '%s\n' "${walls[@]}" | median)
  c=$(printf '%s\n' "${cpus[@]}" | median)
  echo "advise test ${args:+$args }($count cases): median $m s wall over $runs runs (${walls[*]}), $c s CPU"
done
