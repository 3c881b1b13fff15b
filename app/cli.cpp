// Command-line parsing (CLI11) and dispatch to the subcommands.
#include "app/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <iostream>
#include <memory>
#include <cstdlib>
#include <new>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/catalog.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "app/heap.hpp"
#include "app/startup_cache.hpp"
#include "kb/suggest.hpp"

namespace advise::cli {

namespace {

const char* kRunExamples = R"(
Examples:
  advise --explain examples/profiles/example.json
  advise --why-not strategy=single examples/profiles/example.json
  advise --format json examples/profiles/example.json > report.json
  advise --format markdown --output report.md examples/profiles/example.json
  cat profile.json | advise --explain -
)";

const char* kCheckExamples = R"(
Examples:
  advise check                      # the bundled rules
  advise check rules/               # a directory of .rules files
  advise check --format json my.rules
  advise check --strict rules/      # warnings fail too (for CI)
  advise -v check rules/            # also conflicts a higher priority settles
)";

const char* kFmtExamples = R"(
Examples:
  advise fmt rules/                 # rewrite in place, atomically
  advise fmt --check rules/         # exit 1 when a file would change (for CI)
  advise fmt - < my.rules           # stdin to stdout
)";

const char* kBatchExamples = R"(
One output line per input line, in input order: the JSON report of the
profile, or {"line": N, "errors": [...]} for a line that is not a valid
profile (the batch goes on), or {"line": N, "skipped": "empty line"}.
A profile line may be at most 1 MiB. Exit 1 when any line failed.

Examples:
  advise batch profiles.jsonl > reports.jsonl
  advise batch --jobs 0 - < profiles.jsonl      # 0 = every core
  advise batch -o reports.jsonl profiles.jsonl  # written atomically
  advise batch --rules-once profiles.jsonl      # rule metadata once, on line 1
)";

const char* kWhatIfExamples = R"(
GOAL is what --why-not takes: a conclusion value (strategy=single), a
conclusion (research_year), a recommendation id or a rule's name. Only the
fields kb/schema.json marks actionable change; exit 1 when no change of them
reaches the goal (the answer says why).

Examples:
  advise what-if strategy=single examples/profiles/example.json
  advise what-if research_year=not_needed --format json profile.json
  advise what-if strategy=single --actionable risk_tolerance --fixed publications profile.json
)";

const char* kSchemaExamples = R"(
Examples:
  advise schema > kb/profile.schema.json       # regenerate the committed schema
  advise --kb my-kb/ schema > my-profile.schema.json
)";

const char* kTestExamples = R"(
Examples:
  advise test                                  # the bundled regression suite
  advise test tests/cases --coverage --min-coverage 100
  advise test --update tests/cases/personas.cases
  advise test --junit report.xml
)";

const char* kDiffExamples = R"(
Examples:
  advise diff --old rules/ --new my-rules/ examples/profiles/
  advise diff rules/ my-rules/ examples/profiles/      # the same
)";

const char* kInitExamples = R"(
Examples:
  advise init my-advice                        # rules/, tests/cases/, examples/profiles/
  cd my-advice && advise check && advise test  # the project's rules, found from here
)";

const char* kNewExamples = R"(
Examples:
  advise new specialty urology --name Urology --class competitive
  advise new rule urology_signals              # rules/urology_signals.rules
  advise new case urology_applicant            # tests/cases/urology_applicant.cases
)";

void setup_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("advise");
  logger->set_pattern("advise: %l: %v");
  logger->set_level(verbosity >= 2 ? spdlog::level::debug : verbosity == 1 ? spdlog::level::info : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

// Memory set aside when the command line starts and given back when an
// allocation fails, so that unwinding (some destructors allocate, such as
// nlohmann::json's, and would otherwise end the process in std::terminate)
// and the message still have memory; the failure then goes on as bad_alloc.
// Not touched, so it costs address space, not resident memory.
constexpr std::size_t kReserveBytes = std::size_t{64} << 20;
void* g_reserve = nullptr;

void release_reserve() {
  std::free(g_reserve);
  g_reserve = nullptr;
  std::set_new_handler(nullptr);
  throw std::bad_alloc();
}

void set_aside_reserve() {
  if (!g_reserve) g_reserve = std::malloc(kReserveBytes);
  std::set_new_handler(g_reserve ? release_reserve : nullptr);
}

// What to try when a command ran out of memory.
const char* memory_hint(const std::string& command) {
  if (command == "run") return "try a lower `--max-firings`, or leave out `--trace` and `--explain`";
  if (command == "batch") return "try fewer `--jobs`";
  if (command == "what-if") return "try a lower `--max-fields`";
  if (command == "test" || command == "diff") return "try fewer or smaller rule files, cases or profiles";
  return "try fewer or smaller rule files";
}

bool is_subcommand(const std::string& s) {
  return s == "run" || s == "check" || s == "fmt" || s == "batch" || s == "test" || s == "diff" || s == "schema" ||
         s == "what-if" || s == "init" || s == "new" || s == "help" || s == "list";
}

const std::vector<std::string> kSubcommands = {"run",    "check", "fmt", "batch", "test", "diff",
                                               "schema", "init",  "new", "help", "what-if", "list"};

// The option of `arg` ("--explian=x" -> "--explian") when no command of
// `app` knows it, with the nearest known option.
std::optional<std::string> unknown_option_message(const CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> known;
  auto collect = [&](const CLI::App& a) {
    for (const CLI::Option* o : a.get_options()) {
      for (const std::string& l : o->get_lnames()) known.push_back("--" + l);
      for (const std::string& sn : o->get_snames()) known.push_back("-" + sn);
    }
  };
  collect(app);
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) collect(*sub);
  for (const std::string& a : args) {
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-' || (a[1] >= '0' && a[1] <= '9')) continue;  // `-`, `-3`: values
    std::string name = a.substr(0, a.find('='));
    if (name.size() > 1 && name[1] != '-' ) {
      // -v, -vv, -j4, -o FILE: short options are known by their first letter.
      if (std::find(known.begin(), known.end(), name.substr(0, 2)) != known.end()) continue;
    } else if (std::find(known.begin(), known.end(), name) != known.end()) {
      continue;
    }
    std::string msg = "unknown option `" + name + "`";
    if (auto best = did_you_mean(name, known)) msg += "; did you mean `" + *best + "`?";
    return msg;
  }
  return std::nullopt;
}

// Every command's options as the command line sets them, with the parser
// that sets them (it points into this object, which therefore stays put).
struct Parsed {
  std::unique_ptr<CLI::App> app;
  int verbosity = 0;
  std::string kb_dir;
  bool no_cache = false;
  RunOptions run;
  RunOptions list;
  bool list_csv = false;
  CheckOptions check;
  bool no_analysis = false;
  FmtOptions fmt;
  BatchOptions batch;
  bool no_timing = false, progress_on = false, progress_off = false;
  TestOptions test;
  DiffOptions diff;
  WhatIfCliOptions whatif;
  InitOptions init;
  NewOptions scaffold;
  SchemaOptions schema;
  // Null for a command `make_parser` left out.
  CLI::App *run_cmd = nullptr, *list_cmd = nullptr, *check_cmd = nullptr, *fmt_cmd = nullptr, *batch_cmd = nullptr,
           *test_cmd = nullptr, *diff_cmd = nullptr, *whatif_cmd = nullptr, *init_cmd = nullptr, *new_cmd = nullptr,
           *schema_cmd = nullptr;
};

// The parser of the top-level options and of command `only`, or of every
// command when `only` is empty. Building a command's options is most of the
// parser's cost (CLI11 makes each option's names, checks and callbacks), and
// a run uses one command: main() builds that one, and every command only for
// help, for a mistake (whose message may name any command's options) or when
// the words do not say which command it is.
std::unique_ptr<Parsed> make_parser(const std::string& only) {
  auto owned = std::make_unique<Parsed>();
  Parsed& p = *owned;
  // Named here, not from argv[0], so that help reads `advise` wherever it is installed.
  p.app = std::make_unique<CLI::App>("advise: explainable residency-application strategy for US-citizen IMGs", "advise");
  CLI::App& app = *p.app;
  auto want = [&](const char* name) { return only.empty() || only == name; };
  app.fallthrough();  // `advise batch -v x.jsonl`: the top-level options work after a command too
  app.set_version_flag("-V,--version", std::string("advise ") + ADVISE_VERSION);
  app.require_subcommand(0, 1);
  app.footer(
      "\nCommands: run (default), check, fmt, batch, test, diff, what-if, list, schema, init, new. `advise COMMAND --help` "
      "for each.\n"
      "Exit codes: 0 ok; 1 findings or failures (errors in rules, failed cases); 2 bad usage or bad input;\n"
      "3 out of memory.");
  int& verbosity = p.verbosity;
  std::string& kb_dir = p.kb_dir;
  app.add_flag("-v,--verbose", verbosity, "Log what Advise does to stderr (-vv for more)");
  app.add_option("--kb", kb_dir, "Knowledge-base data directory (default: the bundled kb/)");
  bool& no_cache = p.no_cache;
  app.add_flag("--no-cache", no_cache, "Neither read nor write the start-up cache of the checked rules");

  if (want("run")) {
    RunOptions& run = p.run;
    auto* run_cmd = p.run_cmd = app.add_subcommand("run", "Advise one applicant: read a profile, print the report (the default command)");
    run_cmd->add_option("profile", run.profile, "Profile JSON file, or - for stdin")->required();
    run_cmd->add_flag("--explain", run.explain, "Show how each conclusion was reached: rules, guide sections, your values");
    run_cmd->add_option("--why-not", run.why_not,
                        "Explain why a conclusion value or recommendation was not reached (e.g. strategy=single, "
                        "dual_application)");
    run_cmd->add_flag("--trace", run.trace, "Show every rule firing in order, with what it changed");
    run_cmd->add_option("--format", run.format, "text, json, markdown, dot or html")
        ->check(CLI::IsMember({"text", "json", "markdown", "dot", "html"}));
    run_cmd->add_option("--for", run.view,
                        "Who reads the report: applicant (the default of markdown and html: plain words, the summary "
                        "first, advice for their stage) or advisor (the default of text, json and dot: everything)")
        ->check(CLI::IsMember({"applicant", "advisor"}));
    run_cmd->add_option("--rules", run.rules, "A rule file or directory; repeat for more (default: the bundled rules)")
        ->allow_extra_args(false);
    run_cmd->add_option("-o,--output", run.output, "Write the report to FILE (atomically) instead of stdout");
    run_cmd->add_option("--max-firings", run.max_firings, "Stop a runaway rule set after N repeated firings (default 1000)")
        ->check(CLI::Range(1, kMaxFiringsCap));
    run_cmd->add_option("--facts", run.facts,
                        "Facts of the rules' templates: FILE.json, FILE.fct, or TEMPLATE=FILE.csv; repeat for more")
        ->allow_extra_args(false);
    run_cmd->add_option("--catalog", run.catalogs,
                        "A program catalog (CSV or JSON, docs/catalog.md): adds your program list to the report; "
                        "repeat for more")
        ->allow_extra_args(false);
    run_cmd->add_option("--strategy", run.strategy, "Conflict resolution: advise, depth, breadth, lex or mea (default: the rules')")
        ->check(CLI::IsMember({"advise", "depth", "breadth", "lex", "mea"}));
    run_cmd->footer(kRunExamples);
  }
  if (want("list")) {
    RunOptions& list = p.list;
    bool& list_csv = p.list_csv;
    auto* list_cmd = p.list_cmd = app.add_subcommand(
        "list", "The applicant's program list as CSV, for a spreadsheet (needs --catalog; docs/catalog.md)");
    list_cmd->add_option("profile", list.profile, "Profile JSON file, or - for stdin")->required();
    list_cmd->add_option("--catalog", list.catalogs, "A program catalog (CSV or JSON); repeat for more")
        ->required()
        ->allow_extra_args(false);
    list_cmd->add_option("--format", list.format, "csv (the only format so far)")->check(CLI::IsMember({"csv"}));
    list_cmd->add_flag("--csv", list_csv, "The same as --format csv");
    list_cmd->add_option("--rules", list.rules, "A rule file or directory; repeat for more (default: the bundled rules)")
        ->allow_extra_args(false);
    list_cmd->add_option("-o,--output", list.output, "Write the CSV to FILE (atomically) instead of stdout");
    list_cmd->footer(
        "\nOne row per program of the list: id, name, institution, city, state, specialty, track, tier, signal,\n"
        "contingency, and its reasons (each rule's description, values, source and name). A list drawn from a\n"
        "catalog with a fictitious program starts with a `#` comment line saying so.\n\n"
        "Examples:\n  advise list --catalog examples/catalog/programs.csv examples/profiles/example.json > list.csv\n");
  }
  if (want("check")) {
    CheckOptions& check = p.check;
    auto* check_cmd = p.check_cmd = app.add_subcommand("check", "Check rule files: syntax, names, types, ranges; for rule authors");
    check_cmd->add_option("paths", check.paths, "Files or directories (default: the bundled rules)");
    check_cmd->add_option("--format", check.format, "text or json")->check(CLI::IsMember({"text", "json"}));
    check_cmd->add_flag("--strict", check.strict, "Make every warning an error (exit 1), for CI");
    bool& no_analysis = p.no_analysis;
    check_cmd->add_flag("--no-analysis", no_analysis,
                        "Check each rule alone: skip the analysis of conflicts, dead rules, loops and texts");
    check_cmd->footer(kCheckExamples);
  }
  if (want("fmt")) {
    FmtOptions& fmt = p.fmt;
    auto* fmt_cmd = p.fmt_cmd = app.add_subcommand("fmt", "Rewrite rule files in the one canonical layout, keeping every comment");
    fmt_cmd->add_option("paths", fmt.paths, "Files or directories, or - for stdin (default: the bundled rules)");
    fmt_cmd->add_flag("--check", fmt.check, "Write nothing; exit 1 when a file would change");
    fmt_cmd->footer(kFmtExamples);
  }
  if (want("batch")) {
    BatchOptions& batch = p.batch;
    auto* batch_cmd = p.batch_cmd = app.add_subcommand("batch", "Advise many applicants: JSON Lines in, JSON Lines out, in input order");
    batch_cmd->add_option("input", batch.input, "JSON Lines file, or - for stdin (default)");
    batch_cmd->add_option("--rules", batch.rules, "A rule file or directory; repeat for more (default: the bundled rules)")
        ->allow_extra_args(false);
    batch_cmd->add_option("--catalog", batch.catalogs,
                          "A program catalog (CSV or JSON, docs/catalog.md), read once for every applicant; repeat for more")
        ->allow_extra_args(false);
    batch_cmd->add_option("-j,--jobs", batch.jobs, "Threads; 0 = every core (output order is kept)")
        ->check(CLI::Range(0, 1024));
    batch_cmd->add_option("-o,--output", batch.output, "Write the results to FILE (atomically) instead of stdout");
    batch_cmd->add_flag("--rules-once", batch.rules_once,
                        "Write every rule's name, description, guide section, file and line once, on a first line, "
                        "and name rules in the records (batch format 2, report schema 2)");
    bool& no_timing = p.no_timing;
    batch_cmd->add_flag("--no-timing", no_timing, "Leave the elapsed time out of the summary (for reproducible logs)");
    bool& progress_on = p.progress_on;
    bool& progress_off = p.progress_off;
    batch_cmd->add_flag("--progress", progress_on,
                        "Show progress on stderr (lines done of the total, refused, lines/s) even when it is not a terminal");
    batch_cmd->add_flag("--no-progress", progress_off, "Never show progress (the default shows it when stderr is a terminal)");
    batch_cmd->footer(kBatchExamples);
  }
  if (want("test")) {
    TestOptions& test = p.test;
    auto* test_cmd = p.test_cmd = app.add_subcommand("test", "Run regression cases: expected advice for example profiles");
    test_cmd->add_option("paths", test.paths, "Case files or directories (default: the bundled tests/cases)");
    test_cmd->add_option("--rules", test.rules, "A rule file or directory; repeat for more (default: the bundled rules)")
        ->allow_extra_args(false);
    test_cmd->add_flag("--update", test.update, "Write the current outcomes into the expectations, for review in the diff");
    test_cmd->add_flag("--coverage", test.coverage, "Report rules no case fired and conditions not seen both ways");
    test_cmd->add_option("--coverage-format", test.coverage_format, "text or json")
        ->check(CLI::IsMember({"text", "json"}));
    test_cmd->add_option("--min-coverage", test.min_coverage, "Fail below N percent of rules fired")
        ->check(CLI::Range(0.0, 100.0));
    test_cmd->add_option("--junit", test.junit, "Write JUnit XML results to FILE");
    test_cmd->footer(kTestExamples);
  }
  if (want("diff")) {
    DiffOptions& diff = p.diff;
    auto* diff_cmd = p.diff_cmd = app.add_subcommand("diff", "Show whose advice changes between two rule sets, and why");
    diff_cmd->add_option("--old", diff.old_rules, "The old rules (files or directories)")->allow_extra_args(false);
    diff_cmd->add_option("--new", diff.new_rules, "The new rules (files or directories)")->allow_extra_args(false);
    diff_cmd->add_option("profiles", diff.profiles,
                         "Profiles to compare (files or folders of .json); or OLD NEW PROFILE..., told apart by content")
        ->required();
    diff_cmd->add_option("--format", diff.format, "text or json")->check(CLI::IsMember({"text", "json"}));
    diff_cmd->footer(kDiffExamples);
  }
  if (want("what-if")) {
    WhatIfCliOptions& whatif = p.whatif;
    auto* whatif_cmd = p.whatif_cmd = app.add_subcommand(
        "what-if", "The smallest changes of a profile's actionable fields that reach a goal, each verified");
    whatif_cmd->add_option("goal", whatif.goal, "strategy=single, a conclusion, a recommendation id or a rule")->required();
    whatif_cmd->add_option("profile", whatif.profile, "Profile JSON file, or - for stdin")->required();
    whatif_cmd->add_option("--format", whatif.format, "text, json or markdown")
        ->check(CLI::IsMember({"text", "json", "markdown"}));
    whatif_cmd->add_option("--max-alternatives", whatif.max_alternatives, "At most N change sets (default 3)")
        ->check(CLI::Range(1, 20));
    whatif_cmd->add_option("--max-fields", whatif.max_fields, "At most N fields changed together (default 6)")
        ->check(CLI::Range(1, 8));
    whatif_cmd->add_option("--actionable", whatif.actionable, "Treat FIELD as actionable for this run; repeatable")
        ->allow_extra_args(false);
    whatif_cmd->add_option("--fixed", whatif.fixed, "Treat FIELD as fixed for this run; repeatable")->allow_extra_args(false);
    whatif_cmd->add_option("--rules", whatif.rules, "A rule file or directory; repeat for more (default: the bundled rules)")
        ->allow_extra_args(false);
    whatif_cmd->add_option("-o,--output", whatif.output, "Write the answer to FILE (atomically) instead of stdout");
    whatif_cmd->add_option("--catalog", whatif.catalogs,
                           "A program catalog (CSV or JSON, docs/catalog.md), for goals `program=ID` (on the list) and "
                           "`program=ID:TIER` (that tier or better); repeat for more")
        ->allow_extra_args(false);
    whatif_cmd->add_option("--max-firings", whatif.max_firings, "Stop a runaway rule set after N repeated firings (default 1000)")
        ->check(CLI::Range(1, kMaxFiringsCap));
    whatif_cmd->footer(kWhatIfExamples);
  }
  if (want("init")) {
    InitOptions& init = p.init;
    auto* init_cmd = p.init_cmd = app.add_subcommand("init", "Start a project in a new folder from the bundled rules and cases");
    init_cmd->add_option("dir", init.dir, "The new folder")->required();
    init_cmd->footer(kInitExamples);
  }
  if (want("new")) {
    NewOptions& scaffold = p.scaffold;
    auto* new_cmd = p.new_cmd = app.add_subcommand(
        "new", "Write the files of a new specialty, rule or case in the project, ready for `check` and `test`");
    new_cmd->add_option("what", scaffold.what, "specialty, rule or case")
        ->required()
        ->check(CLI::IsMember({"specialty", "rule", "case"}));
    new_cmd->add_option("name", scaffold.name, "Its id: letters a-z, digits and _ (e.g. urology)")->required();
    new_cmd->add_option("--name", scaffold.display, "specialty: the display name (default: from the id)");
    new_cmd->add_option("--class", scaffold.klass, "specialty: ultra, competitive, moderate or accessible (default moderate)")
        ->check(CLI::IsMember({"ultra", "competitive", "moderate", "accessible"}));
    new_cmd->footer(kNewExamples);
  }
  if (want("schema")) {
    auto* schema_cmd = p.schema_cmd = app.add_subcommand(
        "schema", "Print the JSON Schema of profiles (draft 2020-12), for editors to validate profiles as you type");
    schema_cmd->footer(kSchemaExamples);
  }
  return owned;
}

}  // namespace

int run_command(const std::string& command, const std::function<int()>& body, std::ostream& err) {
  set_aside_reserve();
  try {
    return body();
  } catch (const std::bad_alloc&) {
    err << "advise: out of memory while running `advise " << command << "`; " << memory_hint(command)
        << " (docs/cli.md, \"Limits\")\n";
    return kExitOutOfMemory;
  } catch (const std::exception& e) {
    err << "advise: internal error: " << e.what() << "\n";
    return kExitUsage;
  }
}

int main(int argc, char** argv) {
  // `advise [options] PROFILE` is `advise run [options] PROFILE`.
  std::vector<std::string> args(argv + 1, argv + argc);
  // The top-level options (-v, --kb DIR) may come first: `advise -v --kb kb
  // profile.json` and `advise -v batch x.jsonl`. `run` goes in after them.
  std::size_t first = 0;
  while (first < args.size()) {
    const std::string& a = args[first];
    if (a == "--kb") {
      first += 2;
    } else if (a.rfind("--kb=", 0) == 0 || a == "--verbose" || a == "--no-cache" || (a.size() >= 2 && a[0] == '-' && a.find_first_not_of('v', 1) == std::string::npos)) {
      ++first;
    } else {
      break;
    }
  }
  first = std::min(first, args.size());
  if (first < args.size()) {
    const std::string& a = args[first];
    bool top_level_only = a == "--version" || a == "-V" || a == "--help" || a == "-h";
    if (a == "help") {
      // `advise help` is `advise --help`; `advise help batch` is `advise batch --help`.
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(first));
      if (first < args.size() && is_subcommand(args[first]) && args[first] != "help")
        args.insert(args.begin() + static_cast<std::ptrdiff_t>(first) + 1, "--help");
      else
        args.insert(args.begin() + static_cast<std::ptrdiff_t>(first), "--help");
    } else if (!is_subcommand(a) && !top_level_only) {
      // `advise tset`: a word that is no file but nearly a command.
      std::error_code ec;
      if (a[0] != '-' && a.find('/') == std::string::npos && !std::filesystem::exists(a, ec)) {
        if (auto best = did_you_mean(a, kSubcommands)) {
          std::cerr << "advise: `" << a << "` is neither a command nor a file; did you mean `advise " << *best
                    << "`?\nRun `advise --help` for usage.\n";
          return kExitUsage;
        }
      }
      args.insert(args.begin() + static_cast<std::ptrdiff_t>(first), "run");
    }
  }

  // The one command named, when no other word could be a command or ask for
  // help or the version (make_parser): else every command.
  std::string only;
  if (first < args.size() && is_subcommand(args[first]) && args[first] != "help") {
    only = args[first];
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if ((i != first && is_subcommand(a)) || a == "--help" || a == "-h" || a == "--version" || a == "-V") only.clear();
    }
  }
  std::vector<const char*> cargv;
  cargv.push_back(argv[0]);
  for (const std::string& a : args) cargv.push_back(a.c_str());
  std::unique_ptr<Parsed> parsed;
  if (!only.empty()) {
    parsed = make_parser(only);
    try {
      parsed->app->parse(static_cast<int>(cargv.size()), const_cast<char**>(cargv.data()));
    } catch (const CLI::Error&) {
      parsed.reset();  // parsed again below with every command, for the same message
    }
  }
  if (!parsed) {
    parsed = make_parser("");
    CLI::App& app = *parsed->app;
    try {
      app.parse(static_cast<int>(cargv.size()), const_cast<char**>(cargv.data()));
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      std::optional<std::string> unknown;
      if (dynamic_cast<const CLI::ExtrasError*>(&e)) unknown = unknown_option_message(app, args);
      if (unknown)
        std::cerr << "advise: " << *unknown << "\n";
      else
        std::cerr << "advise: " << e.what() << "\n";
      std::cerr << "Run `advise --help` for usage.\n";
      return kExitUsage;
    }
  }
  // In the `advise` executable the parser is left for the process's end to
  // reclaim, like the rules (app/startup_cache.hpp); in the tests it is freed.
  struct KeepParsed {
    std::unique_ptr<Parsed>& parsed;
    ~KeepParsed() { keep_until_exit(std::shared_ptr<const void>(std::move(parsed))); }
  } keep_parsed{parsed};
  Parsed& p = *parsed;
  CLI::App& app = *p.app;
  int verbosity = p.verbosity;
  const std::string& kb_dir = p.kb_dir;
  RunOptions& run = p.run;
  RunOptions& list = p.list;
  CheckOptions& check = p.check;
  FmtOptions& fmt = p.fmt;
  BatchOptions& batch = p.batch;
  TestOptions& test = p.test;
  DiffOptions& diff = p.diff;
  WhatIfCliOptions& whatif = p.whatif;
  InitOptions& init = p.init;
  NewOptions& scaffold = p.scaffold;
  SchemaOptions& schema = p.schema;
  auto invoked = [](const CLI::App* cmd) { return cmd != nullptr && static_cast<bool>(*cmd); };
  setup_logging(verbosity);
  if (p.no_cache) disable_startup_cache();
  // The heap in huge pages before the command allocates (app/heap.hpp),
  // sized by the catalogs of a command that reads some. The out-of-memory
  // reserve first: set aside after, it would be carved out of the huge-page
  // range (glibc serves a block from the heap's free top, whatever its
  // size), and the records past it would lie in 4 KiB pages.
  set_aside_reserve();
  const std::vector<std::string>* catalogs = invoked(p.run_cmd)      ? &run.catalogs
                                             : invoked(p.list_cmd)   ? &list.catalogs
                                             : invoked(p.batch_cmd)  ? &batch.catalogs
                                             : invoked(p.whatif_cmd) ? &whatif.catalogs
                                                                     : nullptr;
  prepare_heap_for(catalogs ? catalog_bytes(*catalogs) : 0);
  if (args.empty()) {
    std::cout << app.help();
    return kExitUsage;
  }
  if (invoked(p.run_cmd)) {
    run.kb_dir = kb_dir;
    run.color = run.output.empty() && use_color(STDOUT_FILENO);
    return run_command("run", [&] { return cmd_run(run, std::cout, std::cerr); }, std::cerr);
  }
  if (invoked(p.list_cmd)) {
    list.kb_dir = kb_dir;
    list.format = "csv";
    (void)p.list_csv;  // --csv and --format csv are the one format
    return run_command("list", [&] { return cmd_run(list, std::cout, std::cerr); }, std::cerr);
  }
  if (invoked(p.check_cmd)) {
    check.kb_dir = kb_dir;
    check.analysis = !p.no_analysis;
    check.verbose = verbosity > 0;
    return run_command("check", [&] { return cmd_check(check, std::cout, std::cerr); }, std::cerr);
  }
  if (invoked(p.fmt_cmd)) return run_command("fmt", [&] { return cmd_fmt(fmt, std::cout, std::cerr); }, std::cerr);
  if (invoked(p.batch_cmd)) {
    batch.kb_dir = kb_dir;
    if (p.progress_on && p.progress_off) {
      std::cerr << "advise batch: `--progress` and `--no-progress` contradict each other; give one\n";
      return kExitUsage;
    }
    batch.progress = p.progress_on || (!p.progress_off && isatty(STDERR_FILENO) != 0);
    batch.timing = !p.no_timing;
    return run_command("batch", [&] { return cmd_batch(batch, std::cout, std::cerr); }, std::cerr);
  }
  if (invoked(p.test_cmd)) {
    test.kb_dir = kb_dir;
    return run_command("test", [&] { return cmd_test(test, std::cout, std::cerr); }, std::cerr);
  }
  if (invoked(p.schema_cmd)) {
    schema.kb_dir = kb_dir;
    return run_command("schema", [&] { return cmd_schema(schema, std::cout, std::cerr); }, std::cerr);
  }
  if (invoked(p.whatif_cmd)) {
    whatif.kb_dir = kb_dir;
    return run_command("what-if", [&] { return cmd_whatif(whatif, std::cout, std::cerr); }, std::cerr);
  }
  if (invoked(p.init_cmd)) return run_command("init", [&] { return cmd_init(init, std::cout, std::cerr); }, std::cerr);
  if (invoked(p.new_cmd)) {
    scaffold.kb_dir = kb_dir;
    return run_command("new", [&] { return cmd_new(scaffold, std::cout, std::cerr); }, std::cerr);
  }
  if (invoked(p.diff_cmd)) {
    diff.kb_dir = kb_dir;
    return run_command("diff", [&] { return cmd_diff(diff, std::cout, std::cerr); }, std::cerr);
  }
  std::cout << app.help();
  return kExitUsage;
}

}  // namespace advise::cli
