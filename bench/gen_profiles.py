#!/usr/bin/env python3
"""Generate applicant profiles as JSON Lines for bench/batch_bench.sh.

    bench/gen_profiles.py [COUNT] [SEED] > profiles.jsonl

Deterministic: the same COUNT and SEED give the same bytes. Profiles are
drawn over the whole schema (kb/schema.json) with plausible numbers; about
1 in 200 lines carries a mistake (a misspelt field, an unknown specialty, a
number out of range) so that the error path is part of the measurement.
Specialty ids are read from kb/specialties.json.
"""
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPECIALTIES = list(json.load(open(os.path.join(ROOT, "kb", "specialties.json"))))
ROTATIONS = ["internal_medicine", "surgery", "pediatrics", "ob_gyn", "psychiatry", "family_medicine", "neurology"]


def profile(r: random.Random, i: int) -> dict:
    p = {"name": f"Applicant {i}", "x_id": f"P{i:06d}"}
    p["citizenship"] = r.choices(["us_citizen", "permanent_resident", "visa_required"], [8, 1, 1])[0]
    p["school_type"] = r.choices(["img", "us_md", "us_do"], [8, 1, 1])[0]
    p["school_region"] = "us" if p["school_type"] != "img" else r.choice(["caribbean", "international"])
    p["stage"] = r.choice(["ms1", "ms2", "ms3", "ms4", "graduate", "graduate"])
    if p["stage"] == "graduate":
        p["years_since_graduation"] = r.randint(0, 8)
    p["target_specialty"] = r.choice(SPECIALTIES)
    p["backup_specialties"] = r.sample(SPECIALTIES, r.randint(0, 2))
    if p["stage"] in ("ms3", "ms4", "graduate"):
        p["step1"] = r.choices(["pass", "fail"], [12, 1])[0]
        p["step1_attempts"] = 1 if p["step1"] == "pass" and r.random() < 0.9 else r.randint(1, 3)
        if r.random() < 0.7:
            p["step2ck"] = max(1, min(300, int(r.gauss(245, 12))))
            p["step2ck_attempts"] = 1 if r.random() < 0.9 else 2
        p["nbme_practice"] = [max(1, min(300, int(r.gauss(240, 12)))) for _ in range(r.randint(0, 4))]
    else:
        p["step1"] = "not_taken"
    p["publications"] = r.randint(0, 12)
    p["abstracts_posters"] = r.randint(0, 10)
    p["research_months_us"] = r.choice([0, 0, 3, 6, 12, 24])
    p["research_in_specialty"] = r.random() < 0.5
    done = r.sample(ROTATIONS, r.randint(0, 7)) if p["stage"] != "ms1" else []
    p["core_rotations_done"] = done
    p["core_honors"] = r.sample(done, r.randint(0, len(done))) if done else []
    for k, hi in (("us_rotations_in_specialty", 4), ("observerships", 3), ("us_letters_in_specialty", 4),
                  ("programs_know_you", 5), ("unexplained_gap_months", 14), ("interviews_in_target", 15)):
        p[k] = r.randint(0, hi)
    for k in ("anchor_institution", "remediation", "professionalism_concern", "research_year_possible",
              "can_relocate", "unpaid_research_affordable"):
        p[k] = r.random() < (0.1 if k in ("remediation", "professionalism_concern") else 0.5)
    p["risk_tolerance"] = r.choice(["low", "medium", "high"])
    p["match_status"] = r.choice(["preparing", "applying", "applying", "unmatched", "matched_backup", "matched_target"])
    # Leave some fields out: applicants do not know everything.
    for k in list(p):
        if k not in ("name", "x_id", "target_specialty", "stage") and r.random() < 0.1:
            del p[k]
    # About one line in 200 has a mistake.
    if r.random() < 0.005:
        mistake = r.randint(0, 2)
        if mistake == 0:
            p["step2_ck"] = p.pop("step2ck", 240)
        elif mistake == 1:
            p["target_specialty"] = "dermatolgy"
        else:
            p["publications"] = -1
    return p


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20261129
    r = random.Random(seed)
    out = sys.stdout
    for i in range(1, count + 1):
        out.write(json.dumps(profile(r, i), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
