// Hostile input: whatever bytes arrive, `advise check` answers with a clean
// diagnostic - never a crash, a stack overflow, a hang or a silent default.
// Run under the ASan+UBSan build too (-DADVISE_SANITIZE=ON), whose stack
// frames are larger: the deepest accepted expression must still check.
//
// The file-too-large diagnostic is produced here (a 50 MB file generated in a
// temporary directory) rather than by a committed golden file;
// tests/diagnostics_test.cpp knows this exception.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "dsl/checker.hpp"
#include "dsl/parser.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

namespace fs = std::filesystem;

// What `advise check` does with one buffer: encoding, parse, check.
struct Checked {
  Diagnostics diags;
  std::string text;  // rendered as `advise check` prints it
  std::optional<RuleSet> rules;
};

Checked check_text(const std::string& source, const std::string& name = "h.rules") {
  Checked c;
  auto sm = std::make_shared<SourceManager>();
  std::uint32_t id = sm->add(name, source);
  LoadedRules files;
  if (check_encoding(*sm, id, c.diags)) files.files.push_back(parse_source(*sm, id, c.diags));
  bool parse_errors = c.diags.has_errors();
  c.rules = check_rules(files, bundled_kb(), sm, c.diags);
  if (parse_errors) c.rules.reset();
  c.diags.sort();
  c.text = render_text(*sm, c.diags);
  return c;
}

std::vector<std::string> kinds(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const Diagnostic& x : d.all()) out.emplace_back(kind_info(x.kind).name);
  return out;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

const std::string kTooDeep = "levels deep";

}  // namespace

// ---------------------------------------------------------------- nesting

TEST_CASE("hostile: 10,000 nested parentheses", "[hostile]") {
  auto c = check_text("if " + std::string(10000, '(') + "step2ck" + std::string(10000, ')') +
                      " < 250 then set strategy = dual\n");
  REQUIRE(kinds(c.diags) == std::vector<std::string>{"nesting-too-deep"});
  // The 257th parenthesis is the first that is too many: column 3 + 256 + 1.
  CHECK(first_line(c.text) ==
        "h.rules:1:260: error: the expression nests more than 256 levels deep [nesting-too-deep]");
  CHECK_FALSE(c.rules);
}

TEST_CASE("hostile: 10,000 nested `not`", "[hostile]") {
  auto c = check_text("if " + repeat("not ", 10000) + "step2ck < 250 then set strategy = dual\n");
  REQUIRE(kinds(c.diags) == std::vector<std::string>{"nesting-too-deep"});
  CHECK(c.text.find(kTooDeep) != std::string::npos);
}

TEST_CASE("hostile: 10,000 nested lists and groups", "[hostile]") {
  auto lists = check_text("if step2ck in " + std::string(10000, '[') + "1" + std::string(10000, ']') +
                          " then set strategy = dual\n");
  CHECK(kinds(lists.diags) == std::vector<std::string>{"nesting-too-deep"});
  auto groups = check_text("group g = " + std::string(10000, '{') + "ms1" + std::string(10000, '}') + "\n");
  CHECK(kinds(groups.diags) == std::vector<std::string>{"nesting-too-deep"});
  auto calls = check_text("if " + repeat("min(", 10000) + "nbme_practice" + std::string(10000, ')') +
                          " < 250 then set strategy = dual\n");
  CHECK(kinds(calls.diags) == std::vector<std::string>{"nesting-too-deep"});
}

TEST_CASE("hostile: 10,000 unary minus signs", "[hostile]") {
  auto c = check_text("if step2ck > " + std::string(10000, '-') + "1 then set strategy = dual\n");
  CHECK(kinds(c.diags) == std::vector<std::string>{"nesting-too-deep"});
}

TEST_CASE("hostile: long chains of operators stop at the depth limit", "[hostile]") {
  // Chains need no brackets, but build trees as deep as they are long.
  std::vector<std::string> terms(100000, "step2ck > 1");
  std::string ands;
  for (std::size_t i = 0; i < terms.size(); ++i) ands += (i ? " and " : "") + terms[i];
  auto a = check_text("if " + ands + " then set strategy = dual\n");
  REQUIRE(kinds(a.diags) == std::vector<std::string>{"nesting-too-deep"});
  // A comparison is 2 levels high, each `and` adds one: the 255th `and`
  // (before the 256th term, 16 bytes a term) makes the tree 257 high.
  CHECK(first_line(a.text) ==
        "h.rules:1:" + std::to_string(4 + 255 * 16) +
            ": error: the expression is more than 256 levels deep (each `and`, `or`, `not`, comparison, "
            "arithmetic sign and `.` in a chain adds one) [nesting-too-deep]");

  auto plus = check_text("if step2ck > 1" + repeat(" + 1", 100000) + " then set strategy = dual\n");
  CHECK(kinds(plus.diags) == std::vector<std::string>{"nesting-too-deep"});
  auto ors = check_text("if step2ck > 1" + repeat(" or step2ck > 1", 100000) + " then set strategy = dual\n");
  CHECK(kinds(ors.diags) == std::vector<std::string>{"nesting-too-deep"});
  auto members = check_text("if target_specialty" + repeat(".name", 10000) + " is present then set strategy = dual\n");
  CHECK(kinds(members.diags) == std::vector<std::string>{"nesting-too-deep"});
  auto index = check_text("if applications" + repeat("[dermatology]", 10000) + " is present then set strategy = dual\n");
  CHECK(kinds(index.diags) == std::vector<std::string>{"nesting-too-deep"});
}

TEST_CASE("hostile: the deepest accepted expressions parse and check", "[hostile]") {
  // Just inside the limit, the checker's recursion must not overflow either
  // (ASan builds have the largest frames).
  std::string nots = repeat("not ", 254) + "step2ck > 1";
  auto n = check_text("rule deep \"d\" source \"Step 1.1\" when " + nots + " then set strategy = dual end\n");
  INFO(n.text);
  CHECK(n.diags.all().empty());
  CHECK(n.rules);

  std::string ands = "step2ck > 1" + repeat(" and step2ck > 1", 254);
  auto a = check_text("rule deep \"d\" source \"Step 1.1\" when " + ands + " then set strategy = dual end\n");
  INFO(a.text);
  CHECK(a.diags.all().empty());
  CHECK(a.rules);

  std::string parens = std::string(255, '(') + "step2ck > 1" + std::string(255, ')');
  auto p = check_text("rule deep \"d\" source \"Step 1.1\" when " + parens + " then set strategy = dual end\n");
  INFO(p.text);
  CHECK(p.diags.all().empty());
}

TEST_CASE("hostile: a file of 100,000 closing parentheses", "[hostile]") {
  auto c = check_text(std::string(100000, ')') + "\n");
  REQUIRE(kinds(c.diags) == std::vector<std::string>{"syntax-error"});
  CHECK(first_line(c.text) ==
        "h.rules:1:1: error: expected `rule`, `if`, `include`, `group`, `const`, `alias`, `template` or `strategy`, found `)` "
        "[syntax-error]");
}

// ---------------------------------------------------------------- size

TEST_CASE("hostile: a 50 MB file is file-too-large, found without reading it", "[hostile]") {
  TempDir dir;
  fs::path big = dir.path / "big.rules";
  {
    // Valid rules, repeated: only the size is wrong.
    std::ofstream f(big, std::ios::binary);
    std::string chunk = repeat("if step2ck < 250 then set strategy = dual\n", 1000);
    while (static_cast<std::size_t>(f.tellp()) < 50u * 1000u * 1000u) f << chunk;
  }
  auto size = fs::file_size(big);
  REQUIRE(size > kMaxSourceBytes);
  auto sm = std::make_shared<SourceManager>();
  Diagnostics d;
  auto rs = load_rule_set({big.string()}, bundled_kb(), sm, d);
  CHECK_FALSE(rs);
  CHECK(sm->size() == 0);  // never read into a buffer
  REQUIRE(kinds(d) == std::vector<std::string>{"file-too-large"});
  REQUIRE(size == 50022000);
  CHECK(render_text(*sm, d) == big.string() +
                                   ": error: the file is 50,022,000 bytes; a rule file may be at most 16 MiB "
                                   "(16,777,216 bytes) [file-too-large]\n");
}

TEST_CASE("hostile: a sparse 50 MB file of NUL bytes is file-too-large, not read", "[hostile]") {
  // Had the loader read it, the first NUL would be an invalid-utf8 error.
  TempDir dir;
  fs::path big = dir.path / "sparse.rules";
  { std::ofstream f(big, std::ios::binary); }
  fs::resize_file(big, 50u * 1024u * 1024u);
  auto sm = std::make_shared<SourceManager>();
  Diagnostics d;
  load_rule_set({big.string()}, bundled_kb(), sm, d);
  CHECK(kinds(d) == std::vector<std::string>{"file-too-large"});
}

TEST_CASE("hostile: an included file over the limit is reported at the include", "[hostile]") {
  TempDir dir;
  { std::ofstream(dir.path / "main.rules") << "include \"big.rules\"\n"; }
  { std::ofstream f(dir.path / "big.rules", std::ios::binary); }
  fs::resize_file(dir.path / "big.rules", kMaxSourceBytes + 1);
  auto sm = std::make_shared<SourceManager>();
  Diagnostics d;
  load_rule_set({(dir.path / "main.rules").string()}, bundled_kb(), sm, d);
  d.sort();
  REQUIRE(kinds(d) == std::vector<std::string>{"file-too-large"});
  CHECK(first_line(render_text(*sm, d)) ==
        (dir.path / "main.rules").string() +
            ":1:9: error: `big.rules` is 16,777,217 bytes; a rule file may be at most 16 MiB (16,777,216 bytes) "
            "[file-too-large]");
}

TEST_CASE("hostile: a buffer over 16 MiB in memory is file-too-large", "[hostile]") {
  // Buffers that do not come from disk (standard input for `advise fmt -`).
  auto c = check_text(std::string(kMaxSourceBytes + 1, ' '));
  CHECK(kinds(c.diags) == std::vector<std::string>{"file-too-large"});
  CHECK(c.text ==
        "h.rules: error: the file is 16,777,217 bytes; a rule file may be at most 16 MiB (16,777,216 bytes) "
        "[file-too-large]\n");
}

TEST_CASE("hostile: a file of exactly 16 MiB is read", "[hostile]") {
  std::string line = "# " + std::string(61, 'x') + "\n";  // 64 bytes
  std::string text = repeat(line, kMaxSourceBytes / line.size());
  REQUIRE(text.size() == kMaxSourceBytes);
  auto c = check_text(text);
  CHECK(kinds(c.diags) == std::vector<std::string>{"empty-file"});
  CHECK(c.text == "h.rules: warning: the file holds only comments, no rules [empty-file]\n");
}

// ---------------------------------------------------------------- encoding

TEST_CASE("hostile: binary data is invalid-utf8 at its first bad byte", "[hostile]") {
  std::string bin;
  std::mt19937 rng(42);
  for (int i = 0; i < 4096; ++i) bin += static_cast<char>(rng() & 0xFF);
  auto c = check_text(bin);
  REQUIRE(kinds(c.diags) == std::vector<std::string>{"invalid-utf8"});
  CHECK_FALSE(c.rules);
}

TEST_CASE("hostile: NUL bytes and each kind of invalid UTF-8", "[hostile]") {
  struct Case {
    std::string text, first_line;
  };
  const Case cases[] = {
      {std::string("rule a\0b\n", 9),
       "h.rules:1:7: error: the file contains a NUL byte; it looks like a binary file, not rules [invalid-utf8]"},
      {"note \"\xff\"\n",
       "h.rules:1:7: error: the file is not valid UTF-8 text: byte 0xff cannot start a character; the file may have been saved as Latin-1 or Windows-1252 [invalid-utf8]"},
      {"# lone continuation \x80\n",
       "h.rules:1:21: error: the file is not valid UTF-8 text: byte 0x80 cannot start a character; the file may have been saved as Latin-1 or Windows-1252 [invalid-utf8]"},
      {"# overlong \xc0\x80\n",
       "h.rules:1:12: error: the file is not valid UTF-8 text (an invalid character encoding) [invalid-utf8]"},
      {"# surrogate \xed\xa0\x80\n",
       "h.rules:1:13: error: the file is not valid UTF-8 text (an invalid character encoding) [invalid-utf8]"},
      {"# beyond U+10FFFF \xf4\x90\x80\x80\n",
       "h.rules:1:19: error: the file is not valid UTF-8 text (an invalid character encoding) [invalid-utf8]"},
      {"# broken \xe2\x80x\n",
       "h.rules:1:10: error: the file is not valid UTF-8 text: byte 0xe2 does not start a complete character; the file may have been saved as Latin-1 or Windows-1252 [invalid-utf8]"},
      {"# cut at the end \xe2\x80",
       "h.rules:1:18: error: the file ends in the middle of a UTF-8 character [invalid-utf8]"},
  };
  for (const Case& k : cases) {
    auto c = check_text(k.text);
    INFO(c.text);
    CHECK(kinds(c.diags) == std::vector<std::string>{"invalid-utf8"});
    CHECK(first_line(c.text) == k.first_line);
    // advise's own output stays valid text: the bad byte is shown as `?`.
    CHECK(c.text.find('\xff') == std::string::npos);
    CHECK(c.text.find('\0') == std::string::npos);
  }
}

TEST_CASE("hostile: valid UTF-8 is accepted and underlined by character", "[hostile]") {
  auto c = check_text("rule r \"caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d\" source \"Step 1.1\" when step2k < 1 then "
                      "set strategy = dual end\n");
  CHECK(c.text ==
        "h.rules:1:52: error: unknown name `step2k`; did you mean `step2ck`? [unknown-name]\n"
        "  rule r \"caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d\" source \"Step 1.1\" when step2k < 1 then set "
        "strategy = dual end\n"
        "  " + std::string(46, ' ') + "^~~~~~\n");  // 46 characters, 51 bytes, before `step2k`
}

// ---------------------------------------------------------------- empty input

TEST_CASE("hostile: empty, blank and comment-only files", "[hostile]") {
  auto empty = check_text("");
  CHECK(empty.text == "h.rules: warning: the file is empty [empty-file]\n");
  CHECK_FALSE(empty.diags.has_errors());
  CHECK(empty.rules);

  auto blank = check_text(" \n\t\r\n\n   ");
  CHECK(blank.text == "h.rules: warning: the file holds only blank space, no rules [empty-file]\n");

  auto comments = check_text("# Step 3\n\n   # to do\r\n#");
  CHECK(comments.text == "h.rules: warning: the file holds only comments, no rules [empty-file]\n");
}

// ---------------------------------------------------------------- lines

TEST_CASE("hostile: a very long line shows a window around the caret", "[hostile]") {
  std::string text = "if step2ck > 1 then note \"" + std::string(1000000, 'x') + "\" note \"{step2k}\"\n";
  auto c = check_text(text);
  REQUIRE(kinds(c.diags) == std::vector<std::string>{"missing-source", "unknown-name"});
  std::size_t at = c.text.find("h.rules:1:1000");
  REQUIRE(at != std::string::npos);
  std::string text_of_error = c.text.substr(at);
  CHECK(first_line(text_of_error) ==
        "h.rules:1:1000036: error: unknown name `step2k`; did you mean `step2ck`? [unknown-name]");
  // The snippet: at most 200 bytes of the line, the caret under `step2k`.
  const std::string& t = text_of_error;
  std::size_t a = t.find('\n') + 1, b = t.find('\n', a), e = t.find('\n', b + 1);
  std::string shown = t.substr(a, b - a), caret = t.substr(b + 1, e - b - 1);
  CHECK(shown.size() <= 202);
  CHECK(shown.substr(caret.find('^'), 6) == "step2k");
  CHECK(caret.substr(caret.find('^')) == "^~~~~~");
}

TEST_CASE("hostile: CRLF line endings keep positions and snippets right", "[hostile]") {
  auto c = check_text("# CRLF\r\nrule r \"d\"\r\n  source \"Step 1.1\"\r\nwhen step2k < 250\r\nthen\r\n"
                      "  note \"open\r\nend\r\n");
  CHECK(c.text ==
        "h.rules:6:8: error: this text has no closing `\"` on its line [unterminated-string]\n"
        "    note \"open\n"
        "         ^~~~~\n");
  auto d = check_text("rule r \"d\"\r\n  source \"Step 1.1\"\r\nwhen step2k < 250\r\nthen\r\n  set strategy = dual\r\nend\r\n");
  CHECK(d.text ==
        "h.rules:3:6: error: unknown name `step2k`; did you mean `step2ck`? [unknown-name]\n"
        "  when step2k < 250\n"
        "       ^~~~~~\n");
  // An old-Mac file (CR only) is one long line, but never a crash.
  auto cr = check_text("rule r \"d\"\r  source \"Step 1.1\"\rwhen step2ck < 250\rthen\r  set strategy = dual\rend\r");
  CHECK(cr.rules);
}

TEST_CASE("hostile: an unterminated string at the end of the file", "[hostile]") {
  auto c = check_text("if step2ck < 250 then note \"never closed");
  CHECK(c.text ==
        "h.rules:1:28: error: this text has no closing `\"` on its line [unterminated-string]\n"
        "  if step2ck < 250 then note \"never closed\n"
        "                             ^~~~~~~~~~~~~\n");
  auto escape = check_text("if step2ck < 250 then note \"ends in a backslash\\");
  CHECK(kinds(escape.diags) == std::vector<std::string>{"syntax-error"});
}

TEST_CASE("hostile: a rule cut off at the end of the file points after its last line", "[hostile]") {
  auto c = check_text("rule r \"d\"\n  source \"Step 1.1\"\nwhen step2ck < 250\nthen\n  set strategy = dual\n\n# a comment\n\n");
  CHECK(c.text ==
        "h.rules:5:22: error: `end` expected (to close `rule` at line 1), found the end of the file [unclosed-block]\n"
        "    set strategy = dual\n"
        "                       ^\n");
  for (const char* cut : {"rule", "rule r", "rule r \"d\" source", "rule r when", "rule r when step2ck",
                          "rule r when step2ck <", "if", "if step2ck < 1 then", "include", "group g =", "const",
                          "if step2ck in [1,", "if step2ck in {1", "if (step2ck", "if step2ck between 1"}) {
    auto k = check_text(cut);
    INFO(cut);
    INFO(k.text);
    CHECK(k.diags.has_errors());
    CHECK(k.text.find("the end of the file") != std::string::npos);
  }
}

TEST_CASE("hostile: random printable garbage never crashes and always explains itself", "[hostile]") {
  std::mt19937 rng(7);
  const std::string alphabet = "()[]{}<>=!.,:\"#\\+-*/ \n\tabcdeifnotruleswhthenandor0123456789_";
  for (int round = 0; round < 300; ++round) {
    std::string text;
    std::size_t n = rng() % 300;
    for (std::size_t i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
    auto c = check_text(text);
    INFO(text);
    INFO(c.text);
    // Something is said about every input: garbage is refused with an error,
    // and an input that is blank or only comments is an empty file.
    REQUIRE_FALSE(c.diags.all().empty());
    CHECK_FALSE(c.text.empty());
    CHECK((c.diags.has_errors() || kinds(c.diags) == std::vector<std::string>{"empty-file"}));
    CHECK(c.rules.has_value() == !c.diags.has_errors());
    for (const Diagnostic& d : c.diags.all()) {
      CHECK_FALSE(d.message.empty());
      if (d.has_loc) CHECK(d.loc.end <= text.size());
    }
  }
}
