#!/usr/bin/env python3
"""Profiles (JSON Lines) as CLIPS facts for bench/clips/strategy.clp.

    bench/clips/to_facts.py KB_DIR < profiles.jsonl > profiles.fct

One `(profile (id N) ...)` per line, N being the line number (as in
`advise batch` records), with the fields the 13 rules read; a field left out
is not written (nil). Then one `(specialty (id X) (class C))` per specialty
of KB_DIR/specialties.json that has a class."""
import json
import sys

FIELDS = ["target_specialty", "match_status", "step2ck", "research_months_us", "publications",
          "us_letters_in_specialty", "programs_know_you", "step1", "step1_attempts", "step2ck_attempts",
          "risk_tolerance"]


def atom(v):
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    return str(v)


out = sys.stdout
for n, line in enumerate(sys.stdin, 1):
    p = json.loads(line)
    slots = "".join(f" ({f} {atom(p[f])})" for f in FIELDS if f in p)
    out.write(f"(profile (id {n}){slots})\n")
with open(sys.argv[1] + "/specialties.json") as f:
    for sid, row in json.load(f).items():
        if row.get("class"):
            out.write(f"(specialty (id {sid}) (class {row['class']}))\n")
