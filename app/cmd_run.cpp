// advise [run] PROFILE: advise one applicant. Reads and validates the
// profile, loads the rules (the bundled ones by default), evaluates, builds
// the report once and renders it in the format asked for.
//
// Exit codes: 0 the report was written; 1 the report was written but the
// rules misbehaved for this profile (two rules of equal priority set one
// conclusion to different values, or evaluation stopped at the firing limit);
// 2 bad input or usage (the profile, the rules, a --why-not name that names
// nothing, an output file that cannot be written). docs/report.md.
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/atomic_file.hpp"
#include "app/catalog.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "app/startup_cache.hpp"
#include "engine/explain.hpp"
#include "engine/render.hpp"
#include "engine/whatif.hpp"
#include "kb/sanitize.hpp"
#include "kb/facts.hpp"
#include "kb/profile.hpp"

namespace advise::cli {

namespace {

// Reads every --facts argument against the rules' templates; prints the
// problems and returns false on any (nothing is evaluated then).
bool read_facts(const std::vector<std::string>& args, const RuleSet& rules, std::vector<FactRecord>& out,
                std::ostream& err) {
  std::vector<std::pair<std::string, std::string>> files;  // path, template of a CSV
  for (const std::string& arg : args) {
    auto eq = arg.find('=');
    if (eq != std::string::npos && arg.find('/') > eq)
      files.emplace_back(arg.substr(eq + 1), arg.substr(0, eq));
    else
      files.emplace_back(arg, "");
  }
  if (!files.empty() && rules.templates.empty()) {
    err << DataError{files.front().first, "", 0, 0,
                     "the rules declare no template, so they read no facts; declare one (`template NAME ... end`) "
                     "or leave out --facts",
                     {}}
               .text()
        << "\n";
    return false;
  }
  return read_fact_files(files, rules, out, err, "facts");
}

bool has_error_conflict(const Report& r) {
  for (const ConflictExplanation& c : r.conflicts)
    if (c.error) return true;
  return false;
}

}  // namespace

int cmd_run(const RunOptions& o, std::ostream& out, std::ostream& err) {
  std::string kb_dir = o.kb_dir.empty() ? default_kb_dir() : o.kb_dir;
  std::vector<std::string> paths = rules_with_catalog(o.rules, !o.catalogs.empty());
  std::string joined;
  for (const std::string& p : paths) joined += (joined.empty() ? "" : ", ") + p;
  spdlog::info("loading the knowledge base from {} and rules from {}", kb_dir, joined);
  auto loaded = load_rules_or_report(paths, kb_dir, err);
  if (!loaded) return kExitUsage;
  spdlog::info("{} rules checked ({} warnings)", loaded->rules->rules.size(), loaded->diags.warning_count());

  std::string shown = o.profile == "-" ? "<stdin>" : o.profile;
  std::string text;
  std::optional<FileStamp> profile_stamp;
  if (!read_profile(o.profile, shown, text, profile_stamp, err)) return kExitUsage;
  std::vector<DataError> errors;
  auto profile = load_profile(text, shown, *loaded->kb, errors);
  if (!profile) {
    for (const DataError& e : errors) err << e.text() << "\n";
    err << "advise: " << shown << ": " << errors.size() << (errors.size() == 1 ? " problem" : " problems")
        << " in the profile; nothing was evaluated\n";
    return kExitUsage;
  }
  spdlog::info("profile {} read: {} bytes", shown, text.size());

  std::shared_ptr<const RuleSet> rule_set = loaded->rules;
  if (!o.strategy.empty()) {
    auto copy = std::make_shared<RuleSet>(*rule_set);
    copy->strategy = *parse_rule_strategy(o.strategy);
    rule_set = std::move(copy);
  }
  // The facts, the result and the report live until the process exits, like
  // the rules (keep_until_exit): freeing a 10,000-program catalog's records
  // and what was made from them is work no one waits for.
  auto facts_kept = std::make_shared<std::vector<FactRecord>>();
  keep_until_exit(facts_kept);
  std::vector<FactRecord>& facts = *facts_kept;
  if (!read_facts(o.facts, *rule_set, facts, err)) return kExitUsage;
  if (!o.catalogs.empty() && !read_catalogs(o.catalogs, kb_dir, *rule_set, facts, err)) return kExitUsage;
  if (!o.catalogs.empty()) warn_connections(*profile, text, *rule_set, facts, err);
  if (!o.facts.empty() || !o.catalogs.empty()) spdlog::info("{} facts read", facts.size());

  Engine engine(rule_set);
  EngineOptions eo;
  eo.max_firings = o.max_firings;
  eo.facts = &facts;
  auto result_kept = std::make_shared<Result>(engine.evaluate(*profile, eo));
  keep_until_exit(result_kept);
  const Result& result = *result_kept;
  spdlog::info("{} firings, {} recommendations, {} conflicts{}", result.firings.size(),
               result.recommendations.size(), result.conflicts.size(), result.runaway ? ", stopped (runaway)" : "");

  bool applicant = o.view.empty() ? o.format == "markdown" || o.format == "html" : o.view == "applicant";
  bool html = o.format == "html";  // both of its views draw on the applicant's
  if (applicant && (o.format == "json" || o.format == "dot")) {
    err << "advise: --for applicant: the " << o.format
        << " report is for programs and advisors and always holds everything; use --format markdown, html or text "
           "for the applicant's view\n";
    return kExitUsage;
  }
  View view = applicant ? View::Applicant : View::Advisor;

  ReportOptions ro;
  ro.explain = o.explain || o.format == "dot";  // the graph is drawn from the derivations
  ro.trace = o.trace || o.format == "dot";  // the graph draws the facts each firing matched
  ro.why_not = o.why_not;
  ro.applicant = applicant || html;
  ro.answer_only = !o.why_not.empty();
  auto report_kept = std::make_shared<Report>(build_report(result, ro));
  keep_until_exit(report_kept);
  Report& report = *report_kept;
  report.used = RulesUsed{{}, shown_path(kb_dir)};
  for (const std::string& p : paths) report.used->paths.push_back(shown_path(p));
  // The "what would change this" lines: in the reports people read (text,
  // Markdown, HTML, both views); JSON and DOT are for programs and stay as
  // `advise batch` writes them. Not with --why-not, which prints only answers.
  if ((o.format == "text" || o.format == "markdown" || o.format == "html") && o.why_not.empty())
    add_what_would_change(report, engine, *profile, result, eo);

  const RuleSet& rules = *loaded->rules;
  WriteOptions wo;
  if (profile_stamp) wo.inputs.emplace_back(shown, *profile_stamp);
  std::string rendered;
  if (o.format == "text") {
    // Written as it is made, in chunks: a report of half a million notes
    // (38 MB) is never held whole.
    auto render = [&](std::ostream& s) { render_text(s, report, rules, TextStyle{o.color}, view); };
    if (!deliver_streamed(out, err, o.output, render, "report", wo)) return kExitUsage;
  } else {
    if (o.format == "json") {
      rendered = render_json(report, rules);
    } else if (o.format == "markdown") {
      rendered = render_markdown(report, rules, view);
    } else if (o.format == "html") {
      rendered = render_html(report, rules, view);
    } else if (o.format == "dot") {
      rendered = render_dot(report, rules);
    } else if (o.format == "csv") {  // advise list
      if (!report.program_list) {
        err << "advise list: the catalog holds no program, so there is no list\n";
        return kExitUsage;
      }
      rendered = program_list_csv(*report.program_list);
    } else {
      err << "advise: unknown format `" << o.format << "`; use text, json, markdown or dot\n";
      return kExitUsage;
    }
    if (!deliver(out, err, o.output, rendered, "report", wo)) return kExitUsage;
  }
  if (!o.output.empty()) spdlog::info("report written to {}", o.output);

  int code = kExitOk;
  for (const WhyNot& w : report.why_not)
    if (!w.error.empty()) {
      err << "advise: --why-not " << terminal_safe(w.query) << ": " << terminal_safe(w.error) << "\n";
      code = kExitUsage;
    }
  if (code != kExitOk) return code;
  // --why-not prints only the answer, and it was answered.
  if (!report.why_not.empty()) return kExitOk;
  if (report.runaway) {
    err << "advise: " << terminal_safe(*report.runaway) << "\n";
    code = kExitFindings;
  }
  if (has_error_conflict(report)) {
    std::size_t n = 0;
    for (const ConflictExplanation& c : report.conflicts) n += c.error ? 1 : 0;
    err << "advise: the rules contradict each other for this profile (" << n
        << (n == 1 ? " conflict" : " conflicts") << " between rules of equal priority); see the report\n";
    code = kExitFindings;
  }
  return code;
}

}  // namespace advise::cli
