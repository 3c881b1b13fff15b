// The derivation graph in Graphviz DOT (`dot -Tsvg report.dot > report.svg`).
//
// Nodes: profile fields (ellipses; dashed when not given), conclusions (filled
// boxes; dashed when not reached), rules (rounded boxes with their guide
// section and file:line), recommendations (notes) and --why-not questions
// (dashed octagons). Edges: fact -> rule, labelled with the tests that read
// the fact; rule -> the fact it set or the recommendation it made; rules that
// could have answered a --why-not question -> the question (red, dashed,
// labelled with the test that failed); a rejected value in a conflict (red,
// dotted). Node ids are names ("field:step2ck", "rule:dual_below_band",
// "conclusion:strategy", a second value of one fact "conclusion:x#2"), so
// the same report always gives the same graph, byte for byte.
//
// Rules over facts: with the trace (Report::traced), each firing's matched
// facts (folders: template, key and origin; dashed once removed or changed)
// with an edge to the rule labelled with the bound name. At most
// kDotFactsPerRule distinct facts per rule, first matched first; the rest
// are counted in one "+K more facts" node per rule.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "engine/render.hpp"
#include "kb/sanitize.hpp"

namespace advise {

namespace {

using namespace render_detail;

std::string quote(const std::string& text) {
  std::string out = "\"";
  for (char c : terminal_safe(text, Layout::Lines)) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c == '\t' ? ' ' : c;
  }
  return out + "\"";
}

std::string mark(Truth t) {
  switch (t) {
    case Truth::True: return "\u2713 ";
    case Truth::False: return "\u2717 ";
    case Truth::Unknown: return "? ";
  }
  return "";
}

constexpr std::size_t kDotFactsPerRule = 4;

class DotWriter {
 public:
  DotWriter(const Report& rep, const RuleSet& rules) : rep_(rep), rules_(rules) {}

  std::string render() {
    // Conclusions not reached are drawn only where a rule read them.
    for (const ConclusionEntry& c : rep_.conclusions) {
      if (c.value.is_missing()) continue;
      if (rep_.explained)
        derivation(c.derivation);
      else
        fact_node(c.name, true, c.display);
    }
    for (const RecommendationExplanation& r : rep_.recommendations) {
      std::string rec = node("recommend:" + r.id, 3,
                             "shape=note, label=" + quote("recommend " + r.id + "\n(" + r.category + ")"));
      std::string rl = rule_node(r.rule);
      edge(rl, rec, "", "");
      for (const RuleRef& a : r.also) edge(rule_node(a), rec, "", "style=dashed");
      reads(r.tests, r.premises, rl, "");
    }
    for (const ConflictExplanation& c : rep_.conflicts) {
      std::string target = node("conflict:" + c.conclusion, 1,
                                "shape=box, style=\"filled,bold\", color=red, fillcolor=\"#fde8e8\", label=" +
                                    quote(c.conclusion + " = " + c.kept + "\n(conflict" +
                                          (c.error ? ", equal priorities" : "") + ")"));
      std::string kept = rule_node(c.kept_by), rejected = rule_node(c.rejected_by);
      edge(kept, target, "kept: " + c.kept, "color=darkgreen");
      edge(rejected, target, "rejected: " + c.rejected, "style=dotted, color=red");
      reads(c.kept_tests, {}, kept, "");
      reads(c.rejected_tests, {}, rejected, "");
    }
    if (rep_.program_list) program_list(*rep_.program_list);
    for (const TraceEntry& t : rep_.trace)
      if (!t.matched.empty()) matched(rule_node(t.rule), t.matched);
    for (const auto& [rule, more] : more_facts_) {
      if (more.empty()) continue;
      std::string id = node("more_facts:" + rule.substr(5), 6,
                            "shape=plaintext, label=" + quote("+" + std::to_string(more.size()) +
                                                              (more.size() == 1 ? " more fact" : " more facts") +
                                                              " matched\n(--trace lists every firing)"));
      edge(id, rule, "", "style=dotted");
    }
    for (const WhyNot& w : rep_.why_not) {
      std::string label = "why not " + (w.subject.empty() ? w.query : w.subject.plain()) + "?\n";
      label += !w.error.empty() ? w.error : w.candidates.empty() ? "no rule can produce it" : w.actual.plain();
      label.erase(std::remove(label.begin(), label.end(), '`'), label.end());
      std::string q = node("why_not:" + w.query, 4, "shape=octagon, style=dashed, label=" + quote(label));
      for (const WhyNotCandidate& c : w.candidates) {
        std::string rl = rule_node(c.rule);
        edge(rl, q, c.fired ? c.note.marked() : "did not apply", "style=dashed, color=red");
        reads(c.failed, c.derived_facts, rl, "color=red");
      }
    }
    std::ostringstream out;
    out << "// The derivation graph of an Advise report. Render: dot -Tsvg FILE.dot > FILE.svg\n";
    out << "digraph advise {\n";
    std::string title = "Advise: " + (rep_.applicant.empty() ? rep_.profile_source : rep_.applicant);
    out << "  graph [rankdir=LR, labelloc=t, fontname=\"Helvetica\", label=" << quote(title) << "];\n";
    out << "  node [fontname=\"Helvetica\", fontsize=10];\n";
    out << "  edge [fontname=\"Helvetica\", fontsize=9];\n";
    const char* groups[] = {"profile fields", "conclusions", "rules", "recommendations", "why-not questions",
                            "your program list", "facts matched by rules over facts"};
    for (int g = 0; g < 7; ++g) {
      bool any = false;
      for (const Node& n : nodes_) {
        if (n.group != g) continue;
        if (!any) out << "\n  // " << groups[g] << "\n";
        any = true;
        out << "  " << quote(n.id) << " [" << n.attrs << "];\n";
      }
    }
    if (!edges_.empty()) out << "\n  // edges: facts read -> rule -> facts set\n";
    for (const Edge& e : edges_) {
      out << "  " << quote(e.from) << " -> " << quote(e.to);
      std::string attrs = e.attrs;
      if (!e.labels.empty()) {
        std::string l;
        for (const std::string& x : e.labels) l += (l.empty() ? "" : "\n") + x;
        attrs = "label=" + quote(l) + (attrs.empty() ? "" : ", " + attrs);
      }
      if (!attrs.empty()) out << " [" << attrs << "]";
      out << ";\n";
    }
    out << "}\n";
    return out.str();
  }

  // The program list: a node per program (its tier and signal), an edge
  // from every rule that placed or moved it; a notice node when fictitious.
  void program_list(const ProgramList& pl) {
    if (pl.fictitious) node("program_list:notice", 5, "shape=box, style=bold, color=red, label=" + quote(kFictitiousNotice));
    for (const ProgramEntry& e : pl.entries) {
      std::string label = e.name + "\n" + e.program_id + " " + e.track + "\n" + tier_label(e.tier) +
                          (e.signal.empty() ? "" : ", " + signal_label(e.signal)) +
                          (e.contingency ? ", contingency plan" : "");
      std::string id = node("program:" + e.program_id + ":" + e.track, 5,
                            std::string("shape=box, style=rounded") + (e.tier == "excluded" ? ", color=gray" : "") +
                                ", label=" + quote(label));
      for (const ProgramReason& r : e.reasons) edge(rule_node(rule_ref(rules_, r.rule)), id, "", "");
    }
  }

  // The facts one firing of a rule over facts matched, drawn into the rule
  // `rule` (a node id), within the bound per rule.
  void matched(const std::string& rule, const std::vector<MatchedFact>& facts) {
    std::vector<std::string>& shown = shown_facts_[rule];
    std::set<std::string>& more = more_facts_[rule];
    for (const MatchedFact& m : facts) {
      std::string id = "fact:" + m.tmpl + ":" + m.key + (m.origin.empty() ? "" : " @ " + m.origin);
      if (std::find(shown.begin(), shown.end(), id) == shown.end()) {
        if (shown.size() >= kDotFactsPerRule) {
          more.insert(id);
          continue;
        }
        shown.push_back(id);
      }
      std::string label = m.tmpl + " " + m.var + "\n" + m.key + (m.origin.empty() ? "" : "\n" + m.origin) +
                          (m.ended ? "\n(removed or changed since)" : "");
      label.erase(std::remove(label.begin(), label.end(), '`'), label.end());
      node(id, 6, std::string("shape=folder") + (m.ended ? ", style=dashed" : "") + ", label=" + quote(label));
      edge(id, rule, "as " + m.var, "color=gray40");
    }
  }

 private:
  struct Node {
    std::string id;
    int group;  // 0 fields, 1 conclusions, 2 rules, 3 recommendations, 4 why-not, 5 program list, 6 matched facts
    std::string attrs;
  };
  struct Edge {
    std::string from, to, attrs;
    std::vector<std::string> labels;
  };
  const Report& rep_;
  const RuleSet& rules_;
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  // (fact name, value shown) -> node id; and how many values each fact has shown.
  std::map<std::pair<std::string, std::string>, std::string> fact_ids_;
  std::map<std::string, int> fact_values_;
  // Per rule node: the matched facts drawn, and those beyond the bound.
  std::map<std::string, std::vector<std::string>> shown_facts_;
  std::map<std::string, std::set<std::string>> more_facts_;

  std::string node(const std::string& id, int group, const std::string& attrs) {
    if (std::none_of(nodes_.begin(), nodes_.end(), [&](const Node& n) { return n.id == id; }))
      nodes_.push_back({id, group, attrs});
    return id;
  }

  void edge(const std::string& from, const std::string& to, const std::string& label, const std::string& attrs) {
    for (Edge& e : edges_)
      if (e.from == from && e.to == to && e.attrs == attrs) {
        if (!label.empty() && std::find(e.labels.begin(), e.labels.end(), label) == e.labels.end())
          e.labels.push_back(label);
        return;
      }
    edges_.push_back({from, to, attrs, label.empty() ? std::vector<std::string>{} : std::vector<std::string>{label}});
  }

  std::string rule_node(const RuleRef& r) {
    std::string label(r.name());
    if (!r.source().empty()) {
      label += "\nguide: ";
      label += r.source();
    }
    label += "\n" + place(r.file(), r.line);
    std::string id = "rule:";
    id += r.name();
    return node(id, 2, "shape=box, style=rounded, label=" + quote(label));
  }

  // The node of one value of a fact ("" = missing).
  // The report names the fact and says whether it is a conclusion: nothing
  // is looked up in the rule set by slot.
  std::string fact_node(const std::string& name, bool conclusion, const std::string& shown) {
    auto key = std::make_pair(name, shown);
    auto it = fact_ids_.find(key);
    if (it != fact_ids_.end()) return it->second;
    int n = ++fact_values_[name];
    std::string id = std::string(conclusion ? "conclusion:" : "field:") + name + (n > 1 ? "#" + std::to_string(n) : "");
    fact_ids_[key] = id;
    std::string attrs;
    if (conclusion) {
      // One line per map entry: "tiers = dream: x\nbridge: y".
      std::string lines = shown;
      for (std::size_t at = lines.find("; "); at != std::string::npos; at = lines.find("; ", at + 1))
        lines.replace(at, 2, "\n");
      attrs = shown.empty() ? "shape=box, style=dashed, label=" + quote(name + "\n(not reached)")
                            : "shape=box, style=filled, fillcolor=\"#e8f0fe\", label=" + quote(name + " = " + lines);
    } else {
      attrs = shown.empty() ? "shape=ellipse, style=dashed, label=" + quote(name + "\n(not given)")
                            : "shape=ellipse, label=" + quote(name + " = " + shown + "\ngiven: $." + name);
    }
    return node(id, conclusion ? 1 : 0, attrs);
  }

  // Edges from the facts `tests` read to `rule`; conclusions among them
  // drawn through their derivations in `premises`.
  void reads(const std::vector<TestRecord>& tests, const std::vector<Derivation>& premises, const std::string& rule,
             const std::string& attrs) {
    for (const Derivation& p : premises) derivation(p);
    for (const TestRecord& t : tests)
      for (const FactValue& f : t.facts) {
        std::string shown = f.value.is_missing() ? "" : f.display;
        for (const Derivation& p : premises)
          if (p.fact == f.fact) shown = p.kind == Derivation::Kind::Missing ? "" : p.display;
        edge(fact_node(f.name, f.conclusion, shown), rule, mark(t.result) + one_line(t.text), attrs);
      }
  }

  std::string derivation(const Derivation& d) {
    if (d.slot() < 0) return "";
    std::string id = fact_node(d.name, d.conclusion, d.kind == Derivation::Kind::Missing ? "" : d.display);
    if (d.kind != Derivation::Kind::Derived) return id;
    std::string rl = rule_node(d.rule);
    edge(rl, id, "", "");
    for (const RuleRef& a : d.also) edge(rule_node(a), id, "", "style=dashed");
    reads(d.tests, d.premises, rl, "");
    return id;
  }
};

}  // namespace

std::string render_dot(const Report& report, const RuleSet& rules) {
  DotWriter w(report, rules);
  return w.render();
}

}  // namespace advise
