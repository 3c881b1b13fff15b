#include "kb/parallel.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>

#if defined(__linux__) && defined(__GLIBC__)
#include <sys/mman.h>
#define ADVISE_HUGE_HEAP 1
#endif

#ifdef ADVISE_HUGE_HEAP
namespace {
#ifdef MADV_COLLAPSE
constexpr int kCollapse = MADV_COLLAPSE;
#else
constexpr int kCollapse = 25;  // Linux's MADV_COLLAPSE, newer than some C libraries' headers
#endif
}  // namespace
#endif

namespace advise {
namespace {
std::atomic<bool> g_huge{false};
}

void set_huge_worker_heaps(bool on) { g_huge = on; }

void collapse_huge_page(void* at) {
#ifdef ADVISE_HUGE_HEAP
  madvise(at, std::size_t{2} << 20, kCollapse);  // a request: nothing changes but speed if refused
#else
  (void)at;
#endif
}

void detail::prepare_worker_heap() {
#ifdef ADVISE_HUGE_HEAP
  if (!g_huge) return;
  // The thread's first allocation makes its arena: a heap glibc maps at an
  // address aligned to its size, 64 MiB on 64-bit machines, and (with the
  // main heap's padding, app/heap.cpp) makes readable and writable whole.
  constexpr std::uintptr_t kArena = std::uintptr_t{64} << 20;
  void* volatile first = std::malloc(64);
  if (!first) return;
  auto heap = reinterpret_cast<std::uintptr_t>(first) & ~(kArena - 1);
  std::free(first);
  madvise(reinterpret_cast<void*>(heap), kArena, MADV_HUGEPAGE);  // a hint: nothing changes but speed if refused
  // The arena's first 2 MiB were touched (its header, the block above) in
  // 4 KiB pages before the hint: every other page of them would fault on
  // its own (512 faults, a few milliseconds on a virtual machine). Collapsed
  // into one huge page now (Linux 6.1 and later; refused elsewhere: nothing
  // changes but speed).
  collapse_huge_page(reinterpret_cast<void*>(heap));
#endif
}

}  // namespace advise
