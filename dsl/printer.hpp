// Printing the AST back as rule-language text.
//
// print_expr() gives the canonical one-line text of an expression, with only
// the parentheses the grammar needs (docs/grammar.md: or < and < not < tests <
// range < + - < * / < unary - < postfix). The explanation module uses it to
// show a condition to an applicant: `step2ck < 250 and specialty in ultra`.
//
// format_file() lays out a whole parsed file in the one canonical layout that
// `advise fmt` writes (docs/fmt.md, "Formatting"). It keeps every comment of
// File::comments, byte for byte, and reads the source buffer only to place
// them (and the keywords between nodes) exactly. Guarantees, tested over every
// .rules file in the repository:
//   - format_file(parse(format_file(parse(x)))) == format_file(parse(x));
//   - parse(format_file(parse(x))) equals parse(x) except for locations;
//   - every comment of x is in the output, in the same order.
// Only files that parsed without errors should be formatted: items with syntax
// errors are missing from the AST and so from the output.
#pragma once

#include <string>
#include <string_view>

#include "dsl/ast.hpp"
#include "dsl/source.hpp"

namespace advise {

// Lines longer than this are broken where the layout allows (conditions
// before their top-level `and`/`or`, lists after a comma).
inline constexpr std::size_t kFormatWidth = 80;

// `"..."` with `"`, `\`, newline and tab escaped, so that parsing the result
// gives back `s`.
std::string quote_string(std::string_view s);

// The canonical one-line text of an expression.
std::string print_expr(const ast::Expr& e);

// A Text as written: its parts quoted and joined by one space.
std::string print_text(const ast::Text& t);

// The canonical layout of a whole file. `sm` must hold the buffer the file was
// parsed from (f.file); it is used to place comments.
std::string format_file(const ast::File& f, const SourceManager& sm);

}  // namespace advise
