// Profile fields that each hold a valid value but contradict each other
// (issue 18.12): refused with both JSON paths, at the second field's value;
// their consistent neighbours load.
#include <catch2/catch.hpp>

#include "kb/profile.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

std::string problems(const std::string& text) {
  std::vector<DataError> errors;
  auto p = load_profile(text, "p.json", *bundled_kb(), errors);
  std::string out;
  for (const DataError& e : errors) out += e.text() + "\n";
  if (p) CHECK(out.empty());
  return out;
}

}  // namespace

TEST_CASE("contradictions: a Step 1 result needs an attempt, and not_taken has none", "[profile][contradictions]") {
  CHECK(problems("{\"step1\": \"fail\", \"step1_attempts\": 0}") ==
        "p.json:1:37: error: at $.step1_attempts: 0 attempts, but `$.step1` is `fail`: a result needs at least one "
        "attempt; count every attempt, the one that failed included\n");
  CHECK(problems("{\"step1\": \"pass\", \"step1_attempts\": 0}") ==
        "p.json:1:37: error: at $.step1_attempts: 0 attempts, but `$.step1` is `pass`: a result needs at least one "
        "attempt; count every attempt, the one that passed included\n");
  CHECK(problems("{\"step1\": \"not_taken\", \"step1_attempts\": 1}") ==
        "p.json:1:42: error: at $.step1_attempts: 1 attempt, but `$.step1` is `not_taken`; give the latest result as "
        "`pass` or `fail`, or leave out step1_attempts\n");
  CHECK(problems("{\"step1\": \"not_taken\", \"step1_attempts\": 2}") ==
        "p.json:1:42: error: at $.step1_attempts: 2 attempts, but `$.step1` is `not_taken`; give the latest result as "
        "`pass` or `fail`, or leave out step1_attempts\n");
  // The other side of each boundary loads.
  CHECK(problems("{\"step1\": \"fail\", \"step1_attempts\": 1}").empty());
  CHECK(problems("{\"step1\": \"pass\", \"step1_attempts\": 2}").empty());
  CHECK(problems("{\"step1\": \"not_taken\", \"step1_attempts\": 0}").empty());
  CHECK(problems("{\"step1\": \"not_taken\"}").empty());
}

TEST_CASE("contradictions: a Step 2 CK score needs an attempt, and attempts need a score", "[profile][contradictions]") {
  CHECK(problems("{\"step2ck\": 251, \"step2ck_attempts\": 0}") ==
        "p.json:1:38: error: at $.step2ck_attempts: 0 attempts, but `$.step2ck` gives a score of 251: a score needs "
        "at least one attempt; count every attempt, or leave out step2ck if the exam is not taken\n");
  CHECK(problems("{\"step2ck_attempts\": 1}") ==
        "p.json:1:22: error: at $.step2ck_attempts: 1 attempt, but `$.step2ck` is left out, which means the exam is "
        "not taken; add the latest score as step2ck, or make step2ck_attempts 0\n");
  CHECK(problems("{\"step2ck\": 251, \"step2ck_attempts\": 1}").empty());
  CHECK(problems("{\"step2ck_attempts\": 0}").empty());
  CHECK(problems("{\"step2ck\": 251}").empty());
}

TEST_CASE("contradictions: years since graduation are for graduates; honors need the rotation", "[profile][contradictions]") {
  CHECK(problems("{\"stage\": \"ms4\", \"years_since_graduation\": 2}") ==
        "p.json:1:44: error: at $.years_since_graduation: given, but `$.stage` is `ms4`: years since graduation are "
        "for graduates; leave it out, or make stage `graduate`\n");
  CHECK(problems("{\"stage\": \"graduate\", \"years_since_graduation\": 0}").empty());
  CHECK(problems("{\"years_since_graduation\": 3}").empty());
  CHECK(problems("{\"core_rotations_done\": [\"surgery\"], \"core_honors\": [\"surgery\", \"pediatrics\"]}") ==
        "p.json:1:53: error: at $.core_honors: `pediatrics` has honors but is not in `$.core_rotations_done`; add it "
        "there, or take it out of core_honors\n");
  CHECK(problems("{\"core_rotations_done\": [\"surgery\"], \"core_honors\": [\"surgery\"]}").empty());
  CHECK(problems("{\"core_honors\": [\"surgery\"]}").empty());
}

TEST_CASE("contradictions: every contradiction is reported, in document order, beside type errors", "[profile][contradictions]") {
  CHECK(problems("{\n  \"step2ck\": 251,\n  \"step2ck_attempts\": 0,\n  \"step1\": \"pass\",\n  \"step1_attempts\": 0,\n"
                 "  \"publications\": -1\n}") ==
        "p.json:3:23: error: at $.step2ck_attempts: 0 attempts, but `$.step2ck` gives a score of 251: a score needs "
        "at least one attempt; count every attempt, or leave out step2ck if the exam is not taken\n"
        "p.json:5:21: error: at $.step1_attempts: 0 attempts, but `$.step1` is `pass`: a result needs at least one "
        "attempt; count every attempt, the one that passed included\n"
        "p.json:6:19: error: at $.publications: expected from 0 to 1000, found -1\n");
}
