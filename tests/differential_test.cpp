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
    // bench/classic/expected/*.rules are CLIPS's firing counts, not rules.
    if (it->path().lexically_relative(root).string().rfind("bench/classic/expected/", 0) == 0) continue;
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
  CHECK(rule.actions.at(0).category().name == "cat");
  CHECK(rule.actions.at(0).id().name == "id");
  CHECK(rule.actions.at(0).text.parts == std::vector<std::string>{"t"});
  REQUIRE(r.file.comments.size() == 1);
  CHECK(r.file.comments[0].text == "# c");

  std::uint32_t bad = sm.add("bad.rules", "rule r when a then set x = end");
  x3p::Result e = x3p::parse(sm, bad);
  CHECK_FALSE(e.ok);
  CHECK(e.error_offset == 27);
  CHECK(e.message.find("expected") == 0);
}


// Templates, patterns, aggregates and fact actions (issue 12): the inputs of
// tests/patterns_parse_test.cpp and more, valid and invalid, and the nesting
// limit reached through patterns, aggregates and template ranges.
TEST_CASE("differential: templates, patterns, aggregates and fact actions", "[differential][patterns]") {
  const char* inputs[] = {
      "template letter \"a letter\"\n  writer: text\n  strength: {weak, strong} optional\n  grade: integer 1..5\n  optional: boolean\nend\n",
      "strategy mea\n",
      "rule r logical when for each letter l where l.strong and l.grade > 2 then create summary with n = 1, m = l remove l end\n",
      "if there is no letter l where l.strong and x then change x with a = 1\n",
      "if there is an letter l then remove l\n",
      "if every letter l where l.a has l.b > 1 and c then note \"x\"\n",
      "if (the number of letter l where l.strong) >= 3 and the sum of l.grade for each letter l where l.ok > 2 then note \"x\"\n",
      "if the number of letter l > 3 then create x\n",
      "if for each program where p.x then note \"x\"\n",
      "if there is a program where p.x then note \"x\"\n",
      "if every letter where p.x has y then note \"x\"\n",
      "if the number of letter where p.x then note \"x\"\n",
      "if the sum of l.x for each letter where p.x then note \"x\"\n",
      "if the number of letter l where l.grade > 2 >= 3 then note \"x\"\n",
      "if the number of letter l where l.grade > 2 and l.a >= 3 < 4 then note \"x\"\n",
      "if there is program p then note \"x\"\n",
      "if there are letters then note \"x\"\n",
      "if for letter l then note \"x\"\n",
      "if every letter l where l.a then note \"x\"\n",
      "if x then create letter with strong true\n",
      "if x then create letter strong = true\n",
      "if x then change l strong = true\n",
      "if x then remove\n",
      "if x then create letter with\n",
      "if for each rule r then note \"x\"\n",
      "if for each letter where then note \"x\"\n",
      "if the sum of l.x each letter l then note \"x\"\n",
      "template letter\n  strong boolean\nend\n",
      "template letter\n  strong: \nend\n",
      "template letter\n  strong: boolean\n",
      "template letter\n  grade: integer 1..\nend\n",
      "template letter\n  s: {a, }\nend\n",
      "strategy\n",
      "rule r logicl when x then note \"x\" end\n",
      "rule r when x then creat letter end\n",
      "if the > a and no == an and of then set sum = average + minimum\n",
      "if the number + 1 > 2 then note \"x\"\n",
      "if the sum x then note \"x\"\n",
      "if the > 1 then note \"x\"\n",
      "if x then create letter with\n",
      "template t\n  a: integer 1..2 optional\n  optional: {a}\n  b: c\nend\n",
      "template t\n  a: integer\n  1..2\nend\n",
      "if there is an then note \"x\"\n",
      "if every t v where a has then note \"x\"\n",
      "if (the number of t v where v.a) > 1 > 2 then note \"x\"\n",
      "if the number of t v where v.a # c\n >= 3 then note \"x\"\n",
      "rule r logical logical when x then change a with b = 1, c = d remove e create f end\n",
      "if a then recommend dual\nstrategy mea\nif b then recommend c strategy: \"t\"\nif c then recommend strategy\n",
      "template t\n  a: integer -5..max optional\n  b: x - 5\n  c: y 1 .. -2\nend\n",
      "template t\n  a: integer 5\n  b: x\nend\n",
      "template t\n  a: integer (1)..2\nend\n",
      // findings F9 and F11 (docs/parsers.md)
      "const c = [1 *\nstrategy and x\n",
      "const c = x is present < y\n",
      "const c = x is not 1 between 2 and 3 == 4\n",
  };
  for (const char* text : inputs) check_agree(parse_both(text), text);
  const char* opens[] = {"for each t v where ", "there is no t v where ", "every t v has ", "every t v where ",
                         "the number of t v where ", "the sum of v.x for each t v where ", "the sum of ",
                         "(the number of t v where "};
  for (const char* open : opens) {
    for (int n : {kMaxNesting - 3, kMaxNesting - 2, kMaxNesting - 1, kMaxNesting, kMaxNesting + 1}) {
      std::string text = "if ";
      for (int i = 0; i < n; ++i) text += open;
      text += "x";
      if (std::string(open) == "every t v where ") {
        for (int i = 0; i < n; ++i) text += " has y";
      } else if (std::string(open) == "the sum of ") {
        for (int i = 0; i < n; ++i) text += " for each t v";
      } else if (open[0] == '(') {
        text += std::string(static_cast<std::size_t>(n), ')');
      }
      text += " then note \"x\"\n";
      check_agree(parse_both(text), std::string(open) + " x" + std::to_string(n));
    }
  }
  for (int n : {kMaxNesting - 2, kMaxNesting - 1, kMaxNesting, kMaxNesting + 1}) {
    std::string lo = std::string(static_cast<std::size_t>(n), '(') + "1" + std::string(static_cast<std::size_t>(n), ')');
    check_agree(parse_both("template t\n  a: integer " + lo + ".." + lo + "\nend\n"), "range " + std::to_string(n));
    check_agree(parse_both("if x then create t with a = " + lo + "\n"), "field " + std::to_string(n));
  }
}

// A tree taller than the limit and, after it, a continuation the PEGTL parser
// commits to and that fails (`[` without an index): the PEGTL parser reports
// the syntax error, since it never completes the tall node; X3 reported
// nesting-too-deep at the node it completed after backtracking (found by the
// generator of issue 12, with no pattern in it).
TEST_CASE("differential: a syntax error after a tree that would be too tall", "[differential]") {
  for (int n = kMaxNesting - 4; n <= kMaxNesting + 1; ++n) {
    std::string chain;
    for (int i = 0; i < n; ++i) chain += "a[";
    chain += "x" + std::string(static_cast<std::size_t>(n), ']');
    for (const std::string& text : {"const c = y is b + " + chain + " [\n", "const c = y is b + " + chain + " +\n",
                                    "const c = y is b + " + chain + "\n", "if y is b + " + chain + " [ then note \"x\"\n"}) {
      Both b = parse_both(text);
      check_agree(b, text.substr(0, 30) + " n=" + std::to_string(n));
    }
  }
}

#endif  // ADVISE_HAVE_X3
