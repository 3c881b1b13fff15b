// Reading facts files: the time to read a catalog (docs/facts.md, "Speed").
//
//   python3 scripts/gen_catalog.py --count 10000 --out /tmp/p10k.csv
//   build/bench/facts_bench /tmp/p10k.csv [--runs 15] [--template program] [--unknowns]
//   build/bench/facts_bench ../shared/bench/data/manners_128.fct --templates manners.json
//   build/bench/facts_bench /tmp/p10k.csv --cache /tmp/p10k-cache
//
// Reads the file's text once, then parses and validates it --runs times
// (kb/facts.hpp: read_facts_csv, read_facts_json or read_facts_clips by the
// extension) and prints the median, the fastest and the slowest run.
// --unknowns prints the unknown values per field of the last run;
// --templates FILE adds the templates of FILE (the form of kb/templates.json).
// --cache DIR times the whole read of the file instead, alternately without
// the catalog cache (read_facts_file: the file read, parsed and checked) and
// with it (read_facts_file_cached over DIR, filled first: the file read and
// hashed, the entry read and decoded), and prints both (dsl/fact_cache.hpp).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"
#include "dsl/fact_cache.hpp"
#include "kb/facts.hpp"

using namespace advise;

int main(int argc, char** argv) {
  std::string path, tmpl_name = "program", extra, cache;
  int runs = 15;
  bool unknowns = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--template" && i + 1 < argc) {
      tmpl_name = argv[++i];
    } else if (a == "--templates" && i + 1 < argc) {
      extra = argv[++i];
    } else if (a == "--cache" && i + 1 < argc) {
      cache = argv[++i];
    } else if (a == "--unknowns") {
      unknowns = true;
    } else if (path.empty() && a.rfind("--", 0) != 0) {
      path = a;
    } else {
      path.clear();
      break;
    }
  }
  if (path.empty()) {
    std::cerr << "usage: facts_bench FILE.csv|FILE.json|FILE.fct [--runs N] [--template NAME] [--templates FILE] "
                 "[--unknowns]\n";
    return 2;
  }
  std::vector<DataError> errors;
  auto kb = load_knowledge_base(std::string(ADVISE_SOURCE_DIR) + "/kb", errors);
  TemplateSet templates;
  if (!kb || !load_templates(std::string(ADVISE_SOURCE_DIR) + "/kb/templates.json", *kb, templates, errors) ||
      (!extra.empty() && !load_templates(extra, *kb, templates, errors))) {
    for (const auto& e : errors) std::cerr << e.text() << "\n";
    return 1;
  }
  if (!cache.empty()) {
    std::string name = path.size() > 4 && path.substr(path.size() - 4) == ".csv" ? tmpl_name : "";
    std::vector<double> plain, cached;
    std::vector<FactRecord> records;
    FactCacheNote note;
    read_facts_file_cached(cache, "facts_bench", path, name, *kb, templates, records, errors, note);  // fills it
    for (int r = 0; r < runs; ++r) {
      for (int with = 0; with < 2; ++with) {
        records.clear();
        errors.clear();
        double t0 = bench::now_seconds();
        bool ok = with ? read_facts_file_cached(cache, "facts_bench", path, name, *kb, templates, records, errors, note)
                       : read_facts_file(path, name, *kb, templates, records, errors);
        (with ? cached : plain).push_back(bench::now_seconds() - t0);
        if (!ok || (with && note.outcome != FactCacheNote::Outcome::Hit)) {
          for (const auto& e : errors) std::cerr << e.text() << "\n";
          std::cerr << "not read from the cache: " << note.why << "\n";
          return 1;
        }
      }
    }
    std::sort(plain.begin(), plain.end());
    std::sort(cached.begin(), cached.end());
    std::printf("%s: %zu records; without the cache %.2f ms median of %d runs (fastest %.2f), with it %.2f ms "
                "(fastest %.2f)\n",
                path.c_str(), records.size(), bench::median(plain) * 1e3, runs, plain.front() * 1e3,
                bench::median(cached) * 1e3, cached.front() * 1e3);
    return 0;
  }
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  std::string ext = path.substr(path.find_last_of('.') + 1);
  int tmpl = templates.find(tmpl_name);
  std::vector<double> times;
  std::vector<FactRecord> records;
  for (int r = 0; r < runs; ++r) {
    records.clear();
    errors.clear();
    double t0 = bench::now_seconds();
    bool ok = ext == "csv"    ? read_facts_csv(text, path, *kb, templates, tmpl, records, errors)
              : ext == "json" ? read_facts_json(text, path, *kb, templates, records, errors)
                              : read_facts_clips(text, path, *kb, templates, records, errors);
    times.push_back(bench::now_seconds() - t0);
    if (!ok) {
      for (const auto& e : errors) std::cerr << e.text() << "\n";
      return 1;
    }
  }
  std::sort(times.begin(), times.end());
  std::printf("%s: %zu records, %zu bytes; read in %.2f ms median of %d runs (fastest %.2f, slowest %.2f)\n",
              path.c_str(), records.size(), text.size(), bench::median(times) * 1e3, runs, times.front() * 1e3,
              times.back() * 1e3);
  if (unknowns && tmpl >= 0) {
    for (const UnknownCount& u : unknown_counts(templates, tmpl, records))
      std::printf("  %-28s %6zu unknown of %zu (%.1f%%)\n", u.field.c_str(), u.unknown, u.records,
                  u.records ? 100.0 * static_cast<double>(u.unknown) / static_cast<double>(u.records) : 0.0);
  }
  return 0;
}
