// JUnit XML for CI systems (`advise test --junit FILE`): one <testsuite> per
// case file, one <testcase> per case, a <failure> per failing case holding
// the same text `advise test` prints. No timings, so the same run gives the
// same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace advise::cases {

struct JUnitCase {
  std::string name;       // the case's name
  std::string classname;  // the case file's stem: "personas"
  std::string file;       // the case file
  std::uint32_t line = 0; // the `case` line
  std::size_t assertions = 0;
  bool failed = false;
  std::string message;    // one line: the first failing expectation
  std::string text;       // the whole failure report
};

struct JUnitSuite {
  std::string name;  // the case file, as shown
  std::vector<JUnitCase> cases;
};

std::string render_junit(const std::vector<JUnitSuite>& suites);

// Escapes text for XML content and attribute values; characters XML 1.0
// cannot hold (control characters other than tab, newline and carriage
// return) become U+FFFD.
std::string xml_escape(std::string_view text);

}  // namespace advise::cases
