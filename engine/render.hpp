// Renderers of the explanation model (engine/explain.hpp `Report`): every
// format says the same thing, drawn from the one Report.
//
//  - render_text:     the report an applicant reads in a terminal (plain
//                     language; ANSI colour only when asked).
//  - render_json:     a stable, documented schema for other programs
//                     (docs/report.md); 2-space indent, fixed key order.
//  - render_markdown: the same report as a document an advisor can send.
//  - render_dot:      the derivation graph in Graphviz DOT: fact nodes and
//                     rule nodes, edges from the facts a rule read to the rule
//                     and from the rule to the facts it set.
//
// Renderers return strings (the text report may also be written to a
// stream as it is made) and never print; the same Report always renders to
// the same bytes. `rules` is the rule set the report was built from (for the
// knowledge base's enums, named constants and category order).
#pragma once

#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/ruleset.hpp"
#include "engine/explain.hpp"

namespace advise {

// Who a rendering is for (docs/report.md, "Two views"): the applicant reads
// Report::applicant_view (display names, a short why, the summary first,
// advice for their stage, no rule authors' errors); the advisor reads
// everything. Without an applicant_view in the report, the advisor's.
enum class View : std::uint8_t { Applicant, Advisor };

struct TextStyle {
  bool color = false;  // ANSI: bold headings, green for true, red for false
};

std::string render_text(const Report& report, const RuleSet& rules, const TextStyle& style = {},
                        View view = View::Advisor);
// The same bytes, written to `out` as they are made (`advise run` streams
// them to standard output or the file of `-o` in chunks, never holding the
// whole text).
void render_text(std::ostream& out, const Report& report, const RuleSet& rules, const TextStyle& style = {},
                 View view = View::Advisor);
// Pretty: indented by two, ending in a newline (`advise --format json`).
// Compact: one line without blanks outside strings and no newline (`advise batch`).
enum class JsonLayout { Pretty, Compact };
std::string render_json(const Report& report, const RuleSet& rules, JsonLayout layout = JsonLayout::Pretty);
std::string render_markdown(const Report& report, const RuleSet& rules, View view = View::Advisor);
// One self-contained HTML page (no network access: no external script, style
// or font): the applicant's view with each item's why folded under it, or
// with View::Advisor the rules, places and rule authors' errors as well.
std::string render_html(const Report& report, const RuleSet& rules, View view = View::Applicant);
// Draws the derivations of the report, so build it with ReportOptions::explain
// (the CLI does for --format dot); without them the graph holds only the
// recommendations and conflicts.
std::string render_dot(const Report& report, const RuleSet& rules);

// The version of the JSON schema (docs/report.md); raised on any change that
// is not a pure addition.
inline constexpr int kReportSchemaVersion = 1;
// Version 2 is version 1 with every rule object replaced by the rule's name,
// the objects written once in a rule table (`advise batch --rules-once`).
inline constexpr int kReportSchemaVersionRulesByName = 2;

namespace render_detail {
// Helpers shared by the renderers (engine/render_text.cpp).

// Collapses runs of blanks (space, tab, newline, carriage return, vertical
// tab, form feed) to one space. Other controls are left for the sanitizer.
std::string one_line(std::string_view text);
// Text from a profile, a rule file or a file name as the text and Markdown
// reports show it: blanks become spaces, and the rest goes through the one
// sanitizer (kb/sanitize.hpp), so that escapes show as `\x1b`.
std::string terminal_text(std::string_view text);
// "file:line" of a rule or a test, as the text and Markdown reports show it.
std::string place(const std::string& file, int line);
// The parts joined, in one allocation: for texts read in place (a rule's
// name, description and guide section: RuleRef).
std::string concat(std::initializer_list<std::string_view> parts);
// The applicant's view as Markdown, or as plain text for a terminal.
std::string render_applicant(const Report& report, bool markdown);
// Markdown: escapes what would be read as markup; underscores inside words
// (strongly_recommended) are left alone, as CommonMark does not read them,
// and block markers (> # + -) only at the start of a text.
std::string md(std::string_view text);
// A name as a Markdown code span (`` x ``, double backticks when it holds one).
std::string code(std::string_view name);
// Plain text wrapped at `width` columns (code points), breaking at spaces:
// a continued line is indented past its first line's indentation and list
// marker ("- ", "3. "), or by two more spaces; a word longer than the width
// stays whole. Lines that fit are unchanged.
std::string wrap_lines(const std::string& text, std::size_t width = 80);
}  // namespace render_detail

}  // namespace advise
