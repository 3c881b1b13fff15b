// The report: the model every renderer draws from (engine/explain.hpp), and
// the derivations of facts (how). Why not is in explain_why_not.cpp, the
// applicant's view in explain_applicant.cpp; what they share is declared in
// explain_internal.hpp.
#include "engine/explain.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "engine/explain_internal.hpp"
#include "engine/working_memory.hpp"
#include "kb/suggest.hpp"

namespace advise {

using namespace explain_detail;

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

namespace explain_detail {


std::string file_of(const RuleSet& rules, const ast::Loc& loc) { return rules.sources->name(loc.file); }
int line_of(const RuleSet& rules, const ast::Loc& loc) {
  return static_cast<int>(rules.sources->line_col(loc.file, loc.begin).line);
}

bool is_enum_value(const KnowledgeBase& kb, const std::string& name) {
  for (const EnumDef& e : kb.enums)
    if (e.find(name) >= 0) return true;
  return false;
}


}  // namespace explain_detail


RuleRef::RuleRef(const RuleSet& rules, std::int32_t r)
    : rule(r), line(line_of(rules, rules.rules[static_cast<std::size_t>(r)].loc)), rules_(&rules) {}

namespace {
const std::string kNoText;
}  // namespace

std::string_view RuleRef::name() const {
  return rules_ ? rules_->rules[static_cast<std::size_t>(rule)].name() : std::string_view();
}
std::string_view RuleRef::description() const {
  return rules_ ? rules_->rules[static_cast<std::size_t>(rule)].description() : std::string_view();
}
std::string_view RuleRef::source() const {
  return rules_ ? rules_->rules[static_cast<std::size_t>(rule)].source() : std::string_view();
}
const std::string& RuleRef::file() const {
  return rules_ ? rules_->sources->name(rules_->rules[static_cast<std::size_t>(rule)].loc.file) : kNoText;
}
std::string RuleRef::where() const { return rules_ ? file() + ":" + std::to_string(line) : ""; }
int RuleRef::priority() const { return rules_ ? rules_->rules[static_cast<std::size_t>(rule)].priority : 0; }

RuleRef rule_ref(const RuleSet& rules, std::int32_t rule) { return RuleRef(rules, rule); }

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
        const Value& v = *expr.constant;
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

namespace explain_detail {

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

Withdrawal withdrawal(const Result& result, std::int32_t slot) {
  std::int32_t cur = result.current[static_cast<std::size_t>(slot)];
  if (cur < 0) return {};
  const Fact& w = result.facts[static_cast<std::size_t>(cur)];
  if (w.evidence.kind != Evidence::Kind::Withdrawn || w.prev < 0) return {};
  const Fact& lost = result.facts[static_cast<std::size_t>(w.prev)];
  if (lost.evidence.kind != Evidence::Kind::Derived) return {};
  return Withdrawal{lost.evidence.firing, w.evidence.firing};
}

void record(const RuleSet& rules, const CExpr& e, const ValueView& view, Truth t, std::vector<TestRecord>& out,
            bool values_only) {
  TestRecord rec;
  if (!values_only) {
    rec.text = rules.expr_text(e.loc);
    rec.where = rules.where(e.loc);
    rec.file = file_of(rules, e.loc);
    rec.line = line_of(rules, e.loc);
    rec.constants = constants_in(rec.text, rules);
  }
  rec.result = t;
  std::vector<std::int32_t> slots;
  collect_slots(e, slots);
  for (std::int32_t s : slots) {
    if (values_only) {  // name and value: no display text or JSON path
      rec.facts.push_back({FactId::slot(s), -1, rules.slot_name(s), view.get(s), "", rules.is_conclusion(s), ""});
      continue;
    }
    rec.facts.push_back(fact_value(rules, s, view.get(s)));
  }
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
    if (!values_only) f.display = f.value.is_missing() ? "(unknown)" : rules.kb->display(f.value);
    rec.facts.push_back(std::move(f));
  }
  out.push_back(std::move(rec));
}


// `all`: when the condition does not hold, every test of an `and` that does
// not hold, not only the first (why not).
void walk(const RuleSet& rules, const CExpr& e, const ValueView& view, bool holds, std::vector<TestRecord>& out,
          bool all, bool values_only) {
  const KnowledgeBase& kb = *rules.kb;
  switch (e.op) {
    case Op::And:
      if (holds) {
        walk(rules, e.kids[0], view, true, out, false, values_only);
        walk(rules, e.kids[1], view, true, out, false, values_only);
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
          if (truth_of(evaluate_expr(k, view, kb)) == Truth::True) walk(rules, k, view, true, out, false, values_only);
      } else {
        for (const CExpr& k : e.kids) walk(rules, k, view, false, out, all, values_only);
      }
      return;
    default:
      record(rules, e, view, truth_of(evaluate_expr(e, view, kb)), out, values_only);
  }
}

}  // namespace explain_detail

std::vector<TestRecord> condition_tests(const RuleSet& rules, const CExpr& condition, const ValueView& view,
                                        bool holds) {
  std::vector<TestRecord> out;
  walk(rules, condition, view, holds, out);
  return out;
}

std::vector<TestRecord> firing_tests(const Result& result, const Firing& firing, TestDetail detail) {
  const RuleSet& rules = *result.rules;
  const CRule& cr = rules.rules[static_cast<std::size_t>(firing.rule)];
  const bool values_only = detail == TestDetail::Values;
  std::vector<TestRecord> out;
  if (cr.patterns().empty()) {
    SnapshotView view(result, firing);
    walk(rules, cr.condition, view, true, out, false, values_only);
    return out;
  }
  FiringView view(result, firing);
  const KnowledgeBase& kb = *rules.kb;
  for (const CExpr& g : cr.guards()) walk(rules, g, view, true, out, false, values_only);
  for (const CPattern& p : cr.patterns()) {
    switch (p.kind) {
      // (A firing's pattern tests held: their truth is shown, not needed, in Values.)
      case CPattern::Kind::ForEach:
        for (const CExpr& t : p.tests)
          record(rules, t, view, values_only ? Truth::True : truth_of(evaluate_expr(t, view, kb)), out, values_only);
        break;
      case CPattern::Kind::Aggregate:
        for (const CExpr& t : p.agg_tests)
          record(rules, t, view, values_only ? Truth::True : truth_of(evaluate_expr(t, view, kb)), out, values_only);
        break;
      case CPattern::Kind::Exists:
      case CPattern::Kind::NotExists: {
        if (values_only) break;  // no value of its own: its facts are not bound
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

namespace explain_detail {
// A record's key as people read it: "program_id 0800390001, track advanced".
std::string record_key(const RuleSet& rules, const Record& rec) {
  return fact_key_text(*rules.kb, rules.templates[static_cast<std::size_t>(rec.tmpl)], rec.values.span());
}

// Where a record came from: a facts file's place, or the rule that created it.
std::string record_origin(const Result& result, const Record& rec, bool with_firing) {
  const RuleSet& rules = *result.rules;
  if (rec.input >= 0 && result.given && static_cast<std::size_t>(rec.input) < result.given->size())
    return (*result.given)[static_cast<std::size_t>(rec.input)].origin.text();
  if (rec.kb_input >= 0 && result.kb_facts && static_cast<std::size_t>(rec.kb_input) < result.kb_facts->size())
    return (*result.kb_facts)[static_cast<std::size_t>(rec.kb_input)].origin.text();
  if (rec.created_by < 0) return "";
  const Firing& by = result.firings[static_cast<std::size_t>(rec.created_by)];
  return "created by rule `" + std::string(rules.rules[static_cast<std::size_t>(by.rule)].name()) + "`" +
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
}  // namespace explain_detail

std::vector<MatchedFact> matched_facts(const Result& result, const Firing& firing) {
  const RuleSet& rules = *result.rules;
  const CRule& cr = rules.rules[static_cast<std::size_t>(firing.rule)];
  std::vector<MatchedFact> out;
  for (const CPattern& p : cr.patterns()) {
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

Report build_report(const Result& result, const ReportOptions& options) {
  const RuleSet& rules = *result.rules;
  const KnowledgeBase& kb = *rules.kb;
  Explainer x{result, rules, options.max_depth};
  Report rep;
  rep.rules = result.rules;
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
    Withdrawal wd = e.value.is_missing() ? withdrawal(result, slot) : Withdrawal{};
    if (wd) {  // set by a logical rule over facts, then withdrawn when its match went
      e.not_reached.text("withdrawn: rule ")
          .code(std::string(rules.rules[static_cast<std::size_t>(result.firings[static_cast<std::size_t>(wd.set_by)].rule)].name()))
          .text(" set it while the facts it matched held; rule ")
          .code(std::string(rules.rules[static_cast<std::size_t>(result.firings[static_cast<std::size_t>(wd.ended_by)].rule)].name()))
          .text(" (firing " + std::to_string(wd.ended_by + 1) + ") changed them");
    } else if (e.value.is_missing()) {
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
  rep.messages.reserve(result.messages.size());
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
        .rule(std::string(ce.kept_by.name()), ce.kept_by.file(), ce.kept_by.line)
        .text(" set ")
        .value(ce.kept)
        .text(" and rule ")
        .rule(std::string(ce.rejected_by.name()), ce.rejected_by.file(), ce.rejected_by.line)
        .text(" set ")
        .value(ce.rejected)
        .text("; ")
        .value(ce.kept);
    if (ce.error)
      s.text(" stood because it came first. The two rules have the same priority (" +
             std::to_string(ce.kept_by.priority()) +
             "), so the rules contradict each other: ask the rule authors to fix them.");
    else
      s.text(" stood (priority " + std::to_string(ce.kept_by.priority()) + " over " +
             std::to_string(ce.rejected_by.priority()) + ").");
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
        const Fact& af = result.facts[static_cast<std::size_t>(ch.after)];
        std::string after = kb.display(af.value);
        if (af.evidence.kind == Evidence::Kind::Withdrawn && ch.before >= 0) {
          // A logical rule's conclusion whose match this firing ended.
          const Fact& bf = result.facts[static_cast<std::size_t>(ch.before)];
          std::string by = bf.evidence.kind == Evidence::Kind::Derived
                               ? " (`" + std::string(rule_ref(rules, result.firings[static_cast<std::size_t>(bf.evidence.firing)].rule).name()) +
                                     "` no longer matches)"
                               : "";
          after = (af.value.is_missing() ? std::string("(withdrawn)") : after + ", withdrawn") + by;
        }
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

}  // namespace advise
