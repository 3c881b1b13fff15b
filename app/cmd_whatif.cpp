// advise what-if GOAL PROFILE: the smallest changes of the profile's
// actionable fields that reach GOAL (engine/whatif.hpp), each verified by
// evaluating the changed profile, or why there are none.
//
// Exit codes: 0 the answer was written (alternatives found, or the goal holds
// already); 1 written, but no change of actionable fields reaches the goal;
// 2 bad input or usage (the profile, the rules, a goal or field that names
// nothing, an output file that cannot be written).
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/atomic_file.hpp"
#include "app/catalog.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "engine/render_whatif.hpp"
#include "kb/profile.hpp"
#include "kb/sanitize.hpp"

namespace advise::cli {

int cmd_whatif(const WhatIfCliOptions& o, std::ostream& out, std::ostream& err) {
  std::string kb_dir = o.kb_dir.empty() ? default_kb_dir() : o.kb_dir;
  std::vector<std::string> paths = rules_with_catalog(o.rules, !o.catalogs.empty());
  auto loaded = load_rules_or_report(paths, kb_dir, err);
  if (!loaded) return kExitUsage;

  std::string shown = o.profile == "-" ? "<stdin>" : o.profile;
  std::string text;
  std::optional<FileStamp> profile_stamp;
  if (!read_profile(o.profile, shown, text, profile_stamp, err)) return kExitUsage;
  std::vector<DataError> errors;
  auto profile = load_profile(text, shown, *loaded->kb, errors);
  if (!profile) {
    for (const DataError& e : errors) err << e.text() << "\n";
    err << "advise: " << shown << ": " << errors.size() << (errors.size() == 1 ? " problem" : " problems")
        << " in the profile; nothing was evaluated\n";
    return kExitUsage;
  }

  std::vector<FactRecord> facts;
  if (!o.catalogs.empty() && !read_catalogs(o.catalogs, kb_dir, *loaded->rules, facts, err)) return kExitUsage;
  if (!o.catalogs.empty()) warn_connections(*profile, text, *loaded->rules, facts, err);
  Engine engine(loaded->rules);
  WhatIfOptions wo;
  wo.engine.facts = &facts;
  wo.max_alternatives = o.max_alternatives;
  wo.max_fields = o.max_fields;
  wo.actionable = o.actionable;
  wo.fixed = o.fixed;
  wo.engine.max_firings = o.max_firings;
  WhatIf w = what_if(engine, *profile, o.goal, wo);
  if (!w.error.empty()) {
    err << "advise: what-if " << terminal_safe(o.goal) << ": " << terminal_safe(w.error) << "\n";
    return kExitUsage;
  }
  spdlog::info("{} evaluations, {} alternatives", w.evaluations, w.alternatives.size());

  WhatIfHeader h{shown, profile->name(), {}, shown_path(kb_dir)};
  for (const std::string& p : paths) h.rules.push_back(shown_path(p));
  std::string rendered = o.format == "json"       ? render_whatif_json(w, h, *loaded->kb)
                         : o.format == "markdown" ? render_whatif_markdown(w, h)
                                                  : render_whatif_text(w, h);
  WriteOptions opts;
  if (profile_stamp) opts.inputs.emplace_back(shown, *profile_stamp);
  if (!deliver(out, err, o.output, rendered, "answer", opts)) return kExitUsage;
  return w.already || !w.alternatives.empty() ? kExitOk : kExitFindings;
}

}  // namespace advise::cli
