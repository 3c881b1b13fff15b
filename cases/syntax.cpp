// The case-file grammar (a small PEGTL grammar of lines) and its driver,
// parse_case_file (cases/syntax.hpp).
#include "cases/syntax.hpp"

#include <algorithm>
#include <type_traits>

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze.hpp>

#include "dsl/grammar.hpp"
#include "dsl/lexical.hpp"
#include "dsl/parser.hpp"
#include "kb/suggest.hpp"

namespace advise::cases {

// ================================================================ grammar
//
// A case file is read line by line; each line is one of
//
//   line        <- _h ( blank / case / end / profile / expect )
//   blank       <- _h comment? EOL
//   case        <- 'case' _h string EOL'
//   end         <- 'end' EOL'
//   profile     <- 'profile' _h ( string / object ) EOL'       # object: balanced `{...}`, may span lines
//   expect      <- 'expect' _h ( recommended / fired / explained / condition )
//   recommended <- ('not' _h)? 'recommended' _h ident EOL'
//   fired       <- ('not' _h)? 'fired' _h ident EOL'
//   explained   <- subject _h 'explained' _h 'by' _h ident EOL'
//   condition   <- [^\n]* EOL                                  # the rule language's `expr` (parse_expression)
//   EOL'        <- _h comment? (EOL / EOF)
//
// `string`, `ident` and `comment` are the rule language's own
// (dsl/grammar.hpp). Which lines may follow which (a `case` opens, `end`
// closes, `profile` and `expect` only inside) is checked by the driver,
// parse_case_file(), so that a misplaced line gets a message of its own.
namespace cg {

namespace p = tao::pegtl;
namespace rg = advise::grammar;

struct hs : p::star<p::one<' ', '\t'>> {};
struct eol_or_eof : p::sor<p::eol, p::eof> {};
// EOL' <- _h comment? (EOL / EOF)
struct line_end : p::seq<hs, p::opt<rg::comment>, eol_or_eof> {};

#define ADVISE_CASE_KW(name, text) \
  struct kw_##name : TAO_PEGTL_KEYWORD(text) {}
ADVISE_CASE_KW(case, "case");
ADVISE_CASE_KW(end, "end");
ADVISE_CASE_KW(profile, "profile");
ADVISE_CASE_KW(expect, "expect");
ADVISE_CASE_KW(not, "not");
ADVISE_CASE_KW(recommended, "recommended");
ADVISE_CASE_KW(fired, "fired");
ADVISE_CASE_KW(explained, "explained");
ADVISE_CASE_KW(by, "by");
ADVISE_CASE_KW(catalog, "catalog");
ADVISE_CASE_KW(program, "program");
#undef ADVISE_CASE_KW

// case <- 'case' _h string EOL'
struct case_name : rg::string_lit {};
struct case_line_end : line_end {};
struct case_line : p::seq<kw_case, hs, p::must<case_name>, p::must<case_line_end>> {};

// end <- 'end' EOL'
struct end_line_end : line_end {};
struct end_line : p::seq<kw_end, p::must<end_line_end>> {};

// object <- '{' (json_string / object / [^{}"])* '}'   -- matched iteratively, no recursion
struct json_object {
  using rule_t = json_object;
  using subs_t = p::empty_list;
  template <typename ParseInput>
  static bool match(ParseInput& in);
};
struct profile_path : rg::string_lit {};
struct profile_object : json_object {};
struct profile_value : p::sor<profile_path, profile_object> {};
struct profile_line_end : line_end {};
// profile <- 'profile' _h (string / object) EOL'
struct profile_line : p::seq<kw_profile, hs, p::must<profile_value>, p::must<profile_line_end>> {};

// catalog <- 'catalog' _h string EOL'
struct catalog_path : rg::string_lit {};
struct catalog_line_end : line_end {};
struct catalog_line : p::seq<kw_catalog, hs, p::must<catalog_path>, p::must<catalog_line_end>> {};

struct negation : kw_not {};
struct rec_id : rg::ident {};
struct fired_rule : rg::ident {};
struct explained_rule : rg::ident {};
struct expect_end : line_end {};
// recommended <- ('not' _h)? 'recommended' _h ident
struct recommended_exp
    : p::seq<p::at<p::opt<kw_not, hs>, kw_recommended>, p::opt<negation, hs>, kw_recommended, hs, p::must<rec_id>> {};
// fired <- ('not' _h)? 'fired' _h ident
struct fired_exp : p::seq<p::at<p::opt<kw_not, hs>, kw_fired>, p::opt<negation, hs>, kw_fired, hs, p::must<fired_rule>> {};
// explained <- subject _h 'explained' _h 'by' _h ident
struct blanks : p::plus<p::one<' ', '\t'>> {};
struct subject : p::plus<p::not_at<blanks, kw_explained>, p::not_one<'\n', '\r', '#'>> {};
struct explained_by : kw_by {};
struct explained_exp
    : p::seq<p::at<subject, blanks, kw_explained>, subject, blanks, kw_explained, hs, p::must<explained_by>, hs,
             p::must<explained_rule>> {};
// program <- 'program' _h digits (_h ident)+
struct program_id_tok : p::plus<p::digit> {};
struct program_word : rg::ident {};
struct program_words : p::plus<hs, program_word> {};
struct program_exp : p::seq<kw_program, hs, p::must<program_id_tok>, p::must<program_words>> {};
// condition <- [^\n]*   (the rule language's expr; a trailing comment is the expression's spacing)
struct condition_text : p::star<p::not_one<'\n'>> {};
struct condition_exp : p::seq<condition_text, eol_or_eof> {};
struct expect_body
    : p::sor<p::seq<recommended_exp, p::must<expect_end>>, p::seq<fired_exp, p::must<expect_end>>,
             p::seq<explained_exp, p::must<expect_end>>, p::seq<program_exp, p::must<expect_end>>, condition_exp> {};
struct expect_line : p::seq<kw_expect, hs, expect_body> {};

struct blank_line : line_end {};
struct unknown_line : p::failure {};
// line <- _h (blank / case / end / profile / expect)
struct line
    : p::seq<hs, p::sor<blank_line, case_line, end_line, profile_line, catalog_line, expect_line, p::must<unknown_line>>> {};

}  // namespace cg

namespace {

namespace p = tao::pegtl;
namespace fs = std::filesystem;

// A syntax error at a byte offset of the file. Never escapes parse_case_file.
struct CaseSyntax {
  DiagKind kind;
  std::uint32_t offset;
  std::uint32_t length;
  std::string message;
};

enum class LineKind { Blank, Case, End, Profile, Catalog, Expect };

struct LineState {
  const char* base = nullptr;
  std::uint32_t file = 0;
  bool in_case = false;
  LineKind kind = LineKind::Blank;
  ast::Loc keyword;
  std::string name;  // case name
  ast::Loc name_loc;
  ProfileRef profile;
  ProfileRef catalog;
  Expectation exp;
  std::uint32_t string_open = 0;

  std::uint32_t offset(const char* at) const { return static_cast<std::uint32_t>(at - base); }
  template <typename Input>
  ast::Loc loc(const Input& in) const {
    return {file, offset(in.begin()), offset(in.end())};
  }
};



// What stands at `at`, in the rule parser's words (dsl/lexical.hpp); a
// line's end is what it is, not spacing.
Found found_at(const LineState& s, const char* at, const char* end) { return found_token(at, end, s.base, false); }

const std::vector<std::string>& line_keywords() {
  static const std::vector<std::string> k = {"case", "end", "expect", "profile"};
  return k;
}

template <typename Rule>
[[noreturn]] void raise_error(const char* at, const char* end, const LineState& s) {
  Found f = found_at(s, at, end);
  std::string msg;
  auto fail = [&](std::string m) { msg = std::move(m); };
  namespace rg = advise::grammar;
  if constexpr (std::is_same_v<Rule, cg::case_name>) {
    fail("expected the case's name in quotes, as in `case \"derm long shot\"`, found " + describe(f));
  } else if constexpr (std::is_same_v<Rule, rg::str_close>) {
    throw CaseSyntax{DiagKind::UnterminatedString, s.string_open, 1,
                     "unterminated text: close it with `\"` on the same line"};
  } else if constexpr (std::is_same_v<Rule, rg::str_escape_char>) {
    fail("unknown escape in text; write `\\\"`, `\\\\`, `\\n` or `\\t`");
  } else if constexpr (std::is_same_v<Rule, cg::case_line_end>) {
    fail("expected the end of the line after the case's name, found " + describe(f));
  } else if constexpr (std::is_same_v<Rule, cg::end_line_end>) {
    fail("expected the end of the line after `end`, found " + describe(f));
  } else if constexpr (std::is_same_v<Rule, cg::profile_value>) {
    fail("expected the profile after `profile`: a path in quotes, as in `profile \"profiles/derm.json\"`, or a "
         "JSON object, as in `profile { \"stage\": \"ms3\" }`; found " +
         describe(f));
  } else if constexpr (std::is_same_v<Rule, cg::catalog_path>) {
    fail("expected the catalog after `catalog`: a path in quotes, as in `catalog \"programs.csv\"`; found " +
         describe(f));
  } else if constexpr (std::is_same_v<Rule, cg::catalog_line_end>) {
    fail("expected the end of the line after the catalog, found " + describe(f));
  } else if constexpr (std::is_same_v<Rule, cg::program_id_tok>) {
    fail("expected a program id (its digits) after `program`, found " + describe(f));
  } else if constexpr (std::is_same_v<Rule, cg::program_words>) {
    fail("expected what the program's place must be after its id (a tier, a signal, `contingency` or `unlisted`), "
         "found " + describe(f));
  } else if constexpr (std::is_same_v<Rule, cg::profile_line_end>) {
    fail("expected the end of the line after the profile, found " + describe(f));
  } else if constexpr (std::is_same_v<Rule, cg::rec_id>) {
    fail("expected a recommendation id after `recommended`, found " + describe(f));
  } else if constexpr (std::is_same_v<Rule, cg::fired_rule>) {
    fail("expected a rule name after `fired`, found " + describe(f));
  } else if constexpr (std::is_same_v<Rule, cg::explained_by>) {
    fail("expected `by` after `explained`, found " + describe(f));
  } else if constexpr (std::is_same_v<Rule, cg::explained_rule>) {
    fail("expected a rule name after `explained by`, found " + describe(f));
  } else if constexpr (std::is_same_v<Rule, cg::expect_end>) {
    fail("expected the end of the line after the expectation, found " + describe(f) +
         "; write one expectation per line");
  } else if constexpr (std::is_same_v<Rule, cg::unknown_line>) {
    std::string m = s.in_case ? "expected `profile`, `expect` or `end`, found " + describe(f)
                              : "expected `case` to start a case, found " + describe(f);
    if (f.word)
      if (auto d = did_you_mean(f.text, line_keywords())) m += "; did you mean `" + *d + "`?";
    fail(m);
  } else {
    fail("unexpected " + describe(f));
  }
  throw CaseSyntax{DiagKind::SyntaxError, f.offset, std::max<std::uint32_t>(f.length, 1), std::move(msg)};
}

template <typename Rule>
struct control : p::normal<Rule> {
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, const LineState& s) {
    raise_error<Rule>(in.current(), in.end(), s);
  }
};

template <typename Rule>
struct action : p::nothing<Rule> {};

template <>
struct action<advise::grammar::str_open> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.string_open = s.offset(in.begin());
  }
};

template <>
struct action<cg::kw_case> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.kind = LineKind::Case;
    s.keyword = s.loc(in);
  }
};

template <>
struct action<cg::kw_end> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.kind = LineKind::End;
    s.keyword = s.loc(in);
  }
};

template <>
struct action<cg::kw_profile> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.kind = LineKind::Profile;
    s.keyword = s.loc(in);
  }
};

template <>
struct action<cg::kw_catalog> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.kind = LineKind::Catalog;
    s.keyword = s.loc(in);
  }
};

template <>
struct action<cg::kw_expect> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.kind = LineKind::Expect;
    s.keyword = s.loc(in);
  }
};

std::string_view inner(std::string_view quoted) {
  if (quoted.size() >= 2) return quoted.substr(1, quoted.size() - 2);
  return {};
}

template <>
struct action<cg::case_name> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.name = unescape(inner(in.string_view()));
    s.name_loc = s.loc(in);
  }
};

template <>
struct action<cg::profile_path> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.profile.is_inline = false;
    s.profile.path = unescape(inner(in.string_view()));
    s.profile.loc = s.loc(in);
  }
};

template <>
struct action<cg::catalog_path> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.catalog.is_inline = false;
    s.catalog.path = unescape(inner(in.string_view()));
    s.catalog.loc = s.loc(in);
  }
};

template <>
struct action<cg::profile_object> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.profile.is_inline = true;
    s.profile.json = in.string();
    s.profile.loc = s.loc(in);
  }
};

template <>
struct action<cg::negation> {
  template <typename Input>
  static void apply(const Input&, LineState& s) {
    s.exp.negated = true;
  }
};

template <typename Input>
void set_id(const Input& in, LineState& s) {
  s.exp.id = {in.string(), s.loc(in)};
}

template <>
struct action<cg::rec_id> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    set_id(in, s);
  }
};
template <>
struct action<cg::fired_rule> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    set_id(in, s);
  }
};
template <>
struct action<cg::explained_rule> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    set_id(in, s);
  }
};

template <>
struct action<cg::program_id_tok> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    set_id(in, s);
  }
};
template <>
struct action<cg::program_word> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.exp.words.push_back({in.string(), s.loc(in)});
  }
};

template <ExpectKind K>
struct body_action {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.exp.kind = K;
    s.exp.body = s.loc(in);
  }
};
template <>
struct action<cg::recommended_exp> : body_action<ExpectKind::Recommended> {};
template <>
struct action<cg::fired_exp> : body_action<ExpectKind::Fired> {};
template <>
struct action<cg::explained_exp> : body_action<ExpectKind::ExplainedBy> {};
template <>
struct action<cg::program_exp> : body_action<ExpectKind::Program> {};

// Parses `text` (at `begin` in the file) with the rule language's expression
// parser; its syntax errors become ours.
ast::Expr parse_expr_at(std::string_view text, const LineState& s) {
  ast::Expr e;
  std::string error;
  std::uint32_t at = 0;
  std::uint32_t begin = s.offset(text.data());
  // An expectation is one line: its text ends there, and only the end of the
  // line may follow the condition.
  static constexpr ExprSurroundings kExpectation{"the end of the line", "the end of the expectation",
                                                 "; write one expectation per line"};
  if (!parse_expression(text, s.file, begin, e, error, at, kExpectation))
    throw CaseSyntax{DiagKind::SyntaxError, at, 1, error};
  return e;
}

template <>
struct action<cg::subject> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    s.exp.condition = parse_expr_at(in.string_view(), s);
  }
};

template <>
struct action<cg::condition_text> {
  template <typename Input>
  static void apply(const Input& in, LineState& s) {
    std::string_view t = in.string_view();
    if (!t.empty() && t.back() == '\r') t.remove_suffix(1);
    std::size_t first = t.find_first_not_of(" \t");
    if (first == std::string_view::npos || t[first] == '#') {
      throw CaseSyntax{DiagKind::SyntaxError, s.offset(in.begin()), 1,
                       "expected what to expect after `expect`: a condition (`strategy == dual`), "
                       "`recommended ID`, `fired RULE` or `CONCLUSION explained by RULE`"};
    }
    s.exp.kind = ExpectKind::Condition;
    s.exp.condition = parse_expr_at(t, s);
    s.exp.body = s.exp.condition.loc;
  }
};

}  // namespace

template <typename ParseInput>
bool cg::json_object::match(ParseInput& in) {
  const char* b = in.current();
  const char* e = in.end();
  if (b == e || *b != '{') return false;
  std::size_t depth = 0;
  bool in_string = false;
  for (const char* q = b; q < e; ++q) {
    char c = *q;
    if (in_string) {
      if (c == '\\' && q + 1 < e) {
        ++q;
      } else if (c == '"' || c == '\n') {
        in_string = false;  // a newline ends a broken string; the JSON parser says what is wrong
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) {
        in.bump(static_cast<std::size_t>(q + 1 - b));
        return true;
      }
    }
  }
  return false;  // unclosed: the driver reports it with the opening brace
}

}  // namespace advise::cases

template <typename Name>
struct tao::pegtl::analyze_traits<Name, advise::cases::cg::json_object> : analyze_any_traits<> {};

namespace advise::cases {

std::size_t analyze_case_grammar() { return tao::pegtl::analyze<cg::line>(-1); }

namespace {

std::uint32_t line_of(const SourceManager& sm, std::uint32_t file, std::uint32_t offset) {
  return sm.line_col(file, offset).line;
}

// Whether the profile object opening at `at` is closed before the end of the file.
bool object_closed(const std::string& text, std::size_t at) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t q = at; q < text.size(); ++q) {
    char c = text[q];
    if (in_string) {
      if (c == '\\') ++q;
      else if (c == '"' || c == '\n') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{') ++depth;
    else if (c == '}' && --depth == 0) return true;
  }
  return false;
}

}  // namespace

CaseFile parse_case_file(const SourceManager& sm, std::uint32_t file_id, Diagnostics& diags) {
  CaseFile out;
  out.file = file_id;
  const std::string& text = sm.text(file_id);
  const char* base = text.data();
  std::optional<Case> open;
  bool open_broken = false;  // its `case` line had an error: do not also say it has no profile
  auto close = [&](ast::Loc end_loc) {
    open->end_loc = end_loc;
    if (!open->profile && !open_broken) {
      diags.report(DiagKind::SyntaxError, open->loc,
                   "case \"" + open->name + "\" has no profile; add `profile \"FILE.json\"` or `profile { ... }`");
    }
    out.cases.push_back(std::move(*open));
    open.reset();
  };
  std::size_t pos = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;  // a UTF-8 byte-order mark
  while (pos < text.size()) {
    LineState s;
    s.base = base;
    s.file = file_id;
    s.in_case = open.has_value();
    p::memory_input<p::tracking_mode::lazy> in(base + pos, base + text.size(), sm.name(file_id));
    try {
      // An unclosed inline profile would swallow the rest of the file.
      std::size_t q = pos;
      while (q < text.size() && (text[q] == ' ' || text[q] == '\t')) ++q;
      if (text.compare(q, 7, "profile") == 0) {
        std::size_t b = q + 7;
        while (b < text.size() && (text[b] == ' ' || text[b] == '\t')) ++b;
        if (b < text.size() && text[b] == '{' && !object_closed(text, b)) {
          diags.report(DiagKind::UnclosedBlock, {file_id, static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b + 1)},
                       "this `{` is never closed: end the inline profile with `}`");
          if (open) open->profile = ProfileRef{};  // no further complaint about the profile
          pos = text.size();
          break;
        }
      }
      p::parse<cg::line, action, control>(in, s);
    } catch (const CaseSyntax& f) {
      std::uint32_t len = f.length;
      if (f.offset + len > text.size()) len = static_cast<std::uint32_t>(text.size() - std::min<std::size_t>(f.offset, text.size()));
      diags.report(f.kind, {file_id, f.offset, f.offset + len}, f.message);
      // A broken `case` line still opens a case, so that its lines are not
      // reported again as outside any case; a broken `end` still closes one.
      if (s.kind == LineKind::Case) {
        if (open) close(s.keyword);
        open = Case{};
        open->loc = s.keyword;
        open->name = "?";
        open_broken = true;
      } else if (s.kind == LineKind::End && open) {
        close(s.keyword);
      } else if (s.kind == LineKind::Profile && open && !open->profile) {
        open->profile = ProfileRef{};
      }
      std::size_t nl = text.find('\n', std::max<std::size_t>(f.offset, pos));
      pos = nl == std::string::npos ? text.size() : nl + 1;
      continue;
    }
    std::size_t next = static_cast<std::size_t>(in.current() - base);
    switch (s.kind) {
      case LineKind::Blank: break;
      case LineKind::Case:
        if (open) {
          Diagnostic& d = diags.report(DiagKind::UnclosedBlock, s.keyword,
                                       "`end` expected (to close `case` at line " +
                                           std::to_string(line_of(sm, file_id, open->loc.begin)) +
                                           ") before the next `case`");
          d.notes().push_back({open->loc, true, "the case opened here"});
          close(s.keyword);
        }
        open = Case{};
        open->loc = s.keyword;
        open->name = s.name;
        open->name_loc = s.name_loc;
        open_broken = false;
        break;
      case LineKind::End:
        if (!open) {
          diags.report(DiagKind::SyntaxError, s.keyword, "`end` without a `case` to close");
        } else {
          close(s.keyword);
        }
        break;
      case LineKind::Profile:
        if (!open) {
          diags.report(DiagKind::SyntaxError, s.keyword,
                       "`profile` outside a case; start one with `case \"NAME\"` on the line before");
        } else if (open->profile && (open->profile->loc.end > 0 || open->profile->is_inline)) {
          Diagnostic& d = diags.report(DiagKind::DuplicateClause, s.keyword,
                                       "a case has one profile; this one repeats the profile of line " +
                                           std::to_string(line_of(sm, file_id, open->profile->loc.begin)));
          d.notes().push_back({open->profile->loc, true, "the case's profile"});
        } else if (!open->profile) {
          open->profile = s.profile;
        }
        break;
      case LineKind::Catalog:
        if (!open) {
          diags.report(DiagKind::SyntaxError, s.keyword,
                       "`catalog` outside a case; start one with `case \"NAME\"` on the line before");
        } else if (open->catalog) {
          Diagnostic& d = diags.report(DiagKind::DuplicateClause, s.keyword,
                                       "a case has one catalog; this one repeats the catalog of line " +
                                           std::to_string(line_of(sm, file_id, open->catalog->loc.begin)));
          d.notes().push_back({open->catalog->loc, true, "the case's catalog"});
        } else {
          open->catalog = s.catalog;
        }
        break;
      case LineKind::Expect:
        if (!open) {
          diags.report(DiagKind::SyntaxError, s.keyword,
                       "`expect` outside a case; start one with `case \"NAME\"` and a `profile`");
        } else {
          s.exp.loc = {file_id, s.keyword.begin, s.exp.body.end};
          open->expectations.push_back(std::move(s.exp));
        }
        break;
    }
    if (next <= pos) next = pos + 1;  // never loop in place
    pos = next;
  }
  if (open) {
    // Point just after the last thing written, not at an empty last line.
    std::size_t last = text.find_last_not_of(" \t\r\n");
    auto at = static_cast<std::uint32_t>(last == std::string::npos ? text.size() : last + 1);
    ast::Loc eof{file_id, at, at};
    Diagnostic& d = diags.report(DiagKind::UnclosedBlock, eof,
                                 "`end` expected (to close `case` at line " +
                                     std::to_string(line_of(sm, file_id, open->loc.begin)) +
                                     "), found the end of the file");
    d.notes().push_back({open->loc, true, "the case opened here"});
    close(eof);
  }
  return out;
}

}  // namespace advise::cases
