#!/usr/bin/env python3
"""`advise batch` progress on a terminal (issue 19), tested through a pty.

    tests/batch_progress_pty.py ADVISE

With standard error on a pseudo-terminal, batch draws its progress line
("\\rbatch: [...] N/TOTAL lines, R refused, X lines/s\\033[K") and erases it
("\\r\\033[K") before the summary; with --no-progress, or with standard error
not a terminal, it writes the summary alone. Reading standard input, the
line has no total. Run from the repository root (ADVISE_HOME set by ctest).
"""
import os
import pty
import re
import subprocess
import sys
import tempfile

ADVISE = sys.argv[1]
LINES = '{"stage": "ms3", "step2ck": 251}\n{"stage": "ms9"}\n{"stage": "ms4", "step2ck": 240}\n'
failures = []


def run(args, stdin_text=None, tty=True):
    """Runs advise with stderr on a pty (or a pipe); returns stderr as bytes."""
    master, slave = pty.openpty() if tty else os.pipe()
    proc = subprocess.Popen([ADVISE] + args, stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    if stdin_text is not None:
        proc.stdin.write(stdin_text.encode())
        proc.stdin.close()
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the pty's other end is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    proc.wait()
    return out.replace(b"\r\n", b"\n")  # the pty's own line ends


def expect(name, cond, got):
    if not cond:
        failures.append(f"{name}: got {got!r}")


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "profiles.jsonl")
    with open(path, "w") as f:
        f.write(LINES)
    summary = b"batch: 2 ok, 1 failed, 3 lines\n"

    got = run(["batch", "--no-timing", path])
    progress = re.compile(rb"\rbatch: \[[# ]{20}\] \d/3 lines, \d refused(, \d+ lines/s)?\x1b\[K")
    expect("a file on a terminal: progress with the total", progress.search(got), got)
    expect("a file on a terminal: the last progress says 3/3 lines, 1 refused",
           re.search(rb"\] 3/3 lines, 1 refused", got), got)
    expect("a file on a terminal: erased, then the summary", got.endswith(b"\r\x1b[K" + summary), got)

    got = run(["batch", "--no-timing", "-"], stdin_text=LINES)
    expect("standard input on a terminal: lines without a total",
           re.search(rb"\rbatch: 3 lines, 1 refused(, \d+ lines/s)?\x1b\[K", got) and not re.search(rb"\d/\d", got), got)
    expect("standard input on a terminal: erased, then the summary", got.endswith(b"\r\x1b[K" + summary), got)

    got = run(["batch", "--no-timing", "--no-progress", path])
    expect("--no-progress on a terminal: the summary alone", got == summary, got)

    got = run(["batch", "--no-timing", path], tty=False)
    expect("not a terminal: the summary alone", got == summary, got)

    got = run(["batch", "--no-timing", "--progress", path], tty=False)
    expect("--progress when not a terminal: progress all the same", progress.search(got) and got.endswith(summary), got)

for f in failures:
    print("FAIL", f)
print(f"batch progress: {len(failures)} checks failed" if failures else "batch progress: all checks passed")
sys.exit(1 if failures else 0)
