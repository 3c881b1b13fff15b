#include "engine/engine.hpp"

#include "engine/agenda.hpp"
#include "engine/compile.hpp"
#include "engine/condition.hpp"
#include "engine/conjuncts.hpp"
#include "engine/rete.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace advise {

namespace {
const Value kMissing{};
}

// ---------------------------------------------------------------- Result

const Value& Result::value(std::int32_t slot) const {
  std::int32_t v = current[static_cast<std::size_t>(slot)];
  return v < 0 ? kMissing : facts[static_cast<std::size_t>(v)].value;
}

const Value& Result::conclusion(std::string_view name) const {
  std::int32_t s = rules->conclusion_slot(name);
  return s < 0 ? kMissing : value(s);
}

bool Result::fired(std::int32_t rule) const {
  return std::any_of(firings.begin(), firings.end(), [&](const Firing& f) { return f.rule == rule; });
}

std::vector<std::int32_t> Result::firings_of(std::int32_t rule) const {
  std::vector<std::int32_t> out;
  for (std::size_t i = 0; i < firings.size(); ++i)
    if (firings[i].rule == rule) out.push_back(static_cast<std::int32_t>(i));
  return out;
}

const Recommendation* Result::recommendation(std::string_view id) const {
  for (const Recommendation& r : recommendations)
    if (r.id == id) return &r;
  return nullptr;
}

std::int32_t Result::version_at(std::int32_t slot, const Firing& firing) const {
  std::int32_t v = current[static_cast<std::size_t>(slot)];
  while (v >= firing.facts_before) v = facts[static_cast<std::size_t>(v)].prev;
  return v;
}

const Value& SnapshotView::get(std::int32_t slot) const {
  std::int32_t v = r_.version_at(slot, firing_);
  return v < 0 ? kMissing : r_.facts[static_cast<std::size_t>(v)].value;
}

// ---------------------------------------------------------------- engine

Engine::Engine(std::shared_ptr<const RuleSet> rules) : rules_(std::move(rules)) {
  if (rules_->has_patterns()) patterns_ = std::make_shared<const PatternProgram>(compile_patterns(*rules_));
  conjuncts_ = std::make_shared<const ConjunctIndex>(index_conjuncts(*rules_));
  order_ = std::make_shared<const RuleOrder>(RuleOrder::of(*rules_));
  scratch_ = std::make_shared<ScratchPool>();
  // The knowledge base's specialties, as records of the rule set's
  // `specialty` template, when a rule matches them.
  for (std::size_t t = 0; t < rules_->templates.size(); ++t) {
    if (!rules_->templates[t].kb_specialties) continue;
    auto facts = std::make_shared<std::vector<FactRecord>>();
    auto file = std::make_shared<const std::string>(rules_->templates[t].file);
    const KnowledgeBase& kb = *rules_->kb;
    for (std::size_t s = 0; s < kb.specialties.size(); ++s) {
      FactRecord fr;
      fr.tmpl = static_cast<std::int32_t>(t);
      fr.values = specialty_values(kb, static_cast<std::int32_t>(s));
      if (fr.values.size() != rules_->templates[t].fields.size()) continue;  // never: both come from the kb
      fr.origin.file = file;
      fr.origin.where = "$." + kb.specialties[s].id;
      facts->push_back(std::move(fr));
    }
    kb_facts_ = std::move(facts);
  }
}

namespace {

class CurrentView final : public ValueView {
 public:
  explicit CurrentView(const Result& r) : r_(r) {}
  const Value& get(std::int32_t slot) const override { return r_.value(slot); }

 private:
  const Result& r_;
};

// Who set each scalar conclusion or map entry, with what priority.
struct Setter {
  std::int32_t slot;
  Value key;  // Missing for whole-slot sets
  std::int32_t firing;
  int priority;
};

}  // namespace

// What an evaluation needs per rule and per conjunct, kept across the
// evaluations of one engine so that starting one costs what the last one
// touched, not the number of rules: per-rule state is stamped with the
// evaluation's epoch (a stale stamp reads as the state at the start), and
// only the lists the last evaluation filled are emptied. Engine::evaluate
// takes one from the engine's pool and gives it back, so concurrent
// evaluations each have their own.
struct EvalScratch {
  EvalScratch(const RuleSet& rs, const RuleOrder& order, const ConjunctIndex& cx)
      : agenda(rs.strategy, order), watch(rs.rules.size()), full_of(cx.conj.size()) {}

  // A rule's watch: the conjunct it watches (not true), or kFull when every
  // conjunct is true (its activation is on the agenda, or refracted).
  static constexpr std::int32_t kFull = -1;
  struct RuleWatch {
    std::uint32_t epoch = 0;
    std::int32_t conj = 0;
    std::uint32_t gen = 0;   // counts the times it became full (entries of full_of older than that are stale)
    std::int32_t next = -1;  // the next rule waiting on the same conjunct
  };
  struct FullEntry {
    std::int32_t rule;
    std::uint32_t gen;
  };

  Agenda agenda;
  std::uint32_t epoch = 0;
  std::vector<RuleWatch> watch;                    // by rule
  // By conjunct, the rules that moved their watch to it: a list threaded
  // through RuleWatch::next (a rule waits on one conjunct at a time, and a
  // list is taken whole when its conjunct becomes true).
  std::vector<std::int32_t> waiting;
  std::vector<std::vector<FullEntry>> full_of;     // by conjunct: full rules containing it (may be stale)
  std::vector<std::int32_t> filled;                // conjuncts whose full_of list holds entries
  std::vector<char> listed;                        // by conjunct: in `filled`
  std::vector<char> conj_true, conj_dirty, defaults_moved;
  std::vector<std::int32_t> dirty_list;
  std::vector<FactRef> facts;                          // activate's
  std::vector<std::pair<std::int32_t, bool>> visits;  // refresh's: (rule, activate or deactivate)

  void begin(std::size_t conjuncts) {
    agenda.reset();
    if (++epoch == 0) {
      for (RuleWatch& w : watch) w.epoch = 0;
      epoch = 1;
    }
    for (std::int32_t c : filled) full_of[static_cast<std::size_t>(c)].clear();
    filled.clear();
    waiting.assign(conjuncts, -1);
    listed.assign(conjuncts, 0);
    conj_true.assign(conjuncts, 0);
    conj_dirty.assign(conjuncts, 0);
    defaults_moved.assign(conjuncts, 0);
    dirty_list.clear();
  }
};

struct ScratchPool {
  std::mutex mu;
  std::vector<std::unique_ptr<EvalScratch>> free;
};

namespace {

class Run {
 public:
  Run(const Engine& engine, const PatternProgram* patterns, const ConjunctIndex& conjuncts, EvalScratch& scratch,
      Result& r, const EngineOptions& opt)
      : rs_(engine.rules()), pp_(patterns), cx_(conjuncts), sc_(scratch), r_(r), opt_(opt), view_(r),
        agenda_(scratch.agenda) {}

  void go() {
    sc_.begin(cx_.conj.size());
    // Every conjunct tested once; then each rule whose watched conjunct is
    // true looks for another that is not, and a rule with none is full: its
    // activation goes on the agenda (in rule order, as the strategies that
    // order by time expect).
    for (std::size_t c = 0; c < cx_.conj.size(); ++c)
      sc_.conj_true[c] = detail::test_condition_t(*cx_.conj[c], view_, *rs_.kb) == Truth::True ? 1 : 0;
    sc_.visits.clear();
    for (std::size_t c = 0; c < cx_.conj.size(); ++c)
      if (sc_.conj_true[c]) move_watchers(static_cast<std::int32_t>(c));
    apply_visits();
    if (pp_) start_matching();
    // What is on the agenda now will almost all fire: room for those firings
    // at once, not a vector doubled past them (half a million rules that all
    // fire held 1.8 times their firings while it grew).
    r_.firings.reserve(r_.firings.size() + agenda_.size());
    while (true) {
      refresh();
      std::int32_t top = agenda_.top();
      if (top < 0) break;
      if (agenda_.token_of(top) >= 0) {  // a rule over facts
        if (fact_firings_ >= opt_.max_fact_firings) {
          runaway();
          break;
        }
        ++fact_firings_;
        fire_activation(m_->pop());
        continue;
      }
      // The guard counts repeat firings only: each rule fires a first time at
      // most once, so a large rule set that does not loop never reaches it.
      bool repeat = agenda_.fired(agenda_.rule_of(top));
      if (repeat && repeats_ >= opt_.max_firings) {
        runaway();
        break;
      }
      if (repeat) ++repeats_;
      fire(agenda_.pop());
    }
  }

 private:
  const RuleSet& rs_;
  const PatternProgram* pp_;
  const ConjunctIndex& cx_;
  EvalScratch& sc_;
  Result& r_;
  const EngineOptions& opt_;
  CurrentView view_;
  // The agenda of both kinds of rule (engine/agenda.hpp): a single-record
  // rule's activation is over the slots its condition reads at their current
  // versions; the matcher adds those of the rules over facts.
  Agenda& agenda_;

  EvalScratch::RuleWatch& watch(std::int32_t rule) {
    EvalScratch::RuleWatch& w = sc_.watch[static_cast<std::size_t>(rule)];
    if (w.epoch != sc_.epoch) w = {sc_.epoch, cx_.first_watch[static_cast<std::size_t>(rule)], 0};
    return w;
  }
  void note_filled(std::int32_t c) {
    if (!sc_.listed[static_cast<std::size_t>(c)]) {
      sc_.listed[static_cast<std::size_t>(c)] = 1;
      sc_.filled.push_back(c);
    }
  }
  // Conjunct c became true: each rule watching it watches another conjunct
  // that is not true, or becomes full (queued in visits to be activated).
  void move_watchers(std::int32_t c) {
    auto ci = static_cast<std::size_t>(c);
    if (!sc_.defaults_moved[ci]) {  // the rules that watch it from the start
      sc_.defaults_moved[ci] = 1;
      for (std::int32_t rule : cx_.watchers[ci])
        if (sc_.watch[static_cast<std::size_t>(rule)].epoch != sc_.epoch) move_watch(rule, c);
    }
    std::int32_t rule = sc_.waiting[ci];
    sc_.waiting[ci] = -1;
    while (rule >= 0) {
      std::int32_t next = watch(rule).next;
      move_watch(rule, c);
      rule = next;
    }
  }
  void wait_on(std::int32_t rule, std::int32_t c) {
    EvalScratch::RuleWatch& w = watch(rule);
    w.conj = c;
    w.next = sc_.waiting[static_cast<std::size_t>(c)];
    sc_.waiting[static_cast<std::size_t>(c)] = rule;
  }
  void move_watch(std::int32_t rule, std::int32_t from) {
    EvalScratch::RuleWatch& w = watch(rule);
    const std::span<const std::int32_t> mine = cx_.conj_of[static_cast<std::size_t>(rule)];
    for (std::size_t i = mine.size(); i-- > 0;) {
      std::int32_t c = mine[i];
      if (c == from || sc_.conj_true[static_cast<std::size_t>(c)]) continue;
      wait_on(rule, c);
      return;
    }
    w.conj = EvalScratch::kFull;
    ++w.gen;
    for (std::int32_t c : mine) {
      sc_.full_of[static_cast<std::size_t>(c)].push_back({rule, w.gen});
      note_filled(c);
    }
    sc_.visits.emplace_back(rule, true);
  }
  bool full_entry(const EvalScratch::FullEntry& e) {
    const EvalScratch::RuleWatch& w = watch(e.rule);
    return w.conj == EvalScratch::kFull && w.gen == e.gen;
  }
  // The rules visited while one conjunct was re-tested, in rule order (the
  // order in which they were looked at before rules watched conjuncts, which
  // the strategies that order by time depend on): activated (again, over
  // the new versions of what they read) or deactivated.
  void apply_visits() {
    std::vector<std::pair<std::int32_t, bool>>& v = sc_.visits;
    // Under advise the order of activation does not matter (the rank
    // orders them), and a rule visited twice is activated twice over the
    // same versions, the second time without effect.
    bool ordered = agenda_.strategy() != RuleStrategy::Advise;
    if (ordered && v.size() > 1) std::sort(v.begin(), v.end());
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (ordered && i > 0 && v[i].first == v[i - 1].first) continue;
      if (v[i].second)
        activate(v[i].first);
      else
        agenda_.remove_rule(v[i].first);
    }
    v.clear();
  }

  std::vector<std::uint64_t> fire_levels_;  // fire_activation's copy of the match's levels
  std::int32_t repeats_ = 0;              // firings of rules that had fired before
  std::vector<Setter> setters_;
  std::unordered_map<std::string, std::size_t> rec_index_;               // recommendation id -> index
  // Each rule's messages, as a chain: its last message, and for each message
  // the same rule's message before it (-1: none). A vector per rule took
  // about 90 B a rule that notes something.
  std::unordered_map<std::int32_t, std::int32_t> last_message_of_;  // rule -> its last message
  std::vector<std::int32_t> earlier_message_;                        // by message

  // ---- rules over facts (docs/engine.md, "Design: matching over many facts")

  std::unique_ptr<rete::Matcher> m_;
  std::int64_t fact_firings_ = 0;
  // Texts interned as cells: the rules' constants (PatternProgram::strings,
  // numbered as the compiler numbered them), then the facts' texts this
  // evaluation met, numbered after them. One table, looked up once per text;
  // its keys view the texts, which outlive the run: the rules' constants (the
  // engine keeps them), the given facts' values, and the values of the
  // records and slot versions of the result.
  // Open addressing (a catalog brings one text per program at least: a
  // node-based map allocated a node for each), hashed 8 bytes at a time.
  struct TextIds {
    struct Slot {
      std::uint64_t hash = 0;
      const char* data = nullptr;
      std::size_t size = 0;
      std::int64_t id = -1;  // -1: empty
    };
    std::vector<Slot> slots;
    std::int64_t count = 0;
    static std::uint64_t hash_of(std::string_view s) {
      std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ s.size();
      std::size_t i = 0;
      for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
      }
      std::uint64_t w = 0;
      if (i < s.size()) std::memcpy(&w, s.data() + i, s.size() - i);
      h = (h ^ w) * 0x94d049bb133111ebULL;
      return h ^ (h >> 31);
    }
    void grow() {
      std::vector<Slot> old;
      old.swap(slots);
      slots.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
      for (const Slot& x : old)
        if (x.id >= 0) place(x);
    }
    void place(const Slot& x) {
      std::size_t mask = slots.size() - 1;
      for (std::size_t i = x.hash & mask;; i = (i + 1) & mask)
        if (slots[i].id < 0) {
          slots[i] = x;
          return;
        }
    }
    // The text's id; a text not seen yet gets the next one.
    std::int64_t get(std::string_view s) {
      if (static_cast<std::size_t>(count + 1) * 2 > slots.size()) grow();
      std::uint64_t h = hash_of(s);
      std::size_t mask = slots.size() - 1;
      for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        Slot& x = slots[i];
        if (x.id < 0) {
          x = Slot{h, s.data(), s.size(), count++};
          return x.id;
        }
        if (x.hash == h && x.size == s.size() && std::memcmp(x.data, s.data(), s.size()) == 0) return x.id;
      }
    }
  };
  TextIds string_ids_;

  std::int64_t intern(const std::string& t) {
    if (string_ids_.count == 0)
      for (const std::string& c : pp_->strings) string_ids_.get(c);  // numbered as the compiler numbered them
    return string_ids_.get(t);
  }

  // A value as a cell of a field (or slot) of type `t`; false when missing.
  bool to_cell(const Value& v, rete::Cell& c) {
    return value_cell(v, c, [&](const std::string& t) { return intern(t); });
  }

 public:
  const RuleSet& rules() const { return rs_; }

 private:
  // The values a rule over facts reads: slots as they are now, bound facts
  // through the match's levels (and the fact being tested, for predicates).
  class BoundView final : public ValueView {
   public:
    BoundView(const Run& run, const std::uint64_t* levels, std::int32_t self, std::int32_t self_level,
              std::int32_t offset)
        : run_(run), levels_(levels), self_(self), self_level_(self_level), offset_(offset) {}
    const Value& get(std::int32_t slot) const override { return run_.r_.value(slot); }
    Value fact_field(std::int32_t level, std::int32_t field) const override {
      const Value* v = field_ref(level, field);
      return v ? *v : Value{};
    }
    // The field's value, read from its record (the network's cells hold only
    // what its compiled tests compare; predicates and actions read values);
    // null when there is none. condition.hpp reads it without a copy.
    const Value* field_ref(std::int32_t level, std::int32_t field) const {
      std::int32_t fact = level == self_level_ ? self_
                        : levels_ ? static_cast<std::int32_t>(levels_[level + offset_])
                                  : -1;
      if (fact < 0) return nullptr;
      const Record& rec = run_.r_.records[static_cast<std::size_t>(fact)];
      if (static_cast<std::size_t>(field) >= rec.values.size()) return nullptr;
      return &rec.values[static_cast<std::size_t>(field)];
    }
    Value aggregate(std::int32_t level) const override {
      if (!levels_) return {};
      rete::Cell c;
      c.bits = levels_[level + offset_];
      return Value::number(c.num);
    }

   private:
    const Run& run_;
    const std::uint64_t* levels_;
    std::int32_t self_, self_level_, offset_;
  };

  struct Host final : rete::PredicateHost {
    Run* run = nullptr;
    bool predicate(std::int64_t id, const std::uint64_t* levels, std::int32_t self) override {
      const PatternProgram::Pred& p = run->pp_->preds[static_cast<std::size_t>(id)];
      BoundView v(*run, levels, self, p.self_level, p.offset);
      return detail::test_condition_t(*p.expr, v, *run->rs_.kb) == Truth::True;
    }
  } host_;

  void set_global(std::int32_t slot) {
    if (!m_ || !pp_->global_read[static_cast<std::size_t>(slot)]) return;
    const Value& v = r_.value(slot);
    rete::Cell c;
    bool known = to_cell(v, c);
    if (!known && !v.is_missing()) c = rete::id_cell(r_.current[static_cast<std::size_t>(slot)]);  // a list or map: its version
    m_->set_global(slot, c, v.is_missing());
  }

  // `like`: the fact this record changes (a `change`), whose cells the
  // fields outside `changed` (a bit per field) keep: they hold the same
  // values, and a text is not looked up again.
  std::int32_t add_record(std::int32_t tmpl, RecordValues values, std::int32_t input, std::int32_t firing,
                          std::int32_t like = -1, std::uint64_t changed = ~std::uint64_t{0}) {
    // The record first: the predicates run while the fact is asserted read it.
    auto id = static_cast<std::int32_t>(m_->fact_count());
    if (static_cast<std::size_t>(id) == r_.records.size())
      r_.records.emplace_back();
    else if (static_cast<std::size_t>(id) > r_.records.size())
      r_.records.resize(static_cast<std::size_t>(id) + 1);
    Record& rec = r_.records[static_cast<std::size_t>(id)];
    rec.tmpl = tmpl;
    rec.values = std::move(values);
    rec.input = input;
    rec.created_by = firing;
    if (tmpl < 0) {
      m_->assert_fact(pp_->applicant_tmpl, {}, 0);
    } else {
      const RecordValues& vs = rec.values;
      cells_.assign(vs.size(), rete::Cell{});
      std::uint64_t missing = 0;
      const std::vector<char>& read = pp_->field_read[static_cast<std::size_t>(tmpl)];
      for (std::size_t f = 0; f < vs.size(); ++f) {
        if (like >= 0 && f < 64 && ((changed >> f) & 1U) == 0) {
          cells_[f] = m_->cell(like, static_cast<int>(f));
          if (m_->is_missing(like, static_cast<int>(f))) missing |= std::uint64_t{1} << f;
        } else if (vs[f].is_missing())
          missing |= std::uint64_t{1} << f;
        else if (read[f] && !to_cell(vs[f], cells_[f]))  // a field no compiled test reads needs no cell
          missing |= std::uint64_t{1} << f;
      }
      m_->assert_fact(tmpl, cells_, missing);
    }
    r_.records[static_cast<std::size_t>(id)].timetag = m_->fact(id).timetag;
    return id;
  }
  std::vector<rete::Cell> cells_;  // add_record's, kept across calls

  void start_matching() {
    m_ = std::make_unique<rete::Matcher>(pp_->net, &agenda_);
    host_.run = this;
    m_->set_predicate_host(&host_);
    for (std::size_t s = 0; s < pp_->global_read.size(); ++s) set_global(static_cast<std::int32_t>(s));
    add_record(-1, {}, -1, -1);
    if (r_.kb_facts) {
      for (std::size_t i = 0; i < r_.kb_facts->size(); ++i) {
        const FactRecord& fr = (*r_.kb_facts)[i];
        std::int32_t id = add_record(fr.tmpl, RecordValues::view(fr.values), -1, -1);
        r_.records[static_cast<std::size_t>(id)].kb_input = static_cast<std::int32_t>(i);
      }
    }
    if (opt_.facts) {
      for (std::size_t i = 0; i < opt_.facts->size(); ++i) {
        const FactRecord& fr = (*opt_.facts)[i];
        add_record(fr.tmpl, RecordValues::view(fr.values), static_cast<std::int32_t>(i), -1);
      }
    }
  }

  void end_record(std::int32_t fact, std::int32_t firing) {
    if (fact >= 0 && static_cast<std::size_t>(fact) < r_.records.size()) r_.records[static_cast<std::size_t>(fact)].ended_by = firing;
  }

  void fire_activation(std::int32_t activation) {
    const Activation a = m_->activation(activation);
    const CRule& cr = rs_.rules[static_cast<std::size_t>(a.rule)];
    std::span<const std::uint64_t> lv = m_->levels(a.token);
    // The token may go while the actions run: its levels are copied, into a
    // buffer kept across firings (firings do not nest).
    fire_levels_.assign(lv.begin(), lv.end());
    const std::vector<std::uint64_t>& levels = fire_levels_;
    std::int32_t offset = pp_->offset[static_cast<std::size_t>(a.rule)];
    Firing f;
    f.rule = a.rule;
    f.read.reserve(cr.reads.size());
    for (std::int32_t s : cr.reads) f.read.push_back(r_.current[static_cast<std::size_t>(s)]);
    f.facts_before = static_cast<std::int32_t>(r_.facts.size());
    f.matched.resize(static_cast<std::size_t>(cr.levels), -1);
    f.aggregates.resize(static_cast<std::size_t>(cr.levels));
    for (const CPattern& p : cr.patterns()) {
      auto l = static_cast<std::size_t>(p.level + offset);
      if (p.kind == CPattern::Kind::ForEach) {
        f.matched[static_cast<std::size_t>(p.level)] = static_cast<std::int32_t>(levels[l]);
      } else if (p.kind == CPattern::Kind::Aggregate) {
        rete::Cell c;
        c.bits = levels[l];
        f.aggregates[static_cast<std::size_t>(p.level)] = Value::number(c.num);
      }
    }
    auto fi = static_cast<std::int32_t>(r_.firings.size());
    r_.firings.push_back(std::move(f));
    BoundView view(*this, levels.data(), -1, -1, offset);
    for (const CAction& ca : cr.actions) {
      switch (ca.kind) {
        case ast::ActionKind::Create: {
          const TemplateDef& t = rs_.templates[static_cast<std::size_t>(ca.tmpl)];
          std::vector<Value> values(t.fields.size());
          for (std::size_t i = 0; i < t.fields.size(); ++i)
            if (t.fields[i].default_value) values[i] = *t.fields[i].default_value;
          for (const auto& [field, e] : ca.fields()) values[static_cast<std::size_t>(field)] = evaluate_expr(e, view, *rs_.kb);
          std::int32_t id = add_record(ca.tmpl, RecordValues(std::move(values)), -1, fi);
          if (cr.logical && a.token >= 0) {
            if (m_->popped_alive()) {
              m_->support(a.token, id);
            } else {  // an earlier action of this firing removed a fact it matched: no support left
              m_->retract(id);
              end_record(id, fi);
            }
          }
          break;
        }
        case ast::ActionKind::Change: {
          auto fact = static_cast<std::int32_t>(levels[static_cast<std::size_t>(ca.level + offset)]);
          if (!m_->fact(fact).alive) break;  // removed by an earlier action of this firing
          const RecordValues& old = r_.records[static_cast<std::size_t>(fact)].values;
          std::vector<Value> values(old.begin(), old.end());
          std::uint64_t changed = 0;
          for (const auto& [field, e] : ca.fields()) {
            values[static_cast<std::size_t>(field)] = evaluate_expr(e, view, *rs_.kb);
            changed |= field < 64 ? std::uint64_t{1} << field : ~std::uint64_t{0};
          }
          m_->retract_for_change(fact, changed);
          end_record(fact, fi);
          add_record(ca.tmpl, RecordValues(std::move(values)), -1, fi, fact, changed);
          break;
        }
        case ast::ActionKind::Remove: {
          auto fact = static_cast<std::int32_t>(levels[static_cast<std::size_t>(ca.level + offset)]);
          if (!m_->fact(fact).alive) break;
          m_->retract(fact);
          end_record(fact, fi);
          break;
        }
        default: run_action(cr, a.rule, ca, fi, view); break;
      }
    }
    if (cr.logical && a.token >= 0) {
      // The conclusions it set hold while its match does.
      std::vector<std::int32_t> lost;
      for (const Change& c : r_.firings[static_cast<std::size_t>(fi)].changes) {
        if (m_->popped_alive())
          m_->support_external(a.token, c.after);
        else
          lost.push_back(c.after);
      }
      withdraw(std::move(lost), fi);
    }
    settle(fi);
  }

  // Versions of conclusions whose logical support went, never current again.
  std::unordered_set<std::int32_t> unsupported_;

  // Conclusions set under `logical` support that lost it (`lost`, and what
  // the matcher reports) return to their value before the supported rule set
  // them; facts created under it that lost it are ended. Caused by `firing`.
  void settle(std::int32_t firing) {
    if (!m_) return;
    withdraw(m_->take_unsupported(), firing);
    for (std::int32_t fact : m_->take_withdrawn()) end_record(fact, firing);
  }

  void withdraw(std::vector<std::int32_t> lost, std::int32_t firing) {
    while (!lost.empty()) {
      std::sort(lost.begin(), lost.end());
      std::vector<std::int32_t> slots;
      for (std::int32_t v : lost) {
        unsupported_.insert(v);
        slots.push_back(r_.facts[static_cast<std::size_t>(v)].slot);
      }
      std::sort(slots.begin(), slots.end());
      slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
      for (std::int32_t slot : slots) {
        std::int32_t cur = r_.current[static_cast<std::size_t>(slot)];
        if (cur < 0 || !unsupported_.count(cur)) continue;  // set again since, by a rule that stands
        // Back past every version that lost its support (and the withdrawals between them).
        std::int32_t back = cur;
        while (back >= 0 && (unsupported_.count(back) ||
                             r_.facts[static_cast<std::size_t>(back)].evidence.kind == Evidence::Kind::Withdrawn)) {
          const Fact& bf = r_.facts[static_cast<std::size_t>(back)];
          back = bf.evidence.kind == Evidence::Kind::Withdrawn ? bf.evidence.restored : bf.prev;
        }
        // The rules that set the lost versions no longer claim the slot.
        std::erase_if(setters_, [&](const Setter& st) {
          if (st.slot != slot) return false;
          for (std::int32_t v = cur; v >= 0 && v != back; v = r_.facts[static_cast<std::size_t>(v)].prev) {
            const Evidence& e = r_.facts[static_cast<std::size_t>(v)].evidence;
            if (e.kind == Evidence::Kind::Derived && e.firing == st.firing) return true;
          }
          return false;
        });
        Value restored = back < 0 ? Value{} : r_.facts[static_cast<std::size_t>(back)].value;
        r_.facts.push_back({slot, std::move(restored), {Evidence::Kind::Withdrawn, firing, back}, cur});
        auto after = static_cast<std::int32_t>(r_.facts.size() - 1);
        r_.current[static_cast<std::size_t>(slot)] = after;
        if (firing >= 0) r_.firings[static_cast<std::size_t>(firing)].changes.push_back({slot, cur, after});
        touched(slot);
        set_global(slot);  // may remove further matches, and the support they gave
      }
      lost = m_->take_unsupported();
    }
  }

  // The rule's condition holds: its activation over the current versions of
  // what it reads goes on the agenda, unless that activation already fired
  // (refraction) or is there already; one over older versions is replaced
  // (a fact it matched changed).
  void activate(std::int32_t rule) {
    const CRule& cr = rs_.rules[static_cast<std::size_t>(rule)];
    sc_.facts.clear();
    for (std::int32_t s : cr.reads) sc_.facts.push_back({FactId::slot(s), r_.current[static_cast<std::size_t>(s)]});
    agenda_.add(rule, sc_.facts);
  }

  // Re-tests the conjuncts whose slots changed. A conjunct that became true
  // moves the rules watching it; a full rule containing a re-tested conjunct
  // that stays true is activated again (a slot it reads changed), and one
  // containing a conjunct no longer true loses its activation and watches
  // that conjunct.
  void refresh() {
    for (std::size_t d = 0; d < sc_.dirty_list.size(); ++d) {
      std::int32_t c = sc_.dirty_list[d];
      auto ci = static_cast<std::size_t>(c);
      sc_.conj_dirty[ci] = 0;
      bool now = detail::test_condition_t(*cx_.conj[ci], view_, *rs_.kb) == Truth::True;
      bool was = sc_.conj_true[ci] != 0;
      sc_.conj_true[ci] = now ? 1 : 0;
      std::vector<EvalScratch::FullEntry>& full = sc_.full_of[ci];
      if (now) {
        std::size_t old_full = full.size();
        if (!was) move_watchers(c);
        // The full rules containing it (those that just became full are in visits already).
        std::size_t keep = 0;
        for (std::size_t i = 0; i < old_full; ++i) {
          if (!full_entry(full[i])) continue;
          sc_.visits.emplace_back(full[i].rule, true);
          full[keep++] = full[i];
        }
        full.erase(full.begin() + static_cast<std::ptrdiff_t>(keep), full.begin() + static_cast<std::ptrdiff_t>(old_full));
      } else if (was) {
        for (const EvalScratch::FullEntry& e : full) {
          if (!full_entry(e)) continue;
          wait_on(e.rule, c);
          sc_.visits.emplace_back(e.rule, false);
        }
        full.clear();
      }
      apply_visits();
    }
    sc_.dirty_list.clear();
  }

  void touched(std::int32_t slot) {
    for (std::int32_t c : cx_.of_slot[static_cast<std::size_t>(slot)]) {
      if (!sc_.conj_dirty[static_cast<std::size_t>(c)]) {
        sc_.conj_dirty[static_cast<std::size_t>(c)] = 1;
        sc_.dirty_list.push_back(c);
      }
    }
  }

  void write(std::int32_t slot, Value v, std::int32_t firing) {
    Firing& f = r_.firings[static_cast<std::size_t>(firing)];
    std::int32_t before = r_.current[static_cast<std::size_t>(slot)];
    r_.facts.push_back({slot, std::move(v), {Evidence::Kind::Derived, firing}, before});
    std::int32_t after = static_cast<std::int32_t>(r_.facts.size() - 1);
    r_.current[static_cast<std::size_t>(slot)] = after;
    f.changes.push_back({slot, before, after});
    touched(slot);
    set_global(slot);
  }

  // Decides whether `firing` (of priority `prio`) may set slot[key] to v.
  bool claim(std::int32_t slot, const Value& key, const Value& v, const Value& old, std::int32_t firing, int prio) {
    for (Setter& s : setters_) {
      if (s.slot != slot || !(s.key == key)) continue;
      if (old == v) {
        s.firing = firing;  // agrees; the latest rule to confirm it is recorded
        return false;
      }
      const Firing& prev = r_.firings[static_cast<std::size_t>(s.firing)];
      bool same_rule = prev.rule == r_.firings[static_cast<std::size_t>(firing)].rule;
      if (same_rule || prio > s.priority) {
        if (!same_rule) r_.conflicts.push_back({slot, key, v, old, firing, s.firing, false});
        s.firing = firing;
        s.priority = prio;
        return true;
      }
      r_.conflicts.push_back({slot, key, old, v, s.firing, firing, prio == s.priority});
      return false;
    }
    setters_.push_back({slot, key, firing, prio});
    return !(old == v);
  }

  // Fires a single-record rule's activation, popped from the agenda (so
  // recorded there as fired: refracted while what it read keeps its
  // versions): the versions it matched are what the firing read.
  void fire(const Activation& act) {
    Firing f;
    f.rule = act.rule;
    f.read.reserve(act.facts.size());
    for (const FactRef& x : act.facts) f.read.push_back(static_cast<std::int32_t>(x.version));
    fire_with(act.rule, std::move(f));
  }

  void fire_with(std::int32_t rule, Firing f) {
    const CRule& cr = rs_.rules[static_cast<std::size_t>(rule)];
    auto fi = static_cast<std::int32_t>(r_.firings.size());
    f.facts_before = static_cast<std::int32_t>(r_.facts.size());
    r_.firings.push_back(std::move(f));
    for (const CAction& a : cr.actions) run_action(cr, rule, a, fi, view_);
    settle(fi);  // a guard went false: what a logical rule over facts made under it goes
  }

  // One action of a firing (the fact actions are fire_activation's).
  void run_action(const CRule& cr, std::int32_t rule, const CAction& a, std::int32_t fi, const ValueView& view) {
    {
      switch (a.kind) {
        case ast::ActionKind::Set: {
          Value v = evaluate_expr(a.value, view, *rs_.kb);
          if (v.is_missing()) break;  // nothing known to set
          const Value& cur = r_.value(a.slot);
          if (a.indexed) {
            Value key = evaluate_expr(a.key(), view, *rs_.kb);
            if (key.is_missing()) break;
            Value old = cur.map_get(key);
            if (!claim(a.slot, key, v, old, fi, cr.priority)) break;
            ValueList pairs = cur.list_items();
            bool found = false;
            for (std::size_t i = 0; i + 1 < pairs.size(); i += 2)
              if (pairs[i] == key) {
                pairs[i + 1] = v;
                found = true;
              }
            if (!found) {
              pairs.push_back(key);
              pairs.push_back(v);
            }
            write(a.slot, Value::map(std::move(pairs)), fi);
          } else {
            if (!claim(a.slot, Value{}, v, cur, fi, cr.priority)) break;
            write(a.slot, std::move(v), fi);
          }
          break;
        }
        case ast::ActionKind::Add: {
          Value v = evaluate_expr(a.value, view, *rs_.kb);
          if (v.is_missing()) break;
          ValueList add = a.add_each ? v.list_items() : ValueList{v};
          if (a.indexed) {
            Value key = evaluate_expr(a.key(), view, *rs_.kb);
            if (key.is_missing()) break;
            const Value& cur = r_.value(a.slot);
            Value list = cur.map_get(key);
            ValueList items = list.list_items();
            bool changed = false;
            for (Value& x : add)
              if (std::find(items.begin(), items.end(), x) == items.end()) {
                items.push_back(x);
                changed = true;
              }
            if (!changed && !list.is_missing()) break;
            ValueList pairs = cur.list_items();
            bool found = false;
            for (std::size_t i = 0; i + 1 < pairs.size(); i += 2)
              if (pairs[i] == key) {
                pairs[i + 1] = Value::list(items);
                found = true;
              }
            if (!found) {
              pairs.push_back(key);
              pairs.push_back(Value::list(std::move(items)));
            }
            write(a.slot, Value::map(std::move(pairs)), fi);
          } else {
            const Value& cur = r_.value(a.slot);
            ValueList items = cur.list_items();
            bool changed = cur.is_missing();
            for (Value& x : add)
              if (std::find(items.begin(), items.end(), x) == items.end()) {
                items.push_back(x);
                changed = true;
              }
            if (changed) write(a.slot, Value::list(std::move(items)), fi);
          }
          break;
        }
        case ast::ActionKind::Recommend: {
          std::string text = a.text.segments.empty() ? std::string(cr.description()) : render_template(a.text, view, *rs_.kb);
          // One recommendation per id, found by index (not by a scan: a
          // rule set may make hundreds of thousands).
          auto [it, fresh] = rec_index_.try_emplace(a.id(), r_.recommendations.size());
          if (fresh) {
            r_.recommendations.push_back({a.id(), a.category, std::move(text), rule, fi, {}});
            break;
          }
          Recommendation& rec = r_.recommendations[it->second];
          if (rec.rule == rule) {
            rec.text = std::move(text);  // the same rule, fired again on newer facts
            rec.firing = fi;
          } else if (std::find(rec.also_by.begin(), rec.also_by.end(), rule) == rec.also_by.end()) {
            rec.also_by.push_back(rule);
          }
          break;
        }
        case ast::ActionKind::Note:
        case ast::ActionKind::Warn: {
          std::string text = render_template(a.text, view, *rs_.kb);
          Message::Kind k = a.kind == ast::ActionKind::Note ? Message::Kind::Note : Message::Kind::Warning;
          // The same text from the same rule once: only this rule's messages are compared.
          auto last = last_message_of_.try_emplace(rule, -1).first;
          bool dup = false;
          for (std::int32_t m = last->second; m >= 0 && !dup; m = earlier_message_[static_cast<std::size_t>(m)]) {
            const Message& old = r_.messages[static_cast<std::size_t>(m)];
            dup = old.kind == k && old.text == text;
          }
          if (!dup) {
            earlier_message_.push_back(last->second);
            last->second = static_cast<std::int32_t>(r_.messages.size());
            r_.messages.push_back({k, std::move(text), rule, fi});
          }
          break;
        }
        case ast::ActionKind::Cite: {
          Value v = evaluate_expr(a.value, view, *rs_.kb);
          if (v.is_missing()) break;
          ValueList figs = a.add_each ? v.list_items() : ValueList{v};
          // Every citation is kept while the rules run (a figure cited by
          // two firings, twice): a firing that loses a conflict takes its
          // citations back, and the other citation of the figure must stay.
          // Result::citations keeps the first of each figure (dedupe_citations).
          for (const Value& x : figs) {
            bool dup = std::any_of(r_.citations.begin(), r_.citations.end(),
                                   [&](const Citation& c) { return c.figure == x.sym && c.firing == fi; });
            if (!dup) r_.citations.push_back({x.sym, fi});
          }
          break;
        }
        case ast::ActionKind::Create:
        case ast::ActionKind::Change:
        case ast::ActionKind::Remove: break;  // only in rules over facts: fire_activation
      }
    }
  }

  void runaway() {
    // The rules that fired most in the last stretch, and the facts they changed.
    std::size_t window = std::min<std::size_t>(r_.firings.size(), 100);
    std::map<std::int32_t, int> count;
    std::map<std::int32_t, int> slots;
    for (std::size_t i = r_.firings.size() - window; i < r_.firings.size(); ++i) {
      count[r_.firings[i].rule]++;
      for (const Change& c : r_.firings[i].changes) slots[c.slot]++;
    }
    RunawayError e;
    e.limit = opt_.max_firings;
    for (auto [rule, c] : count)
      if (c >= 2) e.rules.push_back(rule);
    for (auto [slot, c] : slots)
      if (c >= 2) e.slots.push_back(slot);
    auto rule_text = [&](std::int32_t rl) {
      const CRule& cr = rs_.rules[static_cast<std::size_t>(rl)];
      return "`" + std::string(cr.name()) + "` (" + rs_.where(cr.loc) + ")";
    };
    std::string names, facts;
    for (std::int32_t rl : e.rules) names += (names.empty() ? "" : ", ") + rule_text(rl);
    for (std::int32_t s : e.slots) facts += (facts.empty() ? "" : ", ") + ("`" + rs_.slot_name(s) + "`");
    e.message = "evaluation stopped at the limit of " + std::to_string(opt_.max_firings) + " repeated firings (" +
                std::to_string(r_.firings.size()) + " firings in all): ";
    if (!e.rules.empty()) {
      e.message += "the rules " + names + " keep firing" +
                   (facts.empty() ? std::string() : " and keep changing " + facts) +
                   "; make their conditions exclusive, or test that the conclusion is not already set";
    } else {
      // No rule fired twice lately: many different rules fired again. Name
      // those that fired most over the whole run (ties in source order).
      std::map<std::int32_t, int> all;
      for (const Firing& f : r_.firings) all[f.rule]++;
      std::vector<std::pair<std::int32_t, int>> most;
      for (auto [rule, c] : all)
        if (c >= 2) most.emplace_back(rule, c);
      std::stable_sort(most.begin(), most.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
      std::size_t again = most.size();
      if (most.size() > 5) most.resize(5);
      std::string top;
      for (auto [rule, c] : most) {
        e.rules.push_back(rule);
        top += (top.empty() ? "" : ", ") + rule_text(rule) + " " + std::to_string(c) + " times";
      }
      e.message += "the limit was reached by " + std::to_string(again) + " different rules firing again, most often " +
                   top + "; if the rules do not loop, raise the limit (`--max-firings`)";
    }
    r_.runaway = std::move(e);
  }
};

}  // namespace

namespace {

// A rule whose `set` lost a conflict leaves no advice behind (docs/engine.md,
// "Conflicts"): the recommendations, notes, warnings and citations of its
// losing firing are withdrawn, unless the same rule fired again later without
// losing (its texts then stand for that firing). A recommendation another
// rule also made stays.
void withdraw_losers(Result& r) {
  if (r.conflicts.empty()) return;
  std::vector<char> lost(r.firings.size(), 0);
  for (const Conflict& c : r.conflicts)
    if (c.rejected_firing >= 0) lost[static_cast<std::size_t>(c.rejected_firing)] = 1;
  // The rules whose last firing lost (by firing, not by rule: a rule set
  // may hold many more rules than fired).
  std::unordered_map<std::int32_t, std::int32_t> last;
  for (std::size_t i = 0; i < r.firings.size(); ++i) last[r.firings[i].rule] = static_cast<std::int32_t>(i);
  auto withdrawn = [&](std::int32_t firing) {
    if (firing < 0 || !lost[static_cast<std::size_t>(firing)]) return false;
    std::int32_t l = last.at(r.firings[static_cast<std::size_t>(firing)].rule);
    return lost[static_cast<std::size_t>(l)] != 0;
  };
  r.recommendations.erase(std::remove_if(r.recommendations.begin(), r.recommendations.end(),
                                         [&](const Recommendation& x) { return x.also_by.empty() && withdrawn(x.firing); }),
                          r.recommendations.end());
  r.messages.erase(std::remove_if(r.messages.begin(), r.messages.end(),
                                  [&](const Message& x) { return withdrawn(x.firing); }),
                   r.messages.end());
  r.citations.erase(std::remove_if(r.citations.begin(), r.citations.end(),
                                   [&](const Citation& x) { return withdrawn(x.firing); }),
                    r.citations.end());
}

// Each figure once, by its first citation that stands.
void dedupe_citations(Result& r) {
  std::vector<std::int32_t> seen;
  r.citations.erase(std::remove_if(r.citations.begin(), r.citations.end(),
                                   [&](const Citation& c) {
                                     if (std::find(seen.begin(), seen.end(), c.figure) != seen.end()) return true;
                                     seen.push_back(c.figure);
                                     return false;
                                   }),
                    r.citations.end());
}

}  // namespace

Result Engine::evaluate(const Profile& profile, const EngineOptions& options) const {
  Result r;
  r.rules = rules_;
  r.profile_source = profile.source;
  auto slots = static_cast<std::size_t>(rules_->slot_count());
  r.current.assign(slots, -1);
  r.facts.reserve(slots + 32);
  for (std::size_t i = 0; i < profile.values.size() && i < slots; ++i) {
    if (profile.values[i].is_missing()) continue;
    r.facts.push_back({static_cast<std::int32_t>(i), profile.values[i], {Evidence::Kind::Given, -1}});
    r.current[i] = static_cast<std::int32_t>(r.facts.size() - 1);
  }
  r.given = options.facts;
  r.kb_facts = kb_facts_;
  // This evaluation's scratch, from the pool (a new one when every other is in use).
  std::unique_ptr<EvalScratch> scratch;
  {
    std::lock_guard<std::mutex> lock(scratch_->mu);
    if (!scratch_->free.empty()) {
      scratch = std::move(scratch_->free.back());
      scratch_->free.pop_back();
    }
  }
  if (!scratch) scratch = std::make_unique<EvalScratch>(*rules_, *order_, *conjuncts_);
  {
    Run run(*this, patterns_.get(), *conjuncts_, *scratch, r, options);
    run.go();
  }
  {
    std::lock_guard<std::mutex> lock(scratch_->mu);
    scratch_->free.push_back(std::move(scratch));
  }
  withdraw_losers(r);
  dedupe_citations(r);
  return r;
}

}  // namespace advise
