// The JSON report's values come from the one converter in kb/value_json.hpp
// (the knowledge base's fact readers use it too).
#pragma once

#include "kb/value_json.hpp"
