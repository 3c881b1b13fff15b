// The two parsers on the same inputs, in one run: MB/s of the PEGTL parser
// (dsl/parser.hpp) and of the Spirit X3 parser (dsl/x3/), and their ratio;
// median of RUNS runs, the two parsers alternating so that both see the same
// machine load.
//
//   build/bench/parser_bench [RULES=10000] [RUNS=5]
//
// Inputs: a generated file of RULES items (tests/support/program_gen: every
// construct of the grammar, comments, deep expressions) and the repository's
// rules/*.rules concatenated and repeated to a similar size. Both parsers must
// accept each input before anything is timed (and should build equal ASTs).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"
#include "dsl/parser.hpp"
#include "dsl/x3/x3_parser.hpp"
// The benchmark CMake builds each bench/*.cpp as one executable: the
// generator is compiled in here.
#include "tests/support/program_gen.cpp"

using namespace advise;

namespace {

std::string repository_rules(std::size_t at_least) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(ADVISE_SOURCE_DIR) / "rules"))
    if (e.path().extension() == ".rules") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::string one;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    one += ss.str() + "\n";
  }
  std::string out;
  while (!one.empty() && out.size() < at_least) out += one;
  return out;
}

struct Figures {
  double pegtl_s, x3_s;
};

Figures measure(const std::string& text, int runs) {
  SourceManager sm;
  std::uint32_t id = sm.add("bench.rules", text);
  {
    Diagnostics d;
    ast::File p = parse_source(sm, id, d);
    x3p::Result x = x3p::parse(sm, id);
    if (d.has_errors() || !x.ok) {
      std::fprintf(stderr, "a parser rejects the benchmark input (PEGTL %s, X3 %s at %u); not timed\n",
                   d.has_errors() ? "rejects" : "accepts", x.ok ? "accepts" : "rejects", x.error_offset);
      std::exit(1);
    }
    if (!(p == x.file))
      std::fprintf(stderr, "warning: the ASTs differ (tests/differential_test.cpp shows where); timing anyway\n");
  }
  std::vector<double> pt, xt;
  for (int r = 0; r < runs; ++r) {
    Diagnostics d;
    double t0 = bench::now_seconds();
    ast::File p = parse_source(sm, id, d);
    double t1 = bench::now_seconds();
    x3p::Result x = x3p::parse(sm, id);
    double t2 = bench::now_seconds();
    pt.push_back(t1 - t0);
    xt.push_back(t2 - t1);
    if (p.rules.size() != x.file.rules.size()) std::abort();
  }
  return {bench::median(pt), bench::median(xt)};
}

void report(const char* name, const std::string& text, int runs) {
  Figures f = measure(text, runs);
  double mb = static_cast<double>(text.size()) / (1024.0 * 1024.0);
  std::printf("%-22s %7.2f MB   PEGTL %7.2f MB/s   X3 %7.2f MB/s   X3/PEGTL %5.2fx\n", name, mb, mb / f.pegtl_s,
              mb / f.x3_s, f.pegtl_s / f.x3_s);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t rules = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  std::string generated = testgen::large_program(rules, 42);
  std::string repo = repository_rules(generated.size());
  std::printf("median of %d runs; MB = 2^20 bytes\n", runs);
  report(("generated, " + std::to_string(rules) + " items").c_str(), generated, runs);
  report("rules/*.rules, repeated", repo, runs);
  return 0;
}
