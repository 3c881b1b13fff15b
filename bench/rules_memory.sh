#!/usr/bin/env bash
# Memory per rule (docs/benchmarks.md, "Memory of the rules"; docs/cli.md, "Limits").
#
#   bench/rules_memory.sh [ADVISE]        default: build/app/advise
#
# Generates three rule sets and prints the peak resident memory of
# `advise check`, `advise check --no-analysis` and `advise run` (the rules on
# examples/profiles/example.json) on each, and the bytes per rule above a
# one-rule set:
#   1. 100,000 distinct one-line rules of 62 bytes (`rule rN "d" source "s"
#      when step2ck > K then note "x" end`), no diagnostics;
#   2. a 16 MiB file (the largest allowed) of 578,524 one-line `if` rules of 29
#      bytes, each with a `missing-source` warning (the diagnostics are kept);
#   3. the guide's own rules (rules/) copied COPIES times (default 300: 47,700
#      rules, 32 MB in 3,002 files; each copy's rules renamed), the constants
#      declared once, first: rules as advisors write them (about 670 bytes of
#      text a rule, comments included).
#   4. for scale, CLIPS on rule set 1 written as CLIPS rules (when `clips` is
#      installed).
# Needs /usr/bin/time (GNU time) and python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
advise=${1:-$root/build/app/advise}
export ADVISE_HOME=${ADVISE_HOME:-$root}
# Without the start-up cache: two binaries measured in turn would each miss
# it and rewrite it. A run that misses (the first after the rules change)
# holds the cache's encoding too while writing it: 16 MiB of `if` rules, 671
# MiB with a hit against 799 with a miss; without the cache 628.
export ADVISE_NO_CACHE=1
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
mkdir "$tmp/guide"
cp "$root/rules/definitions.rules" "$tmp/guide/"
echo 'include "definitions.rules"' >"$tmp/guide.rules.list"
for k in $(seq 1 "${COPIES:-300}"); do
  for f in "$root"/rules/*.rules; do
    b=$(basename "$f" .rules)
    case $b in advise | definitions) continue ;; esac
    sed -E "s/^(rule +)([A-Za-z0-9_]+)/\1\2_k$k/" "$f" >"$tmp/guide/${b}_$k.rules"
    echo "include \"${b}_$k.rules\"" >>"$tmp/guide.rules.list"
  done
done
mv "$tmp/guide.rules.list" "$tmp/guide/all.rules"

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
  for f in distinct big guide; do
    if [ "$f" = guide ]; then
      file=$tmp/guide/all.rules
      n=$(cat "$tmp"/guide/*.rules | grep -cE '^(rule |if )')
      bytes=$(cat "$tmp"/guide/*.rules | wc -c)
    else
      file=$tmp/$f.rules
      n=$(grep -c . "$file")
      bytes=$(stat -c %s "$file")
    fi
    kib=$(peak_kib "${args[@]}" "$file" "${tail[@]}")
    printf '%-30s %-22s %8d %10.0f %12.0f\n' "$f.rules ($bytes B)" "${args[*]}" "$n" \
      "$(echo "$kib / 1024" | bc -l)" "$(echo "($kib - $base) * 1024 / $n" | bc -l)"
  done
done

# For scale: CLIPS (Debian's `clips`) on the same 100,000 rules written as
# CLIPS rules (`(defrule rN "d" (applicant (step2ck ?s&:(> ?s K))) => (assert
# (note x)))`), loaded, then loaded and run on one applicant fact (every rule
# fires; each asserts the same fact). CLIPS keeps no text of its rules.
if command -v clips >/dev/null; then
  python3 -c '
print("(deftemplate applicant (slot step2ck))")
for i in range(100000): print(f"(defrule r{i} \"d\" (applicant (step2ck ?s&:(> ?s {1 + i % 9}))) => (assert (note x)))")' \
    >"$tmp/distinct.clp"
  python3 -c '
print("(deftemplate applicant (slot step2ck))")
print("(defrule r0 \"d\" (applicant (step2ck ?s&:(> ?s 1))) => (assert (note x)))")' >"$tmp/one.clp"
  clips_kib() {  # peak RSS in KiB of CLIPS loading $1, and running it when $2 is run
    {
      printf '(load "%s")\n' "$1"
      [ "$2" = run ] && printf '(assert (applicant (step2ck 240)))\n(run)\n'
      printf '(exit)\n'
    } >"$tmp/batch.clp"
    /usr/bin/time -v clips -f2 "$tmp/batch.clp" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'
  }
  for mode in load run; do
    base=$(clips_kib "$tmp/one.clp" "$mode")
    kib=$(clips_kib "$tmp/distinct.clp" "$mode")
    printf '%-30s %-22s %8d %10.0f %12.0f\n' "distinct.clp ($(stat -c %s "$tmp/distinct.clp") B)" "clips $mode" 100000 \
      "$(echo "$kib / 1024" | bc -l)" "$(echo "($kib - $base) * 1024 / 100000" | bc -l)"
  done
fi
