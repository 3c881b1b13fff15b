// X3 grammar of the rule language: the "instantiate" part. The only
// translation unit that sees the rule definitions; it compiles the whole
// grammar once, for the iterator and context types of grammar.hpp.
#include "dsl/x3/grammar_def.hpp"

namespace advise::x3p {

void State::fail_at(const char* p, const char* what) {
  std::uint32_t o = off(p);
  if (!failed_any || o > furthest) {
    failed_any = true;
    furthest = o;
    expected.clear();
  }
  if (o == furthest && std::find(expected.begin(), expected.end(), what) == expected.end())
    expected.push_back(what);
}

bool Skipper::skip(const char*& first, const char* last) const {
  if (first == st->skip_from) {
    first = st->skip_to;
    return true;
  }
  const char* start = first;
  const char* p = first;
  while (p != last) {
    char c = *p;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++p;
    } else if (c == '#') {
      const char* b = p;
      while (p != last && *p != '\n') ++p;
      // The comment's text and span stop before the newline, and before the
      // '\r' of a CRLF line end.
      const char* e = p;
      if (e != b && e[-1] == '\r') --e;
      std::uint32_t ob = st->off(b);
      if (st->comments.empty() || ob > st->comments.back().loc.begin)
        st->comments.push_back({st->loc(ob, st->off(e)), std::string(b, e)});
    } else {
      break;
    }
  }
  if (p == start) return false;
  st->skip_from = start;
  st->skip_to = p;
  first = p;
  return true;
}

file_type const& file_rule() { return file; }
expr_entry_type const& expr_entry_rule() { return expr_entry; }

BOOST_SPIRIT_INSTANTIATE(file_type, iterator_type, context_type)
BOOST_SPIRIT_INSTANTIATE(expr_entry_type, iterator_type, context_type)

}  // namespace advise::x3p
