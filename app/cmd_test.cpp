// advise test [PATH...]: run regression cases against the rules
// (docs/testing.md). Exit 0 when every case passes, 1 when any fails (or
// coverage is below --min-coverage, or --update left failures it cannot
// write), 2 when a case file, the rules or the options are bad.
//
// The report goes to stdout, unless stdout carries a machine format
// (--coverage-format json, --junit -); then the report goes to stderr.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "app/atomic_file.hpp"
#include "app/catalog.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "cases/cases.hpp"
#include "kb/sanitize.hpp"

namespace advise::cli {

namespace {

namespace fs = std::filesystem;
using namespace advise::cases;

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string stem(const std::string& path) { return fs::path(path).stem().string(); }

}  // namespace

namespace {

// Whether a case file among `paths` (files, directories, FILE:LINE) has a
// `catalog` line: a quick look at the text, before the rules are loaded.
bool cases_use_catalog(const std::vector<std::string>& paths) {
  std::error_code ec;
  auto look = [](const fs::path& f) {
    std::ifstream in(f);
    for (std::string line; std::getline(in, line);) {
      std::size_t i = line.find_first_not_of(" \t");
      if (i != std::string::npos && line.compare(i, 8, "catalog ") == 0) return true;
    }
    return false;
  };
  for (std::string p : paths) {
    if (!fs::exists(p, ec)) {
      auto colon = p.rfind(':');
      if (colon != std::string::npos) p = p.substr(0, colon);
    }
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        if (it->is_regular_file() && it->path().extension() == ".cases" && look(it->path())) return true;
    } else if (look(p)) {
      return true;
    }
  }
  return false;
}

}  // namespace

cases::SuiteEnv suite_env() {
  cases::SuiteEnv env;
  env.read = [](const std::string& path, std::size_t limit, std::string_view give) {
    cases::FileRead r;
    ReadFailure why = ReadFailure::None;
    if (read_input(path, limit, r.text, r.error, nullptr, give, &why)) return r;
    r.status = why == ReadFailure::NotFound   ? cases::FileRead::Status::NotFound
               : why == ReadFailure::TooLarge ? cases::FileRead::Status::TooLarge
                                              : cases::FileRead::Status::Failed;
    if (why == ReadFailure::NotFound) {
      // The suggestion apart from the reason: the case library words its own message around it.
      r.error = "no such file";
      r.hint = path_suggestion(path);
    }
    return r;
  };
  env.data_dir = data_dir();
  env.default_kb_dir = default_kb_dir();
  env.find_project = [](const std::string& folder) { return find_project(folder); };
  return env;
}

int cmd_test(const TestOptions& o, std::ostream& out, std::ostream& err) {
  // --coverage-format json alone asks for coverage too.
  bool json_coverage = o.coverage_format == "json";
  bool want_coverage = o.coverage || json_coverage;
  if (json_coverage && o.junit == "-") {
    err << "advise test: --coverage-format json and --junit - both write to standard output; write the JUnit "
           "XML to a file\n";
    return kExitUsage;
  }
  std::ostream& report = (json_coverage || o.junit == "-") ? err : out;

  std::string kb_dir = o.kb_dir.empty() ? default_kb_dir() : o.kb_dir;
  std::vector<std::string> paths = o.paths;
  if (paths.empty()) paths.push_back(shown_path(data_dir() + "/tests/cases"));
  std::vector<std::string> rule_paths = o.rules.empty() ? std::vector<std::string>{shown_path(default_rules_dir())} : o.rules;
  // A case with a program catalog needs the program-list rules too.
  if (cases_use_catalog(paths)) rule_paths = rules_with_catalog(rule_paths, true);
  auto loaded = load_rules_or_report(rule_paths, kb_dir, err);
  if (!loaded) return kExitUsage;
  // Cases of one project are not run against the rules of another: the
  // default rules are the project's around the current directory.
  if (o.rules.empty()) {
    std::error_code ec;
    fs::path ours = fs::weakly_canonical(data_dir(), ec);
    for (const std::string& p : paths) {
      auto theirs = find_project(p);
      if (!theirs) continue;
      fs::path t = fs::weakly_canonical(*theirs, ec);
      if (t == ours) continue;
      err << "advise test: the cases in " << terminal_safe(p) << " belong to the project at "
          << terminal_safe(t.string()) << ", but the rules would be those of " << terminal_safe(ours.string())
          << "; run `advise test` inside " << terminal_safe(t.string()) << ", or give its rules with `--rules "
          << terminal_safe((t / "rules").string()) << "`\n";
      return kExitUsage;
    }
  }
  Diagnostics diags;
  auto suite = load_suite(paths, loaded->rules, *loaded->sources, diags, suite_env());
  if (!suite) {
    err << render_text(*loaded->sources, diags);
    err << "advise test: " << plural(diags.error_count(), "error", "errors")
        << " in the case files; no case was run\n";
    return kExitUsage;
  }
  if (diags.warning_count() > 0) err << render_text(*loaded->sources, diags);
  // As `advise --catalog` prints them: each catalog's once, located in it.
  for (const DataError& w : suite->catalog_warnings) err << w.text() << "\n";

  Engine engine(loaded->rules);
  std::optional<Coverage> coverage;
  if (want_coverage || o.min_coverage >= 0) coverage.emplace(loaded->rules);
  std::vector<CaseResult> results;
  results.reserve(suite->cases.size());
  Result result;
  for (const CompiledCase& c : suite->cases) {
    results.push_back(run_case(c, engine, result));
    if (coverage) coverage->add(result);
  }

  std::size_t passed = 0, failed = 0;
  for (const CaseResult& r : results) {
    if (r.passed()) ++passed;
    else ++failed;
  }

  // --update: rewrite what can be written, file by file.
  std::size_t rewritten = 0, left = 0, files_written = 0;
  bool write_failed = false;
  if (o.update) {
    std::map<std::uint32_t, std::vector<Edit>> edits;
    for (const CaseResult& r : results) {
      left += r.problems.size();
      for (const ExpectationFailure& f : r.failures) {
        if (f.update) edits[f.expectation->loc.file].push_back(*f.update);
        else ++left;
      }
    }
    for (auto& [file, list] : edits) {
      const std::string& name = loaded->sources->name(file);
      std::string text = apply_edits(loaded->sources->text(file), list);
      std::string error;
      if (!write_file_atomically(name, text, error)) {
        err << terminal_safe(name) << ": error: cannot write the updated cases: " << terminal_safe(error) << "\n";
        write_failed = true;
        continue;
      }
      ++files_written;
      rewritten += list.size();
    }
    for (const CaseResult& r : results)
      for (const ExpectationFailure& f : r.failures)
        if (f.update && !write_failed)
          report << updated_text(f) << "\n";
  }

  for (const CaseResult& r : results) {
    if (r.passed()) continue;
    if (o.update && r.problems.empty() &&
        std::all_of(r.failures.begin(), r.failures.end(), [](const ExpectationFailure& f) { return f.update.has_value(); }))
      continue;
    report << terminal_safe(failure_text(r, o.update), Layout::Lines);
  }

  std::size_t files = suite->files.size();
  // Which rules and knowledge base the outcomes are of.
  std::string rules_used;
  for (std::size_t i = 0; i < rule_paths.size(); ++i) rules_used += (i ? ", " : "") + rule_paths[i];
  report << terminal_safe("advise test: rules " + rules_used + ", knowledge base " + shown_path(kb_dir)) << "\n";
  report << "advise test: " << passed << " passed, " << failed << " failed (" << plural(results.size(), "case", "cases")
         << ", " << plural(suite->expectation_count(), "expectation", "expectations") << " in "
         << plural(files, "file", "files") << ")\n";
  if (o.update) {
    report << "advise test --update: " << plural(rewritten, "expectation", "expectations") << " rewritten in "
           << plural(files_written, "file", "files");
    if (left > 0) report << "; " << left << " failure" << (left == 1 ? "" : "s") << " left to edit by hand";
    report << (rewritten > 0 ? "; review with git diff\n" : "\n");
  }

  if (!o.junit.empty()) {
    std::vector<JUnitSuite> suites;
    for (std::size_t i = 0; i < suite->file_names.size(); ++i) suites.push_back({suite->file_names[i], {}});
    for (const CaseResult& r : results) {
      const CompiledCase& c = *r.test;
      JUnitCase jc;
      jc.name = c.source->name;
      jc.classname = stem(c.file_name);
      jc.file = c.file_name;
      jc.line = loaded->sources->line_col(c.source->loc.file, c.source->loc.begin).line;
      jc.assertions = r.expectations;
      jc.failed = !r.passed();
      if (jc.failed) {
        jc.message = first_failure(r);
        jc.text = failure_text(r, false);
      }
      suites[c.file].cases.push_back(std::move(jc));
    }
    std::string xml = render_junit(suites);
    if (o.junit == "-") {
      out << xml;
    } else {
      // Never over one of the inputs (a case file or a rule file).
      WriteOptions wo;
      for (std::uint32_t id = 0; id < loaded->sources->size(); ++id)
        if (auto stamp = stamp_of_path(loaded->sources->name(id))) wo.inputs.emplace_back(loaded->sources->name(id), *stamp);
      std::string error;
      if (!write_file_atomically(o.junit, xml, error, wo)) {
        err << terminal_safe(o.junit) << ": error: cannot write the JUnit report: " << terminal_safe(error) << "\n";
        return kExitUsage;
      }
    }
  }

  bool coverage_low = false;
  if (coverage) {
    if (json_coverage) out << coverage_json(*coverage, passed, failed);
    else if (want_coverage) report << terminal_safe(coverage_text(*coverage), Layout::Lines);
    if (o.min_coverage >= 0 && coverage->below(o.min_coverage)) {
      coverage_low = true;
      err << "advise test: " << format_percent(coverage->rules_fired(), coverage->rules().size())
          << "% of the rules fired, below the minimum of " << format_number(o.min_coverage) << "%\n";
    }
  }

  if (write_failed) return kExitUsage;
  if (o.update) return (left > 0 || coverage_low) ? kExitFindings : kExitOk;
  return (failed > 0 || coverage_low) ? kExitFindings : kExitOk;
}

}  // namespace advise::cli
