// The subcommands of `advise`. Each returns the exit code and writes data to
// `out`, messages to `err` (never mixed).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace advise::cases {
struct SuiteEnv;
}

namespace advise::cli {

struct CheckOptions {
  std::vector<std::string> paths;  // empty: the bundled rules
  std::string format = "text";     // text | json
  std::string kb_dir;
  bool analysis = true;            // engine/analysis.hpp; off with --no-analysis
  bool strict = false;             // warnings become errors
  bool verbose = false;            // also the notes of the analysis (`shadowed`)
};
int cmd_check(const CheckOptions& o, std::ostream& out, std::ostream& err);

struct FmtOptions {
  std::vector<std::string> paths;  // empty: the bundled rules; "-" = stdin to stdout
  bool check = false;              // report files that would change; write nothing
};
int cmd_fmt(const FmtOptions& o, std::ostream& out, std::ostream& err);

struct RunOptions {
  std::string profile;             // path or "-"
  std::vector<std::string> rules;  // empty: the bundled rules
  std::string kb_dir;
  bool explain = false;
  bool trace = false;
  std::vector<std::string> why_not;
  std::string format = "text";     // text | json | markdown | dot | html
  std::string view;                // applicant | advisor; empty: the format's default
  std::string output;              // empty: stdout
  bool color = false;
  int max_firings = 1000;
  // Facts of the rules' templates: FILE (JSON, CLIPS .fct/.clp) or
  // TEMPLATE=FILE (CSV of one template), in order.
  std::vector<std::string> facts;
  std::string strategy;            // empty: the rule set's own
  // Program catalogs (`--catalog`, app/catalog.hpp): the program list.
  std::vector<std::string> catalogs;
};
int cmd_run(const RunOptions& o, std::ostream& out, std::ostream& err);

struct BatchOptions {
  std::string input = "-";
  std::vector<std::string> rules;
  std::string kb_dir;
  int jobs = 1;
  std::string output;
  bool progress = true;  // a progress bar on stderr (the CLI asks when stderr is a terminal)
  bool timing = true;    // the elapsed time in the summary (off: reproducible logs, golden tests)
  std::vector<std::string> catalogs;  // `--catalog`: read once, for every applicant
  // `--rules-once`: a first line with every rule's object, and records that
  // name rules (batch format 2, report schema 2; docs/cli.md).
  bool rules_once = false;
};
int cmd_batch(const BatchOptions& o, std::ostream& out, std::ostream& err);

struct TestOptions {
  std::vector<std::string> paths;  // case files or directories; empty: tests/cases of the data dir
  std::vector<std::string> rules;
  std::string kb_dir;
  bool update = false;
  bool coverage = false;
  std::string coverage_format = "text";  // text | json
  double min_coverage = -1;
  std::string junit;
};
int cmd_test(const TestOptions& o, std::ostream& out, std::ostream& err);
// What the case library may read (cases/suite.hpp): files through
// read_input, profiles and catalogs under the data directory or the case
// file's project.
cases::SuiteEnv suite_env();

struct DiffOptions {
  std::vector<std::string> old_rules, new_rules;
  std::vector<std::string> profiles;
  std::string kb_dir;
  std::string format = "text";
};
int cmd_diff(const DiffOptions& o, std::ostream& out, std::ostream& err);

// advise what-if GOAL PROFILE (engine/whatif.hpp).
struct WhatIfCliOptions {
  std::string goal;
  std::string profile;             // path or "-"
  std::vector<std::string> rules;
  std::string kb_dir;
  std::string format = "text";     // text | json | markdown
  std::string output;
  int max_alternatives = 3;
  int max_fields = 6;
  std::vector<std::string> actionable, fixed;  // per-run overrides of kb/schema.json
  int max_firings = 1000;
  std::vector<std::string> catalogs;  // `--catalog`: the program list, for `program=ID` goals
};
int cmd_whatif(const WhatIfCliOptions& o, std::ostream& out, std::ostream& err);

// advise init DIR: a new project from the bundled rules (app/cmd_init.cpp).
struct InitOptions {
  std::string dir;
};
int cmd_init(const InitOptions& o, std::ostream& out, std::ostream& err);

// advise new specialty|rule|case NAME (app/cmd_new.cpp).
struct NewOptions {
  std::string what;     // specialty | rule | case
  std::string name;     // the id
  std::string display;  // specialty: display name
  std::string klass;    // specialty: class
  std::string kb_dir;
};
int cmd_new(const NewOptions& o, std::ostream& out, std::ostream& err);

// The JSON Schema of profiles, generated from the knowledge base
// (kb/json_schema.hpp): `advise schema > kb/profile.schema.json`.
struct SchemaOptions {
  std::string kb_dir;
};
int cmd_schema(const SchemaOptions& o, std::ostream& out, std::ostream& err);

}  // namespace advise::cli
