#include "engine/working_memory.hpp"

#include <algorithm>

namespace advise {

std::int32_t WorkingMemory::current_version(std::int32_t slot) const {
  return r_.current[static_cast<std::size_t>(slot)];
}

// Every version of the slot, oldest first, is on Result::facts below the
// current one; the entry's (or item's) history is replayed over them.
std::int32_t WorkingMemory::version_of_key(std::int32_t slot, const Value& key) const {
  std::int32_t cur = current_version(slot);
  if (cur < 0) return -1;
  Value prev;  // missing before the first version
  std::int32_t found = -1;
  for (std::int32_t i = 0; i <= cur; ++i) {
    const Fact& f = r_.facts[static_cast<std::size_t>(i)];
    if (f.slot != slot) continue;
    Value entry = f.value.kind == Value::Kind::Map ? f.value.map_get(key) : Value{};
    if (!(entry == prev)) found = i;
    prev = entry;
  }
  return prev.is_missing() ? -1 : found;
}

std::int32_t WorkingMemory::version_of_item(std::int32_t slot, const Value& item) const {
  std::int32_t cur = current_version(slot);
  bool present = false;
  std::int32_t found = -1;
  for (std::int32_t i = 0; i <= cur; ++i) {
    const Fact& f = r_.facts[static_cast<std::size_t>(i)];
    if (f.slot != slot) continue;
    bool now = false;
    if (f.value.kind == Value::Kind::List)
      for (const Value& x : f.value.list_items()) now = now || x == item;
    if (now && !present) found = i;
    present = now;
  }
  return present ? found : -1;
}

std::vector<std::int32_t> WorkingMemory::earlier_versions(std::int32_t version) const {
  std::vector<std::int32_t> out;
  for (std::int32_t pv = r_.facts[static_cast<std::size_t>(version)].prev; pv >= 0;
       pv = r_.facts[static_cast<std::size_t>(pv)].prev)
    out.push_back(pv);
  std::reverse(out.begin(), out.end());
  return out;
}

std::int32_t WorkingMemory::firing_of(std::int32_t version) const {
  if (version < 0) return -1;
  const Fact& f = r_.facts[static_cast<std::size_t>(version)];
  return f.evidence.kind == Evidence::Kind::Given ? -1 : f.evidence.firing;  // Withdrawn: the firing that withdrew it
}

std::int32_t WorkingMemory::version_at(std::int32_t slot, std::int32_t firing) const {
  return r_.version_at(slot, r_.firings[static_cast<std::size_t>(firing)]);
}

std::vector<FactRef> WorkingMemory::matched(std::int32_t firing) const {
  const Firing& f = r_.firings[static_cast<std::size_t>(firing)];
  const CRule& cr = r_.rules->rules[static_cast<std::size_t>(f.rule)];
  std::vector<FactRef> out;
  for (std::size_t i = 0; i < cr.reads.size() && i < f.read.size(); ++i) out.push_back({FactId::slot(cr.reads[i]), f.read[i]});
  for (std::int32_t rec : f.matched) {
    if (rec < 0) continue;  // an aggregate's level
    const Record& r = r_.records[static_cast<std::size_t>(rec)];
    out.push_back({FactId::of_record(r.tmpl, rec), static_cast<std::int64_t>(r.timetag)});
  }
  return out;
}

std::int32_t WorkingMemory::made_by(FactId id) const {
  if (id.record < 0) return -1;
  if (id.is_slot()) return introduced_by(id.record);
  return r_.records[static_cast<std::size_t>(id.record)].created_by;
}

bool WorkingMemory::holds(FactId id) const {
  if (id.record < 0) return false;
  if (id.is_slot()) return current_version(id.record) >= 0;
  return r_.records[static_cast<std::size_t>(id.record)].ended_by < 0;
}

}  // namespace advise
