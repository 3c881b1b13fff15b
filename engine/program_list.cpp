#include "engine/program_list.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <optional>
#include <tuple>
#include <unordered_map>

#include "engine/explain.hpp"
#include "engine/explain_internal.hpp"
#include "kb/parallel.hpp"
#include "kb/suggest.hpp"

namespace advise {

namespace {

const std::vector<std::string> kTiers{"anchor", "target", "reach", "long_shot", "excluded"};

std::size_t tier_rank(const std::string& t) {
  auto it = std::find(kTiers.begin(), kTiers.end(), t);
  return static_cast<std::size_t>(it - kTiers.begin());
}

// A record's fields by index (TemplateDef::field_index, found once per
// template; -1: the template has no such field, the value is missing).
struct Fields {
  const Record* rec = nullptr;
  const KnowledgeBase* kb = nullptr;
  const Value& get(int i) const {
    static const Value missing;
    return i < 0 || static_cast<std::size_t>(i) >= rec->values.size() ? missing
                                                                       : rec->values[static_cast<std::size_t>(i)];
  }
  std::string text(int f) const {
    const Value& v = get(f);
    return v.is_missing() ? "" : kb->display(v);
  }
  bool flag(int f) const {
    const Value& v = get(f);
    return v.kind == Value::Kind::Bool && v.flag;
  }
};

// The listing's fields the list reads.
struct ListingFields {
  int program_id, track, specialty, tier, signal, contingency;
  explicit ListingFields(const TemplateDef& t)
      : program_id(t.field_index("program_id")),
        track(t.field_index("track")),
        specialty(t.field_index("specialty")),
        tier(t.field_index("tier")),
        signal(t.field_index("signal")),
        contingency(t.field_index("contingency")) {}
};
// The program's.
struct ProgramFields {
  int program_id, track, name, institution, city, state, fictitious;
  explicit ProgramFields(const TemplateDef& t)
      : program_id(t.field_index("program_id")),
        track(t.field_index("track")),
        name(t.field_index("name")),
        institution(t.field_index("institution")),
        city(t.field_index("city")),
        state(t.field_index("state")),
        fictitious(t.field_index("fictitious")) {}
};

// The values a firing read, as the report shows them beside its rule: the
// program's fields (without the bound name) and the applicant's, each once;
// the listing's own fields and the join keys are left out. How a name is
// shown depends on the name alone: `Labels` decides it once per name.
struct Label {
  bool skip = false;
  bool count = false;  // an aggregate: its value as displayed
  std::string key, label;
};
class Labels {
 public:
  Labels(const KnowledgeBase& kb, const TemplateDef& program) : kb_(kb), program_(program) {}
  const Label& of(const std::string& name) {
    auto [it, fresh] = cache_.try_emplace(name);
    if (fresh) it->second = make(name);
    return it->second;
  }

 private:
  Label make(const std::string& name) const {
    Label l;
    if (name.find(' ') != std::string::npos) {
      l.key = l.label = "count";  // an aggregate (the program-list rules use none)
      l.count = true;
    } else if (auto dot = name.find('.'); dot != std::string::npos) {
      std::string var = name.substr(0, dot), field = name.substr(dot + 1);
      // The listing's own fields and the join keys say nothing new.
      l.skip = var == "l" || var == "m" || var == "s" || var == "g" || var == "k" || field == "program_id" ||
               field == "track" || field == "institution" || field == "specialty";
      if (var == "a") {
        l.skip = l.skip || (field != "gold" && field != "silver");
        l.key = l.label = field + " signals left";  // the allowance, less the signals given so far
      } else {
        l.key = field;
        int i = program_.field_index(field);
        l.label = "program's " + (i < 0 ? field : program_.fields[static_cast<std::size_t>(i)].display);
      }
    } else {
      l.key = name;
      std::string sl = kb_.slot_label(name);
      l.label = "your " + (sl.empty() ? name : sl);
    }
    return l;
  }
  const KnowledgeBase& kb_;
  const TemplateDef& program_;
  std::unordered_map<std::string, Label> cache_;
};

// The ids of the programs a firing matched: a map the applicant gave
// (program_connections) is shown only at those keys. `id_field`: template ->
// its `program_id` field, -1 when it has none. Found when a map is shown
// (most reasons show none).
class MatchedIds {
 public:
  MatchedIds(const Result& result, const Firing& firing, const std::vector<int>& id_field)
      : result_(result), firing_(firing), id_field_(id_field) {}
  const std::vector<const std::string*>& get() {
    if (found_) return ids_;
    found_ = true;
    for (std::int32_t m : firing_.matched) {
      if (m < 0) continue;
      const Record& rec = result_.records[static_cast<std::size_t>(m)];
      if (rec.tmpl < 0) continue;
      int f = id_field_[static_cast<std::size_t>(rec.tmpl)];
      if (f >= 0 && static_cast<std::size_t>(f) < rec.values.size()) {
        const Value& id = rec.values[static_cast<std::size_t>(f)];
        if (id.kind == Value::Kind::Text) ids_.push_back(id.text.get());
      }
    }
    return ids_;
  }

 private:
  const Result& result_;
  const Firing& firing_;
  const std::vector<int>& id_field_;
  bool found_ = false;
  std::vector<const std::string*> ids_;
};

// How one value a firing read is shown: its label and text, appended to `out`.
void show_value(const KnowledgeBase& kb, const Label& l, const Value& value, MatchedIds& ids, std::string& out) {
  if (!out.empty()) out += ", ";
  out += l.label;
  out += ' ';
  if (value.is_missing()) {
    out += l.count ? "(unknown)" : "unknown";
    return;
  }
  if (l.count) {
    out += kb.display(value);
    return;
  }
  switch (value.kind) {
    case Value::Kind::Symbol: {  // its label, or its id with spaces for underscores
      std::size_t from = out.size();
      out += kb.enums.at(static_cast<std::size_t>(value.enum_id)).label(static_cast<std::size_t>(value.sym));
      std::replace(out.begin() + static_cast<std::ptrdiff_t>(from), out.end(), '_', ' ');
      return;
    }
    case Value::Kind::Text: out += *value.text; return;
    case Value::Kind::Map: {
      ValueList kept;
      const ValueList& items = value.list_items();
      for (std::size_t i = 0; i + 1 < items.size(); i += 2)
        for (const std::string* id : ids.get())
          if (items[i].kind == Value::Kind::Text && *id == *items[i].text) {
            kept.push_back(items[i]);
            kept.push_back(items[i + 1]);
            break;
          }
      out += kb.label(kept.empty() ? value : Value::map(std::move(kept)));
      return;
    }
    default: out += kb.label(value); return;
  }
}

// The general path: the firing's tests walked (values only), then each
// value's label decided by name, each key once.
std::string firing_values(const Result& result, const Firing& firing, Labels& labels,
                          const std::vector<int>& id_field) {
  const KnowledgeBase& kb = *result.rules->kb;
  MatchedIds ids(result, firing, id_field);
  std::vector<const std::string*> seen;
  std::string out;
  for (const TestRecord& t : firing_tests(result, firing, TestDetail::Values)) {
    for (const FactValue& fv : t.facts) {
      const Label& l = labels.of(fv.name);
      if (l.skip) continue;
      if (std::any_of(seen.begin(), seen.end(), [&](const std::string* k) { return *k == l.key; })) continue;
      seen.push_back(&l.key);
      show_value(kb, l, fv.value, ids, out);
    }
  }
  return out;
}

// What firing_values reads for a rule, worked out once per rule when the
// tests it walks do not depend on the values (no `or` among its guards): the
// values to show, each key once, in the walk's order, and where each is.
struct Read {
  enum class From : std::uint8_t { Slot, Field, Aggregate } from = From::Slot;
  std::int32_t level = -1, slot = -1;
  const Label* label = nullptr;
};
struct Plan {
  bool fixed = false;  // false: firing_values' general path
  std::vector<Read> reads;
};

bool fixed_walk(const CExpr& e) {
  // walk() with `holds`: both sides of an `and`, the sides of an `or` that hold.
  if (e.op == Op::And) return e.kids.size() == 2 && fixed_walk(e.kids[0]) && fixed_walk(e.kids[1]);
  return e.op != Op::Or;
}

class Planner {
 public:
  Planner(const RuleSet& rules, Labels& labels) : rules_(rules), labels_(labels), plans_(rules.rules.size()) {}

  const Plan& of(std::int32_t rule) {
    auto& p = plans_[static_cast<std::size_t>(rule)];
    if (!p) p = make(rules_.rules[static_cast<std::size_t>(rule)]);
    return *p;
  }

 private:
  Plan make(const CRule& cr) {
    Plan plan;
    if (cr.patterns().empty()) return plan;
    for (const CExpr& g : cr.guards())
      if (!fixed_walk(g)) return plan;
    plan.fixed = true;
    std::vector<const std::string*> seen;
    auto add = [&](const std::string& name, Read r) {
      const Label& l = labels_.of(name);
      if (l.skip) return;
      if (std::any_of(seen.begin(), seen.end(), [&](const std::string* k) { return *k == l.key; })) return;
      seen.push_back(&l.key);
      r.label = &l;
      plan.reads.push_back(r);
    };
    // explain_detail::record's order: the slots a test reads, then its fields and aggregates.
    auto test = [&](const CExpr& e) {
      std::vector<std::int32_t> slots;
      collect_slots(e, slots);
      for (std::int32_t s : slots) add(rules_.slot_name(s), {Read::From::Slot, -1, s, nullptr});
      std::vector<const CExpr*> reads;
      explain_detail::collect_fact_reads(e, reads);
      for (const CExpr* x : reads)
        add(std::string(rules_.text_of(x->loc)),
            {x->op == Op::FactField ? Read::From::Field : Read::From::Aggregate, x->level, x->slot, nullptr});
    };
    std::function<void(const CExpr&)> guard = [&](const CExpr& e) {
      if (e.op == Op::And) {
        guard(e.kids[0]);
        guard(e.kids[1]);
      } else {
        test(e);
      }
    };
    for (const CExpr& g : cr.guards()) guard(g);
    for (const CPattern& p : cr.patterns()) {
      if (p.kind == CPattern::Kind::ForEach)
        for (const CExpr& t : p.tests) test(t);
      else if (p.kind == CPattern::Kind::Aggregate)
        for (const CExpr& t : p.agg_tests) test(t);
    }
    return plan;
  }

  const RuleSet& rules_;
  Labels& labels_;
  std::vector<std::optional<Plan>> plans_;
};

// The values a firing read, as the reasons show them (see Labels).
std::string reason_values(const Result& result, const Firing& firing, Labels& labels, Planner& planner,
                          const std::vector<int>& id_field) {
  const Plan& plan = planner.of(firing.rule);
  if (!plan.fixed) return firing_values(result, firing, labels, id_field);
  const KnowledgeBase& kb = *result.rules->kb;
  MatchedIds ids(result, firing, id_field);
  SnapshotView snapshot(result, firing);
  static const Value missing;
  std::string out;
  out.reserve(plan.reads.size() * 48);  // a label and a short value each
  for (const Read& r : plan.reads) {
    const Value* v = &missing;
    auto level = static_cast<std::size_t>(r.level);
    switch (r.from) {
      case Read::From::Slot: v = &snapshot.get(r.slot); break;
      case Read::From::Field:
        if (r.level >= 0 && level < firing.matched.size() && firing.matched[level] >= 0)
          v = &result.records[static_cast<std::size_t>(firing.matched[level])].values[static_cast<std::size_t>(r.slot)];
        break;
      case Read::From::Aggregate:
        if (r.level >= 0 && level < firing.aggregates.size()) v = &firing.aggregates[level];
        break;
    }
    show_value(kb, *r.label, *v, ids, out);
  }
  return out;
}

}  // namespace

std::string tier_label(const std::string& tier) { return tier == "long_shot" ? "long shot" : tier; }

std::size_t program_tier_rank(const std::string& tier) { return tier_rank(tier); }

std::optional<std::string> program_tier(const Result& result, const std::string& program_id) {
  if (!result.rules) return std::nullopt;
  const RuleSet& rules = *result.rules;
  int listing_t = -1;
  for (std::size_t i = 0; i < rules.templates.size(); ++i)
    if (rules.templates[i].name == "listing") listing_t = static_cast<int>(i);
  if (listing_t < 0) return std::nullopt;
  const ListingFields lf(rules.templates[static_cast<std::size_t>(listing_t)]);
  std::optional<std::string> best;
  for (const Record& r : result.records) {
    if (r.tmpl != listing_t || r.ended_by >= 0) continue;
    Fields f{&r, rules.kb.get()};
    if (f.text(lf.program_id) != program_id) continue;
    std::string tier = rules.kb->source_text(f.get(lf.tier));
    if (!best || tier_rank(tier) < tier_rank(*best)) best = tier;
  }
  return best;
}

std::optional<ProgramList> build_program_list(const Result& result, std::size_t split_from) {
  if (!result.rules) return std::nullopt;
  const RuleSet& rules = *result.rules;
  const KnowledgeBase& kb = *rules.kb;
  int listing_t = -1, program_t = -1;
  for (std::size_t i = 0; i < rules.templates.size(); ++i) {
    if (rules.templates[i].name == "listing") listing_t = static_cast<int>(i);
    if (rules.templates[i].name == "program") program_t = static_cast<int>(i);
  }
  if (listing_t < 0 || program_t < 0) return std::nullopt;
  const TemplateDef& lt = rules.templates[static_cast<std::size_t>(listing_t)];
  const TemplateDef& pt = rules.templates[static_cast<std::size_t>(program_t)];

  ProgramList list;
  std::vector<int> id_field;
  for (const TemplateDef& t : rules.templates) id_field.push_back(t.field_index("program_id"));
  const ListingFields lf(lt);
  const ProgramFields pf(pt);
  // (id, track) -> the first record with them. The keys view the records'
  // id texts and the kb's enum values (another kind's text is kept in `owned`).
  using IdTrack = std::pair<std::string_view, std::string_view>;
  struct KeyHash {
    std::size_t operator()(const IdTrack& k) const {
      std::hash<std::string_view> h;
      return h(k.first) * 31 + h(k.second);
    }
  };
  std::unordered_map<IdTrack, const Record*, KeyHash> programs;
  std::deque<std::string> owned;
  // The live listings' records, in record order.
  std::vector<std::size_t> listing_at;
  for (std::size_t ri = 0; ri < result.records.size(); ++ri) {
    const Record& r = result.records[ri];
    if (r.tmpl == listing_t && r.ended_by < 0) listing_at.push_back(ri);
    if (r.tmpl != program_t) continue;
    ++list.catalog_programs;
    Fields f{&r, &kb};
    if (f.flag(pf.fictitious)) list.fictitious = true;
    const Value& id = f.get(pf.program_id);
    const Value& track = f.get(pf.track);
    std::string_view id_text = id.is_missing()               ? std::string_view()
                               : id.kind == Value::Kind::Text ? std::string_view(*id.text)
                                                              : owned.emplace_back(kb.display(id));
    std::string_view track_text =
        track.is_missing()                ? std::string_view()
        : track.kind == Value::Kind::Symbol ? std::string_view(kb.enums.at(static_cast<std::size_t>(track.enum_id))
                                                                   .values.at(static_cast<std::size_t>(track.sym)))
                                            : owned.emplace_back(kb.source_text(track));
    programs.emplace(IdTrack(id_text, track_text), &r);
  }
  if (list.catalog_programs == 0) return std::nullopt;
  // Each listing's entry and reasons depend on nothing but the result: a
  // long list is made in two halves at once (one per core of the machines
  // Advise runs on; docs/benchmarks.md, "The program list"), each with its
  // own label and plan caches, and joined in record order, so the entries
  // are the same as one pass would make.
  // The entries of live listings `from` to `to` (indices into listing_at).
  auto make_entries = [&](std::size_t from, std::size_t to, std::vector<ProgramEntry>& out) {
    Labels labels(kb, pt);
    Planner planner(rules, labels);
    std::vector<std::int32_t> chain, visited;
    for (std::size_t li = from; li < to; ++li) {
      const std::size_t ri = listing_at[li];
      const Record& r = result.records[ri];
      Fields f{&r, &kb};
      ProgramEntry e;
      e.program_id = f.text(lf.program_id);
      e.track = kb.source_text(f.get(lf.track));
      e.specialty = kb.source_text(f.get(lf.specialty));
      e.specialty_name = kb.label(f.get(lf.specialty));
      e.tier = kb.source_text(f.get(lf.tier));
      e.signal = f.get(lf.signal).is_missing() ? "" : kb.source_text(f.get(lf.signal));
      e.contingency = f.flag(lf.contingency);
      if (auto it = programs.find(IdTrack(e.program_id, e.track)); it != programs.end()) {
        Fields p{it->second, &kb};
        e.name = p.text(pf.name);
        e.institution = p.text(pf.institution);
        e.city = p.text(pf.city);
        e.state = p.get(pf.state).is_missing() ? "" : kb.source_text(p.get(pf.state));
        e.fictitious = p.flag(pf.fictitious);
        const Record& pr = *it->second;
        if (pr.input >= 0 && result.given && static_cast<std::size_t>(pr.input) < result.given->size())
          e.origin = (*result.given)[static_cast<std::size_t>(pr.input)].origin.text();
      }
      // The chain of firings that made this version: each `change` ended the
      // listing it matched; the first link is the `create`.
      chain.clear();
      visited.clear();  // a chain is a few links
      std::int32_t at = static_cast<std::int32_t>(ri);
      while (at >= 0 && std::find(visited.begin(), visited.end(), at) == visited.end()) {
        visited.push_back(at);
        const Record& cur = result.records[static_cast<std::size_t>(at)];
        if (cur.created_by < 0) break;
        chain.push_back(cur.created_by);
        const Firing& by = result.firings[static_cast<std::size_t>(cur.created_by)];
        std::int32_t prev = -1;
        for (std::int32_t m : by.matched)
          if (m >= 0 && result.records[static_cast<std::size_t>(m)].tmpl == listing_t &&
              result.records[static_cast<std::size_t>(m)].ended_by == cur.created_by)
            prev = m;
        at = prev;
      }
      std::reverse(chain.begin(), chain.end());
      e.reasons.reserve(chain.size());
      for (std::int32_t fi : chain) {
        const Firing& firing = result.firings[static_cast<std::size_t>(fi)];
        const CRule& rule = rules.rules[static_cast<std::size_t>(firing.rule)];
        e.reasons.push_back({firing.rule, std::string(rule.name()), std::string(rule.description()), std::string(rule.source()),
                             reason_values(result, firing, labels, planner, id_field)});
      }
      out.push_back(std::move(e));
    }
  };
  const std::size_t listed = listing_at.size();
  if (listed < split_from || listed < 2) {
    list.entries.reserve(listed);
    make_entries(0, listed, list.entries);
  } else {
    // Half the listings each.
    const std::size_t mid = listed / 2;
    std::vector<ProgramEntry> second;
    list.entries.reserve(listed);
    run_both([&] { make_entries(0, mid, list.entries); }, [&] { make_entries(mid, listed, second); });
    for (ProgramEntry& e : second) list.entries.push_back(std::move(e));
  }

  // Order: the target specialty, then the backups in the strategy's order,
  // then the rest by id; within one, by tier, then name, then id.
  std::vector<std::string> order;
  std::int32_t target_slot = rules.field_slot("target_specialty");
  if (target_slot >= 0 && !result.value(target_slot).is_missing())
    order.push_back(kb.source_text(result.value(target_slot)));
  const Value& backups = result.conclusion("backup_specialties");
  if (backups.kind == Value::Kind::List)
    for (const Value& b : backups.list_items()) order.push_back(kb.source_text(b));
  auto spec_rank = [&](const std::string& s) {
    auto it = std::find(order.begin(), order.end(), s);
    return static_cast<std::size_t>(it - order.begin());
  };
  // Each entry's key made once, and indices sorted (an entry holds a dozen
  // strings and its reasons: moving entries costs more than comparing keys).
  using Key = std::tuple<std::size_t, const std::string*, std::size_t, int, const std::string*, const std::string*,
                         const std::string*>;
  std::vector<Key> keys;
  keys.reserve(list.entries.size());
  for (const ProgramEntry& e : list.entries)
    keys.emplace_back(spec_rank(e.specialty), &e.specialty, tier_rank(e.tier), e.signal.empty() ? 2 : e.signal == "gold" ? 0 : 1,
                      &e.name, &e.program_id, &e.track);
  auto less = [](const Key& a, const Key& b) {
    if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) < std::get<0>(b);
    if (int c = std::get<1>(a)->compare(*std::get<1>(b)); c != 0) return c < 0;
    if (std::get<2>(a) != std::get<2>(b)) return std::get<2>(a) < std::get<2>(b);
    if (std::get<3>(a) != std::get<3>(b)) return std::get<3>(a) < std::get<3>(b);
    if (int c = std::get<4>(a)->compare(*std::get<4>(b)); c != 0) return c < 0;
    if (int c = std::get<5>(a)->compare(*std::get<5>(b)); c != 0) return c < 0;
    return *std::get<6>(a) < *std::get<6>(b);
  };
  std::vector<std::size_t> by(list.entries.size());
  for (std::size_t i = 0; i < by.size(); ++i) by[i] = i;
  std::stable_sort(by.begin(), by.end(), [&](std::size_t a, std::size_t b) { return less(keys[a], keys[b]); });
  std::vector<ProgramEntry> sorted;
  sorted.reserve(by.size());
  for (std::size_t i : by) sorted.push_back(std::move(list.entries[i]));
  list.entries = std::move(sorted);

  const Value& apps = result.conclusion("applications");
  for (const ProgramEntry& e : list.entries) {
    if (list.counts.empty() || list.counts.back().specialty != e.specialty) {
      ProgramCount c;
      c.specialty = e.specialty;
      c.specialty_name = e.specialty_name;
      list.counts.push_back(c);
    }
    ProgramCount& c = list.counts.back();
    switch (tier_rank(e.tier)) {
      case 0: ++c.anchor; break;
      case 1: ++c.target; break;
      case 2: ++c.reach; break;
      case 3: ++c.long_shot; break;
      default: ++c.excluded; break;
    }
    if (!e.signal.empty()) ++c.signals;
  }
  for (ProgramCount& c : list.counts) {
    if (apps.kind != Value::Kind::Map) continue;
    int spec = kb.enum_index("specialty");
    if (spec < 0) continue;
    int sym = kb.enums[static_cast<std::size_t>(spec)].find(c.specialty);
    if (sym < 0) continue;
    const Value& r = apps.map_get(Value::symbol(spec, sym));
    if (r.kind != Value::Kind::Range) continue;
    c.has_range = true;
    c.lo = r.num;
    c.hi = r.hi;
    c.too_few = static_cast<double>(c.eligible()) < c.lo;
    c.too_many = static_cast<double>(c.eligible()) > c.hi;
  }
  return list;
}

std::optional<WhyNot> explain_why_not_program(const Result& result, const std::string& query) {
  const std::string prefix = "program=";
  if (query.rfind(prefix, 0) != 0) return std::nullopt;
  std::string id = query.substr(prefix.size());
  auto list = build_program_list(result);
  if (!list) return std::nullopt;
  WhyNot w;
  w.query = query;
  const ProgramEntry* entry = nullptr;
  for (const ProgramEntry& e : list->entries)
    if (e.program_id == id && (!entry || (entry->tier == "excluded" && e.tier != "excluded"))) entry = &e;
  if (!entry) {
    const RuleSet& rules = *result.rules;
    std::vector<std::string> ids;
    for (const Record& r : result.records) {
      if (r.tmpl < 0 || rules.templates[static_cast<std::size_t>(r.tmpl)].name != "program") continue;
      int f = rules.templates[static_cast<std::size_t>(r.tmpl)].field_index("program_id");
      if (f >= 0 && static_cast<std::size_t>(f) < r.values.size() && r.values[static_cast<std::size_t>(f)].text)
        ids.push_back(*r.values[static_cast<std::size_t>(f)].text);
    }
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) return std::nullopt;  // outside the strategy
    w.error = "no program `" + id + "` in the catalog";
    if (auto best = did_you_mean(id, ids)) w.error += "; did you mean `" + *best + "`?";
    return w;
  }
  const ProgramEntry& e = *entry;
  w.subject.text("program ").code(e.program_id).text(" (" + e.name + ") on your list");
  auto candidate = [&](const ProgramReason& r, const std::string& what) {
    WhyNotCandidate c;
    c.rule = rule_ref(*result.rules, r.rule);
    c.fired = true;
    c.note.text(what + (r.values.empty() ? "" : ": " + r.values));
    return c;
  };
  if (e.tier == "excluded") {
    w.reached = false;
    const ProgramReason* filter = nullptr;
    for (const ProgramReason& r : e.reasons)
      if (r.name.rfind("pl_filter_", 0) == 0) filter = &r;
    w.actual.text("it is excluded: " + (filter ? filter->description : std::string("a hard filter")));
    if (filter) w.candidates.push_back(candidate(*filter, "it excluded the program"));
    return w;
  }
  w.reached = true;
  w.actual.text("it is on your list: " + tier_label(e.tier) + (e.signal.empty() ? "" : ", " + signal_label(e.signal)) +
                (e.contingency ? ", part of the contingency plan" : ""));
  for (const ProgramReason& r : e.reasons) w.candidates.push_back(candidate(r, r.description));
  return w;
}

std::string signal_label(const std::string& signal) { return signal.empty() ? "" : signal + " signal"; }

std::string count_sentence(const ProgramCount& c) {
  auto n = [](std::size_t k, const char* one, const char* many) {
    return std::to_string(k) + " " + (k == 1 ? one : many);
  };
  std::string parts;
  auto add = [&](std::size_t k, const char* one, const char* many) {
    if (k == 0) return;
    parts += (parts.empty() ? "" : ", ") + n(k, one, many);
  };
  add(c.anchor, "anchor", "anchors");
  add(c.target, "target", "targets");
  add(c.reach, "reach", "reaches");
  add(c.long_shot, "long shot", "long shots");
  std::string s = std::to_string(c.eligible()) + " eligible" + (parts.empty() ? "" : " (" + parts + ")");
  if (c.excluded > 0) s += ", " + std::to_string(c.excluded) + " excluded";
  s += ", " + n(c.signals, "signal", "signals");
  if (c.has_range) {
    s += "; the strategy calls for " + std::to_string(static_cast<long long>(c.lo)) + "\u2013" +
         std::to_string(static_cast<long long>(c.hi));
    if (c.too_few)
      s += ": too few eligible programs in the catalog, so the list holds every eligible one and is not padded";
    else if (c.too_many)
      s += ": more eligible programs than that, so choose the anchors and targets first";
  }
  return s;
}

namespace {
std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}
}  // namespace

std::string program_list_csv(const ProgramList& list) {
  std::string out;
  if (list.fictitious)
    // No comma in the comment, so a spreadsheet shows it as one cell.
    out += "# FICTITIOUS PROGRAMS - this list is drawn from a catalog of invented programs: not real programs and not "
           "advice\n";
  out += "program_id,program,institution,city,state,specialty,track,tier,signal,contingency,reasons\n";
  for (const ProgramEntry& e : list.entries) {
    std::string reasons;
    for (const ProgramReason& r : e.reasons) {
      if (!reasons.empty()) reasons += " ; ";
      reasons += r.description + (r.values.empty() ? "" : " (" + r.values + ")") + " [" + r.source + ", " + r.name + "]";
    }
    out += csv_cell(e.program_id) + "," + csv_cell(e.name) + "," + csv_cell(e.institution) + "," + csv_cell(e.city) +
           "," + csv_cell(e.state) + "," + csv_cell(e.specialty) + "," + csv_cell(e.track) + "," +
           csv_cell(tier_label(e.tier)) + "," + csv_cell(e.signal) + "," + (e.contingency ? "yes" : "") + "," +
           csv_cell(reasons) + "\n";
  }
  return out;
}

}  // namespace advise
