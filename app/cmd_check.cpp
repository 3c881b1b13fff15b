// advise check [PATH...]: parse and check rule files against the knowledge
// base, then analyse what the rules do together (engine/analysis.hpp).
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "engine/analysis.hpp"
#include "kb/json_writer.hpp"
#include "kb/sanitize.hpp"

namespace advise::cli {

int cmd_check(const CheckOptions& o, std::ostream& out, std::ostream& err) {
  std::string kb_dir = o.kb_dir.empty() ? default_kb_dir() : o.kb_dir;
  auto kb = load_kb_or_report(kb_dir, err);
  if (!kb) return kExitUsage;
  // Every value an applicant may read needs a display name (docs/report.md).
  std::vector<DataError> unlabeled = kb->missing_labels();
  for (const DataError& e : unlabeled) err << e.text() << "\n";
  std::vector<std::string> paths = o.paths.empty() ? std::vector<std::string>{default_rules_dir()} : o.paths;
  auto sources = std::make_shared<SourceManager>();
  Diagnostics diags;
  // A path that does not exist is a usage mistake, exit 2 as in every
  // command, with the nearest name in its folder.
  bool missing_path = false;
  std::vector<std::string> present;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(p, ec))) {
      diags.report_file(DiagKind::IoError, p, "no such file or directory" + path_suggestion(p));
      missing_path = true;
    } else {
      present.push_back(p);
    }
  }
  // Without the analysis nothing needs the compiled rules: they are dropped
  // as they are checked (check_rule_files).
  std::optional<RuleSet> rs;
  std::optional<std::size_t> count;
  if (!present.empty()) {
    if (o.analysis) {
      rs = load_rule_set(present, kb, sources, diags);
      if (rs) count = rs->rules.size();
    } else {
      count = check_rule_files(present, kb, sources, diags);
    }
  }
  std::size_t rules = count.value_or(0);
  bool checked = count.has_value() && !missing_path;
  bool analysis_incomplete = false;
  if (checked && o.analysis) {
    auto shared = std::make_shared<const RuleSet>(std::move(*rs));
    AnalysisOptions ao;
    ao.shadowed = o.verbose;
    auto start = std::chrono::steady_clock::now();
    AnalysisStats st = analyze_rules(shared, ao, diags);
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    spdlog::debug("analysis: {} questions, {} engine runs, {:.0f} ms", st.questions, st.engine_runs, ms);
    if (st.incomplete && o.format != "json")
      err << "advise check: the analysis stopped at its budget (" << rules
          << " rules); the rules are checked, but conflicts, dead rules, loops or placeholders past it may not be "
             "reported\n";
    analysis_incomplete = st.incomplete;
  }
  if (o.strict) diags.promote_warnings();
  diags.sort();
  std::size_t e = diags.error_count(), w = diags.warning_count();
  // Written as it is made and handed on in chunks of 64 KiB (deliver_streamed,
  // as `run`'s text report): a large rule set's diagnostics are never one
  // document in memory, nor one string; a write that fails says so.
  std::function<void(std::ostream&)> render;
  if (o.format == "json") {
    // The schema is documented in docs/cli.md ("advise check --format json").
    // kb/json_writer.hpp writes the bytes nlohmann's dump would, here a
    // diagnostic at a time.
    render = [&](std::ostream& s) {
      std::string buf;
      JsonWriter jw(buf, JsonWriter::Style::Indented);
      jw.begin_object();
      jw.key("schema");
      jw.string("advise-check/1");
      jw.key("files");
      jw.integer(static_cast<unsigned long long>(sources->size()));
      jw.key("rules");
      if (checked) {
        jw.integer(static_cast<unsigned long long>(rules));
      } else {
        jw.null();
      }
      jw.key("errors");
      jw.integer(static_cast<unsigned long long>(e));
      jw.key("warnings");
      jw.integer(static_cast<unsigned long long>(w));
      jw.key("strict");
      jw.boolean(o.strict);
      jw.key("analysis_complete");
      jw.boolean(!analysis_incomplete);
      // Which rules and knowledge base were checked (as given, or relative to
      // the current directory when inside it).
      jw.key("used");
      jw.begin_object();
      jw.key("paths");
      jw.begin_array();
      for (const std::string& p : paths) jw.string(shown_path(p));
      jw.end_array();
      jw.key("kb");
      jw.string(shown_path(kb_dir));
      jw.end_object();
      jw.key("diagnostics");
      jw.begin_array();
      for (const Diagnostic& d : diags.all()) {
        write_json(jw, *sources, d);
        s << buf;
        buf.clear();
      }
      jw.end_array();
      jw.end_object();
      buf += '\n';
      s << buf;
    };
  } else {
    render = [&](std::ostream& s) {
      for (const Diagnostic& d : diags.all()) s << render_text(*sources, d);
    };
  }
  bool written = deliver_streamed(out, err, "", render, "diagnostics");
  if (o.format != "json") {
    std::string shown;
    for (const std::string& p : paths) shown += (shown.empty() ? "" : ", ") + shown_path(p);
    err << terminal_safe("advise check: rules " + shown + ", knowledge base " + shown_path(kb_dir)) << "\n";
    err << sources->size() << " file" << (sources->size() == 1 ? "" : "s") << " checked";
    if (checked) err << ", " << rules << " rule" << (rules == 1 ? "" : "s");
    err << ": " << e << " error" << (e == 1 ? "" : "s") << ", " << w << " warning" << (w == 1 ? "" : "s") << "\n";
  }
  if (missing_path || !written) return kExitUsage;
  if (!unlabeled.empty())
    err << "advise: " << unlabeled.size() << (unlabeled.size() == 1 ? " value has" : " values have")
        << " no display name in the knowledge base\n";
  return e > 0 || !unlabeled.empty() ? kExitFindings : kExitOk;
}

}  // namespace advise::cli
