// advise fmt [--check] [PATH...]: rewrite rule files in the canonical layout.
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
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        if (it->is_regular_file() && it->path().extension() == ".rules") found.push_back(it->path().string());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (p != "-" && !fs::exists(p, ec)) {
      err << p << ": no such file or directory\n";
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
  int changed = 0, failed = 0;
  for (const std::string& path : files) {
    std::string text, error;
    if (!read_input(path, kMaxSourceBytes, text, error)) {
      err << error << "\n";
      ++failed;
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
    if (!write_file_atomically(path, formatted, error)) {
      err << path << ": " << error << "\n";
      ++failed;
      continue;
    }
    out << path << ": formatted\n";
  }
  if (failed) return kExitFindings;
  if (o.check && changed) return kExitFindings;
  return kExitOk;
}

}  // namespace advise::cli
