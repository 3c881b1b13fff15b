// X3 grammar of the rule language: declarations (the "declare" part of the
// declare / define / instantiate split of Boost's rexpr_full example).
//
// grammar_def.hpp holds the definitions and is included by grammar.cpp only,
// which instantiates the two entry rules for the one iterator and context type
// below. x3_parser.cpp sees only these declarations, so the expensive part of
// Spirit is compiled once, in one translation unit.
#pragma once

#include <boost/spirit/home/x3.hpp>
#include <cstdint>
#include <vector>
// UINT32_MAX
#include <climits>

#include "dsl/ast.hpp"

namespace advise::x3p {
namespace x3 = boost::spirit::x3;

// Byte offsets [begin, end) of one token.
struct Span {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

// Thrown (and caught in x3_parser.cpp) when nesting exceeds kMaxNesting:
// recursion is cut there, never continued until the stack runs out.
struct NestingTooDeep {
  std::uint32_t offset;
};

// Everything the grammar shares during one parse; reached from semantic
// actions and from the token / nesting directives through the context.
struct State {
  const char* base = nullptr;  // start of the buffer: offsets are relative to it
  std::uint32_t file = 0;      // ast::Loc::file of every node
  std::uint32_t shift = 0;     // added to every offset (parse_expression's base)
  int depth = 0;               // current nesting (see nest_directive)
  std::uint32_t last_token = 0;  // offset of the last token matched
  const char* limit = nullptr;   // end of the buffer
  // A tree taller than kMaxNesting completed after a token beyond it had
  // already failed (see too_tall in grammar_def.hpp): its offset, reported
  // only if the parse succeeds.
  std::uint32_t deferred_too_deep = UINT32_MAX;

  // The furthest offset at which a token was tried and failed, and the names
  // of the tokens tried there: the standard PEG error position.
  std::uint32_t furthest = 0;
  bool failed_any = false;
  std::vector<const char*> expected;

  // Comments met by the skipper, each once, in source order.
  std::vector<ast::Comment> comments;

  // The skipper's one-entry cache: backtracking re-skips the same blank run
  // many times (every alternative tried after a token starts with a skip).
  const char* skip_from = nullptr;
  const char* skip_to = nullptr;

  std::uint32_t off(const char* p) const { return static_cast<std::uint32_t>(p - base) + shift; }
  ast::Loc loc(std::uint32_t b, std::uint32_t e) const { return {file, b, e}; }
  void fail_at(const char* p, const char* what);
};

// The parse under way on this thread (set by x3_parser.cpp's run_here), for
// the tree-height check (too_tall in grammar_def.hpp).
inline thread_local State* current_state = nullptr;

// Skips blanks ([ \t\r\n]) and comments ('#' to the end of the line),
// recording each comment once in the State.
struct Skipper : x3::parser<Skipper> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  State* st = nullptr;
  explicit Skipper(State* s) : st(s) {}

  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const&, RCtx&, Attr&) const {
    return skip(first, last);
  }
  bool skip(const char*& first, const char* last) const;
};

struct state_tag;

using iterator_type = const char*;
using phrase_context_type = x3::phrase_parse_context<Skipper>::type;
using context_type = x3::context<state_tag, State, phrase_context_type>;

struct file_class;
struct expr_entry_class;
using file_type = x3::rule<file_class, ast::File>;
using expr_entry_type = x3::rule<expr_entry_class, ast::Expr>;
BOOST_SPIRIT_DECLARE(file_type, expr_entry_type)

file_type const& file_rule();
expr_entry_type const& expr_entry_rule();

}  // namespace advise::x3p
