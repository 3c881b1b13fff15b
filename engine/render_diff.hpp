// `advise diff` as text and as JSON (docs/testing.md): a walk over the
// differences diff_results found (engine/diff.hpp), with the rule responsible
// on each side and the tests that held when it fired (or, for a rule that did
// not act, the tests that failed). Text from files (names, paths, rule texts)
// goes through the one sanitizer (kb/sanitize.hpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "engine/diff.hpp"

namespace advise {

struct DiffReport {
  // As the report names them.
  std::vector<std::string> old_rules, new_rules;
  std::string kb;
  std::size_t profiles = 0;  // how many were compared
  std::vector<ConstantDiff> constants;
  // A profile whose advice changed: both evaluations and their difference.
  struct Change {
    std::string path;  // the profile's file, as shown
    std::string name;  // the profile's own name, may be empty
    Result before, after;
    ResultDiff diff;   // points into `before` and `after`
  };
  // The changed profiles in the order they were given; stable addresses (the
  // diffs point into the results).
  std::vector<std::unique_ptr<Change>> changes;
  std::size_t unfinished() const;
};

// The text report: the constants that changed, each changed profile, which
// rules were compared, and "N of M profiles changed".
std::string render_diff_text(const DiffReport& report);
// One JSON document, 2-space indent, ending in a newline.
std::string render_diff_json(const DiffReport& report);

}  // namespace advise
