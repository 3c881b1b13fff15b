// Writes a seed corpus for the rule-language fuzzers: `count` generated
// programs (valid ones, and mutated ones) into `dir`, one file each.
// Usage: gen_corpus DIR [COUNT] [SEED]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/support/program_gen.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gen_corpus DIR [COUNT] [SEED]\n");
    return 2;
  }
  std::string dir = argv[1];
  int count = argc > 2 ? std::atoi(argv[2]) : 200;
  std::uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  for (int i = 0; i < count; ++i) {
    advise::testgen::GenOptions o;
    o.max_items = 3;
    o.max_depth = 4;
    advise::testgen::ProgramGen gen(seed * 100003 + static_cast<std::uint64_t>(i), o);
    std::string p = gen.program();
    if (i % 2) p = gen.mutate(p);
    std::ofstream(dir + "/gen_" + std::to_string(i) + ".rules", std::ios::binary) << p;
  }
  return 0;
}
