#include "cases/render.hpp"

#include "kb/sanitize.hpp"

namespace advise::cases {

std::string failure_text(const CaseResult& r, bool updating) {
  std::string out = "FAIL " + terminal_safe(r.where) + ": case \"" + terminal_safe(r.test->source->name) + "\"\n";
  for (const std::string& p : r.problems) out += "  " + r.where + ": " + p + "\n";
  for (const ExpectationFailure& f : r.failures) {
    if (updating && f.update) continue;
    out += "  " + f.where + ": " + f.expected + "\n";
    for (std::size_t i = 0; i < f.actual.size(); ++i) out += std::string(i ? "            " : "    actual: ") + f.actual[i] + "\n";
    for (const std::string& l : f.explanation) out += "    " + l + "\n";
    if (updating) out += "    (--update cannot write this outcome; edit the expectation by hand)\n";
  }
  return out;
}

std::string first_failure(const CaseResult& r) {
  if (!r.problems.empty()) return r.problems.front();
  const ExpectationFailure& f = r.failures.front();
  std::string m = f.where + ": " + f.expected;
  if (!f.actual.empty()) m += " (actual: " + f.actual.front() + ")";
  return m;
}

std::string updated_text(const ExpectationFailure& f) {
  return terminal_safe("UPDATED " + f.where + ": " + f.updated + "  (was: " + f.expected + ")");
}

}  // namespace advise::cases
