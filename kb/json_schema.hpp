// The applicant-profile JSON Schema (draft 2020-12), generated from the same
// knowledge base the validator uses (kb/profile.cpp), so that editors check a
// profile while an advisor types it exactly as `advise` will. The committed
// kb/profile.schema.json is this function's output over the bundled kb/
// (`advise schema > kb/profile.schema.json`; a unit test keeps them equal).
#pragma once

#include <nlohmann/json.hpp>

#include "kb/knowledge_base.hpp"

namespace advise {

// Fields in schema order, each with its description, type, enum (by $ref to
// $defs) and minimum/maximum, lists with maxItems (kMaxProfileListItems);
// `x_` fields allowed by patternProperties, everything else refused
// (additionalProperties false); at most kMaxProfileKeys fields. Deterministic.
nlohmann::ordered_json profile_json_schema(const KnowledgeBase& kb);

}  // namespace advise
