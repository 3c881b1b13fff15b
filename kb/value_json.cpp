// The one converter of values to JSON (kb/value_json.hpp).
#include "kb/value_json.hpp"

#include <cmath>

#include "kb/json_writer.hpp"

namespace advise {

JsonNumber json_number(double x) {
  // Range first: converting a double outside long long's range is
  // undefined behaviour (`step2ck * 1e20`).
  if (!std::isfinite(x)) return {};
  if (std::fabs(x) < 1e15 && x == std::floor(x)) return {JsonNumber::Kind::Integer, static_cast<long long>(x)};
  return {JsonNumber::Kind::Double, 0};
}

nlohmann::ordered_json value_json(const Value& v, const KnowledgeBase& kb) {
  using json = nlohmann::ordered_json;
  switch (v.kind) {
    case Value::Kind::Missing: return nullptr;
    case Value::Kind::Bool: return v.flag;
    case Value::Kind::Number: {
      JsonNumber n = json_number(v.num);
      if (n.kind == JsonNumber::Kind::Null) return nullptr;
      if (n.kind == JsonNumber::Kind::Integer) return n.integer;
      return v.num;
    }
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

void write_value_json(JsonWriter& w, const Value& v, const KnowledgeBase& kb) {
  switch (v.kind) {
    case Value::Kind::Missing: return w.null();
    case Value::Kind::Bool: return w.boolean(v.flag);
    case Value::Kind::Number: {
      JsonNumber n = json_number(v.num);
      if (n.kind == JsonNumber::Kind::Null) return w.null();
      if (n.kind == JsonNumber::Kind::Integer) return w.integer(n.integer);
      return w.floating(v.num);
    }
    case Value::Kind::Symbol: return w.string(kb.display(v));
    case Value::Kind::Text: return w.string(*v.text);
    case Value::Kind::Range:
      w.begin_object();
      w.key("min");
      write_value_json(w, Value::number(v.num), kb);
      w.key("max");
      write_value_json(w, Value::number(v.hi), kb);
      return w.end_object();
    case Value::Kind::List:
      w.begin_array();
      for (const Value& x : v.list_items()) write_value_json(w, x, kb);
      return w.end_array();
    case Value::Kind::Map: {
      // Keys in the map's order; a key written twice keeps its first place
      // and its last value, as in the tree form (nlohmann's ordered_json).
      const ValueList& it = v.list_items();
      std::vector<std::string> keys;
      keys.reserve(it.size() / 2);
      bool repeated = false;
      for (std::size_t i = 0; i + 1 < it.size(); i += 2) {
        keys.push_back(kb.display(it[i]));
        for (std::size_t k = 0; k + 1 < keys.size() && !repeated; ++k) repeated = keys[k] == keys.back();
      }
      w.begin_object();
      for (std::size_t i = 0; i + 1 < it.size(); i += 2) {
        const std::string& key = keys[i / 2];
        std::size_t last = i;
        if (repeated) {
          bool seen = false;
          for (std::size_t k = 0; k < i / 2 && !seen; ++k) seen = keys[k] == key;
          if (seen) continue;
          for (std::size_t k = i / 2 + 1; k < keys.size(); ++k)
            if (keys[k] == key) last = 2 * k;
        }
        w.key(key);
        write_value_json(w, it[last + 1], kb);
      }
      return w.end_object();
    }
  }
  w.null();
}

}  // namespace advise
