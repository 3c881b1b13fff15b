#include "engine/explain.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "engine/working_memory.hpp"
#include "kb/suggest.hpp"

namespace advise {

const char* truth_name(Truth t) {
  switch (t) {
    case Truth::True: return "true";
    case Truth::False: return "false";
    case Truth::Unknown: return "unknown";
  }
  return "unknown";
}

Sentence& Sentence::text(std::string t) {
  spans.push_back({Span::Kind::Text, std::move(t), {}, 0});
  return *this;
}
Sentence& Sentence::code(std::string name) {
  spans.push_back({Span::Kind::Code, std::move(name), {}, 0});
  return *this;
}
Sentence& Sentence::value(std::string shown) {
  spans.push_back({Span::Kind::Value, std::move(shown), {}, 0});
  return *this;
}
Sentence& Sentence::rule(std::string name, std::string file, int line) {
  spans.push_back({Span::Kind::Rule, std::move(name), std::move(file), line});
  return *this;
}
std::string Sentence::marked() const {
  std::string out;
  for (const Span& s : spans)
    out += s.kind == Span::Kind::Code || s.kind == Span::Kind::Rule ? "`" + s.text + "`" : s.text;
  return out;
}
std::string Sentence::plain() const {
  std::string out;
  for (const Span& s : spans) out += s.text;
  return out;
}

namespace {

std::string file_of(const RuleSet& rules, const ast::Loc& loc) { return rules.sources->name(loc.file); }
int line_of(const RuleSet& rules, const ast::Loc& loc) {
  return static_cast<int>(rules.sources->line_col(loc.file, loc.begin).line);
}

bool is_enum_value(const KnowledgeBase& kb, const std::string& name) {
  for (const EnumDef& e : kb.enums)
    if (e.find(name) >= 0) return true;
  return false;
}

}  // namespace

RuleRef rule_ref(const RuleSet& rules, std::int32_t rule) {
  const CRule& r = rules.rules[static_cast<std::size_t>(rule)];
  return {rule, r.name, r.description, r.source, rules.where(r.loc), file_of(rules, r.loc), line_of(rules, r.loc),
          r.priority};
}

std::vector<NamedConstant> constants_in(const std::string& test_text, const RuleSet& rules) {
  std::vector<NamedConstant> out;
  std::vector<std::string> seen;
  const std::string& t = test_text;
  std::size_t i = 0;
  while (i < t.size()) {
    char c = t[i];
    if (c == '"') {  // skip a string literal
      for (++i; i < t.size() && t[i] != '"'; ++i)
        if (t[i] == '\\') ++i;
      ++i;
      continue;
    }
    if (c == '#') {  // a comment inside a multi-line test
      while (i < t.size() && t[i] != '\n') ++i;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t b = i;
      while (i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '_')) ++i;
      bool member = b > 0 && t[b - 1] == '.';
      std::string word = t.substr(b, i - b);
      if (member || std::count(seen.begin(), seen.end(), word)) continue;
      seen.push_back(word);
      for (const auto& [name, expr] : rules.definitions) {
        if (name != word || expr.op != Op::Const || is_enum_value(*rules.kb, name)) continue;
        const Value& v = expr.constant;
        std::string shown = rules.kb->source_text(v);
        if (v.kind == Value::Kind::List) shown = "{" + shown.substr(1, shown.size() - 2) + "}";
        out.push_back({name, shown});
      }
      continue;
    }
    ++i;
  }
  return out;
}

namespace {

Truth truth_of(const Value& v) {
  if (v.kind != Value::Kind::Bool) return Truth::Unknown;
  return v.flag ? Truth::True : Truth::False;
}

// Fields of bound facts and aggregates a test reads, each once, as written.
void collect_fact_reads(const CExpr& e, std::vector<const CExpr*>& out) {
  if (e.op == Op::FactField || e.op == Op::AggValue) {
    bool seen = std::any_of(out.begin(), out.end(),
                            [&](const CExpr* x) { return x->op == e.op && x->level == e.level && x->slot == e.slot; });
    if (!seen) out.push_back(&e);
    return;
  }
  for (const CExpr& k : e.kids) collect_fact_reads(k, out);
}

FactValue fact_value(const RuleSet& rules, std::int32_t slot, const Value& v) {
  FactValue f{FactId::slot(slot), -1, rules.slot_name(slot), v, rules.kb->display(v), rules.is_conclusion(slot), ""};
  if (!f.conclusion) f.json_path = "$." + f.name;
  if (v.is_missing()) f.display = f.conclusion ? "(not reached)" : "(not given)";
  return f;
}

Reads reads_of(const std::vector<TestRecord>& ts, const std::vector<Derivation>& premises) {
  Reads r;
  auto add = [](std::vector<std::string>& into, const std::string& x) {
    if (std::find(into.begin(), into.end(), x) == into.end()) into.push_back(x);
  };
  for (const TestRecord& t : ts)
    for (const FactValue& f : t.facts) {
      if (f.of_template()) continue;
      if (!f.conclusion) {
        add(f.value.is_missing() ? r.not_given : r.given, f.json_path);
      } else if (std::none_of(premises.begin(), premises.end(), [&](const Derivation& p) { return p.fact == f.fact; })) {
        add(r.not_followed, f.name);
      }
    }
  return r;
}

void record(const RuleSet& rules, const CExpr& e, const ValueView& view, Truth t, std::vector<TestRecord>& out) {
  TestRecord rec;
  rec.text = rules.expr_text(e.loc);
  rec.where = rules.where(e.loc);
  rec.file = file_of(rules, e.loc);
  rec.line = line_of(rules, e.loc);
  rec.constants = constants_in(rec.text, rules);
  rec.result = t;
  std::vector<std::int32_t> slots;
  collect_slots(e, slots);
  for (std::int32_t s : slots) rec.facts.push_back(fact_value(rules, s, view.get(s)));
  std::vector<const CExpr*> reads;
  collect_fact_reads(e, reads);
  for (const CExpr* x : reads) {
    FactValue f;
    if (x->op == Op::FactField) {
      f.fact = view.fact_at(x->level);
      f.field = x->slot;
    }
    f.name = std::string(rules.text_of(x->loc));
    f.value = x->op == Op::FactField ? view.fact_field(x->level, x->slot) : view.aggregate(x->level);
    f.display = f.value.is_missing() ? "(unknown)" : rules.kb->display(f.value);
    rec.facts.push_back(std::move(f));
  }
  out.push_back(std::move(rec));
}

// The values when a firing of a rule over facts fired: slots as then, bound
// facts' fields from the records it matched, aggregates as computed.
class FiringView final : public ValueView {
 public:
  FiringView(const Result& r, const Firing& f) : r_(r), f_(f), snap_(r, f) {}
  const Value& get(std::int32_t slot) const override { return snap_.get(slot); }
  Value fact_field(std::int32_t level, std::int32_t field) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= f_.matched.size()) return {};
    std::int32_t rec = f_.matched[static_cast<std::size_t>(level)];
    if (rec < 0) return {};
    return r_.records[static_cast<std::size_t>(rec)].values[static_cast<std::size_t>(field)];
  }
  Value aggregate(std::int32_t level) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= f_.aggregates.size()) return {};
    return f_.aggregates[static_cast<std::size_t>(level)];
  }
  FactId fact_at(std::int32_t level) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= f_.matched.size()) return FactId::slot(-1);
    std::int32_t rec = f_.matched[static_cast<std::size_t>(level)];
    if (rec < 0) return FactId::slot(-1);
    return FactId::of_record(r_.records[static_cast<std::size_t>(rec)].tmpl, rec);
  }

 private:
  const Result& r_;
  const Firing& f_;
  SnapshotView snap_;
};

// `all`: when the condition does not hold, every test of an `and` that does
// not hold, not only the first (why not).
void walk(const RuleSet& rules, const CExpr& e, const ValueView& view, bool holds, std::vector<TestRecord>& out,
          bool all = false) {
  const KnowledgeBase& kb = *rules.kb;
  switch (e.op) {
    case Op::And:
      if (holds) {
        walk(rules, e.kids[0], view, true, out);
        walk(rules, e.kids[1], view, true, out);
      } else {
        for (const CExpr& k : e.kids) {
          Truth t = truth_of(evaluate_expr(k, view, kb));
          if (t != Truth::True) {
            walk(rules, k, view, false, out, all);
            if (!all) break;
          }
        }
      }
      return;
    case Op::Or:
      if (holds) {
        for (const CExpr& k : e.kids)
          if (truth_of(evaluate_expr(k, view, kb)) == Truth::True) walk(rules, k, view, true, out);
      } else {
        for (const CExpr& k : e.kids) walk(rules, k, view, false, out, all);
      }
      return;
    default:
      record(rules, e, view, truth_of(evaluate_expr(e, view, kb)), out);
  }
}

struct Explainer {
  const Result& r;
  const RuleSet& rules;
  int max_depth;
  WorkingMemory wm{r};  // provenance: versions, their firings, the state at a firing

  Derivation missing(std::int32_t slot) const {
    Derivation d;
    d.fact = FactId::slot(slot);
    d.conclusion = rules.is_conclusion(slot);
    d.name = rules.slot_name(slot);
    d.kind = Derivation::Kind::Missing;
    d.display = rules.is_conclusion(slot) ? "(not reached)" : "(not given)";
    return d;
  }

  Derivation version(std::int32_t v, int depth, std::set<std::int32_t>& path) const {
    const Fact& f = r.facts[static_cast<std::size_t>(v)];
    Derivation d;
    d.fact = FactId::slot(f.slot);
    d.conclusion = rules.is_conclusion(f.slot);
    d.name = rules.slot_name(f.slot);
    d.value = f.value;
    d.display = rules.kb->display(f.value);
    if (f.evidence.kind == Evidence::Kind::Given) {
      d.kind = Derivation::Kind::Given;
      d.json_path = "$." + d.name;
      return d;
    }
    d.kind = Derivation::Kind::Derived;
    d.firing = f.evidence.firing;
    const Firing& fr = r.firings[static_cast<std::size_t>(d.firing)];
    d.rule = rule_ref(rules, fr.rule);
    // Earlier versions of the same list or map, added to by other rules.
    for (std::int32_t pv : wm.earlier_versions(v)) {
      const Fact& pf = r.facts[static_cast<std::size_t>(pv)];
      if (pf.evidence.kind != Evidence::Kind::Derived) continue;
      std::int32_t rl = r.firings[static_cast<std::size_t>(pf.evidence.firing)].rule;
      if (rl == fr.rule) continue;
      if (std::none_of(d.also.begin(), d.also.end(), [&](const RuleRef& x) { return x.rule == rl; }))
        d.also.push_back(rule_ref(rules, rl));
    }
    d.tests = firing_tests(r, fr);
    d.matched = matched_facts(r, fr);
    if (depth <= 1 || !path.insert(v).second) {
      d.reads = reads_of(d.tests, d.premises);
      return d;
    }
    std::vector<std::int32_t> seen;
    for (const TestRecord& t : d.tests)
      for (const FactValue& fv : t.facts) {
        if (!rules.is_conclusion(fv.slot()) || std::count(seen.begin(), seen.end(), fv.slot())) continue;
        seen.push_back(fv.slot());
        std::int32_t pv = wm.version_at(fv.slot(), d.firing);
        d.premises.push_back(pv < 0 ? missing(fv.slot()) : version(pv, depth - 1, path));
      }
    path.erase(v);
    d.reads = reads_of(d.tests, d.premises);
    return d;
  }

  Derivation slot(std::int32_t s, int depth) const {
    std::int32_t v = wm.current_version(s);
    if (v < 0) return missing(s);
    std::set<std::int32_t> path;
    return version(v, depth, path);
  }

  // `firing`: the state when it fired; nullptr: the final state.
  std::vector<Derivation> premises_of(const std::vector<TestRecord>& tests, const Firing* firing,
                                      int depth) const {
    std::vector<Derivation> out;
    std::vector<std::int32_t> seen;
    for (const TestRecord& t : tests)
      for (const FactValue& fv : t.facts) {
        if (!rules.is_conclusion(fv.slot()) || std::count(seen.begin(), seen.end(), fv.slot())) continue;
        seen.push_back(fv.slot());
        std::int32_t pv = firing ? r.version_at(fv.slot(), *firing) : wm.current_version(fv.slot());
        std::set<std::int32_t> path;
        out.push_back(pv < 0 ? missing(fv.slot()) : version(pv, depth, path));
      }
    return out;
  }
};

// Parses the value part of a why-not query for a conclusion of type `t`.
std::optional<Value> parse_query_value(const KnowledgeBase& kb, TypeId t, const std::string& text, std::string& error) {
  const TypeDesc& d = kb.types.at(t);
  if (d.kind == TypeKind::List || d.kind == TypeKind::Map) return parse_query_value(kb, d.elem == kNoType ? t : (d.kind == TypeKind::List ? d.elem : d.key), text, error);
  if (d.kind == TypeKind::Enum) {
    const EnumDef& e = kb.enums[static_cast<std::size_t>(d.enum_id)];
    int idx = e.find(text);
    if (idx < 0) {
      error = "`" + text + "` is not a " + e.name + " value";
      if (auto s = did_you_mean(text, e.values)) {
        error += "; did you mean `" + *s + "`?";
      } else {
        error += "; the values are ";
        for (std::size_t i = 0; i < e.values.size(); ++i)
          error += std::string(i == 0 ? "" : i + 1 == e.values.size() ? " and " : ", ") + "`" + e.values[i] + "`";
      }
      return std::nullopt;
    }
    return Value::symbol(d.enum_id, idx);
  }
  if (d.kind == TypeKind::Integer || d.kind == TypeKind::Number) {
    try {
      return Value::number(std::stod(text));
    } catch (...) {
      error = "`" + text + "` is not a number";
      return std::nullopt;
    }
  }
  if (d.kind == TypeKind::Boolean) {
    if (text == "true" || text == "false") return Value::boolean(text == "true");
    error = "write true or false";
    return std::nullopt;
  }
  return Value::string(text);
}

// Whether action `a` could produce `want` in conclusion `slot` (want Missing: any value).
bool could_produce(const CAction& a, std::int32_t slot, const Value& want, bool& certainly) {
  certainly = false;
  if ((a.kind != ast::ActionKind::Set && a.kind != ast::ActionKind::Add) || a.slot != slot) return false;
  if (want.is_missing()) {
    certainly = true;
    return true;
  }
  if (a.indexed) {
    // Map entries: the query names a key (applications=dermatology).
    if (a.key.op != Op::Const) return true;
    certainly = a.key.constant == want;
    return certainly;
  }
  if (a.value.op != Op::Const) return true;  // computed: it might
  const Value& c = a.value.constant;
  if (c == want) {
    certainly = true;
    return true;
  }
  if (c.kind == Value::Kind::List) {
    for (const Value& x : c.list_items())
      if (x == want) {
        certainly = true;
        return true;
      }
  }
  return false;
}

bool reached(const Value& have, const Value& want) {
  if (want.is_missing()) return !have.is_missing();
  if (have.kind == Value::Kind::List) {
    for (const Value& x : have.list_items())
      if (x == want) return true;
    return false;
  }
  if (have.kind == Value::Kind::Map) return !have.map_get(want).is_missing();
  return have == want;
}

// ---- the applicant's view

// A fact as the applicant reads it: "your Step 2 CK is 252".
std::string fact_words(const FactValue& f, const KnowledgeBase& kb) {
  std::string label = f.conclusion ? kb.conclusion_label(f.name) : kb.slot_label(f.name);
  std::string v = f.value.is_missing() ? (f.conclusion ? "not decided" : "not given") : kb.label(f.value);
  if (f.conclusion) {
    if (label.size() > 1 && std::isupper(static_cast<unsigned char>(label[0])) && std::islower(static_cast<unsigned char>(label[1])))
      label[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(label[0])));
    if (label.rfind("your ", 0) != 0) label = "your " + label;
    return label + (!label.empty() && label.back() == 's' ? ": " : " is ") + v;
  }
  if (f.value.kind == Value::Kind::Number && label.rfind("Step ", 0) != 0) return label + ": " + v;
  bool plural = f.value.kind == Value::Kind::List || (!label.empty() && label.back() == 's');
  if (f.value.kind == Value::Kind::Bool || plural) return "your " + label + ": " + v;
  return "your " + label + " is " + v;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

// For a comparison `field OP bound`, the bound in words: "at least 250".
std::string bound_words(const TestRecord& t, const FactValue& f, const RuleSet& rules) {
  static const std::pair<const char*, const char*> ops[] = {
      {">=", "at least "}, {"<=", "at most "}, {"!=", ""}, {"==", ""}, {">", "above "}, {"<", "below "}};
  for (const auto& [op, words] : ops) {
    std::size_t at = t.text.find(op);
    if (at == std::string::npos) continue;
    std::string lhs = trim(t.text.substr(0, at)), rhs = trim(t.text.substr(at + std::string(op).size()));
    const std::string* alias = rules.kb->alias(lhs);
    if (lhs != f.name && !(alias && *alias == f.name)) return {};
    if (std::string(words).empty()) return {};  // == and != say nothing the value does not
    for (const NamedConstant& c : t.constants)
      if (c.name == rhs) return words + c.value;
    if (!rhs.empty() && std::all_of(rhs.begin(), rhs.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }))
      return words + rhs;
    return {};
  }
  return {};
}

// One test in words: the facts it read, with the bound it held them to.
std::string test_words(const TestRecord& t, const RuleSet& rules, std::vector<std::string>* seen = nullptr) {
  std::string out;
  for (const FactValue& f : t.facts) {
    if (f.name == "name") continue;
    if (seen) {
      if (std::count(seen->begin(), seen->end(), f.name)) continue;
      seen->push_back(f.name);
    }
    std::string w = fact_words(f, *rules.kb);
    if (f.value.kind == Value::Kind::Number) {
      std::string b = bound_words(t, f, rules);
      if (!b.empty()) w += " (" + b + ")";
    }
    out += (out.empty() ? "" : "; ") + w;
  }
  return out;
}

// The short why of an item: at most two of the facts its rule read, the ones
// held to a bound first; where the applicant is (stage, match status) only
// when nothing else bears on it.
Sentence why_of(const std::vector<TestRecord>& tests, const RuleSet& rules) {
  std::vector<std::string> seen, bounded, plain, context;
  for (const TestRecord& t : tests)
    for (const FactValue& f : t.facts) {
      if (f.name == "name" || std::count(seen.begin(), seen.end(), f.name)) continue;
      seen.push_back(f.name);
      std::string w = fact_words(f, *rules.kb);
      std::string b = f.value.kind == Value::Kind::Number ? bound_words(t, f, rules) : std::string();
      if (!b.empty()) {
        bounded.push_back(w + " (" + b + ")");
      } else if (f.name == "stage" || f.name == "match_status") {
        context.push_back(w);
      } else {
        plain.push_back(w);
      }
    }
  std::vector<std::string> parts = bounded;
  parts.insert(parts.end(), plain.begin(), plain.end());
  if (parts.empty()) parts = context;
  Sentence s;
  if (parts.size() > 2) parts.resize(2);
  std::string joined;
  for (const std::string& p : parts) joined += (joined.empty() ? "" : "; ") + p;
  if (!joined.empty()) s.text("because " + joined);
  return s;
}

std::vector<Sentence> derivation_words(const std::vector<TestRecord>& tests, const RuleSet& rules) {
  std::vector<Sentence> out;
  for (const TestRecord& t : tests) {
    std::string w = test_words(t, rules);
    if (w.empty()) continue;
    Sentence s;
    s.text(w);
    out.push_back(std::move(s));
  }
  return out;
}

// The text an action would say, rendered again with display names.
const CAction* text_action(const CRule& rule, ast::ActionKind kind, const std::string& id) {
  for (const CAction& a : rule.actions)
    if (a.kind == kind && (kind != ast::ActionKind::Recommend || a.id == id)) return &a;
  return nullptr;
}

Sentence with_fields(const std::string& text, const KnowledgeBase& kb) {
  Sentence s;
  std::string plain;
  std::size_t i = 0;
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < text.size()) {
    if (!word_char(text[i])) {
      plain += text[i++];
      continue;
    }
    std::size_t b = i;
    while (i < text.size() && word_char(text[i])) ++i;
    std::string w = text.substr(b, i - b);
    if (w.find('_') != std::string::npos && kb.field_index(w) >= 0) {
      if (!plain.empty()) s.text(plain);
      plain.clear();
      s.code(w);
    } else {
      plain += w;
    }
  }
  if (!plain.empty()) s.text(plain);
  return s;
}

ApplicantView applicant_view(const Result& result, const Report& rep) {
  const RuleSet& rules = *result.rules;
  const KnowledgeBase& kb = *rules.kb;
  ApplicantView v;
  std::int32_t stage_sym = -1;
  int stage_field = rules.field_slot("stage");
  if (stage_field >= 0) {
    const Value& st = result.value(stage_field);
    if (st.kind == Value::Kind::Symbol) {
      stage_sym = st.sym;
      v.stage = kb.label(st);
    }
  }
  auto fits = [&](const CRule& r) {
    return r.stages.empty() || stage_sym < 0 || std::count(r.stages.begin(), r.stages.end(), stage_sym) > 0;
  };
  Explainer x{result, rules, 2};
  for (std::size_t c = 0; c < kb.conclusions.size(); ++c) {
    const ConclusionEntry& e = rep.conclusions[c];
    if (e.value.is_missing()) continue;
    std::int32_t slot = rules.field_count() + static_cast<std::int32_t>(c);
    PlainDecision d{e.name, kb.conclusion_label(e.name), kb.label(e.value), {}, {}};
    Derivation how = x.slot(slot, 1);
    d.derivation = derivation_words(how.tests, rules);
    v.decisions.push_back(std::move(d));
  }
  const EnumDef& cats = kb.enums[static_cast<std::size_t>(kb.category_enum)];
  std::vector<PlainItem> items;
  for (std::size_t i = 0; i < result.recommendations.size(); ++i) {
    const Recommendation& rec = result.recommendations[i];
    const CRule& rule = rules.rules[static_cast<std::size_t>(rec.rule)];
    if (!fits(rule)) {
      ++v.left_out;
      continue;
    }
    const Firing& f = result.firings[static_cast<std::size_t>(rec.firing)];
    SnapshotView view(result, f);
    PlainItem it;
    it.index = i;
    it.category = rep.recommendations[i].category;
    const CAction* a = text_action(rule, ast::ActionKind::Recommend, rec.id);
    it.text = a && !a->text.segments.empty() ? render_template(a->text, view, kb, true) : rec.text;
    it.words = with_fields(it.text, kb);
    std::vector<TestRecord> tests = condition_tests(rules, rule.condition, view, true);
    it.why = why_of(tests, rules);
    it.derivation = derivation_words(tests, rules);
    it.source = rule.source;
    items.push_back(std::move(it));
  }
  for (std::size_t i = 0; i < result.messages.size(); ++i) {
    const Message& m = result.messages[i];
    const CRule& rule = rules.rules[static_cast<std::size_t>(m.rule)];
    if (!fits(rule)) {
      ++v.left_out;
      continue;
    }
    const Firing& f = result.firings[static_cast<std::size_t>(m.firing)];
    SnapshotView view(result, f);
    PlainItem it;
    it.kind = m.kind == Message::Kind::Warning ? PlainItem::Kind::Warning : PlainItem::Kind::Note;
    it.index = i;
    it.category = rule.category >= 0 ? cats.values[static_cast<std::size_t>(rule.category)] : "assessment";
    it.text = m.text;
    ast::ActionKind kind = m.kind == Message::Kind::Warning ? ast::ActionKind::Warn : ast::ActionKind::Note;
    for (const CAction& a : rule.actions)
      if (a.kind == kind && render_template(a.text, view, kb) == m.text) {
        it.text = render_template(a.text, view, kb, true);
        break;
      }
    it.words = with_fields(it.text, kb);
    std::vector<TestRecord> tests = condition_tests(rules, rule.condition, view, true);
    it.why = why_of(tests, rules);
    it.derivation = derivation_words(tests, rules);
    it.source = rule.source;
    items.push_back(std::move(it));
  }
  // Category order, then recommendations, warnings and notes, each in firing order.
  for (std::size_t c = 0; c < cats.values.size(); ++c) {
    bool any = false;
    for (int k = 0; k < 3; ++k)
      for (const PlainItem& it : items)
        if (it.category == cats.values[c] && static_cast<int>(it.kind) == (k == 1 ? 2 : k == 2 ? 1 : 0)) {
          v.items.push_back(it);
          any = true;
        }
    if (any) v.categories.emplace_back(cats.values[c], cats.label(c));
  }
  // What to do now: recommendations of rules that name the applicant's stage
  // first, then by how soon their category acts (timeline, application, ...).
  static const char* const urgency[] = {"timeline", "application", "interview", "exams", "clinical",
                                        "letters",  "research",    "contingency", "assessment"};
  auto rank = [&](const PlainItem& it) {
    const CRule& rule = rules.rules[static_cast<std::size_t>(result.recommendations[it.index].rule)];
    int r = rule.stages.empty() ? 100 : 0;
    for (int i = 0; i < 9; ++i)
      if (it.category == urgency[i]) r += i;
    return r;
  };
  std::vector<std::size_t> recs;
  for (std::size_t i = 0; i < v.items.size(); ++i)
    if (v.items[i].kind == PlainItem::Kind::Recommendation) recs.push_back(i);
  std::stable_sort(recs.begin(), recs.end(), [&](std::size_t a, std::size_t b) { return rank(v.items[a]) < rank(v.items[b]); });
  if (recs.size() > 5) recs.resize(5);
  v.actions = recs;
  return v;
}

}  // namespace

std::vector<TestRecord> condition_tests(const RuleSet& rules, const CExpr& condition, const ValueView& view,
                                        bool holds) {
  std::vector<TestRecord> out;
  walk(rules, condition, view, holds, out);
  return out;
}

std::vector<TestRecord> firing_tests(const Result& result, const Firing& firing) {
  const RuleSet& rules = *result.rules;
  const CRule& cr = rules.rules[static_cast<std::size_t>(firing.rule)];
  if (cr.patterns.empty()) {
    SnapshotView view(result, firing);
    return condition_tests(rules, cr.condition, view, true);
  }
  FiringView view(result, firing);
  const KnowledgeBase& kb = *rules.kb;
  std::vector<TestRecord> out;
  for (const CExpr& g : cr.guards) walk(rules, g, view, true, out);
  for (const CPattern& p : cr.patterns) {
    switch (p.kind) {
      case CPattern::Kind::ForEach:
        for (const CExpr& t : p.tests) record(rules, t, view, truth_of(evaluate_expr(t, view, kb)), out);
        break;
      case CPattern::Kind::Aggregate:
        for (const CExpr& t : p.agg_tests) record(rules, t, view, truth_of(evaluate_expr(t, view, kb)), out);
        break;
      case CPattern::Kind::Exists:
      case CPattern::Kind::NotExists: {
        // The pattern as a whole held when the rule fired (its facts are not bound).
        TestRecord rec;
        rec.text = rules.expr_text(p.loc);
        rec.where = rules.where(p.loc);
        rec.file = file_of(rules, p.loc);
        rec.line = line_of(rules, p.loc);
        rec.constants = constants_in(rec.text, rules);
        rec.result = Truth::True;
        out.push_back(std::move(rec));
        break;
      }
    }
  }
  return out;
}

namespace {
// A record's key as people read it: "program_id 0800390001, track advanced".
std::string record_key(const RuleSet& rules, const Record& rec) {
  return fact_key_text(*rules.kb, rules.templates[static_cast<std::size_t>(rec.tmpl)], rec.values);
}

// Where a record came from: a facts file's place, or the rule that created it.
std::string record_origin(const Result& result, const Record& rec, bool with_firing) {
  const RuleSet& rules = *result.rules;
  if (rec.input >= 0 && result.given && static_cast<std::size_t>(rec.input) < result.given->size())
    return (*result.given)[static_cast<std::size_t>(rec.input)].origin.text();
  if (rec.created_by < 0) return "";
  const Firing& by = result.firings[static_cast<std::size_t>(rec.created_by)];
  return "created by rule `" + rules.rules[static_cast<std::size_t>(by.rule)].name + "`" +
         (with_firing ? " (firing " + std::to_string(rec.created_by + 1) + ")" : "");
}

// "pair left n4, right n3": a record's template and fields, unknown ones left out.
std::string record_text(const RuleSet& rules, const Record& rec) {
  const TemplateDef& t = rules.templates[static_cast<std::size_t>(rec.tmpl)];
  std::string out = t.name;
  bool first = true;
  for (std::size_t f = 0; f < t.fields.size(); ++f) {
    if (rec.values[f].is_missing() || t.fields[f].derived_only()) continue;
    out += std::string(first ? " " : ", ") + t.fields[f].name() + " " + rules.kb->display(rec.values[f]);
    first = false;
  }
  return out;
}
}  // namespace

std::vector<MatchedFact> matched_facts(const Result& result, const Firing& firing) {
  const RuleSet& rules = *result.rules;
  const CRule& cr = rules.rules[static_cast<std::size_t>(firing.rule)];
  std::vector<MatchedFact> out;
  for (const CPattern& p : cr.patterns) {
    if (p.kind != CPattern::Kind::ForEach) continue;
    std::int32_t id = firing.matched[static_cast<std::size_t>(p.level)];
    if (id < 0) continue;
    const Record& rec = result.records[static_cast<std::size_t>(id)];
    const TemplateDef& t = rules.templates[static_cast<std::size_t>(rec.tmpl)];
    MatchedFact m;
    m.fact = FactId::of_record(rec.tmpl, id);
    m.var = p.var;
    m.tmpl = t.name;
    m.key = record_key(rules, rec);
    m.origin = record_origin(result, rec, true);
    m.ended = rec.ended_by >= 0;
    out.push_back(std::move(m));
  }
  return out;
}

Derivation explain_fact(const Result& result, std::int32_t slot, int max_depth) {
  Explainer x{result, *result.rules, max_depth};
  return x.slot(slot, max_depth);
}

Derivation explain_version(const Result& result, std::int32_t version, int max_depth) {
  Explainer x{result, *result.rules, max_depth};
  std::set<std::int32_t> path;
  return x.version(version, max_depth, path);
}

std::optional<Goal> parse_goal(const RuleSet& rules, const std::string& query, std::string& error) {
  const KnowledgeBase& kb = *rules.kb;
  Goal g;
  g.query = query;
  std::string name = query, value_text;
  auto eq = query.find('=');
  if (eq != std::string::npos) {
    name = query.substr(0, eq);
    value_text = query.substr(eq + 1);
    if (!name.empty() && name.back() == '!') {
      name.pop_back();
      g.negated = true;
    }
  }
  // program=ID[:TIER], with a catalog's program-list rules.
  if (name == "program" && !g.negated && rules.conclusion_slot(name) < 0) {
    bool catalog = std::any_of(rules.templates.begin(), rules.templates.end(),
                               [](const TemplateDef& t) { return t.name == "listing"; });
    if (!catalog) {
      error = "a goal about a program needs its catalog: add `--catalog FILE`";
      return std::nullopt;
    }
    g.kind = Goal::Kind::Program;
    g.id = value_text;
    g.tier = "long_shot";
    auto colon = value_text.find(':');
    if (colon != std::string::npos) {
      g.id = value_text.substr(0, colon);
      g.tier = value_text.substr(colon + 1);
      static const std::vector<std::string> tiers{"anchor", "target", "reach", "long_shot"};
      if (std::find(tiers.begin(), tiers.end(), g.tier) == tiers.end()) {
        error = "`" + g.tier + "` is not a tier of the list (anchor target reach long_shot)";
        if (auto s = did_you_mean(g.tier, tiers)) error += "; did you mean `" + *s + "`?";
        return std::nullopt;
      }
    }
    if (g.id.empty()) {
      error = "name the program by its id: `program=0800390001`";
      return std::nullopt;
    }
    g.subject.text("program ").code(g.id);
    if (colon == std::string::npos)
      g.subject.text(" on the list");
    else
      g.subject.text(" on the list as ").value(tier_label(g.tier)).text(g.tier == "anchor" ? "" : " or better");
    return g;
  }
  std::int32_t slot = rules.conclusion_slot(name);
  if (slot >= 0) {
    g.kind = Goal::Kind::Conclusion;
    g.slot = slot;
    if (g.negated && value_text.empty()) {
      error = "`" + query + "` names no value; write `" + name + "!=VALUE` for a value the conclusion must not hold";
      return std::nullopt;
    }
    if (!value_text.empty()) {
      auto v = parse_query_value(kb, rules.slot_def(slot).type, value_text, error);
      if (!v) return std::nullopt;
      g.want = *v;
    }
    TypeKind k = kb.types.at(rules.slot_def(slot).type).kind;
    if (value_text.empty())
      g.subject.text("conclusion ").code(name);
    else if (!g.negated)
      g.subject.code(name).text(" = ").value(kb.display(g.want));
    else if (k == TypeKind::List || k == TypeKind::Map)
      g.subject.code(name).text(" without ").value(kb.display(g.want));
    else
      g.subject.code(name).text(" other than ").value(kb.display(g.want));
    return g;
  }
  if (g.negated) {
    error = "`!=` goes with a conclusion (`red_flags!=unexplained_gap`); no conclusion is called `" + name + "`";
    std::vector<std::string> conclusions;
    for (const auto& c : kb.conclusions) conclusions.push_back(c.name);
    if (auto s = did_you_mean(name, conclusions)) error += "; did you mean `" + *s + "`?";
    return std::nullopt;
  }
  for (const CRule& cr : rules.rules)
    for (const CAction& a : cr.actions)
      if (a.kind == ast::ActionKind::Recommend && a.id == query) {
        g.kind = Goal::Kind::Recommendation;
        g.id = query;
        g.subject.text("recommendation ").code(query);
        return g;
      }
  if (const CRule* cr = rules.find_rule(query)) {
    g.kind = Goal::Kind::Rule;
    g.rule = cr->index;
    g.subject.text("rule ").code(query);
    return g;
  }
  std::vector<std::string> names;
  for (const auto& c : kb.conclusions) names.push_back(c.name);
  for (const CRule& cr : rules.rules) {
    names.push_back(cr.name);
    for (const CAction& a : cr.actions)
      if (a.kind == ast::ActionKind::Recommend) names.push_back(a.id);
  }
  if (rules.field_slot(name) >= 0) {
    error = "`" + name + "` is a profile field, given by the applicant; ask about a conclusion, a recommendation or a rule";
    return std::nullopt;
  }
  error = "no conclusion, recommendation or rule is called `" + name + "`";
  // A bare value (`dual`): the conclusion it is a value of.
  if (eq == std::string::npos)
    for (std::size_t c = 0; c < kb.conclusions.size(); ++c) {
      const TypeDesc& td = kb.types.at(kb.conclusions[c].type);
      TypeId et = td.kind == TypeKind::List ? td.elem : td.kind == TypeKind::Map ? td.key : kb.conclusions[c].type;
      const TypeDesc& ed = kb.types.at(et);
      if (ed.kind != TypeKind::Enum || kb.enums[static_cast<std::size_t>(ed.enum_id)].find(name) < 0) continue;
      error += "; did you mean `" + kb.conclusions[c].name + "=" + name + "`?";
      return std::nullopt;
    }
  if (auto s = did_you_mean(name, names)) error += "; did you mean `" + *s + "`?";
  return std::nullopt;
}

bool goal_reached(const Result& result, const Goal& goal) {
  switch (goal.kind) {
    case Goal::Kind::Conclusion: return reached(result.value(goal.slot), goal.want) != goal.negated;
    case Goal::Kind::Recommendation: return result.recommendation(goal.id) != nullptr;
    case Goal::Kind::Rule: return result.fired(goal.rule);
    case Goal::Kind::Program: {
      auto tier = program_tier(result, goal.id);
      return tier && *tier != "excluded" && program_tier_rank(*tier) <= program_tier_rank(goal.tier);
    }
  }
  return false;
}

std::vector<std::int32_t> goal_rules(const RuleSet& rules, const Goal& goal) {
  std::vector<std::int32_t> out;
  for (const CRule& cr : rules.rules) {
    bool any = false;
    for (const CAction& a : cr.actions) {
      bool sure = false;
      if (goal.kind == Goal::Kind::Conclusion) any = any || could_produce(a, goal.slot, goal.want, sure);
      if (goal.kind == Goal::Kind::Recommendation) any = any || (a.kind == ast::ActionKind::Recommend && a.id == goal.id);
    }
    if (goal.kind == Goal::Kind::Rule) any = cr.index == goal.rule;
    if (any) out.push_back(cr.index);
  }
  return out;
}

WhyNot explain_why_not(const Result& result, const std::string& query, int max_depth) {
  const RuleSet& rules = *result.rules;
  const KnowledgeBase& kb = *rules.kb;
  Explainer x{result, rules, max_depth};
  if (auto program = explain_why_not_program(result, query)) return *program;
  if (auto fact = explain_why_not_fact(result, query)) return *fact;
  FinalView final_view(result);
  WhyNot w;
  w.query = query;

  auto candidate_for = [&](std::int32_t rule) {
    WhyNotCandidate c;
    c.rule = rule_ref(rules, rule);
    const CRule& cr = rules.rules[static_cast<std::size_t>(rule)];
    c.fired = result.fired(rule);
    if (!c.fired) {
      walk(rules, cr.condition, final_view, false, c.failed, true);
      for (TestRecord& t : c.failed) {
        bool any_field = false, fixed = false;
        for (const FactValue& f : t.facts) {
          if (f.value.kind == Value::Kind::Number && t.required.empty()) t.required = bound_words(t, f, rules);
          if (f.conclusion) continue;
          int fi = kb.field_index(f.name);
          any_field = true;
          if (fi < 0 || !kb.actionable_now(static_cast<std::size_t>(fi), f.value)) fixed = true;
        }
        t.changeable = any_field && !fixed;
      }
      c.derived_facts = x.premises_of(c.failed, nullptr, max_depth);
      c.reads = reads_of(c.failed, c.derived_facts);
    }
    return c;
  };

  auto goal = parse_goal(rules, query, w.error);
  if (!goal) return w;
  if (goal->negated) {
    w.error = "`" + query + "` asks what would remove a value: ask `advise what-if " + query +
              "`; to see why `" + rules.slot_name(goal->slot) + "` holds it, use `--explain`";
    return w;
  }
  w.subject = goal->subject;
  w.reached = goal_reached(result, *goal);
  if (goal->kind == Goal::Kind::Conclusion) {
    std::int32_t slot = goal->slot;
    const Value& want = goal->want;
    const std::string& name = rules.slot_name(slot);
    const Value& have = result.value(slot);
    int setters = 0;
    for (const CRule& cr : rules.rules)
      if (std::binary_search(cr.writes.begin(), cr.writes.end(), slot)) ++setters;
    if (have.is_missing()) {
      if (setters == 0)
        w.actual.text("no rule sets ").code(name);
      else if (result.runaway)
        w.actual.code(name).text(" has no value: evaluation stopped early");
      else
        w.actual.text(setters == 1 ? "the one rule that sets " : "none of the " + std::to_string(setters) + " rules that set ")
            .code(name)
            .text(setters == 1 ? " did not apply" : " applied");
    }
    else
      w.actual.code(name).text(" is ").value(kb.display(have));
    for (const CRule& cr : rules.rules) {
      bool any = false, sure = false;
      for (const CAction& a : cr.actions) {
        bool s = false;
        if (could_produce(a, slot, want, s)) {
          any = true;
          sure = sure || s;
        }
      }
      if (!any) continue;
      WhyNotCandidate c = candidate_for(cr.index);
      if (c.fired) {
        for (const Conflict& cf : result.conflicts) {
          if (cf.slot != slot || result.firings[static_cast<std::size_t>(cf.rejected_firing)].rule != cr.index) continue;
          std::int32_t kept_rule = result.firings[static_cast<std::size_t>(cf.kept_firing)].rule;
          const CRule& kr = rules.rules[static_cast<std::size_t>(kept_rule)];
          c.note = Sentence{};
          c.note.text("it fired, but ")
              .rule(kr.name, file_of(rules, kr.loc), line_of(rules, kr.loc))
              .text(" (priority " + std::to_string(kr.priority) + ", " + rules.where(kr.loc) + ") set ")
              .value(kb.display(cf.kept))
              .text(std::string(" instead") + (cf.error ? "; equal priorities are a conflict in the rules" : ""));
        }
        if (c.note.empty())
          c.note.text(w.reached ? (sure ? "it fired and set it" : "it fired")
                                : (sure ? "it fired; its value was replaced later" : "it fired and computed another value"));
      }
      w.candidates.push_back(std::move(c));
    }
    return w;
  }
  w.actual.text(goal->kind == Goal::Kind::Recommendation ? (w.reached ? "it was recommended" : "it was not recommended")
                                                          : (w.reached ? "it fired" : "it did not fire"));
  for (std::int32_t r : goal_rules(rules, *goal)) w.candidates.push_back(candidate_for(r));
  return w;
}

Report build_report(const Result& result, const ReportOptions& options) {
  const RuleSet& rules = *result.rules;
  const KnowledgeBase& kb = *rules.kb;
  Explainer x{result, rules, options.max_depth};
  Report rep;
  rep.profile_source = result.profile_source;
  rep.explained = options.explain;
  rep.traced = options.trace;
  rep.firings = result.firings.size();
  rep.program_list = build_program_list(result);
  int name_field = rules.field_slot("name");
  if (name_field >= 0) {
    const Value& v = result.value(name_field);
    if (v.kind == Value::Kind::Text) rep.applicant = *v.text;
  }
  for (std::size_t c = 0; c < kb.conclusions.size(); ++c) {
    std::int32_t slot = rules.field_count() + static_cast<std::int32_t>(c);
    ConclusionEntry e;
    e.name = kb.conclusions[c].name;
    e.description = kb.conclusions[c].description;
    e.value = result.value(slot);
    e.display = e.value.is_missing() ? "(not reached)" : kb.display(e.value);
    if (options.explain) e.derivation = x.slot(slot, options.max_depth);
    for (const CRule& r : rules.rules)
      if (std::binary_search(r.writes.begin(), r.writes.end(), slot)) ++e.rules_setting;
    if (e.value.is_missing()) {
      int n = e.rules_setting;
      e.not_reached.text(n == 0            ? "no rule decides it"
                         : result.runaway ? "evaluation stopped early"
                         : n == 1         ? "the rule that decides it did not apply to you"
                                          : "none of the " + std::to_string(n) + " rules that decide it applied to you");
    }
    rep.conclusions.push_back(std::move(e));
  }
  const EnumDef& cats = kb.enums[static_cast<std::size_t>(kb.category_enum)];
  for (const Recommendation& rec : result.recommendations) {
    RecommendationExplanation re;
    re.id = rec.id;
    re.category = rec.category >= 0 ? cats.values[static_cast<std::size_t>(rec.category)] : "assessment";
    re.text = rec.text;
    re.rule = rule_ref(rules, rec.rule);
    for (std::int32_t a : rec.also_by) re.also.push_back(rule_ref(rules, a));
    if (options.explain) {
      const Firing& f = result.firings[static_cast<std::size_t>(rec.firing)];
      re.tests = firing_tests(result, f);
      re.matched = matched_facts(result, f);
      re.premises = x.premises_of(re.tests, &f, options.max_depth - 1);
      re.reads = reads_of(re.tests, re.premises);
    }
    rep.recommendations.push_back(std::move(re));
  }
  auto add_category = [&](const std::string& c) {
    for (const CategoryRef& have : rep.categories)
      if (have.id == c) return;
    std::string title = c;
    if (!title.empty()) title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
    std::replace(title.begin(), title.end(), '_', ' ');
    rep.categories.push_back({c, title});
  };
  for (const std::string& c : cats.values)
    if (std::any_of(rep.recommendations.begin(), rep.recommendations.end(),
                    [&](const RecommendationExplanation& r) { return r.category == c; }))
      add_category(c);
  for (const RecommendationExplanation& r : rep.recommendations) add_category(r.category);
  for (const Message& m : result.messages)
    rep.messages.push_back({m.kind == Message::Kind::Warning, m.text, rule_ref(rules, m.rule)});
  for (const Citation& c : result.citations) {
    const Figure& f = kb.figures[static_cast<std::size_t>(c.figure)];
    bool repeated = std::any_of(rep.figures.begin(), rep.figures.end(), [&](const FigureRef& g) { return g.id == f.id; });
    rep.figures.push_back({f.id, f.text, f.source, f.year, f.secondary,
                           rule_ref(rules, result.firings[static_cast<std::size_t>(c.firing)].rule), repeated});
  }
  for (const Conflict& cf : result.conflicts) {
    ConflictExplanation ce;
    ce.conclusion = rules.slot_name(cf.slot);
    if (!cf.key.is_missing()) ce.conclusion += "[" + kb.display(cf.key) + "]";
    ce.kept = kb.display(cf.kept);
    ce.rejected = kb.display(cf.rejected);
    const Firing& kf = result.firings[static_cast<std::size_t>(cf.kept_firing)];
    const Firing& rf = result.firings[static_cast<std::size_t>(cf.rejected_firing)];
    ce.kept_by = rule_ref(rules, kf.rule);
    ce.rejected_by = rule_ref(rules, rf.rule);
    ce.kept_tests = firing_tests(result, kf);
    ce.rejected_tests = firing_tests(result, rf);
    ce.error = cf.error;
    Sentence& s = ce.summary;
    s.audience = Audience::Author;
    s.code(ce.conclusion)
        .text(": rule ")
        .rule(ce.kept_by.name, ce.kept_by.file, ce.kept_by.line)
        .text(" set ")
        .value(ce.kept)
        .text(" and rule ")
        .rule(ce.rejected_by.name, ce.rejected_by.file, ce.rejected_by.line)
        .text(" set ")
        .value(ce.rejected)
        .text("; ")
        .value(ce.kept);
    if (ce.error)
      s.text(" stood because it came first. The two rules have the same priority (" +
             std::to_string(ce.kept_by.priority) +
             "), so the rules contradict each other: ask the rule authors to fix them.");
    else
      s.text(" stood (priority " + std::to_string(ce.kept_by.priority) + " over " +
             std::to_string(ce.rejected_by.priority) + ").");
    rep.conflicts.push_back(std::move(ce));
  }
  if (result.runaway) {
    rep.runaway = result.runaway->message;
    rep.runaway_consequence.text(
        "The advice above is incomplete: the rules kept firing without settling. Tell the rule authors.");
  }
  for (const std::string& q : options.why_not) rep.why_not.push_back(explain_why_not(result, q, 3));
  if (options.applicant) rep.applicant_view = applicant_view(result, rep);
  rep.answer_only = options.answer_only && !rep.why_not.empty();
  if (options.trace) {
    // The facts each firing created and removed (a change is both).
    std::vector<std::vector<std::int32_t>> created_in(result.firings.size()), ended_in(result.firings.size());
    for (std::size_t rec = 0; rec < result.records.size(); ++rec) {
      const Record& r = result.records[rec];
      if (r.tmpl < 0) continue;
      if (r.created_by >= 0) created_in[static_cast<std::size_t>(r.created_by)].push_back(static_cast<std::int32_t>(rec));
      if (r.ended_by >= 0) ended_in[static_cast<std::size_t>(r.ended_by)].push_back(static_cast<std::int32_t>(rec));
    }
    for (std::size_t i = 0; i < result.firings.size(); ++i) {
      const Firing& f = result.firings[i];
      TraceEntry t;
      t.index = static_cast<std::int32_t>(i + 1);
      t.rule = rule_ref(rules, f.rule);
      t.matched = matched_facts(result, f);
      for (const Change& ch : f.changes) {
        std::string before = ch.before < 0 ? "(not set)" : kb.display(result.facts[static_cast<std::size_t>(ch.before)].value);
        std::string after = kb.display(result.facts[static_cast<std::size_t>(ch.after)].value);
        t.changes.push_back(rules.slot_name(ch.slot) + ": " + before + " -> " + after);
      }
      for (const Recommendation& rec : result.recommendations)
        if (rec.firing == static_cast<std::int32_t>(i)) t.outputs.push_back("recommend " + rec.id);
      for (const Message& m : result.messages)
        if (m.firing == static_cast<std::int32_t>(i))
          t.outputs.push_back(std::string(m.kind == Message::Kind::Warning ? "warn" : "note") + " \"" + m.text + "\"");
      for (const Citation& c : result.citations)
        if (c.firing == static_cast<std::int32_t>(i))
          t.outputs.push_back("cite " + kb.figures[static_cast<std::size_t>(c.figure)].id);
      for (std::int32_t rec : ended_in[i]) t.outputs.push_back("remove " + record_text(rules, result.records[static_cast<std::size_t>(rec)]));
      for (std::int32_t rec : created_in[i]) t.outputs.push_back("create " + record_text(rules, result.records[static_cast<std::size_t>(rec)]));
      rep.trace.push_back(std::move(t));
    }
  }
  return rep;
}

// ---------------------------------------------------------------- why not, for a fact

namespace {

// The values a rule's tests read when a fact is put in one of its patterns:
// the final slots, and the records bound to levels (others unknown).
class BindingView final : public ValueView {
 public:
  BindingView(const Result& r, std::vector<std::int32_t> bound) : r_(r), bound_(std::move(bound)) {}
  const Value& get(std::int32_t slot) const override { return r_.value(slot); }
  Value fact_field(std::int32_t level, std::int32_t field) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= bound_.size() || bound_[static_cast<std::size_t>(level)] < 0)
      return {};
    return r_.records[static_cast<std::size_t>(bound_[static_cast<std::size_t>(level)])]
        .values[static_cast<std::size_t>(field)];
  }
  FactId fact_at(std::int32_t level) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= bound_.size() || bound_[static_cast<std::size_t>(level)] < 0)
      return FactId::slot(-1);
    std::int32_t rec = bound_[static_cast<std::size_t>(level)];
    return FactId::of_record(r_.records[static_cast<std::size_t>(rec)].tmpl, rec);
  }
  Value aggregate(std::int32_t level) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= agg_.size()) return {};
    return agg_[static_cast<std::size_t>(level)];
  }
  void bind(std::int32_t level, std::int32_t rec) {
    if (static_cast<std::size_t>(level) >= bound_.size()) bound_.resize(static_cast<std::size_t>(level) + 1, -1);
    bound_[static_cast<std::size_t>(level)] = rec;
  }
  void bind_aggregate(std::int32_t level, Value v) {
    if (static_cast<std::size_t>(level) >= agg_.size()) agg_.resize(static_cast<std::size_t>(level) + 1);
    agg_[static_cast<std::size_t>(level)] = std::move(v);
  }

 private:
  const Result& r_;
  std::vector<std::int32_t> bound_;
  std::vector<Value> agg_;
};

bool reads_level(const CExpr& e, std::int32_t level) {
  if (e.op == Op::FactField && e.level == level) return true;
  return std::any_of(e.kids.begin(), e.kids.end(), [&](const CExpr& k) { return reads_level(k, level); });
}

bool reads_only(const CExpr& e, const std::set<std::int32_t>& levels) {
  if ((e.op == Op::FactField || e.op == Op::AggValue) && !levels.count(e.level)) return false;
  return std::all_of(e.kids.begin(), e.kids.end(), [&](const CExpr& k) { return reads_only(k, levels); });
}

// A pattern's test that failed, as the report shows it.
TestRecord pattern_record(const RuleSet& rules, const ast::Loc& loc, const std::string& note) {
  TestRecord rec;
  rec.text = rules.expr_text(loc);
  rec.where = rules.where(loc);
  rec.file = file_of(rules, loc);
  rec.line = line_of(rules, loc);
  rec.result = Truth::False;
  FactValue f;
  f.name = "because";
  f.display = note;
  rec.facts.push_back(std::move(f));
  return rec;
}

// The search behind why-not for a fact: the patterns of one rule after the
// asked fact's own, bound one at a time over the final facts (depth first,
// in source order), each test checked when the last level it reads is bound.
// `failure` holds what stopped the deepest partial match. Bounded: at most
// kBudget facts tried in all.
struct PartialMatch {
  PartialMatch(const Result& r, const RuleSet& rs, const CRule& cr, const CPattern& p, std::int32_t f, const std::string& n)
      : result(r), rules(rs), rule(cr), asked(p), fact(f), name(n) {}
  const Result& result;
  const RuleSet& rules;
  const CRule& rule;
  const CPattern& asked;
  std::int32_t fact;
  const std::string& name;
  std::vector<TestRecord> failure;
  bool budget_exhausted = false;
  std::size_t deepest = 0;
  std::size_t tried = 0;
  static constexpr std::size_t kBudget = 200000;
  std::vector<const CPattern*> order;
  std::set<std::int32_t> bound;

  void run(const BindingView& start) {
    for (const CPattern& q : rule.patterns)
      if (&q != &asked) order.push_back(&q);
    bound.insert(asked.level);
    BindingView view = start;
    if (search(0, view)) failure.clear();
  }

  bool live(std::size_t i, std::int32_t tmpl) const {
    const Record& r = result.records[i];
    return r.tmpl == tmpl && r.ended_by < 0;
  }

  // The tests that become decidable when `level` is bound: those of `q`,
  // and those of the `for each` patterns (the asked one too) that read it.
  std::vector<const CExpr*> tests_at(const CPattern& q, std::int32_t level) const {
    std::set<std::int32_t> now = bound;
    now.insert(level);
    std::vector<const CExpr*> out;
    for (const CExpr& t : q.tests)
      if (reads_only(t, now)) out.push_back(&t);
    for (const CPattern& o : rule.patterns) {
      if (&o == &q || o.kind != CPattern::Kind::ForEach) continue;
      for (const CExpr& t : o.tests)
        if (reads_level(t, level) && reads_only(t, now)) out.push_back(&t);
    }
    return out;
  }

  bool holds(const std::vector<const CExpr*>& tests, const BindingView& v) const {
    return std::all_of(tests.begin(), tests.end(),
                       [&](const CExpr* t) { return test_condition(*t, v, *rules.kb) == Truth::True; });
  }

  // A pattern's record, its text ending where a pattern nested in its
  // `where` begins (`for each guest b where ... and for each pair p ...`).
  TestRecord pattern_failure(const CPattern& q, const std::string& note) const {
    TestRecord rec = pattern_record(rules, q.loc, note);
    std::uint32_t cut = q.loc.end;
    for (const CPattern& o : rule.patterns)
      if (o.loc.file == q.loc.file && o.loc.begin > q.loc.begin && o.loc.begin < cut) cut = o.loc.begin;
    if (cut < q.loc.end) {
      std::string t(rules.text_of({q.loc.file, q.loc.begin, cut}));
      while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\t' || t.back() == '(')) t.pop_back();
      if (t.size() >= 4 && t.compare(t.size() - 4, 4, " and") == 0) t.resize(t.size() - 4);
      while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\t')) t.pop_back();
      rec.text = t;
    }
    return rec;
  }

  void fail_at(std::size_t k, std::vector<TestRecord> why) {
    if (!failure.empty() && k <= deepest) return;
    deepest = k;
    failure = std::move(why);
  }

  // Calls `fn(view with it bound, record)` for each live fact of q's
  // template that passes `tests`, until fn returns true; false when the
  // search bound was reached.
  template <typename Fn>
  bool each_match(const CPattern& q, const std::vector<const CExpr*>& tests, const BindingView& view, Fn&& fn) {
    for (std::size_t i = 0; i < result.records.size(); ++i) {
      if (!live(i, q.tmpl)) continue;
      if (++tried > kBudget) {
        budget_exhausted = true;
        return false;
      }
      BindingView next = view;
      next.bind(q.level, static_cast<std::int32_t>(i));
      if (holds(tests, next) && fn(next, i)) break;
    }
    return true;
  }

  bool deeper(std::size_t k, const CPattern& q, BindingView& view) {
    bound.insert(q.level);
    bool ok = search(k + 1, view);
    bound.erase(q.level);
    return ok;
  }

  bool search(std::size_t k, BindingView& view) {
    if (k == order.size()) return true;
    const CPattern& q = *order[k];
    const TemplateDef& qt = rules.templates[static_cast<std::size_t>(q.tmpl)];
    const KnowledgeBase& kb = *rules.kb;
    auto tests = tests_at(q, q.level);
    switch (q.kind) {
      case CPattern::Kind::ForEach:
      case CPattern::Kind::Exists: {
        bool any = false, matched = false;
        if (!each_match(q, tests, view, [&](BindingView& next, std::size_t) {
              any = true;
              matched = q.kind == CPattern::Kind::Exists ? search(k + 1, view) : deeper(k, q, next);
              return matched || q.kind == CPattern::Kind::Exists;
            }))
          return false;
        if (!any)
          fail_at(k, {pattern_failure(q, "no " + qt.name + " matches with this " + name +
                                             (k ? " and the facts matched before it" : ""))});
        return matched;
      }
      case CPattern::Kind::NotExists: {
        std::int32_t blocker = -1;
        if (!each_match(q, tests, view, [&](BindingView&, std::size_t i) {
              if (static_cast<std::int32_t>(i) == fact) return false;
              blocker = static_cast<std::int32_t>(i);
              return true;
            }))
          return false;
        if (blocker < 0) return search(k + 1, view);
        const Record& b = result.records[static_cast<std::size_t>(blocker)];
        std::string bo = record_origin(result, b, false);
        fail_at(k, {pattern_failure(q, "blocked by " + qt.name + " " + record_key(rules, b) +
                                           (bo.empty() ? "" : ", from " + bo))});
        return false;
      }
      case CPattern::Kind::Aggregate: {
        double n = 0, sum = 0, lo = 0, hi = 0;
        if (!each_match(q, tests, view, [&](BindingView& next, std::size_t) {
              if (q.agg == CPattern::Agg::Count) {
                ++n;
                return false;
              }
              Value x = evaluate_expr(q.value, next, kb);
              if (x.kind != Value::Kind::Number) return false;  // unknowns are left out, as the engine does
              lo = n == 0 ? x.num : std::min(lo, x.num);
              hi = n == 0 ? x.num : std::max(hi, x.num);
              sum += x.num;
              ++n;
              return false;
            }))
          return false;
        Value v;
        switch (q.agg) {
          case CPattern::Agg::Count: v = Value::number(n); break;
          case CPattern::Agg::Sum: v = Value::number(sum); break;
          case CPattern::Agg::Min: v = n ? Value::number(lo) : Value{}; break;
          case CPattern::Agg::Max: v = n ? Value::number(hi) : Value{}; break;
          case CPattern::Agg::Avg: v = n ? Value::number(sum / n) : Value{}; break;
        }
        view.bind_aggregate(q.level, v);
        std::vector<TestRecord> failed;
        for (const CExpr& t : q.agg_tests) {
          Truth tr = test_condition(t, view, kb);
          if (tr != Truth::True) record(rules, t, view, tr, failed);
        }
        if (!failed.empty()) {
          fail_at(k, std::move(failed));
          return false;
        }
        return deeper(k, q, view);
      }
    }
    return false;
  }
};

}  // namespace

std::optional<WhyNot> explain_why_not_fact(const Result& result, const std::string& query) {
  const RuleSet& rules = *result.rules;
  if (rules.templates.empty()) return std::nullopt;
  // TEMPLATE[field=value, ...] or TEMPLATE=KEY
  std::string name = query, inside;
  std::vector<std::pair<std::string, std::string>> want;
  auto br = query.find('[');
  auto eq = query.find('=');
  if (br != std::string::npos && query.back() == ']' && (eq == std::string::npos || br < eq)) {
    name = query.substr(0, br);
    inside = query.substr(br + 1, query.size() - br - 2);
  } else if (eq != std::string::npos) {
    name = query.substr(0, eq);
  }
  std::int32_t tmpl = -1;
  for (std::size_t t = 0; t < rules.templates.size(); ++t)
    if (rules.templates[t].name == name) tmpl = static_cast<std::int32_t>(t);
  if (tmpl < 0 || rules.conclusion_slot(name) >= 0) return std::nullopt;
  const TemplateDef& td = rules.templates[static_cast<std::size_t>(tmpl)];
  WhyNot w;
  w.query = query;
  auto trim = [](std::string x) {
    x.erase(0, x.find_first_not_of(' '));
    x.erase(x.find_last_not_of(' ') + 1);
    return x;
  };
  if (!inside.empty()) {
    std::size_t at = 0;
    while (at <= inside.size()) {
      std::size_t comma = inside.find(',', at);
      std::string part = inside.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      auto e = part.find('=');
      if (e == std::string::npos) {
        w.error = "`" + trim(part) + "` is not `field=value`; write `" + name + "[field=value]`";
        return w;
      }
      want.emplace_back(trim(part.substr(0, e)), trim(part.substr(e + 1)));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  } else if (eq != std::string::npos) {
    std::int32_t key = td.key.empty() ? 0 : td.key.front();
    want.emplace_back(td.fields[static_cast<std::size_t>(key)].name(), trim(query.substr(eq + 1)));
  } else {
    w.error = "name a " + name + " by its fields, as in `" + name + "[" +
              (td.fields.empty() ? std::string("field") : td.fields.front().name()) + "=...]`";
    return w;
  }
  std::vector<std::pair<std::int32_t, std::string>> tests;
  for (const auto& [field, value] : want) {
    int f = td.field_index(field);
    if (f < 0) {
      w.error = "a " + name + " has no field `" + field + "`";
      if (auto sug = did_you_mean(field, td.given_names())) w.error += "; did you mean `" + *sug + "`?";
      return w;
    }
    tests.emplace_back(f, value);
  }
  // The fact: the last record of the template with those values.
  std::int32_t found = -1;
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < result.records.size(); ++i) {
    const Record& rec = result.records[i];
    if (rec.tmpl != tmpl) continue;
    bool all = true;
    for (const auto& [f, v] : tests) {
      const Value& have = rec.values[static_cast<std::size_t>(f)];
      std::string shown = have.is_missing() ? "" : rules.kb->display(have);
      if (shown != v && (have.is_missing() || rules.kb->source_text(have) != v)) all = false;
    }
    if (all) found = static_cast<std::int32_t>(i);
    if (seen.size() < 10000 && !rec.values.empty()) {
      const Value& k = rec.values[static_cast<std::size_t>(tests.front().first)];
      if (!k.is_missing()) seen.push_back(rules.kb->display(k));
    }
  }
  if (found < 0) {
    const auto& [f, v] = tests.front();
    w.error = "no " + name + " has " + td.fields[static_cast<std::size_t>(f)].name() + " `" + v + "`";
    if (auto sug = did_you_mean(v, seen)) w.error += "; did you mean `" + *sug + "`?";
    return w;
  }
  const Record& rec = result.records[static_cast<std::size_t>(found)];
  w.subject.text(name + " ").value(record_key(rules, rec));
  std::string origin = record_origin(result, rec, false);
  if (rec.ended_by >= 0) {
    const Firing& by = result.firings[static_cast<std::size_t>(rec.ended_by)];
    w.actual.text("it was removed or changed by rule ")
        .rule(rules.rules[static_cast<std::size_t>(by.rule)].name,
              file_of(rules, rules.rules[static_cast<std::size_t>(by.rule)].loc),
              line_of(rules, rules.rules[static_cast<std::size_t>(by.rule)].loc));
  } else {
    w.actual.text("it is a fact" + (origin.empty() ? std::string() : " (" + origin + ")"));
  }
  const KnowledgeBase& kb = *rules.kb;
  for (const CRule& cr : rules.rules) {
    for (const CPattern& p : cr.patterns) {
      if (p.kind != CPattern::Kind::ForEach || p.tmpl != tmpl) continue;
      WhyNotCandidate c;
      c.rule = rule_ref(rules, cr.index);
      for (const Firing& f : result.firings)
        if (f.rule == cr.index && f.matched[static_cast<std::size_t>(p.level)] == found) c.fired = true;
      if (c.fired) {
        c.note.text("it fired for this " + name);
        w.reached = true;
        w.candidates.push_back(std::move(c));
        continue;
      }
      BindingView view(result, {});
      view.bind(p.level, found);
      std::set<std::int32_t> mine{p.level};
      // Tests over the applicant, and over this fact alone: every one that fails.
      for (const CExpr& g : cr.guards)
        if (test_condition(g, view, kb) != Truth::True) record(rules, g, view, test_condition(g, view, kb), c.failed);
      for (const CExpr& t : p.tests)
        if (reads_only(t, mine)) {
          Truth tr = test_condition(t, view, kb);
          if (tr != Truth::True) record(rules, t, view, tr, c.failed);
        }
      // Then the other patterns in order, with this fact in place: the
      // deepest point any partial match reaches, and what stops it there — a
      // partner that no fact supplies (also through a third pattern), a fact
      // that blocks a `there is no`, an aggregate's value against its test.
      if (c.failed.empty()) {
        PartialMatch pm(result, rules, cr, p, found, name);
        pm.run(view);
        c.failed = std::move(pm.failure);
        if (pm.budget_exhausted)
          c.note.text("the search for a partial match stopped at its limit; run with --trace");
      }
      if (c.failed.empty())
        c.note.text("its tests hold for this " + name + " but it did not fire for it (an aggregate or a later "
                    "change); run with --trace");
      c.reads = reads_of(c.failed, {});
      w.candidates.push_back(std::move(c));
    }
  }
  return w;
}

}  // namespace advise
