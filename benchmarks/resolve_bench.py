"""Re-solves on one model against rebuilds, on a generated region (default 1,000 plants):
20 solves after a change of the capex bound (``pm.set_bound("capex", v)`` then
``pm.run``), a few rebuilds (``ParkModel(case)`` + the same bound + run) to compare with,
and a Pareto front of cost against reuse (``symbiosis.pareto(case, points=10)``).
Objective cost, HiGHS 1 thread, gap 1 %; each re-solve's time is split into hand-off
(compiling the model for HiGHS) and HiGHS, the rest being Python around them. Run it
before and after a change of the solver interface to compare.

    python benchmarks/resolve_bench.py [--plants 1000] [--resolves 20] [--rebuilds 3] [--points 10]
"""
from __future__ import annotations

import argparse
import statistics
import time

import symbiosis
from symbiosis.generate import region
from symbiosis.io import case_from_dict
from symbiosis.model import Options, ParkModel


def timed_run(pm: ParkModel, opts: Options) -> dict:
    h0, s0 = pm.timings.get("handoff", 0.0), pm.timings.get("solve", 0.0)
    t0 = time.perf_counter()
    info = pm.run(opts)
    wall = time.perf_counter() - t0
    return {"wall": wall, "handoff": pm.timings["handoff"] - h0, "highs": pm.timings["solve"] - s0,
            "objective": info.objective, "status": info.status}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--plants", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--resolves", type=int, default=20)
    ap.add_argument("--rebuilds", type=int, default=3)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--pareto-time-limit", type=float, default=300.0,
                    help="HiGHS time limit per solve of the Pareto front (its binaries are tied to use)")
    ap.add_argument("--pareto-only", action="store_true")
    args = ap.parse_args(argv)
    opts = Options(time_limit=args.time_limit, mip_gap=0.01, threads=1)
    case = case_from_dict(region(args.plants, args.seed), file="<region>")
    if args.pareto_only:
        return pareto_front(case, args)
    t0 = time.perf_counter()
    pm = ParkModel(case)
    t_build = time.perf_counter() - t0
    pm.set_objective("cost")
    first = timed_run(pm, opts)
    cap = pm.m.e_capex()
    print(f"# {args.plants} plants, {len(pm.exchanges):,} exchanges; build {t_build:.2f} s; first solve "
          f"{first['wall']:.2f} s (hand-off {first['handoff']:.2f}, HiGHS {first['highs']:.2f}); capex "
          f"{cap / 1e6:,.0f} M CNY", flush=True)
    values = [cap * (1 - 0.4 * (k + 1) / args.resolves) for k in range(args.resolves)]
    res = []
    print("\n| re-solve | capex bound (M CNY) | wall s | hand-off s | HiGHS s | other s | objective (M CNY/yr) | status |")
    print("|---|---|---|---|---|---|---|---|")
    for k, v in enumerate(values):
        pm.set_bound("capex", v)
        r = timed_run(pm, opts)
        res.append(r)
        print(f"| {k + 1} | {v / 1e6:,.0f} | {r['wall']:.2f} | {r['handoff']:.2f} | {r['highs']:.2f} | "
              f"{r['wall'] - r['handoff'] - r['highs']:.2f} | {r['objective'] / 1e6:,.1f} | {r['status']} |",
              flush=True)
    reb = []
    for v in values[:args.rebuilds]:
        t0 = time.perf_counter()
        pm2 = ParkModel(case)
        pm2.set_objective("cost")
        pm2.set_bound("capex", v)
        r = timed_run(pm2, opts)
        r["total"] = time.perf_counter() - t0
        reb.append(r)
    med = statistics.median
    print(f"\nre-solve on the model: median wall {med(r['wall'] for r in res):.2f} s (hand-off "
          f"{med(r['handoff'] for r in res):.2f}, HiGHS {med(r['highs'] for r in res):.2f}); total for "
          f"{len(res)}: {sum(r['wall'] for r in res):.1f} s")
    print(f"rebuild + solve: median {med(r['total'] for r in reb):.2f} s (HiGHS {med(r['highs'] for r in reb):.2f}) "
          f"over {len(reb)}")
    non_highs = med(r["wall"] - r["highs"] for r in res)
    non_highs_reb = med(r["total"] - r["highs"] for r in reb)
    print(f"outside HiGHS per solve: re-solve {non_highs:.2f} s vs rebuild {non_highs_reb:.2f} s "
          f"(ratio {non_highs / non_highs_reb:.2f})", flush=True)
    if args.points >= 2:
        pareto_front(case, args)


def pareto_front(case, args):
    """A Pareto front of cost against reuse on one model, split into hand-off and HiGHS."""
    pm = ParkModel(case)
    t0 = time.perf_counter()
    df = symbiosis.pareto(case, points=args.points, model=pm, time_limit=args.pareto_time_limit, mip_gap=0.01,
                          threads=1)
    wall = time.perf_counter() - t0
    solver = getattr(pm, "solver", None)
    counts = f", {solver.compiles} compile(s) and {solver.updates} in-place update(s)" if solver else ""
    print(f"\npareto(case, points={args.points}): {wall:.1f} s for {df.attrs['solves']} solves, "
          f"{len(df)} points kept; hand-off {pm.timings.get('handoff', 0.0):.2f} s, HiGHS "
          f"{pm.timings.get('solve', 0.0):.2f} s, other {wall - pm.timings.get('handoff', 0.0) - pm.timings.get('solve', 0.0):.2f} s"
          f"{counts}", flush=True)


if __name__ == "__main__":
    main()
