#!/usr/bin/env bash
# Runs each libFuzzer harness of fuzz/ for a bounded time.
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]
#
# SECONDS per harness (default 30); HARNESS among fuzz_parser,
# fuzz_differential, fuzz_profile (default: all three, one after the other).
# Builds the harnesses in build-fuzz/ (or ADVISE_FUZZ_BUILD), seeds each corpus
# from the repository (every .rules file, examples/profiles/*.json,
# fuzz/seeds/profile/*: reproducers of past profile bugs) and from generated
# programs, and keeps corpora, logs and crash artifacts in
# fuzz-out/<harness>/. Exits non-zero when a harness found something; the
# artifact to reproduce it is printed (run `BUILD/fuzz/HARNESS ARTIFACT` to
# replay it).
#
# A build directory already configured with ADVISE_FUZZ=ON is used as it is
# (scripts/setup.sh test passes its build-san/, which also runs the tests);
# otherwise it is configured here: clang, -DADVISE_FUZZ=ON -DADVISE_SANITIZE=ON
# (libFuzzer, AddressSanitizer, UndefinedBehaviorSanitizer), no tests.
#
# Environment: ADVISE_FUZZ_BUILD (build dir), ADVISE_FUZZ_OUT (output dir),
# ADVISE_FUZZ_JOBS (build parallelism, default 2), CXX_FUZZ (the clang++ to
# configure with).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=${1:-30}
[[ $# -gt 0 ]] && shift
harnesses=("$@")
[[ ${#harnesses[@]} -eq 0 ]] && harnesses=(fuzz_parser fuzz_differential fuzz_profile)
build=${ADVISE_FUZZ_BUILD:-$root/build-fuzz}
out=${ADVISE_FUZZ_OUT:-$root/fuzz-out}
jobs=${ADVISE_FUZZ_JOBS:-2}

if [[ -f $build/CMakeCache.txt ]]; then
  if ! grep -q '^ADVISE_FUZZ:BOOL=ON$' "$build/CMakeCache.txt"; then
    echo "fuzz.sh: $build is configured without ADVISE_FUZZ=ON; give another ADVISE_FUZZ_BUILD" >&2
    exit 2
  fi
  echo "== using $build as it is configured"
else
  cxx=${CXX_FUZZ:-}
  if [[ -z $cxx ]]; then
    for c in clang++ clang++-14 clang++-15 clang++-16; do
      if command -v "$c" >/dev/null; then cxx=$c; break; fi
    done
  fi
  [[ -n $cxx ]] || { echo "fuzz.sh: clang++ is needed (libFuzzer)" >&2; exit 2; }
  echo "== configuring $build ($cxx, libFuzzer + ASan + UBSan)"
  mkdir -p "$build"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
    -DADVISE_FUZZ=ON -DADVISE_SANITIZE=ON -DADVISE_BUILD_TESTS=OFF -DADVISE_BUILD_BENCH=OFF \
    >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 2; }
fi

echo "== building the harnesses"
cmake --build "$build" -j "$jobs" --target "${harnesses[@]}" gen_corpus
bin=$build/fuzz

echo "== seed corpora"
seeds=$out/seeds
rm -rf "$seeds"
mkdir -p "$seeds/rules" "$seeds/profiles"
while IFS= read -r -d '' f; do
  rel=${f#"$root"/}
  cp "$f" "$seeds/rules/${rel//\//_}"
done < <(find "$root" \( -path "$root/build*" -o -path "$root/.git" -o -path "$out" \) -prune -o -name '*.rules' -type f -print0)
"$bin/gen_corpus" "$seeds/rules" 200 1
for f in "$root"/examples/profiles/*.json "$root"/fuzz/seeds/profile/*; do
  [[ -e $f ]] && cp "$f" "$seeds/profiles/"
done
echo "   $(ls "$seeds/rules" | wc -l) rule files, $(ls "$seeds/profiles" | wc -l) profiles"

status=0
summary=()
for h in "${harnesses[@]}"; do
  dir=$out/$h
  mkdir -p "$dir/corpus"
  case $h in
    fuzz_profile) seed_dir=$seeds/profiles; dict=$root/fuzz/profile.dict; max_len=8192 ;;
    *) seed_dir=$seeds/rules; dict=$root/fuzz/rules.dict; max_len=4096 ;;
  esac
  echo "== $h: $secs s"
  set +e
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$bin/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=$max_len \
    -dict="$dict" -artifact_prefix="$dir/" -print_final_stats=1 "$dir/corpus" "$seed_dir" >"$dir/log.txt" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/log.txt" | grep -o '[0-9]*$' | tail -1 || true)
  ran=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$dir/log.txt" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1 || true)
  units=$(ls "$dir/corpus" | wc -l)
  if [[ $rc -eq 0 ]]; then
    result=ok
  else
    status=1
    artifact=$(grep -o "Test unit written to [^ ]*" "$dir/log.txt" | tail -1 | sed 's/Test unit written to //' || true)
    result="FOUND (exit $rc): ${artifact:-see $dir/log.txt}"
    grep -m1 -E 'FINDING|ERROR: (AddressSanitizer|libFuzzer)|runtime error' "$dir/log.txt" | sed 's/^/   /' || true
  fi
  summary+=("$(printf '%-18s %6ss %12s execs %8s units  %s' "$h" "${ran:-$secs}" "${execs:-?}" "$units" "$result")")
done

echo "== summary (logs, corpora and artifacts in $out)"
printf '%s\n' "${summary[@]}"
exit $status
