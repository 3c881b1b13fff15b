#include "kb/parallel.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>

#if defined(__linux__) && defined(__GLIBC__)
#include <sys/mman.h>
#define ADVISE_HUGE_HEAP 1
#endif

namespace advise {
namespace {
std::atomic<bool> g_huge{false};
}

void set_huge_worker_heaps(bool on) { g_huge = on; }

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
#endif
}

}  // namespace advise
