"""The command line: ``symbiosis validate|schema|solve|compare ...``.

Thin on purpose: it parses options, calls the library and prints. Bad input exits with
code 2 and one line per problem (file, entry, hint); an infeasible park exits with 3 and
the reasons in the park's words; a solver failure exits with 4.
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

from symbiosis.errors import CaseError, InfeasibleError, SolverError

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
    raise exc


def load(case_path: Path, scenario: Optional[str] = None):
    from symbiosis.io import load_case
    try:
        return load_case(case_path, scenario=scenario)
    except CaseError as exc:
        fail(exc)


def fmt(v: float, unit: str = "") -> str:
    if unit == "fraction":
        return f"{v:.1%}"
    if unit == "count":
        return f"{v:.0f}"
    a = abs(v)
    if a >= 1e9:
        s = f"{v / 1e9:,.2f} G"
    elif a >= 1e6:
        s = f"{v / 1e6:,.2f} M"
    elif a >= 1e4:
        s = f"{v / 1e3:,.1f} k"
    else:
        s = f"{v:,.1f} "
    return s + unit


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
    for r in ch.sort_values(["kind", "flow"], ascending=[True, False]).itertuples():
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
          verbose: bool = typer.Option(False, "--verbose", "-v", help="Print the time of each phase.")):
    """Optimise a park and write the result (CSV, summary.json, network.html)."""
    from symbiosis.api import optimize
    from symbiosis.check import check_result
    from symbiosis.views import write_views
    t0 = time.perf_counter()
    c = load(case, scenario)
    t_load = time.perf_counter() - t0
    try:
        result = optimize(c, objective, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                          status_quo=status_quo)
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    result.timings = {"load": t_load, **result.timings}
    if check:
        bad = check_result(c, result)
        if bad:
            err_console.print("[bold red]warning:[/] the solution fails the independent check:")
            for b in bad[:20]:
                err_console.print(f"  - {b}", markup=False)
    print_result(result, verbose)
    t0 = time.perf_counter()
    written = result.write(out, html=False, extra=lambda tmp: write_views(result, tmp))
    result.timings["write"] = time.perf_counter() - t0
    console.print(f"wrote {len(written)} files to {out}/: " + ", ".join(p.name for p in written))
    if verbose:
        console.print(f"write {result.timings['write']:.3f} s")


def _load_command_modules():
    import symbiosis.commands as pkg
    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        importlib.import_module(f"symbiosis.commands.{mod.name}")


def main():
    _load_command_modules()
    app()


if __name__ == "__main__":
    main()
