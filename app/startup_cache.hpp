// The start-up cache of the checked rules and the knowledge base (dsl/rule_cache.hpp,
// docs/engine.md "Start-up", docs/cli.md): where it is and whether it is used.
#pragma once

#include <memory>
#include <string>

namespace advise::cli {

// `--no-cache`: this process neither reads nor writes the cache.
void disable_startup_cache();

// The cache folder: $ADVISE_CACHE_DIR, else $XDG_CACHE_HOME/advise, else
// $HOME/.cache/advise; empty when the cache is off (`--no-cache`,
// ADVISE_NO_CACHE set to anything but empty or 0, or no such folder can be named).
std::string startup_cache_dir();

// The `advise` executable's main: what commands load for the whole process
// (the rule set, the kb) is left for the system to reclaim at exit instead of
// being freed piece by piece (a million instructions for the bundled rules).
// Not called by the tests, which run many commands in one process.
void keep_loaded_until_exit();
// Whether keep_loaded_until_exit() was called; then `p` is kept alive (and
// reachable, so leak checkers stay quiet) until the process ends.
void keep_until_exit(std::shared_ptr<const void> p);

// What identifies this executable's build: its GNU build id, else its size,
// time and inode.
std::string binary_id();

}  // namespace advise::cli
