// The printer and the formatter.
//
// Both work in two steps: the AST is turned into a flat list of tokens (Tok),
// each remembering the source offset it came from, where a line may or must
// break, and whether it opens a new line of the layout; then the tokens are
// laid out. print_expr() just joins them. format_file() lays them out in
// lines and, before each token, emits the comments that preceded it in the
// source, which is how every comment keeps its place:
//   - a comment that had code before it on its line stays at the end of the
//     output line holding the code before it, and closes that line;
//   - a comment alone on its line stays alone on its line, before the token
//     that followed it, at that token's indentation.
// Nothing is appended after a comment, so no code can ever end up commented
// out, and since comments are emitted in source order, none is lost.
//
// The `and`/`or` chains of a condition are recorded as groups (Group); each
// is laid out either on one line or broken before every operator, decided
// where the chain starts: broken when it does not fit in kFormatWidth or
// holds a comment. Every decision depends only on the tree and on where the
// comments sit between its tokens, which formatting does not change: that is
// why formatting a formatted file gives it back unchanged.
//
// The source buffer is read for what the tree does not keep: where keywords
// and operators sit (to place comments exactly), where a text's parts open,
// whether a comment had code before it on its line, empty lines between
// items, and whether `==`/`!=` was written `is`/`is not`.
#include "dsl/printer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace advise {
namespace {

using ast::Expr;
using ast::ExprKind;

// A token with no place of its own in the source (a comma, a closing
// bracket): comments are never emitted just before it.
constexpr std::uint32_t kNoFlush = std::numeric_limits<std::uint32_t>::max();

// Binding strength, weakest first (docs/grammar.md).
enum Prec : int { kOr = 1, kAnd, kNot, kTest, kRange, kSum, kProduct, kUnary, kPostfix, kPrimary };

int prec(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Or: return kOr;
    case ExprKind::And: return kAnd;
    case ExprKind::Not:
    case ExprKind::ForEach:
    case ExprKind::Exists:
    case ExprKind::NotExists:
    case ExprKind::Every: return kNot;
    case ExprKind::Compare:
    case ExprKind::In:
    case ExprKind::Contains:
    case ExprKind::Between:
    case ExprKind::Missing: return kTest;
    case ExprKind::Range: return kRange;
    case ExprKind::Arith: return (e.text == "*" || e.text == "/") ? kProduct : kSum;
    case ExprKind::Neg: return kUnary;
    case ExprKind::Member:
    case ExprKind::Index: return kPostfix;
    case ExprKind::Number:
    case ExprKind::String:
    case ExprKind::Bool:
    case ExprKind::Name:
    case ExprKind::List:
    case ExprKind::Set:
    case ExprKind::Call:
    case ExprKind::Aggregate: return kPrimary;
  }
  return kPrimary;
}

enum class Brk : std::uint8_t {
  None,
  Hard,  // always starts a continuation line (the second part of a text, ...)
  Soft,  // starts a continuation line when the chunk would pass kFormatWidth
};

struct Tok {
  std::string text;
  std::uint32_t off = kNoFlush;  // source offset; comments before it are emitted first
  bool space = true;             // a space before it when it continues a line
  Brk brk = Brk::None;
  std::size_t soft_width = 0;    // Soft: width of the chunk this token starts
  int group = -1;                // an `and`/`or` of this chain: breaks before it when the chain does
  int line = -1;                 // >= 0: starts a new line of the layout at this indent
  int comment_indent = -1;       // line >= 0: indent of comments emitted before it
  int cont = -1;                 // line >= 0: indent of that line's continuation lines
};

// A chain of `and`s or of `or`s in a condition (`a and b and c`), which is
// laid out either on one line or with a line break before each operator.
enum class GroupKind : std::uint8_t {
  None,    // (context only) a chain here forms no group: inside brackets
  Root,    // the condition itself: breaks to the condition's continuation indent
  Nested,  // an `and` chain as an operand of an `or` chain: 2 more than that chain
  Paren,   // a parenthesised chain: aligned one column after its `(`
};

struct Group {
  GroupKind kind = GroupKind::None;
  ExprKind op = ExprKind::And;
  int parent = -1;            // the enclosing group, or -1
  std::size_t first = 0;      // first and last token, inclusive
  std::size_t last = 0;
  std::size_t flat_width = 0; // width on one line
  bool forced = false;        // holds comments: always broken
  // decided while laying out
  bool broken = false;
  int indent = 0;
};

// Tokens and the chains among them.
struct Seq {
  std::vector<Tok> toks;
  std::vector<Group> groups;
};

// Columns, counting UTF-8 code points.
std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string join(const std::vector<Tok>& toks, std::size_t from = 0,
                 std::size_t to = std::numeric_limits<std::size_t>::max()) {
  std::string s;
  to = std::min(to, toks.size());
  for (std::size_t i = from; i < to; ++i) {
    if (i > from && toks[i].space) s += ' ';
    s += toks[i].text;
  }
  return s;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The offset of the next token at or after `pos`, skipping white space,
// comments and closing brackets (which belong to the node before: a
// parenthesised expression's location excludes its parentheses).
std::uint32_t next_token(std::string_view src, std::uint32_t pos) {
  if (src.empty()) return kNoFlush;
  std::size_t i = pos;
  while (i < src.size()) {
    char c = src[i];
    if (is_space(c) || c == ')' || c == ']') {
      ++i;
    } else if (c == '#') {
      while (i < src.size() && src[i] != '\n') ++i;
    } else {
      break;
    }
  }
  return static_cast<std::uint32_t>(i);
}

std::string number_text(const Expr& e) {
  if (!e.text.empty()) return e.text;
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, e.number);
  return std::string(buf, r.ptr);
}

// Expression -> tokens. `src` is the buffer the expression was parsed from,
// or empty (print_expr), in which case no offsets are computed. With
// `groups`, the `and`/`or` chains of a condition are recorded as groups.
class ExprTokens {
 public:
  ExprTokens(std::vector<Tok>& out, std::string_view src, std::vector<Group>* groups = nullptr)
      : out_(out), src_(src), groups_(groups) {}

  void emit(const Expr& e, bool space_before) {
    next_space_ = space_before;
    gen(e, kOr, Ctx{-1, groups_ ? GroupKind::Root : GroupKind::None, -1, -1});
  }

 private:
  // Where an expression stands, for the chains it may start or continue.
  struct Ctx {
    int parent;       // the enclosing group
    GroupKind kind;   // the kind of group a chain starting here forms
    long first;       // Paren: index of the `(`; else -1 (the chain's own first token)
    int chain;        // >= 0: an `and`/`or` of this group's operator continues it
  };
  Ctx inside(int parent) const { return Ctx{parent, GroupKind::None, -1, -1}; }

  void push(std::string text, std::uint32_t off, std::optional<bool> space = std::nullopt,
            Brk brk = Brk::None) {
    Tok t;
    t.text = std::move(text);
    t.off = src_.empty() ? kNoFlush : off;
    t.space = space.value_or(next_space_);
    t.brk = brk;
    next_space_ = true;
    out_.push_back(std::move(t));
  }

  std::uint32_t after(const ast::Loc& l) const { return next_token(src_, l.end); }

  // Comma-separated items; each item after the first may wrap.
  void items(const std::vector<Expr>& kids, int parent) {
    for (std::size_t i = 0; i < kids.size(); ++i) {
      if (i > 0) push(",", kNoFlush, false);
      std::size_t mark = out_.size();
      gen(kids[i], kOr, inside(parent));
      if (i > 0 && mark < out_.size()) {
        out_[mark].brk = Brk::Soft;
        out_[mark].soft_width = display_width(join(out_, mark)) + 1;  // + `,` or closer
      }
    }
  }

  // Was the comparison at `off` written `is` / `is not`? The tree stores it as
  // `==` / `!=`; the formatter keeps the advisor's word.
  bool spelled_is(std::uint32_t off) const {
    if (src_.empty() || off >= src_.size() || src_.compare(off, 2, "is") != 0) return false;
    if (off + 2 >= src_.size()) return true;
    char c = src_[off + 2];
    return !(std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  }

  static bool is_chain(const Expr& e) { return e.kind == ExprKind::And || e.kind == ExprKind::Or; }

  // A pattern or aggregate with `where`: its condition runs to the end of the
  // `and` chain, so whatever an `and` chain would take in after it must not
  // follow it unparenthesised.
  static bool open_ended(const Expr& e) {
    switch (e.kind) {
      case ExprKind::ForEach:
      case ExprKind::Exists:
      case ExprKind::NotExists:
      case ExprKind::Aggregate: return e.number == ast::kHasWhere;
      default: return false;
    }
  }

  // The words and names of a pattern or an aggregate, each at its source offset.
  void word(const char* w, std::uint32_t& pos) {
    push(w, pos);
    pos = next_token(src_, pos + static_cast<std::uint32_t>(std::string_view(w).size()));
  }
  void binding(const Expr& t, const Expr& x, int parent) {
    gen(t, kPrimary, inside(parent));
    gen(x, kPrimary, inside(parent));
  }
  // `where C`, its `and` chain laid out as a chain of its own.
  void where(const Expr& c, int parent, bool followed) {
    push("where", next_token(src_, last_end_));
    Ctx cc = inside(parent);
    if (groups_ && is_chain(c)) cc.kind = parent >= 0 ? GroupKind::Nested : GroupKind::Root;
    gen(c, kAnd, cc, followed);
  }

  void pattern(const Expr& e, int parent, bool followed) {
    const auto& k = e.kids;
    bool has_where = e.number == ast::kHasWhere;
    std::uint32_t pos = e.loc.begin;
    switch (e.kind) {
      case ExprKind::ForEach:
        word("for", pos);
        word("each", pos);
        break;
      case ExprKind::Exists:
      case ExprKind::NotExists:
        word("there", pos);
        word("is", pos);
        word(e.kind == ExprKind::NotExists ? "no" : e.text == "an" ? "an" : "a", pos);
        break;
      case ExprKind::Every: word("every", pos); break;
      default: break;
    }
    if (e.kind == ExprKind::Aggregate) {
      word("the", pos);
      if (e.text == "count") {
        word("number", pos);
        word("of", pos);
      } else {
        word(e.text == "min" ? "minimum" : e.text == "max" ? "maximum" : e.text == "sum" ? "sum" : "average", pos);
        word("of", pos);
        const Expr& v = k.back();
        gen(v, kSum, inside(parent));
        pos = next_token(src_, v.loc.end);
        word("for", pos);
        word("each", pos);
      }
    }
    binding(k.at(0), k.at(1), parent);
    last_end_ = k.at(1).loc.end;
    if (e.kind == ExprKind::Every) {
      if (has_where) {
        where(k.at(2), parent, false);
        last_end_ = k.at(2).loc.end;
      }
      push("has", src_.empty() ? kNoFlush : next_token(src_, last_end_));
      gen(k.back(), kNot, inside(parent), followed);
      return;
    }
    if (has_where) where(k.at(2), parent, false);
  }

  // Prints `e` where the grammar expects at least `min_prec`. `followed`:
  // something an `and` chain takes in comes after it (see open_ended).
  void gen(const Expr& e, int min_prec, Ctx ctx, bool followed = false) {
    if (prec(e) < min_prec || (followed && open_ended(e))) {
      std::size_t open = out_.size();
      std::size_t before = groups_ ? groups_->size() : 0;
      push("(", e.loc.begin);
      next_space_ = false;
      gen(e, kOr, Ctx{ctx.parent, groups_ ? GroupKind::Paren : GroupKind::None, static_cast<long>(open), -1});
      push(")", kNoFlush, false);
      if (groups_ && groups_->size() > before && (*groups_)[before].first == open)
        (*groups_)[before].last = out_.size() - 1;
      return;
    }
    const auto& k = e.kids;
    const int parent = ctx.parent;
    switch (e.kind) {
      case ExprKind::Number: push(number_text(e), e.loc.begin); return;
      case ExprKind::String: push(quote_string(e.text), e.loc.begin); return;
      case ExprKind::Bool: push(e.number != 0 ? "true" : "false", e.loc.begin); return;
      case ExprKind::Name: push(e.text, e.loc.begin); return;
      case ExprKind::List:
      case ExprKind::Set: {
        bool list = e.kind == ExprKind::List;
        push(list ? "[" : "{", e.loc.begin);
        next_space_ = false;
        items(k, parent);
        push(list ? "]" : "}", kNoFlush, false);
        return;
      }
      case ExprKind::Call:
        push(e.text, e.loc.begin);
        push("(", kNoFlush, false);
        next_space_ = false;
        items(k, parent);
        push(")", kNoFlush, false);
        return;
      case ExprKind::Range: {
        // 80..100, but `a + 1 .. b` when a side is unparenthesised arithmetic.
        auto arith = [](const Expr& x) { return prec(x) >= kSum && prec(x) < kUnary; };
        bool spaced = arith(k.at(0)) || arith(k.at(1));
        gen(k.at(0), kSum, inside(parent), true);
        push("..", after(k.at(0).loc), spaced);
        next_space_ = spaced;
        gen(k.at(1), kSum, inside(parent), followed);
        return;
      }
      case ExprKind::Not:
        push("not", e.loc.begin);
        gen(k.at(0), kNot, inside(parent), followed);
        return;
      case ExprKind::ForEach:
      case ExprKind::Exists:
      case ExprKind::NotExists:
      case ExprKind::Every:
      case ExprKind::Aggregate: pattern(e, parent, followed); return;
      case ExprKind::Neg:
        push("-", e.loc.begin);
        next_space_ = false;
        gen(k.at(0), kUnary, inside(parent), followed);
        return;
      case ExprKind::And:
      case ExprKind::Or: {
        int g = ctx.chain;
        bool head = false;
        if (g < 0 && groups_ && ctx.kind != GroupKind::None) {
          Group grp;
          grp.kind = ctx.kind;
          grp.op = e.kind;
          grp.parent = parent;
          grp.first = ctx.first >= 0 ? static_cast<std::size_t>(ctx.first) : out_.size();
          g = static_cast<int>(groups_->size());
          groups_->push_back(grp);
          head = true;
        }
        const int p = prec(e);
        const Expr& l = k.at(0);
        const Expr& r = k.at(1);
        // The left operand continues the chain when it has the same operator;
        // an unparenthesised `and` chain under an `or` is a nested chain.
        Ctx lc = inside(g >= 0 ? g : parent);
        if (g >= 0 && l.kind == e.kind) lc = Ctx{parent, ctx.kind, ctx.first, g};
        else if (g >= 0 && is_chain(l)) lc.kind = GroupKind::Nested;
        Ctx rc = inside(g >= 0 ? g : parent);
        if (g >= 0 && is_chain(r)) rc.kind = GroupKind::Nested;  // parenthesised: becomes Paren
        gen(l, p, lc, e.kind == ExprKind::And || followed);
        push(e.kind == ExprKind::And ? "and" : "or", after(l.loc));
        out_.back().group = g;
        gen(r, p + 1, rc, followed);
        if (head) (*groups_)[static_cast<std::size_t>(g)].last = out_.size() - 1;
        return;
      }
      case ExprKind::Arith: {
        int p = prec(e);
        gen(k.at(0), p, inside(parent), true);
        push(e.text, after(k.at(0).loc));
        gen(k.at(1), p + 1, inside(parent), followed);
        return;
      }
      case ExprKind::Compare: {
        gen(k.at(0), kRange, inside(parent), true);
        std::uint32_t off = after(k.at(0).loc);
        push(spelled_is(off) ? (e.text == "==" ? "is" : "is not") : e.text, off);
        gen(k.at(1), kRange, inside(parent), followed);
        return;
      }
      case ExprKind::In:
      case ExprKind::Contains: {
        std::string op = e.kind == ExprKind::In ? "in" : "contains";
        gen(k.at(0), kRange, inside(parent), true);
        push(e.number != 0 ? "not " + op : op, after(k.at(0).loc));
        gen(k.at(1), kRange, inside(parent), followed);
        return;
      }
      case ExprKind::Between:
        gen(k.at(0), kRange, inside(parent), true);
        push("between", after(k.at(0).loc));
        gen(k.at(1), kRange, inside(parent), true);
        push("and", after(k.at(1).loc));
        gen(k.at(2), kRange, inside(parent), followed);
        return;
      case ExprKind::Missing:
        gen(k.at(0), kRange, inside(parent), true);
        push(e.number != 0 ? "is present" : "is missing", after(k.at(0).loc));
        return;
      case ExprKind::Member:
        gen(k.at(0), kPostfix, inside(parent), true);
        push("." + e.text, kNoFlush, false);
        return;
      case ExprKind::Index:
        gen(k.at(0), kPostfix, inside(parent), true);
        push("[", kNoFlush, false);
        next_space_ = false;
        gen(k.at(1), kOr, inside(parent));
        push("]", kNoFlush, false);
        return;
    }
  }

  std::vector<Tok>& out_;
  std::string_view src_;
  std::vector<Group>* groups_;
  bool next_space_ = false;
  std::uint32_t last_end_ = 0;  // the end of what precedes a `where` or `has`
};

// ---------------------------------------------------------------------------
// The formatter.

class Formatter {
 public:
  Formatter(const ast::File& f, std::string_view src) : f_(f), src_(src), cs_(f.comments) {}

  std::string run() {
    bool have_prev = false;
    bool prev_block = false;
    std::uint32_t prev_end = 0;
    for (const ast::Item& it : f_.items) {
      ast::Loc loc = item_loc(it);
      Seq seq = item_tokens(it);
      // A rule laid out on several lines is always set apart by a blank line;
      // when the source has none, it goes before the comments leading the
      // next item.
      bool block = std::count_if(seq.toks.begin(), seq.toks.end(),
                                 [](const Tok& t) { return t.line >= 0; }) > 1;
      bool force = have_prev && (block || prev_block) && !has_blank(prev_end, loc.begin);
      gap(prev_end, loc.begin, force, true);
      lay_out(seq);
      have_prev = true;
      prev_block = block;
      prev_end = loc.end;
    }
    gap(prev_end, kNoFlush, false, false);

    std::size_t size = 0;
    for (const std::string& l : lines_) size += l.size() + 1;
    std::string s;
    s.reserve(size);
    for (const std::string& l : lines_) {
      s += l;
      s += '\n';
    }
    return s;
  }

 private:
  // ---- placing comments ----------------------------------------------------

  // Did the comment have code before it on its source line?
  bool trailing(const ast::Comment& c) const {
    for (std::size_t i = std::min<std::size_t>(c.loc.begin, src_.size()); i > 0; --i) {
      char ch = src_[i - 1];
      if (ch == '\n') return false;
      if (!is_space(ch)) return true;
    }
    return false;
  }

  // Is there an empty line in the source between `from` and `to`?
  bool has_blank(std::uint32_t from, std::uint32_t to) const {
    std::size_t end = std::min<std::size_t>(to, src_.size());
    int newlines = 0;
    for (std::size_t i = from; i < end; ++i) {
      char c = src_[i];
      if (c == '\n') {
        if (++newlines >= 2) return true;
      } else if (c == '#') {
        while (i + 1 < end && src_[i + 1] != '\n') ++i;
        newlines = 0;
      } else if (!is_space(c)) {
        newlines = 0;
      }
    }
    return false;
  }

  void emit_comment(const ast::Comment& c) {
    if (trailing(c) && last_code_) {
      lines_.back() += "  ";
      lines_.back() += c.text;
    } else {
      int indent = pending_ >= 0 ? pending_comment_ : cur_indent();
      lines_.push_back(std::string(static_cast<std::size_t>(indent), ' ') + c.text);
    }
    last_code_ = false;
    open_ = false;
  }

  void flush(std::uint32_t off) {
    while (ci_ < cs_.size() && cs_[ci_].loc.begin < off) emit_comment(cs_[ci_++]);
  }

  void blank_line() {
    if (!lines_.empty() && !lines_.back().empty()) lines_.emplace_back();
    last_code_ = false;
    open_ = false;
  }

  // The comments between two items (or before the first, after the last):
  // each alone on its line at column 0 unless it trails the previous line;
  // runs of empty lines become one.
  void gap(std::uint32_t from, std::uint32_t to, bool force_blank, bool before_item) {
    std::uint32_t prev = from;
    pending_ = 0;
    pending_comment_ = 0;
    while (ci_ < cs_.size() && cs_[ci_].loc.begin < to) {
      const ast::Comment& c = cs_[ci_++];
      if (!(trailing(c) && last_code_)) {
        if (has_blank(prev, c.loc.begin) || force_blank) blank_line();
        force_blank = false;
      }
      emit_comment(c);
      prev = std::max(prev, c.loc.end);
    }
    if (before_item && (has_blank(prev, to) || force_blank)) blank_line();
  }

  // ---- laying out tokens ---------------------------------------------------

  // Indent of a continuation line: that of the innermost broken chain around
  // the current token, else the current line's.
  int cur_indent() const { return inner_indent_ >= 0 ? inner_indent_ : cont_; }

  void lay_out(const Seq& s) {
    std::vector<Group> groups = s.groups;
    std::vector<std::size_t> open;  // broken chains around the current token
    std::size_t next_group = 0;
    for (std::size_t i = 0; i < s.toks.size(); ++i) {
      const Tok& t = s.toks[i];
      while (!open.empty() && groups[open.back()].last < i) open.pop_back();
      inner_indent_ = open.empty() ? -1 : groups[open.back()].indent;
      if (t.line >= 0) {
        pending_ = t.line;
        pending_comment_ = t.comment_indent >= 0 ? t.comment_indent : t.line;
        cont_ = t.cont >= 0 ? t.cont : t.line + 2;
        open_ = false;
      }
      if (t.off != kNoFlush) flush(t.off);
      if (pending_ < 0 && open_) {
        if (t.brk == Brk::Hard || (t.group >= 0 && groups[static_cast<std::size_t>(t.group)].broken)) {
          open_ = false;
        } else if (t.brk == Brk::Soft &&
                   display_width(lines_.back()) + (t.space ? 1 : 0) + t.soft_width > kFormatWidth) {
          open_ = false;
        }
      }
      // Where the token goes.
      int indent = pending_ >= 0 ? pending_ : cur_indent();
      bool new_line = pending_ >= 0 || !open_;
      std::size_t col = new_line ? static_cast<std::size_t>(indent)
                                 : display_width(lines_.back()) + (t.space ? 1 : 0);
      // Chains starting here: broken when they do not fit or hold comments.
      for (; next_group < groups.size() && groups[next_group].first == i; ++next_group) {
        Group& g = groups[next_group];
        const Group* parent = g.parent >= 0 ? &groups[static_cast<std::size_t>(g.parent)] : nullptr;
        bool can = g.kind != GroupKind::Nested || (parent && parent->broken);
        g.broken = can && (g.forced || col + g.flat_width > kFormatWidth);
        switch (g.kind) {
          case GroupKind::Root:
          case GroupKind::None: g.indent = cont_; break;
          case GroupKind::Nested: g.indent = (parent ? parent->indent : cont_) + 2; break;
          case GroupKind::Paren: g.indent = static_cast<int>(col) + 1; break;
        }
        if (g.broken) open.push_back(next_group);
      }
      if (new_line) {
        lines_.push_back(std::string(static_cast<std::size_t>(indent), ' ') + t.text);
        pending_ = -1;
      } else {
        if (t.space) lines_.back() += ' ';
        lines_.back() += t.text;
      }
      open_ = true;
      last_code_ = true;
    }
    inner_indent_ = -1;
  }

  // ---- building tokens -----------------------------------------------------

  static ast::Loc item_loc_of(const ast::File& f, const ast::Item& it) {
    switch (it.kind) {
      case ast::ItemKind::Include: return f.includes.at(it.index).loc;
      case ast::ItemKind::Definition: return f.definitions.at(it.index).loc;
      case ast::ItemKind::Rule: return f.rules.at(it.index).loc;
      case ast::ItemKind::Template: return f.templates.at(it.index).loc;
      case ast::ItemKind::Strategy: return f.strategies.at(it.index).loc;
    }
    return {};
  }
  ast::Loc item_loc(const ast::Item& it) const { return item_loc_of(f_, it); }

  std::uint32_t next(std::uint32_t pos) const { return next_token(src_, pos); }

  static void push(std::vector<Tok>& t, std::string text, std::uint32_t off, bool space = true,
                   Brk brk = Brk::None) {
    Tok k;
    k.text = std::move(text);
    k.off = off;
    k.space = space;
    k.brk = brk;
    t.push_back(std::move(k));
  }

  // Marks t[mark] as the start of a layout line.
  static void line_at(std::vector<Tok>& t, std::size_t mark, int indent, int cont,
                      int comment_indent = -1) {
    t.at(mark).line = indent;
    t.at(mark).cont = cont;
    t.at(mark).comment_indent = comment_indent;
  }

  void expr(std::vector<Tok>& t, const Expr& e, bool space = true) const {
    ExprTokens(t, src_).emit(e, space);
  }

  // The string literals between `begin` and `end`: where each opens, and its
  // unescaped contents. False when the source does not hold just strings there.
  bool lex_strings(std::uint32_t begin, std::uint32_t end, std::vector<std::uint32_t>& offs,
                   std::vector<std::string>& values) const {
    std::size_t i = begin;
    std::size_t stop = std::min<std::size_t>(end, src_.size());
    while (true) {
      while (i < stop && (is_space(src_[i]) || src_[i] == '#')) {
        if (src_[i] == '#')
          while (i < stop && src_[i] != '\n') ++i;
        else
          ++i;
      }
      if (i >= stop) break;
      if (src_[i] != '"') return false;
      offs.push_back(static_cast<std::uint32_t>(i));
      std::string v;
      ++i;
      while (i < src_.size() && src_[i] != '"') {
        if (src_[i] == '\\' && i + 1 < src_.size()) {
          char e = src_[i + 1];
          v += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          i += 2;
        } else {
          v += src_[i++];
        }
      }
      if (i >= src_.size()) return false;
      ++i;
      values.push_back(std::move(v));
    }
    return !offs.empty();
  }

  // The parts of a text, the first continuing the line, each other one on a
  // continuation line of its own, as the author split them.
  void text(std::vector<Tok>& t, const std::vector<std::string>& parts, ast::Loc loc) const {
    std::vector<std::uint32_t> offs;
    std::vector<std::string> values;
    bool located = lex_strings(loc.begin, loc.end, offs, values) && values == parts;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      std::uint32_t off = located ? offs[i] : (i == 0 ? loc.begin : kNoFlush);
      push(t, quote_string(parts[i]), src_.empty() ? kNoFlush : off, true,
           i == 0 ? Brk::None : Brk::Hard);
    }
  }

  Seq item_tokens(const ast::Item& it) const {
    Seq seq;
    std::vector<Tok>& t = seq.toks;
    switch (it.kind) {
      case ast::ItemKind::Include: {
        const ast::Include& inc = f_.includes.at(it.index);
        push(t, "include", inc.loc.begin);
        text(t, inc.path.parts, inc.path.loc);
        break;
      }
      case ast::ItemKind::Definition: {
        const ast::Definition& d = f_.definitions.at(it.index);
        const char* kw = d.kind == ast::DefKind::Group      ? "group"
                         : d.kind == ast::DefKind::Constant ? "const"
                                                            : "alias";
        push(t, kw, d.loc.begin);
        push(t, d.name.name, d.name.loc.begin);
        push(t, "=", next(d.name.loc.end));
        expr(t, d.value);
        break;
      }
      case ast::ItemKind::Rule: {
        const ast::Rule& r = f_.rules.at(it.index);
        return r.short_form ? short_rule(r) : block_rule(r);
      }
      case ast::ItemKind::Template: return template_item(f_.templates.at(it.index));
      case ast::ItemKind::Strategy: {
        const ast::StrategyDecl& d = f_.strategies.at(it.index);
        push(t, "strategy", d.loc.begin);
        push(t, d.name.name, d.name.loc.begin);
        break;
      }
    }
    line_at(t, 0, 0, 2);
    return seq;
  }

  // Comments strictly inside the tokens' span: they will break its lines.
  bool comments_within(const std::vector<Tok>& t, std::size_t from = 0,
                       std::size_t to = std::numeric_limits<std::size_t>::max()) const {
    std::uint32_t lo = kNoFlush, hi = 0;
    for (std::size_t i = from; i < std::min(to, t.size()); ++i) {
      const Tok& k = t[i];
      if (k.off == kNoFlush) continue;
      lo = std::min(lo, k.off);
      hi = std::max(hi, k.off);
    }
    if (lo == kNoFlush) return false;
    auto it = std::upper_bound(cs_.begin(), cs_.end(), lo,
                               [](std::uint32_t v, const ast::Comment& c) { return v < c.loc.begin; });
    return it != cs_.end() && it->loc.begin < hi;
  }

  // The condition after `when`/`if`. Its `and`/`or` chains break before each
  // operator when they do not fit on the line or hold comments (lay_out).
  void condition(Seq& seq, const Expr& cond) const {
    Seq c;
    ExprTokens(c.toks, src_, &c.groups).emit(cond, true);
    const std::size_t tbase = seq.toks.size();
    const int gbase = static_cast<int>(seq.groups.size());
    for (Group g : c.groups) {
      g.flat_width = display_width(join(c.toks, g.first, g.last + 1));
      g.forced = comments_within(c.toks, g.first, g.last + 1);
      g.first += tbase;
      g.last += tbase;
      if (g.parent >= 0) g.parent += gbase;
      seq.groups.push_back(g);
    }
    for (Tok k : c.toks) {
      if (k.group >= 0) k.group += gbase;
      seq.toks.push_back(std::move(k));
    }
  }

  void action(std::vector<Tok>& t, const ast::Action& a) const {
    switch (a.kind) {
      case ast::ActionKind::Set:
        push(t, "set", a.loc.begin);
        expr(t, a.target());
        push(t, "=", next(a.target().loc.end));
        expr(t, a.value());
        return;
      case ast::ActionKind::Add:
        push(t, "add", a.loc.begin);
        expr(t, a.value());
        push(t, "to", next(a.value().loc.end));
        expr(t, a.target());
        return;
      case ast::ActionKind::Recommend:
        push(t, "recommend", a.loc.begin);
        if (!a.category().name.empty()) push(t, a.category().name, a.category().loc.begin);
        push(t, a.id().name, a.id().loc.begin);
        if (a.has_text) {
          push(t, ":", next(a.id().loc.end), false);
          text(t, a.text.parts, a.text.loc);
        }
        return;
      case ast::ActionKind::Note:
      case ast::ActionKind::Warn:
        push(t, a.kind == ast::ActionKind::Note ? "note" : "warn", a.loc.begin);
        text(t, a.text.parts, a.text.loc);
        return;
      case ast::ActionKind::Cite:
        push(t, "cite", a.loc.begin);
        expr(t, a.value());
        return;
      case ast::ActionKind::Create:
      case ast::ActionKind::Change:
        push(t, a.kind == ast::ActionKind::Create ? "create" : "change", a.loc.begin);
        push(t, a.id().name, a.id().loc.begin);
        if (!a.fields().empty()) push(t, "with", next(a.id().loc.end));
        for (std::size_t i = 0; i < a.fields().size(); ++i) {
          const ast::FieldInit& f = a.fields()[i];
          if (i > 0) push(t, ",", kNoFlush, false);
          std::size_t mark = t.size();
          push(t, f.field.name, f.field.loc.begin);
          push(t, "=", next(f.field.loc.end));
          expr(t, f.value);
          if (i > 0) {
            // Each field after the first may wrap, as items of a list do.
            t[mark].brk = Brk::Soft;
            t[mark].soft_width = display_width(join(t, mark)) + 1;
          }
        }
        return;
      case ast::ActionKind::Remove:
        push(t, "remove", a.loc.begin);
        push(t, a.id().name, a.id().loc.begin);
        return;
    }
  }

  // template NAME [TEXT], one field a line indented like a rule's actions, end.
  Seq template_item(const ast::Template& tp) const {
    Seq seq;
    std::vector<Tok>& t = seq.toks;
    push(t, "template", tp.loc.begin);
    line_at(t, 0, 0, 4);
    push(t, tp.name.name, tp.name.loc.begin);
    std::uint32_t last = tp.name.loc.end;
    if (tp.has_description) {
      text(t, tp.description.parts, tp.description.loc);
      last = tp.description.loc.end;
    }
    for (const ast::FieldDecl& fd : tp.fields) {
      std::size_t mark = t.size();
      push(t, fd.name.name, fd.name.loc.begin);
      push(t, ":", next(fd.name.loc.end), false);
      if (fd.type.name.empty()) {
        expr(t, fd.values);
      } else {
        push(t, fd.type.name, fd.type.loc.begin);
        if (fd.has_range) expr(t, fd.range);
      }
      if (fd.optional) push(t, "optional", src_.empty() ? kNoFlush : fd.loc.end - 8);
      line_at(t, mark, 2, 4);
      last = fd.loc.end;
    }
    std::size_t mark = t.size();
    std::uint32_t end_off = tp.loc.end >= 3 && tp.loc.end <= src_.size() && src_.substr(tp.loc.end - 3, 3) == "end"
                                ? tp.loc.end - 3
                                : next(last);
    push(t, "end", end_off);
    line_at(t, mark, 0, 2, 2);
    return seq;
  }

  void actions(std::vector<Tok>& t, const ast::Rule& r) const {
    for (const ast::Action& a : r.actions) {
      std::size_t mark = t.size();
      action(t, a);
      line_at(t, mark, 2, 4);
    }
  }

  void clause(std::vector<Tok>& t, const ast::Rule::Clause& c) const {
    push(t, c.kind, c.loc.begin);
    if (c.kind == "logical") return;
    if (c.kind == "source") {
      // The value is the joined text; keep the parts as the author split them.
      std::vector<std::uint32_t> offs;
      std::vector<std::string> values;
      if (lex_strings(c.value_loc.begin, c.value_loc.end, offs, values)) {
        std::string joined;
        for (std::size_t i = 0; i < values.size(); ++i) joined += (i ? " " : "") + values[i];
        if (joined == c.value) {
          for (std::size_t i = 0; i < values.size(); ++i)
            push(t, quote_string(values[i]), offs[i], true, i == 0 ? Brk::None : Brk::Hard);
          return;
        }
      }
      push(t, quote_string(c.value), src_.empty() ? kNoFlush : c.value_loc.begin);
      return;
    }
    if (c.kind == "stages" && !c.items.empty()) {
      for (std::size_t i = 0; i < c.items.size(); ++i)
        push(t, c.items[i].name + (i + 1 < c.items.size() ? "," : ""), c.items[i].loc.begin);
      return;
    }
    push(t, c.value, c.value_loc.begin);
  }

  std::uint32_t end_offset(const ast::Rule& r, std::uint32_t then_off) const {
    if (r.loc.end >= 3 && r.loc.end <= src_.size() && src_.substr(r.loc.end - 3, 3) == "end")
      return r.loc.end - 3;
    return next(r.actions.empty() ? then_off + 4 : r.actions.back().loc.end);
  }

  Seq block_rule(const ast::Rule& r) const {
    Seq seq;
    std::vector<Tok>& t = seq.toks;
    push(t, "rule", r.loc.begin);
    line_at(t, 0, 0, 4);
    push(t, r.name.name, r.name.loc.begin);
    std::uint32_t header_end = r.name.loc.end;
    if (r.has_description) {
      text(t, r.description.parts, r.description.loc);
      header_end = r.description.loc.end;
    }
    for (const ast::Rule::Clause& c : r.clauses) {
      std::size_t mark = t.size();
      clause(t, c);
      line_at(t, mark, 2, 4);
      header_end = c.loc.end;
    }
    std::size_t mark = t.size();
    push(t, "when", next(header_end));
    line_at(t, mark, 0, 2);
    condition(seq, r.condition);
    std::uint32_t then_off = next(r.condition.loc.end);
    mark = t.size();
    push(t, "then", then_off);
    line_at(t, mark, 0, 2);
    actions(t, r);
    mark = t.size();
    push(t, "end", end_offset(r, then_off));
    line_at(t, mark, 0, 2, 2);
    return seq;
  }

  // `if C then A` on one line when it fits, holds one action and no comment;
  // otherwise laid out like a block rule without `end`.
  Seq short_rule(const ast::Rule& r) const {
    std::uint32_t then_off = next(r.condition.loc.end);
    if (r.actions.size() == 1) {
      Seq seq;
      std::vector<Tok>& t = seq.toks;
      push(t, "if", r.loc.begin);
      expr(t, r.condition);
      push(t, "then", then_off);
      action(t, r.actions[0]);
      bool hard = std::any_of(t.begin(), t.end(), [](const Tok& k) { return k.brk == Brk::Hard; });
      if (!hard && display_width(join(t)) <= kFormatWidth && !comments_within(t)) {
        line_at(t, 0, 0, 2);
        return seq;
      }
    }
    Seq seq;
    std::vector<Tok>& t = seq.toks;
    push(t, "if", r.loc.begin);
    line_at(t, 0, 0, 2);
    condition(seq, r.condition);
    std::size_t mark = t.size();
    push(t, "then", then_off);
    line_at(t, mark, 0, 2);
    actions(t, r);
    return seq;
  }

  const ast::File& f_;
  std::string_view src_;
  const std::vector<ast::Comment>& cs_;

  std::vector<std::string> lines_;
  std::size_t ci_ = 0;     // next comment to emit
  bool last_code_ = false; // lines_.back() ends with code (no comment yet)
  bool open_ = false;      // the next token may continue lines_.back()
  int pending_ = -1;       // >= 0: the next token starts a new line at this indent
  int pending_comment_ = 0;
  int cont_ = 2;           // indent of continuation lines of the current line
  int inner_indent_ = -1;  // >= 0: indent inside the innermost broken chain
};

}  // namespace

std::string quote_string(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

std::string print_expr(const ast::Expr& e) {
  std::vector<Tok> t;
  ExprTokens(t, {}).emit(e, false);
  return join(t);
}

std::string print_text(const ast::Text& t) {
  std::string s;
  for (std::size_t i = 0; i < t.parts.size(); ++i) {
    if (i) s += ' ';
    s += quote_string(t.parts[i]);
  }
  return s;
}

std::string format_file(const ast::File& f, const SourceManager& sm) {
  std::string_view src = f.file < sm.size() ? std::string_view(sm.text(f.file)) : std::string_view();
  return Formatter(f, src).run();
}

}  // namespace advise
