// The JSON report: a stable schema for other programs, documented in
// docs/report.md ("The JSON report"). Keys always appear in the order written
// here; a key that does not apply holds null or an empty array rather than
// being left out, so that consumers never have to guess.
#include "engine/render_json.hpp"


#include "kb/parallel.hpp"
#include "engine/render.hpp"
#include "kb/sanitize.hpp"

namespace advise {

namespace {

using namespace render_detail;

// A rule's fields after its name: in each rule object (schema 1) and in the
// batch's rule table (schema 2), the same keys in the same order.
void write_rule_fields(JsonWriter& w, const RuleRef& r) {
  w.key("description");
  w.string(r.description());
  w.key("guide");
  w.string(r.source());
  w.key("file");
  w.string(r.file());
  w.key("line");
  w.integer(r.line);
  w.key("priority");
  w.integer(r.priority());
}

void rule_json(JsonWriter& w, const RuleRef& r, RuleStyle style) {
  if (style == RuleStyle::ByName) {
    // Schema 2: the rule's name; its object is in the batch's rule table.
    r.name().empty() ? w.null() : w.string(r.name());
    return;
  }
  w.begin_object();
  w.key("name");
  w.string(r.name());
  write_rule_fields(w, r);
  w.end_object();
}

void rules_json(JsonWriter& w, const std::vector<RuleRef>& rs, RuleStyle style) {
  w.begin_array();
  for (const RuleRef& r : rs) rule_json(w, r, style);
  w.end_array();
}

void truth_json(JsonWriter& w, Truth t) {
  switch (t) {
    case Truth::True: return w.boolean(true);
    case Truth::False: return w.boolean(false);
    case Truth::Unknown: return w.null();
  }
  w.null();
}

void tests_json(JsonWriter& w, const std::vector<TestRecord>& ts, const RuleSet& rules, bool why_not = false) {
  w.begin_array();
  for (const TestRecord& t : ts) {
    w.begin_object();
    w.key("test");
    w.string(one_line(t.text));
    w.key("file");
    w.string(t.file);
    w.key("line");
    w.integer(t.line);
    w.key("result");
    truth_json(w, t.result);
    w.key("facts");
    w.begin_array();
    for (const FactValue& f : t.facts) {
      w.begin_object();
      w.key("fact");
      w.string(f.name);
      w.key("kind");
      w.string(f.conclusion ? "conclusion" : f.of_template() ? "fact_field" : "field");
      w.key("value");
      write_value_json(w, f.value, *rules.kb);
      w.key("display");
      w.string(f.display);
      w.end_object();
    }
    w.end_array();
    w.key("constants");
    w.begin_array();
    for (const NamedConstant& c : t.constants) w.string(c.name + " = " + c.value);
    w.end_array();
    if (why_not) {
      w.key("required");
      t.required.empty() ? w.null() : w.string(t.required);
      w.key("changeable");
      w.boolean(t.changeable);
    }
    w.end_object();
  }
  w.end_array();
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
void matched_json(JsonWriter& w, const std::vector<MatchedFact>& ms) {
  if (ms.empty()) return;
  w.key("matched");
  w.begin_array();
  for (const MatchedFact& m : ms) {
    w.begin_object();
    w.key("name");
    w.string(m.var);
    w.key("template");
    w.string(m.tmpl);
    w.key("key");
    w.string(m.key);
    w.key("origin");
    w.string(m.origin);
    w.key("ended");
    w.boolean(m.ended);
    w.end_object();
  }
  w.end_array();
}

void derivation_json(JsonWriter& w, const Derivation& d, const RuleSet& rules, RuleStyle style);

void premises_json(JsonWriter& w, const std::vector<Derivation>& ps, const RuleSet& rules, RuleStyle style) {
  w.begin_array();
  for (const Derivation& p : ps) derivation_json(w, p, rules, style);
  w.end_array();
}

void derivation_json(JsonWriter& w, const Derivation& d, const RuleSet& rules, RuleStyle style) {
  w.begin_object();
  w.key("fact");
  w.string(d.name);
  w.key("kind");
  w.string(kind_name(d.kind));
  w.key("value");
  write_value_json(w, d.value, *rules.kb);
  w.key("display");
  w.string(d.display);
  w.key("path");
  d.kind == Derivation::Kind::Given ? w.string(d.json_path) : w.null();
  w.key("rule");
  d.kind == Derivation::Kind::Derived ? rule_json(w, d.rule, style) : w.null();
  w.key("also");
  rules_json(w, d.also, style);
  w.key("tests");
  tests_json(w, d.tests, rules);
  matched_json(w, d.matched);
  w.key("premises");
  premises_json(w, d.premises, rules, style);
  w.end_object();
}

void why_not_json(JsonWriter& w, const WhyNot& wn, const RuleSet& rules, RuleStyle style) {
  w.begin_object();
  w.key("query");
  w.string(wn.query);
  w.key("subject");
  w.string(wn.subject.marked());
  w.key("error");
  wn.error.empty() ? w.null() : w.string(wn.error);
  w.key("reached");
  w.boolean(wn.reached);
  w.key("actual");
  w.string(wn.actual.marked());
  w.key("candidates");
  w.begin_array();
  for (const WhyNotCandidate& c : wn.candidates) {
    w.begin_object();
    w.key("rule");
    rule_json(w, c.rule, style);
    w.key("fired");
    w.boolean(c.fired);
    w.key("note");
    w.string(c.note.marked());
    w.key("failed");
    tests_json(w, c.failed, rules, true);
    w.key("premises");
    premises_json(w, c.derived_facts, rules, style);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void messages_json(JsonWriter& w, const Report& rep, bool warnings, RuleStyle style) {
  w.begin_array();
  for (const MessageRef& m : rep.messages) {
    if (m.warning != warnings) continue;
    w.begin_object();
    w.key("text");
    w.string(m.text);
    w.key("guide");
    w.string(m.rule.source());
    w.key("rule");
    rule_json(w, m.rule, style);
    w.end_object();
  }
  w.end_array();
}

// The program list (`advise --catalog`): conclusions.program_list, one
// object per program, and conclusions.program_list_summary (the fictitious
// notice and the counts against the strategy's ranges).
void program_entry_json(JsonWriter& w, const ProgramEntry& e) {
    w.begin_object();
    w.key("program");
    w.string(e.program_id);
    w.key("name");
    w.string(e.name);
    w.key("institution");
    w.string(e.institution);
    w.key("specialty");
    w.string(e.specialty);
    w.key("track");
    w.string(e.track);
    w.key("tier");
    w.string(e.tier);
    w.key("signal");
    e.signal.empty() ? w.null() : w.string(e.signal);
    w.key("contingency");
    w.boolean(e.contingency);
    w.key("fictitious");
    w.boolean(e.fictitious);
    w.key("reasons");
    w.begin_array();
    for (const ProgramReason& r : e.reasons) {
      w.begin_object();
      w.key("rule");
      w.string(r.name);
      w.key("text");
      w.string(r.description);
      w.key("guide");
      w.string(r.source);
      w.key("values");
      w.string(r.values);
      w.end_object();
    }
    w.end_array();
    w.end_object();
}

// At least the bytes program_entry_json writes for `e` when indented (the
// keys, quotes and indentation of an entry and of each reason, and the
// texts; escapes aside): the list's JSON is reserved whole, so that its
// buffers do not grow by doubling, copying what they hold and touching
// fresh memory each time (4 MB for a 10,000-program catalog).
std::size_t entry_json_bytes(const ProgramEntry& e) {
  std::size_t n = 320 + e.program_id.size() + e.name.size() + e.institution.size() + e.specialty.size() +
                  e.track.size() + e.tier.size() + e.signal.size();
  for (const ProgramReason& r : e.reasons)
    n += 160 + r.name.size() + r.description.size() + r.source.size() + r.values.size();
  return n;
}

void program_list_json(JsonWriter& w, const ProgramList& list) {
  w.key("program_list");
  w.begin_array();
  const std::size_t n = list.entries.size();
  const std::size_t mid = n < kProgramListSplit ? n : n / 2;  // two halves at once, joined in order
  std::size_t first_bytes = 0, second_bytes = 0;
  for (std::size_t i = 0; i < n; ++i) (i < mid ? first_bytes : second_bytes) += entry_json_bytes(list.entries[i]);
  w.buffer().reserve(w.buffer().size() + first_bytes + second_bytes + 65536);  // the rest of the report too
  if (mid == n) {
    for (const ProgramEntry& e : list.entries) program_entry_json(w, e);
  } else {
    std::string second;
    second.reserve(second_bytes);
    JsonWriter fork = w.fork(second);
    run_both([&] { for (std::size_t i = 0; i < mid; ++i) program_entry_json(w, list.entries[i]); },
             [&] { for (std::size_t i = mid; i < n; ++i) program_entry_json(fork, list.entries[i]); });
    w.buffer() += second;
  }
  w.end_array();
  w.key("program_list_summary");
  w.begin_object();
  w.key("fictitious");
  w.boolean(list.fictitious);
  w.key("notice");
  list.fictitious ? w.string(kFictitiousNotice) : w.null();
  w.key("catalog_programs");
  w.integer(static_cast<unsigned long long>(list.catalog_programs));
  w.key("counts");
  w.begin_array();
  for (const ProgramCount& c : list.counts) {
    w.begin_object();
    w.key("specialty");
    w.string(c.specialty);
    for (auto [k, v] : {std::pair{"anchor", c.anchor}, {"target", c.target}, {"reach", c.reach},
                        {"long_shot", c.long_shot}, {"excluded", c.excluded}, {"eligible", c.eligible()},
                        {"signals", c.signals}}) {
      w.key(k);
      w.integer(static_cast<unsigned long long>(v));
    }
    w.key("applications");
    if (c.has_range) {
      w.begin_object();
      w.key("min");
      w.integer(static_cast<long long>(c.lo));
      w.key("max");
      w.integer(static_cast<long long>(c.hi));
      w.end_object();
    } else {
      w.null();
    }
    w.key("too_few");
    w.boolean(c.too_few);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace

void write_report_json(JsonWriter& w, const Report& rep, const RuleSet& rules, RuleStyle style) {
  const KnowledgeBase& kb = *rules.kb;
  w.key("schema_version");
  w.integer(style == RuleStyle::ByName ? kReportSchemaVersionRulesByName : kReportSchemaVersion);

  w.key("profile");
  w.begin_object();
  w.key("source");
  w.string(rep.profile_source);
  w.key("name");
  rep.applicant.empty() ? w.null() : w.string(rep.applicant);
  w.end_object();
  w.key("rules");
  if (rep.used) {
    w.begin_object();
    w.key("paths");
    w.begin_array();
    for (const std::string& p : rep.used->paths) w.string(p);
    w.end_array();
    w.key("kb");
    w.string(rep.used->kb);
    w.end_object();
  } else {
    w.null();
  }

  w.key("conclusions");
  w.begin_object();
  for (const ConclusionEntry& c : rep.conclusions) {
    w.key(c.name);
    write_value_json(w, c.value, kb);
  }
  if (rep.program_list) program_list_json(w, *rep.program_list);
  w.end_object();

  w.key("recommendations");
  w.begin_array();
  for (const RecommendationExplanation& r : rep.recommendations) {
    w.begin_object();
    w.key("id");
    w.string(r.id);
    w.key("category");
    w.string(r.category);
    w.key("text");
    w.string(r.text);
    w.key("guide");
    w.string(r.rule.source());
    w.key("rule");
    rule_json(w, r.rule, style);
    w.key("also");
    rules_json(w, r.also, style);
    w.end_object();
  }
  w.end_array();

  w.key("warnings");
  messages_json(w, rep, true, style);
  w.key("notes");
  messages_json(w, rep, false, style);

  w.key("figures");
  w.begin_array();
  for (const FigureRef& f : rep.figures) {
    w.begin_object();
    w.key("id");
    w.string(f.id);
    w.key("text");
    w.string(f.text);
    w.key("source");
    w.string(f.source);
    w.key("year");
    f.year ? w.integer(f.year) : w.null();
    w.key("secondary");
    w.boolean(f.secondary);
    w.key("cited_by");
    rule_json(w, f.cited_by, style);
    w.end_object();
  }
  w.end_array();

  w.key("conflicts");
  w.begin_array();
  for (const ConflictExplanation& c : rep.conflicts) {
    w.begin_object();
    w.key("conclusion");
    w.string(c.conclusion);
    w.key("error");
    w.boolean(c.error);
    w.key("kept");
    w.string(c.kept);
    w.key("rejected");
    w.string(c.rejected);
    w.key("kept_by");
    rule_json(w, c.kept_by, style);
    w.key("kept_tests");
    tests_json(w, c.kept_tests, rules);
    w.key("rejected_by");
    rule_json(w, c.rejected_by, style);
    w.key("rejected_tests");
    tests_json(w, c.rejected_tests, rules);
    w.end_object();
  }
  w.end_array();
  w.key("runaway");
  rep.runaway ? w.string(*rep.runaway) : w.null();
  w.key("firings");
  w.integer(static_cast<unsigned long long>(rep.firings));

  w.key("explanation");
  w.begin_object();
  w.key("how");
  if (rep.explained) {
    w.begin_object();
    w.key("conclusions");
    w.begin_object();
    for (const ConclusionEntry& c : rep.conclusions) {
      w.key(c.name);
      c.value.is_missing() ? w.null() : derivation_json(w, c.derivation, rules, style);
    }
    w.end_object();
    w.key("recommendations");
    w.begin_array();
    for (const RecommendationExplanation& r : rep.recommendations) {
      w.begin_object();
      w.key("id");
      w.string(r.id);
      w.key("rule");
      rule_json(w, r.rule, style);
      w.key("tests");
      tests_json(w, r.tests, rules);
      matched_json(w, r.matched);
      w.key("premises");
      premises_json(w, r.premises, rules, style);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  } else {
    w.null();
  }
  w.key("why_not");
  w.begin_array();
  for (const WhyNot& wn : rep.why_not) why_not_json(w, wn, rules, style);
  w.end_array();
  w.key("trace");
  if (rep.traced) {
    w.begin_array();
    for (const TraceEntry& t : rep.trace) {
      w.begin_object();
      w.key("index");
      w.integer(t.index);
      w.key("rule");
      rule_json(w, t.rule, style);
      w.key("changes");
      w.begin_array();
      for (const std::string& c : t.changes) w.string(c);
      w.end_array();
      matched_json(w, t.matched);
      w.key("outputs");
      w.begin_array();
      for (const std::string& o : t.outputs) w.string(one_line(o));
      w.end_array();
      w.end_object();
    }
    w.end_array();
  } else {
    w.null();
  }
  w.end_object();
}

void write_rule_table_json(JsonWriter& w, const RuleSet& rules) {
  w.begin_object();
  for (std::size_t i = 0; i < rules.rules.size(); ++i) {
    RuleRef r = rule_ref(rules, static_cast<std::int32_t>(i));
    w.key(r.name());
    w.begin_object();
    write_rule_fields(w, r);
    w.end_object();
  }
  w.end_object();
}

std::string render_json(const Report& rep, const RuleSet& rules, JsonLayout layout) {
  std::string out;
  out.reserve(16384);
  JsonWriter w(out, layout == JsonLayout::Compact ? JsonWriter::Style::Compact : JsonWriter::Style::Indented);
  w.begin_object();
  write_report_json(w, rep, rules);
  w.end_object();
  // Texts are valid UTF-8 (rule files and profiles are checked); the writer
  // replaces rather than throws should that ever not hold. It writes DEL, C1
  // and bidirectional controls as \u escapes too (kb/sanitize.hpp): the same
  // data, and a report `cat` to a terminal cannot drive it.
  if (layout == JsonLayout::Pretty) out += '\n';
  return out;
}

}  // namespace advise
