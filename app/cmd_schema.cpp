// advise schema: print the JSON Schema of applicant profiles, generated from
// the knowledge base, for editors that validate profiles while advisors type
// them. The committed kb/profile.schema.json is this command's output over the
// bundled knowledge base; tests/profile_test.cpp keeps the two equal.
#include <iostream>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "kb/json_schema.hpp"

namespace advise::cli {

int cmd_schema(const SchemaOptions& o, std::ostream& out, std::ostream& err) {
  std::string kb_dir = o.kb_dir.empty() ? default_kb_dir() : o.kb_dir;
  auto kb = load_kb_or_report(kb_dir, err);
  if (!kb) return kExitUsage;
  out << profile_json_schema(*kb).dump(2) << "\n";
  out.flush();
  return kExitOk;
}

}  // namespace advise::cli
