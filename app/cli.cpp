#include "app/cli.hpp"

namespace advise::cli {
int main(int, char**) { return 2; }
}  // namespace advise::cli
