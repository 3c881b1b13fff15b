#include "cases/junit.hpp"

namespace advise::cases {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') out += "\xEF\xBF\xBD";
        else out += ch;
    }
  }
  return out;
}

std::string render_junit(const std::vector<JUnitSuite>& suites) {
  std::size_t tests = 0, failures = 0, assertions = 0;
  for (const JUnitSuite& s : suites)
    for (const JUnitCase& c : s.cases) {
      ++tests;
      failures += c.failed;
      assertions += c.assertions;
    }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"advise test\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
         std::to_string(failures) + "\" errors=\"0\" assertions=\"" + std::to_string(assertions) + "\">\n";
  for (const JUnitSuite& s : suites) {
    std::size_t f = 0, a = 0;
    for (const JUnitCase& c : s.cases) {
      f += c.failed;
      a += c.assertions;
    }
    out += "  <testsuite name=\"" + xml_escape(s.name) + "\" tests=\"" + std::to_string(s.cases.size()) +
           "\" failures=\"" + std::to_string(f) + "\" errors=\"0\" skipped=\"0\" assertions=\"" + std::to_string(a) +
           "\" file=\"" + xml_escape(s.name) + "\">\n";
    for (const JUnitCase& c : s.cases) {
      out += "    <testcase name=\"" + xml_escape(c.name) + "\" classname=\"" + xml_escape(c.classname) +
             "\" file=\"" + xml_escape(c.file) + "\" line=\"" + std::to_string(c.line) + "\" assertions=\"" +
             std::to_string(c.assertions) + "\"";
      if (!c.failed) {
        out += "/>\n";
        continue;
      }
      out += ">\n      <failure message=\"" + xml_escape(c.message) + "\" type=\"expectation\">" +
             xml_escape(c.text) + "</failure>\n    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace advise::cases
