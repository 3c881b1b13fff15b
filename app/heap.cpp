#include "app/heap.hpp"

#include "kb/parallel.hpp"

#include <algorithm>
#include <cstdlib>

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#define ADVISE_HUGE_HEAP 1
#endif

namespace advise::cli {

void prepare_heap_for(std::uintmax_t input_bytes) {
#ifdef ADVISE_HUGE_HEAP
  static bool done = false;
  if (done || input_bytes < (std::uintmax_t{1} << 20)) return;
  done = true;
  constexpr std::uintmax_t kHuge = std::uintmax_t{2} << 20;  // a transparent huge page on x86-64 and arm64
  std::uintmax_t want = std::clamp<std::uintmax_t>(input_bytes * 24, std::uintmax_t{32} << 20, std::uintmax_t{1} << 30);
  // Everything in the main heap (below 32 MiB, the largest threshold glibc
  // takes), which grows by `want` at a time and is never trimmed: the few
  // large arrays (records, tokens) would otherwise be mapped apart, in
  // small pages, and remapped as they double.
  if (mallopt(M_MMAP_THRESHOLD, 32 << 20) == 0) return;
  mallopt(M_TOP_PAD, static_cast<int>(std::min<std::uintmax_t>(want, 1U << 30)));
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  auto* before = static_cast<char*>(sbrk(0));
  void* volatile grow = std::malloc(8 << 20);  // past the free space at the top: the heap grows by `want`
  std::free(grow);
  auto* after = static_cast<char*>(sbrk(0));
  if (before == reinterpret_cast<char*>(-1) || after <= before) return;  // another malloc, or no brk heap
  auto lo = (reinterpret_cast<std::uintptr_t>(before) + kHuge - 1) & ~(kHuge - 1);
  auto hi = reinterpret_cast<std::uintptr_t>(after) & ~(kHuge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
  set_huge_worker_heaps(true);  // the halves of kb/parallel.hpp, in their own arenas
#else
  (void)input_bytes;
#endif
}

}  // namespace advise::cli
