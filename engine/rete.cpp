// The Rete network and one evaluation's matcher. See rete.hpp for the model
// and docs/engine.md ("Design: matching over many facts") for the reasons.
#include "engine/rete.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>
#include <utility>

namespace advise::rete {

const char* strategy_name(Strategy s) {
  switch (s) {
    case Strategy::Advise: return "advise";
    case Strategy::Depth: return "depth";
    case Strategy::Breadth: return "breadth";
    case Strategy::Lex: return "lex";
    case Strategy::Mea: return "mea";
  }
  return "?";
}

// ------------------------------------------------------------------ builder

NetworkBuilder::NetworkBuilder() {
  NodeDesc root;
  root.kind = NodeKind::Root;
  net_.nodes_.push_back(root);
}

std::int32_t NetworkBuilder::add_template(TemplateDesc t) {
  net_.templates_.push_back(std::move(t));
  net_.by_template_.emplace_back();
  return static_cast<std::int32_t>(net_.templates_.size() - 1);
}

namespace {
bool reads_global(const Operand& o) { return o.kind == Operand::Kind::Global; }
bool reads_global(const Test& t) { return reads_global(t.lhs) || reads_global(t.rhs); }
}  // namespace

const std::vector<std::int32_t>& Network::readers_of_global(std::int32_t slot) const {
  static const std::vector<std::int32_t> none;
  if (slot < 0 || static_cast<std::size_t>(slot) >= global_readers_.size()) return none;
  return global_readers_[static_cast<std::size_t>(slot)];
}

std::int32_t NetworkBuilder::alpha(std::int32_t tmpl, std::vector<Test> tests) {
  for (const Test& t : tests)
    if (reads_global(t)) throw std::invalid_argument("an alpha test reads a global");
  for (std::int32_t a : net_.by_template_[static_cast<std::size_t>(tmpl)])
    if (net_.alphas_[static_cast<std::size_t>(a)].tests == tests) return a;  // shared
  AlphaMemDesc d;
  d.tmpl = tmpl;
  d.tests = std::move(tests);
  net_.alphas_.push_back(std::move(d));
  auto id = static_cast<std::int32_t>(net_.alphas_.size() - 1);
  net_.by_template_[static_cast<std::size_t>(tmpl)].push_back(id);
  return id;
}

std::int32_t NetworkBuilder::beta(NodeDesc d) {
  NodeDesc& parent = net_.nodes_[static_cast<std::size_t>(d.parent)];
  // The checker refuses longer rules; a level is a bit of `agg_levels`.
  if (parent.depth + 1 >= 64) throw std::length_error("a rule may have at most 63 patterns");
  for (const KeyPair& k : d.keys)
    if (reads_global(k.left)) throw std::invalid_argument("a join key reads a global");
  d.depth = parent.depth + (parent.emits_level ? 1 : 0);
  d.agg_levels = parent.agg_levels;
  if (parent.kind == NodeKind::Aggregate) d.agg_levels |= std::uint64_t{1} << parent.depth;
  d.emits_level = d.kind == NodeKind::Join || d.kind == NodeKind::Aggregate;
  if (d.kind != NodeKind::Production) {
    for (std::int32_t c : parent.children) {  // an identical node under the same parent is shared
      const NodeDesc& o = net_.nodes_[static_cast<std::size_t>(c)];
      if (o.kind == d.kind && o.alpha == d.alpha && o.keys == d.keys && o.tests == d.tests && o.agg == d.agg &&
          o.agg_value == d.agg_value && o.agg_tests == d.agg_tests)
        return c;
    }
  }
  if (d.alpha >= 0) {
    AlphaMemDesc& a = net_.alphas_[static_cast<std::size_t>(d.alpha)];
    std::vector<std::int16_t> fields;
    for (const KeyPair& k : d.keys) fields.push_back(k.right);
    std::int32_t idx = -1;
    for (std::size_t i = 0; i < a.indexes.size(); ++i)
      if (a.indexes[i].fields == fields) idx = static_cast<std::int32_t>(i);
    if (idx < 0) {
      a.indexes.push_back({fields});
      idx = static_cast<std::int32_t>(a.indexes.size() - 1);
    }
    d.alpha_index = idx;
  }
  net_.nodes_.push_back(std::move(d));
  auto id = static_cast<std::int32_t>(net_.nodes_.size() - 1);
  const NodeDesc& n = net_.nodes_.back();
  net_.nodes_[static_cast<std::size_t>(n.parent)].children.push_back(id);
  if (n.alpha >= 0) net_.alphas_[static_cast<std::size_t>(n.alpha)].successors.push_back(id);
  return id;
}

namespace {
NodeDesc pattern_node(NodeKind kind, std::int32_t parent, std::int32_t alpha, std::vector<KeyPair> keys,
                      std::vector<Test> tests) {
  NodeDesc d;
  d.kind = kind;
  d.parent = parent;
  d.alpha = alpha;
  d.keys = std::move(keys);
  d.tests = std::move(tests);
  return d;
}
}  // namespace

std::int32_t NetworkBuilder::join(std::int32_t parent, std::int32_t alpha, std::vector<KeyPair> keys,
                                  std::vector<Test> tests) {
  return beta(pattern_node(NodeKind::Join, parent, alpha, std::move(keys), std::move(tests)));
}

std::int32_t NetworkBuilder::negative(std::int32_t parent, std::int32_t alpha, std::vector<KeyPair> keys,
                                      std::vector<Test> tests) {
  return beta(pattern_node(NodeKind::Not, parent, alpha, std::move(keys), std::move(tests)));
}

std::int32_t NetworkBuilder::exists(std::int32_t parent, std::int32_t alpha, std::vector<KeyPair> keys,
                                    std::vector<Test> tests) {
  return beta(pattern_node(NodeKind::Exists, parent, alpha, std::move(keys), std::move(tests)));
}

std::int32_t NetworkBuilder::aggregate(std::int32_t parent, std::int32_t alpha, std::vector<KeyPair> keys,
                                       std::vector<Test> tests, AggKind kind, Operand value,
                                       std::vector<Test> value_tests) {
  NodeDesc d = pattern_node(NodeKind::Aggregate, parent, alpha, std::move(keys), std::move(tests));
  d.agg = kind;
  d.agg_value = value;
  d.agg_tests = std::move(value_tests);
  return beta(std::move(d));
}

std::int32_t NetworkBuilder::production(std::int32_t parent, std::int32_t rule, std::int32_t priority,
                                        std::int32_t specificity, bool logical) {
  NodeDesc d;
  d.kind = NodeKind::Production;
  d.logical = logical;
  d.parent = parent;
  d.rule = rule;
  d.priority = priority;
  d.specificity = specificity;
  std::int32_t id = beta(std::move(d));
  if (static_cast<std::size_t>(rule) >= net_.productions_.size())
    net_.productions_.resize(static_cast<std::size_t>(rule) + 1, -1);
  net_.productions_[static_cast<std::size_t>(rule)] = id;
  return id;
}

std::int64_t NetworkBuilder::set(CellSet s) {
  for (std::size_t i = 0; i < net_.sets_.size(); ++i)
    if (net_.sets_[i] == s) return static_cast<std::int64_t>(i);
  net_.sets_.push_back(std::move(s));
  return static_cast<std::int64_t>(net_.sets_.size()) - 1;
}

Network NetworkBuilder::finish(Strategy strategy) {
  // A fact entering an alpha memory right-activates its successors deepest
  // first (Doorenbos 2.4.1): a join below another on the same alpha memory
  // must not see the tokens its ancestor makes from the same fact, or the
  // match would be made twice.
  // Children and successors are visited newest rule first, as CLIPS links a
  // new rule's joins at the head of the lists it shares: under `depth` the
  // activations of the rule written first are then the newest, and fire first.
  for (NodeDesc& n : net_.nodes_) std::reverse(n.children.begin(), n.children.end());
  for (AlphaMemDesc& a : net_.alphas_) std::reverse(a.successors.begin(), a.successors.end());
  for (AlphaMemDesc& a : net_.alphas_)
    std::stable_sort(a.successors.begin(), a.successors.end(), [&](std::int32_t x, std::int32_t y) {
      return net_.nodes_[static_cast<std::size_t>(x)].depth > net_.nodes_[static_cast<std::size_t>(y)].depth;
    });
  for (NodeDesc& d : net_.nodes_) {
    if (d.kind != NodeKind::Aggregate) continue;
    auto level_bit = [](std::int32_t level) { return level >= 0 && level < 64 ? std::uint64_t{1} << level : ~std::uint64_t{0}; };
    for (const KeyPair& k : d.keys) d.reads_levels |= level_bit(k.left.level);
    for (const Test& t : d.tests) {
      if (t.op == TestOp::Pred || t.op == TestOp::PredFact) d.reads_levels = ~std::uint64_t{0};  // a predicate may read any level
      for (const Operand* o : {&t.lhs, &t.rhs})
        if (o->kind == Operand::Kind::Level || o->kind == Operand::Kind::AggValue) d.reads_levels |= level_bit(o->level);
    }
  }
  for (std::size_t n = 0; n < net_.nodes_.size(); ++n) {
    const NodeDesc& d = net_.nodes_[n];
    std::vector<std::int32_t> slots;
    for (const auto* ts : {&d.tests, &d.agg_tests})
      for (const Test& t : *ts)
        for (const Operand* o : {&t.lhs, &t.rhs})
          if (reads_global(*o)) slots.push_back(o->field);
    std::sort(slots.begin(), slots.end());
    slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
    for (std::int32_t g : slots) {
      if (static_cast<std::size_t>(g) >= net_.global_readers_.size()) net_.global_readers_.resize(static_cast<std::size_t>(g) + 1);
      net_.global_readers_[static_cast<std::size_t>(g)].push_back(static_cast<std::int32_t>(n));
    }
  }
  for (auto& r : net_.global_readers_)
    std::stable_sort(r.begin(), r.end(), [&](std::int32_t x, std::int32_t y) {
      return net_.nodes_[static_cast<std::size_t>(x)].depth < net_.nodes_[static_cast<std::size_t>(y)].depth;
    });
  net_.strategy = strategy;
  std::vector<std::int32_t> priority(net_.productions_.size(), 0), specificity(net_.productions_.size(), 0);
  for (std::size_t r = 0; r < net_.productions_.size(); ++r) {
    if (net_.productions_[r] < 0) continue;
    const NodeDesc& p = net_.nodes_[static_cast<std::size_t>(net_.productions_[r])];
    priority[r] = p.priority;
    specificity[r] = p.specificity;
  }
  net_.order_ = RuleOrder(std::move(priority), std::move(specificity));
  return std::move(net_);
}

// ------------------------------------------------------------------ matcher

namespace {

inline std::uint64_t mix(std::uint64_t h) {  // splitmix64's finaliser
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

struct Token {
  std::int32_t parent = -1;
  std::int32_t owner = -1;  // the node whose memory holds it
  std::int32_t fact = -1;   // the fact added at its level, -1 for none
  std::int32_t lv = 0;      // offset of its levels
  std::int32_t child = -1, sib_next = -1, sib_prev = -1;
  std::int32_t ftok_next = -1, ftok_prev = -1;
  std::int32_t bnext = -1, bprev = -1;
  std::uint32_t hash = 0;
  std::int32_t blocker = -1, blk_next = -1, blk_prev = -1;
  std::int32_t activation = -1;  // production tokens: the handle of its activation on the agenda
  std::int32_t agg = -1;         // aggregate tokens
  std::int32_t support = -1;     // production tokens: what they logically support
};

struct SupportLink {
  std::int32_t target = -1;
  bool external = false;
  std::int32_t next = -1;
};

struct Entry {  // a fact in one index of one alpha memory
  std::int32_t fact = -1;
  std::int32_t alpha = -1;
  std::int32_t index = -1;
  std::uint32_t hash = 0;
  std::int32_t next = -1, prev = -1;
  std::int32_t fact_next = -1;
};

// A hash table of intrusive doubly-linked lists. Each list keeps insertion
// order (appended at its tail), so memories are scanned oldest first, as
// CLIPS scans them: under `depth` the newest fact's matches are made last
// and therefore fire first.
struct Buckets {
  std::vector<std::int32_t> heads, tails;
  std::uint32_t mask = 0;
  std::int32_t count = 0;
  bool keyed = false;
  void init(bool has_keys) {
    keyed = has_keys;
    heads.assign(has_keys ? 8 : 1, -1);
    tails.assign(heads.size(), -1);
    mask = static_cast<std::uint32_t>(heads.size() - 1);
  }
  std::int32_t& head(std::uint32_t hash) { return heads[hash & mask]; }
  std::int32_t& tail(std::uint32_t hash) { return tails[hash & mask]; }
};

struct AggState {
  std::int64_t count = 0;
  std::int64_t valued = 0;  // facts whose value is known (sum, min, max, average)
  double sum = 0;
  double extreme = 0;
  bool has_extreme = false;
  // A value with a fraction was added: a removal recomputes the sum over the
  // memory rather than subtract, so that the sum is the one the same facts
  // added in order give (floating-point sums depend on the order).
  bool fractional = false;
  // The assertion or retraction (Matcher::Impl::epoch) during which the state
  // was last brought up to date: a state computed during the current one may
  // hold the fact now arriving already (or lack the one now leaving: a token
  // that a retraction unblocked counts over the memory without it), so it is
  // recomputed rather than updated.
  std::uint64_t epoch = 0;
};

}  // namespace

struct Matcher::Impl {
  Matcher& m;
  const Network& net;
  std::vector<Token> tokens;
  std::int32_t free_token = -1;
  std::vector<std::uint64_t> lv;
  std::size_t lv_used = 0;  // the part of lv handed out (alloc_levels)
  // Free level blocks, by depth: a list threaded through the blocks
  // themselves (a free block's first word is the next free block's offset,
  // -1 ends), so freeing and reusing a token touches no other memory.
  std::vector<std::int32_t> lv_free;
  std::vector<Entry> entries;
  std::int32_t free_entry = -1;
  std::vector<Buckets> left;                   // by node
  std::vector<std::vector<Buckets>> alpha_idx;  // by alpha memory, by index
  std::vector<AggState> aggs;
  std::uint64_t epoch = 0;  // one per assert_fact and retract
  std::vector<std::int32_t> free_agg;
  std::uint32_t clock = 0;       // fact time tags
  std::vector<std::int32_t> scratch_succ;
  // By template, made at its first fact: the successors of all its alpha
  // memories in the order assert_fact activates them (deepest first, else
  // alpha memory, then successor order), each with its memory's position in
  // alphas_of. The successors of the memories a fact passes are a
  // subsequence of it, in the order a stable sort of them by depth gives.
  struct Succ {
    std::int32_t node;
    std::uint32_t alpha_pos;
  };
  std::vector<std::vector<Succ>> succ_of;
  std::vector<char> succ_made;
  const std::vector<Succ>& successors(std::int32_t tmpl) {
    auto t = static_cast<std::size_t>(tmpl);
    if (succ_made[t]) return succ_of[t];
    std::vector<Succ> all;
    const std::vector<std::int32_t>& alphas = net.alphas_of(tmpl);
    for (std::size_t i = 0; i < alphas.size(); ++i)
      for (std::int32_t n : net.alphas()[static_cast<std::size_t>(alphas[i])].successors)
        all.push_back({n, static_cast<std::uint32_t>(i)});
    std::stable_sort(all.begin(), all.end(),
                     [&](const Succ& x, const Succ& y) { return node(x.node).depth > node(y.node).depth; });
    succ_of[t] = std::move(all);
    succ_made[t] = 1;
    return succ_of[t];
  }
  // Sibling joins that read one left memory. Consecutive join children of a
  // node whose keys read the same left operands receive the same tokens
  // (same parent token, same levels) and hash them alike: the first of them,
  // the leader, holds one token for all and each member probes its own alpha
  // memory with it, in children order, as each probed its own token before.
  // A right activation of a member scans the leader's memory, which holds
  // what the member's own would have held, in the same order. Not in a
  // network with a `logical` rule: the order in which supports are lost
  // follows the order tokens are freed in, which sharing changes.
  std::vector<std::int32_t> lead;                // by node: whose left memory it reads (itself when alone)
  std::vector<std::vector<std::int32_t>> group;  // by leader: the joins that share its memory (empty when alone)
  std::vector<char> shares;                      // by node: a leader whose group is not empty
  std::vector<std::vector<std::int32_t>> makes;  // by node: the children it makes a token for (leaders and lone children)
  void group_joins() {
    const auto& nodes = net.nodes();
    lead.resize(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) lead[i] = static_cast<std::int32_t>(i);
    group.resize(nodes.size());
    shares.assign(nodes.size(), 0);
    makes.resize(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) makes[i] = nodes[i].children;
    for (const NodeDesc& d : nodes)
      if (d.kind == NodeKind::Production && d.logical) return;
    auto same_left = [&](const NodeDesc& a, const NodeDesc& b) {
      if (a.keys.size() != b.keys.size()) return false;
      for (std::size_t k = 0; k < a.keys.size(); ++k)
        if (!(a.keys[k].left == b.keys[k].left)) return false;
      return true;
    };
    for (const NodeDesc& p : nodes) {
      const auto& ch = p.children;
      for (std::size_t i = 0; i < ch.size();) {
        const NodeDesc& first = node(ch[i]);
        std::size_t j = i + 1;
        if (first.kind == NodeKind::Join)
          while (j < ch.size() && node(ch[j]).kind == NodeKind::Join && same_left(first, node(ch[j]))) ++j;
        if (j - i >= 2)
          for (std::size_t k = i; k < j; ++k) {
            lead[static_cast<std::size_t>(ch[k])] = ch[i];
            group[static_cast<std::size_t>(ch[i])].push_back(ch[k]);
          }
        i = j;
      }
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      shares[i] = group[i].empty() ? 0 : 1;
      std::erase_if(makes[i], [&](std::int32_t c) { return lead[static_cast<std::size_t>(c)] != c; });
    }
  }
  // Removes the children of a token of `lead[n]`'s memory that join node n made.
  void remove_made_by(std::int32_t t, std::int32_t n) {
    for (std::int32_t x = tok(t).child; x >= 0;) {
      std::int32_t nx = tok(x).sib_next;
      if (node(tok(x).owner).parent == n) remove_tree(x);
      x = nx;
    }
  }
  std::vector<std::int32_t> tree_stack;
  std::int32_t last_popped = -1;  // the token of the activation popped last
  bool popped_gone = false;       // that token was removed since
  std::vector<FactRef> act_facts;  // add_activation's, kept across calls
  std::vector<Cell> globals;
  std::vector<char> global_missing;
  std::vector<SupportLink> links;
  std::int32_t free_link = -1;
  std::vector<std::int32_t> support_count;  // by fact: 0 = holds unconditionally
  std::vector<std::int32_t> lost_facts, lost_external;
  Impl(Matcher& mm, const Network& n) : m(mm), net(n) {
    left.resize(net.nodes().size());
    for (std::size_t i = 0; i < net.nodes().size(); ++i) left[i].init(!net.nodes()[i].keys.empty());
    alpha_idx.resize(net.alphas().size());
    for (std::size_t a = 0; a < net.alphas().size(); ++a) {
      for (const AlphaIndexDesc& d : net.alphas()[a].indexes) {
        alpha_idx[a].emplace_back();
        alpha_idx[a].back().init(!d.fields.empty());
      }
    }
    globals.assign(static_cast<std::size_t>(net.global_count()), Cell{});
    succ_of.resize(net.templates().size());  // never resized after: assert_fact holds a reference into it
    succ_made.assign(net.templates().size(), 0);
    global_missing.assign(globals.size(), 1);
    index_alpha_tests();
    index_right_reads();
    group_joins();
    // The root's children each hold one empty token (a shared memory one for all its joins).
    for (std::int32_t c : makes[0]) {
      std::int32_t t = new_token(c, -1, -1, nullptr, 0, nullptr);
      arrive(c, t);
    }
  }

  const NodeDesc& node(std::int32_t n) const { return net.nodes()[static_cast<std::size_t>(n)]; }
  Token& tok(std::int32_t t) { return tokens[static_cast<std::size_t>(t)]; }
  const std::uint64_t* levels_of(std::int32_t t) const {
    return lv.data() + tokens[static_cast<std::size_t>(t)].lv;
  }

  // ---- values

  bool read(const Operand& o, const std::uint64_t* levels, std::int32_t self, Cell& out) const {
    switch (o.kind) {
      case Operand::Kind::Self: {
        const FactRec& f = m.facts_[static_cast<std::size_t>(self)];
        if ((f.missing >> o.field) & 1U) return false;
        out = m.cells_[static_cast<std::size_t>(f.cells + o.field)];
        return true;
      }
      case Operand::Kind::Level: {
        const FactRec& f = m.facts_[static_cast<std::size_t>(levels[o.level])];
        if ((f.missing >> o.field) & 1U) return false;
        out = m.cells_[static_cast<std::size_t>(f.cells + o.field)];
        return true;
      }
      case Operand::Kind::AggValue: out.bits = levels[o.level]; return true;
      case Operand::Kind::Const: out = o.constant; return true;
      case Operand::Kind::Global: {
        auto g = static_cast<std::size_t>(o.field);
        if (g >= globals.size() || global_missing[g]) return false;
        out = globals[g];
        return true;
      }
    }
    return false;
  }

  PredicateHost* host = nullptr;

  // An alpha test: a field of the fact against a constant is read inline.
  bool alpha_test(const Test& t, std::int32_t self) {
    if (t.lhs.kind == Operand::Kind::Self && t.rhs.kind == Operand::Kind::Const && t.op <= TestOp::Ge) {
      ++m.stats_.tests;
      const FactRec& f = m.facts_[static_cast<std::size_t>(self)];
      if ((f.missing >> t.lhs.field) & 1U) return false;  // unknown
      Cell a = m.cells_[static_cast<std::size_t>(f.cells + t.lhs.field)];
      switch (t.op) {
        case TestOp::Eq: return a.bits == t.rhs.constant.bits;
        case TestOp::Ne: return a.bits != t.rhs.constant.bits;
        case TestOp::Lt: return a.num < t.rhs.constant.num;
        case TestOp::Le: return a.num <= t.rhs.constant.num;
        case TestOp::Gt: return a.num > t.rhs.constant.num;
        case TestOp::Ge: return a.num >= t.rhs.constant.num;
        default: break;
      }
    }
    return test(t, nullptr, self);
  }

  bool test(const Test& t, const std::uint64_t* levels, std::int32_t self) {
    ++m.stats_.tests;
    if (t.op == TestOp::Pred) return host != nullptr && host->predicate(t.lhs.constant.id, levels, self);
    if (t.op == TestOp::PredFact) return pred_fact(t, levels, self);
    if (t.op == TestOp::Reads) return true;
    Cell a, b;
    if (t.op >= TestOp::Missing) {
      bool known = read(t.lhs, levels, self, a);
      switch (t.op) {
        case TestOp::Missing: return !known;
        case TestOp::Present: return known;
        case TestOp::In: return known && net.set(t.rhs.constant.id).has(a);
        case TestOp::NotIn: return known && !net.set(t.rhs.constant.id).has(a);
        default: return false;
      }
    }
    if (!read(t.lhs, levels, self, a) || !read(t.rhs, levels, self, b)) return false;  // unknown
    switch (t.op) {
      case TestOp::Eq: return a.bits == b.bits;
      case TestOp::Ne: return a.bits != b.bits;
      case TestOp::Lt: return a.num < b.num;
      case TestOp::Le: return a.num <= b.num;
      case TestOp::Gt: return a.num > b.num;
      case TestOp::Ge: return a.num >= b.num;
      case TestOp::Pred:
      case TestOp::PredFact:
      case TestOp::Reads:
      case TestOp::Missing:
      case TestOp::Present:
      case TestOp::In:
      case TestOp::NotIn: break;
    }
    return false;
  }

  // PredFact: the predicate's result for fact `self`, kept by predicate and
  // fact, stamped with the globals' generation (bumped by every change of
  // a global: set_global).
  std::uint32_t global_gen = 1;
  std::vector<std::vector<std::uint32_t>> pred_memo;  // by predicate id, by fact: gen * 2 + result
  // Kept by value instead (lhs.field = 1 + the one field it reads):
  // present values' results by cell, and the missing value's.
  struct ByValue {  // open addressing: a cell's bits and its stamp (0: empty)
    std::vector<std::pair<std::uint64_t, std::uint32_t>> slots = std::vector<std::pair<std::uint64_t, std::uint32_t>>(16);
    std::size_t used = 0;
    std::uint32_t missing = 0;
    std::uint32_t& at(std::uint64_t bits) {
      if ((used + 1) * 2 > slots.size()) {
        std::vector<std::pair<std::uint64_t, std::uint32_t>> old(slots.size() * 2);
        old.swap(slots);
        for (const auto& x : old)
          if (x.second != 0) *find(x.first) = x;
      }
      auto* x = find(bits);
      if (x->second == 0) {  // a new value: the caller stamps it
        x->first = bits;
        ++used;
      }
      return x->second;
    }
    std::pair<std::uint64_t, std::uint32_t>* find(std::uint64_t bits) {
      std::size_t mask = slots.size() - 1;
      for (std::size_t i = mix(bits) & mask;; i = (i + 1) & mask)
        if (slots[i].second == 0 || slots[i].first == bits) return &slots[i];
    }
  };
  std::vector<ByValue> pred_by_value;  // by predicate id
  bool pred_fact(const Test& t, const std::uint64_t* levels, std::int32_t self) {
    const std::int64_t id = t.lhs.constant.id;
    if (host == nullptr) return false;
    if (self < 0) return host->predicate(id, levels, self);
    auto p = static_cast<std::size_t>(id);
    if (t.lhs.field > 0) {
      if (pred_by_value.size() <= p) pred_by_value.resize(p + 1);
      ByValue& bv = pred_by_value[p];
      const FactRec& fr = m.facts_[static_cast<std::size_t>(self)];
      const int fld = t.lhs.field - 1;
      std::uint32_t* st = nullptr;
      if ((fr.missing >> fld) & 1U)
        st = &bv.missing;
      else
        st = &bv.at(m.cells_[static_cast<std::size_t>(fr.cells + fld)].bits);
      if (*st >> 1 == global_gen) return (*st & 1U) != 0;
      bool r = host->predicate(id, levels, self);
      *st = global_gen << 1 | (r ? 1U : 0U);
      return r;
    }
    if (pred_memo.size() <= p) pred_memo.resize(p + 1);
    std::vector<std::uint32_t>& memo = pred_memo[p];
    auto f = static_cast<std::size_t>(self);
    if (memo.size() <= f) memo.resize(std::max({m.facts_.size(), f + 1, memo.size() * 2}), 0);
    std::uint32_t st = memo[f];
    if (st >> 1 == global_gen) return (st & 1U) != 0;
    bool r = host->predicate(id, levels, self);
    memo[f] = global_gen << 1 | (r ? 1U : 0U);
    return r;
  }

  bool tests_pass(const std::vector<Test>& ts, const std::uint64_t* levels, std::int32_t self) {
    for (const Test& t : ts)
      if (!test(t, levels, self)) return false;
    return true;
  }

  bool keys_match(const NodeDesc& n, const std::uint64_t* levels, std::int32_t self) {
    const FactRec& sf = m.facts_[static_cast<std::size_t>(self)];
    const Cell* sc = m.cells_.data() + sf.cells;
    for (const KeyPair& k : n.keys) {
      if ((sf.missing >> k.right) & 1U) return false;
      std::uint64_t b = sc[k.right].bits;
      if (k.left.kind == Operand::Kind::Level) {  // the usual key: a field of an earlier fact
        const FactRec& lf = m.facts_[static_cast<std::size_t>(levels[k.left.level])];
        if ((lf.missing >> k.left.field) & 1U) return false;
        if (m.cells_[static_cast<std::size_t>(lf.cells + k.left.field)].bits != b) return false;
        continue;
      }
      Cell a;
      if (!read(k.left, levels, self, a) || a.bits != b) return false;
    }
    return true;
  }

  std::uint32_t left_hash(const NodeDesc& n, const std::uint64_t* levels) const {
    std::uint64_t h = 0x12345;
    for (const KeyPair& k : n.keys) {
      Cell c{};
      if (k.left.kind == Operand::Kind::Level) {  // the usual key: a field of an earlier fact, read inline
        const FactRec& lf = m.facts_[static_cast<std::size_t>(levels[k.left.level])];
        if ((lf.missing >> k.left.field) & 1U) return 0;
        c = m.cells_[static_cast<std::size_t>(lf.cells + k.left.field)];
      } else if (!read(k.left, levels, -1, c)) {
        return 0;
      }
      h = mix(h ^ c.bits);
    }
    return static_cast<std::uint32_t>(h);
  }

  std::uint32_t fact_hash(const std::vector<std::int16_t>& fields, std::int32_t f, bool& ok) const {
    std::uint64_t h = 0x12345;
    ok = true;
    for (std::int16_t fld : fields) {
      Cell c{};
      if (!read(Operand::self(fld), nullptr, f, c)) {
        ok = false;
        return 0;
      }
      h = mix(h ^ c.bits);
    }
    return static_cast<std::uint32_t>(h);
  }

  // ---- tokens

  std::int32_t alloc_levels(std::int32_t depth) {
    if (depth == 0) return 0;
    auto d = static_cast<std::size_t>(depth);
    if (lv_free.size() <= d) lv_free.resize(d + 1, -1);
    if (std::int32_t off = lv_free[d]; off >= 0) {
      lv_free[d] = static_cast<std::int32_t>(static_cast<std::int64_t>(lv[static_cast<std::size_t>(off)]));
      return off;
    }
    // lv is grown by doubling and used up to lv_used: a token's levels are
    // taken without a call into vector's append for each one.
    auto off = static_cast<std::int32_t>(lv_used);
    if (lv_used + d > lv.size()) lv.resize(std::max<std::size_t>(lv.size() * 2, lv_used + d + 256));
    lv_used += d;
    return off;
  }

  // A token held by `owner`, child of `parent`, ending on `fact`; its levels
  // are the parent's (`plevels`, `pdepth` of them) plus `extra` when given.
  static void copy_levels(std::uint64_t* dst, const std::uint64_t* src, std::int32_t n) {
    constexpr std::size_t w = sizeof(std::uint64_t);
    switch (n) {
      case 0: return;
      case 1: std::memcpy(dst, src, 1 * w); return;
      case 2: std::memcpy(dst, src, 2 * w); return;
      case 3: std::memcpy(dst, src, 3 * w); return;
      case 4: std::memcpy(dst, src, 4 * w); return;
      case 5: std::memcpy(dst, src, 5 * w); return;
      case 6: std::memcpy(dst, src, 6 * w); return;
      case 7: std::memcpy(dst, src, 7 * w); return;
      case 8: std::memcpy(dst, src, 8 * w); return;
      default: std::memcpy(dst, src, static_cast<std::size_t>(n) * w); return;
    }
  }

  std::int32_t new_token(std::int32_t owner, std::int32_t parent, std::int32_t fact, const std::uint64_t* plevels,
                         std::int32_t pdepth, const std::uint64_t* extra) {
    std::int32_t depth = node(owner).depth;
    std::int32_t off = alloc_levels(depth);  // before taking pointers: lv may move
    if (plevels != nullptr && parent >= 0) plevels = levels_of(parent);
    std::int32_t t;
    if (free_token >= 0) {
      t = free_token;
      free_token = tokens[static_cast<std::size_t>(t)].parent;
      tokens[static_cast<std::size_t>(t)] = Token{};
    } else {
      t = static_cast<std::int32_t>(tokens.size());
      tokens.emplace_back();
    }
    ++m.stats_.tokens_made;
    Token& x = tok(t);
    x.owner = owner;
    x.parent = parent;
    x.fact = fact;
    x.lv = off;
    // A token has a few levels (Manners: up to 7): a copy of a size known at
    // compile time is inlined, where a call to memcpy costs more than the copy.
    copy_levels(lv.data() + off, plevels, pdepth);
    if (extra != nullptr) lv[static_cast<std::size_t>(off + pdepth)] = *extra;
    if (parent >= 0) {
      Token& p = tok(parent);
      x.sib_next = p.child;
      if (p.child >= 0) tok(p.child).sib_prev = t;
      p.child = t;
    }
    if (fact >= 0) {
      FactRec& f = m.facts_[static_cast<std::size_t>(fact)];
      x.ftok_next = f.tokens;
      if (f.tokens >= 0) tok(f.tokens).ftok_prev = t;
      f.tokens = t;
    }
    return t;
  }

  void unlink_bucket(std::int32_t t) {
    Token& x = tok(t);
    Buckets& b = left[static_cast<std::size_t>(x.owner)];
    if (x.bprev >= 0)
      tok(x.bprev).bnext = x.bnext;
    else
      b.head(x.hash) = x.bnext;
    if (x.bnext >= 0)
      tok(x.bnext).bprev = x.bprev;
    else
      b.tail(x.hash) = x.bprev;
    --b.count;
  }

  void link_bucket(std::int32_t t) {
    Token& x = tok(t);
    Buckets& b = left[static_cast<std::size_t>(x.owner)];
    if (b.keyed && b.count >= static_cast<std::int32_t>(b.heads.size()) * 2) grow_left(b);
    append_token(b, t);
    ++b.count;
  }

  void append_token(Buckets& b, std::int32_t t) {
    Token& x = tok(t);
    std::int32_t& tl = b.tail(x.hash);
    x.bnext = -1;
    x.bprev = tl;
    if (tl >= 0)
      tok(tl).bnext = t;
    else
      b.head(x.hash) = t;
    tl = t;
  }

  std::vector<std::int32_t> regrow;  // grow_left's and grow_alpha's, kept across calls
  void grow_left(Buckets& b) {
    std::vector<std::int32_t>& all = regrow;
    all.clear();
    for (std::int32_t h : b.heads)
      for (std::int32_t t = h; t >= 0; t = tok(t).bnext) all.push_back(t);
    b.heads.assign(b.heads.size() * 2, -1);
    b.tails.assign(b.heads.size(), -1);
    b.mask = static_cast<std::uint32_t>(b.heads.size() - 1);
    for (std::int32_t t : all) append_token(b, t);  // each old bucket's order is kept
  }

  void unlink_blocked(std::int32_t t) {
    Token& x = tok(t);
    if (x.blocker < 0) return;
    FactRec& f = m.facts_[static_cast<std::size_t>(x.blocker)];
    if (x.blk_prev >= 0)
      tok(x.blk_prev).blk_next = x.blk_next;
    else
      f.blocked = x.blk_next;
    if (x.blk_next >= 0) tok(x.blk_next).blk_prev = x.blk_prev;
    x.blocker = x.blk_next = x.blk_prev = -1;
  }

  void set_blocker(std::int32_t t, std::int32_t fact) {
    Token& x = tok(t);
    FactRec& f = m.facts_[static_cast<std::size_t>(fact)];
    x.blocker = fact;
    x.blk_prev = -1;
    x.blk_next = f.blocked;
    if (f.blocked >= 0) tok(f.blocked).blk_prev = t;
    f.blocked = t;
  }

  // Frees one token whose children are gone.
  void free_one(std::int32_t t) {
    Token& x = tok(t);
    if (x.parent >= 0) {
      if (x.sib_prev >= 0)
        tok(x.sib_prev).sib_next = x.sib_next;
      else
        tok(x.parent).child = x.sib_next;
      if (x.sib_next >= 0) tok(x.sib_next).sib_prev = x.sib_prev;
    }
    if (x.fact >= 0) {
      FactRec& f = m.facts_[static_cast<std::size_t>(x.fact)];
      if (x.ftok_prev >= 0)
        tok(x.ftok_prev).ftok_next = x.ftok_next;
      else
        f.tokens = x.ftok_next;
      if (x.ftok_next >= 0) tok(x.ftok_next).ftok_prev = x.ftok_prev;
    }
    const NodeDesc& n = node(x.owner);
    switch (n.kind) {
      case NodeKind::Production:
        if (last_popped == t) popped_gone = true;
        for (std::int32_t l = x.support; l >= 0;) {
          SupportLink& sl = links[static_cast<std::size_t>(l)];
          std::int32_t nx = sl.next;
          if (sl.external) {
            lost_external.push_back(sl.target);
          } else if (--support_count[static_cast<std::size_t>(sl.target)] == 0) {
            lost_facts.push_back(sl.target);
          }
          sl.next = free_link;
          free_link = l;
          l = nx;
        }
        x.support = -1;
        if (x.activation >= 0) {
          m.agenda_->remove(x.activation);
          x.activation = -1;
        }
        break;
      case NodeKind::Not:
      case NodeKind::Exists: unlink_blocked(t); [[fallthrough]];
      default: unlink_bucket(t); break;
    }
    if (x.agg >= 0) free_agg.push_back(x.agg);
    if (n.depth > 0) {
      auto d = static_cast<std::size_t>(n.depth);
      if (lv_free.size() <= d) lv_free.resize(d + 1, -1);
      lv[static_cast<std::size_t>(x.lv)] = static_cast<std::uint64_t>(static_cast<std::int64_t>(lv_free[d]));
      lv_free[d] = x.lv;
    }
    ++m.stats_.tokens_freed;
    x.owner = -1;
    x.parent = free_token;  // the free list threads through `parent`
    free_token = t;
  }

  // Removes a token and every token below it, leaves first, without recursion.
  // The walk goes down to a leaf, frees it and climbs back by the parent
  // link: no stack, since every token knows its parent.
  void remove_tree(std::int32_t t) {
    std::int32_t x = t;
    while (true) {
      while (tok(x).child >= 0) x = tok(x).child;
      std::int32_t p = tok(x).parent;
      free_one(x);
      if (x == t) return;
      x = p;
    }
  }

  void remove_children(std::int32_t t) {
    while (tok(t).child >= 0) remove_tree(tok(t).child);
  }

  // ---- propagation

  // Node `n` passes token `t` on, extended by `fact` (joins) or `extra` (aggregates).
  void emit(std::int32_t n, std::int32_t t, std::int32_t fact, const std::uint64_t* extra) {
    const NodeDesc& nd = node(n);
    std::uint64_t level = 0;
    const std::uint64_t* ext = nullptr;
    if (nd.kind == NodeKind::Join) {
      level = static_cast<std::uint64_t>(fact);
      ext = &level;
    } else if (nd.kind == NodeKind::Aggregate) {
      level = *extra;
      ext = &level;
    }
    for (std::int32_t c : makes[static_cast<std::size_t>(n)]) {  // a shared memory's leader takes its group's token
      std::int32_t y = new_token(c, t, nd.kind == NodeKind::Join ? fact : -1, levels_of(t), nd.depth, ext);
      arrive(c, y);
    }
  }

  std::int32_t find_blocker(const NodeDesc& n, std::int32_t t, std::int32_t except) {
    Buckets& b = alpha_idx[static_cast<std::size_t>(n.alpha)][static_cast<std::size_t>(n.alpha_index)];
    std::uint32_t h = tok(t).hash;
    const std::uint64_t* lvs = levels_of(t);
    for (std::int32_t e = b.head(h); e >= 0; e = entries[static_cast<std::size_t>(e)].next) {
      const Entry& en = entries[static_cast<std::size_t>(e)];
      if (en.hash != h || en.fact == except) continue;
      if (keys_match(n, lvs, en.fact) && tests_pass(n.tests, lvs, en.fact)) return en.fact;
    }
    return -1;
  }

  std::int32_t alloc_agg() {
    if (free_agg.empty()) {
      aggs.emplace_back();
      return static_cast<std::int32_t>(aggs.size()) - 1;
    }
    std::int32_t a = free_agg.back();
    free_agg.pop_back();
    return a;
  }

  void compute_agg(const NodeDesc& n, std::int32_t t) {
    ++m.stats_.agg_recomputed;
    Token& x = tok(t);
    if (x.agg < 0) x.agg = alloc_agg();
    AggState s;
    Buckets& b = alpha_idx[static_cast<std::size_t>(n.alpha)][static_cast<std::size_t>(n.alpha_index)];
    std::uint32_t h = x.hash;
    const std::uint64_t* lvs = levels_of(t);
    for (std::int32_t e = b.head(h); e >= 0; e = entries[static_cast<std::size_t>(e)].next) {
      const Entry& en = entries[static_cast<std::size_t>(e)];
      if (en.hash != h) continue;
      if (!keys_match(n, lvs, en.fact) || !tests_pass(n.tests, lvs, en.fact)) continue;
      add_to_agg(n, s, en.fact);
    }
    s.epoch = epoch;
    aggs[static_cast<std::size_t>(tok(t).agg)] = s;
  }

  void add_to_agg(const NodeDesc& n, AggState& s, std::int32_t fact) {
    ++s.count;
    if (n.agg == AggKind::Count) return;
    Cell c{};
    if (!read(n.agg_value, nullptr, fact, c)) return;  // a missing value is left out of sum/min/max/average
    ++s.valued;
    s.sum += c.num;
    if (c.num != std::floor(c.num)) s.fractional = true;
    if (!s.has_extreme || (n.agg == AggKind::Min ? c.num < s.extreme : c.num > s.extreme)) s.extreme = c.num;
    s.has_extreme = true;
  }

  // Takes fact `fact` out of an aggregate's state: false when the state must
  // be recomputed over the memory instead (the minimum or maximum left, or a
  // sum with fractions).
  bool remove_from_agg(const NodeDesc& n, AggState& s, std::int32_t fact) {
    --s.count;
    if (n.agg == AggKind::Count) return true;
    Cell c{};
    if (!read(n.agg_value, nullptr, fact, c)) return true;  // it was left out
    if (s.fractional) return false;
    if ((n.agg == AggKind::Min || n.agg == AggKind::Max) && c.num == s.extreme) return false;
    --s.valued;
    s.sum -= c.num;
    if (s.valued == 0) s.has_extreme = false;
    return true;
  }

  // The aggregate's value, false when it has none (min/max/avg of nothing).
  bool agg_value(const NodeDesc& n, const AggState& s, std::uint64_t& out) const {
    Cell c{};
    switch (n.agg) {
      case AggKind::Count: c = number_cell(static_cast<double>(s.count)); break;
      case AggKind::Sum: c = number_cell(s.sum); break;
      case AggKind::Min:
      case AggKind::Max:
        if (!s.has_extreme) return false;
        c = number_cell(s.extreme);
        break;
      case AggKind::Avg:
        if (s.valued == 0) return false;
        c = number_cell(s.sum / static_cast<double>(s.valued));
        break;
    }
    out = c.bits;
    return true;
  }

  // Re-emits an aggregate token after its value may have changed,
  // recomputed over the memory (a token arrived, a global changed).
  void refresh_agg(std::int32_t n, std::int32_t t) {
    compute_agg(node(n), t);
    emit_agg(n, t);
  }

  // Fact `f` entered (+1) or left (-1) the memory an aggregate token counts
  // over: the state updated by that fact alone (Rete's incremental
  // aggregates; facts reach the deepest nodes first, so no token counts a
  // fact twice), then re-emitted.
  void update_agg(std::int32_t n, std::int32_t t, std::int32_t f, int sign) {
    const NodeDesc& nd = node(n);
    if (tok(t).agg < 0 || aggs[static_cast<std::size_t>(tok(t).agg)].epoch >= epoch) return refresh_agg(n, t);
    ++m.stats_.agg_updated;
    AggState& s = aggs[static_cast<std::size_t>(tok(t).agg)];
    s.epoch = epoch;
    if (sign > 0)
      add_to_agg(nd, s, f);
    else if (!remove_from_agg(nd, s, f))
      compute_agg(nd, t);
    emit_agg(n, t);
  }

  void emit_agg(std::int32_t n, std::int32_t t) {
    const NodeDesc& nd = node(n);
    std::uint64_t v = 0;
    bool ok = agg_value(nd, aggs[static_cast<std::size_t>(tok(t).agg)], v);
    if (ok) {
      // The value is read as the level after the token's own.
      std::uint64_t probe[64];
      std::int32_t d = nd.depth;
      if (d + 1 > 64) ok = false;
      if (ok) {
        if (d > 0) std::memcpy(probe, levels_of(t), static_cast<std::size_t>(d) * sizeof(std::uint64_t));
        probe[d] = v;
        ok = tests_pass(nd.agg_tests, probe, -1);
      }
    }
    // Unchanged and still passing: nothing to do.
    std::int32_t c = tok(t).child;
    if (ok && c >= 0 && lv[static_cast<std::size_t>(tok(c).lv + nd.depth)] == v) return;
    // An aggregate below that does not read this value counts the same facts
    // for the new token as for the old one: its state is carried over instead
    // of recomputed over its memory (two aggregates in a row would otherwise
    // rescan the second one's memory each time the first one's value moves).
    std::size_t base = carried.size();
    if (ok)
      for (std::int32_t x = c; x >= 0; x = tok(x).sib_next) {
        const Token& ct = tok(x);
        const NodeDesc& cn = node(ct.owner);
        if (cn.kind == NodeKind::Aggregate && ct.agg >= 0 && nd.depth < 64 && ((cn.reads_levels >> nd.depth) & 1U) == 0)
          carried.push_back({ct.owner, t, aggs[static_cast<std::size_t>(ct.agg)]});
      }
    remove_children(t);
    if (ok) emit(n, t, -1, &v);
    carried.resize(base);
  }

  // An aggregate's state carried from a replaced token to its successor
  // (emit_agg): the node, the parent of both tokens, the state.
  struct Carried {
    std::int32_t node = -1, parent = -1;
    AggState state;
    bool used = false;
  };
  std::vector<Carried> carried;

  // Gives token `t` of aggregate node `n` the state carried for it, if any.
  bool take_carried(std::int32_t n, std::int32_t t) {
    for (std::size_t i = carried.size(); i-- > 0;) {
      Carried& c = carried[i];
      if (c.node != n || c.parent != tok(t).parent || c.used) continue;
      c.used = true;
      std::int32_t a = alloc_agg();
      tok(t).agg = a;
      aggs[static_cast<std::size_t>(a)] = c.state;
      ++m.stats_.agg_carried;
      return true;
    }
    return false;
  }

  // Join node `n` matches its token `t` against the facts of its alpha
  // memory's bucket (a token arrived, or a global its tests read changed).
  void join_probe(std::int32_t n, std::int32_t t) {
    const NodeDesc& nd = node(n);
    Buckets& b = alpha_idx[static_cast<std::size_t>(nd.alpha)][static_cast<std::size_t>(nd.alpha_index)];
    std::uint32_t h = tok(t).hash;
    for (std::int32_t e = b.head(h); e >= 0;) {
      const Entry en = entries[static_cast<std::size_t>(e)];
      e = en.next;
      if (en.hash != h) continue;
      const std::uint64_t* lvs = levels_of(t);  // emit may move the level arrays: read them again
      if (keys_match(nd, lvs, en.fact) && tests_pass(nd.tests, lvs, en.fact)) emit(n, t, en.fact, nullptr);
    }
  }

  // Token `t` arrives in node `n`'s memory.
  void arrive(std::int32_t n, std::int32_t t) {
    const NodeDesc& nd = node(n);
    if (nd.kind == NodeKind::Production) {
      add_activation(n, t);
      return;
    }
    tok(t).hash = left_hash(nd, levels_of(t));
    link_bucket(t);
    switch (nd.kind) {
      case NodeKind::Join: {
        if (!shares[static_cast<std::size_t>(n)]) {
          join_probe(n, t);
          break;
        }
        for (std::int32_t j : group[static_cast<std::size_t>(n)]) {  // each join of the shared memory, in children order
          if (tok(t).owner != n) break;
          join_probe(j, t);
        }
        break;
      }
      case NodeKind::Not: {
        std::int32_t b = find_blocker(nd, t, -1);
        if (b >= 0)
          set_blocker(t, b);
        else
          emit(n, t, -1, nullptr);
        break;
      }
      case NodeKind::Exists: {
        std::int32_t b = find_blocker(nd, t, -1);
        if (b >= 0) {
          set_blocker(t, b);
          emit(n, t, -1, nullptr);
        }
        break;
      }
      case NodeKind::Aggregate:
        if (take_carried(n, t))
          emit_agg(n, t);
        else
          refresh_agg(n, t);
        break;
      default: break;
    }
  }

  // Fact `f` entered the alpha memory of node `n`.
  void right_activate(std::int32_t n, std::int32_t f) {
    const std::int32_t held = lead[static_cast<std::size_t>(n)];  // the memory its tokens are in
    if (left[static_cast<std::size_t>(held)].count == 0) return;  // no token to meet: nothing to hash
    const NodeDesc& nd = node(n);
    const auto& idx = net.alphas()[static_cast<std::size_t>(nd.alpha)].indexes[static_cast<std::size_t>(nd.alpha_index)];
    bool ok = true;
    std::uint32_t h = fact_hash(idx.fields, f, ok);
    if (!ok) return;  // a key field is missing: it matches no token
    Buckets& b = left[static_cast<std::size_t>(held)];
    for (std::int32_t t = b.head(h); t >= 0;) {
      std::int32_t next = tok(t).bnext;
      if (tok(t).hash == h) {
        const std::uint64_t* lvs = levels_of(t);
        if (keys_match(nd, lvs, f) && tests_pass(nd.tests, lvs, f)) {
          switch (nd.kind) {
            case NodeKind::Join: emit(n, t, f, nullptr); break;
            case NodeKind::Not:
              if (tok(t).blocker < 0) {
                set_blocker(t, f);
                remove_children(t);
              }
              break;
            case NodeKind::Exists:
              if (tok(t).blocker < 0) {
                set_blocker(t, f);
                emit(n, t, -1, nullptr);
              }
              break;
            case NodeKind::Aggregate: update_agg(n, t, f, +1); break;
            default: break;
          }
        }
      }
      t = next;
    }
  }

  // ---- facts

  // The alpha tests of a template, each distinct test once: memories that
  // share a test (`l.tier is not excluded` in many of them) run it once per
  // fact. alpha_tests[a] holds memory a's tests, each with its index among
  // its template's tests run by several memories (-1 when only this memory
  // runs it: it is run directly); memo_stamp[i] == epoch when memo_value[i]
  // holds shared test i's result for the fact being asserted.
  struct AlphaTest {
    const Test* test;
    std::int32_t memo;
  };
  std::vector<std::vector<AlphaTest>> alpha_tests;
  std::vector<std::uint64_t> memo_stamp;
  std::vector<char> memo_value;
  void index_alpha_tests() {
    const auto& alphas = net.alphas();
    std::vector<std::vector<std::pair<const Test*, int>>> uses(net.templates().size());  // distinct tests, memories using each
    std::vector<std::vector<std::int32_t>> which(alphas.size());
    for (std::size_t a = 0; a < alphas.size(); ++a) {
      auto& ds = uses[static_cast<std::size_t>(alphas[a].tmpl)];
      for (const Test& t : alphas[a].tests) {
        std::size_t i = 0;
        while (i < ds.size() && !(*ds[i].first == t)) ++i;
        if (i == ds.size()) ds.push_back({&t, 0});
        ++ds[i].second;
        which[a].push_back(static_cast<std::int32_t>(i));
      }
    }
    std::vector<std::vector<std::int32_t>> memo_of(uses.size());
    std::int32_t shared = 0;
    for (std::size_t t = 0; t < uses.size(); ++t)
      for (const auto& u : uses[t]) memo_of[t].push_back(u.second >= 2 ? shared++ : -1);
    alpha_tests.resize(alphas.size());
    for (std::size_t a = 0; a < alphas.size(); ++a)
      for (std::size_t k = 0; k < alphas[a].tests.size(); ++k)
        alpha_tests[a].push_back({&alphas[a].tests[k],
                                  memo_of[static_cast<std::size_t>(alphas[a].tmpl)][static_cast<std::size_t>(which[a][k])]});
    memo_stamp.assign(static_cast<std::size_t>(shared), 0);
    memo_value.assign(static_cast<std::size_t>(shared), 0);
  }

  bool alpha_pass(std::int32_t a, std::int32_t f) {
    for (const AlphaTest& at : alpha_tests[static_cast<std::size_t>(a)]) {
      if (at.memo < 0) {
        if (!alpha_test(*at.test, f)) return false;
        continue;
      }
      auto x = static_cast<std::size_t>(at.memo);
      if (memo_stamp[x] != epoch) {
        memo_stamp[x] = epoch;
        memo_value[x] = alpha_test(*at.test, f) ? 1 : 0;
      }
      if (!memo_value[x]) return false;
    }
    return true;
  }

  void add_entry(std::int32_t f, std::int32_t alpha, std::int32_t index, std::uint32_t hash) {
    std::int32_t e;
    if (free_entry >= 0) {
      e = free_entry;
      free_entry = entries[static_cast<std::size_t>(e)].next;
    } else {
      e = static_cast<std::int32_t>(entries.size());
      entries.emplace_back();
    }
    Buckets& b = alpha_idx[static_cast<std::size_t>(alpha)][static_cast<std::size_t>(index)];
    if (b.keyed && b.count >= static_cast<std::int32_t>(b.heads.size()) * 2) grow_alpha(b);
    Entry& en = entries[static_cast<std::size_t>(e)];
    FactRec& fr = m.facts_[static_cast<std::size_t>(f)];
    en = Entry{f, alpha, index, hash, -1, -1, fr.entries};
    fr.entries = e;
    append_entry(b, e);
    ++b.count;
  }

  void append_entry(Buckets& b, std::int32_t e) {
    Entry& en = entries[static_cast<std::size_t>(e)];
    std::int32_t& tl = b.tail(en.hash);
    en.next = -1;
    en.prev = tl;
    if (tl >= 0)
      entries[static_cast<std::size_t>(tl)].next = e;
    else
      b.head(en.hash) = e;
    tl = e;
  }

  void grow_alpha(Buckets& b) {
    std::vector<std::int32_t>& all = regrow;
    all.clear();
    for (std::int32_t h : b.heads)
      for (std::int32_t e = h; e >= 0; e = entries[static_cast<std::size_t>(e)].next) all.push_back(e);
    b.heads.assign(b.heads.size() * 2, -1);
    b.tails.assign(b.heads.size(), -1);
    b.mask = static_cast<std::uint32_t>(b.heads.size() - 1);
    for (std::int32_t e : all) append_entry(b, e);
  }

  void assert_fact(std::int32_t f) {
    ++epoch;
    const FactRec& fr = m.facts_[static_cast<std::size_t>(f)];
    const std::vector<std::int32_t>& alphas = net.alphas_of(fr.tmpl);
    if (alphas.size() <= 64) {
      std::uint64_t pass = 0;
      for (std::size_t i = 0; i < alphas.size(); ++i) {
        std::int32_t a = alphas[i];
        const AlphaMemDesc& ad = net.alphas()[static_cast<std::size_t>(a)];
        if (!alpha_pass(a, f)) continue;
        pass |= std::uint64_t{1} << i;
        for (std::size_t x = 0; x < ad.indexes.size(); ++x) {
          bool ok = true;
          std::uint32_t h = fact_hash(ad.indexes[x].fields, f, ok);
          if (ok) add_entry(f, a, static_cast<std::int32_t>(x), h);
        }
      }
      if (pass == 0) return;
      for (const Succ& s : successors(fr.tmpl))
        if (pass >> s.alpha_pos & 1) right_activate(s.node, f);
      return;
    }
    scratch_succ.clear();
    for (std::int32_t a : alphas) {
      const AlphaMemDesc& ad = net.alphas()[static_cast<std::size_t>(a)];
      if (!alpha_pass(a, f)) continue;
      for (std::size_t i = 0; i < ad.indexes.size(); ++i) {
        bool ok = true;
        std::uint32_t h = fact_hash(ad.indexes[i].fields, f, ok);
        if (ok) add_entry(f, a, static_cast<std::int32_t>(i), h);
      }
      scratch_succ.insert(scratch_succ.end(), ad.successors.begin(), ad.successors.end());
    }
    if (scratch_succ.size() > 1)
      std::stable_sort(scratch_succ.begin(), scratch_succ.end(), [&](std::int32_t x, std::int32_t y) {
        return node(x).depth > node(y).depth;
      });
    std::vector<std::int32_t> succ;
    succ.swap(scratch_succ);
    for (std::int32_t n : succ) right_activate(n, f);
    succ.swap(scratch_succ);
  }

  // A `change` under way (retract_for_change): the fields that differ in
  // the copy to come.
  bool in_change = false;
  std::uint64_t changing = ~std::uint64_t{0};
  // By node: a bit per field of its right input's facts that its alpha
  // memory's tests, its keys or its tests read (all bits for a predicate
  // over that fact or a field past 63).
  std::vector<std::uint64_t> reads_right;
  void index_right_reads() {
    const auto& nodes = net.nodes();
    reads_right.assign(nodes.size(), 0);
    auto bit = [](std::int32_t field) { return field >= 0 && field < 64 ? std::uint64_t{1} << field : ~std::uint64_t{0}; };
    auto add_tests = [&](std::uint64_t& r, const std::vector<Test>& ts) {
      for (const Test& t : ts) {
        if (t.op == TestOp::Pred || t.op == TestOp::PredFact) r = ~std::uint64_t{0};
        for (const Operand* o : {&t.lhs, &t.rhs})
          if (o->kind == Operand::Kind::Self) r |= bit(o->field);
      }
    };
    for (std::size_t n = 0; n < nodes.size(); ++n) {
      const NodeDesc& d = nodes[n];
      if (d.alpha < 0) continue;
      std::uint64_t r = 0;
      add_tests(r, net.alphas()[static_cast<std::size_t>(d.alpha)].tests);
      add_tests(r, d.tests);
      for (const KeyPair& k : d.keys) r |= bit(k.right);
      if (d.kind == NodeKind::Aggregate) r = ~std::uint64_t{0};
      reads_right[n] = r;
    }
  }
  // `there is no` tokens whose blocker left in a change and that its copy
  // will block again: not passed on meanwhile (kAwaiting as their blocker).
  static constexpr std::int32_t kAwaiting = -2;
  std::vector<std::int32_t> awaiting;
  // After the copy's assertion: each awaiting token is blocked by it (its
  // right activation found it unblocked). One that is not would be a bug of
  // reads_right; it is passed on, as retract() would have.
  void settle_awaiting() {
    for (std::int32_t t : awaiting)
      if (tok(t).owner >= 0 && tok(t).blocker == kAwaiting) {
        assert(false && "a change's copy did not block a token again");
        tok(t).blocker = -1;
        emit(tok(t).owner, t, -1, nullptr);
      }
    awaiting.clear();
  }

  std::vector<std::int32_t> retract_alphas, retract_hit;  // retract's, kept across calls
  void retract(std::int32_t f) {
    ++epoch;
    // 1. Out of its alpha memories.
    std::vector<std::int32_t>& alphas = retract_alphas;  // kept across calls: retract does not nest
    alphas.clear();
    for (std::int32_t e = m.facts_[static_cast<std::size_t>(f)].entries; e >= 0;) {
      Entry& en = entries[static_cast<std::size_t>(e)];
      std::int32_t nx = en.fact_next;
      if (alphas.empty() || alphas.back() != en.alpha) alphas.push_back(en.alpha);
      Buckets& b = alpha_idx[static_cast<std::size_t>(en.alpha)][static_cast<std::size_t>(en.index)];
      if (en.prev >= 0)
        entries[static_cast<std::size_t>(en.prev)].next = en.next;
      else
        b.head(en.hash) = en.next;
      if (en.next >= 0)
        entries[static_cast<std::size_t>(en.next)].prev = en.prev;
      else
        b.tail(en.hash) = en.prev;
      --b.count;
      en.next = free_entry;
      free_entry = e;
      e = nx;
    }
    m.facts_[static_cast<std::size_t>(f)].entries = -1;
    // 2. The tokens that end on it, and everything below them.
    while (m.facts_[static_cast<std::size_t>(f)].tokens >= 0) remove_tree(m.facts_[static_cast<std::size_t>(f)].tokens);
    // 3. The tokens it blocked look for another blocker.
    while (m.facts_[static_cast<std::size_t>(f)].blocked >= 0) {
      std::int32_t t = m.facts_[static_cast<std::size_t>(f)].blocked;
      unlink_blocked(t);
      std::int32_t n = tok(t).owner;
      const NodeDesc& nd = node(n);
      std::int32_t b = find_blocker(nd, t, f);
      if (b >= 0) {
        set_blocker(t, b);
      } else if (nd.kind == NodeKind::Not && in_change && (reads_right[static_cast<std::size_t>(n)] & changing) == 0) {
        tok(t).blocker = kAwaiting;  // the changed copy blocks it again (retract_for_change)
        awaiting.push_back(t);
      } else if (nd.kind == NodeKind::Not) {
        emit(n, t, -1, nullptr);
      } else {
        remove_children(t);
      }
    }
    // 4. Aggregates over the memories it left.
    for (std::int32_t a : alphas) {
      for (std::int32_t n : net.alphas()[static_cast<std::size_t>(a)].successors) {
        const NodeDesc& nd = node(n);
        if (nd.kind != NodeKind::Aggregate) continue;
        const auto& idx = net.alphas()[static_cast<std::size_t>(a)].indexes[static_cast<std::size_t>(nd.alpha_index)];
        bool ok = true;
        std::uint32_t h = fact_hash(idx.fields, f, ok);
        if (!ok) continue;
        Buckets& b = left[static_cast<std::size_t>(n)];
        std::vector<std::int32_t>& hit = retract_hit;
        hit.clear();
        for (std::int32_t t = b.head(h); t >= 0; t = tok(t).bnext) {
          if (tok(t).hash != h) continue;
          const std::uint64_t* lvs = levels_of(t);
          if (keys_match(nd, lvs, f) && tests_pass(nd.tests, lvs, f)) hit.push_back(t);
        }
        for (std::int32_t t : hit) update_agg(n, t, f, -1);
      }
    }
    m.facts_[static_cast<std::size_t>(f)].alive = false;
  }

  // ---- globals and truth maintenance

  // Re-runs node n's tests for every token it holds (a global it reads changed).
  void reseed(std::int32_t n) {
    const NodeDesc& nd = node(n);
    const std::int32_t mem = lead[static_cast<std::size_t>(n)];
    const bool shared = shares[static_cast<std::size_t>(mem)] != 0;
    std::vector<std::int32_t> held;
    for (std::int32_t h : left[static_cast<std::size_t>(mem)].heads)
      for (std::int32_t t = h; t >= 0; t = tok(t).bnext) held.push_back(t);
    for (std::int32_t t : held) {
      if (tok(t).owner != mem) continue;  // removed meanwhile
      switch (nd.kind) {
        case NodeKind::Join: {
          if (shared)
            remove_made_by(t, n);  // the other joins' matches stay
          else
            remove_children(t);
          join_probe(n, t);
          break;
        }
        case NodeKind::Not:
        case NodeKind::Exists: {
          unlink_blocked(t);
          remove_children(t);
          std::int32_t b = find_blocker(nd, t, -1);
          if (b >= 0) set_blocker(t, b);
          if ((b >= 0) == (nd.kind == NodeKind::Exists)) emit(n, t, -1, nullptr);
          break;
        }
        case NodeKind::Aggregate:
          remove_children(t);
          refresh_agg(n, t);
          break;
        default: break;
      }
    }
  }

  void set_global(std::int32_t slot, Cell value, bool missing) {
    auto g = static_cast<std::size_t>(slot);
    if (g >= globals.size()) return;  // no node reads it
    if (global_missing[g] == static_cast<char>(missing) && (missing || globals[g].bits == value.bits)) return;
    globals[g] = value;
    global_missing[g] = static_cast<char>(missing);
    ++global_gen;  // the predicates' results kept by fact (PredFact) are stale
    for (std::int32_t n : net.readers_of_global(slot)) reseed(n);
  }

  void add_support(std::int32_t token, std::int32_t target, bool external) {
    std::int32_t l;
    if (free_link >= 0) {
      l = free_link;
      free_link = links[static_cast<std::size_t>(l)].next;
    } else {
      l = static_cast<std::int32_t>(links.size());
      links.emplace_back();
    }
    links[static_cast<std::size_t>(l)] = SupportLink{target, external, tok(token).support};
    tok(token).support = l;
    if (!external) {
      if (support_count.size() <= static_cast<std::size_t>(target)) support_count.resize(m.facts_.size(), 0);
      ++support_count[static_cast<std::size_t>(target)];
    }
  }

  // Retracts the facts that lost their last support, and what that undoes in turn.
  void settle() {
    while (!lost_facts.empty()) {
      std::int32_t f = lost_facts.back();
      lost_facts.pop_back();
      if (m.facts_[static_cast<std::size_t>(f)].alive && support_count[static_cast<std::size_t>(f)] == 0) {
        retract(f);
        withdrawn.push_back(f);
      }
    }
  }
  std::vector<std::int32_t> withdrawn;  // facts retracted for lost support, until taken

  // ---- agenda

  // A production token arrived: its activation goes on the agenda, with the
  // facts it matched and their time tags (Lex and Mea order by them).
  void add_activation(std::int32_t n, std::int32_t t) {
    act_facts.clear();
    const std::uint64_t* lvs = levels_of(t);
    for (std::int32_t i = 0; i < node(n).depth; ++i) {
      if ((node(n).agg_levels >> i) & 1U) continue;  // an aggregate's value
      auto f = static_cast<std::int32_t>(lvs[i]);
      const FactRec& fr = m.facts_[static_cast<std::size_t>(f)];
      act_facts.push_back({FactId::of_record(fr.tmpl, f), static_cast<std::int64_t>(fr.timetag)});
    }
    tok(t).activation = m.agenda_->add_token(node(n).rule, t, act_facts);
    ++m.stats_.activations;
  }

  void popped(const Activation& a) {
    tok(a.token).activation = -1;  // consumed: refraction keeps its token from activating again
    last_popped = a.token;
    popped_gone = false;
  }
};

Matcher::Matcher(const Network& net, Agenda* agenda) : net_(net), agenda_(agenda) {
  if (!agenda_) {
    own_agenda_ = std::make_unique<Agenda>(net.strategy, net.order());
    agenda_ = own_agenda_.get();
  }
  impl_ = std::make_unique<Impl>(*this, net);
}
Matcher::~Matcher() = default;

void Matcher::set_predicate_host(PredicateHost* host) { impl_->host = host; }

std::int32_t Matcher::assert_fact(std::int32_t tmpl, std::span<const Cell> cells, std::uint64_t missing) {
  FactRec f;
  f.tmpl = tmpl;
  f.timetag = ++impl_->clock;
  f.missing = missing;
  f.cells = static_cast<std::int32_t>(cells_.size());
  f.alive = true;
  cells_.insert(cells_.end(), cells.begin(), cells.end());
  facts_.push_back(f);
  auto id = static_cast<std::int32_t>(facts_.size() - 1);
  impl_->assert_fact(id);
  if (!impl_->awaiting.empty()) impl_->settle_awaiting();
  impl_->settle();
  return id;
}

void Matcher::retract_for_change(std::int32_t fact, std::uint64_t changed) {
  if (fact < 0 || static_cast<std::size_t>(fact) >= facts_.size() || !facts_[static_cast<std::size_t>(fact)].alive)
    return;
  impl_->in_change = true;
  impl_->changing = changed;
  impl_->retract(fact);
  impl_->in_change = false;
  impl_->settle();
}

void Matcher::retract(std::int32_t fact) {
  if (fact < 0 || static_cast<std::size_t>(fact) >= facts_.size() || !facts_[static_cast<std::size_t>(fact)].alive)
    return;
  impl_->retract(fact);
  impl_->settle();
}

void Matcher::set_global(std::int32_t slot, Cell value, bool missing) {
  impl_->set_global(slot, value, missing);
  impl_->settle();
}

bool Matcher::popped_alive() const { return impl_->last_popped >= 0 && !impl_->popped_gone; }

void Matcher::support(std::int32_t token, std::int32_t fact) { impl_->add_support(token, fact, false); }
void Matcher::support_external(std::int32_t token, std::int32_t id) { impl_->add_support(token, id, true); }

std::vector<std::int32_t> Matcher::take_withdrawn() {
  std::vector<std::int32_t> out;
  out.swap(impl_->withdrawn);
  return out;
}

std::vector<std::int32_t> Matcher::take_unsupported() {
  std::vector<std::int32_t> out;
  out.swap(impl_->lost_external);
  return out;
}

std::int32_t Matcher::modify(std::int32_t fact, std::span<const std::pair<std::int16_t, Cell>> changes) {
  const FactRec old = facts_[static_cast<std::size_t>(fact)];
  std::size_t n = net_.templates()[static_cast<std::size_t>(old.tmpl)].fields.size();
  std::vector<Cell> cells(cells_.begin() + old.cells, cells_.begin() + old.cells + static_cast<std::ptrdiff_t>(n));
  std::uint64_t missing = old.missing;
  std::uint64_t changed = 0;
  for (const auto& [field, c] : changes) {
    cells[static_cast<std::size_t>(field)] = c;
    missing &= ~(std::uint64_t{1} << field);
    changed |= std::uint64_t{1} << field;
  }
  retract_for_change(fact, changed);
  return assert_fact(old.tmpl, cells, missing);
}

std::int32_t Matcher::pop() {
  Activation a = agenda_->pop();
  if (a.token >= 0) popped(a);
  return a.handle;
}

void Matcher::popped(const Activation& a) { impl_->popped(a); }

std::int32_t Matcher::peek() { return agenda_->top(); }

bool Matcher::agenda_empty() { return agenda_->empty(); }

std::span<const std::uint64_t> Matcher::levels(std::int32_t token) const {
  const auto& t = impl_->tokens[static_cast<std::size_t>(token)];
  return {impl_->lv.data() + t.lv, static_cast<std::size_t>(net_.node(t.owner).depth)};
}

double Matcher::level_value(std::int32_t token, int level) const {
  Cell c;
  c.bits = levels(token)[static_cast<std::size_t>(level)];
  return c.num;
}

std::int32_t Matcher::blocker(std::int32_t token) const {
  return impl_->tokens[static_cast<std::size_t>(token)].blocker;
}

std::size_t Matcher::memory_bytes() const {
  const Impl& i = *impl_;
  std::size_t b = facts_.capacity() * sizeof(FactRec) + cells_.capacity() * sizeof(Cell) +
                  i.tokens.capacity() * sizeof(Token) + i.lv.capacity() * sizeof(std::uint64_t) +
                  i.entries.capacity() * sizeof(Entry) + (own_agenda_ ? own_agenda_->memory_bytes() : 0);
  for (const auto& l : i.left) b += l.heads.capacity() * sizeof(std::int32_t);
  for (const auto& a : i.alpha_idx)
    for (const auto& x : a) b += x.heads.capacity() * sizeof(std::int32_t);
  return b;
}

}  // namespace advise::rete
