r"""The mixed-integer model of a park, built with Pyomo and solved by HiGHS in memory.

The model layer is five modules, each with one job:

- ``symbiosis.model`` (this one): :class:`ParkModel`, the index lists of one case, its
  objectives, limits and decision hooks (decisions named by key, see :meth:`ParkModel.fix`);
- ``symbiosis.builders``: one builder function per constraint family;
- ``symbiosis.limits``: the one table of limits (what each bounds, its unit and words);
- ``symbiosis.solver``: :class:`~symbiosis.solver.HighsSolver`, which owns the HiGHS
  object, compiles the model once (LinearStandardFormCompiler, ``Highs.passModel``) and
  updates it in place for every re-solve;
- ``symbiosis.diagnose``: why a park cannot run, in the park's words.

Decision support (symbiosis.decision), results, views and the CLI touch no Pyomo object.
The scenario and period models (symbiosis.outages, symbiosis.gains, symbiosis.phased)
still add Pyomo blocks of their own to a ParkModel's model.

Symbols
-------
=========  ==========================================================================
a[p]       activity of plant p (its process's unit of activity per period)
y[p,k]     1 if candidate plant p is built with size k
w[p]       1 if an existing plant that may close stays open
f[x]       flow of exchange x = (i, j, m) from plant i to plant j of material m
z[x]       1 if exchange x is open
u[p,s,m]   units of material m used in input slot s of plant p
b, q, d    purchase, sale and disposal of material m at plant p
o[p,m]     output of m per unit of activity; r[p,s] slot requirement per unit of activity
e, h       equivalence (slot units per unit of m) and largest share of an option
=========  ==========================================================================
"""
from __future__ import annotations

import math
import time
from typing import Any
from collections import defaultdict

import pyomo.environ as pyo

from symbiosis.builders import (  # noqa: F401
    add_capacity,
    add_exchange_links,
    add_expressions,
    add_input_balances,
    add_limits,
    add_market_limits,
    add_output_balances,
    add_slots,
    add_variables,
    exchange_bounds,
)
from symbiosis.case import Case
from symbiosis.diagnose import _diagnosis_options, _explain_limits, explain_infeasible  # noqa: F401
from symbiosis.errors import InfeasibleError, SolverError
from symbiosis.graph import Exchange, candidate_exchanges
from symbiosis.policy import add_policy
from symbiosis.solution import Options, Solution, SolveInfo  # noqa: F401 (re-exported)
from symbiosis.solver import (  # noqa: F401 (re-exported)
    WIDE_RANGE,
    _new_highs,
    _pow2_scale,
    _range_notes,
    _row_scales,
)

#: objectives the model knows, with their sense
OBJECTIVES = {"reuse": pyo.maximize, "cost": pyo.minimize, "profit": pyo.maximize, "co2": pyo.minimize,
              "disposal": pyo.minimize}


class ParkModel:
    """The MILP of one case: build once, then solve, change and re-solve.

    Examples
    --------
    >>> from symbiosis import examples
    >>> pm = ParkModel(examples.tutorial())
    >>> len(pm.exchanges) > 0 and pm.m.a["power"].lb == 2_000_000
    True
    """

    # set by the builder functions (symbiosis.builders), which run in __init__ in a fixed order
    x_ub: list[float]                 # each exchange's flow bound (add_variables)
    impossible: list[str]             # forced exchanges that can carry nothing, in words (add_variables)
    kpi: dict[str, Any]               # KPI name -> Pyomo expression (add_expressions)
    _cand_set: set[str]               # candidate plants (add_variables)
    _close_set: set[str]              # existing plants that may close (add_variables)

    def __init__(self, case: Case, exchanges: list[Exchange] | None = None, *, elastic: bool = False):
        self.case = case
        t0 = time.perf_counter()
        self.exchanges = candidate_exchanges(case) if exchanges is None else list(exchanges)
        self.timings: dict[str, float] = {"candidates": time.perf_counter() - t0}
        self.elastic = elastic
        self.highs = None      # the highspy object of the last solve
        self._tight = False    # binaries held to 1e-9 (see run)
        self.columns: list[Any] = []      # Pyomo variables in HiGHS column order
        self._objective_name: str | None = None
        self._objective_spec: tuple[tuple, Any] | None = None
        t0 = time.perf_counter()
        self.m = pyo.ConcreteModel(name=case.name)
        self._prepare()
        add_variables(self)
        add_capacity(self)
        add_output_balances(self)
        add_input_balances(self)
        add_slots(self)
        add_exchange_links(self)
        add_market_limits(self)
        add_expressions(self)
        add_limits(self)
        add_policy(self)  # symbiosis.policy: group and energy caps stated in the case
        self.timings["build"] = time.perf_counter() - t0

    # ------------------------------------------------------------------ index lists
    def _prepare(self):
        case = self.case
        self.plants = list(case.plants)
        self.candidates = [p for p in self.plants if case.plants[p].is_candidate]
        self.closable = [p for p in self.plants if not case.plants[p].is_candidate and case.plants[p].can_close]
        self.sizes = [(p, k) for p in self.candidates for k in range(len(case.plants[p].sizes))]
        self.x_index = list(range(len(self.exchanges)))
        self.x_by_key = {x.key: i for i, x in enumerate(self.exchanges)}
        self.out_x: dict[tuple, list[int]] = defaultdict(list)
        self.in_x: dict[tuple, list[int]] = defaultdict(list)
        for i, x in enumerate(self.exchanges):
            self.out_x[(x.source, x.material)].append(i)
            self.in_x[(x.target, x.material)].append(i)
        self.outputs = [(p, mname) for p in self.plants for mname in case.process_of(p).outputs]
        self.inputs = [(p, mname) for p in self.plants for mname in sorted(case.process_of(p).input_materials())]
        self.slot_keys = [(p, s.name) for p in self.plants for s in case.process_of(p).slots]
        self.uses = [(p, s.name, mname) for p in self.plants for s in case.process_of(p).slots for mname in s.options]
        self.uses_of: dict[tuple, list[tuple]] = defaultdict(list)
        for key in self.uses:
            self.uses_of[(key[0], key[2])].append(key)
        mats = case.materials
        self.buy = [(p, mname) for p, mname in self.inputs if mats[mname].price is not None]
        self.sell = [(p, mname) for p, mname in self.outputs if mats[mname].sale_price is not None]
        self.disp = [(p, mname) for p, mname in self.outputs if mats[mname].disposable]

    def elastic_copy(self) -> "ParkModel":
        """The same park with every balance, output and demand elastic (missed at a
        penalty): the model symbiosis.diagnose names the causes of infeasibility with."""
        return ParkModel(self.case, self.exchanges, elastic=True)

    def amax(self, p: str) -> float:
        return self.case.plants[p].capacity

    def amin(self, p: str) -> float:
        plant = self.case.plants[p]
        return 0.0 if plant.is_candidate else plant.activity_min

    def built_expr(self, p: str):
        """1 when plant p runs (built candidate, open closable plant), else the constant 1."""
        m = self.m
        if p in self._cand_set:
            return sum(m.y[p, k] for k in range(len(self.case.plants[p].sizes)))
        if p in self._close_set:
            return m.w[p]
        return 1

    # ------------------------------------------------------------------ objectives
    def set_objective(self, name: str, weights: dict[str, float] | None = None):
        """Make ``name`` the active objective (``reuse``, ``cost``, ``profit``, ``co2``,
        ``disposal`` or ``weighted`` with ``weights`` on those, each in its own unit:
        reuse t, cost CNY, co2 t, disposal t; positive weights count against the goal
        of minimising, so give reuse a negative weight to reward it)."""
        m = self.m
        spec = (name, tuple(sorted((weights or {}).items())) if name == "weighted" else ())
        if m.find_component("objective") is not None:
            kept = self._objective_spec
            if kept is not None and kept[0] == spec and kept[1] is m.objective and m.objective.active:
                self._objective_name = name
                return  # the same objective: HiGHS keeps its costs
            m.del_component("objective")
        self._objective_spec = None
        if name == "weighted":
            if not weights:
                raise ValueError("objective 'weighted' needs weights, e.g. {'cost': 1, 'co2': 100}")
            unknown = set(weights) - set(OBJECTIVES)
            if unknown:
                raise ValueError(f"unknown weight(s) {sorted(unknown)}; use {sorted(OBJECTIVES)}")
            expr = sum(wt * self.kpi[k] for k, wt in weights.items())
            m.objective = pyo.Objective(expr=expr, sense=pyo.minimize)
        else:
            if name not in OBJECTIVES:
                raise ValueError(f"unknown objective {name!r}; use one of {sorted(OBJECTIVES)}, "
                                 "'reuse-then-cost' or 'weighted'")
            m.objective = pyo.Objective(expr=self.kpi[name], sense=OBJECTIVES[name])
        self._objective_name = name
        self._objective_spec = (spec, m.objective)  # the objective object, not only its name: others may replace it

    # ------------------------------------------------------------------ structure
    def fix_status_quo(self):
        """Today's park: no candidate plant built, only existing exchanges open, and no
        plant or exchange forced in (forcing is a planning choice, not today's park)."""
        vs = (*(self.m.y[k] for k in self.sizes),
              *(self.m.z[i] for i, x in enumerate(self.exchanges) if not x.existing))
        # free binaries are closed by their bounds (they stay columns of the HiGHS model,
        # so the next hand-off is in place); a binary the case forces is fixed to 0
        self._status_quo_fixed = [(v, v.fixed, v.value, v.lb, v.ub) for v in vs
                                  if not (v.fixed and v.value == 0) and not (not v.fixed and v.ub == 0)]
        for v, fixed, _, _, _ in self._status_quo_fixed:
            if fixed:
                v.fix(0)
            else:
                v.setub(0)
        self.m.force_build.deactivate()

    def release_status_quo(self):
        """Undo :meth:`fix_status_quo`: binaries the case fixes (force, forbid) go back to
        what the case says."""
        for v, was_fixed, value, lb, ub in getattr(self, "_status_quo_fixed", ()):
            if was_fixed:
                v.fix(value)
            else:
                v.setlb(lb)
                v.setub(ub)
        self._status_quo_fixed = []
        self.m.force_build.activate()

    def binaries(self) -> dict[tuple, Any]:
        """The structural decisions, keyed ('plant', p, k) / ('exchange', src, dst, material)."""
        out: dict[tuple, Any] = {("plant", p, k): self.m.y[p, k] for p, k in self.sizes}
        out.update({("exchange", *x.key): self.m.z[i] for i, x in enumerate(self.exchanges)})
        out.update({("open", p): self.m.w[p] for p in self.closable})
        return out

    # ------------------------------------------------------------------ decisions by key
    def _binary(self, key: tuple):
        """The variable of a structural decision ``('plant', p, k)``, ``('open', p)`` or
        ``('exchange', src, dst, material)``."""
        kind = key[0]
        try:
            if kind == "plant":
                return self.m.y[key[1], key[2]]
            if kind == "open":
                return self.m.w[key[1]]
            if kind == "exchange":
                return self.m.z[self.x_by_key[tuple(key[1:])]]
        except KeyError:
            pass
        raise KeyError(f"no decision {key!r} in the model of {self.case.name!r}")

    def _decision(self, key):
        """A decision's variable from its key; a variable is taken as it is (the phased
        model's decisions are its own variables)."""
        return self._binary(key) if isinstance(key, tuple) else key

    def decision_keys(self, free: bool = True) -> list[tuple]:
        """The keys of the structural decisions (``free``: those the case leaves open)."""
        return [k for k, v in self.binaries().items() if not (free and v.fixed)]

    def fix(self, key: tuple, value: float):
        """Hold decision ``key`` at ``value`` (0 or 1) until :meth:`unfix`. The decision is
        held by its bounds, so it stays a column and the next solve updates HiGHS in place."""
        v = self._binary(key)
        held = self.__dict__.setdefault("_held", {})
        if v.fixed:
            raise ValueError(f"decision {key!r} is fixed by the case (force, forbid or no possible flow)")
        if key not in held:
            held[key] = (v.lb, v.ub)
        v.setlb(value)
        v.setub(value)

    def unfix(self, key: tuple):
        """Release a decision held by :meth:`fix` (no-op if it is not held)."""
        held = self.__dict__.get("_held", {})
        if key in held:
            lb, ub = held.pop(key)
            v = self._binary(key)
            v.setlb(lb)
            v.setub(ub)

    def unfix_all(self):
        for key in list(self.__dict__.get("_held", {})):
            self.unfix(key)

    def value(self, key: tuple) -> float:
        """The value of decision ``key`` in the last solution (0.0 before any)."""
        return float(self._binary(key).value or 0.0)

    def set_values(self, values: dict[tuple, float]):
        """Set the values of decisions (a solution read back), without fixing them."""
        for key, val in values.items():
            self._binary(key).set_value(val, skip_validation=True)

    def kpi_value(self, name: str) -> float:
        """The value of KPI ``name`` (``reuse``, ``cost``, ...) in the last solution."""
        return float(pyo.value(self.kpi[name]))

    # ------------------------------------------------------------------ solve
    def to_highs(self, opts: Options | None = None):
        """Hand the model to HiGHS through this model's :class:`~symbiosis.solver.HighsSolver`:
        the first time compiled whole (Pyomo's LinearStandardFormCompiler, passed with
        ``Highs.passModel``), later in place (changed column bounds, rows added and
        deleted, a new objective), so a re-solve after fixing a decision, a bound or a cut
        does not recompile the model. Scaling comes from the case's own magnitudes (rows
        and objective by powers of two, see symbiosis.solver); the gaps mean what the user
        set: ``mip_gap`` relative, ``mip_abs_gap`` in the objective's own unit.

        Returns ``(highs, columns)``: the highspy object and the Pyomo variables in
        column order.
        """
        from symbiosis.solver import HighsSolver

        opts = opts or Options()
        t0 = time.perf_counter()
        solver = self.__dict__.get("_solver")
        if solver is None:
            solver = self._solver = HighsSolver(words=self._column_words)
        s = self.case.settings
        abs_gap = opts.mip_abs_gap if opts.mip_abs_gap is not None else s.mip_abs_gap
        h, cols = solver.load(self.m, time_limit=self._time_left(opts),
                              mip_gap=float(opts.mip_gap if opts.mip_gap is not None else s.mip_gap),
                              mip_abs_gap=float(abs_gap), threads=opts.threads, tight=self._tight,
                              verbose=bool(opts.verbose))
        self.objective_scale = solver.objective_scale
        self.row_scale = solver.row_scale
        self.range_notes = list(solver.range_notes)
        self._is_mip = solver.is_mip
        # warm start from the values the variables hold (the previous solve), when complete.
        # HiGHS 1.16 was seen to return such a start as "optimal" while reporting the
        # objective of a better network (reuse-then-cost, second stage; after a no-good
        # cut): run() checks the returned values against the objective and solves cold
        # when they disagree. warm_start=False turns starts off.
        self._started = False
        if self._is_mip and self.warm_start and cols and all(v.value is not None for v in cols):
            self._started = solver.set_start([v.value for v in cols])
        self.timings["handoff"] = self.timings.get("handoff", 0.0) + time.perf_counter() - t0
        self.highs, self.columns = h, cols
        return h, cols

    @property
    def solver(self):
        """The :class:`~symbiosis.solver.HighsSolver` that owns this model's HiGHS state
        (None before the first solve)."""
        return self.__dict__.get("_solver")

    #: {exchange index: flow variables of the same link in scenario blocks that share its
    #: open binary (symbiosis.outages.resilient)}: the polish keeps such a link open
    shared_link_flows: dict = {}
    #: hand the previous solution to HiGHS as a MIP start (see to_highs)
    warm_start: bool = False  # off by default: see to_highs; the guard in run() stays for callers who turn it on
    #: scale of the objective in the last hand-off (HiGHS sees objective x scale)
    objective_scale: float = 1.0

    def _column_words(self, column: str) -> str:
        """A model column in the park's words: ``f[49]`` -> ``flow a->b:fly_ash``."""
        import re
        m = re.fullmatch(r"([fz])\[(\d+)\]", column)
        if m and int(m.group(2)) < len(self.exchanges):
            x = self.exchanges[int(m.group(2))]
            return f"{'flow' if m.group(1) == 'f' else 'opening'} of {x.source}->{x.target}:{x.material}"
        return column

    def _time_left(self, opts: Options) -> float:
        """Seconds HiGHS may run: the time limit, or what is left of the deadline."""
        limit = float(opts.time_limit if opts.time_limit is not None else self.case.settings.time_limit)
        if opts.deadline is not None:
            limit = min(limit, opts.deadline - time.perf_counter())
        return max(limit, 0.05)

    def run(self, opts: Options | None = None, *, explain: bool = True) -> SolveInfo:
        """Solve with the active objective; raise InfeasibleError / SolverError when no
        solution is usable. Values are loaded into the model's variables. ``explain=False``
        skips naming the causes of infeasibility (an elastic solve), for loops that expect it."""
        import highspy
        from pyomo.repn.plugins.standard_form import InfeasibleConstraintException

        opts = opts or Options()
        name = self._objective_name
        dt = 0.0
        starved = False
        try:
            h, cols = self.to_highs(opts)
        except InfeasibleConstraintException:
            status = None
        else:
            # nothing left of the limit: HiGHS still gets 0.05 s (a small park solves in it),
            # but its start-up (presolve) alone takes seconds on a large one
            starved = opts.deadline is not None and opts.deadline - time.perf_counter() <= 0.05
            t0 = time.perf_counter()
            h.run()
            dt = time.perf_counter() - t0
            self.timings["solve"] = self.timings.get("solve", 0.0) + dt
            status = h.getModelStatus()
        MS = highspy.HighsModelStatus
        if status is None or status in (MS.kInfeasible, MS.kUnboundedOrInfeasible):
            if self.elastic:
                raise SolverError("the elastic model is infeasible; this is a bug, please report it")
            raise InfeasibleError(explain_infeasible(self, opts) if explain else
                                  ["infeasible with the current limits and fixed decisions"], self.case.name)
        info = SolveInfo(termination=h.modelStatusToString(status), objective_name=name or "", solve_time=dt,
                         notes=list(getattr(self, "range_notes", [])))
        if status == MS.kUnbounded:
            raise SolverError(f"the objective {name!r} is unbounded: some plant can grow without limit; "
                              "give every candidate plant a capacity and every market a price")
        hinfo = h.getInfo()
        if hinfo.primal_solution_status != 2:  # 2: feasible
            if starved:
                limit = opts.time_limit if opts.time_limit is not None else self.case.settings.time_limit
                spent = self.timings.get("candidates", 0.0) + self.timings.get("build", 0.0)
                raise SolverError(f"the time limit of {float(limit):g} s was used up before the solver started "
                                  f"(finding candidates and building the model took {spent:.1f} s, the solver's "
                                  f"start-up {dt:.1f} s more); raise --time-limit")
            raise SolverError(f"the solver stopped ({info.termination}) before finding any network; "
                              "raise --time-limit")
        values = h.getSolution().col_value
        if not getattr(self, "_fresh", False):
            import numpy as np
            lp = h.getLp()
            obj = float(np.dot(lp.col_cost_, values)) + lp.offset_
            if abs(obj - hinfo.objective_function_value) > 1e-7 * max(1.0, abs(obj)):
                # HiGHS reported another network's objective for these values (seen with a
                # MIP start, and then again on the same object solved cold): solve once
                # more on a new HiGHS object, compiled afresh, without a start
                self.__dict__.pop("_solver", None)
                self._fresh, keep = True, self.warm_start
                self.warm_start = False
                try:
                    again = self.run(opts, explain=explain)
                    again.notes.append("HiGHS reported an objective its solution does not have; "
                                       "solved again on a new solver object")
                    return again
                finally:
                    self._fresh, self.warm_start = False, keep
        objective_value = hinfo.objective_function_value
        scale = self.objective_scale
        if self._is_mip:
            bound = hinfo.mip_dual_bound  # read before the polish below replaces the MIP's info
            values, objective_value, exact = self._polish(h, cols, values, objective_value)
            if not exact and not self._tight:
                # the solution leans on the integrality tolerance (a closed plant running a
                # little): solve again with binaries held to 1e-9
                self._tight = True
                try:
                    again = self.run(opts, explain=explain)
                    again.notes.insert(0, "the first solution leaned on the solver's integrality tolerance; "
                                          "solved again with binaries held to 1e-9")
                    return again
                finally:
                    self._tight = False
            # the polish may close links that carried nothing and so lower the cost below the
            # MIP's bound by their fixed cost; the bound stays a bound of the MIP
            if math.isfinite(bound):
                sense_min = h.getLp().sense_ == highspy.ObjSense.kMinimize
                if sense_min and objective_value < bound:
                    bound = objective_value
                elif not sense_min and objective_value > bound:
                    bound = objective_value
        for v, x in zip(cols, values):
            v.set_value(x, skip_validation=True)
        info.objective_scale = scale
        info.objective = objective_value / scale
        if self._is_mip:
            info.bound = bound / scale if math.isfinite(bound) else None
        else:
            info.bound = info.objective if status == MS.kOptimal else None
        if info.bound is not None:
            info.gap = abs(info.objective - info.bound) / max(abs(info.objective), 1e-9)
        info.status = "optimal" if status == MS.kOptimal else (
            "time limit, feasible" if status == MS.kTimeLimit else f"stopped ({info.termination}), feasible")
        return info

    def _polish(self, h, cols, values, objective_value):
        """Round the binaries of a MIP solution, fix them and solve the LP that is left, on
        the same HiGHS object. A binary within the solver's integrality tolerance of 0
        (1e-6) would otherwise let a closed plant run or a closed link carry a little
        (capacity x 1e-6); the polished solution has exact 0/1 decisions and flows that
        close every balance. An exchange left open with no flow (nothing in the model
        makes a free link close) is closed here, so no reported link is open without
        flow and the link costs in the tables add up to the KPIs. Returns the values, the
        objective and whether the rounded decisions admit a solution (if not, values and
        objective are the MIP's)."""
        import highspy
        import numpy as np
        solver = self.__dict__.get("_solver")
        if solver is not None and solver.columns is cols:
            idx, col_of = solver.integer_columns(), solver.col_of
        else:
            idx = np.array([i for i, v in enumerate(cols) if v.is_integer()], dtype=np.int32)
            col_of = {id(v): j for j, v in enumerate(cols)}
        x = np.asarray(values, dtype=float)
        rounded = np.round(x[idx])
        # open links that carry (next to) nothing: close them
        pos_of = {j: k for k, j in enumerate(idx.tolist())}
        closed_idle = 0
        m = self.m
        for i in self.x_index:
            jz = col_of.get(id(m.z[i]))
            if jz is None or x[jz] < 0.5:
                continue
            jf = col_of.get(id(m.f[i]))
            fv = x[jf] if jf is not None else (m.f[i].value or 0.0)
            for g in self.shared_link_flows.get(i, ()):  # the link's flow in another scenario of the model
                jg = col_of.get(id(g))
                fv = max(fv, x[jg] if jg is not None else (g.value or 0.0))
            if fv <= 1e-9 * max(1.0, self.x_ub[i]):
                rounded[pos_of[jz]] = 0.0
                closed_idle += 1
        if not len(idx) or (np.all(np.abs(x[idx] - rounded) <= 1e-12) and not closed_idle):
            return values, objective_value, True
        if solver is not None:
            solver.mark_polished()  # the next hand-off restores bounds and integrality
        h.changeColsBounds(len(idx), idx, rounded, rounded)
        h.changeColsIntegrality(len(idx), idx, np.array([highspy.HighsVarType.kContinuous] * len(idx)))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            if closed_idle:  # keep the idle links open rather than lose the solution
                rounded = np.round(x[idx])
                h.changeColsBounds(len(idx), idx, rounded, rounded)
                h.run()
                if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                    return h.getSolution().col_value, h.getInfo().objective_function_value, True
            return values, objective_value, False
        return h.getSolution().col_value, h.getInfo().objective_function_value, True

    def solve(self, opts: Options | None = None) -> Solution:
        """Solve for ``opts.objective`` (default the case's), including the two stages of
        ``reuse-then-cost``, and return the solution.

        The time limit is for the whole solve: the second stage, the polish and any
        re-solve get what is left of it. If the second stage of ``reuse-then-cost`` finds
        no network in the time left, the first stage's network is returned, marked as
        such (its cost not minimised) with the first stage's gap."""
        import dataclasses
        opts = opts or Options()
        if opts.deadline is None:
            limit = opts.time_limit if opts.time_limit is not None else self.case.settings.time_limit
            opts = dataclasses.replace(opts, deadline=time.perf_counter() + float(limit))
        if self.impossible:
            raise InfeasibleError(self.impossible, self.case.name)
        objective = opts.objective or self.case.settings.objective
        self.release_status_quo()
        self.set_reuse_floor(None)  # a floor left by an earlier reuse-then-cost solve
        status_quo = opts.status_quo or self.case.settings.status_quo
        if status_quo:
            self.fix_status_quo()
        # the case's limits are planning targets for the network to build; today's park is
        # measured as it is (limits given for this solve still apply)
        self.set_limits({**({} if status_quo else self.case.limits), **(opts.limits or {})})
        if objective == "reuse-then-cost":
            info = self.lexicographic("reuse", "cost", opts, fallback=True)
            info.objective_name = "reuse-then-cost"
            if info.stages[1]["value"] is None:
                self._objective_name = "reuse"
        else:
            self.set_objective(objective, opts.weights)
            info = self.run(opts)
        return self.extract(info)

    def lexicographic(self, first: str, second: str, opts: Options | None = None, *, share: float | None = None,
                      fallback: bool = False, explain: bool = True, start: bool = False) -> SolveInfo:
        """The best ``first``, then the best ``second`` without giving up ``first`` (beyond
        ``share`` of it: settings.reuse_tolerance for reuse, 0 otherwise, plus 1e-8 for
        rounding). The one lexicographic routine of the project: ``reuse-then-cost``,
        Pareto ends and ``a-then-b`` objectives all come here. The first stage's value is
        kept by a bound row on the same HiGHS object, lifted again afterwards.

        ``fallback``: when the second stage finds no network in the time left, return the
        first stage's network (its ``second`` not optimised), marked in status and notes.
        ``start``: the values the model holds (the last solution) are a network that meets
        the new bounds (the previous step of a Pareto front): give them to the first stage
        as a MIP start too. The second stage always starts from the first stage's network."""
        opts = opts or Options()
        if share is None:
            share = (opts.reuse_tolerance if opts.reuse_tolerance is not None
                     else self.case.settings.reuse_tolerance) if first == "reuse" else 0.0
        self.set_objective(first)
        keep, self.warm_start = self.warm_start, self.warm_start or start
        try:
            one = self.run(opts, explain=explain)
        finally:
            self.warm_start = keep
        first_values = [(v, v.value) for v in self.columns]
        best = one.objective
        assert best is not None, "run() returns a network or raises"
        tol = 1e-8 * max(1.0, abs(best)) + share * abs(best)
        stage_one = {"objective": first, "value": one.objective, "bound": one.bound, "gap": one.gap,
                     "time": one.solve_time, "status": one.status}
        self.set_bound(first, best - tol if OBJECTIVES[first] == pyo.maximize else best + tol)
        self.set_objective(second)
        two = None
        # the first stage's network meets the bound: it is the second stage's MIP start,
        # so the second stage has a network from its first node (run() checks the start)
        keep, self.warm_start = self.warm_start, True
        try:
            if opts.deadline is None or opts.deadline - time.perf_counter() > 0.05:
                try:
                    two = self.run(opts, explain=explain)
                except SolverError:
                    if not fallback:
                        raise
        finally:
            self.warm_start = keep
            self.set_bound(first, None)
        if two is None:
            if not fallback:
                raise SolverError(f"no time left for the second stage ({second}) of {first}-then-{second}")
            # no second-stage network in time: keep the first stage's
            for v, val in first_values:
                v.set_value(val, skip_validation=True)
            one.objective_name = f"{first}-then-{second}"
            one.status = f"time limit: first stage only ({one.status})"
            one.notes.append(f"the time limit ended before the best {second} with this {first} was found; "
                             f"the network is the first stage's (best {first}), its {second} not optimised")
            one.stages = [stage_one, {"objective": second, "value": None, "bound": None, "gap": None,
                                      "time": 0.0, "status": "no network in time"}]
            return one
        two.objective_name = f"{first}-then-{second}"
        two.stages = [stage_one, {"objective": second, "value": two.objective, "bound": two.bound,
                                  "gap": two.gap, "time": two.solve_time, "status": two.status}]
        two.solve_time += one.solve_time
        two.notes = one.notes + two.notes
        return two

    # ------------------------------------------------------------------ limits
    _active_limits: dict = {}

    def set_reuse_floor(self, floor: float | None):
        m = self.m
        if m.find_component("reuse_floor") is not None:
            m.del_component("reuse_floor")
        if floor is not None:
            m.reuse_floor = pyo.Constraint(expr=self.kpi["reuse"] >= floor)

    def set_limits(self, limits: dict[str, float] | None):
        r"""Replace the limits block: {'capex': CNY, 'new_plants': n, 'co2': t, 'disposal': t,
        'min_reuse': t, 'min_reuse_rate': fraction, 'cost': CNY/yr, 'min_reuse_rate:<material>':
        fraction}. The last is a policy floor on one by-product:
        :math:`\sum_{x=(\cdot,\cdot,m)} f_x \ge \rho_m \sum_p o_{pm} a_p`."""
        from symbiosis.limits import row
        m = self.m
        limits = dict(limits or {})
        if m.find_component("limits") is not None:
            if limits == self._active_limits:
                return  # the same limits: the rows stay (every solve sets them; a re-solve sends nothing)
            m.del_component("limits")
        self._active_limits = limits
        # one named constraint per limit (limits.capex, limits.min_reuse_rate__fly_ash)
        m.limits = pyo.Block()
        for key, val in limits.items():
            if val is None:
                continue
            relation = row(self, key, val)
            if relation is not None:
                m.limits.add_component(key.replace(":", "__"), pyo.Constraint(expr=relation))

    # ------------------------------------------------------------------ decision support
    def tie_binaries_to_use(self, delta: float = 1e-2, share: float = 1e-4):
        r"""Make every free open/build binary mean *used*: an open exchange carries at least
        :math:`\delta_x` and a built (or kept open) plant runs at least :math:`\delta_p`:
        :math:`f_x \ge \delta_x z_x`, :math:`a_p \ge \delta_p\,\text{built}_p`, with
        :math:`\delta = \min(\max(\delta, \text{share}\cdot U), U/2)` in the material's (or
        activity's) unit, U the most the exchange carries or the plant makes. The share
        keeps :math:`\delta_p` far above what the solver's integrality tolerance lets leak
        through a closed link (:math:`U_x \cdot 10^{-6}`), so a plant cannot run on leaks.

        Without it, an exchange that costs nothing can be open with zero flow, and two
        values of the binaries describe one network; the k best networks and the Pareto
        front need one binary pattern per network. Idempotent; binaries fixed by the
        case (force, forbid, no possible flow) are left alone."""
        m = self.m
        if m.find_component("use_link") is not None:
            return
        free_x = [i for i in self.x_index if not m.z[i].fixed and self.x_ub[i] > 0]
        def least(u):
            return min(max(delta, share * u), u / 2)
        m.use_link = pyo.Constraint(free_x, rule=lambda _, i: m.f[i] >= least(self.x_ub[i]) * m.z[i])
        ran = [p for p in self.candidates + self.closable if self.amax(p) > 0]
        m.use_plant = pyo.Constraint(ran, rule=lambda _, p: m.a[p] >= least(self.amax(p)) * self.built_expr(p))

    def structural_binaries(self) -> dict[tuple, object]:
        """:meth:`binaries` less those the case fixes (forced, forbidden, no possible flow)."""
        return {k: v for k, v in self.binaries().items() if not v.fixed}

    def add_cut(self, ones: list, zeros: list):
        r"""Integer (no-good) cut excluding one binary pattern:
        :math:`\sum_{b \in ones} (1 - b) + \sum_{b \in zeros} b \ge 1`. ``ones`` and
        ``zeros`` are decision keys (see :meth:`fix`); the cut is one row added to HiGHS."""
        m = self.m
        if m.find_component("cuts") is None:
            m.cuts = pyo.ConstraintList()
        b = self._decision
        m.cuts.add(sum(1 - b(k) for k in ones) + sum(b(k) for k in zeros) >= 1)

    def require_any(self, keys: list):
        """Require at least one of the decisions ``keys`` to be 1 (a plant built in any size)."""
        m = self.m
        if m.find_component("require") is None:
            m.require = pyo.ConstraintList()
        m.require.add(sum(self._decision(k) for k in keys) >= 1)

    def clear_require(self):
        if self.m.find_component("require") is not None:
            self.m.del_component("require")

    def set_subsidy(self, name: str | None, exchange: int | None = None, value: float = 0.0):
        r"""Make ``name`` (``cost``) the objective less a subsidy per unit of flow on one
        exchange: :math:`C - s f_x`. A new value of ``s`` is a new objective, sent to HiGHS
        in place (new column costs, no recompile). ``name=None`` drops the subsidy."""
        m = self.m
        if name is None:
            return
        if exchange is None:
            self.set_objective(name)
            return
        if m.find_component("objective") is not None:
            m.del_component("objective")
        m.objective = pyo.Objective(expr=self.kpi[name] - float(value) * m.f[exchange], sense=pyo.minimize)
        self._objective_name = name
        self._objective_spec = (("subsidy", name, exchange, float(value)), m.objective)

    def set_cuts_active(self, active: bool):
        """Set the integer cuts aside (their rows leave HiGHS) or bring them back."""
        cuts = self.m.find_component("cuts")
        if cuts is not None:
            cuts.activate() if active else cuts.deactivate()

    def clear_cuts(self):
        if self.m.find_component("cuts") is not None:
            self.m.del_component("cuts")

    def set_bound(self, name: str, value: float | None, sense: str | None = None):
        """Bound one KPI (``reuse``, ``cost``, ``profit``, ``co2``, ``disposal``, ``capex``) by
        ``value`` in its own unit, ``<=`` for KPIs minimised and ``>=`` for those maximised
        (or as ``sense`` says); ``None`` lifts the bound. A new value replaces the bound's
        row (one row deleted and one added on the same HiGHS object, no recompile)."""
        m = self.m
        sense = sense or ("<=" if OBJECTIVES.get(name, pyo.minimize) == pyo.minimize else ">=")
        cname = f"bound_{name}_{'le' if sense == '<=' else 'ge'}"
        if m.find_component(cname) is not None:
            m.del_component(cname)
        if value is None:
            return
        value = float(value)
        expr = self.kpi[name] <= value if sense == "<=" else self.kpi[name] >= value
        m.add_component(cname, pyo.Constraint(expr=expr))

    def clear_bounds(self):
        for con in list(self.m.component_objects(pyo.Constraint)):
            if con.local_name.startswith("bound_"):
                self.m.del_component(con)

    def byproduct_generated_expr(self):
        mats = self.case.materials
        return sum(mats[mn].reuse_weight * self.case.process_of(p).outputs[mn] * self.m.a[p]
                   for p, mn in self.outputs if mats[mn].is_byproduct)

    # ------------------------------------------------------------------ extract
    def extract(self, info: SolveInfo) -> Solution:
        t0 = time.perf_counter()
        m = self.m
        case = self.case

        def vals(var):
            return {k: (v if v is not None else 0.0) for k, v in var.extract_values().items()}

        a = vals(m.a)
        y = vals(m.y) if self.sizes else {}
        w = vals(m.w) if self.closable else {}
        size, is_open = {}, {}
        for p in self.plants:
            if p in self._cand_set:
                chosen = [k for k in range(len(case.plants[p].sizes)) if y.get((p, k), 0) > 0.5]
                size[p] = chosen[0] if chosen else None
                is_open[p] = bool(chosen)
            elif p in self._close_set:
                is_open[p] = w.get(p, 0) > 0.5
            else:
                is_open[p] = True
        f, z = vals(m.f), vals(m.z)
        # a closed link may carry what the solver's integrality tolerance lets through
        # (U x 1e-6): report it as the zero it is
        f = {i: (v if z.get(i, 0.0) > 0.5 else 0.0) for i, v in f.items()}
        sol = Solution(
            activity=a, size=size, is_open=is_open,
            flow={x.key: f[i] for i, x in enumerate(self.exchanges)},
            opened={x.key: z[i] > 0.5 for i, x in enumerate(self.exchanges)},
            slot_use=vals(m.u), purchase=vals(m.b) if self.buy else {}, sale=vals(m.q) if self.sell else {},
            disposal=vals(m.d) if self.disp else {}, info=info)
        self.timings["extract"] = time.perf_counter() - t0
        return sol
