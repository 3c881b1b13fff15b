// A seeded, grammar-based generator of rule-language programs, for the
// differential tests (tests/differential_test.cpp), the fuzzers' seed corpus
// and the parser benchmark.
//
// program() walks the productions of docs/grammar.md with a depth budget, so
// every program it returns is in the language; tokens are joined with random
// blanks and comments (never in a way that would glue two tokens into one).
// mutate() damages a valid program at the token or byte level: the result is
// usually invalid, sometimes still valid, and both parsers must agree either
// way. The same seed always gives the same output.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/ast.hpp"

namespace advise::testgen {

struct GenOptions {
  int max_items = 8;        // top-level items per program (at least 1)
  int max_depth = 6;        // expression nesting budget
  int max_actions = 4;
  bool comments = true;     // comments between tokens
  bool crlf = true;         // sometimes "\r\n" as a line end
  bool unicode = true;      // UTF-8 text in strings and comments
  // Spellings that docs/grammar.md allows but that are worth switching off
  // separately (docs/parsers.md, "Differences"):
  bool glued_number_word = false;  // `5and x`: a number directly followed by a keyword
  bool multi_string_values = false;  // `"a" "b"` as an expression (a text of two parts)
  // Templates, strategy, `logical`, patterns, aggregates, create / change /
  // remove, and contextual words as names. Off, the generator draws exactly
  // what it drew before they existed (the benchmark's programs stay the same).
  bool facts = true;
};

class ProgramGen {
 public:
  explicit ProgramGen(std::uint64_t seed, GenOptions opts = {});

  std::string program();                 // a valid program
  std::string expression();              // a valid expression (no surrounding blanks)
  std::string mutate(std::string_view valid);  // a damaged copy of a valid program
  // A string of `depth` nested constructs of one kind around a name
  // ("((((x))))", "not not x", "[[[x]]]", "f(f(f(x)))", "- - x", "a[a[a[x]]]"...).
  static std::string nested(int depth, int kind);

  // One top-level item: 0 include, 1-2 definition, 3-4 short rule, 5-9 rule,
  // 10 template, 11 strategy.
  std::string item_text(int kind);

  std::mt19937_64& rng() { return rng_; }

 private:
  struct Tok {
    std::string text;
  };
  using Toks = std::vector<Tok>;

  int pick(int n);                // uniform in [0, n)
  bool chance(int percent);
  std::string ident();
  std::string number();
  std::string string_lit();
  std::string comment_text();
  void text(Toks& out);

  void expr(Toks& out, int depth);
  void or_expr(Toks& out, int depth);
  void and_expr(Toks& out, int depth);
  void not_expr(Toks& out, int depth);
  void test(Toks& out, int depth);
  void range(Toks& out, int depth);
  void sum(Toks& out, int depth);
  void product(Toks& out, int depth);
  void unary(Toks& out, int depth);
  void postfix(Toks& out, int depth);
  void primary(Toks& out, int depth);
  void items(Toks& out, int depth);
  void target(Toks& out, int depth);
  void action(Toks& out);
  void item(Toks& out, int kind = -1);
  void binding(Toks& out);
  void pattern(Toks& out, int depth);
  void aggregate(Toks& out, int depth);
  void fields(Toks& out, int depth);
  void template_item(Toks& out);

  std::string blank(bool required);
  std::string join(const Toks& toks);
  Toks tokens_of_program();

  std::mt19937_64 rng_;
  GenOptions opts_;
};

// A large valid program of `rules` block rules (plus some definitions and
// short rules), for the benchmark.
std::string large_program(std::size_t rules, std::uint64_t seed);

}  // namespace advise::testgen
