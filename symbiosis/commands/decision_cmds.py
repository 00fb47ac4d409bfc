"""Decision-support commands: ``symbiosis pareto``, ``alternatives`` and ``explain``.

Thin: each parses its options, calls :mod:`symbiosis.decision` and prints rich tables.
Exit codes as ``symbiosis solve``: 2 bad input, 3 infeasible park, 4 solver failure.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from symbiosis.cli import app
from symbiosis.errors import CaseError, InfeasibleError, Problem, SolverError
from symbiosis.tables import money_of as _money
from symbiosis.tables import names_list as _names
from symbiosis.tables import fitted, print_alternatives
from symbiosis.terminal import (check_axis, check_mip_gap, check_objective, check_threads, check_time_limit, console,
                                err_console, fail, fmt, load, progress)

__all__ = ["pareto", "alternatives", "explain", "solve_alternatives", "print_alternatives"]

LIMIT_HELP = ("A limit KEY=VALUE, repeatable: capex=5e8, new_plants=2, co2='1.8 Mt/yr', disposal=1e5, "
              "cost=-3e8, min_reuse=3e5, min_reuse_rate=0.6, min_reuse_rate:fly_ash=0.7 (adds to or replaces "
              "the case's limits; 'none' lifts one).")


def _limits(case, texts):
    from symbiosis.decision import parse_limits
    try:
        return parse_limits(case, texts)
    except ValueError as exc:
        fail(CaseError([Problem("--limit", "", str(exc))]))


def _clean(v: float, below: float) -> float:
    """0 for what rounds to zero (no "-0.0" in tables)."""
    return 0.0 if abs(v) < below else v


def _fmt_value(name: str, v: float, money: str) -> str:
    return fmt(v, f"{money}/yr") if name in ("cost", "profit") else fmt(v, "t/yr")


@app.command()
def pareto(case: Path = typer.Argument(..., help="Case file (.yaml or .xlsx)."),
           x: str = typer.Option("cost", "--x", callback=check_axis,
                                  help="Objective on the x axis: cost | profit | reuse | co2 | disposal."),
           y: str = typer.Option("reuse", "--y", callback=check_axis, help="Objective on the y axis."),
           points: int = typer.Option(11, "--points", "-n", min=2, help="Epsilon steps, both ends included."),
           out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for pareto.csv and pareto.html."),
           limit: Optional[List[str]] = typer.Option(None, "--limit", help=LIMIT_HELP),
           scenario: Optional[str] = typer.Option(None, help="One of the case's scenarios."),
           time_limit: Optional[float] = typer.Option(None, callback=check_time_limit, help="Seconds per solve."),
           mip_gap: Optional[float] = typer.Option(None, callback=check_mip_gap, help="Relative MIP gap."),
           threads: Optional[int] = typer.Option(None, callback=check_threads, help="Solver threads."),
           png: bool = typer.Option(False, "--png", help="Also write pareto.png (needs chromium).")):
    """Pareto front of two objectives by the epsilon-constraint method, with each point's network."""
    from symbiosis.decision import pareto as run_pareto
    c = load(case, scenario)
    if c.periods:  # a phased case: the plans over its periods (symbiosis.phased_decision)
        from symbiosis.phased_print import run_pareto_phased
        run_pareto_phased(c, x, y, points, limit, out, time_limit=time_limit, mip_gap=mip_gap, threads=threads)
        return
    try:
        lim = _limits(c, limit)
        with progress("pareto", points) as cb:
            df = run_pareto(c, x, y, points, limits=lim, time_limit=time_limit, mip_gap=mip_gap,
                            threads=threads, html=Path(out) / "pareto.html", progress=cb)
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    except ValueError as exc:
        fail(CaseError([Problem("--x/--y", "", str(exc))]))
    money = _money(c)
    t = Table(title=f"{c.name}: Pareto front of {x} and {y} ({len(df)} points, {df.attrs['solves']} solves, "
                    f"{df.attrs['seconds']:.2f} s)", title_justify="left")
    for col in ("point", x, y, "reuse rate", "capex", "plants", "exchanges", "network change from the point above"):
        t.add_column(col, justify="left" if col.startswith("network") else "right")
    prev = None
    for r in df.itertuples():
        if prev is None:
            change = "plants: " + _names(r.plants, 8)
        else:
            plants = [f"+{p}" for p in r.plants if p not in prev.plants] + \
                     [f"-{p}" for p in prev.plants if p not in r.plants]
            added = [e for e in r.exchanges if e not in prev.exchanges]
            removed = [e for e in prev.exchanges if e not in r.exchanges]
            change = ", ".join(plants + ([f"+{len(added)} exchanges"] if added else [])
                               + ([f"-{len(removed)} exchanges"] if removed else [])) or "same network, other levels"
        t.add_row(str(r.point), _fmt_value(x, getattr(r, x), money), _fmt_value(y, getattr(r, y), money),
                  f"{r.reuse_rate:.1%}", fmt(r.capex, money), str(len(r.plants)), str(len(r.exchanges)), change)
        prev = r
    console.print(fitted(t))
    for miss in df.attrs.get("missed", []):
        console.print(f"[yellow]warning:[/] no point at {miss}; raise --time-limit to fill it in")
    Path(out).mkdir(parents=True, exist_ok=True)
    table = df.copy()
    for col in ("plants", "exchanges"):
        table[col] = table[col].map("; ".join)
    table.to_csv(Path(out) / "pareto.csv", index=False)
    console.print(f"wrote {out}/pareto.csv and {out}/pareto.html (hover a point for its network)")
    if png:
        from symbiosis.decision import pareto_png
        try:
            pareto_png(df, Path(out) / "pareto.png")
        except RuntimeError as exc:
            err_console.print(f"error: {exc}", markup=False)
            raise typer.Exit(5) from None
        console.print(f"wrote {out}/pareto.png")


@app.command()
def alternatives(case: Path = typer.Argument(..., help="Case file (.yaml or .xlsx)."),
                 k: int = typer.Option(5, "-k", "--k", min=1, help="How many networks."),
                 objective: Optional[str] = typer.Option(
                     None, callback=check_objective,
                     help="reuse | cost | profit | co2 | disposal | reuse-then-cost (default: the case's)."),
                 limit: Optional[List[str]] = typer.Option(None, "--limit", help=LIMIT_HELP),
                 out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write alternatives.csv here."),
                 scenario: Optional[str] = typer.Option(None, help="One of the case's scenarios."),
                 time_limit: Optional[float] = typer.Option(None, callback=check_time_limit, help="Seconds per solve."),
                 mip_gap: Optional[float] = typer.Option(None, callback=check_mip_gap, help="Relative MIP gap."),
                 threads: Optional[int] = typer.Option(None, callback=check_threads, help="Solver threads."),
                 structure: str = typer.Option(
                     "plants", help="What makes networks different: plants (built and closed plants; routing "
                                    "is not structure) | exchanges (plants and by-product exchanges) | all."),
                 keep_idle: bool = typer.Option(False, "--keep-idle", help="Also list networks with an idle "
                                                "plant (one that can be dropped without loss).")):
    """The k best structurally different networks (integer cuts), ranked, with what differs from the best."""
    from symbiosis.decision import STRUCTURE_ALIASES, STRUCTURES
    if STRUCTURE_ALIASES.get(structure, structure) not in STRUCTURES:
        fail(CaseError([Problem("--structure", "", f"unknown structure {structure!r}; use one of "
                                f"{', '.join(STRUCTURES)}")]))
    c = load(case, scenario)
    if c.periods:  # a phased case: plans are what is built when (symbiosis.phased_decision)
        from symbiosis.phased_print import run_alternatives_phased
        run_alternatives_phased(c, k, objective, limit, out, structure=STRUCTURE_ALIASES.get(structure, structure),
                                time_limit=time_limit, mip_gap=mip_gap, threads=threads)
        return
    df = _alternatives(c, k, objective, _limits(c, limit), time_limit, mip_gap, threads, structure=structure,
                       idle=keep_idle)
    print_alternatives(c, df, console)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        table = df.copy()
        for col in ("plants", "exchanges", "added", "removed"):
            table[col] = table[col].map("; ".join)
        table.to_csv(Path(out) / "alternatives.csv", index=False)
        console.print(f"wrote {out}/alternatives.csv")


def _alternatives(c, k, objective, limits, time_limit=None, mip_gap=None, threads=None, **how):
    from symbiosis.decision import alternatives as run_alternatives
    try:
        with progress("alternatives", k) as cb:
            return run_alternatives(c, k, objective, limits=limits, time_limit=time_limit, mip_gap=mip_gap,
                                    threads=threads, progress=cb, **how)
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    except ValueError as exc:
        fail(CaseError([Problem("--objective", "", str(exc))]))


def solve_alternatives(c, k: int, objective: str | None = None, limits: dict | None = None, **solver) -> None:
    """Find and print the ``k`` best networks of case ``c``: what ``symbiosis solve CASE
    --alternatives K`` calls after its own result (``solver``: time_limit, mip_gap, threads)."""
    print_alternatives(c, _alternatives(c, k, objective, limits or {}, solver.get("time_limit"),
                                        solver.get("mip_gap"), solver.get("threads")), console)


@app.command()
def explain(case: Path = typer.Argument(..., help="Case file (.yaml or .xlsx)."),
            exchange: Optional[str] = typer.Option(None, "--exchange", "-e", help="One exchange, FROM->TO:material."),
            plant: Optional[str] = typer.Option(None, "--plant", "-p", help="One plant."),
            objective: Optional[str] = typer.Option(
                None, callback=check_objective,
                help="reuse | cost | profit | co2 | disposal | reuse-then-cost (default: the case's)."),
            break_even: int = typer.Option(10, "--break-even", help="Bisect the break-even subsidy of this many "
                                           "rejected exchanges (smallest regret first); 0: none, -1: all."),
            limit: Optional[List[str]] = typer.Option(None, "--limit", help=LIMIT_HELP),
            top: int = typer.Option(40, "--top", help="Rows to print (all go to --out)."),
            out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write regret.csv here."),
            scenario: Optional[str] = typer.Option(None, help="One of the case's scenarios."),
            time_limit: Optional[float] = typer.Option(None, callback=check_time_limit, help="Seconds per solve."),
            mip_gap: Optional[float] = typer.Option(None, callback=check_mip_gap, help="Relative MIP gap."),
            threads: Optional[int] = typer.Option(None, callback=check_threads, help="Solver threads.")):
    """Why not? The regret of forcing in each rejected candidate and forbidding each chosen one."""
    from symbiosis.decision import explain as run_explain
    c = load(case, scenario)
    if c.periods:  # a phased case: when is each candidate plant worth building?
        if exchange is not None:
            fail(CaseError([Problem("--exchange", "", "on a phased case explain tells when each candidate plant is "
                                    "worth building; use --plant (or none for all candidates)")]))
        from symbiosis.phased_print import run_explain_phased
        run_explain_phased(c, plant, objective, limit, out, top, time_limit=time_limit, mip_gap=mip_gap,
                           threads=threads)
        return
    be = True if break_even < 0 else (False if break_even == 0 else break_even)
    try:
        lim = _limits(c, limit)
        with progress("explain") as cb:
            df = run_explain(c, exchange, plant, objective=objective, break_even=be, limits=lim,
                             time_limit=time_limit, mip_gap=mip_gap, threads=threads, progress=cb)
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    except ValueError as exc:
        fail(CaseError([Problem("--exchange", "", str(exc))]))
    money = _money(c)
    primary = df.attrs["primary"]
    unit = f"{money}/yr" if primary in ("cost", "profit") else ("" if primary == "weighted" else "t/yr")
    t = Table(title=f"{c.name}: regret by {df.attrs['objective']} (best {primary} "
                    f"{fmt(df.attrs['base'], unit)}; {df.attrs['solves']} solves, {df.attrs['seconds']:.2f} s)",
              title_justify="left")
    for col in ("candidate", "test", f"regret ({primary})", "cost change", "per unit", "break-even", "reason"):
        t.add_column(col, justify="right" if col.startswith(("regret", "cost", "per", "break")) else "left",
                     no_wrap=col != "reason", overflow="fold", min_width=24 if col == "reason" else None)
    for r in df.head(top).itertuples():
        regret = "-" if r.test in ("not a candidate", "fixed") or math.isnan(r.regret) else (
            "infeasible" if math.isinf(r.regret) else fmt(r.regret, unit))
        cost = "-" if math.isnan(r.cost_change) else fmt(_clean(r.cost_change, 0.05), f"{money}/yr")
        if isinstance(r.break_even, float) and math.isfinite(r.break_even):
            be_text = (f"{r.break_even:,.2f} {r.break_even_unit}" if "capex" not in r.break_even_unit else
                       fmt(r.break_even, r.break_even_unit.split(" ")[0]) + " capex").replace(" subsidy", "")
        else:
            be_text = r.break_even_unit or ""
        per_unit = f"{_clean(r.cost_per_unit, 0.005):,.2f} {money}/t" if math.isfinite(r.cost_per_unit) else ""
        t.add_row(r.candidate, r.test, regret, cost, per_unit, be_text, r.reason)
    console.print(fitted(t))
    if len(df) > top:
        console.print(f"... {len(df) - top} more rows" + (" in the CSV" if out else "; use --out to write them all"))
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        df.to_csv(Path(out) / "regret.csv", index=False)
        console.print(f"wrote {out}/regret.csv")
