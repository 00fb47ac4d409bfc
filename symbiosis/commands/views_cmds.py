"""Commands for views and workbooks: ``symbiosis template|convert|view``."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from symbiosis.cli import app
from symbiosis.errors import CaseError, InfeasibleError, SolverError
from symbiosis.terminal import (check_objective, check_time_limit, console, err_console, fail, load, new_file, progress,
                                writable)

YAML_SUFFIXES = (".yaml", ".yml")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


@app.command()
def template(path: Path = typer.Argument(Path("case.xlsx"), help="Workbook to write (.xlsx)."),
             force: bool = typer.Option(False, "--force", "-f", help="Overwrite an existing file.")):
    """Write an empty case workbook: a sheet per section and an instructions sheet."""
    from symbiosis.excel import write_case_template
    new_file(path, XLSX_SUFFIXES, "a case workbook must end in .xlsx", force)
    write_case_template(path)
    console.print(f"wrote {path}: fill the sheets, then `symbiosis validate {path}`")


@app.command()
def convert(source: Path = typer.Argument(..., help="Case to read (.yaml or .xlsx)."),
            target: Path = typer.Argument(..., help="Case to write (.xlsx or .yaml)."),
            force: bool = typer.Option(False, "--force", "-f", help="Overwrite an existing file.")):
    """Convert a case between YAML and an Excel workbook (either way, without loss)."""
    from symbiosis.excel import workbook_to_yaml
    from symbiosis.io import case_to_workbook
    s, t = source.suffix.lower(), target.suffix.lower()
    if target.exists() and not force:
        err_console.print(f"error: {target} exists; use --force to overwrite it")
        raise typer.Exit(2)
    try:
        if s in YAML_SUFFIXES and t in XLSX_SUFFIXES:
            case_to_workbook(source, target)
        elif s in XLSX_SUFFIXES and t in YAML_SUFFIXES:
            workbook_to_yaml(source, target)
        else:
            err_console.print(f"error: convert reads .yaml and writes .xlsx, or reads .xlsx and writes .yaml "
                              f"(got {source.name} -> {target.name})")
            raise typer.Exit(2)
    except CaseError as exc:
        fail(exc)
    console.print(f"wrote {target}")


def _read_result_dir(folder: Path):
    from symbiosis.loadresult import load_result
    try:
        return load_result(folder)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        err_console.print(f"error: {folder} does not hold a result written by `symbiosis solve` ({exc})")
        raise typer.Exit(2) from None


@app.command()
def view(source: Path = typer.Argument(..., help="A case file (solved as status quo and optimised) or a "
                                                 "result folder written by `symbiosis solve`."),
         out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for the views (default: the "
                                            "result folder, or out/ for a case)."),
         status_quo: Optional[Path] = typer.Option(None, "--status-quo", help="Result folder of the status quo "
                                                   "to show beside a result folder."),
         png: bool = typer.Option(False, "--png", help="Also write sankey.png (needs Chromium for kaleido)."),
         objective: Optional[str] = typer.Option(None, callback=check_objective, help="Objective (for a case)."),
         scenario: Optional[str] = typer.Option(None, help="One of the case's scenarios (for a case)."),
         time_limit: Optional[float] = typer.Option(None, callback=check_time_limit, help="Seconds per solve (for a case)."),
         color_by: str = typer.Option("sector", "--color-by", help="Colour the network's plants by sector "
                                      "(default), company (the plants' company; see `symbiosis gains`), park or "
                                      "plant.")):
    """Write network.html, sankey.html, report.html and results.xlsx for a case or a result folder."""
    from symbiosis.views import write_views
    if color_by not in ("sector", "company", "park", "plant"):
        err_console.print(f"error: --color-by {color_by!r}: use sector, company, park or plant")
        raise typer.Exit(2)
    if source.is_dir():
        result = _read_result_dir(source)
        sq = _read_result_dir(status_quo) if status_quo is not None else None
        folder = out or source
    else:
        from symbiosis.api import optimize
        writable(out or Path("out"))  # exit 6 before the solves, not after
        c = load(source, scenario)
        try:
            with progress("solving", 2) as cb:
                cb(0, 2, "the status quo")
                sq = optimize(c, objective, status_quo=True, time_limit=time_limit)
                cb(1, 2, "the optimised network")
                result = optimize(c, objective, time_limit=time_limit)
                cb(2, 2, "done")
        except (InfeasibleError, SolverError, ValueError) as exc:
            fail(exc)
        folder = out or Path("out")
    colours = {}
    if color_by != "sector":
        from symbiosis.gains import company_colors
        nodes, legend = company_colors(result, color_by)
        colours = {"node_colors": nodes, "node_legend": legend, "node_legend_title": f"Plants by {color_by}"}
    from symbiosis.outdir import OutputError, write_whole
    try:
        with progress("writing views") as cb:  # seconds for a large park: say so
            cb(0, None, f"{folder}/")
            if source.is_dir():  # the views swapped in whole; the folder's tables and other files kept
                written = write_whole(folder, lambda tmp: write_views(
                    result, tmp, status_quo=sq, png=png, **colours))  # type: ignore[arg-type]
            else:
                written = result.write(folder, html=False, extra=lambda tmp: write_views(
                    result, tmp, status_quo=sq, png=png, **colours))  # type: ignore[arg-type]
    except RuntimeError as exc:  # PNG export without a browser: say so, no traceback
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(5) from None
    except OutputError as exc:  # read-only, full or locked folder: one line, exit 6
        fail(exc)
    console.print(f"wrote {len(written)} files to {folder}/: " + ", ".join(p.name for p in written))
