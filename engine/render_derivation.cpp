#include "engine/render_derivation.hpp"

namespace advise {

std::string source_value(const Value& v, const RuleSet& rules) {
  if (v.is_missing()) return "missing";
  return to_source(v, rules.kb->enums);
}

std::string render_rule(const RuleRef& r) {
  std::string s = "rule `";
  s += r.name();
  s += "` (";
  s += r.where();
  if (!r.source().empty()) {
    s += ", ";
    s += r.source();
  }
  return s + ")";
}

std::string render_test(const TestRecord& t, const RuleSet& rules, bool with_truth) {
  std::string s;
  for (char c : t.text) s += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  // Collapse the runs of blanks a multi-line condition leaves.
  std::string collapsed;
  for (char c : s)
    if (!(c == ' ' && !collapsed.empty() && collapsed.back() == ' ')) collapsed += c;
  s = collapsed;
  if (with_truth) s += t.result == Truth::False ? " is false" : t.result == Truth::Unknown ? " is unknown" : " is true";
  if (!t.facts.empty()) {
    s += "  [";
    for (std::size_t i = 0; i < t.facts.size(); ++i) {
      if (i) s += ", ";
      s += t.facts[i].name;
      s += t.facts[i].value.is_missing() ? " is missing" : " = " + source_value(t.facts[i].value, rules);
    }
    s += "]";
  }
  return s;
}

bool mentions_rule(const Derivation& d, std::int32_t rule) {
  if (d.kind != Derivation::Kind::Derived) return false;
  if (d.rule.rule == rule) return true;
  for (const RuleRef& a : d.also)
    if (a.rule == rule) return true;
  for (const Derivation& p : d.premises)
    if (mentions_rule(p, rule)) return true;
  return false;
}

namespace {

void render_derivation_at(const Derivation& d, const RuleSet& rules, const std::string& label, int indent,
                          int depth, std::set<std::int32_t>& shown, std::vector<std::string>& out) {
  std::string pad(static_cast<std::size_t>(indent), ' ');
  switch (d.kind) {
    case Derivation::Kind::Missing:
      out.push_back(pad + label + " is missing: no rule set it");
      return;
    case Derivation::Kind::Given:
      out.push_back(pad + label + " = " + source_value(d.value, rules) + ", given in the profile");
      return;
    case Derivation::Kind::Derived: break;
  }
  std::string head = pad + label + " = " + source_value(d.value, rules) + " was set by " + render_rule(d.rule);
  if (!d.also.empty()) {
    head += ", also added to by ";
    for (std::size_t i = 0; i < d.also.size(); ++i) {
      head += i ? ", `" : "`";
      head += d.also[i].name();
      head += '`';
    }
  }
  if (!shown.insert(d.firing).second) {
    out.push_back(head + "; explained above");
    return;
  }
  if (d.tests.empty()) {
    out.push_back(head);
    return;
  }
  out.push_back(head + ", because");
  for (const TestRecord& t : d.tests) out.push_back(pad + "  " + render_test(t, rules, false));
  if (depth <= 1) return;
  for (const Derivation& p : d.premises) render_derivation_at(p, rules, p.name, indent + 2, depth - 1, shown, out);
}

}  // namespace

void render_derivation(const Derivation& d, const RuleSet& rules, const std::string& label, int indent, int max_depth,
                       std::vector<std::string>& out, std::set<std::int32_t>* shown) {
  std::set<std::int32_t> local;
  render_derivation_at(d, rules, label, indent, max_depth, shown ? *shown : local, out);
}

}  // namespace advise
