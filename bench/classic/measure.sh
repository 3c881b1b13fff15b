#!/usr/bin/env bash
# Run-phase instruction counts of Advise on classic benchmark cases, with
# callgrind: only Engine::evaluate (asserting the facts and running to
# quiescence) is counted, not loading the knowledge base, the rules or the
# facts file. Compare with clips/measure.sh (CLIPS's EnvRun).
#
#   bench/classic/measure.sh CASE...          # one line per case: `CASE N instructions`
#   KEEP=DIR bench/classic/measure.sh CASE... # keeps DIR/callgrind.out.CASE for callgrind_annotate
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/shared.sh"
command -v valgrind >/dev/null || { echo "measure.sh: \`valgrind\` is not installed" >&2; exit 2; }
[[ $# -ge 1 ]] || { echo "usage: $0 CASE..." >&2; exit 2; }
driver=${ADVISE_BUILD:-$root/build}/bench/classic_main
out=${KEEP:-$(mktemp -d)}
mkdir -p "$out"
for c in "$@"; do
  case $c in waltzdb_*) p=waltzdb ;; waltz_*) p=waltz ;; manners_*) p=manners ;; *) echo "measure.sh: unknown case $c" >&2; exit 2 ;; esac
  facts=$(case_file data "$c.fct") || { echo "measure.sh: no data for $c" >&2; exit 2; }
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.$c" --toggle-collect='advise::Engine::evaluate*' \
    "$driver" "$here/$p.rules" "$facts" >/dev/null 2>"$out/log.$c"
  awk -v c="$c" '/Collected :/ { printf "%s %s instructions\n", c, $4 }' "$out/log.$c"
done
[[ -n ${KEEP:-} ]] || rm -rf "$out"
