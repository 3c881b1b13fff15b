// Parse + check of a generated 10,000-rule file: MB/s and rules/s, median of
// 5 runs. Also reports parse alone, so the checker's share is visible.
//
//   build/bench/check_bench [RULES=10000] [RUNS=5]
#include <cstdio>
#include <string>

#include "bench/bench_util.hpp"
#include "dsl/checker.hpp"

using namespace advise;

namespace {

// A deterministic file of block rules in the knowledge base's own style.
std::string generate(int n) {
  const char* specialties[] = {"dermatology", "orthopedic_surgery", "plastic_surgery", "otolaryngology",
                               "neurosurgery", "radiology", "internal_medicine", "general_surgery"};
  const char* rotations[] = {"surgery", "internal_medicine", "pediatrics"};
  std::string out = "# generated for the benchmark\ngroup bench_surgical = {orthopedic_surgery, plastic_surgery, neurosurgery}\n\n";
  unsigned x = 12345;
  auto next = [&] {
    x = x * 1103515245u + 12345u;
    return (x >> 16) & 0x7fff;
  };
  for (int i = 0; i < n; ++i) {
    const char* sp = specialties[next() % 8];
    out += "rule bench_rule_" + std::to_string(i) + " \"Generated rule " + std::to_string(i) + "\"\n";
    out += "  source \"Step 5.1\"\n  priority " + std::to_string(next() % 10) + "\n  category application\n";
    out += "when step2ck between " + std::to_string(200 + next() % 40) + " and " + std::to_string(240 + next() % 50) +
           "\n  and target_specialty is " + sp + " and (core_honors contains " + rotations[next() % 3] +
           " or publications >= " + std::to_string(next() % 10) + ")\n  and min(nbme_practice) < " +
           std::to_string(220 + next() % 60) + " and target_specialty not in bench_surgical\n";
    out += "then\n  set applications[" + std::string(sp) + "] = target_specialty.apps_min .. target_specialty.apps_max\n";
    out += "  add internal_medicine to backup_specialties\n";
    out += "  recommend application bench_rec_" + std::to_string(i) + ": \"Your Step 2 CK of {step2ck} for {target_specialty.name}\"\n";
    out += "end\n\n";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  std::vector<DataError> errors;
  auto kbv = load_knowledge_base(std::string(ADVISE_SOURCE_DIR) + "/kb", errors);
  if (!kbv) {
    for (auto& e : errors) std::fprintf(stderr, "%s\n", e.text().c_str());
    return 1;
  }
  auto kb = std::make_shared<const KnowledgeBase>(std::move(*kbv));
  std::string text = generate(n);
  double mb = static_cast<double>(text.size()) / (1024.0 * 1024.0);
  std::vector<double> parse_times, total_times;
  std::size_t rules = 0;
  for (int r = 0; r < runs; ++r) {
    auto sm = std::make_shared<SourceManager>();
    Diagnostics diags;
    double t0 = bench::now_seconds();
    std::uint32_t id = sm->add("bench.rules", text);
    LoadedRules files;
    check_encoding(*sm, id, diags);
    files.files.push_back(parse_source(*sm, id, diags));
    double t1 = bench::now_seconds();
    auto rs = check_rules(files, kb, sm, diags);
    double t2 = bench::now_seconds();
    if (!rs || diags.has_errors()) {
      std::fprintf(stderr, "%s", render_text(*sm, diags).substr(0, 2000).c_str());
      return 1;
    }
    rules = rs->rules.size();
    parse_times.push_back(t1 - t0);
    total_times.push_back(t2 - t0);
  }
  double p = bench::median(parse_times), t = bench::median(total_times);
  std::printf("input: %d rules, %.2f MB\n", n, mb);
  std::printf("parse only:    median %.3f s  %.1f MB/s  %.0f rules/s\n", p, mb / p, static_cast<double>(n) / p);
  std::printf("parse + check: median %.3f s  %.1f MB/s  %.0f rules/s  (%zu rules checked, %d runs)\n", t, mb / t,
              static_cast<double>(rules) / t, rules, runs);
  return 0;
}
