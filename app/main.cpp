// advise: the command-line tool. All work happens in advise_cli (app/cli.hpp).
#include "app/cli.hpp"

int main(int argc, char** argv) { return advise::cli::main(argc, argv); }
