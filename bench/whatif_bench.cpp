// What-if queries (engine/whatif.hpp): every example profile with several
// goals, in one process (the rules loaded once). Per query: the engine
// evaluations it made and its time (the median of RUNS). The whole-process
// figure (loading included) is bench/whatif_bench.sh's.
//
//   build/bench/whatif_bench [RUNS=5]
#include <cstdio>
#include <filesystem>
#include <string>

#include "bench/bench_util.hpp"
#include "dsl/checker.hpp"
#include "engine/whatif.hpp"
#include "kb/profile.hpp"

using namespace advise;

namespace {

std::string read(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  std::string s;
  if (!f) return s;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
  std::fclose(f);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  const std::string root = ADVISE_SOURCE_DIR;
  std::vector<DataError> kb_errors;
  auto kb_opt = load_knowledge_base(root + "/kb", kb_errors);
  if (!kb_opt) return 2;
  auto kb = std::make_shared<const KnowledgeBase>(std::move(*kb_opt));
  auto sources = std::make_shared<SourceManager>();
  Diagnostics diags;
  auto rules = load_rule_set({root + "/rules"}, kb, sources, diags);
  if (!rules) return 2;
  Engine engine(std::make_shared<const RuleSet>(std::move(*rules)));

  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(root + "/examples/profiles")) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  const std::vector<std::string> goals = {"strategy=single", "strategy=dual", "research_year=not_needed",
                                          "step2ck_plan=take_when_ready", "dual_application"};
  std::vector<double> times, evals;
  double worst = 0;
  std::string worst_query;
  std::size_t found = 0, none = 0, already = 0;
  for (const std::string& file : files) {
    std::vector<DataError> errors;
    auto profile = load_profile(read(file), file, *kb, errors);
    if (!profile) continue;
    for (const std::string& goal : goals) {
      std::vector<double> t;
      WhatIf w;
      for (int r = 0; r < runs; ++r) {
        double t0 = bench::now_seconds();
        w = what_if(engine, *profile, goal);
        t.push_back(bench::now_seconds() - t0);
      }
      double m = bench::median(t);
      times.push_back(m);
      evals.push_back(static_cast<double>(w.evaluations));
      if (m > worst) {
        worst = m;
        worst_query = goal + " " + std::filesystem::path(file).filename().string();
      }
      (w.already ? already : w.alternatives.empty() ? none : found) += 1;
    }
  }
  std::printf("%zu queries (%zu profiles x %zu goals), median of %d runs each\n", times.size(), files.size(), goals.size(),
              runs);
  std::printf("answers: %zu with alternatives, %zu out of reach, %zu reached already\n", found, none, already);
  std::printf("evaluations per query: median %.0f, max %.0f\n", bench::median(evals),
              *std::max_element(evals.begin(), evals.end()));
  std::printf("time per query (rules loaded): median %.3f ms, max %.3f ms (%s)\n", bench::median(times) * 1e3, worst * 1e3,
              worst_query.c_str());
  return 0;
}
