#include "app/catalog.hpp"

#include <filesystem>
#include <ostream>

#include "app/common.hpp"
#include "app/heap.hpp"
#include "dsl/ruleset.hpp"

namespace advise::cli {

namespace fs = std::filesystem;

std::string program_list_rules_path() {
  // Beside rules/, not in it: the bundled rule set is every file of rules/,
  // and the program-list rules are read only with a catalog.
  return shown_path(data_dir() + "/catalog/program_list.rules");
}

std::vector<std::string> rules_with_catalog(const std::vector<std::string>& paths, bool catalog) {
  std::vector<std::string> out = paths.empty() ? std::vector<std::string>{bundled_rules_path()} : paths;
  if (!catalog) return out;
  std::string list = program_list_rules_path();
  std::error_code ec;
  for (const std::string& p : out) {
    if (fs::equivalent(p, list, ec)) return out;
    // A directory holding the program-list rules reads them already.
    if (fs::is_directory(p, ec) && fs::equivalent(fs::path(p) / "program_list.rules", list, ec)) return out;
  }
  out.push_back(list);
  return out;
}

bool read_fact_files(const std::vector<std::pair<std::string, std::string>>& files, const RuleSet& rules,
                     std::vector<FactRecord>& out, std::ostream& err, const std::string& what) {
  TemplateSet templates{rules.templates};
  std::size_t problems = 0;
  for (const auto& [path, tmpl] : files) {
    std::vector<DataError> errors;
    bool ok = read_facts_file(path, tmpl, *rules.kb, templates, out, errors);
    std::size_t found = 0;
    for (const DataError& e : errors) {
      err << e.text() << "\n";  // warnings too: the records are read all the same
      if (!e.warning) ++found;
    }
    if (!ok) problems += found == 0 ? 1 : found;
  }
  if (problems == 0) return true;
  err << "advise: " << problems << (problems == 1 ? " problem" : " problems") << " in the " << what
      << "; nothing was evaluated\n";
  return false;
}

bool read_catalogs(const std::vector<std::string>& catalogs, const std::string& kb_dir, const RuleSet& rules,
                   std::vector<FactRecord>& out, std::ostream& err) {
  std::vector<std::pair<std::string, std::string>> files;
  std::uintmax_t bytes = 0;
  for (const std::string& path : catalogs) {
    files.emplace_back(path, fs::path(path).extension() == ".csv" ? "program" : "");
    std::error_code ec;
    if (std::uintmax_t n = fs::file_size(path, ec); !ec) bytes += n;
  }
  prepare_heap_for(bytes);
  // Shown as the user would write it (relative to the working folder when
  // under it): reports name where each fact came from, and must not depend
  // on where the checkout lies.
  files.emplace_back(shown_path((fs::path(kb_dir) / "signals.json").string()), "");
  return read_fact_files(files, rules, out, err, "catalog");
}

void warn_connections(const Profile& profile, const std::string& text, const RuleSet& rules,
                      const std::vector<FactRecord>& catalog, std::ostream& err) {
  std::vector<DataError> warnings = connection_warnings(profile, TemplateSet{rules.templates}, catalog);
  locate_data_errors(text, profile.source, warnings, 0);
  for (const DataError& e : warnings) err << e.text() << "\n";
}

}  // namespace advise::cli
