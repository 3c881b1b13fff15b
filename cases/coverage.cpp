#include "cases/coverage.hpp"

#include <nlohmann/json.hpp>

#include "kb/sanitize.hpp"

namespace advise::cases {

namespace {

// The tests of a condition: every node that is not `and`, `or` or `not`.
void leaves(const CExpr& e, std::vector<const CExpr*>& out) {
  if (e.op == Op::And || e.op == Op::Or || e.op == Op::Not) {
    for (const CExpr& k : e.kids) leaves(k, out);
    return;
  }
  out.push_back(&e);
}

std::string one_line(std::string_view t) {
  std::string s;
  for (char c : t) {
    char d = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    if (d == ' ' && !s.empty() && s.back() == ' ') continue;
    s += d;
  }
  return s;
}

void see(TestCoverage& t, const Value& v) {
  if (v.kind != Value::Kind::Bool) t.seen_unknown = true;
  else if (v.flag) t.seen_true = true;
  else t.seen_false = true;
}

}  // namespace

Coverage::Coverage(std::shared_ptr<const RuleSet> rules) : rules_(std::move(rules)) {
  for (const CRule& r : rules_->rules) {
    RuleCoverage rc;
    rc.rule = r.index;
    std::vector<const CExpr*> ls;
    leaves(r.condition, ls);
    for (const CExpr* l : ls) {
      rc.tests.push_back(tests_.size());
      tests_.push_back({r.index, l, one_line(rules_->expr_text(l->loc)), rules_->where(l->loc), false, false, false});
    }
    per_rule_.push_back(std::move(rc));
  }
}

void Coverage::add(const Result& r) {
  ++cases_;
  const KnowledgeBase& kb = *rules_->kb;
  FinalView final_view(r);
  for (RuleCoverage& rc : per_rule_) {
    if (r.fired(rc.rule)) ++rc.cases;
    for (std::size_t t : rc.tests) see(tests_[t], evaluate_expr(*tests_[t].test, final_view, kb));
  }
  for (const Firing& f : r.firings) {
    SnapshotView view(r, f);
    for (std::size_t t : per_rule_[static_cast<std::size_t>(f.rule)].tests)
      see(tests_[t], evaluate_expr(*tests_[t].test, view, kb));
  }
}

std::size_t Coverage::rules_fired() const {
  std::size_t n = 0;
  for (const RuleCoverage& r : per_rule_) n += r.cases > 0;
  return n;
}

std::size_t Coverage::tests_both() const {
  std::size_t n = 0;
  for (const TestCoverage& t : tests_) n += t.both();
  return n;
}

bool Coverage::below(double percent) const {
  if (per_rule_.empty()) return false;
  return static_cast<double>(rules_fired()) * 100.0 < percent * static_cast<double>(per_rule_.size());
}

std::string format_percent(std::size_t part, std::size_t whole) {
  if (whole == 0) return "100.0";
  std::size_t tenths = part * 1000 / whole;  // rounded down
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

namespace {

double percent_value(std::size_t part, std::size_t whole) {
  if (whole == 0) return 100.0;
  return static_cast<double>(part * 1000 / whole) / 10.0;
}

std::string missing_ways(const TestCoverage& t) {
  if (!t.seen_true && !t.seen_false) return "never true or false (always unknown: it reads facts no case had)";
  if (!t.seen_true) return "never true";
  return "never false";
}

}  // namespace

std::string coverage_text(const Coverage& c) {
  const RuleSet& rules = c.rule_set();
  std::string out;
  std::size_t total = c.rules().size(), fired = c.rules_fired();
  out += "coverage: " + std::to_string(fired) + " of " + std::to_string(total) + " rules fired (" +
         format_percent(fired, total) + "%) in " + std::to_string(c.cases()) + " case" + (c.cases() == 1 ? "" : "s") +
         "\n";
  if (fired < total) {
    out += "rules no case fired:\n";
    for (const RuleCoverage& r : c.rules()) {
      if (r.cases > 0) continue;
      const CRule& cr = rules.rules[static_cast<std::size_t>(r.rule)];
      out += "  " + rules.where(cr.loc) + ": " + std::string(cr.name()) + "\n";
    }
  }
  std::size_t tests = c.tests().size(), both = c.tests_both();
  out += "conditions: " + std::to_string(both) + " of " + std::to_string(tests) +
         " tests seen both true and false (" + format_percent(both, tests) + "%)\n";
  if (both < tests) {
    out += "tests not seen both ways:\n";
    for (const TestCoverage& t : c.tests()) {
      if (t.both()) continue;
      out += "  " + t.where + ": `" + t.text + "` in " + std::string(rules.rules[static_cast<std::size_t>(t.rule)].name()) + ": " +
             missing_ways(t) + "\n";
    }
  }
  return out;
}

std::string coverage_json(const Coverage& c, std::size_t passed, std::size_t failed) {
  const RuleSet& rules = c.rule_set();
  using J = nlohmann::ordered_json;
  J j = J::object();
  j["cases"] = J{{"total", c.cases()}, {"passed", passed}, {"failed", failed}};
  std::size_t total = c.rules().size(), fired = c.rules_fired();
  J not_fired = J::array(), each = J::array();
  for (const RuleCoverage& r : c.rules()) {
    const CRule& cr = rules.rules[static_cast<std::size_t>(r.rule)];
    if (r.cases == 0) not_fired.push_back(cr.name());
    each.push_back(J{{"rule", std::string(cr.name())}, {"where", rules.where(cr.loc)}, {"cases", r.cases}});
  }
  j["rules"] = J{{"total", total},
                 {"fired", fired},
                 {"percent", percent_value(fired, total)},
                 {"not_fired", not_fired},
                 {"each", each}};
  std::size_t tests = c.tests().size(), both = c.tests_both();
  J tests_each = J::array();
  for (const TestCoverage& t : c.tests()) {
    tests_each.push_back(J{{"rule", std::string(rules.rules[static_cast<std::size_t>(t.rule)].name())},
                           {"where", t.where},
                           {"test", t.text},
                           {"seen_true", t.seen_true},
                           {"seen_false", t.seen_false},
                           {"seen_unknown", t.seen_unknown}});
  }
  j["conditions"] = J{{"total", tests},
                      {"both_ways", both},
                      {"percent", percent_value(both, tests)},
                      {"each", tests_each}};
  // Names come from files: ill-formed UTF-8 becomes U+FFFD, and controls are
  // \u escapes, like every JSON Advise writes (docs/cli.md).
  return json_terminal_safe(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) + "\n";
}

}  // namespace advise::cases
