r"""Planning over periods: which plants and exchanges to open in which five-year plan.

The phased model is one MILP made of the single-period models of the periods: every
period's case (:mod:`symbiosis.periods`) is built by :class:`~symbiosis.model.ParkModel`
exactly as ``symbiosis solve`` builds it, and the blocks are hung under one Pyomo model
and tied together by build and opening decisions. Nothing of a period's physics is
written twice: balances, slots, links, market caps, KPI expressions and the per-period
limits are the single-period builders' own rows.

Symbols (per period t; :math:`y^t, z^t, w^t` are the block's own binaries)
----------------------------------------------------------------------------
=================  ==========================================================
v[p,k,tau]         1 if candidate p is built with size k at the start of period tau
o[x,tau]           1 if exchange x opens in period tau
y^t[p,k]           plant p of size k runs in t: :math:`y^t_{pk} = \sum_{\tau\le t,\ \text{alive}} v_{pk\tau}`
z^t[x]             link x in use in t: :math:`o_{x\tau} \le z^\tau_x`, :math:`z^t_x \le \sum_{\tau\le t} o_{x\tau}`
w^t[p]             existing plant p open in t: :math:`w^t_p \le w^{t-1}_p` (closed stays closed)
W_t                discount weight of a year of period t: :math:`\sum_{y \in t} \prod_{j \le y} (1+r_j)^{-1}`
=================  ==========================================================

A plant built in :math:`\tau` is *alive* in :math:`t \ge \tau` when its life covers the
whole of :math:`t` (:math:`s_\tau + L_p \ge e_t`).

Capex rule
----------
The capex of a plant is paid as its annuity :math:`\text{CRF}_\tau(L_p) K^\$_{pk\tau}` (the
discount rate and capex of the build period) in every year from its build until its life
or the horizon ends, whichever comes first; the annuities are discounted like every other
cost. This is the whole capex less a salvage value equal to the present value of the
annuities beyond the horizon (economic depreciation), so a plant built late is not
charged for years it cannot serve, and the last period does not favour cheap short-lived
plants. We chose it because it makes one period the single-period model exactly: with
one period the net present cost is :math:`W_1` times the single-period annualised cost,
so both give the same network (the divergence oemof's users report cannot happen).
Link capex counts in the per-period investment budget (``limits.capex``) of the period a
link opens, and, as in the single-period model, not in the cost.

Objective
---------
:math:`\text{NPC} = \sum_t W_t (C^t - A^t) + \sum_{p,k,\tau} v_{pk\tau} \text{CRF}_\tau K^\$_{pk\tau}
\sum_{y=s_\tau}^{\min(s_\tau+L_p, H)-1} D_y`, with :math:`C^t` the block's annualised cost
and :math:`A^t` its annualised plant capex (the one formula of
:func:`symbiosis.model.add_expressions` repeated here, in :func:`_annual_capex`). Reuse over the
horizon is :math:`\sum_t n_t R^t` (t-eq over all years). Objectives: ``cost`` (NPC),
``reuse``, ``reuse-then-cost``.

Per-period limits
-----------------
Each period's ``limits`` go to its block's :meth:`~symbiosis.model.ParkModel.set_limits`
(reuse-rate floors, CO2 cap, disposal, annualised cost), except the budget ``capex`` and
``new_plants``, which count what is *built in the period* (plants and links opened).

``myopic=True`` solves the periods one after another, each over the periods so far, with
the build and opening decisions of earlier periods fixed; the plan it reaches is then
costed over the whole horizon.
"""
from __future__ import annotations

import dataclasses
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd
import pyomo.environ as pyo

from symbiosis.case import Case, Period
from symbiosis.errors import InfeasibleError, SolverError
from symbiosis.model import Options, ParkModel, SolveInfo
from symbiosis.result import Result, _jsonable, make_result, write_whole

#: objectives of the phased model
PHASED_OBJECTIVES = ("cost", "reuse", "reuse-then-cost")
#: limits that count what is built in a period rather than what runs in it
INVESTMENT_LIMITS = ("capex", "new_plants")


def discount_factors(periods: list[Period]) -> list[float]:
    """Discount factor of every year of the horizon (costs at the end of each year, each
    year at its period's ``settings.discount_rate``), from the first period's start."""
    out, df = [], 1.0
    for p in periods:
        r = p.case.settings.discount_rate
        for _ in range(p.years):
            df /= (1.0 + r)
            out.append(df)
    return out


def _annual_capex(pm: ParkModel):
    """The block's annualised plant capex: the term of ``add_expressions`` (model.py)
    that the phased model replaces by annuities from the build period."""
    case, m = pm.case, pm.m
    return sum(case.crf(case.plants[p].life) * case.plants[p].sizes[k].capex * m.y[p, k] for p, k in pm.sizes)


class PhasedModel(ParkModel):
    """The MILP of a phased case: one :class:`ParkModel` block per period, tied by build
    and opening decisions. Solved through :meth:`ParkModel.run` (the same in-memory,
    scaled hand-off to HiGHS and the same polish). Of the single-period decision hooks,
    ``set_bound`` (on ``cost``, ``reuse``, ``co2`` of the horizon), ``add_cut``,
    ``require_any`` and their ``clear_*`` work on it unchanged
    (:mod:`symbiosis.phased_decision` uses them); ``set_limits`` does not (see
    :meth:`set_period_limits`).

    Examples
    --------
    >>> from symbiosis import examples
    >>> from symbiosis.phased import PhasedModel, one_period
    >>> pm = PhasedModel(one_period(examples.tutorial()))
    >>> len(pm.blocks)
    1
    """

    def __init__(self, case: Case, periods: list[Period] | None = None):
        self.case = case
        self.periods = list(case.periods if periods is None else periods)
        if not self.periods:
            raise ValueError(f"the case {case.name!r} has no periods; add 'periods:' to the case file")
        t0 = time.perf_counter()
        self.elastic = False
        self.highs = None
        self._tight = False
        self.columns = []
        self._objective_name = None
        self.x_index = []        # ParkModel._polish closes idle links by x_index: none here
        self.x_ub: list[float] = []
        self.m = pyo.ConcreteModel(name=f"{case.name} (phased)")
        self.blocks: list[ParkModel] = []
        self.impossible: list[str] = []
        for t, per in enumerate(self.periods):
            pm = ParkModel(per.case)
            self.m.add_component(f"period_{t}", pm.m)
            self.blocks.append(pm)
            self.impossible += [f"in period {per.name}: {r}" for r in pm.impossible]
        self.timings = {"build": 0.0}
        self._discount()
        self._add_builds()
        self._add_openings()
        self._add_closures()
        self._add_costs()
        self.set_period_limits()
        self.timings["build"] = time.perf_counter() - t0

    # ------------------------------------------------------------------ structure
    def _discount(self):
        D = discount_factors(self.periods)
        self.discount = D
        self.first_year = self.periods[0].start
        self.horizon_end = self.periods[-1].end
        self.weights, y = [], 0
        for per in self.periods:
            self.weights.append(sum(D[y:y + per.years]))
            y += per.years

    def alive(self, p: str, tau: int, t: int) -> bool:
        """A plant built at the start of period tau runs in period t (its life covers t)."""
        life = self.periods[tau].case.plants[p].life
        return tau <= t and self.periods[tau].start + life >= self.periods[t].end - 1e-9

    def annuity_pv(self, p: str, k: int, tau: int) -> float:
        """Present value of the capex annuities of plant p (size k) built in period tau."""
        c = self.periods[tau].case
        plant = c.plants[p]
        if not plant.sizes[k].capex:
            return 0.0
        first = self.periods[tau].start - self.first_year
        last = min(self.periods[tau].start + plant.life, self.horizon_end) - self.first_year
        years = sum(self.discount[y] for y in range(first, int(math.ceil(last - 1e-9))))
        return c.crf(plant.life) * plant.sizes[k].capex * years

    def _add_builds(self):
        m = self.m
        keys = []
        for tau, pm in enumerate(self.blocks):
            keys += [(p, k, tau) for p, k in pm.sizes if not pm.m.y[p, k].fixed]
        self.build_keys = keys
        m.BUILD = pyo.Set(dimen=3, initialize=keys, ordered=True)
        m.v = pyo.Var(m.BUILD, within=pyo.Binary)
        key_set = set(keys)
        m.available = pyo.ConstraintList()
        for t, pm in enumerate(self.blocks):
            for p, k in pm.sizes:
                built = [m.v[p, k, tau] for tau in range(t + 1) if (p, k, tau) in key_set and self.alive(p, tau, t)]
                y = pm.m.y[p, k]
                if not built:
                    if not y.fixed:
                        y.fix(0)
                    continue
                if y.fixed:
                    for b in built:  # forbidden in t: cannot have been built to run in t
                        b.fix(0)
                    continue
                m.available.add(y == sum(built))
        by_plant = defaultdict(list)
        for p, k, tau in keys:
            by_plant[p].append(m.v[p, k, tau])
        m.build_once = pyo.Constraint(sorted(by_plant), rule=lambda _, p: sum(by_plant[p]) <= 1)

    def _add_openings(self):
        m = self.m
        keys, where = [], defaultdict(dict)   # exchange key -> {period: index in that block}
        for t, pm in enumerate(self.blocks):
            for i, x in enumerate(pm.exchanges):
                where[x.key][t] = i
                z = pm.m.z[i]
                if not x.existing and not (z.fixed and z.value == 0):
                    keys.append((*x.key, t))
        self.open_keys = keys
        self.exchange_periods = where
        m.OPEN = pyo.Set(dimen=4, initialize=keys, ordered=True)
        m.o = pyo.Var(m.OPEN, within=pyo.Binary)
        key_set = set(keys)
        m.open_use = pyo.ConstraintList()
        m.open_before = pyo.ConstraintList()
        for (s, d, mat, tau) in keys:
            z = self.blocks[tau].m.z[where[(s, d, mat)][tau]]
            if not z.fixed:
                m.open_use.add(m.o[s, d, mat, tau] <= z)
        for t, pm in enumerate(self.blocks):
            for i, x in enumerate(pm.exchanges):
                z = pm.m.z[i]
                if x.existing or (z.fixed and z.value == 0):
                    continue
                opened = [m.o[(*x.key, tau)] for tau in range(t + 1) if (*x.key, tau) in key_set]
                if not opened:
                    z.fix(0)
                    continue
                m.open_before.add(z <= sum(opened))
        by_x = defaultdict(list)
        for s, d, mat, tau in keys:
            by_x[(s, d, mat)].append(m.o[s, d, mat, tau])
        m.open_once = pyo.ConstraintList()
        for k in sorted(by_x):
            if len(by_x[k]) > 1:
                m.open_once.add(sum(by_x[k]) <= 1)

    def _add_closures(self):
        m = self.m
        m.stay_closed = pyo.ConstraintList()
        for t in range(1, len(self.blocks)):
            prev, cur = self.blocks[t - 1], self.blocks[t]
            for p in cur.closable:
                if p in prev._close_set:
                    m.stay_closed.add(cur.m.w[p] <= prev.m.w[p])

    def investment_expr(self, tau: int):
        """Investment made in period tau: plants built and links opened (money)."""
        m = self.m
        c = self.periods[tau].case
        plants = sum(c.plants[p].sizes[k].capex * m.v[p, k, t] for p, k, t in self.build_keys
                     if t == tau and c.plants[p].sizes[k].capex)
        pm = self.blocks[tau]
        links = 0
        for s, d, mat, t in self.open_keys:
            if t == tau:
                x = pm.exchanges[self.exchange_periods[(s, d, mat)][tau]]
                if x.capex:
                    links += x.capex * m.o[s, d, mat, t]
        return plants + links

    def _add_costs(self):
        m = self.m
        operating = [pm.kpi["cost"] - _annual_capex(pm) for pm in self.blocks]
        capex_pv = sum(self.annuity_pv(p, k, tau) * m.v[p, k, tau] for p, k, tau in self.build_keys)
        m.e_npc = pyo.Expression(expr=sum(w * c for w, c in zip(self.weights, operating)) + capex_pv)
        m.e_reuse_total = pyo.Expression(expr=sum(per.years * pm.kpi["reuse"]
                                                  for per, pm in zip(self.periods, self.blocks)))
        m.e_co2_total = pyo.Expression(expr=sum(per.years * pm.kpi["co2"] for per, pm in zip(self.periods, self.blocks)))
        self.kpi = {"cost": m.e_npc, "reuse": m.e_reuse_total, "co2": m.e_co2_total}

    # ------------------------------------------------------------------ limits
    def set_period_limits(self, drop: set | None = None, only: tuple | None = None):
        """Each period's ``limits`` (its case's, from ``limits`` and the period's changes):
        operating limits on the block, investment limits on what is built in the period.
        ``drop``: {(period index, key)} left out; ``only``: keep just that (t, key)."""
        m = self.m
        if m.find_component("investment_limits") is not None:
            m.del_component("investment_limits")
        m.investment_limits = pyo.ConstraintList()
        drop = drop or set()
        for t, (per, pm) in enumerate(zip(self.periods, self.blocks)):
            lims = {k: v for k, v in per.case.limits.items() if v is not None and (t, k) not in drop
                    and (only is None or only == (t, k))}
            pm.set_limits({k: v for k, v in lims.items() if k not in INVESTMENT_LIMITS})
            if "capex" in lims:
                expr = self.investment_expr(t)
                if not isinstance(expr, (int, float)):
                    m.investment_limits.add(expr <= lims["capex"])
            if "new_plants" in lims:
                built = [m.v[key] for key in self.build_keys if key[2] == t]
                if built:
                    m.investment_limits.add(sum(built) <= lims["new_plants"])

    def period_limits(self) -> list[tuple[int, str, float]]:
        return [(t, k, v) for t, per in enumerate(self.periods) for k, v in per.case.limits.items() if v is not None]

    # ------------------------------------------------------------------ objectives
    def set_objective(self, name: str, weights=None):
        m = self.m
        if m.find_component("objective") is not None:
            m.del_component("objective")
        if name not in ("cost", "reuse", "co2"):
            raise ValueError(f"unknown objective {name!r} for a phased case; use one of {list(PHASED_OBJECTIVES)}")
        sense = pyo.maximize if name == "reuse" else pyo.minimize
        m.objective = pyo.Objective(expr=self.kpi[name], sense=sense)
        self._objective_name = name

    def set_reuse_floor(self, floor: float | None):
        m = self.m
        if m.find_component("reuse_floor") is not None:
            m.del_component("reuse_floor")
        if floor is not None:
            m.reuse_floor = pyo.Constraint(expr=self.kpi["reuse"] >= floor)

    def fix_decisions(self, decisions: dict, upto: int | None = None):
        """Fix build and opening binaries to ``decisions`` ({('build', p, k, tau): 0/1,
        ('open', s, d, mat, tau): 0/1, ('close', p, t): 0/1}) for periods before ``upto``."""
        m = self.m
        builds, opens = set(self.build_keys), set(self.open_keys)
        for key, val in decisions.items():
            tau = key[-1]
            if upto is not None and tau >= upto:
                continue
            if key[0] == "build" and key[1:] in builds:
                m.v[key[1:]].fix(val)
            elif key[0] == "open" and key[1:] in opens:
                m.o[key[1:]].fix(val)
            elif key[0] == "close" and tau < len(self.blocks) and key[1] in self.blocks[tau]._close_set:
                self.blocks[tau].m.w[key[1]].fix(val)

    def decisions(self) -> dict:
        m = self.m
        out = {("build", *k): int(round(m.v[k].value or 0)) for k in self.build_keys}
        out.update({("open", *k): int(round(m.o[k].value or 0)) for k in self.open_keys})
        for t, pm in enumerate(self.blocks):
            out.update({("close", p, t): int(round(pm.m.w[p].value or 0)) for p in pm.closable})
        return out

    # ------------------------------------------------------------------ solve
    def solve_phased(self, opts: Options | None = None) -> SolveInfo:
        """Solve for ``opts.objective`` (default: ``cost`` unless the case says ``reuse`` or
        ``reuse-then-cost``); values are loaded into the blocks. Raises InfeasibleError
        naming the period and limit when a per-period limit is out of reach."""
        opts = opts or Options()
        if opts.deadline is None:
            limit = opts.time_limit if opts.time_limit is not None else self.case.settings.time_limit
            opts = dataclasses.replace(opts, deadline=time.perf_counter() + float(limit))
        if self.impossible:
            raise InfeasibleError(self.impossible, self.case.name)
        objective = opts.objective or self.case.settings.objective
        if objective not in PHASED_OBJECTIVES:
            raise ValueError(f"unknown objective {objective!r} for a phased case; use one of "
                             f"{list(PHASED_OBJECTIVES)}")
        self.set_reuse_floor(None)
        try:
            if objective == "reuse-then-cost":
                self.set_objective("reuse")
                first = self.run(opts, explain=False)
                tol = opts.reuse_tolerance if opts.reuse_tolerance is not None else self.case.settings.reuse_tolerance
                best = first.objective
                self.set_reuse_floor(best * (1 - tol) - 1e-8 * max(1.0, abs(best)))  # type: ignore[arg-type, operator]
                self.set_objective("cost")
                info = self.run(opts, explain=False)
                info.stages = [{"objective": "reuse", "value": first.objective, "bound": first.bound,
                                "gap": first.gap, "time": first.solve_time, "status": first.status},
                               {"objective": "cost", "value": info.objective, "bound": info.bound,
                                "gap": info.gap, "time": info.solve_time, "status": info.status}]
                info.solve_time += first.solve_time
                info.objective_name = "reuse-then-cost"
            else:
                self.set_objective(objective)
                info = self.run(opts, explain=False)
        except InfeasibleError:
            raise InfeasibleError(self.explain_infeasible(opts), self.case.name) from None
        return info

    def size(self) -> dict:
        """Model size as HiGHS saw it in the last hand-off."""
        if self.highs is None:
            return {}
        lp = self.highs.getLp()
        n_int = sum(1 for v in self.columns if v.is_integer())
        return {"columns": int(lp.num_col_), "rows": int(lp.num_row_), "nonzeros": int(len(lp.a_matrix_.value_)),
                "integer_columns": n_int}

    # ------------------------------------------------------------------ infeasibility
    def explain_infeasible(self, opts: Options | None = None) -> list[str]:
        """Why the phased park cannot run: without its limits, the single-period reasons of
        the first period that cannot run; with them, every per-period limit out of reach
        alone, naming the period, the limit and the best value the park can reach there."""
        from symbiosis.model import explain_infeasible as single
        diag = Options(time_limit=(opts.time_limit if opts and opts.time_limit else self.case.settings.time_limit),
                       threads=opts.threads if opts else None)
        limits = self.period_limits()
        self.set_reuse_floor(None)
        self.set_period_limits(drop={(t, k) for t, k, _ in limits})
        self.m.del_component("objective") if self.m.find_component("objective") is not None else None
        self.m.objective = pyo.Objective(expr=0)
        self._objective_name = "feasibility"
        try:
            self.run(diag, explain=False)
        except (InfeasibleError, SolverError):
            for per, pm in zip(self.periods, self.blocks):
                alone = ParkModel(per.case)
                alone.set_limits({})
                alone.set_objective("cost")
                try:
                    alone.run(diag, explain=False)
                except InfeasibleError:
                    return [f"in period {per.name} ({per.start}-{per.end - 1}): {r}" for r in single(alone, diag)]
                except SolverError:
                    continue
            return ["every period can run alone, but not as one plan: a plant or exchange forced in a period "
                    "cannot be built or opened in time (check 'force' in the periods' changes)"]
        reasons = []
        for t, key, val in limits:
            best, unit, ok = self._best_for(t, key, val, diag)
            if ok or best is None:
                continue
            per = self.periods[t]
            word = "at most" if key.startswith("min_reuse") else "at least"
            reasons.append(f"in period {per.name} ({per.start}-{per.end - 1}) the limit {key} = "
                           f"{_show(val, unit)} cannot be met: the best the park can reach there is {word} "
                           f"{_show(best, unit)}")
        self.set_period_limits()
        if not reasons:
            reasons.append("the per-period limits " + ", ".join(f"{self.periods[t].name}: {k} = {v:g}"
                                                                for t, k, v in limits)
                           + " can each be met alone but not together; relax one of them")
        return reasons

    def _best_for(self, t: int, key: str, val: float, diag: Options):
        """The best value limit ``key`` of period ``t`` can take with no limit at all:
        (best, unit, met)."""
        pm, m = self.blocks[t], self.m
        money = self.case.units.get("money", "CNY")
        self.set_period_limits(drop={(tt, k) for tt, k, _ in self.period_limits()})
        if key.startswith("min_reuse_rate"):
            if ":" in key:
                mn = key.split(":", 1)[1]
                num = sum(pm.m.f[i] for i in pm.x_index if pm.exchanges[i].material == mn)
                den = sum(pm.case.process_of(p).outputs[mn] * pm.m.a[p] for p, m2 in pm.outputs if m2 == mn)
            else:
                num, den = pm.kpi["reuse_gross"], pm.byproduct_generated_expr()
            if isinstance(den, (int, float)):
                return None, "fraction", True
            best = self._best_ratio(num, den, val, diag)
            return best, "fraction", best is not None and best >= val - 1e-7
        if key == "capex":
            expr, sense, unit = self.investment_expr(t), pyo.minimize, money
        elif key == "new_plants":
            expr, sense, unit = sum(m.v[k] for k in self.build_keys if k[2] == t), pyo.minimize, "plants"
        elif key == "min_reuse":
            expr, sense, unit = pm.kpi["reuse_gross"], pyo.maximize, "t/yr"
        elif key in ("co2", "disposal"):
            expr, sense, unit = pm.kpi[key], pyo.minimize, "t/yr"
        elif key == "cost":
            expr, sense, unit = pm.kpi["cost"], pyo.minimize, f"{money}/yr"
        else:
            return None, "", True
        if isinstance(expr, (int, float)):
            best = float(expr)
        else:
            best = self._optimise(expr, sense, diag)
        if best is None:
            return None, unit, True
        tol = 1e-6 * max(1.0, abs(val))
        met = best >= val - tol if sense == pyo.maximize else best <= val + tol
        return best, unit, met

    def _optimise(self, expr, sense, diag):
        m = self.m
        if m.find_component("objective") is not None:
            m.del_component("objective")
        m.objective = pyo.Objective(expr=expr, sense=sense)
        self._objective_name = "limit"
        try:
            self.run(diag, explain=False)
        except (InfeasibleError, SolverError):
            return None
        return float(pyo.value(expr))

    def _best_ratio(self, num, den, start: float, diag, iterations: int = 12):
        """Largest num/den (Dinkelbach: maximise num - rho den, set rho to the ratio reached)."""
        rho, best = start, None
        for _ in range(iterations):
            val = self._optimise(num - rho * den, pyo.maximize, diag)
            if val is None:
                return best
            n, d = float(pyo.value(num)), float(pyo.value(den))
            ratio = n / d if d > 1e-9 else 0.0
            best = ratio if best is None else max(best, ratio)
            if abs(val) <= 1e-9 * max(1.0, abs(d)):
                return best   # max (num - rho den) = 0: rho is the largest ratio
            rho = ratio       # below zero: the best ratio is below rho; above: above it
        return best


def _show(v: float, unit: str) -> str:
    from symbiosis.fmt import fmt
    if unit == "fraction":
        return f"{v:.1%}"
    return fmt(v, unit)


# ====================================================================== results
@dataclass
class PhasedResult:
    """A phased plan: one :class:`~symbiosis.result.Result` per period and the plan's tables.

    Attributes
    ----------
    periods : per period: name, start, years, discount weight.
    results : {period name: Result} (the single-period tables of each period).
    plants : one row per plant and period, with ``build_period`` for candidates.
    exchanges : one row per exchange and period, with ``open_period``.
    kpis : one row per KPI, one column per period (values per year of the period).
    horizon : KPIs of the whole horizon: npc, reuse_total, capex_total, co2_total.
    """

    case_name: str
    objective: str
    myopic: bool
    periods: list[dict]
    results: dict[str, Result]
    plants: pd.DataFrame
    exchanges: pd.DataFrame
    kpis: pd.DataFrame
    horizon: dict
    solver: dict
    model_size: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)

    def plan(self) -> pd.DataFrame:
        """What opens when: built plants and opened exchanges with their period."""
        rows = []
        built = self.plants[self.plants["build_period"].notna()].drop_duplicates("plant")
        for r in built.itertuples():
            rows.append({"period": r.build_period, "what": "plant", "name": r.plant, "detail": r.process,
                         "capex": r.build_capex})
        opened = self.exchanges[self.exchanges["open_period"].notna()].drop_duplicates(["source", "target", "material"])
        for r in opened.itertuples():
            rows.append({"period": r.open_period, "what": "exchange", "name": f"{r.source} -> {r.target}",
                         "detail": r.material, "capex": r.open_capex})
        order = {p["name"]: i for i, p in enumerate(self.periods)}
        df = pd.DataFrame(rows, columns=["period", "what", "name", "detail", "capex"])
        if len(df):
            df = df.assign(_o=df["period"].map(order)).sort_values(["_o", "what", "name"]).drop(columns="_o")
        return df.reset_index(drop=True)

    def summary(self) -> dict:
        plan = self.plan()
        periods = []
        for p in self.periods:
            r = self.results[p["name"]]
            periods.append({**p, "kpis": {k: {"value": _jsonable(v["value"]), "unit": v["unit"]}
                                          for k, v in r.kpis.iterrows()},
                            "built_plants": plan.loc[(plan["period"] == p["name"]) & (plan["what"] == "plant"),
                                                     "name"].tolist(),
                            "opened_exchanges": plan.loc[(plan["period"] == p["name"]) &
                                                         (plan["what"] == "exchange"), "name"].tolist(),
                            "running_plants": r.built_plants["plant"].tolist()})
        return {"case": self.case_name, "objective": self.objective, "myopic": self.myopic,
                "horizon": self.horizon, "solver": self.solver, "model_size": self.model_size,
                "timings_s": self.timings, "periods": periods}

    def write(self, out_dir, html: bool = True, parquet: bool | None = None) -> list:
        """plants.csv, exchanges.csv, kpis.csv, market.csv, materials.csv, plan.csv and
        summary.json, and with ``html`` network.html (a period selector) and report.html
        (the timeline), whole or not at all (result.write_whole). ``parquet`` as in
        :meth:`symbiosis.result.Result.write`: True for every table as ``name.parquet``
        too, None for the tables over ``PARQUET_OVER`` rows when pyarrow is there."""
        import json

        from symbiosis.result import need_parquet, write_table
        need_parquet(parquet)

        def table(tmp, name, df):
            write_table(tmp, name, df, parquet)

        def fill(tmp):
            table(tmp, "plants", self.plants)
            table(tmp, "exchanges", self.exchanges)
            self.kpis.reset_index().to_csv(tmp / "kpis.csv", index=False)
            table(tmp, "plan", self.plan())
            for name in ("market", "materials", "inputs"):
                frames = [getattr(r, name).assign(period=p) for p, r in self.results.items()]
                table(tmp, name, pd.concat(frames, ignore_index=True))
            (tmp / "summary.json").write_text(json.dumps(self.summary(), indent=2, default=_jsonable))
            if html:
                self.write_views(tmp)
        return write_whole(out_dir, fill)

    def write_views(self, folder) -> list:
        """network.html (the network as it stands in each period, with a period selector)
        and report.html (the timeline: what opens when, reuse rate and cost by period)."""
        from pathlib import Path

        from symbiosis.views.network import network_periods_html
        from symbiosis.views.report import phased_report_html
        folder = Path(folder)
        net = network_periods_html(self, folder / "network.html")
        rep = phased_report_html(self, folder / "report.html", network_page=net.read_text(encoding="utf-8"))
        return [net, rep]


def make_phased_result(pm: PhasedModel, info: SolveInfo, *, myopic: bool = False) -> PhasedResult:
    """Tables of a solved phased model: every period through ``make_result``, then build
    and opening periods and the horizon's KPIs recomputed from the tables."""
    m = pm.m
    results: dict[str, Result] = {}
    built_in = {}   # plant -> (period index, size)
    for p, k, tau in pm.build_keys:
        if (m.v[p, k, tau].value or 0) > 0.5:
            built_in[p] = (tau, k)
    plants, exchanges = [], []
    for per, block in zip(pm.periods, pm.blocks):
        results[per.name] = make_result(per.case, block.exchanges, block.extract(info))
    # a link opens in the first period it is open in the tables (carries flow, or costs
    # something): a link with capex opens in the period o says (o <= z), a free link the
    # solver left switched on without flow does not count
    opened_in: dict = {}
    for t, per in enumerate(pm.periods):
        ex = results[per.name].exchanges
        for key in zip(ex.loc[ex["open"] & ~ex["existing"], "source"], ex.loc[ex["open"] & ~ex["existing"], "target"],
                       ex.loc[ex["open"] & ~ex["existing"], "material"]):
            opened_in.setdefault(key, t)
    for t, (per, block) in enumerate(zip(pm.periods, pm.blocks)):
        r = results[per.name]
        pl = r.plants.copy()
        pl.insert(0, "period", per.name)
        pl["build_period"] = [pm.periods[built_in[p][0]].name if p in built_in else None for p in pl["plant"]]
        pl["build_capex"] = [pm.periods[built_in[p][0]].case.plants[p].sizes[built_in[p][1]].capex
                             if p in built_in else 0.0 for p in pl["plant"]]
        plants.append(pl)
        ex = r.exchanges.copy()
        ex.insert(0, "period", per.name)
        keys = list(zip(ex["source"], ex["target"], ex["material"]))
        ex["open_period"] = [pm.periods[opened_in[k]].name if k in opened_in else None for k in keys]
        ex["open_capex"] = [float(pm.blocks[opened_in[k]].exchanges[pm.exchange_periods[k][opened_in[k]]].capex or 0.0)
                            if k in opened_in else 0.0 for k in keys]
        exchanges.append(ex)
    plants_df = pd.concat(plants, ignore_index=True)
    ex_df = pd.concat(exchanges, ignore_index=True)
    # KPIs per period (per year of the period), and the horizon recomputed from the tables
    names = [p.name for p in pm.periods]
    first = results[names[0]].kpis
    kpis = pd.DataFrame({"unit": first["unit"]})
    for n in names:
        kpis[n] = results[n].kpis["value"]
    capex_pv = sum(pm.annuity_pv(p, k, tau) for p, (tau, k) in built_in.items())
    operating = [results[n].kpi("annualised_cost") - results[n].kpi("capex_annualised") for n in names]
    npc = sum(w * c for w, c in zip(pm.weights, operating)) + capex_pv
    invest = [float(sum(pm.periods[tau].case.plants[p].sizes[k].capex for p, (tau, k) in built_in.items() if tau == t))
              + float(sum(pm.blocks[tau].exchanges[pm.exchange_periods[x][tau]].capex or 0.0
                          for x, tau in opened_in.items() if tau == t)) for t in range(len(names))]
    years = [p.years for p in pm.periods]
    reuse_t = [results[n].kpi("byproducts_reused") for n in names]
    gen_t = [results[n].kpi("byproducts_generated") for n in names]
    money = pm.case.units.get("money", "CNY")
    horizon = {
        "npc": {"value": npc, "unit": f"{money} (present value, base year {pm.first_year})"},
        "capex_annuities_pv": {"value": capex_pv, "unit": money},
        "investment": {"value": sum(invest), "unit": money},
        "byproducts_reused_total": {"value": sum(y * r for y, r in zip(years, reuse_t)), "unit": "t"},
        "byproducts_generated_total": {"value": sum(y * g for y, g in zip(years, gen_t)), "unit": "t"},
        "reuse_rate": {"value": (sum(y * r for y, r in zip(years, reuse_t)) / sum(y * g for y, g in zip(years, gen_t))
                                 if sum(gen_t) > 0 else 0.0), "unit": "fraction"},
        "co2_total": {"value": sum(y * results[n].kpi("co2") for y, n in zip(years, names)), "unit": "t"},
        "reuse_rate_by_period": {n: results[n].kpi("reuse_rate") for n in names},
        "investment_by_period": dict(zip(names, invest)),
    }
    solver = info.as_dict()
    if info.objective_name in ("cost", "reuse-then-cost") and info.objective is not None:
        solver["verified"] = abs(npc - info.objective) <= 1e-6 * max(1.0, abs(npc))
    periods = [{"name": p.name, "start": p.start, "years": p.years, "end": p.end - 1,
                "discount_rate": p.case.settings.discount_rate, "discount_weight": w}
               for p, w in zip(pm.periods, pm.weights)]
    return PhasedResult(case_name=pm.case.name, objective=info.objective_name, myopic=myopic, periods=periods,
                        results=results, plants=plants_df, exchanges=ex_df, kpis=kpis, horizon=horizon,
                        solver=solver, model_size=pm.size(), timings=dict(pm.timings))


# ====================================================================== api
def one_period(case: Case, start: int = 2025, years: int = 1, name: str | None = None) -> Case:
    """``case`` as a phased case of one period with no changes (the single-period case)."""
    per = Period(name=name or str(start), start=start, years=years, case=case)
    return dataclasses.replace(case, periods=[per])


def optimize_phased(case: Case, objective: str | None = None, *, myopic: bool = False,
                    time_limit: float | None = None, mip_gap: float | None = None, threads: int | None = None,
                    reuse_tolerance: float | None = None) -> PhasedResult:
    """Solve a phased case (``periods:``) with perfect foresight, or ``myopic``: the periods
    one after another, each with the decisions of earlier periods fixed, the plan then
    costed over the whole horizon.

    Raises
    ------
    InfeasibleError : naming the period, the limit and the best value reachable there.
    SolverError : the solver found no plan in time.
    """
    if not case.periods:
        raise ValueError(f"the case {case.name!r} has no periods; add 'periods:' (see docs/phased.md)")
    opts = Options(objective=objective or _default_objective(case), time_limit=time_limit, mip_gap=mip_gap,
                   threads=threads, reuse_tolerance=reuse_tolerance)
    t0 = time.perf_counter()
    if not myopic:
        pm = PhasedModel(case)
        info = pm.solve_phased(opts)
        res = make_phased_result(pm, info)
        res.timings = {"build": pm.timings["build"], "handoff": pm.timings.get("handoff", 0.0),
                       "solve": pm.timings.get("solve", 0.0), "total": time.perf_counter() - t0}
        return res
    decisions: dict = {}
    steps = []
    for t in range(len(case.periods)):
        pm = PhasedModel(case, case.periods[:t + 1])
        pm.fix_decisions(decisions, upto=t)
        try:
            info = pm.solve_phased(opts)
        except InfeasibleError as exc:
            raise InfeasibleError([f"myopic, period {case.periods[t].name} with earlier decisions fixed: {r}"
                                   for r in exc.reasons], case.name) from None
        decisions.update({k: v for k, v in pm.decisions().items() if k[-1] == t})
        steps.append({"period": case.periods[t].name, "objective": info.objective, "status": info.status,
                      "time": info.solve_time})
    full = PhasedModel(case)
    full.fix_decisions(decisions)
    info = full.solve_phased(opts)
    info.notes.append("myopic: each period decided with only the periods so far in view; the plan is costed "
                      "over the whole horizon")
    info.stages = steps + info.stages
    res = make_phased_result(full, info, myopic=True)
    res.timings = {"total": time.perf_counter() - t0}
    return res


def _default_objective(case: Case) -> str:
    obj = case.settings.objective
    return obj if obj in PHASED_OBJECTIVES else "cost"
