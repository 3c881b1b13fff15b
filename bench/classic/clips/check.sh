#!/usr/bin/env bash
# Run every classic benchmark case under CLIPS and compare with the expected
# results in $ADVISE_SHARED/bench/expected (see run.sh for how the shared
# folder is found).
#
#   bench/classic/clips/check.sh [CASE...]      (default: all 13 cases)
#
# Prints one row per case: the TOTAL of rule firings, whether the per-rule
# counts equal expected/CASE.rules, whether the answer equals
# expected/CASE.answer, whether a Manners seating is valid (every guest
# seated once; neighbours of opposite sex sharing a hobby), the run-phase
# time (with the watch trace on) and the peak memory of the clips process.  Exit status 1 if any case does not match.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
shared=${ADVISE_SHARED:-}
if [[ -z $shared ]]; then
  shared=$root/../shared
  if [[ ! -d $shared ]] && common=$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
    shared=$(dirname "$common")/../shared
  fi
fi
export ADVISE_SHARED=$shared
expected=$shared/bench/expected

if [[ $# -gt 0 ]]; then
  cases=("$@")
else
  cases=(manners_8 manners_16 manners_32 manners_64 manners_128
         waltz_12 waltz_25 waltz_37 waltz_50
         waltzdb_4 waltzdb_8 waltzdb_12 waltzdb_16)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# valid_seating FACTS ANSWER: yes if the SEAT lines seat every guest of FACTS
# exactly once in seats 1..N, and each guest's right-hand neighbour is of the
# other sex and shares a hobby (seats in a row, as in the OPS5 program: the
# last seat and the first are not neighbours).
valid_seating() {
  awk '
    FNR == NR {
      if ($1 == "(guest") {
        name = $3; sub(/\)$/, "", name); sex = $5; sub(/\)$/, "", sex)
        hobby = $7; sub(/\)+$/, "", hobby)
        if (!(name in sexof)) guests++
        sexof[name] = sex; has[name, hobby] = 1; hobbies[hobby] = 1
      }
      next
    }
    $1 == "SEAT" { seat[$2] = $3; seated[$3]++; n++ }
    END {
      ok = (n == guests)
      for (g in sexof) if (seated[g] != 1) ok = 0
      for (s = 1; s < n && ok; s++) {
        a = seat[s]; b = seat[s + 1]
        if (!(a in sexof) || !(b in sexof) || sexof[a] == sexof[b]) { ok = 0; break }
        share = 0
        for (h in hobbies) if (((a, h) in has) && ((b, h) in has)) share = 1
        if (!share) ok = 0
      }
      print (ok ? "yes" : "no")
    }' "$1" "$2"
}

status=0
printf '%-12s %8s %6s %6s %6s %9s %9s\n' case TOTAL rules answer valid run_s peak_KiB
for c in "${cases[@]}"; do
  rules=no answer=no valid=-
  total=?
  if "$here/run.sh" "$c" >"$tmp/rules" 2>"$tmp/err"; then
    total=$(awk '$1 == "TOTAL" { print $2 }' "$tmp/rules")
    cmp -s "$tmp/rules" "$expected/$c.rules" && rules=yes
  fi
  run_s=$(awk '$1 == "run-phase" { print $2 }' "$tmp/err")
  peak=$(awk '$1 == "peak-rss" { print $2 }' "$tmp/err")
  if "$here/run.sh" "$c" --answer >"$tmp/answer" 2>/dev/null; then
    cmp -s "$tmp/answer" "$expected/$c.answer" && answer=yes
    if [[ $c == manners_* ]]; then
      valid=$(valid_seating "$shared/bench/data/$c.fct" "$tmp/answer")
    fi
  fi
  printf '%-12s %8s %6s %6s %6s %9s %9s\n' "$c" "$total" "$rules" "$answer" "$valid" "${run_s:-?}" "${peak:--}"
  # Manners answers are only required to be valid; the rest must be identical.
  if [[ $rules != yes ]]; then status=1; fi
  if [[ $c == manners_* ]]; then
    [[ $valid == yes ]] || status=1
  else
    [[ $answer == yes ]] || status=1
  fi
  if [[ -s $tmp/err ]] && grep -v -E '^(run-phase|peak-rss) ' "$tmp/err" | grep -q .; then
    grep -v -E '^(run-phase|peak-rss) ' "$tmp/err" | sed "s/^/  $c: /" >&2
  fi
done
exit $status
