// The Markdown report: what the terminal report says, as a document an
// advisor can send (CommonMark with GitHub tables). Same sections, same order.
#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "engine/entry_texts.hpp"
#include "engine/render.hpp"
#include "kb/sanitize.hpp"

namespace advise {

namespace render_detail {

static bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80); }

// Escapes what Markdown would read as markup; underscores inside words
// (strongly_recommended) are left alone, as CommonMark does not read them,
// and block markers (> # + -) only matter at the start of a text.
std::string md(std::string_view text) {
  std::string s = terminal_text(text);
  std::size_t first = s.find_first_of("\\*`<[]|>#+-_");  // before it, nothing to escape
  if (first == std::string::npos) return s;
  std::string out(s, 0, first);
  out.reserve(s.size() + 8);
  for (std::size_t i = first; i < s.size(); ++i) {
    char c = s[i];
    switch (c) {
      case '\\': case '*': case '`': case '<': case '[': case ']': case '|':
        out += '\\';
        out += c;
        break;
      case '>': case '#': case '+': case '-':  // block markers only at the start
        if (i == 0) out += '\\';
        out += c;
        break;
      case '_': {
        bool inner = i > 0 && i + 1 < s.size() && word_char(s[i - 1]) && word_char(s[i + 1]);
        if (!inner) out += '\\';
        out += c;
        break;
      }
      default: out += c;
    }
  }
  return out;
}

std::string code(std::string_view s) {
  std::string t = terminal_safe(one_line(s));
  if (t.find('`') == std::string::npos) return "`" + t + "`";
  return "`` " + t + " ``";
}

}  // namespace render_detail

namespace {

using namespace render_detail;

// Text that marks names as `code` already (the model's sentences): the code
// spans are kept, the rest escaped.
std::string md_rich(const std::string& text) {
  std::string s = terminal_text(text);
  if (std::count(s.begin(), s.end(), '`') % 2 != 0) return md(s);
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t open = s.find('`', i);
    if (open == std::string::npos) {
      out += md(s.substr(i));
      break;
    }
    std::size_t close = s.find('`', open + 1);
    out += md(s.substr(i, open - i)) + s.substr(open, close + 1 - open);
    i = close + 1;
  }
  return out;
}

// "Your program list" in Markdown: the fictitious notice first, then per
// specialty the counts against the strategy's range and a table of the
// programs by tier. The advisor's table names each reason's rule; the
// applicant's gives the reasons in words.
void program_list_markdown(std::ostream& out, const ProgramList& pl, bool advisor) {
  out << "\n## Your program list\n\n";
  if (pl.fictitious) out << "**" << md(kFictitiousNotice) << "**\n\n";
  if (pl.entries.empty()) out << "No program of the catalog is in a specialty of your strategy.\n";
  EntryTexts rows(pl.entries, [advisor](std::string& row, const ProgramEntry& e) {
    std::string why;
    for (const ProgramReason& r : e.reasons) {
      if (!why.empty()) why += "; ";
      why += md(r.description) + (r.values.empty() ? "" : ": " + md(r.values)) + " (" + md(r.source) +
             (advisor ? ", " + code(r.name) : "") + ")";
    }
    if (e.contingency) why += (why.empty() ? "" : "; ") + std::string("part of the contingency plan");
    row += "| " + md(tier_label(e.tier)) + " | " + md(e.signal) + " | " + md(e.name) + " (" +
           (advisor ? code(e.program_id) : md(e.program_id)) + ", " + md(e.track) + ") | " + why + " |\n";
  });
  std::size_t at = 0;
  bool first = true;
  for (const ProgramCount& c : pl.counts) {
    out << (first ? "" : "\n") << "### " << md(c.specialty_name) << "\n\n" << md(count_sentence(c)) << ".\n\n";
    first = false;
    out << "| Tier | Signal | Program | Why |\n|---|---|---|---|\n";
    for (; at < pl.entries.size() && pl.entries[at].specialty == c.specialty; ++at) out << rows[at];
  }
}

// A sentence of the model: names as code spans, the rest escaped.
std::string sentence(const Sentence& s) {
  std::string out;
  for (const Span& p : s.spans) out += p.kind == Span::Kind::Code || p.kind == Span::Kind::Rule ? code(p.text) : md(p.text);
  return out;
}

class MarkdownWriter {
 public:
  explicit MarkdownWriter(const Report& rep) : rep_(rep) {}

  std::string render() {
    if (rep_.answer_only) {  // --why-not prints only the answer
      for (const WhyNot& w : rep_.why_not) why_not(w);
      std::string s = out_.str();
      return s.empty() || s[0] != '\n' ? s : s.substr(1);
    }
    header();
    strategy();
    if (rep_.program_list) program_list_markdown(out_, *rep_.program_list, true);
    recommendations();
    messages(true);
    messages(false);
    figures();
    conflicts();
    runaway();
    how();
    for (const WhyNot& w : rep_.why_not) why_not(w);
    trace();
    out_ << "\n---\n\n*Prepared with Advise from the rules of the strategic guide. Every piece of advice names the"
            " guide section it comes from and the rule that applied it.*\n";
    return out_.str();
  }

 private:
  const Report& rep_;
  std::ostringstream out_;
  std::set<std::pair<FactId, std::int32_t>> shown_;  // (fact, firing) derivations written in full

  std::string rule_line(const RuleRef& r) const {
    std::string s = "rule " + code(r.name()) + " (" + code(place(r.file(), r.line));
    if (!r.source().empty()) s += "; guide: " + md(r.source());
    return s + ")";
  }

  std::string cite(const RuleRef& r) const {
    std::string s = "\u2014 ";
    if (!r.source().empty()) s += "guide: " + md(r.source()) + " ";
    return s + "(rule " + code(r.name()) + ", " + code(place(r.file(), r.line)) + ")";
  }

  std::string mark(Truth t) const {
    switch (t) {
      case Truth::True: return "\u2713";
      case Truth::False: return "\u2717";
      case Truth::Unknown: return "?";
    }
    return "?";
  }

  std::string facts_of(const TestRecord& t) const {
    std::string s;
    for (const FactValue& f : t.facts) {
      if (!s.empty()) s += "; ";
      s += (f.conclusion || f.of_template() ? "" : "your ") + md(f.name) + ": " + md(f.display);
    }
    if (!t.constants.empty()) {
      std::string c;
      for (const NamedConstant& x : t.constants) c += (c.empty() ? "" : ", ") + code(x.name + " = " + x.value);
      s += (s.empty() ? "" : " ") + ("(" + c + ")");
    }
    return s;
  }

  void tests(const std::vector<TestRecord>& ts, const std::string& pad) {
    for (const TestRecord& t : ts) {
      std::string facts = facts_of(t);
      if (!t.required.empty()) facts += "; required: " + md(t.required);
      if (t.changeable) facts += " (you can change this)";
      out_ << pad << "- " << mark(t.result) << " " << code(t.text) << (facts.empty() ? "" : " \u2014 " + facts) << "\n";
    }
  }

  void matched(const std::vector<MatchedFact>& ms, const std::string& pad) {
    for (const MatchedFact& m : ms)
      out_ << pad << "- matched " << md(m.tmpl) << " " << code(m.var) << ": " << md(m.key)
           << (m.origin.empty() ? "" : ", from " + md(m.origin)) << (m.ended ? "; since removed or changed" : "") << "\n";
  }

  void given(const Reads& reads, const std::string& pad) {
    auto line = [&](const char* label, const std::vector<std::string>& paths) {
      if (paths.empty()) return;
      out_ << pad << "- " << label;
      for (std::size_t i = 0; i < paths.size(); ++i) out_ << (i ? ", " : "") << code(paths[i]);
      out_ << "\n";
    };
    line("given: ", reads.given);
    line("not given: ", reads.not_given);
  }

  void derivation_body(const Derivation& d, const std::string& pad) {
    switch (d.kind) {
      case Derivation::Kind::Missing: return;
      case Derivation::Kind::Given:
        out_ << pad << "- given: " << code(d.json_path) << "\n";
        return;
      case Derivation::Kind::Derived: break;
    }
    shown_.insert({d.fact, d.firing});
    out_ << pad << "- set by " << rule_line(d.rule);
    if (!d.rule.description().empty()) out_ << ": \u201c" << md(d.rule.description()) << "\u201d";
    out_ << "\n";
    for (const RuleRef& a : d.also) out_ << pad << "- also added to by " << rule_line(a) << "\n";
    matched(d.matched, pad);
    tests(d.tests, pad);
    given(d.reads, pad);
    premises(d.reads, d.premises, pad);
  }

  void premises(const Reads& reads, const std::vector<Derivation>& ps, const std::string& pad) {
    for (const Derivation& p : ps) {
      out_ << pad << "- " << code(p.name) << " = "
           << (p.kind == Derivation::Kind::Missing ? "*(not reached)*" : md(p.display));
      if (p.kind == Derivation::Kind::Derived && shown_.count({p.fact, p.firing})) {
        out_ << " (set by rule " << code(p.rule.name()) << "; see above)\n";
        continue;
      }
      out_ << "\n";
      derivation_body(p, pad + "  ");
    }
    for (const std::string& c : reads.not_followed)
      out_ << pad << "- " << code(c) << ": *(not followed further; ask `--why-not` or `--explain` on it)*\n";
  }

  void header() {
    out_ << "# Advise report" << (rep_.applicant.empty() ? "" : " for " + md(rep_.applicant)) << "\n\n";
    out_ << "Profile: " << code(rep_.profile_source) << "\n";
    if (rep_.used) {
      // The advisor's view says which rules and knowledge base made it; the
      // applicant's leaves authors' paths out (docs/report.md).
      out_ << "\nRules: ";
      for (std::size_t i = 0; i < rep_.used->paths.size(); ++i) out_ << (i ? ", " : "") << code(rep_.used->paths[i]);
      out_ << "; knowledge base: " << code(rep_.used->kb) << "\n";
    }
  }

  void strategy() {
    out_ << "\n## Your strategy\n\n| Decision | Advice |\n|---|---|\n";
    for (const ConclusionEntry& c : rep_.conclusions) {
      out_ << "| " << code(c.name) << " | ";
      if (c.value.is_missing()) {
        out_ << "*not reached* (" << sentence(c.not_reached) << ")";
      } else {
        out_ << md(c.display);
      }
      out_ << " |\n";
    }
    bool any = false;
    for (const ConclusionEntry& c : rep_.conclusions) {
      if (c.what_would_change.empty()) continue;
      out_ << (any ? "" : "\n") << "- " << code(c.name) << ": " << sentence(c.what_would_change) << "\n";
      any = true;
    }
  }

  void recommendations() {
    if (rep_.recommendations.empty()) return;
    out_ << "\n## What to do\n";
    for (const CategoryRef& cat : rep_.categories) {
      out_ << "\n### " << md(cat.title) << "\n\n";
      for (const RecommendationExplanation& r : rep_.recommendations) {
        if (r.category != cat.id) continue;
        out_ << "- " << md(r.text) << "  \n  " << cite(r.rule);
        for (const RuleRef& a : r.also) out_ << "; also recommended by " << rule_line(a);
        out_ << "\n";
      }
    }
  }

  void messages(bool warnings) {
    bool any = std::any_of(rep_.messages.begin(), rep_.messages.end(),
                           [&](const MessageRef& m) { return m.warning == warnings; });
    if (!any) return;
    out_ << "\n## " << (warnings ? "Warnings" : "Notes") << "\n\n";
    for (const MessageRef& m : rep_.messages) {
      if (m.warning != warnings) continue;
      out_ << "- " << (warnings ? "**Warning:** " : "") << md(m.text) << "  \n  " << cite(m.rule) << "\n";
    }
  }

  void figures() {
    if (rep_.figures.empty()) return;
    out_ << "\n## Where you stand\n\n";
    for (const FigureRef& f : rep_.figures) {
      if (f.repeated) continue;
      out_ << "- " << md(f.text) << "  \n  \u2014 source: *" << md(f.source) << "*";
      if (f.year) out_ << ", " << f.year;
      if (f.secondary) out_ << " (secondary source)";
      out_ << "\n";
    }
  }

  void conflicts() {
    if (rep_.conflicts.empty()) return;
    out_ << "\n## Where rules disagreed\n";
    for (const ConflictExplanation& c : rep_.conflicts) {
      out_ << "\n" << (c.error ? "**Error:** " : "") << sentence(c.summary) << "\n\n";
      out_ << "- kept: " << rule_line(c.kept_by) << ", priority " << c.kept_by.priority() << ", set " << md(c.kept)
           << " because\n";
      tests(c.kept_tests, "  ");
      out_ << "- rejected: " << rule_line(c.rejected_by) << ", priority " << c.rejected_by.priority() << ", set "
           << md(c.rejected) << " because\n";
      tests(c.rejected_tests, "  ");
    }
  }

  void runaway() {
    if (!rep_.runaway) return;
    out_ << "\n## Evaluation stopped\n\n**Error:** " << md(*rep_.runaway) << "\n\n"
         << sentence(rep_.runaway_consequence) << "\n";
  }

  void how() {
    if (!rep_.explained) return;
    out_ << "\n## How each decision was reached\n";
    for (const ConclusionEntry& c : rep_.conclusions) {
      if (c.value.is_missing()) continue;
      out_ << "\n### " << code(c.name) << " = " << md(c.display) << "\n\n";
      derivation_body(c.derivation, "");
    }
    for (const RecommendationExplanation& r : rep_.recommendations) {
      out_ << "\n### Recommendation " << code(r.id) << "\n\n";
      out_ << "- from " << rule_line(r.rule) << "\n";
      matched(r.matched, "");
      tests(r.tests, "");
      given(r.reads, "");
      premises(r.reads, r.premises, "");
    }
  }

  void why_not(const WhyNot& w) {
    out_ << "\n## Why not " << (w.subject.empty() ? code(w.query) : sentence(w.subject)) << "?\n\n";
    if (!w.error.empty()) {
      out_ << "**Error:** " << md_rich(w.error) << "\n";
      return;
    }
    out_ << (w.reached ? "Reached after all: " : "Not reached: ") << sentence(w.actual) << ".\n";
    if (w.candidates.empty()) {
      out_ << "\nNo rule can produce it: none of the rules sets it.\n";
      return;
    }
    std::size_t n = w.candidates.size();
    out_ << "\n" << n << (n == 1 ? " rule" : " rules") << " could produce it:\n\n";
    for (const WhyNotCandidate& c : w.candidates) {
      out_ << "- " << rule_line(c.rule) << "\n";
      if (c.fired) {
        out_ << "  - " << (c.note.empty() ? "it fired" : sentence(c.note)) << "\n";
        continue;
      }
      if (c.failed.empty()) {
        out_ << "  - it did not fire\n";
        continue;
      }
      std::size_t nf = c.failed.size();
      out_ << "  - it did not apply: " << (nf == 1 ? "the test that failed" : std::to_string(nf) + " tests failed") << "\n";
      tests(c.failed, "    ");
      premises(c.reads, c.derived_facts, "    ");
    }
  }

  void trace() {
    if (!rep_.traced) return;
    std::size_t n = rep_.trace.size();
    out_ << "\n## Trace: " << (n == 0 ? "no rule fired" : std::to_string(n) + (n == 1 ? " firing" : " firings"))
         << "\n\n";
    for (const TraceEntry& t : rep_.trace) {
      std::string pad(std::to_string(t.index).size() + 2, ' ');  // nested under the number
      out_ << t.index << ". " << rule_line(t.rule) << "\n";
      matched(t.matched, pad);
      for (const std::string& ch : t.changes) out_ << pad << "- " << md(ch) << "\n";
      for (const std::string& o : t.outputs) out_ << pad << "- " << md(one_line(o)) << "\n";
    }
  }
};

}  // namespace

namespace {

// The applicant's view: the summary (decisions, what to do now), the details
// by category, where they stand; in words, without rules, files or ids.
class ApplicantWriter {
 public:
  ApplicantWriter(const Report& rep, bool markdown) : rep_(rep), v_(*rep.applicant_view), md_(markdown) {}

  std::string render() {
    std::string who = rep_.applicant.empty() ? "" : " for " + esc(rep_.applicant);
    heading(1, "Your advice" + who);
    if (!v_.stage.empty()) out_ << (md_ ? "Stage: " : "Stage: ") << esc(v_.stage) << "\n";
    summary();
    program_list();
    details();
    figures();
    out_ << "\n" << (md_ ? "---\n\n*" : "") << "Prepared with Advise from the strategic guide; each piece of advice names the guide section it comes from."
         << (md_ ? "*" : "") << "\n";
    // Plain text is read in a terminal: wrapped, as the advisor's text report is.
    return md_ ? out_.str() : wrap_lines(out_.str());
  }

 private:
  const Report& rep_;
  const ApplicantView& v_;
  bool md_;
  std::ostringstream out_;

  std::string esc(const std::string& s) const { return md_ ? md(s) : terminal_text(s); }
  std::string em(const std::string& s) const { return md_ ? "*" + s + "*" : s; }
  std::string words(const Sentence& s) const { return esc(s.plain()); }

  void heading(int level, const std::string& text) {
    std::string so_far = out_.str();
    if (!so_far.empty() && so_far.compare(so_far.size() - std::min<std::size_t>(2, so_far.size()), 2, "\n\n") != 0)
      out_ << "\n";
    if (md_) {
      out_ << std::string(static_cast<std::size_t>(level), '#') << " " << text << "\n\n";
    } else {
      out_ << text << "\n" << std::string(text.size() < 80 ? text.size() : 80, level == 1 ? '=' : '-') << "\n";
    }
  }

  std::string item_line(const PlainItem& it) const {
    std::string s;
    if (it.kind == PlainItem::Kind::Warning) s += md_ ? "**Warning:** " : "Warning: ";
    for (const Span& p : it.words.spans) s += md_ && p.kind == Span::Kind::Code ? code(p.text) : esc(p.text);
    std::string tail;
    if (!it.why.empty()) tail += words(it.why);
    if (!it.source.empty()) tail += (tail.empty() ? "guide: " : "; guide: ") + esc(it.source);
    if (!tail.empty()) s += " " + em("(" + tail + ")");
    return s;
  }

  void summary() {
    heading(2, "Summary");
    if (v_.decisions.empty()) {
      out_ << "No decision was reached for your profile.\n";
    } else if (md_) {
      out_ << "| Decision | Advice |\n|---|---|\n";
      for (const PlainDecision& d : v_.decisions) out_ << "| " << esc(d.label) << " | " << esc(d.value) << " |\n";
    } else {
      for (const PlainDecision& d : v_.decisions) out_ << "  " << esc(d.label) << ": " << esc(d.value) << "\n";
    }
    bool any = false;
    for (const PlainDecision& d : v_.decisions) {
      if (d.what_would_change.empty()) continue;
      out_ << (any ? "" : "\n") << (md_ ? "- **" + esc(d.label) + ":** " : "  " + esc(d.label) + ": ")
           << words(d.what_would_change) << "\n";
      any = true;
    }
    if (v_.actions.empty()) return;
    out_ << "\n" << (md_ ? "**What to do now**" : "What to do now:") << "\n\n";
    int n = 0;
    for (std::size_t i : v_.actions) out_ << ++n << ". " << item_line(v_.items[i]) << "\n";
  }

  // Right after the summary (issue 14): a table in Markdown, lines in text.
  // Not part of the 110-line budget of the rest of the view.
  void program_list() {
    if (!rep_.program_list) return;
    const ProgramList& pl = *rep_.program_list;
    if (md_) {
      program_list_markdown(out_, pl, false);
      return;
    }
    heading(2, "Your program list");
    if (pl.fictitious) out_ << esc(kFictitiousNotice) << "\n";
    std::size_t at = 0;
    for (const ProgramCount& c : pl.counts) {
      out_ << "\n" << esc(c.specialty_name) << ": " << esc(count_sentence(c)) << "\n";
      for (; at < pl.entries.size() && pl.entries[at].specialty == c.specialty; ++at) {
        const ProgramEntry& e = pl.entries[at];
        out_ << "- " << esc(tier_label(e.tier)) << (e.signal.empty() ? "" : ", " + esc(signal_label(e.signal)))
             << ": " << esc(e.name) << " (" << esc(e.program_id) << ")";
        std::string why;
        for (const ProgramReason& r : e.reasons)
          why += (why.empty() ? "" : "; ") + r.description + (r.values.empty() ? "" : ": " + r.values);
        if (e.contingency) why += (why.empty() ? "" : "; ") + std::string("part of the contingency plan");
        out_ << (why.empty() ? "" : " - " + esc(why)) << "\n";
      }
    }
  }

  void details() {
    bool any = v_.items.size() > v_.actions.size();
    if (!any) return;
    heading(2, "Details");
    bool first = true;
    for (const auto& [id, title] : v_.categories) {
      std::vector<const PlainItem*> in;
      for (std::size_t i = 0; i < v_.items.size(); ++i)
        if (v_.items[i].category == id && std::find(v_.actions.begin(), v_.actions.end(), i) == v_.actions.end())
          in.push_back(&v_.items[i]);
      if (in.empty()) continue;
      if (md_) {
        out_ << (first ? "" : "\n") << "### " << esc(title) << "\n\n";
      } else {
        out_ << (first ? "" : "\n") << esc(title) << "\n";
      }
      first = false;
      for (const PlainItem* it : in) out_ << "- " << item_line(*it) << "\n";
    }
  }

  void figures() {
    if (rep_.figures.empty()) return;
    heading(2, "Where you stand");
    for (const FigureRef& f : rep_.figures) {
      if (f.repeated) continue;
      std::string src = f.source + (f.year ? ", " + std::to_string(f.year) : "") + (f.secondary ? ", secondary source" : "");
      out_ << "- " << esc(f.text) << " " << em("(source: " + esc(src) + ")") << "\n";
    }
  }
};

}  // namespace

namespace render_detail {
std::string render_applicant(const Report& report, bool markdown) {
  ApplicantWriter w(report, markdown);
  return w.render();
}
}  // namespace render_detail

std::string render_markdown(const Report& report, const RuleSet& /*rules*/, View view) {
  if (view == View::Applicant && report.applicant_view && !report.answer_only) return render_applicant(report, true);
  MarkdownWriter w(report);
  return w.render();
}

}  // namespace advise
