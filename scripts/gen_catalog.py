#!/usr/bin/env python3
"""Generate the ILLUSTRATIVE catalog of FICTITIOUS residency programs.

Every program, institution and city this script writes is invented. The catalog exists so that
the program-list rules have realistic data to run on (sizes, IMG shares, cut-offs and unknown
values shaped like the published figures in ../shared/guide/facts.md and
../shared/guide/program-selection.md); it is not a list of real programs and never advice.
docs/catalog.md documents every column and how an advisor builds a real catalog.

The output depends only on --seed and --count (Python's `random.Random` with a fixed seed; no
clock, no hash order), so the committed files are exactly what this prints:

    python3 scripts/gen_catalog.py                  # rewrite examples/catalog/programs.{csv,json}
    python3 scripts/gen_catalog.py --check          # fail if the committed files are stale
    python3 scripts/gen_catalog.py --count 10000 --out /tmp/programs-10k.csv
    python3 scripts/gen_catalog.py --stats          # unknown share per column, on stderr
"""

import argparse
import csv
import io
import json
import math
import os
import random
import sys

DEFAULT_SEED = 14  # the issue that asked for the catalog
DEFAULT_COUNT = 360
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_CSV = os.path.join(ROOT, "examples", "catalog", "programs.csv")
DEFAULT_JSON = os.path.join(ROOT, "examples", "catalog", "programs.json")
DIVISIONS_JSON = os.path.join(ROOT, "kb", "census_divisions.json")

# Columns in file order. docs/catalog.md documents each one; keep the two in step.
COLUMNS = [
    "fictitious",
    "program_id",
    "name",
    "institution",
    "city",
    "state",
    "census_division",
    "specialty",
    "track",
    "positions",
    "setting",
    "img_policy",
    "us_img_residents",
    "img_residents",
    "total_residents",
    "classes_counted",
    "step2ck_min",
    "step2ck_cutoff",
    "max_attempts",
    "max_years_since_graduation",
    "us_clinical_experience",
    "research_intensity",
    "takes_signals",
    "offers_research_year",
    "source",
    "retrieved",
    "verified_by",
]
INTEGER_COLUMNS = {"positions", "us_img_residents", "img_residents", "total_residents", "classes_counted"}
LIMIT_COLUMNS = {"step2ck_min", "max_attempts", "max_years_since_graduation"}  # integer or "none"
BOOLEAN_COLUMNS = {"fictitious", "takes_signals", "offers_research_year"}

# ACGME state codes: digits 4-5 of a program id. Checked against a public listing of about 1,200
# real program ids (every state below appeared with this code).
ACGME_STATE_CODE = {
    "AL": "01", "AK": "02", "AZ": "03", "AR": "04", "CA": "05", "CO": "07", "CT": "08", "DE": "09",
    "DC": "10", "FL": "11", "GA": "12", "HI": "14", "ID": "15", "IL": "16", "IN": "17", "IA": "18",
    "KS": "19", "KY": "20", "LA": "21", "ME": "22", "MD": "23", "MA": "24", "MI": "25", "MN": "26",
    "MS": "27", "MO": "28", "MT": "29", "NE": "30", "NV": "31", "NH": "32", "NJ": "33", "NM": "34",
    "NY": "35", "NC": "36", "ND": "37", "OH": "38", "OK": "39", "OR": "40", "PA": "41", "RI": "43",
    "SC": "45", "SD": "46", "TN": "47", "TX": "48", "UT": "49", "VT": "50", "VA": "51", "WA": "54",
    "WV": "55", "WI": "56", "WY": "57",
}

# Rough weight of each state in where US programs are (more programs in populous states).
STATE_WEIGHT = {
    "AL": 2, "AK": 0.3, "AZ": 3, "AR": 1.5, "CA": 11, "CO": 2.5, "CT": 2.5, "DE": 0.6, "DC": 1.5,
    "FL": 7, "GA": 3, "HI": 0.6, "ID": 0.5, "IL": 6, "IN": 2.5, "IA": 1.5, "KS": 1.2, "KY": 2,
    "LA": 2.5, "ME": 0.7, "MD": 2.5, "MA": 5, "MI": 6.5, "MN": 2, "MS": 1, "MO": 2.5, "MT": 0.3,
    "NE": 1, "NV": 1, "NH": 0.5, "NJ": 4, "NM": 0.8, "NY": 12, "NC": 3.5, "ND": 0.5, "OH": 7,
    "OK": 1.5, "OR": 1.5, "PA": 8, "RI": 1, "SC": 1.8, "SD": 0.5, "TN": 3, "TX": 7, "UT": 1,
    "VT": 0.3, "VA": 3, "WA": 2.5, "WV": 1.5, "WI": 2.5, "WY": 0.2,
}

# Divisions where, by the guide (Step 5.3: "rural, Midwest, some Southern areas"), programs are
# somewhat more open to IMGs; a mild multiplier on the chance that a program has IMGs at all.
IMG_FRIENDLIER_DIVISIONS = {"east_north_central", "west_north_central", "east_south_central",
                            "west_south_central", "middle_atlantic"}

SETTINGS = ["university", "university_affiliated_community", "community", "military"]

# Invented place names: a syllable and an ending; none is meant to name a real place or
# institution (a clash is an accident: change the lists, the catalog is regenerated).
PLACE_HEADS = [
    "Amber", "Ashcomb", "Bellamy", "Bramble", "Brisk", "Caddon", "Calder", "Carrow", "Corrin",
    "Dovren", "Elsing", "Everly", "Fenmore", "Garrow", "Halvern", "Ivorly", "Kestrel", "Lorran",
    "Marrow", "Merrin", "Morwen", "Norring", "Orrin", "Osterly", "Ostrand", "Pellam", "Quenby",
    "Quillon", "Ravel", "Sorrel", "Tamber", "Thistle", "Torring", "Tresk", "Vantry", "Varden",
    "Vellum", "Wrenly", "Yarrow", "Zeller",
]
PLACE_TAILS = [
    " Falls", " Junction", " Springs", " Crossing", " Harbor", " Heights", " Bluff", " Ridge",
    "ford", "mere", "wick", "haven", "crest", "brook", "moor", "stead", "vale", "bury",
]
PLACE_PREFIXES = ["North ", "South ", "East ", "West ", "Upper ", "Lower ", "New ", "Port ", "Lake "]

# Institution name patterns by setting; {p} is the city's name.
INSTITUTION_PATTERNS = {
    "university": ["{p} University Hospital", "{p} University Medical Center",
                   "University of {p} Health", "{p} College of Medicine Hospitals",
                   "{p} University Health Sciences Center"],
    "university_affiliated_community": ["{p} Regional Medical Center", "{p} General Hospital",
                                        "{p} Health Partners Medical Center",
                                        "{p} Teaching Hospital"],
    "community": ["{p} Memorial Hospital", "{p} Community Hospital", "{p} Medical Center",
                  "{p} County Hospital"],
    "military": ["{p} Army Medical Center", "{p} Naval Medical Center",
                 "{p} Air Force Medical Center"],
}
INSTITUTION_SETTING_SHARE = {"university": 0.40, "university_affiliated_community": 0.29,
                             "community": 0.27, "military": 0.04}

VERIFIERS = ["AR", "BK", "CM", "DL", "EO", "FS", "GT", "HW"]

ULTRAS = ["dermatology", "orthopedic_surgery", "plastic_surgery", "otolaryngology", "neurosurgery",
          "radiology"]

# One entry per specialty id of kb/specialties.json that the catalog carries.
#   code: ACGME specialty code (digits 1-3 of the id); share: programs per 360;
#   tracks: (track, weight); positions: {setting or "*": [(n, weight)]};
#   setting: weight of each setting when choosing a host institution;
#   img_any: chance that an ultra program had any IMG in the counted classes, img_n: how many;
#   step2: (low, high) of a stated minimum; research_year: chance of research-year positions.
SPECIALTIES = {
    "dermatology": dict(
        code="080", label="Dermatology Residency", share=42,
        tracks=[("advanced", 3), ("categorical", 1)],
        positions={"*": [(2, 20), (3, 30), (4, 25), (5, 15), (6, 10)]},
        setting={"university": 10, "university_affiliated_community": 2.5, "community": 0.6, "military": 0.5},
        img_any=0.22, step2=(238, 250), research_year=0.35, signals=0.93, classes=5),
    "orthopedic_surgery": dict(
        code="260", label="Orthopaedic Surgery Residency", share=42,
        tracks=[("categorical", 1)],
        positions={"*": [(3, 10), (4, 25), (5, 25), (6, 20), (7, 12), (8, 8)]},
        setting={"university": 10, "university_affiliated_community": 4, "community": 1, "military": 1},
        img_any=0.16, step2=(235, 250), research_year=0.28, signals=0.94, classes=5),
    "plastic_surgery": dict(
        code="362", label="Integrated Plastic Surgery Residency", share=24,
        tracks=[("integrated", 1)],
        positions={"*": [(1, 15), (2, 45), (3, 30), (4, 10)]},
        setting={"university": 10, "university_affiliated_community": 1.5, "community": 0.3, "military": 0},
        img_any=0.18, step2=(240, 250), research_year=0.45, signals=0.88, classes=5),
    "otolaryngology": dict(
        code="280", label="Otolaryngology Residency", share=28,
        tracks=[("categorical", 1)],
        positions={"*": [(2, 30), (3, 35), (4, 25), (5, 10)]},
        setting={"university": 10, "university_affiliated_community": 2, "community": 0.4, "military": 0.6},
        img_any=0.25, step2=(235, 250), research_year=0.25, signals=0.93, classes=5),
    "neurosurgery": dict(
        code="160", label="Neurological Surgery Residency", share=28,
        tracks=[("categorical", 1)],
        positions={"*": [(1, 25), (2, 45), (3, 22), (4, 8)]},
        setting={"university": 10, "university_affiliated_community": 2, "community": 0.3, "military": 0.4},
        img_any=0.38, step2=(235, 250), research_year=0.40, signals=0.93, classes=5),
    "radiology": dict(
        code="420", label="Diagnostic Radiology Residency", share=36,
        tracks=[("advanced", 7), ("categorical", 3)],
        positions={"*": [(4, 15), (5, 15), (6, 20), (7, 15), (8, 12), (9, 8), (10, 8), (12, 7)]},
        setting={"university": 10, "university_affiliated_community": 5, "community": 1.5, "military": 0.6},
        img_any=0.60, img_n=[(1, 30), (2, 30), (3, 20), (4, 12), (6, 8)],
        step2=(225, 245), research_year=0.10, signals=0.92, classes=5),
    "internal_medicine": dict(
        code="140", label="Internal Medicine Residency", share=52,
        tracks=[("categorical", 1)],
        positions={"university": [(14, 10), (18, 15), (24, 20), (30, 20), (36, 15), (44, 10)],
                   "university_affiliated_community": [(8, 15), (10, 20), (12, 25), (15, 20), (20, 15), (24, 5)],
                   "community": [(6, 20), (8, 25), (10, 25), (12, 20), (16, 10)],
                   "military": [(8, 50), (12, 50)]},
        setting={"university": 5, "university_affiliated_community": 7, "community": 9, "military": 0.4},
        img_any=None, step2=None, research_year=0.06, signals=0.92, classes=3),
    "general_surgery": dict(
        code="440", label="General Surgery Residency", share=34,
        tracks=[("categorical", 1)],
        positions={"university": [(5, 20), (6, 25), (7, 25), (8, 20), (9, 10)],
                   "*": [(3, 20), (4, 35), (5, 30), (6, 15)]},
        setting={"university": 8, "university_affiliated_community": 5, "community": 2.5, "military": 0.6},
        img_any=None, step2=(225, 240), research_year=0.15, signals=0.92, classes=5),
    "pm_r": dict(
        code="340", label="Physical Medicine and Rehabilitation Residency", share=16,
        tracks=[("advanced", 1), ("categorical", 1)],
        positions={"*": [(4, 25), (5, 20), (6, 25), (8, 15), (10, 10), (12, 5)]},
        setting={"university": 6, "university_affiliated_community": 4, "community": 1.5, "military": 0.2},
        img_any=None, step2=(220, 235), research_year=0.05, signals=0.90, classes=3),
    "preliminary_surgery": dict(
        code="440", label="Preliminary Surgery (PGY-1) Program", share=20,
        tracks=[("preliminary", 1)],
        positions={"*": [(2, 15), (3, 20), (4, 20), (6, 20), (8, 15), (10, 6), (12, 4)]},
        setting={"university": 6, "university_affiliated_community": 5, "community": 3, "military": 0},
        img_any=None, step2=(218, 230), research_year=0.02, signals=0.30, classes=3),
    "preliminary_medicine": dict(
        code="140", label="Preliminary Medicine (PGY-1) Program", share=20,
        tracks=[("preliminary", 1)],
        positions={"*": [(4, 20), (6, 25), (8, 20), (10, 15), (12, 10), (16, 6), (20, 4)]},
        setting={"university": 6, "university_affiliated_community": 5, "community": 3, "military": 0},
        img_any=None, step2=(220, 232), research_year=0.02, signals=0.30, classes=3),
    "transitional_year": dict(
        code="999", label="Transitional Year Program", share=18,
        tracks=[("transitional", 1)],
        positions={"*": [(4, 15), (6, 25), (8, 25), (10, 15), (12, 12), (16, 8)]},
        setting={"university": 4, "university_affiliated_community": 6, "community": 4, "military": 1},
        img_any=None, step2=(225, 240), research_year=0.0, signals=0.90, classes=3),
}
# When choosing a host for a specialty, prefer institutions that already have related programs
# (so an anchor's preliminary or backup programs can be linked to the contingency plan).
RELATED = {
    "internal_medicine": (["dermatology", "radiology"], 3.0),
    "general_surgery": (["orthopedic_surgery", "plastic_surgery", "otolaryngology", "neurosurgery"], 2.5),
    "pm_r": (["orthopedic_surgery"], 2.0),
    "preliminary_surgery": (["general_surgery"], 8.0),
    "preliminary_medicine": (["internal_medicine"], 8.0),
    "transitional_year": (ULTRAS, 1.5),
}


def weighted(rng, pairs):
    """Pick from [(value, weight)] deterministically."""
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for value, w in pairs:
        x -= w
        if x < 0:
            return value
    return pairs[-1][0]


def chance(rng, p):
    return rng.random() < p


def load_divisions():
    with open(DIVISIONS_JSON, encoding="utf-8") as f:
        data = json.load(f)
    return data["states"]


def split_counts(total, shares):
    """Largest-remainder split of `total` by `shares` (dict), deterministic on ties (dict order)."""
    s = sum(shares.values())
    raw = {k: total * v / s for k, v in shares.items()}
    out = {k: math.floor(v) for k, v in raw.items()}
    left = total - sum(out.values())
    order = sorted(shares, key=lambda k: (-(raw[k] - out[k]), list(shares).index(k)))
    for k in order[:left]:
        out[k] += 1
    return out


class Catalog:
    def __init__(self, seed, count):
        self.rng = random.Random(seed)
        self.seed = seed
        self.count = count
        self.state_division = load_divisions()
        self.cities = []          # (name, state)
        self.city_names = set()
        self.institutions = []    # dict(name, city, state, setting, programs=set())
        self.institution_names = set()
        self.sequence = {}        # (code, state) -> next sequence
        self.records = []

    # --- places -----------------------------------------------------------------------------
    def new_city(self, state):
        rng = self.rng
        for _ in range(1000):
            prefix = rng.choice(PLACE_PREFIXES) if chance(rng, 0.2) else ""
            name = prefix + rng.choice(PLACE_HEADS) + rng.choice(PLACE_TAILS)
            if name not in self.city_names:
                break
        else:  # the word lists are exhausted: number the place (large --count only)
            name = "%s %d" % (rng.choice(PLACE_HEADS), len(self.cities) + 1)
        self.city_names.add(name)
        self.cities.append((name, state))
        return self.cities[-1]

    def new_institution(self, setting, state):
        rng = self.rng
        for _ in range(50):
            # Reuse a city of the state now and then: real cities host several teaching hospitals.
            same_state = [c for c in self.cities if c[1] == state]
            if same_state and chance(rng, 0.35):
                city = rng.choice(same_state)
            else:
                city = self.new_city(state)
            name = rng.choice(INSTITUTION_PATTERNS[setting]).format(p=city[0])
            if name not in self.institution_names:
                break
        else:
            city = self.new_city(state)
            name = INSTITUTION_PATTERNS[setting][0].format(p=city[0])
        self.institution_names.add(name)
        inst = dict(name=name, city=city[0], state=city[1], setting=setting, programs=set())
        self.institutions.append(inst)
        return inst

    def build_institutions(self):
        # States in proportion to STATE_WEIGHT and settings in proportion to their shares, each
        # split exactly (largest remainder) and then paired at random.
        n = max(4, round(self.count / 2.9))
        states = [s for s, k in split_counts(n, STATE_WEIGHT).items() for _ in range(k)]
        settings = [t for t, k in split_counts(n, INSTITUTION_SETTING_SHARE).items() for _ in range(k)]
        self.rng.shuffle(states)
        for setting, state in zip(settings, states):
            self.new_institution(setting, state)

    def host_for(self, specialty):
        spec = SPECIALTIES[specialty]
        related, bonus = RELATED.get(specialty, ([], 1.0))
        pairs = []
        for inst in self.institutions:
            if specialty in inst["programs"]:
                continue
            w = spec["setting"][inst["setting"]]
            if w <= 0:
                continue
            if any(r in inst["programs"] for r in related):
                w *= bonus
            pairs.append((inst, w))
        if not pairs:
            # Every eligible institution already has one: found a new university hospital.
            state = weighted(self.rng, [(s, STATE_WEIGHT[s]) for s in sorted(STATE_WEIGHT)])
            return self.new_institution("university", state)
        return weighted(self.rng, pairs)

    def program_id(self, code, state):
        # Sequence numbers from 90001 up: none of the real ids we looked at uses a sequence
        # starting with 9 (an observation, not an ACGME rule; see docs/catalog.md).
        key = (code, state)
        seq = self.sequence.get(key, 90001)
        if seq > 99999:
            raise SystemExit("gen_catalog: more than 9999 programs for specialty code %s in %s" % key)
        self.sequence[key] = seq + 1
        return "%s%s%05d" % (code, ACGME_STATE_CODE[state], seq)

    # --- one program ------------------------------------------------------------------------
    def record(self, specialty, inst):
        rng = self.rng
        spec = SPECIALTIES[specialty]
        ultra = specialty in ULTRAS
        setting = inst["setting"]
        division = self.state_division[inst["state"]]
        r = {c: None for c in COLUMNS}
        r["fictitious"] = True
        r["program_id"] = self.program_id(spec["code"], inst["state"])
        r["name"] = "%s %s" % (inst["name"], spec["label"])
        r["institution"] = inst["name"]
        r["city"] = inst["city"]
        r["state"] = inst["state"]
        r["census_division"] = division
        r["specialty"] = specialty
        r["track"] = weighted(rng, spec["tracks"])

        positions = weighted(rng, spec["positions"].get(setting, spec["positions"].get("*")))
        r["positions"] = None if chance(rng, 0.03) else positions
        r["setting"] = None if chance(rng, 0.08) else setting

        # IMG policy and history. Ultras: many do not consider IMGs, most had none in five
        # classes (facts.md: ortho 8 IMGs of 916 positions in 2024; neurosurgery IMG share 3.5-7%).
        if ultra:
            policy = weighted(rng, [("considers", 18), ("case_by_case", 35), ("does_not_consider", 30)])
            p_any = spec["img_any"] * (1.3 if division in IMG_FRIENDLIER_DIVISIONS else 1.0)
            if setting in ("community", "university_affiliated_community"):
                p_any *= 1.2
            if policy == "does_not_consider":
                p_any = 0.0
            elif policy == "considers":
                p_any = min(0.9, p_any * 2.2)
        else:
            policy = weighted(rng, {
                "university": [("considers", 50), ("case_by_case", 30), ("does_not_consider", 12)],
                "university_affiliated_community": [("considers", 65), ("case_by_case", 22), ("does_not_consider", 6)],
                "community": [("considers", 75), ("case_by_case", 15), ("does_not_consider", 4)],
                "military": [("case_by_case", 40), ("does_not_consider", 60)],
            }[setting])
            p_any = 0.0 if policy == "does_not_consider" else 1.0
        r["img_policy"] = None if chance(rng, 0.25) else policy

        classes = spec["classes"] if ultra else weighted(rng, [(3, 60), (4, 15), (5, 25)])
        total = positions * classes - (1 if chance(rng, 0.15) else 0)
        img = 0
        if chance(rng, p_any):
            if ultra:
                img = weighted(rng, spec.get("img_n", [(1, 60), (2, 28), (3, 12)]))
            else:
                # Roster share of IMGs: "heavy" community programs, "mixed" and "rare" university
                # ones (program-selection.md, advisors' rules of thumb).
                share = {
                    "university": rng.uniform(0.03, 0.25),
                    "university_affiliated_community": rng.uniform(0.15, 0.60),
                    "community": rng.uniform(0.35, 0.90),
                    "military": 0.0,
                }[setting]
                if specialty in ("preliminary_surgery", "preliminary_medicine"):
                    share = min(0.95, share * 1.5)
                if specialty in ("general_surgery", "pm_r", "transitional_year"):
                    share *= 0.6
                if division in IMG_FRIENDLIER_DIVISIONS:
                    share = min(0.95, share * 1.2)
                img = max(0, round(total * share))
        img = min(img, total)
        us_img = 0
        if img:
            us_img = sum(1 for _ in range(img) if chance(rng, 0.5 if ultra else 0.4))
        counts = weighted(rng, [("all", 55), ("no_split", 15), ("none", 30)])
        if counts != "none":
            r["img_residents"] = img
            r["total_residents"] = total
            r["classes_counted"] = classes
            if counts == "all":
                r["us_img_residents"] = us_img

        # Step 2 CK minimum: stated far less often than anything else (FREIDA: more than half of
        # programs give no minimum). Backup cut-offs 220-250.
        if ultra:
            stated = chance(rng, 0.35)
        else:
            stated = chance(rng, 0.55)
        if stated:
            if chance(rng, 0.10):
                r["step2ck_min"] = "none"
            else:
                if spec["step2"]:
                    low, high = spec["step2"]
                else:  # internal medicine: by setting
                    low, high = {"university": (230, 245), "university_affiliated_community": (225, 238),
                                 "community": (220, 232), "military": (220, 230)}[setting]
                r["step2ck_min"] = int(round(rng.uniform(low, high) / 5.0) * 5) if chance(rng, 0.7) \
                    else rng.randint(low, high)
                r["step2ck_cutoff"] = weighted(rng, [("hard", 45), ("soft", 35), (None, 20)])

        # Attempts and years since graduation.
        if chance(rng, 0.55):
            if ultra or setting == "university":
                r["max_attempts"] = weighted(rng, [(1, 70), (2, 24), ("none", 6)])
            else:
                r["max_attempts"] = weighted(rng, [(1, 18), (2, 45), (3, 17), ("none", 20)])
        if chance(rng, 0.45):
            if ultra:
                r["max_years_since_graduation"] = weighted(rng, [(1, 20), (2, 30), (3, 35), (5, 10), ("none", 5)])
            elif setting == "university":
                r["max_years_since_graduation"] = weighted(rng, [(2, 20), (3, 40), (5, 30), ("none", 10)])
            else:
                r["max_years_since_graduation"] = weighted(rng, [(3, 20), (5, 40), (7, 10), (10, 10), ("none", 20)])

        if chance(rng, 0.75):
            if ultra:
                r["us_clinical_experience"] = weighted(rng, [("required", 45), ("preferred", 50), ("none", 5)])
            elif setting == "university":
                r["us_clinical_experience"] = weighted(rng, [("required", 40), ("preferred", 50), ("none", 10)])
            else:
                r["us_clinical_experience"] = weighted(rng, [("required", 60), ("preferred", 35), ("none", 5)])

        if chance(rng, 0.85):
            if ultra or specialty == "general_surgery":
                r["research_intensity"] = weighted(rng, {
                    "university": [("high", 65), ("medium", 30), ("low", 5)],
                    "university_affiliated_community": [("high", 20), ("medium", 50), ("low", 30)],
                    "community": [("high", 5), ("medium", 35), ("low", 60)],
                    "military": [("high", 10), ("medium", 50), ("low", 40)],
                }[setting])
                if specialty == "general_surgery" and r["research_intensity"] == "high" and chance(rng, 0.4):
                    r["research_intensity"] = "medium"
            elif specialty in ("internal_medicine", "pm_r"):
                r["research_intensity"] = weighted(rng, {
                    "university": [("high", 40), ("medium", 45), ("low", 15)],
                    "university_affiliated_community": [("high", 8), ("medium", 42), ("low", 50)],
                    "community": [("high", 2), ("medium", 28), ("low", 70)],
                    "military": [("high", 5), ("medium", 45), ("low", 50)],
                }[setting])
            else:
                r["research_intensity"] = weighted(rng, [("high", 3), ("medium", 22), ("low", 75)])

        if chance(rng, 0.88):
            r["takes_signals"] = False if setting == "military" else chance(rng, spec["signals"])

        if chance(rng, 0.72):
            p = spec["research_year"]
            if setting == "community":
                p *= 0.2
            elif setting == "military":
                p = 0.0
            r["offers_research_year"] = chance(rng, p)

        slug = inst["name"].lower().replace(" ", "-")
        r["source"] = "https://%s.example.org/%s" % (slug, specialty.replace("_", "-"))
        month, day = weighted(rng, [(5, 2), (6, 3), (7, 3), (8, 2)]), rng.randint(1, 28)
        r["retrieved"] = "2025-%02d-%02d" % (month, day)
        r["verified_by"] = None if chance(rng, 0.15) else rng.choice(VERIFIERS)
        return r

    def build(self):
        self.build_institutions()
        counts = split_counts(self.count, {k: v["share"] for k, v in SPECIALTIES.items()})
        order = ULTRAS + ["general_surgery", "internal_medicine", "pm_r", "preliminary_surgery",
                          "preliminary_medicine", "transitional_year"]
        for specialty in order:
            for _ in range(counts[specialty]):
                inst = self.host_for(specialty)
                inst["programs"].add(specialty)
                self.records.append(self.record(specialty, inst))
        # File order: by specialty (kb order), then state, then name - easy to scan in a sheet.
        kb_order = list(SPECIALTIES)
        self.records.sort(key=lambda r: (kb_order.index(r["specialty"]), r["state"], r["name"]))
        self.validate()
        return self.records

    def validate(self):
        ids = set()
        names = set()
        for r in self.records:
            pid = r["program_id"]
            assert len(pid) == 10 and pid.isdigit(), pid
            assert pid not in ids, pid
            ids.add(pid)
            assert (r["name"], r["track"]) not in names, r["name"]
            names.add((r["name"], r["track"]))
            assert pid[3:5] == ACGME_STATE_CODE[r["state"]]
            assert pid[:3] == SPECIALTIES[r["specialty"]]["code"]
            if r["img_residents"] is not None:
                assert 0 <= r["img_residents"] <= r["total_residents"]
            if r["us_img_residents"] is not None:
                assert r["img_residents"] is not None and r["us_img_residents"] <= r["img_residents"]
            if r["img_policy"] == "does_not_consider" and r["img_residents"] is not None:
                assert r["img_residents"] == 0
            if r["step2ck_cutoff"] is not None:
                assert isinstance(r["step2ck_min"], int)
            if isinstance(r["step2ck_min"], int):
                assert 1 <= r["step2ck_min"] <= 300


def header_comment(seed, count):
    # No commas or quotes: a spreadsheet keeps this line as one cell and writes it back as is.
    return ("# FICTITIOUS CATALOG - every program and institution and city here is invented for "
            "illustration: not real programs and not advice. Generated by scripts/gen_catalog.py "
            "--seed %d --count %d. Columns and sources: docs/catalog.md\n" % (seed, count))


def to_csv(records, seed, count):
    out = io.StringIO()
    out.write(header_comment(seed, count))
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in records:
        row = []
        for c in COLUMNS:
            v = r[c]
            if v is None:
                row.append("")
            elif isinstance(v, bool):
                row.append("true" if v else "false")
            else:
                row.append(str(v))
        w.writerow(row)
    return out.getvalue()


def to_json(records, seed, count):
    # One program per line: readable, and a change to one program is a one-line diff.
    lines = ["{",
             ' "$comment": %s,' % json.dumps(header_comment(seed, count)[2:].strip()),
             ' "program": [']
    for i, r in enumerate(records):
        obj = {c: r[c] for c in COLUMNS if r[c] is not None}
        lines.append("  " + json.dumps(obj, ensure_ascii=False) + ("," if i + 1 < len(records) else ""))
    lines += [" ]", "}"]
    return "\n".join(lines) + "\n"


def stats(records):
    lines = ["%d programs" % len(records)]
    for c in COLUMNS:
        unknown = sum(1 for r in records if r[c] is None)
        lines.append("%-28s %5.1f%% unknown" % (c, 100.0 * unknown / len(records)))
    by = {}
    for r in records:
        by[r["specialty"]] = by.get(r["specialty"], 0) + 1
    lines.append("per specialty: " + ", ".join("%s %d" % (k, by.get(k, 0)) for k in SPECIALTIES))
    return "\n".join(lines) + "\n"


def write(path, text):
    if path == "-":
        sys.stdout.write(text)
        return
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def main(argv):
    ap = argparse.ArgumentParser(description="Generate the illustrative catalog of FICTITIOUS programs.")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    ap.add_argument("--count", type=int, default=DEFAULT_COUNT, help="number of programs (default %(default)s)")
    ap.add_argument("--out", help="write the CSV here ('-' for standard output); a name ending in .json "
                                  "gets JSON instead")
    ap.add_argument("--json", help="also write the JSON form here")
    ap.add_argument("--check", action="store_true",
                    help="compare with the committed examples/catalog files instead of writing")
    ap.add_argument("--stats", action="store_true", help="print the unknown share per column on stderr")
    args = ap.parse_args(argv)
    if args.count < 1:
        ap.error("--count must be at least 1")

    records = Catalog(args.seed, args.count).build()
    csv_text = to_csv(records, args.seed, args.count)
    json_text = to_json(records, args.seed, args.count)
    if args.stats:
        sys.stderr.write(stats(records))

    if args.check:
        if args.seed != DEFAULT_SEED or args.count != DEFAULT_COUNT:
            sys.stderr.write("gen_catalog: --check compares the default --seed and --count only\n")
            return 2
        stale = []
        for path, text in ((DEFAULT_CSV, csv_text), (DEFAULT_JSON, json_text)):
            try:
                with open(path, encoding="utf-8", newline="") as f:
                    if f.read() != text:
                        stale.append(path)
            except OSError:
                stale.append(path)
        for p in stale:
            sys.stderr.write("gen_catalog: %s is not the generator's output; run scripts/gen_catalog.py\n"
                             % os.path.relpath(p, ROOT))
        return 1 if stale else 0

    if args.out is None and args.json is None:
        write(DEFAULT_CSV, csv_text)
        write(DEFAULT_JSON, json_text)
        return 0
    if args.out is not None:
        write(args.out, json_text if args.out.endswith(".json") else csv_text)
    if args.json is not None:
        write(args.json, json_text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
