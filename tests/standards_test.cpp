// Standards with effective dates (kb/standards.json): the value in force on
// the knowledge base's `as_of` date is what the rules read, and a malformed
// file is an error naming the file and the JSON path.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "dsl/checker.hpp"
#include "dsl/parser.hpp"
#include "dsl/diagnostics.hpp"
#include "engine/engine.hpp"
#include "kb/knowledge_base.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A copy of the bundled knowledge base with `standards` as its standards.json.
struct KbCopy {
  TempDir dir;
  explicit KbCopy(const std::string& standards) {
    for (const char* f : {"schema.json", "specialties.json", "figures.json"})
      dir.file(f, slurp(std::string(ADVISE_SOURCE_DIR) + "/kb/" + f));
    dir.file("standards.json", standards);
  }
  std::string errors() const {
    std::vector<DataError> errs;
    auto kb = load_knowledge_base(dir.path.string(), errs);
    std::string out;
    for (const auto& e : errs) {
      DataError rel = e;
      rel.file = std::filesystem::path(e.file).filename().string();
      out += rel.text() + "\n";
    }
    return out;
  }
};

const char* kStep2 = R"({"as_of": "AS_OF", "standards": {"step2_passing": {"description": "d", "source": "s",
  "values": [{"value": 209}, {"from": "2022-07-01", "value": 214}, {"from": "2025-07-01", "value": 218}]}}})";

std::string with_as_of(const std::string& date) {
  std::string s = kStep2;
  s.replace(s.find("AS_OF"), 5, date);
  return s;
}

double in_force(const std::string& as_of) {
  KbCopy c(with_as_of(as_of));
  std::vector<DataError> errs;
  auto kb = load_knowledge_base(c.dir.path.string(), errs);
  REQUIRE(kb);
  const Standard* s = kb->standard("step2_passing");
  REQUIRE(s);
  return s->history.at(s->in_force).value;
}

}  // namespace

TEST_CASE("standards: the bundled Step 2 CK passing score in force is 218", "[standards]") {
  const Standard* s = bundled_kb()->standard("step2_passing");
  REQUIRE(s);
  CHECK(s->history.size() == 3);
  CHECK(s->history.at(s->in_force).value == 218);
  CHECK(s->history.at(s->in_force).from == "2025-07-01");
  CHECK(s->secondary);
}

TEST_CASE("standards: the value in force follows as_of, both sides of each date", "[standards]") {
  CHECK(in_force("2022-06-30") == 209);
  CHECK(in_force("2022-07-01") == 214);
  CHECK(in_force("2025-06-30") == 214);
  CHECK(in_force("2025-07-01") == 218);
}

TEST_CASE("standards: a malformed standards.json names the file and the JSON path", "[standards]") {
  CHECK(KbCopy(R"({"standards": {}})").errors() ==
        "standards.json: error: at $.as_of: expected the date the standards were last checked, as \"YYYY-MM-DD\"\n");
  CHECK(KbCopy(R"({"as_of": "2026-11-30", "standard": {}})").errors() ==
        "standards.json: error: at $.standard: unknown key `standard`; did you mean `standards`?\n"
        "standards.json: error: at $.standards: expected an object keyed by standard name\n");
  CHECK(KbCopy(R"({"as_of": "2026-11-30", "standards": {"x": {"description": "d", "source": "s", "values": [
           {"from": "2025-07-01", "value": 1}, {"from": "2022-07-01", "value": 2}]}}})")
            .errors() == "standards.json: error: at $.standards.x.values[1].from: dates must increase: 2022-07-01 is not "
                         "after 2025-07-01\n");
  CHECK(KbCopy(R"({"as_of": "2026-11-30", "standards": {"x": {"description": "d", "source": "s", "values": [
           {"value": 1}, {"value": 2}]}}})")
            .errors() == "standards.json: error: at $.standards.x.values[1]: only the first value may leave out "
                         "\"from\"; say when this one took effect\n");
  CHECK(KbCopy(R"({"as_of": "2020-01-01", "standards": {"x": {"description": "d", "source": "s", "values": [
           {"from": "2022-07-01", "value": 1}]}}})")
            .errors() == "standards.json: error: at $.standards.x.values: no value is in force on 2020-01-01 "
                         "(`as_of`); give the first one no \"from\" or an earlier date\n");
  CHECK(KbCopy(R"({"as_of": "2026-11-30", "standards": {"step2ck": {"description": "d", "source": "s", "values": [
           {"value": 1}]}}})")
            .errors() == "standards.json: error: at $.standards.step2ck: `step2ck` is already a profile field or a "
                         "conclusion; give the standard another name\n");
  CHECK(KbCopy(R"({"as_of": "2026-13-01", "standards": {}})").errors() ==
        "standards.json: error: at $.as_of: expected the date the standards were last checked, as \"YYYY-MM-DD\"\n");
}

TEST_CASE("standards: rules read the standard in force by name; a rule file cannot redefine it", "[standards]") {
  auto rs = compile_rules("rule r \"r\"\nwhen step2ck < step2_passing\nthen\n  note \"below {step2_passing}\"\nend\n");
  bool found = false;
  for (const auto& [name, e] : rs->definitions)
    if (name == "step2_passing") found = e.constant->num == 218;
  CHECK(found);

  auto sm = std::make_shared<SourceManager>();
  std::uint32_t id = sm->add("h.rules", "const step2_passing = 214\n");
  Diagnostics d;
  LoadedRules files;
  files.files.push_back(parse_source(*sm, id, d));
  auto out = check_rules(files, bundled_kb(), sm, d);
  CHECK_FALSE(out);
  CHECK(render_text(*sm, d).find("h.rules:1:7: error: `step2_passing` is already a standard the knowledge base defines "
                                 "(kb/standards.json)") != std::string::npos);
}

TEST_CASE("counted placeholders: the word agrees with 0, 1, 2 and missing", "[placeholders]") {
  auto rs = compile_rules(
      "rule r \"r\"\n  source \"x\"\nwhen specialty is present\nthen\n"
      "  note \"{publications|publication|publications}; {count(profile.backup_specialties)|backup|backups}\"\n"
      "end\n");
  const TextTemplate& t = rs->rules.at(0).actions.at(0).text;
  auto render = [&](const std::string& json) {
    Profile p = load_test_profile(json);
    struct View final : ValueView {
      const Profile& p;
      std::size_t fields;
      explicit View(const Profile& pr) : p(pr), fields(pr.values.size()) {}
      const Value& get(std::int32_t slot) const override {
        static const Value none;
        return static_cast<std::size_t>(slot) < fields ? p.values[static_cast<std::size_t>(slot)] : none;
      }
    } view(p);
    return render_template(t, view, *bundled_kb());
  };
  CHECK(render("{\"target_specialty\": \"dermatology\"}") ==
        "an unknown number of publications; an unknown number of backups");
  CHECK(render("{\"publications\": 0, \"backup_specialties\": []}") == "0 publications; 0 backups");
  CHECK(render("{\"publications\": 1, \"backup_specialties\": [\"pm_r\"]}") == "1 publication; 1 backup");
  CHECK(render("{\"publications\": 2, \"backup_specialties\": [\"pm_r\", \"psychiatry\"]}") ==
        "2 publications; 2 backups");
}

TEST_CASE("counted placeholders: malformed forms and non-numbers are errors", "[placeholders]") {
  auto check = [](const std::string& note) {
    auto sm = std::make_shared<SourceManager>();
    std::uint32_t id = sm->add("h.rules", "rule r \"r\"\n  source \"x\"\nwhen specialty is present\nthen\n  note \"" +
                                              note + "\"\nend\n");
    Diagnostics d;
    LoadedRules files;
    files.files.push_back(parse_source(*sm, id, d));
    CHECK_FALSE(check_rules(files, bundled_kb(), sm, d));
    std::string text = render_text(*sm, d);
    return text.substr(0, text.find('\n'));
  };
  CHECK(check("{publications|publication}") ==
        "h.rules:5:9: error: a counted placeholder is `{NUMBER|singular|plural}`, like "
        "`{publications|publication|publications}` [bad-placeholder]");
  CHECK(check("{publications|a|b|c}") ==
        "h.rules:5:9: error: a counted placeholder is `{NUMBER|singular|plural}`, like "
        "`{publications|publication|publications}` [bad-placeholder]");
  CHECK(check("{publications||b}") ==
        "h.rules:5:9: error: a counted placeholder is `{NUMBER|singular|plural}`, like "
        "`{publications|publication|publications}` [bad-placeholder]");
  CHECK(check("{specialty|a|b}") ==
        "h.rules:5:9: error: a counted placeholder needs a number, and `specialty` is a specialty value; use "
        "`count(...)` to count a list [bad-placeholder]");
}
