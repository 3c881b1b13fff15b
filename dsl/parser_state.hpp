// The parser's state: the stack of trees, frames, the item being read.
//
// Part of the PEGTL parser, included only by dsl/parser.cpp: PEGTL actions and
// controls are templates instantiated by the one call to tao::pegtl::parse there,
// so they live in headers (in an unnamed namespace, as they were in one file).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/grammar.hpp"
#include "dsl/lexical.hpp"
#include "dsl/parser.hpp"

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

// The end of parse_expression's text: what may follow a whole expression is
// the caller's to say (ExprSurroundings).
struct expr_end : p::eof {};

struct State {
  const char* base = nullptr;
  std::uint32_t file = 0;
  // How errors name the end of the text, and what may follow a whole
  // expression there (parse_expression's ExprSurroundings).
  std::string_view end_name = "the end of the file";
  std::string_view after_expected = "something else";
  std::string_view after_advice;
  ast::File* out = nullptr;
  RuleSink* sink = nullptr;  // takes each rule parsed, when set (else out->rules)

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

// A rule fully parsed: to the sink, or kept in the file.
void finish_rule(State& s) {
  if (!s.sink || !s.sink->rule(s.rule, *s.out)) {
    s.out->items.push_back({ast::ItemKind::Rule, static_cast<std::uint32_t>(s.out->rules.size())});
    s.out->rules.push_back(std::move(s.rule));
  }
  s.rule = {};
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


}  // namespace
}  // namespace advise
