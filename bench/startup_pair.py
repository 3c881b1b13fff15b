#!/usr/bin/env python3
"""Paired wall-time medians of whole `advise` processes (issue 19).

    bench/startup_pair.py BASE NEW RUNS -- ARGS...

Runs BASE and NEW alternately RUNS times each with ARGS (stdout to
/dev/null) and prints each one's median wall time in milliseconds."""
import statistics
import subprocess
import sys
import time

base, new, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
args = sys.argv[sys.argv.index("--") + 1:]
times = {base: [], new: []}
for _ in range(runs):
    for exe in (base, new):
        t = time.perf_counter()
        subprocess.run([exe] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[exe].append(time.perf_counter() - t)
for exe in (base, new):
    print(f"{exe}: median {1000 * statistics.median(times[exe]):.1f} ms over {runs} runs")
print(f"ratio new/base: {statistics.median(times[new]) / statistics.median(times[base]):.3f}")
