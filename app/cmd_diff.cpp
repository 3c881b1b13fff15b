// advise diff --old PATH --new PATH PROFILE...: whose advice changes between
// two rule sets, and why (docs/testing.md).
//
// Both rule sets run on every profile. For each profile whose conclusions or
// recommendations differ, the text report gives each change before and
// after, with the rule responsible on each side and the tests that held when
// it fired. A side whose evaluation did not finish (the rules kept firing
// until the firing limit) is a finding too, reported with the engine's
// message. Constants whose values differ come first; notes and warnings whose
// wording changed are changes too. "0 of N profiles changed" when nothing
// did. Exit 0 when nothing
// changed, 1 when some profile's advice changed or a side did not finish (as
// `diff` and `git diff --exit-code` do, so CI can gate on it), 2 for bad
// rules, profiles or options. `--format json` always prints one document.
// Text from files (names, paths, rule texts) goes through the one sanitizer
// (kb/sanitize.hpp) on its way to the terminal. The diff itself is the
// library's (diff_results, engine/diff.hpp); this file runs the rule sets on
// the profiles and renders it.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "app/cases.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "engine/diff.hpp"
#include "engine/render_json.hpp"
#include "kb/sanitize.hpp"

namespace advise::cli {

namespace {

namespace fs = std::filesystem;
using namespace advise::cases;
using J = nlohmann::ordered_json;

// One profile's diff, with where it came from.
struct ProfileDiff : ResultDiff {
  std::string path, name;
};

// "strategy", "applications[dermatology]": the conclusion, and a map's key in rule syntax.
std::string label_of(const ConclusionDiff& c, const RuleSet& rules) {
  std::string label = rules.slot_name(c.slot);
  if (c.key) label += "[" + source_value(*c.key, rules) + "]";
  return label;
}

std::vector<TestRecord> tests_of(const Result& r, std::int32_t firing) {
  const Firing& f = r.firings[static_cast<std::size_t>(firing)];
  SnapshotView view(r, f);
  return condition_tests(*r.rules, r.rules->rules[static_cast<std::size_t>(f.rule)].condition, view, true);
}

// Why rule `name` did not act in `r`: not in these rules, or the first tests
// of its condition that failed.
void counterpart_text(const Result& r, const std::string& name, const char* label, const char* which,
                      std::string& out) {
  const RuleSet& rules = *r.rules;
  const CRule* cr = rules.find_rule(name);
  if (!cr) {
    out += std::string("    ") + label + ": rule `" + name + "` is not in the " + which + " rules\n";
    return;
  }
  RuleRef ref = rule_ref(rules, cr->index);
  if (r.fired(cr->index)) {
    out += std::string("    ") + label + ": " + render_rule(ref) + " fired, but did not set it\n";
    return;
  }
  FinalView fv(r);
  auto failed = condition_tests(rules, cr->condition, fv, false);
  out += std::string("    ") + label + ": " + render_rule(ref) + " did not fire" + (failed.empty() ? "\n" : ":\n");
  for (const TestRecord& t : failed) out += "      " + render_test(t, rules, true) + "\n";
}

void side_text(const DiffSide& s, const char* label, std::string& out) {
  const RuleSet& rules = *s.result->rules;
  if (s.firing < 0) {
    if (!s.counterpart.empty()) {
      counterpart_text(*s.result, s.counterpart, label, std::string(label) == "before" ? "old" : "new", out);
      return;
    }
    out += std::string("    ") + label + ": no rule set it\n";
    return;
  }
  std::int32_t rule = s.result->firings[static_cast<std::size_t>(s.firing)].rule;
  auto tests = tests_of(*s.result, s.firing);
  std::string what = s.item ? source_value(*s.item, rules) + " added by" : "set by";
  out += std::string("    ") + label + ": " + what + " " + render_rule(rule_ref(rules, rule)) +
         (tests.empty() ? "\n" : ", because\n");
  for (const TestRecord& t : tests) out += "      " + render_test(t, rules, false) + "\n";
}

void recommendation_side(const Result& r, const Recommendation& rec, const char* label, std::string& out) {
  const RuleSet& rules = *r.rules;
  auto tests = tests_of(r, rec.firing);
  out += std::string("    ") + label + ": recommended by " + render_rule(rule_ref(rules, rec.rule)) +
         (tests.empty() ? "\n" : ", because\n");
  for (const TestRecord& t : tests) out += "      " + render_test(t, rules, false) + "\n";
}

std::string text_report(const ProfileDiff& d, const Result& a, const Result& b) {
  const RuleSet& ra = *a.rules;
  std::string out = terminal_safe(d.path) + (d.name.empty() ? "" : " (" + terminal_safe(d.name) + ")") + "\n";
  if (d.old_runaway) out += "  the old rules did not finish: " + *d.old_runaway + "\n";
  if (d.new_runaway) out += "  the new rules did not finish: " + *d.new_runaway + "\n";
  for (const ConclusionDiff& c : d.conclusions) {
    out += "  " + label_of(c, ra) + ": " + source_value(c.before, ra) + " -> " + source_value(c.after, ra) + "\n";
    for (const DiffSide& s : c.old_side) side_text(s, "before", out);
    for (const DiffSide& s : c.new_side) side_text(s, "after", out);
  }
  for (const RecommendationDiff& rc : d.recommendations) {
    switch (rc.kind) {
      case RecommendationDiff::Kind::Removed:
        out += "  recommendation " + rc.id + ": no longer made\n";
        recommendation_side(a, *rc.before, "before", out);
        counterpart_text(b, ra.rules[static_cast<std::size_t>(rc.before->rule)].name, "after", "new", out);
        break;
      case RecommendationDiff::Kind::Added:
        out += "  recommendation " + rc.id + ": newly made\n";
        counterpart_text(a, b.rules->rules[static_cast<std::size_t>(rc.after->rule)].name, "before", "old", out);
        recommendation_side(b, *rc.after, "after", out);
        break;
      case RecommendationDiff::Kind::Text:
        out += "  recommendation " + rc.id + ": its text changed\n";
        out += "    before: \"" + terminal_safe(rc.before->text) + "\"\n";
        out += "    after:  \"" + terminal_safe(rc.after->text) + "\"\n";
        break;
    }
  }
  for (const MessageDiff& m : d.messages) {
    std::string what = m.kind == Message::Kind::Note ? "note" : "warning";
    std::string head = "  " + what + " of `" + terminal_safe(m.rule) + "`: ";
    if (m.before && m.after) {
      out += head + "its text changed\n";
      out += "    before: \"" + terminal_safe(*m.before) + "\"\n";
      out += "    after:  \"" + terminal_safe(*m.after) + "\"\n";
    } else if (m.before) {
      out += head + "no longer given\n    before: \"" + terminal_safe(*m.before) + "\"\n";
    } else {
      out += head + "newly given\n    after:  \"" + terminal_safe(*m.after) + "\"\n";
    }
  }
  return out;
}

J rule_json(const Result& r, std::int32_t firing) {
  if (firing < 0) return nullptr;
  const RuleSet& rules = *r.rules;
  RuleRef ref = rule_ref(rules, r.firings[static_cast<std::size_t>(firing)].rule);
  J tests = J::array();
  for (const TestRecord& t : tests_of(r, firing)) tests.push_back(render_test(t, rules, false));
  return J{{"rule", ref.name}, {"where", ref.where}, {"source", ref.source}, {"tests", tests}};
}

// Why rule `name` did not act in `r`, as JSON.
J counterpart_json(const Result& r, const std::string& name) {
  const RuleSet& rules = *r.rules;
  const CRule* cr = rules.find_rule(name);
  J j{{"rule", name}, {"in_rules", cr != nullptr}};
  if (!cr) return j;
  j["where"] = rules.where(cr->loc);
  j["fired"] = r.fired(cr->index);
  J failed = J::array();
  if (!r.fired(cr->index)) {
    FinalView fv(r);
    for (const TestRecord& t : condition_tests(rules, cr->condition, fv, false)) failed.push_back(render_test(t, rules, true));
  }
  j["failed_tests"] = failed;
  return j;
}

J side_json(const DiffSide& s, const KnowledgeBase& kb) {
  J j = J::object();
  if (s.item) j["item"] = value_json(*s.item, kb);
  j["rule"] = rule_json(*s.result, s.firing);
  if (s.firing < 0 && !s.counterpart.empty()) j["did_not_act"] = counterpart_json(*s.result, s.counterpart);
  return j;
}

J json_report(const ProfileDiff& d, const Result& a, const Result& b) {
  const KnowledgeBase& kb = *a.rules->kb;
  J conclusions = J::array();
  for (const ConclusionDiff& c : d.conclusions) {
    J before_rules = J::array(), after_rules = J::array();
    for (const DiffSide& s : c.old_side) before_rules.push_back(side_json(s, kb));
    for (const DiffSide& s : c.new_side) after_rules.push_back(side_json(s, kb));
    conclusions.push_back(J{{"conclusion", label_of(c, *a.rules)},
                            {"before", value_json(c.before, kb)},
                            {"after", value_json(c.after, kb)},
                            {"before_rules", before_rules},
                            {"after_rules", after_rules}});
  }
  J recs = J::array();
  for (const RecommendationDiff& rc : d.recommendations) {
    const char* kind = rc.kind == RecommendationDiff::Kind::Added     ? "added"
                       : rc.kind == RecommendationDiff::Kind::Removed ? "removed"
                                                                        : "text";
    J entry{{"id", rc.id}, {"change", kind}};
    entry["before"] = rc.before ? J{{"text", rc.before->text}, {"rule", rule_json(a, rc.before->firing)}} : J(nullptr);
    entry["after"] = rc.after ? J{{"text", rc.after->text}, {"rule", rule_json(b, rc.after->firing)}} : J(nullptr);
    if (rc.kind == RecommendationDiff::Kind::Removed)
      entry["did_not_act"] = counterpart_json(b, a.rules->rules[static_cast<std::size_t>(rc.before->rule)].name);
    if (rc.kind == RecommendationDiff::Kind::Added)
      entry["did_not_act"] = counterpart_json(a, b.rules->rules[static_cast<std::size_t>(rc.after->rule)].name);
    recs.push_back(std::move(entry));
  }
  auto runaway = [](const std::optional<std::string>& m) { return m ? J(*m) : J(nullptr); };
  J messages = J::array();
  for (const MessageDiff& m : d.messages)
    messages.push_back(J{{"rule", m.rule},
                         {"kind", m.kind == Message::Kind::Note ? "note" : "warning"},
                         {"before", runaway(m.before)},
                         {"after", runaway(m.after)}});
  return J{{"profile", d.path},
           {"name", d.name},
           {"runaway", J{{"old", runaway(d.old_runaway)}, {"new", runaway(d.new_runaway)}}},
           {"conclusions", conclusions},
           {"recommendations", recs},
           {"messages", messages}};
}

std::string shown(const fs::path& p) {
  if (!p.is_absolute()) return p.lexically_normal().string();
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  fs::path rel = p.lexically_normal().lexically_relative(cwd);
  if (ec || rel.empty() || *rel.begin() == "..") return p.lexically_normal().string();
  return rel.string();
}

// What a path holds, by its content: rules (a `.rules` file, or a folder
// holding one), profiles (a `.json` file, a folder of them, or `-`), or
// neither (it does not exist: left to the readers, which say so).
enum class Holds { Rules, Profiles, Unknown };

Holds holds(const std::string& p) {
  if (p == "-") return Holds::Profiles;
  std::error_code ec;
  fs::path path(p);
  if (fs::is_directory(path, ec)) {
    // A folder of `.json` files is profiles, whatever else it holds (a
    // test folder may hold both); one of `.rules` files only is rules.
    bool json = false, rules = false;
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->path().extension() == ".rules") rules = true;
      if (it->path().extension() == ".json") json = true;
    }
    return json ? Holds::Profiles : rules ? Holds::Rules : Holds::Unknown;
  }
  if (path.extension() == ".rules") return Holds::Rules;
  if (path.extension() == ".json" || fs::is_regular_file(path, ec)) return Holds::Profiles;
  return Holds::Unknown;
}

std::optional<RuleSet> load_side(const std::vector<std::string>& paths, const char* which,
                                  std::shared_ptr<const KnowledgeBase> kb, std::shared_ptr<SourceManager> sources,
                                  std::ostream& err) {
  Diagnostics diags;
  auto rs = load_rule_set(paths, std::move(kb), sources, diags);
  if (!rs || diags.has_errors()) {
    diags.sort();
    err << render_text(*sources, diags);
    err << "advise diff: the " << which << " rules have " << diags.error_count() << " error"
        << (diags.error_count() == 1 ? "" : "s") << "; run `advise check` on them\n";
    return std::nullopt;
  }
  return rs;
}

}  // namespace

int cmd_diff(const DiffOptions& given, std::ostream& out, std::ostream& err) {
  // Arguments in either order: `advise diff OLD NEW PROFILE...` as well as
  // `--old OLD --new NEW PROFILE...`, the profiles before or after; each
  // argument is told apart by what it holds, and a mix-up is refused with a
  // message saying which is which.
  DiffOptions o = given;
  {
    std::vector<std::string> rule_args, profile_args;
    for (const std::string& p : o.profiles) (holds(p) == Holds::Rules ? rule_args : profile_args).push_back(p);
    for (const auto* side : {&o.old_rules, &o.new_rules})
      for (const std::string& p : *side)
        if (holds(p) == Holds::Profiles) {
          err << "advise diff: `" << terminal_safe(p) << "` holds profiles, not rules: give the rules with `--"
              << (side == &o.old_rules ? "old" : "new") << "` and the profiles as arguments\n";
          return kExitUsage;
        }
    if (!rule_args.empty()) {
      if (o.old_rules.empty() && o.new_rules.empty() && rule_args.size() == 2) {
        o.old_rules = {rule_args[0]};
        o.new_rules = {rule_args[1]};
      } else {
        err << "advise diff: `" << terminal_safe(rule_args[0])
            << "` holds rules, not profiles: give two rule sets (`advise diff OLD NEW PROFILE...`, or `--old OLD "
               "--new NEW`) and then the profiles\n";
        return kExitUsage;
      }
    }
    o.profiles = profile_args;
    if (o.old_rules.empty() || o.new_rules.empty()) {
      err << "advise diff: give the old and the new rules (`advise diff OLD NEW PROFILE...`, or `--old OLD --new "
             "NEW PROFILE...`)\n";
      return kExitUsage;
    }
    if (o.profiles.empty()) {
      err << "advise diff: give the profiles to compare (`.json` files or folders of them)\n";
      return kExitUsage;
    }
  }
  std::string kb_dir = o.kb_dir.empty() ? default_kb_dir() : o.kb_dir;
  auto kb = load_kb_or_report(kb_dir, err);
  if (!kb) return kExitUsage;
  auto old_sources = std::make_shared<SourceManager>();
  auto new_sources = std::make_shared<SourceManager>();
  auto old_rs = load_side(o.old_rules, "old", kb, old_sources, err);
  auto new_rs = load_side(o.new_rules, "new", kb, new_sources, err);
  if (!old_rs || !new_rs) return kExitUsage;
  std::vector<ConstantDiff> constants = constant_changes(*old_rs, *new_rs);

  // The profiles: files, or directories of *.json (sorted); all checked
  // before anything runs.
  std::vector<std::string> files;
  bool bad = false;
  for (const std::string& p : o.profiles) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        if (it->is_regular_file() && it->path().extension() == ".json") found.push_back(it->path());
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        err << terminal_safe(shown(p)) << ": error: the directory holds no `.json` profiles\n";
        bad = true;
      }
      for (const fs::path& f : found) files.push_back(shown(f));
    } else {
      files.push_back(p);
    }
  }
  std::vector<Profile> profiles;
  for (const std::string& f : files) {
    std::string text, error;
    if (!read_input(f, kMaxProfileBytes, text, error, nullptr, "a profile file (a JSON object)")) {
      err << terminal_safe(f) << ": error: " << terminal_safe(error) << "\n";
      bad = true;
      continue;
    }
    std::vector<DataError> errors;
    auto prof = load_profile(text, f == "-" ? "<stdin>" : f, *kb, errors);
    if (!prof) {
      for (const DataError& e : errors) err << e.text() << "\n";
      bad = true;
      continue;
    }
    profiles.push_back(std::move(*prof));
  }
  if (bad) {
    err << "advise diff: bad profiles; nothing was compared\n";
    return kExitUsage;
  }

  Engine old_engine(std::make_shared<const RuleSet>(std::move(*old_rs)));
  Engine new_engine(std::make_shared<const RuleSet>(std::move(*new_rs)));
  std::size_t changed = 0, unfinished = 0;
  std::string text;
  J list = J::array();
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    Result a = old_engine.evaluate(profiles[i]);
    Result b = new_engine.evaluate(profiles[i]);
    ProfileDiff d;
    static_cast<ResultDiff&>(d) = diff_results(a, b);
    d.path = files[i];
    d.name = profiles[i].name();
    if (!d.changed()) continue;
    ++changed;
    if (d.unfinished()) ++unfinished;
    if (o.format == "json") {
      list.push_back(json_report(d, a, b));
    } else {
      if (changed > 1) text += "\n";
      text += text_report(d, a, b);
    }
  }
  auto opt = [](const std::optional<std::string>& v) { return v ? J(*v) : J(nullptr); };
  // Which rules and knowledge base were compared (issue 17: every command says).
  std::vector<std::string> old_shown, new_shown;
  for (const std::string& p : o.old_rules) old_shown.push_back(shown_path(p));
  for (const std::string& p : o.new_rules) new_shown.push_back(shown_path(p));
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  if (o.format == "json") {
    J consts = J::array();
    for (const ConstantDiff& c : constants)
      consts.push_back(J{{"constant", c.name}, {"before", opt(c.before)}, {"after", opt(c.after)}});
    J doc{{"rules", J{{"old", old_shown}, {"new", new_shown}, {"kb", shown_path(kb_dir)}}},
          {"profiles", profiles.size()},
          {"changed", changed},
          {"unfinished", unfinished},
          {"constants", consts},
          {"changes", list}};
    out << json_terminal_safe(doc.dump(2, ' ', false, J::error_handler_t::replace)) << "\n";
  } else {
    if (!constants.empty()) {
      std::string head = "constants that changed:\n";
      for (const ConstantDiff& c : constants)
        head += "  " + c.name + ": " + (c.before ? *c.before : "(not defined)") + " -> " +
                (c.after ? *c.after : "(not defined)") + "\n";
      out << terminal_safe(head, Layout::Lines) << "\n";
    }
    if (changed > 0) out << terminal_safe(text, Layout::Lines) << "\n";
    out << terminal_safe("old rules: " + joined(old_shown) + "; new rules: " + joined(new_shown) +
                             "; knowledge base: " + shown_path(kb_dir),
                         Layout::Lines)
        << "\n";
    out << changed << " of " << profiles.size() << " profile" << (profiles.size() == 1 ? "" : "s") << " changed";
    if (unfinished > 0)
      out << "; " << unfinished << " did not finish under one of the rule sets (the firing limit stopped it)";
    out << "\n";
  }
  return changed > 0 ? kExitFindings : kExitOk;
}

}  // namespace advise::cli
