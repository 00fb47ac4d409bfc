"""``symbiosis phased CASE``: the command; the work and the tables are in
:mod:`symbiosis.phased_print` (which ``symbiosis solve`` calls for a phased case)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from symbiosis.cli import app, load
from symbiosis.phased_print import print_phased, run_phased  # noqa: F401 - re-exported

@app.command()
def phased(case: Path = typer.Argument(..., help="Case file with 'periods:'."),
           out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for the plan's tables and summary.json."),
           objective: Optional[str] = typer.Option(None, help="cost (net present cost) | reuse | reuse-then-cost; "
                                                   "default the case's objective."),
           scenario: Optional[str] = typer.Option(None, help="One of the case's scenarios."),
           myopic: bool = typer.Option(False, "--myopic", help="Solve the periods one after another, earlier "
                                       "decisions fixed."),
           compare_myopic: bool = typer.Option(False, "--compare-myopic", help="Also solve the other way and "
                                               "print what foresight is worth."),
           time_limit: Optional[float] = typer.Option(None, help="Seconds per solve."),
           mip_gap: Optional[float] = typer.Option(None, help="Relative MIP gap."),
           threads: Optional[int] = typer.Option(None, help="Solver threads."),
           limit: Optional[List[str]] = typer.Option(None, "--limit", help="KEY=VALUE in every period (replaces "
                                                     "the period's own; capex and new_plants count what is built "
                                                     "in each period), or KEY@PERIOD=VALUE in one (name or start "
                                                     "year), e.g. capex@2026=5e9. Repeatable."),
           alternatives: int = typer.Option(0, "--alternatives", "-k", help="Also list the K best plans (what "
                                            "is built when).")):
    """Plan over periods (five-year plans): which plants and exchanges open in which period."""
    c = load(case, scenario)
    run_phased(c, out, objective, myopic, compare_myopic, time_limit, mip_gap, threads, limit, alternatives)
