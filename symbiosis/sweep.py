"""Sensitivity sweeps over prices and coefficients, run on Dask.

A sweep changes entries of a case (``materials.cement.sale_price``,
``plants.ceramsite_plant.capex``, ``settings.discount_rate``...; the entries of
:mod:`symbiosis.changes`, as ``Case.with_changes`` takes them) over a grid of values,
solves every combination and returns one row of KPIs per run. Every entry and value is
applied to the case and validated before any cluster starts, so a typo costs no cluster
start-up. Runs go to a Dask cluster: a local one by default, the scheduler at
``scheduler``, or a ``dask.distributed.Client`` of the caller's. Workers import the
solver once before the first run. Each task reads, changes, validates and solves its own
case, so nothing unpicklable travels.
"""
from __future__ import annotations

import itertools
import logging
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd

from symbiosis.changes import apply_changes, case_source, set_entry  # noqa: F401  (set_entry: public here too)
from symbiosis.errors import CaseError, InfeasibleError, Problem, SolverError, SymbiosisError

log = logging.getLogger(__name__)

KPI_COLUMNS = ["byproducts_reused", "reuse_rate", "byproducts_disposed", "co2", "capex", "annualised_cost",
               "new_plants", "exchanges_open"]
#: seconds to wait for a scheduler named by address before giving up
CONNECT_TIMEOUT = 5


class SchedulerError(SymbiosisError):
    """The Dask scheduler could not be reached (address, timeout and what to check)."""


def grid_runs(grid: dict[str, list]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, as a list of {entry: value}."""
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def _source(case, scenario: str | None) -> tuple[str, str | None, dict]:
    """(case file, scenario, changes the case already carries) of a path or a Case."""
    if isinstance(case, (str, os.PathLike)):
        return str(Path(case).resolve()), scenario, {}
    _, file, _, scen = case_source(case)
    return str(Path(file).resolve()), scenario or scen, dict(getattr(case, "changes", {}) or {})


def _case_data(case_file: str, scenario: str | None) -> dict:
    from symbiosis.io import deep_merge, read_yaml
    path = Path(case_file)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from symbiosis.excel import read_case_workbook
        data = read_case_workbook(path)
    else:
        data = read_yaml(path)
    if scenario:
        scen = data.get("scenarios") or {}
        if scenario not in scen:
            raise CaseError([Problem(case_file, f"scenarios.{scenario}",
                                     f"no such scenario; the case defines: {', '.join(scen) or 'none'}")])
        data = deep_merge(data, scen.get(scenario) or {})
    return data


def run_one(case_file: str, changes: dict[str, Any], objective: str | None, scenario: str | None,
            time_limit: float | None) -> dict:
    """Solve one point of a sweep (a Dask task): load, change, validate, solve, summarise."""
    from symbiosis.api import optimize
    from symbiosis.io import case_from_dict

    t0 = time.perf_counter()
    path = Path(case_file)
    row: dict[str, Any] = dict(changes)
    try:
        data = apply_changes(_case_data(case_file, scenario), changes, str(path), path.parent)
        case = case_from_dict(data, file=str(path), base_dir=path.parent)
        r = optimize(case, objective, time_limit=time_limit)
    except CaseError as exc:
        row.update(status="bad input", reason="; ".join(str(p) for p in exc.problems))
    except InfeasibleError as exc:
        row.update(status="infeasible", reason="; ".join(exc.reasons))
    except SolverError as exc:
        row.update(status="solver failed", reason=str(exc))
    except Exception as exc:  # a task must return its row: the reason, not a lost traceback
        row.update(status="error", reason=f"{type(exc).__name__}: {exc}")
    else:
        row.update({k: r.kpi(k) for k in KPI_COLUMNS})
        row["status"] = r.solver["status"]
        row["new_plant_names"] = ", ".join(r.built_plants["plant"])
        row["reason"] = ""
    row["seconds"] = time.perf_counter() - t0
    row["worker_pid"] = os.getpid()
    return row


def validate_grid(case_file: str, grid: dict[str, list], scenario: str | None = None,
                  base: dict | None = None) -> None:
    """Apply every entry and value of ``grid`` to the case, one at a time, and load it.

    Raises
    ------
    CaseError : every entry that does not exist and every value that does not validate,
        named by its entry and value, at once.
    """
    from symbiosis.io import case_from_dict
    path = Path(case_file)
    data = _case_data(case_file, scenario)
    base = dict(base or {})
    problems: list[Problem] = []
    if not grid:
        problems.append(Problem(case_file, "--vary", "nothing to vary: give ENTRY=V1,V2,..."))
    for entry, values in grid.items():
        if not values:
            problems.append(Problem(case_file, entry, "no values to try; write ENTRY=V1,V2,..."))
            continue
        for v in values:
            try:
                changed = apply_changes(data, {**base, entry: v}, str(path), path.parent)
                case_from_dict(changed, file=str(path), base_dir=path.parent)
            except CaseError as exc:
                for p in exc.problems:
                    problems.append(Problem(p.file, p.entry, f"{p.message} (with {entry} = {v!r})"))
                if any(p.entry == entry for p in exc.problems) and "no entry" in str(exc):
                    break  # the entry itself is missing: one line is enough
    if problems:
        raise CaseError(problems)


def _warm() -> int:
    """Import the model and solver stack on a worker (about 10 s on a fresh process)."""
    import highspy  # noqa: F401
    import pyomo.environ  # noqa: F401

    import symbiosis.api  # noqa: F401
    import symbiosis.io  # noqa: F401
    return os.getpid()


def connect(scheduler: str, timeout: float = CONNECT_TIMEOUT):
    """A Client of the scheduler at ``scheduler``, or SchedulerError within ``timeout``."""
    from dask.distributed import Client
    try:
        return Client(scheduler, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s "
                             f"({type(exc).__name__}); check the address (tcp://host:8786) and that "
                             "`dask scheduler` runs there") from None


def sweep(case, grid: dict[str, list], *, objective: str | None = None,
          scenario: str | None = None, time_limit: float | None = None, scheduler: str | None = None,
          n_workers: int | None = None, client=None, progress=None) -> pd.DataFrame:
    """Solve the case at every point of ``grid`` on Dask and return one row per point.

    Parameters
    ----------
    case : a :class:`~symbiosis.case.Case` read from a file (its scenario and
        ``with_changes`` entries are kept) or the path of a case file.
    grid : {entry: [values]}, e.g. ``{"materials.cement.sale_price": ["300 CNY/t", "380 CNY/t"]}``.
    scheduler : address of a running Dask scheduler (``tcp://host:8786``).
    client : a ``dask.distributed.Client`` to run on (left open); default: ``scheduler``,
        else a local cluster with ``n_workers`` processes (default: the machine's cores).
    progress : optional ``callable(done, total, message)``, called as the cluster starts
        and as runs finish.

    Returns
    -------
    DataFrame, one row per run: the grid's entries, the KPIs, ``status`` (the solver's,
    or ``bad input`` / ``infeasible`` / ``solver failed`` / ``error``), ``reason`` (why a
    run failed), ``new_plant_names``, ``seconds`` and ``worker_pid``.

    Raises
    ------
    CaseError : an entry or value of the grid does not apply to the case (checked
        before any cluster starts).
    SchedulerError : the scheduler at ``scheduler`` cannot be reached.
    """
    case_file, scenario, base = _source(case, scenario)
    validate_grid(case_file, grid, scenario, base)
    runs = [{**base, **changes} for changes in grid_runs(grid)]
    total = len(runs)
    if progress is not None:
        progress(0, total, "starting the cluster")
    cluster = None
    own = client is None
    if client is None and scheduler:
        client = connect(scheduler)
    elif client is None:
        from dask.distributed import Client, LocalCluster
        cluster = LocalCluster(n_workers=n_workers or min(total, os.cpu_count() or 1),
                               threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    from dask.distributed import as_completed
    try:
        t0 = time.perf_counter()
        client.run(_warm)
        log.info("workers ready in %.1f s", time.perf_counter() - t0)
        if progress is not None:
            progress(0, total, "solving")
        futures = [client.submit(run_one, case_file, changes, objective, scenario, time_limit, pure=False)
                   for changes in runs]
        order = {f.key: i for i, f in enumerate(futures)}
        rows: list[dict | None] = [None] * len(futures)
        for done, fut in enumerate(as_completed(futures), 1):
            row = fut.result()
            rows[order[fut.key]] = row
            if row.get("reason"):
                log.warning("run %s: %s: %s", {k: row[k] for k in grid}, row["status"], row["reason"])
            if progress is not None:
                progress(done, total, row.get("status", ""))
    finally:
        if own:
            client.close()
        if cluster is not None:
            cluster.close()
    df = pd.DataFrame(rows)
    cols = [c for c in grid] + [c for c in df.columns if c not in grid and c not in base]
    return df[cols] if len(df) else df
