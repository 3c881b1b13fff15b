// The JSON report: a stable schema for other programs, documented in
// docs/report.md ("The JSON report"). Keys always appear in the order written
// here; a key that does not apply holds null or an empty array rather than
// being left out, so that consumers never have to guess.
#include "engine/render_json.hpp"

#include <cmath>

#include "engine/render.hpp"
#include "kb/sanitize.hpp"

namespace advise {

namespace {

using json = nlohmann::ordered_json;
using namespace render_detail;

json rule_json(const RuleRef& r) {
  json j = json::object();
  j["name"] = r.name;
  j["description"] = r.description;
  j["guide"] = r.source;
  j["file"] = r.file;
  j["line"] = r.line;
  j["priority"] = r.priority;
  return j;
}

json rules_json(const std::vector<RuleRef>& rs) {
  json a = json::array();
  for (const RuleRef& r : rs) a.push_back(rule_json(r));
  return a;
}

json truth_json(Truth t) {
  switch (t) {
    case Truth::True: return true;
    case Truth::False: return false;
    case Truth::Unknown: return nullptr;
  }
  return nullptr;
}

json tests_json(const std::vector<TestRecord>& ts, const RuleSet& rules, bool why_not = false) {
  json a = json::array();
  for (const TestRecord& t : ts) {
    json j = json::object();
    j["test"] = one_line(t.text);
    j["file"] = t.file;
    j["line"] = t.line;
    j["result"] = truth_json(t.result);
    json facts = json::array();
    for (const FactValue& f : t.facts) {
      json fj = json::object();
      fj["fact"] = f.name;
      fj["kind"] = f.conclusion ? "conclusion" : f.slot < 0 ? "fact_field" : "field";
      fj["value"] = value_json(f.value, *rules.kb);
      fj["display"] = f.display;
      facts.push_back(std::move(fj));
    }
    j["facts"] = std::move(facts);
    json consts = json::array();
    for (const NamedConstant& c : t.constants) consts.push_back(c.name + " = " + c.value);
    j["constants"] = std::move(consts);
    if (why_not) {
      j["required"] = t.required.empty() ? json(nullptr) : json(t.required);
      j["changeable"] = t.changeable;
    }
    a.push_back(std::move(j));
  }
  return a;
}

const char* kind_name(Derivation::Kind k) {
  switch (k) {
    case Derivation::Kind::Given: return "given";
    case Derivation::Kind::Derived: return "derived";
    case Derivation::Kind::Missing: return "missing";
  }
  return "missing";
}

// The facts a rule over facts matched; only rules over facts have the key.
void matched_json(json& j, const std::vector<MatchedFact>& ms) {
  if (ms.empty()) return;
  json a = json::array();
  for (const MatchedFact& m : ms) {
    json mj = json::object();
    mj["name"] = m.var;
    mj["template"] = m.tmpl;
    mj["key"] = m.key;
    mj["origin"] = m.origin;
    mj["ended"] = m.ended;
    a.push_back(std::move(mj));
  }
  j["matched"] = std::move(a);
}

json derivation_json(const Derivation& d, const RuleSet& rules) {
  json j = json::object();
  j["fact"] = d.name;
  j["kind"] = kind_name(d.kind);
  j["value"] = value_json(d.value, *rules.kb);
  j["display"] = d.display;
  j["path"] = d.kind == Derivation::Kind::Given ? json(d.json_path) : json(nullptr);
  j["rule"] = d.kind == Derivation::Kind::Derived ? rule_json(d.rule) : json(nullptr);
  j["also"] = rules_json(d.also);
  j["tests"] = tests_json(d.tests, rules);
  matched_json(j, d.matched);
  json ps = json::array();
  for (const Derivation& p : d.premises) ps.push_back(derivation_json(p, rules));
  j["premises"] = std::move(ps);
  return j;
}

json premises_json(const std::vector<Derivation>& ps, const RuleSet& rules) {
  json a = json::array();
  for (const Derivation& p : ps) a.push_back(derivation_json(p, rules));
  return a;
}

json why_not_json(const WhyNot& w, const RuleSet& rules) {
  json j = json::object();
  j["query"] = w.query;
  j["subject"] = w.subject.marked();
  j["error"] = w.error.empty() ? json(nullptr) : json(w.error);
  j["reached"] = w.reached;
  j["actual"] = w.actual.marked();
  json cs = json::array();
  for (const WhyNotCandidate& c : w.candidates) {
    json cj = json::object();
    cj["rule"] = rule_json(c.rule);
    cj["fired"] = c.fired;
    cj["note"] = c.note.marked();
    cj["failed"] = tests_json(c.failed, rules, true);
    cj["premises"] = premises_json(c.derived_facts, rules);
    cs.push_back(std::move(cj));
  }
  j["candidates"] = std::move(cs);
  return j;
}

}  // namespace

std::string render_json(const Report& rep, const RuleSet& rules, JsonLayout layout) {
  const KnowledgeBase& kb = *rules.kb;
  json root = json::object();
  root["schema_version"] = kReportSchemaVersion;

  json profile = json::object();
  profile["source"] = rep.profile_source;
  profile["name"] = rep.applicant.empty() ? json(nullptr) : json(rep.applicant);
  root["profile"] = std::move(profile);
  if (rep.used) {
    json used = json::object();
    used["paths"] = rep.used->paths;
    used["kb"] = rep.used->kb;
    root["rules"] = std::move(used);
  } else {
    root["rules"] = nullptr;
  }

  json conclusions = json::object();
  for (const ConclusionEntry& c : rep.conclusions) conclusions[c.name] = value_json(c.value, kb);
  root["conclusions"] = std::move(conclusions);

  json recs = json::array();
  for (const RecommendationExplanation& r : rep.recommendations) {
    json j = json::object();
    j["id"] = r.id;
    j["category"] = r.category;
    j["text"] = r.text;
    j["guide"] = r.rule.source;
    j["rule"] = rule_json(r.rule);
    j["also"] = rules_json(r.also);
    recs.push_back(std::move(j));
  }
  root["recommendations"] = std::move(recs);

  json warnings = json::array(), notes = json::array();
  for (const MessageRef& m : rep.messages) {
    json j = json::object();
    j["text"] = m.text;
    j["guide"] = m.rule.source;
    j["rule"] = rule_json(m.rule);
    (m.warning ? warnings : notes).push_back(std::move(j));
  }
  root["warnings"] = std::move(warnings);
  root["notes"] = std::move(notes);

  json figures = json::array();
  for (const FigureRef& f : rep.figures) {
    json j = json::object();
    j["id"] = f.id;
    j["text"] = f.text;
    j["source"] = f.source;
    j["year"] = f.year ? json(f.year) : json(nullptr);
    j["secondary"] = f.secondary;
    j["cited_by"] = rule_json(f.cited_by);
    figures.push_back(std::move(j));
  }
  root["figures"] = std::move(figures);

  json conflicts = json::array();
  for (const ConflictExplanation& c : rep.conflicts) {
    json j = json::object();
    j["conclusion"] = c.conclusion;
    j["error"] = c.error;
    j["kept"] = c.kept;
    j["rejected"] = c.rejected;
    j["kept_by"] = rule_json(c.kept_by);
    j["kept_tests"] = tests_json(c.kept_tests, rules);
    j["rejected_by"] = rule_json(c.rejected_by);
    j["rejected_tests"] = tests_json(c.rejected_tests, rules);
    conflicts.push_back(std::move(j));
  }
  root["conflicts"] = std::move(conflicts);
  root["runaway"] = rep.runaway ? json(*rep.runaway) : json(nullptr);
  root["firings"] = rep.firings;

  json explanation = json::object();
  if (rep.explained) {
    json how = json::object();
    json hc = json::object();
    for (const ConclusionEntry& c : rep.conclusions)
      hc[c.name] = c.value.is_missing() ? json(nullptr) : derivation_json(c.derivation, rules);
    how["conclusions"] = std::move(hc);
    json hr = json::array();
    for (const RecommendationExplanation& r : rep.recommendations) {
      json j = json::object();
      j["id"] = r.id;
      j["rule"] = rule_json(r.rule);
      j["tests"] = tests_json(r.tests, rules);
      matched_json(j, r.matched);
      j["premises"] = premises_json(r.premises, rules);
      hr.push_back(std::move(j));
    }
    how["recommendations"] = std::move(hr);
    explanation["how"] = std::move(how);
  } else {
    explanation["how"] = nullptr;
  }
  json why = json::array();
  for (const WhyNot& w : rep.why_not) why.push_back(why_not_json(w, rules));
  explanation["why_not"] = std::move(why);
  if (rep.traced) {
    json trace = json::array();
    for (const TraceEntry& t : rep.trace) {
      json j = json::object();
      j["index"] = t.index;
      j["rule"] = rule_json(t.rule);
      j["changes"] = t.changes;
      matched_json(j, t.matched);
      json outs = json::array();
      for (const std::string& o : t.outputs) outs.push_back(one_line(o));
      j["outputs"] = std::move(outs);
      trace.push_back(std::move(j));
    }
    explanation["trace"] = std::move(trace);
  } else {
    explanation["trace"] = nullptr;
  }
  root["explanation"] = std::move(explanation);
  // Texts are valid UTF-8 (rule files and profiles are checked); replace
  // rather than throw should that ever not hold.
  // DEL, C1 and bidirectional controls as \u escapes too (kb/sanitize.hpp):
  // the same data, and a report `cat` to a terminal cannot drive it.
  if (layout == JsonLayout::Compact) return json_terminal_safe(root.dump(-1, ' ', false, json::error_handler_t::replace));
  return json_terminal_safe(root.dump(2, ' ', false, json::error_handler_t::replace)) + "\n";
}

}  // namespace advise
