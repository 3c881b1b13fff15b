#include "dsl/diagnostics.hpp"

#include <algorithm>
#include <vector>
#include <nlohmann/json.hpp>

#include "kb/json_writer.hpp"
#include "kb/sanitize.hpp"

namespace advise {

const std::vector<DiagKindInfo>& all_kinds() {
  static const std::vector<DiagKindInfo> kinds = {
#define X(id, name, sev, help) {DiagKind::id, name, Severity::sev, help},
#include "dsl/diagnostic_kinds.def"
#undef X
  };
  return kinds;
}

const DiagKindInfo& kind_info(DiagKind k) { return all_kinds().at(static_cast<std::size_t>(k)); }

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

Diagnostic& Diagnostics::report(DiagKind kind, ast::Loc loc, std::string message) {
  Diagnostic& d = diags_.emplace_back();
  d.kind = kind;
  d.severity = kind_info(kind).severity;
  d.loc = loc;
  d.message = std::move(message);
  return d;
}

Diagnostic& Diagnostics::report_file(DiagKind kind, std::string file, std::string message) {
  Diagnostic& d = diags_.emplace_back();
  d.kind = kind;
  d.severity = kind_info(kind).severity;
  d.has_loc = false;
  d.file_name() = std::move(file);
  d.message = std::move(message);
  return d;
}

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(std::count_if(
      diags_.begin(), diags_.end(), [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}

std::size_t Diagnostics::warning_count() const {
  return static_cast<std::size_t>(std::count_if(
      diags_.begin(), diags_.end(), [](const Diagnostic& d) { return d.severity == Severity::Warning; }));
}

void Diagnostics::sort() {
  auto before = [](const Diagnostic& a, const Diagnostic& b) {
    if (a.has_loc != b.has_loc) return !a.has_loc;
    if (!a.has_loc) return a.file_name() < b.file_name();
    if (a.loc.file != b.loc.file) return a.loc.file < b.loc.file;
    return a.loc.begin < b.loc.begin;
  };
  // Usually already in order (the checker goes through the files in order):
  // then the sort and its buffer of half the diagnostics are skipped.
  if (!std::is_sorted(diags_.begin(), diags_.end(), before)) std::stable_sort(diags_.begin(), diags_.end(), before);
  // The same problem found twice (a group checked at each use) is reported once.
  auto same = [](const Diagnostic& a, const Diagnostic& b) {
    return a.kind == b.kind && a.has_loc == b.has_loc && a.loc == b.loc && a.file_name() == b.file_name() &&
           a.message == b.message;
  };
  diags_.erase(std::unique(diags_.begin(), diags_.end(), same), diags_.end());
}

void Diagnostics::promote_warnings() {
  for (Diagnostic& d : diags_)
    if (d.severity == Severity::Warning) d.severity = Severity::Error;
}

void Diagnostics::append(const Diagnostics& other) {
  diags_.insert(diags_.end(), other.diags_.begin(), other.diags_.end());
}

void Diagnostics::append(Diagnostics&& other) {
  while (!other.diags_.empty()) {
    diags_.push_back(std::move(other.diags_.front()));
    other.diags_.pop_front();
  }
}

std::string short_rule_name(const SourceManager& sm, const ast::Loc& rule) {
  const std::string& path = sm.name(rule.file);
  std::size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::size_t dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  return base + "_line_" + std::to_string(sm.line_col(rule.file, rule.begin).line);
}

std::string missing_source_message(std::string_view rule) {
  return "rule `" + std::string(rule) + "` does not cite the guide section it comes from";
}

std::string message_text(const SourceManager& sm, const Diagnostic& d) {
  switch (d.made) {
    case MadeMessage::None: break;
    case MadeMessage::NamedRule: {
      const std::string& t = sm.text(d.loc.file);
      if (d.loc.end > d.loc.begin && d.loc.end <= t.size())
        return missing_source_message(std::string_view(t).substr(d.loc.begin, d.loc.end - d.loc.begin));
      break;
    }
    case MadeMessage::ShortFormRule: return missing_source_message(short_rule_name(sm, d.loc));
  }
  return d.message;
}

namespace {

std::string location_prefix(const SourceManager& sm, const ast::Loc& loc) {
  LineCol lc = sm.line_col(loc.file, loc.begin);
  return terminal_safe(sm.name(loc.file)) + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.col);
}

// The source line, then a caret under the first byte of the span and tildes
// under the rest of it (clipped to the line). The line goes through the one
// sanitizer (kb/sanitize.hpp): a control character or a byte that is not
// UTF-8 is shown as an escape (`\x1b`), and the underline spans the escape.
// Tabs are kept so that the underline lines up in a terminal; a multi-byte
// UTF-8 character takes one column.
std::string snippet(const SourceManager& sm, const ast::Loc& loc) {
  std::string_view line = sm.line_text(loc.file, loc.begin);
  LineCol lc = sm.line_col(loc.file, loc.begin);
  std::string out = "  ";
  // Show at most 200 bytes of a very long line, around the caret.
  std::size_t start = 0;
  if (line.size() > 200 && lc.col > 100) start = lc.col - 100;
  std::string_view shown = line.substr(start, 200);
  // For each byte of `shown`: the columns its character takes in the output
  // (0 for the bytes after the first of a character), and whether it is a tab.
  std::vector<std::size_t> columns(shown.size() + 1, 0);
  for (std::size_t i = 0; i < shown.size();) {
    std::size_t before = out.size();
    std::size_t n = append_terminal_safe(shown, i, out, Layout::Lines);
    std::size_t width = 0;
    for (std::size_t k = before; k < out.size(); ++k)
      if ((static_cast<unsigned char>(out[k]) & 0xC0) != 0x80) ++width;
    columns[i] = width;
    i += n;
  }
  out += "\n  ";
  std::size_t caret = std::min<std::size_t>(lc.col - 1 - start, shown.size());
  for (std::size_t i = 0; i < caret; ++i) out.append(columns[i], shown[i] == '\t' ? '\t' : ' ');
  out += '^';
  std::size_t len = loc.end > loc.begin ? loc.end - loc.begin : 1;
  std::size_t last = std::min(caret + len, shown.size());
  std::size_t tildes = 0;
  for (std::size_t i = caret; i < last; ++i) tildes += columns[i];
  if (tildes > 1) out.append(tildes - 1, '~');
  out += '\n';
  return out;
}

}  // namespace

std::string render_text(const SourceManager& sm, const Diagnostic& d) {
  std::string out;
  if (d.has_loc) {
    out += location_prefix(sm, d.loc);
  } else {
    out += terminal_safe(d.file_name());
  }
  out += ": ";
  out += severity_name(d.severity);
  out += ": ";
  out += terminal_safe(message_text(sm, d));
  out += " [";
  out += kind_info(d.kind).name;
  out += "]\n";
  if (d.has_loc && sm.quotable(d.loc.file)) out += snippet(sm, d.loc);
  for (const DiagNote& n : d.notes()) {
    if (n.has_loc) {
      out += location_prefix(sm, n.loc) + ": note: " + terminal_safe(n.message) + "\n";
      if (sm.quotable(n.loc.file)) out += snippet(sm, n.loc);
    } else {
      out += "  note: " + terminal_safe(n.message) + "\n";
    }
  }
  return out;
}

std::string render_text(const SourceManager& sm, const Diagnostics& ds) {
  std::string out;
  for (const Diagnostic& d : ds.all()) out += render_text(sm, d);
  return out;
}

namespace {

void write_place(JsonWriter& w, const SourceManager& sm, const ast::Loc& loc) {
  LineCol b = sm.line_col(loc.file, loc.begin);
  LineCol e = sm.line_col(loc.file, loc.end);
  w.key("file");
  w.string(sm.name(loc.file));
  w.key("line");
  w.integer(static_cast<unsigned long long>(b.line));
  w.key("column");
  w.integer(static_cast<unsigned long long>(b.col));
  w.key("end_line");
  w.integer(static_cast<unsigned long long>(e.line));
  w.key("end_column");
  w.integer(static_cast<unsigned long long>(e.col));
}

}  // namespace

void write_json(JsonWriter& w, const SourceManager& sm, const Diagnostic& d) {
  w.begin_object();
  if (d.has_loc) {
    write_place(w, sm, d.loc);
  } else {
    w.key("file");
    w.string(d.file_name());
  }
  w.key("severity");
  w.string(severity_name(d.severity));
  w.key("kind");
  w.string(kind_info(d.kind).name);
  w.key("message");
  if (d.made == MadeMessage::None) {
    w.string(d.message);
  } else {
    w.string(message_text(sm, d));
  }
  w.key("help");
  w.string(kind_info(d.kind).help);
  w.key("notes");
  w.begin_array();
  for (const DiagNote& n : d.notes()) {
    w.begin_object();
    if (n.has_loc) write_place(w, sm, n.loc);
    w.key("message");
    w.string(n.message);
    w.end_object();
  }
  w.end_array();
  if (!d.witness().empty()) {
    w.key("witness");
    w.value(nlohmann::ordered_json::parse(d.witness()));
  }
  w.end_object();
}

std::string render_json(const SourceManager& sm, const Diagnostics& ds) {
  std::string out;
  JsonWriter w(out, JsonWriter::Style::Indented);
  w.begin_array();
  for (const Diagnostic& d : ds.all()) write_json(w, sm, d);
  w.end_array();
  out += '\n';
  return out;
}

}  // namespace advise
