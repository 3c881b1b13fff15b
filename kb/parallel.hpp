// Two pieces of work at once: `here` on the calling thread, `there` on a
// new one (docs/benchmarks.md, "The program list": the machines Advise runs
// on have two cores or more; a large catalog is read, and a long list's
// entries and their JSON are made, in two halves). Both always finish before this returns; an exception from either
// is rethrown here (the calling thread's first). The pieces must not write
// to anything the other reads.
#pragma once

#include <exception>
#include <thread>
#include <utility>

namespace advise {

// Whether a worker thread's heap is to be backed by huge pages, as the main
// heap is for a large input (app/heap.hpp: glibc gives each thread that
// allocates an arena of its own, mapped page by page, and on this kind of
// machine a page fault costs as much as several thousand instructions).
// Off until the program turns it on.
void set_huge_worker_heaps(bool on);
// Asks the kernel to back the 2 MiB at `at` (aligned to 2 MiB, in memory
// madvised for huge pages) with one huge page now (MADV_COLLAPSE, Linux 6.1
// and later): a range whose first page was touched before the madvise
// would otherwise fault its other 511 pages one by one. Elsewhere, or when
// refused, nothing changes but speed.
void collapse_huge_page(void* at);
namespace detail {
void prepare_worker_heap();
}

template <class Here, class There>
void run_both(Here&& here, There&& there) {
  std::exception_ptr there_failed;
  std::thread worker([&] {
    detail::prepare_worker_heap();
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
