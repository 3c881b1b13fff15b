// Compiling a suite of regression cases against a checked rule set: case
// files parsed (cases/syntax.hpp), profiles and catalogs read, every
// expectation compiled with check_condition. Problems go to a Diagnostics
// sink; nothing prints or exits.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cases/syntax.hpp"
#include "dsl/ruleset.hpp"
#include "kb/facts.hpp"
#include "kb/profile.hpp"

namespace advise::cases {

struct CompiledExpectation {
  const Expectation* source = nullptr;
  CExpr condition;           // Condition
  CExpr subject;             // ExplainedBy: a conclusion slot, or MapGet(slot, constant key)
  std::int32_t rule = -1;    // Fired, ExplainedBy
};

struct CompiledCase {
  const Case* source = nullptr;
  std::size_t file = 0;      // index into Suite::files
  std::string file_name;     // as shown
  Profile profile;
  // The case's catalog and the kb's signal allowances (`catalog "FILE"`), as
  // facts; null without a catalog.
  std::shared_ptr<const std::vector<FactRecord>> facts;
  std::vector<CompiledExpectation> expectations;
};

struct Suite {
  std::shared_ptr<const RuleSet> rules;
  std::vector<std::string> file_names;          // as shown, in run order
  std::vector<std::unique_ptr<CaseFile>> files;  // parallel to file_names (stable addresses)
  std::vector<CompiledCase> cases;              // the selected cases, in file order
  // The warnings of the catalogs the cases read (`catalog "FILE"`: a program
  // id whose ACGME codes disagree with its state or specialty, ...), each
  // catalog's once, located in the catalog, in the order the catalogs were
  // first read. They fail no case; the caller shows them.
  std::vector<DataError> catalog_warnings;
  std::size_t expectation_count() const;
};

// What a suite needs from outside the library, given by its caller (the
// command line's is cli::suite_env(), app/cmd_test.cpp): how to read a file,
// and the folders a case may read profiles and catalogs from.
struct FileRead {
  enum class Status : std::uint8_t { Ok, NotFound, TooLarge, Failed };
  Status status = Status::Ok;
  std::string text;   // Ok: the file's contents
  std::string error;  // otherwise: what went wrong, without the file's name ("no such file")
  std::string hint;   // NotFound: "; did you mean `x`?" when a name nearby is close, else empty
};

struct SuiteEnv {
  // Reads a whole file of at most `limit` bytes; `give` says what the file
  // should be, for the error ("a case file"). Null: no file is read (a
  // profile or case given by path is an error).
  std::function<FileRead(const std::string& path, std::size_t limit, std::string_view give)> read;
  // The Advise data directory: cases may read profiles and catalogs under it.
  std::string data_dir;
  // The knowledge base whose signals.json a catalog reads when the rules'
  // knowledge base names no directory.
  std::string default_kb_dir;
  // The project (a folder holding `rules/`) at or above a folder, if any:
  // cases may read profiles and catalogs inside their own project.
  std::function<std::optional<std::string>(const std::string& folder)> find_project;
};

// Reads case files and compiles them against `rules`, whose source manager
// must be `sources` (case files are added to it, so that diagnostics about
// expectations can quote them). A path is a `.cases` file, a directory
// (searched for `*.cases`, sorted), or `FILE:LINE` to select the one case
// around that line. Returns nothing when any file has an error.
std::optional<Suite> load_suite(const std::vector<std::string>& paths, std::shared_ptr<const RuleSet> rules,
                                SourceManager& sources, Diagnostics& diags, const SuiteEnv& env);

// Same, from text already in `sources` (for tests and stdin); without an
// `env`, only inline profiles can be read.
std::optional<Suite> load_suite_from_buffers(const std::vector<std::uint32_t>& file_ids,
                                             std::shared_ptr<const RuleSet> rules, SourceManager& sources,
                                             Diagnostics& diags, const SuiteEnv& env = {});

}  // namespace advise::cases
