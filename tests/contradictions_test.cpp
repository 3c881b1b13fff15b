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

TEST_CASE("contradictions: geographic preferences are at most three census divisions, each once",
          "[profile][contradictions][catalog]") {
  CHECK(problems("{\"geographic_preferences\": [\"pacific\", \"mountain\", \"pacific\"]}") ==
        "p.json:1:52: error: at $.geographic_preferences[2]: `pacific` is already `$.geographic_preferences[0]`; "
        "name each census division once\n");
  CHECK(problems("{\"geographic_preferences\": [\"pacific\", \"mountain\", \"new_england\", \"south_atlantic\"]}") ==
        "p.json:1:67: error: at $.geographic_preferences[3]: 4 census divisions; ERAS takes at most 3 geographic "
        "preferences: keep the three the applicant prefers most\n");
  CHECK(problems("{\"geographic_preferences\": [\"pacific\", \"mountain\", \"new_england\"]}").empty());
  CHECK(problems("{\"geographic_preferences\": []}").empty());
}

TEST_CASE("contradictions: a program connection is keyed by a 10-digit ACGME id", "[profile][contradictions][catalog]") {
  CHECK(problems("{\"program_connections\": {\"0803890001\": [\"research\"], \"803890001\": [\"letter_writer\"],\n"
                 " \"08038-90001\": [\"research\"]}}") ==
        "p.json:1:54: error: at $.program_connections.803890001: a connection is keyed by an ACGME program id of 10 "
        "digits, found `803890001` (9 digits) (a spreadsheet drops a leading zero unless the column is formatted as "
        "text); did you mean `0803890001`?\n"
        "p.json:2:2: error: at $.program_connections.08038-90001: a connection is keyed by an ACGME program id of 10 "
        "digits, found `08038-90001`\n");
  CHECK(problems("{\"program_connections\": {\"0803890001\": [\"research\"]}}").empty());
}

TEST_CASE("contradictions: graduation and Step 2 CK come before the match year; years since graduation agree",
          "[profile][contradictions][catalog]") {
  CHECK(problems("{\"graduation_year\": 2027, \"match_year\": 2026}") ==
        "p.json:1:21: error: at $.graduation_year: 2027, after `$.match_year` 2026: residency starts on 1 July of the "
        "match year, after graduation; correct one of the two\n");
  CHECK(problems("{\"step2ck\": 250, \"step2ck_year\": 2027, \"match_year\": 2026}") ==
        "p.json:1:34: error: at $.step2ck_year: 2027, after `$.match_year` 2026: programs rank applicants on a Step 2 "
        "CK score taken before the Match; correct one of the two\n");
  CHECK(problems("{\"step2ck_year\": 2025}") ==
        "p.json:1:18: error: at $.step2ck_year: given, but `$.step2ck` is left out, which means the exam is not taken; "
        "add the score as step2ck, or leave out step2ck_year\n");
  CHECK(problems("{\"stage\": \"graduate\", \"years_since_graduation\": 4, \"graduation_year\": 2023, \"match_year\": "
                 "2026}") ==
        "p.json:1:49: error: at $.years_since_graduation: 4 years, but `$.graduation_year` 2023 and `$.match_year` "
        "2026 make 3 at the start of residency, and no more can have passed before it; correct one of the three\n");
  // The boundaries load: graduating in the match year, Step 2 CK in it, fewer years so far.
  CHECK(problems("{\"step2ck\": 250, \"graduation_year\": 2026, \"match_year\": 2026, \"step2ck_year\": 2026}").empty());
  CHECK(problems("{\"stage\": \"graduate\", \"years_since_graduation\": 2, \"graduation_year\": 2023, \"match_year\": "
                 "2026}").empty());
  CHECK(problems("{\"stage\": \"graduate\", \"years_since_graduation\": 3, \"graduation_year\": 2023, \"match_year\": "
                 "2026}").empty());
}
