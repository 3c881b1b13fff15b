#!/usr/bin/env bash
# Run one classic benchmark case under CLIPS 6.30 (Debian's `clips`).
#
#   bench/classic/clips/run.sh CASE [--answer | --quiet]
#
# CASE is manners_N, waltz_N or waltzdb_N; the facts are read from
# $ADVISE_SHARED/bench/data/CASE.fct (ADVISE_SHARED defaults to the `shared`
# folder next to the repository root, i.e. <root>/../shared, or next to the
# main checkout when run from a git worktree).
#
# Output on stdout:
#   (default)  the format of expected/CASE.rules: `TOTAL N`, then `rule count`
#              for every rule that fired, sorted by name (counted from the
#              `(watch rules)` trace by awk, so the rules carry no counters)
#   --answer   the format of expected/CASE.answer (no watch trace)
#   --quiet    `TOTAL N` only, from (watch statistics): no per-rule trace, so
#              the run phase is not slowed down by printing (use it for timing)
# On stderr: `run-phase S s` (CPU seconds spent in (run), from CLIPS's (time))
# and, when GNU time is installed, `peak-rss K KiB` (the whole clips process).
#
# Exit status: 0 on success, 2 on bad usage or a missing file, 1 if CLIPS
# printed something unexpected (an error).
set -euo pipefail

usage() { echo "usage: $0 CASE [--answer|--quiet]   (CASE: manners_N, waltz_N, waltzdb_N)" >&2; exit 2; }

[[ $# -ge 1 && $# -le 2 ]] || usage
case_name=$1
mode=rules
if [[ $# -eq 2 ]]; then
  case $2 in
    --answer) mode=answer ;;
    --quiet) mode=quiet ;;
    *) usage ;;
  esac
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
# In a git worktree (e.g. /work/wt/BRANCH) the shared folder sits next to the
# main checkout, not next to the worktree: fall back to that.
shared=${ADVISE_SHARED:-}
if [[ -z $shared ]]; then
  shared=$root/../shared
  if [[ ! -d $shared ]] && common=$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
    shared=$(dirname "$common")/../shared
  fi
fi

case $case_name in
  waltzdb_*) program=waltzdb ;;
  waltz_*) program=waltz ;;
  manners_*) program=manners ;;
  *) echo "run.sh: unknown case \`$case_name\` (expected manners_N, waltz_N or waltzdb_N)" >&2; exit 2 ;;
esac
facts=$shared/bench/data/$case_name.fct
[[ -f $facts ]] || { echo "run.sh: no data file \`$facts\` (set ADVISE_SHARED to the shared folder)" >&2; exit 2; }
command -v clips >/dev/null || { echo "run.sh: \`clips\` is not installed (apt-get install clips)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The batch file: load the program, load the facts, run, report the run time.
# Every line the driver prints starts with `@@` so that it can be told apart
# from the watch trace and from CLIPS's own messages.
{
  echo "(load* \"$here/$program.clp\")"
  echo "(reset)"
  echo "(if (not (load-facts \"$facts\")) then (printout t \"@@ERROR load-facts\" crlf))"
  case $mode in
    rules) echo "(watch rules)" ;;
    # Manners prints its seating while it runs, to ?*output*; the others
    # print theirs from bench-answer after (run).
    answer) [[ $program == manners ]] && echo "(bind ?*output* t)" ;;
    quiet) echo "(watch statistics)" ;;
  esac
  # (run) itself, between two readings of the clock.  These are top-level
  # commands: a (halt) in a rule would abort a deffunction wrapping (run).
  echo "(defglobal ?*bench-t0* = 0.0)"
  echo "(bind ?*bench-t0* (time))"
  echo "(run)"
  echo "(printout t \"@@RUNTIME \" (- (time) ?*bench-t0*) crlf)"
  if [[ $mode == answer ]]; then
    echo "(bench-answer)"
  fi
  echo "(exit)"
} >"$tmp/run.bat"

# Peak memory (maximum resident set size of the clips process, loading
# included) comes from GNU time when it is installed.
if [[ -x /usr/bin/time ]]; then
  /usr/bin/time -f '%M' -o "$tmp/rss" clips -f2 "$tmp/run.bat" >"$tmp/out" 2>&1 || true
else
  clips -f2 "$tmp/run.bat" >"$tmp/out" 2>&1 || true
fi

# Anything that is neither a trace line, an answer line nor a driver line
# is an error message from CLIPS.  (With rules watched, CLIPS notes the
# (halt) of the last rule with PRCCODE4: that one is expected.)
expected_lines='^(FIRE |@@RUNTIME |SEAT |EDGE |EDGE_LABEL |\[PRCCODE4\] Execution halted during the actions of defrule)'
# (watch statistics) prints these after (run).
expected_lines+='|^[0-9]+ rules fired|^[0-9.]+ (rules per second|mean number of)|^Run time is'
if grep -v -E "$expected_lines" "$tmp/out" | grep -q .; then
  echo "run.sh: unexpected output from clips on $case_name:" >&2
  grep -v -E "$expected_lines" "$tmp/out" | head -20 >&2
  exit 1
fi
grep -q '^@@RUNTIME ' "$tmp/out" || { echo "run.sh: clips did not finish $case_name" >&2; exit 1; }

awk '/^@@RUNTIME / { printf "run-phase %.3f s\n", $2 }' "$tmp/out" >&2
if [[ -s $tmp/rss ]]; then
  awk 'END { printf "peak-rss %d KiB\n", $1 }' "$tmp/rss" >&2
fi

case $mode in
  rules)
    awk '$1 == "FIRE" { name = $3; sub(/:$/, "", name); n[name]++; total++ }
         END { print "TOTAL", total + 0; for (r in n) print r, n[r] | "LC_ALL=C sort" }' "$tmp/out"
    ;;
  quiet)
    awk '/^[0-9]+ rules fired/ { print "TOTAL", $1 }' "$tmp/out"
    ;;
  answer)
    case $program in
      manners) grep '^SEAT ' "$tmp/out" | LC_ALL=C sort -k2,2n ;;
      waltz) grep '^EDGE ' "$tmp/out" | LC_ALL=C sort -k2,2n -k3,3n ;;
      waltzdb) grep '^EDGE_LABEL ' "$tmp/out" | LC_ALL=C sort -k2,2n -k3,3n -k5,5n ;;
    esac
    ;;
esac
