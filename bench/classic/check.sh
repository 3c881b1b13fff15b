#!/usr/bin/env bash
# Check classic benchmark cases on Advise against CLIPS's expected results.
#
#   bench/classic/check.sh [--clips] [CASE...]   (default: the small cases
#                                                 manners_8/16/32, waltz_12, waltzdb_4)
#
# One row per case: the TOTAL of firings; `rules`: every per-rule count equals
# expected/CASE.rules (CLIPS 6.30, depth; a `-` in CLIPS's rule names is `_`
# in Advise's); `answer`: the answer equals expected/CASE.answer byte for
# byte; `valid`: a Manners seating seats every guest once, neighbours
# (seats k and k+1) of opposite sex sharing a hobby; then run-phase seconds and
# peak memory of Advise and, with --clips and Debian's `clips` installed, of
# CLIPS (clips/run.sh --quiet). Exit status 1 when a case fails: per-rule counts
# differ, a Waltz or WaltzDB answer differs, or a Manners seating is invalid.
# Used by ctest (`classic-small`, tests/CMakeLists.txt); all.sh runs every case.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/shared.sh"
export ADVISE_SHARED=$shared

with_clips=0
if [[ ${1:-} == --clips ]]; then with_clips=1; shift; fi
if [[ $# -gt 0 ]]; then cases=("$@"); else cases=(manners_8 manners_16 manners_32 waltz_12 waltzdb_4); fi
if [[ $with_clips == 1 ]] && ! command -v clips >/dev/null; then
  echo "check.sh: \`clips\` is not installed: CLIPS columns left out (docs/benchmarks.md has its figures)" >&2
  with_clips=0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The per-rule lines with `-` read as `_`, in one order.
normal() { sed 's/-/_/g' "$1" | LC_ALL=C sort; }

valid_seating() {  # FACTS ANSWER -> yes | no
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
header=(case TOTAL rules answer valid run_s peak_KiB)
[[ $with_clips == 1 ]] && header+=(clips_s clips_KiB)
printf '%-12s %7s %5s %6s %5s %8s %9s' "${header[@]:0:7}"
[[ $with_clips == 1 ]] && printf ' %8s %9s' clips_s clips_KiB
printf '\n'
for c in "${cases[@]}"; do
  rules=no answer=no valid=- total=?
  expected_rules=$(case_file expected "$c.rules") || { echo "check.sh: no expected/$c.rules" >&2; exit 2; }
  expected_answer=$(case_file expected "$c.answer")
  if "$here/run.sh" "$c" >"$tmp/rules" 2>"$tmp/err"; then
    total=$(awk '$1 == "TOTAL" { print $2 }' "$tmp/rules")
    [[ "$(normal "$tmp/rules")" == "$(normal "$expected_rules")" ]] && rules=yes
  else
    sed 's/^/  /' "$tmp/err" >&2
  fi
  run_s=$(awk '$1 == "run-phase" { print $2 }' "$tmp/err")
  peak=$(awk '$1 == "peak-rss" { print $2 }' "$tmp/err")
  if "$here/run.sh" "$c" --answer >"$tmp/answer" 2>/dev/null; then
    cmp -s "$tmp/answer" "$expected_answer" && answer=yes
  fi
  ok=$rules
  case $c in
    manners_*) valid=$(valid_seating "$(case_file data "$c.fct")" "$tmp/answer"); [[ $valid == yes ]] || ok=no ;;
    *) [[ $answer == yes ]] || ok=no ;;
  esac
  [[ $ok == yes ]] || status=1
  printf '%-12s %7s %5s %6s %5s %8s %9s' "$c" "$total" "$rules" "$answer" "$valid" "${run_s:-?}" "${peak:-?}"
  if [[ $with_clips == 1 ]]; then
    "$here/clips/run.sh" "$c" --quiet >/dev/null 2>"$tmp/cerr" || true
    printf ' %8s %9s' "$(awk '$1 == "run-phase" { print $2 }' "$tmp/cerr")" "$(awk '$1 == "peak-rss" { print $2 }' "$tmp/cerr")"
  fi
  printf '\n'
done
exit $status
