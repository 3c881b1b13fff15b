#include "dsl/x3/differential.hpp"

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

#include "dsl/parser.hpp"

namespace advise::x3p {
namespace {

std::string loc_text(const ast::Loc& l) {
  return "@" + std::to_string(l.file) + ":" + std::to_string(l.begin) + "-" + std::to_string(l.end);
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\x" + std::to_string(static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string text_dump(const ast::Text& t) {
  std::string out = "text";
  out += loc_text(t.loc);
  for (const std::string& p : t.parts) {
    out += ' ';
    out += quoted(p);
  }
  return out;
}

std::string ident_dump(const ast::Ident& i) { return quoted(i.name) + loc_text(i.loc); }

const char* kind_name(ast::ExprKind k) {
  switch (k) {
    case ast::ExprKind::Number: return "Number";
    case ast::ExprKind::String: return "String";
    case ast::ExprKind::Bool: return "Bool";
    case ast::ExprKind::Name: return "Name";
    case ast::ExprKind::List: return "List";
    case ast::ExprKind::Set: return "Set";
    case ast::ExprKind::Range: return "Range";
    case ast::ExprKind::Not: return "Not";
    case ast::ExprKind::Neg: return "Neg";
    case ast::ExprKind::And: return "And";
    case ast::ExprKind::Or: return "Or";
    case ast::ExprKind::Arith: return "Arith";
    case ast::ExprKind::Compare: return "Compare";
    case ast::ExprKind::In: return "In";
    case ast::ExprKind::Contains: return "Contains";
    case ast::ExprKind::Between: return "Between";
    case ast::ExprKind::Missing: return "Missing";
    case ast::ExprKind::Call: return "Call";
    case ast::ExprKind::Member: return "Member";
    case ast::ExprKind::Index: return "Index";
    case ast::ExprKind::ForEach: return "ForEach";
    case ast::ExprKind::Exists: return "Exists";
    case ast::ExprKind::NotExists: return "NotExists";
    case ast::ExprKind::Every: return "Every";
    case ast::ExprKind::Aggregate: return "Aggregate";
  }
  return "?";
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::uint32_t next_token(const std::string& s, std::uint32_t i) {
  while (i < s.size()) {
    if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
      ++i;
    } else if (s[i] == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else {
      break;
    }
  }
  return i;
}

}  // namespace

const Diagnostic* Both::pegtl_first_error() const {
  const Diagnostic* first = nullptr;
  for (const Diagnostic& d : diags.all())
    if (d.severity == Severity::Error && (!first || d.loc.begin < first->loc.begin)) first = &d;
  return first;
}

Both parse_both(const std::string& text) {
  Both b;
  b.text = text;
  SourceManager sm;
  sm.add("unused.rules", "");
  std::uint32_t id = sm.add("t.rules", text);
  b.pegtl = parse_source(sm, id, b.diags);
  b.x3 = parse(sm, id);
  return b;
}

// End of input, as the PEGTL parser shows it: just after the last line that
// holds more than blanks or a comment (trailing blanks excluded, a trailing
// comment on that line included), where the missing part belongs.
std::uint32_t pegtl_end_of_input(const std::string& s) {
  std::size_t e = s.size();
  while (e > 0) {
    std::size_t line = e;
    while (line > 0 && s[line - 1] != '\n') --line;
    std::size_t q = line;
    while (q < e && (s[q] == ' ' || s[q] == '\t' || s[q] == '\r')) ++q;
    if (q < e && s[q] != '#') {
      std::size_t last = e;
      while (last > q && (s[last - 1] == ' ' || s[last - 1] == '\t' || s[last - 1] == '\r' || s[last - 1] == '\n'))
        --last;
      return static_cast<std::uint32_t>(last);
    }
    e = line > 0 ? line - 1 : 0;
  }
  return static_cast<std::uint32_t>(s.size());
}

// The allowed differences in error positions (docs/parsers.md):
//  1. After a complete operand, `not` can only begin `not in` / `not
//     contains`. The PEGTL parser reports an error at that `not`; X3 reports
//     the furthest failure, the token after `not`, where it tried `in` and
//     `contains`.
//  2. An error at the end of the input: X3 reports the end of the input, the
//     PEGTL parser the end of the last line with content (above).
bool allowed_position_difference(const Both& b, std::uint32_t pegtl_at) {
  const std::string& s = b.text;
  if (b.x3.error != ErrorKind::Syntax) return false;
  if (b.x3.error_offset == s.size() && pegtl_at == pegtl_end_of_input(s)) return true;
  if (s.compare(pegtl_at, 3, "not") != 0) return false;
  if (pegtl_at + 3 < s.size() && is_word_char(s[pegtl_at + 3])) return false;
  return b.x3.error_offset == next_token(s, pegtl_at + 3) &&
         b.x3.expected == std::vector<std::string>{"contains", "in"};
}

// The differential property. Returns "" when it holds, else why not.
std::string disagreement(const Both& b) {
  if (b.pegtl_ok() != b.x3.ok) return b.x3.ok ? "only X3 accepts" : "only PEGTL accepts";
  if (b.x3.ok) return b.pegtl == b.x3.file ? "" : "the ASTs differ";
  const Diagnostic* d = b.pegtl_first_error();
  bool pegtl_deep = d->kind == DiagKind::NestingTooDeep;
  bool x3_deep = b.x3.error == ErrorKind::TooDeep;
  if (pegtl_deep != x3_deep) return "one reports nesting-too-deep, the other a syntax error";
  if (d->loc.begin == b.x3.error_offset) return "";
  if (allowed_position_difference(b, d->loc.begin)) return "";
  return "the first errors are at different offsets";
}

std::string describe(const Both& b) {
  std::ostringstream os;
  os << "input (" << b.text.size() << " bytes):\n" << b.text << "\n----\n";
  if (const Diagnostic* d = b.pegtl_first_error())
    os << "PEGTL: error at " << d->loc.begin << " [" << kind_info(d->kind).name << "] " << d->message << "\n";
  else
    os << "PEGTL: accepted\n";
  if (b.x3.ok)
    os << "X3: accepted\n";
  else
    os << "X3: error at " << b.x3.error_offset << " (" << (b.x3.error == ErrorKind::TooDeep ? "too deep" : "syntax")
       << ") " << b.x3.message << "\n";
  if (b.pegtl_ok() && b.x3.ok)
    os << first_difference(dump(b.pegtl), dump(b.x3.file));
  return os.str();
}

// ---- dumps

std::string dump(const ast::Expr& e, int indent) {
  std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  std::ostringstream os;
  os.precision(17);
  os << pad << kind_name(e.kind) << loc_text(e.loc);
  if (!e.text.empty() || e.kind == ast::ExprKind::String) os << " " << quoted(e.text);
  if (e.number != 0) os << " #" << e.number;
  os << "\n";
  std::string out = os.str();
  for (const ast::Expr& k : e.kids) out += dump(k, indent + 1);
  return out;
}

std::string dump(const ast::File& f) {
  std::string out = "file " + std::to_string(f.file) + "\n";
  for (const ast::Item& it : f.items) {
    if (it.kind == ast::ItemKind::Include) {
      const ast::Include& inc = f.includes.at(it.index);
      out += "include" + loc_text(inc.loc) + " " + text_dump(inc.path) + "\n";
    } else if (it.kind == ast::ItemKind::Definition) {
      const ast::Definition& d = f.definitions.at(it.index);
      out += "definition" + loc_text(d.loc) + " kind=" + std::to_string(static_cast<int>(d.kind)) + " " +
             ident_dump(d.name) + "\n" + dump(d.value, 1);
    } else if (it.kind == ast::ItemKind::Template) {
      const ast::Template& t = f.templates.at(it.index);
      out += "template" + loc_text(t.loc) + " " + ident_dump(t.name) + "\n";
      if (t.has_description || !t.description.parts.empty())
        out += "  description(" + std::to_string(t.has_description) + ") " + text_dump(t.description) + "\n";
      for (const ast::FieldDecl& fd : t.fields) {
        out += "  field" + loc_text(fd.loc) + " " + ident_dump(fd.name) + " type " + ident_dump(fd.type) +
               " optional=" + std::to_string(fd.optional) + " has_range=" + std::to_string(fd.has_range) + "\n";
        if (fd.has_range || fd.range.kind != ast::ExprKind::Number || !fd.range.kids.empty())
          out += "    range\n" + dump(fd.range, 3);
        if (fd.values.kind != ast::ExprKind::Number || !fd.values.kids.empty())
          out += "    values\n" + dump(fd.values, 3);
      }
    } else if (it.kind == ast::ItemKind::Strategy) {
      const ast::StrategyDecl& sd = f.strategies.at(it.index);
      out += "strategy" + loc_text(sd.loc) + " " + ident_dump(sd.name) + "\n";
    } else {
      const ast::Rule& r = f.rules.at(it.index);
      out += std::string(r.short_form ? "short-rule" : "rule") + loc_text(r.loc) + " " + ident_dump(r.name) + "\n";
      if (r.has_description || !r.description.parts.empty())
        out += "  description(" + std::to_string(r.has_description) + ") " + text_dump(r.description) + "\n";
      for (const ast::Rule::Clause& c : r.clauses) {
        out += "  clause " + c.kind + loc_text(c.loc) + " value" + loc_text(c.value_loc) + " " + quoted(c.value) + "\n";
        for (const ast::Ident& i : c.items) out += "    item " + ident_dump(i) + "\n";
      }
      out += "  when\n" + dump(r.condition, 2);
      for (const ast::Action& a : r.actions) {
        out += "  action " + std::to_string(static_cast<int>(a.kind)) + loc_text(a.loc) + "\n";
        if (a.kind == ast::ActionKind::Set || a.kind == ast::ActionKind::Add) out += "    target\n" + dump(a.target(), 3);
        if (a.kind == ast::ActionKind::Set || a.kind == ast::ActionKind::Add || a.kind == ast::ActionKind::Cite)
          out += "    value\n" + dump(a.value(), 3);
        if (a.kind == ast::ActionKind::Recommend)
          out += "    category " + ident_dump(a.category()) + " id " + ident_dump(a.id()) + "\n";
        if (a.kind == ast::ActionKind::Create || a.kind == ast::ActionKind::Change ||
            a.kind == ast::ActionKind::Remove)
          out += "    id " + ident_dump(a.id()) + "\n";
        for (const ast::FieldInit& fi : a.fields())
          out += "    field" + loc_text(fi.loc) + " " + ident_dump(fi.field) + "\n" + dump(fi.value, 3);
        out += "    has_text=" + std::to_string(a.has_text) + " " + text_dump(a.text) + "\n";
      }
    }
  }
  for (const ast::Comment& c : f.comments) out += "comment" + loc_text(c.loc) + " " + quoted(c.text) + "\n";
  // Fields dump() does not show would hide a difference: say so.
  return out;
}

std::string first_difference(const std::string& a, const std::string& b) {
  if (a == b) return "";
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  std::vector<std::string> before;
  int line = 1;
  while (true) {
    bool ga = static_cast<bool>(std::getline(sa, la));
    bool gb = static_cast<bool>(std::getline(sb, lb));
    if (!ga && !gb) return "(the dumps are equal; the difference is in a field dump() does not show)";
    if (!ga) la = "<end>";
    if (!gb) lb = "<end>";
    if (la != lb || !ga || !gb) {
      std::string out = "first difference at dump line " + std::to_string(line) + ":\n";
      std::size_t from = before.size() > 3 ? before.size() - 3 : 0;
      for (std::size_t i = from; i < before.size(); ++i) out += "    " + before[i] + "\n";
      out += "  - " + la + "\n  + " + lb + "\n";
      return out;
    }
    before.push_back(la);
    ++line;
  }
}

}  // namespace advise::x3p
