// Two pieces of work at once: `here` on the calling thread, `there` on a
// new one (docs/benchmarks.md, "The program list": the machines Advise runs
// on have two cores or more, and a long list's entries and their JSON split
// in two). Both always finish before this returns; an exception from either
// is rethrown here (the calling thread's first). The pieces must not write
// to anything the other reads.
#pragma once

#include <exception>
#include <thread>
#include <utility>

namespace advise {

template <class Here, class There>
void run_both(Here&& here, There&& there) {
  std::exception_ptr there_failed;
  std::thread worker([&] {
    try {
      there();
    } catch (...) {
      there_failed = std::current_exception();
    }
  });
  try {
    here();
  } catch (...) {
    worker.join();
    throw;
  }
  worker.join();
  if (there_failed) std::rethrow_exception(there_failed);
}

}  // namespace advise
