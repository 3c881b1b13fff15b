// Matching over many facts: a Rete network (docs/engine.md, "Design:
// matching over many facts").
//
// Two halves, as the engine's thread-safety promise needs:
//   - `Network`: the compiled patterns of a rule set — templates, alpha
//     memories with their constant tests, join / not / exists / aggregate
//     nodes and production nodes. Built once (NetworkBuilder), immutable,
//     shared by every evaluation.
//   - `Matcher`: one evaluation's working memory — facts with time tags,
//     alpha and beta memories, tokens — and its activations, on an Agenda
//     (engine/agenda.hpp) of its own or the engine's. Owned by one thread.
//
// Facts are rows of 8-byte cells (a number as a double, a symbol, string or
// enum value as an interned id, a boolean as 0/1) with one bit per field for
// *missing*. Equality between cells compares bits (numbers are normalised so
// that -0 is 0), so joins hash and compare raw words whatever the type.
//
// Tokens (partial matches) are small records in an arena with a free list:
// a parent link, the fact added at this level, tree and bucket links, and the
// facts of every level copied into one array so that a test reads any level
// in O(1). Retracting a fact removes the tokens that end on it and their
// descendants through the child links: nothing is searched.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/agenda.hpp"

namespace advise::rete {

// ----------------------------------------------------------------- values

enum class CellKind : std::uint8_t { Number, Id };  // Id: symbol, string, enum value, boolean

union Cell {
  double num;
  std::int64_t id;
  std::uint64_t bits;
};
static_assert(sizeof(Cell) == 8);

inline Cell number_cell(double d) {
  Cell c;
  c.num = d == 0 ? 0.0 : d;  // -0 and 0 are one value: equal bits
  return c;
}
inline Cell id_cell(std::int64_t i) {
  Cell c;
  c.id = i;
  return c;
}

inline constexpr int kMaxFields = 64;  // the missing mask is one word

struct FieldDesc {
  std::string name;
  CellKind kind = CellKind::Id;
};

struct TemplateDesc {
  std::string name;
  std::vector<FieldDesc> fields;
};

// ------------------------------------------------------------------ tests

// An operand of a compiled test: a field of the fact being tested (Self), a
// field of the fact matched at an earlier level of the token (Level), the
// value an aggregate computed at a level (AggValue), a constant, or a global
// slot (Global: the applicant's fields and the conclusions, which the engine
// keeps outside the network and sets with Matcher::set_global).
struct Operand {
  enum class Kind : std::uint8_t { Self, Level, AggValue, Const, Global };
  Kind kind = Kind::Const;
  std::int16_t level = 0;  // Level, AggValue
  std::int16_t field = 0;  // Self, Level
  Cell constant{};

  static Operand self(int field) { return {Kind::Self, 0, static_cast<std::int16_t>(field), {}}; }
  static Operand at(int level, int field) {
    return {Kind::Level, static_cast<std::int16_t>(level), static_cast<std::int16_t>(field), {}};
  }
  static Operand agg(int level) { return {Kind::AggValue, static_cast<std::int16_t>(level), 0, {}}; }
  static Operand value(Cell c) { return {Kind::Const, 0, 0, c}; }
  static Operand global(int slot) { return {Kind::Global, 0, static_cast<std::int16_t>(slot), {}}; }
  friend bool operator==(const Operand& a, const Operand& b) {
    return a.kind == b.kind && a.level == b.level && a.field == b.field && a.constant.bits == b.constant.bits;
  }
};

// `lhs op rhs` with the comparison's kind fixed when compiled: Eq/Ne compare
// bits (any kind); Lt/Le/Gt/Ge compare numbers. A missing operand makes the
// test unknown, and a pattern matches only when every test is true.
//
// Pred: a test the compiler could not reduce to two operands (arithmetic,
// `in` a group, `or`...), evaluated by the Matcher's PredicateHost:
// lhs = Const(id of the predicate), rhs = Const or the Global it reads first.
// PredFact: a Pred that reads no level of the token, only the fact being
// tested and globals (`program_connections[q.program_id] is present`): its
// result for a fact is kept until a global changes, so a fact that many
// tokens meet is tested once (a fact's fields never change: a modify makes
// a new fact). lhs.field = 1 + a field when that field of a scalar type is
// all it reads of the fact (`backup_specialties contains p.specialty`): the
// result is kept by that field's cell instead, for every fact alike.
// Reads: always true; rhs = Global(slot) registers the node as a reader of
// that slot, for predicates that read more than one global.
// Missing / Present: whether lhs has a value (never unknown; rhs unused).
// In / NotIn: lhs among the cells of a constant set, rhs = Const(id of the
// set, Network::set); a missing lhs makes it unknown, as in the language.
enum class TestOp : std::uint8_t { Eq, Ne, Lt, Le, Gt, Ge, Pred, PredFact, Reads, Missing, Present, In, NotIn };

// A constant set for In / NotIn: its cells, compared as numbers or as ids.
struct CellSet {
  std::vector<Cell> cells;
  bool numeric = false;
  bool has(Cell c) const {
    for (const Cell& x : cells)
      if (numeric ? x.num == c.num : x.bits == c.bits) return true;
    return false;
  }
  friend bool operator==(const CellSet& a, const CellSet& b) {
    if (a.numeric != b.numeric || a.cells.size() != b.cells.size()) return false;
    for (std::size_t i = 0; i < a.cells.size(); ++i)
      if (a.cells[i].bits != b.cells[i].bits) return false;
    return true;
  }
};

struct Test {
  TestOp op = TestOp::Eq;
  Operand lhs, rhs;
  friend bool operator==(const Test&, const Test&) = default;
};

// An equality between a field of an earlier level (left) and a field of the
// fact being joined (right): the join's hash key is made of these.
struct KeyPair {
  Operand left;        // Level or AggValue
  std::int16_t right;  // field of the joined fact
  friend bool operator==(const KeyPair&, const KeyPair&) = default;
};

// ------------------------------------------------------------------ network

enum class NodeKind : std::uint8_t { Root, Join, Not, Exists, Aggregate, Production };
enum class AggKind : std::uint8_t { Count, Sum, Min, Max, Avg };

struct AlphaIndexDesc {
  std::vector<std::int16_t> fields;  // the key's fields; empty: one bucket
};

struct AlphaMemDesc {
  std::int32_t tmpl = -1;
  std::vector<Test> tests;               // operands Self or Const
  std::vector<AlphaIndexDesc> indexes;   // one per distinct key of the nodes it feeds
  std::vector<std::int32_t> successors;  // nodes it right-activates, deepest first
};

struct NodeDesc {
  NodeKind kind = NodeKind::Root;
  std::int32_t parent = -1;
  std::int32_t depth = 0;   // levels in the tokens this node's left memory holds
  std::int32_t alpha = -1;  // Join/Not/Exists/Aggregate: right input
  std::int32_t alpha_index = -1;  // which index of the alpha memory its keys use
  std::vector<KeyPair> keys;
  std::vector<Test> tests;        // residual tests: Self, Level, AggValue, Const, Global
  AggKind agg = AggKind::Count;   // Aggregate
  Operand agg_value;              // Aggregate: a Self field (not used by Count)
  std::vector<Test> agg_tests;    // Aggregate: tests on the value (AggValue at depth)
  std::vector<std::int32_t> children;
  // Production
  std::int32_t rule = -1;
  std::int32_t priority = 0;
  std::int32_t specificity = 0;
  bool logical = false;  // its rule's activations may support facts (Matcher::support)
  bool emits_level = false;  // Join and Aggregate add a level to the tokens they emit
  std::uint64_t agg_levels = 0;  // bit per level of its tokens that holds an aggregate's value, not a fact
  // Aggregate: bit per level of its left tokens that its keys or residual
  // tests read (all bits when a predicate or a level past 63 is read). A
  // token that differs from its predecessor only in levels it does not read
  // counts the same facts (NetworkBuilder::finish).
  std::uint64_t reads_levels = 0;
};

// The conflict-resolution strategies are the rule language's (the agenda,
// engine/agenda.hpp, orders by them).
using Strategy = RuleStrategy;
const char* strategy_name(Strategy s);
using advise::Activation;

class Network {
 public:
  const std::vector<TemplateDesc>& templates() const { return templates_; }
  const std::vector<AlphaMemDesc>& alphas() const { return alphas_; }
  const std::vector<NodeDesc>& nodes() const { return nodes_; }
  const CellSet& set(std::int64_t id) const { return sets_[static_cast<std::size_t>(id)]; }
  const NodeDesc& node(std::int32_t n) const { return nodes_[static_cast<std::size_t>(n)]; }
  // The production node of each rule (index = rule), -1 when the rule has none.
  const std::vector<std::int32_t>& productions() const { return productions_; }
  // Alpha memories of a template, in build order.
  const std::vector<std::int32_t>& alphas_of(std::int32_t tmpl) const {
    return by_template_[static_cast<std::size_t>(tmpl)];
  }
  // The nodes whose tests read a global slot, shallowest first.
  const std::vector<std::int32_t>& readers_of_global(std::int32_t slot) const;
  std::int32_t global_count() const { return static_cast<std::int32_t>(global_readers_.size()); }
  // The rules' order for a matcher's own agenda: each production's priority
  // and specificity (0 for a rule without one).
  const RuleOrder& order() const { return order_; }
  Strategy strategy = Strategy::Depth;

 private:
  friend class NetworkBuilder;
  std::vector<TemplateDesc> templates_;
  std::vector<AlphaMemDesc> alphas_;
  std::vector<NodeDesc> nodes_;  // node 0 is the root
  std::vector<CellSet> sets_;    // the constant sets of In / NotIn tests
  std::vector<std::int32_t> productions_;
  std::vector<std::vector<std::int32_t>> by_template_;
  std::vector<std::vector<std::int32_t>> global_readers_;
  RuleOrder order_;
};

// Builds a network rule by rule. Identical alpha memories and identical
// prefixes of rules (same parent, same kind, same alpha memory, keys and
// tests) are shared. Alpha tests and join keys never read globals (a global
// changes during a run; memories keyed on it would have to be rebuilt): tests
// reading a global go in a node's residual tests, which are re-run when it
// changes. Breaking these rules throws std::invalid_argument (a compiler
// bug, never an author's error: the checker compiles rules to this API).
class NetworkBuilder {
 public:
  NetworkBuilder();
  std::int32_t add_template(TemplateDesc t);
  std::int32_t alpha(std::int32_t tmpl, std::vector<Test> tests);
  static constexpr std::int32_t root() { return 0; }
  // A constant set for In / NotIn tests; equal sets get one id (so that
  // alpha memories with equal tests are still shared).
  std::int64_t set(CellSet s);
  // `for each`: a positive pattern; adds a level.
  std::int32_t join(std::int32_t parent, std::int32_t alpha, std::vector<KeyPair> keys, std::vector<Test> tests);
  // `there is no`: passes a token on while no fact matches it.
  std::int32_t negative(std::int32_t parent, std::int32_t alpha, std::vector<KeyPair> keys, std::vector<Test> tests);
  // `there is a`: passes a token on while at least one fact matches it.
  std::int32_t exists(std::int32_t parent, std::int32_t alpha, std::vector<KeyPair> keys, std::vector<Test> tests);
  // Aggregate over the matching facts; adds a level holding the value; the
  // token is passed on while the value is defined and `value_tests` hold
  // (they read Operand::agg(depth of the parent)).
  std::int32_t aggregate(std::int32_t parent, std::int32_t alpha, std::vector<KeyPair> keys, std::vector<Test> tests,
                         AggKind kind, Operand value, std::vector<Test> value_tests);
  // `logical`: the rule's firings may support facts (Matcher::support); a
  // network with such a rule keeps a left memory per join (Matcher::Impl's
  // shared memories would change the order in which supports are lost).
  std::int32_t production(std::int32_t parent, std::int32_t rule, std::int32_t priority, std::int32_t specificity,
                          bool logical = false);
  Network finish(Strategy strategy);

 private:
  Network net_;
  std::int32_t beta(NodeDesc d);
};

// --------------------------------------------------------------- matching

// A fact of working memory. Retracted facts stay (for explanations), dead.
struct FactRec {
  std::int32_t tmpl = -1;
  std::uint32_t timetag = 0;
  std::uint64_t missing = 0;  // bit per field
  std::int32_t cells = 0;     // offset into Matcher's cell array
  bool alive = false;
  std::int32_t tokens = -1;   // tokens that end on this fact
  std::int32_t entries = -1;  // its alpha-memory entries
  std::int32_t blocked = -1;  // tokens it blocks (not / exists)
};

// Evaluates Pred tests: `levels` are the token's facts (or aggregate values)
// by level, `self` the fact being tested (-1 at a node with no right input).
// True only when the predicate is true (false and unknown both fail).
class PredicateHost {
 public:
  virtual ~PredicateHost() = default;
  virtual bool predicate(std::int64_t id, const std::uint64_t* levels, std::int32_t self) = 0;
};

struct MatchStats {
  std::uint64_t tokens_made = 0, tokens_freed = 0, activations = 0, tests = 0;
  // Aggregates: states computed over a whole memory (a token arrived, a
  // global changed, a minimum or maximum or a fractional sum lost a value)
  // and states updated by one fact entering or leaving.
  // A state carried over to a token that replaced another when the value of
  // an aggregate above changed and this one does not read it.
  std::uint64_t agg_recomputed = 0, agg_updated = 0, agg_carried = 0;
};

// A production token that arrives is an activation over that token on the
// agenda (Agenda::add_token); a token removed takes its activation off. The
// agenda is the matcher's own, ordered by the network's strategy, or the one
// given: the engine's, which holds the single-record rules' activations too.
class Matcher {
 public:
  explicit Matcher(const Network& net, Agenda* agenda = nullptr);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Asserts a fact; `cells` has one cell per field of the template.
  std::int32_t assert_fact(std::int32_t tmpl, std::span<const Cell> cells, std::uint64_t missing = 0);
  void retract(std::int32_t fact);
  // A `change` in two steps, as the engine makes it: retracts `fact`, whose
  // changed copy (the fields of `changed`, a bit per field, differ) is the
  // next fact asserted. The same as retract(): the matches, activations and
  // blocking facts that follow are those of a retract and an assert. Only a
  // `there is no` token that the fact blocked, that no other fact blocks
  // and that the copy will block again (its memory's tests, keys and tests
  // read none of the changed fields) is not passed on meanwhile: its
  // descendants would be made, then removed when the copy arrives.
  void retract_for_change(std::int32_t fact, std::uint64_t changed);
  // CLIPS's modify: retract, then assert the changed copy with a new time tag.
  std::int32_t modify(std::int32_t fact, std::span<const std::pair<std::int16_t, Cell>> changes);

  // The activation the strategy puts first, removed from the agenda; -1 when
  // empty. Its record stays valid until the next pop (records are recycled).
  std::int32_t pop();
  // The activation pop() would return, left on the agenda; -1 when empty.
  std::int32_t peek();
  bool agenda_empty();
  Activation activation(std::int32_t a) const { return agenda_->get(a); }
  // An activation over one of its tokens was popped from the agenda (by
  // pop(), or by the engine from the agenda they share): it fired, and its
  // token is the one support() and popped_alive() refer to.
  void popped(const Activation& a);
  // The facts (or aggregate values) of an activation's token, by level.
  std::span<const std::uint64_t> levels(std::int32_t token) const;
  std::int32_t level_fact(std::int32_t token, int level) const {
    return static_cast<std::int32_t>(levels(token)[static_cast<std::size_t>(level)]);
  }
  double level_value(std::int32_t token, int level) const;

  const FactRec& fact(std::int32_t f) const { return facts_[static_cast<std::size_t>(f)]; }
  std::size_t fact_count() const { return facts_.size(); }
  Cell cell(std::int32_t f, int field) const {
    return cells_[static_cast<std::size_t>(facts_[static_cast<std::size_t>(f)].cells + field)];
  }
  bool is_missing(std::int32_t f, int field) const { return (fact(f).missing >> field) & 1U; }
  std::int32_t blocker(std::int32_t token) const;  // not/exists nodes' left tokens

  // Globals: the applicant's fields and the conclusions, read by tests as
  // Operand::global(slot). Changing one re-runs the tests of the nodes that
  // read it, for every token they hold: matches appear and disappear, and an
  // activation that reappears is a new activation (the rule may fire again,
  // as a single-record rule does when a fact it read changes).
  void set_global(std::int32_t slot, Cell value, bool missing);
  // Where Pred tests go; required before the first assert when the network has any.
  void set_predicate_host(PredicateHost* host);

  // Truth maintenance (CLIPS's `logical`). `support(token, fact)`: the fact
  // holds while the production token does; a fact with supports is retracted
  // when the last one goes. `support_external(token, id)`: the same for
  // something the engine keeps (a conclusion's value); when its last support
  // goes, `id` is queued for the engine to take with take_unsupported().
  // Both take the token of the activation popped last, and only while
  // popped_alive(): an action of its firing may have removed it (a `change`
  // of a fact it matched), and a removed token's number may be reused.
  void support(std::int32_t token, std::int32_t fact);
  void support_external(std::int32_t token, std::int32_t id);
  bool popped_alive() const;
  std::vector<std::int32_t> take_unsupported();
  // The facts retracted because they lost their last support, since the last call.
  std::vector<std::int32_t> take_withdrawn();
  const MatchStats& stats() const { return stats_; }
  std::size_t live_tokens() const { return static_cast<std::size_t>(stats_.tokens_made - stats_.tokens_freed); }
  std::size_t memory_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  const Network& net_;
  std::vector<FactRec> facts_;
  std::vector<Cell> cells_;
  std::unique_ptr<Agenda> own_agenda_;
  Agenda* agenda_;
  MatchStats stats_;
  friend struct Impl;
};

}  // namespace advise::rete
