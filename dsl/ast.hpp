// The abstract syntax tree of the Advise rule language.
//
// Pipeline: source text (SourceManager) -> ast::File (this header, produced by
// the PEGTL parser in parser.cpp or the Spirit X3 parser in x3/) -> checked
// RuleSet (checker.hpp) -> inference (engine/).
//
// Every node carries a Loc: the file id and the byte offsets [begin, end) of
// the text it was parsed from. Line and column are derived from offsets by the
// SourceManager, so both parsers can be compared node by node, positions
// included, with operator==.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "dsl/box.hpp"

namespace advise::ast {

struct Loc {
  std::uint32_t file = 0;
  std::uint32_t begin = 0;  // byte offset of the first character
  std::uint32_t end = 0;    // byte offset one past the last character
  friend bool operator==(const Loc&, const Loc&) = default;
};

struct Ident {
  std::string name;
  Loc loc;
  friend bool operator==(const Ident&, const Ident&) = default;
};

// A string literal, possibly written as several adjacent literals
// ("part one" "part two"), which the language joins with one space.
struct Text {
  std::vector<std::string> parts;  // unescaped contents of each literal
  Loc loc;                         // from the first quote to the last
  std::string joined() const;
  friend bool operator==(const Text&, const Text&) = default;
};

enum class ExprKind : std::uint8_t {
  Number,   // text = spelling as written ("250", "2.5"); number = value
  String,   // text = unescaped contents
  Bool,     // number = 1 or 0
  Name,     // text = identifier
  List,     // [a, b, c]            kids = items
  Set,      // {a, b, c}            kids = items
  Range,    // lo .. hi             kids = {lo, hi}
  Not,      // not x                kids = {x}
  Neg,      // -x                   kids = {x}
  And,      // a and b              kids = {a, b}
  Or,       // a or b               kids = {a, b}
  Arith,    // a op b, op in + - * /   text = op
  Compare,  // a op b, op in < <= > >= == !=   text = op (`is` is stored as ==, `is not` as !=)
  In,       // a in b  / a not in b        number = 1 when negated
  Contains, // a contains b / a not contains b   number = 1 when negated
  Between,  // a between lo and hi    kids = {a, lo, hi}
  Missing,  // a is missing / a is present   number = 1 for `is present`
  Call,     // f(args)             text = function name; kids = args
  Member,   // a.b                 text = member name; kids = {a}
  Index,    // a[b]                kids = {a, b}

  // Patterns over facts of templates (docs/language.md, "Facts and
  // patterns"). For each: kids[0] = Name (the template), kids[1] = Name (the
  // bound name); `number` holds flags: kHasWhere when a `where` clause was
  // written, which is then kids[2].
  ForEach,    // for each T x [where C]                      kids = {T, x, C?}
  Exists,     // there is a T x [where C] / there is an …   kids = {T, x, C?}; text = "a" or "an"
  NotExists,  // there is no T x [where C]                   kids = {T, x, C?}
  Every,      // every T x [where C] has D                   kids = {T, x, C?, D}
  // the number of T x [where C]                             text = "count"; kids = {T, x, C?}
  // the sum|minimum|maximum|average of V for each T x [where C]
  //                                                         text = "sum"|"min"|"max"|"average"; kids = {T, x, C?, V}
  Aggregate,
};

// ExprKind pattern flags (Expr::number).
inline constexpr double kHasWhere = 1;

struct Expr {
  ExprKind kind = ExprKind::Number;
  Loc loc;
  std::string text;
  double number = 0;
  std::vector<Expr> kids;
  friend bool operator==(const Expr&, const Expr&) = default;
};

enum class ActionKind : std::uint8_t {
  Set,        // set TARGET = VALUE
  Add,        // add VALUE to TARGET
  Recommend,  // recommend [CATEGORY] ID [: TEXT]
  Note,       // note TEXT
  Warn,       // warn TEXT
  Cite,       // cite VALUE   (a figure id, or a list of them)
  Create,     // create T [with f = v, ...]       id = T; fields
  Change,     // change x with f = v, ...          id = x; fields
  Remove,     // remove x                          id = x
};

// `f = v` in `create … with` and `change … with`.
struct FieldInit {
  Ident field;
  Expr value;
  Loc loc;  // from the field name to the end of the value
  friend bool operator==(const FieldInit&, const FieldInit&) = default;
};

// An action. Note and warn, the most common, use only `text`: the parts
// other kinds use are behind one pointer (Parts), absent until written, so
// that a note costs 64 bytes, not 344. Read them through the accessors (an
// absent part reads empty); write them through parts().
struct Action {
  ActionKind kind = ActionKind::Set;
  bool has_text = false;
  Loc loc;
  Text text;        // Recommend (may be empty), Note, Warn
  struct Parts {
    Expr target;      // Set, Add: a Name or Index expression
    Expr value;       // Set, Add, Cite
    Ident id;         // Recommend; Create (template); Change, Remove (bound name)
    Ident category;   // Recommend (empty name when not written)
    std::vector<FieldInit> fields;  // Create, Change: in the order written
  };
  const Expr& target() const { return parts_ ? parts_->target : empty_parts().target; }
  const Expr& value() const { return parts_ ? parts_->value : empty_parts().value; }
  const Ident& id() const { return parts_ ? parts_->id : empty_parts().id; }
  const Ident& category() const { return parts_ ? parts_->category : empty_parts().category; }
  const std::vector<FieldInit>& fields() const { return parts_ ? parts_->fields : empty_parts().fields; }
  Parts& parts() { return parts_.make(); }
  // Equal when every part reads equal, whether or not it was ever written.
  friend bool operator==(const Action& a, const Action& b) {
    return a.kind == b.kind && a.has_text == b.has_text && a.loc == b.loc && a.text == b.text &&
           a.target() == b.target() && a.value() == b.value() && a.id() == b.id() &&
           a.category() == b.category() && a.fields() == b.fields();
  }

 private:
  static const Parts& empty_parts() {
    static const Parts kEmpty;
    return kEmpty;
  }
  Box<Parts> parts_;
};

struct Rule {
  Loc loc;                 // whole rule, `rule` .. `end` (or `if` .. last action)
  bool short_form = false; // written as `if COND then ACTION...`
  Ident name;              // empty in short form
  Text description;        // optional in block form
  bool has_description = false;
  // Header clauses, in the order written. kind is "source", "priority",
  // "category", "logical" or "stages"; value holds the string, the integer
  // spelling, the identifier, the stages joined by ", " (each also in
  // `items`), or "" for `logical`, which has no value (value_loc = loc).
  struct Clause {
    std::string kind;
    Loc loc;        // whole clause
    Loc value_loc;  // just the value
    std::string value;
    std::vector<Ident> items;  // stages: the stages named, in order
    friend bool operator==(const Clause&, const Clause&) = default;
  };
  std::vector<Clause> clauses;
  Expr condition;
  std::vector<Action> actions;
  friend bool operator==(const Rule&, const Rule&) = default;
};

enum class DefKind : std::uint8_t {
  Group,     // group NAME = {a, b}
  Constant,  // const NAME = EXPR
  Alias,     // alias NAME = EXPR (a name or member path)
};

struct Definition {
  DefKind kind = DefKind::Group;
  Loc loc;
  Ident name;
  Expr value;
  friend bool operator==(const Definition&, const Definition&) = default;
};

// template NAME [TEXT]
//   FIELD: TYPE [optional]     -- TYPE: a type name, optionally with a range
//   ...                           (`integer 1..200`), or a set of values
// end                             (`{considers, case_by_case}`)
struct FieldDecl {
  Loc loc;           // from the field name to the end of its type (`optional` included)
  Ident name;
  Ident type;        // empty name when the type is a set of values
  Expr range;        // ExprKind::Range when has_range
  bool has_range = false;
  Expr values;       // ExprKind::Set when the type is a set of values
  bool optional = false;
  friend bool operator==(const FieldDecl&, const FieldDecl&) = default;
};

struct Template {
  Loc loc;  // `template` .. `end`
  Ident name;
  Text description;
  bool has_description = false;
  std::vector<FieldDecl> fields;
  friend bool operator==(const Template&, const Template&) = default;
};

// strategy NAME   -- the rule set's conflict-resolution strategy
struct StrategyDecl {
  Loc loc;
  Ident name;
  friend bool operator==(const StrategyDecl&, const StrategyDecl&) = default;
};

struct Include {
  Loc loc;
  Text path;  // one part
  friend bool operator==(const Include&, const Include&) = default;
};

struct Comment {
  Loc loc;           // from `#` to the end of the line (newline excluded)
  std::string text;  // including the leading `#`
  friend bool operator==(const Comment&, const Comment&) = default;
};

enum class ItemKind : std::uint8_t { Include, Definition, Rule, Template, Strategy };

// Top-level items in source order. `index` selects the element of the
// matching vector in File.
struct Item {
  ItemKind kind;
  std::uint32_t index;
  friend bool operator==(const Item&, const Item&) = default;
};

struct File {
  std::uint32_t file = 0;  // SourceManager id
  std::vector<Item> items;
  std::vector<Include> includes;
  std::vector<Definition> definitions;
  // A deque, not a vector: no doubling as it grows, and the checker frees
  // each rule from the front once it is compiled (check_rules(LoadedRules&&)).
  std::deque<Rule> rules;
  std::vector<Template> templates;
  std::vector<StrategyDecl> strategies;
  std::vector<Comment> comments;  // every comment, in source order
  friend bool operator==(const File&, const File&) = default;
};

}  // namespace advise::ast
