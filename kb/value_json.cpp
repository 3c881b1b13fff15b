// The one converter of values to JSON (kb/value_json.hpp).
#include "kb/value_json.hpp"

#include <cmath>

namespace advise {

nlohmann::ordered_json value_json(const Value& v, const KnowledgeBase& kb) {
  using json = nlohmann::ordered_json;
  switch (v.kind) {
    case Value::Kind::Missing: return nullptr;
    case Value::Kind::Bool: return v.flag;
    case Value::Kind::Number:
      // Range first: converting a double outside long long's range is
      // undefined behaviour (`step2ck * 1e20`).
      if (!std::isfinite(v.num)) return nullptr;
      if (std::fabs(v.num) < 1e15 && v.num == std::floor(v.num)) return static_cast<long long>(v.num);
      return v.num;
    case Value::Kind::Symbol: return kb.display(v);
    case Value::Kind::Text: return *v.text;
    case Value::Kind::Range: {
      json r = json::object();
      r["min"] = value_json(Value::number(v.num), kb);
      r["max"] = value_json(Value::number(v.hi), kb);
      return r;
    }
    case Value::Kind::List: {
      json a = json::array();
      for (const Value& x : v.list_items()) a.push_back(value_json(x, kb));
      return a;
    }
    case Value::Kind::Map: {
      json o = json::object();
      const ValueList& it = v.list_items();
      for (std::size_t i = 0; i + 1 < it.size(); i += 2) o[kb.display(it[i])] = value_json(it[i + 1], kb);
      return o;
    }
  }
  return nullptr;
}

}  // namespace advise
