#!/usr/bin/env bash
# Memory per rule (docs/benchmarks.md, "Memory of the rules"; docs/cli.md, "Limits").
#
#   bench/rules_memory.sh [ADVISE]        default: build/app/advise
#
# Generates two rule sets and prints the peak resident memory of
# `advise check`, `advise check --no-analysis` and `advise run` (the rules on
# examples/profiles/example.json) on each, and the bytes per rule above a
# one-rule set:
#   1. 100,000 distinct one-line rules of 62 bytes (`rule rN "d" source "s"
#      when step2ck > K then note "x" end`), no diagnostics;
#   2. a 16 MiB file (the largest allowed) of 578,524 one-line `if` rules of 29
#      bytes, each with a `missing-source` warning (the diagnostics are kept).
# Needs /usr/bin/time (GNU time) and python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
advise=${1:-$root/build/app/advise}
export ADVISE_HOME=${ADVISE_HOME:-$root}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

peak_kib() {  # peak RSS in KiB of `advise ARGS...`
  /usr/bin/time -v "$advise" "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'
}
profile=$root/examples/profiles/example.json

printf 'rule r0 "d" source "s" when step2ck > 1 then note "x" end\n' >"$tmp/one.rules"
python3 -c 'for i in range(100000): print(f"rule r{i} \"d\" source \"s\" when step2ck > {1 + i % 9} then note \"x\" end")' \
  >"$tmp/distinct.rules"
python3 -c 'import sys; sys.stdout.write("if step2ck > 5 then note \"x\"\n" * ((16 * 1024 * 1024) // 29))' >"$tmp/big.rules"

printf '%-30s %-22s %8s %10s %12s\n' "rule set" command rules "peak MiB" "bytes/rule"
for cmd in check check-no-analysis run; do
  case $cmd in
    check) args=(check) ;;
    check-no-analysis) args=(check --no-analysis) ;;
    run) args=(--rules) ;;
  esac
  tail=()
  [ "$cmd" = run ] && tail=("$profile")
  base=$(peak_kib "${args[@]}" "$tmp/one.rules" "${tail[@]}")
  for f in distinct big; do
    n=$(grep -c . "$tmp/$f.rules")
    kib=$(peak_kib "${args[@]}" "$tmp/$f.rules" "${tail[@]}")
    printf '%-30s %-22s %8d %10.0f %12.0f\n' "$f.rules ($(stat -c %s "$tmp/$f.rules") B)" "${args[*]}" "$n" \
      "$(echo "$kib / 1024" | bc -l)" "$(echo "($kib - $base) * 1024 / $n" | bc -l)"
  done
done
