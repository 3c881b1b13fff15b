// Parser actions, everything above expressions: patterns and aggregates,
// the actions of rules, rules, definitions, includes, templates, the strategy.
//
// Part of the PEGTL parser, included only by dsl/parser.cpp: PEGTL actions and
// controls are templates instantiated by the one call to tao::pegtl::parse there,
// so they live in headers (in an unnamed namespace, as they were in one file).
#pragma once

#include "dsl/parser_actions_expr.hpp"

namespace advise {
namespace {

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
    s.action.parts().target = std::move(e);
  }
};
template <>
struct action<g::target> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    if (s.stack.empty()) return;  // no index
    ast::Expr idx = s.pop();
    ast::Expr e = binary(ast::ExprKind::Index, std::move(s.action.parts().target), std::move(idx));
    e.loc.end = s.last_close_end;
    s.action.parts().target = std::move(e);
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
    s.action.parts().id = {in.string(), loc_of(s, in)};
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
    s.action.parts().fields.push_back(std::move(f));
  }
};
template <>
struct action<g::field_value> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    ast::FieldInit& f = s.action.parts().fields.back();
    f.value = s.pop();
    f.loc.end = f.value.loc.end;
  }
};

struct take_value {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.action.parts().value = s.pop();
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
    case ast::ActionKind::Set: return a.value().loc.end;
    case ast::ActionKind::Add: return a.target().loc.end;
    case ast::ActionKind::Cite: return a.value().loc.end;
    case ast::ActionKind::Note:
    case ast::ActionKind::Warn: return a.text.loc.end;
    case ast::ActionKind::Recommend: return a.has_text ? a.text.loc.end : a.id().loc.end;
    case ast::ActionKind::Create:
    case ast::ActionKind::Change: return a.fields().empty() ? a.id().loc.end : a.fields().back().loc.end;
    case ast::ActionKind::Remove: return a.id().loc.end;
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
        a.parts().category = s.rec_idents[0];
        a.parts().id = s.rec_idents[1];
      } else if (!s.rec_idents.empty()) {
        a.parts().id = s.rec_idents[0];
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
// A word read as a value (`priority 20`, `category exams`, `strategy
// depth`): its text, with the pending text borrowed to carry it and its
// location to the action of what holds it.
struct word_value {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.text.loc = loc_of(s, in);
    s.text.parts = {in.string()};
  }
};
// A header clause of one word value.
template <const char* Name>
struct word_clause {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Text t = s.take_text();
    add_clause(s, Name, s.offset(in.begin()), t.loc, t.parts.at(0));
  }
};
inline constexpr char kPriorityClause[] = "priority";
inline constexpr char kCategoryClause[] = "category";
template <>
struct action<g::priority_value> : word_value {};
template <>
struct action<g::priority_clause> : word_clause<kPriorityClause> {};
template <>
struct action<g::category_value> : word_value {};
template <>
struct action<g::category_clause> : word_clause<kCategoryClause> {};
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
    finish_rule(s);
  }
};
template <>
struct action<g::short_rule_item> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.rule.loc.end = s.rule.actions.back().loc.end;
    finish_rule(s);
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
struct action<g::strategy_name> : word_value {};
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

}  // namespace
}  // namespace advise
