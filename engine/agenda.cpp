#include "engine/agenda.hpp"

#include <algorithm>
#include <functional>

namespace advise {

namespace {

bool same_facts(const std::vector<FactRef>& a, const std::vector<FactRef>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].id != b[i].id) return false;
  return true;
}

}  // namespace

std::uint64_t Agenda::key_hash(const Activation& a) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::int32_t x) { h = (h ^ static_cast<std::uint32_t>(x)) * 1099511628211ULL; };
  mix(a.rule);
  for (const FactRef& f : a.facts) {
    mix(f.id.tmpl);
    mix(f.id.record);
  }
  return h;
}

std::int32_t Agenda::find_fired(const Activation& a, std::uint64_t h) const {
  auto [lo, hi] = fired_index_.equal_range(h);
  for (auto it = lo; it != hi; ++it) {
    const Fired& f = fired_[static_cast<std::size_t>(it->second)];
    if (f.rule == a.rule && same_facts(f.facts, a.facts)) return it->second;
  }
  return -1;
}

bool Agenda::refracted(const Activation& a) const {
  std::int32_t f = find_fired(a, key_hash(a));
  return f >= 0 && fired_[static_cast<std::size_t>(f)].facts == a.facts;
}

std::int32_t Agenda::add(Activation a) {
  if (refracted(a)) return -1;
  a.timetag = ++clock_;
  std::int32_t h;
  if (!free_.empty()) {
    h = free_.back();
    free_.pop_back();
  } else {
    h = static_cast<std::int32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[static_cast<std::size_t>(h)];
  s.act = std::move(a);
  s.live = true;
  s.recency.clear();
  if (strategy_ == RuleStrategy::Lex || strategy_ == RuleStrategy::Mea) {
    for (const FactRef& f : s.act.facts) s.recency.push_back(f.version);
    std::sort(s.recency.begin(), s.recency.end(), std::greater<>());
  }
  order_.insert(h);
  return h;
}

void Agenda::remove(std::int32_t handle) {
  Slot& s = slots_[static_cast<std::size_t>(handle)];
  if (!s.live) return;
  order_.erase(handle);
  s.live = false;
  s.act.facts.clear();
  free_.push_back(handle);
}

Activation Agenda::pop() {
  if (order_.empty()) return {};
  std::int32_t h = *order_.begin();
  order_.erase(order_.begin());
  Slot& s = slots_[static_cast<std::size_t>(h)];
  s.live = false;
  free_.push_back(h);
  Activation a = std::move(s.act);
  s.act = {};
  std::uint64_t key = key_hash(a);
  if (std::int32_t f = find_fired(a, key); f >= 0) {
    fired_[static_cast<std::size_t>(f)].facts = a.facts;  // the same facts at newer versions
  } else {
    fired_index_.emplace(key, static_cast<std::int32_t>(fired_.size()));
    fired_.push_back({a.rule, a.facts});
  }
  return a;
}

bool Agenda::Order::operator()(std::int32_t a, std::int32_t b) const {
  if (a == b) return false;
  const Slot& x = agenda->slots_[static_cast<std::size_t>(a)];
  const Slot& y = agenda->slots_[static_cast<std::size_t>(b)];
  if (agenda->before(x, y)) return true;
  if (agenda->before(y, x)) return false;
  return a < b;
}

bool Agenda::before(const Activation& a, const Activation& b) const {
  Slot x{a, {}, true}, y{b, {}, true};
  if (strategy_ == RuleStrategy::Lex || strategy_ == RuleStrategy::Mea) {
    for (const FactRef& f : a.facts) x.recency.push_back(f.version);
    for (const FactRef& f : b.facts) y.recency.push_back(f.version);
    std::sort(x.recency.begin(), x.recency.end(), std::greater<>());
    std::sort(y.recency.begin(), y.recency.end(), std::greater<>());
  }
  return before(x, y);
}

bool Agenda::before(const Slot& sx, const Slot& sy) const {
  const Activation& x = sx.act;
  const Activation& y = sy.act;
  if (x.priority != y.priority) return x.priority > y.priority;
  switch (strategy_) {
    case RuleStrategy::Depth: return x.timetag > y.timetag;
    case RuleStrategy::Breadth: return x.timetag < y.timetag;
    case RuleStrategy::Advise:
      if (x.specificity != y.specificity) return x.specificity > y.specificity;
      if (x.rule != y.rule) return x.rule < y.rule;
      return x.timetag < y.timetag;
    case RuleStrategy::Lex:
    case RuleStrategy::Mea: {
      if (strategy_ == RuleStrategy::Mea) {
        std::int64_t fx = x.facts.empty() ? -1 : x.facts.front().version;
        std::int64_t fy = y.facts.empty() ? -1 : y.facts.front().version;
        if (fx != fy) return fx > fy;
      }
      const auto& tx = sx.recency;
      const auto& ty = sy.recency;
      std::size_t n = std::min(tx.size(), ty.size());
      for (std::size_t i = 0; i < n; ++i)
        if (tx[i] != ty[i]) return tx[i] > ty[i];
      if (tx.size() != ty.size()) return tx.size() > ty.size();
      if (x.specificity != y.specificity) return x.specificity > y.specificity;
      return x.timetag > y.timetag;
    }
  }
  return false;
}

}  // namespace advise
