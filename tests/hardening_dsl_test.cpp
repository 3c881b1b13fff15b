// Hardening of the rule language's loader and checker (issue 10): chains of
// definitions that once overflowed the stack, includes and case profiles that
// could read (and quote) any file, and the messages for characters outside
// ASCII and quotes inside placeholders. Run under ASan too: the deepest
// accepted chain must still check there.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <fstream>

#include "app/commands.hpp"
#include "cases/cases.hpp"
#include "dsl/checker.hpp"
#include "dsl/parser.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

namespace fs = std::filesystem;

struct Checked {
  Diagnostics diags;
  std::string text;  // as `advise check` prints it
  bool ok = false;
};

Checked check_text(const std::string& source, const std::string& name = "h.rules") {
  Checked c;
  auto sm = std::make_shared<SourceManager>();
  std::uint32_t id = sm->add(name, source);
  LoadedRules files;
  if (check_encoding(*sm, id, c.diags)) files.files.push_back(parse_source(*sm, id, c.diags));
  bool parse_errors = c.diags.has_errors();
  auto rs = check_rules(files, bundled_kb(), sm, c.diags);
  c.ok = rs && !parse_errors;
  c.text = render_text(*sm, c.diags);
  return c;
}

Checked check_paths(const std::vector<std::string>& paths) {
  Checked c;
  auto sm = std::make_shared<SourceManager>();
  auto rs = load_rule_set(paths, bundled_kb(), sm, c.diags);
  c.ok = rs.has_value();
  c.diags.sort();
  c.text = render_text(*sm, c.diags);
  return c;
}

std::vector<std::string> kinds(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const Diagnostic& x : d.all()) out.emplace_back(kind_info(x.kind).name);
  return out;
}

std::vector<std::string> errors(const std::string& rendered) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < rendered.size()) {
    std::size_t nl = rendered.find('\n', at);
    std::string line = rendered.substr(at, nl - at);
    if (line.find(": error: ") != std::string::npos) out.push_back(line);
    at = nl == std::string::npos ? rendered.size() : nl + 1;
  }
  return out;
}

const char* kRule = "rule r \"r\"\n  source \"Step 1.1\"\nwhen step2ck > top\nthen\n  set strategy = dual\nend\n";

// `const top = c{n}`, `const c{n} = c{n-1}`, ... `const c0 = 200`, written
// from the top down (each definition names one written after it), or upwards.
std::string const_chain(int n, bool top_down) {
  std::vector<std::string> lines;
  lines.push_back("const c0 = 200\n");
  for (int i = 1; i <= n; ++i) lines.push_back("const c" + std::to_string(i) + " = c" + std::to_string(i - 1) + "\n");
  lines.push_back("const top = c" + std::to_string(n) + "\n");
  std::string out;
  if (top_down) {
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) out += *it;
  } else {
    for (const std::string& l : lines) out += l;
  }
  return out + kRule;
}

}  // namespace

// ---------------------------------------------------------------- definitions

TEST_CASE("hardening: a chain of 4,000 definitions is refused, not a stack overflow", "[hardening]") {
  for (bool top_down : {true, false}) {
    INFO((top_down ? "top down" : "bottom up"));
    Checked c = check_text(const_chain(4000, top_down));
    CHECK_FALSE(c.ok);
    REQUIRE(kinds(c.diags) == std::vector<std::string>{"nesting-too-deep"});
    // The first definition too deep, whichever order they are written in:
    // c0 is 1 level, each use adds one, c256 is 257.
    std::vector<std::string> e = errors(c.text);
    REQUIRE(e.size() == 1);
    CHECK(e[0].substr(e[0].find(": error: ")) ==
          ": error: the definitions under `c256` nest more than 256 levels deep (each use of a definition adds "
          "one): `c256` uses `c255`, which uses `c254`, which uses `c253`, which uses ... (251 more), which uses "
          "`c1`, which uses `c0`; define some of them directly, not through the others [nesting-too-deep]");
  }
}

TEST_CASE("hardening: the longest accepted chain of definitions checks and runs", "[hardening]") {
  // c254 is 255 levels, `top` 256: the limit itself.
  for (bool top_down : {true, false}) {
    Checked c = check_text(const_chain(254, top_down));
    INFO(c.text);
    CHECK(c.ok);
  }
  CHECK_FALSE(check_text(const_chain(255, true)).ok);
}

// A level of a rule's matches is held in 16 bits (CExpr, CRule): past
// kMaxRuleLevels (1,000) `for each` and aggregates, the rule is refused at
// the one too many. The tests are grouped in parentheses, two by two, so that
// no chain reaches kMaxNesting first.
TEST_CASE("hardening: a rule matching more than 1,000 facts at once is refused", "[hardening]") {
  auto rule = [](int n) {
    std::function<std::string(int, int)> group = [&](int lo, int hi) -> std::string {
      if (hi - lo == 1) return "(the number of guest g" + std::to_string(lo) + ") >= 0";
      int mid = (lo + hi) / 2;
      return "(" + group(lo, mid) + " and " + group(mid, hi) + ")";
    };
    return "template guest \"A guest\"\n  name: symbol\nend\n"
           "rule many \"d\" source \"s\"\nwhen " + group(0, n) + "\nthen note \"x\"\nend\n";
  };
  Checked ok = check_text(rule(kMaxRuleLevels));
  INFO(ok.text);
  CHECK(ok.ok);
  Checked c = check_text(rule(kMaxRuleLevels + 1));
  CHECK_FALSE(c.ok);
  REQUIRE(kinds(c.diags) == std::vector<std::string>{"nesting-too-deep"});
  std::vector<std::string> e = errors(c.text);
  REQUIRE(e.size() == 1);
  // The 1,001st aggregate, `the number of guest g1000`.
  std::string text = rule(kMaxRuleLevels + 1);
  std::size_t at = text.find("the number of guest g1000)");
  std::size_t line_start = text.rfind('\n', at) + 1;
  CHECK(e[0] == "h.rules:5:" + std::to_string(at - line_start + 1) +
                    ": error: a rule matches at most 1000 facts at once (each `for each` and each count, sum, min, "
                    "max or average of facts adds one) [nesting-too-deep]");
}

TEST_CASE("hardening: aliases deep in expressions count their own depth too", "[hardening]") {
  // `a{i} = a{i-1} + 1`: each alias is two levels above the one it uses.
  std::string text = "alias a0 = step2ck\n";
  for (int i = 1; i <= 3000; ++i) text += "alias a" + std::to_string(i) + " = a" + std::to_string(i - 1) + " + 1\n";
  text += "if a3000 > 1 then set strategy = dual\n";
  Checked c = check_text(text);
  REQUIRE(kinds(c.diags) == std::vector<std::string>{"nesting-too-deep", "missing-source"});
  CHECK(errors(c.text)[0].rfind("h.rules:129:7: error: the definitions under `a128` nest more than 256 levels", 0) == 0);
}

TEST_CASE("hardening: a long cycle of definitions is reported once, its chain shortened", "[hardening]") {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "const d" + std::to_string(i) + " = d" + std::to_string((i + 1) % 5000) + "\n";
  text += "if step2ck > d0 then set strategy = dual\n";
  Checked c = check_text(text);
  std::vector<std::string> e = errors(c.text);
  REQUIRE(e.size() == 1);
  CHECK(e[0] ==
        "h.rules:1:7: error: `d0` is defined in terms of itself: `d0` uses `d1`, which uses `d2`, which uses `d3`, "
        "which uses ... (4995 more), which uses `d4999`, which uses `d0` [cyclic-definition]");
}

TEST_CASE("hardening: definitions that double at each step are refused before they fill the memory", "[hardening]") {
  std::string text = "alias a0 = step2ck\n";
  for (int i = 1; i <= 60; ++i)
    text += "alias a" + std::to_string(i) + " = a" + std::to_string(i - 1) + " + a" + std::to_string(i - 1) + "\n";
  text += "if a60 > 1 then set strategy = dual\n";
  Checked c = check_text(text);
  std::vector<std::string> e = errors(c.text);
  REQUIRE(e.size() == 1);
  CHECK(e[0].rfind("h.rules:13:7: error: `a12` grows to more than 10000 parts when the definitions it uses are "
                   "written out",
                   0) == 0);
}

// ---------------------------------------------------------------- includes

TEST_CASE("hardening: includes stay inside the rule set's folder", "[hardening]") {
  TempDir t;
  fs::create_directories(t.path / "set" / "sub");
  t.file("secret.txt", "top-secret-word and more\n");
  t.file("outside.rules", "const leaked = 1\n");
  std::string root = (t.path / "set").string();
  fs::create_symlink(t.path / "outside.rules", t.path / "set" / "link.rules");
  fs::create_symlink(t.path / "secret.txt", t.path / "set" / "secret_link.rules");
  t.file("set/notes.txt", "private notes\n");
  t.file("set/sub/ok.rules", "const fine = 1\n");
  t.file("set/main.rules",
         "include \"../outside.rules\"\n"
         "include \"" + (t.path / "secret.txt").string() + "\"\n"
         "include \"/proc/self/environ\"\n"
         "include \"link.rules\"\n"
         "include \"notes.txt\"\n"
         "include \"sub/../sub/ok.rules\"\n"
         "include \"\"\n"
         "if step2ck > fine then set strategy = dual\n");
  Checked c = check_paths({root + "/main.rules"});
  INFO(c.text);
  CHECK(c.text.find("top-secret") == std::string::npos);
  CHECK(c.text.find("private") == std::string::npos);
  CHECK(c.text.find("leaked") == std::string::npos);
  std::string shown = root;
  std::vector<std::string> e = errors(c.text);
  std::string outside = "it is outside the folder of the rule set (`" + root +
                        "`); only files inside that folder can be included [path-refused]";
  REQUIRE(e.size() == 6);
  CHECK(e[0] == root + "/main.rules:1:9: error: cannot include `../outside.rules`: " + outside);
  CHECK(e[1] == root + "/main.rules:2:9: error: cannot include `" + (t.path / "secret.txt").string() + "`: " + outside);
  CHECK(e[2] == root + "/main.rules:3:9: error: cannot include `/proc/self/environ`: " + outside);
  CHECK(e[3] == root + "/main.rules:4:9: error: cannot include `link.rules`: " + outside);
  CHECK(e[4] == root + "/main.rules:5:9: error: cannot include `notes.txt`: only `.rules` files can be included [path-refused]");
  CHECK(e[5] == root + "/main.rules:7:9: error: the path to include is empty; write the file to include between the "
                       "quotes, relative to this file [include-not-found]");

  // Given the folder: a link out of it is not read either.
  Checked dir = check_paths({root});
  INFO(dir.text);
  CHECK(dir.text.find("top-secret") == std::string::npos);
  CHECK(dir.text.find(root + "/link.rules: error: it is a link to a file outside the folder") != std::string::npos);
  CHECK(dir.text.find(root + "/secret_link.rules: error: it is a link to a file outside the folder") !=
        std::string::npos);
}

TEST_CASE("hardening: an include that is a pipe or a device is refused without reading it", "[hardening]") {
  TempDir t;
  REQUIRE(::mkfifo((t.path / "pipe.rules").c_str(), 0600) == 0);
  t.file("main.rules", "include \"pipe.rules\"\n");
  Checked c = check_paths({(t.path / "main.rules").string()});
  std::vector<std::string> e = errors(c.text);
  REQUIRE(e.size() == 1);
  CHECK(e[0].substr(e[0].find(": error: ")) ==
        ": error: cannot include `pipe.rules`: it is not a regular file (a device, a pipe or a socket) [path-refused]");

  Checked dev = check_paths({"/dev/zero"});
  CHECK(dev.text ==
        "/dev/zero: error: it is not a regular file (a device, a pipe or a socket); give a `.rules` file or a "
        "directory of them [not-a-file]\n");
}

TEST_CASE("hardening: a file given that is not a .rules file is never quoted", "[hardening]") {
  TempDir t;
  std::string path = t.file("passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/bin/sh\nrule r when x\n");
  Checked c = check_paths({path});
  CHECK(c.text == path +
                      ":1:1: error: expected `rule`, `if`, `include`, `group`, `const`, `alias`, `template` or `strategy`, found `root` "
                      "[syntax-error]\n"
                      "  note: the file is not a `.rules` file: only its first problem is shown, and none of its "
                      "text\n");
}

// ---------------------------------------------------------------- characters

TEST_CASE("hardening: characters outside ASCII are shown whole and explained", "[hardening]") {
  // A byte-order mark opening the file is skipped.
  CHECK(check_text("\xEF\xBB\xBF" "if step2ck > 1 then set strategy = dual\n").diags.error_count() == 0);
  auto first = [](const std::string& text) { return errors(check_text(text).text).at(0); };
  CHECK(first("const x\xC2\xA0= 1\n") ==
        "h.rules:1:8: error: expected `=`, found U+00A0 (a no-break space); replace it with a plain space "
        "(outside texts and comments, rules are ASCII) [syntax-error]");
  CHECK(first("const caf\xC3\xA9 = 1\n") ==
        "h.rules:1:10: error: expected `=`, found `\xC3\xA9` (U+00E9); names are made of ASCII letters, digits "
        "and `_`; other characters may appear only inside texts and comments [syntax-error]");
  CHECK(first("const x = 1\n\xEF\xBB\xBF" "const y = 2\n") ==
        "h.rules:2:1: error: expected `rule`, `if`, `include`, `group`, `const`, `alias`, `template` or `strategy`, found U+FEFF (a "
        "byte-order mark); a byte-order mark is allowed only as the file's first character: delete this one "
        "[syntax-error]");
  CHECK(first("const y = \xE2\x80\x9Cx\xE2\x80\x9D\n") ==
        "h.rules:1:11: error: expected a value, found `\xE2\x80\x9C` (U+201C); write texts between straight double "
        "quotes `\"` [syntax-error]");
  // A direction override is named, never printed.
  CHECK(first("const x = \xE2\x80\xAE" "1\n") ==
        "h.rules:1:11: error: expected a value, found U+202E (an invisible or control character); names are made "
        "of ASCII letters, digits and `_`; other characters may appear only inside texts and comments "
        "[syntax-error]");
}

TEST_CASE("hardening: a quote inside a placeholder says so", "[hardening]") {
  Checked c = check_text(
      "const label = \"a\"\n"
      "if step2ck > 1 then note \"x {label} and {profile[\\\"a\\\"]} and {label}\"\n");
  std::vector<std::string> e = errors(c.text);
  REQUIRE(e.size() == 1);
  CHECK(e[0] ==
        "h.rules:2:50: error: a placeholder cannot hold a quote `\\\"`: texts inside `{}` are not supported; define "
        "the text with `const NAME = \"...\"` and write `{NAME}` [bad-placeholder]");
}

// ---------------------------------------------------------------- case files

TEST_CASE("hardening: case profiles are read only beside the case file or in the data directory", "[hardening]") {
  TempDir t;
  fs::create_directories(t.path / "cases" / "profiles");
  t.file("secret.json", "top-secret-word\n");
  t.file("cases/profiles/ok.json", R"({"target_specialty": "dermatology", "step2ck": 240})");
  t.file("cases/notes.txt", "private-word\n");
  fs::create_symlink(t.path / "secret.json", t.path / "cases" / "link.json");
  auto sm = std::make_shared<SourceManager>();
  Diagnostics d;
  auto rs = load_rule_set({t.file("r.rules", "if step2ck > 1 then set strategy = dual\n")}, bundled_kb(), sm, d);
  REQUIRE(rs);
  auto rules = std::make_shared<const RuleSet>(std::move(*rs));
  std::string cases = t.file("cases/t.cases",
                             "case \"a\"\n  profile \"../secret.json\"\nend\n"
                             "case \"b\"\n  profile \"link.json\"\nend\n"
                             "case \"c\"\n  profile \"notes.txt\"\nend\n"
                             "case \"d\"\n  profile \"/etc/passwd\"\nend\n"
                             "case \"e\"\n  profile \"profiles/ok.json\"\n  expect strategy == dual\nend\n");
  Diagnostics cd;
  auto suite = cases::load_suite({cases}, rules, *sm, cd, cli::suite_env());
  std::string text = render_text(*sm, cd);
  INFO(text);
  CHECK_FALSE(suite);
  CHECK(text.find("top-secret") == std::string::npos);
  CHECK(text.find("private-word") == std::string::npos);
  CHECK(text.find("root") == std::string::npos);
  std::vector<std::string> e = errors(text);
  REQUIRE(e.size() == 4);
  std::string outside =
      "it is outside the case file's folder, its project and the Advise data directory; profiles are read only from there "
      "[path-refused]";
  CHECK(e[0] == cases + ":2:11: error: cannot read the profile `../secret.json`: " + outside);
  CHECK(e[1] == cases + ":5:11: error: cannot read the profile `link.json`: " + outside);
  CHECK(e[2] == cases + ":8:11: error: cannot read the profile `notes.txt`: a profile is a `.json` file [path-refused]");
  CHECK(e[3] == cases + ":11:11: error: cannot read the profile `/etc/passwd`: " + outside);
}

TEST_CASE("hardening: inline case profiles over a limit have their own kind", "[hardening]") {
  auto sm = std::make_shared<SourceManager>();
  Diagnostics d;
  std::uint32_t rid = sm->add("t.rules", "if step2ck > 1 then set strategy = dual\n");
  LoadedRules files;
  files.files.push_back(parse_source(*sm, rid, d));
  auto rs = check_rules(files, bundled_kb(), sm, d);
  REQUIRE(rs);
  auto rules = std::make_shared<const RuleSet>(std::move(*rs));
  std::string deep = "{\"step2ck\": 240, \"x\": " + std::string(70, '[') + std::string(70, ']') + "}";
  std::uint32_t id = sm->add("t.cases", "case \"deep\"\n  profile " + deep + "\nend\n");
  Diagnostics cd;
  CHECK_FALSE(cases::load_suite_from_buffers({id}, rules, *sm, cd));
  REQUIRE(kinds(cd) == std::vector<std::string>{"profile-too-large"});
  CHECK(cd.all()[0].message.find("nest deeper than 64 levels") != std::string::npos);
}
