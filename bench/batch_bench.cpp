// Where `advise batch` spends its time: JSON parsing, profile validation,
// inference, building the report, rendering it as JSON. Runs each phase over
// every line of a JSON Lines file on one thread, like `advise batch -j 1`
// (without reading and writing files), and prints the median of several runs.
//
//   batch_bench KB_DIR RULES_DIR PROFILES.jsonl [RUNS]
//
// bench/batch_bench.sh builds it in Release and runs it next to the CLI.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "dsl/checker.hpp"
#include "engine/engine.hpp"
#include "engine/explain.hpp"
#include "engine/render.hpp"
#include "kb/profile.hpp"

using namespace advise;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: batch_bench KB_DIR RULES_DIR PROFILES.jsonl [RUNS]\n";
    return 2;
  }
  int runs = argc > 4 ? std::max(1, std::atoi(argv[4])) : 3;
  std::vector<DataError> kb_errors;
  auto kb = load_knowledge_base(argv[1], kb_errors);
  if (!kb) {
    for (const auto& e : kb_errors) std::cerr << e.text() << "\n";
    return 2;
  }
  auto shared_kb = std::make_shared<const KnowledgeBase>(std::move(*kb));
  auto sources = std::make_shared<SourceManager>();
  Diagnostics diags;
  auto rs = load_rule_set({argv[2]}, shared_kb, sources, diags);
  if (!rs) {
    std::cerr << render_text(*sources, diags);
    return 2;
  }
  auto rules = std::make_shared<const RuleSet>(std::move(*rs));
  Engine engine(rules);

  std::vector<std::string> lines;
  {
    std::ifstream in(argv[3], std::ios::binary);
    for (std::string l; std::getline(in, l);) lines.push_back(std::move(l));
  }

  const char* names[] = {"json parse", "validate", "inference", "report", "render json"};
  std::vector<std::vector<double>> phase(5);
  std::vector<double> totals;
  std::size_t ok = 0, failed = 0, bytes = 0;
  for (int run = 0; run < runs; ++run) {
    Clock::duration t[5] = {};
    ok = failed = bytes = 0;
    auto start = Clock::now();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string source = "line " + std::to_string(i + 1);
      std::vector<DataError> errors;
      auto t0 = Clock::now();
      auto j = parse_profile_json(lines[i], source, errors);
      auto t1 = Clock::now();
      t[0] += t1 - t0;
      std::optional<Profile> p;
      if (j) p = profile_from_json(*j, source, *rules->kb, errors);
      auto t2 = Clock::now();
      t[1] += t2 - t1;
      if (!p) {
        ++failed;
        continue;
      }
      Result r = engine.evaluate(*p);
      auto t3 = Clock::now();
      t[2] += t3 - t2;
      Report rep = build_report(r, ReportOptions{});
      auto t4 = Clock::now();
      t[3] += t4 - t3;
      bytes += render_json(rep, *rules, JsonLayout::Compact).size();
      t[4] += Clock::now() - t4;
      ++ok;
    }
    totals.push_back(seconds(Clock::now() - start));
    for (int k = 0; k < 5; ++k) phase[static_cast<std::size_t>(k)].push_back(seconds(t[k]));
  }
  double total = median(totals);
  std::printf("%zu lines (%zu ok, %zu failed), %d runs, median %.3f s, %.0f lines/s on one thread\n", lines.size(), ok,
              failed, runs, total, static_cast<double>(lines.size()) / total);
  double sum = 0;
  for (const auto& p : phase) sum += median(p);
  for (int k = 0; k < 5; ++k) {
    double m = median(phase[static_cast<std::size_t>(k)]);
    std::printf("  %-12s %8.3f s  %5.1f%%  %6.2f us/line\n", names[k], m, 100 * m / sum,
                1e6 * m / static_cast<double>(lines.size()));
  }
  std::printf("  (report JSON: %.0f bytes/line)\n", static_cast<double>(bytes) / static_cast<double>(std::max<std::size_t>(ok, 1)));
  return 0;
}
