// Reading profiles: `load_profile` (parse and validate) against a plain
// nlohmann parse of the same lines, one thread, median of RUNS passes.
//
//   build-bench/bench/profile_bench FILE.jsonl [RUNS]
//
// Issue 19's target: load_profile at most 2x the plain parse.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_util.hpp"
#include "kb/knowledge_base.hpp"
#include "kb/profile.hpp"

using advise::bench::median;
using advise::bench::now_seconds;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: profile_bench FILE.jsonl [RUNS]\n";
    return 2;
  }
  int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  std::ifstream in(argv[1]);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::vector<advise::DataError> errors;
  auto kb = advise::load_knowledge_base(std::string(ADVISE_SOURCE_DIR) + "/kb", errors);
  if (!kb) return 1;
  std::vector<double> plain, loaded;
  std::size_t ok = 0, sink = 0;
  for (int r = 0; r < runs; ++r) {
    double t0 = now_seconds();
    for (const std::string& l : lines) {
      auto j = nlohmann::json::parse(l, nullptr, false);
      sink += j.size();
    }
    double t1 = now_seconds();
    ok = 0;
    for (const std::string& l : lines) {
      std::vector<advise::DataError> errs;
      if (advise::load_profile(l, "line", *kb, errs)) ++ok;
    }
    double t2 = now_seconds();
    plain.push_back(t1 - t0);
    loaded.push_back(t2 - t1);
  }
  double p = median(plain), l = median(loaded);
  std::printf("%zu lines (%zu valid), median of %d runs\n", lines.size(), ok, runs);
  std::printf("plain nlohmann parse: %.3f s, %.2f us/line\n", p, 1e6 * p / static_cast<double>(lines.size()));
  std::printf("load_profile:         %.3f s, %.2f us/line (%.2fx the plain parse)\n", l,
              1e6 * l / static_cast<double>(lines.size()), l / p);
  return sink == 0 ? 1 : 0;
}
