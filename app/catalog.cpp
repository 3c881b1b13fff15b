#include "app/catalog.hpp"

#include <ctime>
#include <filesystem>
#include <ostream>

#include <spdlog/spdlog.h>

#include "app/common.hpp"
#include "app/startup_cache.hpp"
#include "dsl/fact_cache.hpp"
#include "dsl/rule_cache.hpp"
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
  // The catalog cache (dsl/fact_cache.hpp): each file's records and
  // messages, read back when its text, templates and binary are those of
  // the entry.
  std::string cache = startup_cache_dir();
  std::string id = cache.empty() ? "" : binary_id();
  bool pruned = false;
  for (const auto& [path, tmpl] : files) {
    std::vector<DataError> errors;
    FactCacheNote note;
    bool ok = read_facts_file_cached(cache, id, path, tmpl, *rules.kb, templates, out, errors, note);
    switch (note.outcome) {
      case FactCacheNote::Outcome::Off: break;
      case FactCacheNote::Outcome::Hit:
        spdlog::debug("catalog cache: read {} for {}", note.file, path);
        touch_rule_cache(note.file, static_cast<std::int64_t>(std::time(nullptr)));  // used now: kept by the cleaning
        break;
      case FactCacheNote::Outcome::Written:
        spdlog::debug("catalog cache: not used for {}: {}; wrote {}", path, note.why, note.file);
        if (!pruned) {  // stale entries go when a new one is written, as the rule cache's
          pruned = true;
          for (const std::string& gone : prune_rule_cache(cache, fs::path(note.file).filename().string(),
                                                          static_cast<std::int64_t>(std::time(nullptr)),
                                                          kRuleCacheMaxAgeSeconds, kRuleCacheMaxEntries, "facts-"))
            spdlog::debug("catalog cache: removed the stale {}/{}", cache, gone);
        }
        break;
      case FactCacheNote::Outcome::NotWritten:
        spdlog::debug("catalog cache: not used for {}: {}", path, note.why);
        break;
    }
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

std::uintmax_t catalog_bytes(const std::vector<std::string>& catalogs) {
  std::uintmax_t bytes = 0;
  for (const std::string& path : catalogs) {
    std::error_code ec;
    if (std::uintmax_t n = fs::file_size(path, ec); !ec) bytes += n;
  }
  return bytes;
}


bool read_catalogs(const std::vector<std::string>& catalogs, const std::string& kb_dir, const RuleSet& rules,
                   std::vector<FactRecord>& out, std::ostream& err) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const std::string& path : catalogs)
    files.emplace_back(path, fs::path(path).extension() == ".csv" ? "program" : "");
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
