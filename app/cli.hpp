#pragma once

#include <functional>
#include <iosfwd>
#include <string>

namespace advise::cli {
// Runs the command line; returns the exit code (0 ok, 1 findings or
// failures, 2 bad usage or input, 3 out of memory).
int main(int argc, char** argv);

// The largest --max-firings: memory stays bounded at about 260 MB for the
// heaviest output (docs/cli.md, "Limits").
inline constexpr int kMaxFiringsCap = 100000;

// Runs the body of command `command` ("run", "batch"...): allocation failure
// anywhere in it becomes "out of memory while running `advise COMMAND`; try
// ..." on `err` and exit 3; any other exception an internal error, exit 2.
int run_command(const std::string& command, const std::function<int()>& body, std::ostream& err);
}  // namespace advise::cli
