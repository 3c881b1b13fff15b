// The program catalog on the command line (`--catalog FILE`, repeatable):
// the program-list rules join the rule set, and the catalog's programs and
// the kb's signal allowances (kb/signals.json) join the facts.
// docs/catalog.md, docs/cli.md.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "kb/facts.hpp"

namespace advise {
struct RuleSet;
}

namespace advise::cli {

// rules/program_list.rules beside the bundled rules.
std::string program_list_rules_path();

// The rule paths to load: `paths` (the bundled rules when empty), and with a
// catalog the program-list rules too, unless a path already names them.
std::vector<std::string> rules_with_catalog(const std::vector<std::string>& paths, bool catalog);

// Reads facts files one after another into `out`: each a path and, for a
// CSV, the template its rows are records of ("" otherwise). Prints every
// problem (file, line, column), warnings included, and, when there was one, "N problems in the
// WHAT; nothing was evaluated"; false then.
bool read_fact_files(const std::vector<std::pair<std::string, std::string>>& files, const RuleSet& rules,
                     std::vector<FactRecord>& out, std::ostream& err, const std::string& what);

// The catalogs' size on disk (a file that cannot be read counts 0): what
// cli::main readies the heap for (app/heap.hpp).
std::uintmax_t catalog_bytes(const std::vector<std::string>& catalogs);

// Reads every catalog (a CSV of `program` records, or a JSON file of
// records keyed by template) and then `kb_dir`/signals.json into `out`.
// Prints every problem (file, line, column) and returns false on any;
// nothing is evaluated then.
bool read_catalogs(const std::vector<std::string>& catalogs, const std::string& kb_dir, const RuleSet& rules,
                   std::vector<FactRecord>& out, std::ostream& err);

// Prints a warning, located in the profile's `text`, for each program
// connection of the profile whose id the catalog does not hold
// (connection_warnings, kb/facts.hpp).
void warn_connections(const Profile& profile, const std::string& text, const RuleSet& rules,
                      const std::vector<FactRecord>& catalog, std::ostream& err);

}  // namespace advise::cli
