"""Model size and solve time of the phased Liupanshui case against its single-period
version, and what foresight is worth (perfect foresight against myopic).

    python benchmarks/phased_bench.py [CASE]      # default cases/liupanshui_phased.yaml

Prints one line per model: columns, integer columns, rows, nonzeros, build, hand-off and
solve seconds, objective; then the phased plan (what is built in which period, reuse by
period). Times are of this machine and its load; run it twice before quoting.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import symbiosis  # noqa: E402
from symbiosis.errors import InfeasibleError  # noqa: E402
from symbiosis.model import Options, ParkModel  # noqa: E402
from symbiosis.phased import PhasedModel, make_phased_result, optimize_phased  # noqa: E402


def size_of(pm) -> dict:
    lp = pm.highs.getLp()
    return {"columns": lp.num_col_, "integer": sum(v.is_integer() for v in pm.columns), "rows": lp.num_row_,
            "nonzeros": len(lp.a_matrix_.value_)}


def line(name, sz, build, handoff, solve, obj):
    print(f"{name:<34} {sz['columns']:>7,} cols {sz['integer']:>6,} int {sz['rows']:>7,} rows "
          f"{sz['nonzeros']:>8,} nz | build {build:6.2f} s  hand-off {handoff:6.2f} s  solve {solve:7.2f} s | "
          f"objective {obj:,.0f}")


def main(path: str):
    case = symbiosis.load_case(path)
    objective = case.settings.objective if case.settings.objective in ("cost", "reuse", "reuse-then-cost") else "cost"
    print(f"case {path}: {len(case.periods)} periods, objective {objective}")
    # the single-period version: the first period's case (the base case with its changes)
    first = case.periods[0].case
    t0 = time.perf_counter()
    pm = ParkModel(first)
    build = time.perf_counter() - t0
    sol = pm.solve(Options(objective=objective, limits=dict(first.limits)))
    line(f"single period ({case.periods[0].name})", size_of(pm), build, pm.timings.get("handoff", 0.0),
         sol.info.solve_time, sol.info.objective)
    t0 = time.perf_counter()
    ph = PhasedModel(case)
    build = time.perf_counter() - t0
    info = ph.solve_phased(Options(objective=objective))
    res = make_phased_result(ph, info)
    line(f"phased, {len(case.periods)} periods, foresight", size_of(ph), build, ph.timings.get("handoff", 0.0),
         info.solve_time, info.objective)
    print(f"  status {info.status}, gap {info.gap if info.gap is not None else float('nan'):.2e}, "
          f"verified {res.solver.get('verified')}")
    t0 = time.perf_counter()
    plans = [("foresight", res)]
    try:
        myo = optimize_phased(case, objective, myopic=True)
    except InfeasibleError as exc:
        print(f"myopic: {time.perf_counter() - t0:.2f} s; no plan: " + "; ".join(exc.reasons))
    else:
        npc_f, npc_m = res.horizon["npc"]["value"], myo.horizon["npc"]["value"]
        print(f"myopic: {time.perf_counter() - t0:.2f} s in all; NPC foresight {npc_f / 1e9:,.3f} bn, myopic "
              f"{npc_m / 1e9:,.3f} bn, foresight worth {(npc_m - npc_f) / 1e9:,.3f} bn CNY")
        plans.append(("myopic", myo))
    for label, r in plans:
        print(f"\nplan ({label}):")
        plan = r.plan()
        for p in r.periods:
            built = plan[(plan["period"] == p["name"]) & (plan["what"] == "plant")]["name"].tolist()
            rr = r.results[p["name"]]
            print(f"  {p['name']} ({p['start']}-{p['end']}): reuse {rr.kpi('reuse_rate'):.1%} "
                  f"({rr.kpi('byproducts_reused') / 1e6:.2f} of {rr.kpi('byproducts_generated') / 1e6:.2f} Mt/yr), "
                  f"invest {r.horizon['investment_by_period'][p['name']] / 1e9:.2f} bn; builds {', '.join(built) or '-'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "cases" / "liupanshui_phased.yaml"))
