"""The command line: ``symbiosis validate|schema|solve|compare ...``.

Thin on purpose: it parses options, calls the library and prints. Bad input exits with
code 2 and one line per problem (file, entry, hint); an infeasible park exits with 3 and
the reasons in the park's words; a solver failure exits with 4; an output folder that cannot
be written (read-only, full, locked by another run) exits with 6, checked before the solve.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from symbiosis.errors import CaseError, InfeasibleError, Problem, SolverError, SymbiosisError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="symbiosis: optimise by-product exchanges and new plants in an industrial park.")
console = Console()
err_console = Console(stderr=True)


def fail(exc: Exception) -> None:
    """Print an expected error and exit with its code (no traceback)."""
    if isinstance(exc, CaseError):
        err_console.print(f"[bold red]error:[/] {len(exc.problems)} problem(s) in the case:")
        for p in exc.problems:
            err_console.print(f"  {p}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    if isinstance(exc, InfeasibleError):
        err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(3)
    if isinstance(exc, SolverError):
        err_console.print(f"solver: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(4)
    from symbiosis.outdir import OutputError
    if isinstance(exc, OutputError):
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(6)
    raise exc


def writable(out: Optional[Path]) -> None:
    """Fail now (exit 6, one line) if ``out`` could not be written after the solve."""
    if out is None:
        return
    from symbiosis.outdir import OutputError, check_writable
    try:
        check_writable(out)
    except OutputError as exc:
        fail(exc)


def load(case_path: Path, scenario: Optional[str] = None):
    from symbiosis.io import load_case
    try:
        return load_case(case_path, scenario=scenario)
    except CaseError as exc:
        fail(exc)


def fmt(v: float, unit: str = "") -> str:
    """A number for people: 427.2 kt/yr, 1.05 M MWh/yr, 300.0 M CNY, 82.8%."""
    if v is None or v != v:
        return "-"
    if unit == "fraction":
        return f"{v:.1%}"
    if unit == "count":
        return f"{v:.0f}"
    a = abs(v)
    if unit.startswith("t/") or unit == "t":  # tonnes take SI prefixes: kt, Mt
        for div, pre in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if a >= div * 10 if div == 1e3 else a >= div:
                return f"{v / div:,.1f} {pre}{unit}" if div != 1e9 else f"{v / div:,.2f} {pre}{unit}"
        return f"{v:,.1f} {unit}"
    for div, pre in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if a >= div * 10 if div == 1e3 else a >= div:
            return f"{v / div:,.2f} {pre} {unit}".rstrip()
    return f"{v:,.1f} {unit}".rstrip()


KEY_KPIS = ["byproducts_generated", "byproducts_reused", "byproducts_disposed", "reuse_rate", "co2", "capex",
            "annualised_cost", "new_plants", "exchanges_open"]


def kpi_table(results: dict, title: str) -> Table:
    t = Table(title=title, title_justify="left")
    t.add_column("KPI")
    for name in results:
        t.add_column(name, justify="right")
    first = next(iter(results.values()))
    names = [k for k in KEY_KPIS if k in first.kpis.index] + [
        k for k in first.kpis.index if k.startswith(("reuse_rate_", "reused_"))]
    for k in names:
        unit = first.kpis.loc[k, "unit"]
        t.add_row(k.replace("_", " "), *[fmt(r.kpi(k), unit) if k in r.kpis.index else "-" for r in results.values()])
    return t


def print_result(result, verbose: bool = False) -> None:
    s = result.solver
    gap = f"{s['gap']:.2%}" if s.get("gap") is not None else "n/a"
    bound = f"{s['bound']:,.0f}" if s.get("bound") is not None else "n/a"
    console.print(f"[bold]{result.case_name}[/] - objective {result.objective}: status [bold]{s['status']}[/], "
                  f"objective {s['objective']:,.0f}, bound {bound}, gap {gap}, solve {s['solve_time']:.2f} s")
    console.print(kpi_table({"value": result}, "Key figures"))
    built = result.built_plants
    if len(built):
        t = Table(title="New plants built", title_justify="left")
        for c in ("plant", "process", "capacity", "activity", "utilisation", "capex"):
            t.add_column(c, justify="right" if c not in ("plant", "process") else "left")
        for r in built.itertuples():
            t.add_row(r.plant, r.process, fmt(r.capacity, f"{r.activity_unit}/yr"),
                      fmt(r.activity, f"{r.activity_unit}/yr"), f"{r.utilisation:.0%}", fmt(r.capex, "CNY"))
        console.print(t)
    ch = result.chosen_exchanges
    t = Table(title=f"Exchanges open ({len(ch)})", title_justify="left")
    for c in ("from", "to", "material", "flow", "km", "existing"):
        t.add_column(c, justify="right" if c in ("flow", "km") else "left")
    for r in ch.sort_values(["kind", "unit", "flow"], ascending=[True, False, False]).itertuples():
        t.add_row(r.source, r.target, r.material, fmt(r.flow, f"{r.unit}/yr"), f"{r.distance:.1f}",
                  "yes" if r.existing else "new")
    console.print(t)
    if verbose:
        console.print("phase times: " + ", ".join(f"{k} {v:.3f} s" for k, v in result.timings.items()))


@app.command()
def validate(case: Path = typer.Argument(..., help="Case file (.yaml or .xlsx)."),
             scenario: Optional[str] = typer.Option(None, help="Validate one of the case's scenarios.")):
    """Check a case and report every problem at once (file, entry, what is expected)."""
    c = load(case, scenario)
    console.print(f"[green]ok[/]: {case}: {len(c.plants)} plants "
                  f"({sum(p.is_candidate for p in c.plants.values())} candidates), {len(c.processes)} processes, "
                  f"{len(c.materials)} materials, {len(c.exchanges)} named exchanges")


@app.command()
def schema(library: bool = typer.Option(False, "--library", help="Schema of a process-library file instead.")):
    """Print the JSON Schema of case files (or of process-library files)."""
    from symbiosis import schema as sch
    model = sch.LibraryFile if library else sch.CaseSpec
    sys.stdout.write(json.dumps(model.model_json_schema(by_alias=True), indent=2) + "\n")


@app.command()
def solve(case: Path = typer.Argument(..., help="Case file (.yaml or .xlsx)."),
          out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for tables, summary.json, views."),
          objective: Optional[str] = typer.Option(None, help="reuse | cost | profit | co2 | disposal | reuse-then-cost"),
          scenario: Optional[str] = typer.Option(None, help="One of the case's scenarios."),
          status_quo: bool = typer.Option(False, "--status-quo", help="Solve today's park only."),
          time_limit: Optional[float] = typer.Option(None, help="Seconds per solve."),
          mip_gap: Optional[float] = typer.Option(None, help="Relative MIP gap."),
          threads: Optional[int] = typer.Option(None, help="Solver threads."),
          check: bool = typer.Option(True, help="Run the independent balance checker on the solution."),
          limit: Optional[list[str]] = typer.Option(None, "--limit", help="KEY=VALUE (repeat): capex, new_plants, "
                                                    "co2, disposal, cost, min_reuse, min_reuse_rate[:material]."),
          baseline: bool = typer.Option(True, help="Also solve the status quo, for the report's comparison."),
          alternatives: int = typer.Option(0, "--alternatives", "-k", help="Also list the K best structurally "
                                           "different networks."),
          png: bool = typer.Option(False, "--png", help="Also write the Sankey as PNG (needs chromium)."),
          verbose: bool = typer.Option(False, "--verbose", "-v", help="Print the time of each phase.")):
    """Optimise a park; write tables (CSV, results.xlsx), summary.json, network.html, sankey.html, report.html."""
    from symbiosis.api import optimize
    from symbiosis.check import check_result
    from symbiosis.model import ParkModel
    from symbiosis.views import write_views
    writable(out)
    t0 = time.perf_counter()
    c = load(case, scenario)
    t_load = time.perf_counter() - t0
    limits = None
    if limit:
        from symbiosis.decision import parse_limits
        try:
            limits = parse_limits(c, limit)
        except ValueError as exc:
            fail(CaseError([Problem("--limit", "", str(exc))]))
    try:
        pm = ParkModel(c)
        result = optimize(c, objective, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                          status_quo=status_quo, model=pm, limits=limits)
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    reference = None
    if baseline and not status_quo and not c.settings.status_quo:
        t1 = time.perf_counter()
        try:
            reference = optimize(c, objective, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                                 status_quo=True, model=pm)
        except (InfeasibleError, SolverError) as exc:
            err_console.print("warning: today's park (the status quo) could not be solved, so the report "
                              f"shows no comparison:\n{exc}", markup=False, highlight=False)
        result.timings["status_quo"] = time.perf_counter() - t1
    result.timings = {"load": t_load, **result.timings}
    if check:
        bad = check_result(c, result)
        if bad:
            err_console.print("[bold red]warning:[/] the solution fails the independent check:")
            for b in bad[:20]:
                err_console.print(f"  - {b}", markup=False)
    print_result(result, verbose)
    if reference is not None:
        gained = result.kpi("byproducts_reused") - reference.kpi("byproducts_reused")
        console.print(f"against the status quo: reuse rate {reference.kpi('reuse_rate'):.1%} -> "
                      f"{result.kpi('reuse_rate'):.1%} ({fmt(gained, 't/yr')} more reused), annualised cost "
                      f"{fmt(reference.kpi('annualised_cost'), 'CNY/yr')} -> {fmt(result.kpi('annualised_cost'), 'CNY/yr')}")
    if alternatives:
        from symbiosis.commands.decision_cmds import solve_alternatives
        solve_alternatives(c, alternatives, objective, time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    t0 = time.perf_counter()

    try:
        written = result.write(out, html=False,
                               extra=lambda tmp: write_views(result, tmp, status_quo=reference, png=png))
    except RuntimeError as exc:  # PNG export without a browser: say so; nothing was written
        err_console.print(f"error: {exc}; nothing was written to {out}/", markup=False)
        raise typer.Exit(5)
    except SymbiosisError as exc:  # the output folder (read-only, full, locked)
        fail(exc)
    result.timings["write"] = time.perf_counter() - t0
    console.print(f"wrote {len(written)} files to {out}/: " + ", ".join(p.name for p in written))
    if verbose:
        console.print(f"write {result.timings['write']:.3f} s")


@app.command()
def compare(case: Path = typer.Argument(..., help="Case file (.yaml or .xlsx)."),
            scenario: Optional[list[str]] = typer.Option(None, "--scenario", "-s",
                                                         help="Scenario to include (repeat); default: all of "
                                                              "the case's scenarios, else status quo vs optimised."),
            out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for the comparison and each run."),
            objective: Optional[str] = typer.Option(None, help="Objective of every run."),
            time_limit: Optional[float] = typer.Option(None, help="Seconds per solve."),
            mip_gap: Optional[float] = typer.Option(None, help="Relative MIP gap."),
            threads: Optional[int] = typer.Option(None, help="Solver threads."),
            verbose: bool = typer.Option(False, "--verbose", "-v", help="Print the time of each run.")):
    """Solve the status quo and the optimised network (or the case's scenarios) and show them side by side."""
    from symbiosis.api import optimize
    from symbiosis.check import check_result
    writable(out)
    c = load(case)
    names = list(scenario or []) or list(c.scenarios)
    for n in names:
        if n not in c.scenarios:
            fail(CaseError([Problem(str(case), f"scenarios.{n}",
                                    f"no such scenario; the case defines: {', '.join(c.scenarios) or 'none'}")]))
    # each scenario is read once and serves both the solve and the check
    runs = {n: load(case, n) for n in names} if names else {"status quo": c, "optimised": c}
    try:
        with console.status("solving..."):
            results = {n: optimize(rc, objective, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                                   status_quo=(not names and n == "status quo")) for n, rc in runs.items()}
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    for name, r in results.items():
        bad = check_result(runs[name], r)
        if bad:
            err_console.print(f"[bold red]warning:[/] {name} fails the independent check: {bad[:3]}")
    console.print(f"[bold]{c.name}[/]: " + ", ".join(
        f"{n} {r.solver['status']} ({r.solver['solve_time']:.2f} s)" for n, r in results.items()))
    console.print(kpi_table(results, "Side by side"))
    for name, r in results.items():
        built = ", ".join(r.built_plants["plant"]) or "none"
        new_ex = r.chosen_exchanges
        new_ex = new_ex[(~new_ex["existing"]) & (new_ex["kind"] == "byproduct")]
        console.print(f"[bold]{name}[/]: new plants: {built}; new by-product exchanges: "
                      + (", ".join(f"{x.source}->{x.target} ({x.material})" for x in new_ex.itertuples()) or "none"))
    if out is not None:
        table = comparison_table(results)
        first = next(iter(results.values()))  # the reference run (status quo) for the reports

        def extra(tmp):
            from symbiosis.views import write_views
            table.to_csv(tmp / "comparison.csv")
            for i, (name, r) in enumerate(results.items()):
                sub = tmp / _slug(name)
                sub.mkdir()
                r.write(sub, html=False, extra=lambda d, r=r: write_views(r, d, status_quo=first if i else None))
        from symbiosis.result import write_whole
        try:
            written = write_whole(out, extra)
        except SymbiosisError as exc:
            fail(exc)
        console.print(f"wrote {len(written)} entries to {out}/")


@app.command()
def sweep(case: Path = typer.Argument(..., help="Case file (.yaml)."),
          vary: list[str] = typer.Option(..., "--vary", help="ENTRY=V1,V2,... e.g. "
                                         "'materials.cement.sale_price=300 CNY/t,380 CNY/t' (repeat for a grid)."),
          out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the table as CSV here."),
          objective: Optional[str] = typer.Option(None, help="Objective of every run."),
          scenario: Optional[str] = typer.Option(None, help="One of the case's scenarios."),
          scheduler: Optional[str] = typer.Option(None, help="Dask scheduler address; default: a local cluster."),
          workers: Optional[int] = typer.Option(None, help="Workers of the local cluster (default: cores)."),
          time_limit: Optional[float] = typer.Option(None, help="Seconds per solve.")):
    """Solve the case over a grid of changed prices or coefficients, in parallel on Dask."""
    from rich.progress import Progress

    from symbiosis.sweep import sweep as run_sweep
    grid = {}
    for item in vary:
        if "=" not in item:
            fail(CaseError([Problem(str(case), item, "write --vary as ENTRY=VALUE1,VALUE2,...")]))
        entry, values = item.split("=", 1)
        grid[entry.strip()] = [_value(v.strip()) for v in values.split(",") if v.strip()]
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("solving", total=None)
        try:
            df = run_sweep(case, grid, objective=objective, scenario=scenario, time_limit=time_limit,
                           scheduler=scheduler, n_workers=workers,
                           progress=lambda d, n: bar.update(task, completed=d, total=n))
        except CaseError as exc:
            fail(exc)
    t = Table(title=f"Sweep of {case} ({len(df)} runs)", title_justify="left")
    cols = [(e.split(".")[-2] + " " + e.split(".")[-1] if e.count(".") else e, e, None) for e in grid]
    cols += [("status", "status", None), ("reused", "byproducts_reused", "t/yr"),
             ("reuse rate", "reuse_rate", "fraction"), ("capex", "capex", "CNY"),
             ("annualised cost", "annualised_cost", "CNY/yr"), ("new plants", "new_plant_names", None),
             ("s", "seconds", None)]
    cols = [c for c in cols if c[1] in df.columns]
    for head, _, _ in cols:
        t.add_column(head, overflow="fold")
    for _, r in df.iterrows():
        cells = []
        for _, key, unit in cols:
            v = r[key]
            if unit and isinstance(v, (int, float)) and v == v:
                cells.append(fmt(v, unit))
            elif key == "seconds":
                cells.append(f"{v:.2f}")
            else:
                cells.append("" if v is None or v != v else str(v))
        t.add_row(*cells)
    console.print(t)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        df.to_csv(tmp, index=False)
        tmp.replace(out)
        console.print(f"wrote {out}")


def _value(text: str):
    try:
        return float(text) if any(ch in text for ch in ".eE") else int(text)
    except ValueError:
        return text


def comparison_table(results: dict):
    """KPIs of several results side by side (rows: KPI; columns: unit and each run)."""
    import pandas as pd
    cols = {name: r.kpis["value"] for name, r in results.items()}
    first = next(iter(results.values()))
    df = pd.concat(cols, axis=1)
    df.insert(0, "unit", first.kpis["unit"].reindex(df.index).fillna(""))
    return df


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_") or "run"


def _load_command_modules():
    import symbiosis.commands as pkg
    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        importlib.import_module(f"symbiosis.commands.{mod.name}")


def main():
    _load_command_modules()
    try:
        app()
    except SymbiosisError as exc:  # e.g. an output folder that cannot be written, from any command
        try:
            fail(exc)
        except typer.Exit as done:
            sys.exit(done.exit_code)


if __name__ == "__main__":
    main()
