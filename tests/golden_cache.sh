#!/usr/bin/env bash
# The golden suite with the start-up cache (docs/engine.md, "Start-up"):
#   1. over an empty cache folder (each configuration loaded cold, then read back),
#   2. again over the same folder (every run a cache hit),
#   3. again after every entry was damaged (cut in half, a byte flipped,
#      replaced by garbage): every damaged entry is ignored and rebuilt.
# Every pass must give the committed expectations byte for byte.
#   tests/golden_cache.sh [--advise PATH]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
args=("$@")
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
export ADVISE_CACHE_DIR="$cache/advise"
unset ADVISE_NO_CACHE
status=0
echo "== pass 1: cold"
"$root/tests/golden.sh" "${args[@]}" >"$cache/log1" || { cat "$cache/log1"; status=1; }
tail -1 "$cache/log1"
n=$(ls "$ADVISE_CACHE_DIR" 2>/dev/null | wc -l)
if [ "$n" -eq 0 ]; then echo "FAIL: the first pass wrote no cache entry"; status=1; fi
echo "== pass 2: warm ($n entries)"
"$root/tests/golden.sh" "${args[@]}" >"$cache/log2" || { cat "$cache/log2"; status=1; }
tail -1 "$cache/log2"
i=0
for f in "$ADVISE_CACHE_DIR"/*; do
  size=$(stat -c %s "$f")
  case $((i % 3)) in
    0) truncate -s $((size / 2)) "$f" ;;
    1) printf '\xff' | dd of="$f" bs=1 seek=$((size / 3)) conv=notrunc status=none ;;
    2) head -c "$size" /dev/urandom >"$f" ;;
  esac
  i=$((i + 1))
done
echo "== pass 3: $i damaged entries"
"$root/tests/golden.sh" "${args[@]}" >"$cache/log3" || { cat "$cache/log3"; status=1; }
tail -1 "$cache/log3"
exit $status
