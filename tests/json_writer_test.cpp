// kb/json_writer.hpp writes the bytes nlohmann's dump() writes for the same
// document, compact and indented: the JSON report and `advise batch` kept
// their goldens when they moved to it.
#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kb/json_writer.hpp"
#include "kb/sanitize.hpp"

using advise::JsonWriter;
using ojson = nlohmann::ordered_json;

namespace {

// What the reports wrote before the writer: nlohmann's dump, then the
// terminal-safe escapes of kb/sanitize.hpp.
std::string nl(const ojson& j, int indent) {
  return advise::json_terminal_safe(j.dump(indent, ' ', false, ojson::error_handler_t::replace));
}

std::string written(const ojson& j, JsonWriter::Style style) {
  std::string out;
  JsonWriter w(out, style);
  w.value(j);
  return out;
}

}  // namespace

TEST_CASE("the JSON writer writes what nlohmann dumps, compact and indented", "[json_writer]") {
  std::vector<std::string> texts = {
      "", "plain", "quote \" and backslash \\", "controls \b\f\n\r\t \x01 \x1f end", "slash / stays",
      "UTF-8: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "DEL \x7f", "C1 \xc2\x9b and \xc2\x80", "NBSP \xc2\xa0 stays",
      "bidi \xd8\x9c \xe2\x80\x8e \xe2\x80\x8f \xe2\x80\xaa \xe2\x80\xae \xe2\x81\xa6 \xe2\x81\xa9", "not bidi \xe2\x80\x94 \xe2\x81\xaa",
      "stray \xff byte", "truncated \xe2\x82", "overlong \xc0\xaf", "surrogate \xed\xa0\x80", "above U+10FFFF \xf4\x90\x80\x80",
  };
  ojson doc = ojson::object();
  ojson strings = ojson::array();
  for (const auto& t : texts) strings.push_back(t);
  doc["strings"] = strings;
  doc["numbers"] = {0,    -1,   1234567890123LL, 0.5, -2.25, 1e20, 1e-7, 3.0, 0.1, 123456789.125,
                    std::numeric_limits<double>::max(), std::numeric_limits<double>::infinity()};
  doc["unsigned"] = std::numeric_limits<unsigned long long>::max();
  doc["empty_object"] = ojson::object();
  doc["empty_array"] = ojson::array();
  doc["nested"] = {{"a", {{"b", ojson::array({1, ojson::object(), ojson::array(), nullptr, true, false})}}}};
  doc["null"] = nullptr;
  doc["key with \"quote\" and \n"] = "value";
  CHECK(written(doc, JsonWriter::Style::Compact) == nl(doc, -1));
  CHECK(written(doc, JsonWriter::Style::Indented) == nl(doc, 2));
  // A lone value, and each text on its own.
  for (const auto& t : texts) CHECK(written(ojson(t), JsonWriter::Style::Compact) == nl(ojson(t), -1));
  CHECK(written(ojson(42), JsonWriter::Style::Indented) == "42");
}

TEST_CASE("the JSON writer's raw values and optional texts", "[json_writer]") {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("carried");
  w.raw("{\"id\":7}");
  w.key("name");
  w.string_or_null(nullptr);
  std::string s = "x";
  w.key("other");
  w.string_or_null(&s);
  w.end_object();
  CHECK(out == R"({"carried":{"id":7},"name":null,"other":"x"})");
}

TEST_CASE("the JSON writer finds every character to escape, wherever it is in a long text", "[json_writer]") {
  // The writer skips plain ASCII eight bytes at a time: put each kind of
  // character at every offset of a text longer than a few words.
  const std::string plain = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (const std::string special : {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc2\x9b", "\xc3\xa9", "\xe2\x80\xae", "\xff", " "}) {
    for (std::size_t at = 0; at <= plain.size(); ++at) {
      std::string text = plain.substr(0, at) + special + plain.substr(at);
      INFO(at);
      CHECK(written(ojson(text), JsonWriter::Style::Compact) == nl(ojson(text), -1));
    }
  }
}

TEST_CASE("json writer: a fork writes the rest of an array elsewhere, and joined the bytes are one writer's",
          "[json]") {
  ojson doc = ojson::parse(R"({"a": 1, "list": [{"x": "\u009b1", "y": [1, 2]}, {"x": "2"}, [], {"x": "\u00ff"}, 3], "z": {}})");
  for (int indent : {-1, 2}) {
    INFO("indent " << indent);
    std::string one;
    {
      JsonWriter w(one, indent < 0 ? JsonWriter::Style::Compact : JsonWriter::Style::Indented);
      w.value(doc);
    }
    for (std::size_t split = 1; split < doc["list"].size(); ++split) {
      INFO("split " << split);
      std::string joined, rest;
      JsonWriter w(joined, indent < 0 ? JsonWriter::Style::Compact : JsonWriter::Style::Indented);
      w.begin_object();
      w.key("a");
      w.value(doc["a"]);
      w.key("list");
      w.begin_array();
      JsonWriter fork = w.fork(rest);  // before the first half: it is written as if after it
      for (std::size_t i = 0; i < split; ++i) w.value(doc["list"][i]);
      for (std::size_t i = split; i < doc["list"].size(); ++i) fork.value(doc["list"][i]);
      w.buffer() += rest;
      w.end_array();
      w.key("z");
      w.value(doc["z"]);
      w.end_object();
      CHECK(joined == one);
      CHECK(joined == nl(doc, indent));
    }
  }
}
