// The JSON report's values come from the one converter in kb/value_json.hpp
// (the knowledge base's fact readers use it too); the report is written with
// kb/json_writer.hpp, straight into one buffer.
#pragma once

#include "engine/explain.hpp"
#include "kb/json_writer.hpp"
#include "kb/value_json.hpp"

namespace advise {

struct RuleSet;

// The members of the JSON report (docs/report.md), written into an object
// `w` has open: render_json wraps them in braces; `advise batch` puts its own
// members ("line", "carried") before them in the same record.
void write_report_json(JsonWriter& w, const Report& report, const RuleSet& rules);

}  // namespace advise
