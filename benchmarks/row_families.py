"""What each optional row family of symbiosis's model costs HiGHS, and what it buys.

On generated regions (``symbiosis.generate.region``), build ``ParkModel(case)``, set the
cost objective, and solve variants: all rows as built; without a row family
(deactivated); with the rows ``tie_binaries_to_use`` adds; and HiGHS options on the
full model and on the model without the link rows. For each: rows, the LP relaxation
(integrality dropped, same matrix), the MIP (HiGHS 1 thread, gap 1 %), and whether the
solution is still valid (no flow on an exchange to or from a plant that does not run).
Also the coefficient ranges of the matrix and the objective as handed to HiGHS.

    python benchmarks/row_families.py [--sizes 300 1000] [--time-limit 60] [--listed-too]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from symbiosis.generate import region
from symbiosis.io import case_from_dict
from symbiosis.model import Options, ParkModel

FAMILIES = ["link_source", "link_target", "link_min", "cap_min", "share", "one_size", "open_min", "open_max"]


def solve(pm: ParkModel, tl: float, *, relax: bool = False, options: dict | None = None, cost_scale: float = 1.0):
    import highspy
    h, cols = pm.to_highs(Options(time_limit=tl, mip_gap=0.01, threads=1))
    for k, v in (options or {}).items():
        h.setOptionValue(k, v)
    lp = h.getLp()
    n = lp.num_col_
    if cost_scale != 1.0:
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(lp.col_cost_) * cost_scale)
    if relax:
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                np.array([highspy.HighsVarType.kContinuous] * n))
    t0 = time.perf_counter()
    h.run()
    dt = time.perf_counter() - t0
    info = h.getInfo()
    obj = info.objective_function_value / cost_scale / 1e-6
    bound = (info.mip_dual_bound / cost_scale / 1e-6) if not relax else obj
    out = {"time": dt, "obj": obj, "bound": bound, "rows": lp.num_row_, "status": h.modelStatusToString(h.getModelStatus())}
    if not relax and info.primal_solution_status == 2:
        vals = h.getSolution().col_value
        for v, x in zip(cols, vals):
            v.set_value(x, skip_validation=True)
        out.update(validity(pm))
    return out


def validity(pm: ParkModel) -> dict:
    """Flows on exchanges to or from a plant that does not run, and open exchanges (z = 1)
    with an idle end (harmless when they carry nothing)."""
    m, case = pm.m, pm.case
    running = {}
    for p in pm.plants:
        if p in pm._cand_set:
            running[p] = sum(m.y[p, k].value or 0 for k in range(len(case.plants[p].sizes))) > 0.5
        elif p in pm._close_set:
            running[p] = (m.w[p].value or 0) > 0.5
        else:
            running[p] = True
    bad_flow, idle_open, worst = 0, 0, 0.0
    for i, x in enumerate(pm.exchanges):
        ok = running[x.source] and running[x.target]
        if ok:
            continue
        f = m.f[i].value or 0.0
        if f > 1e-6:
            bad_flow += 1
            worst = max(worst, f)
        if (m.z[i].value or 0) > 0.5:
            idle_open += 1
    # activity of idle plants (a closed plant running on leaks)
    idle_active = sum(1 for p in pm.plants if not running[p] and (m.a[p].value or 0) > 1e-6)
    return {"bad_flow": bad_flow, "worst": worst, "idle_open": idle_open, "idle_active": idle_active}


def ranges(pm: ParkModel) -> str:
    h, _ = pm.to_highs(Options(threads=1))
    lp = h.getLp()
    a = np.abs(np.asarray(lp.a_matrix_.value_))
    a = a[a > 0]
    c = np.abs(np.asarray(lp.col_cost_))
    c = c[c > 0]
    ub = np.asarray(lp.col_upper_)
    ub = np.abs(ub[np.isfinite(ub) & (ub > 0)])
    rhs = np.concatenate([np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)])
    rhs = np.abs(rhs[np.isfinite(rhs) & (rhs != 0)])
    def r(v):
        return f"[{v.min():.1e}, {v.max():.1e}]" if len(v) else "-"
    return (f"matrix {r(a)} ({len(a):,} nonzeros); objective {r(c)}; column bounds {r(ub)}; "
            f"row bounds {r(rhs)}")


def row(label, res, base):
    gap = abs(res["obj"] - res["bound"]) / max(1e-9, abs(res["obj"]))
    v = (f"{res['bad_flow']} / {res['idle_open']} / {res['idle_active']}" if "bad_flow" in res else "-")
    print(f"| {label} | {res['rows']:,} | {res['lp']:,.1f} | {res['time']:.2f} | {res['status']} | "
          f"{res['obj'] / 1e6:,.2f} | {gap:.2%} | {(res['obj'] - base) / abs(base):+.2e} | {v} |", flush=True)


def run_instance(n: int, seed: int, listed: bool, tl: float):
    t0 = time.perf_counter()
    case = case_from_dict(region(n, seed, listed=listed), file="<region>")
    pm = ParkModel(case)
    pm.set_objective("cost")
    print(f"\n### {n} plants, {'listed' if listed else 'generated'} exchanges: {len(pm.exchanges):,} exchanges "
          f"(load + build {time.perf_counter() - t0:.1f} s)")
    print("rows per family: " + ", ".join(f"{f} {len(pm.m.find_component(f))}" for f in FAMILIES
                                          if pm.m.find_component(f) is not None))
    print("coefficients handed to HiGHS: " + ranges(pm))
    print("\n| variant | rows | LP bound (M CNY) | HiGHS s | status | MIP objective (M CNY) | gap | vs full | "
          "flows to idle / open to idle / idle running |")
    print("|---|---|---|---|---|---|---|---|---|")

    def variant(label, off=(), options=None, cost_scale=1.0, tie=False):
        comps = [pm.m.find_component(f) for f in off]
        comps = [c for c in comps if c is not None]
        for c in comps:
            c.deactivate()
        if tie:
            pm.tie_binaries_to_use()
        try:
            lp = solve(pm, tl, relax=True, options=options, cost_scale=cost_scale)
            res = solve(pm, tl, options=options, cost_scale=cost_scale)
        finally:
            for c in comps:
                c.activate()
            if tie:
                pm.m.use_link.deactivate()
                pm.m.use_plant.deactivate()
        res["lp"] = lp["obj"] / 1e6
        return res

    full = variant("all rows")
    base = full["obj"]
    row("all rows (as built)", full, base)
    links = ("link_source", "link_target")
    row("without link_source + link_target", variant("", links), base)
    row("without link_source", variant("", ("link_source",)), base)
    row("without link_target", variant("", ("link_target",)), base)
    for fam in ("cap_min", "share", "one_size"):
        if pm.m.find_component(fam) is not None and len(pm.m.find_component(fam)):
            row(f"without {fam} (changes the MILP)", variant("", (fam,)), base)
    if pm.m.find_component("link_min") is not None and len(pm.m.link_min):
        row("without link_min", variant("", ("link_min",)), base)
    else:
        print("| link_min | 0 rows (no exchange has a min) | | | | | | | |")
    row("with use_link + use_plant (tie_binaries_to_use)", variant("", tie=True), base)
    row("with use_link + use_plant, without link_source/target", variant("", links, tie=True), base)
    for label, opts, scale in (("presolve off", {"presolve": "off"}, 1.0),
                               ("mip_heuristic_effort 0.3", {"mip_heuristic_effort": 0.3}, 1.0),
                               ("objective in CNY (x1e6)", None, 1e6),
                               ("objective in k CNY (x1e3)", None, 1e3)):
        row(f"all rows, {label}", variant("", (), opts, scale), base)
        row(f"no link rows, {label}", variant("", links, opts, scale), base)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 1000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--listed-too", action="store_true", help="also the listed instances (same MILP)")
    args = ap.parse_args(argv)
    print(f"# row families: objective cost, HiGHS 1 thread, gap 1 %, limit {args.time_limit:g} s; "
          "LP bound = relaxation of the same matrix")
    for n in args.sizes:
        for listed in ((False, True) if args.listed_too else (False,)):
            run_instance(n, args.seed, listed, args.time_limit)


if __name__ == "__main__":
    main()
