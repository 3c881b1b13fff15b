// Hostile profiles (issue 10): inputs under the size limit that used to take
// seconds (an object with 100,000 keys), that were silently cut short (a NUL
// byte), or whose error said nothing useful (UTF-16, numbers that underflow).
// Each is refused with what, where and what to do, by the one reader that
// `run`, `batch` and `test` share (kb/profile.hpp).
#include <catch2/catch.hpp>

#include <string>

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

bool loads(const std::string& text) {
  std::vector<DataError> errors;
  auto p = load_profile(text, "p.json", kb(), errors);
  for (const DataError& e : errors) UNSCOPED_INFO(e.text());
  return p.has_value() && errors.empty();
}

// An object of `n` members {"<prefix>0":0,"<prefix>1":0,...}.
std::string members(std::size_t n, const std::string& prefix) {
  std::string s = "{";
  for (std::size_t i = 0; i < n; ++i) s += (i ? ",\"" : "\"") + prefix + std::to_string(i) + "\":0";
  return s + "}";
}

// A list of `n` copies of `item`.
std::string list_of(std::size_t n, const std::string& item) {
  std::string s = "[";
  for (std::size_t i = 0; i < n; ++i) s += (i ? "," : "") + item;
  return s + "]";
}

}  // namespace

TEST_CASE("profile hardening: an object with more keys than the limit is refused at the first key too many",
          "[profile][hardening]") {
  REQUIRE(kMaxProfileKeys == 1000);
  // The reproducer of the quadratic parse: 90,000 keys in 1 MiB (it took 21 s).
  std::string many = members(90000, "k");
  std::size_t column = many.find("\"k1000\"") + 1;
  CHECK(problems(many) == "p.json:1:" + std::to_string(column) +
                              ": error: at $: the profile has more than 1000 fields; an object in a profile may have "
                              "at most 1000 keys\n");
  // Inside an x_ field: the path names the field.
  std::string nested = "{\"stage\": \"ms3\",\n \"x_data\": " + members(90000, "k") + "}";
  column = nested.find("\"k1000\"") - nested.find('\n');
  CHECK(problems(nested) == "p.json:2:" + std::to_string(column) +
                                ": error: at $.x_data: an object inside this value has more than 1000 keys; an "
                                "object in a profile may have at most 1000 keys\n");
  // Repeated keys count too: they are members all the same.
  std::string repeated = "{\"x_a\": {" + std::string("\"a\": 0") + "";
  for (int i = 0; i < 5000; ++i) repeated += ", \"a\": 0";
  repeated += "}}";
  CHECK(problems(repeated).find("more than 1000 keys") != std::string::npos);
}

TEST_CASE("profile hardening: objects at the key limit load, however many there are", "[profile][hardening]") {
  CHECK(loads(members(1000, "x_")));
  CHECK(loads("{\"x_a\": " + members(1000, "k") + "}"));
  CHECK(loads("{\"x_a\": " + list_of(100, members(1000, "k")) + "}"));
}

TEST_CASE("profile hardening: a list field with more items than the limit is refused whole",
          "[profile][hardening]") {
  REQUIRE(kMaxProfileListItems == 1000);
  std::string text = "{\"stage\": \"ms3\", \"nbme_practice\": " + list_of(500000, "0") + "}";
  CHECK(problems(text) == "p.json:1:35: error: at $.nbme_practice: the list has 500000 items; a list in a profile "
                          "field may have at most 1000\n");
  // At the limit, every item is still checked.
  std::string at_limit = "{\"nbme_practice\": " + list_of(1000, "250") + "}";
  CHECK(loads(at_limit));
  // x_ fields are carried as given: only the size limit bounds them.
  CHECK(loads("{\"x_scores\": " + list_of(200000, "0") + "}"));
}

TEST_CASE("profile hardening: many repeated keys inside one value are one problem", "[profile][hardening]") {
  std::string text = "{\"x_a\": [";
  for (int i = 0; i < 2000; ++i) text += std::string(i ? "," : "") + "{\"a\": 1, \"a\": 2}";
  text += "]}";
  CHECK(problems(text) ==
        "p.json:1:9: error: at $.x_a: the key `a` appears twice in one object inside this value; keep one\n");
}

TEST_CASE("profile hardening: a NUL byte is refused where it is, never taken for the end", "[profile][hardening]") {
  // Issue 10, item 10: this was accepted, the text after the NUL ignored.
  std::string text("{\"step2ck\": 240}\0, \"professionalism_concern\": true}", 50);
  REQUIRE(text.size() == 50);
  CHECK(problems(text) == "p.json:1:17: error: invalid JSON: found a NUL byte (0x00), so this is not text; a profile is a JSON "
                          "object in UTF-8\n");
  CHECK(problems(std::string("{\"name\": \"a\0b\"}", 15)) ==
        "p.json:1:12: error: invalid JSON: found a NUL byte (0x00), so this is not text; a profile is a JSON object in UTF-8\n");
  const char after_end[] = "{\n\"stage\": \"ms3\"\n}\n\0";
  CHECK(problems(std::string(after_end, sizeof after_end - 1)) ==
        "p.json:4:1: error: invalid JSON: found a NUL byte (0x00), so this is not text; a profile is a JSON object in UTF-8\n");
  // parse_profile_json is the same reader.
  std::vector<DataError> errors;
  CHECK_FALSE(parse_profile_json(text, "p.json", errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].column == 17);
}

TEST_CASE("profile hardening: a file of NUL bytes is not text", "[profile][hardening]") {
  CHECK(problems(std::string(kMaxProfileBytes, '\0')) ==
        "p.json:1:1: error: invalid JSON: found a NUL byte (0x00), so this is not text; a profile is a JSON object in UTF-8\n");
}

TEST_CASE("profile hardening: UTF-16 is named, with how to convert it", "[profile][hardening]") {
  const std::string bom_message =
      "p.json:1:1: error: invalid JSON: the profile is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8, for "
      "example with `iconv -f UTF-16 -t UTF-8`\n";
  const std::string nul_message =
      "p.json:1:1: error: invalid JSON: the profile looks like UTF-16 (every other byte is a NUL byte); save it as UTF-8, for "
      "example with `iconv -f UTF-16 -t UTF-8`\n";
  auto utf16 = [](const std::string& ascii, bool little_endian) {
    std::string s;
    for (char c : ascii) {
      if (little_endian) {
        s += c;
        s += '\0';
      } else {
        s += '\0';
        s += c;
      }
    }
    return s;
  };
  const std::string json = "{\"stage\": \"ms3\"}";
  CHECK(problems("\xFF\xFE" + utf16(json, true)) == bom_message);
  CHECK(problems("\xFE\xFF" + utf16(json, false)) == bom_message);
  CHECK(problems(utf16(json, true)) == nul_message);
  CHECK(problems(utf16(json, false)) == nul_message);
  // A UTF-16 mark with no NUL byte after it (text outside ASCII) is still UTF-16.
  CHECK(problems("\xFF\xFE\x3A\x4E") == bom_message);
}

TEST_CASE("profile hardening: a UTF-8 byte-order mark is skipped", "[profile][hardening]") {
  CHECK(loads("\xEF\xBB\xBF{\"stage\": \"ms3\"}"));
  CHECK(problems("\xEF\xBB\xBF{\"stage\": \"ms9\"}").rfind("p.json:1:11: error: at $.stage: unknown stage", 0) == 0);
}

TEST_CASE("profile hardening: a number that underflows is refused with its path", "[profile][hardening]") {
  CHECK(problems(R"({"step2ck": 1e-400})") ==
        "p.json:1:13: error: at $.step2ck: invalid JSON: the number `1e-400` is too small to represent (it "
        "underflows to 0); write 0 if zero is meant\n");
  CHECK(problems("{\"x_a\": {\"b c\": [1, -2.5E-999 ]}}") ==
        "p.json:1:21: error: at $.x_a[\"b c\"][1]: invalid JSON: the number `-2.5E-999` is too small to represent "
        "(it underflows to 0); write 0 if zero is meant\n");
  // Zero written any way, and small numbers a double holds, are numbers.
  CHECK(loads(R"({"x_a": [0, 0.0, -0e-400, 0E+5, 1e-300, 4.9e-324]})"));
}

TEST_CASE("profile hardening: a number that overflows says where it is", "[profile][hardening]") {
  CHECK(problems(R"({"stage": "ms3", "x_a": [1, 2, 1e400]})") ==
        "p.json:1:32: error: at $.x_a[2]: invalid JSON: the number `1e400` is too large\n");
  // Not confused by the same text earlier on.
  CHECK(problems(R"({"x_note": "1e400", "step2ck": 1e400})") ==
        "p.json:1:32: error: at $.step2ck: invalid JSON: the number `1e400` is too large\n");
}

TEST_CASE("profile hardening: the JSON Schema states the key and list limits", "[profile][hardening]") {
  nlohmann::ordered_json s = profile_json_schema(kb());
  CHECK(s["maxProperties"] == kMaxProfileKeys);
  CHECK(s["properties"]["nbme_practice"]["maxItems"] == kMaxProfileListItems);
  CHECK(s["properties"]["backup_specialties"]["maxItems"] == kMaxProfileListItems);
  CHECK_FALSE(s["properties"]["step2ck"].contains("maxItems"));
}
