// X3 grammar of the rule language: definitions (the "define" part). Included
// by grammar.cpp only.
//
// The grammar is docs/grammar.md transcribed as a plain PEG: ordered choice
// with backtracking, no expectation points (`>`). The language accepted is
// therefore exactly the document's, whatever commit points the PEGTL parser
// chose for its error messages, which is what makes the differential tests
// meaningful. Errors are located afterwards with the classic PEG rule: the
// first error is the furthest offset at which a token was tried and failed
// (State::furthest); docs/parsers.md explains how that relates to the PEGTL
// parser's first diagnostic.
//
// Tokens are X3 character parsers wrapped in `tok_parser`, which skips blanks
// and comments, matches without skipping inside the token, synthesises the
// token's byte span, and records failures for the error position. Semantic
// actions build the AST directly (rule attributes are ast types; _val is the
// node under construction).
#pragma once

#include <algorithm>
#include <boost/fusion/include/at_c.hpp>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <type_traits>

#include "dsl/parser.hpp"  // kMaxNesting
#include "dsl/x3/grammar.hpp"

namespace advise::x3p {
namespace grammar {

using boost::fusion::at_c;
using x3::_attr;
using x3::_val;

// ------------------------------------------------------------ lexical helpers

inline bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

constexpr std::string_view kReserved[] = {
    "include",  "group", "const",     "alias", "rule", "if",   "when",     "then",
    "end",      "source", "priority", "category", "stages", "set", "add", "to",      "recommend",
    "note",     "warn",  "cite",      "and",   "or",   "not",  "is",       "in",
    "contains", "between", "missing", "present", "true", "false", "for",  "each",     "there",
    "where",    "every", "has",      "with",  "template", "create", "change", "remove"};

inline bool reserved(std::string_view w) {
  return std::find(std::begin(kReserved), std::end(kReserved), w) != std::end(kReserved);
}

// Blank-and-comment skipping without recording (for locating errors).
inline const char* skip_blank(const char* p, const char* last) {
  while (p != last) {
    if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
      ++p;
    } else if (*p == '#') {
      while (p != last && *p != '\n') ++p;
    } else {
      break;
    }
  }
  return p;
}

// Token policies: an extra check on the matched text, and where a failure is
// located (normally the token's first byte).
struct any_text {
  bool operator()(const char*, const char*, const char*) const { return true; }
};
// KW(x): the word not followed by an identifier character.
struct word_end {
  bool operator()(const char*, const char* e, const char* last) const { return e == last || !ident_char(*e); }
};
// ident: not a reserved word (the subject already took every identifier character).
struct not_reserved {
  bool operator()(const char* b, const char* e, const char*) const {
    return !reserved(std::string_view(b, static_cast<std::size_t>(e - b)));
  }
};
// `.` (member access) is not the first half of `..` (range).
struct not_dot {
  bool operator()(const char*, const char* e, const char* last) const { return e == last || *e != '.'; }
};
struct fail_at_start {
  const char* operator()(const char* first, const char*) const { return first; }
};
// A failure that is not an error position: the words after `the` that make
// an aggregate (`the` may be a name, and `the number + 1` is an error at
// `number`, as in the PEGTL parser, which reads the head as a lookahead).
struct fail_quietly {
  const char* operator()(const char*, const char*) const { return nullptr; }
};
// A string literal fails either because it is not closed on its line (located
// at its opening quote) or at a bad escape (located at the first non-blank
// after the backslash, as the PEGTL parser does).
struct fail_in_string {
  const char* operator()(const char* first, const char* last) const {
    if (first == last || *first != '"') return first;
    for (const char* p = first + 1; p != last && *p != '\n' && *p != '"'; ++p) {
      if (*p == '\\') {
        ++p;
        if (p == last || !(*p == '"' || *p == '\\' || *p == 'n' || *p == 't')) return skip_blank(p, last);
      }
    }
    return first;
  }
};

// ------------------------------------------------------------ directives

// !cmp, the end of a test: no comparison operator follows. A failure here is
// an error position (the PEGTL parser's chained-comparison error is there),
// which !tok would not record.
struct no_chain : x3::parser<no_chain> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, RCtx&, Attr&) const {
    It i = first;
    x3::skip_over(i, last, ctx);
    bool cmp = i != last && (*i == '<' || *i == '>' || ((*i == '!' || *i == '=') && i + 1 != last && i[1] == '='));
    if (!cmp) return true;
    x3::get<state_tag>(ctx).fail_at(i, "no second comparison");
    return false;
  }
};

// tok[p]: one token. Attribute: its Span (or nothing when HasSpan is false).
template <typename Subject, bool HasSpan, typename Check, typename FailAt>
struct tok_parser : x3::unary_parser<Subject, tok_parser<Subject, HasSpan, Check, FailAt>> {
  using base_type = x3::unary_parser<Subject, tok_parser<Subject, HasSpan, Check, FailAt>>;
  using attribute_type = std::conditional_t<HasSpan, Span, x3::unused_type>;
  static bool const has_attribute = HasSpan;
  static bool const handles_container = false;

  const char* name;
  constexpr tok_parser(Subject const& s, const char* n) : base_type(s), name(n) {}

  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, RCtx& rctx, Attr& attr) const {
    x3::skip_over(first, last, ctx);
    State& st = x3::get<state_tag>(ctx);
    auto const& skipper = x3::get<x3::skipper_tag>(ctx);
    using skipper_t = std::remove_cv_t<std::remove_reference_t<decltype(skipper)>>;
    x3::unused_skipper<skipper_t> no_skip(skipper);
    It i = first;
    if (this->subject.parse(i, last, x3::make_context<x3::skipper_tag>(no_skip, ctx), rctx, x3::unused) &&
        Check{}(first, i, last)) {
      if constexpr (HasSpan && !std::is_same_v<std::remove_const_t<Attr>, x3::unused_type>)
        x3::traits::move_to(Span{st.off(first), st.off(i)}, attr);
      st.last_token = st.off(first);
      first = i;
      return true;
    }
    if (const char* at = FailAt{}(first, last)) st.fail_at(at, name);
    return false;
  }
};

template <bool HasSpan = true, typename Check = any_text, typename FailAt = fail_at_start, typename P>
auto tok(const char* name, P const& p) {
  using subject_t = std::decay_t<decltype(x3::as_parser(p))>;
  return tok_parser<subject_t, HasSpan, Check, FailAt>(x3::as_parser(p), name);
}

// Keywords and punctuation, with (K, P) and without (KU, PU) a span.
inline auto K(const char* word) { return tok<true, word_end>(word, x3::lit(word)); }
inline auto KU(const char* word) { return tok<false, word_end>(word, x3::lit(word)); }
inline auto P(const char* punct) { return tok<true>(punct, x3::lit(punct)); }
inline auto PU(const char* punct) { return tok<false>(punct, x3::lit(punct)); }
// A contextual word that is an error position nowhere (see fail_quietly).
inline auto KQ(const char* word) { return tok<false, word_end, fail_quietly>(word, x3::lit(word)); }

// nest[p]: p is one nesting level deeper: a bracket's contents (parentheses,
// list, group, call arguments, index) or the operand of unary `not` / `-`.
// An expression is level 1 and each of these adds one; past kMaxNesting the
// parse is abandoned with NestingTooDeep (recursion is never left to run the
// stack out), located at the first token of the contents for brackets and at
// the operator itself for `not` and `-` (AtOperator).
template <typename Subject, bool AtOperator>
struct nest_directive : x3::unary_parser<Subject, nest_directive<Subject, AtOperator>> {
  using base_type = x3::unary_parser<Subject, nest_directive<Subject, AtOperator>>;
  static bool const is_pass_through_unary = true;
  static bool const handles_container = Subject::handles_container;
  constexpr explicit nest_directive(Subject const& s) : base_type(s) {}

  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, RCtx& rctx, Attr& attr) const {
    State& st = x3::get<state_tag>(ctx);
    if (st.depth + 1 >= kMaxNesting) {  // st.depth + 1 is the current level
      if constexpr (AtOperator) {
        throw NestingTooDeep{st.last_token};
      } else {
        throw NestingTooDeep{st.off(skip_blank(first, last))};
      }
    }
    ++st.depth;
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{st.depth};
    return this->subject.parse(first, last, ctx, rctx, attr);
  }
};

// quiet[p]: a lookahead whose failures are no error position (the PEGTL
// parser reads it with at<>, which records nothing); p must commit to nothing.
template <typename Subject>
struct quiet_directive : x3::unary_parser<Subject, quiet_directive<Subject>> {
  using base_type = x3::unary_parser<Subject, quiet_directive<Subject>>;
  static bool const is_pass_through_unary = true;
  static bool const handles_container = Subject::handles_container;
  constexpr explicit quiet_directive(Subject const& s) : base_type(s) {}

  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, RCtx& rctx, Attr& attr) const {
    State& st = x3::get<state_tag>(ctx);
    std::uint32_t furthest = st.furthest;
    bool failed_any = st.failed_any;
    std::vector<const char*> expected = st.expected;
    if (this->subject.parse(first, last, ctx, rctx, attr)) return true;
    st.furthest = furthest;
    st.failed_any = failed_any;
    st.expected = std::move(expected);
    return false;
  }
};
struct quiet_gen {
  template <typename Subject>
  auto operator[](Subject const& s) const {
    using subject_t = std::decay_t<decltype(x3::as_parser(s))>;
    return quiet_directive<subject_t>(x3::as_parser(s));
  }
};
inline constexpr quiet_gen quiet{};

template <bool AtOperator>
struct nest_gen {
  template <typename Subject>
  auto operator[](Subject const& s) const {
    using subject_t = std::decay_t<decltype(x3::as_parser(s))>;
    return nest_directive<subject_t, AtOperator>(x3::as_parser(s));
  }
};
inline constexpr nest_gen<false> nest{};
inline constexpr nest_gen<true> nest_op{};

// ------------------------------------------------------------ tokens

inline auto const id_start = x3::char_("A-Za-z_");
inline auto const id_rest = x3::char_("A-Za-z0-9_");
inline auto const digits = +x3::char_("0-9");

inline auto const ident_tok = tok<true, not_reserved>("identifier", id_start >> *id_rest);
// number <- [0-9]+ ('.' [0-9]+)? ![A-Za-z0-9_]
inline auto const number_tok = tok<true, word_end>("number", digits >> -(x3::lit('.') >> digits));
// integer <- '-'? [0-9]+ ![A-Za-z0-9_]
inline auto const integer_tok = tok<true, word_end>("integer", -x3::lit('-') >> digits);
// string <- '"' (escape / [^"\\\n])* '"' ; escape <- '\\' ["\\nt]
inline auto const string_tok = tok<true, any_text, fail_in_string>(
    "string", x3::lit('"') >> *((x3::lit('\\') >> x3::char_("\"\\nt")) | ~x3::char_("\"\\\n")) >> x3::lit('"'));
inline auto const end_of_input = tok<false>("end of input", x3::eoi);

// ------------------------------------------------------------ AST helpers

template <typename Ctx>
State& state(Ctx const& ctx) {
  return x3::get<state_tag>(ctx);
}

inline std::string_view slice(const State& s, Span sp) {
  return {s.base + (sp.begin - s.shift), sp.end - sp.begin};
}

inline std::string unescape(std::string_view quoted) {
  std::string out;
  out.reserve(quoted.size());
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    char c = quoted[i];
    if (c == '\\') {
      c = quoted[++i];
      if (c == 'n') c = '\n';
      if (c == 't') c = '\t';
    }
    out += c;
  }
  return out;
}

inline std::string joined(const ast::Text& t) {
  std::string out;
  for (std::size_t i = 0; i < t.parts.size(); ++i) {
    if (i) out += ' ';
    out += t.parts[i];
  }
  return out;
}

// An expression being built, with the height of its tree (a leaf is 1).
// Trees are walked recursively by the checker, the printer and the engine, so
// no tree may be taller than kMaxNesting, however it was written: a chain of
// 300 `and`s is as deep as 300 parentheses. The node that would pass the
// limit stops the parse, located at its last kid (where the PEGTL parser
// reports it).
struct HExpr {
  ast::Expr e;
  std::uint32_t h = 1;
};

inline HExpr leaf(const State& s, ast::ExprKind kind, Span sp, std::string text = {}) {
  HExpr x;
  x.e.kind = kind;
  x.e.loc = s.loc(sp.begin, sp.end);
  x.e.text = std::move(text);
  return x;
}

inline ast::Expr node(ast::ExprKind kind, ast::Loc loc, std::string text = {}) {
  ast::Expr e;
  e.kind = kind;
  e.loc = loc;
  e.text = std::move(text);
  return e;
}

// A node taller than kMaxNesting. The PEGTL parser builds a node only once
// everything after its last kid that it committed to has matched: in
// `y is b + a[a[...]] [` it reports the `[` without an index, never the
// tall comparison. X3 backtracks out of such a failed continuation and
// completes the node. When the last token matched is a continuation after
// the node (past its closing parentheses) and a token beyond it has failed,
// that continuation failed: the tall node is only recorded, and the parse ends
// with that syntax error (as the PEGTL parser's does), or, if it succeeds
// after all, with nesting-too-deep.
[[noreturn]] inline void throw_too_deep(std::uint32_t at) { throw NestingTooDeep{at}; }
inline void too_tall(const ast::Expr& e) {
  std::uint32_t at = e.kids.back().loc.begin;
  State* st = current_state;
  if (st && st->limit && st->failed_any && e.loc.end >= st->shift) {
    const char* p = st->base + (e.loc.end - st->shift);
    while (p <= st->limit) {
      p = skip_blank(p, st->limit);
      if (p == st->limit || *p != ')') break;
      ++p;
    }
    std::uint32_t next = p <= st->limit ? st->off(p) : UINT32_MAX;
    if (next != UINT32_MAX && st->last_token >= next && st->furthest > next) {
      st->deferred_too_deep = std::min(st->deferred_too_deep, at);
      return;
    }
  }
  throw_too_deep(at);
}

// Moves the kids into `e` and measures the result.
template <typename... Kids>
HExpr with_kids(ast::Expr e, Kids&&... kids) {
  std::uint32_t h = 0;
  e.kids.reserve(sizeof...(Kids));
  ((h = std::max(h, kids.h), e.kids.push_back(std::move(kids.e))), ...);
  if (h + 1 > static_cast<std::uint32_t>(kMaxNesting)) too_tall(e);
  return {std::move(e), h + 1};
}

inline HExpr with_kids(ast::Expr e, std::vector<HExpr>&& kids) {
  std::uint32_t h = 0;
  e.kids.reserve(kids.size());
  for (HExpr& k : kids) {
    h = std::max(h, k.h);
    e.kids.push_back(std::move(k.e));
  }
  if (e.kids.empty()) return {std::move(e), 1};
  if (h + 1 > static_cast<std::uint32_t>(kMaxNesting)) too_tall(e);
  return {std::move(e), h + 1};
}

// A binary node spans its operands.
inline HExpr binary(ast::ExprKind kind, HExpr lhs, HExpr rhs, std::string op = {}) {
  ast::Expr e = node(kind, {lhs.e.loc.file, lhs.e.loc.begin, rhs.e.loc.end}, std::move(op));
  return with_kids(std::move(e), std::move(lhs), std::move(rhs));
}

inline HExpr name_expr(const ast::Ident& id) { return {node(ast::ExprKind::Name, id.loc, id.name), 1}; }

// ------------------------------------------------------------ semantic actions

struct assign {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    _val(ctx) = std::move(_attr(ctx));
  }
};

struct push_back {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    _val(ctx).push_back(std::move(_attr(ctx)));
  }
};

// _val = _val KIND _attr (left associative chains: and, or, ..).
template <ast::ExprKind Kind>
struct fold {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    HExpr& v = _val(ctx);
    v = binary(Kind, std::move(v), std::move(_attr(ctx)));
  }
};

// _val = _val OP rhs, with _attr = (op span, rhs): + - * / and comparisons.
template <ast::ExprKind Kind>
struct fold_op {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    HExpr& v = _val(ctx);
    std::string op(slice(state(ctx), at_c<0>(a)));
    v = binary(Kind, std::move(v), std::move(at_c<1>(a)), std::move(op));
  }
};

// is [not] missing / present:  _attr = (not?, word)
struct make_missing {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    HExpr& v = _val(ctx);
    Span word = at_c<1>(a);
    bool present = slice(state(ctx), word) == "present";
    if (at_c<0>(a)) present = !present;
    ast::Expr e = node(ast::ExprKind::Missing, {v.e.loc.file, v.e.loc.begin, word.end});
    e.number = present ? 1 : 0;
    v = with_kids(std::move(e), std::move(v));
  }
};

// is [not] VALUE: _attr = (not?, value)
struct make_is {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    HExpr& v = _val(ctx);
    bool negated = static_cast<bool>(at_c<0>(a));
    v = binary(ast::ExprKind::Compare, std::move(v), std::move(at_c<1>(a)), negated ? "!=" : "==");
  }
};

// [not] in / [not] contains: _attr = (not?, keyword, value)
template <ast::ExprKind Kind>
struct make_negatable {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    HExpr& v = _val(ctx);
    bool negated = static_cast<bool>(at_c<0>(a));
    v = binary(Kind, std::move(v), std::move(at_c<2>(a)));
    v.e.number = negated ? 1 : 0;
  }
};

// between lo and hi: _attr = (between, lo, hi)
struct make_between {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    HExpr& v = _val(ctx);
    ast::Expr e = node(ast::ExprKind::Between, {v.e.loc.file, v.e.loc.begin, at_c<2>(a).e.loc.end});
    v = with_kids(std::move(e), std::move(v), std::move(at_c<1>(a)), std::move(at_c<2>(a)));
  }
};

// not x / -x: _attr = (operator span, operand)
template <ast::ExprKind Kind>
struct make_prefix {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    HExpr& operand = at_c<1>(a);
    ast::Expr e = node(Kind, state(ctx).loc(at_c<0>(a).begin, operand.e.loc.end));
    _val(ctx) = with_kids(std::move(e), std::move(operand));
  }
};

// a.b: _attr = member ident
struct make_member {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    ast::Ident& id = _attr(ctx);
    HExpr& v = _val(ctx);
    ast::Expr e = node(ast::ExprKind::Member, {v.e.loc.file, v.e.loc.begin, id.loc.end}, std::move(id.name));
    v = with_kids(std::move(e), std::move(v));
  }
};

// a[i]: _attr = (index, closing bracket)
struct make_index {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    HExpr& v = _val(ctx);
    std::uint32_t end = at_c<1>(a).end;
    v = binary(ast::ExprKind::Index, std::move(v), std::move(at_c<0>(a)));
    v.e.loc.end = end;
  }
};

// The index of an action's target: an Index node, but not a value, so not
// measured (the PEGTL parser measures only the index inside it).
struct make_target_index {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    HExpr& v = _val(ctx);
    ast::Expr e = node(ast::ExprKind::Index, {v.e.loc.file, v.e.loc.begin, at_c<1>(a).end});
    e.kids.reserve(2);
    e.kids.push_back(std::move(v.e));
    e.kids.push_back(std::move(at_c<0>(a).e));
    v.e = std::move(e);
  }
};

struct make_number {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    State& s = state(ctx);
    Span sp = _attr(ctx);
    HExpr x = leaf(s, ast::ExprKind::Number, sp, std::string(slice(s, sp)));
    x.e.number = std::strtod(x.e.text.c_str(), nullptr);
    _val(ctx) = std::move(x);
  }
};

// A string as a value: one literal (adjacent strings join only as a text).
struct make_string {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    State& s = state(ctx);
    Span sp = _attr(ctx);
    _val(ctx) = HExpr{node(ast::ExprKind::String, s.loc(sp.begin, sp.end), unescape(slice(s, sp))), 1};
  }
};

template <int Value>
struct make_bool {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    HExpr x = leaf(state(ctx), ast::ExprKind::Bool, _attr(ctx));
    x.e.number = Value;
    _val(ctx) = std::move(x);
  }
};

struct make_name {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    _val(ctx) = name_expr(_attr(ctx));
  }
};

// f(args): _val = the name f, _attr = (args, closing parenthesis)
struct make_call {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    HExpr& v = _val(ctx);
    ast::Expr e = node(ast::ExprKind::Call, {v.e.loc.file, v.e.loc.begin, at_c<1>(a).end}, std::move(v.e.text));
    v = with_kids(std::move(e), std::move(at_c<0>(a)));
  }
};

// [items] / {items}: _attr = (opening, items, closing)
template <ast::ExprKind Kind>
struct make_collection {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Expr e = node(Kind, state(ctx).loc(at_c<0>(a).begin, at_c<2>(a).end));
    _val(ctx) = with_kids(std::move(e), std::move(at_c<1>(a)));
  }
};

struct make_ident {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    State& s = state(ctx);
    Span sp = _attr(ctx);
    _val(ctx) = ast::Ident{std::string(slice(s, sp)), s.loc(sp.begin, sp.end)};
  }
};

struct make_text {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    State& s = state(ctx);
    std::vector<Span>& parts = _attr(ctx);
    ast::Text t;
    t.parts.reserve(parts.size());
    for (Span sp : parts) t.parts.push_back(unescape(slice(s, sp)));
    t.loc = s.loc(parts.front().begin, parts.back().end);
    _val(ctx) = std::move(t);
  }
};


// ---- clauses: _attr = (keyword, value)
struct make_source_clause {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Text& t = at_c<1>(a);
    _val(ctx) = ast::Rule::Clause{"source", state(ctx).loc(at_c<0>(a).begin, t.loc.end), t.loc, joined(t), {}};
  }
};
struct make_priority_clause {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    State& s = state(ctx);
    auto& a = _attr(ctx);
    Span v = at_c<1>(a);
    _val(ctx) = ast::Rule::Clause{"priority", s.loc(at_c<0>(a).begin, v.end), s.loc(v.begin, v.end),
                                  std::string(slice(s, v)), {}};
  }
};
struct make_category_clause {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Ident& id = at_c<1>(a);
    _val(ctx) = ast::Rule::Clause{"category", state(ctx).loc(at_c<0>(a).begin, id.loc.end), id.loc,
                                  std::move(id.name), {}};
  }
};

struct make_stages_clause {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    std::vector<ast::Ident>& items = at_c<1>(a);
    std::string joined;
    for (const ast::Ident& i : items) joined += (joined.empty() ? "" : ", ") + i.name;
    ast::Loc value_loc = items.front().loc;
    value_loc.end = items.back().loc.end;
    ast::Rule::Clause c{"stages", state(ctx).loc(at_c<0>(a).begin, value_loc.end), value_loc, std::move(joined), {}};
    c.items = std::move(items);
    _val(ctx) = std::move(c);
  }
};

// ---- actions
inline ast::Action start_action(const State& s, ast::ActionKind kind, Span keyword) {
  ast::Action a;
  a.kind = kind;
  a.loc = s.loc(keyword.begin, keyword.end);
  return a;
}

// set TARGET = VALUE: _attr = (set, target, value)
struct make_set {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Action act = start_action(state(ctx), ast::ActionKind::Set, at_c<0>(a));
    act.parts().target = std::move(at_c<1>(a).e);
    act.parts().value = std::move(at_c<2>(a).e);
    act.loc.end = act.value().loc.end;
    _val(ctx) = std::move(act);
  }
};
// add VALUE to TARGET: _attr = (add, value, target)
struct make_add {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Action act = start_action(state(ctx), ast::ActionKind::Add, at_c<0>(a));
    act.parts().value = std::move(at_c<1>(a).e);
    act.parts().target = std::move(at_c<2>(a).e);
    act.loc.end = act.target().loc.end;
    _val(ctx) = std::move(act);
  }
};
// recommend [CATEGORY] ID [: TEXT]: _attr = (recommend, ident, ident?, text?)
struct make_recommend {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Action act = start_action(state(ctx), ast::ActionKind::Recommend, at_c<0>(a));
    if (at_c<2>(a)) {
      act.parts().category = std::move(at_c<1>(a));
      act.parts().id = std::move(*at_c<2>(a));
    } else {
      act.parts().id = std::move(at_c<1>(a));
    }
    act.loc.end = act.id().loc.end;
    if (at_c<3>(a)) {
      act.text = std::move(*at_c<3>(a));
      act.has_text = true;
      act.loc.end = act.text.loc.end;
    }
    _val(ctx) = std::move(act);
  }
};
// note TEXT / warn TEXT: _attr = (keyword, text)
template <ast::ActionKind Kind>
struct make_text_action {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Action act = start_action(state(ctx), Kind, at_c<0>(a));
    act.text = std::move(at_c<1>(a));
    act.has_text = true;
    act.loc.end = act.text.loc.end;
    _val(ctx) = std::move(act);
  }
};
// cite VALUE: _attr = (cite, value)
struct make_cite {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Action act = start_action(state(ctx), ast::ActionKind::Cite, at_c<0>(a));
    act.parts().value = std::move(at_c<1>(a).e);
    act.loc.end = act.value().loc.end;
    _val(ctx) = std::move(act);
  }
};

// ---- patterns and aggregates
// The parts after a pattern's first word(s), filled in one by one.
struct PatternParts {
  Span article;             // there is a|an|no
  Span function;            // the sum|minimum|maximum|average of
  ast::Ident t, x;          // binding
  std::optional<HExpr> where;
  std::optional<HExpr> last;  // D of every, V of an aggregate
};
template <auto Member>
struct set_part {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    _val(ctx).*Member = std::move(_attr(ctx));
  }
};

// _attr = (first word, parts)
template <ast::ExprKind Kind>
struct make_pattern {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    State& s = state(ctx);
    auto& a = _attr(ctx);
    PatternParts& p = at_c<1>(a);
    ast::Expr e = node(Kind, s.loc(at_c<0>(a).begin, p.x.loc.end));
    if constexpr (Kind == ast::ExprKind::Exists) {
      std::string_view art = slice(s, p.article);
      if (art == "no") e.kind = ast::ExprKind::NotExists;
      else e.text = std::string(art);
    }
    if constexpr (Kind == ast::ExprKind::Aggregate) {
      std::string_view fn = p.function.end > p.function.begin ? slice(s, p.function) : std::string_view("count");
      e.text = fn == "minimum" ? "min" : fn == "maximum" ? "max" : std::string(fn);
    }
    std::vector<HExpr> kids;
    kids.push_back(name_expr(p.t));
    kids.push_back(name_expr(p.x));
    if (p.where) {
      e.number = ast::kHasWhere;
      kids.push_back(std::move(*p.where));
    }
    if (p.last) kids.push_back(std::move(*p.last));
    for (const HExpr& k : kids) e.loc.end = std::max(e.loc.end, k.e.loc.end);
    _val(ctx) = with_kids(std::move(e), std::move(kids));
  }
};

// ---- fact actions
// f = v: _attr = (field, value)
struct make_field_init {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::FieldInit f;
    f.field = std::move(at_c<0>(a));
    f.value = std::move(at_c<1>(a).e);
    f.loc = {f.field.loc.file, f.field.loc.begin, f.value.loc.end};
    _val(ctx) = std::move(f);
  }
};
// create T [with ...] / change x with ...: _attr = (keyword, name, fields or optional fields)
template <ast::ActionKind Kind>
struct make_fact_action {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Action act = start_action(state(ctx), Kind, at_c<0>(a));
    act.parts().id = std::move(at_c<1>(a));
    if constexpr (Kind == ast::ActionKind::Create) {
      if (at_c<2>(a)) act.parts().fields = std::move(*at_c<2>(a));
    } else {
      act.parts().fields = std::move(at_c<2>(a));
    }
    act.loc.end = act.fields().empty() ? act.id().loc.end : act.fields().back().loc.end;
    _val(ctx) = std::move(act);
  }
};
// remove x: _attr = (keyword, name)
struct make_remove {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Action act = start_action(state(ctx), ast::ActionKind::Remove, at_c<0>(a));
    act.parts().id = std::move(at_c<1>(a));
    act.loc.end = act.id().loc.end;
    _val(ctx) = std::move(act);
  }
};
// logical: _attr = its span
struct make_logical_clause {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    Span sp = _attr(ctx);
    ast::Loc l = state(ctx).loc(sp.begin, sp.end);
    _val(ctx) = ast::Rule::Clause{"logical", l, l, {}, {}};
  }
};

// ---- templates
struct set_field_name {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    ast::FieldDecl& f = _val(ctx);
    f.name = std::move(_attr(ctx));
    f.loc = f.name.loc;
  }
};
struct set_field_type {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    ast::FieldDecl& f = _val(ctx);
    f.type = std::move(_attr(ctx));
    f.loc.end = f.type.loc.end;
  }
};
// lo .. hi after the type: not measured (the PEGTL parser measures the bounds only)
struct set_field_range {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::FieldDecl& f = _val(ctx);
    ast::Expr& lo = at_c<0>(a).e;
    ast::Expr& hi = at_c<1>(a).e;
    ast::Expr e = node(ast::ExprKind::Range, {lo.loc.file, lo.loc.begin, hi.loc.end});
    e.kids.reserve(2);
    e.kids.push_back(std::move(lo));
    e.kids.push_back(std::move(hi));
    f.range = std::move(e);
    f.has_range = true;
    f.loc.end = f.range.loc.end;
  }
};
// {a, b}: _attr = (opening, names, closing)
struct set_field_values {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::FieldDecl& f = _val(ctx);
    ast::Expr e = node(ast::ExprKind::Set, state(ctx).loc(at_c<0>(a).begin, at_c<2>(a).end));
    for (ast::Ident& id : at_c<1>(a)) e.kids.push_back(name_expr(id).e);
    f.values = std::move(e);
    f.loc.end = at_c<2>(a).end;
  }
};
struct set_field_optional {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    ast::FieldDecl& f = _val(ctx);
    f.optional = true;
    f.loc.end = Span(_attr(ctx)).end;
  }
};
// template NAME [TEXT] FIELD* end: _attr = (template, name, text?, fields, end)
struct make_template {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Template t;
    t.loc = state(ctx).loc(at_c<0>(a).begin, at_c<4>(a).end);
    t.name = std::move(at_c<1>(a));
    if (at_c<2>(a)) {
      t.description = std::move(*at_c<2>(a));
      t.has_description = true;
    }
    t.fields = std::move(at_c<3>(a));
    _val(ctx) = std::move(t);
  }
};
// strategy NAME: _attr = (strategy, name)
struct make_strategy {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::StrategyDecl d;
    d.name = std::move(at_c<1>(a));
    d.loc = state(ctx).loc(at_c<0>(a).begin, d.name.loc.end);
    _val(ctx) = std::move(d);
  }
};

// ---- items
// rule NAME [TEXT] CLAUSE* when COND then ACTION* end
struct make_rule {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Rule r;
    r.loc = state(ctx).loc(at_c<0>(a).begin, at_c<6>(a).end);
    r.name = std::move(at_c<1>(a));
    if (at_c<2>(a)) {
      r.description = std::move(*at_c<2>(a));
      r.has_description = true;
    }
    r.clauses = std::move(at_c<3>(a));
    r.condition = std::move(at_c<4>(a).e);
    r.actions = std::move(at_c<5>(a));
    _val(ctx) = std::move(r);
  }
};
// if COND then ACTION+
struct make_short_rule {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ast::Rule r;
    r.short_form = true;
    r.condition = std::move(at_c<1>(a).e);
    r.actions = std::move(at_c<2>(a));
    r.loc = state(ctx).loc(at_c<0>(a).begin, r.actions.back().loc.end);
    _val(ctx) = std::move(r);
  }
};
// (group | const | alias) NAME = VALUE
struct make_definition {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    State& s = state(ctx);
    auto& a = _attr(ctx);
    Span kw = at_c<0>(a);
    std::string_view word = slice(s, kw);
    ast::Definition d;
    d.kind = word == "group" ? ast::DefKind::Group : word == "const" ? ast::DefKind::Constant : ast::DefKind::Alias;
    d.name = std::move(at_c<1>(a));
    d.value = std::move(at_c<2>(a).e);
    d.loc = s.loc(kw.begin, d.value.loc.end);
    _val(ctx) = std::move(d);
  }
};
// include STRING
struct make_include {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    State& s = state(ctx);
    auto& a = _attr(ctx);
    Span path = at_c<1>(a);
    ast::Include inc;
    inc.path.parts.push_back(unescape(slice(s, path)));
    inc.path.loc = s.loc(path.begin, path.end);
    inc.loc = s.loc(at_c<0>(a).begin, path.end);
    _val(ctx) = std::move(inc);
  }
};

template <ast::ItemKind Kind, auto Member>
struct add_item {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    ast::File& f = _val(ctx);
    auto& list = f.*Member;
    f.items.push_back({Kind, static_cast<std::uint32_t>(list.size())});
    list.push_back(std::move(_attr(ctx)));
  }
};

// ------------------------------------------------------------ rules

struct ident_class;
struct text_class;
struct expr_class;
struct or_class;
struct and_class;
struct not_class;
struct test_class;
struct range_class;
struct sum_class;
struct product_class;
struct unary_class;
struct postfix_class;
struct primary_class;
struct items_class;
struct target_class;
struct clause_class;
struct action_class;
struct rule_class;
struct short_rule_class;
struct definition_class;
struct include_class;
struct pattern_body_class;
struct there_body_class;
struct every_body_class;
struct value_body_class;
struct field_init_class;
struct field_inits_class;
struct field_decl_class;
struct value_names_class;
struct template_class;
struct strategy_class;

x3::rule<ident_class, ast::Ident> const ident = "identifier";
x3::rule<text_class, ast::Text> const text = "text";
x3::rule<expr_class, HExpr> const expr = "expression";
x3::rule<or_class, HExpr> const or_expr = "or";
x3::rule<and_class, HExpr> const and_expr = "and";
x3::rule<not_class, HExpr> const not_expr = "not";
x3::rule<test_class, HExpr> const test = "test";
x3::rule<range_class, HExpr> const range = "range";
x3::rule<sum_class, HExpr> const sum = "sum";
x3::rule<product_class, HExpr> const product = "product";
x3::rule<unary_class, HExpr> const unary = "unary";
x3::rule<postfix_class, HExpr> const postfix = "postfix";
x3::rule<primary_class, HExpr> const primary = "primary";
x3::rule<items_class, std::vector<HExpr>> const items = "items";
x3::rule<target_class, HExpr> const target = "target";
x3::rule<clause_class, ast::Rule::Clause> const clause = "clause";
x3::rule<action_class, ast::Action> const action = "action";
x3::rule<rule_class, ast::Rule> const rule_item = "rule";
x3::rule<short_rule_class, ast::Rule> const short_rule_item = "short rule";
x3::rule<definition_class, ast::Definition> const definition_item = "definition";
x3::rule<include_class, ast::Include> const include_item = "include";
x3::rule<pattern_body_class, PatternParts> const pattern_body = "pattern";
x3::rule<there_body_class, PatternParts> const there_body = "pattern";
x3::rule<every_body_class, PatternParts> const every_body = "pattern";
x3::rule<value_body_class, PatternParts> const value_body = "aggregate";
x3::rule<field_init_class, ast::FieldInit> const field_init = "field";
x3::rule<field_inits_class, std::vector<ast::FieldInit>> const field_inits = "fields";
x3::rule<field_decl_class, ast::FieldDecl> const field_decl = "field";
x3::rule<value_names_class, std::vector<ast::Ident>> const value_names = "values";
x3::rule<template_class, ast::Template> const template_item = "template";
x3::rule<strategy_class, ast::StrategyDecl> const strategy_item = "strategy";

auto const ident_def = ident_tok[make_ident{}];

// text <- string+
auto const text_def = (+string_tok)[make_text{}];

// expr <- or
auto const expr_def = or_expr;

// or <- and (KW(or) and)*
auto const or_expr_def = and_expr[assign{}] >> *(KU("or") >> and_expr[fold<ast::ExprKind::Or>{}]);

// and <- not (KW(and) not)*
auto const and_expr_def = not_expr[assign{}] >> *(KU("and") >> not_expr[fold<ast::ExprKind::And>{}]);

// pattern <- KW(for) KW(each) binding where?
//          / KW(there) KW(is) (W(an) / W(a) / W(no)) binding where?
//          / KW(every) binding where? KW(has) not
// binding <- ident ident ; where <- KW(where) and
// A pattern is one nesting level deeper than where it stands (nest_op: a
// pattern too deep is located at its first word, as the PEGTL parser does).
auto const where_part = KU("where") >> and_expr[set_part<&PatternParts::where>{}];
auto const binding_part = ident[set_part<&PatternParts::t>{}] >> ident[set_part<&PatternParts::x>{}];
auto const pattern_body_def = binding_part >> -where_part;
auto const article = tok<true, word_end>("`a`, `an` or `no`", x3::lit("an") | x3::lit("a") | x3::lit("no"));
auto const there_body_def = KU("is") >> article[set_part<&PatternParts::article>{}] >> binding_part >> -where_part;
auto const every_body_def =
    binding_part >> -where_part >> KU("has") >> not_expr[set_part<&PatternParts::last>{}];
auto const pattern = (K("for") >> nest_op[KU("each") >> pattern_body])[make_pattern<ast::ExprKind::ForEach>{}] |
                     (K("there") >> nest_op[there_body])[make_pattern<ast::ExprKind::Exists>{}] |
                     (K("every") >> nest_op[every_body])[make_pattern<ast::ExprKind::Every>{}];

// not <- KW(not) not / pattern / test
auto const not_expr_def =
    (K("not") >> nest_op[not_expr])[make_prefix<ast::ExprKind::Not>{}] | pattern | test[assign{}];

// test <- range ( cmp range / is not? (missing / present / range)
//               / not? in range / not? contains range / between range and range )?
auto const cmp_op = tok("comparison",
                        x3::lit("<=") | x3::lit(">=") | x3::lit("!=") | x3::lit("==") | x3::lit('<') | x3::lit('>'));
auto const missing_or_present = tok<true, word_end>("`missing` or `present`", x3::lit("missing") | x3::lit("present"));
auto const test_def =
    range[assign{}] >>
    -((cmp_op >> range)[fold_op<ast::ExprKind::Compare>{}] |
      (KU("is") >> -K("not") >> missing_or_present)[make_missing{}] |
      (KU("is") >> -K("not") >> range)[make_is{}] |
      (-K("not") >> K("in") >> range)[make_negatable<ast::ExprKind::In>{}] |
      (-K("not") >> K("contains") >> range)[make_negatable<ast::ExprKind::Contains>{}] |
      (K("between") >> range >> KU("and") >> range)[make_between{}]) >>
    no_chain{};  // comparisons do not chain (and do not continue after an aggregate's `where`)

// range <- sum ('..' sum)?
auto const range_def = sum[assign{}] >> -(PU("..") >> sum[fold<ast::ExprKind::Range>{}]);

// sum <- product (('+' / '-') product)*
auto const sum_def = product[assign{}] >> *((tok("`+` or `-`", x3::lit('+') | x3::lit('-')) >> product)[fold_op<ast::ExprKind::Arith>{}]);

// product <- unary (('*' / '/') unary)*
auto const product_def = unary[assign{}] >> *((tok("`*` or `/`", x3::lit('*') | x3::lit('/')) >> unary)[fold_op<ast::ExprKind::Arith>{}]);

// unary <- '-' unary / postfix
auto const unary_def = (P("-") >> nest_op[unary])[make_prefix<ast::ExprKind::Neg>{}] | postfix[assign{}];

// postfix <- primary ('.' ident / '[' expr ']')*
auto const postfix_def = primary[assign{}] >>
                         *((tok<false, not_dot>(".", x3::lit('.')) >> ident)[make_member{}] | (PU("[") >> nest[expr] >> P("]"))[make_index{}]);

// (expr (',' expr)*)?
auto const items_def = -(expr[push_back{}] >> *(PU(",") >> expr[push_back{}]));

// primary <- number / string / true / false / ident '(' items ')' / ident
//          / '[' items ']' / '{' items '}' / '(' expr ')'
// The two ident alternatives are merged as ident ('(' items ')')?: the same
// language, since `(` can never follow a complete value, and the name is read
// once.
// aggregate <- W(the) W(number) W(of) binding where?
//            / W(the) (W(sum) / W(minimum) / W(maximum) / W(average)) W(of) sum KW(for) KW(each) binding where?
// What follows the head is one nesting level deeper (nest: located there).
auto const value_function = tok<true, word_end, fail_quietly>(
    "aggregate", x3::lit("sum") | x3::lit("minimum") | x3::lit("maximum") | x3::lit("average"));
auto const value_body_def = sum[set_part<&PatternParts::last>{}] >> KU("for") >> KU("each") >> binding_part >>
                            -where_part;
struct set_function {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    PatternParts& p = at_c<1>(a);
    p.function = at_c<0>(a);
    _val(ctx) = std::move(p);
  }
};
x3::rule<struct value_aggregate_class, PatternParts> const value_aggregate_parts = "aggregate";
auto const value_aggregate_parts_def = (value_function >> KQ("of") >> nest[value_body])[set_function{}];
auto const aggregate = (K("the") >> KQ("number") >> KQ("of") >> nest[pattern_body])[make_pattern<ast::ExprKind::Aggregate>{}] |
                       (K("the") >> value_aggregate_parts)[make_pattern<ast::ExprKind::Aggregate>{}];

auto const primary_def = number_tok[make_number{}] | string_tok[make_string{}] | K("true")[make_bool<1>{}] |
                         K("false")[make_bool<0>{}] | aggregate |
                         (ident[make_name{}] >> -(PU("(") >> nest[items] >> P(")"))[make_call{}]) |
                         (P("[") >> nest[items] >> P("]"))[make_collection<ast::ExprKind::List>{}] |
                         (P("{") >> nest[items] >> P("}"))[make_collection<ast::ExprKind::Set>{}] |
                         (PU("(") >> nest[expr] >> PU(")"))[assign{}];

// target <- ident ('[' expr ']')?
// (The index is the action's first expression, so level 1: no nest[] here.)
auto const target_def = ident[make_name{}] >> -((PU("[") >> expr >> P("]"))[make_target_index{}]);

// clause <- KW(source) text / KW(priority) integer / KW(category) ident / KW(stages) ident (',' ident)* / W(logical)
auto const clause_def = (K("source") >> text)[make_source_clause{}] |
                        (K("priority") >> integer_tok)[make_priority_clause{}] |
                        (K("category") >> ident)[make_category_clause{}] |
                        (K("stages") >> (ident % PU(",")))[make_stages_clause{}] |
                        K("logical")[make_logical_clause{}];

// field_init <- ident '=' expr
auto const field_init_def = (ident >> PU("=") >> expr)[make_field_init{}];
auto const field_inits_def = field_init[push_back{}] >> *(PU(",") >> field_init[push_back{}]);

// action <- set target '=' expr / add expr to target / recommend ident ident? (':' text)?
//         / note text / warn text / cite expr
auto const action_def = (K("set") >> target >> PU("=") >> expr)[make_set{}] |
                        (K("add") >> expr >> KU("to") >> target)[make_add{}] |
                        (K("recommend") >> ident >> -(!quiet[KU("strategy") >> ident] >> ident) >> -(PU(":") >> text))[make_recommend{}] |
                        (K("note") >> text)[make_text_action<ast::ActionKind::Note>{}] |
                        (K("warn") >> text)[make_text_action<ast::ActionKind::Warn>{}] |
                        (K("cite") >> expr)[make_cite{}] |
                        (K("create") >> ident >> -(KU("with") >> field_inits))[make_fact_action<ast::ActionKind::Create>{}] |
                        (K("change") >> ident >> KU("with") >> field_inits)[make_fact_action<ast::ActionKind::Change>{}] |
                        (K("remove") >> ident)[make_remove{}];

// rule <- KW(rule) ident text? clause* KW(when) expr KW(then) action* KW(end)
auto const rule_item_def =
    (K("rule") >> ident >> -text >> *clause >> KU("when") >> expr >> KU("then") >> *action >> K("end"))[make_rule{}];

// short_rule <- KW(if) expr KW(then) action+
auto const short_rule_item_def = (K("if") >> expr >> KU("then") >> +action)[make_short_rule{}];

// definition <- (KW(group) / KW(const) / KW(alias)) ident '=' expr
auto const definition_item_def =
    (tok<true, word_end>("`group`, `const` or `alias`", x3::lit("group") | x3::lit("const") | x3::lit("alias")) >> ident >> PU("=") >> expr)[make_definition{}];

// include <- KW(include) string
auto const include_item_def = (K("include") >> string_tok)[make_include{}];

// template <- KW(template) ident text? field_decl* KW(end)
// field_decl <- ident ':' type (W(optional) !(_ ':'))?
// type <- '{' (ident (',' ident)*)? '}' / ident (bound '..' bound)?
// bound <- '-'? number / ident
// Whether a range follows is a lookahead (quiet: see quiet_directive).
struct bound_class;
struct bound_number_class;
x3::rule<bound_class, HExpr> const bound = "bound";
x3::rule<bound_number_class, HExpr> const bound_number = "number";
auto const bound_number_def = number_tok[make_number{}];
auto const bound_def = (P("-") >> bound_number)[make_prefix<ast::ExprKind::Neg>{}] | bound_number[assign{}] |
                       ident[make_name{}];
auto const value_names_def = -(ident[push_back{}] >> *(PU(",") >> ident[push_back{}]));
auto const field_decl_def =
    ident[set_field_name{}] >> PU(":") >>
    ((P("{") >> value_names >> P("}"))[set_field_values{}] |
     (ident[set_field_type{}] >> -(quiet[bound >> PU("..")] >> bound)[set_field_range{}])) >>
    -((tok<true, word_end>("optional", x3::lit("optional")) >> !PU(":"))[set_field_optional{}]);
auto const template_item_def = (K("template") >> ident >> -text >> *field_decl >> K("end"))[make_template{}];

// strategy <- W(strategy) ident
auto const strategy_item_def = (K("strategy") >> ident)[make_strategy{}];

// file <- _ item* EOF
auto const file_body = *(include_item[add_item<ast::ItemKind::Include, &ast::File::includes>{}] |
                        definition_item[add_item<ast::ItemKind::Definition, &ast::File::definitions>{}] |
                        rule_item[add_item<ast::ItemKind::Rule, &ast::File::rules>{}] |
                        short_rule_item[add_item<ast::ItemKind::Rule, &ast::File::rules>{}] |
                        template_item[add_item<ast::ItemKind::Template, &ast::File::templates>{}] |
                        strategy_item[add_item<ast::ItemKind::Strategy, &ast::File::strategies>{}]) >>
                      end_of_input;

// One expression and nothing else (placeholders in texts).
struct assign_expr {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    _val(ctx) = std::move(_attr(ctx).e);
  }
};
auto const expr_entry_body = expr[assign_expr{}] >> end_of_input;

BOOST_SPIRIT_DEFINE(ident, text, expr, or_expr, and_expr, not_expr, test, range, sum, product, unary, postfix,
                    primary, items, target, clause, action, rule_item, short_rule_item, definition_item,
                    include_item, pattern_body, there_body, every_body, value_body, value_aggregate_parts,
                    field_init, field_inits, field_decl, value_names, template_item, strategy_item, bound, bound_number)

}  // namespace grammar

// The two entry rules live in advise::x3p, where their IDs are declared, so
// that argument-dependent lookup finds the parse_rule defined here.
file_type const file = "file";
expr_entry_type const expr_entry = "expression";
auto const file_def = grammar::file_body;
auto const expr_entry_def = grammar::expr_entry_body;
BOOST_SPIRIT_DEFINE(file, expr_entry)

}  // namespace advise::x3p
