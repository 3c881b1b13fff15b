// The PEGTL grammar of the rule language. This header holds only the grammar
// (no actions), so that `pegtl::analyze<grammar::file>()` can run in a test
// and the actions in parser_actions_*.hpp stay separate. docs/grammar.md is the
// normative reference; each rule below opens with its production.
//
// Conventions: a rule named `t_*` is a token followed by spacing; rules that
// carry actions match their text exactly (no trailing spacing), so the
// location an action sees is the location of the construct.
#pragma once

#include <tao/pegtl.hpp>

namespace advise::grammar {

namespace p = tao::pegtl;

// comment <- '#' [^\n]*
struct comment : p::seq<p::one<'#'>, p::until<p::at<p::sor<p::one<'\n'>, p::eof>>>> {};
// _ <- ([ \t\r\n] / comment)*
struct sp : p::star<p::sor<p::one<' ', '\t', '\r', '\n'>, comment>> {};

template <typename R>
struct tok : p::seq<R, sp> {};

// A keyword is atomic: when the word goes on (`thence`, `when4`), nothing is
// consumed, so that an error under must<> is located at the start of the
// word, not after its first letters (PEGTL's keyword<> is a seq<>, which does
// not rewind under must<>).
#define ADVISE_KW(name, text) \
  struct kw_##name : p::seq<p::at<TAO_PEGTL_KEYWORD(text)>, TAO_PEGTL_KEYWORD(text)> {}
ADVISE_KW(include, "include");
ADVISE_KW(group, "group");
ADVISE_KW(const, "const");
ADVISE_KW(alias, "alias");
ADVISE_KW(rule, "rule");
ADVISE_KW(if, "if");
ADVISE_KW(when, "when");
ADVISE_KW(then, "then");
ADVISE_KW(end, "end");
ADVISE_KW(source, "source");
ADVISE_KW(priority, "priority");
ADVISE_KW(category, "category");
ADVISE_KW(stages, "stages");
ADVISE_KW(set, "set");
ADVISE_KW(add, "add");
ADVISE_KW(to, "to");
ADVISE_KW(recommend, "recommend");
ADVISE_KW(note, "note");
ADVISE_KW(warn, "warn");
ADVISE_KW(cite, "cite");
ADVISE_KW(and, "and");
ADVISE_KW(or, "or");
ADVISE_KW(not, "not");
ADVISE_KW(is, "is");
ADVISE_KW(in, "in");
ADVISE_KW(contains, "contains");
ADVISE_KW(between, "between");
ADVISE_KW(missing, "missing");
ADVISE_KW(present, "present");
ADVISE_KW(true, "true");
ADVISE_KW(false, "false");
ADVISE_KW(for, "for");
ADVISE_KW(each, "each");
ADVISE_KW(there, "there");
ADVISE_KW(where, "where");
ADVISE_KW(every, "every");
ADVISE_KW(has, "has");
ADVISE_KW(with, "with");
ADVISE_KW(template, "template");
ADVISE_KW(create, "create");
ADVISE_KW(change, "change");
ADVISE_KW(remove, "remove");
// Contextual words: matched like keywords where the grammar expects them,
// identifiers everywhere else (they are not in `keyword`).
ADVISE_KW(strategy, "strategy");
ADVISE_KW(logical, "logical");
ADVISE_KW(optional, "optional");
ADVISE_KW(a, "a");
ADVISE_KW(an, "an");
ADVISE_KW(no, "no");
ADVISE_KW(the, "the");
ADVISE_KW(number, "number");
ADVISE_KW(of, "of");
ADVISE_KW(sum, "sum");
ADVISE_KW(minimum, "minimum");
ADVISE_KW(maximum, "maximum");
ADVISE_KW(average, "average");
#undef ADVISE_KW

struct keyword
    : p::sor<kw_include, kw_group, kw_const, kw_alias, kw_rule, kw_if, kw_when, kw_then, kw_end,
             kw_source, kw_priority, kw_category, kw_stages, kw_set, kw_add, kw_to, kw_recommend, kw_note,
             kw_warn, kw_cite, kw_and, kw_or, kw_not, kw_is, kw_in, kw_contains, kw_between,
             kw_missing, kw_present, kw_true, kw_false, kw_for, kw_each, kw_there, kw_where,
             kw_every, kw_has, kw_with, kw_template, kw_create, kw_change, kw_remove> {};

// ident <- [A-Za-z_][A-Za-z0-9_]* (not a reserved word)
struct ident : p::seq<p::not_at<keyword>, p::identifier> {};

// number <- [0-9]+ ('.' [0-9]+)? ![A-Za-z0-9_]
struct number : p::seq<p::plus<p::digit>, p::opt<p::one<'.'>, p::plus<p::digit>>,
                       p::not_at<p::identifier_other>> {};

// string <- '"' (escape / [^"\\\n])* '"'
struct str_open : p::one<'"'> {};
struct str_close : p::one<'"'> {};
struct str_escape_char : p::one<'"', '\\', 'n', 't'> {};
struct str_escape : p::seq<p::one<'\\'>, p::must<str_escape_char>> {};
struct str_char : p::sor<str_escape, p::not_one<'"', '\\', '\n'>> {};
struct string_lit : p::seq<str_open, p::star<str_char>, p::must<str_close>> {};

// text <- string (_ string)*   -- adjacent strings join with one space
struct text_part : string_lit {};
struct text : p::seq<text_part, p::star<sp, text_part>> {};

struct expr;

// Expressions, from the loosest binding to the tightest.
struct close_paren : p::one<')'> {};
struct close_bracket : p::one<']'> {};
struct close_brace : p::one<'}'> {};
struct comma : p::seq<sp, p::one<','>, sp> {};

// primary <- number / string / true / false / ident '(' args ')' / ident / list / group / '(' expr ')'
struct expr_number : number {};
struct expr_string : string_lit {};
struct expr_true : kw_true {};
struct expr_false : kw_false {};
struct name_atom : ident {};
struct call_open : p::one<'('> {};
struct call_close : close_paren {};
struct call_args
    : p::seq<call_open, sp, p::opt<expr, p::star<comma, p::must<expr>>>, sp, p::must<call_close>> {};
struct name_or_call : p::seq<name_atom, p::opt<sp, call_args>> {};
struct list_open : p::one<'['> {};
struct list_close : close_bracket {};
struct list_lit
    : p::seq<list_open, sp, p::opt<expr, p::star<comma, p::must<expr>>>, sp, p::must<list_close>> {};
struct set_open : p::one<'{'> {};
struct set_close : close_brace {};
struct set_lit
    : p::seq<set_open, sp, p::opt<expr, p::star<comma, p::must<expr>>>, sp, p::must<set_close>> {};
struct paren_open : p::one<'('> {};
struct paren_close : close_paren {};
struct paren_expr : p::seq<paren_open, sp, p::must<expr>, sp, p::must<paren_close>> {};
struct aggregate;
struct primary : p::sor<expr_number, expr_string, expr_true, expr_false, aggregate, name_or_call,
                        list_lit, set_lit, paren_expr> {};

// postfix <- primary ('.' ident / '[' expr ']')*
struct member_name : ident {};
struct member : p::seq<sp, p::one<'.'>, p::not_at<p::one<'.'>>, sp, p::must<member_name>> {};
struct index_open : p::one<'['> {};
struct index_close : close_bracket {};
struct index : p::seq<sp, index_open, sp, p::must<expr>, sp, p::must<index_close>> {};
struct postfix : p::seq<primary, p::star<p::sor<member, index>>> {};

// unary <- '-' unary / postfix
struct unary;
struct minus_op : p::one<'-'> {};
struct neg : p::seq<minus_op, sp, p::must<unary>> {};
struct unary : p::sor<neg, postfix> {};

// product <- unary (('*' / '/') unary)*
struct mul_op : p::one<'*', '/'> {};
struct mul_tail : p::seq<sp, mul_op, sp, p::must<unary>> {};
struct product : p::seq<unary, p::star<mul_tail>> {};

// sum <- product (('+' / '-') product)*
struct add_op : p::one<'+', '-'> {};
struct add_tail : p::seq<sp, add_op, sp, p::must<product>> {};
struct sum : p::seq<product, p::star<add_tail>> {};

// range <- sum ('..' sum)?
struct range_tail : p::seq<sp, p::string<'.', '.'>, sp, p::must<sum>> {};
struct range : p::seq<sum, p::opt<range_tail>> {};

// test <- range ( cmp range / is [not] (missing / present / range)
//               / [not] in range / [not] contains range / between range and range )?
struct cmp_op : p::sor<p::string<'<', '='>, p::string<'>', '='>, p::string<'!', '='>,
                       p::string<'=', '='>, p::one<'<'>, p::one<'>'>> {};
struct cmp_tail : p::seq<cmp_op, sp, p::must<range>> {};
struct is_not : kw_not {};
struct is_missing : kw_missing {};
struct is_present : kw_present {};
struct is_value : range {};
struct is_tail
    : p::seq<kw_is, sp, p::opt<is_not, sp>, p::must<p::sor<is_missing, is_present, is_value>>> {};
struct in_tail : p::seq<p::opt<kw_not, sp>, kw_in, sp, p::must<range>> {};
struct contains_tail : p::seq<p::opt<kw_not, sp>, kw_contains, sp, p::must<range>> {};
struct between_and : kw_and {};
struct between_tail
    : p::seq<kw_between, sp, p::must<range>, sp, p::must<between_and>, sp, p::must<range>> {};
// `=` alone in a condition, and chained comparisons, get messages of their own.
struct single_eq : p::seq<p::one<'='>, p::not_at<p::one<'='>>> {};
struct compare_with_eq : p::failure {};
struct chained_compare : p::failure {};
struct no_chain : p::sor<p::not_at<sp, cmp_op>, p::must<chained_compare>> {};
struct test_tail : p::sor<cmp_tail, is_tail, in_tail, contains_tail, between_tail,
                          p::seq<single_eq, p::must<compare_with_eq>>> {};
struct test : p::seq<range, p::opt<sp, test_tail>, no_chain> {};

// not <- 'not' not / pattern / test
struct not_expr;
struct and_expr;
struct not_op : kw_not {};
struct not_rec : p::seq<not_op, sp, p::must<not_expr>> {};

// Patterns over facts (docs/grammar.md). Each opens a frame on the stack at
// its head, so that its kids {T, x, C?, D?/V?} are collected at its end.
// binding <- ident ident
struct binding_template : ident {};
struct binding_name : ident {};
struct binding : p::seq<binding_template, sp, p::must<binding_name>> {};
// where <- 'where' and   -- a pattern's, or an aggregate's (for the message
// of a comparison chained onto the aggregate's last test)
struct pattern_where : p::seq<kw_where, sp, p::must<and_expr>> {};
struct aggregate_where : p::seq<kw_where, sp, p::must<and_expr>> {};
struct for_each_head : p::seq<kw_for, sp, p::must<kw_each>> {};
struct for_each : p::seq<for_each_head, sp, p::must<binding>, p::opt<sp, pattern_where>> {};
struct article : p::sor<kw_an, kw_a, kw_no> {};
struct there_is_head : p::seq<kw_there, sp, p::must<kw_is>, sp, p::must<article>> {};
struct there_is : p::seq<there_is_head, sp, p::must<binding>, p::opt<sp, pattern_where>> {};
struct every_head : kw_every {};
struct every_has : kw_has {};
struct every : p::seq<every_head, sp, p::must<binding>, p::opt<sp, pattern_where>, sp, p::must<every_has>, sp,
                      p::must<not_expr>> {};
struct pattern : p::sor<for_each, there_is, every> {};

struct not_expr : p::sor<not_rec, pattern, test> {};

// and <- not ('and' not)*
struct and_tail : p::seq<sp, kw_and, sp, p::must<not_expr>> {};
struct and_expr : p::seq<not_expr, p::star<and_tail>> {};

// aggregate <- the number of binding where?
//            / the (sum / minimum / maximum / average) of sum for each binding where?
struct count_head : p::seq<kw_the, sp, kw_number, sp, kw_of> {};
// What follows the head is one nesting level deeper (the parser's depth guard).
struct count_rest : p::seq<sp, p::must<binding>, p::opt<sp, aggregate_where>> {};
struct count_aggregate : p::seq<count_head, count_rest> {};
struct value_function : p::sor<kw_sum, kw_minimum, kw_maximum, kw_average> {};
struct value_head : p::seq<kw_the, sp, value_function, sp, kw_of> {};
struct aggregate_value : sum {};
struct aggregate_for : kw_for {};
struct value_rest : p::seq<sp, p::must<aggregate_value>, sp, p::must<aggregate_for>, sp, p::must<kw_each>, sp,
                           p::must<binding>, p::opt<sp, aggregate_where>> {};
struct value_aggregate : p::seq<value_head, value_rest> {};
struct aggregate : p::sor<count_aggregate, value_aggregate> {};

// or <- and ('or' and)*
struct or_tail : p::seq<sp, kw_or, sp, p::must<and_expr>> {};
struct or_expr : p::seq<and_expr, p::star<or_tail>> {};

struct expr : or_expr {};
// An expression followed by spacing, as items and actions use it.
template <typename Tag>
struct expr_as : p::seq<expr, sp> {};

// Actions.
// target <- ident ('[' expr ']')?
struct target_name : ident {};
struct target_index_open : p::one<'['> {};
struct target_index_close : close_bracket {};
struct target : p::seq<target_name, sp,
                       p::opt<target_index_open, sp, p::must<expr>, sp, p::must<target_index_close>, sp>> {};
struct t_eq : tok<p::one<'='>> {};
struct set_value : p::seq<expr, sp> {};
// set <- 'set' target '=' expr
struct set_action : p::seq<kw_set, sp, p::must<target>, p::must<t_eq>, p::must<set_value>> {};
// add <- 'add' expr 'to' target
struct add_value : p::seq<expr, sp> {};
struct add_action : p::seq<kw_add, sp, p::must<add_value>, p::must<kw_to>, sp, p::must<target>> {};
// recommend <- 'recommend' ident (!(W(strategy) ident) ident)? (':' text)?
// (`recommend dual` and then `strategy mea` on the next line: the item, not an id)
struct strategy_ahead : p::seq<kw_strategy, sp, ident> {};
struct rec_ident : ident {};
struct rec_text : text {};
struct recommend_action
    : p::seq<kw_recommend, sp, p::must<rec_ident>, sp, p::opt<p::not_at<strategy_ahead>, rec_ident, sp>,
             p::opt<p::one<':'>, sp, p::must<rec_text>, sp>> {};
// note <- 'note' text ; warn <- 'warn' text ; cite <- 'cite' expr
struct note_text : text {};
struct note_action : p::seq<kw_note, sp, p::must<note_text>, sp> {};
struct warn_text : text {};
struct warn_action : p::seq<kw_warn, sp, p::must<warn_text>, sp> {};
struct cite_value : p::seq<expr, sp> {};
struct cite_action : p::seq<kw_cite, sp, p::must<cite_value>> {};
// create <- 'create' ident ('with' field_init (',' field_init)*)?
// change <- 'change' ident 'with' field_init (',' field_init)*
// remove <- 'remove' ident
// field_init <- ident '=' expr
struct field_name : ident {};
struct field_eq : p::one<'='> {};
struct field_value : p::seq<expr> {};
struct field_init : p::seq<field_name, sp, p::must<field_eq>, sp, p::must<field_value>> {};
struct field_inits : p::seq<p::must<field_init>, p::star<comma, p::must<field_init>>, sp> {};
struct create_name : ident {};
// `create T f = v`: the fields without `with`.
struct missing_with : p::failure {};
struct create_fields : p::sor<p::seq<kw_with, sp, field_inits>,
                              p::seq<p::at<ident, sp, field_eq>, p::must<missing_with>>> {};
struct create_action : p::seq<kw_create, sp, p::must<create_name>, sp, p::opt<create_fields>> {};
struct fact_name : ident {};
struct change_with : kw_with {};
struct change_action : p::seq<kw_change, sp, p::must<fact_name>, sp, p::must<change_with>, sp, field_inits> {};
struct remove_action : p::seq<kw_remove, sp, p::must<fact_name>, sp> {};
struct action : p::sor<set_action, add_action, recommend_action, note_action, warn_action, cite_action,
                       create_action, change_action, remove_action> {};

// Rules.
// clause <- 'source' text / 'priority' integer / 'category' ident / 'stages' ident (',' ident)*
struct clause_text : text {};
struct source_clause : p::seq<kw_source, sp, p::must<clause_text>, sp> {};
// integer <- '-'? [0-9]+ ![A-Za-z0-9_]   (atomic, like a keyword: `5when` is located at `5`)
struct integer : p::seq<p::opt<p::one<'-'>>, p::plus<p::digit>, p::not_at<p::identifier_other>> {};
struct priority_value : p::seq<p::at<integer>, integer> {};
struct priority_clause : p::seq<kw_priority, sp, p::must<priority_value>, sp> {};
struct category_value : ident {};
struct category_clause : p::seq<kw_category, sp, p::must<category_value>, sp> {};
struct logical_clause : p::seq<kw_logical, sp> {};
struct stage_value : ident {};
struct stages_clause
    : p::seq<kw_stages, sp, p::must<stage_value>, sp, p::star<p::one<','>, sp, p::must<stage_value>, sp>> {};
struct clause : p::sor<source_clause, priority_clause, category_clause, logical_clause, stages_clause> {};

// rule <- 'rule' ident text? clause* 'when' expr 'then' action* 'end'
struct rule_name : ident {};
struct rule_description : text {};
struct condition : p::seq<expr, sp> {};
struct block_end : kw_end {};
struct rule_item
    : p::seq<kw_rule, sp, p::must<rule_name>, sp, p::opt<rule_description, sp>, p::star<clause>,
             p::must<kw_when>, sp, p::must<condition>, p::must<kw_then>, sp, p::star<action>,
             p::must<block_end>> {};

// short_rule <- 'if' expr 'then' action+
struct short_actions : p::seq<p::must<action>, p::star<action>> {};
struct short_rule_item
    : p::seq<kw_if, sp, p::must<condition>, p::must<kw_then>, sp, short_actions> {};

// definition <- ('group' / 'const' / 'alias') ident '=' expr
struct def_keyword : p::sor<kw_group, kw_const, kw_alias> {};
struct def_name : ident {};
struct def_value : p::seq<expr, sp> {};
struct definition_item : p::seq<def_keyword, sp, p::must<def_name>, sp, p::must<t_eq>, p::must<def_value>> {};

// include <- 'include' string
// include <- KW(include) string   -- one file per include
struct include_path : p::seq<text_part> {};
struct include_item : p::seq<kw_include, sp, p::must<include_path>> {};

// template <- 'template' ident text? field_decl* 'end'
// field_decl <- ident ':' type (W(optional) !(_ ':'))?
// type <- '{' (ident (',' ident)*)? '}' / ident (bound '..' bound)?
// bound <- '-'? number / ident
struct template_name : ident {};
struct template_description : text {};
struct field_decl_name : ident {};
struct field_colon : p::one<':'> {};
struct value_name : ident {};
struct values_open : p::one<'{'> {};
struct values_close : close_brace {};
struct value_set : p::seq<values_open, sp, p::opt<value_name, p::star<comma, p::must<value_name>>>, sp,
                          p::must<values_close>> {};
struct type_name : ident {};
// A bound is one token (a `-` before a number is a Neg node, as in values),
// so that whether a range follows the type is decided by a lookahead of two
// tokens that commits to nothing: a field on the next line is no bound.
struct bound_neg : p::seq<minus_op, sp, expr_number> {};
struct bound : p::sor<bound_neg, expr_number, name_atom> {};
struct type_range_hi : bound {};
struct type_range : p::seq<p::at<bound, sp, p::string<'.', '.'>>, bound, sp, p::string<'.', '.'>, sp,
                           p::must<type_range_hi>> {};
struct type_named : p::seq<type_name, p::opt<sp, type_range>> {};
struct field_type : p::sor<value_set, type_named> {};
struct field_optional : p::seq<kw_optional, p::not_at<sp, p::one<':'>>> {};
struct field_decl : p::seq<field_decl_name, sp, p::must<field_colon>, sp, p::must<field_type>,
                           p::opt<sp, field_optional>, sp> {};
struct template_end : kw_end {};
struct template_item : p::seq<kw_template, sp, p::must<template_name>, sp, p::opt<template_description, sp>,
                              p::star<field_decl>, p::must<template_end>> {};

// strategy <- W(strategy) ident
struct strategy_name : ident {};
struct strategy_item : p::seq<kw_strategy, sp, p::must<strategy_name>> {};

// item <- include / definition / rule / short_rule / template / strategy
struct item : p::sor<include_item, definition_item, rule_item, short_rule_item, template_item, strategy_item> {};
// One top-level item with the spacing after it; the parser loops over these
// so that it can recover after an error.
struct one_item : p::seq<p::must<item>, sp> {};
// file <- _ item* EOF   (the whole grammar, for analyze())
struct file : p::seq<sp, p::star<item, sp>, p::eof> {};

}  // namespace advise::grammar
