// Case files: the grammar, the parser, compiling a suite against a rule set,
// running a case, and the explanations of failures (app/cases.hpp).
#include "app/cases.hpp"

#include <algorithm>
#include <tuple>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze.hpp>

#include "app/common.hpp"
#include "dsl/checker.hpp"
#include "dsl/grammar.hpp"
#include "dsl/lexical.hpp"
#include "dsl/parser.hpp"
#include "engine/working_memory.hpp"
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



// What stands at `at`: a word, a character, the end of the line or of the file.
struct Found {
  std::uint32_t offset = 0, length = 1;
  std::string text;
  bool word = false;
  std::string describe() const {
    if (text.empty()) return "the end of the file";
    if (text == "\n" || text == "\r") return "the end of the line";
    return "`" + text + "`";
  }
};

Found found_at(const LineState& s, const char* at, const char* end) {
  Found f;
  f.offset = s.offset(at);
  if (at >= end) {
    f.length = 0;
    return f;
  }
  if (ident_char(*at)) {
    const char* q = at;
    while (q < end && ident_char(*q)) ++q;
    f.text.assign(at, q);
    f.length = static_cast<std::uint32_t>(q - at);
    f.word = true;
    return f;
  }
  // One UTF-8 character.
  std::size_t n = 1;
  auto c = static_cast<unsigned char>(*at);
  if (c >= 0xF0) n = 4;
  else if (c >= 0xE0) n = 3;
  else if (c >= 0xC0) n = 2;
  n = std::min<std::size_t>(n, static_cast<std::size_t>(end - at));
  f.text.assign(at, at + n);
  return f;
}

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
    fail("expected the case's name in quotes, as in `case \"derm long shot\"`, found " + f.describe());
  } else if constexpr (std::is_same_v<Rule, rg::str_close>) {
    throw CaseSyntax{DiagKind::UnterminatedString, s.string_open, 1,
                     "unterminated text: close it with `\"` on the same line"};
  } else if constexpr (std::is_same_v<Rule, rg::str_escape_char>) {
    fail("unknown escape in text; write `\\\"`, `\\\\`, `\\n` or `\\t`");
  } else if constexpr (std::is_same_v<Rule, cg::case_line_end>) {
    fail("expected the end of the line after the case's name, found " + f.describe());
  } else if constexpr (std::is_same_v<Rule, cg::end_line_end>) {
    fail("expected the end of the line after `end`, found " + f.describe());
  } else if constexpr (std::is_same_v<Rule, cg::profile_value>) {
    fail("expected the profile after `profile`: a path in quotes, as in `profile \"profiles/derm.json\"`, or a "
         "JSON object, as in `profile { \"stage\": \"ms3\" }`; found " +
         f.describe());
  } else if constexpr (std::is_same_v<Rule, cg::catalog_path>) {
    fail("expected the catalog after `catalog`: a path in quotes, as in `catalog \"programs.csv\"`; found " +
         f.describe());
  } else if constexpr (std::is_same_v<Rule, cg::catalog_line_end>) {
    fail("expected the end of the line after the catalog, found " + f.describe());
  } else if constexpr (std::is_same_v<Rule, cg::program_id_tok>) {
    fail("expected a program id (its digits) after `program`, found " + f.describe());
  } else if constexpr (std::is_same_v<Rule, cg::program_words>) {
    fail("expected what the program's place must be after its id (a tier, a signal, `contingency` or `unlisted`), "
         "found " + f.describe());
  } else if constexpr (std::is_same_v<Rule, cg::profile_line_end>) {
    fail("expected the end of the line after the profile, found " + f.describe());
  } else if constexpr (std::is_same_v<Rule, cg::rec_id>) {
    fail("expected a recommendation id after `recommended`, found " + f.describe());
  } else if constexpr (std::is_same_v<Rule, cg::fired_rule>) {
    fail("expected a rule name after `fired`, found " + f.describe());
  } else if constexpr (std::is_same_v<Rule, cg::explained_by>) {
    fail("expected `by` after `explained`, found " + f.describe());
  } else if constexpr (std::is_same_v<Rule, cg::explained_rule>) {
    fail("expected a rule name after `explained by`, found " + f.describe());
  } else if constexpr (std::is_same_v<Rule, cg::expect_end>) {
    fail("expected the end of the line after the expectation, found " + f.describe() +
         "; write one expectation per line");
  } else if constexpr (std::is_same_v<Rule, cg::unknown_line>) {
    std::string m = s.in_case ? "expected `profile`, `expect` or `end`, found " + f.describe()
                              : "expected `case` to start a case, found " + f.describe();
    if (f.word)
      if (auto d = did_you_mean(f.text, line_keywords())) m += "; did you mean `" + *d + "`?";
    fail(m);
  } else {
    fail("unexpected " + f.describe());
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
  if (!parse_expression(text, s.file, begin, e, error, at)) {
    // Text after a whole condition: the expression parser only knows it
    // expected its end.
    if (error.rfind("expected something else, found ", 0) == 0)
      error = "expected the end of the expectation, found " + error.substr(31) + "; write one expectation per line";
    throw CaseSyntax{DiagKind::SyntaxError, at, 1, error};
  }
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
          d.notes.push_back({open->loc, true, "the case opened here"});
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
          d.notes.push_back({open->profile->loc, true, "the case's profile"});
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
          d.notes.push_back({open->catalog->loc, true, "the case's catalog"});
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
    d.notes.push_back({open->loc, true, "the case opened here"});
    close(eof);
  }
  return out;
}

// ================================================================ loading and compiling

std::size_t Suite::expectation_count() const {
  std::size_t n = 0;
  for (const CompiledCase& c : cases) n += c.expectations.size();
  return n;
}

namespace {

// A profile error's diagnostic kind, from what it says.
DiagKind profile_error_kind(const DataError& e) {
  const std::string& m = e.message;
  // Limits of the profile reader (kb/profile.hpp): nesting, size, keys.
  if (m.find("nest deeper") != std::string::npos || m.find("profiles may be at most") != std::string::npos ||
      m.find("too many") != std::string::npos || m.find("has more than") != std::string::npos ||
      m.find("may have at most") != std::string::npos)
    return DiagKind::ProfileTooLarge;
  if (m.rfind("the profile is empty", 0) == 0) return DiagKind::SyntaxError;
  if (m.rfind("unknown field", 0) == 0) return DiagKind::UnknownName;
  if (m.rfind("unknown ", 0) == 0) return DiagKind::UnknownValue;
  if (m.rfind("invalid JSON", 0) == 0) return DiagKind::SyntaxError;
  if (m.rfind("expected from", 0) == 0 || m.rfind("expected at least", 0) == 0 || m.rfind("expected at most", 0) == 0)
    return DiagKind::OutOfRange;
  return DiagKind::TypeMismatch;
}

std::string profile_error_text(const DataError& e) {
  std::string m;
  if (!e.path.empty() && e.path != "$") m += "at " + e.path + ": ";
  m += e.message;
  if (e.suggestion) m += "; did you mean `" + *e.suggestion + "`?";
  return m;
}

// Offset of 1-based (line, col) within `text`.
std::size_t offset_of(const std::string& text, std::uint32_t line, std::uint32_t col) {
  std::size_t off = 0;
  for (std::uint32_t l = 1; l < line; ++l) {
    std::size_t nl = text.find('\n', off);
    if (nl == std::string::npos) return text.size();
    off = nl + 1;
  }
  return std::min(text.size(), off + (col > 0 ? col - 1 : 0));
}

// Whether canonical path `p` lies inside canonical folder `root`.
bool inside(const fs::path& p, const fs::path& root) {
  fs::path rel = p.lexically_relative(root);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

// Why a case's profile path may not be read (empty when it may): a profile
// is a `.json` file inside the case file's folder (or below it), inside the
// project the case file belongs to, or inside the Advise data directory
// (`$ADVISE_HOME`, the bundled examples), symbolic
// links resolved. Nothing outside is opened, so a case file cannot make
// `advise test` quote other files.
std::string refused_profile_path(const std::string& case_file, const fs::path& path, bool catalog = false) {
  std::error_code ec;
  auto canonical = [&](const fs::path& p) { return fs::weakly_canonical(fs::absolute(p, ec), ec); };
  fs::path folder = fs::path(case_file).parent_path();
  fs::path target = canonical(path);
  if (ec) return "the path cannot be resolved (" + ec.message() + ")";
  fs::path case_root = canonical(folder.empty() ? fs::path(".") : folder);
  fs::path data_root = canonical(cli::data_dir());
  // The project the case file belongs to (docs/cli.md, "Projects").
  auto project = cli::find_project(case_root.string());
  fs::path project_root = project ? canonical(*project) : data_root;
  if (!inside(target, case_root) && !inside(target, data_root) && !inside(target, project_root))
    return std::string("it is outside the case file's folder, its project and the Advise data directory; ") +
           (catalog ? "catalogs" : "profiles") + " are read only from there";
  if (catalog) return target.extension() == ".json" || target.extension() == ".csv" ? "" : "a catalog is a `.csv` or `.json` file";
  if (target.extension() != ".json") return "a profile is a `.json` file";
  return {};
}

struct Compiler {
  std::shared_ptr<const RuleSet> rules;
  SourceManager& sm;
  Diagnostics& diags;
  std::vector<std::string> rule_names;
  std::vector<std::string> rec_ids;
  struct CachedProfile {
    std::optional<Profile> profile;
    std::string error;  // reading failed
    bool not_found = false;
    std::vector<DataError> errors;
  };
  std::map<std::string, CachedProfile> profiles;
  std::map<std::string, CExpr, std::less<>> compiled;  // condition text -> compiled (clean compilations only)
  // Catalogs read (path -> facts, with the kb's signal allowances); null: failed.
  std::map<std::string, std::shared_ptr<const std::vector<FactRecord>>> catalogs;

  // `catalog "FILE"`: the catalog's programs and kb/signals.json, read once
  // per path for the whole run. Every problem is reported at the path.
  std::shared_ptr<const std::vector<FactRecord>> catalog(const ProfileRef& ref, const std::string& case_file) {
    fs::path shown = (fs::path(case_file).parent_path() / ref.path).lexically_normal();
    if (std::string why = refused_profile_path(case_file, shown, true); ref.path.empty() || !why.empty()) {
      diags.report(DiagKind::PathRefused, ref.loc,
                   "cannot read the catalog `" + ref.path + "`: " + (ref.path.empty() ? "the path is empty" : why));
      return nullptr;
    }
    std::string key = shown.string();
    auto it = catalogs.find(key);
    if (it == catalogs.end()) {
      TemplateSet templates{rules->templates};
      auto facts = std::make_shared<std::vector<FactRecord>>();
      std::vector<DataError> errors;
      bool ok = read_facts_file(key, shown.extension() == ".csv" ? "program" : "", *rules->kb, templates, *facts, errors);
      // The signal allowances of the knowledge base the rules were loaded with.
      std::string kb_dir = rules->kb->directory.empty() ? cli::default_kb_dir() : rules->kb->directory;
      std::string signals = (fs::path(kb_dir) / "signals.json").string();
      if (ok) ok = read_facts_file(signals, "", *rules->kb, templates, *facts, errors);
      if (!ok) {
        Diagnostic& d = diags.report(DiagKind::IoError, ref.loc,
                                     "cannot read the catalog `" + ref.path + "`" +
                                         (errors.empty() ? std::string() : ": " + errors.front().text()));
        (void)d;
        facts.reset();
      }
      it = catalogs.emplace(key, facts).first;
    }
    return it->second;
  }

  Compiler(std::shared_ptr<const RuleSet> r, SourceManager& s, Diagnostics& d) : rules(std::move(r)), sm(s), diags(d) {
    for (const CRule& cr : rules->rules) {
      rule_names.push_back(cr.name);
      for (const CAction& a : cr.actions)
        if (a.kind == ast::ActionKind::Recommend && std::find(rec_ids.begin(), rec_ids.end(), a.id) == rec_ids.end())
          rec_ids.push_back(a.id);
    }
    std::sort(rule_names.begin(), rule_names.end());
    std::sort(rec_ids.begin(), rec_ids.end());
  }

  std::optional<Profile> inline_profile(const ProfileRef& ref, const std::string& file_name) {
    std::vector<DataError> errors;
    auto prof = load_profile(ref.json, file_name, *rules->kb, errors);
    if (prof) return prof;
    for (const DataError& e : errors) {
      ast::Loc at = ref.loc;
      if (e.line > 0) {
        auto off = static_cast<std::uint32_t>(offset_of(ref.json, e.line, e.column));
        at = {ref.loc.file, ref.loc.begin + off, ref.loc.begin + off + 1};
      } else if (e.path.rfind("$.", 0) == 0) {
        std::string key = e.path.substr(2);
        auto cut = key.find_first_of(".[");
        if (cut != std::string::npos) key = key.substr(0, cut);
        auto k = ref.json.find("\"" + key + "\"");
        if (k != std::string::npos) {
          auto b = static_cast<std::uint32_t>(k);
          at = {ref.loc.file, ref.loc.begin + b, ref.loc.begin + b + static_cast<std::uint32_t>(key.size()) + 2};
        }
      }
      diags.report(profile_error_kind(e), at, "in the profile: " + profile_error_text(e));
    }
    return std::nullopt;
  }

  std::optional<Profile> file_profile(const ProfileRef& ref, const std::string& case_file) {
    if (ref.path.empty()) {
      diags.report(DiagKind::IoError, ref.loc, "the profile's path is empty; give a JSON file, relative to the case file");
      return std::nullopt;
    }
    fs::path shown = (fs::path(case_file).parent_path() / ref.path).lexically_normal();
    std::string key = shown.string();
    if (std::string why = refused_profile_path(case_file, shown); !why.empty()) {
      diags.report(DiagKind::PathRefused, ref.loc, "cannot read the profile `" + ref.path + "`: " + why);
      return std::nullopt;
    }
    auto it = profiles.find(key);
    if (it == profiles.end()) {
      CachedProfile cp;
      std::string text, error;
      if (cli::read_input(key, kMaxProfileBytes, text, error, nullptr, "a profile file (a JSON object)"))
        cp.profile = load_profile(text, key, *rules->kb, cp.errors);
      else if (error == "no such file")
        cp.not_found = true;
      else
        cp.error = error;
      it = profiles.emplace(key, std::move(cp)).first;
    }
    const CachedProfile& cp = it->second;
    if (cp.not_found) {
      diags.report(DiagKind::IncludeNotFound, ref.loc,
                   "cannot read the profile `" + ref.path + "`: no such file (looked for " + key +
                       "; the path is relative to the case file)");
      return std::nullopt;
    }
    if (!cp.error.empty()) {
      diags.report(DiagKind::IoError, ref.loc, "cannot read the profile `" + ref.path + "`: " + cp.error);
      return std::nullopt;
    }
    if (!cp.profile) {
      DiagKind kind = cp.errors.empty() ? DiagKind::TypeMismatch : profile_error_kind(cp.errors.front());
      Diagnostic& d = diags.report(kind, ref.loc,
                                   "the profile `" + ref.path + "` is not valid (" + std::to_string(cp.errors.size()) +
                                       " problem" + (cp.errors.size() == 1 ? "" : "s") + ")");
      for (const DataError& e : cp.errors) d.notes.push_back({{}, false, e.text()});
      return std::nullopt;
    }
    return cp.profile;
  }

  std::optional<CExpr> condition(const ast::Expr& e) {
    std::string_view key = rules->text_of(e.loc);
    if (auto it = compiled.find(key); it != compiled.end()) return it->second;
    std::size_t before = diags.all().size();
    auto c = check_condition(e, *rules, diags);
    bool clean = diags.all().size() == before;
    if (c && clean && !key.empty()) compiled.emplace(std::string(key), *c);
    return c;
  }

  bool expectation(const Expectation& x, CompiledExpectation& out) {
    out.source = &x;
    switch (x.kind) {
      case ExpectKind::Condition: {
        auto c = condition(x.condition);
        if (!c) return false;
        out.condition = std::move(*c);
        return true;
      }
      case ExpectKind::Recommended:
        if (!std::binary_search(rec_ids.begin(), rec_ids.end(), x.id.name)) {
          Diagnostic& d = diags.report(DiagKind::UnknownName, x.id.loc, "no rule recommends `" + x.id.name + "`");
          if (auto s = did_you_mean(x.id.name, rec_ids)) d.message += "; did you mean `" + *s + "`?";
          else if (rules->find_rule(x.id.name)) d.message += " (it is a rule; write `expect fired " + x.id.name + "`)";
          return false;
        }
        return true;
      case ExpectKind::Program: {
        static const std::vector<std::string> words{"anchor", "target", "reach", "long_shot", "excluded",
                                                    "gold", "silver", "unsignalled", "contingency", "unlisted"};
        for (const ast::Ident& w : x.words)
          if (std::find(words.begin(), words.end(), w.name) == words.end()) {
            Diagnostic& d = diags.report(DiagKind::UnknownName, w.loc,
                                         "`" + w.name +
                                             "` is not a program's place (a tier: anchor target reach long_shot "
                                             "excluded; a signal: gold silver unsignalled; contingency; unlisted)");
            if (auto best = did_you_mean(w.name, words)) d.message += "; did you mean `" + *best + "`?";
            return false;
          }
        return true;
      }
      case ExpectKind::Fired:
      case ExpectKind::ExplainedBy: {
        bool ok = true;
        if (x.kind == ExpectKind::ExplainedBy && !subject(x, out)) ok = false;
        const CRule* r = rules->find_rule(x.id.name);
        if (!r) {
          Diagnostic& d = diags.report(DiagKind::UnknownName, x.id.loc, "no rule is called `" + x.id.name + "`");
          if (auto s = did_you_mean(x.id.name, rule_names)) d.message += "; did you mean `" + *s + "`?";
          else if (std::binary_search(rec_ids.begin(), rec_ids.end(), x.id.name))
            d.message += " (it is a recommendation; write `expect recommended " + x.id.name + "`)";
          return false;
        }
        out.rule = r->index;
        return ok;
      }
    }
    return false;
  }

  // `CONCLUSION explained by` / `CONCLUSION[KEY] explained by`
  bool subject(const Expectation& x, CompiledExpectation& out) {
    const ast::Expr& e = x.condition;
    const ast::Expr* name = &e;
    if (e.kind == ast::ExprKind::Index) name = &e.kids[0];
    if (name->kind != ast::ExprKind::Name) {
      diags.report(DiagKind::SyntaxError, e.loc,
                   "`explained by` follows a conclusion, or one entry of a map conclusion as in "
                   "`applications[dermatology]`");
      return false;
    }
    if (rules->field_slot(name->text) >= 0 && rules->conclusion_slot(name->text) < 0) {
      diags.report(DiagKind::NotAConclusion, name->loc,
                   "`" + name->text + "` is a profile field, given by the applicant; `explained by` needs a conclusion");
      return false;
    }
    // Compile `SUBJECT is present` to resolve the name and the key.
    ast::Expr present;
    present.kind = ast::ExprKind::Missing;
    present.number = 1;
    present.loc = e.loc;
    present.kids.push_back(e);
    auto c = check_condition(present, *rules, diags);
    if (!c) return false;
    const CExpr& s = c->kids[0];
    bool ok = (s.op == Op::Slot && rules->is_conclusion(s.slot)) ||
              (s.op == Op::MapGet && s.kids[0].op == Op::Slot && rules->is_conclusion(s.kids[0].slot) &&
               s.kids[1].op == Op::Const);
    if (!ok) {
      diags.report(DiagKind::NotAConclusion, e.loc,
                   "`" + std::string(rules->text_of(e.loc)) +
                       "` is not a conclusion; `explained by` follows a conclusion, or one entry of a map "
                       "conclusion with a fixed key");
      return false;
    }
    out.subject = s;
    return true;
  }

  void compile_file(const CaseFile& f, std::size_t index, const std::string& name,
                    const std::vector<std::uint32_t>* select, Suite& suite) {
    for (const Case& c : f.cases) {
      if (select && !select->empty()) {
        std::uint32_t first = line_of(sm, f.file, c.loc.begin);
        std::uint32_t last = line_of(sm, f.file, c.end_loc.begin);
        bool chosen = std::any_of(select->begin(), select->end(),
                                  [&](std::uint32_t l) { return l >= first && l <= last; });
        if (!chosen) continue;
      }
      CompiledCase cc;
      cc.source = &c;
      cc.file = index;
      cc.file_name = name;
      bool ok = true;
      bool placeholder = c.profile && !c.profile->is_inline && c.profile->loc.end == 0;
      if (c.profile && !placeholder) {
        auto prof = c.profile->is_inline ? inline_profile(*c.profile, name) : file_profile(*c.profile, name);
        if (prof) {
          cc.profile = std::move(*prof);
          if (c.profile->is_inline) cc.profile.source = name + ":" + std::to_string(line_of(sm, f.file, c.profile->loc.begin));
        } else {
          ok = false;
        }
      } else {
        ok = false;  // reported by the parser
      }
      if (c.catalog) {
        cc.facts = catalog(*c.catalog, name);
        if (!cc.facts) ok = false;
      }
      for (const Expectation& x : c.expectations) {
        if (x.kind == ExpectKind::Program && !c.catalog) {
          diags.report(DiagKind::SyntaxError, x.loc,
                       "`expect program` needs the case's catalog: add `catalog \"FILE.csv\"` to the case");
          ok = false;
          continue;
        }
        CompiledExpectation ce;
        if (expectation(x, ce)) cc.expectations.push_back(std::move(ce));
        else ok = false;
      }
      if (ok) suite.cases.push_back(std::move(cc));
    }
  }
};

struct Source {
  std::string path;   // to read
  std::string shown;  // as diagnostics name it
  bool all = false;   // the whole file
  std::vector<std::uint32_t> lines;  // FILE:LINE selections
};

std::string relative_if_under_cwd(const fs::path& p) {
  if (!p.is_absolute()) return p.lexically_normal().string();
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (ec) return p.string();
  fs::path rel = p.lexically_normal().lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return p.lexically_normal().string();
  return rel.string();
}

}  // namespace

std::optional<Suite> load_suite_from_buffers(const std::vector<std::uint32_t>& file_ids,
                                             std::shared_ptr<const RuleSet> rules, SourceManager& sources,
                                             Diagnostics& diags) {
  if (rules->sources.get() != &sources)
    throw std::logic_error("load_suite_from_buffers: `sources` must be the rule set's source manager");
  Suite suite;
  suite.rules = rules;
  std::size_t before = diags.error_count();
  Compiler comp(rules, sources, diags);
  for (std::uint32_t id : file_ids) {
    auto cf = std::make_unique<CaseFile>(parse_case_file(sources, id, diags));
    if (cf->cases.empty() && diags.error_count() == before)
      diags.report_file(DiagKind::EmptyFile, sources.name(id), "the file holds no cases");
    suite.file_names.push_back(sources.name(id));
    suite.files.push_back(std::move(cf));
  }
  for (std::size_t i = 0; i < suite.files.size(); ++i)
    comp.compile_file(*suite.files[i], i, suite.file_names[i], nullptr, suite);
  diags.sort();
  if (diags.error_count() > before) return std::nullopt;
  return suite;
}

std::optional<Suite> load_suite(const std::vector<std::string>& paths, std::shared_ptr<const RuleSet> rules,
                                SourceManager& sources, Diagnostics& diags) {
  if (rules->sources.get() != &sources)
    throw std::logic_error("load_suite: `sources` must be the rule set's source manager");
  std::vector<Source> files;
  std::map<std::string, std::size_t> by_key;
  auto add = [&](const fs::path& path, std::optional<std::uint32_t> line) {
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(path, ec);
    std::string key = ec ? path.string() : canon.string();
    auto it = by_key.find(key);
    if (it == by_key.end()) {
      it = by_key.emplace(key, files.size()).first;
      files.push_back({path.string(), relative_if_under_cwd(path), false, {}});
    }
    Source& s = files[it->second];
    if (line) s.lines.push_back(*line);
    else s.all = true;
  };
  std::size_t before = diags.error_count();
  for (const std::string& p : paths) {
    std::error_code ec;
    fs::path path(p);
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".cases") found.push_back(it->path());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) diags.report_file(DiagKind::NotAFile, relative_if_under_cwd(path), "the directory holds no `.cases` files");
      for (const fs::path& f : found) add(f, std::nullopt);
      continue;
    }
    if (fs::exists(path, ec) || ec) {  // ec: it may exist but cannot be looked at; reading says why
      add(path, std::nullopt);
      continue;
    }
    // FILE:LINE selects the case around that line.
    auto colon = p.rfind(':');
    if (colon != std::string::npos && colon + 1 < p.size() &&
        std::all_of(p.begin() + static_cast<std::ptrdiff_t>(colon) + 1, p.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        fs::is_regular_file(p.substr(0, colon), ec) && p.size() - colon - 1 <= 9) {
      auto line = static_cast<std::uint32_t>(std::stoul(p.substr(colon + 1)));
      add(fs::path(p.substr(0, colon)), line);
      continue;
    }
    diags.report_file(DiagKind::IoError, p, "no such file or directory");
  }
  Suite suite;
  suite.rules = rules;
  Compiler comp(rules, sources, diags);
  for (const Source& s : files) {
    std::string text, error;
    if (!cli::read_input(s.path, kMaxCaseFileBytes, text, error, nullptr, "a case file")) {
      bool too_large = error.rfind("the file is ", 0) == 0;
      diags.report_file(too_large ? DiagKind::FileTooLarge : DiagKind::IoError, s.shown, error);
      continue;
    }
    std::uint32_t id = static_cast<std::uint32_t>(sources.add(s.shown, std::move(text)));
    if (!check_encoding(sources, id, diags)) continue;
    std::size_t errors_before = diags.error_count();
    auto cf = std::make_unique<CaseFile>(parse_case_file(sources, id, diags));
    if (cf->cases.empty() && diags.error_count() == errors_before)
      diags.report_file(DiagKind::EmptyFile, s.shown, "the file holds no cases");
    std::vector<std::uint32_t> lines = s.all ? std::vector<std::uint32_t>{} : s.lines;
    for (std::uint32_t l : lines) {
      bool any = std::any_of(cf->cases.begin(), cf->cases.end(), [&](const Case& c) {
        return l >= line_of(sources, id, c.loc.begin) && l <= line_of(sources, id, c.end_loc.begin);
      });
      if (!any) diags.report_file(DiagKind::IoError, s.shown + ":" + std::to_string(l), "no case at line " + std::to_string(l));
    }
    suite.file_names.push_back(s.shown);
    suite.files.push_back(std::move(cf));
    comp.compile_file(*suite.files.back(), suite.files.size() - 1, s.shown, s.all ? nullptr : &lines, suite);
  }
  diags.sort();
  if (diags.error_count() > before) return std::nullopt;
  return suite;
}

// ================================================================ explanations

std::string source_value(const Value& v, const RuleSet& rules) {
  if (v.is_missing()) return "missing";
  return to_source(v, rules.kb->enums);
}

std::string render_rule(const RuleRef& r) {
  std::string s = "rule `" + r.name + "` (" + r.where;
  if (!r.source.empty()) s += ", " + r.source;
  return s + ")";
}

std::string render_test(const TestRecord& t, const RuleSet& rules, bool with_truth) {
  std::string s;
  for (char c : t.text) s += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  // Collapse the runs of blanks a multi-line condition leaves.
  std::string collapsed;
  for (char c : s)
    if (!(c == ' ' && !collapsed.empty() && collapsed.back() == ' ')) collapsed += c;
  s = collapsed;
  if (with_truth) s += t.result == Truth::False ? " is false" : t.result == Truth::Unknown ? " is unknown" : " is true";
  if (!t.facts.empty()) {
    s += "  [";
    for (std::size_t i = 0; i < t.facts.size(); ++i) {
      if (i) s += ", ";
      s += t.facts[i].name;
      s += t.facts[i].value.is_missing() ? " is missing" : " = " + source_value(t.facts[i].value, rules);
    }
    s += "]";
  }
  return s;
}

bool mentions_rule(const Derivation& d, std::int32_t rule) {
  if (d.kind != Derivation::Kind::Derived) return false;
  if (d.rule.rule == rule) return true;
  for (const RuleRef& a : d.also)
    if (a.rule == rule) return true;
  for (const Derivation& p : d.premises)
    if (mentions_rule(p, rule)) return true;
  return false;
}

namespace {

void render_derivation_at(const Derivation& d, const RuleSet& rules, const std::string& label, int indent,
                          int depth, std::set<std::int32_t>& shown, std::vector<std::string>& out) {
  std::string pad(static_cast<std::size_t>(indent), ' ');
  switch (d.kind) {
    case Derivation::Kind::Missing:
      out.push_back(pad + label + " is missing: no rule set it");
      return;
    case Derivation::Kind::Given:
      out.push_back(pad + label + " = " + source_value(d.value, rules) + ", given in the profile");
      return;
    case Derivation::Kind::Derived: break;
  }
  std::string head = pad + label + " = " + source_value(d.value, rules) + " was set by " + render_rule(d.rule);
  if (!d.also.empty()) {
    head += ", also added to by ";
    for (std::size_t i = 0; i < d.also.size(); ++i) head += (i ? ", `" : "`") + d.also[i].name + "`";
  }
  if (!shown.insert(d.firing).second) {
    out.push_back(head + "; explained above");
    return;
  }
  if (d.tests.empty()) {
    out.push_back(head);
    return;
  }
  out.push_back(head + ", because");
  for (const TestRecord& t : d.tests) out.push_back(pad + "  " + render_test(t, rules, false));
  if (depth <= 1) return;
  for (const Derivation& p : d.premises) render_derivation_at(p, rules, p.name, indent + 2, depth - 1, shown, out);
}

}  // namespace

void render_derivation(const Derivation& d, const RuleSet& rules, const std::string& label, int indent, int max_depth,
                       std::vector<std::string>& out, std::set<std::int32_t>* shown) {
  std::set<std::int32_t> local;
  render_derivation_at(d, rules, label, indent, max_depth, shown ? *shown : local, out);
}

// ================================================================ running a case

namespace {

constexpr int kExplainDepth = 3;

// A fact an expectation reads: a slot, or one entry of a map slot.
struct Read {
  std::int32_t slot = -1;
  std::optional<Value> key;
  std::string label;
};

void collect_reads(const CExpr& e, const RuleSet& rules, std::vector<Read>& out) {
  auto add = [&](Read r) {
    for (const Read& x : out)
      if (x.slot == r.slot && x.key.has_value() == r.key.has_value() && (!x.key || *x.key == *r.key)) return;
    out.push_back(std::move(r));
  };
  if (e.op == Op::MapGet && e.kids[0].op == Op::Slot && e.kids[1].op == Op::Const) {
    add({e.kids[0].slot, e.kids[1].constant,
         rules.slot_name(e.kids[0].slot) + "[" + source_value(e.kids[1].constant, rules) + "]"});
    return;
  }
  if (e.op == Op::Slot) {
    add({e.slot, std::nullopt, rules.slot_name(e.slot)});
    return;
  }
  for (const CExpr& k : e.kids) collect_reads(k, rules, out);
}

Value read_value(const Result& r, const Read& rd) {
  const Value& v = r.value(rd.slot);
  if (!rd.key) return v;
  if (v.kind != Value::Kind::Map) return {};
  return v.map_get(*rd.key);
}

std::string actual_line(const Result& r, const RuleSet& rules, const Read& rd) {
  Value v = read_value(r, rd);
  if (!v.is_missing()) return rd.label + " = " + source_value(v, rules);
  if (rd.key || rules.is_conclusion(rd.slot)) return rd.label + " is missing";
  return rd.label + " is missing (not in the profile)";
}

// "`a`, `b` and `c`"
std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) s += i + 1 == names.size() ? " and " : ", ";
    s += "`" + names[i] + "`";
  }
  return s;
}

// The first failing tests of a rule that did not fire, on one line.
std::string failing_tests(const Result& r, const RuleSet& rules, std::int32_t rule) {
  FinalView fv(r);
  auto failed = condition_tests(rules, rules.rules[static_cast<std::size_t>(rule)].condition, fv, false);
  std::string s;
  for (std::size_t i = 0; i < failed.size(); ++i) s += (i ? "; " : "") + render_test(failed[i], rules, true);
  return s;
}

constexpr std::size_t kMaxCandidates = 8;

// The constants an expectation compares with (`strategy is dual`: dual).
void wanted_values(const CExpr& e, std::vector<Value>& out) {
  if (e.op == Op::Const) {
    if (e.constant.kind == Value::Kind::List)
      for (const Value& v : e.constant.list_items()) out.push_back(v);
    else if (!e.constant.is_missing())
      out.push_back(e.constant);
    return;
  }
  for (const CExpr& k : e.kids) wanted_values(k, out);
}

// Orders the rules that could have set a fact and did not apply: first those
// that set a value the expectation wants (the rule whose change broke the
// case is among them), then by how near each came to applying (fewest
// failing tests), then in source order.
void rank_writers(const Result& r, const RuleSet& rules, std::int32_t slot, const std::vector<Value>& wanted,
                  std::vector<std::int32_t>& writers) {
  auto sets_wanted = [&](std::int32_t rule) {
    const CRule& cr = rules.rules[static_cast<std::size_t>(rule)];
    return std::any_of(cr.actions.begin(), cr.actions.end(), [&](const CAction& a) {
      if (a.slot != slot || a.value.op != Op::Const) return false;
      if (a.value.constant.kind == Value::Kind::List) {
        for (const Value& v : a.value.constant.list_items())
          if (std::find(wanted.begin(), wanted.end(), v) != wanted.end()) return true;
        return false;
      }
      return std::find(wanted.begin(), wanted.end(), a.value.constant) != wanted.end();
    });
  };
  FinalView fv(r);
  std::vector<std::tuple<int, std::size_t, std::int32_t>> keyed;
  for (std::int32_t w : writers) {
    std::size_t failing =
        condition_tests(rules, rules.rules[static_cast<std::size_t>(w)].condition, fv, false).size();
    keyed.emplace_back(sets_wanted(w) ? 0 : 1, failing, w);
  }
  std::stable_sort(keyed.begin(), keyed.end());
  for (std::size_t i = 0; i < keyed.size(); ++i) writers[i] = std::get<2>(keyed[i]);
}

void explain_read(const Result& r, const RuleSet& rules, const Read& rd, std::set<std::int32_t>& shown,
                  std::vector<std::string>& out, const std::vector<Value>& wanted = {}) {
  if (!rules.is_conclusion(rd.slot)) return;
  std::int32_t v = WorkingMemory(r).version_of(rd.slot, rd.key ? &*rd.key : nullptr);
  if (v >= 0) {
    Derivation d = explain_version(r, v, kExplainDepth);
    if (rd.key) d.value = read_value(r, rd);  // the entry, not the whole map
    render_derivation(d, rules, rd.label, 2, kExplainDepth, out, &shown);
    return;
  }
  // Missing: the rules that could have set it, and why each did not.
  std::vector<std::int32_t> writers, fired;
  for (const CRule& cr : rules.rules) {
    bool writes = std::any_of(cr.actions.begin(), cr.actions.end(), [&](const CAction& a) {
      if ((a.kind != ast::ActionKind::Set && a.kind != ast::ActionKind::Add) || a.slot != rd.slot) return false;
      // For one entry of a map: the rules that set that entry, or an entry they compute.
      return !rd.key || !a.indexed || a.key.op != Op::Const || a.key.constant == *rd.key;
    });
    if (writes) (r.fired(cr.index) ? fired : writers).push_back(cr.index);
  }
  if (writers.empty() && fired.empty()) {
    out.push_back("  no rule sets " + rules.slot_name(rd.slot));
    return;
  }
  rank_writers(r, rules, rd.slot, wanted, writers);
  if (!writers.empty()) out.push_back("  no rule that sets " + rd.label + " applied:");
  for (std::size_t i = 0; i < writers.size() && i < kMaxCandidates; ++i)
    out.push_back("    " + render_rule(rule_ref(rules, writers[i])) + ": " + failing_tests(r, rules, writers[i]));
  if (writers.size() > kMaxCandidates)
    out.push_back("    and " + std::to_string(writers.size() - kMaxCandidates) + " more");
  if (!fired.empty() && rd.key) {
    std::vector<std::string> names;
    for (std::int32_t f : fired) names.push_back(rules.rules[static_cast<std::size_t>(f)].name);
    out.push_back("  " + join_names(names) + (fired.size() == 1 ? " fired but sets" : " fired but set") +
                  " other entries of " + rules.slot_name(rd.slot));
  }
}

bool is_true(const Value& v) { return v.kind == Value::Kind::Bool && v.flag; }

std::string text_of(const RuleSet& rules, const ast::Loc& loc) { return std::string(rules.text_of(loc)); }

// The rewritten body of a failing condition, when the actual outcome can be
// written as an expectation of the same form; nothing otherwise.
std::optional<std::string> rewrite_condition(const CompiledExpectation& ce, const Result& r, const RuleSet& rules) {
  const ast::Expr& a = ce.source->condition;
  const CExpr& c = ce.condition;
  const KnowledgeBase& kb = *rules.kb;
  FinalView fv(r);
  auto writable = [](const Value& v) { return v.kind != Value::Kind::Map && v.kind != Value::Kind::Text; };
  auto value_of = [&](const CExpr& e) { return evaluate_expr(e, fv, kb); };
  const std::string& file = [&]() -> const std::string& { return rules.sources->text(a.loc.file); }();
  auto src = [&](const ast::Expr& e) { return file.substr(e.loc.begin, e.loc.end - e.loc.begin); };
  // The text between two operands, as written (keeps `is` against `==`).
  auto between = [&](const ast::Expr& l, const ast::Expr& rr) { return file.substr(l.loc.end, rr.loc.begin - l.loc.end); };
  switch (c.op) {
    case Op::Eq: {
      if (a.kind != ast::ExprKind::Compare || a.kids.size() != 2) return std::nullopt;
      int fact = c.kids[1].op == Op::Const && c.kids[0].op != Op::Const ? 0
               : c.kids[0].op == Op::Const && c.kids[1].op != Op::Const ? 1
                                                                       : -1;
      if (fact < 0) return std::nullopt;
      Value v = value_of(c.kids[static_cast<std::size_t>(fact)]);
      const ast::Expr& fa = a.kids[static_cast<std::size_t>(fact)];
      if (v.is_missing()) return src(fa) + " is missing";
      if (!writable(v)) return std::nullopt;
      return fact == 0 ? src(a.kids[0]) + between(a.kids[0], a.kids[1]) + source_value(v, rules)
                       : source_value(v, rules) + between(a.kids[0], a.kids[1]) + src(a.kids[1]);
    }
    case Op::Ne: {
      if (a.kind != ast::ExprKind::Compare || a.kids.size() != 2) return std::nullopt;
      Value l = value_of(c.kids[0]), rv = value_of(c.kids[1]);
      if (l.is_missing() && c.kids[0].op != Op::Const) return src(a.kids[0]) + " is missing";
      if (l.is_missing() || rv.is_missing()) return std::nullopt;
      return src(a.kids[0]) + " == " + src(a.kids[1]);  // they are equal
    }
    case Op::IsMissing: {
      Value v = value_of(c.kids[0]);
      if (v.is_missing() || !writable(v)) return std::nullopt;
      return src(a.kids[0]) + " == " + source_value(v, rules);
    }
    case Op::IsPresent: return src(a.kids[0]) + " is missing";
    case Op::Contains:
    case Op::NotContains:
    case Op::In:
    case Op::NotIn: {
      bool contains = c.op == Op::Contains || c.op == Op::NotContains;
      const CExpr& coll = contains ? c.kids[0] : c.kids[1];
      const ast::Expr& coll_a = contains ? a.kids[0] : a.kids[1];
      Value cv = value_of(coll), item = value_of(contains ? c.kids[1] : c.kids[0]);
      if (cv.is_missing()) {
        if (coll.op == Op::Const) return std::nullopt;
        return src(coll_a) + " is missing";
      }
      if (item.is_missing()) return std::nullopt;
      bool negated = c.op == Op::NotContains || c.op == Op::NotIn;
      std::string op = std::string(negated ? "" : "not ") + (contains ? "contains" : "in");
      return src(a.kids[0]) + " " + op + " " + src(a.kids[1]);
    }
    default: return std::nullopt;
  }
}

std::string conflict_text(const Result& r, const Conflict& cf) {
  const RuleSet& rules = *r.rules;
  std::string name = rules.slot_name(cf.slot);
  if (!cf.key.is_missing()) name += "[" + source_value(cf.key, rules) + "]";
  RuleRef kept = rule_ref(rules, r.firings[static_cast<std::size_t>(cf.kept_firing)].rule);
  RuleRef rejected = rule_ref(rules, r.firings[static_cast<std::size_t>(cf.rejected_firing)].rule);
  return "the rules conflict: " + render_rule(kept) + " sets " + name + " = " + source_value(cf.kept, rules) +
         " and " + render_rule(rejected) + " sets " + source_value(cf.rejected, rules) + ", at the same priority";
}

// Why the rules in `candidates` did not fire: the first failing tests of
// each, on the final facts, and how the conclusions those tests read got
// their values.
void why_not_lines(const Result& r, const RuleSet& rules, const std::vector<std::int32_t>& candidates,
                   const std::string& intro, std::set<std::int32_t>& shown, std::vector<std::string>& out) {
  FinalView fv(r);
  for (std::int32_t rule : candidates) {
    if (r.fired(rule)) continue;
    out.push_back("  " + (intro.empty() ? std::string("its condition") : intro + render_rule(rule_ref(rules, rule)) + ", but its condition") +
                  " does not hold:");
    auto failed = condition_tests(rules, rules.rules[static_cast<std::size_t>(rule)].condition, fv, false);
    std::vector<std::int32_t> seen;
    for (const TestRecord& t : failed) out.push_back("    " + render_test(t, rules, true));
    for (const TestRecord& t : failed)
      for (const FactValue& f : t.facts) {
        if (!rules.is_conclusion(f.slot()) || std::count(seen.begin(), seen.end(), f.slot())) continue;
        seen.push_back(f.slot());
        std::int32_t v = r.current[static_cast<std::size_t>(f.slot())];
        if (v < 0) continue;  // "is missing" is in the test already
        render_derivation(explain_version(r, v, 2), rules, f.name, 4, 2, out, &shown);
      }
  }
}

void held_lines(const Result& r, const RuleSet& rules, std::int32_t firing, std::vector<std::string>& out) {
  const Firing& f = r.firings[static_cast<std::size_t>(firing)];
  SnapshotView view(r, f);
  auto tests = condition_tests(rules, rules.rules[static_cast<std::size_t>(f.rule)].condition, view, true);
  if (tests.empty()) return;
  out.push_back("  its condition held:");
  for (const TestRecord& t : tests) out.push_back("    " + render_test(t, rules, false));
}

}  // namespace

CaseResult run_case(const CompiledCase& test, const Engine& engine, Result& result) {
  const RuleSet& rules = engine.rules();
  const SourceManager& sm = *rules.sources;
  EngineOptions eo;
  eo.facts = test.facts.get();
  result = engine.evaluate(test.profile, eo);
  std::optional<ProgramList> list;  // built at the first `expect program`
  CaseResult cr;
  cr.test = &test;
  cr.where = test.file_name + ":" + std::to_string(sm.line_col(test.source->loc.file, test.source->loc.begin).line);
  cr.expectations = test.expectations.size();
  if (result.runaway) cr.problems.push_back("the rules ran away: " + result.runaway->message);
  for (const Conflict& cf : result.conflicts)
    if (cf.error) cr.problems.push_back(conflict_text(result, cf));
  FinalView fv(result);
  std::set<std::int32_t> shown;  // firings explained already in this case's report
  for (const CompiledExpectation& ce : test.expectations) {
    const Expectation& x = *ce.source;
    ExpectationFailure f;
    f.expectation = &x;
    bool ok = true;
    switch (x.kind) {
      case ExpectKind::Program: {
        if (!list) list = build_program_list(result);
        const ProgramEntry* e = nullptr;
        if (list)
          for (const ProgramEntry& p : list->entries)
            if (p.program_id == x.id.name) e = &p;
        // The program's place, in the words of the expectation.
        std::string actual;
        if (!e) {
          actual = "unlisted";
        } else {
          actual = e->tier + " " + (e->signal.empty() ? std::string("unsignalled") : e->signal);
          if (e->contingency) actual += " contingency";
        }
        std::vector<std::string> have;
        for (std::size_t a = 0, b; a < actual.size(); a = b + 1) {
          b = actual.find(' ', a);
          if (b == std::string::npos) b = actual.size();
          have.push_back(actual.substr(a, b - a));
        }
        for (const ast::Ident& w : x.words)
          if (std::find(have.begin(), have.end(), w.name) == have.end()) ok = false;
        if (ok) break;
        f.actual.push_back("program " + x.id.name + " is " + actual);
        if (e)
          for (const ProgramReason& r : e->reasons)
            f.explanation.push_back(r.description + (r.values.empty() ? "" : ": " + r.values) + " (rule `" + r.name +
                                    "`, " + r.source + ")");
        f.update = Edit{x.body, "program " + x.id.name + " " + actual};
        break;
      }
      case ExpectKind::Condition: {
        ok = is_true(evaluate_expr(ce.condition, fv, *rules.kb));
        if (ok) break;
        std::vector<Read> reads;
        collect_reads(ce.condition, rules, reads);
        for (const Read& rd : reads) f.actual.push_back(actual_line(result, rules, rd));
        std::vector<Value> wanted;
        wanted_values(ce.condition, wanted);
        for (const Read& rd : reads) explain_read(result, rules, rd, shown, f.explanation, wanted);
        if (auto body = rewrite_condition(ce, result, rules)) f.update = Edit{x.body, *body};
        break;
      }
      case ExpectKind::Recommended: {
        const Recommendation* rec = result.recommendation(x.id.name);
        ok = (rec != nullptr) != x.negated;
        if (ok) break;
        if (rec) {
          std::string by = "`" + x.id.name + "` was recommended by " + render_rule(rule_ref(rules, rec->rule));
          for (std::int32_t a : rec->also_by) by += " and by " + render_rule(rule_ref(rules, a));
          f.actual.push_back(by);
          held_lines(result, rules, rec->firing, f.explanation);
        } else {
          f.actual.push_back("`" + x.id.name + "` was not recommended");
          std::vector<std::int32_t> cands;
          for (const CRule& c : rules.rules)
            if (std::any_of(c.actions.begin(), c.actions.end(), [&](const CAction& a) {
                  return a.kind == ast::ActionKind::Recommend && a.id == x.id.name;
                }))
              cands.push_back(c.index);
          why_not_lines(result, rules, cands, "it is recommended by ", shown, f.explanation);
        }
        f.update = Edit{x.body, std::string(x.negated ? "" : "not ") + "recommended " + x.id.name};
        break;
      }
      case ExpectKind::Fired: {
        bool fired = result.fired(ce.rule);
        ok = fired != x.negated;
        if (ok) break;
        if (fired) {
          auto firings = result.firings_of(ce.rule);
          f.actual.push_back(render_rule(rule_ref(rules, ce.rule)) + " fired");
          held_lines(result, rules, firings.front(), f.explanation);
        } else {
          f.actual.push_back(render_rule(rule_ref(rules, ce.rule)) + " did not fire");
          why_not_lines(result, rules, {ce.rule}, "", shown, f.explanation);
        }
        f.update = Edit{x.body, std::string(x.negated ? "" : "not ") + "fired " + x.id.name};
        break;
      }
      case ExpectKind::ExplainedBy: {
        Read rd;
        if (ce.subject.op == Op::MapGet) {
          rd = {ce.subject.kids[0].slot, ce.subject.kids[1].constant,
                rules.slot_name(ce.subject.kids[0].slot) + "[" + source_value(ce.subject.kids[1].constant, rules) + "]"};
        } else {
          rd = {ce.subject.slot, std::nullopt, rules.slot_name(ce.subject.slot)};
        }
        std::int32_t v = WorkingMemory(result).version_of(rd.slot, rd.key ? &*rd.key : nullptr);
        std::string subject_text = text_of(rules, x.condition.loc);
        if (v < 0) {
          ok = false;
          f.actual.push_back(actual_line(result, rules, rd) + ", so nothing explains it");
          explain_read(result, rules, rd, shown, f.explanation);
          f.update = Edit{x.body, subject_text + " is missing"};
          break;
        }
        Derivation d = explain_version(result, v, 64);
        ok = mentions_rule(d, ce.rule);
        if (ok) break;
        std::vector<std::string> names;
        std::function<void(const Derivation&)> collect = [&](const Derivation& n) {
          if (n.kind != Derivation::Kind::Derived) return;
          auto add = [&](const std::string& s) {
            if (std::find(names.begin(), names.end(), s) == names.end()) names.push_back(s);
          };
          add(n.rule.name);
          for (const RuleRef& a : n.also) add(a.name);
          for (const Derivation& p : n.premises) collect(p);
        };
        collect(d);
        f.actual.push_back(actual_line(result, rules, rd) + ", explained by " + join_names(names) + ", not by `" +
                           x.id.name + "`");
        explain_read(result, rules, rd, shown, f.explanation);
        f.update = Edit{x.id.loc, d.rule.name};
        break;
      }
    }
    if (ok) continue;
    f.where = test.file_name + ":" + std::to_string(sm.line_col(x.loc.file, x.loc.begin).line);
    f.expected = "expect " + text_of(rules, x.body);
    if (f.update) {
      const std::string& file = sm.text(x.loc.file);
      std::string body = file.substr(x.body.begin, x.body.end - x.body.begin);
      std::size_t off = f.update->span.begin - x.body.begin;
      body.replace(off, f.update->span.end - f.update->span.begin, f.update->text);
      f.updated = "expect " + body;
    }
    cr.failures.push_back(std::move(f));
  }
  return cr;
}

std::string apply_edits(const std::string& text, std::vector<Edit> edits) {
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.span.begin < b.span.begin; });
  std::string out;
  std::size_t pos = 0;
  for (const Edit& e : edits) {
    if (e.span.begin < pos || e.span.end > text.size()) continue;  // overlapping or stale: skip
    out.append(text, pos, e.span.begin - pos);
    out += e.text;
    pos = e.span.end;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

}  // namespace advise::cases
