// The PEGTL parser: actions that build the AST from dsl/grammar.hpp, the
// error messages of must<> points, and recovery at the next top-level item.
#include "dsl/parser.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "dsl/grammar.hpp"

namespace advise {
namespace {

namespace p = tao::pegtl;
namespace g = grammar;

// Thrown by raise(): a syntax error at a byte offset. Never escapes parse_source.
struct SyntaxFailure {
  DiagKind kind;
  std::uint32_t offset;
  std::uint32_t length;
  std::string message;
  std::vector<DiagNote> notes;
};

struct Frame {
  std::size_t stack_size;
  std::uint32_t begin;
};

struct State {
  const char* base = nullptr;
  std::uint32_t file = 0;
  ast::File* out = nullptr;

  std::vector<ast::Expr> stack;
  std::vector<Frame> frames;
  std::vector<std::uint32_t> prefix_begins;
  std::vector<std::string> ops;
  std::uint32_t last_close_end = 0;
  int depth = 0;
  int is_form = 0;  // 1: `is missing`, 2: `is present` just matched
  bool in_target_index = false;  // between `set NAME[` and its `]`

  ast::Text text;  // the text being read
  std::uint32_t string_open = 0;

  std::uint32_t item_begin = 0;
  ast::Rule rule;
  ast::Action action;
  std::vector<ast::Ident> rec_idents;
  std::vector<ast::Ident> stage_items;  // a `stages` clause being read
  ast::Definition def;
  ast::Template tmpl;
  ast::FieldDecl field;
  std::string value_function;  // the word after `the` in `the sum of ...`
  std::string article;         // `a`, `an` or `no` after `there is`
  // The patterns being read, innermost last (each also has a frame).
  struct Pattern {
    ast::ExprKind kind;
    std::string text;
  };
  std::vector<Pattern> patterns;
  // Where a chained comparison would be: inside an aggregate's `where`
  // (true) or inside a pattern's `where` or a bracketed expression (false).
  struct Context {
    bool aggregate;
    std::uint32_t aggregate_begin;
    std::uint32_t where_begin;
  };
  std::vector<Context> contexts;
  std::uint32_t rule_keyword_line_offset = 0;
  const char* rule_keyword = "rule";

  std::uint32_t offset(const char* p) const { return static_cast<std::uint32_t>(p - base); }

  // The height of every tree on the stack, so that a long chain (`a and b
  // and c ...`, `1 + 1 + ...`) cannot build a tree deeper than kMaxNesting:
  // the checker, the printer and the engine walk trees recursively.
  std::vector<std::uint32_t> heights;
  std::uint32_t popped_height = 0;  // the tallest tree popped since the last push

  ast::Expr pop() {
    popped_height = std::max(popped_height, heights.back());
    heights.pop_back();
    ast::Expr e = std::move(stack.back());
    stack.pop_back();
    return e;
  }
  // Pushes a tree whose kids were just popped (or a leaf).
  void push(ast::Expr e) {
    std::uint32_t h = e.kids.empty() ? 1 : popped_height + 1;
    popped_height = 0;
    check_height(h, e);
    stack.push_back(std::move(e));
    heights.push_back(h);
  }
  void check_height(std::uint32_t h, const ast::Expr& e) const {
    if (h <= static_cast<std::uint32_t>(kMaxNesting)) return;
    // Point at what was added last: the right operand, or the attribute after `.`.
    ast::Loc at = e.kids.empty() ? e.loc : e.kids.back().loc;
    if (e.kind == ast::ExprKind::Member) at = {e.loc.file, e.loc.end - static_cast<std::uint32_t>(e.text.size()), e.loc.end};
    throw SyntaxFailure{DiagKind::NestingTooDeep, at.begin, std::max<std::uint32_t>(at.end - at.begin, 1),
                        "the expression is more than " + std::to_string(kMaxNesting) +
                            " levels deep (each `and`, `or`, `not`, comparison, arithmetic sign and `.` in a chain "
                            "adds one)",
                        {}};
  }
  ast::Text take_text() {
    ast::Text t = std::move(text);
    text = {};
    return t;
  }
  void reset_item() {
    stack.clear();
    heights.clear();
    popped_height = 0;
    in_target_index = false;
    frames.clear();
    prefix_begins.clear();
    ops.clear();
    depth = 0;
    is_form = 0;
    text = {};
    rule = {};
    action = {};
    rec_idents.clear();
    def = {};
    tmpl = {};
    field = {};
    value_function.clear();
    article.clear();
    patterns.clear();
    contexts.clear();
  }
};

ast::Loc span(const State& s, std::uint32_t b, std::uint32_t e) { return {s.file, b, e}; }

template <typename Input>
ast::Loc loc_of(const State& s, const Input& in) {
  return span(s, s.offset(in.begin()), s.offset(in.end()));
}

ast::Expr binary(ast::ExprKind kind, ast::Expr lhs, ast::Expr rhs, std::string text = {}) {
  ast::Expr e;
  e.kind = kind;
  e.loc = {lhs.loc.file, lhs.loc.begin, rhs.loc.end};
  e.text = std::move(text);
  e.kids.push_back(std::move(lhs));
  e.kids.push_back(std::move(rhs));
  return e;
}

std::string unescape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      char c = raw[++i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
    } else {
      out += raw[i];
    }
  }
  return out;
}

// ---------------------------------------------------------------- actions

template <typename Rule>
struct action : p::nothing<Rule> {};

template <>
struct action<g::comment> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    std::uint32_t b = s.offset(in.begin());
    auto& cs = s.out->comments;
    if (!cs.empty() && cs.back().loc.begin >= b) return;  // seen before a backtrack
    std::string t = in.string();
    std::uint32_t e = s.offset(in.end());
    if (!t.empty() && t.back() == '\r') {
      t.pop_back();
      --e;
    }
    cs.push_back({span(s, b, e), std::move(t)});
  }
};

template <>
struct action<g::str_open> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.string_open = s.offset(in.begin());
  }
};

template <>
struct action<g::text_part> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    std::string_view raw(in.begin() + 1, in.size() - 2);
    if (s.text.parts.empty()) s.text.loc = span(s, s.offset(in.begin()), 0);
    s.text.parts.push_back(unescape(raw));
    s.text.loc.end = s.offset(in.end());
  }
};

template <>
struct action<g::expr_number> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Expr e;
    e.kind = ast::ExprKind::Number;
    e.loc = loc_of(s, in);
    e.text = in.string();
    e.number = std::strtod(e.text.c_str(), nullptr);
    s.push(std::move(e));
  }
};

template <>
struct action<g::expr_string> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Expr e;
    e.kind = ast::ExprKind::String;
    e.loc = loc_of(s, in);
    e.text = unescape(std::string_view(in.begin() + 1, in.size() - 2));
    s.push(std::move(e));
  }
};

template <bool Value>
struct bool_action {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Expr e;
    e.kind = ast::ExprKind::Bool;
    e.loc = loc_of(s, in);
    e.number = Value ? 1 : 0;
    s.push(std::move(e));
  }
};
template <>
struct action<g::expr_true> : bool_action<true> {};
template <>
struct action<g::expr_false> : bool_action<false> {};

template <>
struct action<g::name_atom> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Expr e;
    e.kind = ast::ExprKind::Name;
    e.loc = loc_of(s, in);
    e.text = in.string();
    s.push(std::move(e));
  }
};

// Openers of bracketed lists remember where their items start on the stack.
struct open_frame {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.frames.push_back({s.stack.size(), s.offset(in.begin())});
  }
};
template <>
struct action<g::call_open> : open_frame {};
template <>
struct action<g::list_open> : open_frame {};
template <>
struct action<g::set_open> : open_frame {};

struct record_close {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.last_close_end = s.offset(in.end());
  }
};
template <>
struct action<g::call_close> : record_close {};
template <>
struct action<g::list_close> : record_close {};
template <>
struct action<g::set_close> : record_close {};
template <>
struct action<g::index_close> : record_close {};
template <>
struct action<g::target_index_open> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.in_target_index = true;
  }
};
template <>
struct action<g::target_index_close> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.in_target_index = false;
    s.last_close_end = s.offset(in.end());
  }
};

std::vector<ast::Expr> take_frame(State& s, Frame& f) {
  f = s.frames.back();
  s.frames.pop_back();
  std::vector<ast::Expr> items(std::make_move_iterator(s.stack.begin() + static_cast<long>(f.stack_size)),
                               std::make_move_iterator(s.stack.end()));
  s.stack.resize(f.stack_size);
  s.popped_height = 0;
  for (std::size_t i = f.stack_size; i < s.heights.size(); ++i) s.popped_height = std::max(s.popped_height, s.heights[i]);
  s.heights.resize(f.stack_size);
  return items;
}

template <>
struct action<g::call_args> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    Frame f{};
    std::vector<ast::Expr> args = take_frame(s, f);
    ast::Expr& callee = s.stack.back();
    callee.kind = ast::ExprKind::Call;
    callee.kids = std::move(args);
    callee.loc.end = s.last_close_end;
    std::uint32_t h = callee.kids.empty() ? 1 : s.popped_height + 1;
    s.popped_height = 0;
    s.check_height(h, callee);
    s.heights.back() = h;
  }
};

template <ast::ExprKind Kind>
struct collection_action {
  template <typename Input>
  static void apply(const Input&, State& s) {
    Frame f{};
    ast::Expr e;
    e.kind = Kind;
    e.kids = take_frame(s, f);
    e.loc = span(s, f.begin, s.last_close_end);
    s.push(std::move(e));
  }
};
template <>
struct action<g::list_lit> : collection_action<ast::ExprKind::List> {};
template <>
struct action<g::set_lit> : collection_action<ast::ExprKind::Set> {};

template <>
struct action<g::member_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Expr base = s.pop();
    ast::Expr e;
    e.kind = ast::ExprKind::Member;
    e.loc = span(s, base.loc.begin, s.offset(in.end()));
    e.text = in.string();
    e.kids.push_back(std::move(base));
    s.push(std::move(e));
  }
};

template <>
struct action<g::index> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    ast::Expr idx = s.pop();
    ast::Expr base = s.pop();
    ast::Expr e = binary(ast::ExprKind::Index, std::move(base), std::move(idx));
    e.loc.end = s.last_close_end;
    s.push(std::move(e));
  }
};

struct record_prefix {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.prefix_begins.push_back(s.offset(in.begin()));
  }
};
template <>
struct action<g::minus_op> : record_prefix {};
template <>
struct action<g::not_op> : record_prefix {};

template <ast::ExprKind Kind>
struct prefix_action {
  template <typename Input>
  static void apply(const Input&, State& s) {
    ast::Expr kid = s.pop();
    ast::Expr e;
    e.kind = Kind;
    e.loc = span(s, s.prefix_begins.back(), kid.loc.end);
    s.prefix_begins.pop_back();
    e.kids.push_back(std::move(kid));
    s.push(std::move(e));
  }
};
template <>
struct action<g::neg> : prefix_action<ast::ExprKind::Neg> {};
template <>
struct action<g::bound_neg> : prefix_action<ast::ExprKind::Neg> {};
template <>
struct action<g::not_rec> : prefix_action<ast::ExprKind::Not> {};

struct record_op {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.ops.push_back(in.string());
  }
};
template <>
struct action<g::mul_op> : record_op {};
template <>
struct action<g::add_op> : record_op {};
template <>
struct action<g::cmp_op> : record_op {};

template <ast::ExprKind Kind, bool UsesOp>
struct binary_action {
  template <typename Input>
  static void apply(const Input&, State& s) {
    ast::Expr rhs = s.pop();
    ast::Expr lhs = s.pop();
    std::string op;
    if constexpr (UsesOp) {
      op = std::move(s.ops.back());
      s.ops.pop_back();
    }
    s.push(binary(Kind, std::move(lhs), std::move(rhs), std::move(op)));
  }
};
template <>
struct action<g::mul_tail> : binary_action<ast::ExprKind::Arith, true> {};
template <>
struct action<g::add_tail> : binary_action<ast::ExprKind::Arith, true> {};
template <>
struct action<g::range_tail> : binary_action<ast::ExprKind::Range, false> {};
template <>
struct action<g::cmp_tail> : binary_action<ast::ExprKind::Compare, true> {};
template <>
struct action<g::and_tail> : binary_action<ast::ExprKind::And, false> {};
template <>
struct action<g::or_tail> : binary_action<ast::ExprKind::Or, false> {};

// `is` tests: is missing / is present / is [not] VALUE. Whether `not`
// follows `is` is read from the matched text (an ops-stack marker would be
// taken by an `is` nested in the value).
bool is_negated(std::string_view text) {
  std::size_t i = 2;  // after "is"
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n') {
      ++i;
    } else if (text[i] == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else {
      break;
    }
  }
  return text.substr(i, 3) == "not" &&
         (i + 3 >= text.size() || (!std::isalnum(static_cast<unsigned char>(text[i + 3])) && text[i + 3] != '_'));
}

template <>
struct action<g::is_missing> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.is_form = 1;
  }
};
template <>
struct action<g::is_present> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.is_form = 2;
  }
};

template <>
struct action<g::is_tail> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    std::string_view text(in.begin(), in.size());
    bool negated = is_negated(text);
    // Which alternative matched is recorded by its own action (an `is`
    // nested inside the value has consumed its record already).
    bool ends_missing = s.is_form == 1;
    bool ends_present = s.is_form == 2;
    s.is_form = 0;
    if (ends_missing || ends_present) {
      // The value tested is on the stack; is-missing needs no right operand.
      ast::Expr kid = s.pop();
      ast::Expr e;
      e.kind = ast::ExprKind::Missing;
      e.loc = span(s, kid.loc.begin, s.offset(in.end()));
      e.number = (ends_present != negated) ? 1 : 0;
      e.kids.push_back(std::move(kid));
      s.push(std::move(e));
      return;
    }
    ast::Expr rhs = s.pop();
    ast::Expr lhs = s.pop();
    s.push(binary(ast::ExprKind::Compare, std::move(lhs), std::move(rhs), negated ? "!=" : "=="));
  }
};

template <ast::ExprKind Kind>
struct negatable_action {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Expr rhs = s.pop();
    ast::Expr lhs = s.pop();
    ast::Expr e = binary(Kind, std::move(lhs), std::move(rhs));
    e.number = (in.size() >= 3 && std::string_view(in.begin(), 3) == "not") ? 1 : 0;
    s.push(std::move(e));
  }
};
template <>
struct action<g::in_tail> : negatable_action<ast::ExprKind::In> {};
template <>
struct action<g::contains_tail> : negatable_action<ast::ExprKind::Contains> {};

template <>
struct action<g::between_tail> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    ast::Expr hi = s.pop();
    ast::Expr lo = s.pop();
    ast::Expr value = s.pop();
    ast::Expr e;
    e.kind = ast::ExprKind::Between;
    e.loc = {value.loc.file, value.loc.begin, hi.loc.end};
    e.kids.push_back(std::move(value));
    e.kids.push_back(std::move(lo));
    e.kids.push_back(std::move(hi));
    s.push(std::move(e));
  }
};

// ---- patterns and aggregates

void begin_pattern(State& s, ast::ExprKind kind, std::string text, std::uint32_t begin) {
  s.frames.push_back({s.stack.size(), begin});
  s.patterns.push_back({kind, std::move(text)});
}

template <>
struct action<g::for_each_head> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    begin_pattern(s, ast::ExprKind::ForEach, {}, s.offset(in.begin()));
  }
};
template <>
struct action<g::article> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.article = in.string();
  }
};
template <>
struct action<g::there_is_head> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    bool no = s.article == "no";
    begin_pattern(s, no ? ast::ExprKind::NotExists : ast::ExprKind::Exists, no ? std::string() : s.article,
                  s.offset(in.begin()));
  }
};
template <>
struct action<g::every_head> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    begin_pattern(s, ast::ExprKind::Every, {}, s.offset(in.begin()));
  }
};
template <>
struct action<g::count_head> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    begin_pattern(s, ast::ExprKind::Aggregate, "count", s.offset(in.begin()));
  }
};
template <>
struct action<g::value_function> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.value_function = in.string();
  }
};
template <>
struct action<g::value_head> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    const std::string& w = s.value_function;
    begin_pattern(s, ast::ExprKind::Aggregate, w == "minimum" ? "min" : w == "maximum" ? "max" : w,
                  s.offset(in.begin()));
  }
};

struct push_name {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Expr e;
    e.kind = ast::ExprKind::Name;
    e.loc = loc_of(s, in);
    e.text = in.string();
    s.push(std::move(e));
  }
};
template <>
struct action<g::binding_template> : push_name {};
template <>
struct action<g::binding_name> : push_name {};

// The pattern's kids are on the stack since its frame opened: {T, x, C?, D?}
// or, for `the sum of V for each ...`, {V, T, x, C?}, V moved last.
struct end_pattern {
  template <typename Input>
  static void apply(const Input&, State& s) {
    Frame f{};
    ast::Expr e;
    e.kind = s.patterns.back().kind;
    e.text = std::move(s.patterns.back().text);
    s.patterns.pop_back();
    e.kids = take_frame(s, f);
    std::size_t plain = 2;  // kids without `where`
    if (e.kind == ast::ExprKind::Every) plain = 3;
    if (e.kind == ast::ExprKind::Aggregate && e.text != "count") {
      std::rotate(e.kids.begin(), e.kids.begin() + 1, e.kids.end());
      plain = 3;
    }
    e.number = e.kids.size() > plain ? ast::kHasWhere : 0;
    std::uint32_t end = f.begin;
    for (const ast::Expr& k : e.kids) end = std::max(end, k.loc.end);
    e.loc = span(s, f.begin, end);
    s.push(std::move(e));
  }
};
template <>
struct action<g::for_each> : end_pattern {};
template <>
struct action<g::there_is> : end_pattern {};
template <>
struct action<g::every> : end_pattern {};
template <>
struct action<g::count_aggregate> : end_pattern {};
template <>
struct action<g::value_aggregate> : end_pattern {};

// ---- actions of actions

template <>
struct action<g::target_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Expr e;
    e.kind = ast::ExprKind::Name;
    e.loc = loc_of(s, in);
    e.text = in.string();
    s.action.target = std::move(e);
  }
};
template <>
struct action<g::target> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    if (s.stack.empty()) return;  // no index
    ast::Expr idx = s.pop();
    ast::Expr e = binary(ast::ExprKind::Index, std::move(s.action.target), std::move(idx));
    e.loc.end = s.last_close_end;
    s.action.target = std::move(e);
  }
};

void begin_action(State& s, ast::ActionKind kind, std::uint32_t begin) {
  s.action = {};
  s.action.kind = kind;
  s.action.loc = span(s, begin, begin);
  s.rec_idents.clear();
}

template <ast::ActionKind Kind>
struct begin_action_on_keyword {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    begin_action(s, Kind, s.offset(in.begin()));
  }
};
template <>
struct action<g::kw_set> : begin_action_on_keyword<ast::ActionKind::Set> {};
template <>
struct action<g::kw_add> : begin_action_on_keyword<ast::ActionKind::Add> {};
template <>
struct action<g::kw_recommend> : begin_action_on_keyword<ast::ActionKind::Recommend> {};
template <>
struct action<g::kw_note> : begin_action_on_keyword<ast::ActionKind::Note> {};
template <>
struct action<g::kw_warn> : begin_action_on_keyword<ast::ActionKind::Warn> {};
template <>
struct action<g::kw_cite> : begin_action_on_keyword<ast::ActionKind::Cite> {};
template <>
struct action<g::kw_create> : begin_action_on_keyword<ast::ActionKind::Create> {};
template <>
struct action<g::kw_change> : begin_action_on_keyword<ast::ActionKind::Change> {};
template <>
struct action<g::kw_remove> : begin_action_on_keyword<ast::ActionKind::Remove> {};

struct take_action_id {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.action.id = {in.string(), loc_of(s, in)};
  }
};
template <>
struct action<g::create_name> : take_action_id {};
template <>
struct action<g::fact_name> : take_action_id {};
template <>
struct action<g::field_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::FieldInit f;
    f.field = {in.string(), loc_of(s, in)};
    f.loc = f.field.loc;
    s.action.fields.push_back(std::move(f));
  }
};
template <>
struct action<g::field_value> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    ast::FieldInit& f = s.action.fields.back();
    f.value = s.pop();
    f.loc.end = f.value.loc.end;
  }
};

struct take_value {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.action.value = s.pop();
  }
};
template <>
struct action<g::set_value> : take_value {};
template <>
struct action<g::add_value> : take_value {};
template <>
struct action<g::cite_value> : take_value {};

template <>
struct action<g::rec_ident> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.rec_idents.push_back({in.string(), loc_of(s, in)});
  }
};
struct take_action_text {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.action.text = s.take_text();
    s.action.has_text = true;
  }
};
template <>
struct action<g::rec_text> : take_action_text {};
template <>
struct action<g::note_text> : take_action_text {};
template <>
struct action<g::warn_text> : take_action_text {};

std::uint32_t end_of(const ast::Action& a) {
  switch (a.kind) {
    case ast::ActionKind::Set: return a.value.loc.end;
    case ast::ActionKind::Add: return a.target.loc.end;
    case ast::ActionKind::Cite: return a.value.loc.end;
    case ast::ActionKind::Note:
    case ast::ActionKind::Warn: return a.text.loc.end;
    case ast::ActionKind::Recommend: return a.has_text ? a.text.loc.end : a.id.loc.end;
    case ast::ActionKind::Create:
    case ast::ActionKind::Change: return a.fields.empty() ? a.id.loc.end : a.fields.back().loc.end;
    case ast::ActionKind::Remove: return a.id.loc.end;
  }
  return a.loc.end;
}

template <>
struct action<g::action> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    ast::Action& a = s.action;
    if (a.kind == ast::ActionKind::Recommend) {
      if (s.rec_idents.size() == 2) {
        a.category = s.rec_idents[0];
        a.id = s.rec_idents[1];
      } else if (!s.rec_idents.empty()) {
        a.id = s.rec_idents[0];
      }
    }
    a.loc.end = end_of(a);
    s.rule.actions.push_back(std::move(a));
    s.action = {};
  }
};

// ---- rules

template <>
struct action<g::kw_rule> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.rule = {};
    s.rule.loc = loc_of(s, in);
    s.rule_keyword = "rule";
    s.rule_keyword_line_offset = s.offset(in.begin());
  }
};
template <>
struct action<g::kw_if> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.rule = {};
    s.rule.short_form = true;
    s.rule.loc = loc_of(s, in);
    s.rule_keyword = "if";
    s.rule_keyword_line_offset = s.offset(in.begin());
  }
};
template <>
struct action<g::rule_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.rule.name = {in.string(), loc_of(s, in)};
  }
};
template <>
struct action<g::rule_description> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.rule.description = s.take_text();
    s.rule.has_description = true;
  }
};

void add_clause(State& s, const char* kind, std::uint32_t begin, ast::Loc value_loc, std::string value) {
  s.rule.clauses.push_back({kind, span(s, begin, value_loc.end), value_loc, std::move(value), {}});
}
template <>
struct action<g::source_clause> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Text t = s.take_text();
    add_clause(s, "source", s.offset(in.begin()), t.loc, t.joined());
  }
};
template <>
struct action<g::priority_value> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.text.loc = loc_of(s, in);  // borrowed to carry the value's location
    s.text.parts = {in.string()};
  }
};
template <>
struct action<g::priority_clause> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Text t = s.take_text();
    add_clause(s, "priority", s.offset(in.begin()), t.loc, t.parts.at(0));
  }
};
template <>
struct action<g::category_value> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.text.loc = loc_of(s, in);
    s.text.parts = {in.string()};
  }
};
template <>
struct action<g::category_clause> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Text t = s.take_text();
    add_clause(s, "category", s.offset(in.begin()), t.loc, t.parts.at(0));
  }
};
template <>
struct action<g::kw_logical> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Loc l = loc_of(s, in);
    s.rule.clauses.push_back({"logical", l, l, {}, {}});
  }
};
template <>
struct action<g::stage_value> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.stage_items.push_back({in.string(), loc_of(s, in)});
  }
};
template <>
struct action<g::stages_clause> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    std::vector<ast::Ident> items = std::move(s.stage_items);
    s.stage_items.clear();
    std::string joined;
    for (const ast::Ident& i : items) joined += (joined.empty() ? "" : ", ") + i.name;
    ast::Loc value_loc = items.front().loc;
    value_loc.end = items.back().loc.end;
    add_clause(s, "stages", s.offset(in.begin()), value_loc, joined);
    s.rule.clauses.back().items = std::move(items);
  }
};
template <>
struct action<g::condition> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.rule.condition = s.pop();
  }
};
template <>
struct action<g::block_end> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.rule.loc.end = s.offset(in.end());
    s.out->items.push_back({ast::ItemKind::Rule, static_cast<std::uint32_t>(s.out->rules.size())});
    s.out->rules.push_back(std::move(s.rule));
    s.rule = {};
  }
};
template <>
struct action<g::short_rule_item> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.rule.loc.end = s.rule.actions.back().loc.end;
    s.out->items.push_back({ast::ItemKind::Rule, static_cast<std::uint32_t>(s.out->rules.size())});
    s.out->rules.push_back(std::move(s.rule));
    s.rule = {};
  }
};

// ---- definitions and includes

template <>
struct action<g::def_keyword> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.def = {};
    std::string k = in.string();
    s.def.kind = k == "group" ? ast::DefKind::Group : k == "const" ? ast::DefKind::Constant : ast::DefKind::Alias;
    s.def.loc = loc_of(s, in);
  }
};
template <>
struct action<g::def_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.def.name = {in.string(), loc_of(s, in)};
  }
};
template <>
struct action<g::def_value> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.def.value = s.pop();
    s.def.loc.end = s.def.value.loc.end;
    s.out->items.push_back(
        {ast::ItemKind::Definition, static_cast<std::uint32_t>(s.out->definitions.size())});
    s.out->definitions.push_back(std::move(s.def));
    s.def = {};
  }
};
template <>
struct action<g::include_item> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Include inc;
    inc.path = s.take_text();
    inc.loc = span(s, s.offset(in.begin()), inc.path.loc.end);
    s.out->items.push_back({ast::ItemKind::Include, static_cast<std::uint32_t>(s.out->includes.size())});
    s.out->includes.push_back(std::move(inc));
  }
};

// ---- templates and the strategy

template <>
struct action<g::kw_template> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.tmpl = {};
    s.tmpl.loc = loc_of(s, in);
  }
};
template <>
struct action<g::template_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.tmpl.name = {in.string(), loc_of(s, in)};
  }
};
template <>
struct action<g::template_description> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.tmpl.description = s.take_text();
    s.tmpl.has_description = true;
  }
};
template <>
struct action<g::field_decl_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.field = {};
    s.field.name = {in.string(), loc_of(s, in)};
    s.field.loc = s.field.name.loc;
  }
};
template <>
struct action<g::type_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.field.type = {in.string(), loc_of(s, in)};
    s.field.loc.end = s.offset(in.end());
  }
};
template <>
struct action<g::type_range> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    ast::Expr hi = s.pop();
    ast::Expr lo = s.pop();
    s.field.range = binary(ast::ExprKind::Range, std::move(lo), std::move(hi));
    s.field.has_range = true;
    s.field.loc.end = s.field.range.loc.end;
  }
};
template <>
struct action<g::values_open> : open_frame {};
template <>
struct action<g::values_close> : record_close {};
template <>
struct action<g::value_name> : push_name {};
template <>
struct action<g::value_set> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    Frame f{};
    ast::Expr e;
    e.kind = ast::ExprKind::Set;
    e.kids = take_frame(s, f);
    e.loc = span(s, f.begin, s.last_close_end);
    s.field.values = std::move(e);
    s.field.loc.end = s.last_close_end;
  }
};
template <>
struct action<g::field_optional> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.field.optional = true;
    s.field.loc.end = s.offset(in.end());
  }
};
template <>
struct action<g::field_decl> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.tmpl.fields.push_back(std::move(s.field));
    s.field = {};
  }
};
template <>
struct action<g::template_end> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.tmpl.loc.end = s.offset(in.end());
    s.out->items.push_back({ast::ItemKind::Template, static_cast<std::uint32_t>(s.out->templates.size())});
    s.out->templates.push_back(std::move(s.tmpl));
    s.tmpl = {};
  }
};
template <>
struct action<g::strategy_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.text.loc = loc_of(s, in);  // borrowed to carry the name
    s.text.parts = {in.string()};
  }
};
template <>
struct action<g::strategy_item> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Text t = s.take_text();
    ast::StrategyDecl d;
    d.loc = span(s, s.offset(in.begin()), t.loc.end);
    d.name = {t.parts.at(0), t.loc};
    s.out->items.push_back({ast::ItemKind::Strategy, static_cast<std::uint32_t>(s.out->strategies.size())});
    s.out->strategies.push_back(std::move(d));
  }
};

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

bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// What is at `pos` (after spacing): a description for "found ..." and its span.
struct Found {
  std::uint32_t offset;
  std::uint32_t length;
  std::string text;  // empty at end of file
  bool word = false;
  std::uint32_t code_point = 0;  // a character outside ASCII, decoded whole
};

// The length of the UTF-8 character starting at `p` and its code point (1
// and the byte itself when the bytes are not a valid sequence).
std::uint32_t utf8_char(const char* p, const char* end, std::uint32_t& cp) {
  auto c = static_cast<unsigned char>(*p);
  std::uint32_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
  cp = n == 2 ? c & 0x1Fu : n == 3 ? c & 0x0Fu : n == 4 ? c & 0x07u : c;
  if (n == 1 || end - p < static_cast<std::ptrdiff_t>(n)) {
    cp = c;
    return 1;
  }
  for (std::uint32_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(p[k]);
    if ((cc & 0xC0) != 0x80) {
      cp = c;
      return 1;
    }
    cp = (cp << 6) | (cc & 0x3Fu);
  }
  return n;
}

std::string code_point_name(std::uint32_t cp) {
  static const char* hex = "0123456789ABCDEF";
  std::string digits;
  for (std::uint32_t v = cp; v > 0 || digits.size() < 4; v >>= 4) digits.insert(digits.begin(), hex[v & 15]);
  return "U+" + digits;
}

// Characters that look like blank space (or nothing) on screen.
bool blank_like(std::uint32_t cp) {
  return cp == 0xA0 || cp == 0xAD || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200F) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x2060 || cp == 0x3000 || cp == 0xFEFF;
}

Found found_at(const State& s, const char* pos, const char* end) {
  const char* q = pos;
  while (q < end) {
    if (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n') {
      ++q;
    } else if (*q == '#') {
      while (q < end && *q != '\n') ++q;
    } else {
      break;
    }
  }
  Found f{s.offset(q), 1, {}, false};
  if (q == end) {
    f.length = 0;
    return f;
  }
  const char* r = q;
  if (*r >= '0' && *r <= '9') {
    // A number, with its decimals: `found 5.1`, not `found 5`.
    while (r < end && ident_char(*r)) ++r;
    if (r + 1 < end && *r == '.' && r[1] >= '0' && r[1] <= '9') {
      ++r;
      while (r < end && ident_char(*r)) ++r;
    }
  } else if (ident_char(*r)) {
    while (r < end && ident_char(*r)) ++r;
    f.word = true;
  } else if (static_cast<unsigned char>(*r) >= 0x80) {
    // One whole character, never a partial UTF-8 sequence.
    std::uint32_t cp = 0;
    r += utf8_char(r, end, cp);
    f.code_point = cp;
  } else if (*r == '"') {
    ++r;
    while (r < end && *r != '"' && *r != '\n') ++r;
    if (r < end && *r == '"') ++r;
  } else {
    // Operators: take up to two punctuation characters.
    ++r;
    if (r < end && std::string_view("=<>.&|").find(*r) != std::string_view::npos &&
        std::string_view("=<>!.&|").find(*q) != std::string_view::npos)
      ++r;
  }
  f.length = static_cast<std::uint32_t>(std::min<std::ptrdiff_t>(r - q, 40));
  f.text = std::string(q, q + f.length);
  return f;
}

std::string describe(const Found& f) {
  if (f.code_point >= 0x80) {
    std::uint32_t cp = f.code_point;
    std::string code = code_point_name(cp);
    if (cp == 0xFEFF) return code + " (a byte-order mark)";
    if (cp == 0xA0) return code + " (a no-break space)";
    if (cp == 0x200B) return code + " (a zero-width space)";
    // Invisible, control and direction characters are named, never printed.
    if (blank_like(cp) || cp < 0xA0 || (cp >= 0x202A && cp <= 0x206F) || cp >= 0xFFF0 || f.text.size() < 2)
      return code + " (an invisible or control character)";
    return "`" + f.text + "` (" + code + ")";
  }
  if (f.text.empty()) return "the end of the file";
  if (f.text[0] == '\n') return "the end of the line";
  return "`" + f.text + "`";
}

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
                                example + "`), found " + describe(f);
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
          describe(f);
      if (auto dym = did_you_mean(f.text, actions)) {
        msg += "; did you mean `" + *dym + "`?";
      } else {
        msg += hint_for(f);
      }
      throw SyntaxFailure{DiagKind::SyntaxError, f.offset, f.length, msg, {}};
    }
    DiagNote note{span(s, s.rule_keyword_line_offset, s.rule_keyword_line_offset + 4), true,
                  "the rule opened here"};
    throw SyntaxFailure{DiagKind::UnclosedBlock, f.offset, f.length,
                        "`end` expected (to close the `rule` that starts at its line), found " + describe(f),
                        {note}};
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
    std::string msg = std::string("expected ") + (what ? what : "something else") + ", found " + describe(f);
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

// Where to resume after an error: the next line whose first word starts a
// top-level item, strictly after `from_item` and not before `error_at`'s line.
std::uint32_t recovery_point(const std::string& text, std::uint32_t item_begin, std::uint32_t error_at) {
  static constexpr std::string_view starters[] = {"rule",  "if",       "include", "group",
                                                  "const", "alias", "template", "strategy"};
  auto starts_item = [&](std::size_t pos) {
    for (std::string_view w : starters) {
      if (text.compare(pos, w.size(), w) == 0 &&
          (pos + w.size() >= text.size() || !ident_char(text[pos + w.size()])))
        return true;
    }
    return false;
  };
  // Line start of error_at.
  std::size_t line = text.rfind('\n', error_at == 0 ? 0 : error_at - 1);
  line = (line == std::string::npos || error_at == 0) ? 0 : line + 1;
  for (std::size_t pos = line; pos < text.size();) {
    std::size_t q = pos;
    while (q < text.size() && (text[q] == ' ' || text[q] == '\t')) ++q;
    // `strategy` is a name too (`set strategy = dual`): a line that starts
    // with it before the error may be inside the item that failed.
    bool contextual = text.compare(q, 8, "strategy") == 0;
    if (q > item_begin && q < text.size() && starts_item(q) && (!contextual || q >= error_at))
      return static_cast<std::uint32_t>(q);
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return static_cast<std::uint32_t>(text.size());
}

}  // namespace

std::string ast::Text::joined() const {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += ' ';
    out += parts[i];
  }
  return out;
}

namespace {

// "52,428,800 bytes; rule files may be at most 16 MiB (16,777,216 bytes)"
std::string too_large(std::uintmax_t size) {
  auto grouped = [](std::uintmax_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  };
  return grouped(size) + " bytes; rule files may be at most " + std::to_string(kMaxSourceBytes / (1024 * 1024)) +
         " MiB (" + grouped(kMaxSourceBytes) + " bytes)";
}

}  // namespace

bool check_encoding(const SourceManager& sm, std::uint32_t file_id, Diagnostics& diags) {
  const std::string& t = sm.text(file_id);
  if (t.size() > kMaxSourceBytes) {
    diags.report_file(DiagKind::FileTooLarge, sm.name(file_id), "the file is " + too_large(t.size()));
    return false;
  }
  // UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most U+10FFFF) and no NUL.
  // A lone byte over 0x7f is most often an accented letter from an editor
  // that saved in a Western single-byte encoding.
  static const std::string kLatin1 = "; the file may have been saved as Latin-1 or Windows-1252";
  std::size_t i = 0;
  auto bad = [&](std::size_t at, const std::string& why) {
    diags.report(DiagKind::InvalidUtf8, {file_id, static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(at + 1)},
                 why);
    return false;
  };
  while (i < t.size()) {
    auto c = static_cast<unsigned char>(t[i]);
    if (c == 0) return bad(i, "the file contains a NUL byte; it looks like a binary file, not rules");
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return bad(i, "the file is not valid UTF-8 text: byte 0x" + std::string(1, "0123456789abcdef"[c >> 4]) +
                        std::string(1, "0123456789abcdef"[c & 15]) + " cannot start a character" + kLatin1);
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= t.size()) return bad(i, "the file ends in the middle of a UTF-8 character");
      auto cc = static_cast<unsigned char>(t[i + k]);
      if ((cc & 0xC0) != 0x80)
        return bad(i, "the file is not valid UTF-8 text: byte 0x" + std::string(1, "0123456789abcdef"[c >> 4]) +
                          std::string(1, "0123456789abcdef"[c & 15]) + " does not start a complete character" +
                          kLatin1);
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return bad(i, "the file is not valid UTF-8 text (an invalid character encoding)");
    i += n + 1;
  }
  return true;
}

ast::File parse_source(const SourceManager& sm, std::uint32_t file_id, Diagnostics& diags) {
  ast::File out;
  out.file = file_id;
  const std::string& text = sm.text(file_id);
  State s;
  s.base = text.data();
  s.file = file_id;
  s.out = &out;

  // A UTF-8 byte-order mark opening the file is skipped (editors on Windows
  // write one); anywhere else it is an error. Then leading spacing and comments.
  std::uint32_t pos = text.compare(0, 3, kByteOrderMark) == 0 ? 3 : 0;
  {
    p::memory_input<p::tracking_mode::lazy, p::eol::lf_crlf> in(text.data() + pos, text.data() + text.size(),
                                                                 sm.name(file_id));
    p::parse<g::sp, action, control>(in, s);
    pos = s.offset(in.current());
  }
  if (pos == text.size()) {
    diags.report_file(DiagKind::EmptyFile, sm.name(file_id),
                      text.empty()            ? "the file is empty"
                      : out.comments.empty() ? "the file holds only blank space, no rules"
                                             : "the file holds only comments, no rules");
    return out;
  }
  while (pos < text.size()) {
    p::memory_input<p::tracking_mode::lazy, p::eol::lf_crlf> in(text.data() + pos, text.data() + text.size(),
                                                                 sm.name(file_id));
    s.reset_item();
    s.item_begin = pos;
    try {
      p::parse<g::one_item, action, control>(in, s);
      pos = s.offset(in.current());
    } catch (const SyntaxFailure& f) {
      Diagnostic& d = diags.report(f.kind, {file_id, f.offset, f.offset + f.length}, f.message);
      d.notes = f.notes;
      if (f.kind == DiagKind::UnclosedBlock) {
        LineCol lc = sm.line_col(file_id, s.rule_keyword_line_offset);
        d.message = "`end` expected (to close `" + std::string(s.rule_keyword) + "` at line " +
                    std::to_string(lc.line) + "), found " +
                    d.message.substr(d.message.rfind("found ") + 6);
        d.notes.clear();
      }
      pos = recovery_point(text, pos, std::max(f.offset, pos));
    }
  }
  // Comments inside items that failed to parse may be missing; keep order.
  std::sort(out.comments.begin(), out.comments.end(),
            [](const ast::Comment& a, const ast::Comment& b) { return a.loc.begin < b.loc.begin; });
  return out;
}

bool parse_expression(std::string_view text, std::uint32_t file_id, std::uint32_t base, ast::Expr& out,
                      std::string& error, std::uint32_t& error_offset) {
  ast::File scratch;
  State s;
  s.base = text.data() - base;
  s.file = file_id;
  s.out = &scratch;
  p::memory_input<p::tracking_mode::lazy> in(text.data(), text.data() + text.size(), "placeholder");
  try {
    using whole = p::seq<g::sp, p::must<g::expr>, g::sp, p::must<p::eof>>;
    p::parse<whole, action, control>(in, s);
  } catch (const SyntaxFailure& f) {
    // The input ends where the placeholder does, not at the end of the file.
    error = f.message;
    if (std::size_t at = error.find("the end of the file"); at != std::string::npos)
      error.replace(at, 19, "the closing `}`");
    error_offset = f.offset;
    return false;
  }
  if (s.stack.size() != 1) {
    error = "expected one value";
    error_offset = base;
    return false;
  }
  out = std::move(s.stack.back());
  return true;
}

namespace {

namespace fs = std::filesystem;

// Whether canonical path `p` lies inside canonical folder `root`.
bool inside(const fs::path& p, const fs::path& root) {
  fs::path rel = p.lexically_relative(root);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

std::string lowercase_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

struct Loader {
  SourceManager& sm;
  Diagnostics& diags;
  LoadedRules result;
  std::map<std::string, bool> state;  // canonical path -> finished?
  std::vector<std::string> chain;     // canonical paths on the current include chain
  // The folder of the rule set being loaded (the folder given, or the folder
  // of the file given), symbolic links resolved: includes stay inside it.
  fs::path root;
  std::string root_shown;  // as the user wrote it

  void set_root(const fs::path& folder) {
    std::error_code ec;
    fs::path f = folder.empty() ? fs::path(".") : folder;
    root = fs::weakly_canonical(fs::absolute(f, ec), ec);
    root_shown = f.lexically_normal().string();
    if (root_shown.size() > 1 && root_shown.back() == '/') root_shown.pop_back();
  }

  // Reads a regular file of at most kMaxSourceBytes. On failure `error` is
  // "is a directory", "not-regular", "too-large:SIZE" or a sentence.
  bool read(const fs::path& path, std::string& out, std::string& error) {
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (fs::is_directory(st)) {
      error = "is a directory";
      return false;
    }
    if (fs::exists(st) && !fs::is_regular_file(st)) {
      error = "not-regular";
      return false;
    }
    auto size = fs::file_size(path, ec);
    if (ec) {
      error = "cannot read: " + ec.message();
      return false;
    }
    if (size > kMaxSourceBytes) {
      error = "too-large:" + std::to_string(size);
      return false;
    }
    std::ifstream f(path, std::ios::binary);
    if (!f) {
      error = "cannot open the file (" + lowercase_first(std::strerror(errno)) + ")";
      return false;
    }
    std::ostringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return true;
  }

  // `include "PATH"` in the file at `from`: confined to the rule set's folder,
  // and to `.rules` files, before anything of the file is read.
  void include(const fs::path& from, const std::string& from_shown, const ast::Include& inc, std::uint32_t id) {
    const std::string written = inc.path.joined();
    auto refuse = [&](DiagKind kind, const std::string& why) {
      diags.report(kind, inc.path.loc, "cannot include `" + written + "`: " + why);
    };
    if (written.empty()) {
      diags.report(DiagKind::IncludeNotFound, inc.path.loc,
                   "the path to include is empty; write the file to include between the quotes, relative to this "
                   "file");
      return;
    }
    fs::path target = from.parent_path() / written;
    std::string shown = (fs::path(from_shown).parent_path() / written).lexically_normal().string();
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(fs::absolute(target, ec), ec);
    if (ec || !inside(canon, root)) {
      refuse(DiagKind::PathRefused, "it is outside the folder of the rule set (`" + root_shown +
                                           "`); only files inside that folder can be included");
      return;
    }
    fs::file_status st = fs::status(canon, ec);
    if (!fs::exists(st)) {
      refuse(DiagKind::IncludeNotFound, "no such file (looked for " + shown + ")");
      return;
    }
    if (fs::is_directory(st)) {
      refuse(DiagKind::IncludeNotFound, "it is a directory (looked for " + shown + ")");
      return;
    }
    if (!fs::is_regular_file(st)) {
      refuse(DiagKind::PathRefused, "it is not a regular file (a device, a pipe or a socket)");
      return;
    }
    if (canon.extension() != ".rules") {
      refuse(DiagKind::PathRefused,
             canon.filename() == target.filename()
                 ? "only `.rules` files can be included"
                 : "it is a link to `" + canon.filename().string() + "`, and only `.rules` files can be included");
      return;
    }
    load(target, shown, &inc, id);
  }

  void load(const fs::path& path, const std::string& shown, const ast::Include* from, std::uint32_t from_file) {
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(path, ec);
    std::string key = ec ? path.string() : canon.string();
    auto it = state.find(key);
    if (it != state.end()) {
      if (!it->second && from) {
        // On the current chain: a cycle.
        Diagnostic& d = diags.report(DiagKind::IncludeCycle, from->path.loc,
                                     "including `" + from->path.joined() + "` makes a cycle");
        auto pos = std::find(chain.begin(), chain.end(), key);
        std::string cyc;
        for (auto c = pos; c != chain.end(); ++c) cyc += fs::path(*c).filename().string() + " -> ";
        cyc += fs::path(key).filename().string();
        d.notes.push_back({{}, false, "the cycle: " + cyc});
        (void)from_file;
      }
      return;  // already loaded: each file once
    }
    std::string text, error;
    if (!read(path, text, error)) {
      if (from) {
        if (error.rfind("too-large:", 0) == 0) {
          diags.report(DiagKind::FileTooLarge, from->path.loc,
                       "`" + from->path.joined() + "` is " + too_large(std::stoull(error.substr(10))));
        } else {
          diags.report(DiagKind::IncludeNotFound, from->path.loc,
                       "cannot include `" + from->path.joined() + "`: " +
                           (error == "is a directory"            ? "it is a directory"
                            : error == "not-regular"             ? "it is not a regular file"
                            : error.rfind("cannot open", 0) == 0 ? "the file cannot be opened"
                                                                 : "no such file") +
                           " (looked for " + shown + ")");
        }
      } else if (error.rfind("too-large:", 0) == 0) {
        diags.report_file(DiagKind::FileTooLarge, shown, "the file is " + too_large(std::stoull(error.substr(10))));
      } else if (error == "not-regular") {
        diags.report_file(DiagKind::NotAFile, shown,
                          "it is not a regular file (a device, a pipe or a socket); give a `.rules` file or a "
                          "directory of them");
      } else {
        diags.report_file(DiagKind::IoError, shown, error);
      }
      return;
    }
    state[key] = false;
    chain.push_back(key);
    // A file that is not a `.rules` file (given by name) may hold anything:
    // its text is never quoted, and only its first problem is reported.
    bool rules_file = path.extension() == ".rules" && (ec || canon.extension() == ".rules");
    std::uint32_t id = sm.add(shown, std::move(text), rules_file);
    Diagnostics own;
    if (check_encoding(sm, id, own)) {
      ast::File file = parse_source(sm, id, own);
      if (rules_file || !own.has_errors()) {
        std::vector<ast::Include> incs = file.includes;
        result.files.push_back(std::move(file));
        diags.append(own);
        for (const ast::Include& inc : incs) include(path, shown, inc, id);
      } else {
        for (const Diagnostic& d : own.all()) {
          if (d.severity != Severity::Error) continue;
          Diagnostic first = d;
          first.notes = {{{}, false, "the file is not a `.rules` file: only its first problem is shown, and none of its text"}};
          diags.append_one(std::move(first));
          break;
        }
      }
    } else {
      diags.append(own);
    }
    chain.pop_back();
    state[key] = true;
  }
};

}  // namespace

LoadedRules load_rules(const std::vector<std::string>& paths, SourceManager& sm, Diagnostics& diags) {
  Loader l{sm, diags, {}, {}, {}, {}, {}};
  for (const std::string& p : paths) {
    std::error_code ec;
    fs::path path(p);
    if (fs::is_directory(path, ec)) {
      l.set_root(path);
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".rules") found.push_back(it->path());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) diags.report_file(DiagKind::NotAFile, p, "the directory holds no `.rules` files");
      for (const fs::path& f : found) {
        std::string shown = f.lexically_normal().string();
        fs::path canon = fs::weakly_canonical(f, ec);
        if (ec || !inside(canon, l.root) || canon.extension() != ".rules") {
          // A symbolic link out of the folder (or to another kind of file).
          diags.report_file(DiagKind::PathRefused, shown,
                            "it is a link to a file outside the folder `" + l.root_shown +
                                "` (or not a `.rules` file); only `.rules` files inside the folder are read");
          continue;
        }
        l.load(f, shown, nullptr, 0);
      }
    } else if (!fs::exists(path, ec)) {
      diags.report_file(DiagKind::IoError, p, "no such file or directory");
    } else {
      l.set_root(path.parent_path());
      l.load(path, p, nullptr, 0);
    }
  }
  return std::move(l.result);
}

}  // namespace advise
