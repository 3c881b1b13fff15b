// advise fmt [--check] [PATH...]: rewrite rule files in the canonical layout.
//
// Exit 0 when every file is formatted (or, with --check, would not change);
// 1 when a file has syntax errors (it is left alone) or, with --check, would
// change; 2 when a path is missing, a directory holds no `.rules` file, or a
// file cannot be read or replaced (docs/fmt.md, "Which files are rewritten").
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "app/atomic_file.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "dsl/parser.hpp"
#include "dsl/printer.hpp"

namespace advise::cli {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> expand(const std::vector<std::string>& paths, std::ostream& err, bool& ok) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (p != "-" && fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      auto it = fs::recursive_directory_iterator(p, ec);
      for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file() && it->path().extension() == ".rules") found.push_back(it->path().string());
      if (ec) {
        err << p << ": error: cannot list the directory: " << os_reason(ec.value()) << "\n";
        ok = false;
        continue;
      }
      if (found.empty()) {
        err << p << ": error: the directory holds no `.rules` files; nothing to format\n";
        ok = false;
        continue;
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (p != "-" && fs::symlink_status(p, ec).type() == fs::file_type::not_found) {
      // Only a path that is not there: one that cannot be looked at is read,
      // and reading says why (permission denied).
      err << p << ": error: no such file or directory\n";
      ok = false;
    } else {
      files.push_back(p);
    }
  }
  return files;
}

}  // namespace

int cmd_fmt(const FmtOptions& o, std::ostream& out, std::ostream& err) {
  bool ok = true;
  std::vector<std::string> files = expand(o.paths.empty() ? std::vector<std::string>{default_rules_dir()} : o.paths, err, ok);
  if (!ok) return kExitUsage;
  int changed = 0, failed = 0, unusable = 0;
  for (const std::string& path : files) {
    std::string text, error;
    std::optional<FileStamp> stamp;
    if (!read_input(path, kMaxSourceBytes, text, error, &stamp, "a rule file")) {
      err << (path == "-" ? "<stdin>" : path) << ": error: " << error << "\n";
      ++unusable;
      continue;
    }
    SourceManager sm;
    Diagnostics diags;
    std::uint32_t id = sm.add(path == "-" ? "<stdin>" : path, text);
    if (!check_encoding(sm, id, diags)) {
      err << render_text(sm, diags);
      ++failed;
      continue;
    }
    ast::File f = parse_source(sm, id, diags);
    if (diags.has_errors()) {
      // Never rewrite a file that does not parse: items with errors would be lost.
      diags.sort();
      err << render_text(sm, diags);
      err << path << ": not formatted, fix the errors first\n";
      ++failed;
      continue;
    }
    std::string formatted = format_file(f, sm);
    if (path == "-") {
      if (o.check) {
        if (formatted != text) ++changed;
      } else {
        out << formatted;
      }
      continue;
    }
    if (formatted == text) continue;
    ++changed;
    if (o.check) {
      out << path << ": would be reformatted\n";
      continue;
    }
    // Replaced only if it is still the file that was read: an edit made
    // meanwhile is kept, not overwritten.
    WriteOptions wo;
    wo.unchanged_since = stamp;
    if (!write_file_atomically(path, formatted, error, wo)) {
      err << path << ": error: not formatted: " << error << "\n";
      ++unusable;
      continue;
    }
    out << path << ": formatted\n";
  }
  if (unusable) return kExitUsage;
  if (failed) return kExitFindings;
  if (o.check && changed) return kExitFindings;
  return kExitOk;
}

}  // namespace advise::cli
