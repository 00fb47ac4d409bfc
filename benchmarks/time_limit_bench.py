"""How `symbiosis solve --time-limit T` keeps its limit: wall time of the whole command
(in this process, imports excluded and reported apart), and for every HiGHS run the limit
it was given, the seconds it took and the overshoot. A benchmark measures; it asserts nothing.

    python -m symbiosis generate --plants 1400 --out /tmp/p1400.yaml
    python benchmarks/time_limit_bench.py /tmp/p1400.yaml 3 10 [-- extra solve options]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time


def main(argv: list[str]) -> None:
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    case, limits = argv[0], [float(a) for a in argv[1:]] or [3.0, 10.0]
    t0 = time.perf_counter()
    import highspy
    from typer.testing import CliRunner

    import symbiosis.commands  # noqa: F401 - every command registered
    from symbiosis.cli import app
    t_import = time.perf_counter() - t0
    runs: list[tuple[float, float]] = []
    orig = highspy.Highs.run

    def timed(self, *a, **k):
        limit = self.getOptionValue("time_limit")
        limit = limit[1] if isinstance(limit, tuple) else limit
        s = time.perf_counter()
        try:
            return orig(self, *a, **k)
        finally:
            runs.append((float(limit), time.perf_counter() - s))
    highspy.Highs.run = timed
    import symbiosis.cli as cli
    import symbiosis.model as model
    phases: dict[str, float] = {}

    def phase(obj, name, label):
        orig_f = getattr(obj, name)

        def wrapped(*a, **k):
            s = time.perf_counter()
            try:
                return orig_f(*a, **k)
            finally:
                phases[label] = phases.get(label, 0.0) + time.perf_counter() - s
        setattr(obj, name, wrapped)
    phase(cli, "load", "load")
    phase(model.ParkModel, "__init__", "candidates and build")
    phase(model.ParkModel, "to_highs", "hand-off")
    phase(model.ParkModel, "run", "run (hand-off, HiGHS, reading back)")
    print(f"imports {t_import:.2f} s; load average {os.getloadavg()[0]:.1f} at start")
    for limit in limits:
        runs.clear()
        phases.clear()
        with tempfile.TemporaryDirectory() as tmp:
            s = time.perf_counter()
            res = CliRunner().invoke(app, ["solve", case, "--time-limit", f"{limit:g}", "--out", f"{tmp}/out",
                                           "-v", *extra])
            wall = time.perf_counter() - s
        last = [ln for ln in res.output.splitlines() if ln.strip()]
        status = next((ln for ln in last if "status" in ln.lower() or "solver:" in ln), last[-1] if last else "")
        print(f"\n--time-limit {limit:g}: exit {res.exit_code}, whole command {wall:.2f} s "
              f"({wall - limit:+.2f} s against the limit), load average {os.getloadavg()[0]:.1f}")
        print(f"  reported: {status.strip()[:200]}")
        print("  phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items()))
        for i, (given, took) in enumerate(runs, 1):
            print(f"  HiGHS run {i}: limit {given:.2f} s, took {took:.2f} s, overshoot {took - given:+.2f} s")
        if res.exit_code not in (0, 3, 4):
            print(res.output[-2000:])


if __name__ == "__main__":
    main(sys.argv[1:])
