// The terminal report an applicant reads, and the helpers the renderers share.
//
// Layout (docs/report.md, "Reading a report"): header; "Your strategy" (every
// conclusion in schema order); "What to do" (recommendations by category, in
// the order of the `category` enum); warnings; notes; "Where you stand" (cited
// figures); conflicts; a runaway stop; then the sections asked for: --why-not
// and --trace. With --explain each conclusion and recommendation carries its
// derivation: the rule, the tests it made with your values, and the derived
// facts those tests read, down to the fields of your profile.
#include <algorithm>
#include <set>
#include <sstream>

#include "engine/entry_texts.hpp"
#include "engine/render.hpp"
#include "kb/sanitize.hpp"

namespace advise {

namespace render_detail {

namespace {
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
}  // namespace

std::string terminal_text(std::string_view text) {
  // The usual case: printable ASCII, which neither step changes.
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; })) return std::string(text);
  std::string t(text);
  std::replace_if(t.begin(), t.end(), is_blank, ' ');
  return terminal_safe(t);
}

std::string place(const std::string& file, int line) { return file + ":" + std::to_string(line); }

std::string concat(std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (std::string_view p : parts) n += p.size();
  std::string out;
  out.reserve(n);
  for (std::string_view p : parts) out += p;
  return out;
}

std::string one_line(std::string_view text) {
  std::string out;
  bool blank = false;
  for (char c : text) {
    if (is_blank(c)) {
      blank = true;
      continue;
    }
    if (blank && !out.empty()) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

}  // namespace render_detail

namespace {

using namespace render_detail;

// Display width of UTF-8 text: code points (the report's texts hold no wide
// characters).
std::size_t width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

constexpr std::size_t kWidth = 80;

}  // namespace

namespace render_detail {
std::string wrap_lines(const std::string& text, std::size_t max) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    bool newline = end != std::string::npos;
    std::string ln = text.substr(start, (newline ? end : text.size()) - start);
    start = newline ? end + 1 : text.size();
    if (width(ln) <= max) {
      out += ln;
      if (newline) out += '\n';
      continue;
    }
    std::size_t lead = ln.find_first_not_of(' ');
    if (lead == std::string::npos) lead = 0;
    std::size_t marker = 0;
    if (ln.compare(lead, 2, "- ") == 0) {
      marker = 2;
    } else {
      std::size_t d = lead;
      while (d < ln.size() && ln[d] >= '0' && ln[d] <= '9') ++d;
      marker = d > lead && ln.compare(d, 2, ". ") == 0 ? d + 2 - lead : 2;
    }
    std::string indent(lead + marker, ' ');
    std::size_t col = 0;
    std::size_t pos = 0;
    bool first_word = true;
    while (pos < ln.size()) {
      std::size_t sp = ln.find(' ', pos);
      if (first_word) sp = ln.find(' ', lead + marker > 0 ? lead + marker - 1 : 0);  // the indentation and marker stay together
      std::string w = ln.substr(pos, (sp == std::string::npos ? ln.size() : sp) - pos);
      pos = sp == std::string::npos ? ln.size() : sp + 1;
      if (w.empty() && !first_word) continue;
      std::size_t ww = width(w);
      if (!first_word && col + 1 + ww > max) {
        out += '\n';
        out += indent;
        col = indent.size();
      } else if (!first_word) {
        out += ' ';
        ++col;
      }
      out += w;
      col += ww;
      first_word = false;
    }
    if (newline) out += '\n';
  }
  return out;
}
}  // namespace render_detail

namespace {

constexpr char kGlue = '\x1f';  // a space that does not break a line

std::string glue(std::string s) {
  std::replace(s.begin(), s.end(), ' ', kGlue);
  return s;
}

class TextWriter {
 public:
  TextWriter(const Report& rep, const TextStyle& style, std::ostream& out) : rep_(rep), style_(style), out_(out) {}

  void render() {
    if (rep_.answer_only) {  // --why-not prints only the answer (section() leaves out its first blank line)
      for (const WhyNot& w : rep_.why_not) why_not(w);
      return;
    }
    header();
    strategy();
    program_list();
    recommendations();
    messages(true);
    messages(false);
    figures();
    conflicts();
    runaway();
    for (const WhyNot& w : rep_.why_not) why_not(w);
    trace();
    footer();
  }

 private:
  const Report& rep_;
  TextStyle style_;
  // Written as it is made: the report is never held whole (one of half a
  // million notes is 38 MB).
  std::ostream& out_;
  std::set<std::pair<FactId, std::int32_t>> shown_;  // (fact, firing) derivations written in full
  bool first_section_ = true;

  std::string paint(const std::string& s, const char* code) const {
    if (!style_.color) return s;
    return std::string("\x1b[") + code + "m" + s + "\x1b[0m";
  }
  std::string bold(const std::string& s) const { return paint(s, "1"); }
  // One line of text from a file, safe for the terminal.
  static std::string line(std::string_view s) { return terminal_safe(one_line(s)); }

  void section(const std::string& title) {
    if (!(rep_.answer_only && first_section_)) out_ << "\n";
    out_ << bold(line(title)) << "\n";
    first_section_ = false;
  }

  // Appends `text` wrapped at kWidth to `buf`: the first line after `first` (already
  // `first_width` columns wide), the next ones indented by `indent` spaces.
  // Spaces in a `glue`d chunk do not break.
  static void wrap_into(std::string& buf, const std::string& first, std::size_t first_width, std::size_t indent,
                        std::string_view text) {
    // Words are split at what `>>` splits at in the C locale (space, tab,
    // newline, vertical tab, form feed, carriage return), by hand: a stream
    // per paragraph cost more than the rest of the report.
    auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
    buf += first;
    std::size_t col = first_width;
    bool line_start = true;
    std::string w;
    const char* p = text.data();
    const char* end = p + text.size();
    for (;;) {
      while (p < end && space(*p)) ++p;
      if (p == end) break;
      const char* start = p;
      bool plain = true;  // printable ASCII only: terminal_safe would return it as it is
      bool glued = false;
      for (; p < end && !space(*p); ++p) {
        auto c = static_cast<unsigned char>(*p);
        if (c < 0x20 || c >= 0x7F) {
          if (c == static_cast<unsigned char>(kGlue))
            glued = true;
          else
            plain = false;
        }
      }
      std::string_view word(start, static_cast<std::size_t>(p - start));
      if (glued || !plain) {
        w.assign(word);
        std::replace(w.begin(), w.end(), kGlue, ' ');
        // Profile and rule texts reach the terminal: escapes are shown, not sent.
        if (!plain) w = terminal_safe(w);
        word = w;
      }
      std::size_t ww = plain ? word.size() : width(w);
      if (!line_start && col + 1 + ww > kWidth) {
        buf += '\n';
        buf.append(indent, ' ');
        col = indent;
        line_start = true;
      }
      if (!line_start) {
        buf += ' ';
        ++col;
      }
      buf += word;
      col += ww;
      line_start = false;
    }
    buf += '\n';
  }
  void wrap(const std::string& first, std::size_t first_width, std::size_t indent, std::string_view text) {
    std::string buf;
    wrap_into(buf, first, first_width, indent, text);
    out_.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  }

  // "Your program list" (advise --catalog): per specialty, the counts against
  // the strategy's range, then each program by tier with its reasons.
  void program_list() {
    if (!rep_.program_list) return;
    const ProgramList& pl = *rep_.program_list;
    section("Your program list");
    if (pl.fictitious) wrap("  ", 2, 2, kFictitiousNotice);
    if (pl.entries.empty()) wrap("  ", 2, 2, "No program of the catalog is in a specialty of your strategy.");
    EntryTexts texts(pl.entries, program_entry);
    std::size_t at = 0;
    for (const ProgramCount& c : pl.counts) {
      out_ << "\n";
      wrap("  " + c.specialty_name + ": ", 4 + width(c.specialty_name), 4, count_sentence(c));
      for (; at < pl.entries.size() && pl.entries[at].specialty == c.specialty; ++at) out_ << texts[at];
    }
  }

  // One program of the list: its tier, signal and name, then its reasons.
  static void program_entry(std::string& buf, const ProgramEntry& e) {
    std::string head = tier_label(e.tier) + (e.signal.empty() ? "" : ", " + signal_label(e.signal)) +
                       (e.contingency ? ", contingency plan" : "") + ": ";
    wrap_into(buf, "    " + head, 4 + width(head), 8,
              e.name + " " + glue("(" + e.program_id + ",") + " " + glue(e.track + ")"));
    for (const ProgramReason& r : e.reasons)
      wrap_into(buf, "        - ", 10, 10,
                r.description + (r.values.empty() ? "" : ": " + r.values) + " " + glue("(" + r.source + ";") + " " +
                    glue("rule `" + r.name + "`)"));
  }

  std::string mark(Truth t) const {
    switch (t) {
      case Truth::True: return paint("\u2713", "32");
      case Truth::False: return paint("\u2717", "31");
      case Truth::Unknown: return "?";
    }
    return "?";
  }

  // "rule `x` (file:line; guide: Step 5.1)", for wrap(): breaks only
  // between the name, the place and the guide section.
  std::string rule_line(const RuleRef& r) const {
    std::string s = glue(concat({"rule `", r.name(), "`"})) + " ";
    if (r.source().empty()) return s + glue("(" + place(r.file(), r.line) + ")");
    return s + glue("(" + place(r.file(), r.line) + ";") + " " + glue(concat({"guide: ", r.source(), ")"}));
  }

  // "your step2ck: 252" for profile fields, "specialty_class: ultra" for conclusions.
  std::string facts_of(const TestRecord& t) const {
    std::string s;
    for (const FactValue& f : t.facts) {
      if (!s.empty()) s += "; ";
      s += (f.conclusion || f.of_template() ? "" : "your ") + f.name + ": " + f.display;
    }
    if (!t.constants.empty()) {
      std::string c;
      for (const NamedConstant& x : t.constants) c += (c.empty() ? "" : ", ") + x.name + " = " + x.value;
      s += (s.empty() ? "" : " ") + ("(" + c + ")");
    }
    return s;
  }

  // Why not: what the test requires, and whether the applicant can change it.
  static std::string why_not_of(const TestRecord& t) {
    std::string s;
    if (!t.required.empty()) s += "; required: " + t.required;
    if (t.changeable) s += " (you can change this)";
    return s;
  }

  void tests(const std::vector<TestRecord>& ts, std::size_t indent) {
    std::size_t col = 0;
    for (const TestRecord& t : ts) col = std::max(col, width(line(t.text)));
    col = std::min<std::size_t>(col, 40);
    for (const TestRecord& t : ts) {
      std::string text = line(t.text);
      std::string facts = line(facts_of(t) + why_not_of(t));
      out_ << std::string(indent, ' ') << mark(t.result) << " " << text;
      if (!facts.empty()) {
        std::size_t w = width(text);
        out_ << std::string(w < col ? col - w + 3 : 3, ' ') << facts;
      }
      out_ << "\n";
    }
  }

  // The facts a rule over facts matched: "program p: program_id 0800390001
  // (examples/catalog/programs.csv:14:1 (row 14))".
  void matched(const std::vector<MatchedFact>& ms, std::size_t indent) {
    for (const MatchedFact& m : ms) {
      std::string head = std::string(indent, ' ') + "matched " + line(m.tmpl) + " " + line(m.var) + ": ";
      std::string body = line(m.key) + (m.origin.empty() ? "" : ", from " + line(m.origin)) +
                         (m.ended ? "; since removed or changed" : "");
      wrap(head, width(head), indent + 4, body);
    }
  }

  // The profile fields the tests read: "given: $.a, $.b" and "not given: $.c".
  void given(const Reads& reads, std::size_t indent) {
    auto line = [&](const char* label, const std::vector<std::string>& paths) {
      if (paths.empty()) return;
      std::string s;
      for (const std::string& p : paths) s += (s.empty() ? "" : ", ") + p;
      wrap(std::string(indent, ' ') + label, indent + std::string(label).size(), indent + 2, s);
    };
    line("given: ", reads.given);
    line("not given: ", reads.not_given);
  }

  // The body of a derivation (rule, tests, given fields, premises), under a
  // head line the caller wrote.
  void derivation_body(const Derivation& d, std::size_t indent) {
    std::string pad(indent, ' ');
    switch (d.kind) {
      case Derivation::Kind::Missing:
        return;
      case Derivation::Kind::Given:
        out_ << pad << "given: " << line(d.json_path) << "\n";
        return;
      case Derivation::Kind::Derived: break;
    }
    shown_.insert({d.fact, d.firing});
    std::string head = pad + "set by rule `" + line(d.rule.name()) + "`";
    if (d.rule.description().empty())
      out_ << head << "\n";
    else
      wrap(head + ": ", width(head) + 2, indent + 4, d.rule.description());
    std::string at = concat({place(d.rule.file(), d.rule.line), d.rule.source().empty() ? "" : "; guide: ", d.rule.source()});
    wrap(pad + "  ", indent + 2, indent + 4, glue("(" + at + ")"));
    for (const RuleRef& a : d.also) wrap(pad + "  also added to by ", indent + 19, indent + 4, rule_line(a));
    matched(d.matched, indent + 2);
    tests(d.tests, indent + 2);
    given(d.reads, indent + 2);
    premises(d.reads, d.premises, indent + 2);
  }

  void premises(const Reads& reads, const std::vector<Derivation>& ps, std::size_t indent) {
    for (const Derivation& p : ps) {
      std::string head = std::string(indent, ' ') + line(p.name) + " = ";
      if (p.kind == Derivation::Kind::Missing) {
        out_ << head << "(not reached)\n";
      } else if (p.kind == Derivation::Kind::Derived && shown_.count({p.fact, p.firing})) {
        wrap(head, width(head), indent + 4, p.display + " " + glue(concat({"(set by rule `", p.rule.name(), "`;"})) + " " + glue("see above)"));
      } else {
        wrap(head, width(head), indent + 4, p.display);
        derivation_body(p, indent + 2);
      }
    }
    // Conclusions the tests read but the model did not follow (depth limit).
    for (const std::string& c : reads.not_followed)
      out_ << std::string(indent, ' ') << line(c) << ": (not followed further; ask --why-not or --explain on it)\n";
  }

  void header() {
    std::string title = rep_.applicant.empty() ? "Advise report" : "Advise report for " + rep_.applicant;
    out_ << bold(line(title)) << "\n";
    out_ << "Profile: " << line(rep_.profile_source) << "\n";
    if (rep_.used) {
      std::string paths;
      for (const std::string& p : rep_.used->paths) paths += (paths.empty() ? "" : ", ") + p;
      out_ << "Rules: " << line(paths) << "; knowledge base: " << line(rep_.used->kb) << "\n";
    }
  }

  void strategy() {
    section("Your strategy");
    std::size_t col = 0;
    for (const ConclusionEntry& c : rep_.conclusions) col = std::max(col, c.name.size());
    col += 4;
    for (const ConclusionEntry& c : rep_.conclusions) {
      std::string head = "  " + c.name + std::string(col - 2 - c.name.size(), ' ');
      if (c.value.is_missing()) {
        wrap(head, col, col, "(not reached: " + c.not_reached.marked() + ")");
      } else {
        wrap(head, col, col, c.display);
      }
      if (!c.what_would_change.empty()) wrap(std::string(col, ' '), col, col, c.what_would_change.marked());
      if (rep_.explained && !c.value.is_missing()) derivation_body(c.derivation, 4);
    }
  }

  void recommendations() {
    if (rep_.recommendations.empty()) return;
    section("What to do");
    for (const CategoryRef& cat : rep_.categories) {
      out_ << "\n  " << bold(cat.title) << "\n";
      for (const RecommendationExplanation& r : rep_.recommendations) {
        if (r.category != cat.id) continue;
        wrap("  \u2022 ", 4, 4, r.text);
        cite_line(r.rule, 4);
        for (const RuleRef& a : r.also) wrap("    also recommended by ", 24, 6, rule_line(a));
        if (rep_.explained) {
          out_ << "    because:\n";
          matched(r.matched, 6);
          tests(r.tests, 6);
          given(r.reads, 6);
          premises(r.reads, r.premises, 6);
        }
      }
    }
  }

  // "— guide: Step 5.1 (rule `x`, rules/step5_application.rules:12)"
  void cite_line(const RuleRef& r, std::size_t indent) {
    std::string s = r.source().empty() ? "" : glue(concat({"guide: ", r.source()})) + " ";
    s += glue(concat({"(rule `", r.name(), "`,"})) + " " + glue(place(r.file(), r.line) + ")");
    wrap(std::string(indent, ' ') + "\u2014 ", indent + 2, indent + 2, s);
  }

  void messages(bool warnings) {
    bool any = std::any_of(rep_.messages.begin(), rep_.messages.end(),
                           [&](const MessageRef& m) { return m.warning == warnings; });
    if (!any) return;
    section(warnings ? "Warnings" : "Notes");
    for (const MessageRef& m : rep_.messages) {
      if (m.warning != warnings) continue;
      wrap(warnings ? "  " + paint("!", "31") + " " : std::string("  - "), 4, 4, m.text);
      cite_line(m.rule, 4);
    }
  }

  void figures() {
    if (rep_.figures.empty()) return;
    section("Where you stand");
    for (const FigureRef& f : rep_.figures) {
      if (f.repeated) continue;
      wrap("  \u2022 ", 4, 4, f.text);
      std::string src = f.source;
      if (f.year) src += ", " + std::to_string(f.year);
      if (f.secondary) src += " [secondary source]";
      if (rep_.explained) {
        src += "; cited by rule `";
        src += f.cited_by.name();
        src += "` (" + place(f.cited_by.file(), f.cited_by.line) + ")";
      }
      wrap("    \u2014 source: ", 14, 6, src);
    }
  }

  void conflicts() {
    if (rep_.conflicts.empty()) return;
    section("Where rules disagreed");
    for (const ConflictExplanation& c : rep_.conflicts) {
      std::string head = std::string("  ") + (c.error ? paint("error", "31") + ": " : "");
      wrap(head, c.error ? 9 : 2, 4, c.summary.marked());
      auto side = [&](const char* role, const RuleRef& r, const std::string& value, const std::vector<TestRecord>& ts) {
        wrap(std::string("    ") + role + " ", 5 + std::string(role).size(), 6,
             rule_line(r) + ", priority " + std::to_string(r.priority()) + ", set " + value + " because");
        tests(ts, 6);
      };
      side("kept:", c.kept_by, c.kept, c.kept_tests);
      side("rejected:", c.rejected_by, c.rejected, c.rejected_tests);
    }
  }

  void runaway() {
    if (!rep_.runaway) return;
    section("Evaluation stopped");
    wrap("  " + paint("error", "31") + ": ", 9, 4, *rep_.runaway);
    wrap("  ", 2, 2, rep_.runaway_consequence.marked());
  }

  void why_not(const WhyNot& w) {
    std::string subject = w.subject.empty() ? "`" + w.query + "`" : w.subject.marked();
    section("Why not " + subject + "?");
    if (!w.error.empty()) {
      wrap("  " + paint("error", "31") + ": ", 9, 4, w.error);
      return;
    }
    wrap("  ", 2, 2, (w.reached ? "Reached after all: " : "Not reached: ") + w.actual.marked() + ".");
    if (w.candidates.empty()) {
      wrap("  ", 2, 2, "No rule can produce it: none of the rules sets it.");
      return;
    }
    std::size_t n = w.candidates.size();
    out_ << "  " << n << (n == 1 ? " rule" : " rules") << " could produce it:\n";
    for (const WhyNotCandidate& c : w.candidates) {
      wrap("  \u2022 ", 4, 4, rule_line(c.rule));
      if (c.fired) {
        wrap("    ", 4, 4, c.note.empty() ? "it fired" : c.note.marked());
        continue;
      }
      if (c.failed.empty()) {
        out_ << "    it did not fire\n";
        continue;
      }
      std::size_t nf = c.failed.size();
      out_ << "    it did not apply: " << (nf == 1 ? "the test that failed" : std::to_string(nf) + " tests failed") << "\n";
      tests(c.failed, 6);
      premises(c.reads, c.derived_facts, 6);
    }
  }

  void trace() {
    if (!rep_.traced) return;
    if (rep_.trace.empty()) {
      section("Trace: no rule fired");
      return;
    }
    std::size_t n = rep_.trace.size();
    section("Trace: " + std::to_string(n) + (n == 1 ? " firing" : " firings"));
    std::size_t digits = std::to_string(n).size();
    for (const TraceEntry& t : rep_.trace) {
      std::string num = std::to_string(t.index);
      std::string head = "  " + std::string(digits - num.size(), ' ') + num + ". ";
      wrap(head, head.size(), head.size() + 2, rule_line(t.rule));
      std::string pad(head.size() + 2, ' ');
      matched(t.matched, pad.size());
      for (const std::string& ch : t.changes) wrap(pad, pad.size(), pad.size() + 2, ch);
      for (const std::string& o : t.outputs) wrap(pad, pad.size(), pad.size() + 2, o);
    }
  }

  void footer() {
    if (rep_.explained) return;
    out_ << "\n";
    wrap("", 0, 0,
         "To see how each decision was reached from your answers, run advise with --explain; "
         "--why-not NAME says why something was not.");
  }
};

}  // namespace

void render_text(std::ostream& out, const Report& report, const RuleSet& /*rules*/, const TextStyle& style,
                 View view) {
  if (view == View::Applicant && report.applicant_view && !report.answer_only) {
    out << render_applicant(report, false);
    return;
  }
  TextWriter w(report, style, out);
  w.render();
}

std::string render_text(const Report& report, const RuleSet& rules, const TextStyle& style, View view) {
  std::ostringstream out;
  render_text(out, report, rules, style, view);
  return std::move(out).str();
}

}  // namespace advise
