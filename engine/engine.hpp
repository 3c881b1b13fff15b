// The forward-chaining inference engine.
//
// Working memory holds one fact per slot (profile fields, then conclusions);
// every change makes a new FactVersion that keeps its evidence: given by the
// profile (with its JSON path) or derived by a firing (the rule, and the
// version of every fact it read). Nothing is overwritten, so any conclusion
// can be explained as it was when it was made.
//
// The cycle: evaluate the conditions of rules whose facts changed; the agenda
// (engine/agenda.hpp) holds their activations — a rule and the facts it
// matched, at their versions — except those that already fired (refraction
// per activation); fire the first by the rule set's strategy (by default
// priority, higher first, then specificity, more tests first, then source
// order); repeat to quiescence or until the firing limit.
//
// Thread safety: an Engine is immutable after construction; evaluate() may run
// concurrently on several threads, each call with its own Result.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dsl/ruleset.hpp"
#include "engine/agenda.hpp"
#include "kb/facts.hpp"
#include "kb/profile.hpp"

namespace advise {

// Withdrawn: a `logical` rule over facts set the previous version, and the
// match that supported it went (`firing` removed or changed a fact it
// matched); the slot returns to the value it had before that rule set it
// (`restored`, a version index; -1: missing again). docs/engine.md, "Truth
// maintenance".
struct Evidence {
  enum class Kind : std::uint8_t { Given, Derived, Withdrawn };
  Kind kind = Kind::Given;
  std::int32_t firing = -1;    // Derived, Withdrawn: index into Result::firings
  std::int32_t restored = -1;  // Withdrawn: the version whose value the slot has again
};

// A fact of the built-in template: one version of one slot's value (the
// slot names the field or conclusion and thereby its type; its FactId is
// FactId::slot(slot)). Facts of the rule set's templates are Records.
struct Fact {
  std::int32_t slot = -1;
  Value value;
  Evidence evidence;
  std::int32_t prev = -1;  // the slot's previous version (index into facts), -1 when none
};

struct Change {
  std::int32_t slot;
  std::int32_t before;  // fact version index, -1 when it was missing
  std::int32_t after;
};

// A rule that fired, 40 bytes: its lists are PackedVecs (8 bytes each,
// where a vector takes 24), for a rule set that fires half a million rules.
struct Firing {
  std::int32_t rule = -1;
  // Facts recorded before it fired: its snapshot is, for every slot, the last
  // version below this index (Result::version_at).
  std::int32_t facts_before = 0;
  // Rules over facts: the record each level of the match holds (index into
  // Result::records; -1 for the level of an aggregate, whose value is in
  // `aggregates`, and for the applicant's level of a guarded rule).
  PackedVec<std::int32_t> matched;
  PackedVec<Value> aggregates;  // by level; Missing where the level is a record
  PackedVec<std::int32_t> read;  // for each of the rule's reads (same order): the fact version, -1 = missing
  PackedVec<Change> changes;
};
static_assert(sizeof(Firing) == 40, "Firing grew: the memory per firing grows with it (docs/cli.md, Limits)");

struct Recommendation {
  std::string id;
  std::int32_t category = -1;
  std::string text;
  std::int32_t rule = -1;
  std::int32_t firing = -1;
  std::vector<std::int32_t> also_by;  // other rules that recommended the same id
};

struct Message {
  enum class Kind : std::uint8_t { Note, Warning } kind = Kind::Note;
  std::string text;
  std::int32_t rule = -1;
  std::int32_t firing = -1;
};

struct Citation {
  std::int32_t figure = -1;  // symbol of the `figure` enum
  std::int32_t firing = -1;
};

// Two rules set one conclusion (or one map entry) to different values.
// The higher priority stands; at equal priority the first value stands and
// the conflict is an error of the rule set, shown in every report.
struct Conflict {
  std::int32_t slot = -1;
  Value key;  // the map key, for map conclusions
  Value kept, rejected;
  std::int32_t kept_firing = -1, rejected_firing = -1;
  bool error = false;  // equal priorities
};

// Evaluation stopped at the firing limit (docs/engine.md, "Runaway guard").
struct RunawayError {
  std::int32_t limit = 0;
  std::vector<std::int32_t> rules;  // the rules that keep firing (or, when none fired twice lately, those that fired most)
  std::vector<std::int32_t> slots;  // the facts they keep changing
  std::string message;              // never empty
};

// A record's values, by field: its own (a fact a firing created), or a view
// of a given fact's (EngineOptions::facts, Result::kb_facts), which the
// engine does not copy: a 10,000-program catalog is 19 MB of values. A view
// points at the given fact's vector of values, so it is valid while the given
// facts stay where they are (Result::given, Result::kb_facts: not changed,
// moved or destroyed); the records themselves may move in their vector.
class RecordValues {
 public:
  RecordValues() = default;
  explicit RecordValues(std::vector<Value> own) : own_(std::move(own)) {}
  static RecordValues view(const std::vector<Value>& given) {
    RecordValues r;
    r.given_ = &given;
    return r;
  }

  std::size_t size() const { return values().size(); }
  bool empty() const { return values().empty(); }
  const Value& operator[](std::size_t i) const { return values()[i]; }
  const Value* begin() const { return values().data(); }
  const Value* end() const { return values().data() + values().size(); }
  std::span<const Value> span() const { return values(); }

 private:
  const std::vector<Value>& values() const { return given_ ? *given_ : own_; }
  const std::vector<Value>* given_ = nullptr;  // a given fact's values, not owned
  std::vector<Value> own_;                     // a created fact's values
};

// A fact of a template in working memory: given (read from a facts file) or
// created by a firing. Records are never erased: a removed or changed one
// keeps its values and says which firing ended it.
struct Record {
  std::int32_t tmpl = -1;  // index into RuleSet::templates; -1 for the applicant
  RecordValues values;     // by field; Missing = unknown
  std::int32_t input = -1;       // index into EngineOptions::facts
  std::int32_t kb_input = -1;    // index into Result::kb_facts (a specialty of the knowledge base)
  std::int32_t created_by = -1;  // the firing that created it (`create`, `change`)
  std::int32_t ended_by = -1;    // the firing that removed or changed it; -1 while it holds
  std::uint32_t timetag = 0;
};

struct EngineOptions {
  // The limit on repeat firings: firings of a rule that has fired before in
  // this evaluation. First firings are free (each rule has one), so a run
  // makes at most (rules + max_firings) firings.
  std::int32_t max_firings = 1000;
  // Rules over facts: firings of their activations are bounded apart (each
  // activation fires once, and a program such as Manners makes thousands).
  std::int64_t max_fact_firings = 10'000'000;
  // Facts of the rule set's templates (FactRecord::tmpl indexes
  // RuleSet::templates), asserted in order after the applicant.
  const std::vector<FactRecord>* facts = nullptr;
};

struct Result {
  std::shared_ptr<const RuleSet> rules;
  std::vector<Fact> facts;               // every version, oldest first
  std::vector<std::int32_t> current;     // slot -> index into facts, -1 when missing
  std::vector<Firing> firings;           // in firing order
  std::vector<Recommendation> recommendations;
  std::vector<Message> messages;
  std::vector<Citation> citations;
  std::vector<Conflict> conflicts;
  std::vector<Record> records;            // rules over facts: every fact of a template, by time of assertion
  // The facts given (EngineOptions::facts), for their origins in
  // explanations: valid while the caller keeps them.
  const std::vector<FactRecord>* given = nullptr;
  // The knowledge base's facts the rules match (its specialties, when a
  // pattern names the template `specialty`), asserted before the given ones.
  std::shared_ptr<const std::vector<FactRecord>> kb_facts;
  std::optional<RunawayError> runaway;
  std::string profile_source;

  const Value& value(std::int32_t slot) const;
  // The slot's version when `firing` fired (index into facts), -1 when missing.
  std::int32_t version_at(std::int32_t slot, const Firing& firing) const;
  const Value& conclusion(std::string_view name) const;
  bool fired(std::int32_t rule) const;
  std::vector<std::int32_t> firings_of(std::int32_t rule) const;
  const Recommendation* recommendation(std::string_view id) const;
};

class Engine {
 public:
  explicit Engine(std::shared_ptr<const RuleSet> rules);
  Result evaluate(const Profile& profile, const EngineOptions& options = {}) const;
  const RuleSet& rules() const { return *rules_; }
  std::shared_ptr<const RuleSet> rule_set() const { return rules_; }

 private:
  std::shared_ptr<const RuleSet> rules_;
  std::shared_ptr<const struct PatternProgram> patterns_;  // null when no rule has patterns
  std::shared_ptr<const struct ConjunctIndex> conjuncts_;  // the single-record rules' conditions, interned
  std::shared_ptr<const RuleOrder> order_;                  // the rules' order for the agenda
  // Evaluations' working space, kept for the next evaluation (the engine's
  // only mutable state, behind a mutex: evaluate() stays safe from many threads).
  std::shared_ptr<struct ScratchPool> scratch_;
  std::shared_ptr<const std::vector<FactRecord>> kb_facts_;  // the kb's specialties, when a pattern reads them
};

// Evaluates a checked expression over a memory view; Missing means unknown.
// `get(slot)` returns the slot's current value.
class ValueView {
 public:
  virtual ~ValueView() = default;
  virtual const Value& get(std::int32_t slot) const = 0;
  // A field of the fact bound at `level` of a rule over facts, and an
  // aggregate's value; Missing outside such a rule.
  virtual Value fact_field(std::int32_t /*level*/, std::int32_t /*field*/) const { return {}; }
  virtual Value aggregate(std::int32_t /*level*/) const { return {}; }
  // The fact bound at `level` (record -1 when none, or an aggregate's level).
  virtual FactId fact_at(std::int32_t /*level*/) const { return FactId::slot(-1); }
};
Value evaluate_expr(const CExpr& e, const ValueView& view, const KnowledgeBase& kb);

// The truth of a condition: true, false, or unknown when it depends on a
// missing fact. Same semantics as evaluate_expr, without building operands.
enum class Truth : std::uint8_t { False, True, Unknown };
Truth test_condition(const CExpr& e, const ValueView& view, const KnowledgeBase& kb);

// The values every slot had when a firing fired.
class SnapshotView : public ValueView {
 public:
  SnapshotView(const Result& r, const Firing& firing) : r_(r), firing_(firing) {}
  const Value& get(std::int32_t slot) const override;

 private:
  const Result& r_;
  const Firing& firing_;
};

// The final state of a result.
class FinalView : public ValueView {
 public:
  explicit FinalView(const Result& r) : r_(r) {}
  const Value& get(std::int32_t slot) const override { return r_.value(slot); }

 private:
  const Result& r_;
};

// `labels`: enum values by their display names (the applicant's report),
// not by their ids.
std::string render_template(const TextTemplate& t, const ValueView& view, const KnowledgeBase& kb, bool labels = false);

}  // namespace advise
