#!/usr/bin/env bash
# Run one classic benchmark case (Manners, Waltz, WaltzDB) on Advise.
#
#   bench/classic/run.sh CASE [--answer]
#
# CASE is manners_N, waltz_N or waltzdb_N. The program is
# bench/classic/{manners,waltz,waltzdb}.rules (each declares the strategy it
# needs: `strategy depth`, CLIPS's default); the facts are
# $ADVISE_SHARED/bench/data/CASE.fct (the shared folder is found as
# clips/run.sh finds it), or bench/classic/data/CASE.fct for the small cases
# kept in the repository. The driver is $ADVISE_BUILD/bench/classic_main
# (ADVISE_BUILD defaults to <repo>/build).
#
# Standard output: the format of expected/CASE.rules (`TOTAL N`, then
# `rule count` sorted by name; a `-` of CLIPS's rule names is `_` here), or
# with --answer the format of expected/CASE.answer. Standard error:
# `run-phase S s` (the evaluation) and `peak-rss K KiB` (the process).
# Exit status: 0, 1 when the evaluation stopped at a limit, 2 on bad usage.
set -euo pipefail

usage() { echo "usage: $0 CASE [--answer]   (CASE: manners_N, waltz_N, waltzdb_N)" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
case_name=$1
extra=()
if [[ $# -eq 2 ]]; then
  [[ $2 == --answer ]] || usage
  extra=(--answer)
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/shared.sh"

case $case_name in
  waltzdb_*) program=waltzdb ;;
  waltz_*) program=waltz ;;
  manners_*) program=manners ;;
  *) echo "run.sh: unknown case \`$case_name\` (expected manners_N, waltz_N or waltzdb_N)" >&2; exit 2 ;;
esac
facts=$(case_file data "$case_name.fct") || {
  echo "run.sh: no data file for \`$case_name\` in \`$shared/bench/data\` nor in \`$here/data\` (set ADVISE_SHARED to the shared folder)" >&2
  exit 2
}
driver=${ADVISE_BUILD:-$root/build}/bench/classic_main
[[ -x $driver ]] || { echo "run.sh: no driver \`$driver\` (cmake --build build --target classic_main, or set ADVISE_BUILD)" >&2; exit 2; }
exec "$driver" "$here/$program.rules" "$facts" "${extra[@]}"
