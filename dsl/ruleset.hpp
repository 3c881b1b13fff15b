// The checked rule set: what the checker (checker.hpp) makes of the AST once
// every name is resolved against the knowledge base and every type checked.
// The engine consumes only this form, never raw syntax.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/source.hpp"
#include "kb/knowledge_base.hpp"
#include "kb/template.hpp"

namespace advise {

// Operations of a checked expression. Slots number the facts of working
// memory: profile fields first, then conclusions (RuleSet::slot_*).
enum class Op : std::uint8_t {
  Const,       // constant
  Slot,        // read a fact: slot
  Member,      // specialty attribute: slot = attribute index; kids = {specialty}
  MapGet,      // kids = {map, key}
  Not, Neg, And, Or,
  Add, Sub, Mul, Div,
  Lt, Le, Gt, Ge, Eq, Ne,
  In, NotIn,              // kids = {value, collection-or-range}
  Contains, NotContains,  // kids = {list, value}
  Between,                // kids = {value, lo, hi}
  IsMissing, IsPresent,   // kids = {value}
  Min, Max, Avg, Sum, Count,  // kids = {list}
  Floor, Abs,             // kids = {number}
  Atan2,                  // kids = {y, x}: the angle of the point (x, y), in radians, -pi to pi
  Choose,                 // kids = {condition, a, b}: a when the condition is true, b when false
  MakeList,               // kids = items
  MakeRange,              // kids = {lo, hi}
  Truthy,                 // a boolean fact used as a condition: kids = {value}
  FactField,              // a field of a bound fact: level = the token level of its pattern, slot = field
  AggValue,               // an aggregate's value: level = the token level of the aggregate
  Untrue,                 // kids = {x}: true when x is false or unknown, never unknown (`every … has x`)
};

const char* op_name(Op op);

struct CExpr {
  Op op = Op::Const;
  TypeId type = kNoType;
  std::int32_t slot = -1;
  std::int32_t level = -1;  // FactField, AggValue
  Value constant;
  std::vector<CExpr> kids;
  ast::Loc loc;  // where the rule author wrote it (source text via SourceManager)
};

// A pattern of a rule over facts of a template (docs/engine.md, "Design:
// matching over many facts"), in the order written. ForEach and Aggregate
// add a level to the rule's partial matches; Exists and NotExists do not
// (their bound name is visible only inside their `where`). `every T x where C
// has D` is compiled as NotExists with tests C and `not D`.
struct CPattern {
  enum class Kind : std::uint8_t { ForEach, Exists, NotExists, Aggregate };
  enum class Agg : std::uint8_t { Count, Sum, Min, Max, Avg };
  Kind kind = Kind::ForEach;
  std::int32_t tmpl = -1;   // index into RuleSet::templates
  std::string var;          // the bound name
  std::int32_t level = 0;   // the level its fact has in a match (ForEach, Aggregate); the depth before it otherwise
  ast::Loc loc;
  // Conjuncts that read this pattern's fact (FactField at `level`), and
  // possibly facts bound before it and globals (slots).
  std::vector<CExpr> tests;
  Agg agg = Agg::Count;
  CExpr value;                 // Aggregate (not Count): FactField of this pattern
  std::vector<CExpr> agg_tests;  // tests that read the aggregate's value (AggValue at `level`)
};

// A text with {placeholders}: literal segments and expressions, alternating.
struct TextTemplate {
  struct Segment {
    std::string literal;  // used when !is_expr
    bool is_expr = false;
    CExpr expr;
    // A counted placeholder, `{EXPR|singular|plural}`: the number, then the
    // singular form when it is 1 and the plural otherwise ("1 letter", "0
    // letters"); a missing number reads "an unknown number of PLURAL".
    bool counted = false;
    std::string singular, plural;
  };
  std::vector<Segment> segments;
};

struct CAction {
  ast::ActionKind kind = ast::ActionKind::Set;
  ast::Loc loc;
  std::int32_t slot = -1;  // Set, Add: the conclusion's slot
  bool indexed = false;    // Set/Add into map[key]
  CExpr key;               // when indexed
  CExpr value;             // Set, Add, Cite
  bool add_each = false;   // Add: the value is a list whose items are added
  std::string id;          // Recommend
  std::int32_t category = -1;  // Recommend: symbol of the `category` enum
  TextTemplate text;       // Recommend, Note, Warn
  // Create: tmpl; Change, Remove: the level of the bound fact.
  std::int32_t tmpl = -1;
  std::int32_t level = -1;
  std::vector<std::pair<std::int32_t, CExpr>> fields;  // Create, Change: field index, value
};

struct CRule {
  std::int32_t index = 0;  // position in RuleSet::rules (source order across files)
  std::string name;
  std::string description;
  std::string source;      // the guide section
  int priority = 0;
  std::int32_t category = -1;  // default category of its recommendations
  // The applicant stages it speaks to (symbols of the `stage` enum, in the
  // order written); empty: every stage. The applicant's report leaves out
  // what a rule says to an applicant at another stage.
  std::vector<std::int32_t> stages;
  bool short_form = false;
  CExpr condition;
  std::vector<CAction> actions;
  ast::Loc loc;
  int specificity = 0;     // number of tests in the condition (agenda tie-break)
  std::vector<std::int32_t> reads;   // slots the condition reads, sorted
  std::vector<std::int32_t> writes;  // slots the actions write, sorted
  // Rules over facts: the patterns, and the conjuncts over slots alone
  // (applicant fields, conclusions), which are tested at the rule's first
  // node. A rule without patterns runs on the single-record path.
  std::vector<CPattern> patterns;
  std::vector<CExpr> guards;
  bool logical = false;  // its creations hold only while its match holds
  std::int32_t levels = 0;  // levels of its matches (ForEach and Aggregate patterns)
};

// Appends to `out` the slots `e` reads (Op::Slot), each once, first read first.
void collect_slots(const CExpr& e, std::vector<std::int32_t>& out);

// The order in which activations fire (docs/engine.md, "The agenda").
enum class RuleStrategy : std::uint8_t { Advise, Depth, Breadth, Lex, Mea };
const char* rule_strategy_name(RuleStrategy s);
std::optional<RuleStrategy> parse_rule_strategy(std::string_view name);

struct RuleSet {
  // The rule set's own knowledge base: a copy of the one it was checked
  // against, with the types and enums its templates and expressions added.
  std::shared_ptr<const KnowledgeBase> kb;
  std::vector<TemplateDef> templates;  // declared in the rules, or read from kb/templates.json when used
  RuleStrategy strategy = RuleStrategy::Advise;
  bool has_patterns() const;
  std::shared_ptr<const SourceManager> sources;
  std::vector<CRule> rules;
  std::vector<std::vector<std::int32_t>> readers;  // slot -> rules whose condition reads it
  // Resolved definitions (groups, constants, aliases), for expressions
  // compiled later against this rule set (regression-test expectations).
  std::vector<std::pair<std::string, CExpr>> definitions;

  std::int32_t field_count() const { return static_cast<std::int32_t>(kb->fields.size()); }
  std::int32_t slot_count() const { return static_cast<std::int32_t>(kb->fields.size() + kb->conclusions.size()); }
  bool is_conclusion(std::int32_t slot) const { return slot >= field_count(); }
  const FieldDef& slot_def(std::int32_t slot) const {
    return slot < field_count() ? kb->fields[static_cast<std::size_t>(slot)]
                                : kb->conclusions[static_cast<std::size_t>(slot - field_count())];
  }
  const std::string& slot_name(std::int32_t slot) const { return slot_def(slot).name; }
  std::int32_t conclusion_slot(std::string_view name) const {
    int c = kb->conclusion_index(name);
    return c < 0 ? -1 : field_count() + c;
  }
  std::int32_t field_slot(std::string_view name) const { return kb->field_index(name); }
  const CRule* find_rule(std::string_view name) const;

  // "rules/step5_application.rules:12"
  std::string where(const ast::Loc& loc) const;
  // The source text a node was written as.
  std::string_view text_of(const ast::Loc& loc) const;
  // An expression's text as a reader expects it: a node's location starts at
  // its first operand and ends at its last, so `(the number of ...) >= 3`
  // would read `the number of ...) >= 3`; the parentheses around a first or
  // last operand that the location leaves out are taken back in.
  std::string expr_text(const ast::Loc& loc) const;
};

}  // namespace advise
