// Profile validation (kb/profile.hpp) and the generated JSON Schema
// (kb/json_schema.hpp): the exact messages applicants and advisors see.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "kb/json_schema.hpp"
#include "kb/profile.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

const KnowledgeBase& kb() { return *bundled_kb(); }

// Every problem with `text`, one line each, as `advise` prints them.
std::string problems(const std::string& text) {
  std::vector<DataError> errors;
  auto p = load_profile(text, "p.json", kb(), errors);
  CHECK_FALSE(p);
  std::string out;
  for (const DataError& e : errors) out += e.text() + "\n";
  return out;
}

}  // namespace

TEST_CASE("profile: a valid profile loads, x_ fields carried in order and ignored", "[profile]") {
  std::vector<DataError> errors;
  auto p = load_profile(R"({"x_z": 1, "stage": "ms3", "step2ck": 251, "x_a": {"anything": [null]}})", "p.json", kb(),
                        errors);
  REQUIRE(errors.empty());
  REQUIRE(p);
  CHECK(p->carried.dump() == R"({"x_z":1,"x_a":{"anything":[null]}})");
  CHECK(kb().display(p->values[static_cast<std::size_t>(kb().field_index("stage"))]) == "ms3");
  CHECK(p->values[static_cast<std::size_t>(kb().field_index("publications"))].is_missing());
}

TEST_CASE("profile: every example profile is valid", "[profile]") {
  for (const char* name : {"example", "derm_example1", "ortho_example2", "sparse"}) {
    std::vector<DataError> errors;
    auto p = load_profile(read_file(std::string(ADVISE_SOURCE_DIR) + "/examples/profiles/" + name + ".json"), name, kb(),
                          errors);
    INFO(name);
    CHECK(errors.empty());
    CHECK(p);
  }
}

TEST_CASE("profile: all schema problems at once, in document order, with line, column and suggestions", "[profile]") {
  std::string text = R"({
  "step2_ck": 250,
  "target_specialty": "dermatolgy",
  "stage": 3,
  "nbme_practice": [200, 400, "x"],
  "x_id": 5,
  "Publications": 2,
  "specialty": "pm_r",
  "can_relocate": "yes",
  "backup_specialties": "internal_medicine",
  "step2ck": "250",
  "name": null,
  "years_since_graduation": 2.5
})";
  CHECK(problems(text) ==
        "p.json:2:3: error: at $.step2_ck: unknown field `step2_ck` (prefix it with `x_` to carry a field Advise "
        "should ignore); did you mean `step2ck`?\n"
        "p.json:3:23: error: at $.target_specialty: unknown specialty `dermatolgy`; did you mean `dermatology`?\n"
        "p.json:4:12: error: at $.stage: expected one of the stage values, found an integer 3\n"
        "p.json:5:26: error: at $.nbme_practice[1]: expected from 1 to 300, found 400\n"
        "p.json:5:31: error: at $.nbme_practice[2]: expected an integer, found a string \"x\"\n"
        "p.json:7:3: error: at $.Publications: unknown field `Publications` (prefix it with `x_` to carry a field "
        "Advise should ignore); did you mean `publications`?\n"
        "p.json:8:3: error: at $.specialty: unknown field `specialty` (prefix it with `x_` to carry a field Advise "
        "should ignore); did you mean `target_specialty`?\n"
        "p.json:9:19: error: at $.can_relocate: expected true or false, found a string \"yes\"; did you mean `true`?\n"
        "p.json:10:25: error: at $.backup_specialties: expected a list, found a string \"internal_medicine\"; did you "
        "mean `[\"internal_medicine\"]`?\n"
        "p.json:11:14: error: at $.step2ck: expected an integer, found a string \"250\"; did you mean `250`?\n"
        "p.json:12:11: error: at $.name: null is not a value; leave the field out when it is not known\n"
        "p.json:13:29: error: at $.years_since_graduation: expected a whole number, found 2.5\n");
}

TEST_CASE("profile: columns count characters, not bytes", "[profile]") {
  CHECK(problems(R"({"name": "Zoë", "stage": "ms9"})") ==
        "p.json:1:26: error: at $.stage: unknown stage `ms9` (one of ms1 ms2 ms3 ms4 graduate); did you mean `ms1`?\n");
}

TEST_CASE("profile: JSON syntax errors say where, what was found and what was expected", "[profile]") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {R"({"stage": tru})",
       "p.json:1:11: error: invalid JSON: `tru` is not a JSON value (texts need double quotes; the words JSON knows "
       "are true, false and null)\n"},
      {R"({"stage": "ms3",})", "p.json:1:16: error: invalid JSON: a comma before `}`; JSON allows no comma after the "
                               "last field\n"},
      {R"({"nbme_practice": [250,]})",
       "p.json:1:23: error: invalid JSON: a comma before `]`; JSON allows no comma after the last item\n"},
      {R"({"stage" "ms3"})", "p.json:1:10: error: invalid JSON: expected `:` after the field name, found `\"ms3\"`\n"},
      {R"({"stage": "ms3" "step2ck": 250})",
       "p.json:1:17: error: invalid JSON: expected `,` or `}` after the value, found `\"step2ck\"`; is a comma "
       "missing?\n"},
      {"{\"stage\": \"ms3", "p.json:1:11: error: invalid JSON: a text in double quotes is not closed\n"},
      {"{\"stage\": \"ms3\"\n", "p.json:1:16: error: invalid JSON: the text ends before the JSON is complete; expected "
                               "`}` to close the object\n"},
      {R"({"stage": "ms3"} {)",
       "p.json:1:18: error: invalid JSON: unexpected `{` after the end of the JSON object; a profile is one object\n"},
      {R"({'stage': 'ms3'})", "p.json:1:2: error: invalid JSON: texts and field names need double quotes, found `'`\n"},
      {R"({"step2ck": 1e400})", "p.json:1:13: error: at $.step2ck: invalid JSON: the number `1e400` is too large\n"},
      {"{\"name\": \"a\nb\"}",
       "p.json:1:12: error: invalid JSON: in a text in double quotes: control character U+000A (LF) must be escaped "
       "to \\u000A or \\n\n"},
      {"{\"name\": \"\xff\"}", "p.json:1:11: error: invalid JSON: the text is not valid UTF-8 here; save the file as "
                              "UTF-8\n"},
      {R"({"step2ck": -})", "p.json:1:13: error: invalid JSON: invalid number; expected digit after '-', found `-`\n"},
      {"", "p.json:1:1: error: the profile is empty; a profile is a JSON object, like {\"stage\": \"ms3\", \"step2ck\": "
           "251}\n"},
      {" \n\t", "p.json:1:1: error: the profile is empty; a profile is a JSON object, like {\"stage\": \"ms3\", "
                "\"step2ck\": 251}\n"},
      {"[1, 2]", "p.json:1:1: error: at $: expected a JSON object of profile fields, like {\"stage\": \"ms3\", "
                 "\"step2ck\": 251}, found a list\n"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    CHECK(problems(c.text) == c.message);
  }
}

TEST_CASE("profile: a UTF-8 byte-order mark is accepted", "[profile]") {
  std::vector<DataError> errors;
  CHECK(load_profile("\xEF\xBB\xBF{\"stage\": \"ms3\"}", "p.json", kb(), errors));
  CHECK(errors.empty());
}

TEST_CASE("profile: duplicate keys are refused, never silently resolved", "[profile]") {
  CHECK(problems("{\"stage\": \"ms3\",\n \"stage\": \"ms4\", \"stage\": \"ms1\"}") ==
        "p.json:2:2: error: at $.stage: the field `stage` appears twice; keep one\n"
        "p.json:2:18: error: at $.stage: the field `stage` appears twice; keep one\n");
  CHECK(problems(R"({"x_note": {"a": 1, "a": 2}})") ==
        "p.json:1:12: error: at $.x_note: the key `a` appears twice in one object inside this value; keep one\n");
}

TEST_CASE("profile: duplicates and schema problems are reported together", "[profile]") {
  CHECK(problems(R"({"stage": "ms3", "stage": "ms4", "step2_ck": 1})") ==
        "p.json:1:18: error: at $.stage: the field `stage` appears twice; keep one\n"
        "p.json:1:34: error: at $.step2_ck: unknown field `step2_ck` (prefix it with `x_` to carry a field Advise "
        "should ignore); did you mean `step2ck`?\n");
}

TEST_CASE("profile: deep nesting is refused without exhausting the stack", "[profile]") {
  std::string deep = "{\"x_a\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK(problems(deep) ==
        "p.json:1:72: error: lists and objects nest deeper than 64 levels; a profile is a flat object of fields\n");
  // 64 levels are fine: the profile object and 63 lists.
  std::string ok = "{\"x_a\": " + std::string(63, '[') + std::string(63, ']') + "}";
  std::vector<DataError> errors;
  CHECK(load_profile(ok, "p.json", kb(), errors));
}

TEST_CASE("profile: the size limit", "[profile]") {
  std::string big = "{\"x_pad\": \"" + std::string(kMaxProfileBytes, 'a') + "\"}";
  CHECK(problems(big) == "p.json: error: the profile is 1,048,589 bytes; a profile may be at most 1 MiB (1,048,576 bytes)\n");
  std::string fits = "{\"x_pad\": \"" + std::string(kMaxProfileBytes - 13, 'a') + "\"}";
  REQUIRE(fits.size() == kMaxProfileBytes);
  std::vector<DataError> errors;
  CHECK(load_profile(fits, "p.json", kb(), errors));
}

TEST_CASE("profile: odd keys get a JSON path that names them exactly, and short messages", "[profile]") {
  CHECK(problems(R"({"step 2ck": 1})") ==
        "p.json:1:2: error: at $[\"step 2ck\"]: unknown field `step 2ck` (prefix it with `x_` to carry a field Advise "
        "should ignore); did you mean `step2ck`?\n");
  std::string long_key(100, 'k');
  CHECK(problems("{\"" + long_key + "\": 1}") ==
        "p.json:1:2: error: at $." + long_key + ": unknown field `" + std::string(37, 'k') +
            "...` (prefix it with `x_` to carry a field Advise should ignore)\n");
}

TEST_CASE("profile: many problems in a large profile are located in linear time", "[profile]") {
  std::string text = "{";
  // As many fields as an object may have (kMaxProfileKeys), all unknown.
  for (int i = 0; i < 1000; ++i) text += (i ? ",\"u" : "\"u") + std::to_string(i) + "\": 1";
  text += "}";
  std::vector<DataError> errors;
  CHECK_FALSE(load_profile(text, "p.json", kb(), errors));
  REQUIRE(errors.size() == 1000);
  CHECK(errors.back().column == text.size() - 9);  // the last key, "u999"
}

TEST_CASE("profile: profile_from_json reports paths without places", "[profile]") {
  std::vector<DataError> errors;
  auto p = profile_from_json(nlohmann::json::parse(R"({"stage": "ms7"})"), "p.json", kb(), errors);
  CHECK_FALSE(p);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].text() == "p.json: error: at $.stage: unknown stage `ms7` (one of ms1 ms2 ms3 ms4 graduate); did "
                            "you mean `ms1`?");
}

TEST_CASE("json schema: the committed kb/profile.schema.json is generated from the knowledge base") {
  // Regenerate with: advise schema > kb/profile.schema.json
  std::string committed = read_file(std::string(ADVISE_SOURCE_DIR) + "/kb/profile.schema.json");
  CHECK(committed == profile_json_schema(kb()).dump(2) + "\n");
}

TEST_CASE("json schema: fields, enums, ranges and the x_ escape hatch") {
  nlohmann::ordered_json s = profile_json_schema(kb());
  CHECK(s["$schema"] == "https://json-schema.org/draft/2020-12/schema");
  CHECK(s["additionalProperties"] == false);
  CHECK(s["patternProperties"].contains("^x_"));
  CHECK(s["properties"].size() == kb().fields.size());
  CHECK(s["properties"]["step2ck"]["type"] == "integer");
  CHECK(s["properties"]["step2ck"]["minimum"] == 1);
  CHECK(s["properties"]["step2ck"]["maximum"] == 300);
  CHECK(s["properties"]["nbme_practice"]["items"]["maximum"] == 300);
  CHECK(s["properties"]["target_specialty"]["$ref"] == "#/$defs/specialty");
  CHECK(s["properties"]["core_honors"]["items"]["$ref"] == "#/$defs/rotation");
  CHECK(s["$defs"]["specialty"]["enum"].size() == kb().specialties.size());
  CHECK(s["$defs"]["stage"]["enum"] == nlohmann::ordered_json::array({"ms1", "ms2", "ms3", "ms4", "graduate"}));
  for (const FieldDef& f : kb().fields) {
    INFO(f.name);
    CHECK(s["properties"][f.name]["description"] == f.description);
  }
}

TEST_CASE("knowledge-base files: bad JSON is a located error, never an exception", "[kb]") {
  auto text_of = [](const std::string& json) {
    std::vector<DataError> errors;
    auto j = parse_json_document(json, "kb/figures.json", errors);
    CHECK_FALSE(j);
    std::string out;
    for (const DataError& e : errors) out += e.text() + "\n";
    return out;
  };
  CHECK(text_of("{\n  \"x\": 1e999\n}\n") == "kb/figures.json:2:8: error: invalid JSON: the number `1e999` is too large\n");
  CHECK(text_of("{\"a\": 1, \"a\": 2}") ==
        "kb/figures.json: error: at $.a: the key `a` appears twice in one object; keep one\n");
  // At the word, in our words (kb/json_syntax.hpp), not nlohmann's message.
  CHECK(text_of("{\"a\": tru}") ==
        "kb/figures.json:1:7: error: invalid JSON: `tru` is not a JSON value (texts need double quotes; the words JSON "
        "knows are true, false and null)\n");
  CHECK(text_of("{\"a\": 1} {") ==
        "kb/figures.json:1:10: error: invalid JSON: unexpected `{` after the end of the JSON document; a knowledge "
        "base file is one document\n");
  CHECK(text_of("{\"a\": \"x\\q\"}") ==
        "kb/figures.json:1:10: error: invalid JSON: in a text in double quotes: forbidden character after backslash\n");
}

TEST_CASE("format_number: whole numbers exactly, others to four significant digits", "[kb]") {
  CHECK(format_number(250) == "250");
  CHECK(format_number(-3) == "-3");
  CHECK(format_number(2.5) == "2.5");
  CHECK(format_number(0.123456) == "0.1235");
  CHECK(format_number(12345.6) == "1.235e+04");
  CHECK(format_number(1e20) == "1e+20");
}

TEST_CASE("profile: the one-pass reader gives what the full reader gives", "[profile]") {
  // load_profile reads the usual profile in one pass and leaves anything
  // unusual to the full reader (parse_profile_json + profile_from_json):
  // both must make the same profile of the same text, or the same errors.
  std::vector<std::string> texts = {
      R"({"stage": "ms3", "step2ck": 251, "name": "Zoë \u00e9", "x_id": "P1", "x_ok": true})",
      R"({"name":"Zoë Café ✓","stage":"ms3","step2ck":251.0,"publications":0,"core_rotations_done":[],"x_b":false})",
      "\t{\r\n \"stage\" : \"graduate\" , \"step2ck\" : 260 }\n",
      R"({"stage": "ms3", "step2ck": 251.5})",
      R"({"stage": "ms3", "step2ck": -0})",
      R"({"stage": "ms3", "publications": 0.5})",
      R"({"stage": "ms3", "step2ck": 2.51e2})",
      R"({"stage": "ms3", "step2ck": 1000})",
      R"({"stage": "ms3", "stage": "ms4"})",
      R"({"x_a": 1, "x_a": 2})",
      R"({"x_n": null, "x_o": {"k": [1, 2.5]}, "x_num": 12345678901234567890})",
      R"({"stage": "ms9"})",
      R"({"stage": null})",
      R"({"stagee": "ms3"})",
      R"({"stage": "ms3",})",
      R"({"stage": "ms3"} x)",
      "\xEF\xBB\xBF{\"stage\": \"ms3\"}",
      R"({})",
      R"([])",
      R"({"name": "tab\there"})",
      R"({"step1": "fail", "step1_attempts": 1})",
  };
  for (const std::string& text : texts) {
    INFO(text);
    std::vector<DataError> fast_errors, full_errors;
    auto fast = load_profile(text, "p.json", kb(), fast_errors);
    std::optional<Profile> full;
    if (auto j = parse_profile_json(text, "p.json", full_errors)) full = profile_from_json(*j, "p.json", kb(), full_errors);
    REQUIRE(fast.has_value() == full.has_value());
    if (!fast) {
      CHECK_FALSE(fast_errors.empty());
      continue;
    }
    CHECK(fast->carried.dump() == full->carried.dump());
    REQUIRE(fast->values.size() == full->values.size());
    for (std::size_t i = 0; i < fast->values.size(); ++i) {
      INFO(kb().fields[i].name);
      CHECK(fast->values[i] == full->values[i]);
      CHECK(kb().display(fast->values[i]) == kb().display(full->values[i]));
    }
  }
}
