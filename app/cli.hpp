#pragma once

namespace advise::cli {
// Runs the command line; returns the exit code (0 ok, 1 findings or
// failures, 2 bad usage or input).
int main(int argc, char** argv);
}  // namespace advise::cli
