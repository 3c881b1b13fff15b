// The PEGTL parser: parse_source and parse_expression run dsl/grammar.hpp with
// the actions that build the AST (dsl/parser_actions_*.hpp), the error messages
// of must<> points (dsl/parser_errors.hpp), and recovery at the next top-level
// item. Reading files, includes and encodings is dsl/loader.cpp.
#include "dsl/parser.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "dsl/grammar.hpp"
#include "dsl/parser_actions_items.hpp"
#include "dsl/parser_errors.hpp"
#include "dsl/parser_state.hpp"

namespace advise {
namespace {

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

std::size_t most_rules(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != 'r' && c != 'i') continue;
    if (i > 0 && ident_char(text[i - 1])) continue;
    std::size_t len = text.compare(i, 4, "rule") == 0 ? 4 : text.compare(i, 2, "if") == 0 ? 2 : 0;
    if (len && (i + len == text.size() || !ident_char(text[i + len]))) ++n;
  }
  return n;
}

ast::File parse_source(const SourceManager& sm, std::uint32_t file_id, Diagnostics& diags, RuleSink* sink) {
  ast::File out;
  out.file = file_id;
  const std::string& text = sm.text(file_id);
  State s;
  s.base = text.data();
  s.file = file_id;
  s.out = &out;
  s.sink = sink;

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
      if (!f.notes.empty()) d.notes() = f.notes;
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
  return parse_expression(text, file_id, base, out, error, error_offset, ExprSurroundings{});
}

bool parse_expression(std::string_view text, std::uint32_t file_id, std::uint32_t base, ast::Expr& out,
                      std::string& error, std::uint32_t& error_offset, const ExprSurroundings& around) {
  ast::File scratch;
  State s;
  s.base = text.data() - base;
  s.file = file_id;
  s.out = &scratch;
  s.end_name = around.end;
  s.after_expected = around.after;
  s.after_advice = around.after_advice;
  p::memory_input<p::tracking_mode::lazy> in(text.data(), text.data() + text.size(), "expression");
  try {
    using whole = p::seq<g::sp, p::must<g::expr>, g::sp, p::must<expr_end>>;
    p::parse<whole, action, control>(in, s);
  } catch (const SyntaxFailure& f) {
    error = f.message;
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

}  // namespace advise
