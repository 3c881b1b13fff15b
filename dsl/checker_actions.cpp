// The checker: actions, text templates with `{placeholders}`, and whole rules.
#include "dsl/checker_impl.hpp"

namespace advise::checker_detail {

std::optional<TextTemplate> Checker::text_template(const ast::Text& text) {
  // Placeholders are found in the raw source of each string literal, so
  // that their diagnostics point at the exact bytes.
  TextTemplate t;
  const std::string& file = sm_->text(text.loc.file);
  std::uint32_t pos = text.loc.begin;
  bool ok = true;
  // The literal run being read. While `raw`, it is exactly the file's
  // `lit_len` bytes from `lit_from` (one string literal, no escape, no
  // doubled brace): the segment is then a view into the file's text, and
  // nothing is copied. At the run's first escape or doubled brace its bytes
  // so far are copied into `lit` (`unraw`), which the rest is appended to.
  // A run that begins a later part of a text written in parts is read after
  // a space (`spaced`): the space is not in the file, the view is.
  std::string lit;
  std::uint32_t lit_from = 0;
  std::uint32_t lit_len = 0;
  bool raw = true;
  bool spaced = false;
  auto unraw = [&] {
    if (!raw) return;
    lit.assign(file, lit_from, lit_len);
    raw = false;
  };
  auto flush = [&] {
    if ((raw ? lit_len == 0 : lit.empty()) && !spaced) return;
    TextTemplate::Segment seg;
    if (!raw)
      seg.literal = TextPiece::copy(spaced ? " " + lit : lit);
    else
      seg.literal = TextPiece::view(std::string_view(file).substr(lit_from, lit_len), spaced);
    t.segments.push_back(std::move(seg));
    lit.clear();
    lit_len = 0;
    raw = true;
    spaced = false;
  };
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
    if (part > 0) {
      flush();
      spaced = true;
    }
    ++pos;  // opening quote
    while (pos < text.loc.end && file[pos] != '"') {
      char ch = file[pos];
      if (ch == '\\' && pos + 1 < text.loc.end) {
        char nx = file[pos + 1];
        unraw();
        lit += nx == 'n' ? '\n' : nx == 't' ? '\t' : nx;
        pos += 2;
      } else if (ch == '{' && pos + 1 < text.loc.end && file[pos + 1] == '{') {
        unraw();
        lit += '{';
        pos += 2;
      } else if (ch == '}' && pos + 1 < text.loc.end && file[pos + 1] == '}') {
        unraw();
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
        } else if (!parse_expression(inner, text.loc.file, pos + 1, pe, perr, poff,
                                     ExprSurroundings{"the closing `}`", "something else", ""})) {
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
          flush();
          TextTemplate::Segment seg;
          seg.place = Box<TextTemplate::Placeholder>({std::move(*ce), counted, std::move(singular), std::move(plural)});
          t.segments.push_back(std::move(seg));
        } else {
          ok = false;
        }
        pos = close + 1;
      } else {
        if (!raw) {
          lit += ch;
        } else {
          if (lit_len == 0) lit_from = pos;
          ++lit_len;
        }
        ++pos;
      }
    }
    ++pos;  // closing quote
    ++part;
  }
  flush();
  if (!ok) return std::nullopt;
  return t;
}

// The conclusion named by an action's target; indexed targets yield the map's value type.
bool Checker::target(const ast::Expr& tgt, CAction& a, TypeId& value_type) {
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
    a.rare.make().key = std::move(*key);
    value_type = types().at(t).elem;
  } else {
    value_type = t;
  }
  return true;
}

bool Checker::assignable(TypeId want, TypeId have) const {
  if (want == have) return true;
  if (is_numeric(want) && is_numeric(have)) return true;
  if (kind(want) == TypeKind::List && kind(have) == TypeKind::List)
    return types().at(have).elem == types().any() || assignable(types().at(want).elem, types().at(have).elem);
  return false;
}

bool Checker::kb_facts(const ast::Action& a, std::int32_t tmpl) {
  if (!templates_[static_cast<std::size_t>(tmpl)].kb_specialties) return false;
  const char* verb = a.kind == ast::ActionKind::Create ? "create" : a.kind == ast::ActionKind::Change ? "change" : "remove";
  error(DiagKind::KbFacts, a.loc,
        std::string("a rule cannot ") + verb +
            " a specialty: the specialties are the knowledge base's facts (kb/specialties.json), which rules only read");
  return true;
}

std::optional<CAction> Checker::action(const ast::Action& a, const CRule& rule) {
  CAction out;
  out.kind = a.kind;
  out.loc = a.loc;
  switch (a.kind) {
    case ast::ActionKind::Set: {
      TypeId vt = kNoType;
      if (!target(a.target(), out, vt)) {
        report_only(a.value());
        return std::nullopt;
      }
      auto v = expr(a.value(), vt);
      if (!v) return std::nullopt;
      if (!assignable(vt, v->type)) {
        auto it = first_setter_.find(out.slot);
        if (it != first_setter_.end()) {
          auto& d = error(DiagKind::ConflictingTypes, a.value().loc,
                          "rules give `" + src(a.target().loc) + "` values of different types: " + article(v->type) +
                              " here, " + article(vt) + " elsewhere" + values_of(vt));
          d.notes().push_back({it->second, true, "given " + article(vt) + " here, the type kb/schema.json declares"});
        } else {
          error(DiagKind::TypeMismatch, a.value().loc,
                "`" + src(a.target().loc) + "` holds " + article(vt) + ", but `" + src(a.value().loc) + "` is " +
                    article(v->type) + values_of(vt));
        }
        return std::nullopt;
      }
      first_setter_.emplace(out.slot, a.value().loc);
      check_value_range(out.slot, *v);
      out.value = std::move(*v);
      return out;
    }
    case ast::ActionKind::Add: {
      TypeId vt = kNoType;
      if (!target(a.target(), out, vt)) {
        report_only(a.value());
        return std::nullopt;
      }
      if (kind(vt) != TypeKind::List) {
        error(DiagKind::TypeMismatch, a.target().loc,
              "`add` adds to a list, but `" + src(a.target().loc) + "` is " + article(vt) + "; use `set`");
        report_only(a.value());
        return std::nullopt;
      }
      TypeId elem = types().at(vt).elem;
      bool literal_list = a.value().kind == ast::ExprKind::List || a.value().kind == ast::ExprKind::Set;
      auto v = expr(a.value(), literal_list ? vt : elem);
      if (!v) return std::nullopt;
      if (assignable(elem, v->type)) {
        out.add_each = false;
      } else if (assignable(vt, v->type)) {
        out.add_each = true;
      } else {
        error(DiagKind::TypeMismatch, a.value().loc,
              "`" + src(a.target().loc) + "` holds " + tname(elem) + " values, but `" + src(a.value().loc) + "` is " +
                  article(v->type));
        return std::nullopt;
      }
      out.value = std::move(*v);
      return out;
    }
    case ast::ActionKind::Recommend: {
      out.rare.make().id = a.id().name;
      out.category = rule.category;
      if (!a.category().name.empty()) {
        const EnumDef& cats = kb_->enums[static_cast<std::size_t>(kb_->category_enum)];
        int idx = cats.find(a.category().name);
        if (idx < 0) {
          auto& d = error(DiagKind::UnknownCategory, a.category().loc, "unknown recommendation category `" + a.category().name + "`");
          if (auto s = did_you_mean(a.category().name, cats.values)) d.message += "; did you mean `" + *s + "`?";
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
      out.tmpl = find_template(a.id().name, a.id().loc);
      if (out.tmpl < 0) {
        for (const ast::FieldInit& fi : a.fields()) report_only(fi.value);
        return std::nullopt;
      }
      if (kb_facts(a, out.tmpl)) return std::nullopt;
      if (!field_values(a, out.tmpl, out, true)) return std::nullopt;
      return out;
    }
    case ast::ActionKind::Change:
    case ast::ActionKind::Remove: {
      const Binding* b = action_binding(a.id());
      if (!b || b->tmpl < 0) return std::nullopt;
      if (kb_facts(a, b->tmpl)) return std::nullopt;
      out.tmpl = b->tmpl;
      out.level = b->level;
      if (a.kind == ast::ActionKind::Change && !field_values(a, out.tmpl, out, false)) return std::nullopt;
      return out;
    }
    case ast::ActionKind::Cite: {
      TypeId fig = mtypes().enum_type(kb_->figure_enum);
      bool literal_list = a.value().kind == ast::ExprKind::List || a.value().kind == ast::ExprKind::Set;
      auto v = expr(a.value(), literal_list ? mtypes().list_of(fig) : fig);
      if (!v) return std::nullopt;
      if (v->type != fig && v->type != mtypes().list_of(fig)) {
        error(DiagKind::TypeMismatch, a.value().loc,
              "`cite` shows published figures, but `" + src(a.value().loc) + "` is " + article(v->type));
        return std::nullopt;
      }
      out.add_each = v->type != fig;
      out.value = std::move(*v);
      return out;
    }
  }
  return std::nullopt;
}

void Checker::check_value_range(std::int32_t slot, const CExpr& v) {
  if (v.op != Op::Const || v.constant->kind != Value::Kind::Number) return;
  CExpr s;
  s.op = Op::Slot;
  s.slot = slot;
  check_constant_range(s, v);
}

std::optional<CRule> Checker::rule(const ast::Rule& r, std::int32_t index) {
  CRule out;
  out.index = index;
  out.loc = r.loc;
  out.short_form = r.short_form;
  // The texts, made into out.texts once the clauses are read.
  std::string name = r.short_form ? short_rule_name(*sm_, r.loc) : r.name.name;
  std::string description = r.has_description ? r.description.joined() : std::string();
  std::string source;
  std::set<std::string> seen;
  bool ok = true;
  out.category = kb_->enums[static_cast<std::size_t>(kb_->category_enum)].find("assessment");
  for (const auto& cl : r.clauses) {
    if (!seen.insert(cl.kind).second) {
      error(DiagKind::DuplicateClause, cl.loc, "`" + cl.kind + "` is written twice in this rule");
      ok = false;
      continue;
    }
    if (cl.kind == "source") source = cl.value;
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
        } else if (std::find(out.stages().begin(), out.stages().end(), idx) == out.stages().end()) {
          out.rare.make().stages.push_back(idx);
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
  out.texts = RuleTexts(name, description, source);
  if (source.empty()) {
    ast::Loc at = r.short_form ? ast::Loc{r.loc.file, r.loc.begin, r.loc.begin + 2} : r.name.loc;
    // Its message is made when printed (message_text) from the rule's name
    // in the source: a large rule set may keep this warning for each rule.
    const std::string& t = sm_->text(at.file);
    bool named_at = !r.short_form && at.end > at.begin && at.end <= t.size() &&
                    std::string_view(t).substr(at.begin, at.end - at.begin) == name;
    if (r.short_form || named_at)
      error(DiagKind::MissingSource, at, {}).made = r.short_form ? MadeMessage::ShortFormRule : MadeMessage::NamedRule;
    else
      error(DiagKind::MissingSource, at, missing_source_message(name));
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
    if (out.logical && out.patterns().empty()) out.logical = false;
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

}  // namespace advise::checker_detail
