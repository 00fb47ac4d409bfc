"""Decision support: Pareto fronts, the k best networks and "why not this exchange?".

Each function builds one :class:`~symbiosis.model.ParkModel` (or takes one) and re-solves
it many times through the model's one HiGHS object (:class:`~symbiosis.solver.HighsSolver`):
a Pareto point replaces the row of one bound, an alternative adds one integer cut row, a
"why not?" row fixes one decision by its column bounds and frees it again. The model is
compiled once; every re-solve updates HiGHS in place. Decisions are named by key
(``('plant', p, k)``, ``('exchange', src, dst, material)``, ``('open', p)``); this module
never touches a solver variable.

What "a network" is
-------------------
A network is the set of candidate plants built (with their size), existing plants closed
where they may close, and by-product exchanges that carry flow (``structure="byproducts"``,
the default). Links of energy, raw materials and products are decisions of the model
too, but not of the structure: in a park where every power plant sells electricity at
one price, which plant feeds which consumer is a tie, and counting it would fill the k
best networks with relabellings of one network. ``structure="all"`` counts every free
binary. An exchange that costs nothing
could be "open" with zero flow, which would make two binary patterns of one network; so
these functions first tie every free binary to use
(:meth:`~symbiosis.model.ParkModel.tie_binaries_to_use`: an open exchange carries at least
0.01 % of the most it can carry and at least 0.01 unit per period; a built plant runs at
least as much of its capacity). One binary
pattern is then one network, and the integer cuts of :func:`alternatives` exclude
networks, not synonyms of them. Binaries the case fixes (forced, forbidden, an exchange
that can carry nothing) are not part of the structure.

Functions
---------
pareto        epsilon-constraint front of two objectives, one row per point, with its network
alternatives  the k best networks (no-good cuts), ranked, with the difference to the best
explain       regret of forcing in each rejected candidate / forbidding each chosen one,
              the reason where it can be named, and the break-even subsidy of an exchange
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from symbiosis.case import Case
from symbiosis.errors import InfeasibleError, SolverError
from symbiosis.graph import plant_distance
from symbiosis.limits import LIMITS, lookup
from symbiosis.model import Options, ParkModel, SolveInfo
from symbiosis.result import Result, make_result

#: what a network is made of: "plants" - the candidate plants built (with their size) and
#: existing plants closed; "exchanges" (alias "byproducts") - those and the by-product
#: exchanges used (which power plant supplies which plant's electricity is not structure); "all" -
#: every free binary, exchanges of every material
STRUCTURES = ("plants", "exchanges", "all")
#: older names of structures
STRUCTURE_ALIASES = {"byproducts": "exchanges"}
#: direction of each objective
SENSE = {"reuse": "max", "cost": "min", "profit": "max", "co2": "min", "disposal": "min"}
#: unit of each objective (money is the case's)
UNIT = {"reuse": "t/yr", "cost": "{money}/yr", "profit": "{money}/yr", "co2": "t/yr", "disposal": "t/yr"}
#: KPI columns every row of a table carries, from the Result
KPI_COLUMNS = ["byproducts_reused", "reuse_rate", "annualised_cost", "co2", "byproducts_disposed", "capex",
               "new_plants", "exchanges_open"]
#: cost components of a Result that name a reason, with the word used
COMPONENTS = [("capex_annualised", "capex"), ("transport_and_link_cost", "distance"),
              ("purchases", "price"), ("sales", "price"), ("disposal_cost", "disposal"),
              ("operating_cost", "operating cost")]


def _report(progress, done: int, total: int, message: str) -> None:
    """Tell a ``progress(done, total, message)`` callback how far the work is."""
    if progress is not None:
        progress(done, total, message)


def _tol(v: float) -> float:
    return 1e-8 * max(1.0, abs(v))


def _objective(info: SolveInfo) -> float:
    """The objective value of a solve that returned a solution (``ParkModel.run`` raises
    when there is none, so a missing value is a solver fault, not the case's)."""
    if info.objective is None:
        raise SolverError(f"the {info.objective_name or 'objective'} solve ended {info.status!r} "
                          "without an objective value; re-run with a longer time limit or report the case")
    return info.objective


def _tiny(v: float) -> float:
    """Differences of objective values below this are rounding, not economics."""
    return 1e-10 * max(1.0, abs(v))


def _better(a: float, b: float, sense: str) -> bool:
    """a strictly better than b beyond tolerance."""
    t = 1e-7 * max(1.0, abs(a), abs(b))
    return a > b + t if sense == "max" else a < b - t


def _worse_by(v: float, base: float, sense: str) -> float:
    """How much worse v is than base (positive = worse), in the objective's unit."""
    return base - v if sense == "max" else v - base


# ============================================================================ session
@dataclass
class Point:
    """One solved network: objective values, structure and tables."""

    values: dict[str, float]
    pattern: frozenset
    result: Result
    info: SolveInfo
    verified: bool | None = None


class Session:
    """One persistent model with the decision hooks in place.

    Parameters
    ----------
    case : the park.
    model : a ParkModel of ``case`` to reuse (it is changed: use-tied binaries, bounds).
    limits : limits on top of the case's own (``{"capex": 5e8, "min_reuse_rate:fly_ash": 0.7}``).
    time_limit, mip_gap, threads : HiGHS settings per solve.
    """

    def __init__(self, case: Case, model: ParkModel | None = None, *, limits: dict | None = None,
                 time_limit: float | None = None, mip_gap: float | None = None, threads: int | None = None,
                 structure: str = "exchanges"):
        t0 = time.perf_counter()
        self.case = case
        self.pm = model if model is not None else ParkModel(case)
        self.pm.release_status_quo()   # a model last solved for the status quo
        self.pm.set_reuse_floor(None)  # or left with reuse-then-cost's floor
        self.pm.tie_binaries_to_use()
        self._warm_start = self.pm.warm_start
        self.pm.warm_start = False  # see ParkModel.to_highs: a start could be returned as optimal
        self.pm.clear_bounds()
        self.limits = {**case.limits, **(limits or {})}
        self.pm.set_limits(self.limits)
        self.opts = Options(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
        structure = STRUCTURE_ALIASES.get(structure, structure)
        if structure not in STRUCTURES:
            raise ValueError(f"unknown structure {structure!r}; use one of {', '.join(STRUCTURES)}")
        self.structure = structure
        mats = case.materials
        #: the structural decisions of this session, by key (see ParkModel.fix)
        self.bins = [k for k in self.pm.decision_keys()
                     if structure == "all" or k[0] != "exchange" or (structure == "exchanges" and mats[k[3]].is_byproduct)]
        self.groups = self._groups()
        self.solves = 0
        self.build_time = time.perf_counter() - t0

    # ------------------------------------------------------------------ structure
    def _groups(self) -> dict[str, dict]:
        """Decisions a person names: a plant (any of its sizes) or an exchange."""
        out: dict[str, dict] = {}
        for key in self.bins:
            if key[0] == "plant":
                name = key[1]
                g = out.setdefault(name, {"kind": "plant", "keys": [], "label": name, "key": key})
                g["keys"].append(key)
            elif key[0] == "open":
                out[key[1]] = {"kind": "existing plant", "keys": [key], "label": key[1], "key": key}
            else:
                label = exchange_label(key[1:])
                out[label] = {"kind": "exchange", "keys": [key], "label": label, "key": key,
                              "index": self.pm.x_by_key[key[1:]]}
        return out

    def pattern(self) -> frozenset:
        return frozenset(k for k in self.bins if self.pm.value(k) > 0.5)

    def network(self, pattern: frozenset) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(plants, exchanges) of a pattern, as readable names."""
        plants = []
        for key in sorted(k for k in self.bins if k[0] in ("plant", "open")):
            if key[0] == "plant" and key in pattern:
                plants.append(plant_label(self.case, key[1], key[2]))
            elif key[0] == "open" and key not in pattern:
                plants.append(f"{key[1]} (closed)")
        exchanges = sorted(exchange_label(k[1:]) for k in pattern if k[0] == "exchange")
        return tuple(plants), tuple(exchanges)

    # ------------------------------------------------------------------ solving
    def value(self, name: str) -> float:
        return self.pm.kpi_value(name)

    def run(self, name: str, weights: dict | None = None) -> SolveInfo:
        self.pm.set_objective(name, weights)
        self.solves += 1
        return self.pm.run(self.opts, explain=False)

    def solve(self, objective: str, weights: dict | None = None) -> SolveInfo:
        """Solve one objective: a KPI, ``weighted``, ``reuse-then-cost`` or ``a-then-b``
        (lexicographic: the best a, then the best b without giving up a)."""
        if objective == "weighted":
            return self.run("weighted", weights)
        if "-then-" in objective:
            first, second = objective.split("-then-")
            return self.lexicographic(first, second)
        return self.run(objective)

    def first(self, objective: str, weights: dict | None = None) -> SolveInfo:
        """The first solve of a session: if the park is infeasible, solve once more with the
        causes named (an elastic solve), so the error says why in the park's words."""
        try:
            return self.solve(objective, weights)
        except InfeasibleError:
            self.pm.set_objective("cost")
            self.pm.run(self.opts)  # raises InfeasibleError with the reasons
            raise

    def lexicographic(self, first: str, second: str, start: bool = False) -> SolveInfo:
        """The best ``first``, then the best ``second`` keeping it
        (:meth:`ParkModel.lexicographic`, the routine ``reuse-then-cost`` uses too);
        ``start``: the network the model holds is a MIP start for the first stage."""
        self.solves += 2
        return self.pm.lexicographic(first, second, self.opts, explain=False, start=start)

    def point(self, info: SolveInfo) -> Point:
        values = {k: self.value(k) for k in SENSE}
        sol = self.pm.extract(info)
        return Point(values, self.pattern(), make_result(self.case, self.pm.exchanges, sol), info)

    def restore(self):
        """Leave the model as the session found it, but for the use-tied binaries."""
        self.pm.warm_start = self._warm_start
        self.pm.clear_cuts()
        self.pm.clear_require()
        self.pm.clear_bounds()
        self.pm.set_subsidy(None)


def exchange_label(key: tuple) -> str:
    src, dst, mat = key
    return f"{src}->{dst}:{mat}"


def plant_label(case: Case, plant: str, size: int) -> str:
    p = case.plants[plant]
    if len(p.sizes) <= 1:
        return plant
    return f"{plant} [{p.sizes[size].capacity:,.0f}/yr]"


def parse_exchange(text: str) -> tuple[str, str, str]:
    """``"A->B:material"`` -> ("A", "B", "material")."""
    try:
        src, rest = text.split("->", 1)
        dst, mat = rest.rsplit(":", 1)
    except ValueError:
        raise ValueError(f"an exchange is written 'FROM->TO:material', got {text!r}") from None
    return src.strip(), dst.strip(), mat.strip()


#: unit of each limit key, for ``--limit key=value`` (a plain number is in these units),
#: from the one table of limits (symbiosis.limits)
LIMIT_UNITS = {k: lim.unit for k, lim in LIMITS.items() if not lim.per_material}


def parse_limits(case: Case, texts: list[str] | None) -> dict[str, float | None]:
    """Limits written ``key=value`` (the command line's ``--limit``), in the case's units.

    Keys: ``capex``, ``new_plants``, ``co2``, ``disposal``, ``cost``, ``min_reuse``,
    ``min_reuse_rate`` and ``min_reuse_rate:<material>``. A value is a number in the
    case's base unit of the key (CNY, t/yr, a fraction) or a quantity with its unit
    (``co2=1.8 Mt/yr``, ``min_reuse_rate:fly_ash=70 %``); ``none`` lifts a limit the case
    file sets.

    Raises
    ------
    ValueError naming the key or value that cannot be read.

    Examples
    --------
    >>> from symbiosis import examples
    >>> parse_limits(examples.tutorial(), ["capex=5e8", "co2=1.9 Mt/yr", "min_reuse_rate:fly_ash=0.7"])
    {'capex': 500000000.0, 'co2': 1900000.0, 'min_reuse_rate:fly_ash': 0.7}
    """
    from symbiosis.units import UnitProblem, to_float
    out: dict[str, float | None] = {}
    fmt = {"money": case.units.get("money", "CNY"), "period": case.units.get("period", "yr")}
    for text in texts or []:
        if "=" not in text:
            raise ValueError(f"--limit {text!r}: write KEY=VALUE, e.g. capex=5e8 or co2='1.8 Mt/yr'")
        key, value = (t.strip() for t in text.split("=", 1))
        try:
            lim, material = lookup(key)
        except ValueError as exc:
            raise ValueError(f"--limit {text!r}: {exc}") from None
        base = key.split(":", 1)[0]
        if material is not None and material not in case.materials:
            raise ValueError(f"--limit {text!r}: no material {material!r} in the case")
        if value.lower() == "none":
            out[key] = None
            continue
        unit = lim.unit.format(**fmt)
        try:
            number = float(value)
        except ValueError:
            try:
                number = to_float(value, unit or "dimensionless")
            except (UnitProblem, Exception) as exc:  # pint raises its own errors on bad text
                raise ValueError(f"--limit {text!r}: {exc}") from None
        out[key] = int(number) if base == "new_plants" else number
    return out


def _row(session: Session, p: Point) -> dict:
    plants, exchanges = session.network(p.pattern)
    row: dict[str, Any] = {name: p.values[name] for name in SENSE}
    row.update({k: p.result.kpi(k) for k in KPI_COLUMNS})
    row.update({"plants": plants, "exchanges": exchanges, "status": p.info.status,
                "solve_time": p.info.solve_time})
    return row


# ============================================================================ Pareto
def pareto(case: Case, x: str = "cost", y: str = "reuse", points: int = 11, *, model: ParkModel | None = None,
           limits: dict | None = None, time_limit: float | None = None, mip_gap: float | None = None,
           threads: int | None = None, html: str | Path | None = None, keep_results: bool = False,
           structure: str = "exchanges", progress=None) -> pd.DataFrame:
    """The Pareto front of two objectives by the epsilon-constraint method.

    The two ends are the lexicographic optima (best ``x``, then best ``y``; best ``y``,
    then best ``x``). Between them, ``points - 2`` evenly spaced bounds on ``x`` are each
    set in turn (one bound row replaced on the same HiGHS object) and ``y`` is
    optimised, then ``x`` is improved without giving up ``y``, so each point is
    non-dominated (up to the MIP gap). Duplicate and dominated points are removed.
    Unlike weighted sums, this finds points on non-convex parts of the front.

    Parameters
    ----------
    case : the park.
    x, y : objectives, each one of ``reuse``, ``cost``, ``profit``, ``co2``, ``disposal``.
    points : number of epsilon steps including both ends (fewer rows remain when
        steps give the same network).
    model : a ParkModel of the case to re-solve (built if not given).
    limits : limits on top of the case's, e.g. ``{"capex": 5e8}``.
    html : if given, write the interactive front there (plotly, self-contained).
    keep_results : add a ``result`` column holding each point's :class:`Result`.
    structure : ``"exchanges"`` (plants and by-product exchanges make a network; alias
        ``"byproducts"``), ``"plants"`` or
        ``"all"`` (every free binary); see the module's docstring.
    progress : optional ``callable(done, total, message)``, called before the first
        solve and after each epsilon step (``total`` is ``points``).

    Returns
    -------
    DataFrame, one row per point sorted by ``x`` (best first): ``point``, the
    objectives (``reuse``, ``cost``, ``profit``, ``co2``, ``disposal``, in t/yr and
    money/yr), the KPIs of the Result, ``plants`` and ``exchanges`` of the network,
    solver ``status`` and ``solve_time``. ``df.attrs`` holds ``x``, ``y``, the number
    of solves and the time taken.

    Examples
    --------
    >>> import symbiosis
    >>> front = symbiosis.pareto(symbiosis.examples.tutorial(), "co2", "cost", points=3)
    >>> len(front) >= 2 and front["co2"].is_monotonic_increasing
    True
    """
    for name in (x, y):
        if name not in SENSE:
            raise ValueError(f"unknown objective {name!r}; use one of {sorted(SENSE)}")
    if x == y:
        raise ValueError("x and y must be two different objectives")
    points = max(2, int(points))
    t0 = time.perf_counter()
    s = Session(case, model, limits=limits, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                structure=structure)
    found: list[Point] = []
    missed: list[str] = []
    _report(progress, 0, points, f"best {x}")
    try:
        a = s.point(s.first(f"{x}-then-{y}"))
        _report(progress, 1, points, f"best {y}")
        b = s.point(s.lexicographic(y, x))
        found += [a, b]
        _report(progress, 2, points, "epsilon steps")
        xa, xb = a.values[x], b.values[x]
        if abs(xa - xb) > _tol(xa):
            for i in range(1, points - 1):
                eps = xa + (xb - xa) * i / (points - 1)
                s.pm.set_bound(x, eps)
                try:
                    # the previous point meets this looser bound: it starts the step
                    found.append(s.point(s.lexicographic(y, x, start=True)))
                except InfeasibleError:
                    continue
                except SolverError as exc:  # no network in the time limit: say so, keep the others
                    missed.append(f"step {i} ({x} <= {eps:,.6g}): {exc}")
                    continue
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
    df = pd.DataFrame(rows)
    df.attrs.update({"x": x, "y": y, "solves": s.solves, "seconds": time.perf_counter() - t0, "missed": missed,
                     "model_build": s.pm.timings.get("build", 0.0), "case": case.name,
                     "money": case.units.get("money", "CNY")})
    if html is not None:
        pareto_html(df, html)
    return df


def _non_dominated(found: list[Point], x: str, y: str) -> list[Point]:
    """Drop duplicates (same objective values) and dominated points;
    sort by x, best first."""
    sx, sy = SENSE[x], SENSE[y]
    keep: list[Point] = []
    for p in found:
        dominated = any(
            (not _better(p.values[x], q.values[x], sx) and not _better(p.values[y], q.values[y], sy))
            and (_better(q.values[x], p.values[x], sx) or _better(q.values[y], p.values[y], sy))
            for q in found if q is not p)
        if dominated:
            continue
        # one network may give several points (it runs at other levels): duplicates are
        # points with the same two values, not the same network
        same = any(not _better(p.values[x], q.values[x], sx) and not _better(q.values[x], p.values[x], sx)
                   and not _better(p.values[y], q.values[y], sy) and not _better(q.values[y], p.values[y], sy)
                   for q in keep)
        if not same:
            keep.append(p)
    keep.sort(key=lambda p: p.values[x] if sx == "min" else -p.values[x])
    return keep


def pareto_html(df: pd.DataFrame, path: str | Path) -> Path:
    """Write the front as an interactive plotly chart (one self-contained HTML file that
    opens offline); hovering a point lists its network."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pareto_figure(df).write_html(str(path), include_plotlyjs=True, full_html=True)
    return path


def pareto_png(df: pd.DataFrame, path: str | Path) -> Path:
    """Write the front as a PNG image (see :func:`symbiosis.views.images.write_png`)."""
    from symbiosis.views.images import write_png
    return write_png(pareto_figure(df), path, width=1200, height=700)


def pareto_figure(df: pd.DataFrame):
    """The front as a plotly figure whose hover text lists each point's network."""
    import plotly.graph_objects as go
    x, y = df.attrs.get("x", "cost"), df.attrs.get("y", "reuse")
    money = df.attrs.get("money", "CNY")

    def axis(name):
        return f"{name} ({UNIT[name].format(money=money)})"

    def lines(items, n=25):
        items = list(items)
        more = f"<br>... and {len(items) - n} more" if len(items) > n else ""
        return "<br>".join(f"&nbsp;&nbsp;{i}" for i in items[:n]) + more

    hover = [f"<b>point {r.point}</b><br>{axis(x)}: {getattr(r, x):,.0f}<br>{axis(y)}: {getattr(r, y):,.0f}"
             f"<br>reuse rate: {r.reuse_rate:.1%}<br>capex: {r.capex:,.0f} {money}"
             f"<br><b>plants built</b><br>{lines(r.plants) or '&nbsp;&nbsp;none'}"
             f"<br><b>exchanges</b> ({len(r.exchanges)})<br>{lines(r.exchanges)}" for r in df.itertuples()]
    fig = go.Figure(go.Scatter(x=df[x], y=df[y], mode="lines+markers+text", text=[str(p) for p in df["point"]],
                               textposition="top center", hovertext=hover, hoverinfo="text",
                               marker={"size": 11}, line={"shape": "hv" if len(df) > 1 else "linear"}))
    fig.update_layout(title=f"{df.attrs.get('case', '')}: Pareto front of {x} and {y}",
                      xaxis_title=axis(x), yaxis_title=axis(y), template="plotly_white",
                      hoverlabel={"align": "left"})
    return fig


# ============================================================================ k best
def alternatives(case: Case, k: int = 5, objective: str | None = None, *, weights: dict | None = None,
                 model: ParkModel | None = None, limits: dict | None = None, time_limit: float | None = None,
                 mip_gap: float | None = None, threads: int | None = None,
                 keep_results: bool = False, structure: str = "plants", idle: bool = False,
                 progress=None) -> pd.DataFrame:
    """The ``k`` best structurally different networks, ranked (P-graph's n-best).

    Solve, record the network's binary pattern, add the integer (no-good) cut
    :math:`\\sum_{b=1}(1-b) + \\sum_{b=0} b \\ge 1` over the structural binaries, and solve
    again, until ``k`` networks are listed or no other network is feasible. The model is
    left as it was (cuts removed).

    A network with an *idle unit* is not listed (P-graph's solution-structure rule): a
    built plant is idle if the same network without it (the other plants kept, routing
    free) is feasible and no worse, so that it serves no product, sale or reuse the park
    needs: a plant whose output is only disposed of, or one that duplicates what another
    built plant supplies. Such a network is cut and skipped (one extra solve per built
    plant tested). ``idle=True`` lists them too.

    Every listed network is checked against the case alone (:func:`symbiosis.check.verify`)
    and solved again with tight tolerances if it fails; the list is in order of the
    objective (ties keep the order found).

    Parameters
    ----------
    objective : ``reuse``, ``cost``, ``profit``, ``co2``, ``disposal``, ``weighted`` (with
        ``weights``) or ``reuse-then-cost`` (default: the case's; ranks by reuse, then cost).
    structure : what makes two networks different: ``"plants"`` (default: the candidate
        plants built, with their size, and existing plants closed; routing is not
        structure, so networks that differ only in which plant supplies which are one),
        ``"exchanges"`` (those and the by-product exchanges used; alias ``"byproducts"``)
        or ``"all"`` (every free binary).
    progress : optional ``callable(done, total, message)``, called before each solve
        and at the end (``total`` is ``k``).

    Returns
    -------
    DataFrame, one row per network: ``rank``, ``objective`` (value of the ranking
    objective; for a lexicographic one, of its second part), the objectives, KPIs,
    ``plants``, ``exchanges``, ``added`` / ``removed`` (plants and exchanges in / not in
    this network that are / are in the best), ``status``, ``solve_time``, ``verified``.
    ``attrs`` hold ``skipped_idle`` (networks cut for an idle unit) and ``complete``
    (the list ran out of networks).

    Examples
    --------
    >>> import symbiosis
    >>> alts = symbiosis.alternatives(symbiosis.examples.tutorial(), k=2, objective="cost")
    >>> list(alts["rank"])
    [1, 2]
    """
    from symbiosis.check import verify
    objective = objective or case.settings.objective
    structure = STRUCTURE_ALIASES.get(structure, structure)
    t0 = time.perf_counter()
    s = Session(case, model, limits=limits, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                structure=structure)
    gap = mip_gap if mip_gap is not None else case.settings.mip_gap
    found: list[Point] = []
    skipped = 0
    complete = False
    budget = 4 * int(k) + 40  # solves that may be spent on networks with idle units
    try:
        n = 0
        while len(found) < int(k):
            _report(progress, len(found), int(k), f"network {len(found) + 1} of {int(k)}")
            if n == 0:
                info = s.first(objective, weights)  # an infeasible park raises, with its reasons
            else:
                try:
                    info = s.solve(objective, weights)
                except InfeasibleError:
                    complete = True
                    break  # no other network exists
            n += 1
            p = s.point(info)
            problems = verify(case, p.result, weights=weights, mip_gap=gap, mip_abs_gap=case.settings.mip_abs_gap)
            if problems:
                s.pm._tight = True
                try:
                    p = s.point(s.solve(objective, weights))
                    p.info.notes.append("failed the independent check (" + "; ".join(problems[:2]) +
                                        "); solved again with tolerances of 1e-9")
                    problems = verify(case, p.result, weights=weights, mip_gap=gap,
                                      mip_abs_gap=case.settings.mip_abs_gap)
                finally:
                    s.pm._tight = False
            p.verified = not problems
            ones = [key for key in s.bins if key in p.pattern]
            zeros = [key for key in s.bins if key not in p.pattern]
            if not ones and not zeros:
                found.append(p)
                complete = True
                break  # no free structural decision: the park has one network only
            s.pm.add_cut(ones, zeros)
            if not idle and _has_idle_unit(s, p, objective, weights):
                skipped += 1
                if skipped > budget:
                    break
                continue
            found.append(p)
    finally:
        s.restore()
    if "-then-" not in objective and objective != "reuse-then-cost":
        sense = "min" if objective == "weighted" else SENSE.get(objective, "min")
        found.sort(key=lambda q: _objective(q.info) if sense == "min" else -_objective(q.info))
    _report(progress, int(k), int(k), f"{len(found)} networks")
    rows = []
    if found:
        best_plants, best_ex = s.network(found[0].pattern)
    for rank, p in enumerate(found, 1):
        row = {"rank": rank, "objective": p.info.objective, **_row(s, p), "verified": p.verified}
        plants, exchanges = row["plants"], row["exchanges"]
        row["added"] = tuple(sorted(set(plants) - set(best_plants))) + tuple(sorted(set(exchanges) - set(best_ex)))
        row["removed"] = tuple(sorted(set(best_plants) - set(plants))) + tuple(sorted(set(best_ex) - set(exchanges)))
        if keep_results:
            row["result"] = p.result
        rows.append(row)
    df = pd.DataFrame(rows)
    df.attrs.update({"objective": objective, "solves": s.solves, "seconds": time.perf_counter() - t0,
                     "case": case.name, "requested": int(k), "structure": structure,
                     "skipped_idle": skipped, "complete": complete})
    return df


def _idle_candidates(s: Session, p: Point) -> list[str]:
    """Built candidate plants of ``p`` that serve nothing: none of their output goes to
    another plant or a sale, and they take no by-product from another plant."""
    r = p.result
    mats = s.case.materials
    ex = r.exchanges[r.exchanges["flow"] > 0]
    sent = set(ex["source"])
    takes_byproduct = set(ex.loc[[mats[m].is_byproduct for m in ex["material"]], "target"])
    sold = set(r.market.loc[r.market["sale"] > 0, "plant"])
    built = r.plants[(r.plants["status"] == "candidate") & r.plants["built"]]["plant"]
    return [q for q in built if q not in sent and q not in sold and q not in takes_byproduct]


def _has_idle_unit(s: Session, p: Point, objective: str, weights: dict | None) -> bool:
    """Whether some built candidate plant of ``p`` can be dropped (the other plants of ``p``
    kept as they are, routing free) without making the objective worse: then ``p`` is
    ``p`` without it plus an idle unit, not a solution structure in P-graph's sense. The
    cuts are set aside for this test."""
    idle = _idle_candidates(s, p)
    built = [key[1] for key in p.pattern if key[0] == "plant"]
    # the plants that serve nothing first (the usual case), then the others: a plant that
    # only duplicates what another built plant supplies can be dropped too
    order = idle + sorted(set(built) - set(idle))
    if not order:
        return False
    pm = s.pm
    plant_keys = [key for key in pm.decision_keys() if key[0] in ("plant", "open")]
    on = {key for key in plant_keys if pm.value(key) > 0.5}
    pm.set_cuts_active(False)
    try:
        for q in order:
            for key in plant_keys:
                pm.fix(key, 0.0 if key[1] == q else (1.0 if key in on else 0.0))
            try:
                info = s.solve(objective, weights)
            except (InfeasibleError, SolverError):
                continue
            finally:
                for key in plant_keys:
                    pm.unfix(key)
            if "-then-" in objective:
                first = objective.split("-then-")[0]
                a, b = info.stages[0]["value"], p.info.stages[0]["value"]
                if abs(a - b) > _tol(b) + (s.case.settings.reuse_tolerance if first == "reuse" else 0) * abs(b):
                    if _better(a, b, SENSE[first]):
                        return True
                    continue
            sense = "min" if objective == "weighted" else SENSE.get(objective.split("-then-")[-1], "min")
            have, without = _objective(p.info), _objective(info)
            if not _better(have, without, sense) or abs(have - without) <= _tol(have):
                return True
        return False
    finally:
        pm.set_cuts_active(True)
        # leave the values of p in the model (the caller reads the pattern from them)
        pm.set_values({key: 1.0 if key in on else 0.0 for key in plant_keys})


# ============================================================================ why not?
def explain(case: Case, exchange: str | tuple | None = None, plant: str | None = None, *,
            objective: str | None = None, break_even: bool | int = 10, model: ParkModel | None = None,
            limits: dict | None = None, time_limit: float | None = None, mip_gap: float | None = None,
            threads: int | None = None, structure: str = "exchanges", progress=None) -> pd.DataFrame:
    """Why was this not chosen? The regret table of the park's candidates.

    For every candidate not chosen in the optimum, the objective when it is forced in;
    for every chosen one, the objective when it is forbidden. The difference is its
    *regret* (how much worse the park does, in the objective's unit; ``inf`` when the
    park cannot run that way). Rows are sorted by regret, smallest first: the
    candidates that nearly made it, and the chosen ones that matter least, come first.

    The ``reason`` names what makes the forced network worse, read from the change of
    its tables: ``capacity`` (it displaces reuse elsewhere: the receiving plant's slot or
    capacity is the limit), ``distance`` (transport and link cost), ``price`` (purchases
    or sales), ``capex``, ``disposal``, ``operating cost``, ``infeasible``, or why a pair
    is not a candidate at all (``distance`` beyond ``max_distance``, a plant that does not
    make or take the material).

    For a rejected exchange, ``break_even`` is the subsidy per unit of material (money
    per t) at which it enters the optimum, found by bisection on its cost (the subsidy
    changes one column's cost on the same HiGHS object); a negative number would be a tax.
    For a rejected candidate plant it is the capex subsidy (money) at which it is built:
    regret / CRF, exact. It is computed for the ``break_even`` rejected exchanges of
    smallest regret (``True``: all; ``False``: none), for objectives that count cost.

    Parameters
    ----------
    exchange : ``"A->B:material"`` (or a key tuple): explain this exchange only.
    plant : explain this plant only.
    objective : as :func:`alternatives` (default: the case's).
    structure : ``"exchanges"`` (default: rows for plants and by-product exchanges; alias
        ``"byproducts"``) or
        ``"all"`` (a row for every free binary, energy and product links too).
    progress : optional ``callable(done, total, message)``: once per candidate tested,
        then once per break-even bisection (``total`` grows by the bisections to come).

    "Forced in" means used: an exchange carries at least a little (see the module's
    docstring), and the model chooses how much, often the least. So a small regret can
    mean "only a token flow is harmless"; ``cost_per_unit`` (cost change over the forced
    flow) and the break-even subsidy say how far the exchange is from paying its way.

    Returns
    -------
    DataFrame: ``candidate``, ``kind`` (plant / existing plant / exchange),
    ``chosen``, ``test`` (forced in / forbidden), ``objective`` (its value in the test),
    ``regret``, ``reuse_change``, ``cost_change``, ``flow`` and ``cost_per_unit`` (of a
    forced-in exchange), ``reason``, ``break_even``, ``break_even_unit``.

    Examples
    --------
    >>> import symbiosis
    >>> table = symbiosis.explain(symbiosis.examples.tutorial(), objective="cost")
    >>> set(table["test"]) <= {"forced in", "forbidden"}
    True
    """
    objective = objective or case.settings.objective
    primary = objective.split("-then-")[0] if "-then-" in objective else objective
    sense = SENSE.get(primary, "min")
    t0 = time.perf_counter()
    s = Session(case, model, limits=limits, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                structure=structure)
    rows: list[dict] = []
    _report(progress, 0, 1, "the best network")
    try:
        base = s.point(s.first(objective))
        base_value = base.values[primary] if primary in base.values else _objective(base.info)
        names = list(s.groups)
        if exchange is not None:
            key = parse_exchange(exchange) if isinstance(exchange, str) else tuple(exchange)
            label = exchange_label(key)
            if label not in s.groups:
                rows.append(_not_a_candidate(s, key))
                names = []
            else:
                names = [label]
        if plant is not None:
            if plant not in s.groups:
                rows.append(_plant_not_free(s, plant))
                names = [] if exchange is None else names
            else:
                names = ([n for n in names if n == plant] if exchange is None else names + [plant])
        for i, name in enumerate(names):
            _report(progress, i, len(names), f"testing {name}")
            rows.append(_test(s, name, objective, primary, sense, base, base_value))
        _report(progress, len(names), len(names), "tested")
        _break_even(s, rows, objective, base, break_even, progress=progress, done=len(names))
    finally:
        s.restore()
    df = pd.DataFrame(rows, columns=["candidate", "kind", "chosen", "test", "objective", "regret",
                                     "reuse_change", "cost_change", "flow", "cost_per_unit", "reason",
                                     "break_even", "break_even_unit"])
    df = df.sort_values(["regret", "cost_change"], kind="stable", na_position="last").reset_index(drop=True)
    df.attrs.update({"objective": objective, "primary": primary, "base": base_value, "solves": s.solves,
                     "seconds": time.perf_counter() - t0, "case": case.name,
                     "base_plants": s.network(base.pattern)[0], "base_exchanges": s.network(base.pattern)[1]})
    return df


def _test(s: Session, name: str, objective: str, primary: str, sense: str, base: Point, base_value: float) -> dict:
    g = s.groups[name]
    chosen = any(k in base.pattern for k in g["keys"])
    row = {"candidate": name, "kind": g["kind"], "chosen": chosen, "test": "forbidden" if chosen else "forced in",
           "objective": math.nan, "regret": math.inf, "reuse_change": math.nan, "cost_change": math.nan,
           "flow": math.nan, "cost_per_unit": math.nan, "reason": "", "break_even": math.nan,
           "break_even_unit": ""}
    fixed = []
    try:
        if chosen:
            for key in g["keys"]:
                s.pm.fix(key, 0)
                fixed.append(key)
        elif len(g["keys"]) == 1:
            s.pm.fix(g["keys"][0], 1)
            fixed.append(g["keys"][0])
        else:
            s.pm.require_any(g["keys"])
        try:
            info = s.solve(objective)
        except InfeasibleError:
            row["reason"] = "infeasible: " + _infeasible_reason(s, g, chosen)
            return row
        p = s.point(info)
    finally:
        for key in fixed:
            s.pm.unfix(key)
        s.pm.clear_require()
    value = p.values[primary] if primary in p.values else _objective(p.info)
    row["objective"] = value
    regret = _worse_by(value, base_value, sense)
    row["regret"] = regret if regret > 1e-10 * max(1.0, abs(base_value)) else 0.0  # solver noise is no regret
    row["reuse_change"] = p.values["reuse"] - base.values["reuse"]
    row["cost_change"] = p.values["cost"] - base.values["cost"]
    flow = _flow(s, g, p)
    if not chosen and flow > 0:
        row["flow"] = flow
        row["cost_per_unit"] = row["cost_change"] / flow
    row["reason"] = _reason(s, g, chosen, base, p, row.get("cost_per_unit", math.nan))
    row["_flow"] = flow
    return row


def _keys(s: Session, g: dict) -> list:
    return list(g["keys"])


def _flow(s: Session, g: dict, p: Point) -> float:
    if g["kind"] != "exchange":
        return math.nan
    ex = p.result.exchanges
    src, dst, mat = g["key"][1:]
    hit = ex[(ex["source"] == src) & (ex["target"] == dst) & (ex["material"] == mat)]
    return float(hit["flow"].iloc[0]) if len(hit) else math.nan


def _reason(s: Session, g: dict, chosen: bool, base: Point, p: Point, per_unit: float = math.nan) -> str:
    """Name what the test changes most, from the two networks' tables."""
    lost = base.values["reuse"] - p.values["reuse"]
    dc = p.values["cost"] - base.values["cost"]
    same_cost = abs(per_unit) < 0.01 if math.isfinite(per_unit) else abs(dc) <= _tol(base.values["cost"])
    if same_cost and abs(lost) <= _tol(base.values["reuse"]):
        return "indifferent: an equally good network"
    cost = _cost_reason(s, g, base, p)
    if lost > _tol(base.values["reuse"]):
        head = (f"without it {lost:,.0f} t/yr less by-product is reused" if chosen else
                f"capacity: it displaces {lost:,.0f} t/yr of reuse elsewhere (the receiving slot or plant is full)")
        return head + (f"; {cost}" if dc > _tiny(base.values["cost"]) and cost != "price" else "")
    return cost


def _cost_reason(s: Session, g: dict, base: Point, p: Point) -> str:
    """The cost component that grows most between the base network and the tested one."""
    money = s.case.units.get("money", "CNY")
    diffs = []
    for kpi, word in COMPONENTS:
        d = p.result.kpi(kpi) - base.result.kpi(kpi)
        if kpi == "sales":
            d = -d  # lost revenue counts as a cost
        diffs.append((d, word, kpi))
    d, word, kpi = max(diffs)
    if d <= 0:
        return "price"
    detail = {"capex": "annualised capex of the plants it needs",
              "distance": "transport and link cost",
              "price": "purchases" if kpi == "purchases" else "sales revenue lost",
              "disposal": "disposal cost", "operating cost": "operating cost"}[word]
    extra = ""
    if word == "distance" and g["kind"] == "exchange":
        x = s.pm.exchanges[g["index"]]
        extra = f" ({x.distance:,.1f} km at {x.transport_cost:g} {money}/unit/km)"
    amount = f"{d:,.0f}" if d >= 100 else f"{d:,.2f}"
    return f"{word}: +{amount} {money}/yr {detail}{extra}"


def _infeasible_reason(s: Session, g: dict, chosen: bool) -> str:
    lim = s.limits
    if not chosen and g["kind"] == "plant":
        if "new_plants" in lim:
            return f"the limit of {lim['new_plants']:g} new plants"
        if "capex" in lim:
            return f"the capex budget of {lim['capex']:,.0f}"
    if not chosen and g["kind"] == "exchange":
        x = s.pm.exchanges[g["index"]]
        return (f"the park cannot run with {x.source} sending {x.material} to {x.target} "
                "(a plant it needs is ruled out by a limit, or the flow has nowhere to go)")
    return "the park cannot run without it (a demand, stated output or limit needs it)"


def _not_a_candidate(s: Session, key: tuple) -> dict:
    case = s.case
    src, dst, mat = key
    row = {"candidate": exchange_label(key), "kind": "exchange", "chosen": False, "test": "not a candidate",
           "objective": math.nan, "regret": math.inf, "reuse_change": math.nan, "cost_change": math.nan,
           "break_even": math.nan, "break_even_unit": ""}
    for name in (src, dst):
        if name not in case.plants:
            row["reason"] = f"no plant {name!r} in the case"
            return row
    if mat not in case.materials:
        row["reason"] = f"no material {mat!r} in the case"
        return row
    if mat not in case.process_of(src).outputs:
        row["reason"] = f"{src} does not make {mat}"
        return row
    if mat not in case.process_of(dst).input_materials():
        row["reason"] = f"{dst} does not take {mat}"
        return row
    i = s.pm.x_by_key.get(key)
    if i is not None:
        x = s.pm.exchanges[i]
        if x.forbid:
            row["reason"] = "forbidden in the case"
        elif x.force:
            row["reason"] = "forced in the case"
        else:
            ub = s.pm.x_ub[i]
            row["reason"] = f"capacity: it can carry nothing (bound {ub:g})"
        return row
    if case.plants[src].forbid or case.plants[dst].forbid:
        row["reason"] = "a plant it links is forbidden in the case"
        return row
    d = plant_distance(case, src, dst) or 0.0
    m = case.materials[mat]
    limit = m.max_distance if m.max_distance is not None else case.settings.max_distance
    if limit is not None and d > limit:
        row["reason"] = f"distance: {d:,.1f} km is beyond the {limit:g} km {mat} may travel"
    else:
        row["reason"] = "not generated (settings.generate_candidates is off); name it under exchanges"
    return row


def _plant_not_free(s: Session, plant: str) -> dict:
    case = s.case
    row = {"candidate": plant, "kind": "plant", "chosen": False, "test": "fixed", "objective": math.nan,
           "regret": math.nan, "reuse_change": math.nan, "cost_change": math.nan, "break_even": math.nan,
           "break_even_unit": ""}
    if plant not in case.plants:
        row["reason"] = "no such plant in the case"
    else:
        p = case.plants[plant]
        row["reason"] = ("forbidden in the case" if p.forbid else "forced in the case" if p.force else
                         "an existing plant that may not close (set can_close to test closing it)")
    return row


def _break_even(s: Session, rows: list[dict], objective: str, base: Point, limit: bool | int,
                progress=None, done: int = 0):
    """Subsidy at which rejected candidates enter; exact for plants, bisection for exchanges."""
    counts_cost = objective in ("cost", "profit") or objective.endswith(("-then-cost", "-then-profit"))
    if not counts_cost or limit is False:
        for r in rows:
            r.pop("_flow", None)
        return
    money = s.case.units.get("money", "CNY")
    lexi = "-then-" in objective
    first = objective.split("-then-")[0]  # read only when lexi
    rejected = [r for r in rows if r.get("test") == "forced in" and math.isfinite(r["regret"])]
    for r in rejected:
        g = s.groups[r["candidate"]]
        if lexi and first == "reuse" and r["reuse_change"] < -_tol(base.values["reuse"]):
            r["break_even_unit"] = "none: it lowers reuse"
            continue
        if g["kind"] == "plant":
            plant = s.case.plants[r["candidate"]]
            r["break_even"] = max(0.0, r["cost_change"]) / s.case.crf(plant.life)
            r["break_even_unit"] = f"{money} capex subsidy"
    exch = [r for r in rejected if s.groups[r["candidate"]]["kind"] == "exchange" and not r["break_even_unit"]]
    unit_of = {id(r): f"{money}/{s.case.materials[s.groups[r['candidate']]['key'][3]].unit} subsidy" for r in exch}
    for r in exch:
        free = r["cost_per_unit"] < 0.005 if math.isfinite(r["cost_per_unit"]) else \
            r["cost_change"] <= _tiny(base.values["cost"])
        if free:
            r["break_even"], r["break_even_unit"] = 0.0, unit_of[id(r)]  # it pays its way already
    exch = sorted((r for r in exch if not r["break_even_unit"]),
                  key=lambda r: (r["regret"], r["cost_per_unit"] if math.isfinite(r["cost_per_unit"]) else math.inf))
    if limit is not True:
        exch = exch[:int(limit)]
    base_cost = base.values["cost"]
    try:
        if lexi:
            # the same bound as the base solve's second stage: from its first stage's value
            best = base.info.stages[0]["value"] if base.info.stages else base.values[first]
            s.pm.set_bound(first, best - _tol(best) if SENSE[first] == "max" else best + _tol(best))
        for j, r in enumerate(exch):
            _report(progress, done + j, done + len(exch), f"break-even of {r['candidate']}")
            g = s.groups[r["candidate"]]
            r["break_even"] = _bisect(s, g, base_cost, r["cost_change"], r.get("_flow", math.nan))
            r["break_even_unit"] = unit_of[id(r)]
        _report(progress, done + len(exch), done + len(exch), "break-even done")
    finally:
        s.pm.set_subsidy(None)
        s.pm.set_objective("cost")
        if lexi:
            s.pm.set_bound(first, None)
    for r in rows:
        r.pop("_flow", None)


def _bisect(s: Session, g: dict, base_cost: float, cost_change: float, flow: float, iterations: int = 40,
            rel: float = 1e-3) -> float:
    r"""Smallest subsidy :math:`s` per unit at which the forced network beats the base one:
    :math:`\min_{z_x=1}(C - s f_x) < C_0`; the left side is concave and decreasing in s.
    Bounds: it cannot enter below regret / U (U: the most the exchange can carry), and it
    enters at regret / f (f: the flow of the forced network, which alone then breaks
    even); bisection between them to ``rel``. Without a forced flow the upper end is
    found by doubling."""
    i = g["index"]
    key = g["keys"][0]
    if cost_change <= _tiny(base_cost):
        return 0.0
    cap = s.pm.x_ub[i]
    if not cap > 0:
        return math.inf
    s.pm.fix(key, 1)

    def enters(sub: float) -> bool | None:
        s.pm.set_subsidy("cost", i, sub)
        s.solves += 1
        try:
            info = s.pm.run(s.opts, explain=False)
        except (InfeasibleError, SolverError):
            return None
        return _objective(info) < base_cost - _tiny(base_cost)

    try:
        lo = cost_change / cap
        if flow and flow > 0 and math.isfinite(flow):
            hi = cost_change / flow * (1 + 1e-6) + 1e-6
        else:
            hi = 2 * lo
            for _ in range(60):
                ok = enters(hi)
                if ok is None:
                    return math.nan
                if ok:
                    break
                lo, hi = hi, 2 * hi
            else:
                return math.inf
        for _ in range(iterations):
            if hi - lo <= max(0.005, rel * hi):
                break
            mid = (lo + hi) / 2
            ok = enters(mid)
            if ok is None:
                return math.nan
            if ok:
                hi = mid
            else:
                lo = mid
    finally:
        s.pm.unfix(key)
        s.pm.set_subsidy(None)
    return hi
