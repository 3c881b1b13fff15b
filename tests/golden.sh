#!/usr/bin/env bash
# Golden tests: run the real `advise` over committed inputs and compare what
# users see (stdout, stderr, exit code) with committed expectations.
#
#   tests/golden.sh [--advise PATH] [--update] [FILTER]
#
# Layout (all paths relative to the repository root, where the tests run):
#   tests/golden/<suite>/<name>.cmd     the arguments, one shell line (no `advise`)
#   tests/golden/<suite>/<name>.stdin   optional standard input
#   tests/golden/<suite>/<name>.stdout  optional: a path standard output goes to
#                                       instead (e.g. /dev/full); .out is then empty
#   tests/golden/<suite>/<name>.setup   optional shell script run first (from the
#                                       root) to make inputs too large to commit,
#                                       in tests/golden/.tmp/ (removed at the end)
#   tests/golden/check/<name>.rules     shorthand: `advise check tests/golden/check/<name>.rules`
#   .../<name>.out  .err  .code         expected stdout, stderr and exit code
# --update rewrites the expectations from the current output; review the diff.
# The environment is fixed: NO_COLOR=1, ADVISE_HOME=<repo>, LC_ALL=C, and the start-up
# cache in a temporary folder (or $ADVISE_CACHE_DIR when set).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
advise="$root/build/app/advise"
update=0
filter=""
while [ $# -gt 0 ]; do
  case "$1" in
    --advise) advise="$2"; shift 2 ;;
    --update) update=1; shift ;;
    *) filter="$1"; shift ;;
  esac
done
cd "$root" || exit 2
export NO_COLOR=1 ADVISE_HOME="$root" LC_ALL=C
pass=0 fail=0 updated=0
tmp=$(mktemp -d)
# The start-up cache (docs/engine.md): a fresh folder of this run unless
# ADVISE_CACHE_DIR names one (tests/golden_cache.sh runs the suite twice
# over one folder); never the user's own cache.
export ADVISE_CACHE_DIR="${ADVISE_CACHE_DIR:-$tmp/cache}"
gen="tests/golden/.tmp"
trap 'rm -rf "$tmp" "$root/$gen"' EXIT

run_case() {  # base args...
  local base="$1"; shift
  local stdin=/dev/null
  [ -f "$base.stdin" ] && stdin="$base.stdin"
  if [ -f "$base.setup" ]; then
    mkdir -p "$gen"
    if ! bash "$base.setup"; then
      echo "FAIL $base (its .setup script failed)"; fail=$((fail+1)); return
    fi
  fi
  if [ -f "$base.stdout" ]; then
    "$advise" "$@" <"$stdin" >"$(cat "$base.stdout")" 2>"$tmp/err"
    echo $? >"$tmp/code"
    : >"$tmp/out"
  else
    "$advise" "$@" <"$stdin" >"$tmp/out" 2>"$tmp/err"
    echo $? >"$tmp/code"
  fi
  if [ $update = 1 ]; then
    for k in out err code; do
      if ! cmp -s "$tmp/$k" "$base.$k" 2>/dev/null; then cp "$tmp/$k" "$base.$k"; updated=$((updated+1)); fi
    done
    return
  fi
  local ok=1
  for k in out err code; do
    if [ ! -f "$base.$k" ]; then
      echo "MISSING $base.$k (run tests/golden.sh --update)"; ok=0
    elif ! cmp -s "$tmp/$k" "$base.$k"; then
      echo "FAIL $base ($k differs)"; diff -u "$base.$k" "$tmp/$k" | head -40; ok=0
    fi
  done
  if [ $ok = 1 ]; then pass=$((pass+1)); else fail=$((fail+1)); fi
}

while IFS= read -r -d '' cmd; do
  base="${cmd%.cmd}"
  case "$base" in *"$filter"*) ;; *) continue ;; esac
  eval "set -- $(cat "$cmd")"
  run_case "$base" "$@"
done < <(find tests/golden -name '*.cmd' -print0 | sort -z)

while IFS= read -r -d '' rules; do
  base="${rules%.rules}"
  case "$base" in *"$filter"*) ;; *) continue ;; esac
  [ -f "$base.cmd" ] && continue
  run_case "$base" check "$rules"
done < <(find tests/golden/check -maxdepth 1 -name '*.rules' -print0 | sort -z)

if [ $update = 1 ]; then
  echo "golden: $updated expectation file(s) rewritten; review with git diff"
  exit 0
fi
echo "golden: $pass passed, $fail failed"
[ $fail = 0 ]
