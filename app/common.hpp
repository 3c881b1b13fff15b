// Shared plumbing of the commands: where the bundled knowledge base is,
// loading it, loading and checking rules, reading inputs.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/atomic_file.hpp"
#include "dsl/checker.hpp"
#include "engine/engine.hpp"
#include "kb/knowledge_base.hpp"

namespace advise::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitOutOfMemory = 3;  // an allocation failed (app/cli.cpp run_command)

// A project: a folder holding `rules/` with at least one `.rules` file in it
// (and optionally `kb/` with its own schema.json, and `tests/cases/`). The
// nearest one at `start` or above it, as git finds its repository; nothing
// when there is none.
std::optional<std::string> find_project(const std::string& start);

// Where the rules, kb and cases come from when no path is given: the project
// around the current directory, else $ADVISE_HOME, else the installed
// share/advise next to the executable, else the source tree it was built from.
struct DataSource {
  std::string dir;
  std::string origin;  // "project", "$ADVISE_HOME" or "bundled"
};
DataSource data_source();

// $ADVISE_HOME, else the installed data, else the source tree: what a
// project starts from (`advise init`).
std::string bundled_data_dir();

// The directory holding kb/ and rules/ (data_source().dir).
std::string data_dir();
// The project's kb/ when it has a schema.json, else the one of $ADVISE_HOME
// or the bundled data: a project may keep the bundled knowledge base.
std::string default_kb_dir();
std::string default_rules_dir();
// A path named relative to the current directory when it is under it.
std::string shown_path(const std::string& path);
// The bundled rules (default_rules_dir()), named relative to the current
// directory when they are under it, so that reports cite
// `rules/step5_application.rules:12` rather than an absolute path.
std::string bundled_rules_path();

struct Loaded {
  std::shared_ptr<const KnowledgeBase> kb;
  std::shared_ptr<SourceManager> sources;
  std::shared_ptr<const RuleSet> rules;
  Diagnostics diags;
};

// Loads the knowledge base from `kb_dir`; prints problems to `err`.
std::shared_ptr<const KnowledgeBase> load_kb_or_report(const std::string& kb_dir, std::ostream& err);

// Loads and checks rules; on errors prints the diagnostics to `err` and
// returns nothing. Warnings are kept in `diags`, not printed.
std::optional<Loaded> load_rules_or_report(const std::vector<std::string>& paths, const std::string& kb_dir,
                                           std::ostream& err);

// Reads a whole file ("-" = stdin) with a size limit: the one function every
// command reads its inputs with. Only regular files are read (a directory, a
// device, a pipe or a socket is refused without being opened, so a FIFO never
// blocks and /dev/zero is never read). On failure returns false and sets
// `error` to what went wrong, without the file's name (the caller shows it):
// "no such file", "cannot open the file: permission denied", "is a directory;
// give GIVE", "the file is N bytes; the limit is ...". `stamp`, when given,
// receives the file's identity as read (for standard input, when it is a
// regular file), so that outputs can refuse to overwrite it.
// `failure`, when given, receives which kind of failure it was, so that a
// caller never tells them apart by the message's words.
enum class ReadFailure : std::uint8_t { None, NotFound, TooLarge, Other };
bool read_input(const std::string& path, std::size_t limit, std::string& out, std::string& error,
                std::optional<FileStamp>* stamp = nullptr, std::string_view give = "a file",
                ReadFailure* failure = nullptr);

// Reads a profile's text (`path`, "-" = stdin, shown as `shown`) with the
// profile size limit; refuses an empty or blank input. On failure prints
// `FILE: error: ...` to `err` and returns false.
bool read_profile(const std::string& path, const std::string& shown, std::string& text, std::optional<FileStamp>& stamp,
                  std::ostream& err);

// Writes `data` to `out`; when `out` is std::cout, straight to file
// descriptor 1, so that a failure says why ("no space left on the device",
// "the reading end of the pipe was closed (broken pipe)"). False with
// `error` set to that reason.
bool write_output(std::ostream& out, std::string_view data, std::string& error);

// A command's rendered result to standard output (`path` empty) or
// atomically to `path` (`-o`); on failure `FILE: error: cannot write the
// WHAT: reason` on `err` and false. `what`: "report", "answer".
bool deliver(std::ostream& out, std::ostream& err, const std::string& path, std::string_view rendered,
             const std::string& what, const WriteOptions& options = {});

// As deliver, for a result written as it is made: `render` writes it to the
// stream it is given, which hands it on in chunks of 64 KiB (to standard
// output, or to the temporary file of `-o`), so that the whole text is never
// held in memory. The same bytes, the same checks of `path` (before anything
// is rendered) and the same messages as deliver; after a failed write the
// rest of the rendering is dropped.
bool deliver_streamed(std::ostream& out, std::ostream& err, const std::string& path,
                      const std::function<void(std::ostream&)>& render, const std::string& what,
                      const WriteOptions& options = {});

// For a path that does not exist: "; did you mean `examples/profiles/example.json`?"
// when its folder holds a name one or two edits away, else "".
std::string path_suggestion(const std::string& path);

// True when `stream` is a terminal and NO_COLOR is not set.
bool use_color(int fd);

}  // namespace advise::cli
