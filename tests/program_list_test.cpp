// The program list (issue 14; docs/catalog.md "The program list"): the
// applicant's profile fields, `--catalog`, the listing the rules of
// catalog/program_list.rules make, and its reports.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "app/commands.hpp"
#include "kb/profile.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

struct Ran {
  int code;
  std::string out, err;
};

std::string write_temp(const std::string& name, const std::string& text) {
  static const TempDir dir;
  return dir.file(name, text);
}

Ran run_with(const std::string& profile_json, std::vector<std::string> catalogs, const std::string& format = "json",
             std::vector<std::string> why_not = {}) {
  cli::RunOptions o;
  o.profile = write_temp("program_list_profile.json", profile_json);
  o.kb_dir = source("kb");
  o.catalogs = std::move(catalogs);
  o.format = format;
  o.why_not = std::move(why_not);
  std::ostringstream out, err;
  int code = cli::cmd_run(o, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("program list: the schema's division and state enums are the keys of census_divisions.json",
          "[program_list]") {
  auto schema = nlohmann::ordered_json::parse(read_file(source("kb/schema.json")));
  auto table = nlohmann::ordered_json::parse(read_file(source("kb/census_divisions.json")));
  std::vector<std::string> divisions, states;
  for (auto it = table["divisions"].begin(); it != table["divisions"].end(); ++it) divisions.push_back(it.key());
  for (auto it = table["states"].begin(); it != table["states"].end(); ++it) states.push_back(it.key());
  for (auto it = table["territories"].begin(); it != table["territories"].end(); ++it) states.push_back(it.key());
  CHECK(schema["enums"]["census_division"].get<std::vector<std::string>>() == divisions);
  CHECK(schema["enums"]["state"].get<std::vector<std::string>>() == states);
}

TEST_CASE("program list: the applicant's profile fields are read and checked", "[program_list][profile]") {
  auto kb = bundled_kb();
  std::vector<DataError> errors;
  auto p = load_profile(
      R"({"target_specialty": "dermatology", "geographic_preferences": ["middle_atlantic", "mountain"],)"
      R"( "home_state": "OH", "program_connections": {"0800390001": ["research", "letter_writer"]},)"
      R"( "graduation_year": 2024, "match_year": 2026, "step2ck": 252, "step2ck_year": 2023, "usce_months": 6})",
      "p.json", *kb, errors);
  REQUIRE(p);
  CHECK(errors.empty());

  errors.clear();
  auto bad = load_profile(
      R"({"geographic_preferences":["mid_atlantic"],"program_connections":{"0800390001":["rotation"]}})", "bad.json",
      *kb, errors);
  CHECK_FALSE(bad);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].text() ==
        "bad.json:1:28: error: at $.geographic_preferences[0]: unknown census_division `mid_atlantic`; did you mean "
        "`middle_atlantic`?");
  CHECK(errors[1].text() ==
        "bad.json:1:66: error: at $.program_connections.0800390001[0]: unknown connection `rotation` (one of "
        "away_rotation research letter_writer home_institution)");
}

TEST_CASE("program list: a bad catalog is reported and nothing is evaluated", "[program_list][cli]") {
  std::string catalog = write_temp("program_list_bad.csv",
                                   "program_id,name,specialty,track,source,retrieved\n"
                                   "0800390001,A,dermatology,advanced,x,2025-13-01\n");
  Ran r = run_with(R"({"target_specialty": "dermatology"})", {catalog});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("program_list_bad.csv:2:") != std::string::npos);
  CHECK(r.err.find("advise: 1 problem in the catalog; nothing was evaluated\n") != std::string::npos);
}

TEST_CASE("program list: a connection to an id the catalog does not hold is a warning with a suggestion",
          "[program_list][cli]") {
  std::string catalog = write_temp("program_list_connections.csv",
                                   "program_id,name,specialty,track,source,retrieved\n"
                                   "0800390001,A,dermatology,advanced,x,2025-07-01\n"
                                   "0800390002,B,dermatology,advanced,x,2025-07-01\n");
  Ran r = run_with("{\"target_specialty\": \"dermatology\",\n \"program_connections\": {\"0800390001\": [\"research\"], "
                   "\"0800390102\": [\"letter_writer\"], \"2600390001\": [\"research\"]}}",
                   {catalog});
  CHECK(r.code == 0);
  std::string profile = write_temp("program_list_profile.json", "");
  // A suggestion only for an id one typo away (not for another specialty's id).
  CHECK(r.err == profile + ":2:68: warning: at $.program_connections.0800390102: no program of the catalog has the id "
                           "`0800390102`, so this connection places no program on the list; check the id against the "
                           "catalog; did you mean `0800390002`?\n" +
                     profile + ":2:101: warning: at $.program_connections.2600390001: no program of the catalog has "
                               "the id `2600390001`, so this connection places no program on the list; check the id "
                               "against the catalog\n");
  // The connection that is held places its program as an anchor.
  CHECK(r.out.find("\"tier\": \"anchor\"") != std::string::npos);
}

TEST_CASE("program list: many connections are checked against the catalog as a few are", "[program_list][cli]") {
  // Past 16 connections the catalog's ids are looked up in a hash set.
  std::string csv = "program_id,name,specialty,track,source,retrieved\n";
  std::string connections;
  for (int i = 1; i <= 17; ++i) {
    std::string id = std::string("08003900") + (i < 10 ? "0" : "") + std::to_string(i);
    csv += id + ",P" + std::to_string(i) + ",dermatology,advanced,x,2025-07-01\n";
    connections += "\"" + id + "\": [\"research\"], ";
  }
  std::string catalog = write_temp("program_list_many_connections.csv", csv);
  Ran r = run_with("{\"target_specialty\": \"dermatology\", \"program_connections\": {" + connections +
                       "\"0800390102\": [\"letter_writer\"]}}",
                   {catalog});
  CHECK(r.code == 0);
  // One warning, for the one id the catalog does not hold; the smallest id one typo away.
  CHECK(r.err.find("warning: at $.program_connections.0800390102: no program of the catalog has the id `0800390102`") !=
        std::string::npos);
  CHECK(r.err.find("did you mean `0800390002`?\n") != std::string::npos);
  CHECK(r.err.find("warning", r.err.find("warning") + 1) == std::string::npos);
}

TEST_CASE("program list: a reason's values under a guard with an `or` are those of the side that held",
          "[program_list][cli]") {
  // Rules whose guards hold an `or` do not have one plan of values for all
  // their firings: each firing's tests are walked (the side that held only).
  std::string catalog = write_temp("program_list_or.csv",
                                   "program_id,name,specialty,track,source,retrieved\n"
                                   "0800390001,A,dermatology,advanced,x,2025-07-01\n");
  std::string extra = write_temp("program_list_or.rules",
                                 "rule pl_z_or \"A guard with an or\"\n"
                                 "  source \"test\"\n"
                                 "  priority -200\n"
                                 "when (specialty is dermatology or step2ck > 300)\n"
                                 "  and for each listing l where l.tier is not excluded\n"
                                 "    and l.contingency is missing\n"
                                 "then\n"
                                 "  change l with contingency = true\n"
                                 "end\n");
  cli::RunOptions o;
  o.profile = write_temp("program_list_profile.json", "{\"target_specialty\": \"dermatology\", \"step2ck\": 240}");
  o.kb_dir = source("kb");
  o.rules = {source("rules"), extra};
  o.catalogs = {catalog};
  o.format = "json";
  std::ostringstream out, err;
  REQUIRE(cli::cmd_run(o, out, err) == 0);
  auto j = nlohmann::json::parse(out.str());
  const auto& list = j["conclusions"]["program_list"];
  REQUIRE(list.size() == 1);
  std::string values;
  for (const auto& r : list[0]["reasons"])
    if (r["rule"] == "pl_z_or") values = r["values"];
  CHECK(values == "your target specialty Dermatology");
}
