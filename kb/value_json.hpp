// Values as JSON: the one converter the whole program uses (`advise --format
// json`, `advise batch`, `advise diff --format json`, facts written back as JSON), so that one value reads
// the same everywhere. docs/report.md ("Values") documents the mapping.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

#include "kb/knowledge_base.hpp"

namespace advise {

// Numbers as numbers: an integral number below 10^15 in magnitude as an
// integer, any other finite number as a double, a non-finite one (only
// arithmetic overflow makes one) as null; enum values and specialty ids as
// strings; ranges as {"min", "max"}; lists as arrays; maps as objects keyed by
// the display of their keys, in the map's own order (the order the rules
// added the keys); Missing as null.
nlohmann::ordered_json value_json(const Value& v, const KnowledgeBase& kb);

class JsonWriter;
// The same conversion, appended to a JsonWriter (kb/json_writer.hpp): what
// the JSON report and `advise batch` write with. Both forms take their
// numbers from json_number below, so one value reads the same in each.
void write_value_json(JsonWriter& w, const Value& v, const KnowledgeBase& kb);

// How a number is written: null when not finite, an integer when integral and
// below 10^15 in magnitude (range first: converting a double outside long
// long's range is undefined behaviour, `step2ck * 1e20`), else a double.
struct JsonNumber {
  enum class Kind : std::uint8_t { Null, Integer, Double } kind = Kind::Null;
  long long integer = 0;
};
JsonNumber json_number(double x);

}  // namespace advise
