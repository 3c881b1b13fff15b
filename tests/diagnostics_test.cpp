// The registry of diagnostic kinds (dsl/diagnostic_kinds.def) against what
// users can see: every kind is produced by at least one golden test, every
// kind is documented in docs/language.md, and every golden message follows
// the wording rules of docs/language.md ("Diagnostics"): lowercase, no
// trailing period, sorted by position.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "dsl/diagnostics.hpp"
#include "dsl/parser.hpp"

using namespace advise;

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = ADVISE_SOURCE_DIR;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Every expected stdout and stderr of the golden tests, by path.
std::map<std::string, std::string> golden_outputs() {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(kRoot / "tests" / "golden")) {
    if (!e.is_regular_file()) continue;
    auto ext = e.path().extension();
    if (ext == ".out" || ext == ".err") out[e.path().lexically_relative(kRoot).string()] = slurp(e.path());
  }
  return out;
}

// Kinds whose input cannot sensibly be committed: produced by a unit test instead.
const std::map<std::string, std::string> kProducedElsewhere = {
    {"file-too-large", "tests/hostile_test.cpp generates a 50 MB file at test time"},
};

bool is_kind_name(std::string_view s) {
  // [a-z0-9]+(-[a-z0-9]+)*
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && s[i - 1] != '-');
    if (!ok) return false;
  }
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// One diagnostic line as users see it:
// `path:line:col: severity: message [kind]` or `path: severity: message [kind]`.
// (Parsed by hand: GCC 12's std::regex trips -Wmaybe-uninitialized under -O2.)
struct DiagLine {
  std::string path;
  std::optional<std::pair<int, int>> pos;
  std::string message, kind;
};

std::optional<DiagLine> parse_diag_line(const std::string& line) {
  if (line.empty() || line.back() != ']') return std::nullopt;
  std::size_t open = line.rfind(" [");
  if (open == std::string::npos) return std::nullopt;
  DiagLine d;
  d.kind = line.substr(open + 2, line.size() - open - 3);
  if (!is_kind_name(d.kind)) return std::nullopt;
  std::size_t sev = std::string::npos, sev_len = 0;
  for (std::string_view tag : {": error: ", ": warning: "}) {
    std::size_t at = line.find(tag);
    if (at != std::string::npos && at < sev) sev = at, sev_len = tag.size();
  }
  if (sev == std::string::npos || sev == 0 || sev + sev_len > open) return std::nullopt;
  d.message = line.substr(sev + sev_len, open - sev - sev_len);
  std::string prefix = line.substr(0, sev);
  for (char c : prefix)
    if (c == ' ' || c == '\t') return std::nullopt;
  // A trailing `:line:col` is the position.
  std::size_t c2 = prefix.rfind(':');
  std::size_t c1 = c2 == std::string::npos || c2 == 0 ? std::string::npos : prefix.rfind(':', c2 - 1);
  if (c1 != std::string::npos && c1 > 0 && all_digits(std::string_view(prefix).substr(c1 + 1, c2 - c1 - 1)) &&
      all_digits(std::string_view(prefix).substr(c2 + 1))) {
    d.pos = std::pair{std::stoi(prefix.substr(c1 + 1, c2 - c1 - 1)), std::stoi(prefix.substr(c2 + 1))};
    prefix.resize(c1);
  }
  d.path = prefix;
  return d;
}

}  // namespace

TEST_CASE("diagnostics: every kind is produced by a golden test", "[diagnostics]") {
  auto outputs = golden_outputs();
  REQUIRE_FALSE(outputs.empty());
  for (const DiagKindInfo& k : all_kinds()) {
    std::string tag = "[" + std::string(k.name) + "]";
    bool found = false;
    for (const auto& [path, text] : outputs) found = found || text.find(tag) != std::string::npos;
    INFO("kind " << k.name << ": add tests/golden/check/fail_" << k.name << ".rules and run tests/golden.sh --update");
    if (kProducedElsewhere.count(std::string(k.name))) {
      CHECK_FALSE(found);  // once a golden produces it, drop the exception
    } else {
      CHECK(found);
    }
  }
}

TEST_CASE("diagnostics: the exceptions are real kinds", "[diagnostics]") {
  for (const auto& [name, why] : kProducedElsewhere) {
    bool known = false;
    for (const DiagKindInfo& k : all_kinds()) known = known || k.name == name;
    INFO(name << " (" << why << ")");
    CHECK(known);
  }
}

TEST_CASE("diagnostics: docs/language.md lists every kind with what to do", "[diagnostics]") {
  std::string doc = slurp(kRoot / "docs" / "language.md");
  REQUIRE_FALSE(doc.empty());
  for (const DiagKindInfo& k : all_kinds()) {
    INFO("kind " << k.name);
    // The table row: `| `kind` | severity | what it means | the registry's help |`.
    std::string row = "| `" + std::string(k.name) + "` | " + std::string(severity_name(k.severity)) + " | ";
    std::size_t at = doc.find(row);
    REQUIRE(at != std::string::npos);
    std::string line = doc.substr(at, doc.find('\n', at) - at);
    CHECK(line.size() > k.help.size() + 4);
    CHECK(line.substr(line.size() - k.help.size() - 2) == std::string(k.help) + " |");
  }
}

TEST_CASE("diagnostics: the registry's names and help texts follow the wording rules", "[diagnostics]") {
  std::set<std::string_view> names;
  for (const DiagKindInfo& k : all_kinds()) {
    INFO("kind " << k.name);
    CHECK(names.insert(k.name).second);
    CHECK(is_kind_name(k.name));
    REQUIRE_FALSE(k.help.empty());
    CHECK_FALSE((k.help[0] >= 'A' && k.help[0] <= 'Z'));
    CHECK(k.help.back() != '.');
    // Notes accompany other messages; the one kind that is a note by itself
    // is the analysis' `shadowed`, shown only with `-v`.
    CHECK((k.severity != Severity::Note || k.name == "shadowed"));
  }
}

TEST_CASE("diagnostics: golden messages are lowercase, without a trailing period, and sorted", "[diagnostics]") {
  int seen = 0;
  for (const auto& [path, text] : golden_outputs()) {
    std::istringstream lines(text);
    std::string line;
    // Per file named in the output: the last position seen.
    std::map<std::string, std::pair<int, int>> last;
    while (std::getline(lines, line)) {
      std::optional<DiagLine> m = parse_diag_line(line);
      if (!m) continue;
      ++seen;
      INFO(path << ": " << line);
      const std::string& message = m->message;
      REQUIRE_FALSE(message.empty());
      CHECK_FALSE((message[0] >= 'A' && message[0] <= 'Z'));
      CHECK(message.back() != '.');
      bool known = false;
      for (const DiagKindInfo& k : all_kinds()) known = known || k.name == m->kind;
      CHECK(known);
      if (m->pos) {
        auto it = last.find(m->path);
        if (it != last.end()) CHECK(it->second <= *m->pos);
        last[m->path] = *m->pos;
      }
    }
  }
  CHECK(seen > 30);
}

TEST_CASE("diagnostics: one run reports every error of a file, sorted, recovering at the next rule",
          "[diagnostics]") {
  SourceManager sm;
  Diagnostics d;
  std::uint32_t id = sm.add("m.rules",
                            "rule a \"x\" source \"S\" when step2ck = 1 then set strategy = dual end\n"
                            "rule b \"x\" source \"S\" when then set strategy = dual end\n"
                            "if step2ck < 1 then sett strategy = dual\n"
                            "rule c \"x\" source \"S\" when step2ck < 1 then set strategy = dual\n");
  parse_source(sm, id, d);
  d.sort();
  CHECK(render_text(sm, d) ==
        "m.rules:1:36: error: `=` sets a value; to compare, write `==` or `is` [syntax-error]\n"
        "  rule a \"x\" source \"S\" when step2ck = 1 then set strategy = dual end\n"
        "                                     ^\n"
        "m.rules:2:28: error: expected a condition, found `then` [syntax-error]\n"
        "  rule b \"x\" source \"S\" when then set strategy = dual end\n"
        "                             ^~~~\n"
        "m.rules:3:21: error: expected an action: `set`, `add`, `recommend`, `note`, `warn`, `cite`, `create`, "
        "`change` or `remove`, found `sett`; did you mean `set`? [syntax-error]\n"
        "  if step2ck < 1 then sett strategy = dual\n"
        "                      ^~~~\n"
        "m.rules:4:64: error: `end` expected (to close `rule` at line 4), found the end of the file [unclosed-block]\n"
        "  rule c \"x\" source \"S\" when step2ck < 1 then set strategy = dual\n"
        "                                                                 ^\n");
}

TEST_CASE("diagnostics: JSON output carries the kind, the span and the help line", "[diagnostics]") {
  SourceManager sm;
  Diagnostics d;
  std::uint32_t id = sm.add("j.rules", "if step2ck = 1 then set strategy = dual\n");
  parse_source(sm, id, d);
  std::string json = render_json(sm, d);
  CHECK(json.find("\"kind\": \"syntax-error\"") != std::string::npos);
  CHECK(json.find("\"line\": 1") != std::string::npos);
  CHECK(json.find("\"column\": 12") != std::string::npos);
  CHECK(json.find("\"end_column\": 13") != std::string::npos);
  CHECK(json.find("\"help\": \"" + std::string(kind_info(DiagKind::SyntaxError).help) + "\"") != std::string::npos);
}
