// advise init DIR: start a project (docs/advisor-guide.md, "Your own
// project") from the bundled rules: DIR/rules/, DIR/tests/cases/ and the
// example profiles those cases read, DIR/examples/profiles/. The knowledge
// base stays the bundled one until the project adds its own kb/.
#include <filesystem>
#include <iostream>

#include "app/commands.hpp"
#include "app/common.hpp"
#include "kb/sanitize.hpp"

namespace advise::cli {

namespace fs = std::filesystem;

int cmd_init(const InitOptions& o, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  fs::path dir(o.dir);
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec))) {
    err << "advise init: " << terminal_safe(o.dir)
        << " already exists and is not an empty folder; give a new folder, so that nothing is overwritten\n";
    return kExitUsage;
  }
  // The bundled data, not a project around the current directory.
  std::string from = bundled_data_dir();
  struct Part {
    const char* what;
    const char* sub;
  };
  const Part parts[] = {{"rules", "rules"},
                        {"program-list rules", "catalog"},
                        {"regression cases", "tests/cases"},
                        {"example profiles", "examples/profiles"}};
  for (const Part& p : parts) {
    fs::path src = fs::path(from) / p.sub;
    if (!fs::is_directory(src, ec)) {
      err << "advise init: the bundled " << p.what << " are not at " << terminal_safe(src.string()) << "\n";
      return kExitUsage;
    }
    fs::create_directories(dir / p.sub, ec);
    if (!ec) fs::copy(src, dir / p.sub, fs::copy_options::recursive, ec);
    if (ec) {
      err << "advise init: cannot write " << terminal_safe((dir / p.sub).string()) << ": " << ec.message() << "\n";
      return kExitUsage;
    }
  }
  std::string d = terminal_safe(o.dir);
  out << "advise init: a project in " << d << ", from the bundled rules:\n"
      << "  " << d << "/rules/               the rules (" << d << "/rules/advise.rules includes the others)\n"
      << "  " << d << "/catalog/             the program-list rules (read with --catalog)\n"
      << "  " << d << "/tests/cases/         the regression cases\n"
      << "  " << d << "/examples/profiles/   the profiles the cases read\n"
      << "Inside " << d << ", every command uses these (and the bundled knowledge base until you add " << d
      << "/kb/):\n"
      << "  cd " << d << " && advise check && advise test\n";
  return kExitOk;
}

}  // namespace advise::cli
