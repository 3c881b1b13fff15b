// print_expr(): the canonical one-line text of every kind of expression, with
// exactly the parentheses the grammar's precedence needs. The trees are built
// by hand, so these tests do not depend on the parser; fmt_test.cpp checks
// that parsing the printed text gives the same tree back.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/printer.hpp"

namespace {

using advise::print_expr;
using advise::ast::Expr;
using advise::ast::ExprKind;

Expr num(const std::string& spelling) {
  Expr e;
  e.kind = ExprKind::Number;
  e.text = spelling;
  e.number = std::stod(spelling);
  return e;
}

Expr str(const std::string& contents) {
  Expr e;
  e.kind = ExprKind::String;
  e.text = contents;
  return e;
}

Expr boolean(bool v) {
  Expr e;
  e.kind = ExprKind::Bool;
  e.number = v ? 1 : 0;
  return e;
}

Expr name(const std::string& n) {
  Expr e;
  e.kind = ExprKind::Name;
  e.text = n;
  return e;
}

Expr node(ExprKind k, std::vector<Expr> kids, const std::string& text = "", double number = 0) {
  Expr e;
  e.kind = k;
  e.kids = std::move(kids);
  e.text = text;
  e.number = number;
  return e;
}

Expr list(std::vector<Expr> items) { return node(ExprKind::List, std::move(items)); }
Expr set(std::vector<Expr> items) { return node(ExprKind::Set, std::move(items)); }
Expr range(Expr lo, Expr hi) { return node(ExprKind::Range, {std::move(lo), std::move(hi)}); }
Expr not_(Expr x) { return node(ExprKind::Not, {std::move(x)}); }
Expr neg(Expr x) { return node(ExprKind::Neg, {std::move(x)}); }
Expr and_(Expr a, Expr b) { return node(ExprKind::And, {std::move(a), std::move(b)}); }
Expr or_(Expr a, Expr b) { return node(ExprKind::Or, {std::move(a), std::move(b)}); }
Expr arith(Expr a, const std::string& op, Expr b) {
  return node(ExprKind::Arith, {std::move(a), std::move(b)}, op);
}
Expr cmp(Expr a, const std::string& op, Expr b) {
  return node(ExprKind::Compare, {std::move(a), std::move(b)}, op);
}
Expr in(Expr a, Expr b, bool negated = false) {
  return node(ExprKind::In, {std::move(a), std::move(b)}, "", negated ? 1 : 0);
}
Expr contains(Expr a, Expr b, bool negated = false) {
  return node(ExprKind::Contains, {std::move(a), std::move(b)}, "", negated ? 1 : 0);
}
Expr between(Expr a, Expr lo, Expr hi) {
  return node(ExprKind::Between, {std::move(a), std::move(lo), std::move(hi)});
}
Expr missing(Expr a, bool present = false) {
  return node(ExprKind::Missing, {std::move(a)}, "", present ? 1 : 0);
}
Expr call(const std::string& f, std::vector<Expr> args) {
  return node(ExprKind::Call, std::move(args), f);
}
Expr member(Expr a, const std::string& m) { return node(ExprKind::Member, {std::move(a)}, m); }
Expr index(Expr a, Expr i) { return node(ExprKind::Index, {std::move(a), std::move(i)}); }

}  // namespace

TEST_CASE("print_expr: literals and names", "[printer]") {
  CHECK(print_expr(num("250")) == "250");
  CHECK(print_expr(num("2.50")) == "2.50");  // the spelling as written, not the value
  Expr unspelled;
  unspelled.kind = ExprKind::Number;
  unspelled.number = 12.5;
  CHECK(print_expr(unspelled) == "12.5");
  CHECK(print_expr(boolean(true)) == "true");
  CHECK(print_expr(boolean(false)) == "false");
  CHECK(print_expr(name("step2ck")) == "step2ck");
  CHECK(print_expr(str("high")) == "\"high\"");
  CHECK(print_expr(str("")) == "\"\"");
}

TEST_CASE("print_expr: strings are re-escaped", "[printer]") {
  CHECK(print_expr(str("say \"yes\"")) == R"("say \"yes\"")");
  CHECK(print_expr(str("a\\b")) == R"("a\\b")");
  CHECK(print_expr(str("line\nnext")) == R"("line\nnext")");
  CHECK(print_expr(str("col\tcol")) == R"("col\tcol")");
  CHECK(print_expr(str("Ünïcödé {step2ck}")) == "\"Ünïcödé {step2ck}\"");
  CHECK(advise::quote_string("\"\\\n\t") == R"("\"\\\n\t")");
}

TEST_CASE("print_expr: lists, groups and calls", "[printer]") {
  CHECK(print_expr(list({name("a"), name("b"), name("c")})) == "[a, b, c]");
  CHECK(print_expr(list({})) == "[]");
  CHECK(print_expr(set({name("dermatology"), name("plastic_surgery")})) ==
        "{dermatology, plastic_surgery}");
  CHECK(print_expr(set({})) == "{}");
  CHECK(print_expr(call("min", {name("nbme_practice")})) == "min(nbme_practice)");
  CHECK(print_expr(call("max", {name("a"), arith(name("b"), "+", num("1"))})) == "max(a, b + 1)");
  CHECK(print_expr(call("count", {})) == "count()");
  // Items are whole expressions: no parentheses needed inside brackets.
  CHECK(print_expr(list({or_(name("a"), name("b")), not_(name("c"))})) == "[a or b, not c]");
  CHECK(print_expr(list({list({num("1")}), set({})})) == "[[1], {}]");
}

TEST_CASE("print_expr: ranges", "[printer]") {
  CHECK(print_expr(range(num("80"), num("100"))) == "80..100");
  CHECK(print_expr(range(neg(num("1")), num("5"))) == "-1..5");
  CHECK(print_expr(range(name("lo"), member(name("s"), "hi"))) == "lo..s.hi");
  CHECK(print_expr(range(arith(name("a"), "+", num("1")), name("b"))) == "a + 1 .. b");
  CHECK(print_expr(range(range(num("1"), num("2")), num("3"))) == "(1..2)..3");
  CHECK(print_expr(range(num("1"), cmp(name("a"), "<", name("b")))) == "1..(a < b)");
  CHECK(print_expr(in(name("x"), range(num("1"), num("5")))) == "x in 1..5");
}

TEST_CASE("print_expr: not", "[printer]") {
  CHECK(print_expr(not_(name("a"))) == "not a");
  CHECK(print_expr(not_(not_(name("a")))) == "not not a");
  CHECK(print_expr(not_(cmp(name("a"), "<", name("b")))) == "not a < b");
  CHECK(print_expr(not_(or_(name("a"), name("b")))) == "not (a or b)");
  CHECK(print_expr(not_(and_(name("a"), name("b")))) == "not (a and b)");
  CHECK(print_expr(and_(name("a"), not_(name("b")))) == "a and not b");
  CHECK(print_expr(cmp(not_(name("a")), "==", name("b"))) == "(not a) == b");
}

TEST_CASE("print_expr: unary minus", "[printer]") {
  CHECK(print_expr(neg(num("5"))) == "-5");
  CHECK(print_expr(neg(name("x"))) == "-x");
  CHECK(print_expr(neg(neg(name("x")))) == "--x");
  CHECK(print_expr(neg(arith(name("a"), "+", name("b")))) == "-(a + b)");
  CHECK(print_expr(neg(member(name("a"), "b"))) == "-a.b");
  CHECK(print_expr(member(neg(name("a")), "b")) == "(-a).b");
  CHECK(print_expr(arith(name("a"), "-", neg(name("b")))) == "a - -b");
  CHECK(print_expr(arith(neg(name("a")), "*", name("b"))) == "-a * b");
}

TEST_CASE("print_expr: and / or", "[printer]") {
  Expr a = name("a"), b = name("b"), c = name("c");
  CHECK(print_expr(and_(a, b)) == "a and b");
  CHECK(print_expr(or_(a, b)) == "a or b");
  CHECK(print_expr(or_(and_(a, b), c)) == "a and b or c");
  CHECK(print_expr(or_(a, and_(b, c))) == "a or b and c");
  CHECK(print_expr(and_(or_(a, b), c)) == "(a or b) and c");
  CHECK(print_expr(and_(a, or_(b, c))) == "a and (b or c)");
  // Both are left-associative: a right-nested chain keeps its parentheses.
  CHECK(print_expr(or_(or_(a, b), c)) == "a or b or c");
  CHECK(print_expr(or_(a, or_(b, c))) == "a or (b or c)");
  CHECK(print_expr(and_(and_(a, b), c)) == "a and b and c");
  CHECK(print_expr(and_(a, and_(b, c))) == "a and (b and c)");
}

TEST_CASE("print_expr: arithmetic", "[printer]") {
  Expr a = name("a"), b = name("b"), c = name("c");
  CHECK(print_expr(arith(a, "+", arith(b, "*", c))) == "a + b * c");
  CHECK(print_expr(arith(arith(a, "+", b), "*", c)) == "(a + b) * c");
  CHECK(print_expr(arith(a, "*", arith(b, "+", c))) == "a * (b + c)");
  CHECK(print_expr(arith(arith(a, "-", b), "-", c)) == "a - b - c");
  CHECK(print_expr(arith(a, "-", arith(b, "-", c))) == "a - (b - c)");
  CHECK(print_expr(arith(a, "-", arith(b, "+", c))) == "a - (b + c)");
  CHECK(print_expr(arith(arith(a, "/", b), "/", c)) == "a / b / c");
  CHECK(print_expr(arith(a, "/", arith(b, "*", c))) == "a / (b * c)");
  CHECK(print_expr(arith(arith(a, "*", b), "+", arith(b, "/", c))) == "a * b + b / c");
  CHECK(print_expr(arith(call("avg", {name("scores")}), "/", num("2"))) == "avg(scores) / 2");
}

TEST_CASE("print_expr: comparisons", "[printer]") {
  for (const char* op : {"<", "<=", ">", ">=", "==", "!="})
    CHECK(print_expr(cmp(name("step2ck"), op, num("250"))) == std::string("step2ck ") + op + " 250");
  CHECK(print_expr(cmp(arith(name("a"), "+", num("1")), "<", arith(name("b"), "*", num("2")))) ==
        "a + 1 < b * 2");
  // Comparisons do not chain: a nested one is parenthesised on either side.
  CHECK(print_expr(cmp(cmp(name("a"), "<", name("b")), "==", boolean(true))) == "(a < b) == true");
  CHECK(print_expr(cmp(name("a"), "==", cmp(name("b"), "<", name("c")))) == "a == (b < c)");
  CHECK(print_expr(cmp(name("stage"), "==", str("graduate"))) == "stage == \"graduate\"");
  CHECK(print_expr(cmp(name("x"), "<", neg(num("5")))) == "x < -5");
}

TEST_CASE("print_expr: in, contains, between, missing", "[printer]") {
  CHECK(print_expr(in(name("specialty"), name("ultra"))) == "specialty in ultra");
  CHECK(print_expr(in(name("specialty"), set({name("a"), name("b")}), true)) ==
        "specialty not in {a, b}");
  CHECK(print_expr(contains(name("core_honors"), name("surgery"))) == "core_honors contains surgery");
  CHECK(print_expr(contains(name("core_honors"), name("surgery"), true)) ==
        "core_honors not contains surgery");
  CHECK(print_expr(between(name("step2ck"), num("240"), num("249"))) == "step2ck between 240 and 249");
  CHECK(print_expr(between(name("x"), arith(name("a"), "-", num("1")), neg(num("3")))) ==
        "x between a - 1 and -3");
  // `between`'s `and` binds its bounds; a logical `and` after it is separate.
  CHECK(print_expr(and_(between(name("x"), num("1"), num("2")), name("y"))) == "x between 1 and 2 and y");
  CHECK(print_expr(between(name("x"), and_(name("a"), name("b")), name("c"))) ==
        "x between (a and b) and c");
  CHECK(print_expr(missing(name("step2ck"))) == "step2ck is missing");
  CHECK(print_expr(missing(name("step2ck"), true)) == "step2ck is present");
  CHECK(print_expr(missing(or_(name("a"), name("b")))) == "(a or b) is missing");
  CHECK(print_expr(not_(missing(name("a")))) == "not a is missing");
  CHECK(print_expr(in(in(name("a"), name("b")), name("c"))) == "(a in b) in c");
}

TEST_CASE("print_expr: member access and indexing", "[printer]") {
  CHECK(print_expr(member(name("specialty"), "class")) == "specialty.class");
  CHECK(print_expr(member(member(name("a"), "b"), "c")) == "a.b.c");
  CHECK(print_expr(member(call("f", {name("x")}), "y")) == "f(x).y");
  CHECK(print_expr(member(arith(name("a"), "+", name("b")), "c")) == "(a + b).c");
  CHECK(print_expr(index(name("scores"), num("0"))) == "scores[0]");
  CHECK(print_expr(index(member(name("a"), "b"), arith(name("i"), "+", num("1")))) == "a.b[i + 1]");
  CHECK(print_expr(index(neg(name("a")), num("0"))) == "(-a)[0]");
  CHECK(print_expr(index(name("a"), or_(name("b"), name("c")))) == "a[b or c]");
  CHECK(print_expr(member(index(name("a"), num("1")), "b")) == "a[1].b");
  CHECK(print_expr(member(list({name("a")}), "b")) == "[a].b");
}

TEST_CASE("print_expr: the design card's condition", "[printer]") {
  Expr cond = and_(cmp(name("step2ck"), "<", num("250")), in(name("specialty"), name("ultra")));
  CHECK(print_expr(cond) == "step2ck < 250 and specialty in ultra");
  Expr mixed = or_(and_(not_(missing(name("step2ck"))), between(name("step2ck"), num("240"), num("249"))),
                   contains(name("core_honors"), name("surgery")));
  CHECK(print_expr(mixed) ==
        "not step2ck is missing and step2ck between 240 and 249 or core_honors contains surgery");
}

TEST_CASE("print_text joins the parts of a text", "[printer]") {
  advise::ast::Text t;
  t.parts = {"part one", "part \"two\""};
  CHECK(advise::print_text(t) == R"("part one" "part \"two\"")");
}
