#include "dsl/checker.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <set>

namespace advise {

const char* op_name(Op op) {
  switch (op) {
    case Op::Const: return "const";
    case Op::Slot: return "slot";
    case Op::Member: return "member";
    case Op::MapGet: return "index";
    case Op::Not: return "not";
    case Op::Neg: return "-";
    case Op::And: return "and";
    case Op::Or: return "or";
    case Op::Add: return "+";
    case Op::Sub: return "-";
    case Op::Mul: return "*";
    case Op::Div: return "/";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
    case Op::Eq: return "==";
    case Op::Ne: return "!=";
    case Op::In: return "in";
    case Op::NotIn: return "not in";
    case Op::Contains: return "contains";
    case Op::NotContains: return "not contains";
    case Op::Between: return "between";
    case Op::IsMissing: return "is missing";
    case Op::IsPresent: return "is present";
    case Op::Min: return "min";
    case Op::Max: return "max";
    case Op::Avg: return "avg";
    case Op::Sum: return "sum";
    case Op::Count: return "count";
    case Op::Floor: return "floor";
    case Op::Abs: return "abs";
    case Op::Atan2: return "atan2";
    case Op::Choose: return "choose";
    case Op::MakeList: return "list";
    case Op::MakeRange: return "range";
    case Op::Truthy: return "truthy";
    case Op::FactField: return "field";
    case Op::AggValue: return "aggregate";
    case Op::Untrue: return "untrue";
  }
  return "?";
}

const char* rule_strategy_name(RuleStrategy s) {
  switch (s) {
    case RuleStrategy::Advise: return "advise";
    case RuleStrategy::Depth: return "depth";
    case RuleStrategy::Breadth: return "breadth";
    case RuleStrategy::Lex: return "lex";
    case RuleStrategy::Mea: return "mea";
  }
  return "?";
}

std::optional<RuleStrategy> parse_rule_strategy(std::string_view name) {
  for (RuleStrategy s : {RuleStrategy::Advise, RuleStrategy::Depth, RuleStrategy::Breadth, RuleStrategy::Lex,
                         RuleStrategy::Mea})
    if (name == rule_strategy_name(s)) return s;
  return std::nullopt;
}

void collect_slots(const CExpr& e, std::vector<std::int32_t>& out) {
  if (e.op == Op::Slot && std::find(out.begin(), out.end(), e.slot) == out.end()) out.push_back(e.slot);
  for (const CExpr& k : e.kids) collect_slots(k, out);
}

bool RuleSet::has_patterns() const {
  return std::any_of(rules.begin(), rules.end(), [](const CRule& r) { return !r.patterns.empty(); });
}

const CRule* RuleSet::find_rule(std::string_view name) const {
  for (const CRule& r : rules)
    if (r.name == name) return &r;
  return nullptr;
}

std::string RuleSet::where(const ast::Loc& loc) const {
  return sources->name(loc.file) + ":" + std::to_string(sources->line_col(loc.file, loc.begin).line);
}

std::string_view RuleSet::text_of(const ast::Loc& loc) const {
  const std::string& t = sources->text(loc.file);
  if (loc.end <= loc.begin || loc.end > t.size()) return {};
  return std::string_view(t).substr(loc.begin, loc.end - loc.begin);
}

namespace {

std::string file_stem(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::size_t dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  return base;
}

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
std::string chain_text(const std::vector<std::string>& chain) {
  std::string out;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (chain.size() > 6 && i == 4) {
      out += ", which uses ... (" + std::to_string(chain.size() - 6) + " more)";
      i = chain.size() - 3;
      continue;
    }
    out += (i == 0 ? "`" : i == 1 ? " uses `" : ", which uses `") + chain[i] + "`";
  }
  return out;
}

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
  std::string src(const ast::Loc& l) const {
    const std::string& t = sm_->text(l.file);
    if (l.end <= l.begin || l.end > t.size()) return "";
    return t.substr(l.begin, l.end - l.begin);
  }

  Diagnostic& error(DiagKind k, const ast::Loc& loc, std::string msg) { return diags_.report(k, loc, std::move(msg)); }

  std::vector<std::string> all_names() const {
    std::vector<std::string> out;
    for (const auto& f : kb_->fields) out.push_back(f.name);
    for (const auto& c : kb_->conclusions) out.push_back(c.name);
    for (const auto& [n, v] : kb_->groups) out.push_back(n);
    for (const auto& st : kb_->standards) out.push_back(st.name);
    for (const auto& [n, t] : kb_->aliases) out.push_back(n);
    for (const auto& [n, d] : defs_) out.push_back(n);
    return out;
  }

  CExpr make_const(Value v, TypeId t, const ast::Loc& loc) {
    CExpr c;
    c.op = Op::Const;
    c.constant = std::move(v);
    c.type = t;
    c.loc = loc;
    return c;
  }

  // ---------------------------------------------------------------- names

  std::optional<CExpr> resolve_definition(const std::string& name, const ast::Loc& use, TypeId expected = kNoType) {
    auto it = defs_.find(name);
    if (it == defs_.end()) return std::nullopt;
    DefEntry& d = it->second;
    d.used = true;
    if (d.state == DefEntry::Resolved && d.def && d.def->kind == ast::DefKind::Group && expected != kNoType &&
        kind(expected) == TypeKind::List && d.value.type != expected) {
      // A group of bare names takes the type its use expects: {ms1, ms2} is a
      // group of stages where a stage is tested, of rotations where a rotation is.
      auto c = expr(d.def->value, expected);
      if (!c) return CExpr{};
      c->loc = use;
      return c;
    }
    if (d.state == DefEntry::Resolved) {
      CExpr c = d.value;
      c.loc = use;
      return c;
    }
    if (d.state == DefEntry::Failed) return CExpr{};  // already reported
    if (d.state == DefEntry::Resolving) {
      // measure_definitions() reports cycles first; this is a safety net.
      std::vector<std::string> cycle(std::find(resolving_.begin(), resolving_.end(), name), resolving_.end());
      cycle.push_back(name);
      error(DiagKind::CyclicDefinition, d.def->name.loc,
            "`" + name + "` is defined in terms of itself" + (cycle.size() > 2 ? ": " + chain_text(cycle) : ""));
      d.state = DefEntry::Failed;
      return CExpr{};
    }
    if (resolving_.size() >= static_cast<std::size_t>(kMaxNesting)) {
      // measure_definitions() resolves in dependency order, so this depth is
      // never reached; a safety net against exhausting the stack.
      error(DiagKind::NestingTooDeep, d.def->name.loc,
            "`" + name + "` is defined through more than " + std::to_string(kMaxNesting) + " other definitions");
      d.state = DefEntry::Failed;
      return CExpr{};
    }
    d.state = DefEntry::Resolving;
    resolving_.push_back(name);
    auto* saved_reads = reads_;
    std::set<std::int32_t> scratch;
    reads_ = &scratch;
    std::optional<CExpr> v = compile_definition(*d.def);
    resolving_.pop_back();
    reads_ = saved_reads;
    if (d.state == DefEntry::Failed || !v) {
      d.state = DefEntry::Failed;
      return CExpr{};
    }
    d.value = *v;
    d.state = DefEntry::Resolved;
    CExpr c = d.value;
    c.loc = use;
    return c;
  }

  // Before any definition is compiled: finds which definitions each one uses,
  // reports cycles and definitions too deep or too large once the ones they
  // use are written out (marking them, and every definition that uses them,
  // failed), and returns the order to resolve them in: each after the ones it
  // uses. Resolving in that order keeps the checker's recursion to one
  // definition at a time however long a chain is; the walk here is iterative.
  std::vector<std::string> measure_definitions() {
    struct Use {
      std::string name;
      std::uint32_t depth;  // of the name in the definition's tree, the root being 1
    };
    struct Node {
      std::vector<Use> uses;
      std::uint32_t height = 0;  // of the definition's own tree
      std::size_t parts = 0;
      enum { New, Open, Done } mark = New;
      bool bad = false;  // failed, or uses one that failed (reported once)
    };
    std::map<std::string, Node, std::less<>> nodes;
    for (const std::string& n : def_order_) {
      Node& node = nodes[n];
      std::vector<std::pair<const ast::Expr*, std::uint32_t>> todo{{&defs_[n].def->value, 1}};
      while (!todo.empty()) {
        auto [e, depth] = todo.back();
        todo.pop_back();
        node.height = std::max(node.height, depth);
        ++node.parts;
        if (e->kind == ast::ExprKind::Name) {
          if (auto d = defs_.find(e->text); d != defs_.end()) {
            node.uses.push_back({e->text, depth});
            d->second.used = true;  // as compiling would mark it, whether or not this one fails
          }
        }
        for (auto k = e->kids.rbegin(); k != e->kids.rend(); ++k) todo.emplace_back(&*k, depth + 1);
      }
    }
    constexpr auto kMaxHeight = static_cast<std::uint32_t>(kMaxNesting);
    std::vector<std::string> order;
    struct Frame {
      std::string name;
      std::size_t next = 0;
    };
    for (const std::string& root : def_order_) {
      if (nodes[root].mark != Node::New) continue;
      std::vector<Frame> stack{{root, 0}};
      nodes[root].mark = Node::Open;
      while (!stack.empty()) {
        Frame& f = stack.back();
        Node& node = nodes[f.name];
        if (f.next < node.uses.size()) {
          const std::string& used = node.uses[f.next++].name;
          Node& u = nodes[used];
          if (u.mark == Node::New) {
            u.mark = Node::Open;
            stack.push_back({used, 0});
          } else if (u.mark == Node::Open && !u.bad) {
            std::vector<std::string> cycle;
            for (auto it = std::find_if(stack.begin(), stack.end(), [&](const Frame& x) { return x.name == used; });
                 it != stack.end(); ++it)
              cycle.push_back(it->name);
            cycle.push_back(used);
            DefEntry& d = defs_[used];
            error(DiagKind::CyclicDefinition, d.def->name.loc,
                  "`" + used + "` is defined in terms of itself" + (cycle.size() > 2 ? ": " + chain_text(cycle) : ""));
            u.bad = true;
          }
          continue;
        }
        // Every definition it uses is measured (or on the stack, in a cycle).
        DefEntry& d = defs_[f.name];
        d.height = node.height;
        d.parts = node.parts;
        for (const Use& use : node.uses) {
          Node& u = nodes[use.name];
          if (u.bad || u.mark != Node::Done) {
            node.bad = true;
            continue;
          }
          const DefEntry& ud = defs_[use.name];
          if (use.depth + ud.height > d.height) {
            d.height = use.depth + ud.height;
            d.via = use.name;
          }
          d.parts += ud.parts;
        }
        if (!node.bad && (d.height > kMaxHeight || d.parts > kMaxDefinitionParts)) {
          std::vector<std::string> chain{f.name};
          for (const std::string* v = &d.via; !v->empty(); v = &defs_[*v].via) chain.push_back(*v);
          if (d.height > kMaxHeight) {
            error(DiagKind::NestingTooDeep, d.def->name.loc,
                  "the definitions under `" + f.name + "` nest more than " + std::to_string(kMaxHeight) +
                      " levels deep (each use of a definition adds one): " + chain_text(chain) +
                      "; define some of them directly, not through the others");
          } else {
            error(DiagKind::DefinitionTooLarge, d.def->name.loc,
                  "`" + f.name + "` grows to more than " + std::to_string(kMaxDefinitionParts) +
                      " parts when the definitions it uses are written out" +
                      (chain.size() > 1 ? " (" + chain_text(chain) + ")" : "") +
                      "; use them fewer times, or split the condition into several rules");
          }
          node.bad = true;
        }
        node.mark = Node::Done;
        if (node.bad) {
          defs_[f.name].state = DefEntry::Failed;
        } else {
          order.push_back(f.name);
        }
        stack.pop_back();
      }
    }
    return order;
  }

  std::optional<CExpr> compile_definition(const ast::Definition& def) {
    switch (def.kind) {
      case ast::DefKind::Group: {
        if (def.value.kind != ast::ExprKind::Set && def.value.kind != ast::ExprKind::List) {
          error(DiagKind::TypeMismatch, def.value.loc, "a group is written `{a, b, c}`");
          return std::nullopt;
        }
        std::size_t errors = diags_.error_count();
        TypeId type = infer_group_type(def.value);
        if (diags_.error_count() > errors) return std::nullopt;  // an unknown value, reported
        auto c = expr(def.value, type);
        if (!c || c->op != Op::Const) {
          if (c) error(DiagKind::TypeMismatch, def.value.loc, "a group holds fixed values, not facts");
          return std::nullopt;
        }
        return c;
      }
      case ast::DefKind::Constant: {
        auto c = expr(def.value, kNoType);
        if (!c) return std::nullopt;
        if (c->op != Op::Const) {
          error(DiagKind::TypeMismatch, def.value.loc, "a constant must be a fixed value, not a fact; use `alias` to name a fact");
          return std::nullopt;
        }
        return c;
      }
      case ast::DefKind::Alias: {
        auto c = expr(def.value, kNoType);
        if (!c) return std::nullopt;
        return c;
      }
    }
    return std::nullopt;
  }

  // The list type of a group of bare names: the enum holding all of them
  // (the specialty enum first when several do).
  TypeId infer_group_type(const ast::Expr& group) {
    std::vector<int> candidates;
    for (std::size_t e = 0; e < kb_->enums.size(); ++e) candidates.push_back(static_cast<int>(e));
    for (const ast::Expr& item : group.kids) {
      if (item.kind != ast::ExprKind::Name || known_name(item.text)) return kNoType;
      std::vector<int> keep;
      for (int e : candidates)
        if (kb_->enums[static_cast<std::size_t>(e)].find(item.text) >= 0) keep.push_back(e);
      if (keep.empty()) {
        std::vector<std::string> all;
        for (const EnumDef& en : kb_->enums) all.insert(all.end(), en.values.begin(), en.values.end());
        std::sort(all.begin(), all.end());
        auto& d = error(DiagKind::UnknownValue, item.loc, "`" + item.text + "` is not a value of any field");
        if (auto sug = did_you_mean(item.text, all)) d.message += "; did you mean `" + *sug + "`?";
        return types().any();
      }
      candidates = keep;
    }
    if (candidates.empty()) return kNoType;
    int pick = candidates[0];
    for (int e : candidates)
      if (e == kb_->specialty_enum) pick = e;
    return mtypes().list_of(mtypes().enum_type(pick));
  }

  void mark_read(std::int32_t slot) {
    if (reads_) reads_->insert(slot);
  }

  CExpr slot_expr(std::int32_t slot, const ast::Loc& loc) {
    CExpr c;
    c.op = Op::Slot;
    c.slot = slot;
    c.loc = loc;
    c.type = slot < field_count_ ? kb_->fields[static_cast<std::size_t>(slot)].type
                                 : kb_->conclusions[static_cast<std::size_t>(slot - field_count_)].type;
    mark_read(slot);
    return c;
  }

  // A bare name, with `expected` guiding enum values and groups.
  std::optional<CExpr> name(const ast::Expr& e, TypeId expected) {
    const std::string& n = e.text;
    if (const Binding* b = bound(n)) {
      if (b->tmpl < 0) return std::nullopt;
      const TemplateDef& t = templates_[static_cast<std::size_t>(b->tmpl)];
      std::string example = t.fields.empty() ? "field" : t.fields.front().name();
      error(DiagKind::PatternPlacement, e.loc,
            "`" + n + "` is a " + t.name + " fact, not a value; read one of its fields, as in `" + n + "." + example + "`");
      return std::nullopt;
    }
    // Where an enum value is expected and the name is one, a field or
    // conclusion of the same name but another type does not hide it:
    // `add research_year to contingency` adds the contingency value.
    if (expected != kNoType && types().at(expected).kind == TypeKind::Enum && !defs_.count(n)) {
      const TypeDesc& d = types().at(expected);
      int idx = kb_->enums[static_cast<std::size_t>(d.enum_id)].find(n);
      int c = kb_->conclusion_index(n);
      int f = kb_->field_index(n);
      TypeId other = c >= 0 ? kb_->conclusions[static_cast<std::size_t>(c)].type
                   : f >= 0 ? kb_->fields[static_cast<std::size_t>(f)].type
                            : kNoType;
      if (idx >= 0 && other != expected) return make_const(Value::symbol(d.enum_id, idx), expected, e.loc);
    }
    if (auto d = resolve_definition(n, e.loc, expected)) {
      if (d->type == kNoType) return std::nullopt;  // failed definition, already reported
      return d;
    }
    int c = kb_->conclusion_index(n);
    if (c >= 0) return slot_expr(field_count_ + c, e.loc);
    int f = kb_->field_index(n);
    if (f >= 0) return slot_expr(f, e.loc);
    if (const std::string* target = kb_->alias(n)) {
      int tc = kb_->conclusion_index(*target);
      return slot_expr(tc >= 0 ? field_count_ + tc : kb_->field_index(*target), e.loc);
    }
    // An enum value where one is expected comes before a group of the same
    // name: `specialty_class is ultra` is the class, `x in ultra` the group.
    if (expected != kNoType && types().at(expected).kind == TypeKind::Enum) {
      const TypeDesc& d = types().at(expected);
      int idx = kb_->enums[static_cast<std::size_t>(d.enum_id)].find(n);
      if (idx >= 0) return make_const(Value::symbol(d.enum_id, idx), expected, e.loc);
    }
    if (const Value* g = kb_->group(n)) return make_const(*g, types_list_specialty(), e.loc);
    if (const Standard* st = kb_->standard(n)) return make_const(st->value(), types().number(), e.loc);
    if (expected != kNoType) {
      const TypeDesc& d = types().at(expected);
      if (d.kind == TypeKind::Enum) {
        const EnumDef& en = kb_->enums[static_cast<std::size_t>(d.enum_id)];
        auto& diag = error(DiagKind::UnknownValue, e.loc, "`" + n + "` is not a " + en.name + " value");
        if (auto s = did_you_mean(n, en.values)) {
          diag.message += "; did you mean `" + *s + "`?";
        } else if (auto s2 = did_you_mean(n, all_names())) {
          diag.message += "; did you mean `" + *s2 + "`?";
        }
        return std::nullopt;
      }
    }
    if (quiet_values_ && std::any_of(kb_->enums.begin(), kb_->enums.end(),
                                     [&](const EnumDef& en) { return en.find(n) >= 0; }))
      return std::nullopt;
    auto& diag = error(DiagKind::UnknownName, e.loc, "unknown name `" + n + "`");
    std::vector<std::string> candidates = all_names();
    for (const Binding& b : scope_) candidates.push_back(b.name);
    if (expected != kNoType && kind(expected) == TypeKind::String) {
      // A word compared with a text or symbol field: it is data, in quotes.
      diag.message += "; a text or symbol is written in quotes: `\"" + n + "\"`";
      return std::nullopt;
    }
    if (auto s = did_you_mean(n, candidates)) {
      diag.message += "; did you mean `" + *s + "`?";
    } else {
      // Perhaps an enum value used where no enum is expected.
      for (const EnumDef& en : kb_->enums) {
        if (en.find(n) >= 0) {
          diag.message += " (it is a " + en.name + " value; compare a " + en.name + " field with it, as in `x == " + n + "`)";
          break;
        }
      }
    }
    return std::nullopt;
  }

  // Compiles an expression whose context already failed, only to report the
  // expression's own mistakes (a misspelt field on the right of `set`).
  void report_only(const ast::Expr& e) {
    bool saved = quiet_values_;
    quiet_values_ = true;
    expr(e, kNoType);
    quiet_values_ = saved;
  }

  // `x in NAME` where NAME is no group, definition or fact.
  void unknown_group(const ast::Expr& e) {
    std::vector<std::string> groups;
    for (const auto& [n, v] : kb_->groups) groups.push_back(n);
    for (const auto& [n, d] : defs_)
      if (d.def && d.def->kind == ast::DefKind::Group) groups.push_back(n);
    auto& d = error(DiagKind::UnknownGroup, e.loc, "unknown group `" + e.text + "`");
    if (auto s = did_you_mean(e.text, groups)) {
      d.message += "; did you mean `" + *s + "`?";
    } else if (auto s2 = did_you_mean(e.text, all_names())) {
      d.message += "; did you mean `" + *s2 + "`?";
    } else {
      std::string list;
      for (std::size_t i = 0; i < kb_->groups.size(); ++i)
        list += std::string(i == 0 ? "" : i + 1 == kb_->groups.size() ? " and " : ", ") + "`" +
                kb_->groups[i].first + "`";
      if (!list.empty()) d.message += " (the knowledge base defines " + list + ")";
    }
  }

  TypeId types_list_specialty() { return mtypes().list_of(mtypes().enum_type(kb_->specialty_enum)); }
  TypeTable& mtypes() { return own_->types; }

  // ---------------------------------------------------------------- expressions

  bool is_numeric(TypeId t) const { return t != kNoType && types().numeric(t); }
  bool is_bool(TypeId t) const { return t != kNoType && types().at(t).kind == TypeKind::Boolean; }
  TypeKind kind(TypeId t) const { return t == kNoType ? TypeKind::Any : types().at(t).kind; }

  // Types that can be compared with ==.
  bool comparable(TypeId a, TypeId b) const {
    if (a == b) return true;
    if (is_numeric(a) && is_numeric(b)) return true;
    if (kind(a) == TypeKind::List && kind(b) == TypeKind::List) {
      return comparable(types().at(a).elem, types().at(b).elem);
    }
    return false;
  }

  Bounds bounds_of(const CExpr& c) const {
    Bounds b;
    const FieldDef* def = nullptr;
    if (c.op == Op::Slot) {
      def = c.slot < field_count_ ? &kb_->fields[static_cast<std::size_t>(c.slot)]
                                  : &kb_->conclusions[static_cast<std::size_t>(c.slot - field_count_)];
    } else if ((c.op == Op::Min || c.op == Op::Max || c.op == Op::Avg) && !c.kids.empty() &&
               c.kids[0].op == Op::Slot) {
      return bounds_of(c.kids[0]);
    }
    if (def && def->min && def->max) {
      b.known = true;
      b.lo = *def->min;
      b.hi = *def->max;
      b.name = def->name;
    }
    return b;
  }

  void check_constant_range(const CExpr& var, const CExpr& constant) {
    if (constant.op != Op::Const || constant.constant.kind != Value::Kind::Number) return;
    Bounds b = bounds_of(var);
    if (!b.known) return;
    double x = constant.constant.num;
    if (x < b.lo || x > b.hi) {
      error(DiagKind::OutOfRange, constant.loc,
            format_number(x) + " is outside the range of `" + b.name + "` (" + format_number(b.lo) + " to " +
                format_number(b.hi) + "), so this test never changes");
    }
  }

  std::optional<CExpr> fold(CExpr c) {
    // Constant folding of arithmetic on constants, so that `const x = 240 + 10` is a constant.
    if ((c.op == Op::Add || c.op == Op::Sub || c.op == Op::Mul || c.op == Op::Div || c.op == Op::Neg ||
         c.op == Op::MakeRange || c.op == Op::MakeList) &&
        std::all_of(c.kids.begin(), c.kids.end(), [](const CExpr& k) { return k.op == Op::Const; })) {
      Value v;
      auto n = [&](std::size_t i) { return c.kids[i].constant.num; };
      switch (c.op) {
        case Op::Add: v = Value::number(n(0) + n(1)); break;
        case Op::Sub: v = Value::number(n(0) - n(1)); break;
        case Op::Mul: v = Value::number(n(0) * n(1)); break;
        case Op::Div:
          if (n(1) == 0) {
            error(DiagKind::DivisionByZero, c.kids[1].loc, "`" + src(c.loc) + "` divides by zero");
            return std::nullopt;
          }
          v = Value::number(n(0) / n(1));
          break;
        case Op::Neg: v = Value::number(-n(0)); break;
        case Op::MakeRange: v = Value::range(n(0), n(1)); break;
        case Op::MakeList: {
          ValueList items;
          for (const CExpr& k : c.kids) items.push_back(k.constant);
          v = Value::list(std::move(items));
          break;
        }
        default: break;
      }
      return make_const(std::move(v), c.type, c.loc);
    }
    return c;
  }

  // floor(x), abs(x), atan2(y, x) over numbers, and choose(c, a, b): a value
  // picked by a condition (unknown when the condition is).
  std::optional<CExpr> number_call(const ast::Expr& e, TypeId expected) {
    const std::string& f = e.text;
    std::size_t arity = f == "atan2" ? 2 : f == "choose" ? 3 : 1;
    if (e.kids.size() != arity) {
      static const char* const counts[] = {"", "one argument", "two arguments", "three arguments"};
      error(DiagKind::WrongArity, e.loc,
            "`" + f + "` takes " + counts[arity] + ", but is given " + std::to_string(e.kids.size()));
      return std::nullopt;
    }
    CExpr c;
    c.loc = e.loc;
    if (f == "choose") {
      auto cond = condition(e.kids[0]);
      auto a = expr(e.kids[1], expected);
      auto b = expr(e.kids[2], a ? a->type : expected);
      if (!cond || !a || !b) return std::nullopt;
      if (!comparable(a->type, b->type)) {
        error(DiagKind::TypeMismatch, e.kids[2].loc,
              "`" + src(e.kids[2].loc) + "` is " + article(b->type) + ", but the other value of `choose` is " +
                  article(a->type));
        return std::nullopt;
      }
      c.op = Op::Choose;
      c.type = a->type == b->type ? a->type : types().number();
      c.kids = {std::move(*cond), std::move(*a), std::move(*b)};
      return c;
    }
    for (const ast::Expr& k : e.kids) {
      auto n = numeric_operand(k, ("`" + f + "`").c_str());
      if (!n) return std::nullopt;
      c.kids.push_back(std::move(*n));
    }
    c.op = f == "floor" ? Op::Floor : f == "abs" ? Op::Abs : Op::Atan2;
    c.type = f == "floor" ? types().integer() : f == "abs" ? c.kids[0].type : types().number();
    return c;
  }

  std::optional<CExpr> numeric_operand(const ast::Expr& e, const char* role) {
    auto c = expr(e, kNoType);
    if (!c) return std::nullopt;
    if (!is_numeric(c->type)) {
      error(DiagKind::TypeMismatch, e.loc,
            "`" + src(e.loc) + "` is " + article(c->type) + ", but " + role + " needs a number");
      return std::nullopt;
    }
    return c;
  }

  // "; its values are `a`, `b` and `c`" for a small enum, or nothing.
  std::string values_of(TypeId t) const {
    if (kind(t) != TypeKind::Enum) return {};
    const EnumDef& en = kb_->enums[static_cast<std::size_t>(types().at(t).enum_id)];
    if (en.values.empty() || en.values.size() > 8) return {};
    std::string out = "; its values are ";
    for (std::size_t i = 0; i < en.values.size(); ++i)
      out += std::string(i == 0 ? "" : i + 1 == en.values.size() ? " and " : ", ") + "`" + en.values[i] + "`";
    return out;
  }

  // " (the categories are `a`, `b`, ...)" from kb/schema.json.
  std::string category_list() const {
    const EnumDef& cats = kb_->enums[static_cast<std::size_t>(kb_->category_enum)];
    std::string out = " (the categories are ";
    for (std::size_t i = 0; i < cats.values.size(); ++i)
      out += std::string(i == 0 ? "" : i + 1 == cats.values.size() ? " and " : ", ") + "`" + cats.values[i] + "`";
    return out + ")";
  }

  std::string article(TypeId t) const {
    if (t == kNoType) return "a value";
    std::string n = tname(t);
    const char* a = (n[0] == 'a' || n[0] == 'e' || n[0] == 'i' || n[0] == 'o' || n[0] == 'u') ? "an " : "a ";
    if (kind(t) == TypeKind::Enum) return a + n + " value";
    return a + n;
  }

  // Compiles the two operands of a binary test so that a bare name on either
  // side is read as a value of the other side's enum.
  bool operands(const ast::Expr& l, const ast::Expr& r, std::optional<CExpr>& lc, std::optional<CExpr>& rc,
                bool rhs_collection) {
    bool l_bare = l.kind == ast::ExprKind::Name && !known_name(l.text);
    if (l_bare && !rhs_collection) {
      rc = expr(r, kNoType);
      if (!rc) return false;
      lc = expr(l, rc->type);
    } else {
      lc = expr(l, kNoType);
      if (!lc) {
        report_only(r);  // still report problems on the right
        return false;
      }
      TypeId want = lc->type;
      if (rhs_collection) want = mtypes().list_of(lc->type);
      rc = expr(r, want);
    }
    return lc && rc;
  }

  bool known_name(const std::string& n) const {
    return defs_.count(n) || kb_->conclusion_index(n) >= 0 || kb_->field_index(n) >= 0 || kb_->group(n) ||
           kb_->standard(n) || kb_->alias(n) || bound(n);
  }

  std::optional<CExpr> expr(const ast::Expr& e, TypeId expected) {
    using K = ast::ExprKind;
    CExpr c;
    c.loc = e.loc;
    switch (e.kind) {
      case K::Number: return make_const(Value::number(e.number), types().number(), e.loc);
      case K::String: return make_const(Value::string(e.text), types().string(), e.loc);
      case K::Bool: return make_const(Value::boolean(e.number != 0), types().boolean(), e.loc);
      case K::Name: return name(e, expected);
      case K::List:
      case K::Set: {
        TypeId elem = kNoType;
        if (expected != kNoType && kind(expected) == TypeKind::List) elem = types().at(expected).elem;
        c.op = Op::MakeList;
        bool ok = true;
        for (const ast::Expr& k : e.kids) {
          auto kc = expr(k, elem);
          if (!kc) {
            ok = false;
            continue;
          }
          if (elem == kNoType) {
            elem = kc->type;
          } else if (!comparable(elem, kc->type)) {
            error(DiagKind::TypeMismatch, k.loc, "`" + src(k.loc) + "` is " + article(kc->type) +
                                                     ", but this list holds " + tname(elem) + " values");
            ok = false;
            continue;
          }
          c.kids.push_back(std::move(*kc));
        }
        if (!ok) return std::nullopt;
        c.type = mtypes().list_of(elem == kNoType ? types().any() : elem);
        return fold(std::move(c));
      }
      case K::Range: {
        auto lo = numeric_operand(e.kids[0], "a range");
        auto hi = numeric_operand(e.kids[1], "a range");
        if (!lo || !hi) return std::nullopt;
        c.op = Op::MakeRange;
        c.type = types().range();
        c.kids = {std::move(*lo), std::move(*hi)};
        return fold(std::move(c));
      }
      case K::Neg: {
        auto k = numeric_operand(e.kids[0], "`-`");
        if (!k) return std::nullopt;
        c.op = Op::Neg;
        c.type = k->type;
        c.kids = {std::move(*k)};
        return fold(std::move(c));
      }
      case K::Arith: {
        auto a = numeric_operand(e.kids[0], "arithmetic");
        auto b = numeric_operand(e.kids[1], "arithmetic");
        if (!a || !b) return std::nullopt;
        c.op = e.text == "+" ? Op::Add : e.text == "-" ? Op::Sub : e.text == "*" ? Op::Mul : Op::Div;
        c.type = (c.op != Op::Div && kind(a->type) == TypeKind::Integer && kind(b->type) == TypeKind::Integer)
                     ? types().integer()
                     : types().number();
        if (c.op == Op::Div && b->op == Op::Const && b->constant.num == 0) {
          error(DiagKind::DivisionByZero, e.kids[1].loc, "`" + src(e.loc) + "` divides by zero");
          return std::nullopt;
        }
        c.kids = {std::move(*a), std::move(*b)};
        return fold(std::move(c));
      }
      case K::Not: {
        auto k = condition(e.kids[0]);
        if (!k) return std::nullopt;
        c.op = Op::Not;
        c.type = types().boolean();
        c.kids = {std::move(*k)};
        return c;
      }
      case K::And:
      case K::Or: {
        auto a = condition(e.kids[0]);
        auto b = condition(e.kids[1]);
        if (!a || !b) return std::nullopt;
        c.op = e.kind == K::And ? Op::And : Op::Or;
        c.type = types().boolean();
        c.kids = {std::move(*a), std::move(*b)};
        return c;
      }
      case K::Compare: {
        ++tests_;
        std::optional<CExpr> a, b;
        if (!operands(e.kids[0], e.kids[1], a, b, false)) return std::nullopt;
        const std::string& op = e.text;
        bool ordering = op != "==" && op != "!=";
        if (ordering) {
          if (!is_numeric(a->type) || !is_numeric(b->type)) {
            const ast::Expr& bad = is_numeric(a->type) ? e.kids[1] : e.kids[0];
            TypeId bt = is_numeric(a->type) ? b->type : a->type;
            auto& d = error(DiagKind::TypeMismatch, bad.loc,
                            "`" + op + "` compares numbers, but `" + src(bad.loc) + "` is " + article(bt));
            if (kind(bt) == TypeKind::Enum || kind(bt) == TypeKind::Boolean)
              d.message += "; test it with `is`, `is not` or `in`";
            return std::nullopt;
          }
        } else if (!comparable(a->type, b->type)) {
          auto& d = error(DiagKind::TypeMismatch, e.kids[1].loc,
                          "cannot compare `" + src(e.kids[0].loc) + "` (" + article(a->type) + ") with `" +
                              src(e.kids[1].loc) + "` (" + article(b->type) + ")");
          if (is_bool(a->type) != is_bool(b->type))
            d.message += "; a yes-or-no fact is compared with `true` or `false`";
          else
            d.message += values_of(a->type);
          return std::nullopt;
        }
        check_constant_range(*a, *b);
        check_constant_range(*b, *a);
        c.op = op == "<" ? Op::Lt : op == "<=" ? Op::Le : op == ">" ? Op::Gt : op == ">=" ? Op::Ge
             : op == "==" ? Op::Eq : Op::Ne;
        c.type = types().boolean();
        c.kids = {std::move(*a), std::move(*b)};
        return c;
      }
      case K::In: {
        ++tests_;
        std::optional<CExpr> a, b;
        const ast::Expr& rhs = e.kids[1];
        if (rhs.kind == ast::ExprKind::Name && !known_name(rhs.text)) {
          a = expr(e.kids[0], kNoType);
          if (!a) return std::nullopt;
          if (kind(a->type) == TypeKind::Enum &&
              kb_->enums[static_cast<std::size_t>(types().at(a->type).enum_id)].find(rhs.text) >= 0) {
            error(DiagKind::TypeMismatch, rhs.loc,
                  "`" + rhs.text + "` is one " + tname(a->type) + " value, not a group; write `" + src(e.kids[0].loc) +
                      (e.number != 0 ? " is not " : " is ") + rhs.text + "`");
          } else {
            unknown_group(rhs);
          }
          return std::nullopt;
        }
        if (!operands(e.kids[0], e.kids[1], a, b, true)) return std::nullopt;
        bool ok = false;
        if (kind(b->type) == TypeKind::Range) {
          ok = is_numeric(a->type);
          if (ok && b->op == Op::Const) {
            check_constant_range(*a, make_const(Value::number(b->constant.num), types().number(), e.kids[1].loc));
            check_constant_range(*a, make_const(Value::number(b->constant.hi), types().number(), e.kids[1].loc));
          }
        } else if (kind(b->type) == TypeKind::List) {
          TypeId elem = types().at(b->type).elem;
          ok = comparable(a->type, elem) || elem == types().any();
        }
        if (!ok) {
          error(DiagKind::TypeMismatch, e.kids[1].loc,
                "`in` needs a group, list or range of " + tname(a->type) + " values, but `" + src(e.kids[1].loc) +
                    "` is " + article(b->type));
          return std::nullopt;
        }
        c.op = e.number != 0 ? Op::NotIn : Op::In;
        c.type = types().boolean();
        c.kids = {std::move(*a), std::move(*b)};
        return c;
      }
      case K::Contains: {
        ++tests_;
        auto a = expr(e.kids[0], kNoType);
        if (!a) return std::nullopt;
        if (kind(a->type) != TypeKind::List) {
          error(DiagKind::TypeMismatch, e.kids[0].loc,
                "`contains` tests a list, but `" + src(e.kids[0].loc) + "` is " + article(a->type));
          return std::nullopt;
        }
        TypeId elem = types().at(a->type).elem;
        auto b = expr(e.kids[1], elem);
        if (!b) return std::nullopt;
        if (!comparable(elem, b->type)) {
          error(DiagKind::TypeMismatch, e.kids[1].loc,
                "`" + src(e.kids[0].loc) + "` holds " + tname(elem) + " values, but `" + src(e.kids[1].loc) +
                    "` is " + article(b->type));
          return std::nullopt;
        }
        c.op = e.number != 0 ? Op::NotContains : Op::Contains;
        c.type = types().boolean();
        c.kids = {std::move(*a), std::move(*b)};
        return c;
      }
      case K::Between: {
        ++tests_;
        auto v = numeric_operand(e.kids[0], "`between`");
        auto lo = numeric_operand(e.kids[1], "`between`");
        auto hi = numeric_operand(e.kids[2], "`between`");
        if (!v || !lo || !hi) return std::nullopt;
        check_constant_range(*v, *lo);
        check_constant_range(*v, *hi);
        c.op = Op::Between;
        c.type = types().boolean();
        c.kids = {std::move(*v), std::move(*lo), std::move(*hi)};
        return c;
      }
      case K::Missing: {
        ++tests_;
        auto v = expr(e.kids[0], kNoType);
        if (!v) return std::nullopt;
        c.op = e.number != 0 ? Op::IsPresent : Op::IsMissing;
        c.type = types().boolean();
        c.kids = {std::move(*v)};
        return c;
      }
      case K::Call: {
        static const std::vector<std::string> fns = {"min",   "max", "avg",   "sum",   "count",
                                                     "len",   "floor", "abs", "atan2", "choose"};
        const std::string& f = e.text;
        if (f == "floor" || f == "abs" || f == "atan2" || f == "choose") return number_call(e, expected);
        if (std::find(fns.begin(), fns.end(), f) == fns.end()) {
          auto& d = error(DiagKind::UnknownFunction, ast::Loc{e.loc.file, e.loc.begin, e.loc.begin + static_cast<std::uint32_t>(f.size())},
                          "unknown function `" + f + "`");
          if (auto s = did_you_mean(f, fns)) {
            d.message += "; did you mean `" + *s + "`?";
          } else {
            d.message += " (the functions are `min`, `max`, `avg`, `sum`, `count`, `len`, `floor`, `abs`, `atan2` and `choose`)";
          }
          return std::nullopt;
        }
        if (e.kids.size() != 1) {
          error(DiagKind::WrongArity, e.loc,
                "`" + f + "` takes one list, but is given " + std::to_string(e.kids.size()) + " arguments");
          return std::nullopt;
        }
        auto a = expr(e.kids[0], kNoType);
        if (!a) return std::nullopt;
        if (kind(a->type) != TypeKind::List) {
          error(DiagKind::TypeMismatch, e.kids[0].loc,
                "`" + f + "` works on a list, but `" + src(e.kids[0].loc) + "` is " + article(a->type));
          return std::nullopt;
        }
        bool counting = f == "count" || f == "len";
        if (!counting && !is_numeric(types().at(a->type).elem)) {
          error(DiagKind::TypeMismatch, e.kids[0].loc,
                "`" + f + "` needs a list of numbers, but `" + src(e.kids[0].loc) + "` is " + article(a->type));
          return std::nullopt;
        }
        c.op = f == "min" ? Op::Min : f == "max" ? Op::Max : f == "avg" ? Op::Avg : f == "sum" ? Op::Sum : Op::Count;
        c.type = counting ? types().integer() : (f == "avg" ? types().number() : types().at(a->type).elem);
        c.kids = {std::move(*a)};
        return c;
      }
      case K::ForEach:
      case K::Exists:
      case K::NotExists:
      case K::Every:
        error(DiagKind::PatternPlacement, e.loc,
              "`" + pattern_words(e) + "` must be a part of the rule's condition joined with `and`, not inside `or`, "
              "`not`, a `where` of `there is`, or an action");
        return std::nullopt;
      case K::Aggregate: {
        auto it = agg_levels_.find(&e);
        if (it == agg_levels_.end()) {
          error(DiagKind::PatternPlacement, e.loc,
                "an aggregate (`the number of …`) can be used only in a test of a rule's condition, joined with `and`");
          return std::nullopt;
        }
        c.op = Op::AggValue;
        c.level = it->second;
        c.type = e.text == "count" ? types().integer() : types().number();
        return c;
      }
      case K::Member: {
        if (e.kids[0].kind == ast::ExprKind::Name) {
          if (const Binding* b = bound(e.kids[0].text)) return fact_field(*b, e);
        }
        // profile.NAME reads the applicant's field even where a conclusion has the same name.
        if (e.kids[0].kind == ast::ExprKind::Name && e.kids[0].text == "profile" && !known_name("profile")) {
          int f = kb_->field_index(e.text);
          if (f < 0) {
            std::vector<std::string> names;
            for (const auto& fd : kb_->fields) names.push_back(fd.name);
            auto& d = error(DiagKind::UnknownName, e.loc, "the profile has no field `" + e.text + "`");
            if (auto s = did_you_mean(e.text, names)) d.message += "; did you mean `" + *s + "`?";
            return std::nullopt;
          }
          return slot_expr(f, e.loc);
        }
        auto base = expr(e.kids[0], mtypes().enum_type(kb_->specialty_enum));
        if (!base) return std::nullopt;
        if (kind(base->type) != TypeKind::Enum || types().at(base->type).enum_id != kb_->specialty_enum) {
          error(DiagKind::TypeMismatch, e.kids[0].loc,
                "`.` reads knowledge-base data about a specialty, but `" + src(e.kids[0].loc) + "` is " +
                    article(base->type));
          return std::nullopt;
        }
        int attr = kb_->attribute_index(e.text);
        if (attr < 0) {
          std::vector<std::string> names;
          for (const auto& a : kb_->specialty_attributes) names.push_back(a.name);
          std::uint32_t nb = e.loc.end - static_cast<std::uint32_t>(e.text.size());
          auto& d = error(DiagKind::UnknownMember, ast::Loc{e.loc.file, nb, e.loc.end},
                          "a specialty has no attribute `" + e.text + "`");
          if (auto s = did_you_mean(e.text, names)) d.message += "; did you mean `" + *s + "`?";
          return std::nullopt;
        }
        c.op = Op::Member;
        c.slot = attr;
        c.type = kb_->specialty_attributes[static_cast<std::size_t>(attr)].type;
        c.kids = {std::move(*base)};
        if (c.kids[0].op == Op::Const) {
          // A constant specialty: read the table now.
          const Specialty& s = kb_->specialties[static_cast<std::size_t>(c.kids[0].constant.sym)];
          return make_const(s.attributes[static_cast<std::size_t>(attr)], c.type, e.loc);
        }
        return c;
      }
      case K::Index: {
        auto base = expr(e.kids[0], kNoType);
        if (!base) return std::nullopt;
        if (kind(base->type) != TypeKind::Map) {
          error(DiagKind::TypeMismatch, e.kids[0].loc,
                "`[...]` looks up a map, but `" + src(e.kids[0].loc) + "` is " + article(base->type));
          return std::nullopt;
        }
        auto key = expr(e.kids[1], types().at(base->type).key);
        if (!key) return std::nullopt;
        if (!comparable(key->type, types().at(base->type).key)) {
          error(DiagKind::TypeMismatch, e.kids[1].loc,
                "the keys of `" + src(e.kids[0].loc) + "` are " + tname(types().at(base->type).key) +
                    " values, but `" + src(e.kids[1].loc) + "` is " + article(key->type));
          return std::nullopt;
        }
        c.op = Op::MapGet;
        c.type = types().at(base->type).elem;
        c.kids = {std::move(*base), std::move(*key)};
        return c;
      }
    }
    return std::nullopt;
  }

  // An expression used as a condition: boolean, or a boolean fact.
  std::optional<CExpr> condition(const ast::Expr& e) {
    auto c = expr(e, kNoType);
    if (!c) return std::nullopt;
    if (!is_bool(c->type)) {
      error(DiagKind::TypeMismatch, e.loc,
            "`" + src(e.loc) + "` is " + article(c->type) + ", not a condition; compare it with something, as in `" +
                src(e.loc) + (is_numeric(c->type) ? " > 0`" : " is present`"));
      return std::nullopt;
    }
    if (c->op == Op::Slot || c->op == Op::Member || c->op == Op::MapGet || c->op == Op::Const) {
      ++tests_;
      CExpr t;
      t.op = Op::Truthy;
      t.type = types().boolean();
      t.loc = c->loc;
      t.kids.push_back(std::move(*c));
      return t;
    }
    return c;
  }


  // ---------------------------------------------------------------- facts and patterns

  const Binding* bound(std::string_view n) const {
    for (auto it = scope_.rbegin(); it != scope_.rend(); ++it)
      if (it->name == n) return &*it;
    return nullptr;
  }

  static std::string pattern_words(const ast::Expr& e) {
    switch (e.kind) {
      case ast::ExprKind::ForEach: return "for each";
      case ast::ExprKind::Exists: return "there is " + e.text;
      case ast::ExprKind::NotExists: return "there is no";
      case ast::ExprKind::Every: return "every";
      default: return "the " + std::string(e.text == "count" ? "number" : e.text) + " of";
    }
  }

  static bool is_pattern(const ast::Expr& e) {
    using K = ast::ExprKind;
    return e.kind == K::ForEach || e.kind == K::Exists || e.kind == K::NotExists || e.kind == K::Every ||
           e.kind == K::Aggregate;
  }
  static bool has_pattern(const ast::Expr& e) {
    if (is_pattern(e)) return true;
    return std::any_of(e.kids.begin(), e.kids.end(), [](const ast::Expr& k) { return has_pattern(k); });
  }
  static bool has_where(const ast::Expr& e) { return e.number == ast::kHasWhere; }

  CExpr fact_field_expr(std::int32_t level, std::int32_t field, TypeId type, const ast::Loc& loc) {
    CExpr c;
    c.op = Op::FactField;
    c.level = level;
    c.slot = field;
    c.type = type;
    c.loc = loc;
    return c;
  }

  std::optional<CExpr> fact_field(const Binding& b, const ast::Expr& e) {
    if (b.tmpl < 0) return std::nullopt;  // its template is unknown, already reported
    const TemplateDef& t = templates_[static_cast<std::size_t>(b.tmpl)];
    int f = t.field_index(e.text);
    if (f < 0) {
      std::uint32_t nb = e.loc.end - static_cast<std::uint32_t>(e.text.size());
      auto& d = error(DiagKind::UnknownField, ast::Loc{e.loc.file, nb, e.loc.end},
                      "a " + t.name + " has no field `" + e.text + "`");
      if (auto sug = did_you_mean(e.text, t.given_names())) d.message += "; did you mean `" + *sug + "`?";
      return std::nullopt;
    }
    return fact_field_expr(b.level, f, t.fields[static_cast<std::size_t>(f)].def.type, e.loc);
  }

  std::vector<std::string> template_names() {
    std::vector<std::string> out;
    for (const TemplateDef& t : templates_) out.push_back(t.name);
    load_kb_templates();
    for (const TemplateDef& t : kb_templates_.templates) out.push_back(t.name);
    return out;
  }

  void load_kb_templates() {
    if (kb_templates_tried_) return;
    kb_templates_tried_ = true;
    if (kb_->directory.empty()) return;
    std::vector<DataError> errs;
    std::string file = kb_->directory + "/templates.json";
    if (!load_templates(file, *own_, kb_templates_, errs)) kb_templates_.templates.clear();
  }

  // The template a pattern or `create` names, -1 (reported) when unknown.
  std::int32_t find_template(const std::string& n, const ast::Loc& loc) {
    for (std::size_t i = 0; i < templates_.size(); ++i)
      if (templates_[i].name == n) return static_cast<std::int32_t>(i);
    load_kb_templates();
    int k = kb_templates_.find(n);
    if (k >= 0) {
      templates_.push_back(kb_templates_.templates[static_cast<std::size_t>(k)]);
      return static_cast<std::int32_t>(templates_.size() - 1);
    }
    auto& d = error(DiagKind::UnknownTemplate, loc, "unknown template `" + n + "`");
    if (auto sug = did_you_mean(n, template_names())) d.message += "; did you mean `" + *sug + "`?";
    return -1;
  }

  bool declare_template(const ast::Template& t) {
    for (const TemplateDef& d : templates_) {
      if (d.name == t.name.name) {
        error(DiagKind::DuplicateDefinition, t.name.loc, "the template `" + t.name.name + "` is declared twice");
        return false;
      }
    }
    TemplateDef def;
    def.name = t.name.name;
    def.doc = t.has_description ? t.description.joined() : std::string();
    def.file = sm_->name(t.loc.file);
    bool ok = true;
    for (const ast::FieldDecl& fd : t.fields) {
      if (def.field_index(fd.name.name) >= 0) {
        error(DiagKind::BadTemplate, fd.name.loc, "the field `" + fd.name.name + "` is declared twice");
        ok = false;
        continue;
      }
      if (def.fields.size() >= kMaxTemplateFields) {
        error(DiagKind::BadTemplate, fd.name.loc,
              "a template has at most " + std::to_string(kMaxTemplateFields) + " fields");
        ok = false;
        break;
      }
      TemplateField f;
      f.def.name = fd.name.name;
      f.display = fd.name.name;
      f.required = !fd.optional;
      if (fd.type.name.empty()) {
        EnumDef en;
        en.name = def.name + "." + fd.name.name;
        for (const ast::Expr& v : fd.values.kids) {
          if (v.kind != ast::ExprKind::Name) {
            error(DiagKind::BadTemplate, v.loc, "a set of values holds names, as in `{considers, case_by_case}`");
            ok = false;
          } else if (en.find(v.text) >= 0) {
            error(DiagKind::BadTemplate, v.loc, "`" + v.text + "` is listed twice");
            ok = false;
          } else {
            en.values.push_back(v.text);
          }
        }
        if (en.values.empty()) {
          error(DiagKind::BadTemplate, fd.values.loc, "a set of values needs at least one value");
          ok = false;
        }
        own_->enums.push_back(std::move(en));
        f.def.type = mtypes().enum_type(static_cast<std::int32_t>(own_->enums.size() - 1));
      } else {
        const std::string& tn = fd.type.name;
        if (tn == "integer") f.def.type = types().integer();
        else if (tn == "number") f.def.type = types().number();
        else if (tn == "boolean") f.def.type = types().boolean();
        else if (tn == "string" || tn == "symbol") f.def.type = types().string();
        else if (int en = kb_->enum_index(tn); en >= 0) f.def.type = mtypes().enum_type(en);
        else {
          std::vector<std::string> names = {"integer", "number", "boolean", "string", "symbol"};
          for (const EnumDef& e : kb_->enums) names.push_back(e.name);
          auto& d = error(DiagKind::BadTemplate, fd.type.loc, "unknown type `" + tn + "`");
          if (auto sug = did_you_mean(tn, names)) d.message += "; did you mean `" + *sug + "`?";
          else d.message += " (use integer, number, boolean, string, symbol, a knowledge-base enum, or `{a, b}`)";
          ok = false;
          continue;
        }
      }
      if (fd.has_range) {
        if (!is_numeric(f.def.type)) {
          error(DiagKind::BadTemplate, fd.range.loc, "a range applies to integer and number fields, not to " + tname(f.def.type));
          ok = false;
        } else {
          auto lo = expr(fd.range.kids[0], kNoType);
          auto hi = expr(fd.range.kids[1], kNoType);
          if (!lo || !hi || lo->op != Op::Const || hi->op != Op::Const ||
              lo->constant.kind != Value::Kind::Number || hi->constant.kind != Value::Kind::Number) {
            error(DiagKind::BadTemplate, fd.range.loc, "a field's range is two numbers, as in `1..200`");
            ok = false;
          } else if (lo->constant.num > hi->constant.num) {
            error(DiagKind::BadTemplate, fd.range.loc, "the range's low end is above its high end");
            ok = false;
          } else {
            f.def.min = lo->constant.num;
            f.def.max = hi->constant.num;
          }
        }
      }
      def.fields.push_back(std::move(f));
    }
    if (!ok) return false;
    templates_.push_back(std::move(def));
    return true;
  }

  static void flatten_and(const ast::Expr& e, std::vector<const ast::Expr*>& out) {
    if (e.kind == ast::ExprKind::And) {
      flatten_and(e.kids[0], out);
      flatten_and(e.kids[1], out);
    } else {
      out.push_back(&e);
    }
  }

  // The aggregates of a conjunct, outermost only (an aggregate inside an
  // aggregate's `where` is reported when that is compiled).
  static void collect_aggregates(const ast::Expr& e, std::vector<const ast::Expr*>& out) {
    if (e.kind == ast::ExprKind::Aggregate) {
      out.push_back(&e);
      return;
    }
    for (const ast::Expr& k : e.kids) collect_aggregates(k, out);
  }

  static void levels_read(const CExpr& c, std::int32_t& max_level) {
    if (c.op == Op::FactField || c.op == Op::AggValue) max_level = std::max(max_level, c.level);
    for (const CExpr& k : c.kids) levels_read(k, max_level);
  }

  // Binds `x` of `T x`, checking the name is free.
  bool bind(const ast::Expr& tmpl_name, const ast::Expr& var, std::int32_t level, std::int32_t& tmpl) {
    tmpl = find_template(tmpl_name.text, tmpl_name.loc);
    if (tmpl < 0) {
      // Bound all the same, to an unknown template: its uses are not reported again.
      scope_.push_back({var.text, -1, level, var.loc});
      return false;
    }
    const std::string& n = var.text;
    std::string clash;
    if (bound(n)) clash = "already bound by a pattern of this rule";
    else if (kb_->field_index(n) >= 0) clash = "a profile field";
    else if (kb_->conclusion_index(n) >= 0) clash = "a conclusion";
    else if (defs_.count(n)) clash = "a definition";
    if (!clash.empty()) {
      error(DiagKind::PatternPlacement, var.loc, "`" + n + "` is " + clash + "; give the bound fact another name");
      return false;
    }
    scope_.push_back({n, tmpl, level, var.loc});
    return true;
  }

  // The tests inside a `where` of `there is`, `every` or an aggregate: plain
  // tests over the bound fact, earlier facts and slots.
  bool where_tests(const ast::Expr& where, std::vector<CExpr>& out) {
    std::vector<const ast::Expr*> parts;
    flatten_and(where, parts);
    bool ok = true;
    for (const ast::Expr* p : parts) {
      if (has_pattern(*p)) {
        const ast::Expr* inner = p;
        while (!is_pattern(*inner)) {
          for (const ast::Expr& k : inner->kids)
            if (has_pattern(k)) {
              inner = &k;
              break;
            }
        }
        error(DiagKind::PatternPlacement, inner->loc,
              "`" + pattern_words(*inner) + "` cannot be nested in the `where` of `there is`, `every` or an "
              "aggregate; write the condition as a rule of its own that sets a conclusion, and test that");
        ok = false;
        continue;
      }
      auto c = condition(*p);
      if (!c) {
        ok = false;
        continue;
      }
      out.push_back(std::move(*c));
    }
    return ok;
  }

  // A condition with patterns: the rule's patterns in order, each conjunct
  // placed at the pattern where everything it reads is bound.
  bool pattern_condition(const ast::Expr& cond, CRule& out) {
    using K = ast::ExprKind;
    std::vector<const ast::Expr*> work;
    flatten_and(cond, work);
    bool ok = true;
    for (std::size_t i = 0; i < work.size(); ++i) {
      const ast::Expr& e = *work[i];
      if (e.kind == K::ForEach) {
        CPattern p;
        p.kind = CPattern::Kind::ForEach;
        p.level = out.levels;
        p.loc = e.loc;
        p.var = e.kids[1].text;
        if (!bind(e.kids[0], e.kids[1], p.level, p.tmpl)) return false;
        ++out.levels;
        out.patterns.push_back(std::move(p));
        if (has_where(e)) {
          std::vector<const ast::Expr*> inner;
          flatten_and(e.kids[2], inner);
          work.insert(work.begin() + static_cast<std::ptrdiff_t>(i) + 1, inner.begin(), inner.end());
        }
        continue;
      }
      if (e.kind == K::Exists || e.kind == K::NotExists || e.kind == K::Every) {
        CPattern p;
        p.kind = e.kind == K::Exists ? CPattern::Kind::Exists : CPattern::Kind::NotExists;
        p.level = out.levels;
        p.loc = e.loc;
        p.var = e.kids[1].text;
        if (!bind(e.kids[0], e.kids[1], p.level, p.tmpl)) return false;
        if (has_where(e) && !where_tests(e.kids[2], p.tests)) ok = false;
        if (e.kind == K::Every) {
          // every T x where C has D  ==  there is no T x where C and D is not true
          const ast::Expr& d = e.kids.back();
          if (has_pattern(d)) {
            error(DiagKind::PatternPlacement, d.loc, "what `every … has` requires is a test of the fact, not a pattern");
            ok = false;
          } else if (auto dc = condition(d)) {
            CExpr u;
            u.op = Op::Untrue;
            u.type = types().boolean();
            u.loc = dc->loc;
            u.kids.push_back(std::move(*dc));
            p.tests.push_back(std::move(u));
          } else {
            ok = false;
          }
        }
        scope_.pop_back();
        out.patterns.push_back(std::move(p));
        continue;
      }
      // A test. Its aggregates become patterns first.
      std::vector<const ast::Expr*> aggs;
      collect_aggregates(e, aggs);
      for (const ast::Expr* a : aggs) {
        CPattern p;
        p.kind = CPattern::Kind::Aggregate;
        p.level = out.levels;
        p.loc = a->loc;
        p.var = a->kids[1].text;
        const std::string& fn = a->text;
        p.agg = fn == "count" ? CPattern::Agg::Count
              : fn == "sum"   ? CPattern::Agg::Sum
              : fn == "min"   ? CPattern::Agg::Min
              : fn == "max"   ? CPattern::Agg::Max
                              : CPattern::Agg::Avg;
        if (!bind(a->kids[0], a->kids[1], p.level, p.tmpl)) return false;
        if (has_where(*a) && !where_tests(a->kids[2], p.tests)) ok = false;
        if (p.agg != CPattern::Agg::Count) {
          const ast::Expr& v = a->kids.back();
          if (auto vc = numeric_operand(v, "an aggregate's value")) {
            std::int32_t lv = -1;
            levels_read(*vc, lv);
            if (vc->op != Op::FactField || vc->level != p.level) {
              error(DiagKind::PatternPlacement, v.loc,
                    "an aggregate sums a field of the fact it ranges over, as in `" + p.var + ".positions`");
              ok = false;
            } else {
              p.value = std::move(*vc);
            }
          } else {
            ok = false;
          }
        }
        scope_.pop_back();
        agg_levels_[a] = out.levels++;
        out.patterns.push_back(std::move(p));
      }
      auto c = condition(e);
      agg_levels_.clear();
      if (!c) {
        ok = false;
        continue;
      }
      std::int32_t lv = -1;
      levels_read(*c, lv);
      if (lv < 0) {
        out.guards.push_back(std::move(*c));
        continue;
      }
      for (auto it = out.patterns.rbegin(); it != out.patterns.rend(); ++it) {
        bool adds = it->kind == CPattern::Kind::ForEach || it->kind == CPattern::Kind::Aggregate;
        if (!adds || it->level != lv) continue;
        (it->kind == CPattern::Kind::Aggregate ? it->agg_tests : it->tests).push_back(std::move(*c));
        break;
      }
    }
    return ok;
  }

  // The bound fact an action names (`change x`, `remove x`): a `for each` binding.
  const Binding* action_binding(const ast::Ident& id) {
    if (const Binding* b = bound(id.name)) return b;
    auto& d = error(DiagKind::PatternPlacement, id.loc,
                    "`" + id.name + "` is not a fact bound by `for each` in this rule's condition");
    std::vector<std::string> names;
    for (const Binding& b : scope_) names.push_back(b.name);
    if (auto sug = did_you_mean(id.name, names)) d.message += "; did you mean `" + *sug + "`?";
    return nullptr;
  }

  bool field_values(const ast::Action& a, std::int32_t tmpl, CAction& out, bool creating) {
    const TemplateDef& t = templates_[static_cast<std::size_t>(tmpl)];
    bool ok = true;
    std::set<std::int32_t> given;
    for (const ast::FieldInit& fi : a.fields) {
      int f = t.field_index(fi.field.name);
      if (f < 0 || t.fields[static_cast<std::size_t>(f)].derived_only()) {
        auto& d = error(DiagKind::UnknownField, fi.field.loc, "a " + t.name + " has no field `" + fi.field.name + "`");
        if (auto sug = did_you_mean(fi.field.name, t.given_names())) d.message += "; did you mean `" + *sug + "`?";
        report_only(fi.value);
        ok = false;
        continue;
      }
      if (!given.insert(f).second) {
        error(DiagKind::DuplicateClause, fi.field.loc, "`" + fi.field.name + "` is given twice");
        ok = false;
        continue;
      }
      const TemplateField& tf = t.fields[static_cast<std::size_t>(f)];
      auto v = expr(fi.value, tf.def.type);
      if (!v) {
        ok = false;
        continue;
      }
      if (!assignable(tf.def.type, v->type)) {
        error(DiagKind::TypeMismatch, fi.value.loc,
              "`" + fi.field.name + "` of a " + t.name + " holds " + article(tf.def.type) + ", but `" + src(fi.value.loc) +
                  "` is " + article(v->type) + values_of(tf.def.type));
        ok = false;
        continue;
      }
      if (v->op == Op::Const && v->constant.kind == Value::Kind::Number && tf.def.min && tf.def.max &&
          (v->constant.num < *tf.def.min || v->constant.num > *tf.def.max)) {
        error(DiagKind::OutOfRange, fi.value.loc,
              format_number(v->constant.num) + " is outside the range of `" + fi.field.name + "` (" +
                  format_number(*tf.def.min) + " to " + format_number(*tf.def.max) + ")");
        ok = false;
        continue;
      }
      out.fields.emplace_back(f, std::move(*v));
    }
    if (creating && ok) {
      std::string missing;
      for (std::size_t f = 0; f < t.fields.size(); ++f) {
        const TemplateField& tf = t.fields[f];
        if (tf.required && !tf.default_value && !tf.derived_only() && !given.count(static_cast<std::int32_t>(f)))
          missing += std::string(missing.empty() ? "" : ", ") + "`" + tf.name() + "`";
      }
      if (!missing.empty()) {
        error(DiagKind::MissingField, a.id.loc,
              "`create " + t.name + "` does not give " + missing + ", which every " + t.name + " has");
        ok = false;
      }
    }
    return ok;
  }

  // ---------------------------------------------------------------- actions

  std::optional<TextTemplate> text_template(const ast::Text& text) {
    // Placeholders are found in the raw source of each string literal, so
    // that their diagnostics point at the exact bytes.
    TextTemplate t;
    const std::string& file = sm_->text(text.loc.file);
    std::uint32_t pos = text.loc.begin;
    bool ok = true;
    std::string lit;
    std::size_t part = 0;
    while (pos < text.loc.end && part < text.parts.size()) {
      // Find the next literal's opening quote.
      while (pos < text.loc.end && file[pos] != '"') {
        if (file[pos] == '#') {
          while (pos < text.loc.end && file[pos] != '\n') ++pos;
        } else {
          ++pos;
        }
      }
      if (pos >= text.loc.end) break;
      if (part > 0) lit += ' ';
      ++pos;  // opening quote
      while (pos < text.loc.end && file[pos] != '"') {
        char ch = file[pos];
        if (ch == '\\' && pos + 1 < text.loc.end) {
          char nx = file[pos + 1];
          lit += nx == 'n' ? '\n' : nx == 't' ? '\t' : nx;
          pos += 2;
        } else if (ch == '{' && pos + 1 < text.loc.end && file[pos + 1] == '{') {
          lit += '{';
          pos += 2;
        } else if (ch == '}' && pos + 1 < text.loc.end && file[pos + 1] == '}') {
          lit += '}';
          pos += 2;
        } else if (ch == '{') {
          std::uint32_t close = pos + 1;
          while (close < text.loc.end && file[close] != '}' && file[close] != '"') ++close;
          std::uint32_t backslashes = 0;
          while (close < text.loc.end && close - backslashes > pos + 1 && file[close - backslashes - 1] == '\\')
            ++backslashes;
          if (close < text.loc.end && file[close] == '"' && backslashes % 2 == 1) {
            // `\"` inside the braces: the text's quote, escaped, not a placeholder's.
            error(DiagKind::BadPlaceholder, {text.loc.file, close - 1, close + 1},
                  "a placeholder cannot hold a quote `\\\"`: texts inside `{}` are not supported; define the text "
                  "with `const NAME = \"...\"` and write `{NAME}`");
            ok = false;
            while (close < text.loc.end && file[close] != '}' && !(file[close] == '"' && file[close - 1] != '\\'))
              ++close;
            pos = close < text.loc.end && file[close] == '}' ? close + 1 : close;
            continue;
          }
          if (close >= text.loc.end || file[close] != '}') {
            error(DiagKind::BadPlaceholder, {text.loc.file, pos, pos + 1}, "this `{` has no closing `}`; write `{{` for a brace");
            ok = false;
            pos = close;
            continue;
          }
          std::string_view inner(file.data() + pos + 1, close - pos - 1);
          // `{EXPR|singular|plural}`: a number with the word that agrees with it.
          std::string singular, plural;
          bool counted = false;
          if (std::size_t bar = inner.find('|'); bar != std::string_view::npos) {
            std::string_view forms = inner.substr(bar + 1);
            std::size_t bar2 = forms.find('|');
            auto blank = [](std::string_view w) { return w.find_first_not_of(" \t") == std::string_view::npos; };
            if (bar2 == std::string_view::npos || forms.find('|', bar2 + 1) != std::string_view::npos ||
                blank(forms.substr(0, bar2)) || blank(forms.substr(bar2 + 1)) || blank(inner.substr(0, bar))) {
              error(DiagKind::BadPlaceholder, {text.loc.file, pos, close + 1},
                    "a counted placeholder is `{NUMBER|singular|plural}`, like `{publications|publication|publications}`");
              ok = false;
              pos = close + 1;
              continue;
            }
            singular = std::string(forms.substr(0, bar2));
            plural = std::string(forms.substr(bar2 + 1));
            inner = inner.substr(0, bar);
            counted = true;
          }
          ast::Expr pe;
          std::string perr;
          std::uint32_t poff = 0;
          if (inner.find_first_not_of(" \t") == std::string_view::npos) {
            error(DiagKind::BadPlaceholder, {text.loc.file, pos, close + 1}, "empty placeholder `{}`; write a name inside, or `{{}}` for braces");
            ok = false;
          } else if (!parse_expression(inner, text.loc.file, pos + 1, pe, perr, poff)) {
            error(DiagKind::BadPlaceholder, {text.loc.file, pos, close + 1}, "cannot read the placeholder `{" + std::string(inner) + "}`: " + perr);
            ok = false;
          } else if (auto ce = expr(pe, kNoType)) {
            if (counted && !types().numeric(ce->type)) {
              error(DiagKind::BadPlaceholder, {text.loc.file, pos, close + 1},
                    "a counted placeholder needs a number, and `" + std::string(inner) + "` is " +
                        article(ce->type) + "; use `count(...)` to count a list");
              ok = false;
              pos = close + 1;
              continue;
            }
            if (!lit.empty()) t.segments.push_back({std::move(lit), false, {}, false, {}, {}});
            lit.clear();
            TextTemplate::Segment seg;
            seg.is_expr = true;
            seg.expr = std::move(*ce);
            seg.counted = counted;
            seg.singular = std::move(singular);
            seg.plural = std::move(plural);
            t.segments.push_back(std::move(seg));
          } else {
            ok = false;
          }
          pos = close + 1;
        } else {
          lit += ch;
          ++pos;
        }
      }
      ++pos;  // closing quote
      ++part;
    }
    if (!lit.empty()) t.segments.push_back({std::move(lit), false, {}, false, {}, {}});
    if (!ok) return std::nullopt;
    return t;
  }

  // The conclusion named by an action's target; indexed targets yield the map's value type.
  bool target(const ast::Expr& tgt, CAction& a, TypeId& value_type) {
    const ast::Expr& base = tgt.kind == ast::ExprKind::Index ? tgt.kids[0] : tgt;
    int c = kb_->conclusion_index(base.text);
    if (c < 0) {
      if (kb_->field_index(base.text) >= 0) {
        error(DiagKind::NotAConclusion, base.loc,
              "`" + base.text + "` is a profile field; rules set conclusions, not what the applicant told us");
        return false;
      }
      std::vector<std::string> names;
      for (const auto& cd : kb_->conclusions) names.push_back(cd.name);
      auto& d = error(DiagKind::UnknownName, base.loc, "unknown conclusion `" + base.text + "`");
      if (auto s = did_you_mean(base.text, names)) d.message += "; did you mean `" + *s + "`?";
      return false;
    }
    a.slot = field_count_ + c;
    TypeId t = kb_->conclusions[static_cast<std::size_t>(c)].type;
    if (tgt.kind == ast::ExprKind::Index) {
      if (kind(t) != TypeKind::Map) {
        error(DiagKind::TypeMismatch, tgt.loc, "`" + base.text + "` is " + article(t) + ", not a map; write `set " + base.text + " = ...`");
        return false;
      }
      auto key = expr(tgt.kids[1], types().at(t).key);
      if (!key) return false;
      if (!comparable(key->type, types().at(t).key)) {
        error(DiagKind::TypeMismatch, tgt.kids[1].loc,
              "the keys of `" + base.text + "` are " + tname(types().at(t).key) + " values, but `" +
                  src(tgt.kids[1].loc) + "` is " + article(key->type));
        return false;
      }
      a.indexed = true;
      a.key = std::move(*key);
      value_type = types().at(t).elem;
    } else {
      value_type = t;
    }
    return true;
  }

  bool assignable(TypeId want, TypeId have) const {
    if (want == have) return true;
    if (is_numeric(want) && is_numeric(have)) return true;
    if (kind(want) == TypeKind::List && kind(have) == TypeKind::List)
      return types().at(have).elem == types().any() || assignable(types().at(want).elem, types().at(have).elem);
    return false;
  }

  std::optional<CAction> action(const ast::Action& a, const CRule& rule) {
    CAction out;
    out.kind = a.kind;
    out.loc = a.loc;
    switch (a.kind) {
      case ast::ActionKind::Set: {
        TypeId vt = kNoType;
        if (!target(a.target, out, vt)) {
          report_only(a.value);
          return std::nullopt;
        }
        auto v = expr(a.value, vt);
        if (!v) return std::nullopt;
        if (!assignable(vt, v->type)) {
          auto it = first_setter_.find(out.slot);
          if (it != first_setter_.end()) {
            auto& d = error(DiagKind::ConflictingTypes, a.value.loc,
                            "rules give `" + src(a.target.loc) + "` values of different types: " + article(v->type) +
                                " here, " + article(vt) + " elsewhere" + values_of(vt));
            d.notes.push_back({it->second, true, "given " + article(vt) + " here, the type kb/schema.json declares"});
          } else {
            error(DiagKind::TypeMismatch, a.value.loc,
                  "`" + src(a.target.loc) + "` holds " + article(vt) + ", but `" + src(a.value.loc) + "` is " +
                      article(v->type) + values_of(vt));
          }
          return std::nullopt;
        }
        first_setter_.emplace(out.slot, a.value.loc);
        check_value_range(out.slot, *v);
        out.value = std::move(*v);
        return out;
      }
      case ast::ActionKind::Add: {
        TypeId vt = kNoType;
        if (!target(a.target, out, vt)) {
          report_only(a.value);
          return std::nullopt;
        }
        if (kind(vt) != TypeKind::List) {
          error(DiagKind::TypeMismatch, a.target.loc,
                "`add` adds to a list, but `" + src(a.target.loc) + "` is " + article(vt) + "; use `set`");
          report_only(a.value);
          return std::nullopt;
        }
        TypeId elem = types().at(vt).elem;
        bool literal_list = a.value.kind == ast::ExprKind::List || a.value.kind == ast::ExprKind::Set;
        auto v = expr(a.value, literal_list ? vt : elem);
        if (!v) return std::nullopt;
        if (assignable(elem, v->type)) {
          out.add_each = false;
        } else if (assignable(vt, v->type)) {
          out.add_each = true;
        } else {
          error(DiagKind::TypeMismatch, a.value.loc,
                "`" + src(a.target.loc) + "` holds " + tname(elem) + " values, but `" + src(a.value.loc) + "` is " +
                    article(v->type));
          return std::nullopt;
        }
        out.value = std::move(*v);
        return out;
      }
      case ast::ActionKind::Recommend: {
        out.id = a.id.name;
        out.category = rule.category;
        if (!a.category.name.empty()) {
          const EnumDef& cats = kb_->enums[static_cast<std::size_t>(kb_->category_enum)];
          int idx = cats.find(a.category.name);
          if (idx < 0) {
            auto& d = error(DiagKind::UnknownCategory, a.category.loc, "unknown recommendation category `" + a.category.name + "`");
            if (auto s = did_you_mean(a.category.name, cats.values)) d.message += "; did you mean `" + *s + "`?";
            else d.message += category_list();
            return std::nullopt;
          }
          out.category = idx;
        }
        if (a.has_text) {
          auto t = text_template(a.text);
          if (!t) return std::nullopt;
          out.text = std::move(*t);
        }
        return out;
      }
      case ast::ActionKind::Note:
      case ast::ActionKind::Warn: {
        auto t = text_template(a.text);
        if (!t) return std::nullopt;
        out.text = std::move(*t);
        return out;
      }
      case ast::ActionKind::Create: {
        out.tmpl = find_template(a.id.name, a.id.loc);
        if (out.tmpl < 0) {
          for (const ast::FieldInit& fi : a.fields) report_only(fi.value);
          return std::nullopt;
        }
        if (!field_values(a, out.tmpl, out, true)) return std::nullopt;
        return out;
      }
      case ast::ActionKind::Change:
      case ast::ActionKind::Remove: {
        const Binding* b = action_binding(a.id);
        if (!b || b->tmpl < 0) return std::nullopt;
        out.tmpl = b->tmpl;
        out.level = b->level;
        if (a.kind == ast::ActionKind::Change && !field_values(a, out.tmpl, out, false)) return std::nullopt;
        return out;
      }
      case ast::ActionKind::Cite: {
        TypeId fig = mtypes().enum_type(kb_->figure_enum);
        bool literal_list = a.value.kind == ast::ExprKind::List || a.value.kind == ast::ExprKind::Set;
        auto v = expr(a.value, literal_list ? mtypes().list_of(fig) : fig);
        if (!v) return std::nullopt;
        if (v->type != fig && v->type != mtypes().list_of(fig)) {
          error(DiagKind::TypeMismatch, a.value.loc,
                "`cite` shows published figures, but `" + src(a.value.loc) + "` is " + article(v->type));
          return std::nullopt;
        }
        out.add_each = v->type != fig;
        out.value = std::move(*v);
        return out;
      }
    }
    return std::nullopt;
  }

  void check_value_range(std::int32_t slot, const CExpr& v) {
    if (v.op != Op::Const || v.constant.kind != Value::Kind::Number) return;
    CExpr s;
    s.op = Op::Slot;
    s.slot = slot;
    check_constant_range(s, v);
  }

  std::optional<CRule> rule(const ast::Rule& r, std::int32_t index) {
    CRule out;
    out.index = index;
    out.loc = r.loc;
    out.short_form = r.short_form;
    if (r.short_form) {
      LineCol lc = sm_->line_col(r.loc.file, r.loc.begin);
      std::string stem = file_stem(sm_->name(r.loc.file));
      out.name = stem + "_line_" + std::to_string(lc.line);
    } else {
      out.name = r.name.name;
    }
    out.description = r.has_description ? r.description.joined() : std::string();
    std::set<std::string> seen;
    bool ok = true;
    out.category = kb_->enums[static_cast<std::size_t>(kb_->category_enum)].find("assessment");
    for (const auto& cl : r.clauses) {
      if (!seen.insert(cl.kind).second) {
        error(DiagKind::DuplicateClause, cl.loc, "`" + cl.kind + "` is written twice in this rule");
        ok = false;
        continue;
      }
      if (cl.kind == "source") out.source = cl.value;
      if (cl.kind == "logical") out.logical = true;
      if (cl.kind == "priority") {
        errno = 0;
        long long p = std::strtoll(cl.value.c_str(), nullptr, 10);
        if (errno == ERANGE || p < -1000000 || p > 1000000) {
          error(DiagKind::OutOfRange, cl.value_loc,
                "the priority `" + cl.value + "` is outside the range -1000000 to 1000000");
          ok = false;
        } else {
          out.priority = static_cast<int>(p);
        }
      }
      if (cl.kind == "stages") {
        int stage_enum = kb_->enum_index("stage");
        const EnumDef* stages = stage_enum >= 0 ? &kb_->enums[static_cast<std::size_t>(stage_enum)] : nullptr;
        for (const ast::Ident& st : cl.items) {
          int idx = stages ? stages->find(st.name) : -1;
          if (idx < 0) {
            std::string list;
            if (stages)
              for (std::size_t i = 0; i < stages->values.size(); ++i)
                list += std::string(i == 0 ? "" : i + 1 == stages->values.size() ? " and " : ", ") + "`" + stages->values[i] + "`";
            auto& d = error(DiagKind::UnknownValue, st.loc, "unknown stage `" + st.name + "`");
            if (auto s = stages ? did_you_mean(st.name, stages->values) : std::nullopt) d.message += "; did you mean `" + *s + "`?";
            else if (stages) d.message += "; the stages are " + list;
            ok = false;
          } else if (std::find(out.stages.begin(), out.stages.end(), idx) == out.stages.end()) {
            out.stages.push_back(idx);
          }
        }
      }
      if (cl.kind == "category") {
        const EnumDef& cats = kb_->enums[static_cast<std::size_t>(kb_->category_enum)];
        int idx = cats.find(cl.value);
        if (idx < 0) {
          auto& d = error(DiagKind::UnknownCategory, cl.value_loc, "unknown recommendation category `" + cl.value + "`");
          if (auto s = did_you_mean(cl.value, cats.values)) d.message += "; did you mean `" + *s + "`?";
          else d.message += category_list();
          ok = false;
        } else {
          out.category = idx;
        }
      }
    }
    if (out.source.empty()) {
      ast::Loc at = r.short_form ? ast::Loc{r.loc.file, r.loc.begin, r.loc.begin + 2} : r.name.loc;
      error(DiagKind::MissingSource, at, "rule `" + out.name + "` does not cite the guide section it comes from");
    }
    std::set<std::int32_t> reads;
    reads_ = &reads;
    tests_ = 0;
    scope_.clear();
    std::optional<CExpr> cond;
    if (has_pattern(r.condition)) {
      if (pattern_condition(r.condition, out)) {
        cond = make_const(Value::boolean(true), types().boolean(), r.condition.loc);
      }
      if (out.logical && out.patterns.empty()) out.logical = false;
    } else {
      cond = condition(r.condition);
      if (out.logical) {
        const ast::Rule::Clause* cl = nullptr;
        for (const auto& c : r.clauses)
          if (c.kind == "logical") cl = &c;
        error(DiagKind::PatternPlacement, cl->loc,
              "`logical` applies to rules over facts (with `for each` or `there is`); this rule's conclusions "
              "already follow its facts");
        ok = false;
      }
    }
    out.specificity = tests_;
    reads_ = nullptr;
    if (!cond) ok = false;
    std::set<std::int32_t> writes;
    for (const ast::Action& a : r.actions) {
      std::set<std::int32_t> action_reads;
      reads_ = &action_reads;
      auto ca = action(a, out);
      reads_ = nullptr;
      if (!ca) {
        ok = false;
        continue;
      }
      if (ca->slot >= 0) writes.insert(ca->slot);
      out.actions.push_back(std::move(*ca));
    }
    scope_.clear();
    if (!ok) return std::nullopt;
    out.condition = std::move(*cond);
    out.reads.assign(reads.begin(), reads.end());
    out.writes.assign(writes.begin(), writes.end());
    return out;
  }

 public:
  std::optional<RuleSet> run_all(const LoadedRules& files) {
    std::size_t errors_before = diags_.error_count();
    // 1. Definitions from every file, so that order across files does not matter.
    for (const ast::File& f : files.files) {
      for (const ast::Definition& d : f.definitions) {
        const std::string& n = d.name.name;
        std::string clash;
        if (kb_->field_index(n) >= 0) clash = "a profile field";
        else if (kb_->conclusion_index(n) >= 0) clash = "a conclusion";
        else if (kb_->group(n)) clash = "a knowledge-base group";
        else if (kb_->standard(n)) clash = "a standard the knowledge base defines (kb/standards.json)";
        else if (kb_->alias(n)) clash = "an alias the knowledge base defines (kb/schema.json)";
        else if (n == "profile") clash = "the name that reads profile fields (`profile.x`)";
        if (!clash.empty()) {
          error(DiagKind::DuplicateDefinition, d.name.loc, "`" + n + "` is already " + clash);
          continue;
        }
        auto [it, fresh] = defs_.try_emplace(n);
        if (!fresh) {
          auto& diag = error(DiagKind::DuplicateDefinition, d.name.loc, "`" + n + "` is defined twice");
          diag.notes.push_back({it->second.def->name.loc, true, "first defined here"});
          continue;
        }
        it->second.def = &d;
        def_order_.push_back(n);
      }
    }
    for (const std::string& n : measure_definitions()) {
      DefEntry& e = defs_[n];
      bool used = e.used;
      resolve_definition(n, e.def->name.loc);
      e.used = used;
    }
    // 2. Templates and the strategy, from every file.
    RuleSet rs;
    const ast::StrategyDecl* strategy_decl = nullptr;
    for (const ast::File& f : files.files) {
      for (const ast::Template& t : f.templates) {
        if (kb_->field_index(t.name.name) >= 0 || kb_->conclusion_index(t.name.name) >= 0) {
          error(DiagKind::DuplicateDefinition, t.name.loc, "`" + t.name.name + "` is already a profile field or conclusion");
          continue;
        }
        declare_template(t);
      }
      for (const ast::StrategyDecl& sd : f.strategies) {
        if (strategy_decl) {
          auto& d = error(DiagKind::DuplicateClause, sd.loc, "the rule set's strategy is declared twice");
          d.notes.push_back({strategy_decl->loc, true, "first declared here"});
          continue;
        }
        strategy_decl = &sd;
        if (auto st = parse_rule_strategy(sd.name.name)) {
          rs.strategy = *st;
        } else {
          auto& d = error(DiagKind::UnknownStrategy, sd.name.loc, "unknown strategy `" + sd.name.name + "`");
          if (auto sug = did_you_mean(sd.name.name, {"advise", "depth", "breadth", "lex", "mea"}))
            d.message += "; did you mean `" + *sug + "`?";
        }
      }
    }
    // 3. Rules, in load order.
    rs.sources = sm_;
    std::map<std::string, ast::Loc> names;
    std::int32_t index = 0;
    for (const ast::File& f : files.files) {
      for (const ast::Item& item : f.items) {
        if (item.kind != ast::ItemKind::Rule) continue;
        const ast::Rule& r = f.rules[item.index];
        auto cr = rule(r, index);
        if (!cr) continue;
        auto [it, fresh] = names.emplace(cr->name, r.short_form ? r.loc : r.name.loc);
        if (!fresh) {
          auto& d = error(DiagKind::DuplicateRule, r.short_form ? r.loc : r.name.loc,
                          "a rule named `" + cr->name + "` already exists");
          d.notes.push_back({it->second, true, "the first rule of that name"});
          continue;
        }
        rs.rules.push_back(std::move(*cr));
        ++index;
      }
    }
    // 4. Unused definitions.
    for (const std::string& n : def_order_) {
      const DefEntry& e = defs_[n];
      if (!e.used && e.state == DefEntry::Resolved)
        error(DiagKind::UnusedDefinition, e.def->name.loc, "`" + n + "` is defined but never used");
      if (e.state == DefEntry::Resolved) rs.definitions.emplace_back(n, e.value);
    }
    // The knowledge base's standards in force, so that explanations show their values.
    for (const Standard& st : kb_->standards)
      rs.definitions.emplace_back(st.name, make_const(st.value(), types().number(), {}));
    if (diags_.error_count() > errors_before) return std::nullopt;
    rs.templates = templates_;
    rs.kb = kb_;  // last: the rules' types were added to it
    rs.readers.assign(static_cast<std::size_t>(rs.slot_count()), {});
    for (const CRule& r : rs.rules)
      for (std::int32_t s : r.reads) rs.readers[static_cast<std::size_t>(s)].push_back(r.index);
    return rs;
  }

  std::optional<CExpr> condition_with(const ast::Expr& e, const RuleSet& rs) {
    for (const auto& [n, v] : rs.definitions) {
      DefEntry& d = defs_[n];
      d.state = DefEntry::Resolved;
      d.value = v;
      d.used = true;
    }
    return condition(e);
  }
};

}  // namespace

std::optional<RuleSet> check_rules(const LoadedRules& files, std::shared_ptr<const KnowledgeBase> kb,
                                   std::shared_ptr<const SourceManager> sources, Diagnostics& diags) {
  Checker c(std::move(kb), std::move(sources), diags);
  auto rs = c.run_all(files);
  diags.sort();
  return rs;
}

std::optional<RuleSet> load_rule_set(const std::vector<std::string>& paths, std::shared_ptr<const KnowledgeBase> kb,
                                     std::shared_ptr<SourceManager> sources, Diagnostics& diags) {
  LoadedRules files = load_rules(paths, *sources, diags);
  bool parse_errors = diags.has_errors();
  auto rs = check_rules(files, std::move(kb), sources, diags);
  if (parse_errors) return std::nullopt;
  return rs;
}

std::optional<CExpr> check_condition(const ast::Expr& e, const RuleSet& rules, Diagnostics& diags) {
  Checker c(rules.kb, rules.sources, diags);
  return c.condition_with(e, rules);
}

}  // namespace advise
