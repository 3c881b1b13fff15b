// The checker: templates (declared in rules or read from the knowledge base),
// facts bound by patterns, and the pattern part of a rule's condition.
#include "dsl/checker_impl.hpp"

namespace advise::checker_detail {

const Checker::Binding* Checker::bound(std::string_view n) const {
  for (auto it = scope_.rbegin(); it != scope_.rend(); ++it)
    if (it->name == n) return &*it;
  return nullptr;
}

std::string Checker::pattern_words(const ast::Expr& e) {
  switch (e.kind) {
    case ast::ExprKind::ForEach: return "for each";
    case ast::ExprKind::Exists: return "there is " + e.text;
    case ast::ExprKind::NotExists: return "there is no";
    case ast::ExprKind::Every: return "every";
    default: return "the " + std::string(e.text == "count" ? "number" : e.text) + " of";
  }
}

bool Checker::is_pattern(const ast::Expr& e) {
  using K = ast::ExprKind;
  return e.kind == K::ForEach || e.kind == K::Exists || e.kind == K::NotExists || e.kind == K::Every ||
         e.kind == K::Aggregate;
}

bool Checker::has_pattern(const ast::Expr& e) {
  if (is_pattern(e)) return true;
  return std::any_of(e.kids.begin(), e.kids.end(), [](const ast::Expr& k) { return has_pattern(k); });
}

CExpr Checker::fact_field_expr(std::int32_t level, std::int32_t field, TypeId type, const ast::Loc& loc) {
  CExpr c;
  c.op = Op::FactField;
  c.level = level;
  c.slot = field;
  c.type = type;
  c.loc = loc;
  return c;
}

std::optional<CExpr> Checker::fact_field(const Binding& b, const ast::Expr& e) {
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

std::vector<std::string> Checker::template_names() {
  std::vector<std::string> out;
  for (const TemplateDef& t : templates_) out.push_back(t.name);
  load_kb_templates();
  for (const TemplateDef& t : kb_templates_.templates) out.push_back(t.name);
  out.emplace_back(kSpecialtyTemplate);
  return out;
}

void Checker::load_kb_templates() {
  if (kb_templates_tried_) return;
  kb_templates_tried_ = true;
  if (kb_->directory.empty()) return;
  std::vector<DataError> errs;
  std::string file = kb_->directory + "/templates.json";
  if (!load_templates(file, *own_, kb_templates_, errs)) kb_templates_.templates.clear();
}

// The template a pattern or `create` names, -1 (reported) when unknown.
std::int32_t Checker::find_template(const std::string& n, const ast::Loc& loc) {
  for (std::size_t i = 0; i < templates_.size(); ++i)
    if (templates_[i].name == n) return static_cast<std::int32_t>(i);
  load_kb_templates();
  int k = kb_templates_.find(n);
  if (k >= 0) {
    templates_.push_back(kb_templates_.templates[static_cast<std::size_t>(k)]);
    return static_cast<std::int32_t>(templates_.size() - 1);
  }
  if (n == kSpecialtyTemplate && kb_->specialty_enum >= 0) {
    templates_.push_back(specialty_template(*kb_));
    return static_cast<std::int32_t>(templates_.size() - 1);
  }
  if (refused_templates_.count(n)) return -1;  // reported where it is declared
  auto& d = error(DiagKind::UnknownTemplate, loc, "unknown template `" + n + "`");
  if (auto sug = did_you_mean(n, template_names())) d.message += "; did you mean `" + *sug + "`?";
  return -1;
}

bool Checker::declare_template(const ast::Template& t) {
  if (t.name.name == kSpecialtyTemplate) {
    error(DiagKind::DuplicateDefinition, t.name.loc,
          "`specialty` is the knowledge base's template of specialties (kb/specialties.json); choose another name");
    return false;
  }
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
            lo->constant->kind != Value::Kind::Number || hi->constant->kind != Value::Kind::Number) {
          error(DiagKind::BadTemplate, fd.range.loc, "a field's range is two numbers, as in `1..200`");
          ok = false;
        } else if (lo->constant->num > hi->constant->num) {
          error(DiagKind::BadTemplate, fd.range.loc, "the range's low end is above its high end");
          ok = false;
        } else {
          f.def.min = lo->constant->num;
          f.def.max = hi->constant->num;
        }
      }
    }
    def.fields.push_back(std::move(f));
  }
  if (!ok) return false;
  templates_.push_back(std::move(def));
  return true;
}

void Checker::flatten_and(const ast::Expr& e, std::vector<const ast::Expr*>& out) {
  if (e.kind == ast::ExprKind::And) {
    flatten_and(e.kids[0], out);
    flatten_and(e.kids[1], out);
  } else {
    out.push_back(&e);
  }
}

// The aggregates of a conjunct, outermost only (an aggregate inside an
// aggregate's `where` is reported when that is compiled).
void Checker::collect_aggregates(const ast::Expr& e, std::vector<const ast::Expr*>& out) {
  if (e.kind == ast::ExprKind::Aggregate) {
    out.push_back(&e);
    return;
  }
  for (const ast::Expr& k : e.kids) collect_aggregates(k, out);
}

void Checker::levels_read(const CExpr& c, std::int32_t& max_level) {
  if (c.op == Op::FactField || c.op == Op::AggValue) max_level = std::max<std::int32_t>(max_level, c.level);
  for (const CExpr& k : c.kids) levels_read(k, max_level);
}

// Binds `x` of `T x`, checking the name is free.
bool Checker::bind(const ast::Expr& tmpl_name, const ast::Expr& var, std::int32_t level, std::int32_t& tmpl) {
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
bool Checker::where_tests(const ast::Expr& where, std::vector<CExpr>& out) {
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

// One more level for the rule's matches (a `for each` or an aggregate), or
// `nesting-too-deep` past kMaxRuleLevels.
bool Checker::room_for_level(const CRule& out, const ast::Loc& at) {
  if (out.levels < kMaxRuleLevels) return true;
  error(DiagKind::NestingTooDeep, at,
        "a rule matches at most " + std::to_string(kMaxRuleLevels) +
            " facts at once (each `for each` and each count, sum, min, max or average of facts adds one)");
  return false;
}

// A condition with patterns: the rule's patterns in order, each conjunct
// placed at the pattern where everything it reads is bound.
bool Checker::pattern_condition(const ast::Expr& cond, CRule& out) {
  using K = ast::ExprKind;
  std::vector<const ast::Expr*> work;
  flatten_and(cond, work);
  bool ok = true;
  for (std::size_t i = 0; i < work.size(); ++i) {
    const ast::Expr& e = *work[i];
    if (e.kind == K::ForEach) {
      if (!room_for_level(out, e.loc)) return false;
      CPattern p;
      p.kind = CPattern::Kind::ForEach;
      p.level = out.levels;
      p.loc = e.loc;
      p.var = e.kids[1].text;
      if (!bind(e.kids[0], e.kids[1], p.level, p.tmpl)) return false;
      ++out.levels;
      out.rare.make().patterns.push_back(std::move(p));
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
      out.rare.make().patterns.push_back(std::move(p));
      continue;
    }
    // A test. Its aggregates become patterns first.
    std::vector<const ast::Expr*> aggs;
    collect_aggregates(e, aggs);
    for (const ast::Expr* a : aggs) {
      if (!room_for_level(out, a->loc)) return false;
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
      out.rare.make().patterns.push_back(std::move(p));
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
      out.rare.make().guards.push_back(std::move(*c));
      continue;
    }
    for (auto it = out.rare.make().patterns.rbegin(); it != out.rare.make().patterns.rend(); ++it) {
      bool adds = it->kind == CPattern::Kind::ForEach || it->kind == CPattern::Kind::Aggregate;
      if (!adds || it->level != lv) continue;
      (it->kind == CPattern::Kind::Aggregate ? it->agg_tests : it->tests).push_back(std::move(*c));
      break;
    }
  }
  return ok;
}

// The bound fact an action names (`change x`, `remove x`): a `for each` binding.
const Checker::Binding* Checker::action_binding(const ast::Ident& id) {
  if (const Binding* b = bound(id.name)) return b;
  auto& d = error(DiagKind::PatternPlacement, id.loc,
                  "`" + id.name + "` is not a fact bound by `for each` in this rule's condition");
  std::vector<std::string> names;
  for (const Binding& b : scope_) names.push_back(b.name);
  if (auto sug = did_you_mean(id.name, names)) d.message += "; did you mean `" + *sug + "`?";
  return nullptr;
}

bool Checker::field_values(const ast::Action& a, std::int32_t tmpl, CAction& out, bool creating) {
  const TemplateDef& t = templates_[static_cast<std::size_t>(tmpl)];
  bool ok = true;
  std::set<std::int32_t> given;
  for (const ast::FieldInit& fi : a.fields()) {
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
    if (v->op == Op::Const && v->constant->kind == Value::Kind::Number && tf.def.min && tf.def.max &&
        (v->constant->num < *tf.def.min || v->constant->num > *tf.def.max)) {
      error(DiagKind::OutOfRange, fi.value.loc,
            format_number(v->constant->num) + " is outside the range of `" + fi.field.name + "` (" +
                format_number(*tf.def.min) + " to " + format_number(*tf.def.max) + ")");
      ok = false;
      continue;
    }
    out.rare.make().fields.emplace_back(f, std::move(*v));
  }
  if (creating && ok) {
    std::string missing;
    for (std::size_t f = 0; f < t.fields.size(); ++f) {
      const TemplateField& tf = t.fields[f];
      if (tf.required && !tf.default_value && !tf.derived_only() && !given.count(static_cast<std::int32_t>(f)))
        missing += std::string(missing.empty() ? "" : ", ") + "`" + tf.name() + "`";
    }
    if (!missing.empty()) {
      error(DiagKind::MissingField, a.id().loc,
            "`create " + t.name + "` does not give " + missing + ", which every " + t.name + " has");
      ok = false;
    }
  }
  return ok;
}

}  // namespace advise::checker_detail
