// The PEGTL parser: AST shape, locations, and the grammar's own analysis.
#include <catch2/catch.hpp>

#include <tao/pegtl/contrib/analyze.hpp>

#include "dsl/grammar.hpp"
#include "dsl/parser.hpp"

using namespace advise;

namespace {
ast::File parse(const std::string& text, Diagnostics& d, SourceManager& sm) {
  auto id = sm.add("t.rules", text);
  return parse_source(sm, id, d);
}
}  // namespace

TEST_CASE("the grammar has no infinite loops or left recursion (pegtl::analyze)") {
  CHECK(tao::pegtl::analyze<grammar::file>(1) == 0);
  CHECK(tao::pegtl::analyze<grammar::one_item>(1) == 0);
}

TEST_CASE("the design card's example parses as written") {
  SourceManager sm;
  Diagnostics d;
  auto f = parse("if step2ck < 250 and specialty in ultra then recommend dual\n", d, sm);
  REQUIRE(d.all().empty());
  REQUIRE(f.rules.size() == 1);
  const ast::Rule& r = f.rules[0];
  CHECK(r.short_form);
  CHECK(r.condition.kind == ast::ExprKind::And);
  CHECK(r.condition.kids[0].kind == ast::ExprKind::Compare);
  CHECK(r.condition.kids[0].text == "<");
  CHECK(r.condition.kids[1].kind == ast::ExprKind::In);
  CHECK(r.condition.loc.begin == 3);
  CHECK(r.condition.loc.end == 39);
  REQUIRE(r.actions.size() == 1);
  CHECK(r.actions[0].kind == ast::ActionKind::Recommend);
  CHECK(r.actions[0].id().name == "dual");
  CHECK(r.loc.begin == 0);
  CHECK(r.loc.end == 59);
}

TEST_CASE("block rules carry header clauses, actions and comments") {
  SourceManager sm;
  Diagnostics d;
  auto f = parse(R"(# leading
rule dual_below_band "Dual-apply when Step 2 CK is below the band"
  source "Step 5.1"  priority 10
when step2ck < 250 and specialty in ultra   # trailing
then
  set strategy = dual
  add internal_medicine to backup_specialties
  set applications[dermatology] = 80..100
  recommend application dual_application: "Your Step 2 CK of {step2ck}"
    "is below the band"
  note "n"
  warn "w"
  cite target_specialty.figures
end
)",
                 d, sm);
  INFO(render_text(sm, d));
  REQUIRE(d.all().empty());
  REQUIRE(f.rules.size() == 1);
  const ast::Rule& r = f.rules[0];
  CHECK(r.name.name == "dual_below_band");
  CHECK(r.description.joined() == "Dual-apply when Step 2 CK is below the band");
  REQUIRE(r.clauses.size() == 2);
  CHECK(r.clauses[0].kind == "source");
  CHECK(r.clauses[0].value == "Step 5.1");
  CHECK(r.clauses[1].value == "10");
  REQUIRE(r.actions.size() == 7);
  CHECK(r.actions[2].target().kind == ast::ExprKind::Index);
  CHECK(r.actions[2].value().kind == ast::ExprKind::Range);
  CHECK(r.actions[3].category().name == "application");
  CHECK(r.actions[3].id().name == "dual_application");
  CHECK(r.actions[3].text.joined() == "Your Step 2 CK of {step2ck} is below the band");
  CHECK(r.actions[6].value().kind == ast::ExprKind::Member);
  REQUIRE(f.comments.size() == 2);
  CHECK(f.comments[0].text == "# leading");
  CHECK(f.comments[1].text == "# trailing");
}

TEST_CASE("tests: is, not in, contains, between, missing") {
  SourceManager sm;
  Diagnostics d;
  auto f = parse(R"(if a is b and c is not d and e not in {x, y} and f not contains g
   and h between 1 and 2 and i is missing and j is not missing and not k and -l < min(m) * 2 + 1
then note "x")",
                 d, sm);
  INFO(render_text(sm, d));
  REQUIRE(d.all().empty());
  REQUIRE(f.rules.size() == 1);
}

TEST_CASE("every syntax error of a file is reported, recovering at the next item") {
  SourceManager sm;
  Diagnostics d;
  auto f = parse("rule a when x < then note \"a\" end\nrule b when y == 1 then note \"b\" end\nrule c when z = 1 then note \"c\" end\n", d, sm);
  REQUIRE(d.all().size() == 2);
  CHECK(f.rules.size() == 1);
  CHECK(render_text(sm, d) ==
        "t.rules:1:17: error: expected a value, found `then` [syntax-error]\n"
        "  rule a when x < then note \"a\" end\n"
        "                  ^~~~\n"
        "t.rules:3:15: error: `=` sets a value; to compare, write `==` or `is` [syntax-error]\n"
        "  rule c when z = 1 then note \"c\" end\n"
        "                ^\n");
}

TEST_CASE("10,000 nested parentheses are a diagnostic, not a stack overflow") {
  SourceManager sm;
  Diagnostics d;
  std::string text = "if " + std::string(10000, '(') + "x" + std::string(10000, ')') + " then note \"a\"\n";
  parse(text, d, sm);
  REQUIRE(d.all().size() == 1);
  CHECK(kind_info(d.all()[0].kind).name == "nesting-too-deep");
}
