// advise new specialty|rule|case NAME: the files a new specialty, rule or
// regression case needs in the project around the current directory
// (docs/advisor-guide.md, "Adding a specialty with `advise new`"), written so
// that `advise check` and `advise test` pass right after.
//
// `new specialty` gives the project its own kb/ (a copy of the bundled one,
// the first time), adds the specialty to kb/specialties.json with every
// attribute kb/schema.json requires, regenerates kb/profile.schema.json,
// and writes rules/NAME.rules (a rule with commented examples), an example
// profile examples/profiles/NAME.json and a case tests/cases/NAME.cases
// whose expectations are what the rules conclude for that profile.
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/atomic_file.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "kb/json_schema.hpp"
#include "kb/sanitize.hpp"

namespace advise::cli {

namespace {

namespace fs = std::filesystem;
using J = nlohmann::ordered_json;

bool valid_id(const std::string& s) {
  if (s.empty() || s.size() > 64 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string display_of(const std::string& id) {
  std::string out;
  bool up = true;
  for (char c : id) {
    if (c == '_') {
      out += ' ';
      up = true;
      continue;
    }
    out += up ? static_cast<char>(c - 'a' + 'A') : c;
    up = false;
  }
  return out;
}

// Writes a file that must not exist yet.
bool write_new(const fs::path& p, const std::string& text, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  if (fs::exists(p, ec)) {
    err << "advise new: " << terminal_safe(p.string()) << " already exists; choose another name, or edit it\n";
    return false;
  }
  fs::create_directories(p.parent_path(), ec);
  std::string error;
  if (!write_file_atomically(p.string(), text, error)) {
    err << "advise new: cannot write " << terminal_safe(p.string()) << ": " << terminal_safe(error) << "\n";
    return false;
  }
  out << "  wrote " << terminal_safe(shown_path(p.string())) << "\n";
  return true;
}

std::string rule_file(const std::string& id, const std::string& display, bool specialty) {
  std::string when = specialty ? "specialty is " + id : "step2ck is present";
  return "# " + display + ": the guide's advice, one rule per piece of advice.\n"
         "#\n"
         "# Each rule says when it applies (`when`), what it concludes (`set`, `add`)\n"
         "# and what it tells the applicant (`recommend`, `note`, `warn`); docs/language.md\n"
         "# has an example of every part. `advise check` checks this file,\n"
         "# `advise test` runs the cases in tests/cases/.\n"
         "#\n"
         "# More examples (remove the `#` to use one):\n"
         "#\n"
         "#   rule " + id + "_research \"Research for " + display + "\"\n"
         "#     source \"Step 4\"\n"
         "#   when " + when + " and publications < 2\n"
         "#   then\n"
         "#     set research_year = recommended\n"
         "#   end\n"
         "#\n"
         "#   rule " + id + "_away_rotations \"Away rotations\"\n"
         "#     source \"Step 3.1\"\n"
         "#   when " + when + " and us_rotations_in_specialty == 0\n"
         "#   then\n"
         "#     warn \"Plan at least one US rotation in {specialty.name}.\"\n"
         "#   end\n"
         "\n"
         "rule " + id + "_applications \"How many " + display + " programs to apply to\"\n"
         "  source \"Step 5.2\"\n"
         "  category application\n"
         "when " + when + "\n"
         "then\n" +
         std::string(specialty ? "  set applications[specialty] = specialty.apps_min..specialty.apps_max\n"
                               : "") +
         "  recommend " + id + "_plan: \"" +
         (specialty ? "Apply to {specialty.apps_min} to {specialty.apps_max} {specialty.name} programs."
                    : "Write the advice here.") +
         "\"\n"
         "end\n";
}

// What the rules conclude for `profile_text`, as expectations of a case.
std::string expectations_for(const std::string& profile_text, const std::string& rule_id, std::ostream& err,
                             bool& ok) {
  ok = false;
  auto loaded = load_rules_or_report({default_rules_dir()}, default_kb_dir(), err);
  if (!loaded) return "";
  std::vector<DataError> errors;
  auto prof = load_profile(profile_text, "example", *loaded->kb, errors);
  if (!prof) {
    for (const DataError& e : errors) err << e.text() << "\n";
    return "";
  }
  Engine engine(loaded->rules);
  Result r = engine.evaluate(*prof);
  std::string out;
  const CRule* rule = loaded->rules->find_rule(rule_id);
  if (rule && r.fired(rule->index)) out += "  expect fired " + rule_id + "\n";
  for (const char* c : {"specialty_class", "strategy"}) {
    const Value& v = r.conclusion(c);
    if (!v.is_missing()) out += std::string("  expect ") + c + " == " + loaded->kb->source_text(v) + "\n";
  }
  ok = true;
  return out;
}

int new_specialty(const NewOptions& o, const fs::path& root, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  fs::path kb = root / "kb";
  if (!fs::exists(kb / "schema.json", ec)) {
    fs::create_directories(kb, ec);
    fs::copy(fs::path(bundled_data_dir()) / "kb", kb, fs::copy_options::recursive | fs::copy_options::skip_existing, ec);
    if (ec) {
      err << "advise new: cannot copy the bundled knowledge base to " << terminal_safe(kb.string()) << ": "
          << ec.message() << "\n";
      return kExitUsage;
    }
    out << "  copied the bundled knowledge base to " << terminal_safe(shown_path(kb.string())) << "\n";
  }
  // Check everything before writing anything.
  auto base = load_kb_or_report(kb.string(), err);
  if (!base) return kExitUsage;
  if (base->enum_index("specialty") >= 0 &&
      base->enums[static_cast<std::size_t>(base->specialty_enum)].find(o.name) >= 0) {
    err << "advise new: the specialty `" << o.name << "` is already in " << terminal_safe((kb / "specialties.json").string())
        << "\n";
    return kExitUsage;
  }
  for (const fs::path& p : {root / "rules" / (o.name + ".rules"), root / "examples" / "profiles" / (o.name + ".json"),
                            root / "tests" / "cases" / (o.name + ".cases")})
    if (fs::exists(p, ec)) {
      err << "advise new: " << terminal_safe(p.string()) << " already exists; choose another name, or edit it\n";
      return kExitUsage;
    }

  std::string text, error;
  if (!read_input((kb / "specialties.json").string(), 16u << 20, text, error)) {
    err << terminal_safe((kb / "specialties.json").string()) << ": error: " << terminal_safe(error) << "\n";
    return kExitUsage;
  }
  J specialties = J::parse(text, nullptr, false);
  if (!specialties.is_object()) {
    err << "advise new: " << terminal_safe((kb / "specialties.json").string()) << " is not a JSON object\n";
    return kExitUsage;
  }
  std::string display = o.display.empty() ? display_of(o.name) : o.display;
  std::string klass = o.klass.empty() ? "moderate" : o.klass;
  // Every attribute of kb/schema.json, with a value to replace.
  J entry;
  entry["name"] = display;
  entry["class"] = klass;
  entry["apps_min"] = 20;
  entry["apps_max"] = 40;
  entry["backups"] = J::array({"internal_medicine"});
  entry["adjacent_careers"] = J::array();
  entry["key_rotations"] = J::array({"internal_medicine"});
  entry["signals"] = "(to fill in: ERAS program signals)";
  entry["advanced"] = false;
  entry["surgical"] = false;
  entry["figures"] = J::array();
  entry["interview_figures"] = J::array();
  entry["own_match"] = nullptr;  // a specialty with a match of its own (AUA, SF Match) says which
  entry["source"] = "(to fill in: the guide's sections and facts.md for each attribute)";
  specialties[o.name] = entry;
  std::string new_text = specialties.dump(2) + "\n";
  if (!write_file_atomically((kb / "specialties.json").string(), new_text, error)) {
    err << "advise new: cannot write " << terminal_safe((kb / "specialties.json").string()) << ": " << error << "\n";
    return kExitUsage;
  }
  out << "  added `" << o.name << "` to " << terminal_safe(shown_path((kb / "specialties.json").string()))
      << " (class " << klass << "; fill in its numbers and sources)\n";
  auto updated = load_kb_or_report(kb.string(), err);
  if (!updated) return kExitUsage;
  std::string schema = profile_json_schema(*updated).dump(2) + "\n";
  if (!write_file_atomically((kb / "profile.schema.json").string(), schema, error)) {
    err << "advise new: cannot write " << terminal_safe((kb / "profile.schema.json").string()) << ": " << error << "\n";
    return kExitUsage;
  }
  out << "  regenerated " << terminal_safe(shown_path((kb / "profile.schema.json").string())) << "\n";

  if (!write_new(root / "rules" / (o.name + ".rules"), rule_file(o.name, display, true), out, err)) return kExitUsage;
  std::string profile = "{\n  \"name\": \"An applicant to " + display +
                        "\",\n  \"citizenship\": \"us_citizen\",\n  \"school_type\": \"img\",\n  \"stage\": "
                        "\"ms4\",\n  \"target_specialty\": \"" + o.name + "\",\n  \"step2ck\": 245\n}\n";
  if (!write_new(root / "examples" / "profiles" / (o.name + ".json"), profile, out, err)) return kExitUsage;
  bool ok = false;
  std::string expects = expectations_for(profile, o.name + "_applications", err, ok);
  if (!ok) return kExitUsage;
  std::string cases = "# " + display + ": what the rules advise for the example applicant.\n"
                      "# `advise test --update` rewrites the expectations after a change; review with git diff.\n\n"
                      "case \"" + display + ": the example applicant\"\n"
                      "  profile \"../../examples/profiles/" + o.name + ".json\"\n" +
                      expects + "end\n";
  if (!write_new(root / "tests" / "cases" / (o.name + ".cases"), cases, out, err)) return kExitUsage;
  out << "Next: fill in the kb entry, write the rules, then `advise check && advise test`.\n";
  return kExitOk;
}

}  // namespace

int cmd_new(const NewOptions& o, std::ostream& out, std::ostream& err) {
  if (!valid_id(o.name)) {
    err << "advise new: `" << terminal_safe(o.name)
        << "` cannot be an id: write lowercase letters a-z, digits and `_`, starting with a letter (e.g. "
           "`urology`)\n";
    return kExitUsage;
  }
  DataSource src = data_source();
  if (src.origin != "project") {
    err << "advise new: not inside a project (a folder holding rules/); start one with `advise init DIR`, then run "
           "`advise new` inside it\n";
    return kExitUsage;
  }
  fs::path root(src.dir);
  out << "advise new " << o.what << " " << o.name << " in the project at " << terminal_safe(src.dir) << ":\n";
  if (o.what == "specialty") return new_specialty(o, root, out, err);
  if (o.what == "rule") {
    if (!write_new(root / "rules" / (o.name + ".rules"), rule_file(o.name, display_of(o.name), false), out, err))
      return kExitUsage;
    out << "Next: write its condition and advice, then `advise check`.\n";
    return kExitOk;
  }
  // case
  std::string text = "# " + display_of(o.name) + "\n\n"
                     "case \"" + display_of(o.name) + "\"\n"
                     "  profile { \"target_specialty\": \"dermatology\", \"step2ck\": 245 }\n"
                     "  expect specialty_class == ultra\n"
                     "end\n";
  if (!write_new(root / "tests" / "cases" / (o.name + ".cases"), text, out, err)) return kExitUsage;
  out << "Next: give the applicant's profile and what the guide advises, then `advise test`.\n";
  return kExitOk;
}

}  // namespace advise::cli
