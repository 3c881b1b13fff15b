// The agenda: activations (a rule and the facts it matched) ordered by a
// conflict-resolution strategy, with refraction per activation
// (docs/engine.md, "The cycle" and "The agenda and conflict resolution").
//
// The single-record rules (conditions over the profile and the conclusions)
// use this agenda: each such rule has at most one activation at a time, over
// the slots its condition reads, at their current versions. The rules over
// facts keep theirs inside the matcher (engine/rete.cpp), where an activation
// is a token of the network; both order by the same strategies.
#pragma once

#include <cstdint>
#include <set>
#include <unordered_map>
#include <vector>

#include "dsl/ruleset.hpp"

namespace advise {

// The address of a fact in working memory: a record of a template. The
// profile's fields and the conclusions are the first, built-in template
// (`kSlots`), one record per slot, numbered by slot; the facts of the rule
// set's templates are records numbered by assertion (Result::records).
struct FactId {
  static constexpr std::int32_t kSlots = -1;
  std::int32_t tmpl = kSlots;
  std::int32_t record = -1;

  static constexpr FactId slot(std::int32_t s) { return {kSlots, s}; }
  static constexpr FactId of_record(std::int32_t tmpl, std::int32_t record) { return {tmpl, record}; }
  constexpr bool is_slot() const { return tmpl == kSlots; }
  friend constexpr bool operator==(const FactId&, const FactId&) = default;
  friend constexpr auto operator<=>(const FactId&, const FactId&) = default;
};

// A fact as an activation matched it: which fact, and which version of it
// (a slot: the index of its version in Result::facts, -1 when missing; a
// record: its time tag). A fact's version only ever grows: a change makes a
// new version and never brings back an old one.
struct FactRef {
  FactId id;
  std::int64_t version = -1;
  friend constexpr bool operator==(const FactRef&, const FactRef&) = default;
};

// A rule and the facts it matched, in pattern order (a single-record rule:
// the slots its condition reads, in CRule::reads order).
struct Activation {
  std::int32_t rule = -1;
  std::int32_t priority = 0;
  std::int32_t specificity = 0;
  std::uint64_t timetag = 0;  // when it entered the agenda (Agenda::add sets it)
  std::vector<FactRef> facts;
};

// Orders activations by a strategy (RuleStrategy, dsl/ruleset.hpp):
//  - Advise: priority (higher first), specificity (more tests first), rule
//    (source order), then the older activation;
//  - Depth / Breadth: priority, then the newer / older activation;
//  - Lex: priority, then the facts' versions sorted newest first, compared
//    lexicographically (more facts first on a common prefix), specificity,
//    the newer activation; Mea: the same after the first fact's version.
// Refraction per activation: an activation that fired is not added again
// while the same rule matches the same facts at the same versions; the same
// rule over other facts, or over a fact that changed since, is a new
// activation.
class Agenda {
 public:
  explicit Agenda(RuleStrategy strategy = RuleStrategy::Advise) : strategy_(strategy) {}
  Agenda(const Agenda&) = delete;  // its order refers to it
  Agenda& operator=(const Agenda&) = delete;
  RuleStrategy strategy() const { return strategy_; }

  // Adds an activation, stamped with the next time tag; returns its handle,
  // or -1 when it is refracted (it already fired).
  std::int32_t add(Activation a);
  // Takes an activation off without firing it (its condition stopped holding,
  // or a fact it matched changed); the handle is free afterwards.
  void remove(std::int32_t handle);
  // The handle of the activation the strategy puts first, -1 when empty.
  std::int32_t top() const { return order_.empty() ? -1 : *order_.begin(); }
  // Removes the first activation and records it as fired; empty activation
  // (rule -1) when the agenda is empty.
  Activation pop();
  const Activation& get(std::int32_t handle) const { return slots_[static_cast<std::size_t>(handle)].act; }
  bool empty() const { return order_.empty(); }
  std::size_t size() const { return order_.size(); }

  // Whether `a` (its rule, facts and their versions) has fired.
  bool refracted(const Activation& a) const;
  // Whether `a` goes before `b` under the strategy.
  bool before(const Activation& a, const Activation& b) const;

 private:
  struct Slot {
    Activation act;
    std::vector<std::int64_t> recency;  // Lex/Mea: the facts' versions, newest first
    bool live = false;
  };
  struct Order {
    const Agenda* agenda;
    bool operator()(std::int32_t a, std::int32_t b) const;
  };
  bool before(const Slot& a, const Slot& b) const;
  // The fired activations: for each rule and combination of facts, the
  // versions it last fired with. Versions only grow, so an earlier firing
  // over the same facts can never match again: keeping the last is exact,
  // and memory grows with the combinations fired, not with the firings.
  struct Fired {
    std::int32_t rule;
    std::vector<FactRef> facts;
  };
  static std::uint64_t key_hash(const Activation& a);
  std::int32_t find_fired(const Activation& a, std::uint64_t h) const;  // index into fired_, -1

  RuleStrategy strategy_;
  std::uint64_t clock_ = 0;
  std::vector<Slot> slots_;
  std::vector<std::int32_t> free_;
  std::set<std::int32_t, Order> order_{Order{this}};
  std::vector<Fired> fired_;
  std::unordered_multimap<std::uint64_t, std::int32_t> fired_index_;  // key_hash -> index into fired_
};

}  // namespace advise
