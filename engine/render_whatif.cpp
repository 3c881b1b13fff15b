// Text, JSON and Markdown of a what-if answer. The three say the same thing:
// the goal, whether it holds already, each verified change set with what it
// changes, or why none exists.
#include "engine/render_whatif.hpp"

#include <cctype>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/render.hpp"
#include "engine/render_json.hpp"
#include "kb/sanitize.hpp"

namespace advise {

namespace {

using namespace render_detail;

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "step2ck = 260, publications = 3": the facts a test read, as they were.
std::string test_values(const TestRecord& t) {
  std::string out;
  for (const FactValue& f : t.facts) out += (out.empty() ? "" : ", ") + f.name + " = " + f.display;
  for (const NamedConstant& c : t.constants) out += (out.empty() ? "" : ", ") + c.name + " = " + c.value;
  return out;
}

// The one walk both text renderers share; `Style` says how names look.
struct Style {
  bool markdown = false;
  std::string name(std::string_view n) const { return markdown ? code(n) : terminal_text(one_line(n)); }
  std::string text(const std::string& t) const { return markdown ? md(t) : terminal_text(t); }
  std::string sentence(const Sentence& s) const {
    std::string out;
    for (const Span& p : s.spans) out += p.kind == Span::Kind::Code || p.kind == Span::Kind::Rule ? name(p.text) : text(p.text);
    return out;
  }
  std::string rule(const RuleRef& r) const { return name(r.name()) + " (" + text(place(r.file(), r.line)) + ")"; }
};

std::string render_words(const WhatIf& w, const WhatIfHeader& h, const Style& st) {
  std::ostringstream out;
  const char* bullet = st.markdown ? "- " : "  ";
  const std::string sub = st.markdown ? "  - " : "      ";
  std::string title = "What would reach " + st.sentence(w.goal.subject);
  if (st.markdown)
    out << "# " << title << "\n\n";
  else
    out << title << "\n";
  out << "Profile: " << st.text(h.profile_source)
      << (h.applicant.empty() ? "" : " (" + st.text(one_line(h.applicant)) + ")") << "\n";
  if (!h.kb.empty()) {
    out << (st.markdown ? "\n" : "") << "Rules: ";
    for (std::size_t i = 0; i < h.rules.size(); ++i) out << (i ? ", " : "") << st.name(h.rules[i]);
    out << "; knowledge base: " << st.name(h.kb) << "\n";
  }
  out << "\n";
  if (w.already) {
    out << "It is reached already: nothing needs to change.\n";
    return out.str();
  }
  std::size_t n = 0;
  for (const Alternative& a : w.alternatives) {
    ++n;
    std::string head = "Alternative " + std::to_string(n) + ": change " + plural(a.changes.size(), "field", "fields");
    out << (st.markdown ? "## " + head + "\n\n" : head + "\n");
    for (const FieldChange& c : a.changes)
      out << bullet << st.name(c.name) << ": " << st.text(c.from_display) << " -> " << st.text(c.to_display) << "\n";
    const WhatIfOutcome& o = a.outcome;
    out << (st.markdown ? "\nThen the goal is reached (verified by evaluating the changed profile), and:\n\n"
                        : "  Then the goal is reached (verified by evaluating the changed profile), and:\n");
    const std::string b2 = st.markdown ? "- " : "    ";
    for (const ConclusionChange& c : o.conclusions)
      out << b2 << st.name(c.name) << ": " << st.text(c.from_display) << " -> " << st.text(c.to_display) << "\n";
    auto ids = [&](const std::vector<std::string>& v) {
      std::string s;
      for (const std::string& id : v) s += (s.empty() ? "" : ", ") + st.name(id);
      return s;
    };
    if (!o.recommended.empty()) out << b2 << "recommended: " << ids(o.recommended) << "\n";
    if (!o.unrecommended.empty()) out << b2 << "no longer recommended: " << ids(o.unrecommended) << "\n";
    if (o.conflicts) out << b2 << "rules of equal priority would contradict each other\n";
    auto rules_block = [&](const std::vector<RuleChange>& v, const char* label) {
      if (v.empty()) return;
      out << b2 << label << ":\n";
      for (const RuleChange& r : v) {
        out << (st.markdown ? "  - " : "      ") << st.rule(r.rule) << "\n";
        for (const TestRecord& t : r.tests) {
          std::string vals = test_values(t);
          out << (st.markdown ? "    - " : "          ") << st.name(one_line(t.text))
              << (vals.empty() ? "" : ": " + st.text(vals)) << "\n";
        }
      }
    };
    rules_block(o.fire, "rules that would fire");
    rules_block(o.stop, "rules that would stop firing");
    out << "\n";
  }
  if (w.alternatives.empty()) {
    out << st.sentence(w.reason) << "\n";
    for (const WhatIfBlocker& b : w.blockers) {
      // A removal's blocker is a rule that keeps giving the value: the test
      // shown holds, and only fixed fields decide it.
      out << bullet << st.rule(b.rule) << (w.goal.negated ? " keeps giving it: " : " needs ")
          << st.name(one_line(b.test.text));
      std::string vals = test_values(b.test);
      out << (vals.empty() ? "" : " (" + st.text(vals) + ")") << "\n";
      for (const FixedField& f : b.fixed)
        out << sub << st.name(f.name) << " is " << st.text(f.display) << ", fixed: " << st.text(f.because) << "\n";
    }
    out << "\n";
  }
  out << (w.budget_exhausted ? "The search stopped at its limit of evaluations; " : "")
      << plural(w.evaluations, "evaluation", "evaluations") << " of the rules.\n";
  return out.str();
}

}  // namespace

std::string render_whatif_text(const WhatIf& w, const WhatIfHeader& h) { return render_words(w, h, Style{false}); }
std::string render_whatif_markdown(const WhatIf& w, const WhatIfHeader& h) { return render_words(w, h, Style{true}); }

std::string render_whatif_json(const WhatIf& w, const WhatIfHeader& h, const KnowledgeBase& kb) {
  using nlohmann::ordered_json;
  auto rule_json = [](const RuleRef& r) {
    return ordered_json{{"rule", r.name()}, {"file", r.file()}, {"line", r.line}};
  };
  auto test_json = [&](const TestRecord& t) {
    ordered_json values = ordered_json::object();
    for (const FactValue& f : t.facts) values[f.name] = value_json(f.value, kb);
    ordered_json constants = ordered_json::object();
    for (const NamedConstant& c : t.constants) constants[c.name] = c.value;
    return ordered_json{{"test", t.text}, {"file", t.file}, {"line", t.line}, {"values", values}, {"constants", constants}};
  };
  ordered_json root;
  root["goal"] = w.query;
  root["subject"] = w.goal.subject.marked();
  root["profile"] = {{"source", h.profile_source}, {"name", h.applicant}};
  if (!h.kb.empty())
    root["rules"] = {{"paths", h.rules}, {"kb", h.kb}};
  else
    root["rules"] = nullptr;
  root["reached"] = w.already;
  ordered_json alts = ordered_json::array();
  for (const Alternative& a : w.alternatives) {
    ordered_json changes = ordered_json::array();
    for (const FieldChange& c : a.changes)
      changes.push_back({{"field", c.name}, {"from", value_json(c.from, kb)}, {"to", value_json(c.to, kb)}, {"distance", value_json(Value::number(c.distance), kb)}});
    const WhatIfOutcome& o = a.outcome;
    ordered_json conclusions = ordered_json::array();
    for (const ConclusionChange& c : o.conclusions)
      conclusions.push_back({{"name", c.name}, {"from", value_json(c.from, kb)}, {"to", value_json(c.to, kb)}});
    auto rules_json = [&](const std::vector<RuleChange>& v) {
      ordered_json out = ordered_json::array();
      for (const RuleChange& r : v) {
        ordered_json j = rule_json(r.rule);
        ordered_json tests = ordered_json::array();
        for (const TestRecord& t : r.tests) tests.push_back(test_json(t));
        j["tests"] = tests;
        out.push_back(j);
      }
      return out;
    };
    ordered_json outcome;
    outcome["goal_reached"] = true;
    outcome["conclusions"] = conclusions;
    outcome["recommended"] = o.recommended;
    outcome["no_longer_recommended"] = o.unrecommended;
    outcome["rules_fire"] = rules_json(o.fire);
    outcome["rules_stop"] = rules_json(o.stop);
    outcome["conflicts"] = o.conflicts;
    alts.push_back({{"changes", changes}, {"outcome", outcome}});
  }
  root["alternatives"] = alts;
  if (w.alternatives.empty() && !w.already) {
    root["reason"] = w.reason.marked();
    root["proven"] = w.proven;
    ordered_json blockers = ordered_json::array();
    for (const WhatIfBlocker& b : w.blockers) {
      ordered_json j = rule_json(b.rule);
      j[w.goal.negated ? "holds" : "needs"] = test_json(b.test);
      ordered_json fixed = ordered_json::array();
      for (const FixedField& f : b.fixed) fixed.push_back({{"field", f.name}, {"value", value_json(f.value, kb)}, {"because", f.because}});
      j["fixed"] = fixed;
      j["only_fixed"] = b.only_fixed;
      blockers.push_back(j);
    }
    root["blockers"] = blockers;
  } else {
    root["reason"] = nullptr;
    root["proven"] = false;
    root["blockers"] = ordered_json::array();
  }
  ordered_json actionable = ordered_json::array(), fixed = ordered_json::array();
  for (const FieldStatus& f : w.fields) {
    if (f.actionable)
      actionable.push_back(f.name);
    else
      fixed.push_back({{"field", f.name}, {"because", f.because}});
  }
  root["fields"] = {{"actionable", actionable}, {"fixed", fixed}};
  root["evaluations"] = w.evaluations;
  root["search_limit_reached"] = w.budget_exhausted;
  return json_terminal_safe(root.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) + "\n";
}

}  // namespace advise
