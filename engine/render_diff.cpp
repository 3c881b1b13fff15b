#include "engine/render_diff.hpp"

#include <nlohmann/json.hpp>

#include "engine/render_derivation.hpp"
#include "kb/sanitize.hpp"
#include "kb/value_json.hpp"

namespace advise {

namespace {

using J = nlohmann::ordered_json;

// "strategy", "applications[dermatology]": the conclusion, and a map's key in rule syntax.
std::string label_of(const ConclusionDiff& c, const RuleSet& rules) {
  std::string label = rules.slot_name(c.slot);
  if (c.key) label += "[" + source_value(*c.key, rules) + "]";
  return label;
}

std::vector<TestRecord> tests_of(const Result& r, std::int32_t firing) {
  const Firing& f = r.firings[static_cast<std::size_t>(firing)];
  SnapshotView view(r, f);
  return condition_tests(*r.rules, r.rules->rules[static_cast<std::size_t>(f.rule)].condition, view, true);
}

// Why rule `name` did not act in `r`: not in these rules, or the first tests
// of its condition that failed.
void counterpart_text(const Result& r, const std::string& name, const char* label, const char* which,
                      std::string& out) {
  const RuleSet& rules = *r.rules;
  const CRule* cr = rules.find_rule(name);
  if (!cr) {
    out += std::string("    ") + label + ": rule `" + name + "` is not in the " + which + " rules\n";
    return;
  }
  RuleRef ref = rule_ref(rules, cr->index);
  if (r.fired(cr->index)) {
    out += std::string("    ") + label + ": " + render_rule(ref) + " fired, but did not set it\n";
    return;
  }
  FinalView fv(r);
  auto failed = condition_tests(rules, cr->condition, fv, false);
  out += std::string("    ") + label + ": " + render_rule(ref) + " did not fire" + (failed.empty() ? "\n" : ":\n");
  for (const TestRecord& t : failed) out += "      " + render_test(t, rules, true) + "\n";
}

void side_text(const DiffSide& s, const char* label, std::string& out) {
  const RuleSet& rules = *s.result->rules;
  if (s.firing < 0) {
    if (!s.counterpart.empty()) {
      counterpart_text(*s.result, s.counterpart, label, std::string(label) == "before" ? "old" : "new", out);
      return;
    }
    out += std::string("    ") + label + ": no rule set it\n";
    return;
  }
  std::int32_t rule = s.result->firings[static_cast<std::size_t>(s.firing)].rule;
  auto tests = tests_of(*s.result, s.firing);
  std::string what = s.item ? source_value(*s.item, rules) + " added by" : "set by";
  out += std::string("    ") + label + ": " + what + " " + render_rule(rule_ref(rules, rule)) +
         (tests.empty() ? "\n" : ", because\n");
  for (const TestRecord& t : tests) out += "      " + render_test(t, rules, false) + "\n";
}

void recommendation_side(const Result& r, const Recommendation& rec, const char* label, std::string& out) {
  const RuleSet& rules = *r.rules;
  auto tests = tests_of(r, rec.firing);
  out += std::string("    ") + label + ": recommended by " + render_rule(rule_ref(rules, rec.rule)) +
         (tests.empty() ? "\n" : ", because\n");
  for (const TestRecord& t : tests) out += "      " + render_test(t, rules, false) + "\n";
}

std::string text_report(const DiffReport::Change& ch) {
  const ResultDiff& d = ch.diff;
  const Result& a = ch.before;
  const Result& b = ch.after;
  const RuleSet& ra = *a.rules;
  std::string out = terminal_safe(ch.path) + (ch.name.empty() ? "" : " (" + terminal_safe(ch.name) + ")") + "\n";
  if (d.old_runaway) out += "  the old rules did not finish: " + *d.old_runaway + "\n";
  if (d.new_runaway) out += "  the new rules did not finish: " + *d.new_runaway + "\n";
  for (const ConclusionDiff& c : d.conclusions) {
    out += "  " + label_of(c, ra) + ": " + source_value(c.before, ra) + " -> " + source_value(c.after, ra) + "\n";
    for (const DiffSide& s : c.old_side) side_text(s, "before", out);
    for (const DiffSide& s : c.new_side) side_text(s, "after", out);
  }
  for (const RecommendationDiff& rc : d.recommendations) {
    switch (rc.kind) {
      case RecommendationDiff::Kind::Removed:
        out += "  recommendation " + rc.id + ": no longer made\n";
        recommendation_side(a, *rc.before, "before", out);
        counterpart_text(b, std::string(ra.rules[static_cast<std::size_t>(rc.before->rule)].name()), "after", "new", out);
        break;
      case RecommendationDiff::Kind::Added:
        out += "  recommendation " + rc.id + ": newly made\n";
        counterpart_text(a, std::string(b.rules->rules[static_cast<std::size_t>(rc.after->rule)].name()), "before", "old", out);
        recommendation_side(b, *rc.after, "after", out);
        break;
      case RecommendationDiff::Kind::Text:
        out += "  recommendation " + rc.id + ": its text changed\n";
        out += "    before: \"" + terminal_safe(rc.before->text) + "\"\n";
        out += "    after:  \"" + terminal_safe(rc.after->text) + "\"\n";
        break;
    }
  }
  for (const MessageDiff& m : d.messages) {
    std::string what = m.kind == Message::Kind::Note ? "note" : "warning";
    std::string head = "  " + what + " of `" + terminal_safe(m.rule) + "`: ";
    if (m.before && m.after) {
      out += head + "its text changed\n";
      out += "    before: \"" + terminal_safe(*m.before) + "\"\n";
      out += "    after:  \"" + terminal_safe(*m.after) + "\"\n";
    } else if (m.before) {
      out += head + "no longer given\n    before: \"" + terminal_safe(*m.before) + "\"\n";
    } else {
      out += head + "newly given\n    after:  \"" + terminal_safe(*m.after) + "\"\n";
    }
  }
  return out;
}

J rule_json(const Result& r, std::int32_t firing) {
  if (firing < 0) return nullptr;
  const RuleSet& rules = *r.rules;
  RuleRef ref = rule_ref(rules, r.firings[static_cast<std::size_t>(firing)].rule);
  J tests = J::array();
  for (const TestRecord& t : tests_of(r, firing)) tests.push_back(render_test(t, rules, false));
  return J{{"rule", ref.name()}, {"where", ref.where()}, {"source", ref.source()}, {"tests", tests}};
}

// Why rule `name` did not act in `r`, as JSON.
J counterpart_json(const Result& r, const std::string& name) {
  const RuleSet& rules = *r.rules;
  const CRule* cr = rules.find_rule(name);
  J j{{"rule", name}, {"in_rules", cr != nullptr}};
  if (!cr) return j;
  j["where"] = rules.where(cr->loc);
  j["fired"] = r.fired(cr->index);
  J failed = J::array();
  if (!r.fired(cr->index)) {
    FinalView fv(r);
    for (const TestRecord& t : condition_tests(rules, cr->condition, fv, false)) failed.push_back(render_test(t, rules, true));
  }
  j["failed_tests"] = failed;
  return j;
}

J side_json(const DiffSide& s, const KnowledgeBase& kb) {
  J j = J::object();
  if (s.item) j["item"] = value_json(*s.item, kb);
  j["rule"] = rule_json(*s.result, s.firing);
  if (s.firing < 0 && !s.counterpart.empty()) j["did_not_act"] = counterpart_json(*s.result, s.counterpart);
  return j;
}

J json_report(const DiffReport::Change& ch) {
  const ResultDiff& d = ch.diff;
  const Result& a = ch.before;
  const Result& b = ch.after;
  const KnowledgeBase& kb = *a.rules->kb;
  J conclusions = J::array();
  for (const ConclusionDiff& c : d.conclusions) {
    J before_rules = J::array(), after_rules = J::array();
    for (const DiffSide& s : c.old_side) before_rules.push_back(side_json(s, kb));
    for (const DiffSide& s : c.new_side) after_rules.push_back(side_json(s, kb));
    conclusions.push_back(J{{"conclusion", label_of(c, *a.rules)},
                            {"before", value_json(c.before, kb)},
                            {"after", value_json(c.after, kb)},
                            {"before_rules", before_rules},
                            {"after_rules", after_rules}});
  }
  J recs = J::array();
  for (const RecommendationDiff& rc : d.recommendations) {
    const char* kind = rc.kind == RecommendationDiff::Kind::Added     ? "added"
                       : rc.kind == RecommendationDiff::Kind::Removed ? "removed"
                                                                        : "text";
    J entry{{"id", rc.id}, {"change", kind}};
    entry["before"] = rc.before ? J{{"text", rc.before->text}, {"rule", rule_json(a, rc.before->firing)}} : J(nullptr);
    entry["after"] = rc.after ? J{{"text", rc.after->text}, {"rule", rule_json(b, rc.after->firing)}} : J(nullptr);
    if (rc.kind == RecommendationDiff::Kind::Removed)
      entry["did_not_act"] = counterpart_json(b, std::string(a.rules->rules[static_cast<std::size_t>(rc.before->rule)].name()));
    if (rc.kind == RecommendationDiff::Kind::Added)
      entry["did_not_act"] = counterpart_json(a, std::string(b.rules->rules[static_cast<std::size_t>(rc.after->rule)].name()));
    recs.push_back(std::move(entry));
  }
  auto runaway = [](const std::optional<std::string>& m) { return m ? J(*m) : J(nullptr); };
  J messages = J::array();
  for (const MessageDiff& m : d.messages)
    messages.push_back(J{{"rule", m.rule},
                         {"kind", m.kind == Message::Kind::Note ? "note" : "warning"},
                         {"before", runaway(m.before)},
                         {"after", runaway(m.after)}});
  return J{{"profile", ch.path},
           {"name", ch.name},
           {"runaway", J{{"old", runaway(d.old_runaway)}, {"new", runaway(d.new_runaway)}}},
           {"conclusions", conclusions},
           {"recommendations", recs},
           {"messages", messages}};
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

std::size_t DiffReport::unfinished() const {
  std::size_t n = 0;
  for (const auto& c : changes) n += c->diff.unfinished() ? 1 : 0;
  return n;
}

std::string render_diff_text(const DiffReport& r) {
  std::string out;
  if (!r.constants.empty()) {
    std::string head = "constants that changed:\n";
    for (const ConstantDiff& c : r.constants)
      head += "  " + c.name + ": " + (c.before ? *c.before : "(not defined)") + " -> " +
              (c.after ? *c.after : "(not defined)") + "\n";
    out += terminal_safe(head, Layout::Lines) + "\n";
  }
  std::string text;
  for (std::size_t i = 0; i < r.changes.size(); ++i) {
    if (i > 0) text += "\n";
    text += text_report(*r.changes[i]);
  }
  if (!r.changes.empty()) out += terminal_safe(text, Layout::Lines) + "\n";
  out += terminal_safe("old rules: " + joined(r.old_rules) + "; new rules: " + joined(r.new_rules) +
                           "; knowledge base: " + r.kb,
                       Layout::Lines) +
         "\n";
  out += std::to_string(r.changes.size()) + " of " + std::to_string(r.profiles) + " profile" +
         (r.profiles == 1 ? "" : "s") + " changed";
  if (std::size_t unfinished = r.unfinished(); unfinished > 0)
    out += "; " + std::to_string(unfinished) +
           " did not finish under one of the rule sets (the firing limit stopped it)";
  return out + "\n";
}

std::string render_diff_json(const DiffReport& r) {
  auto opt = [](const std::optional<std::string>& v) { return v ? J(*v) : J(nullptr); };
  J consts = J::array();
  for (const ConstantDiff& c : r.constants)
    consts.push_back(J{{"constant", c.name}, {"before", opt(c.before)}, {"after", opt(c.after)}});
  J list = J::array();
  for (const auto& c : r.changes) list.push_back(json_report(*c));
  J doc{{"rules", J{{"old", r.old_rules}, {"new", r.new_rules}, {"kb", r.kb}}},
        {"profiles", r.profiles},
        {"changed", r.changes.size()},
        {"unfinished", r.unfinished()},
        {"constants", consts},
        {"changes", list}};
  return json_terminal_safe(doc.dump(2, ' ', false, J::error_handler_t::replace)) + "\n";
}

}  // namespace advise
