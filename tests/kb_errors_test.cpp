// Knowledge-base files get the profile's quality of errors: file:line:col
// for JSON syntax (a missing comma said so), did-you-mean for ids, and every
// attribute of a specialty required, each error at its place.
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <fstream>

#include "kb/knowledge_base.hpp"
#include "support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;
namespace fs = std::filesystem;

namespace {

// A copy of the bundled kb/ with `file` (specialties.json unless said) edited by `edit`.
std::vector<std::string> load_with(TempDir& dir, const std::function<void(std::string&)>& edit,
                                   const char* file = "specialties.json") {
  fs::copy(fs::path(ADVISE_SOURCE_DIR) / "kb", dir.path / "kb", fs::copy_options::recursive);
  std::string p = (dir.path / "kb" / file).string();
  std::string text = read_file(p);
  edit(text);
  std::ofstream(p, std::ios::binary) << text;
  std::vector<DataError> errors;
  auto kb = load_knowledge_base((dir.path / "kb").string(), errors);
  CHECK_FALSE(kb);
  std::vector<std::string> out;
  std::string prefix = (dir.path / "kb").string() + "/";
  for (const DataError& e : errors) {
    std::string t = e.text();
    if (t.rfind(prefix, 0) == 0) t = t.substr(prefix.size());
    out.push_back(t);
  }
  return out;
}

void replace_once(std::string& s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("kb errors: a missing attribute is an error at its specialty; an unknown id gets did-you-mean", "[kb]") {
  TempDir dir;
  auto errors = load_with(dir, [](std::string& s) {
    replace_once(s, "    \"apps_max\": 100,\n", "");
    replace_once(s, "\"backups\": [\"internal_medicine\"],", "\"backups\": [\"internal_medicne\"],");
  });
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] ==
        "specialties.json:2:18: error: at $.dermatology: the specialty `dermatology` has no `apps_max` (integer); "
        "every specialty needs each attribute of `specialty_attributes` in schema.json (`null` when it has none)");
  CHECK(errors[1] ==
        "specialties.json:6:17: error: at $.dermatology.backups[0]: unknown specialty `internal_medicne`; did you "
        "mean `internal_medicine`?");
}

TEST_CASE("kb errors: a missing comma is said to be one, at the value after it", "[kb]") {
  TempDir dir;
  auto errors = load_with(dir, [](std::string& s) { replace_once(s, "\"Dermatology\",", "\"Dermatology\""); });
  REQUIRE(errors.size() == 1);
  // The words of kb/json_syntax.hpp, as for a profile or a fact file.
  CHECK(errors[0] ==
        "specialties.json:4:5: error: invalid JSON: expected `,` or `}` after the value, found `\"class\"`; is a comma "
        "missing?");
}

TEST_CASE("kb errors: an unknown attribute gets did-you-mean, at its line", "[kb]") {
  TempDir dir;
  auto errors = load_with(dir, [](std::string& s) { replace_once(s, "\"apps_min\": 60,", "\"apps_mn\": 60,"); });
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].find("has no `apps_min`") != std::string::npos);
  CHECK(errors[1] ==
        "specialties.json:5:16: error: at $.dermatology.apps_mn: unknown attribute `apps_mn`; did you mean "
        "`apps_min`?");
}

TEST_CASE("kb errors: an `every_report` mark names profile fields and their values, with did-you-mean", "[kb]") {
  TempDir dir;
  auto errors = load_with(
      dir,
      [](std::string& s) {
        replace_once(s, "\"hoped_for\": \"single\", \"every_report\": {\"given\": [\"target_specialty\"]",
                     "\"hoped_for\": \"single\", \"every_report\": {\"given\": [\"target_specialy\"]");
        replace_once(s, "\"every_report\": {\"when\": {\"match_status\": [\"preparing\", \"applying\"",
                     "\"every_report\": {\"when\": {\"match_status\": [\"preparing\", \"aplying\"");
      },
      "schema.json");
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] ==
        "schema.json:72:154: error: at $.conclusions.strategy.every_report.given[0]: unknown profile field "
        "`target_specialy`; did you mean `target_specialty`?");
  CHECK(errors[1] ==
        "schema.json:76:139: error: at $.conclusions.step2ck_plan.every_report.when.match_status: `aplying` is not a "
        "value of `match_status`; did you mean `applying`?");
}

// Issue 11: `"min": "one"` escaped as "internal error: [json.exception.type_error.302] ...".
TEST_CASE("kb errors: a bound or description of the wrong type is an error at its place, not an exception", "[kb]") {
  TempDir dir;
  auto errors = load_with(
      dir,
      [](std::string& s) {
        replace_once(s, "\"type\": \"integer\", \"min\": 0, \"max\": 60", "\"type\": \"integer\", \"min\": \"one\", \"max\": 60");
        replace_once(s, "\"description\": \"attempts at Step 1\"", "\"description\": 1");
      },
      "schema.json");
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == "schema.json:38:79: error: at $.fields.step1_attempts.description: expected a string, found an integer 1");
  CHECK(errors[1] == "schema.json:34:58: error: at $.fields.years_since_graduation.min: expected a number, found a string \"one\"");
}

// The number too large for a double is found in the text, not in nlohmann's
// message, and a string holding the same characters is not it.
TEST_CASE("kb errors: a number too large is located at the number, not at a string that spells it", "[kb]") {
  TempDir dir;
  auto errors = load_with(
      dir,
      [](std::string& s) {
        replace_once(s, "\"text\": \"2025 Main", "\"text\": \"1e999 Main");
        replace_once(s, "\"year\": 2025,", "\"year\": 1e999,");
      },
      "figures.json");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "figures.json:5:13: error: invalid JSON: the number `1e999` is too large");
}
