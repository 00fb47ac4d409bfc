r"""Decision support over time: Pareto fronts, the k best plans and "why not (yet)?" on a
phased case.

On a phased case a *structure* is what is built **and when**: the build binaries
:math:`v_{pk\tau}` of :class:`~symbiosis.phased.PhasedModel` (plant p, size k, built at the
start of period :math:`\tau`), the open binaries :math:`w^t_p` of existing plants that may
close (closed from period t on), and with ``structure="exchanges"`` the opening binaries
:math:`o_{x\tau}` of by-product exchanges. Building the same plant one plan later is another
structure. Every solve re-uses one phased model (fixing binaries, adding cuts, moving one
bound's right-hand side); nothing is rebuilt between solves.

As in :mod:`symbiosis.decision`, every free binary is first tied to use in every period's
block (:meth:`~symbiosis.model.ParkModel.tie_binaries_to_use`): a built plant runs at least
a little in each period it is alive, an open exchange carries a little, so one binary
pattern is one plan.

Functions
---------
pareto_phased        epsilon-constraint front of two horizon objectives (``cost`` = net
                     present cost, ``reuse`` = t-eq reused over the horizon, ``co2`` = t over
                     the horizon), one row per point, each point's plan verified
alternatives_phased  the k best plans (no-good cuts over (plant, period) binaries), ranked,
                     with what is built, moved or dropped against the best
explain_phased       per candidate plant: the objective when it is built in each period
                     and when it is forbidden; says "worth building, but not before 2030"

Each listed plan (Pareto point, alternative, the base of explain) is verified: every
period's tables pass the independent balance check (:func:`symbiosis.check.check_result`
on that period's case), and the net present cost and horizon reuse recomputed from the
tables equal the solver's.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from symbiosis.case import Case
from symbiosis.decision import _objective
from symbiosis.errors import InfeasibleError
from symbiosis.model import Options, SolveInfo
from symbiosis.phased import PhasedModel, PhasedResult, make_phased_result

#: objectives over the horizon and their direction
SENSE = {"cost": "min", "reuse": "max", "co2": "min"}
#: unit of each objective over the horizon (money is the case's)
UNIT = {"cost": "{money} (NPC)", "reuse": "t-eq", "co2": "t"}
STRUCTURES = ("plants", "exchanges")

__all__ = ["pareto_phased", "alternatives_phased", "explain_phased", "with_limits", "parse_period_limits",
           "verify_phased", "PhasedSession"]


def _report(progress, done: int, total: int, message: str) -> None:
    if progress is not None:
        progress(done, total, message)


def _tol(v: float) -> float:
    return 1e-8 * max(1.0, abs(v))


def _better(a: float, b: float, sense: str) -> bool:
    t = 1e-7 * max(1.0, abs(a), abs(b))
    return a > b + t if sense == "max" else a < b - t


# ====================================================================== limits
def parse_period_limits(case: Case, texts: list[str] | None) -> dict[int | None, dict[str, float | None]]:
    """``--limit`` on a phased case: ``KEY=VALUE`` applies in every period (it replaces the
    period's own value of that limit; ``capex`` and ``new_plants`` count what is built in
    each period), ``KEY@PERIOD=VALUE`` in one period, named by its name or start year
    (``capex@2026=5e9``, ``min_reuse_rate@'15th FYP'=0.7``). Returns {period index or None
    (all): {key: value}}. Raises ValueError naming the text and the periods."""
    from symbiosis.decision import parse_limits
    out: dict[int | None, dict[str, float | None]] = {}
    for text in texts or []:
        key, eq, value = text.partition("=")
        if not eq:
            raise ValueError(f"--limit {text!r}: write KEY=VALUE or KEY@PERIOD=VALUE")
        where = None
        if "@" in key:
            key, _, name = key.partition("@")
            name = name.strip().strip("'\"")
            found = [t for t, p in enumerate(case.periods) if p.name == name or str(p.start) == name]
            if not found:
                raise ValueError(f"--limit {text!r}: no period {name!r}; the case's periods are "
                                 + ", ".join(f"{p.name} ({p.start})" for p in case.periods))
            where = found[0]
        base = case.periods[where].case if where is not None else case
        out.setdefault(where, {}).update(parse_limits(base, [f"{key.strip()}={value}"]))
    return out


def with_limits(case: Case, limits: dict | None) -> Case:
    """``case`` with extra limits in its periods: ``limits`` is {key: value} (every period)
    or the output of :func:`parse_period_limits`; a value ``None`` lifts the limit."""
    if not limits:
        return case
    if not any(k is None or isinstance(k, int) for k in limits):
        limits = {None: limits}
    periods = []
    for t, per in enumerate(case.periods):
        extra = {**limits.get(None, {}), **limits.get(t, {})}
        if extra:
            lim = {k: v for k, v in {**per.case.limits, **extra}.items() if v is not None}
            per = dataclasses.replace(per, case=dataclasses.replace(per.case, limits=lim))
        periods.append(per)
    return dataclasses.replace(case, periods=periods)


# ====================================================================== verification
def verify_phased(pm: PhasedModel, res: PhasedResult) -> list[str]:
    """Problems of a solved plan, in plain words (empty: verified): each period's tables
    against its case alone (the independent balance checker), and the net present cost
    and the reuse over the horizon recomputed from the tables against the solver's."""
    from symbiosis.check import check_result
    bad = []
    for per in pm.periods:
        bad += [f"{per.name}: {b}" for b in check_result(per.case, res.results[per.name])]
    npc, model_npc = res.horizon["npc"]["value"], float(pyo.value(pm.kpi["cost"]))
    if abs(npc - model_npc) > 1e-6 * max(1.0, abs(npc)):
        bad.append(f"net present cost from the tables {npc:,.0f} differs from the solver's {model_npc:,.0f}")
    reuse = sum(p["years"] * res.results[p["name"]].kpi("reuse_objective") for p in res.periods)
    model_reuse = float(pyo.value(pm.kpi["reuse"]))
    if abs(reuse - model_reuse) > 1e-6 * max(1.0, abs(reuse)):
        bad.append(f"reuse over the horizon from the tables {reuse:,.0f} differs from the solver's {model_reuse:,.0f}")
    return bad


# ====================================================================== session
@dataclass
class Plan:
    """One solved plan: horizon objectives, structure, tables."""

    values: dict[str, float]
    pattern: frozenset
    result: PhasedResult
    info: SolveInfo
    verified: bool = False
    problems: tuple = ()


class PhasedSession:
    """One phased model with the decision hooks in place (see the module docstring).

    Parameters
    ----------
    case : a case with ``periods:``.
    limits : extra limits, {key: value} for every period or {period index: {...}}
        (:func:`parse_period_limits`).
    structure : ``plants`` (builds with their period, closures) or ``exchanges`` (and the
        opening period of by-product exchanges).
    """

    def __init__(self, case: Case, *, limits: dict | None = None, time_limit: float | None = None,
                 mip_gap: float | None = None, threads: int | None = None, structure: str = "plants"):
        if not case.periods:
            raise ValueError(f"the case {case.name!r} has no periods; add 'periods:' (see docs/phased.md)")
        if structure not in STRUCTURES:
            raise ValueError(f"unknown structure {structure!r} for a phased case; use one of {', '.join(STRUCTURES)}")
        t0 = time.perf_counter()
        self.case = with_limits(case, limits)
        self.pm = PhasedModel(self.case)
        for block in self.pm.blocks:
            block.tie_binaries_to_use()
        self.opts = Options(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
        self.structure = structure
        m, pm = self.pm.m, self.pm
        self.bins: dict[tuple, Any] = {  # Pyomo binaries (Pyomo has no type information)
            ("build", *k): m.v[k] for k in pm.build_keys if not m.v[k].fixed}
        for t, block in enumerate(pm.blocks):
            for p in block.closable:
                if not block.m.w[p].fixed:
                    self.bins[("run", p, t)] = block.m.w[p]
        if structure == "exchanges":
            mats = self.case.materials
            self.bins.update({("open", *k): m.o[k] for k in pm.open_keys
                              if not m.o[k].fixed and mats[k[2]].is_byproduct})
        self.names = [p.name for p in pm.periods]
        self.solves = 0
        self.build_time = time.perf_counter() - t0

    # ------------------------------------------------------------------ structure
    def pattern(self) -> frozenset:
        return frozenset(k for k, v in self.bins.items() if (v.value or 0.0) > 0.5)

    def builds(self, pattern: frozenset) -> dict[str, tuple[int, int]]:
        """{plant: (period index, size)} of a pattern."""
        return {k[1]: (k[3], k[2]) for k in pattern if k[0] == "build"}

    def closures(self, pattern: frozenset) -> dict[str, int]:
        """{existing plant: first period it is closed} of a pattern."""
        out: dict[str, int] = {}
        for k in self.bins:
            if k[0] == "run" and k not in pattern:
                out[k[1]] = min(out.get(k[1], k[2]), k[2])
        return out

    def plant_label(self, p: str, k: int) -> str:
        plant = self.case.plants[p]
        return p if len(plant.sizes) == 1 else f"{p} (size {k + 1})"

    def plan_items(self, pattern: frozenset) -> tuple[str, ...]:
        """The plan as readable items: ``plant @ period``, ``plant closed @ period``,
        ``A->B:material @ period``."""
        items = [f"{self.plant_label(p, k)} @ {self.names[t]}" for p, (t, k) in sorted(self.builds(pattern).items())]
        items += [f"{p} closed @ {self.names[t]}" for p, t in sorted(self.closures(pattern).items())]
        items += [f"{k[1]}->{k[2]}:{k[3]} @ {self.names[k[4]]}" for k in sorted(pattern) if k[0] == "open"]
        return tuple(items)

    def by_period(self, pattern: frozenset) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {n: [] for n in self.names}
        for p, (t, k) in sorted(self.builds(pattern).items()):
            out[self.names[t]].append(self.plant_label(p, k))
        return out

    # ------------------------------------------------------------------ solving
    def value(self, name: str) -> float:
        return float(pyo.value(self.pm.kpi[name]))

    def run(self, name: str) -> SolveInfo:
        if name not in SENSE:
            raise ValueError(f"unknown objective {name!r} for a phased case; use one of {sorted(SENSE)} or "
                             "A-then-B (reuse-then-cost)")
        self.pm.set_objective(name)
        self.solves += 1
        info = self.pm.run(self.opts, explain=False)
        info.objective_name = name
        return info

    def solve(self, objective: str) -> SolveInfo:
        if "-then-" in objective:
            first, second = objective.split("-then-", 1)
            return self.lexicographic(first, second)
        return self.run(objective)

    def first(self, objective: str) -> SolveInfo:
        """The first solve: an infeasible plan raises with the period, limit and best value."""
        try:
            return self.solve(objective)
        except InfeasibleError:
            self.pm.clear_bounds()
            raise InfeasibleError(self.pm.explain_infeasible(self.opts), self.case.name) from None

    def lexicographic(self, first: str, second: str) -> SolveInfo:
        """The best ``first``, then the best ``second`` keeping it (settings.reuse_tolerance
        applies to a reuse first stage, as in ``reuse-then-cost``)."""
        one = self.run(first)
        best = _objective(one)
        share = self.case.settings.reuse_tolerance if first == "reuse" else 0.0
        tol = _tol(best) + share * abs(best)
        self.pm.set_bound(first, best - tol if SENSE[first] == "max" else best + tol,
                          ">=" if SENSE[first] == "max" else "<=")
        try:
            two = self.run(second)
        finally:
            self.pm.set_bound(first, None, ">=" if SENSE[first] == "max" else "<=")
        two.objective_name = f"{first}-then-{second}"
        two.stages = [{"objective": first, "value": one.objective, "time": one.solve_time},
                      {"objective": second, "value": two.objective, "time": two.solve_time}]
        two.solve_time += one.solve_time
        return two

    def plan(self, info: SolveInfo, verify: bool = True) -> Plan:
        values = {k: self.value(k) for k in SENSE}
        res = make_phased_result(self.pm, info)
        problems = tuple(verify_phased(self.pm, res)) if verify else ()
        return Plan(values, self.pattern(), res, info, verified=verify and not problems, problems=problems)

    def restore(self):
        self.pm.clear_cuts()
        self.pm.clear_require()
        self.pm.clear_bounds()


def _row(s: PhasedSession, p: Plan) -> dict:
    h = p.result.horizon
    row: dict[str, Any] = {name: p.values[name] for name in SENSE}
    row.update({"reuse_rate": h["reuse_rate"]["value"], "investment": h["investment"]["value"],
                "plan": s.plan_items(p.pattern)})
    row.update({f"built {n}": tuple(v) for n, v in s.by_period(p.pattern).items()})
    row.update({f"reuse rate {n}": h["reuse_rate_by_period"][n] for n in s.names})
    row.update({"status": p.info.status, "solve_time": p.info.solve_time, "verified": p.verified,
                "problems": "; ".join(p.problems[:3])})
    return row


def _attrs(df: pd.DataFrame, s: PhasedSession, t0: float, **more) -> pd.DataFrame:
    size = s.pm.size()
    df.attrs.update({"case": s.case.name, "solves": s.solves, "seconds": time.perf_counter() - t0,
                     "money": s.case.units.get("money", "CNY"), "periods": list(s.names),
                     "model_size": size, "build_time": s.build_time, **more})
    return df


# ====================================================================== Pareto
def pareto_phased(case: Case, x: str = "cost", y: str = "reuse", points: int = 7, *, limits: dict | None = None,
                  time_limit: float | None = None, mip_gap: float | None = None, threads: int | None = None,
                  structure: str = "plants", keep_results: bool = False, progress=None) -> pd.DataFrame:
    """Pareto front of two horizon objectives of a phased case (epsilon-constraint).

    The ends are the lexicographic optima (best ``x`` then ``y``; best ``y`` then ``x``);
    between them ``points - 2`` evenly spaced bounds on ``x`` are set in turn (one mutable
    right-hand side) and ``y`` then ``x`` optimised. Duplicate and dominated points are
    dropped. Objectives: ``cost`` (net present cost), ``reuse`` (t-eq reused over the
    horizon: years x reuse per year), ``co2`` (t over the horizon).

    Returns one row per point, best ``x`` first: ``point``, ``cost``, ``reuse``, ``co2``,
    ``reuse_rate`` (horizon), ``investment``, ``plan`` (``plant @ period`` items),
    ``built <period>`` and ``reuse rate <period>`` per period, ``status``,
    ``solve_time``, ``verified``, ``problems``.
    """
    for name in (x, y):
        if name not in SENSE:
            raise ValueError(f"unknown objective {name!r} for a phased case; use one of {sorted(SENSE)}")
    if x == y:
        raise ValueError("x and y must be two different objectives")
    points = max(2, int(points))
    t0 = time.perf_counter()
    s = PhasedSession(case, limits=limits, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                      structure=structure)
    found: list[Plan] = []
    sx = SENSE[x]
    _report(progress, 0, points, f"best {x}")
    try:
        a = s.plan(s.first(f"{x}-then-{y}"))
        _report(progress, 1, points, f"best {y}")
        b = s.plan(s.lexicographic(y, x))
        found += [a, b]
        xa, xb = a.values[x], b.values[x]
        if abs(xa - xb) > _tol(xa):
            for i in range(1, points - 1):
                eps = xa + (xb - xa) * i / (points - 1)
                s.pm.set_bound(x, eps, "<=" if sx == "min" else ">=")
                try:
                    found.append(s.plan(s.lexicographic(y, x)))
                except InfeasibleError:
                    pass
                finally:
                    _report(progress, i + 2, points, f"step {i} of {points - 2}")
        _report(progress, points, points, "done")
    finally:
        s.restore()
    front = _non_dominated(found, x, y)
    rows = []
    for i, p in enumerate(front, 1):
        row = {"point": i, **_row(s, p)}
        if keep_results:
            row["result"] = p.result
        rows.append(row)
    return _attrs(pd.DataFrame(rows), s, t0, x=x, y=y)


def _non_dominated(found: list[Plan], x: str, y: str) -> list[Plan]:
    sx, sy = SENSE[x], SENSE[y]

    def same(p, q, n, sense):
        return not _better(p.values[n], q.values[n], sense) and not _better(q.values[n], p.values[n], sense)

    keep: list[Plan] = []
    for p in found:
        if any((_better(q.values[x], p.values[x], sx) and not _better(p.values[y], q.values[y], sy)) or
               (_better(q.values[y], p.values[y], sy) and not _better(p.values[x], q.values[x], sx))
               for q in found if q is not p):
            continue
        if not any(same(p, q, x, sx) and same(p, q, y, sy) for q in keep):
            keep.append(p)
    keep.sort(key=lambda p: p.values[x] if sx == "min" else -p.values[x])
    return keep


# ====================================================================== k best
def alternatives_phased(case: Case, k: int = 5, objective: str | None = None, *, limits: dict | None = None,
                        time_limit: float | None = None, mip_gap: float | None = None, threads: int | None = None,
                        structure: str = "plants", keep_results: bool = False, progress=None) -> pd.DataFrame:
    """The ``k`` best plans of a phased case, ranked: solve, cut the plan's pattern of
    (plant, size, period) build binaries and closures (and with ``structure="exchanges"``
    the opening period of by-product exchanges) by a no-good cut, solve again.

    Building a plant one period earlier or later is another plan; so the second best
    plan is often the best one with one plant moved. Each plan is verified
    (:func:`verify_phased`).

    Returns one row per plan: ``rank``, ``objective``, the horizon objectives, ``plan``,
    ``added`` (built here, not in the best), ``removed`` (built in the best, not here),
    ``moved`` (``plant: 14th -> 15th``), built and reuse rate by period, ``status``,
    ``solve_time``, ``verified``. ``attrs``: ``complete`` (no other plan exists).
    """
    objective = objective or (case.settings.objective if case.settings.objective in
                              ("cost", "reuse", "co2", "reuse-then-cost") else "cost")
    t0 = time.perf_counter()
    s = PhasedSession(case, limits=limits, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                      structure=structure)
    found: list[Plan] = []
    complete = False
    try:
        while len(found) < int(k):
            _report(progress, len(found), int(k), f"plan {len(found) + 1} of {int(k)}")
            if not found:
                info = s.first(objective)
            else:
                try:
                    info = s.solve(objective)
                except InfeasibleError:
                    complete = True
                    break
            p = s.plan(info)
            found.append(p)
            ones = [v for key, v in s.bins.items() if key in p.pattern]
            zeros = [v for key, v in s.bins.items() if key not in p.pattern]
            if not ones and not zeros:
                complete = True
                break
            s.pm.add_cut(ones, zeros)
    finally:
        s.restore()
    _report(progress, int(k), int(k), f"{len(found)} plans")
    rows = []
    if found:
        best_b = s.builds(found[0].pattern)
        best_items = set(s.plan_items(found[0].pattern))
    for rank, p in enumerate(found, 1):
        b = s.builds(p.pattern)
        row = {"rank": rank, "objective": p.info.objective, **_row(s, p)}
        row["added"] = tuple(s.plant_label(q, b[q][1]) + f" @ {s.names[b[q][0]]}" for q in sorted(set(b) - set(best_b)))
        row["removed"] = tuple(s.plant_label(q, best_b[q][1]) for q in sorted(set(best_b) - set(b)))
        moved = []
        for q in sorted(set(b) & set(best_b)):
            (t0_, k0), (t1, k1) = best_b[q], b[q]
            if t0_ != t1:
                moved.append(f"{q}: {s.names[t0_]} -> {s.names[t1]}")
            if k0 != k1:
                moved.append(f"{q}: size {k0 + 1} -> size {k1 + 1}")
        row["moved"] = tuple(moved)
        # closures and openings that differ from the best (builds are in added/removed/moved)
        builds = {s.plant_label(q, kk) + f" @ {s.names[tt]}" for q, (tt, kk) in b.items()}
        best_builds = {s.plant_label(q, kk) + f" @ {s.names[tt]}" for q, (tt, kk) in best_b.items()}
        items = set(row["plan"]) - builds
        row["other_changes"] = tuple([f"+{i}" for i in sorted(items - (best_items - best_builds))]
                                     + [f"-{i}" for i in sorted((best_items - best_builds) - items)])
        if keep_results:
            row["result"] = p.result
        rows.append(row)
    return _attrs(pd.DataFrame(rows), s, t0, objective=objective, requested=int(k), complete=complete,
                  structure=structure)


# ====================================================================== why not yet?
def explain_phased(case: Case, plant: str | None = None, *, objective: str | None = None,
                   limits: dict | None = None, time_limit: float | None = None, mip_gap: float | None = None,
                   threads: int | None = None, progress=None) -> pd.DataFrame:
    """When is each candidate plant worth building? For each candidate (or ``plant``), the
    objective when it is built in each period in turn (forced: built at the start of
    that period, in any size) and when it is forbidden in every period; the *regret* is
    how much worse that is than the optimum (``inf``: the plan cannot be made that way).

    ``attrs["verdicts"]`` holds one sentence per plant, e.g. "slag_cement is worth building,
    but not before 15th (2026): building it in 14th (2021) costs 1.2 M CNY more (NPC);
    forbidding it costs 3.4 M CNY more".

    Returns one row per plant and test: ``candidate``, ``test`` (``built in <period>`` or
    ``forbidden``), ``period``, ``start``, ``best`` (the optimum's choice), ``objective``,
    ``regret``, ``reuse_change`` (t-eq over the horizon), ``cost_change`` (NPC), the
    solve's ``status`` and ``gap``. The test that is the optimum's own choice (built in the
    period the optimum builds it; forbidden, for a plant the optimum does not build) is
    the optimum: regret 0, no solve.
    """
    objective = objective or (case.settings.objective if case.settings.objective in
                              ("cost", "reuse", "co2", "reuse-then-cost") else "cost")
    primary = objective.split("-then-")[0]
    sense = SENSE[primary]
    t0 = time.perf_counter()
    s = PhasedSession(case, limits=limits, time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    pm, m = s.pm, s.pm.m
    by_plant: dict[str, list[tuple]] = {}
    for key in s.bins:
        if key[0] == "build":
            by_plant.setdefault(key[1], []).append(key[1:])
    names = sorted(by_plant)
    if plant is not None:
        if plant not in case.plants:
            import difflib
            close = difflib.get_close_matches(plant, list(case.plants), n=2)
            raise ValueError(f"no plant {plant!r} in the case" + (f"; did you mean {', '.join(close)}?" if close else ""))
        if plant not in by_plant:
            raise ValueError(f"{plant!r} is not a candidate that can be built in some period (it exists, or the "
                             "case forces or forbids it)")
        names = [plant]
    rows: list[dict] = []
    verdicts: dict[str, str] = {}
    money = case.units.get("money", "CNY")
    _report(progress, 0, 1, "the best plan")
    try:
        base = s.plan(s.first(objective))
        base_value = base.values[primary]
        base_builds = s.builds(base.pattern)
        total = len(names)
        for i, p in enumerate(names):
            _report(progress, i, total, f"testing {p}")
            keys = by_plant[p]
            periods = sorted({kk[2] for kk in keys})
            chosen = base_builds.get(p, (None, None))[0]
            tests = [("built in", t) for t in periods] + [("forbidden", None)]
            out = {}
            for kind, t in tests:
                row: dict[str, Any] = {"candidate": p, "test": f"built in {s.names[t]}" if kind == "built in" else "forbidden",
                       "period": s.names[t] if t is not None else "", "start": pm.periods[t].start if t is not None
                       else math.nan, "best": (s.names[chosen] if chosen is not None else "not built"),
                       "objective": math.nan, "regret": math.inf, "reuse_change": math.nan, "cost_change": math.nan,
                       "status": "infeasible", "gap": math.nan}
                if (kind == "built in" and t == chosen) or (kind == "forbidden" and chosen is None):
                    # the optimum itself: regret 0 by definition, no solve
                    row.update({"objective": base_value, "regret": 0.0, "reuse_change": 0.0, "cost_change": 0.0,
                                "status": f"{base.info.status} (the best plan)",
                                "gap": base.info.gap if base.info.gap is not None else math.nan})
                    rows.append(row)
                    out[(kind, t)] = row
                    continue
                fixed = []
                try:
                    if kind == "built in":
                        for kk in keys:
                            if kk[2] != t:
                                m.v[kk].fix(0)
                                fixed.append(m.v[kk])
                        pm.require_any([m.v[kk] for kk in keys if kk[2] == t])
                    else:
                        for kk in keys:
                            m.v[kk].fix(0)
                            fixed.append(m.v[kk])
                    try:
                        info = s.solve(objective)
                        val = s.value(primary)
                        row["objective"] = val
                        row["regret"] = max(0.0, (base_value - val) if sense == "max" else (val - base_value))
                        if row["regret"] <= 1e-7 * max(1.0, abs(base_value)):
                            row["regret"] = 0.0
                        row["reuse_change"] = s.value("reuse") - base.values["reuse"]
                        row["cost_change"] = s.value("cost") - base.values["cost"]
                        row["status"] = info.status
                        row["gap"] = info.gap if info.gap is not None else math.nan
                    except InfeasibleError:
                        pass
                finally:
                    for v in fixed:
                        v.unfix()
                    pm.clear_require()
                rows.append(row)
                out[(kind, t)] = row
            verdicts[p] = _verdict(p, s, pm, out, periods, chosen, primary, money)
        _report(progress, total, total, "tested")
    finally:
        s.restore()
    df = pd.DataFrame(rows, columns=["candidate", "test", "period", "start", "best", "objective", "regret",
                                     "reuse_change", "cost_change", "status", "gap"])
    unproven = [r for r in rows if r["status"] not in ("optimal", "infeasible") and "best plan" not in r["status"]]
    if base.info.status != "optimal" or unproven:
        worst = max([base.info.gap or 0.0] + [r["gap"] for r in unproven if r["gap"] == r["gap"]])
        note = (f"not proven: {len(unproven) + (base.info.status != 'optimal')} of {len(rows) + 1} solves stopped "
                f"before optimality (largest gap {worst:.2%}); regrets smaller than the gap times the objective "
                "are not significant: raise --time-limit")
        verdicts = {p: f"{v} ({note.split(':')[0]})" for p, v in verdicts.items()}
    else:
        note = ""
    return _attrs(df, s, t0, objective=objective, primary=primary, base=base_value, verdicts=verdicts, note=note,
                  base_status=base.info.status, base_gap=base.info.gap,
                  base_plan=s.plan_items(base.pattern), verified=base.verified, base_problems=base.problems)


def _amount(v: float, primary: str, money: str) -> str:
    from symbiosis.fmt import fmt
    if math.isinf(v):
        return "is impossible"
    unit = {"cost": f"{money}", "reuse": "t-eq", "co2": "t"}[primary]
    word = {"cost": "costs", "reuse": "loses", "co2": "adds"}[primary]
    tail = {"cost": " more (NPC)", "reuse": " of reuse over the horizon", "co2": " of CO2 over the horizon"}[primary]
    if v <= 0:
        return {"cost": "costs nothing more", "reuse": "loses no reuse", "co2": "adds no CO2"}[primary]
    return f"{word} {fmt(v, unit)}{tail}"


def _verdict(p: str, s: PhasedSession, pm: PhasedModel, out: dict, periods: list[int], chosen: int | None,
             primary: str, money: str) -> str:
    def when(t):
        return f"{s.names[t]} ({pm.periods[t].start})"

    forbid = out[("forbidden", None)]["regret"]
    if chosen is None:
        best_t = min(periods, key=lambda t: out[("built in", t)]["regret"])
        r = out[("built in", best_t)]["regret"]
        if math.isinf(r):
            return f"{p} cannot be built in any period with the plan's limits"
        return (f"{p} is not worth building in any period: its best moment is {when(best_t)}, and building it "
                f"then {_amount(r, primary, money)}")
    if chosen == periods[0]:
        later = [t for t in periods if t > chosen]
        text = f"{p} is worth building from the first period it can be built, {when(chosen)}: forbidding it " \
               f"{_amount(forbid, primary, money)}"
        if later:
            text += f"; waiting until {when(later[0])} {_amount(out[('built in', later[0])]['regret'], primary, money)}"
        return text
    first = periods[0]
    return (f"{p} is worth building, but not before {when(chosen)}: building it in {when(first)} "
            f"{_amount(out[('built in', first)]['regret'], primary, money)}, building it in {when(chosen)} "
            f"{_amount(out[('built in', chosen)]['regret'], primary, money)}; forbidding it "
            f"{_amount(forbid, primary, money)}")
