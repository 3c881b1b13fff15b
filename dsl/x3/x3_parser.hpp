// The second parser of the rule language, written with Boost.Spirit X3.
//
// It exists to be compared with the PEGTL parser (dsl/parser.hpp): both read
// the grammar of docs/grammar.md independently and must build identical
// ast::File values, byte offsets included, for every valid program. The
// differential tests (tests/differential_test.cpp) and the fuzzers (fuzz/)
// hold them to that; docs/parsers.md lists the allowed differences.
//
// This header is cheap to include: Spirit itself is only seen by the
// translation units in dsl/x3/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/source.hpp"

namespace advise::x3p {

enum class ErrorKind : std::uint8_t {
  None,
  Syntax,       // no alternative of the grammar continues at error_offset
  TooDeep,      // nesting deeper than kMaxNesting starts at error_offset
};

struct Result {
  bool ok = false;
  ast::File file;               // complete when ok; unspecified otherwise
  std::uint32_t error_offset = 0;  // the first error: the furthest offset a token was tried at
  std::string message;          // "expected one of ..." (names of the tokens tried there)
  ErrorKind error = ErrorKind::None;
  std::vector<std::string> expected;  // the token names tried at error_offset, sorted
};

// Parses the whole buffer `file_id`. No recovery: the first error ends it.
Result parse(const SourceManager& sm, std::uint32_t file_id);

// Parses one expression (the whole of `text`). Locations use file id 0 and
// offsets from the start of `text`.
bool parse_expression(std::string_view text, ast::Expr& out);

// The same, with the error reported and locations in file `file_id`, shifted
// by `base` (the offset of `text` within that file), like advise::parse_expression.
bool parse_expression(std::string_view text, std::uint32_t file_id, std::uint32_t base,
                      ast::Expr& out, std::string& error, std::uint32_t& error_offset);

}  // namespace advise::x3p
