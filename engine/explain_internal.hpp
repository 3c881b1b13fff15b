// Internal to engine/explain*.cpp: what building a report, its why-not
// answers and its applicant's view share (the tests a condition read, the
// derivation of a fact, the parts of a why-not query). Not a public API.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/explain.hpp"
#include "engine/working_memory.hpp"

namespace advise::explain_detail {

std::string file_of(const RuleSet& rules, const ast::Loc& loc);
int line_of(const RuleSet& rules, const ast::Loc& loc);
bool is_enum_value(const KnowledgeBase& kb, const std::string& name);

Truth truth_of(const Value& v);
// Fields of bound facts and aggregates a test reads, each once, as written.
void collect_fact_reads(const CExpr& e, std::vector<const CExpr*>& out);
FactValue fact_value(const RuleSet& rules, std::int32_t slot, const Value& v);
Reads reads_of(const std::vector<TestRecord>& ts, const std::vector<Derivation>& premises);
// `values_only`: the values read, without the test's text, place and
// constants (firing_tests' TestDetail::Values).
void record(const RuleSet& rules, const CExpr& e, const ValueView& view, Truth t, std::vector<TestRecord>& out,
            bool values_only = false);
// The tests of a condition, as records: `holds` the tests that held, else the
// first that failed (`all`: every test of an `and` that failed; why not).
void walk(const RuleSet& rules, const CExpr& e, const ValueView& view, bool holds, std::vector<TestRecord>& out,
          bool all = false, bool values_only = false);

// A conclusion a logical rule over facts set and lost when its match went:
// the firing that set it and the firing that ended the match (set_by -1: the
// slot's value was not withdrawn).
struct Withdrawal {
  std::int32_t set_by = -1, ended_by = -1;
  explicit operator bool() const { return set_by >= 0; }
};
Withdrawal withdrawal(const Result& result, std::int32_t slot);

// The values when a firing of a rule over facts fired: slots as then, bound
// facts' fields from the records it matched, aggregates as computed.
class FiringView final : public ValueView {
 public:
  FiringView(const Result& r, const Firing& f) : r_(r), f_(f), snap_(r, f) {}
  const Value& get(std::int32_t slot) const override { return snap_.get(slot); }
  Value fact_field(std::int32_t level, std::int32_t field) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= f_.matched.size()) return {};
    std::int32_t rec = f_.matched[static_cast<std::size_t>(level)];
    if (rec < 0) return {};
    return r_.records[static_cast<std::size_t>(rec)].values[static_cast<std::size_t>(field)];
  }
  Value aggregate(std::int32_t level) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= f_.aggregates.size()) return {};
    return f_.aggregates[static_cast<std::size_t>(level)];
  }
  FactId fact_at(std::int32_t level) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= f_.matched.size()) return FactId::slot(-1);
    std::int32_t rec = f_.matched[static_cast<std::size_t>(level)];
    if (rec < 0) return FactId::slot(-1);
    return FactId::of_record(r_.records[static_cast<std::size_t>(rec)].tmpl, rec);
  }

 private:
  const Result& r_;
  const Firing& f_;
  SnapshotView snap_;
};

struct Explainer {
  const Result& r;
  const RuleSet& rules;
  int max_depth;
  WorkingMemory wm{r};  // provenance: versions, their firings, the state at a firing

  Derivation missing(std::int32_t slot) const {
    Derivation d;
    d.fact = FactId::slot(slot);
    d.conclusion = rules.is_conclusion(slot);
    d.name = rules.slot_name(slot);
    d.kind = Derivation::Kind::Missing;
    d.display = rules.is_conclusion(slot) ? "(not reached)" : "(not given)";
    return d;
  }

  Derivation version(std::int32_t v, int depth, std::set<std::int32_t>& path) const {
    const Fact& f = r.facts[static_cast<std::size_t>(v)];
    if (f.evidence.kind == Evidence::Kind::Withdrawn)  // the value it had again, explained as it was made
      return f.evidence.restored < 0 ? missing(f.slot) : version(f.evidence.restored, depth, path);
    Derivation d;
    d.fact = FactId::slot(f.slot);
    d.conclusion = rules.is_conclusion(f.slot);
    d.name = rules.slot_name(f.slot);
    d.value = f.value;
    d.display = rules.kb->display(f.value);
    if (f.evidence.kind == Evidence::Kind::Given) {
      d.kind = Derivation::Kind::Given;
      d.json_path = "$." + d.name;
      return d;
    }
    d.kind = Derivation::Kind::Derived;
    d.firing = f.evidence.firing;
    const Firing& fr = r.firings[static_cast<std::size_t>(d.firing)];
    d.rule = rule_ref(rules, fr.rule);
    // Earlier versions of the same list or map, added to by other rules.
    for (std::int32_t pv : wm.earlier_versions(v)) {
      const Fact& pf = r.facts[static_cast<std::size_t>(pv)];
      if (pf.evidence.kind != Evidence::Kind::Derived) continue;
      std::int32_t rl = r.firings[static_cast<std::size_t>(pf.evidence.firing)].rule;
      if (rl == fr.rule) continue;
      if (std::none_of(d.also.begin(), d.also.end(), [&](const RuleRef& x) { return x.rule == rl; }))
        d.also.push_back(rule_ref(rules, rl));
    }
    d.tests = firing_tests(r, fr);
    d.matched = matched_facts(r, fr);
    if (depth <= 1 || !path.insert(v).second) {
      d.reads = reads_of(d.tests, d.premises);
      return d;
    }
    std::vector<std::int32_t> seen;
    for (const TestRecord& t : d.tests)
      for (const FactValue& fv : t.facts) {
        if (!rules.is_conclusion(fv.slot()) || std::count(seen.begin(), seen.end(), fv.slot())) continue;
        seen.push_back(fv.slot());
        std::int32_t pv = wm.version_at(fv.slot(), d.firing);
        d.premises.push_back(pv < 0 ? missing(fv.slot()) : version(pv, depth - 1, path));
      }
    path.erase(v);
    d.reads = reads_of(d.tests, d.premises);
    return d;
  }

  Derivation slot(std::int32_t s, int depth) const {
    std::int32_t v = wm.current_version(s);
    if (v < 0) return missing(s);
    std::set<std::int32_t> path;
    return version(v, depth, path);
  }

  // `firing`: the state when it fired; nullptr: the final state.
  std::vector<Derivation> premises_of(const std::vector<TestRecord>& tests, const Firing* firing,
                                      int depth) const {
    std::vector<Derivation> out;
    std::vector<std::int32_t> seen;
    for (const TestRecord& t : tests)
      for (const FactValue& fv : t.facts) {
        if (!rules.is_conclusion(fv.slot()) || std::count(seen.begin(), seen.end(), fv.slot())) continue;
        seen.push_back(fv.slot());
        std::int32_t pv = firing ? r.version_at(fv.slot(), *firing) : wm.current_version(fv.slot());
        std::set<std::int32_t> path;
        out.push_back(pv < 0 ? missing(fv.slot()) : version(pv, depth, path));
      }
    return out;
  }
};

// Why-not queries (explain_why_not.cpp).
std::optional<Value> parse_query_value(const KnowledgeBase& kb, TypeId t, const std::string& text, std::string& error);
bool could_produce(const CAction& a, std::int32_t slot, const Value& want, bool& certainly);
bool reached(const Value& have, const Value& want);

// Records of templates in words.
std::string record_key(const RuleSet& rules, const Record& rec);
std::string record_origin(const Result& result, const Record& rec, bool with_firing);
std::string record_text(const RuleSet& rules, const Record& rec);

// The applicant's view of a report (explain_applicant.cpp), and what a test
// of a number asks of it in words ("at least 260").
std::string bound_words(const TestRecord& t, const FactValue& f, const RuleSet& rules);
ApplicantView applicant_view(const Result& result, const Report& rep);

}  // namespace advise::explain_detail
