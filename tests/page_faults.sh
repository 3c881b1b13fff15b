#!/usr/bin/env bash
# The heap lies in huge pages (app/heap.hpp): a run makes about the minor
# page faults of its own start (the loader, the binary: ~140), where a fall
# back to 4 KiB pages makes hundreds (one profile) or thousands (a catalog),
# each costing microseconds on a virtual machine. Bounds, not timings:
#   1. the advice for one profile, with its explanations: at most 300 faults
#      (about 140; 420-510 in 4 KiB pages);
#   2. one profile against 10,000 fictitious programs, the catalog's cache
#      entry made: at most 600 (about 190; 1,500-2,000 in 4 KiB pages, 5,200
#      when the records fell past the huge-page range).
# Skipped when the kernel's transparent huge pages are off. Not for sanitizer
# builds (their allocator is their own): tests/CMakeLists.txt leaves it out.
#   tests/page_faults.sh --advise PATH
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
[ "${1:-}" = --advise ] && [ -n "${2:-}" ] || { echo "usage: tests/page_faults.sh --advise PATH" >&2; exit 2; }
advise=$2
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo "[never]")
if [[ $thp == *"[never]"* ]]; then
  echo "page faults: not checked (transparent huge pages are off: $thp)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ADVISE_HOME="$root" ADVISE_CACHE_DIR="$tmp/cache"
unset ADVISE_NO_CACHE
status=0
# faults MAX WHAT ARGS...: the minor faults of `advise ARGS` (after a first
# run that fills the caches), at most MAX.
faults() {
  local max=$1 what=$2
  shift 2
  "$advise" "$@" >/dev/null 2>&1
  local n
  n=$(python3 - "$advise" "$@" <<'PY'
import resource, subprocess, sys
before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt - before)
PY
) || { echo "FAIL: $what: the run failed"; status=1; return; }
  echo "$what: $n minor page faults (at most $max)"
  [ "$n" -le "$max" ] || { echo "FAIL: $what: $n minor page faults, more than $max: part of the heap is in 4 KiB pages (app/heap.hpp)"; status=1; }
}
faults 300 "one profile, --explain" --explain "$root/examples/profiles/example.json"
python3 "$root/scripts/gen_catalog.py" --count 10000 --out "$tmp/catalog.csv" >/dev/null || { echo "FAIL: gen_catalog"; exit 1; }
faults 600 "10,000 programs" --catalog "$tmp/catalog.csv" "$root/tests/cases/program_list/applicant.json" --format json
exit $status
