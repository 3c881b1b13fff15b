// Inference throughput: the full knowledge base (rules/) over generated
// profiles, on one thread and on every core; the cost of parsing the
// profiles' JSON beside it; memory per evaluation. Medians of several runs.
//
//   build/bench/engine_bench [PROFILES=100000] [RUNS=3] [COPIES=0]
//
// COPIES > 0 adds that many copies of every rule that never fire: each copy
// is the rule, renamed, with `and name is "nobody"` after its condition (the
// generated profiles are named "Applicant N"), so that the engine must see
// the copy's condition fail: the cost of rules that do not match
// (docs/benchmarks.md, "Rules that do not match").
#include <malloc.h>

#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include "bench/bench_util.hpp"
#include "dsl/checker.hpp"
#include "engine/engine.hpp"

using namespace advise;

namespace {

// Deterministic profiles across the schema: every field present with some
// probability, values inside their ranges.
std::vector<std::string> generate(const KnowledgeBase& kb, std::size_t n) {
  std::mt19937 rng(20261129);
  auto pick = [&](std::size_t k) { return static_cast<std::size_t>(rng() % k); };
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    nlohmann::ordered_json j;
    j["name"] = "Applicant " + std::to_string(i);
    for (const FieldDef& f : kb.fields) {
      if (f.name == "name" || pick(10) < 2) continue;  // ~20% of fields left out
      const TypeDesc& t = kb.types.at(f.type);
      double lo = f.min.value_or(0), hi = f.max.value_or(10);
      if (f.name == "step2ck" || f.name == "nbme_practice") lo = 200, hi = 275;
      if (hi - lo > 40 && f.name != "step2ck" && f.name != "nbme_practice") hi = lo + 24;
      auto number = [&] { return static_cast<int>(lo + static_cast<double>(pick(static_cast<std::size_t>(hi - lo + 1)))); };
      if (t.kind == TypeKind::Integer || t.kind == TypeKind::Number) {
        j[f.name] = number();
      } else if (t.kind == TypeKind::Boolean) {
        j[f.name] = pick(2) == 1;
      } else if (t.kind == TypeKind::Enum) {
        const EnumDef& e = kb.enums[static_cast<std::size_t>(t.enum_id)];
        j[f.name] = e.values[pick(e.values.size())];
      } else if (t.kind == TypeKind::List) {
        const TypeDesc& el = kb.types.at(t.elem);
        nlohmann::ordered_json a = nlohmann::ordered_json::array();
        std::size_t k = pick(4);
        for (std::size_t m = 0; m < k; ++m) {
          if (el.kind == TypeKind::Enum) {
            const EnumDef& e = kb.enums[static_cast<std::size_t>(el.enum_id)];
            std::string v = e.values[pick(e.values.size())];
            if (std::find(a.begin(), a.end(), v) == a.end()) a.push_back(v);
          } else {
            a.push_back(number());
          }
        }
        j[f.name] = a;
      }
    }
    // A random profile may contradict itself (honors in a rotation not done,
    // a graduation after the match year...): the field each error names is
    // left out until the profile is accepted, so the set stays deterministic.
    for (int tries = 0; tries < 20; ++tries) {
      std::vector<DataError> errs;
      if (load_profile(j.dump(), "bench", kb, errs) || errs.empty()) break;
      std::string path = errs.front().path;  // "$.field" or "$.field.key"
      if (path.rfind("$.", 0) != 0) break;
      std::string field = path.substr(2, path.find_first_of(".[", 2) - 2);
      if (!j.contains(field)) break;
      j.erase(field);
    }
    out.push_back(j.dump());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = argc > 1 ? static_cast<std::size_t>(std::atol(argv[1])) : 100000;
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  std::vector<DataError> errors;
  auto kbv = load_knowledge_base(std::string(ADVISE_SOURCE_DIR) + "/kb", errors);
  if (!kbv) return 1;
  auto kb = std::make_shared<const KnowledgeBase>(std::move(*kbv));
  int copies = argc > 3 ? std::atoi(argv[3]) : 0;
  auto sm = std::make_shared<SourceManager>();
  Diagnostics diags;
  LoadedRules loaded = load_rules({std::string(ADVISE_SOURCE_DIR) + "/rules"}, *sm, diags);
  if (copies > 0 && !loaded.files.empty()) {
    ast::File extra;
    extra.file = loaded.files.front().file;
    for (const ast::File& f : loaded.files)
      for (const ast::Rule& r : f.rules) {
        if (r.short_form) continue;
        for (int c = 1; c <= copies; ++c) {
          ast::Rule copy = r;
          copy.name.name += "_copy" + std::to_string(c);
          ast::Expr name_is;
          name_is.kind = ast::ExprKind::Compare;
          name_is.text = "==";
          name_is.loc = r.condition.loc;
          ast::Expr lhs, rhs;
          lhs.kind = ast::ExprKind::Name;
          lhs.text = "name";
          lhs.loc = r.condition.loc;
          rhs.kind = ast::ExprKind::String;
          rhs.text = "nobody";
          rhs.loc = r.condition.loc;
          name_is.kids = {lhs, rhs};
          ast::Expr both;
          both.kind = ast::ExprKind::And;
          both.loc = r.condition.loc;
          both.kids = {r.condition, name_is};
          copy.condition = std::move(both);
          extra.items.push_back({ast::ItemKind::Rule, static_cast<std::uint32_t>(extra.rules.size())});
          extra.rules.push_back(std::move(copy));
        }
      }
    loaded.files.push_back(std::move(extra));
  }
  auto rs = check_rules(loaded, kb, sm, diags);
  if (!rs) {
    std::fprintf(stderr, "%s", render_text(*sm, diags).c_str());
    return 1;
  }
  std::size_t rule_count = rs->rules.size();
  Engine engine(std::make_shared<const RuleSet>(std::move(*rs)));
  std::vector<std::string> texts = generate(*kb, n);
  double bytes = 0;
  for (const auto& t : texts) bytes += static_cast<double>(t.size());

  // Phase 1: JSON parse + validation (what every evaluation needs first).
  std::vector<Profile> profiles;
  std::vector<double> parse_times;
  for (int r = 0; r < runs; ++r) {
    std::vector<Profile> ps;
    ps.reserve(n);
    double t0 = bench::now_seconds();
    for (const auto& t : texts) {
      std::vector<DataError> errs;
      auto p = load_profile(t, "bench", *kb, errs);
      if (!p) {
        std::fprintf(stderr, "generated profile rejected: %s\n", errs.at(0).text().c_str());
        return 1;
      }
      ps.push_back(std::move(*p));
    }
    parse_times.push_back(bench::now_seconds() - t0);
    profiles = std::move(ps);
  }

  // Phase 2: inference on one thread.
  std::vector<double> one;
  std::size_t firings = 0;
  for (int r = 0; r < runs; ++r) {
    firings = 0;
    double t0 = bench::now_seconds();
    for (const Profile& p : profiles) firings += engine.evaluate(p).firings.size();
    one.push_back(bench::now_seconds() - t0);
  }

  // Phase 3: inference on every core, profiles split in contiguous chunks.
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<double> all;
  for (int r = 0; r < runs; ++r) {
    double t0 = bench::now_seconds();
    std::vector<std::thread> threads;
    for (unsigned c = 0; c < cores; ++c) {
      threads.emplace_back([&, c] {
        std::size_t lo = profiles.size() * c / cores, hi = profiles.size() * (c + 1) / cores;
        for (std::size_t i = lo; i < hi; ++i) (void)engine.evaluate(profiles[i]);
      });
    }
    for (auto& t : threads) t.join();
    all.push_back(bench::now_seconds() - t0);
  }

  // Memory per evaluation: heap in use while 1,000 results are alive.
  std::vector<Result> keep;
  keep.reserve(1000);
  std::size_t before = mallinfo2().uordblks;
  for (std::size_t i = 0; i < 1000 && i < profiles.size(); ++i) keep.push_back(engine.evaluate(profiles[i]));
  std::size_t after = mallinfo2().uordblks;
  double per_eval = static_cast<double>(after - before) / static_cast<double>(keep.size());

  double pm = bench::median(parse_times), om = bench::median(one), am = bench::median(all);
  double dn = static_cast<double>(n);
  std::printf("knowledge base: %zu rules; %zu profiles, %.1f MB of JSON; %d runs, medians\n", rule_count, n,
              bytes / 1e6, runs);
  std::printf("JSON parse + validation, 1 thread: %.3f s  %.0f profiles/s  %.2f us/profile\n", pm, dn / pm, pm / dn * 1e6);
  std::printf("inference, 1 thread:               %.3f s  %.0f profiles/s  %.2f us/profile  (%.1f firings/profile)\n", om,
              dn / om, om / dn * 1e6, static_cast<double>(firings) / dn);
  std::printf("inference, %u threads:              %.3f s  %.0f profiles/s  (x%.2f of 1 thread)\n", cores, am, dn / am,
              om / am);
  std::printf("inference / JSON parse cost ratio: %.2f\n", om / pm);
  std::printf("memory per evaluation (Result kept): %.0f bytes\n", per_eval);
  return 0;
}
