// The checker: names (fields, conclusions, groups, standards, aliases,
// definitions) and the resolution of definitions, with their cycles and sizes.
#include "dsl/checker_impl.hpp"

namespace advise::checker_detail {

std::optional<CExpr> Checker::resolve_definition(const std::string& name, const ast::Loc& use, TypeId expected) {
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
std::vector<std::string> Checker::measure_definitions() {
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

std::optional<CExpr> Checker::compile_definition(const ast::Definition& def) {
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
TypeId Checker::infer_group_type(const ast::Expr& group) {
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

void Checker::mark_read(std::int32_t slot) {
  if (reads_) reads_->insert(slot);
}

CExpr Checker::slot_expr(std::int32_t slot, const ast::Loc& loc) {
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
std::optional<CExpr> Checker::name(const ast::Expr& e, TypeId expected) {
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
void Checker::report_only(const ast::Expr& e) {
  bool saved = quiet_values_;
  quiet_values_ = true;
  expr(e, kNoType);
  quiet_values_ = saved;
}

// `x in NAME` where NAME is no group, definition or fact.
void Checker::unknown_group(const ast::Expr& e) {
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

}  // namespace advise::checker_detail
