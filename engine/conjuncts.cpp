#include "engine/conjuncts.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <unordered_map>

namespace advise {

namespace {

bool same_expr(const CExpr& a, const CExpr& b) {
  if (a.op != b.op || a.type != b.type || a.slot != b.slot || a.level != b.level || a.kids.size() != b.kids.size())
    return false;
  if (a.op == Op::Const && (a.constant->kind != b.constant->kind || !(*a.constant == *b.constant))) return false;
  for (std::size_t i = 0; i < a.kids.size(); ++i)
    if (!same_expr(a.kids[i], b.kids[i])) return false;
  return true;
}

std::uint64_t hash_expr(const CExpr& e) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::uint64_t x) { h = (h ^ x) * 1099511628211ULL; };
  mix(static_cast<std::uint64_t>(e.op));
  mix(static_cast<std::uint64_t>(static_cast<std::uint32_t>(e.slot)));
  if (e.op == Op::Const) {
    mix(static_cast<std::uint64_t>(e.constant->kind));
    mix(static_cast<std::uint64_t>(static_cast<std::uint32_t>(e.constant->sym)));
    std::uint64_t bits = 0;
    double d = e.constant->num;
    std::memcpy(&bits, &d, sizeof bits);
    mix(bits);
    if (e.constant->text) mix(std::hash<std::string>{}(*e.constant->text));
  }
  for (const CExpr& k : e.kids) mix(hash_expr(k));
  return h;
}

void conjuncts_of(const CExpr& e, std::vector<const CExpr*>& out) {
  if (e.op == Op::And) {
    conjuncts_of(e.kids[0], out);
    conjuncts_of(e.kids[1], out);
  } else {
    out.push_back(&e);
  }
}

}  // namespace

ConjunctIndex index_conjuncts(const RuleSet& rs) {
  ConjunctIndex x;
  x.of_slot.resize(static_cast<std::size_t>(rs.slot_count()));
  x.count.assign(rs.rules.size(), 0);
  std::unordered_map<std::uint64_t, std::vector<std::int32_t>> by_hash;
  for (const CRule& r : rs.rules) {
    if (!r.patterns().empty()) continue;
    std::vector<const CExpr*> parts;
    conjuncts_of(r.condition, parts);
    for (const CExpr* e : parts) {
      std::vector<std::int32_t>& bucket = by_hash[hash_expr(*e)];
      std::int32_t id = -1;
      for (std::int32_t c : bucket)
        if (same_expr(*x.conj[static_cast<std::size_t>(c)], *e)) id = c;
      if (id < 0) {
        id = static_cast<std::int32_t>(x.conj.size());
        x.conj.push_back(e);
        x.rules_of.emplace_back();
        bucket.push_back(id);
        std::vector<std::int32_t> slots;
        collect_slots(*e, slots);
        for (std::int32_t s : slots) x.of_slot[static_cast<std::size_t>(s)].push_back(id);
      }
      std::vector<std::int32_t>& rules = x.rules_of[static_cast<std::size_t>(id)];
      if (rules.empty() || rules.back() != r.index) {
        rules.push_back(r.index);
        ++x.count[static_cast<std::size_t>(r.index)];
      }
    }
  }
  x.by_rank.resize(rs.rules.size());
  for (std::size_t i = 0; i < rs.rules.size(); ++i) x.by_rank[i] = static_cast<std::int32_t>(i);
  std::stable_sort(x.by_rank.begin(), x.by_rank.end(), [&](std::int32_t a, std::int32_t b) {
    const CRule& ra = rs.rules[static_cast<std::size_t>(a)];
    const CRule& rb = rs.rules[static_cast<std::size_t>(b)];
    if (ra.priority != rb.priority) return ra.priority > rb.priority;
    if (ra.specificity != rb.specificity) return ra.specificity > rb.specificity;
    return a < b;
  });
  x.rank.resize(rs.rules.size());
  for (std::size_t k = 0; k < x.by_rank.size(); ++k) x.rank[static_cast<std::size_t>(x.by_rank[k])] = static_cast<std::int32_t>(k);
  return x;
}

}  // namespace advise
