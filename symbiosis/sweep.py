"""Sensitivity sweeps over prices and coefficients, run on Dask.

A sweep changes entries of a case file (``materials.cement.sale_price``,
``plants.slag_cement.capex``, ``settings.discount_rate``...) over a grid of values,
solves every combination and returns one row of KPIs per run. Runs go to a Dask
cluster: a local one by default, or the scheduler at ``scheduler`` for a real cluster.
Each task reads, validates and solves its own case, so nothing unpicklable travels.
"""
from __future__ import annotations

import copy
import itertools
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd

from symbiosis.errors import CaseError, InfeasibleError, Problem, SolverError

KPI_COLUMNS = ["byproducts_reused", "reuse_rate", "byproducts_disposed", "co2", "capex", "annualised_cost",
               "new_plants", "exchanges_open"]


def set_entry(data: dict, entry: str, value: Any, file: str = "<sweep>") -> None:
    """Set ``a.b.c`` in a nested dict (lists by index: ``exchanges.2.max``)."""
    parts = entry.split(".")
    cur = data
    for i, part in enumerate(parts[:-1]):
        key: Any = int(part) if isinstance(cur, list) else part
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            raise CaseError([Problem(file, entry, f"no entry {'.'.join(parts[:i + 1])!r} in the case to vary")]) from None
    last = parts[-1]
    if isinstance(cur, list):
        cur[int(last)] = value
    elif isinstance(cur, dict):
        if last not in cur and not isinstance(value, (int, float, str)):
            raise CaseError([Problem(file, entry, "no such entry to vary")])
        cur[last] = value
    else:
        raise CaseError([Problem(file, entry, "cannot vary an entry inside a value")])


def grid_runs(grid: dict[str, list]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, as a list of {entry: value}."""
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def run_one(case_file: str, changes: dict[str, Any], objective: str | None, scenario: str | None,
            time_limit: float | None) -> dict:
    """Solve one point of a sweep (a Dask task): load, change, validate, solve, summarise."""
    from symbiosis.api import optimize
    from symbiosis.io import case_from_dict, deep_merge, read_yaml

    t0 = time.perf_counter()
    path = Path(case_file)
    data = read_yaml(path)
    if scenario:
        data = deep_merge(data, (data.get("scenarios") or {}).get(scenario) or {})
    data = copy.deepcopy(data)
    for entry, value in changes.items():
        set_entry(data, entry, value, str(path))
    row: dict[str, Any] = dict(changes)
    try:
        case = case_from_dict(data, file=str(path), base_dir=path.parent)
        r = optimize(case, objective, time_limit=time_limit)
    except CaseError as exc:
        row.update(status="bad input", reason="; ".join(str(p) for p in exc.problems))
    except InfeasibleError as exc:
        row.update(status="infeasible", reason="; ".join(exc.reasons))
    except SolverError as exc:
        row.update(status="solver failed", reason=str(exc))
    else:
        row.update({k: r.kpi(k) for k in KPI_COLUMNS})
        row["status"] = r.solver["status"]
        row["new_plant_names"] = ", ".join(r.built_plants["plant"])
        row["reason"] = ""
    row["seconds"] = time.perf_counter() - t0
    row["worker_pid"] = os.getpid()
    return row


def sweep(case_file: str | os.PathLike, grid: dict[str, list], *, objective: str | None = None,
          scenario: str | None = None, time_limit: float | None = None, scheduler: str | None = None,
          n_workers: int | None = None, progress=None) -> pd.DataFrame:
    """Solve the case at every point of ``grid`` on Dask and return one row per point.

    Parameters
    ----------
    grid : {entry: [values]}, e.g. ``{"materials.cement.sale_price": ["300 CNY/t", "380 CNY/t"]}``.
    scheduler : address of a running Dask scheduler (``tcp://host:8786``); default: a
        local cluster with ``n_workers`` processes (default: the machine's cores).
    progress : optional callable(done, total) called as runs finish.
    """
    from dask.distributed import Client, LocalCluster, as_completed

    case_file = str(Path(case_file).resolve())
    from symbiosis.io import load_case
    load_case(case_file, scenario=scenario)  # fail early, with the case's own errors
    runs = grid_runs(grid)
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=n_workers or min(len(runs), os.cpu_count() or 1),
                               threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [client.submit(run_one, case_file, changes, objective, scenario, time_limit, pure=False)
                   for changes in runs]
        order = {f.key: i for i, f in enumerate(futures)}
        rows: list[dict | None] = [None] * len(futures)
        for done, fut in enumerate(as_completed(futures), 1):
            rows[order[fut.key]] = fut.result()
            if progress is not None:
                progress(done, len(futures))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return pd.DataFrame(rows)
