"""The functions planning scripts call: ``load_case``, ``optimize``, ``compare``."""
from __future__ import annotations

import time

from symbiosis.case import Case
from symbiosis.check import verify
from symbiosis.errors import InfeasibleError, SolverError
from symbiosis.model import Options, ParkModel
from symbiosis.result import Result, make_result


def optimize(case: Case, objective: str | None = None, *, time_limit: float | None = None,
             mip_gap: float | None = None, threads: int | None = None, limits: dict | None = None,
             weights: dict | None = None, status_quo: bool = False, reuse_tolerance: float | None = None,
             model: ParkModel | None = None, progress=None) -> Result:
    """Build the model of ``case``, solve it and return a :class:`Result`.

    Parameters
    ----------
    objective : ``"reuse"``, ``"cost"``, ``"profit"``, ``"co2"``, ``"disposal"``,
        ``"reuse-then-cost"`` (default, from the case's settings) or ``"weighted"``.
    time_limit, mip_gap, threads : HiGHS settings (seconds, relative gap, threads).
    limits : e.g. ``{"capex": 5e8, "new_plants": 2, "co2": 1e6, "min_reuse_rate": 0.6}``.
    status_quo : solve today's park only (existing plants and exchanges).
    progress : optional ``callable(done, total, message)``, called as each phase starts
        (``0, 3, "building the model"``; ``1, 3, "solving"``; ``2, 3, "reading the
        solution"``) and once at the end (``3, 3, "done"``); the same signature as the
        ``progress`` of :func:`~symbiosis.decision.pareto`, ``alternatives``, ``explain``
        and :func:`~symbiosis.sweep.sweep`.

    Raises
    ------
    InfeasibleError : the park cannot run as stated; ``reasons`` name plants and materials.
    SolverError : the solver found no network in time.

    Examples
    --------
    >>> import symbiosis
    >>> r = symbiosis.optimize(symbiosis.examples.tutorial())
    >>> round(r.kpi("byproducts_reused"))
    427200
    """
    import dataclasses

    def report(done: int, message: str) -> None:
        if progress is not None:
            progress(done, 3, message)
    timings = {}
    report(0, "building the model")
    pm = model if model is not None else ParkModel(case)
    timings.update({k: v for k, v in pm.timings.items() if k in ("candidates", "build")})
    limit = time_limit if time_limit is not None else case.settings.time_limit
    deadline = time.perf_counter() + float(limit)
    opts = Options(objective=objective, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                   limits=limits or {}, weights=weights, status_quo=status_quo, reuse_tolerance=reuse_tolerance,
                   deadline=deadline)
    handoff_before = pm.timings.get("handoff", 0.0)  # the first solve compiles, later ones update in place
    report(1, "solving")
    sol = pm.solve(opts)
    t0 = time.perf_counter()
    report(2, "reading the solution")
    result = make_result(case, pm.exchanges, sol, timings)
    timings["extract"] = pm.timings.get("extract", 0.0) + time.perf_counter() - t0
    # every reported optimum is checked against the case alone (symbiosis.check): on a
    # mismatch, solve again with tolerances of 1e-9 and no relative gap, and say so
    t0 = time.perf_counter()
    gap = mip_gap if mip_gap is not None else case.settings.mip_gap
    problems = verify(case, result, weights=weights, mip_gap=gap, mip_abs_gap=case.settings.mip_abs_gap)
    timings["verify"] = time.perf_counter() - t0
    notes = []
    if problems and time.perf_counter() < deadline - 0.05:
        pm._tight = True
        try:
            again_sol = pm.solve(dataclasses.replace(opts, mip_gap=0.0))
        except (SolverError, InfeasibleError) as e:
            notes.append(f"a tighter re-solve found no network in the time left ({e})")
        else:
            again = make_result(case, pm.exchanges, again_sol, timings)
            left = verify(case, again, weights=weights, mip_gap=0.0, mip_abs_gap=case.settings.mip_abs_gap)
            notes.append("the first answer failed the independent check (" + "; ".join(problems[:3]) +
                         "); solved again with feasibility tolerances of 1e-9 and a gap of 0")
            result, problems = again, left
        finally:
            pm._tight = False
    timings["handoff"] = pm.timings.get("handoff", 0.0) - handoff_before
    timings["solve"] = result.solver.get("solve_time", 0.0)
    result.solver["notes"] = list(result.solver.get("notes") or []) + notes
    result.solver["verified"] = not problems
    if problems:
        result.solver["problems"] = problems
        if result.solver.get("status") == "optimal":
            result.solver["status"] = "not verified"
    result.timings = timings
    report(3, "done")
    return result


def compare(case: Case, objective: str | None = None, scenarios: list[str] | None = None,
            **kw) -> dict[str, Result]:
    """Solve several versions of one park and return them by name, in order.

    ``compare(result_a, result_b)`` with two Results returns their KPI table instead
    (``result_b.compare(result_a)``: both values and the change, see
    :func:`symbiosis.comparison.compare_results`).

    Without ``scenarios``: ``{"status quo": ..., "optimised": ...}`` (today's plants and
    exchanges only, against the optimised network). With ``scenarios`` (names from the
    case file's ``scenarios`` section, loaded from ``case.path``): one result each.
    """
    if isinstance(case, Result):
        if not isinstance(objective, Result):
            raise TypeError("compare(result_a, result_b) takes two Results; to solve a case give "
                            "compare(case, objective=None, scenarios=None)")
        return objective.compare(case)
    if not scenarios:
        if kw.get("model") is None:  # one model for both: the second solve updates HiGHS in place
            kw["model"] = ParkModel(case)
        return {"status quo": optimize(case, objective, status_quo=True, **kw),
                "optimised": optimize(case, objective, **kw)}
    from symbiosis.io import load_case
    if case.path is None:
        raise ValueError("scenarios need a case loaded from a file")
    return {name: optimize(load_case(case.path, scenario=name), objective, **kw) for name in scenarios}
