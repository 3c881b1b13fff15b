#!/usr/bin/env bash
# Set up Advise on a fresh Debian 12 machine and either show a report or run
# the whole test suite. README.md's two commands are:
#
#   scripts/setup.sh run    # install what is missing, build, advise --explain the example profile
#   scripts/setup.sh test   # install what is missing, build with -Werror, run every test;
#                           # then build with ASan+UBSan and run the suite again
#
# Run as root (or with sudo available) so that apt-get can install packages.
set -euo pipefail
mode="${1:-run}"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)

packages=(g++ cmake ninja-build tao-pegtl-dev libboost-dev libspdlog-dev nlohmann-json3-dev catch2 libcli11-dev)
if [ "$mode" = test ]; then
  packages+=(clang libclang-rt-14-dev)  # libFuzzer smoke runs
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt=(apt-get)
  [ "$(id -u)" -ne 0 ] && apt=(sudo apt-get)
  "${apt[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"
fi

build() {  # dir, extra cmake args...
  local dir="$1"; shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}

suite() {  # dir
  local dir="$1"
  echo "== unit tests, differential tests of PEGTL against X3 included ($dir)"
  "$dir/tests/advise_tests"
  echo "== golden tests ($dir)"
  tests/golden.sh --advise "$dir/app/advise"
  echo "== knowledge-base regression suite, every rule fired ($dir)"
  ADVISE_HOME="$root" "$dir/app/advise" test --coverage --min-coverage 100 tests/cases
  echo "== the knowledge base checks clean, formatted ($dir)"
  ADVISE_HOME="$root" "$dir/app/advise" check rules/
  "$dir/app/advise" fmt --check rules/
  if [ "$dir" = build ] && [ "${ADVISE_SKIP_FUZZ:-0}" != 1 ]; then
    echo "== fuzzing smoke run: each libFuzzer harness for 15 s"
    scripts/fuzz.sh 15
  fi
}

case "$mode" in
  run)
    build build
    echo
    ADVISE_HOME="$root" build/app/advise --explain examples/profiles/example.json
    ;;
  test)
    build build -DADVISE_WERROR=ON
    suite build
    build build-asan -DADVISE_WERROR=ON -DADVISE_SANITIZE=ON -DADVISE_BUILD_BENCH=OFF
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 suite build-asan
    echo "setup: all tests passed"
    ;;
  *)
    echo "usage: scripts/setup.sh run|test" >&2
    exit 2
    ;;
esac
