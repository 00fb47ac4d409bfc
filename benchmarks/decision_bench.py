"""Time the decision-support functions on the biggest shipped case (or one named).

Prints, for one persistent model: the time per Pareto point, per alternative network and
per "why not?" row, with the number of solves behind each. A benchmark prints figures;
it asserts nothing.

    python benchmarks/decision_bench.py                 # the biggest shipped case
    python benchmarks/decision_bench.py changzhi --points 11 -k 5 --explain-rows 40
"""
from __future__ import annotations

import argparse
import platform
import time

import symbiosis
from symbiosis.io import shipped_cases_dir
from symbiosis.model import ParkModel


def biggest_case() -> str:
    """The shipped case with the most free structural binaries."""
    sizes = {}
    for path in sorted(shipped_cases_dir().glob("*.yaml")):
        try:
            case = symbiosis.load_case(path)
        except symbiosis.CaseError:
            continue
        pm = ParkModel(case)
        sizes[path.stem] = (len(pm.structural_binaries()), len(pm.exchanges))
    return max(sizes, key=sizes.get)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", nargs="?", help="shipped case name (default: the biggest)")
    ap.add_argument("--points", type=int, default=11)
    ap.add_argument("-k", type=int, default=5)
    ap.add_argument("--explain-rows", type=int, default=0,
                    help="time explain on this many candidates only (0: all of them)")
    ap.add_argument("--break-even", type=int, default=10)
    args = ap.parse_args()
    name = args.case or biggest_case()
    case = symbiosis.examples.load(name)
    t0 = time.perf_counter()
    pm = ParkModel(case)
    build = time.perf_counter() - t0
    print(f"case {name}: {len(case.plants)} plants ({sum(p.is_candidate for p in case.plants.values())} candidates), "
          f"{len(pm.exchanges)} candidate exchanges, {len(pm.structural_binaries())} free binaries; "
          f"model build {build:.3f} s  [{platform.processor() or platform.machine()}, "
          f"symbiosis {symbiosis.__version__}]")

    t0 = time.perf_counter()
    front = symbiosis.pareto(case, "cost", "reuse", points=args.points, model=pm)
    dt = time.perf_counter() - t0
    print(f"pareto cost/reuse: {args.points} steps -> {len(front)} points, {front.attrs['solves']} solves, "
          f"{dt:.2f} s: {dt / max(1, len(front)):.2f} s per point, {dt / front.attrs['solves']:.3f} s per solve")

    t0 = time.perf_counter()
    alts = symbiosis.alternatives(case, k=args.k, model=pm)
    dt = time.perf_counter() - t0
    print(f"alternatives ({alts.attrs['objective']}): {len(alts)} networks, {alts.attrs['solves']} solves, "
          f"{dt:.2f} s: {dt / max(1, len(alts)):.2f} s per network")

    t0 = time.perf_counter()
    if args.explain_rows:
        from symbiosis.decision import Session
        names = list(Session(case, pm).groups)[: args.explain_rows]
        rows, solves = 0, 0
        for n in names:
            kw = {"plant": n} if "->" not in n else {"exchange": n}
            table = symbiosis.explain(case, model=pm, break_even=False, **kw)
            rows += len(table)
            solves += table.attrs["solves"]
        label = f"explain, {len(names)} candidates one by one (each with its own base solve), no break-even"
    else:
        table = symbiosis.explain(case, model=pm, break_even=args.break_even)
        rows, solves = len(table), table.attrs["solves"]
        label = f"explain, every candidate, break-even of the {args.break_even} nearest rejected exchanges"
    dt = time.perf_counter() - t0
    print(f"{label}: {rows} rows, {solves} solves, {dt:.2f} s: {dt / max(1, rows):.3f} s per row, "
          f"{dt / max(1, solves):.3f} s per solve")


if __name__ == "__main__":
    main()
