// advise: the command-line tool. All work happens in advise_cli (app/cli.hpp).
#include "app/cli.hpp"
#include "app/startup_cache.hpp"

int main(int argc, char** argv) {
  advise::cli::keep_loaded_until_exit();  // the process ends right after: no need to free the rules
  return advise::cli::main(argc, argv);
}
