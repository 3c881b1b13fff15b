// The agenda: activations (a rule and the facts it matched) ordered by a
// conflict-resolution strategy, with refraction per activation
// (docs/engine.md, "The cycle" and "The agenda and conflict resolution").
//
// One agenda serves both kinds of rule. A single-record rule (a condition
// over the profile and the conclusions) adds an activation *over records*:
// the slots its condition reads, at their current versions; refraction
// compares those versions with the ones the same rule fired with over the
// same facts. A rule over facts adds an activation *over a token* of the
// matcher (engine/rete.cpp): the token is the match, and the activation is
// consumed when it fires. The engine and the matcher share one Agenda per
// evaluation, so the strategy orders both kinds together.
#pragma once

#include <cstdint>
#include <span>
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

// The order the strategies give rules, fixed with the rule set: each rule's
// priority and specificity, and its rank in the `advise` order (priority,
// higher first; specificity, more tests first; source order).
class RuleOrder {
 public:
  RuleOrder() = default;
  RuleOrder(std::vector<std::int32_t> priority, std::vector<std::int32_t> specificity);
  static RuleOrder of(const RuleSet& rs);
  std::size_t size() const { return priority_.size(); }
  std::int32_t priority(std::int32_t rule) const { return priority_[static_cast<std::size_t>(rule)]; }
  std::int32_t specificity(std::int32_t rule) const { return specificity_[static_cast<std::size_t>(rule)]; }
  std::int32_t rank(std::int32_t rule) const { return rank_[static_cast<std::size_t>(rule)]; }
  std::int32_t rule_at(std::int32_t rank) const { return by_rank_[static_cast<std::size_t>(rank)]; }

 private:
  std::vector<std::int32_t> priority_, specificity_, rank_, by_rank_;
};

// A rule and what it matched. Over records: `facts`, each with its version
// (valid until the agenda next changes). Over a token: `token`, whose levels
// the matcher holds (rete::Matcher::levels); `facts` is empty.
struct Activation {
  std::int32_t handle = -1;  // -1: none (pop or get of an empty agenda)
  std::int32_t rule = -1;
  std::int32_t token = -1;
  std::uint64_t timetag = 0;  // when it entered the agenda
  std::span<const FactRef> facts;
};

// Orders activations by a strategy (RuleStrategy, dsl/ruleset.hpp), priority
// (higher first) always first:
//  - Advise: the rule's rank (specificity, more tests first, then source
//    order), then the older activation;
//  - Depth / Breadth: the newer / older activation;
//  - Lex: the facts' versions (time tags) sorted newest first, compared
//    lexicographically (more facts first on a common prefix), specificity,
//    the newer activation; Mea: the same after the first fact's version.
// Under every strategy but Advise, at equal priority, activations over
// records go before activations over tokens (versions of slots and time tags
// of facts come from two clocks and do not compare).
//
// Storage per strategy: Advise keeps one list of activations per rank (in
// time order) and a two-level bitset of the ranks whose list is not empty,
// so adding, removing and popping cost no allocation and no comparison;
// Depth and Breadth one list per priority and kind (O(1)); Lex and Mea a
// binary heap with lazy deletion.
//
// Refraction per activation: an activation over records fires once — it is
// not added again while the same rule matches the same facts at the same
// versions (the same rule over other facts, or over a fact that changed since,
// is a new activation); an activation over a token is consumed when it fires
// and never comes back (a token that reappears is a new one).
class Agenda {
 public:
  Agenda(RuleStrategy strategy, const RuleOrder& order);
  Agenda(const Agenda&) = delete;
  Agenda& operator=(const Agenda&) = delete;
  RuleStrategy strategy() const { return strategy_; }

  // Empties the agenda and forgets what fired, for a new evaluation: the
  // per-rule state is stamped with an epoch, so this costs what the last
  // evaluation touched, not the number of rules.
  void reset();

  // Over records: the activation of `rule` over `facts`. When the rule has a
  // live activation over the same facts, it stays if the versions are the
  // same and is replaced otherwise. Returns its handle, or -1 when refracted
  // (the rule fired over these facts at these versions).
  std::int32_t add(std::int32_t rule, std::span<const FactRef> facts);
  // Over a token of the matcher; `facts` (the token's facts with their time
  // tags, in pattern order) order it under Lex and Mea.
  std::int32_t add_token(std::int32_t rule, std::int32_t token, std::span<const FactRef> facts);
  // Takes an activation off without firing it (its condition stopped
  // holding, or its token went); nothing when it is not live.
  void remove(std::int32_t handle);
  // Takes off the live activations of `rule` over records.
  void remove_rule(std::int32_t rule);

  // The handle of the activation the strategy puts first, -1 when empty.
  std::int32_t top();
  Activation get(std::int32_t handle) const;
  std::int32_t rule_of(std::int32_t handle) const { return recs_[static_cast<std::size_t>(handle)].rule; }
  std::int32_t token_of(std::int32_t handle) const { return recs_[static_cast<std::size_t>(handle)].token; }
  // Removes the first activation and records it as fired (handle -1 when the
  // agenda is empty). Its record stays readable (get) until the next pop.
  Activation pop();
  bool empty() const { return live_ == 0; }
  std::size_t size() const { return live_; }

  // Whether `rule` fired over `facts` at their versions.
  bool refracted(std::int32_t rule, std::span<const FactRef> facts) const;
  // Whether an activation of `rule` over records has fired.
  bool fired(std::int32_t rule) const;
  std::size_t memory_bytes() const;

 private:
  // The facts a rule matched over records (one combination for a
  // single-record rule): the versions of its live activation and the
  // versions it last fired with, 2n FactRefs in refs_ from `refs`.
  struct Combo {
    std::int32_t next = -1;  // the rule's next combination
    std::int32_t refs = 0;
    std::int32_t n = 0;
    std::int32_t live = -1;  // its activation on the agenda
    bool fired = false;
  };
  struct Rec {  // 32 B: a rule set of half a million rules has as many on the agenda at once
    std::uint64_t timetag = 0;
    std::int32_t rule = -1, token = -1, combo = -1;
    std::int32_t next = -1, prev = -1;  // Advise: its rank's list; Depth/Breadth: its group's
    bool alive = false, in_heap = false;
  };
  struct Recency {  // Lex/Mea only, by handle
    std::int64_t first = -1;              // Mea: the first fact's version
    std::vector<std::int64_t> versions;  // the facts' versions, newest first
  };
  struct Group {  // Depth/Breadth: the activations of one priority and kind
    std::int32_t priority;
    bool token;
    std::int32_t head, tail;
  };
  struct RuleState {
    std::uint32_t epoch = 0;
    std::int32_t combos = -1;
  };

  std::int32_t alloc(std::int32_t rule, std::int32_t token, std::int32_t combo, std::span<const FactRef> facts);
  void insert(std::int32_t h);
  void unlink(std::int32_t h);
  void free_rec(std::int32_t h);
  bool before(std::int32_t a, std::int32_t b) const;
  void drop_dead_top();
  std::int32_t find_combo(std::int32_t rule, std::span<const FactRef> facts) const;
  Group& group_of(std::int32_t priority, bool token);
  void set_rank(std::int32_t rank);
  void clear_rank(std::int32_t rank);

  RuleStrategy strategy_;
  const RuleOrder& order_;
  std::uint64_t clock_ = 0;
  std::size_t live_ = 0;
  std::int32_t last_popped_ = -1;
  std::vector<Rec> recs_;
  std::vector<Recency> recency_;  // Lex/Mea: by handle; empty under the other strategies
  std::vector<std::int32_t> free_;
  std::vector<Combo> combos_;
  std::vector<FactRef> refs_;
  std::uint32_t epoch_ = 1;
  std::vector<RuleState> rules_;  // by rule, valid when stamped with epoch_
  // Advise: bit per rank whose list is not empty, and bit per word of those.
  std::vector<std::uint64_t> bits_, summary_;
  std::vector<std::int32_t> head_, tail_;  // by rank, valid while its bit is set
  std::vector<Group> groups_;               // Depth/Breadth, by priority (higher first), records first
  std::vector<std::int32_t> heap_;          // Lex/Mea
  std::size_t dead_ = 0;                    // dead records in heap_
};

}  // namespace advise
