// The JSON report's values come from the one converter in kb/value_json.hpp
// (the knowledge base's fact readers use it too); the report is written with
// kb/json_writer.hpp, straight into one buffer.
#pragma once

#include <cstdint>

#include "engine/explain.hpp"
#include "kb/json_writer.hpp"
#include "kb/value_json.hpp"

namespace advise {

struct RuleSet;

// How the report writes a rule: its whole object (name, description, guide,
// file, line, priority: schema 1), or only its name (schema 2), the objects
// being written once in a rule table (write_rule_table_json).
enum class RuleStyle : std::uint8_t { Inline, ByName };

// The members of the JSON report (docs/report.md), written into an object
// `w` has open: render_json wraps them in braces; `advise batch` puts its own
// members ("line", "carried") before them in the same record.
void write_report_json(JsonWriter& w, const Report& report, const RuleSet& rules,
                       RuleStyle style = RuleStyle::Inline);

// The rule table of schema 2: an object keyed by rule name, in the rule
// set's order, each {"description", "guide", "file", "line", "priority"}.
void write_rule_table_json(JsonWriter& w, const RuleSet& rules);

}  // namespace advise
