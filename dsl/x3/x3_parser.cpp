// Driver of the X3 parser: runs the instantiated entry rules and turns the
// furthest failure (or a nesting overflow) into Result's error.
#include "dsl/x3/x3_parser.hpp"

#include <algorithm>

#include "dsl/parser.hpp"
#include "dsl/x3/grammar.hpp"

namespace advise::x3p {
namespace {

std::string expected_message(const std::vector<std::string>& names) {
  std::string m = "expected ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) m += i + 1 == names.size() ? " or " : ", ";
    m += names[i];
  }
  return m;
}

template <typename Rule, typename Attr>
bool run(State& st, const Rule& rule, const char* first, const char* last, Attr& out, std::uint32_t& error_offset,
         ErrorKind& kind, std::vector<std::string>& expected) {
  Skipper skipper(&st);
  try {
    if (x3::phrase_parse(first, last, x3::with<state_tag>(st)[rule], skipper, out) && first == last) {
      kind = ErrorKind::None;
      return true;
    }
  } catch (const NestingTooDeep& e) {
    kind = ErrorKind::TooDeep;
    error_offset = e.offset;
    expected.clear();
    return false;
  }
  kind = ErrorKind::Syntax;
  error_offset = st.furthest;
  expected.assign(st.expected.begin(), st.expected.end());
  std::sort(expected.begin(), expected.end());
  return false;
}

}  // namespace

Result parse(const SourceManager& sm, std::uint32_t file_id) {
  const std::string& text = sm.text(file_id);
  State st;
  st.base = text.data();
  st.file = file_id;
  Result r;
  r.file.file = file_id;
  r.ok = run(st, file_rule(), text.data(), text.data() + text.size(), r.file, r.error_offset, r.error, r.expected);
  if (r.ok) {
    r.file.comments = std::move(st.comments);
  } else if (r.error == ErrorKind::TooDeep) {
    r.message = "the expression nests more than " + std::to_string(kMaxNesting) + " levels deep";
  } else {
    r.message = expected_message(r.expected);
  }
  return r;
}

bool parse_expression(std::string_view text, std::uint32_t file_id, std::uint32_t base, ast::Expr& out,
                      std::string& error, std::uint32_t& error_offset) {
  State st;
  st.base = text.data();
  st.shift = base;
  st.file = file_id;
  ErrorKind kind{};
  std::vector<std::string> expected;
  ast::Expr e;
  if (run(st, expr_entry_rule(), text.data(), text.data() + text.size(), e, error_offset, kind, expected)) {
    out = std::move(e);
    return true;
  }
  error = kind == ErrorKind::TooDeep ? "the expression nests too deep" : expected_message(expected);
  return false;
}

bool parse_expression(std::string_view text, ast::Expr& out) {
  std::string error;
  std::uint32_t offset = 0;
  return parse_expression(text, 0, 0, out, error, offset);
}

}  // namespace advise::x3p
