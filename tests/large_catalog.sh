#!/usr/bin/env bash
# A catalog of 1 MiB or more takes paths a small one does not (app/heap.hpp:
# the huge-page heap, readied before the rules load; the catalog read and
# its cache entry decoded in two halves; the list and its JSON made in two
# halves). The goldens' catalogs are small, so this test runs them:
#   1. a catalog of 3,200 fictitious programs (scripts/gen_catalog.py, over
#      1 MiB), a fresh cache folder: the first run reads the CSV and writes
#      the catalog's cache entry, the second reads the entry, a third runs
#      with --no-cache;
#   2. the three reports, JSON and text, must be byte for byte the same, the
#      list as long as the catalog's eligible programs say, and each run exit 0;
#   3. `advise batch --catalog` over two copies of the profile gives two
#      records whose conclusions equal the run's.
#   tests/large_catalog.sh --advise PATH
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
advise=""
while [ $# -gt 0 ]; do
  case $1 in
    --advise) advise=$2; shift 2 ;;
    *) echo "usage: tests/large_catalog.sh --advise PATH" >&2; exit 2 ;;
  esac
done
[ -n "$advise" ] || { echo "usage: tests/large_catalog.sh --advise PATH" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ADVISE_HOME="$root" ADVISE_CACHE_DIR="$tmp/cache"
unset ADVISE_NO_CACHE
profile="$root/tests/cases/program_list/applicant.json"
status=0
fail() { echo "FAIL: $*"; status=1; }

python3 "$root/scripts/gen_catalog.py" --count 3200 --out "$tmp/catalog.csv" >/dev/null || { echo "FAIL: gen_catalog"; exit 1; }
size=$(stat -c %s "$tmp/catalog.csv")
[ "$size" -ge 1048576 ] || fail "the catalog is $size bytes, under 1 MiB: the large paths are not taken"

for fmt in json text; do
  "$advise" --catalog "$tmp/catalog.csv" "$profile" --format "$fmt" >"$tmp/miss.$fmt" 2>"$tmp/err" || fail "$fmt: first run exit $?: $(cat "$tmp/err")"
  "$advise" --catalog "$tmp/catalog.csv" "$profile" --format "$fmt" >"$tmp/hit.$fmt" 2>"$tmp/err" || fail "$fmt: second run exit $?: $(cat "$tmp/err")"
  "$advise" --no-cache --catalog "$tmp/catalog.csv" "$profile" --format "$fmt" >"$tmp/none.$fmt" 2>"$tmp/err" || fail "$fmt: --no-cache run exit $?: $(cat "$tmp/err")"
  cmp -s "$tmp/miss.$fmt" "$tmp/hit.$fmt" || fail "$fmt: the report read from the cache entry differs from the first"
  cmp -s "$tmp/miss.$fmt" "$tmp/none.$fmt" || fail "$fmt: the report without the cache differs"
done
ls "$ADVISE_CACHE_DIR"/facts-*.cache >/dev/null 2>&1 || fail "no catalog cache entry was written"

# The list: every program of the strategy's specialties placed once, the
# excluded ones included, and the counts it shows add up to it.
python3 - "$tmp/miss.json" <<'PY' || status=1
import json, sys
r = json.load(open(sys.argv[1]))
pl = r["conclusions"]["program_list"]
summary = r["conclusions"]["program_list_summary"]
ids = [(e["program"], e["track"]) for e in pl]
problems = []
if len(pl) < 1000:
    problems.append(f"only {len(pl)} programs listed")
if len(set(ids)) != len(ids):
    problems.append("a program is listed twice")
if summary["catalog_programs"] != 3200:
    problems.append(f"catalog_programs {summary['catalog_programs']}, expected 3200")
counted = sum(c["anchor"] + c["target"] + c["reach"] + c["long_shot"] + c["excluded"] for c in summary["counts"])
if counted != len(pl):
    problems.append(f"the counts add up to {counted}, the list holds {len(pl)}")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY

# batch: the catalog loaded once for both profiles, each record's
# conclusions those of the run.
python3 -c "import json,sys; p=json.load(open(sys.argv[1])); [print(json.dumps(p)) for _ in range(2)]" "$profile" >"$tmp/two.jsonl"
"$advise" batch --catalog "$tmp/catalog.csv" "$tmp/two.jsonl" -o "$tmp/batch.jsonl" 2>"$tmp/err" || fail "batch exit $?: $(cat "$tmp/err")"
python3 - "$tmp/batch.jsonl" "$tmp/miss.json" <<'PY' || status=1
import json, sys
lines = open(sys.argv[1]).read().splitlines()
run = json.load(open(sys.argv[2]))
if len(lines) != 2:
    print(f"FAIL: batch wrote {len(lines)} records, expected 2"); sys.exit(1)
for i, line in enumerate(lines):
    rec = json.loads(line)
    if rec.get("conclusions") != run["conclusions"]:
        print(f"FAIL: batch record {i + 1}: its conclusions differ from the run's"); sys.exit(1)
PY

[ $status -eq 0 ] && echo "large catalog: $(stat -c %s "$tmp/catalog.csv") bytes, reports identical with and without the cache, batch agrees"
exit $status
