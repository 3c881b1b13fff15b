// The runaway guard (docs/engine.md, "Runaway guard"): it counts repeat
// firings, so a large rule set that does not loop runs to the end, and its
// message is never empty.
#include <catch2/catch.hpp>

#include "dsl/checker.hpp"
#include "engine/engine.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

// `n` independent rules that each fire once.
std::string independent_rules(int n) {
  std::string text;
  for (int i = 0; i < n; ++i)
    text += "rule r" + std::to_string(i) + " \"\" source \"t\" when step2ck > " + std::to_string(1 + i % 200) +
            " then note \"n" + std::to_string(i) + "\" end\n";
  return text;
}

}  // namespace

TEST_CASE("runaway: 1,001 independent rules that each fire once are not a runaway", "[runaway]") {
  auto rs = compile_rules(independent_rules(1001));
  Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"));
  CHECK_FALSE(r.runaway);
  CHECK(r.firings.size() == 1001);
  CHECK(r.messages.size() == 1001);
}

TEST_CASE("runaway: first firings are free, repeat firings count toward the limit", "[runaway]") {
  auto rs = compile_rules(independent_rules(30));
  EngineOptions opt;
  opt.max_firings = 1;  // no repeat at all is allowed, and none is needed
  Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"), opt);
  CHECK_FALSE(r.runaway);
  CHECK(r.firings.size() == 30);
}

TEST_CASE("runaway: a loop stops after the limit of repeat firings and names its rules", "[runaway]") {
  auto rs = compile_rules(R"(
rule reset "" source "t" when red_flags contains remediation then set red_flags = [professionalism] end
rule regrow "" source "t" when red_flags contains professionalism then add remediation to red_flags end
rule start "" source "t" when step2ck > 100 then add remediation to red_flags end
)");
  EngineOptions opt;
  opt.max_firings = 50;
  Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"), opt);
  REQUIRE(r.runaway);
  CHECK(r.firings.size() == 53);  // start, reset, regrow once each, then 50 repeats
  CHECK(r.runaway->limit == 50);
  CHECK(r.runaway->message ==
        "evaluation stopped at the limit of 50 repeated firings (53 firings in all): the rules `reset` "
        "(test.rules:2), `regrow` (test.rules:3) keep firing and keep changing `red_flags`; make their conditions "
        "exclusive, or test that the conclusion is not already set");
}

TEST_CASE("runaway: many different rules firing again get a message naming the most frequent", "[runaway]") {
  // `start` changes red_flags, and all 150 `r` rules fire; `late` changes it
  // again, and they all fire a second time: 150 repeats, none twice in a row
  // (then `late` once more, on its own change, adding nothing).
  std::string text =
      "rule start \"\" source \"t\" priority 10 when step2ck > 100 then add remediation to red_flags end\n"
      "rule late \"\" source \"t\" priority -1 when red_flags contains remediation then add professionalism to "
      "red_flags end\n";
  for (int i = 0; i < 150; ++i)
    text += "rule r" + std::to_string(i) + " \"\" source \"t\" when red_flags is present then note \"{red_flags}\" end\n";
  auto rs = compile_rules(text);
  Result full = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"));
  CHECK_FALSE(full.runaway);
  CHECK(full.firings.size() == 303);

  EngineOptions opt;
  opt.max_firings = 100;
  Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"), opt);
  REQUIRE(r.runaway);
  CHECK(r.firings.size() == 252);
  CHECK(r.runaway->rules.size() == 5);
  CHECK(r.runaway->message ==
        "evaluation stopped at the limit of 100 repeated firings (252 firings in all): the limit was reached by "
        "100 different rules firing again, most often `r0` (test.rules:3) 2 times, `r1` (test.rules:4) 2 times, "
        "`r2` (test.rules:5) 2 times, `r3` (test.rules:6) 2 times, `r4` (test.rules:7) 2 times; if the rules do "
        "not loop, raise the limit (`--max-firings`)");
}
