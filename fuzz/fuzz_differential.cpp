// libFuzzer harness: the PEGTL parser against the Spirit X3 parser.
//
// A finding is a crash, a sanitizer report, a hang, or a disagreement outside
// the differences docs/parsers.md allows (dsl/x3/differential.hpp, the same
// property the differential tests check).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dsl/x3/differential.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace advise;
  x3p::Both b = x3p::parse_both(std::string(reinterpret_cast<const char*>(data), size));
  std::string why = x3p::disagreement(b);
  if (why.empty()) return 0;
  std::fprintf(stderr, "FINDING: the parsers disagree: %s\n%s\n", why.c_str(), x3p::describe(b).c_str());
  std::abort();
}
