#include "engine/agenda.hpp"

#include <algorithm>
#include <functional>

namespace advise {

// ---------------------------------------------------------------- order

RuleOrder::RuleOrder(std::vector<std::int32_t> priorities, std::vector<std::int32_t> specificities)
    : priority_(std::move(priorities)), specificity_(std::move(specificities)) {
  std::size_t n = priority_.size();
  by_rank_.resize(n);
  for (std::size_t i = 0; i < n; ++i) by_rank_[i] = static_cast<std::int32_t>(i);
  std::stable_sort(by_rank_.begin(), by_rank_.end(), [&](std::int32_t a, std::int32_t b) {
    if (priority(a) != priority(b)) return priority(a) > priority(b);
    if (specificity(a) != specificity(b)) return specificity(a) > specificity(b);
    return a < b;
  });
  rank_.resize(n);
  for (std::size_t k = 0; k < n; ++k) rank_[static_cast<std::size_t>(by_rank_[k])] = static_cast<std::int32_t>(k);
}

RuleOrder RuleOrder::of(const RuleSet& rs) {
  std::vector<std::int32_t> priority, specificity;
  priority.reserve(rs.rules.size());
  specificity.reserve(rs.rules.size());
  for (const CRule& r : rs.rules) {
    priority.push_back(r.priority);
    specificity.push_back(r.specificity);
  }
  return RuleOrder(std::move(priority), std::move(specificity));
}

// ---------------------------------------------------------------- agenda

Agenda::Agenda(RuleStrategy strategy, const RuleOrder& order) : strategy_(strategy), order_(order) {
  rules_.resize(order.size());
  if (strategy_ == RuleStrategy::Advise) {
    bits_.assign((order.size() + 63) / 64, 0);
    summary_.assign((bits_.size() + 63) / 64, 0);
    head_.resize(order.size());
    tail_.resize(order.size());
  }
}

void Agenda::reset() {
  // The ranks still listed (an evaluation that stopped at the firing limit).
  for (std::size_t s = 0; s < summary_.size(); ++s) {
    for (std::uint64_t sw = summary_[s]; sw; sw &= sw - 1) bits_[s * 64 + static_cast<std::size_t>(__builtin_ctzll(sw))] = 0;
    summary_[s] = 0;
  }
  groups_.clear();
  heap_.clear();
  dead_ = 0;
  for (Recency& r : recency_) r.versions.clear();
  free_.clear();
  for (std::size_t i = recs_.size(); i-- > 0;) free_.push_back(static_cast<std::int32_t>(i));
  for (Rec& r : recs_) r.alive = r.in_heap = false;
  combos_.clear();
  refs_.clear();
  clock_ = 0;
  live_ = 0;
  last_popped_ = -1;
  if (++epoch_ == 0) {  // wrapped: no stamp may look current
    for (RuleState& s : rules_) s.epoch = 0;
    epoch_ = 1;
  }
}

void Agenda::set_rank(std::int32_t rank) {
  auto k = static_cast<std::size_t>(rank);
  bits_[k / 64] |= std::uint64_t{1} << (k % 64);
  summary_[k / 4096] |= std::uint64_t{1} << ((k / 64) % 64);
}

void Agenda::clear_rank(std::int32_t rank) {
  auto k = static_cast<std::size_t>(rank);
  bits_[k / 64] &= ~(std::uint64_t{1} << (k % 64));
  if (bits_[k / 64] == 0) summary_[k / 4096] &= ~(std::uint64_t{1} << ((k / 64) % 64));
}

Agenda::Group& Agenda::group_of(std::int32_t priority, bool token) {
  std::size_t g = 0;
  while (g < groups_.size() &&
         (groups_[g].priority > priority || (groups_[g].priority == priority && !groups_[g].token && token)))
    ++g;
  if (g == groups_.size() || groups_[g].priority != priority || groups_[g].token != token)
    groups_.insert(groups_.begin() + static_cast<std::ptrdiff_t>(g), Group{priority, token, -1, -1});
  return groups_[g];
}

std::int32_t Agenda::alloc(std::int32_t rule, std::int32_t token, std::int32_t combo, std::span<const FactRef> facts) {
  std::int32_t h;
  if (!free_.empty()) {
    h = free_.back();
    free_.pop_back();
  } else {
    h = static_cast<std::int32_t>(recs_.size());
    recs_.emplace_back();
  }
  Rec& r = recs_[static_cast<std::size_t>(h)];
  r.rule = rule;
  r.token = token;
  r.combo = combo;
  r.timetag = ++clock_;
  r.next = r.prev = -1;
  r.alive = true;
  r.in_heap = false;
  if (strategy_ == RuleStrategy::Lex || strategy_ == RuleStrategy::Mea) {
    if (recency_.size() <= static_cast<std::size_t>(h)) recency_.resize(static_cast<std::size_t>(h) + 1);
    Recency& rc = recency_[static_cast<std::size_t>(h)];
    rc.versions.clear();
    for (const FactRef& f : facts) rc.versions.push_back(f.version);
    std::sort(rc.versions.begin(), rc.versions.end(), std::greater<>());
    rc.first = facts.empty() ? -1 : facts.front().version;
  }
  ++live_;
  insert(h);
  return h;
}

void Agenda::insert(std::int32_t h) {
  Rec& r = recs_[static_cast<std::size_t>(h)];
  switch (strategy_) {
    case RuleStrategy::Advise: {
      std::int32_t k = order_.rank(r.rule);
      auto ki = static_cast<std::size_t>(k);
      if (!((bits_[ki / 64] >> (ki % 64)) & 1U)) {
        head_[ki] = tail_[ki] = h;
        set_rank(k);
      } else {  // the newest activation of its rule: last
        r.prev = tail_[ki];
        recs_[static_cast<std::size_t>(tail_[ki])].next = h;
        tail_[ki] = h;
      }
      return;
    }
    case RuleStrategy::Depth:
    case RuleStrategy::Breadth: {
      Group& g = group_of(order_.priority(r.rule), r.token >= 0);
      if (strategy_ == RuleStrategy::Depth) {
        r.next = g.head;
        if (g.head >= 0) recs_[static_cast<std::size_t>(g.head)].prev = h; else g.tail = h;
        g.head = h;
      } else {
        r.prev = g.tail;
        if (g.tail >= 0) recs_[static_cast<std::size_t>(g.tail)].next = h; else g.head = h;
        g.tail = h;
      }
      return;
    }
    case RuleStrategy::Lex:
    case RuleStrategy::Mea:
      r.in_heap = true;
      heap_.push_back(h);
      std::push_heap(heap_.begin(), heap_.end(), [&](std::int32_t a, std::int32_t b) { return before(b, a); });
      return;
  }
}

void Agenda::unlink(std::int32_t h) {
  Rec& r = recs_[static_cast<std::size_t>(h)];
  if (strategy_ == RuleStrategy::Advise) {
    std::int32_t k = order_.rank(r.rule);
    auto ki = static_cast<std::size_t>(k);
    if (r.prev >= 0) recs_[static_cast<std::size_t>(r.prev)].next = r.next; else head_[ki] = r.next;
    if (r.next >= 0) recs_[static_cast<std::size_t>(r.next)].prev = r.prev; else tail_[ki] = r.prev;
    if (head_[ki] < 0) clear_rank(k);
  } else {
    std::int32_t p = order_.priority(r.rule);
    Group* g = nullptr;
    for (Group& x : groups_)
      if (x.priority == p && x.token == (r.token >= 0)) g = &x;
    if (r.prev >= 0) recs_[static_cast<std::size_t>(r.prev)].next = r.next; else g->head = r.next;
    if (r.next >= 0) recs_[static_cast<std::size_t>(r.next)].prev = r.prev; else g->tail = r.prev;
  }
  r.next = r.prev = -1;
}

void Agenda::free_rec(std::int32_t h) {
  Rec& r = recs_[static_cast<std::size_t>(h)];
  r.alive = false;
  r.in_heap = false;
  free_.push_back(h);
}

std::int32_t Agenda::find_combo(std::int32_t rule, std::span<const FactRef> facts) const {
  const RuleState& s = rules_[static_cast<std::size_t>(rule)];
  if (s.epoch != epoch_) return -1;
  for (std::int32_t c = s.combos; c >= 0; c = combos_[static_cast<std::size_t>(c)].next) {
    const Combo& k = combos_[static_cast<std::size_t>(c)];
    if (static_cast<std::size_t>(k.n) != facts.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < facts.size() && same; ++i) same = refs_[static_cast<std::size_t>(k.refs) + i].id == facts[i].id;
    if (same) return c;
  }
  return -1;
}

namespace {
bool same_versions(const FactRef* a, std::span<const FactRef> b) {
  for (std::size_t i = 0; i < b.size(); ++i)
    if (a[i].version != b[i].version) return false;
  return true;
}
}  // namespace

std::int32_t Agenda::add(std::int32_t rule, std::span<const FactRef> facts) {
  std::int32_t c = find_combo(rule, facts);
  if (c < 0) {
    RuleState& s = rules_[static_cast<std::size_t>(rule)];
    if (s.epoch != epoch_) s = {epoch_, -1};
    c = static_cast<std::int32_t>(combos_.size());
    Combo k;
    k.next = s.combos;
    k.refs = static_cast<std::int32_t>(refs_.size());
    k.n = static_cast<std::int32_t>(facts.size());
    combos_.push_back(k);
    s.combos = c;
    std::size_t at = refs_.size();
    refs_.resize(at + 2 * facts.size());  // the live activation's versions, then the fired ones
    std::copy(facts.begin(), facts.end(), refs_.begin() + static_cast<std::ptrdiff_t>(at));
  } else {
    Combo& k = combos_[static_cast<std::size_t>(c)];
    const FactRef* pending = refs_.data() + k.refs;
    if (k.live >= 0) {
      if (same_versions(pending, facts)) return k.live;
      remove(k.live);  // a fact it matched changed
    }
    if (k.fired && same_versions(pending + k.n, facts)) return -1;
    std::copy(facts.begin(), facts.end(), refs_.begin() + k.refs);
  }
  std::int32_t h = alloc(rule, -1, c, facts);
  combos_[static_cast<std::size_t>(c)].live = h;
  return h;
}

std::int32_t Agenda::add_token(std::int32_t rule, std::int32_t token, std::span<const FactRef> facts) {
  return alloc(rule, token, -1, facts);
}

void Agenda::remove(std::int32_t handle) {
  if (handle < 0 || static_cast<std::size_t>(handle) >= recs_.size()) return;
  Rec& r = recs_[static_cast<std::size_t>(handle)];
  if (!r.alive) return;
  r.alive = false;
  --live_;
  if (r.combo >= 0) combos_[static_cast<std::size_t>(r.combo)].live = -1;
  if (strategy_ == RuleStrategy::Lex || strategy_ == RuleStrategy::Mea) {
    ++dead_;  // left in the heap until it reaches the top, or a compaction
    return;
  }
  unlink(handle);
  free_rec(handle);
}

void Agenda::remove_rule(std::int32_t rule) {
  const RuleState& s = rules_[static_cast<std::size_t>(rule)];
  if (s.epoch != epoch_) return;
  for (std::int32_t c = s.combos; c >= 0; c = combos_[static_cast<std::size_t>(c)].next)
    if (combos_[static_cast<std::size_t>(c)].live >= 0) remove(combos_[static_cast<std::size_t>(c)].live);
}

void Agenda::drop_dead_top() {
  auto cmp = [&](std::int32_t a, std::int32_t b) { return before(b, a); };
  while (!heap_.empty() && !recs_[static_cast<std::size_t>(heap_.front())].alive) {
    std::int32_t d = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), cmp);
    heap_.pop_back();
    free_rec(d);
    if (dead_ > 0) --dead_;
  }
  if (dead_ > 64 && dead_ > heap_.size() / 2) {
    std::erase_if(heap_, [&](std::int32_t a) {
      if (recs_[static_cast<std::size_t>(a)].alive) return false;
      free_rec(a);
      return true;
    });
    std::make_heap(heap_.begin(), heap_.end(), cmp);
    dead_ = 0;
  }
}

std::int32_t Agenda::top() {
  switch (strategy_) {
    case RuleStrategy::Advise:
      for (std::size_t s = 0; s < summary_.size(); ++s) {
        if (!summary_[s]) continue;
        std::size_t w = s * 64 + static_cast<std::size_t>(__builtin_ctzll(summary_[s]));
        std::size_t k = w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits_[w]));
        return head_[k];
      }
      return -1;
    case RuleStrategy::Depth:
    case RuleStrategy::Breadth:
      for (const Group& g : groups_)
        if (g.head >= 0) return g.head;
      return -1;
    case RuleStrategy::Lex:
    case RuleStrategy::Mea: drop_dead_top(); return heap_.empty() ? -1 : heap_.front();
  }
  return -1;
}

Activation Agenda::get(std::int32_t handle) const {
  if (handle < 0) return {};
  const Rec& r = recs_[static_cast<std::size_t>(handle)];
  Activation a{handle, r.rule, r.token, r.timetag, {}};
  if (r.combo >= 0) {
    const Combo& k = combos_[static_cast<std::size_t>(r.combo)];
    // Live: the versions it matched; popped: the versions it fired with.
    std::size_t at = static_cast<std::size_t>(k.refs) + (r.alive ? 0 : static_cast<std::size_t>(k.n));
    a.facts = std::span<const FactRef>(refs_.data() + at, static_cast<std::size_t>(k.n));
  }
  return a;
}

Activation Agenda::pop() {
  if (last_popped_ >= 0) {
    free_rec(last_popped_);
    last_popped_ = -1;
  }
  std::int32_t h = top();
  if (h < 0) return {};
  Rec& r = recs_[static_cast<std::size_t>(h)];
  if (strategy_ == RuleStrategy::Lex || strategy_ == RuleStrategy::Mea) {
    std::pop_heap(heap_.begin(), heap_.end(), [&](std::int32_t a, std::int32_t b) { return before(b, a); });
    heap_.pop_back();
    r.in_heap = false;
  } else {
    unlink(h);
  }
  r.alive = false;
  --live_;
  if (r.combo >= 0) {
    Combo& k = combos_[static_cast<std::size_t>(r.combo)];
    auto from = refs_.begin() + k.refs;
    std::copy(from, from + k.n, from + k.n);  // fired at the versions it matched
    k.fired = true;
    k.live = -1;
  }
  last_popped_ = h;
  return get(h);
}

bool Agenda::refracted(std::int32_t rule, std::span<const FactRef> facts) const {
  std::int32_t c = find_combo(rule, facts);
  if (c < 0) return false;
  const Combo& k = combos_[static_cast<std::size_t>(c)];
  return k.fired && same_versions(refs_.data() + k.refs + k.n, facts);
}

bool Agenda::fired(std::int32_t rule) const {
  const RuleState& s = rules_[static_cast<std::size_t>(rule)];
  if (s.epoch != epoch_) return false;
  for (std::int32_t c = s.combos; c >= 0; c = combos_[static_cast<std::size_t>(c)].next)
    if (combos_[static_cast<std::size_t>(c)].fired) return true;
  return false;
}

bool Agenda::before(std::int32_t a, std::int32_t b) const {
  const Rec& x = recs_[static_cast<std::size_t>(a)];
  const Rec& y = recs_[static_cast<std::size_t>(b)];
  std::int32_t px = order_.priority(x.rule), py = order_.priority(y.rule);
  if (px != py) return px > py;
  bool tx = x.token >= 0, ty = y.token >= 0;
  switch (strategy_) {
    case RuleStrategy::Advise: {
      std::int32_t kx = order_.rank(x.rule), ky = order_.rank(y.rule);
      if (kx != ky) return kx < ky;
      return x.timetag < y.timetag;
    }
    case RuleStrategy::Depth:
      if (tx != ty) return ty;
      return x.timetag > y.timetag;
    case RuleStrategy::Breadth:
      if (tx != ty) return ty;
      return x.timetag < y.timetag;
    case RuleStrategy::Lex:
    case RuleStrategy::Mea: {
      if (tx != ty) return ty;
      const Recency& cx = recency_[static_cast<std::size_t>(a)];
      const Recency& cy = recency_[static_cast<std::size_t>(b)];
      if (strategy_ == RuleStrategy::Mea && cx.first != cy.first) return cx.first > cy.first;
      const auto& rx = cx.versions;
      const auto& ry = cy.versions;
      std::size_t n = std::min(rx.size(), ry.size());
      for (std::size_t i = 0; i < n; ++i)
        if (rx[i] != ry[i]) return rx[i] > ry[i];
      if (rx.size() != ry.size()) return rx.size() > ry.size();
      std::int32_t sx = order_.specificity(x.rule), sy = order_.specificity(y.rule);
      if (sx != sy) return sx > sy;
      if (x.timetag != y.timetag) return x.timetag > y.timetag;
      return a < b;
    }
  }
  return a < b;
}

std::size_t Agenda::memory_bytes() const {
  std::size_t b = recs_.capacity() * sizeof(Rec) + free_.capacity() * sizeof(std::int32_t) +
                  combos_.capacity() * sizeof(Combo) + refs_.capacity() * sizeof(FactRef) +
                  rules_.capacity() * sizeof(RuleState) + (bits_.capacity() + summary_.capacity()) * 8 +
                  (head_.capacity() + tail_.capacity()) * sizeof(std::int32_t) + heap_.capacity() * sizeof(std::int32_t);
  b += recency_.capacity() * sizeof(Recency);
  for (const Recency& r : recency_) b += r.versions.capacity() * sizeof(std::int64_t);
  return b;
}

}  // namespace advise
