#include "engine/diff.hpp"

#include <algorithm>
#include <map>

#include "engine/working_memory.hpp"

namespace advise {

namespace {

bool contains(const Value& list, const Value& item) {
  if (list.kind != Value::Kind::List) return false;
  const ValueList& items = list.list_items();
  return std::find(items.begin(), items.end(), item) != items.end();
}

void diff_list(std::int32_t slot, const Result& a, const Result& b, ConclusionDiff& c) {
  if (c.before.kind == Value::Kind::List) {
    for (const Value& x : c.before.list_items())
      if (!contains(c.after, x))
        c.old_side.push_back({&a, WorkingMemory(a).item_introduced_by(slot, x), x, {}});
  }
  if (c.after.kind == Value::Kind::List) {
    for (const Value& x : c.after.list_items())
      if (!contains(c.before, x))
        c.new_side.push_back({&b, WorkingMemory(b).item_introduced_by(slot, x), x, {}});
  }
  // Same items in another order: the last rule to change the list on each side.
  if (c.old_side.empty() && c.new_side.empty()) {
    c.old_side.push_back({&a, WorkingMemory(a).introduced_by(slot), std::nullopt, {}});
    c.new_side.push_back({&b, WorkingMemory(b).introduced_by(slot), std::nullopt, {}});
  }
}

std::string rule_name(const Result& r, std::int32_t firing) {
  return std::string(r.rules->rules[static_cast<std::size_t>(r.firings[static_cast<std::size_t>(firing)].rule)].name());
}

// A side where the value is missing names the rule that acted on the other
// side, so that the report can say why it did not act here.
void complete(ConclusionDiff& c, const Result& a, const Result& b) {
  auto fill = [](std::vector<DiffSide>& mine, const std::vector<DiffSide>& theirs, const Result& r, const Result& other,
                 const Value& value) {
    if (!value.is_missing()) return;
    if (mine.empty()) mine.push_back({&r, -1, std::nullopt, {}});
    for (DiffSide& s : mine) {
      if (s.firing >= 0 || !s.counterpart.empty()) continue;
      for (const DiffSide& t : theirs)
        if (t.firing >= 0) {
          s.counterpart = rule_name(other, t.firing);
          break;
        }
    }
  };
  fill(c.old_side, c.new_side, a, b, c.before);
  fill(c.new_side, c.old_side, b, a, c.after);
}

}  // namespace

ResultDiff diff_results(const Result& a, const Result& b) {
  const RuleSet& ra = *a.rules;
  const KnowledgeBase& kb = *ra.kb;
  ResultDiff d;
  if (a.runaway) d.old_runaway = a.runaway->message;
  if (b.runaway) d.new_runaway = b.runaway->message;
  for (std::size_t ci = 0; ci < kb.conclusions.size(); ++ci) {
    std::int32_t slot = ra.field_count() + static_cast<std::int32_t>(ci);
    const Value& va = a.value(slot);
    const Value& vb = b.value(slot);
    if (va == vb) continue;
    TypeKind kind = kb.types.at(kb.conclusions[ci].type).kind;
    if (kind == TypeKind::Map) {
      // Entry by entry, in key order: the old entries, then new keys.
      std::vector<Value> keys;
      auto collect = [&](const Value& m) {
        if (m.kind != Value::Kind::Map) return;
        const ValueList& it = m.list_items();
        for (std::size_t i = 0; i + 1 < it.size(); i += 2)
          if (std::find(keys.begin(), keys.end(), it[i]) == keys.end()) keys.push_back(it[i]);
      };
      collect(va);
      collect(vb);
      std::sort(keys.begin(), keys.end(), value_less);
      for (const Value& k : keys) {
        Value ea = va.kind == Value::Kind::Map ? va.map_get(k) : Value{};
        Value eb = vb.kind == Value::Kind::Map ? vb.map_get(k) : Value{};
        if (ea == eb) continue;
        ConclusionDiff c;
        c.slot = slot;
        c.key = k;
        c.before = ea;
        c.after = eb;
        c.old_side.push_back({&a, WorkingMemory(a).key_introduced_by(slot, k), std::nullopt, {}});
        c.new_side.push_back({&b, WorkingMemory(b).key_introduced_by(slot, k), std::nullopt, {}});
        complete(c, a, b);
        d.conclusions.push_back(std::move(c));
      }
      continue;
    }
    ConclusionDiff c;
    c.slot = slot;
    c.before = va;
    c.after = vb;
    if (kind == TypeKind::List) {
      diff_list(slot, a, b, c);
    } else {
      c.old_side.push_back({&a, WorkingMemory(a).introduced_by(slot), std::nullopt, {}});
      c.new_side.push_back({&b, WorkingMemory(b).introduced_by(slot), std::nullopt, {}});
    }
    complete(c, a, b);
    d.conclusions.push_back(std::move(c));
  }
  // Recommendations: by id, in the order the old run made them, then the new ones.
  for (const Recommendation& ro : a.recommendations) {
    const Recommendation* rn = b.recommendation(ro.id);
    if (!rn) d.recommendations.push_back({ro.id, RecommendationDiff::Kind::Removed, &ro, nullptr});
    else if (rn->text != ro.text) d.recommendations.push_back({ro.id, RecommendationDiff::Kind::Text, &ro, rn});
  }
  for (const Recommendation& rn : b.recommendations)
    if (!a.recommendation(rn.id)) d.recommendations.push_back({rn.id, RecommendationDiff::Kind::Added, nullptr, &rn});
  // Notes and warnings: paired by the rule that gave them (by name) and their
  // kind, in the order each side gave them.
  auto key = [](const Result& r, const Message& m) {
    return std::make_pair(std::string(r.rules->rules[static_cast<std::size_t>(m.rule)].name()), m.kind);
  };
  std::vector<char> used(b.messages.size(), 0);
  for (const Message& mo : a.messages) {
    std::optional<std::size_t> match;
    for (std::size_t i = 0; i < b.messages.size() && !match; ++i)
      if (!used[i] && key(b, b.messages[i]) == key(a, mo)) match = i;
    if (match) {
      used[*match] = 1;
      if (b.messages[*match].text != mo.text)
        d.messages.push_back({key(a, mo).first, mo.kind, mo.text, b.messages[*match].text});
    } else {
      d.messages.push_back({key(a, mo).first, mo.kind, mo.text, std::nullopt});
    }
  }
  for (std::size_t i = 0; i < b.messages.size(); ++i)
    if (!used[i]) d.messages.push_back({key(b, b.messages[i]).first, b.messages[i].kind, std::nullopt, b.messages[i].text});
  return d;
}

std::vector<ConstantDiff> constant_changes(const RuleSet& a, const RuleSet& b) {
  auto constants = [](const RuleSet& rs) {
    std::map<std::string, std::string> out;
    for (const auto& [name, e] : rs.definitions)
      if (e.op == Op::Const && e.constant->kind != Value::Kind::List) out[name] = to_source(*e.constant, rs.kb->enums);
    return out;
  };
  auto ca = constants(a), cb = constants(b);
  std::vector<ConstantDiff> out;
  for (const auto& [name, v] : ca) {
    auto it = cb.find(name);
    if (it == cb.end()) out.push_back({name, v, std::nullopt});
    else if (it->second != v) out.push_back({name, v, it->second});
  }
  for (const auto& [name, v] : cb)
    if (!ca.count(name)) out.push_back({name, std::nullopt, v});
  std::sort(out.begin(), out.end(), [](const ConstantDiff& x, const ConstantDiff& y) { return x.name < y.name; });
  return out;
}

}  // namespace advise
