"""Planning over periods: ``symbiosis phased CASE`` (``symbiosis solve`` on a case with
``periods:`` comes here too).

Thin: parses the options, calls :func:`symbiosis.phased.optimize_phased` and prints the
plan. Exit codes as ``symbiosis solve``: 2 bad input, 3 infeasible plan, 4 solver failure.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from rich.table import Table

from symbiosis.terminal import console, fail, fmt
from symbiosis.errors import CaseError, InfeasibleError, Problem, SolverError


def run_phased(c, out: Path, objective: Optional[str] = None, myopic: bool = False, compare_myopic: bool = False,
               time_limit: Optional[float] = None, mip_gap: Optional[float] = None,
               threads: Optional[int] = None):
    """Solve, print and write a phased case (shared by ``phased`` and ``solve``)."""
    from symbiosis.phased import optimize_phased
    if not c.periods:
        fail(CaseError([Problem(str(c.path or c.name), "periods", "the case has no periods; add "
                                "'periods:' with each period's start and years (see docs/phased.md)")]))
    kw = dict(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    try:
        res = optimize_phased(c, objective, myopic=myopic, **kw)  # type: ignore[arg-type]
        other = optimize_phased(c, objective, myopic=not myopic, **kw) if compare_myopic else None  # type: ignore[arg-type]
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    except ValueError as exc:
        fail(CaseError([Problem("--objective", "", str(exc))]))
    print_phased(res)
    if other is not None:
        fore, myo = (other, res) if myopic else (res, other)
        worth = myo.horizon["npc"]["value"] - fore.horizon["npc"]["value"]
        console.print(f"foresight is worth {fmt(worth, 'CNY')} of net present cost "
                      f"(perfect foresight {fmt(fore.horizon['npc']['value'], 'CNY')}, myopic "
                      f"{fmt(myo.horizon['npc']['value'], 'CNY')})")
    res.write(out)
    console.print(f"wrote {out}/ (plants.csv, exchanges.csv, kpis.csv, plan.csv, market.csv, materials.csv, "
                  "inputs.csv, summary.json)")
    return res


def print_phased(res) -> None:
    s = res.solver
    gap = f"{s['gap']:.2%}" if s.get("gap") is not None else "n/a"
    how = "myopic" if res.myopic else "perfect foresight"
    console.print(f"[bold]{res.case_name}[/] - phased plan ({how}), objective {res.objective}: status "
                  f"[bold]{s['status']}[/], gap {gap}; net present cost {fmt(res.horizon['npc']['value'], 'CNY')}, "
                  f"reuse over the horizon {res.horizon['reuse_rate']['value']:.1%}")
    sz = res.model_size
    if sz:
        console.print(f"model: {sz['columns']:,} columns ({sz['integer_columns']:,} integer), {sz['rows']:,} rows; "
                      f"solve {res.timings.get('solve', s.get('solve_time', 0.0)):.2f} s")
    t = Table(title="By period", title_justify="left")
    t.add_column("KPI")
    for p in res.periods:
        t.add_column(f"{p['name']} ({p['start']}-{p['end']})", justify="right")
    for k in ("byproducts_generated", "byproducts_reused", "reuse_rate", "co2", "annualised_cost",
              "new_plants", "exchanges_open"):
        unit = res.kpis.loc[k, "unit"]
        t.add_row(k.replace("_", " "), *[fmt(res.results[p["name"]].kpi(k), unit) for p in res.periods])
    t.add_row("investment", *[fmt(res.horizon["investment_by_period"][p["name"]], "CNY") for p in res.periods])
    console.print(t)
    plan = res.plan()
    kinds = {(r.source, r.target, r.material): r.kind for r in res.exchanges.itertuples()}
    t = Table(title="What opens when (plants, and links of by-products)", title_justify="left")
    for c in ("period", "what", "name", "detail", "capex"):
        t.add_column(c, justify="right" if c == "capex" else "left")
    for p in res.periods:
        rows = plan[plan["period"] == p["name"]]
        others = 0
        for r in rows.itertuples():
            if r.what == "exchange":
                src, dst = r.name.split(" -> ")
                if kinds.get((src, dst, r.detail)) != "byproduct":
                    others += 1
                    continue
            t.add_row(str(r.period), r.what, r.name, r.detail, fmt(r.capex, "CNY") if r.capex else "-")
        if others:
            t.add_row(p["name"], "exchange", f"{others} links of products and energy", "(plan.csv)", "")
    console.print(t)


