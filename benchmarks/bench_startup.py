"""Start-up cost of the command line: `symbiosis --help` and `symbiosis validate
cases/tutorial.yaml`, whole process, median of N runs (wall and CPU seconds), and which
heavy packages each path imports.

    python benchmarks/bench_startup.py [N]

CPU seconds are the robust figure on a shared machine; wall seconds follow the load.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {"--help": ["--help"], "validate": ["validate", "cases/tutorial.yaml"]}
PROBE = ("import sys\nfrom symbiosis.cli import main\nsys.argv = ['symbiosis'] + {argv!r}\n"
         "try:\n    main()\nexcept SystemExit:\n    pass\n"
         "print('LOADED:' + ','.join(m for m in ('pyomo', 'plotly', 'dask', 'pandas', 'networkx') "
         "if m in sys.modules), file=sys.stderr)")


def run(argv: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "symbiosis", *argv], cwd=ROOT, capture_output=True, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(n: int = 5) -> None:
    for name, argv in COMMANDS.items():
        run(argv)  # warm the file cache
        runs = [run(argv) for _ in range(n)]
        probe = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], cwd=ROOT, capture_output=True,
                               text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        loaded = [ln for ln in probe.stderr.splitlines() if ln.startswith("LOADED:")][-1][7:] or "none"
        print(f"symbiosis {' '.join(argv):28s} wall {statistics.median(r[0] for r in runs):6.2f} s  "
              f"cpu {statistics.median(r[1] for r in runs):6.2f} s  (median of {n}); heavy imports: {loaded}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
