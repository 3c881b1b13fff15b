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
  x.conj_of.start.reserve(rs.rules.size() + 1);
  x.first_watch.assign(rs.rules.size(), -1);
  std::unordered_map<std::uint64_t, std::vector<std::int32_t>> by_hash;
  std::vector<const CExpr*> parts;
  for (const CRule& r : rs.rules) {
    // Rule r.index's row: rows are added in rule order.
    if (r.patterns().empty()) {
      parts.clear();
      conjuncts_of(r.condition, parts);
      std::size_t row = x.conj_of.items.size();
      for (const CExpr* e : parts) {
        std::vector<std::int32_t>& bucket = by_hash[hash_expr(*e)];
        std::int32_t id = -1;
        for (std::int32_t c : bucket)
          if (same_expr(*x.conj[static_cast<std::size_t>(c)], *e)) id = c;
        if (id < 0) {
          id = static_cast<std::int32_t>(x.conj.size());
          x.conj.push_back(e);
          bucket.push_back(id);
          std::vector<std::int32_t> slots;
          collect_slots(*e, slots);
          for (std::int32_t s : slots) x.of_slot[static_cast<std::size_t>(s)].push_back(id);
        }
        auto& items = x.conj_of.items;
        if (std::find(items.begin() + static_cast<std::ptrdiff_t>(row), items.end(), id) == items.end())
          items.push_back(id);
      }
    }
    x.conj_of.start.push_back(static_cast<std::uint32_t>(x.conj_of.items.size()));
  }
  x.conj_of.items.shrink_to_fit();
  // The watchers by conjunct, in rule order: counted, then placed.
  std::vector<std::uint32_t>& start = x.watchers.start;
  start.assign(x.conj.size() + 1, 0);
  for (std::size_t rule = 0; rule < rs.rules.size(); ++rule) {
    auto mine = x.conj_of[rule];
    if (mine.empty()) continue;
    // Its last conjunct. (Preferring one over a conclusion, unknown when the
    // evaluation starts, saves moving watches at the start but makes rules
    // that fail on a profile field move when the conclusion is set: 15,900
    // rules then cost 2.2x the instructions of 159, against 1.01x.)
    std::int32_t w = mine.back();
    x.first_watch[rule] = w;
    ++start[static_cast<std::size_t>(w) + 1];
  }
  for (std::size_t c = 0; c < x.conj.size(); ++c) start[c + 1] += start[c];
  x.watchers.items.resize(start.back());
  std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
  for (std::size_t rule = 0; rule < rs.rules.size(); ++rule)
    if (x.first_watch[rule] >= 0)
      x.watchers.items[fill[static_cast<std::size_t>(x.first_watch[rule])]++] = static_cast<std::int32_t>(rule);
  return x;
}

}  // namespace advise
