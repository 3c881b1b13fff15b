#!/usr/bin/env python3
"""One line per profile, `ID strategy=V rules=A,B,...` (rules sorted), from
either side of the CLIPS comparison, so that the two can be compared with
`cmp`:

    bench/clips/canonical.py advise < records.jsonl   # advise batch records
    bench/clips/canonical.py clips N < clips.out      # `ID RULE` / `ID strategy V` lines; N profiles

The rules of a record are those of its recommendations, warnings and notes,
and class_of_target when it set specialty_class (the only rule of the 13
that says nothing)."""
import json
import sys

side = sys.argv[1]
rows = {}
if side == "advise":
    for line in sys.stdin:
        r = json.loads(line)
        rules = {x["rule"]["name"] for key in ("recommendations", "warnings", "notes") for x in r[key]}
        if r["conclusions"].get("specialty_class") is not None:
            rules.add("class_of_target")
        rows[r["line"]] = (r["conclusions"].get("strategy"), rules)
else:
    count = int(sys.argv[2])
    rows = {n: (None, set()) for n in range(1, count + 1)}
    for line in sys.stdin:
        parts = line.split()
        if len(parts) < 2 or not parts[0].isdigit():
            continue
        n = int(parts[0])
        strategy, rules = rows[n]
        if parts[1] == "strategy":
            rows[n] = (parts[2], rules)
        else:
            rules.add(parts[1])
for n in sorted(rows):
    strategy, rules = rows[n]
    print(f"{n} strategy={strategy or '-'} rules={','.join(sorted(rules))}")
