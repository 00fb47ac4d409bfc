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
from rich.table import Table
from typer.core import TyperGroup

from symbiosis import __version__
from symbiosis.errors import CaseError, InfeasibleError, Problem, SolverError, SymbiosisError
from symbiosis.fmt import money_unit, per_period
from symbiosis.tables import MARGIN_NOTE, change_table, fitted, kpi_table, print_result
from symbiosis.terminal import (bad_option, check_mip_gap, check_objective, check_threads, check_time_limit,
                                console, err_console, fail, fmt, load, progress, setup_logging, writable)

__all__ = ["app", "main", "console", "err_console", "fail", "fmt", "load", "progress"]


class _Group(TyperGroup):
    """The command group: every usage error (unknown option, bad value, missing argument)
    and every expected error is one line on stderr with its exit code, never a traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from typer._click import exceptions as click  # typer's own copy of click's errors
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.NoArgsIsHelpError as exc:
            console.print(exc.ctx.get_help(), markup=False, highlight=False)
            rv = 2
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "symbiosis"
            err_console.print(f"error: {exc.format_message()} (see `{where} --help`)", markup=False,
                              highlight=False, soft_wrap=True)
            rv = exc.exit_code
        except click.ClickException as exc:
            err_console.print(f"error: {exc.format_message()}", markup=False, highlight=False, soft_wrap=True)
            rv = exc.exit_code
        except typer.Abort:
            err_console.print("aborted", markup=False)
            rv = 1
        except (SymbiosisError, ValueError) as exc:  # one the commands did not catch themselves
            try:
                fail(exc)
            except typer.Exit as e:
                rv = e.exit_code
        except OSError as exc:  # a file that cannot be read or written
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            rv = 1
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(cls=_Group, add_completion=True, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="symbiosis: optimise by-product exchanges and new plants in an industrial park.")


def _version(value: bool) -> None:
    if value:
        console.print(f"symbiosis {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(ctx: typer.Context,
             version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                          help="Print the version and exit."),
             quiet: bool = typer.Option(False, "--quiet", "-q", help="Print errors only (no tables, no progress)."),
             verbose: int = typer.Option(0, "--verbose", "-v", count=True,
                                         help="More log lines on stderr: -v progress steps, -vv debug.")):
    """symbiosis: optimise by-product exchanges and new plants in an industrial park."""
    setup_logging(quiet, verbose)
    from symbiosis.terminal import starting
    starting(ctx.invoked_subcommand, sys.argv)


@app.command()
def validate(case: Path = typer.Argument(..., help="Case file (.yaml or .xlsx)."),
             scenario: Optional[str] = typer.Option(None, help="Validate one of the case's scenarios.")):
    """Check a case and report every problem at once (file, entry, what is expected)."""
    c = load(case, scenario)
    console.print(f"[green]ok[/]: {case}: {len(c.plants)} plants "
                  f"({sum(p.is_candidate for p in c.plants.values())} candidates), {len(c.processes)} processes, "
                  f"{len(c.materials)} materials, {len(c.exchanges)} named exchanges")
    implicit = c.implicit_excess()
    if implicit:
        console.print(f"note: {len(implicit)} material(s) made in the park can leave a plant neither by disposal "
                      f"nor by sale, so every unit made must go to another plant: {', '.join(implicit[:12])}"
                      f"{' ...' if len(implicit) > 12 else ''}. Say 'excess: forbid' on each to confirm, or give "
                      "a disposal_cost (or sale_price).", highlight=False)


@app.command()
def schema(library: bool = typer.Option(False, "--library", help="Schema of a process-library file instead.")):
    """Print the JSON Schema of case files (or of process-library files)."""
    from symbiosis import schema as sch
    model = sch.LibraryFile if library else sch.CaseSpec
    sys.stdout.write(json.dumps(model.model_json_schema(by_alias=True), indent=2) + "\n")


@app.command()
def solve(case: Path = typer.Argument(..., help="Case file (.yaml or .xlsx)."),
          out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for tables, summary.json, views."),
          objective: Optional[str] = typer.Option(None, callback=check_objective,
                                                   help="reuse | cost | profit | co2 | disposal | reuse-then-cost"),
          scenario: Optional[str] = typer.Option(None, help="One of the case's scenarios."),
          status_quo: bool = typer.Option(False, "--status-quo", help="Solve today's park only."),
          time_limit: Optional[float] = typer.Option(
              None, callback=check_time_limit, help="Seconds for the whole command: loading, the solve and the status quo."),
          mip_gap: Optional[float] = typer.Option(None, callback=check_mip_gap, help="Relative MIP gap."),
          threads: Optional[int] = typer.Option(None, callback=check_threads, help="Solver threads."),
          check: bool = typer.Option(True, help="Run the independent balance checker on the solution."),
          limit: Optional[list[str]] = typer.Option(None, "--limit", help="KEY=VALUE (repeat): capex, new_plants, "
                                                    "co2, disposal, cost, min_reuse, min_reuse_rate[:material]."),
          baseline: bool = typer.Option(True, help="Also solve the status quo, for the report's comparison."),
          alternatives: int = typer.Option(0, "--alternatives", "-k", help="Also list the K best structurally "
                                           "different networks."),
          png: bool = typer.Option(False, "--png", help="Also write the Sankey as PNG (needs chromium)."),
          parquet: bool = typer.Option(False, "--parquet", help="Also write every table as NAME.parquet (needs "
                                       "pyarrow: pip install 'symbiosis[parquet]')."),
          verbose: bool = typer.Option(False, "--verbose", "-v", help="Print the time of each phase.")):
    """Optimise a park; write tables (CSV, results.xlsx), summary.json, network.html, sankey.html, report.html."""
    from symbiosis.api import optimize
    from symbiosis.check import check_result
    from symbiosis.model import ParkModel
    from symbiosis.views import write_views
    writable(out)
    if parquet:
        from symbiosis.result import parquet_available
        if not parquet_available():  # before the solve, not after it
            bad_option("--parquet", "writing Parquet needs pyarrow, which is not installed; pip install "
                       "'symbiosis[parquet]' (or pip install pyarrow), or leave out --parquet for CSV only")
    t0 = time.perf_counter()
    c = load(case, scenario)
    t_load = time.perf_counter() - t0
    if c.periods and not status_quo:  # a phased case: plan over its periods (symbiosis phased)
        from symbiosis.phased_print import run_phased
        run_phased(c, out, objective, time_limit=time_limit, mip_gap=mip_gap, threads=threads, limit=limit,
                   alternatives=alternatives, parquet=parquet)
        return
    limits = None
    if limit:
        from symbiosis.decision import parse_limits
        try:
            limits = parse_limits(c, limit)
        except ValueError as exc:
            fail(CaseError([Problem("--limit", "", str(exc))]))
    # the time limit is for the whole command: loading, building, the solve and the status quo
    deadline = t0 + float(time_limit if time_limit is not None else c.settings.time_limit)

    def left() -> float:
        return max(deadline - time.perf_counter(), 0.1)

    try:
        with progress("solving") as cb:
            cb(0, None, "building the model")
            pm = ParkModel(c)
            result = optimize(c, objective, time_limit=left(), mip_gap=mip_gap, threads=threads,
                              status_quo=status_quo, model=pm, limits=limits, progress=cb)
    except (InfeasibleError, SolverError, ValueError) as exc:
        fail(exc)
    reference = None
    if baseline and not status_quo and not c.settings.status_quo and deadline - time.perf_counter() < 0.5:
        err_console.print("warning: the time limit left no time to solve today's park (the status quo), so the "
                          "report shows no comparison; raise --time-limit or pass --no-baseline", highlight=False)
    elif baseline and not status_quo and not c.settings.status_quo:
        t1 = time.perf_counter()
        try:
            with progress("status quo") as cb:
                reference = optimize(c, objective, time_limit=left(), mip_gap=mip_gap, threads=threads,
                                     status_quo=True, model=pm, progress=cb)
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
        from symbiosis.attribution import change_summary
        gained = result.kpi("byproducts_reused") - reference.kpi("byproducts_reused")
        console.print(f"against the status quo: reuse rate {reference.kpi('reuse_rate'):.1%} -> "
                      f"{result.kpi('reuse_rate'):.1%} ({fmt(gained, per_period(result, 't'))} more reused), utilisation rate "
                      f"{reference.kpi('utilisation_rate'):.1%} -> {result.kpi('utilisation_rate'):.1%}, operating "
                      f"margin {fmt(reference.kpi('profit'), per_period(result, money_unit(result)))} -> "
                      f"{fmt(result.kpi('profit'), per_period(result, money_unit(result)))}")
        console.print(fitted(change_table(result, reference)))
        result.meta["change_against_status_quo"] = change_summary(result, reference)
    if alternatives:
        from symbiosis.decision import alternatives as run_alternatives
        from symbiosis.tables import print_alternatives
        try:
            with progress("alternatives", alternatives) as cb:
                df = run_alternatives(c, alternatives, objective, limits=limits or {}, time_limit=time_limit,
                                      mip_gap=mip_gap, threads=threads, progress=cb)
        except (InfeasibleError, SolverError, ValueError) as exc:
            fail(exc)
        print_alternatives(c, df)
    t0 = time.perf_counter()

    try:
        with progress("writing views") as cb:  # seconds for a large park: say so
            cb(0, None, f"{out}/")
            written = result.write(out, html=False, parquet=True if parquet else None,
                                   extra=lambda tmp: write_views(result, tmp, status_quo=reference, png=png))
    except RuntimeError as exc:  # PNG export without a browser: say so; nothing was written
        err_console.print(f"error: {exc}; nothing was written to {out}/", markup=False)
        raise typer.Exit(5) from None
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
            objective: Optional[str] = typer.Option(None, callback=check_objective, help="Objective of every run."),
            time_limit: Optional[float] = typer.Option(None, callback=check_time_limit, help="Seconds per solve."),
            mip_gap: Optional[float] = typer.Option(None, callback=check_mip_gap, help="Relative MIP gap."),
            threads: Optional[int] = typer.Option(None, callback=check_threads, help="Solver threads."),
            verbose: bool = typer.Option(False, "--verbose", "-v", help="Print the time of each run."),
            period: Optional[list[str]] = typer.Option(None, "--period", "-p", help="Phased case: two periods to "
                                                       "compare (name or start year; default first and last)."),
            single_period: bool = typer.Option(False, "--single-period", help="Phased case: compare the plan's "
                                               "periods with the case solved as one period, without 'periods:'.")):
    """Solve the status quo and the optimised network (or the case's scenarios) and show them side by side.
    On a phased case: two periods of the plan, or the plan against the single-period case."""
    from symbiosis.api import optimize
    from symbiosis.check import check_result
    writable(out)
    c = load(case)
    if c.periods or period or single_period:  # across periods (symbiosis.comparison.compare_periods)
        from symbiosis.phased_print import run_compare_phased
        if scenario and len(scenario) > 1:
            bad_option("--scenario", "on a phased case compare puts periods side by side: give one scenario at most")
        run_compare_phased(load(case, scenario[0]) if scenario else c, period, single_period, out, objective,
                           time_limit=time_limit, mip_gap=mip_gap, threads=threads)
        return
    names = list(scenario or []) or list(c.scenarios)
    for n in names:
        if n not in c.scenarios:
            fail(CaseError([Problem(str(case), f"scenarios.{n}",
                                    f"no such scenario; the case defines: {', '.join(c.scenarios) or 'none'}")]))
    # each scenario is read once and serves both the solve and the check
    runs = {n: load(case, n) for n in names} if names else {"status quo": c, "optimised": c}
    results = {}
    try:
        with progress("compare", len(runs)) as cb:
            for i, (n, rc) in enumerate(runs.items()):
                cb(i, len(runs), n)
                results[n] = optimize(rc, objective, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                                      status_quo=(not names and n == "status quo"))
            cb(len(runs), len(runs), "done")
    except (InfeasibleError, SolverError, ValueError) as exc:
        fail(exc)
    for name, r in results.items():
        bad = check_result(runs[name], r)
        if bad:
            err_console.print(f"[bold red]warning:[/] {name} fails the independent check: {bad[:3]}")
    console.print(f"[bold]{c.name}[/]: " + ", ".join(
        f"{n} {r.solver['status']} ({r.solver['solve_time']:.2f} s)" for n, r in results.items()))
    console.print(fitted(kpi_table(results, "Side by side")))
    console.print(MARGIN_NOTE, style="dim")
    ref = next(iter(results.values()))
    for name, r in list(results.items())[1:]:   # each run against the first (the status quo without scenarios)
        t = change_table(r, ref)
        t.title = f"{name}: operating margin against {next(iter(results))}, by cause"
        console.print(fitted(t))
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
                r.write(sub, html=False, extra=lambda d, r=r, i=i: write_views(r, d, status_quo=first if i else None))
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
          objective: Optional[str] = typer.Option(None, callback=check_objective, help="Objective of every run."),
          scenario: Optional[str] = typer.Option(None, help="One of the case's scenarios."),
          scheduler: Optional[str] = typer.Option(None, help="Dask scheduler address; default: a local cluster."),
          workers: Optional[int] = typer.Option(None, help="Workers of the local cluster (default: cores)."),
          time_limit: Optional[float] = typer.Option(None, callback=check_time_limit, help="Seconds per solve.")):
    """Solve the case over a grid of changed prices or coefficients, in parallel on Dask."""
    from symbiosis.sweep import sweep as run_sweep
    grid = {}
    for item in vary:
        if "=" not in item:
            bad_option("--vary", f"{item!r}: write ENTRY=VALUE1,VALUE2,... e.g. materials.coal.price=600 CNY/t,700 CNY/t")
        entry, values = item.split("=", 1)
        grid[entry.strip()] = [_value(v.strip()) for v in values.split(",") if v.strip()]
    try:
        with progress("sweep") as cb:
            df = run_sweep(case, grid, objective=objective, scenario=scenario, time_limit=time_limit,
                           scheduler=scheduler, n_workers=workers, progress=cb)
    except (SymbiosisError, ValueError) as exc:  # bad entries and values before any cluster; no scheduler
        fail(exc)
    t = Table(title=f"Sweep of {case} ({len(df)} runs)", title_justify="left")
    cols = [(e.split(".")[-2] + " " + e.split(".")[-1] if e.count(".") else e, e, None) for e in grid]
    cols += [("status", "status", None), ("reused", "byproducts_reused", "t/yr"),  # type: ignore[list-item]
             ("reuse rate", "reuse_rate", "fraction"), ("capex", "capex", "CNY"),  # type: ignore[list-item]
             ("annualised cost", "annualised_cost", "CNY/yr"), ("new plants", "new_plant_names", None),  # type: ignore[list-item]
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
    console.print(fitted(t))
    failed = df[df["reason"].fillna("").astype(str) != ""] if "reason" in df.columns else df.iloc[:0]
    for _, r in failed.iterrows():
        point = ", ".join(f"{e}={r[e]}" for e in grid)
        err_console.print(f"run {point}: {r['status']}: {r['reason']}", markup=False, highlight=False,
                          soft_wrap=True)
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
    app(prog_name="symbiosis")


if __name__ == "__main__":
    main()
