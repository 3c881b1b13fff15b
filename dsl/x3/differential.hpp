// Running the PEGTL and X3 parsers on one input and judging whether they
// agree, as docs/parsers.md defines it. Shared by tests/differential_test.cpp
// and fuzz/fuzz_differential.cpp, so that the test and the fuzzer hold the
// parsers to exactly the same property.
#pragma once

#include <cstdint>
#include <string>

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/x3/x3_parser.hpp"

namespace advise::x3p {

struct Both {
  std::string text;
  ast::File pegtl;
  Diagnostics diags;  // the PEGTL parser's
  Result x3;

  bool pegtl_ok() const { return !diags.has_errors(); }
  // The PEGTL parser recovers and may report several errors: the first one
  // (lowest offset) is the one compared.
  const Diagnostic* pegtl_first_error() const;
};

// Parses `text` with both parsers, as file id 1 of a fresh SourceManager (not
// 0, so that a location that lost its file id shows).
Both parse_both(const std::string& text);

// "" when the parsers agree, allowing the differences of docs/parsers.md
// ("Allowed differences"); otherwise what differs.
std::string disagreement(const Both& b);

// Allowed difference 1 or 2 of docs/parsers.md, for a PEGTL error at `pegtl_at`.
bool allowed_position_difference(const Both& b, std::uint32_t pegtl_at);

// Where the PEGTL parser shows an error at the end of the input: just after
// the last line that holds more than blanks or a comment.
std::uint32_t pegtl_end_of_input(const std::string& text);

// Both results, and the first difference of the ASTs, for a failure message.
std::string describe(const Both& b);

// An AST as indented text with every location, one node a line.
std::string dump(const ast::Expr& e, int indent = 0);
std::string dump(const ast::File& f);
// The first line where two dumps differ, with the lines before it; "" if equal.
std::string first_difference(const std::string& a, const std::string& b);

}  // namespace advise::x3p
