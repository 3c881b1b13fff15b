// advise check [PATH...]: parse and check rule files against the knowledge base.
#include <iostream>

#include "app/commands.hpp"
#include "app/common.hpp"

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
  auto rs = load_rule_set(paths, kb, sources, diags);
  diags.sort();
  if (o.format == "json") {
    out << render_json(*sources, diags);
  } else {
    out << render_text(*sources, diags);
    std::size_t e = diags.error_count(), w = diags.warning_count();
    std::size_t rules = rs ? rs->rules.size() : 0;
    err << sources->size() << " file" << (sources->size() == 1 ? "" : "s") << " checked";
    if (rs) err << ", " << rules << " rule" << (rules == 1 ? "" : "s");
    err << ": " << e << " error" << (e == 1 ? "" : "s") << ", " << w << " warning" << (w == 1 ? "" : "s") << "\n";
  }
  if (!unlabeled.empty())
    err << "advise: " << unlabeled.size() << (unlabeled.size() == 1 ? " value has" : " values have")
        << " no display name in the knowledge base\n";
  return diags.has_errors() || !unlabeled.empty() ? kExitFindings : kExitOk;
}

}  // namespace advise::cli
