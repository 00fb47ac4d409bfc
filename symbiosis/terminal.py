"""What the command line shares: its consoles, errors, logging, progress and checks.

Every ``symbiosis`` command prints through :data:`console` (results, stdout) and
:data:`err_console` (errors, warnings, progress bars: stderr, so piped tables stay
clean). Nothing here imports the model, the solver or the views: ``symbiosis --help``
and ``symbiosis validate`` stay quick.

Exit codes: 2 bad input (a case, an option value), 3 infeasible park, 4 solver failure,
5 image export without a browser, 6 Dask scheduler unreachable.
"""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

import typer
from rich.console import Console

from symbiosis.errors import CaseError, InfeasibleError, Problem, SolverError, SymbiosisError
from symbiosis.fmt import fmt  # noqa: F401  (the CLI's number format is the shared one)

console = Console()
err_console = Console(stderr=True)
log = logging.getLogger("symbiosis")

#: objective names the model accepts (kept equal to symbiosis.model.OBJECTIVES by a test)
OBJECTIVES = ("reuse", "cost", "profit", "co2", "disposal")
OBJECTIVE_CHOICES = OBJECTIVES + ("reuse-then-cost", "weighted")

_state = {"quiet": False}

#: a progress callback: ``progress(done, total, message)``
ProgressFn = Callable[[int, Optional[int], str], None]


def setup_logging(quiet: bool = False, verbose: int = 0) -> None:
    """``--quiet``: errors only (no tables, no progress); ``-v``: INFO, ``-vv``: DEBUG."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    _state["quiet"] = quiet
    console.quiet = quiet
    # the width follows COLUMNS at each invocation (rich reads it once, when a Console is made)
    cols = os.environ.get("COLUMNS", "")
    for c in (console, err_console):
        c.width = int(cols) if cols.isdigit() and int(cols) > 0 else None  # type: ignore[assignment]
    from rich.logging import RichHandler
    for h in list(log.handlers):
        if getattr(h, "_symbiosis", False):
            log.removeHandler(h)
    handler = RichHandler(console=err_console, show_path=False, show_time=verbose >= 2, markup=False)
    handler._symbiosis = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False


#: commands that load a case and solve: they say so at once on a terminal (see :func:`starting`)
LONG_COMMANDS = ("solve", "compare", "pareto", "alternatives", "explain", "sweep", "outages", "gains", "phased",
                 "view")


_starting: dict = {"status": None}


class _StopOnOutput:
    """A render hook on stdout: the first table or line printed ends the start-up spinner."""

    def process_renderables(self, renderables):
        stop_starting()
        return renderables


def starting(command: Optional[str], argv: list[str]) -> None:
    """On a terminal, a spinner on stderr as soon as a long command starts, before the
    case is read and the solver imported (seconds on a loaded machine): ``solve: loading
    cases/x.yaml ...``. It goes when the first progress bar starts, something is printed
    on stdout, or the command ends. Nothing under ``--quiet``, in pipes or for quick commands."""
    if command not in LONG_COMMANDS or _state["quiet"] or not err_console.is_terminal:
        return
    import atexit
    rest = argv[argv.index(command) + 1:] if command in argv else []
    what = next((a for a in rest if not a.startswith("-")), None)
    stop_starting()
    from rich.live import Live
    from rich.markup import escape
    from rich.spinner import Spinner
    text = f"[dim]{command}: loading {escape(what)} ...[/]" if what else f"[dim]{command}: starting ...[/]"
    status = Live(Spinner("dots", text), console=err_console, transient=True, refresh_per_second=8)
    status.start(refresh=True)  # drawn now, not at the first tick
    hook = _StopOnOutput()
    console.push_render_hook(hook)  # type: ignore[arg-type]
    _starting.update(status=status, hook=hook)
    atexit.register(stop_starting)


def stop_starting() -> None:
    """End the start-up spinner of :func:`starting` (idempotent)."""
    status = _starting.get("status")
    if status is None:
        return
    _starting["status"] = None
    status.stop()
    hooks = getattr(console, "_render_hooks", [])  # this hook only (a Live may have pushed its own since)
    if _starting.get("hook") in hooks:
        hooks.remove(_starting["hook"])


def new_file(path, suffixes, what: str, force: bool) -> None:
    """Exit 2 with one line unless ``path`` ends in one of ``suffixes`` and, without
    ``force``, does not exist yet (commands that write one new file: template, generate)."""
    if path.suffix.lower() not in suffixes:
        err_console.print(f"error: {path}: {what}")
        raise typer.Exit(2)
    if path.exists() and not force:
        err_console.print(f"error: {path} exists; use --force to overwrite it")
        raise typer.Exit(2)


def writable(out) -> None:
    """Fail now (exit 6, one line) if ``out`` could not be written after the solve."""
    if out is None:
        return
    from symbiosis.outdir import OutputError, check_writable
    try:
        check_writable(out)
    except OutputError as exc:
        fail(exc)


def fail(exc: Exception) -> None:
    """Print an expected error and exit with its code (no traceback)."""
    if isinstance(exc, CaseError):
        if len(exc.problems) == 1:
            err_console.print(f"error: {exc.problems[0]}", markup=False, highlight=False, soft_wrap=True)
        else:
            err_console.print(f"[bold red]error:[/] {len(exc.problems)} problem(s) in the case:")
            for line in exc.lines():  # the first problems in full, the rest counted
                err_console.print(line, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    if isinstance(exc, InfeasibleError):
        err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(3)
    if isinstance(exc, SolverError):
        err_console.print(f"solver: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(4)
    if type(exc).__name__ in ("SchedulerError", "OutputError"):  # scheduler unreachable; --out unwritable
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(6)
    if isinstance(exc, (SymbiosisError, ValueError)):
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    raise exc


def bad_option(option: str, message: str) -> None:
    """One line naming the option and the fix; exit 2."""
    err_console.print(f"error: {option}: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def load(case_path: Path, scenario: Optional[str] = None):
    """The case at ``case_path`` (with ``scenario``), or the problems printed and exit 2."""
    from symbiosis.io import load_case
    try:
        return load_case(case_path, scenario=scenario)
    except CaseError as exc:
        fail(exc)


# ---------------------------------------------------------------- option checks (typer callbacks)
def check_objective(value: Optional[str]) -> Optional[str]:
    if value is not None and value not in OBJECTIVE_CHOICES:
        import difflib
        close = difflib.get_close_matches(value, OBJECTIVE_CHOICES, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        bad_option("--objective", f"unknown objective {value!r}; {hint}use one of {', '.join(OBJECTIVE_CHOICES)}")
    return value


def check_axis(value: str) -> str:
    if value not in OBJECTIVES:
        bad_option("--x/--y", f"unknown objective {value!r}; use one of {', '.join(OBJECTIVES)}")
    return value


def check_mip_gap(value: Optional[float]) -> Optional[float]:
    if value is not None and not (0 <= value < 1):
        bad_option("--mip-gap", f"{value:g} is not a relative gap; give a fraction in [0, 1), e.g. 0.01 for 1 %")
    return value


def check_time_limit(value: Optional[float]) -> Optional[float]:
    if value is not None and not (value > 0):
        bad_option("--time-limit", f"{value:g} s: give a positive number of seconds")
    return value


def check_threads(value: Optional[int]) -> Optional[int]:
    if value is not None and value < 1:
        bad_option("--threads", f"{value}: give at least 1 thread")
    return value


# ---------------------------------------------------------------- progress
@contextmanager
def progress(label: str, total: Optional[int] = None) -> Iterator[ProgressFn]:
    """A progress callback ``cb(done, total, message)`` for a long piece of work.

    On a terminal: a rich bar on stderr with counts, elapsed time and time remaining,
    gone when the work ends. Elsewhere (CI logs, pipes): one INFO log line per step
    (shown with ``-v``). Under ``--quiet``: nothing.
    """
    stop_starting()
    if _state["quiet"]:
        yield lambda done, total=None, message="": None  # type: ignore[misc]
        return
    if not err_console.is_terminal:
        def cb(done, total=None, message=""):
            log.info("%s: %s/%s %s", label, done, "?" if total is None else total, message)
        yield cb
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(bar_width=20),
                  MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                  TextColumn("{task.fields[message]}"), console=err_console, transient=True) as bar:
        task = bar.add_task(label, total=total, message="")

        def cb(done, total=None, message=""):
            bar.update(task, completed=done, total=total, message=str(message or ""))
        yield cb


__all__ = ["console", "err_console", "fail", "bad_option", "load", "fmt", "progress", "setup_logging", "starting",
           "check_objective", "check_axis", "check_mip_gap", "check_time_limit", "check_threads",
           "OBJECTIVES", "OBJECTIVE_CHOICES", "Problem"]
