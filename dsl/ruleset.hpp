// The checked rule set: what the checker (checker.hpp) makes of the AST once
// every name is resolved against the knowledge base and every type checked.
// The engine consumes only this form, never raw syntax.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <new>
#include <atomic>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/box.hpp"
#include "dsl/source.hpp"
#include "kb/knowledge_base.hpp"
#include "kb/template.hpp"

namespace advise {

// Operations of a checked expression. Slots number the facts of working
// memory: profile fields first, then conclusions (RuleSet::slot_*).
enum class Op : std::uint8_t {
  Const,       // constant
  Slot,        // read a fact: slot
  Member,      // specialty attribute: slot = attribute index; kids = {specialty}
  MapGet,      // kids = {map, key}
  Not, Neg, And, Or,
  Add, Sub, Mul, Div,
  Lt, Le, Gt, Ge, Eq, Ne,
  In, NotIn,              // kids = {value, collection-or-range}
  Contains, NotContains,  // kids = {list, value}
  Between,                // kids = {value, lo, hi}
  IsMissing, IsPresent,   // kids = {value}
  Min, Max, Avg, Sum, Count,  // kids = {list}
  Floor, Abs,             // kids = {number}
  Atan2,                  // kids = {y, x}: the angle of the point (x, y), in radians, -pi to pi
  Choose,                 // kids = {condition, a, b}: a when the condition is true, b when false
  MakeList,               // kids = items
  MakeRange,              // kids = {lo, hi}
  Truthy,                 // a boolean fact used as a condition: kids = {value}
  FactField,              // a field of a bound fact: level = the token level of its pattern, slot = field
  AggValue,               // an aggregate's value: level = the token level of the aggregate
  Untrue,                 // kids = {x}: true when x is false or unknown, never unknown (`every … has x`)
};

const char* op_name(Op op);

// The constant of a Const node: shared and immutable; in every other node it
// is Missing (a static value, owned by none, so reading it never tests for
// null). The checker and the start-up cache share equal scalar constants
// between nodes (ConstPool). One pointer to a counted value (8 bytes, where a
// shared_ptr takes 16): copying and destroying test for the static value,
// reading does not.
class ConstRef {
 public:
  ConstRef() : p_(&kMissing) {}
  explicit ConstRef(Value v) : p_(new Node{std::move(v), 1}) {}
  ConstRef(const ConstRef& o) : p_(o.p_) { retain(); }
  ConstRef& operator=(const ConstRef& o) {
    if (p_ != o.p_) {
      o.retain();
      release();
      p_ = o.p_;
    }
    return *this;
  }
  // A moved-from node reads Missing too.
  ConstRef(ConstRef&& o) noexcept : p_(o.p_) { o.p_ = &kMissing; }
  ConstRef& operator=(ConstRef&& o) noexcept {
    if (this != &o) {
      release();
      p_ = o.p_;
      o.p_ = &kMissing;
    }
    return *this;
  }
  ~ConstRef() { release(); }
  const Value& operator*() const { return p_->value; }
  const Value* operator->() const { return &p_->value; }

 private:
  struct Node {
    Value value;
    std::atomic<std::uint32_t> refs;
  };
  void retain() const {
    if (p_ != &kMissing) p_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept {
    if (p_ != &kMissing && p_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete p_;
  }
  static Node kMissing;
  Node* p_;
};

// Shares equal scalar constants (booleans, numbers, symbols, ranges) between
// the nodes made through one pool; texts, lists and maps get their own.
class ConstPool {
 public:
  ConstRef get(Value v);

 private:
  struct Key {
    std::uint64_t a, b, c, d;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct Hash {
    std::size_t operator()(const Key& k) const;
  };
  std::unordered_map<Key, ConstRef, Hash> shared_;
};

// The children of an expression node, a rule's actions: one pointer to a
// block holding their count, its capacity and the items, where a vector
// takes 24 bytes (empty: a shared block of none, so reading never tests for
// null). Read like a vector (size, [], range for);
// built by push_back, emplace_back, resize or take (the items, moved in).
template <class T>
class PackedVec {
 public:
  PackedVec() = default;
  PackedVec(const PackedVec& o) {
    if (o.empty()) return;
    grow(o.size());
    for (const T& e : o) {
      new (data() + b_->size) T(e);
      ++b_->size;
    }
  }
  PackedVec(PackedVec&& o) noexcept : b_(o.b_) { o.b_ = empty_block(); }
  PackedVec& operator=(const PackedVec& o) {
    if (this != &o) {
      PackedVec copy(o);
      *this = std::move(copy);
    }
    return *this;
  }
  PackedVec& operator=(PackedVec&& o) noexcept {
    if (this != &o) {
      clear();
      b_ = o.b_;
      o.b_ = empty_block();
    }
    return *this;
  }
  // The items given, moved in, exactly sized: `kids.take(std::move(a),
  // std::move(b))`. (No assignment from a braced list: its items are const,
  // so each would be copied, a whole subtree for an expression's child.)
  template <class... A>
  void take(A&&... items) {
    PackedVec out;
    out.grow(sizeof...(items));
    (out.emplace_back(std::forward<A>(items)), ...);
    *this = std::move(out);
  }
  ~PackedVec() { clear(); }

  std::size_t size() const { return b_->size; }
  bool empty() const { return b_->size == 0; }
  T* data() { return reinterpret_cast<T*>(b_ + 1); }
  const T* data() const { return reinterpret_cast<const T*>(b_ + 1); }
  T* begin() { return data(); }
  T* end() { return data() + size(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }
  std::reverse_iterator<const T*> rbegin() const { return std::reverse_iterator<const T*>(end()); }
  std::reverse_iterator<const T*> rend() const { return std::reverse_iterator<const T*>(begin()); }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }
  T& at(std::size_t i) {
    if (i >= size()) throw std::out_of_range("PackedVec::at");
    return data()[i];
  }
  const T& at(std::size_t i) const {
    if (i >= size()) throw std::out_of_range("PackedVec::at");
    return data()[i];
  }
  T& front() { return data()[0]; }
  const T& front() const { return data()[0]; }
  T& back() { return data()[size() - 1]; }
  const T& back() const { return data()[size() - 1]; }

  template <class... A>
  T& emplace_back(A&&... a) {
    if (size() == capacity()) {  // the new item first: `a` may be one of these items
      T item(std::forward<A>(a)...);
      grow(size() + 1);
      T* p = new (data() + b_->size) T(std::move(item));
      ++b_->size;
      return *p;
    }
    T* p = new (data() + b_->size) T(std::forward<A>(a)...);
    ++b_->size;
    return *p;
  }
  void push_back(T&& e) { emplace_back(std::move(e)); }
  void push_back(const T& e) { emplace_back(e); }
  void reserve(std::size_t n) { grow(n); }
  // Like a vector's: the items past `n` go, new ones are `value` (or made
  // by T's default constructor). `value` is taken by value: it may be one
  // of these items, which growing moves.
  void resize(std::size_t n) { resize_with(n, [](T* p) { new (p) T(); }); }
  void resize(std::size_t n, T value) { resize_with(n, [&value](T* p) { new (p) T(value); }); }
  void clear() {
    if (b_ == empty_block()) return;
    T* d = data();
    for (std::uint32_t i = b_->size; i > 0; --i) d[i - 1].~T();
    ::operator delete(b_);
    b_ = empty_block();
  }

 private:
  template <class Make>
  void resize_with(std::size_t n, Make make) {
    if (n == 0) return clear();
    while (size() > n) data()[--b_->size].~T();
    grow(n);
    while (b_->size < n) {
      make(data() + b_->size);
      ++b_->size;
    }
  }
  struct Block {
    std::uint32_t size;
    std::uint32_t cap;
  };
  static_assert(sizeof(Block) == 8);
  // The block of every empty PackedVec, never written (a constant: the
  // compiler sees that it has no room); its items (none) would follow it.
  static Block* empty_block() {
    alignas(alignof(T) > alignof(Block) ? alignof(T) : alignof(Block)) static constexpr Block kNone{0, 0};
    return const_cast<Block*>(&kNone);
  }
  std::size_t capacity() const { return b_->cap; }
  // Capacity at least n: exact at first, doubling after.
  void grow(std::size_t n) {
    std::size_t cap = capacity();
    if (n <= cap) return;
    static_assert(alignof(T) <= sizeof(Block), "the items follow the block's header");
    std::size_t want = std::max<std::size_t>(n, cap * 2);
    auto* nb = static_cast<Block*>(::operator new(sizeof(Block) + want * sizeof(T)));
    nb->size = 0;
    nb->cap = static_cast<std::uint32_t>(want);
    if (b_ != empty_block()) {
      T* from = data();
      auto* to = reinterpret_cast<T*>(nb + 1);
      for (std::uint32_t i = 0; i < b_->size; ++i) {
        new (to + i) T(std::move(from[i]));
        from[i].~T();
      }
      nb->size = b_->size;
      ::operator delete(b_);
    }
    b_ = nb;
  }
  Block* b_ = empty_block();
};

// A rule's matches have at most this many levels (ForEach and Aggregate
// patterns): the checker refuses more (`nesting-too-deep`), so that a level
// fits the 16 bits CExpr and CRule give it.
inline constexpr int kMaxRuleLevels = 1000;

struct CExpr {
  Op op = Op::Const;
  std::int16_t level = -1;  // FactField, AggValue (below kMaxRuleLevels)
  TypeId type = kNoType;
  std::int32_t slot = -1;
  ast::Loc loc;  // where the rule author wrote it (source text via SourceManager)
  ConstRef constant;        // Const
  PackedVec<CExpr> kids;
};

// The compiled form is held a node per expression for every rule: its size
// is the memory per rule (docs/cli.md, "Limits"; tests/limits_test.cpp).
static_assert(sizeof(CExpr) == 40, "CExpr grew: the memory per rule grows with it (docs/cli.md, Limits)");

// A pattern of a rule over facts of a template (docs/engine.md, "Design:
// matching over many facts"), in the order written. ForEach and Aggregate
// add a level to the rule's partial matches; Exists and NotExists do not
// (their bound name is visible only inside their `where`). `every T x where C
// has D` is compiled as NotExists with tests C and `not D`.
struct CPattern {
  enum class Kind : std::uint8_t { ForEach, Exists, NotExists, Aggregate };
  enum class Agg : std::uint8_t { Count, Sum, Min, Max, Avg };
  Kind kind = Kind::ForEach;
  std::int32_t tmpl = -1;   // index into RuleSet::templates
  std::string var;          // the bound name
  std::int32_t level = 0;   // the level its fact has in a match (ForEach, Aggregate); the depth before it otherwise
  ast::Loc loc;
  // Conjuncts that read this pattern's fact (FactField at `level`), and
  // possibly facts bound before it and globals (slots).
  std::vector<CExpr> tests;
  Agg agg = Agg::Count;
  CExpr value;                 // Aggregate (not Count): FactField of this pattern
  std::vector<CExpr> agg_tests;  // tests that read the aggregate's value (AggValue at `level`)
};

// A literal run of a text template, 16 bytes where a std::string takes 32
// and, past 15 characters, an allocation. Most runs are the rule file's own
// bytes (one string literal, no escape, no doubled brace): held as a view
// into the text of the SourceManager, which the RuleSet keeps (`sources`);
// the others (and those of tests that build templates by hand) own a copy.
// A text written in parts (`"..." "..."`, one line each) is read joined by
// one space: a run that begins a part after the first is a view read after
// a space (`after_space`), so that such texts need no copy either.
class TextPiece {
 public:
  TextPiece() = default;
  // `s` must outlive the piece: a rule file's text in the rule set's sources.
  static TextPiece view(std::string_view s, bool after_space = false) {
    TextPiece t;
    t.p_ = s.data();
    t.n_ = static_cast<std::uint32_t>(s.size());
    t.after_space_ = after_space;
    return t;
  }
  static TextPiece copy(std::string_view s) {
    TextPiece t;
    if (s.empty()) return t;
    char* p = new char[s.size()];
    std::copy(s.begin(), s.end(), p);
    t.p_ = p;
    t.n_ = static_cast<std::uint32_t>(s.size());
    t.owned_ = true;
    return t;
  }
  TextPiece(const TextPiece& o) : TextPiece(o.owned_ ? copy(o.str()) : view(o.str())) { after_space_ = o.after_space_; }
  TextPiece(TextPiece&& o) noexcept : p_(o.p_), n_(o.n_), owned_(o.owned_), after_space_(o.after_space_) {
    o.p_ = "";
    o.n_ = 0;
    o.owned_ = false;
    o.after_space_ = false;
  }
  TextPiece& operator=(TextPiece o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    std::swap(owned_, o.owned_);
    std::swap(after_space_, o.after_space_);
    return *this;
  }
  ~TextPiece() {
    if (owned_) delete[] p_;
  }
  // The bytes, without the space read before them (`after_space`).
  std::string_view str() const { return {p_, n_}; }
  bool after_space() const { return after_space_; }
  // Appends the run as read: the space, then the bytes.
  void append_to(std::string& out) const {
    if (after_space_) out += ' ';
    out.append(p_, n_);
  }
  bool empty() const { return n_ == 0 && !after_space_; }
  bool is_view() const { return !owned_ && n_ > 0; }

 private:
  const char* p_ = "";
  std::uint32_t n_ = 0;
  bool owned_ = false;
  bool after_space_ = false;
};

// A text with {placeholders}: literal runs and expressions, in order.
struct TextTemplate {
  // `{EXPR}`, or a counted placeholder, `{EXPR|singular|plural}`: the
  // number, then the singular form when it is 1 and the plural otherwise
  // ("1 letter", "0 letters"); a missing number reads "an unknown number of
  // PLURAL".
  struct Placeholder {
    CExpr expr;
    bool counted = false;
    std::string singular, plural;
  };
  struct Segment {
    TextPiece literal;       // when not a placeholder
    Box<Placeholder> place;  // a placeholder
    bool is_expr() const { return static_cast<bool>(place); }
  };
  PackedVec<Segment> segments;
};

struct CAction {
  ast::ActionKind kind = ast::ActionKind::Set;
  bool indexed = false;    // Set/Add into map[key]
  bool add_each = false;   // Add: the value is a list whose items are added
  ast::Loc loc;
  std::int32_t slot = -1;  // Set, Add: the conclusion's slot
  std::int32_t category = -1;  // Recommend: symbol of the `category` enum
  // Create: tmpl; Change, Remove: the level of the bound fact.
  std::int32_t tmpl = -1;
  std::int32_t level = -1;
  CExpr value;             // Set, Add, Cite
  TextTemplate text;       // Recommend, Note, Warn
  // The parts few actions have, behind one pointer (absent: empty).
  struct Rare {
    CExpr key;             // Set/Add when indexed
    std::string id;        // Recommend
    std::vector<std::pair<std::int32_t, CExpr>> fields;  // Create, Change: field index, value
  };
  Box<Rare> rare;
  const CExpr& key() const { return rare ? rare->key : empty_rare().key; }
  const std::string& id() const { return rare ? rare->id : empty_rare().id; }
  const std::vector<std::pair<std::int32_t, CExpr>>& fields() const { return rare ? rare->fields : empty_rare().fields; }

 private:
  static const Rare& empty_rare();
};

// The slots a rule reads or writes, sorted: most rules read one or two and
// write none or one, so up to two are held inline (16 bytes in all, where a
// vector takes 24 and an allocation).
class SlotList {
 public:
  SlotList() = default;
  SlotList(const SlotList& o) { std::copy(o.begin(), o.end(), reset(o.size_)); }
  SlotList(SlotList&& o) noexcept : size_(o.size_), u_(o.u_) { o.size_ = 0; }
  SlotList& operator=(const SlotList& o) {
    if (this != &o) std::copy(o.begin(), o.end(), reset(o.size_));
    return *this;
  }
  SlotList& operator=(SlotList&& o) noexcept {
    if (this != &o) {
      free_heap();
      size_ = o.size_;
      u_ = o.u_;
      o.size_ = 0;
    }
    return *this;
  }
  SlotList& operator=(const std::vector<std::int32_t>& v) {
    assign(v.begin(), v.end());
    return *this;
  }
  ~SlotList() { free_heap(); }
  template <class It>
  void assign(It b, It e) {
    std::copy(b, e, reset(static_cast<std::size_t>(std::distance(b, e))));
  }
  // Makes room for n slots (their values unspecified) and returns where they go.
  std::int32_t* reset(std::size_t n) {
    free_heap();
    size_ = static_cast<std::uint32_t>(n);
    if (n > kInline) u_.heap = new std::int32_t[n];
    return data();
  }
  const std::int32_t* begin() const { return data(); }
  const std::int32_t* end() const { return data() + size_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::int32_t operator[](std::size_t i) const { return data()[i]; }
  friend bool operator==(const SlotList& a, const SlotList& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  static constexpr std::size_t kInline = 2;
  const std::int32_t* data() const { return size_ > kInline ? u_.heap : u_.in; }
  std::int32_t* data() { return size_ > kInline ? u_.heap : u_.in; }
  void free_heap() {
    if (size_ > kInline) delete[] u_.heap;
    size_ = 0;
  }
  std::uint32_t size_ = 0;
  union U {
    std::int32_t in[kInline];
    std::int32_t* heap;
  } u_{};
};

// A rule's name, description and guide section in one block behind one
// pointer (8 bytes, where three strings take 96 and an allocation each past
// 15 characters): a rule set of many small rules holds one small allocation
// a rule for them (docs/cli.md, "Limits"). Immutable once made; copying
// copies the block.
class RuleTexts {
 public:
  RuleTexts() = default;
  RuleTexts(std::string_view name, std::string_view description, std::string_view source);
  RuleTexts(const RuleTexts& o);
  RuleTexts(RuleTexts&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  RuleTexts& operator=(const RuleTexts& o) {
    if (this != &o) {
      RuleTexts copy(o);
      std::swap(p_, copy.p_);
    }
    return *this;
  }
  RuleTexts& operator=(RuleTexts&& o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~RuleTexts() { ::operator delete(p_); }
  std::string_view name() const { return p_ ? std::string_view(chars(), p_->name) : std::string_view(); }
  std::string_view description() const {
    return p_ ? std::string_view(chars() + p_->name, p_->description) : std::string_view();
  }
  std::string_view source() const {
    return p_ ? std::string_view(chars() + p_->name + p_->description, p_->source) : std::string_view();
  }

 private:
  struct Head {
    std::uint32_t name, description, source;  // their lengths; the characters follow
  };
  const char* chars() const { return reinterpret_cast<const char*>(p_ + 1); }
  Head* p_ = nullptr;  // null: all three empty
};

struct CRule {
  std::int32_t index = 0;  // position in RuleSet::rules (source order across files)
  int priority = 0;
  std::int32_t category = -1;  // default category of its recommendations
  int specificity = 0;     // number of tests in the condition (agenda tie-break)
  ast::Loc loc;
  std::int16_t levels = 0;  // levels of its matches (ForEach and Aggregate patterns), at most kMaxRuleLevels
  bool short_form = false;
  bool logical = false;  // its creations hold only while its match holds
  RuleTexts texts;
  std::string_view name() const { return texts.name(); }
  std::string_view description() const { return texts.description(); }
  std::string_view source() const { return texts.source(); }  // the guide section
  CExpr condition;
  PackedVec<CAction> actions;
  SlotList reads;   // slots the condition reads, sorted
  SlotList writes;  // slots the actions write, sorted
  // The parts few rules have, behind one pointer (absent: empty).
  struct Rare {
    // The applicant stages it speaks to (symbols of the `stage` enum, in the
    // order written); empty: every stage. The applicant's report leaves out
    // what a rule says to an applicant at another stage.
    std::vector<std::int32_t> stages;
    // Rules over facts: the patterns, and the conjuncts over slots alone
    // (applicant fields, conclusions), which are tested at the rule's first
    // node. A rule without patterns runs on the single-record path.
    std::vector<CPattern> patterns;
    std::vector<CExpr> guards;
  };
  Box<Rare> rare;
  const std::vector<std::int32_t>& stages() const { return rare ? rare->stages : empty_rare().stages; }
  const std::vector<CPattern>& patterns() const { return rare ? rare->patterns : empty_rare().patterns; }
  const std::vector<CExpr>& guards() const { return rare ? rare->guards : empty_rare().guards; }

 private:
  static const Rare& empty_rare();
};

static_assert(sizeof(CAction) == 88, "CAction grew: the memory per rule grows with it (docs/cli.md, Limits)");
static_assert(sizeof(CRule) == 128, "CRule grew: the memory per rule grows with it (docs/cli.md, Limits)");

// Appends to `out` the slots `e` reads (Op::Slot), each once, first read first.
void collect_slots(const CExpr& e, std::vector<std::int32_t>& out);

// The order in which activations fire (docs/engine.md, "The agenda").
enum class RuleStrategy : std::uint8_t { Advise, Depth, Breadth, Lex, Mea };
const char* rule_strategy_name(RuleStrategy s);
std::optional<RuleStrategy> parse_rule_strategy(std::string_view name);

struct RuleSet {
  // The rule set's own knowledge base: a copy of the one it was checked
  // against, with the types and enums its templates and expressions added.
  std::shared_ptr<const KnowledgeBase> kb;
  std::vector<TemplateDef> templates;  // declared in the rules, or read from kb/templates.json when used
  RuleStrategy strategy = RuleStrategy::Advise;
  bool has_patterns() const;
  std::shared_ptr<const SourceManager> sources;
  std::vector<CRule> rules;
  std::vector<std::vector<std::int32_t>> readers;  // slot -> rules whose condition reads it
  // Resolved definitions (groups, constants, aliases), for expressions
  // compiled later against this rule set (regression-test expectations).
  std::vector<std::pair<std::string, CExpr>> definitions;

  std::int32_t field_count() const { return static_cast<std::int32_t>(kb->fields.size()); }
  std::int32_t slot_count() const { return static_cast<std::int32_t>(kb->fields.size() + kb->conclusions.size()); }
  bool is_conclusion(std::int32_t slot) const { return slot >= field_count(); }
  const FieldDef& slot_def(std::int32_t slot) const {
    return slot < field_count() ? kb->fields[static_cast<std::size_t>(slot)]
                                : kb->conclusions[static_cast<std::size_t>(slot - field_count())];
  }
  const std::string& slot_name(std::int32_t slot) const { return slot_def(slot).name; }
  std::int32_t conclusion_slot(std::string_view name) const {
    int c = kb->conclusion_index(name);
    return c < 0 ? -1 : field_count() + c;
  }
  std::int32_t field_slot(std::string_view name) const { return kb->field_index(name); }
  const CRule* find_rule(std::string_view name) const;

  // "rules/step5_application.rules:12"
  std::string where(const ast::Loc& loc) const;
  // The source text a node was written as.
  std::string_view text_of(const ast::Loc& loc) const;
  // An expression's text as a reader expects it: a node's location starts at
  // its first operand and ends at its last, so `(the number of ...) >= 3`
  // would read `the number of ...) >= 3`; the parentheses around a first or
  // last operand that the location leaves out are taken back in.
  std::string expr_text(const ast::Loc& loc) const;
};

}  // namespace advise
