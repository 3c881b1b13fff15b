// The checker's internals, shared by its files (included by dsl/checker*.cpp
// only): the Checker class, one pass over parsed files, whose methods are
// defined by job:
//   dsl/checker.cpp           the passes in order (run_all), the entry points
//   dsl/checker_names.cpp     names and definitions (resolution, cycles, size)
//   dsl/checker_expr.cpp      expressions, one method per ast::ExprKind
//   dsl/checker_patterns.cpp  templates, facts and patterns
//   dsl/checker_actions.cpp   actions, text templates and whole rules
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <set>

#include "dsl/checker.hpp"

namespace advise::checker_detail {

struct DefEntry {
  const ast::Definition* def = nullptr;
  enum State { Unresolved, Resolving, Resolved, Failed } state = Unresolved;
  CExpr value;
  bool used = false;
  // Measured before resolving (Checker::measure_definitions): the height and
  // the number of parts of the definition with the definitions it uses
  // written out, each use counting one level; `via` is the used definition
  // that makes it that high, for naming the chain in diagnostics.
  std::uint32_t height = 0;
  std::size_t parts = 0;
  std::string via;
};

// "`a` uses `b`, which uses `c`": the chain of definitions, shortened in the
// middle when long (the first four and the last two are named).
std::string chain_text(const std::vector<std::string>& chain);

// Bounds of a numeric expression when they are known from the schema.
struct Bounds {
  bool known = false;
  double lo = 0, hi = 0;
  std::string name;
};

class Checker {
 public:
  // The rule set gets its own copy of the knowledge base: the types and
  // enums its expressions and templates add go there, never into the shared
  // one (which other rule sets, and other threads, read).
  Checker(const std::shared_ptr<const KnowledgeBase>& kb, std::shared_ptr<const SourceManager> sm, Diagnostics& diags)
      : own_(std::make_shared<KnowledgeBase>(*kb)), kb_(own_), sm_(std::move(sm)), diags_(diags) {
    field_count_ = static_cast<std::int32_t>(kb_->fields.size());
  }

 private:
  std::shared_ptr<KnowledgeBase> own_;
  std::shared_ptr<const KnowledgeBase> kb_;
  std::shared_ptr<const SourceManager> sm_;
  Diagnostics& diags_;
  std::int32_t field_count_ = 0;
  std::map<std::string, DefEntry, std::less<>> defs_;
  ConstPool consts_;  // the constants of the nodes it makes
  std::vector<std::string> def_order_;
  std::vector<std::string> resolving_;  // definitions being resolved, outermost first
  // Set while an expression is compiled only to report its own mistakes (its
  // context already failed): bare names that are values of some enum are
  // then not reported, since without the context they cannot be judged.
  bool quiet_values_ = false;

  // Per-rule state.
  std::set<std::int32_t>* reads_ = nullptr;
  int tests_ = 0;

  // Templates: declared in the rules, or read from kb/templates.json on first use.
  std::vector<TemplateDef> templates_;
  bool kb_templates_tried_ = false;
  TemplateSet kb_templates_;
  // Templates declared but refused (a name taken by a profile field or a
  // conclusion): their uses are not reported again as unknown templates.
  std::set<std::string> refused_templates_;
  // Names bound by patterns, innermost last.
  struct Binding {
    std::string name;
    std::int32_t tmpl = -1;
    std::int32_t level = 0;
    ast::Loc loc;
  };
  std::vector<Binding> scope_;
  // Aggregates of the conjunct being compiled -> their levels.
  std::map<const ast::Expr*, std::int32_t> agg_levels_;

  // Which rule first set each conclusion with a well-typed value (for conflicting-types).
  std::map<std::int32_t, ast::Loc> first_setter_;

  const TypeTable& types() const { return kb_->types; }
  std::string tname(TypeId t) const { return kb_->type_name(t); }
  std::string src(const ast::Loc& l) const;

  Diagnostic& error(DiagKind k, const ast::Loc& loc, std::string msg) { return diags_.report(k, loc, std::move(msg)); }

  std::vector<std::string> all_names() const;

  CExpr make_const(Value v, TypeId t, const ast::Loc& loc);

  // ---------------------------------------------------------------- names (dsl/checker_names.cpp)

  std::optional<CExpr> resolve_definition(const std::string& name, const ast::Loc& use, TypeId expected = kNoType);

  std::vector<std::string> measure_definitions();

  std::optional<CExpr> compile_definition(const ast::Definition& def);

  TypeId infer_group_type(const ast::Expr& group);

  void mark_read(std::int32_t slot);

  CExpr slot_expr(std::int32_t slot, const ast::Loc& loc);

  std::optional<CExpr> name(const ast::Expr& e, TypeId expected);

  void report_only(const ast::Expr& e);

  void unknown_group(const ast::Expr& e);

  TypeId types_list_specialty() { return mtypes().list_of(mtypes().enum_type(kb_->specialty_enum)); }
  TypeTable& mtypes() { return own_->types; }

  // ---------------------------------------------------------------- expressions (dsl/checker_expr.cpp)

  bool is_numeric(TypeId t) const { return t != kNoType && types().numeric(t); }
  bool is_bool(TypeId t) const { return t != kNoType && types().at(t).kind == TypeKind::Boolean; }
  TypeKind kind(TypeId t) const { return t == kNoType ? TypeKind::Any : types().at(t).kind; }

  bool comparable(TypeId a, TypeId b) const;

  Bounds bounds_of(const CExpr& c) const;

  void check_constant_range(const CExpr& var, const CExpr& constant);

  std::optional<CExpr> fold(CExpr c);

  std::optional<CExpr> number_call(const ast::Expr& e, TypeId expected);

  std::optional<CExpr> numeric_operand(const ast::Expr& e, const char* role);

  std::string values_of(TypeId t) const;

  std::string category_list() const;

  std::string article(TypeId t) const;

  bool operands(const ast::Expr& l, const ast::Expr& r, std::optional<CExpr>& lc, std::optional<CExpr>& rc,
                bool rhs_collection);

  bool known_name(const std::string& n) const;

  std::optional<CExpr> expr(const ast::Expr& e, TypeId expected);
  // The kinds of expression `expr` dispatches to.
  std::optional<CExpr> list_literal(const ast::Expr& e, TypeId expected);  // a list `[...]` or a group `{...}`
  std::optional<CExpr> range_literal(const ast::Expr& e);  // a range `a..b`
  std::optional<CExpr> negation(const ast::Expr& e);  // `-x`
  std::optional<CExpr> arithmetic(const ast::Expr& e);  // `a + b`, `a - b`, `a * b`, `a / b`
  std::optional<CExpr> not_condition(const ast::Expr& e);  // `not C`: three-valued (see docs/language.md)
  std::optional<CExpr> and_or(const ast::Expr& e);  // `C and D`, `C or D`
  std::optional<CExpr> comparison(const ast::Expr& e);  // `a < b`, `a == b` and the other comparisons
  std::optional<CExpr> in_test(const ast::Expr& e);  // `x in G`, `x not in G`
  std::optional<CExpr> contains_test(const ast::Expr& e);  // `L contains x`, `L does not contain x`
  std::optional<CExpr> between_test(const ast::Expr& e);  // `x between a and b`
  std::optional<CExpr> missing_test(const ast::Expr& e);  // `x is missing`, `x is present`
  std::optional<CExpr> function_call(const ast::Expr& e, TypeId expected);  // a function call `f(...)`
  std::optional<CExpr> misplaced_pattern(const ast::Expr& e);  // a pattern outside the conjuncts of a condition
  std::optional<CExpr> aggregate_value(const ast::Expr& e);  // an aggregate (`the number of ...`), already bound to its level
  std::optional<CExpr> member_access(const ast::Expr& e);  // `x.field` (a fact's field), `profile.f`, `s.attribute` (a specialty's)
  std::optional<CExpr> map_index(const ast::Expr& e);  // `m[k]`: a map lookup

  std::optional<CExpr> condition(const ast::Expr& e);


  // ---------------------------------------------------------------- facts and patterns (dsl/checker_patterns.cpp)

  const Binding* bound(std::string_view n) const;

  static std::string pattern_words(const ast::Expr& e);

  static bool is_pattern(const ast::Expr& e);
  static bool has_pattern(const ast::Expr& e);
  static bool has_where(const ast::Expr& e) { return e.number == ast::kHasWhere; }

  CExpr fact_field_expr(std::int32_t level, std::int32_t field, TypeId type, const ast::Loc& loc);

  std::optional<CExpr> fact_field(const Binding& b, const ast::Expr& e);

  std::vector<std::string> template_names();

  void load_kb_templates();

  std::int32_t find_template(const std::string& n, const ast::Loc& loc);

  bool declare_template(const ast::Template& t);

  static void flatten_and(const ast::Expr& e, std::vector<const ast::Expr*>& out);

  static void collect_aggregates(const ast::Expr& e, std::vector<const ast::Expr*>& out);

  static void levels_read(const CExpr& c, std::int32_t& max_level);

  bool bind(const ast::Expr& tmpl_name, const ast::Expr& var, std::int32_t level, std::int32_t& tmpl);

  bool where_tests(const ast::Expr& where, std::vector<CExpr>& out);

  bool pattern_condition(const ast::Expr& cond, CRule& out);
  bool room_for_level(const CRule& out, const ast::Loc& at);

  const Binding* action_binding(const ast::Ident& id);

  bool field_values(const ast::Action& a, std::int32_t tmpl, CAction& out, bool creating);
  // Reports (and returns true) when `a` would create, change or remove a
  // fact of the knowledge base's specialties, which rules only read.
  bool kb_facts(const ast::Action& a, std::int32_t tmpl);

  // ---------------------------------------------------------------- actions (dsl/checker_actions.cpp)

  std::optional<TextTemplate> text_template(const ast::Text& text);

  bool target(const ast::Expr& tgt, CAction& a, TypeId& value_type);

  bool assignable(TypeId want, TypeId have) const;

  std::optional<CAction> action(const ast::Action& a, const CRule& rule);

  void check_value_range(std::int32_t slot, const CExpr& v);

  std::optional<CRule> rule(const ast::Rule& r, std::int32_t index);

  // The rule set being built, between begin() and finish().
  RuleSet rs_;
  std::size_t errors_before_ = 0;
  // Names already taken: an open-addressing table of indices into
  // rs_.rules (whose names are the keys), and where each rule's name was
  // written, for the note on a duplicate. 20 bytes or so a rule, where a
  // std::map took a node of 72 and the name's copy.
  std::vector<std::int32_t> taken_;
  std::vector<ast::Loc> name_locs_;
  void rehash(std::size_t slots);
  // Without keep_rules_ (drop_rules()), a rule is dropped once checked: only
  // its name is kept, for the duplicate check, in one string of every name
  // (`names_`, where the i-th ends at name_ends_[i]), about the name's length
  // and 8 bytes a rule.
  bool keep_rules_ = true;
  std::string names_;
  std::vector<std::size_t> name_ends_;
  std::size_t checked_ = 0;  // rules checked without errors and kept (or dropped, named)
  std::string_view taken_name(std::size_t i) const {
    if (keep_rules_) return rs_.rules[i].name();
    std::size_t b = i == 0 ? 0 : name_ends_[i - 1];
    return std::string_view(names_).substr(b, name_ends_[i] - b);
  }
  std::size_t capacity_left() const {
    return keep_rules_ ? rs_.rules.capacity() - rs_.rules.size() : name_ends_.capacity() - name_ends_.size();
  }

 public:
  // The passes in order: begin() collects and resolves the definitions, the
  // templates and the strategy of `files` (their rules are not read);
  // add_rule() checks and compiles one rule, in load order; finish() reports
  // the unused definitions and returns the rule set (none on errors).
  // expect_rules() reserves room for `more` rules to come (an upper bound).
  // Keep none of the compiled rules (call before begin()): finish() then
  // returns a rule set without rules, and rule_count() says how many there were.
  void drop_rules() { keep_rules_ = false; }
  std::size_t rule_count() const { return checked_; }
  void begin(const LoadedRules& files);
  void expect_rules(std::size_t more);
  void add_rule(const ast::Rule& r);
  std::optional<RuleSet> finish();
  // All of them over `files`. `release`: the same files, whose rules' trees
  // are freed as they are compiled (or null).
  std::optional<RuleSet> run_all(const LoadedRules& files, LoadedRules* release);

  std::optional<CExpr> condition_with(const ast::Expr& e, const RuleSet& rs);
};

}  // namespace advise::checker_detail
