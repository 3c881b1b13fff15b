// Parser actions, expressions: literals, names, calls, operators, tests.
//
// Part of the PEGTL parser, included only by dsl/parser.cpp: PEGTL actions and
// controls are templates instantiated by the one call to tao::pegtl::parse there,
// so they live in headers (in an unnamed namespace, as they were in one file).
#pragma once

#include "dsl/parser_state.hpp"

namespace advise {
namespace {

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

}  // namespace
}  // namespace advise
