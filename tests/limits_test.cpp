// The CLI's limits on memory (docs/cli.md, "Limits"): allocation failure
// anywhere in a command is a clear message with its own exit code (3), and
// at the --max-firings cap the heaviest output stays within a bounded amount
// of memory.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <new>
#include <sstream>
#include <stdexcept>

#include "app/cli.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

TEST_CASE("run_command: allocation failure is `out of memory`, exit 3, with what to try", "[limits]") {
  std::ostringstream err;
  int code = cli::run_command("run", []() -> int { throw std::bad_alloc(); }, err);
  CHECK(code == cli::kExitOutOfMemory);
  CHECK(code == 3);
  CHECK(err.str() ==
        "advise: out of memory while running `advise run`; try a lower `--max-firings`, or leave out `--trace` and "
        "`--explain` (docs/cli.md, \"Limits\")\n");
  std::ostringstream err2;
  CHECK(cli::run_command("batch", []() -> int { throw std::bad_alloc(); }, err2) == 3);
  CHECK(err2.str() == "advise: out of memory while running `advise batch`; try fewer `--jobs` (docs/cli.md, \"Limits\")\n");
}

TEST_CASE("run_command: other exceptions are internal errors, exit 2; a normal return passes through", "[limits]") {
  std::ostringstream err;
  CHECK(cli::run_command("check", []() -> int { throw std::runtime_error("boom"); }, err) == 2);
  CHECK(err.str() == "advise: internal error: boom\n");
  std::ostringstream quiet;
  CHECK(cli::run_command("check", [] { return 1; }, quiet) == 1);
  CHECK(quiet.str().empty());
}

// Address-space limits and ASan's shadow memory do not mix: native builds
// only (GCC says so with __SANITIZE_ADDRESS__, clang with __has_feature).
#if defined(__SANITIZE_ADDRESS__)
#define ADVISE_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ADVISE_TEST_ASAN 1
#endif
#endif
#if !defined(ADVISE_TEST_ASAN)
TEST_CASE("run at the --max-firings cap with json, explain and trace: out of memory is reported, not a crash",
          "[limits]") {
  TempDir d;
  cli::RunOptions o;
  o.kb_dir = std::string(ADVISE_SOURCE_DIR) + "/kb";
  o.rules = {std::string(ADVISE_SOURCE_DIR) + "/tests/golden/run/rules/runaway.rules"};
  o.profile = std::string(ADVISE_SOURCE_DIR) + "/tests/golden/run/rules/applicant.json";
  o.format = "json";
  o.explain = true;
  o.trace = true;
  o.max_firings = cli::kMaxFiringsCap;
  std::string err_file = (d.path / "err.txt").string();
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child: 96 MiB more address space than it has now, well below what
    // this output needs at the cap (about 260 MB).
    std::size_t pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    rlim_t limit = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (rlim_t{96} << 20);
    rlimit rl{limit, limit};
    setrlimit(RLIMIT_AS, &rl);
    std::ostringstream out, err;
    int code = cli::run_command("run", [&] { return cli::cmd_run(o, out, err); }, err);
    std::ofstream(err_file) << err.str();
    _exit(code);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 3);
  CHECK(read_file(err_file) ==
        "advise: out of memory while running `advise run`; try a lower `--max-firings`, or leave out `--trace` and "
        "`--explain` (docs/cli.md, \"Limits\")\n");
}
#endif
