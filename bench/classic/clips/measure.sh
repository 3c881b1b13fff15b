#!/usr/bin/env bash
# Count CLIPS's run-phase instructions for classic benchmark cases with
# callgrind.
#
#   bench/classic/clips/measure.sh CASE...
#
# CLIPS loads the program and the facts, then runs with nothing watched; the
# count covers EnvRun only (callgrind --toggle-collect=EnvRun), i.e. the
# (run) command: matching, agenda and rule actions, not parsing or loading.
# Prints `case instructions` per case (instructions in millions).
# Callgrind is slow (about 50x): manners_128 takes several minutes.
# Set KEEP=DIR to keep the callgrind.out files there (for callgrind_annotate).
set -euo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 CASE..." >&2; exit 2; }
command -v valgrind >/dev/null || { echo "measure.sh: valgrind is not installed" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
shared=${ADVISE_SHARED:-}
if [[ -z $shared ]]; then
  shared=$root/../shared
  if [[ ! -d $shared ]] && common=$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
    shared=$(dirname "$common")/../shared
  fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
outdir=${KEEP:-$tmp}
mkdir -p "$outdir"

for c in "$@"; do
  case $c in
    waltzdb_*) program=waltzdb ;;
    waltz_*) program=waltz ;;
    manners_*) program=manners ;;
    *) echo "measure.sh: unknown case \`$c\`" >&2; exit 2 ;;
  esac
  facts=$shared/bench/data/$c.fct
  [[ -f $facts ]] || { echo "measure.sh: no data file \`$facts\`" >&2; exit 2; }
  cat >"$tmp/run.bat" <<EOF
(load* "$here/$program.clp")
(reset)
(load-facts "$facts")
(run)
(exit)
EOF
  out=$outdir/callgrind.out.$c
  valgrind --tool=callgrind --toggle-collect=EnvRun --callgrind-out-file="$out" \
    clips -f2 "$tmp/run.bat" >"$tmp/stdout" 2>"$tmp/stderr"
  # The `summary:` line of the output file totals the collected events (Ir).
  ir=$(awk '$1 == "summary:" { print $2 }' "$out")
  awk -v c="$c" -v ir="$ir" 'BEGIN { printf "%-12s %10.1f M\n", c, ir / 1e6 }'
done
