// The difference between two evaluations of one profile (two rule sets, or
// two versions of one): which conclusions, recommendations, notes and warnings
// changed, and on each side the firing responsible (WorkingMemory's
// provenance). `advise diff` (app/cmd_diff.cpp) runs the rule sets and renders
// this; docs/testing.md describes the command.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace advise {

// What made one side of a change: the firing responsible, or none.
struct DiffSide {
  const Result* result = nullptr;
  std::int32_t firing = -1;   // -1: nothing set it (missing)
  std::optional<Value> item;  // lists: the item the rule added
  std::string counterpart;    // firing -1: the rule responsible on the other side, to say why it did not act here
};

// A conclusion whose value differs; for a map, one entry (`key`).
struct ConclusionDiff {
  std::int32_t slot = -1;
  std::optional<Value> key;
  Value before, after;
  std::vector<DiffSide> old_side, new_side;
};

struct RecommendationDiff {
  std::string id;
  enum class Kind { Added, Removed, Text } kind = Kind::Added;
  const Recommendation* before = nullptr;
  const Recommendation* after = nullptr;
};

// A note or warning of one rule whose wording changed, or that one side
// alone gives.
struct MessageDiff {
  std::string rule;
  Message::Kind kind = Message::Kind::Note;
  std::optional<std::string> before, after;
};

struct ResultDiff {
  // In conclusion order; a map's entries in key order (the old entries, then new keys).
  std::vector<ConclusionDiff> conclusions;
  // By id, in the order the old run made them, then the new ones.
  std::vector<RecommendationDiff> recommendations;
  // Paired by the rule that gave them (by name) and their kind, in the order each side gave them.
  std::vector<MessageDiff> messages;
  // A side that stopped at the firing limit: the engine's message. Its advice
  // is incomplete, so the profile is a finding even when nothing else differs.
  std::optional<std::string> old_runaway, new_runaway;
  bool unfinished() const { return old_runaway || new_runaway; }
  bool changed() const {
    return !conclusions.empty() || !recommendations.empty() || !messages.empty() || unfinished();
  }
};

// `a` is the old side, `b` the new; both evaluated the same profile against
// the same knowledge base's conclusions. The result points into `a` and `b`.
ResultDiff diff_results(const Result& a, const Result& b);

// A constant (`const`, or a standard of the knowledge base) whose value
// differs between two rule sets, or that one set alone defines; values in
// rule syntax.
struct ConstantDiff {
  std::string name;
  std::optional<std::string> before, after;
};

// By name. Lists (groups) are left out.
std::vector<ConstantDiff> constant_changes(const RuleSet& a, const RuleSet& b);

}  // namespace advise
