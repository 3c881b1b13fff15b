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
#include "app/commands.hpp"
#include "app/common.hpp"
#include "engine/explain.hpp"
#include "engine/render.hpp"
#include "kb/sanitize.hpp"
#include "kb/profile.hpp"

namespace advise::cli {

namespace {

// Reads the profile text; on failure prints `FILE: error: ...` and returns false.
bool read_profile(const std::string& path, const std::string& shown, std::string& text, std::optional<FileStamp>& stamp,
                  std::ostream& err) {
  auto fail = [&](const std::string& message) {
    err << DataError{shown, "", 0, 0, message, {}}.text() << "\n";
    return false;
  };
  std::string error;
  if (!read_input(path, kMaxProfileBytes, text, error, &stamp, "a profile file (a JSON object)")) {
    if (path == "-" && error.rfind("standard input is ", 0) == 0) error = "the input is " + error.substr(18);
    return fail(error);
  }
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return fail(std::string(path == "-" ? "standard input" : "the file") + (text.empty() ? " is empty" : " holds only blanks") +
                "; a profile is a JSON object, like {\"stage\": \"ms3\", \"step2ck\": 251}");
  return true;
}

bool has_error_conflict(const Report& r) {
  for (const ConflictExplanation& c : r.conflicts)
    if (c.error) return true;
  return false;
}

}  // namespace

int cmd_run(const RunOptions& o, std::ostream& out, std::ostream& err) {
  std::string kb_dir = o.kb_dir.empty() ? default_kb_dir() : o.kb_dir;
  std::vector<std::string> paths = o.rules.empty() ? std::vector<std::string>{bundled_rules_path()} : o.rules;
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

  Engine engine(loaded->rules);
  EngineOptions eo;
  eo.max_firings = o.max_firings;
  Result result = engine.evaluate(*profile, eo);
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
  ro.trace = o.trace;
  ro.why_not = o.why_not;
  ro.applicant = applicant || html;
  ro.answer_only = !o.why_not.empty();
  Report report = build_report(result, ro);

  const RuleSet& rules = *loaded->rules;
  std::string rendered;
  if (o.format == "json") {
    rendered = render_json(report, rules);
  } else if (o.format == "markdown") {
    rendered = render_markdown(report, rules, view);
  } else if (o.format == "html") {
    rendered = render_html(report, rules, view);
  } else if (o.format == "dot") {
    rendered = render_dot(report, rules);
  } else if (o.format == "text") {
    rendered = render_text(report, rules, TextStyle{o.color}, view);
  } else {
    err << "advise: unknown format `" << o.format << "`; use text, json, markdown or dot\n";
    return kExitUsage;
  }

  if (o.output.empty()) {
    std::string error;
    if (!write_output(out, rendered, error)) {
      err << DataError{"<stdout>", "", 0, 0, "cannot write the report: " + error, {}}.text() << "\n";
      return kExitUsage;
    }
  } else {
    std::string error;
    WriteOptions wo;
    if (profile_stamp) wo.inputs.emplace_back(shown, *profile_stamp);
    if (!write_file_atomically(o.output, rendered, error, wo)) {
      err << DataError{o.output, "", 0, 0, "cannot write the report: " + error, {}}.text() << "\n";
      return kExitUsage;
    }
    spdlog::info("report written to {}", o.output);
  }

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
