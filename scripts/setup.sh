#!/usr/bin/env bash
# Set up Advise on a fresh Debian 12 machine and either show a report or run
# the whole test suite. README.md's two commands are:
#
#   scripts/setup.sh run    # install what is missing, build, advise --explain the example profile
#   scripts/setup.sh test   # install what is missing; then three builds, each with -Werror:
#     build/       gcc: the whole suite (ctest), benchmarks built
#     build-san/   clang, ASan+UBSan and libFuzzer's instrumentation: the whole
#                  suite again, then a 15-second libFuzzer run of each harness
#     build-tsan/  clang -O0, ThreadSanitizer, only what the concurrency tests
#                  need: those tests (tag [concurrency])
#
# The suite is defined once, as ctest tests (tests/CMakeLists.txt; listed in
# docs/testing.md). Each phase prints the seconds since the start. Run as root
# (or with sudo available) so that apt-get can install packages.
set -euo pipefail
mode="${1:-run}"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)

packages=(g++ cmake ninja-build tao-pegtl-dev libboost-dev libspdlog-dev nlohmann-json3-dev catch2 libcli11-dev)
if [ "$mode" = test ]; then
  packages+=(clang libclang-rt-14-dev)  # the sanitizer and libFuzzer builds
  packages+=(chromium)                  # the HTML report's browser test (ctest: html_browser)
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

build() {  # dir, extra cmake args... [-- targets...]
  local dir="$1"; shift
  local args=() targets=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift && targets=(--target "$@")
  echo "== configure and build $dir [${SECONDS}s]"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${args[@]}" >/dev/null
  cmake --build "$dir" -j"$jobs" "${targets[@]}"
}

suite() {  # dir: unit, differential, golden and knowledge-base tests, as ctest lists them
  echo "== test suite ($1) [${SECONDS}s]"
  ctest --test-dir "$1" -j"$jobs" --output-on-failure
}

case "$mode" in
  run)
    build build
    echo
    ADVISE_HOME="$root" build/app/advise --explain examples/profiles/example.json
    ;;
  test)
    command -v clang++ >/dev/null || { echo "setup: clang++ is needed for the sanitizer builds" >&2; exit 2; }
    build build -DADVISE_WERROR=ON
    suite build
    # One clang build for ASan+UBSan and libFuzzer: the suite, then the harnesses.
    build build-san -DCMAKE_CXX_COMPILER=clang++ -DADVISE_WERROR=ON -DADVISE_SANITIZE=ON -DADVISE_FUZZ=ON \
      -DADVISE_BUILD_BENCH=OFF
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 suite build-san
    if [ "${ADVISE_SKIP_FUZZ:-0}" != 1 ]; then
      echo "== fuzzing smoke run: each libFuzzer harness for 15 s [${SECONDS}s]"
      ADVISE_FUZZ_BUILD="$root/build-san" scripts/fuzz.sh 15
    fi
    # -O0 (Debug): these two tests need no speed, and it halves this build.
    build build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DADVISE_WERROR=ON -DADVISE_TSAN=ON \
      -DADVISE_BUILD_BENCH=OFF -- advise_tests
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 suite build-tsan
    echo "setup: all tests passed [${SECONDS}s]"
    ;;
  *)
    echo "usage: scripts/setup.sh run|test" >&2
    exit 2
    ;;
esac
