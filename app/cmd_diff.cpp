// advise diff --old PATH --new PATH PROFILE...: whose advice changes between
// two rule sets, and why (docs/testing.md).
//
// Both rule sets run on every profile. For each profile whose conclusions or
// recommendations differ, the text report gives each change before and
// after, with the rule responsible on each side and the tests that held when
// it fired. A side whose evaluation did not finish (the rules kept firing
// until the firing limit) is a finding too, reported with the engine's
// message. Constants whose values differ come first; notes and warnings whose
// wording changed are changes too. "0 of N profiles changed" when nothing
// did. Exit 0 when nothing
// changed, 1 when some profile's advice changed or a side did not finish (as
// `diff` and `git diff --exit-code` do, so CI can gate on it), 2 for bad
// rules, profiles or options. `--format json` always prints one document.
// Text from files (names, paths, rule texts) goes through the one sanitizer
// (kb/sanitize.hpp) on its way to the terminal. The diff itself is the
// library's (diff_results, engine/diff.hpp); this file runs the rule sets on
// the profiles and renders it.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "engine/render_diff.hpp"
#include "kb/sanitize.hpp"

namespace advise::cli {

namespace {

namespace fs = std::filesystem;

std::string shown(const fs::path& p) {
  if (!p.is_absolute()) return p.lexically_normal().string();
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  fs::path rel = p.lexically_normal().lexically_relative(cwd);
  if (ec || rel.empty() || *rel.begin() == "..") return p.lexically_normal().string();
  return rel.string();
}

// What a path holds, by its content: rules (a `.rules` file, or a folder
// holding one), profiles (a `.json` file, a folder of them, or `-`), or
// neither (it does not exist: left to the readers, which say so).
enum class Holds { Rules, Profiles, Unknown };

Holds holds(const std::string& p) {
  if (p == "-") return Holds::Profiles;
  std::error_code ec;
  fs::path path(p);
  if (fs::is_directory(path, ec)) {
    // A folder of `.json` files is profiles, whatever else it holds (a
    // test folder may hold both); one of `.rules` files only is rules.
    bool json = false, rules = false;
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->path().extension() == ".rules") rules = true;
      if (it->path().extension() == ".json") json = true;
    }
    return json ? Holds::Profiles : rules ? Holds::Rules : Holds::Unknown;
  }
  if (path.extension() == ".rules") return Holds::Rules;
  if (path.extension() == ".json" || fs::is_regular_file(path, ec)) return Holds::Profiles;
  return Holds::Unknown;
}

std::optional<RuleSet> load_side(const std::vector<std::string>& paths, const char* which,
                                  std::shared_ptr<const KnowledgeBase> kb, std::shared_ptr<SourceManager> sources,
                                  std::ostream& err) {
  Diagnostics diags;
  auto rs = load_rule_set(paths, std::move(kb), sources, diags);
  if (!rs || diags.has_errors()) {
    diags.sort();
    err << render_text(*sources, diags);
    err << "advise diff: the " << which << " rules have " << diags.error_count() << " error"
        << (diags.error_count() == 1 ? "" : "s") << "; run `advise check` on them\n";
    return std::nullopt;
  }
  return rs;
}

}  // namespace

int cmd_diff(const DiffOptions& given, std::ostream& out, std::ostream& err) {
  // Arguments in either order: `advise diff OLD NEW PROFILE...` as well as
  // `--old OLD --new NEW PROFILE...`, the profiles before or after; each
  // argument is told apart by what it holds, and a mix-up is refused with a
  // message saying which is which.
  DiffOptions o = given;
  {
    std::vector<std::string> rule_args, profile_args;
    for (const std::string& p : o.profiles) (holds(p) == Holds::Rules ? rule_args : profile_args).push_back(p);
    for (const auto* side : {&o.old_rules, &o.new_rules})
      for (const std::string& p : *side)
        if (holds(p) == Holds::Profiles) {
          err << "advise diff: `" << terminal_safe(p) << "` holds profiles, not rules: give the rules with `--"
              << (side == &o.old_rules ? "old" : "new") << "` and the profiles as arguments\n";
          return kExitUsage;
        }
    if (!rule_args.empty()) {
      if (o.old_rules.empty() && o.new_rules.empty() && rule_args.size() == 2) {
        o.old_rules = {rule_args[0]};
        o.new_rules = {rule_args[1]};
      } else {
        err << "advise diff: `" << terminal_safe(rule_args[0])
            << "` holds rules, not profiles: give two rule sets (`advise diff OLD NEW PROFILE...`, or `--old OLD "
               "--new NEW`) and then the profiles\n";
        return kExitUsage;
      }
    }
    o.profiles = profile_args;
    if (o.old_rules.empty() || o.new_rules.empty()) {
      err << "advise diff: give the old and the new rules (`advise diff OLD NEW PROFILE...`, or `--old OLD --new "
             "NEW PROFILE...`)\n";
      return kExitUsage;
    }
    if (o.profiles.empty()) {
      err << "advise diff: give the profiles to compare (`.json` files or folders of them)\n";
      return kExitUsage;
    }
  }
  std::string kb_dir = o.kb_dir.empty() ? default_kb_dir() : o.kb_dir;
  auto kb = load_kb_or_report(kb_dir, err);
  if (!kb) return kExitUsage;
  auto old_sources = std::make_shared<SourceManager>();
  auto new_sources = std::make_shared<SourceManager>();
  auto old_rs = load_side(o.old_rules, "old", kb, old_sources, err);
  auto new_rs = load_side(o.new_rules, "new", kb, new_sources, err);
  if (!old_rs || !new_rs) return kExitUsage;
  std::vector<ConstantDiff> constants = constant_changes(*old_rs, *new_rs);

  // The profiles: files, or directories of *.json (sorted); all checked
  // before anything runs.
  std::vector<std::string> files;
  bool bad = false;
  for (const std::string& p : o.profiles) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        if (it->is_regular_file() && it->path().extension() == ".json") found.push_back(it->path());
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        err << terminal_safe(shown(p)) << ": error: the directory holds no `.json` profiles\n";
        bad = true;
      }
      for (const fs::path& f : found) files.push_back(shown(f));
    } else {
      files.push_back(p);
    }
  }
  std::vector<Profile> profiles;
  for (const std::string& f : files) {
    std::string text, error;
    if (!read_input(f, kMaxProfileBytes, text, error, nullptr, "a profile file (a JSON object)")) {
      err << terminal_safe(f) << ": error: " << terminal_safe(error) << "\n";
      bad = true;
      continue;
    }
    std::vector<DataError> errors;
    auto prof = load_profile(text, f == "-" ? "<stdin>" : f, *kb, errors);
    if (!prof) {
      for (const DataError& e : errors) err << e.text() << "\n";
      bad = true;
      continue;
    }
    profiles.push_back(std::move(*prof));
  }
  if (bad) {
    err << "advise diff: bad profiles; nothing was compared\n";
    return kExitUsage;
  }

  Engine old_engine(std::make_shared<const RuleSet>(std::move(*old_rs)));
  Engine new_engine(std::make_shared<const RuleSet>(std::move(*new_rs)));
  DiffReport report;
  // Which rules and knowledge base were compared (issue 17: every command says).
  for (const std::string& p : o.old_rules) report.old_rules.push_back(shown_path(p));
  for (const std::string& p : o.new_rules) report.new_rules.push_back(shown_path(p));
  report.kb = shown_path(kb_dir);
  report.profiles = profiles.size();
  report.constants = std::move(constants);
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    auto change = std::make_unique<DiffReport::Change>();
    change->before = old_engine.evaluate(profiles[i]);
    change->after = new_engine.evaluate(profiles[i]);
    change->diff = diff_results(change->before, change->after);
    if (!change->diff.changed()) continue;
    change->path = files[i];
    change->name = profiles[i].name();
    report.changes.push_back(std::move(change));
  }
  out << (o.format == "json" ? render_diff_json(report) : render_diff_text(report));
  return report.changes.empty() ? kExitOk : kExitFindings;
}

}  // namespace advise::cli
