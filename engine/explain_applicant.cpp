// The applicant's view of a report (Report::applicant_view): the advice in
// the applicant's words, with a short "why" from the tests that held.
#include <algorithm>
#include <cctype>

#include "engine/explain.hpp"
#include "engine/explain_internal.hpp"

namespace advise::explain_detail {

namespace {

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
    if (a.kind == kind && (kind != ast::ActionKind::Recommend || a.id() == id)) return &a;
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

}  // namespace

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
    return r.stages().empty() || stage_sym < 0 || std::count(r.stages().begin(), r.stages().end(), stage_sym) > 0;
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
  // What every item says past its text: the words with the applicant's
  // fields, why its rule held, the guide's section.
  auto finish = [&](PlainItem& it, const CRule& rule, const SnapshotView& view) {
    it.words = with_fields(it.text, kb);
    std::vector<TestRecord> tests = condition_tests(rules, rule.condition, view, true);
    it.why = why_of(tests, rules);
    it.derivation = derivation_words(tests, rules);
    it.source = rule.source();
    items.push_back(std::move(it));
  };
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
    finish(it, rule, view);
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
    finish(it, rule, view);
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
    int r = rule.stages().empty() ? 100 : 0;
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

}  // namespace advise::explain_detail
