// The HTML report: one self-contained page (docs/report.md, "HTML"). Its
// style and its one small script are inside the page; it asks the network for
// nothing (no external script, style, font or image), so it works from a
// file:// URL, offline, and printed to PDF. Landmarks (header, nav, main,
// footer), one h1 and ordered headings, tables with captions and scoped
// headers, and each item's why folded under it in a <details> element, which
// the keyboard opens (Enter or Space) and printing shows as written.
//
// The page depends on no server: `render_html` returns the bytes, like the
// other renderers.
#include <algorithm>
#include <sstream>

#include "engine/entry_texts.hpp"
#include "engine/render.hpp"

namespace advise {

namespace {

using namespace render_detail;

// Text as HTML: controls shown as escapes by the one sanitizer, then the five
// characters HTML reads escaped.
std::string h(std::string_view s) {
  static constexpr const char* kMarkup = "&<>\"'";
  std::string t = terminal_text(s);
  std::size_t at = t.find_first_of(kMarkup);
  if (at == std::string::npos) return t;
  std::string out;
  out.reserve(t.size() + 16);
  std::size_t from = 0;
  for (; at != std::string::npos; at = t.find_first_of(kMarkup, from)) {
    out.append(t, from, at - from);
    switch (t[at]) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += "&#39;"; break;
    }
    from = at + 1;
  }
  out.append(t, from);
  return out;
}

const char* kStyle = R"(
:root { color-scheme: light; --ink: #1a1a1a; --muted: #4a4a4a; --line: #c8c8c8; --accent: #0b4f8a; --bg-soft: #f3f6f9; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem 1.25rem 3rem; font: 1rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 1.6rem; margin: 0.5rem 0; } h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 2px solid var(--line); } h3 { font-size: 1.1rem; margin-top: 1.4rem; }
a { color: var(--accent); } a:focus, summary:focus, button:focus { outline: 3px solid #f0a500; outline-offset: 2px; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; } caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.5rem; border-bottom: 1px solid var(--line); }
thead th { background: var(--bg-soft); } th[scope=row] { font-weight: 600; width: 30%; }
th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; color: var(--accent); cursor: pointer; text-decoration: underline; }
li { margin: 0.45rem 0; } .warning { font-weight: 600; }
details.why { margin: 0.2rem 0 0.4rem; color: var(--muted); } details.why summary { cursor: pointer; color: var(--accent); width: max-content; }
details.why ul { margin: 0.25rem 0; } .source { color: var(--muted); font-size: 0.95rem; }
.advisor { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9rem; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: 0.9rem; }
@media print { nav, th button { display: none; } details.why > *:not(summary) { display: block; } body { max-width: none; } }
)";

// Sorts a table by the column whose header button was pressed (numbers as
// numbers), announcing the order through aria-sort. Inline: nothing loaded.
const char* kScript = R"(
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('thead th').forEach(function (th, col) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = th.textContent;
    th.textContent = '';
    th.appendChild(b);
    b.addEventListener('click', function () {
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('thead th').forEach(function (o) { o.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b2) {
        var x = a.cells[col].getAttribute('data-sort') || a.cells[col].textContent;
        var y = b2.cells[col].getAttribute('data-sort') || b2.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
)";

class HtmlWriter {
 public:
  HtmlWriter(const Report& rep, const RuleSet& rules, View view) : rep_(rep), rules_(rules), advisor_(view == View::Advisor) {}

  std::string render() {
    std::string who = rep_.applicant.empty() ? "" : " for " + rep_.applicant;
    std::string title = (advisor_ ? "Advise report" : "Your advice") + who;
    out_ << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    // Which rules and knowledge base made the page: in its head for both
    // views, shown in the advisor's (the applicant's leaves authors' paths out).
    std::string used;
    if (rep_.used) {
      for (const std::string& p : rep_.used->paths) used += (used.empty() ? "" : ", ") + p;
      used = "rules: " + used + "; knowledge base: " + rep_.used->kb;
      out_ << "<meta name=\"advise-rules\" content=\"" << h(used) << "\">\n";
    }
    out_ << "<title>" << h(title) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
    out_ << "<header>\n<h1>" << h(title) << "</h1>\n";
    if (advisor_ && !used.empty()) out_ << "<p class=\"rules-used\">Rules: " << h(used.substr(7)) << "</p>\n";
    if (rep_.applicant_view && !rep_.applicant_view->stage.empty())
      out_ << "<p>Stage: " << h(rep_.applicant_view->stage) << "</p>\n";
    out_ << "</header>\n";
    out_ << "<nav aria-label=\"Contents\">\n<ul>\n<li><a href=\"#summary\">Summary</a></li>\n";
    if (applications()) out_ << "<li><a href=\"#programs\">Programs</a></li>\n";
    if (rep_.program_list) out_ << "<li><a href=\"#program-list\">Your program list</a></li>\n";
    out_ << "<li><a href=\"#details\">Details</a></li>\n";
    if (!rep_.figures.empty()) out_ << "<li><a href=\"#figures\">Where you stand</a></li>\n";
    if (advisor_ && (!rep_.conflicts.empty() || rep_.runaway)) out_ << "<li><a href=\"#authors\">For the rule authors</a></li>\n";
    out_ << "</ul>\n</nav>\n<main>\n";
    summary();
    programs();
    program_list();
    details();
    figures();
    authors();
    out_ << "</main>\n<footer>\n<p>Prepared with Advise from the strategic guide; each piece of advice names the guide "
            "section it comes from. Open &#8220;Why&#8221; under an item for the reasons drawn from your answers.</p>\n"
            "</footer>\n<script>"
         << kScript << "</script>\n</body>\n</html>\n";
    return out_.str();
  }

 private:
  const Report& rep_;
  const RuleSet& rules_;
  bool advisor_;
  std::ostringstream out_;

  const ConclusionEntry* applications() const {
    for (const ConclusionEntry& c : rep_.conclusions)
      if (c.name == "applications" && c.value.kind == Value::Kind::Map && !c.value.list_items().empty()) return &c;
    return nullptr;
  }

  void why(const Sentence& because, const std::vector<Sentence>& derivation, const std::string& source,
           const RuleRef* rule) {
    if (because.empty() && derivation.empty() && source.empty() && !rule) return;
    out_ << "<details class=\"why\"><summary>Why</summary>\n";
    if (!because.empty()) out_ << "<p>" << h(because.plain()) << ".</p>\n";
    if (!derivation.empty()) {
      out_ << "<ul>\n";
      for (const Sentence& s : derivation) out_ << "<li>" << h(s.plain()) << "</li>\n";
      out_ << "</ul>\n";
    }
    if (!source.empty()) out_ << "<p class=\"source\">Guide: " << h(source) << "</p>\n";
    if (advisor_ && rule)
      out_ << "<p class=\"advisor\">rule " << h(rule->name()) << " (" << h(place(rule->file(), rule->line)) << ")</p>\n";
    out_ << "</details>\n";
  }

  void item(const PlainItem& it) {
    const RuleRef* rule = nullptr;
    if (it.kind == PlainItem::Kind::Recommendation && it.index < rep_.recommendations.size())
      rule = &rep_.recommendations[it.index].rule;
    else if (it.kind != PlainItem::Kind::Recommendation && it.index < rep_.messages.size())
      rule = &rep_.messages[it.index].rule;
    out_ << "<li class=\"item\"" << (it.kind == PlainItem::Kind::Warning ? " data-kind=\"warning\"" : "") << ">";
    if (it.kind == PlainItem::Kind::Warning) out_ << "<span class=\"warning\">Warning:</span> ";
    for (const Span& p : it.words.spans) out_ << (p.kind == Span::Kind::Code ? "<code>" + h(p.text) + "</code>" : h(p.text));
    out_ << "\n";
    why(it.why, it.derivation, it.source, rule);
    out_ << "</li>\n";
  }

  void summary() {
    out_ << "<section id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n";
    const ApplicantView& v = *rep_.applicant_view;
    if (v.decisions.empty()) {
      out_ << "<p>No decision was reached for your profile.</p>\n";
    } else {
      out_ << "<table class=\"decisions\">\n<caption>Your decisions</caption>\n"
              "<thead><tr><th scope=\"col\">Decision</th><th scope=\"col\">Advice</th></tr></thead>\n<tbody>\n";
      for (const PlainDecision& d : v.decisions) {
        out_ << "<tr data-conclusion=\"" << h(d.name) << "\"><th scope=\"row\">" << h(d.label) << "</th><td>" << h(d.value)
             << "\n";
        if (!d.what_would_change.empty()) out_ << "<p class=\"what-would-change\">" << h(d.what_would_change.plain()) << "</p>\n";
        why(Sentence{}, d.derivation, "", nullptr);
        out_ << "</td></tr>\n";
      }
      out_ << "</tbody>\n</table>\n";
    }
    if (!v.actions.empty()) {
      out_ << "<h3>What to do now</h3>\n<ol class=\"actions\">\n";
      for (std::size_t i : v.actions) item(v.items[i]);
      out_ << "</ol>\n";
    }
    out_ << "</section>\n";
  }

  // The programs to apply to, per specialty, as a table sortable by each column.
  void programs() {
    const ConclusionEntry* apps = applications();
    if (!apps) return;
    const KnowledgeBase& kb = *rules_.kb;
    out_ << "<section id=\"programs\" aria-labelledby=\"programs-h\">\n<h2 id=\"programs-h\">Programs to apply to</h2>\n"
            "<table class=\"sortable\">\n<caption>How many programs to apply to, per specialty (select a column "
            "heading to sort)</caption>\n<thead><tr><th scope=\"col\">Specialty</th><th scope=\"col\">From</th>"
            "<th scope=\"col\">To</th></tr></thead>\n<tbody>\n";
    const ValueList& it = apps->value.list_items();
    for (std::size_t i = 0; i + 1 < it.size(); i += 2) {
      const Value& r = it[i + 1];
      std::string lo = r.kind == Value::Kind::Range ? kb.label(Value::number(r.num)) : kb.label(r);
      std::string hi = r.kind == Value::Kind::Range ? kb.label(Value::number(r.hi)) : "";
      out_ << "<tr><th scope=\"row\">" << h(kb.label(it[i])) << "</th><td data-sort=\"" << h(lo) << "\">" << h(lo)
           << "</td><td data-sort=\"" << h(hi) << "\">" << h(hi) << "</td></tr>\n";
    }
    out_ << "</tbody>\n</table>\n</section>\n";
  }

  // "Your program list" (advise --catalog): the fictitious notice, the counts
  // per specialty, then one table sortable by each column (the tier sorts in
  // tier order), each program's reasons folded under it.
  void program_list() {
    if (!rep_.program_list) return;
    const ProgramList& pl = *rep_.program_list;
    out_ << "<section id=\"program-list\" aria-labelledby=\"program-list-h\">\n<h2 id=\"program-list-h\">Your program "
            "list</h2>\n";
    if (pl.fictitious) out_ << "<p class=\"warning\" data-fictitious=\"true\">" << h(kFictitiousNotice) << "</p>\n";
    out_ << "<ul class=\"program-counts\">\n";
    for (const ProgramCount& c : pl.counts)
      out_ << "<li>" << h(c.specialty_name) << ": " << h(count_sentence(c)) << "</li>\n";
    out_ << "</ul>\n<table class=\"sortable program-list\">\n<caption>Programs by specialty and tier (select a column "
            "heading to sort)</caption>\n<thead><tr><th scope=\"col\">Specialty</th><th scope=\"col\">Tier</th>"
            "<th scope=\"col\">Signal</th><th scope=\"col\">Program</th><th scope=\"col\">State</th></tr></thead>\n"
            "<tbody>\n";
    EntryTexts rows(pl.entries, [advisor = advisor_](std::string& row, const ProgramEntry& e) {
      static const std::string tiers[] = {"anchor", "target", "reach", "long_shot", "excluded"};
      auto rank = std::find(std::begin(tiers), std::end(tiers), e.tier) - std::begin(tiers);
      row += "<tr data-program=\"" + h(e.program_id) + "\" data-tier=\"" + h(tier_label(e.tier)) + "\"><td>" +
             h(e.specialty_name) + "</td><td data-sort=\"" + std::to_string(rank) + "\">" + h(tier_label(e.tier)) +
             "</td><td>" + h(e.signal) + "</td><td data-sort=\"" + h(e.name) + "\">" + h(e.name) + " (" +
             h(e.program_id) + ")" + (e.contingency ? "; part of the contingency plan" : "") + "\n";
      row += "<details class=\"why\"><summary>Why</summary>\n<ul>\n";
      for (const ProgramReason& r : e.reasons) {
        row += "<li>" + h(r.description) + (r.values.empty() ? "" : ": " + h(r.values)) + " <span class=\"source\">(" +
               h(r.source) + ")</span>";
        if (advisor) row += " <span class=\"advisor\">rule " + h(r.name) + "</span>";
        row += "</li>\n";
      }
      row += "</ul>\n</details>\n</td><td>" + h(e.state) + "</td></tr>\n";
    });
    for (std::size_t i = 0; i < pl.entries.size(); ++i) out_ << rows[i];
    out_ << "</tbody>\n</table>\n</section>\n";
  }

  void details() {
    const ApplicantView& v = *rep_.applicant_view;
    out_ << "<section id=\"details\" aria-labelledby=\"details-h\">\n<h2 id=\"details-h\">Details</h2>\n";
    for (const auto& [id, title] : v.categories) {
      std::vector<std::size_t> in;
      for (std::size_t i = 0; i < v.items.size(); ++i)
        if (v.items[i].category == id && std::find(v.actions.begin(), v.actions.end(), i) == v.actions.end())
          in.push_back(i);
      if (in.empty()) continue;
      out_ << "<h3>" << h(title) << "</h3>\n<ul>\n";
      for (std::size_t i : in) item(v.items[i]);
      out_ << "</ul>\n";
    }
    out_ << "</section>\n";
  }

  void figures() {
    if (rep_.figures.empty()) return;
    out_ << "<section id=\"figures\" aria-labelledby=\"figures-h\">\n<h2 id=\"figures-h\">Where you stand</h2>\n<ul>\n";
    for (const FigureRef& f : rep_.figures) {
      if (f.repeated) continue;
      std::string src = f.source + (f.year ? ", " + std::to_string(f.year) : "") + (f.secondary ? ", secondary source" : "");
      out_ << "<li>" << h(f.text) << " <span class=\"source\">(source: " << h(src) << ")</span></li>\n";
    }
    out_ << "</ul>\n</section>\n";
  }

  // The rule authors' errors: only in the advisor's view.
  void authors() {
    if (!advisor_ || (rep_.conflicts.empty() && !rep_.runaway)) return;
    out_ << "<section id=\"authors\" aria-labelledby=\"authors-h\">\n<h2 id=\"authors-h\">For the rule authors</h2>\n<ul>\n";
    for (const ConflictExplanation& c : rep_.conflicts)
      out_ << "<li>" << (c.error ? "<strong>Error:</strong> " : "") << h(c.summary.plain()) << "</li>\n";
    if (rep_.runaway)
      out_ << "<li><strong>Error:</strong> " << h(*rep_.runaway) << " " << h(rep_.runaway_consequence.plain()) << "</li>\n";
    out_ << "</ul>\n</section>\n";
  }
};

}  // namespace

std::string render_html(const Report& report, const RuleSet& rules, View view) {
  if (!report.applicant_view || report.answer_only) {
    // The answers of --why-not, or a report built without the applicant's
    // view: the advisor's Markdown, as preformatted text in the page.
    std::string body = render_markdown(report, rules, View::Advisor);
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Advise report</title>\n"
                      "</head>\n<body>\n<main>\n<pre>";
    for (char c : body) out += c == '<' ? std::string("&lt;") : c == '&' ? std::string("&amp;") : c == '>' ? std::string("&gt;") : std::string(1, c);
    return out + "</pre>\n</main>\n</body>\n</html>\n";
  }
  HtmlWriter w(report, rules, view);
  return w.render();
}

}  // namespace advise
