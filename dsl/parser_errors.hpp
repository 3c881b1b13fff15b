// Parser errors: what each must<> point expects, what was found instead (and
// a hint), and the controls that raise them and guard the nesting depth.
//
// Part of the PEGTL parser, included only by dsl/parser.cpp: PEGTL actions and
// controls are templates instantiated by the one call to tao::pegtl::parse there,
// so they live in headers (in an unnamed namespace, as they were in one file).
#pragma once

#include "dsl/parser_state.hpp"

namespace advise {
namespace {

// ---------------------------------------------------------------- errors

template <typename Rule>
inline constexpr const char* expected = nullptr;
// What must<> reports for `is`: the choice itself, not one of its branches.
using is_operand = p::sor<g::is_missing, g::is_present, g::is_value>;
#define ADVISE_EXPECTED(rule, text) \
  template <>                       \
  inline constexpr const char* expected<rule> = text
ADVISE_EXPECTED(g::item, "`rule`, `if`, `include`, `group`, `const`, `alias`, `template` or `strategy`");
ADVISE_EXPECTED(g::expr, "a condition or value");
ADVISE_EXPECTED(g::condition, "a condition");
ADVISE_EXPECTED(g::unary, "a value");
ADVISE_EXPECTED(g::product, "a value");
ADVISE_EXPECTED(g::sum, "a value");
ADVISE_EXPECTED(g::range, "a value");
ADVISE_EXPECTED(g::not_expr, "a condition");
ADVISE_EXPECTED(g::and_expr, "a condition");
ADVISE_EXPECTED(g::call_close, "`,` or `)` to close the function call");
ADVISE_EXPECTED(g::list_close, "`,` or `]` to close the list");
ADVISE_EXPECTED(g::set_close, "`,` or `}` to close the group");
ADVISE_EXPECTED(g::paren_close, "`)`");
ADVISE_EXPECTED(g::index_close, "`]`");
ADVISE_EXPECTED(g::target_index_close, "`]`");
ADVISE_EXPECTED(g::member_name, "an attribute name after `.`");
ADVISE_EXPECTED(is_operand, "`missing`, `present` or a value after `is`");
ADVISE_EXPECTED(g::between_and, "`and` between the two bounds of `between`");
ADVISE_EXPECTED(g::str_escape_char, "an escape: `\\\"`, `\\\\`, `\\n` or `\\t`");
ADVISE_EXPECTED(g::target, "a conclusion name");
ADVISE_EXPECTED(g::t_eq, "`=`");
ADVISE_EXPECTED(g::set_value, "a value");
ADVISE_EXPECTED(g::add_value, "a value");
ADVISE_EXPECTED(g::cite_value, "a figure");
ADVISE_EXPECTED(g::kw_to, "`to` (as in `add VALUE to CONCLUSION`)");
ADVISE_EXPECTED(g::rec_ident, "a recommendation id");
ADVISE_EXPECTED(g::rec_text, "the recommendation's text in quotes");
ADVISE_EXPECTED(g::note_text, "the note's text in quotes");
ADVISE_EXPECTED(g::warn_text, "the warning's text in quotes");
ADVISE_EXPECTED(g::clause_text, "the guide section in quotes, like `\"Step 5.1\"`");
ADVISE_EXPECTED(g::priority_value, "a whole number");
ADVISE_EXPECTED(g::category_value, "a recommendation category");
ADVISE_EXPECTED(g::stage_value, "a stage");
ADVISE_EXPECTED(g::rule_name, "the rule's name");
ADVISE_EXPECTED(g::kw_when, "`when`, `source`, `priority`, `category`, `stages` or `logical`");
ADVISE_EXPECTED(g::kw_then, "`then`");
ADVISE_EXPECTED(g::action,
                "an action: `set`, `add`, `recommend`, `note`, `warn`, `cite`, `create`, `change` or `remove`");
ADVISE_EXPECTED(g::def_name, "the name being defined");
ADVISE_EXPECTED(g::def_value, "a value");
ADVISE_EXPECTED(g::include_path, "the file to include, in quotes");
ADVISE_EXPECTED(g::kw_each, "`each` after `for`");
ADVISE_EXPECTED(g::kw_is, "`is` after `there` (as in `there is a T x`)");
ADVISE_EXPECTED(g::article, "`a`, `an` or `no` after `there is`");
ADVISE_EXPECTED(g::binding, "a template name");
ADVISE_EXPECTED(g::every_has, "`has` (as in `every T x where C has D`)");
ADVISE_EXPECTED(g::aggregate_value, "a value");
ADVISE_EXPECTED(g::aggregate_for, "`for each` after the value (as in `the sum of x.amount for each T x`)");
ADVISE_EXPECTED(g::field_init, "a field name (as in `FIELD = VALUE`)");
ADVISE_EXPECTED(g::field_eq, "`=` after the field name (as in `FIELD = VALUE`)");
ADVISE_EXPECTED(g::field_value, "a value");
ADVISE_EXPECTED(g::create_name, "a template name");
ADVISE_EXPECTED(g::fact_name, "the name of a matched fact (as in `for each T x`)");
ADVISE_EXPECTED(g::change_with, "`with` (as in `change x with FIELD = VALUE`)");
ADVISE_EXPECTED(g::missing_with, "`with` before the fields (as in `create T with FIELD = VALUE`)");
ADVISE_EXPECTED(g::template_name, "the template's name");
ADVISE_EXPECTED(g::field_colon, "`:` after the field name (as in `grade: number`)");
ADVISE_EXPECTED(g::field_type, "a type (a type name like `number`, or a set of values like `{low, high}`)");
ADVISE_EXPECTED(g::value_name, "a value name");
ADVISE_EXPECTED(g::values_close, "`,` or `}` to close the set of values");
ADVISE_EXPECTED(g::type_range_hi, "the range's upper bound: a number or a name");
ADVISE_EXPECTED(g::template_end, "a field (`NAME: TYPE`) or `end`");
ADVISE_EXPECTED(g::strategy_name, "a strategy: `depth`, `breadth`, `lex`, `mea` or `advise`");
#undef ADVISE_EXPECTED

constexpr const char* kKeywords[] = {
    "include", "group", "const",  "alias",    "rule",    "if",      "when",    "then",
    "end",     "source", "priority", "category", "stages", "set",   "add",     "to",      "recommend",
    "note",    "warn",  "cite",   "and",      "or",      "not",     "is",      "in",
    "contains", "between", "missing", "present", "true",  "false", "for",  "each",
    "there",   "where", "every",  "has",      "with",    "template", "create", "change",
    "remove"};

bool is_keyword(std::string_view w) {
  return std::find(std::begin(kKeywords), std::end(kKeywords), w) != std::end(kKeywords);
}


// What is at `pos` after spacing (blanks and comments): dsl/lexical.hpp.
Found found_at(const State& s, const char* pos, const char* end) { return found_token(pos, end, s.base, true); }

// At the end of the file there is nothing to underline: point just after the
// last line that holds more than blanks or a comment, where the missing part
// belongs.
void point_after_last_line(const State& s, const char* input_end, Found& f) {
  if (!f.text.empty()) return;
  const char* begin = s.base + s.item_begin;
  const char* e = input_end;
  while (e > begin) {
    const char* line = e;
    while (line > begin && line[-1] != '\n') --line;
    const char* q = line;
    while (q < e && (*q == ' ' || *q == '\t' || *q == '\r')) ++q;
    if (q < e && *q != '#') {
      const char* last = e;
      while (last > q && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\r' || last[-1] == '\n')) --last;
      f.offset = s.offset(last);
      return;
    }
    e = line > begin ? line - 1 : begin;
  }
}

// A word an advisor may bring from another language, and what to write instead.
std::string hint_for(const Found& f) {
  if (std::uint32_t cp = f.code_point; cp >= 0x80) {
    if (cp == 0xFEFF) return "; a byte-order mark is allowed only as the file's first character: delete this one";
    if (blank_like(cp)) return "; replace it with a plain space (outside texts and comments, rules are ASCII)";
    if (cp == 0x2018 || cp == 0x2019 || cp == 0x201C || cp == 0x201D)
      return "; write texts between straight double quotes `\"`";
    if (cp == 0x2010 || cp == 0x2011 || cp == 0x2012 || cp == 0x2013 || cp == 0x2014 || cp == 0x2212)
      return "; write the minus sign as `-`";
    return "; names are made of ASCII letters, digits and `_`; other characters may appear only inside texts "
           "and comments";
  }
  if (f.text == "&&" || f.text == "&") return "; to join two conditions, write `and`";
  if (f.text == "||" || f.text == "|") return "; to join two conditions, write `or`";
  if (f.text == "!") return "; to negate a condition, write `not`";
  if (f.text == "else" || f.text == "elif" || f.text == "elsif" || f.text == "otherwise")
    return "; there is no `" + f.text + "`: write a second rule with the opposite condition";
  return {};
}

// The kind of name that a must<> point expects, for reserved-word messages.
template <typename Rule>
const char* name_role() {
  if constexpr (std::is_same_v<Rule, g::def_name>) return "the name of a definition";
  if constexpr (std::is_same_v<Rule, g::rule_name>) return "the name of a rule";
  if constexpr (std::is_same_v<Rule, g::rec_ident>) return "a recommendation id";
  if constexpr (std::is_same_v<Rule, g::target>) return "a conclusion name";
  if constexpr (std::is_same_v<Rule, g::member_name>) return "an attribute name";
  if constexpr (std::is_same_v<Rule, g::category_value>) return "a recommendation category";
  if constexpr (std::is_same_v<Rule, g::binding> || std::is_same_v<Rule, g::create_name>) return "a template name";
  if constexpr (std::is_same_v<Rule, g::binding_name>) return "the name of a fact";
  if constexpr (std::is_same_v<Rule, g::fact_name>) return "the name of a fact";
  if constexpr (std::is_same_v<Rule, g::template_name>) return "the name of a template";
  if constexpr (std::is_same_v<Rule, g::field_init> || std::is_same_v<Rule, g::template_end>) return "a field name";
  if constexpr (std::is_same_v<Rule, g::stage_value>) return "a stage";
  return nullptr;
}

template <typename Rule, typename Input>
[[noreturn]] void raise_error(const Input& in, State& s) {
  const char* end = in.end();
  Found f = found_at(s, in.current(), end);
  point_after_last_line(s, end, f);

  if constexpr (std::is_same_v<Rule, g::str_close>) {
    // Underline the text from its opening quote to the end of its line.
    const char* open = s.base + s.string_open;
    const char* eol = open;
    while (eol < end && *eol != '\n') ++eol;
    if (eol > open + 1 && eol[-1] == '\r') --eol;
    throw SyntaxFailure{DiagKind::UnterminatedString, s.string_open, static_cast<std::uint32_t>(eol - open),
                        "this text has no closing `\"` on its line",
                        {}};
  } else if constexpr (std::is_same_v<Rule, g::compare_with_eq>) {
    if (s.in_target_index)
      throw SyntaxFailure{DiagKind::SyntaxError, s.offset(in.current()) - 1, 1,
                          "expected `]` to close `[` before `=`", {}};
    throw SyntaxFailure{DiagKind::SyntaxError, s.offset(in.current()) - 1, 1,
                        "`=` sets a value; to compare, write `==` or `is`", {}};
  } else if constexpr (std::is_same_v<Rule, g::binding_name>) {
    // `for each program where ...`: the name the fact is bound to is missing.
    std::string tmpl = !s.stack.empty() && s.stack.back().kind == ast::ExprKind::Name ? s.stack.back().text : "T";
    std::string name(1, static_cast<char>(std::tolower(static_cast<unsigned char>(tmpl[0]))));
    if (name[0] == '_') name = "x";
    std::string example = "for each " + tmpl + " " + name + " where ...";
    if (!s.patterns.empty()) {
      const State::Pattern& pt = s.patterns.back();
      if (pt.kind == ast::ExprKind::Exists) example = "there is " + pt.text + " " + tmpl + " " + name + " where ...";
      if (pt.kind == ast::ExprKind::NotExists) example = "there is no " + tmpl + " " + name + " where ...";
      if (pt.kind == ast::ExprKind::Every) example = "every " + tmpl + " " + name + " where ... has ...";
      if (pt.kind == ast::ExprKind::Aggregate && pt.text == "count")
        example = "the number of " + tmpl + " " + name + " where ...";
      else if (pt.kind == ast::ExprKind::Aggregate)
        example = "the ... of " + name + ".FIELD for each " + tmpl + " " + name;
    }
    DiagKind kind = f.word && is_keyword(f.text) && f.text != "where" && f.text != "has" ? DiagKind::ReservedWord
                                                                                       : DiagKind::SyntaxError;
    std::string msg = kind == DiagKind::ReservedWord
                          ? "`" + f.text + "` is a reserved word and cannot be the name of a fact"
                          : "expected a name for the matched `" + tmpl + "` after `" + tmpl + "` (as in `" +
                                example + "`), found " + describe(f, s.end_name);
    throw SyntaxFailure{kind, f.offset, f.length, msg, {}};
  } else if constexpr (std::is_same_v<Rule, g::chained_compare>) {
    if (!s.contexts.empty() && s.contexts.back().aggregate) {
      // `the number of letter l where l.grade > 2 >= 3`: the `where` took
      // the comparison meant for the aggregate.
      const State::Context& c = s.contexts.back();
      std::string head;
      bool space = false;
      for (const char* q = s.base + c.aggregate_begin; q < s.base + c.where_begin; ++q) {
        if (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n') {
          space = true;
          continue;
        }
        if (*q == '#') break;
        if (space && !head.empty()) head += ' ';
        space = false;
        head += *q;
      }
      if (head.size() > 60) head = "the ... of ...";
      throw SyntaxFailure{DiagKind::SyntaxError, f.offset, f.length,
                          "comparisons do not chain, and an aggregate's `where` runs to the end of its condition; "
                          "to compare the aggregate, put it in parentheses: `(" +
                              head + " where ...) " + f.text + " ...`",
                          {}};
    }
    // Spell the fix with the advisor's own operands: `240 <= step2ck < 250`
    // becomes `240 <= step2ck and step2ck < ...`.
    std::string fix = "a < b and b < c";
    if (!s.stack.empty() && s.stack.back().kind == ast::ExprKind::Compare) {
      const ast::Expr& cmp = s.stack.back();
      auto text_of = [&](const ast::Loc& l) { return std::string(s.base + l.begin, l.end - l.begin); };
      std::string lhs = text_of(cmp.kids[0].loc), mid = text_of(cmp.kids[1].loc);
      if (lhs.size() + mid.size() < 60 && lhs.find('\n') == std::string::npos && mid.find('\n') == std::string::npos)
        fix = lhs + " " + cmp.text + " " + mid + " and " + mid + " " + f.text + " ...";
    }
    throw SyntaxFailure{DiagKind::SyntaxError, f.offset, f.length,
                        "comparisons do not chain; write `" + fix + "`", {}};
  } else if constexpr (std::is_same_v<Rule, g::block_end>) {
    // Either a misspelt action inside the rule, or a rule that never ends.
    if (f.word && !is_keyword(f.text)) {
      std::vector<std::string> actions = {"set",  "add",    "recommend", "note",   "warn",
                                          "cite", "create", "change",    "remove", "end"};
      std::string msg =
          "expected an action (`set`, `add`, `recommend`, `note`, `warn`, `cite`, `create`, `change`, `remove`) or "
          "`end`, found " +
          describe(f, s.end_name);
      if (auto dym = did_you_mean(f.text, actions)) {
        msg += "; did you mean `" + *dym + "`?";
      } else {
        msg += hint_for(f);
      }
      throw SyntaxFailure{DiagKind::SyntaxError, f.offset, f.length, msg, {}};
    }
    // The line of the keyword that opened the block, counted here so that
    // the message is whole when raised.
    auto line = 1 + std::count(s.base, s.base + s.rule_keyword_line_offset, '\n');
    throw SyntaxFailure{DiagKind::UnclosedBlock, f.offset, f.length,
                        "`end` expected (to close `" + std::string(s.rule_keyword) + "` at line " +
                            std::to_string(line) + "), found " + describe(f, s.end_name),
                        {}};
  } else {
    constexpr bool action_operand = std::is_same_v<Rule, g::note_text> || std::is_same_v<Rule, g::warn_text> ||
                                    std::is_same_v<Rule, g::target> || std::is_same_v<Rule, g::add_value> ||
                                    std::is_same_v<Rule, g::cite_value>;
    if (action_operand && !f.text.empty() && f.text[0] == ':' && s.action.loc.begin < f.offset) {
      // `recommend note: "..."`: the id is an action keyword, read as the
      // next action. Or `note: "..."`, a colon too many.
      const char* kw = s.base + s.action.loc.begin;
      const char* kw_end = kw;
      while (ident_char(*kw_end)) ++kw_end;
      const char* back = kw;
      while (back > s.base && (back[-1] == ' ' || back[-1] == '\t')) --back;
      std::vector<std::string> words;  // the two words before the keyword, nearest first
      for (const char* w = back; words.size() < 2 && w > s.base && ident_char(w[-1]);) {
        const char* b = w;
        while (b > s.base && ident_char(b[-1])) --b;
        words.emplace_back(b, w);
        w = b;
        while (w > s.base && (w[-1] == ' ' || w[-1] == '\t')) --w;
      }
      std::string keyword(kw, kw_end);
      if (std::find(words.begin(), words.end(), "recommend") != words.end())
        throw SyntaxFailure{DiagKind::ReservedWord, s.action.loc.begin, static_cast<std::uint32_t>(keyword.size()),
                            "`" + keyword + "` is a reserved word and cannot be a recommendation id", {}};
      const char* what = expected<Rule>;
      throw SyntaxFailure{DiagKind::SyntaxError, f.offset, 1,
                          std::string("expected ") + (what ? what : "something else") + ", found `:`; write `" +
                              keyword + " \"...\"` without `:`",
                          {}};
    }
    const char* what = expected<Rule>;
    std::string_view wanted = what ? std::string_view(what) : std::string_view("something else");
    if constexpr (std::is_same_v<Rule, expr_end>) wanted = s.after_expected;
    std::string msg = "expected " + std::string(wanted) + ", found " + describe(f, s.end_name);
    DiagKind kind = DiagKind::SyntaxError;
    // `end` where a name belongs means the name is missing, not misnamed.
    if (f.word && is_keyword(f.text) && f.text != "end" && name_role<Rule>()) {
      kind = DiagKind::ReservedWord;
      msg = "`" + f.text + "` is a reserved word and cannot be " + name_role<Rule>();
    } else if (std::string h = hint_for(f); !h.empty()) {
      msg += h;
    } else if (f.word && !is_keyword(f.text)) {
      std::vector<std::string> kws(std::begin(kKeywords), std::end(kKeywords));
      // Contextual words long enough not to be suggested for any short name.
      kws.insert(kws.end(), {"logical", "strategy", "optional"});
      if (auto dym = did_you_mean(f.text, kws)) msg += "; did you mean `" + *dym + "`?";
    }
    if constexpr (std::is_same_v<Rule, expr_end>) msg += s.after_advice;
    throw SyntaxFailure{kind, f.offset, f.length, msg, {}};
  }
}

template <typename Rule>
struct control : p::normal<Rule> {
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, States&&... st) {
    raise_error<Rule>(in, st...);
  }
};

// Depth guard: every nested expression passes through `expr`, `not_rec` or
// `neg`; beyond kMaxNesting the parse stops with a diagnostic instead of
// exhausting the stack.
template <typename Rule>
struct depth_control : p::normal<Rule> {
  template <typename Input>
  static bool opens_level(const Input& in) {
    const char* c = in.current();
    std::size_t left = in.size(6);
    auto word = [&](std::string_view w) {
      return left >= w.size() && std::string_view(c, w.size()) == w && (left == w.size() || !ident_char(c[w.size()]));
    };
    if constexpr (std::is_same_v<Rule, g::neg>) {
      return left >= 1 && *c == '-';
    } else if constexpr (std::is_same_v<Rule, g::pattern>) {
      return word("for") || word("there") || word("every");

    } else if constexpr (std::is_same_v<Rule, g::not_rec>) {
      return left >= 3 && std::string_view(c, 3) == "not" && (left == 3 || !ident_char(c[3]));
    } else {
      return true;
    }
  }
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, States&&... st) {
    raise_error<Rule>(in, st...);
  }
  template <typename Input>
  static void start(const Input& in, State& s) {
    if constexpr (std::is_same_v<Rule, g::expr>) s.contexts.push_back({false, 0, 0});
    // `not` and `-` are tried before every operand; only one that is really
    // there opens a level (else 255 parentheses around a name were too deep).
    if (++s.depth > kMaxNesting && opens_level(in)) {
      Found f = found_at(s, in.current(), in.end());
      throw SyntaxFailure{DiagKind::NestingTooDeep, f.offset, f.length,
                          "the expression nests more than " + std::to_string(kMaxNesting) + " levels deep",
                          {}};
    }
  }
  template <typename Input>
  static void success(const Input&, State& s) {
    --s.depth;
    if constexpr (std::is_same_v<Rule, g::expr>) s.contexts.pop_back();
  }
  template <typename Input>
  static void failure(const Input&, State& s) {
    --s.depth;
    if constexpr (std::is_same_v<Rule, g::expr>) s.contexts.pop_back();
  }
};

// A `where` records whether a comparison chained onto its last test belongs
// to an aggregate (see chained_compare).
template <typename Rule, bool Aggregate>
struct where_control : p::normal<Rule> {
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, States&&... st) {
    raise_error<Rule>(in, st...);
  }
  template <typename Input>
  static void start(const Input& in, State& s) {
    s.contexts.push_back({Aggregate, s.frames.empty() ? 0 : s.frames.back().begin, s.offset(in.current())});
  }
  template <typename Input>
  static void success(const Input&, State& s) {
    s.contexts.pop_back();
  }
  template <typename Input>
  static void failure(const Input&, State& s) {
    s.contexts.pop_back();
  }
};
template <>
struct control<g::expr> : depth_control<g::expr> {};
template <>
struct control<g::not_rec> : depth_control<g::not_rec> {};
template <>
struct control<g::neg> : depth_control<g::neg> {};
template <>
struct control<g::pattern> : depth_control<g::pattern> {};
template <>
struct control<g::count_rest> : depth_control<g::count_rest> {};
template <>
struct control<g::value_rest> : depth_control<g::value_rest> {};

template <>
struct control<g::pattern_where> : where_control<g::pattern_where, false> {};
template <>
struct control<g::aggregate_where> : where_control<g::aggregate_where, true> {};

}  // namespace
}  // namespace advise
