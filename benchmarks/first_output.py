"""Time to first output of each long ``symbiosis`` command (issue 13).

Starts each command on a shipped case as a subprocess whose stdout and stderr are a
pseudo-terminal (what a user at a terminal sees: progress bars are drawn only there)
and measures the time until the first byte arrives and the time until the command ends.
Prints a table, the machine's load average before and after, the longest stretch
without output after the first byte (a progress bar's spinner redraws several times a
second, so a long silence is a stretch with no bar) and the first line each command showed.

    python benchmarks/first_output.py                   # tutorial case (quick commands)
    python benchmarks/first_output.py --case changzhi   # a real park (pareto, explain: minutes)
    python benchmarks/first_output.py --only solve,view --pipe   # stdout/stderr as pipes instead

Run from the repository root with ``PYTHONPATH`` pointing at it.
"""
from __future__ import annotations

import argparse
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|[\r\x08]")


def commands(case: str, tmp: Path) -> list[tuple[str, list[str]]]:
    c = f"cases/{case}.yaml"
    vary = ("materials.cement.sale_price=150 CNY/t,380 CNY/t" if case == "tutorial"
            else "settings.carbon_price=0 CNY/t,100 CNY/t")
    return [
        ("solve", ["solve", c, "--out", str(tmp / "solve")]),
        ("compare", ["compare", c]),
        ("pareto", ["pareto", c, "--points", "5", "--out", str(tmp / "pareto")]),
        ("alternatives", ["alternatives", c, "-k", "3"]),
        ("explain", ["explain", c]),
        ("sweep", ["sweep", c, "--vary", vary]),
        ("outages", ["outages", c, "--out", str(tmp / "outages")]),
        ("gains", ["gains", c] + (["--baseline", "today"] if case == "tutorial" else [])),
        ("phased", ["phased", "cases/liupanshui_phased.yaml", "--out", str(tmp / "phased")]),
        ("view", ["view", str(tmp / "solve")]),  # the folder solve wrote
    ]


def run(args: list[str], timeout: float, use_pty: bool) -> tuple[float | None, float, float, int | None, str]:
    """(seconds to the first byte, seconds to the end, longest silence after the first
    byte, exit code, first line shown)."""
    env = dict(os.environ, COLUMNS="100", PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "symbiosis", *args]
    t0 = time.perf_counter()
    if use_pty:
        master, slave = pty.openpty()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                                close_fds=True)
        os.close(slave)
        fds = [master]
    else:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        fds = [proc.stdout.fileno(), proc.stderr.fileno()]
    first: float | None = None
    last = gap = 0.0
    gap_after = ""
    seen = b""
    open_fds = list(fds)
    while open_fds:
        left = timeout - (time.perf_counter() - t0)
        if left <= 0:
            proc.kill()
            break
        ready, _, _ = select.select(open_fds, [], [], min(left, 0.5))
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the pty closes with EIO when the child ends
                chunk = b""
            if not chunk:
                open_fds.remove(fd)
                continue
            now = time.perf_counter() - t0
            if first is None:
                first = now
            elif now - last > gap:
                gap, gap_after = now - last, ANSI.sub("", seen.decode("utf-8", "replace"))[-60:]
            last = now
            if len(seen) < 4000:
                seen += chunk
    rc = proc.wait()
    total = time.perf_counter() - t0
    if first is not None and total - last > gap:
        gap, gap_after = total - last, "(until the end)"
    if os.environ.get("FIRST_OUTPUT_DEBUG"):
        print(f"    longest silence after: {gap_after!r}", flush=True)
    if use_pty:
        os.close(master)
    text = ANSI.sub("", seen.decode("utf-8", "replace"))
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return first, total, gap, rc, line[:60]


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", default="tutorial", help="shipped case name (default tutorial)")
    ap.add_argument("--only", default="", help="comma-separated commands to run")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per command")
    ap.add_argument("--pipe", action="store_true", help="stdout/stderr as pipes, not a terminal")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="symb-first-"))
    only = {x.strip() for x in a.only.split(",") if x.strip()}
    rows = []
    print(f"case {a.case}, output to a {'pipe' if a.pipe else 'terminal (pty)'}; load average before: {load()}",
          flush=True)
    try:
        for name, args in commands(a.case, tmp):
            if only and name not in only:
                continue
            first, total, gap, rc, line = run(args, a.timeout, not a.pipe)
            rows.append((name, first, total, gap, rc, line))
            f = "none" if first is None else f"{first:.2f} s"
            print(f"  {name:<13} first output {f:>9}   longest silence {gap:7.2f} s   total {total:8.2f} s   "
                  f"exit {rc}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average after: {load()}\n")
    print("| command | first output | longest silence after it | total | exit | first line shown |")
    print("|---|---:|---:|---:|---:|---|")
    for name, first, total, gap, rc, line in rows:
        f = "none" if first is None else f"{first:.1f} s"
        print(f"| {name} | {f} | {gap:.1f} s | {total:.1f} s | {rc} | `{line.replace('|', '/')}` |")


if __name__ == "__main__":
    main()
