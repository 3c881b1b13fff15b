// The applicant's program list (issue 14; docs/catalog.md "The program list",
// docs/report.md "Your program list"): read from the `listing` facts the rules
// of catalog/program_list.rules make over a catalog, with every firing that
// placed or moved each program as its reasons.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace advise {

// One firing that placed or moved a program: the rule, what it did, and the
// values it read (the program's fields and the applicant's).
struct ProgramReason {
  std::int32_t rule = -1;
  std::string name;         // the rule's name
  std::string description;  // the rule's description
  std::string source;       // the guide's section or the published source
  std::string values;       // "step2ck_min 255 (hard), step2ck 250"; empty when it read none
};

struct ProgramEntry {
  std::string program_id;
  std::string name, institution, city, state;
  std::string specialty;  // id
  std::string specialty_name;
  std::string track;
  std::string tier;    // anchor | target | reach | long_shot | excluded
  std::string signal;  // gold | silver | "" (none)
  bool contingency = false;
  bool fictitious = false;
  std::string origin;  // where the record was read: "programs.csv:14:1 (row 14)"
  std::vector<ProgramReason> reasons;  // in firing order
};

// The list's size for one specialty against the strategy's `applications`.
struct ProgramCount {
  std::string specialty, specialty_name;
  std::size_t anchor = 0, target = 0, reach = 0, long_shot = 0, excluded = 0;
  std::size_t eligible() const { return anchor + target + reach + long_shot; }
  std::size_t signals = 0;
  bool has_range = false;
  double lo = 0, hi = 0;  // applications[specialty]
  bool too_few = false;   // eligible below lo: said, never padded
  bool too_many = false;  // eligible above hi: choose anchors and targets first
};

struct ProgramList {
  // Some program of the catalog is marked fictitious: every report says so at
  // the top of the list.
  bool fictitious = false;
  std::size_t catalog_programs = 0;
  // Ordered by specialty (the target, then the backups, then the rest in id
  // order), tier (anchor, target, reach, long shot, excluded), then name.
  std::vector<ProgramEntry> entries;
  std::vector<ProgramCount> counts;
};

// From this many listings on, the list's entries are made in two halves at
// once, and its JSON written so (the same entries and bytes as one pass).
inline constexpr std::size_t kProgramListSplit = 2000;

// Nothing when the evaluation read no catalog (no `program` record) or the
// rules make no `listing`: the report then has no program list. `split_from`:
// the number of listings from which the entries are made in two halves.
std::optional<ProgramList> build_program_list(const Result& result, std::size_t split_from = kProgramListSplit);

// What every report says at the top of a list drawn from a catalog with a
// fictitious record.
inline constexpr const char* kFictitiousNotice =
    "FICTITIOUS PROGRAMS: this list is drawn from a catalog of invented programs (an illustration), not real "
    "programs, and it is not advice.";

// `--why-not program=ID` (docs/report.md, "Your program list"): with a
// catalog, why the program is not on the list — the filter that excluded it,
// with the values it read — or, when it is on the list, where and why.
// Nothing when the query is not `program=ID`, when there is no program list,
// or when the program is in the catalog but outside the strategy's
// specialties (the generic why-not then shows the placing rules' failing
// tests). An id the catalog does not hold is an error with a suggestion.
struct WhyNot;
std::optional<WhyNot> explain_why_not_program(const Result& result, const std::string& query);

// The tier as a report shows it: "long shot".
std::string tier_label(const std::string& tier);
// The best tier any live listing of `program_id` has (a program may list
// several tracks), without building the list; nothing when none.
std::optional<std::string> program_tier(const Result& result, const std::string& program_id);
// A tier's place, best first: anchor 0, target 1, reach 2, long_shot 3,
// excluded 4 (anything else 5).
std::size_t program_tier_rank(const std::string& tier);

// "29 eligible (1 anchor, 4 targets, 7 reaches, 17 long shots), 13 excluded,
// 4 signals; the strategy calls for 60–100: too few eligible programs in the
// catalog, so the list holds every eligible one and is not padded"
std::string count_sentence(const ProgramCount& c);

// "gold signal", "silver signal", "" when none.
std::string signal_label(const std::string& signal);

// The list as CSV for the applicant's spreadsheet (`advise list`): a comment
// line when fictitious, a header row, one row per program (RFC 4180 quoting).
std::string program_list_csv(const ProgramList& list);

}  // namespace advise
