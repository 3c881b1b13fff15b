// Values as JSON: the one converter the whole program uses (`advise --format
// json`, `advise batch`, `advise diff --format json`, facts written back as JSON), so that one value reads
// the same everywhere. docs/report.md ("Values") documents the mapping.
#pragma once

#include <nlohmann/json.hpp>

#include "kb/knowledge_base.hpp"

namespace advise {

// Numbers as numbers: an integral number below 10^15 in magnitude as an
// integer, any other finite number as a double, a non-finite one (only
// arithmetic overflow makes one) as null; enum values and specialty ids as
// strings; ranges as {"min", "max"}; lists as arrays; maps as objects keyed by
// the display of their keys, in the map's own order (the order the rules
// added the keys); Missing as null.
nlohmann::ordered_json value_json(const Value& v, const KnowledgeBase& kb);

}  // namespace advise
