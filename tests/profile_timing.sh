#!/usr/bin/env bash
# How long `advise` takes to accept or refuse hostile profiles just under the
# 1 MiB limit (issue 10: 90,000 keys took 21 s). Not part of the test suite
# (timings depend on the machine); run it after touching kb/profile.cpp.
#
#   tests/profile_timing.sh [--advise PATH] [--limit SECONDS]
#
# Generates each shape in a temporary directory (python3), runs
# `advise PROFILE` on it (the whole command: loading the rules, reading the
# profile, evaluating or refusing it), and prints the wall time, the CPU time
# (user + system, steadier on a busy machine), the exit code and the first
# line of the message. Exits 1 when a shape takes more CPU time than the
# limit (default 0.2 s, the bound docs/cli.md states).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
advise="$root/build/app/advise"
limit=0.2
while [ $# -gt 0 ]; do
  case "$1" in
    --advise) advise="$2"; shift 2 ;;
    --limit) limit="$2"; shift 2 ;;
    *) echo "usage: tests/profile_timing.sh [--advise PATH] [--limit SECONDS]" >&2; exit 2 ;;
  esac
done
export ADVISE_HOME="$root" NO_COLOR=1 LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp" <<'EOF'
import os, sys
out = sys.argv[1]
L = 1024 * 1024 - 64  # every shape stays under the limit


def w(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def fill(make, budget):  # as many generated pieces as fit in `budget` bytes
    parts, size, i = [], 0, 0
    while True:
        p = make(i)
        if size + len(p) + 1 > budget:
            return parts
        parts.append(p)
        size += len(p) + 1
        i += 1


w("keys_top.json", "{" + ",".join(fill(lambda i: '"k%d":0' % i, L)) + "}")
w("keys_x_top.json", "{" + ",".join(fill(lambda i: '"x_%d":0' % i, L)) + "}")
w("keys_nested.json", '{"x_a":{' + ",".join(fill(lambda i: '"k%d":0' % i, L)) + "}}")
w("keys_repeated.json", '{"x_a":{' + ",".join(fill(lambda i: '"a":0', L)) + "}}")
w("objects_1000_keys.json", '{"x_a":[' + ",".join(
    fill(lambda i: "{" + ",".join('"k%d":0' % k for k in range(1000)) + "}", L)) + "]}")
w("items_x.json", '{"x_a":[' + ",".join(fill(lambda i: "0", L)) + "]}")
w("items_field.json", '{"nbme_practice":[' + ",".join(fill(lambda i: "250", L)) + "]}")
w("items_field_bad.json", '{"nbme_practice":[' + ",".join(fill(lambda i: "0", L)) + "]}")
w("empty_lists.json", '{"x_a":[' + ",".join(fill(lambda i: "[]", L)) + "]}")
w("empty_objects.json", '{"x_a":[' + ",".join(fill(lambda i: "{}", L)) + "]}")
w("deep_lists.json", '{"x_a":[' + ",".join(fill(lambda i: "[" * 60 + "]" * 60, L)) + "]}")
w("deep_objects.json", '{"x_a":[' + ",".join(fill(lambda i: '{"a":' * 60 + "0" + "}" * 60, L)) + "]}")
w("too_deep.json", '{"x_a":' + "[" * (L // 2) + "]" * (L // 2 - 8) + "}")
w("long_text.json", '{"x_a":"' + "a" * L + '"}')
w("long_name.json", '{"name":"' + "a" * L + '"}')
w("escapes.json", '{"x_a":"' + "\\u00e9" * (L // 6) + '"}')
w("short_texts.json", '{"x_a":[' + ",".join(fill(lambda i: '"a"', L)) + "]}")
w("underflows.json", '{"x_a":[' + ",".join(fill(lambda i: "1e-400", L)) + "]}")
w("overflow_last.json", '{"x_a":[' + ",".join(fill(lambda i: "1", L - 16)) + ",1e400]}")
w("unclosed_text.json", '{"x_a":"' + "a" * L)
w("unclosed_list.json", '{"x_a":[' + ",".join(fill(lambda i: '"\\""', L)) + "]")
w("text_after.json", '{"x_a":[' + ",".join(fill(lambda i: "0", L - 16)) + "]} x")
w("nul_bytes.bin", b"\0" * (1024 * 1024))
w("utf16.json", ("{" + ",".join(fill(lambda i: '"x_%d":0' % i, L // 2 - 8)) + "}").encode("utf-16"))
EOF

slow=0
TIMEFORMAT='%R %U %S'
printf '%-24s %9s %6s %6s %5s  %s\n' shape bytes wall cpu exit message
for f in "$tmp"/*; do
  set +e
  t=$( { time "$advise" "$f" >/dev/null 2>"$tmp/.err"; echo "code $?" >"$tmp/.code"; } 2>&1 )
  set -e
  code=$(awk '{ print $2 }' "$tmp/.code")
  wall=$(echo "$t" | awk '{ print $1 }')
  cpu=$(echo "$t" | awk '{ printf "%.3f", $2 + $3 }')
  msg=$(head -1 "$tmp/.err" | sed "s|^$tmp/||" | cut -c1-80)
  printf '%-24s %9d %6s %6s %5d  %s\n' "$(basename "$f")" "$(wc -c <"$f")" "$wall" "$cpu" "$code" "$msg"
  if awk -v s="$cpu" -v l="$limit" 'BEGIN { exit !(s > l) }'; then slow=1; fi
done
rm -f "$tmp/.err" "$tmp/.code"
if [ $slow = 1 ]; then
  echo "profile_timing: some shapes took more than $limit s of CPU time" >&2
  exit 1
fi
