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
               threads: Optional[int] = None, limit: Optional[list] = None, alternatives: int = 0,
               parquet: bool = False):
    """Solve, print and write a phased case (shared by ``phased`` and ``solve``;
    ``parquet``: every table also as NAME.parquet).

    ``limit``: ``--limit`` texts, ``KEY=VALUE`` in every period (replacing the period's
    own value; ``capex`` and ``new_plants`` count what is built in each period) or
    ``KEY@PERIOD=VALUE`` in one (period name or start year). ``alternatives``: also list
    the K best plans (what is built when)."""
    from symbiosis.phased import optimize_phased
    from symbiosis.phased_decision import with_limits
    if not c.periods:
        fail(CaseError([Problem(str(c.path or c.name), "periods", "the case has no periods; add "
                                "'periods:' with each period's start and years (see docs/phased.md)")]))
    lim = _period_limits(c, limit)
    c = with_limits(c, lim)
    try:
        res = optimize_phased(c, objective, myopic=myopic, time_limit=time_limit, mip_gap=mip_gap, threads=threads)
        other = (optimize_phased(c, objective, myopic=not myopic, time_limit=time_limit, mip_gap=mip_gap,
                                 threads=threads) if compare_myopic else None)
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
    if alternatives:
        run_alternatives_phased(c, alternatives, objective, limits={}, time_limit=time_limit, mip_gap=mip_gap,
                                threads=threads)
    res.write(out, parquet=True if parquet else None)
    console.print(f"wrote {out}/ (plants.csv, exchanges.csv, kpis.csv, plan.csv, market.csv, materials.csv, "
                  "inputs.csv, summary.json, network.html with a period selector, report.html with the timeline)")
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




# ---------------------------------------------------------------- decision support over time
def _period_limits(c, texts):
    """``--limit`` texts of a phased case, or one line naming the fix and exit 2."""
    from symbiosis.phased_decision import parse_period_limits
    try:
        return parse_period_limits(c, texts)
    except ValueError as exc:
        fail(CaseError([Problem("--limit", "", str(exc))]))


def _horizon_value(name: str, v: float, money: str) -> str:
    return fmt(v, money) if name == "cost" else fmt(v, "t")


def run_pareto_phased(c, x: str, y: str, points: int, limit=None, out: Optional[Path] = None, **solver):
    """``symbiosis pareto`` on a phased case: the front of two horizon objectives, each
    point's plan by period (pareto.csv in ``out``)."""
    from symbiosis.phased_decision import pareto_phased
    from symbiosis.tables import fitted
    from symbiosis.terminal import progress
    lim = _period_limits(c, limit)
    try:
        with progress("pareto (phased)", points) as cb:
            df = pareto_phased(c, x, y, points, limits=lim, progress=cb, **solver)
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    except ValueError as exc:
        fail(CaseError([Problem("--x/--y", "", str(exc))]))
    money = df.attrs["money"]
    t = Table(title=f"{c.name}: Pareto front of {x} and {y} over the periods ({len(df)} points, "
                    f"{df.attrs['solves']} solves, {df.attrs['seconds']:.2f} s)", title_justify="left")
    for col in ("point", f"{x}", f"{y}", "reuse rate", "investment", *[f"built {n}" for n in df.attrs["periods"]]):
        t.add_column(col, justify="left" if col.startswith("built") else "right")
    for r in df.to_dict("records"):
        t.add_row(str(r["point"]), _horizon_value(x, r[x], money), _horizon_value(y, r[y], money),
                  f"{r['reuse_rate']:.1%}", fmt(r["investment"], money),
                  *[", ".join(r[f"built {n}"]) or "-" for n in df.attrs["periods"]])
    console.print(fitted(t))
    _print_checked(df)
    if out is not None:
        _write_table(df, Path(out), "pareto.csv")
    return df


def _print_checked(df) -> None:
    sz = df.attrs.get("model_size") or {}
    if sz:
        console.print(f"model: {sz['columns']:,} columns ({sz['integer_columns']:,} integer), {sz['rows']:,} rows, "
                      f"{sz['nonzeros']:,} nonzeros; {df.attrs['solves']} solves in {df.attrs['seconds']:.1f} s")
    if "verified" not in df:
        return
    if "status" in df and len(df) and (df["status"] != "optimal").any():
        console.print(f"[bold yellow]warning:[/] {int((df['status'] != 'optimal').sum())} plan(s) not proven "
                      "optimal (the solver stopped at the time limit): their order may change; raise --time-limit")
    bad = df[~df["verified"]] if len(df) else df
    if len(bad):
        console.print(f"[bold red]warning:[/] {len(bad)} plan(s) fail the check: {bad.iloc[0]['problems']}")
    else:
        console.print("every plan verified (balances of each period, net present cost and reuse from the tables)")


def _write_table(df, out: Path, name: str) -> None:
    from symbiosis.result import write_whole
    table = df.copy()
    for col in table.columns:
        if len(table) and isinstance(table[col].iloc[0], tuple):
            table[col] = table[col].map("; ".join)

    def fill(tmp):
        table.to_csv(tmp / name, index=False)
    write_whole(out, fill)
    console.print(f"wrote {out}/{name}")


def run_alternatives_phased(c, k: int, objective: Optional[str] = None, limit=None, out: Optional[Path] = None,
                            structure: str = "plants", limits: Optional[dict] = None, **solver):
    """``symbiosis alternatives`` (and ``solve -k``) on a phased case: the k best plans."""
    from symbiosis.phased_decision import alternatives_phased
    from symbiosis.terminal import progress
    lim = limits if limits is not None else _period_limits(c, limit)
    if structure not in ("plants", "exchanges"):
        fail(CaseError([Problem("--structure", "", f"a phased case's plans are told apart by 'plants' (what is "
                                "built when) or 'exchanges' (and when by-product exchanges open), not "
                                f"{structure!r}")]))
    try:
        with progress("alternatives (phased)", k) as cb:
            df = alternatives_phased(c, k, objective, limits=lim, structure=structure, progress=cb, **solver)
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    except ValueError as exc:
        fail(CaseError([Problem("--objective", "", str(exc))]))
    print_alternatives_phased(c, df)
    if out is not None:
        _write_table(df, Path(out), "alternatives.csv")
    return df


def print_alternatives_phased(c, df) -> None:
    from symbiosis.tables import fitted
    money = df.attrs["money"]
    if df.empty:
        console.print("no plan is feasible")
        return
    t = Table(title=f"{c.name}: the {len(df)} best plan{'s' if len(df) != 1 else ''} by {df.attrs['objective']} "
                    f"({df.attrs['solves']} solves, {df.attrs['seconds']:.2f} s)", title_justify="left")
    for col in ("rank", "NPC", "vs best", "reuse", "reuse rate", "differs from the best"):
        t.add_column(col, justify="left" if col.startswith("differs") else "right")
    best = df.iloc[0]["cost"]
    for r in df.to_dict("records"):
        diff = [f"+{a}" for a in r["added"]] + [f"-{a}" for a in r["removed"]] + list(r["moved"])
        diff += list(r["other_changes"])
        delta = r["cost"] - best
        t.add_row(str(r["rank"]), fmt(r["cost"], money), "" if r["rank"] == 1 else ("+" if delta >= 0 else "") +
                  fmt(delta, money), fmt(r["reuse"], "t"), f"{r['reuse_rate']:.1%}",
                  "(best)" if r["rank"] == 1 else "\n".join(diff[:8]) + (f"\n+{len(diff) - 8} more" if len(diff) > 8 else ""))
    first = df.iloc[0]
    console.print("best plan: " + "; ".join(f"{n}: {', '.join(first[f'built {n}']) or 'nothing'}"
                                            for n in df.attrs["periods"]))
    console.print(fitted(t))
    if df.attrs.get("complete"):
        console.print("no other plan exists")
    _print_checked(df)


def run_explain_phased(c, plant: Optional[str] = None, objective: Optional[str] = None, limit=None,
                       out: Optional[Path] = None, top: int = 40, **solver):
    """``symbiosis explain`` on a phased case: when is each candidate worth building?"""
    import math

    from symbiosis.phased_decision import explain_phased
    from symbiosis.tables import fitted
    from symbiosis.terminal import progress
    lim = _period_limits(c, limit)
    try:
        with progress("explain (phased)") as cb:
            df = explain_phased(c, plant, objective=objective, limits=lim, progress=cb, **solver)
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    except ValueError as exc:
        fail(CaseError([Problem("--plant" if plant else "--objective", "", str(exc))]))
    money = df.attrs["money"]
    primary = df.attrs["primary"]
    t = Table(title=f"{c.name}: when to build, regret by {df.attrs['objective']} (best {primary} "
                    f"{_horizon_value(primary, df.attrs['base'], money)}; {df.attrs['solves']} solves, "
                    f"{df.attrs['seconds']:.2f} s)", title_justify="left")
    for col in ("candidate", "test", "best plan", f"regret ({primary})", "reuse change", "NPC change", "gap"):
        t.add_column(col, justify="right" if col.startswith(("regret", "reuse", "NPC", "gap")) else "left")
    for r in df.head(top).to_dict("records"):
        regret = "impossible" if math.isinf(r["regret"]) else _horizon_value(primary, r["regret"], money)
        t.add_row(r["candidate"], r["test"], r["best"], regret,
                  "-" if math.isnan(r["reuse_change"]) else fmt(r["reuse_change"], "t"),
                  "-" if math.isnan(r["cost_change"]) else fmt(r["cost_change"], money),
                  "-" if math.isnan(r["gap"]) else f"{r['gap']:.2%}")
    console.print(fitted(t))
    if len(df) > top:
        console.print(f"... {len(df) - top} more rows" + (" in the CSV" if out else "; use --out to write them all"))
    for sentence in df.attrs["verdicts"].values():
        console.print(sentence, markup=False, highlight=False)
    if df.attrs.get("note"):
        console.print(f"[bold yellow]warning:[/] {df.attrs['note']}")
    _print_checked(df)
    if not df.attrs["verified"]:
        console.print("[bold red]warning:[/] the best plan fails the check: " + "; ".join(df.attrs["base_problems"][:2]))
    if out is not None:
        _write_table(df, Path(out), "regret.csv")
    return df


# ---------------------------------------------------------------- compare across periods
def run_compare_phased(c, period: Optional[list] = None, single_period: bool = False, out: Optional[Path] = None,
                       objective: Optional[str] = None, **solver):
    """``symbiosis compare`` on a phased case: two periods of the plan side by side
    (``period``: two names or start years, default the first and the last), or with
    ``single_period`` the plan's periods beside the case solved as one period (the case
    without its ``periods:``). ``out``: comparison.csv and the plan's tables."""
    import dataclasses
    import math

    from symbiosis.comparison import compare_periods, compare_phased_single
    from symbiosis.phased import optimize_phased
    from symbiosis.tables import fitted
    if not c.periods:
        fail(CaseError([Problem(str(c.path or c.name), "periods", "--period and --single-period compare the "
                                "periods of a phased case; this case has no 'periods:'")]))
    period = list(period or [])
    if single_period and period:
        fail(CaseError([Problem("--period", "", "give either two periods or --single-period, not both")]))
    if period and len(period) != 2:
        fail(CaseError([Problem("--period", "", f"give two periods to compare (got {len(period)}): "
                                "--period 2021 --period 2031")]))
    objective = objective if objective in (None, "cost", "reuse", "reuse-then-cost") else objective
    try:
        res = optimize_phased(c, objective, **solver)
        single = None
        if single_period:
            from symbiosis.api import optimize
            base = dataclasses.replace(c, periods=[])
            single = optimize(base, objective if objective else None, **solver)
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    except ValueError as exc:
        fail(CaseError([Problem("--objective", "", str(exc))]))
    money = c.units.get("money", "CNY")
    console.print(f"[bold]{c.name}[/]: phased plan {res.solver['status']}, net present cost "
                  f"{fmt(res.horizon['npc']['value'], money)}")
    if single is None:
        try:
            df = compare_periods(res, *(period or (0, -1)))
        except ValueError as exc:
            fail(CaseError([Problem("--period", "", str(exc))]))
        a, b = df.attrs["periods"]
        t = Table(title=f"{a} against {b} (per year of each period)", title_justify="left")
        for col in ("KPI", a, b, "change", "change %"):
            t.add_column(col, justify="left" if col == "KPI" else "right")
        for k in _COMPARE_KPIS:
            if k not in df.index:
                continue
            r = df.loc[k]
            pct = "" if math.isnan(r["change_pct"]) else f"{r['change_pct']:+.1f} %"
            t.add_row(k.replace("_", " "), *[_val(r[x], r["unit"]) for x in (a, b, "change")], pct)
        console.print(fitted(t))
        console.print(f"built from {a} to {b}: {', '.join(df.attrs['built_between']) or 'nothing'}; plants running "
                      f"in {b} and not in {a}: {', '.join(df.attrs['plants_added']) or 'none'}"
                      + (f"; not any more: {', '.join(df.attrs['plants_removed'])}" if df.attrs["plants_removed"] else ""))
        console.print(f"exchanges: {len(df.attrs['exchanges_added'])} in use in {b} and not in {a}, "
                      f"{len(df.attrs['exchanges_removed'])} the other way")
    else:
        df = compare_phased_single(res, single)
        names = df.attrs["periods"]
        t = Table(title="The plan's periods against the case solved as one period (per year)", title_justify="left")
        for col in ("KPI", "single period", *names):
            t.add_column(col, justify="left" if col == "KPI" else "right")
        for k in _COMPARE_KPIS:
            if k not in df.index:
                continue
            r = df.loc[k]
            t.add_row(k.replace("_", " "), _val(r["single period"], r["unit"]), *[_val(r[n], r["unit"]) for n in names])
        console.print(fitted(t))
        bp = df.attrs["build_period"]
        singles = set(df.attrs["single_builds"])
        t = Table(title="Plants: built in the single-period plan, and when the phased plan builds them",
                  title_justify="left")
        for col in ("plant", "single period", "phased plan"):
            t.add_column(col)
        for p, when in bp.items():
            t.add_row(p, "built" if p in singles else "-", when or "not built")
        console.print(fitted(t))
    if out is not None:
        from symbiosis.result import write_whole

        def fill(tmp):
            df.to_csv(tmp / "comparison.csv")
            res.write(tmp / "plan", html=False)
        write_whole(out, fill)
        console.print(f"wrote {out}/comparison.csv and {out}/plan/")
    return df


_COMPARE_KPIS = ("byproducts_generated", "byproducts_reused", "reuse_rate", "utilisation_rate", "co2",
                 "annualised_cost", "capex_annualised", "operating_cost", "purchases", "sales", "new_plants",
                 "exchanges_open")


def _val(v, unit: str) -> str:
    import math
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.1%}" if unit == "fraction" else fmt(v, unit)
