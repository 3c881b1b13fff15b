// libFuzzer harness: the PEGTL parser against the Spirit X3 parser.
//
// A finding is a crash, a sanitizer report, a hang, or a disagreement outside
// the differences docs/parsers.md allows (dsl/x3/differential.hpp, the same
// property the differential tests check). Disagreements that come from the
// open questions of docs/parsers.md, or that have the signature of one of its
// open findings, are not reported while they are open, so that the fuzzer can
// look for something new; set ADVISE_FUZZ_STRICT=1 to report them too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dsl/x3/differential.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool strict = std::getenv("ADVISE_FUZZ_STRICT") != nullptr;
  using namespace advise;
  x3p::Both b = x3p::parse_both(std::string(reinterpret_cast<const char*>(data), size));
  std::string why = x3p::disagreement(b);
  if (why.empty()) return 0;
  if (!strict && (!x3p::open_question(b).empty() || !x3p::open_finding(b).empty())) return 0;
  std::fprintf(stderr, "FINDING: the parsers disagree: %s\n%s\n", why.c_str(), x3p::describe(b).c_str());
  std::abort();
}
