// The heap for a large input (docs/benchmarks.md, "The program list").
//
// A 10,000-program catalog makes about 75 MB of small objects: records,
// texts, the network's tokens and entries. Touched 4 KiB page by 4 KiB
// page, that is some 20,000 page faults, and as many TLB entries for the
// matcher's scattered reads: a third of the run's CPU time. With the heap in
// transparent huge pages (2 MiB), the faults fall tenfold and the user time
// by about half (the figures are in docs/benchmarks.md). No 4 KiB fault is
// left where one can be avoided: on a virtual machine each costs about
// 12 microseconds (a first touch of 64 MiB takes some 200 ms in 4 KiB pages,
// 4 to 30 ms in huge pages), so a 2 MiB range that starts with one 4 KiB
// page faults 511 more, page by page. Hence three rules: the heap is readied
// before anything large is allocated (by cli::main only: it is the
// process's policy, which a library or a test process calling the commands
// does not get); the 2 MiB the heap's start shares with what
// lies before it are not handed out (a block up to the first huge page is
// kept); and a range touched before its madvise (the heap's new top, a
// worker arena's header) is collapsed into a huge page at once
// (collapse_huge_page, kb/parallel.hpp).
#pragma once

#include <cstdint>

namespace advise::cli {

// Before reading inputs of `input_bytes` in all, expected to need about 24
// times that in heap (16 MiB when under 1 MiB): grows the main heap once by
// that much (address space only: nothing is touched) and asks the kernel to
// back it with huge pages (madvise MADV_HUGEPAGE, which the usual `madvise`
// setting of /sys/kernel/mm/transparent_hugepage/enabled honours). Every
// command does it as it starts (cli::main, app/cli.cpp), with the size of
// its catalogs: a run without one touches a few MiB, and one huge page
// zeroed costs less than the 300 to 400 4 KiB faults it replaces (the
// advice for one profile: 13.1 ms -> 7.3 ms). Only on Linux with glibc's
// malloc, once per process (the first call decides). A large block meant to
// stay untouched (the out-of-memory reserve of app/cli.cpp) must be
// allocated before: glibc serves a block from the heap's free top whatever
// its size, and would carve it out of the huge-page range. Elsewhere, or
// when the kernel refuses, nothing changes but speed.
void prepare_heap_for(std::uintmax_t input_bytes);

}  // namespace advise::cli
