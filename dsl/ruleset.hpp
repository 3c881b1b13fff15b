// The checked rule set: what the checker (checker.hpp) makes of the AST once
// every name is resolved against the knowledge base and every type checked.
// The engine consumes only this form, never raw syntax.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/source.hpp"
#include "kb/knowledge_base.hpp"

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
  MakeList,               // kids = items
  MakeRange,              // kids = {lo, hi}
  Truthy,                 // a boolean fact used as a condition: kids = {value}
};

const char* op_name(Op op);

struct CExpr {
  Op op = Op::Const;
  TypeId type = kNoType;
  std::int32_t slot = -1;
  Value constant;
  std::vector<CExpr> kids;
  ast::Loc loc;  // where the rule author wrote it (source text via SourceManager)
};

// A text with {placeholders}: literal segments and expressions, alternating.
struct TextTemplate {
  struct Segment {
    std::string literal;  // used when !is_expr
    bool is_expr = false;
    CExpr expr;
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
};

struct RuleSet {
  std::shared_ptr<const KnowledgeBase> kb;
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
};

}  // namespace advise
