"""Time each phase (load, candidates, build, hand-off to HiGHS, solve, extract) on
synthetic parks of growing size, and print the time per model variable so that
growth beyond linear shows. A benchmark measures; it asserts nothing.

    python benchmarks/bench_build.py [clusters ...]     (default: 5 20 80 200)
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_park  # noqa: E402

import symbiosis  # noqa: E402
from symbiosis.io import case_from_dict  # noqa: E402
from symbiosis.model import ParkModel  # noqa: E402
from symbiosis.result import make_result  # noqa: E402


def run(n: int, solve: bool = True) -> dict:
    data = synthetic_park(n)
    t0 = time.perf_counter()
    case = case_from_dict(data, file="<synthetic>")
    t_load = time.perf_counter() - t0
    pm = ParkModel(case)
    n_var = pm.m.nvariables()
    n_con = pm.m.nconstraints()
    row = {"clusters": n, "plants": len(case.plants), "exchanges": len(pm.exchanges), "variables": n_var,
           "constraints": n_con, "load": t_load, "candidates": pm.timings["candidates"], "build": pm.timings["build"]}
    if solve:
        opts = symbiosis.Options(objective="cost", time_limit=120, mip_gap=0.01)
        pm.set_objective("cost")
        info = pm.run(opts)
        row["handoff"] = pm.timings["handoff"]
        row["solve"] = info.solve_time
        row["status"] = info.status
        t0 = time.perf_counter()
        sol = pm.extract(info)
        make_result(case, pm.exchanges, sol)
        row["extract"] = time.perf_counter() - t0
        # a re-solve of the same model after a change: only the change goes to HiGHS
        t0 = time.perf_counter()
        pm.set_limits({"new_plants": max(1, n)})
        pm.run(opts)
        row["resolve"] = time.perf_counter() - t0
    return row


def main(argv):
    sizes = [int(a) for a in argv] or [5, 20, 80, 200]
    cols = ["clusters", "plants", "exchanges", "variables", "constraints", "load", "candidates", "build",
            "handoff", "solve", "extract", "resolve", "status"]
    print(" ".join(f"{c:>11}" for c in cols) + "   build+handoff us/var")
    for n in sizes:
        r = run(n)
        cells = [f"{r[c]:>11.3f}" if isinstance(r.get(c), float) else f"{str(r.get(c, '')):>11}" for c in cols]
        per = 1e6 * (r["build"] + r.get("handoff", 0)) / r["variables"]
        print(" ".join(cells) + f"   {per:8.1f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
