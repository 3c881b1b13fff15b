// The explanation model: one structure built from an evaluation Result, which
// every renderer (text, JSON, Markdown, DOT) draws from, so that all formats
// say the same thing.
//
//  - How: for a conclusion or recommendation, the derivation down to profile
//    fields: each rule with file:line, its guide section, and the tests of its
//    condition with the values that satisfied them (as they were when it fired).
//  - Why not: for a value that was not reached, every rule that could have
//    produced it and, for each, the first test that failed with the actual
//    value (or the missing fact), recursing into derived facts.
//  - Trace: the firing order with what each firing changed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"
#include "engine/program_list.hpp"

namespace advise {

const char* truth_name(Truth t);  // Truth is declared in engine.hpp

// Who a part of the report is for: the applicant (their advice and why), or
// the rule authors (conflicts between rules, a runaway stop). Views for one
// audience or the other draw on this.
enum class Audience : std::uint8_t { Applicant, Author };

// One typed part of a sentence. Renderers choose how each kind looks (plain
// in the terminal, a code span in Markdown...); no sentence carries markup.
struct Span {
  enum class Kind : std::uint8_t {
    Text,   // words
    Code,   // a name from the rules or the knowledge base: a conclusion, a recommendation id
    Value,  // a value as applicants read it: "dual", "80–100"
    Rule,   // a rule, by name, with where it is
  };
  Kind kind = Kind::Text;
  std::string text;
  std::string file;  // Rule
  int line = 0;      // Rule
};

// A sentence of the report as typed parts.
struct Sentence {
  std::vector<Span> spans;
  Audience audience = Audience::Applicant;

  bool empty() const { return spans.empty(); }
  Sentence& text(std::string t);
  Sentence& code(std::string name);
  Sentence& value(std::string shown);
  Sentence& rule(std::string name, std::string file, int line);
  // The sentence with names (Code, Rule) in backticks, as diagnostics and the
  // JSON report write it: "`strategy` is dual".
  std::string marked() const;
  // Without any marks: "strategy is dual".
  std::string plain() const;
};
inline bool operator==(const Sentence& s, const std::string& marked) { return s.marked() == marked; }

// A fact a test read: which fact (FactId, engine/agenda.hpp: a profile field
// or conclusion is a record of the built-in template, one per slot; a field of
// a fact of a template is that record and `field`), its name as the rules
// know it and its value then. Renderers tell the kinds apart by these, never
// by looking the fact up in the rule set.
struct FactValue {
  FactId fact;            // record -1: an aggregate's value, no fact
  std::int32_t field = -1;  // a record of a template: the field read
  std::string name;
  Value value;  // Missing when not known
  // The value as applicants read it: "(not given)" for a missing profile
  // field, "(not reached)" for a missing conclusion.
  std::string display;
  bool conclusion = false;  // a conclusion (derived), not a profile field
  std::string json_path;    // profile fields: where the profile gives it ("$.step2ck")
  // The slot, for a profile field or a conclusion; -1 otherwise.
  std::int32_t slot() const { return fact.is_slot() ? fact.record : -1; }
  // A field of a fact of a template (or an aggregate's value), not of the applicant.
  bool of_template() const { return !fact.is_slot() || fact.record < 0; }
};

// A fact of a template that a rule over facts matched: "program p", its key
// ("program_id 0800390001, track advanced") and where it came from (a facts
// file's line and row, or the firing that created it).
struct MatchedFact {
  FactId fact;         // the record
  std::string var;     // the bound name
  std::string tmpl;    // its template
  std::string key;
  std::string origin;  // "examples/catalog/programs.csv:14:1 (row 14)", "created by rule `x`"
  bool ended = false;  // removed or changed since
};

// A named constant a test mentions, with its value: `extremely_strong_step2`
// and "260" (a list reads "{a, b}").
struct NamedConstant {
  std::string name;
  std::string value;
};

// One test of a condition (a comparison, membership, presence...).
struct TestRecord {
  std::string text;  // as the rule author wrote it: "step2ck < 250"
  std::string where; // file:line, for messages; renderers use file and line
  std::string file;
  int line = 0;
  Truth result = Truth::Unknown;
  std::vector<FactValue> facts;  // the facts the test read, with their values
  std::vector<NamedConstant> constants;  // named constants in `text`, each once
  // Why not: what the test asks of a number, in words ("at least 260"; empty
  // when it is not a comparison with a bound), and whether the applicant can
  // change what it reads (every profile field it reads is actionable for
  // this profile: KnowledgeBase::actionable_now, as `what-if` decides).
  std::string required;
  bool changeable = false;
};

// A rule as the report names it: its index and line, with its name,
// description, guide section and file read from the rule set, not copied (a
// report of half a million messages held five strings for each). Valid while
// the rule set lives: a Report keeps its own (Report::rules), and so does a
// WhatIf answer. A default RuleRef names no rule: its texts are empty.
class RuleRef {
 public:
  RuleRef() = default;
  RuleRef(const RuleSet& rules, std::int32_t rule);
  std::int32_t rule = -1;
  int line = 0;
  // The rule's texts, read in place (a rule set holds them in one block,
  // RuleTexts): valid while the rule set lives, as the RuleRef is.
  std::string_view name() const;
  std::string_view description() const;
  std::string_view source() const;  // guide section
  const std::string& file() const;
  // "file:line", for messages; renderers use file and line.
  std::string where() const;
  int priority() const;

 private:
  const RuleSet* rules_ = nullptr;
};

// What a group of tests read, as a report shows it under them: the profile
// fields given and not given (JSON paths, each once, first read first), and
// the conclusions they read whose derivations were not followed (the depth
// limit), each once.
struct Reads {
  std::vector<std::string> given, not_given;
  std::vector<std::string> not_followed;
};

// How a fact came to have its value.
struct Derivation {
  FactId fact;  // the built-in template's record (a profile field or a conclusion)
  bool conclusion = false;
  std::string name;
  Value value;
  std::string display;
  enum class Kind : std::uint8_t { Given, Derived, Missing } kind = Kind::Missing;
  std::string json_path;        // Given
  std::int32_t firing = -1;     // Derived: the firing that last set it
  RuleRef rule;                 // Derived
  std::vector<RuleRef> also;    // Derived lists: other rules that added items
  std::vector<TestRecord> tests;       // the tests that held when the rule fired
  std::vector<MatchedFact> matched;    // rules over facts: the facts it matched
  std::vector<Derivation> premises;    // derived facts those tests read (recursively)
  Reads reads;                         // of `tests`
  std::int32_t slot() const { return fact.is_slot() ? fact.record : -1; }
};

struct RecommendationExplanation {
  std::string id;
  std::string category;
  std::string text;
  RuleRef rule;
  std::vector<RuleRef> also;
  std::vector<TestRecord> tests;
  std::vector<MatchedFact> matched;  // rules over facts: the facts it matched
  std::vector<Derivation> premises;
  Reads reads;  // of `tests`
};

struct WhyNotCandidate {
  RuleRef rule;
  bool fired = false;  // fired, but its value did not stand (see note)
  Sentence note;       // when it fired: "it fired, but `x` (priority 10, file:line) set dual instead"
  std::vector<TestRecord> failed;          // every failing test, in evaluation order
  std::vector<Derivation> derived_facts;   // how the derived facts in those tests got their values
  Reads reads;                             // of `failed`
};

struct WhyNot {
  std::string query;      // as asked: "strategy=single", "dual_application"
  Sentence subject;       // what it is: conclusion value, recommendation, rule (empty with an error)
  bool reached = false;   // it was reached after all
  Sentence actual;        // what was reached instead ("`strategy` is dual")
  // The query names nothing Advise knows (with a suggestion): a diagnostic,
  // also printed on stderr, with code in backticks as diagnostics write it.
  std::string error;
  std::vector<WhyNotCandidate> candidates;  // empty: no rule can produce it
};

struct TraceEntry {
  std::int32_t index = 0;  // 1-based firing number
  RuleRef rule;
  std::vector<std::string> changes;  // "strategy: (not set) -> dual"
  std::vector<std::string> outputs;  // "recommend dual_application", "note ...", "cite ..."
  std::vector<MatchedFact> matched;  // rules over facts: the facts it matched
};

struct ConflictExplanation {
  std::string conclusion;  // "strategy" or "applications[dermatology]"
  std::string kept, rejected;
  RuleRef kept_by, rejected_by;
  std::vector<TestRecord> kept_tests, rejected_tests;
  bool error = false;
  // What happened and what to do, for the rule authors: "`strategy`: rule
  // `a` set dual and rule `b` set single; dual stood (priority 10 over 0)."
  Sentence summary;
};

struct FigureRef {
  std::string id, text, source;
  int year = 0;
  bool secondary = false;
  RuleRef cited_by;
  bool repeated = false;  // cited again (by another firing): lists show each figure once
};

struct MessageRef {
  bool warning = false;
  std::string text;
  RuleRef rule;
};

struct ConclusionEntry {
  std::string name;
  std::string description;
  Value value;          // Missing when no rule reached it
  std::string display;
  Derivation derivation;  // filled when explaining
  int rules_setting = 0;  // how many rules can set it
  Sentence not_reached;   // when missing, why in brief: "no rule decides it"
  // For a conclusion with a value applicants hope for (kb/schema.json
  // "hoped_for") that it does not have: what would change it, from the
  // what-if search (engine/whatif.hpp add_what_would_change); empty when not
  // searched or nothing certain was found.
  Sentence what_would_change;
};

// One piece of advice as the applicant reads it (the applicant's view):
// display names instead of ids, and a short "why" in words instead of rules.
struct PlainItem {
  enum class Kind : std::uint8_t { Recommendation, Note, Warning } kind = Kind::Recommendation;
  std::size_t index = 0;  // into Report::recommendations (Recommendation) or Report::messages
  std::string category;   // category id: the recommendation's, or its rule's for a note
  std::string text;       // with display names
  // `text` with the profile field names it mentions ("add target_specialty to
  // your profile") as Code spans: names the applicant types, not ids to hide.
  Sentence words;
  // "because your Step 2 CK is 252 (at least 250)"; empty when nothing the
  // applicant gave bears on it.
  Sentence why;
  // Each test of its rule's condition in words, with the applicant's values
  // (what a folded "why" opens to).
  std::vector<Sentence> derivation;
  std::string source;  // guide section
};

// A decision as the applicant reads it: "Strategy" and "dual application: ...".
struct PlainDecision {
  std::string name;  // the conclusion's id (for programs reading HTML)
  std::string label;
  std::string value;
  std::vector<Sentence> derivation;  // the tests of the rule that set it, in words
  // What would change it to the value applicants hope for, in words (labels,
  // not ids); from the what-if search (add_what_would_change), or empty.
  Sentence what_would_change;
};

// What the applicant reads, decided here so that renderers only choose
// (docs/report.md, "Two views"): the decisions reached, the advice that fits
// the applicant's stage (rules may declare the stages they speak to), and the
// three to five actions that matter now.
struct ApplicantView {
  std::string stage;  // the applicant's stage, by its display name (empty: not given)
  std::vector<PlainDecision> decisions;  // conclusions reached, in schema order
  std::vector<PlainItem> items;          // in category order, then firing order; stage-fitting only
  std::vector<std::size_t> actions;      // indices into `items`: what to do now (3 to 5 when there are)
  std::size_t left_out = 0;              // items left out as not for the applicant's stage
  std::vector<std::pair<std::string, std::string>> categories;  // id, display name; those `items` use
};

struct CategoryRef {
  std::string id;     // "long_term"
  std::string title;  // "Long term"
};

// Which rules and knowledge base a report is of (the caller's paths, as
// given or relative to the current directory).
struct RulesUsed {
  std::vector<std::string> paths;
  std::string kb;
};

struct Report {
  // The rule set the report was built from (Result::rules): its RuleRefs read
  // the rules' names and places from it, so a report keeps it alive.
  std::shared_ptr<const RuleSet> rules;
  std::string profile_source;
  std::string applicant;  // the `name` field
  std::optional<RulesUsed> used;  // set by the caller; shown in the header and the JSON's `rules`
  std::vector<ConclusionEntry> conclusions;        // every conclusion of the schema, in schema order
  std::vector<RecommendationExplanation> recommendations;  // in firing order
  // The categories the recommendations use, in the order of the `category`
  // enum, then any it does not name (first seen first).
  std::vector<CategoryRef> categories;
  std::vector<MessageRef> messages;
  std::vector<FigureRef> figures;
  std::vector<ConflictExplanation> conflicts;
  std::optional<std::string> runaway;
  // With a runaway stop, what it means for the advice (for the applicant).
  Sentence runaway_consequence;
  std::vector<WhyNot> why_not;
  std::vector<TraceEntry> trace;
  bool explained = false;  // derivations filled
  bool traced = false;     // the trace was asked for (it may be empty: no rule fired)
  std::size_t firings = 0;
  // The applicant's view (ReportOptions::applicant); the rest of the report
  // is the advisor's, who reads everything.
  std::optional<ApplicantView> applicant_view;
  // The report answers `why_not` and nothing else: text, Markdown and HTML
  // show only the answers (JSON and DOT still hold everything).
  bool answer_only = false;
  // The applicant's program list (engine/program_list.hpp): only when the
  // evaluation read a catalog (`advise --catalog`).
  std::optional<ProgramList> program_list;
};

struct ReportOptions {
  bool explain = false;
  bool trace = false;
  std::vector<std::string> why_not;
  int max_depth = 6;  // derivation depth limit
  bool applicant = false;  // fill Report::applicant_view
  bool answer_only = false;  // Report::answer_only (`advise --why-not`)
};

Report build_report(const Result& result, const ReportOptions& options);

// What `--why-not` and `advise what-if` ask about: a conclusion value
// (`strategy=single`), a conclusion (`research_year`: any value), a
// recommendation id or a rule's name.
struct Goal {
  // Program: `program=ID` (the program is on the list, not excluded) or
  // `program=ID:TIER` (that tier or better: anchor, target, reach,
  // long_shot); only with a catalog, and only `advise what-if` searches it
  // (`--why-not program=ID` answers from the list, engine/program_list.hpp).
  enum class Kind : std::uint8_t { Conclusion, Recommendation, Rule, Program };
  Kind kind = Kind::Conclusion;
  // `NAME!=VALUE`: the conclusion must not hold VALUE (a list or map without
  // it, a scalar with another value or none): "remove a red flag". Only
  // `advise what-if` searches for it; `--why-not` answers with how instead.
  bool negated = false;
  std::string query;       // as asked
  std::int32_t slot = -1;  // Conclusion
  Value want;              // Conclusion: the value (an item or map key for lists and maps); Missing: any value
  std::int32_t rule = -1;  // Rule
  std::string id;          // Recommendation; Program: the program id
  std::string tier;        // Program: the tier wanted or better
  Sentence subject;        // "`strategy` = single", "recommendation `x`", "rule `r`"
};
// Nothing when the query names nothing Advise knows: `error` says why, with a
// suggestion (diagnostic wording, code in backticks).
std::optional<Goal> parse_goal(const RuleSet& rules, const std::string& query, std::string& error);
bool goal_reached(const Result& result, const Goal& goal);
// The rules whose actions could reach the goal (a conclusion value: every
// rule that sets or adds it, or computes a value that might be it).
std::vector<std::int32_t> goal_rules(const RuleSet& rules, const Goal& goal);

// Explanation pieces, usable on their own (tests, `advise test`).
Derivation explain_fact(const Result& result, std::int32_t slot, int max_depth = 6);
// The derivation of one fact version (an index into result.facts).
Derivation explain_version(const Result& result, std::int32_t version, int max_depth = 6);
WhyNot explain_why_not(const Result& result, const std::string& query, int max_depth = 3);
// Why not, for a fact of a template: `program=0800390001` (its key field) or
// `rotation[specialty=dermatology, letter=true]`. For each rule with a
// `for each` over the template: whether it fired for that fact, else every
// test over the applicant and that fact alone that fails, or else the
// partner that no fact supplies, or the fact that blocks its `there is no`.
// nullopt when the query names no template (explain_why_not handles it).
std::optional<WhyNot> explain_why_not_fact(const Result& result, const std::string& query);
RuleRef rule_ref(const RuleSet& rules, std::int32_t rule);
// Named constants the text of a test mentions (not inside strings or
// comments, not after a dot, not enum values), each once, first seen first.
std::vector<NamedConstant> constants_in(const std::string& test_text, const RuleSet& rules);
// The tests of a rule's condition evaluated over `view`: the decisive ones
// when it holds (all of an `and`, the true branches of an `or`), or the first
// failing ones when it does not.
std::vector<TestRecord> condition_tests(const RuleSet& rules, const CExpr& condition, const ValueView& view,
                                        bool holds);
// The tests that held when a firing fired, with the values then: its
// condition's, or for a rule over facts, its guards and patterns' tests over
// the facts it matched (each field read shown as `p.field` with its value).
// TestDetail::Values: only each test's result and the values it read, by
// name (no text, place or constants; FactValue::display and json_path left
// empty), for callers that show the values alone.
enum class TestDetail : std::uint8_t { Full, Values };
std::vector<TestRecord> firing_tests(const Result& result, const Firing& firing,
                                     TestDetail detail = TestDetail::Full);
// The facts a firing of a rule over facts matched, in pattern order.
std::vector<MatchedFact> matched_facts(const Result& result, const Firing& firing);

}  // namespace advise
