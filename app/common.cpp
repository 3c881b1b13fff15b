#include "app/common.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace advise::cli {

namespace fs = std::filesystem;

std::string data_dir() {
  if (const char* home = std::getenv("ADVISE_HOME"); home && *home) return home;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "advise";
    if (fs::exists(installed / "kb" / "schema.json", ec)) return installed.string();
  }
  if (fs::exists(fs::path(ADVISE_INSTALL_DATA_DIR) / "kb" / "schema.json", ec)) return ADVISE_INSTALL_DATA_DIR;
  return ADVISE_SOURCE_DATA_DIR;
}

std::string default_kb_dir() { return data_dir() + "/kb"; }
std::string default_rules_dir() { return data_dir() + "/rules"; }

std::shared_ptr<const KnowledgeBase> load_kb_or_report(const std::string& kb_dir, std::ostream& err) {
  std::vector<DataError> errors;
  auto kb = load_knowledge_base(kb_dir, errors);
  if (!kb) {
    for (const auto& e : errors) err << e.text() << "\n";
    err << "advise: cannot load the knowledge base from " << kb_dir << "\n";
    return nullptr;
  }
  return std::make_shared<const KnowledgeBase>(std::move(*kb));
}

std::string bundled_rules_path() {
  std::string dir = default_rules_dir();
  std::error_code ec;
  std::filesystem::path cwd = std::filesystem::current_path(ec);
  if (ec) return dir;
  std::filesystem::path rel = std::filesystem::path(dir).lexically_normal().lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return dir;
  return rel.string();
}

std::optional<Loaded> load_rules_or_report(const std::vector<std::string>& paths, const std::string& kb_dir,
                                           std::ostream& err) {
  Loaded l;
  l.kb = load_kb_or_report(kb_dir, err);
  if (!l.kb) return std::nullopt;
  l.sources = std::make_shared<SourceManager>();
  auto rs = load_rule_set(paths, l.kb, l.sources, l.diags);
  if (!rs) {
    Diagnostics errors_only;
    err << render_text(*l.sources, l.diags);
    err << "advise: the rules have " << l.diags.error_count() << " error"
        << (l.diags.error_count() == 1 ? "" : "s") << "; run `advise check` on them for details\n";
    return std::nullopt;
  }
  l.rules = std::make_shared<const RuleSet>(std::move(*rs));
  return l;
}

bool read_input(const std::string& path, std::size_t limit, std::string& out, std::string& error) {
  if (path == "-") {
    // Read at most limit + 1 bytes: an endless input is refused, not buffered.
    out.clear();
    char buf[1 << 16];
    while (out.size() <= limit && std::cin.read(buf, sizeof buf).gcount() > 0)
      out.append(buf, static_cast<std::size_t>(std::cin.gcount()));
    if (out.size() > limit) {
      out.clear();
      error = "standard input is larger than the limit of " + std::to_string(limit) + " bytes";
      if (limit % (std::size_t{1} << 20) == 0) error += " (" + std::to_string(limit >> 20) + " MiB)";
      return false;
    }
    return true;
  }
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    error = path + ": is a directory; give a file";
    return false;
  }
  if (!fs::exists(path, ec)) {
    error = path + ": no such file";
    return false;
  }
  auto size = fs::file_size(path, ec);
  if (ec) {
    error = path + ": cannot read: " + ec.message();
    return false;
  }
  if (size > limit) {
    error = path + ": the file is " + std::to_string(size) + " bytes; the limit is " + std::to_string(limit) + " bytes";
    if (limit % (std::size_t{1} << 20) == 0) error += " (" + std::to_string(limit >> 20) + " MiB)";
    return false;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = path + ": cannot open the file";
    return false;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

bool use_color(int fd) {
  const char* no = std::getenv("NO_COLOR");
  if (no && *no) return false;
  return isatty(fd) != 0;
}

}  // namespace advise::cli
