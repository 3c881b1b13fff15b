// Differential tests: the PEGTL parser (dsl/parser.hpp) against the Spirit X3
// parser (dsl/x3/x3_parser.hpp). Both implement docs/grammar.md independently;
// for every valid program they must build equal ast::File values, locations
// and comments included, and on every invalid one they must agree on where
// the first error is, up to the differences docs/parsers.md allows
// (dsl/x3/differential.hpp holds that property, shared with the fuzzer).
//
// Inputs: every .rules file of the repository, thousands of generated valid
// programs, mutated (mostly invalid) programs, the nesting limit, and one
// regression case per finding of the fuzzers and of these tests.
//
// Longer runs: ADVISE_DIFF_COUNT=100000 ADVISE_DIFF_SEED=7 ./advise_tests "[differential]"
#include <catch2/catch.hpp>

#ifdef ADVISE_HAVE_X3

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dsl/parser.hpp"
#include "dsl/x3/differential.hpp"
#include "dsl/x3/x3_parser.hpp"
#include "tests/support/program_gen.hpp"

using namespace advise;

namespace {

using x3p::Both;
using x3p::allowed_position_difference;
using x3p::describe;
using x3p::disagreement;
using x3p::parse_both;

void check_agree(const Both& b, const std::string& label) {
  std::string why = disagreement(b);
  INFO(label);
  INFO(why);
  INFO(describe(b));
  CHECK(why.empty());
}

std::uint64_t env_or(const char* name, std::uint64_t dflt) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : dflt;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("differential: every .rules file in the repository", "[differential]") {
  namespace fs = std::filesystem;
  fs::path root(ADVISE_SOURCE_DIR);
  int files = 0;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    std::string first = it->path().lexically_relative(root).begin()->string();
    if (it->is_directory() && (first.rfind("build", 0) == 0 || first == ".git" || first == "fuzz-out")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || it->path().extension() != ".rules") continue;
    ++files;
    Both b = parse_both(read_file(it->path()));
    check_agree(b, it->path().string());
  }
  CHECK(files > 0);
}

TEST_CASE("differential: generated valid programs", "[differential]") {
  std::uint64_t seed = env_or("ADVISE_DIFF_SEED", 1);
  std::uint64_t count = env_or("ADVISE_DIFF_COUNT", 500);
  int failures = 0;
  for (std::uint64_t i = 0; i < count && failures < 5; ++i) {
    testgen::ProgramGen gen(seed * 1000003 + i);
    Both b = parse_both(gen.program());
    // Generated programs are valid by construction: PEGTL must accept too.
    std::string why = b.x3.ok ? disagreement(b) : "X3 rejects a generated (valid) program";
    if (!why.empty()) {
      ++failures;
      INFO("seed " << seed * 1000003 + i);
      INFO(why);
      INFO(describe(b));
      CHECK(why.empty());
    }
  }
  CHECK(failures == 0);
}

TEST_CASE("differential: mutated programs", "[differential]") {
  std::uint64_t seed = env_or("ADVISE_DIFF_SEED", 1);
  std::uint64_t count = env_or("ADVISE_DIFF_COUNT", 500) * 3 / 2;
  int failures = 0;
  std::uint64_t rejected = 0, tried = 0;
  for (std::uint64_t i = 0; i < count && failures < 5; ++i, ++tried) {
    testgen::ProgramGen gen(seed * 7000003 + i);
    std::string program = gen.program();
    Both b = parse_both(gen.mutate(program));
    if (!b.x3.ok) ++rejected;
    std::string why = disagreement(b);
    if (!why.empty()) {
      ++failures;
      INFO("seed " << seed * 7000003 + i);
      INFO(why);
      INFO(describe(b));
      CHECK(why.empty());
    }
  }
  CHECK(failures == 0);
  // The mutations must mostly produce invalid programs, or this tests little.
  CHECK(rejected > tried / 2);
}

TEST_CASE("differential: generated expressions through parse_expression", "[differential]") {
  std::uint64_t seed = env_or("ADVISE_DIFF_SEED", 1);
  for (std::uint64_t i = 0; i < 300; ++i) {
    testgen::GenOptions o;
    o.comments = false;
    testgen::ProgramGen gen(seed * 9000011 + i, o);
    std::string text = gen.expression();
    ast::Expr pe, xe;
    std::string perr, xerr;
    std::uint32_t poff = 0, xoff = 0;
    bool pok = parse_expression(text, 3, 100, pe, perr, poff);
    bool xok = x3p::parse_expression(text, 3, 100, xe, xerr, xoff);
    INFO(text);
    INFO(perr << " / " << xerr);
    REQUIRE(pok == xok);
    if (pok) {
      INFO(x3p::first_difference(x3p::dump(pe), x3p::dump(xe)));
      CHECK(pe == xe);
    } else {
      CHECK(poff == xoff);
    }
  }
}

// F5 (PEGTL counted attempts of `not` / `-`, so its limit was 254).
// Nesting: an expression is level 1, and each parenthesis, list, group,
// call, index, `not` and unary `-` around a part of it adds a level; past
// kMaxNesting (256) is nesting-too-deep. Trees are limited to the same height,
// so a chain of 256 `and`s is too deep as well. Both parsers must accept the
// last allowed level, reject the next at the same offset, and survive 100,000.
TEST_CASE("differential: the nesting limits are the same in both parsers", "[differential]") {
  const char* names[] = {"parentheses", "lists", "groups", "calls", "not", "minus", "indexes"};
  for (int kind = 0; kind < 7; ++kind) {
    for (int depth : {200, kMaxNesting - 1, kMaxNesting, 100000}) {
      Both b = parse_both("const c = " + testgen::ProgramGen::nested(depth, kind) + "\n");
      INFO(names[kind] << ", depth " << depth);
      if (depth < kMaxNesting) {
        CHECK(b.x3.ok);
      } else {
        CHECK(b.x3.error == x3p::ErrorKind::TooDeep);
      }
      check_agree(b, std::string(names[kind]) + " x" + std::to_string(depth));
    }
  }
  for (const char* op : {" and ", " or ", " + ", " * ", " / "}) {
    for (int n : {200, kMaxNesting - 1, kMaxNesting, 100000}) {
      std::string text = "const c = a";
      for (int i = 0; i < n; ++i) text += std::string(op) + "a";
      Both b = parse_both(text);
      INFO("chain of" << op << "x" << n);
      CHECK(b.x3.ok == (n < kMaxNesting));
      check_agree(b, "chain");
    }
  }
}

// Where the two parsers read docs/grammar.md differently. Each case is small
// and written out; they are the regression tests of docs/parsers.md,
// "Findings". A case is "same" (both accept with equal ASTs) or "reject"
// (both reject, first error at `offset`).
TEST_CASE("differential: findings", "[differential]") {
  struct Case {
    const char* name;
    const char* text;
    bool valid;
    std::uint32_t offset;  // of the first error, when !valid
  };
  const Case cases[] = {
      // F1: blanks before `)`, `]`, `}` and `,` inside brackets.
      {"blank before )", "const c = f(a )", true, 0},
      {"blank before ,", "const c = [a , b]", true, 0},
      {"blank before }", "const c = {a }", true, 0},
      {"blank before ) of a parenthesis", "const c = ( a )", true, 0},
      {"blank before ] of an index", "const c = a[1 ]", true, 0},
      {"blank before ] of a target index", "if a then set t[1 ] = 2", true, 0},
      {"comment before )", "const c = f(a # why\n)", true, 0},
      // F2: `is not` around a value holding its own `is` test.
      {"is not with an inner is", "const c = a is not (b is present)", true, 0},
      {"is not with an inner is in a call", "const c = a is not f(b is c)", true, 0},
      // F3: a name ending in `missing` / `present` after `is` is a value.
      {"is a name ending in present", "const c = a is ever_present", true, 0},
      {"is not a name ending in missing", "const c = a is not notmissing", true, 0},
      // Keywords are not prefixes of names.
      {"order is a name", "if order and notable or android then note \"x\"", true, 0},
      // The allowed difference: PEGTL stops at `not`, X3 after it (both checked).
      {"not without in or contains", "if a not b then note \"x\"", false, 5},
      // Lexical errors.
      {"unterminated string", "if a then note \"abc\nrule", false, 15},
      {"bad escape", "if a then note \"a\\qb\"", false, 18},
      {"comparison chain", "if a < b < c then note \"x\"", false, 9},
      {"single =", "if a = b then note \"x\"", false, 5},
      // The stages clause: one or more names separated by commas.
      {"stages clause", "rule r stages ms4, graduate # c\n , ms3 when a then end", true, 0},
      {"stages clause with one stage", "rule r stages graduate when a then end", true, 0},
      {"stages clause without a stage", "rule r stages when a then end", false, 14},
      {"stages clause with a trailing comma", "rule r stages ms4, when a then end", false, 19},
      {"stages is reserved", "const stages = 1", false, 6},
      // Comments: a CRLF line end is not part of the comment.
      {"comment before CRLF", "# c\r\nif a then note \"x\" # d\r\n", true, 0},
      {"comment at the end of the file", "if a then note \"x\" # d", true, 0},
  };
  for (const Case& c : cases) {
    Both b = parse_both(c.text);
    INFO(c.name);
    check_agree(b, c.name);
    CHECK(b.x3.ok == c.valid);
    if (!c.valid && !b.x3.ok && b.x3.error_offset != c.offset) {
      // X3 reports the furthest failure; only the allowed difference moves it.
      const Diagnostic* d = b.pegtl_first_error();
      CHECK((d && d->loc.begin == c.offset && allowed_position_difference(b, c.offset)));
    }
  }
}

// F4: an error inside a word that starts with a keyword (`thence`, `when4`)
// is located at the start of the word (the PEGTL parser located it after the
// keyword, whose word-boundary check failed under must<> without rewinding).
TEST_CASE("differential: finding F4, errors inside a word that starts with a keyword", "[differential]") {
  struct Case {
    const char* name;
    const char* text;
    std::uint32_t offset;
  };
  const Case cases[] = {
      {"then followed by letters", "if a thence note \"x\"", 5},
      {"when followed by a digit", "rule r when4 then end", 7},
      {"and followed by a digit", "if a between 1 and2 then note \"x\"", 15},
      {"priority glued to a word", "rule r priority 5when a then end", 16},
  };
  for (const Case& c : cases) {
    Both b = parse_both(c.text);
    INFO(c.name);
    REQUIRE_FALSE(b.x3.ok);
    CHECK(b.x3.error_offset == c.offset);
    const Diagnostic* d = b.pegtl_first_error();
    REQUIRE(d);
    CHECK(d->loc.begin == c.offset);
    check_agree(b, c.name);
  }
}

// F6: the index of an action's target is that action's first expression, so
// level 1, like a condition (X3 first counted it as nested).
TEST_CASE("differential: findings, nesting inside a target index", "[differential]") {
  for (int kind = 0; kind < 7; ++kind) {
    for (int depth : {kMaxNesting - 1, kMaxNesting}) {
      Both b = parse_both("if a then set d[" + testgen::ProgramGen::nested(depth, kind) + "] = 1\n");
      CHECK(b.x3.ok == (depth < kMaxNesting));
      check_agree(b, "kind " + std::to_string(kind) + ", depth " + std::to_string(depth));
    }
  }
}

// What were the open questions of docs/parsers.md, settled in docs/grammar.md
// as the PEGTL parser read them: both parsers reject these, at the same place.
TEST_CASE("differential: docs/grammar.md spellings", "[differential][grammar-doc]") {
  struct Case {
    const char* name;
    const char* text;
    std::uint32_t offset;
  };
  const Case cases[] = {
      // number <- [0-9]+ ('.' [0-9]+)? ![A-Za-z0-9_]: `5and` is not `5` `and`.
      {"number glued to a keyword", "if a < 5and b then note \"x\"", 7},
      {"priority glued to when", "rule r priority 5when a then end", 16},
      // primary <- string: adjacent strings join in a text, not in a value.
      {"two strings as a value", "const c = \"a\" \"b\"", 14},
      // include <- KW(include) string: one string only.
      {"include with two strings", "include \"a\" \"b\"", 12},
  };
  for (const Case& c : cases) {
    Both b = parse_both(c.text);
    INFO(c.name);
    REQUIRE_FALSE(b.x3.ok);
    CHECK(b.x3.error_offset == c.offset);
    check_agree(b, c.name);
  }
  // The same spellings, generated.
  testgen::GenOptions o;
  o.glued_number_word = true;
  o.multi_string_values = true;
  int failures = 0;
  for (std::uint64_t i = 0; i < 300 && failures < 3; ++i) {
    testgen::ProgramGen gen(i, o);
    Both b = parse_both(gen.program());
    std::string why = disagreement(b);
    if (!why.empty()) {
      ++failures;
      INFO(describe(b));
      CHECK(why.empty());
    }
  }
}

TEST_CASE("x3: the AST of a small program, by hand", "[x3]") {
  SourceManager sm;
  std::uint32_t id = sm.add("t.rules", "# c\nrule r \"d\" priority -2 when a.b[1] is not missing then recommend cat id: \"t\" end\n");
  x3p::Result r = x3p::parse(sm, id);
  REQUIRE(r.ok);
  REQUIRE(r.file.rules.size() == 1);
  const ast::Rule& rule = r.file.rules[0];
  CHECK(rule.loc.begin == 4);
  CHECK(rule.loc.end == 84);
  CHECK(rule.clauses.at(0).value == "-2");
  CHECK(rule.condition.kind == ast::ExprKind::Missing);
  CHECK(rule.condition.number == 1);
  CHECK(rule.condition.kids.at(0).kind == ast::ExprKind::Index);
  CHECK(rule.actions.at(0).category.name == "cat");
  CHECK(rule.actions.at(0).id.name == "id");
  CHECK(rule.actions.at(0).text.parts == std::vector<std::string>{"t"});
  REQUIRE(r.file.comments.size() == 1);
  CHECK(r.file.comments[0].text == "# c");

  std::uint32_t bad = sm.add("bad.rules", "rule r when a then set x = end");
  x3p::Result e = x3p::parse(sm, bad);
  CHECK_FALSE(e.ok);
  CHECK(e.error_offset == 27);
  CHECK(e.message.find("expected") == 0);
}

#endif  // ADVISE_HAVE_X3
