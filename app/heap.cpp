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
  if (done) return;
  done = true;
  constexpr std::uintmax_t kHuge = std::uintmax_t{2} << 20;  // a transparent huge page on x86-64 and arm64
  // Address space: touched only as it is used. A run without a large input
  // (the rules, a profile, its report) uses a few MiB.
  std::uintmax_t want = input_bytes < (std::uintmax_t{1} << 20)
                            ? std::uintmax_t{16} << 20
                            : std::clamp<std::uintmax_t>(input_bytes * 24, std::uintmax_t{32} << 20, std::uintmax_t{1} << 30);
  // Everything in the main heap (below 32 MiB, the largest threshold glibc
  // takes), which grows by `want` at a time and is never trimmed: the few
  // large arrays (records, tokens) would otherwise be mapped apart, in
  // small pages, and remapped as they double.
  if (mallopt(M_MMAP_THRESHOLD, 32 << 20) == 0) return;
  mallopt(M_TOP_PAD, static_cast<int>(std::min<std::uintmax_t>(want, 1U << 30)));
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  auto* before = static_cast<char*>(sbrk(0));
  void* grow = std::malloc(8 << 20);  // past the free space at the top: the heap grows by `want`
  auto* after = static_cast<char*>(sbrk(0));
  if (!grow || before == reinterpret_cast<char*>(-1) || after <= before) {  // another malloc, or no brk heap
    std::free(grow);
    return;
  }
  auto lo = (reinterpret_cast<std::uintptr_t>(before) + kHuge - 1) & ~(kHuge - 1);
  auto hi = reinterpret_cast<std::uintptr_t>(after) & ~(kHuge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
  // Growing the heap wrote the free space's header past the block, before
  // the madvise: a 4 KiB page in the huge range, whose 2 MiB would then be
  // faulted page by page. Collapsed into a huge page now.
  auto touched = (reinterpret_cast<std::uintptr_t>(grow) + (std::uintptr_t{8} << 20)) & ~(kHuge - 1);
  if (touched >= lo && touched < hi) collapse_huge_page(reinterpret_cast<void*>(touched));
  // The block just made starts where the free space at the top did, below
  // `lo`, in the 2 MiB that the heap's start shares with what lies before
  // it: that part can only have 4 KiB pages, each touched at a fault's cost
  // (a few microseconds on a virtual machine: 500 of them cost more than
  // the whole catalog's decoding). The block is cut down to end at `lo` and
  // kept, never freed nor touched past its header, so that what is
  // allocated next lies in huge pages; the rest returns to the top.
  auto start = reinterpret_cast<std::uintptr_t>(grow);
  constexpr std::uintptr_t kHeader = 2 * sizeof(std::size_t);  // glibc's chunk header before the block
  if (lo > start + kHeader + 4096 && lo < start + (std::uintptr_t{8} << 20)) {
    void* kept = std::realloc(grow, lo - start - kHeader);  // shrunk in place: the tail joins the top
    (void)kept;  // kept until the process ends (at most 2 MiB of address space, a page of memory)
  } else {
    std::free(grow);
  }
  set_huge_worker_heaps(true);  // the halves of kb/parallel.hpp, in their own arenas
#else
  (void)input_bytes;
#endif
}

}  // namespace advise::cli
