r"""The mixed-integer model of a park, built with Pyomo and solved by HiGHS in memory.

Every Pyomo call of the project lives in this module. :class:`ParkModel` builds the
model once from a :class:`~symbiosis.case.Case` and its candidate exchanges, one
builder function per constraint family; it can then be solved, changed (objective,
limits, fixed binaries) and solved again without a rebuild. The hand-off to HiGHS is
in memory and in bulk: Pyomo's LinearStandardFormCompiler turns the active model into
one sparse matrix, passed whole to highspy (``Highs.passModel``); no LP/MPS file, no
per-constraint calls. On a 51,610-variable park this takes 0.3 s where Pyomo's
persistent APPSI interface took 4.1 s (benchmarks/bench_build.py).

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
from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pyo

from symbiosis.case import Case
from symbiosis.errors import InfeasibleError, SolverError
from symbiosis.graph import Exchange, candidate_exchanges
from symbiosis.policy import add_policy, policy_reasons

#: objectives the model knows, with their sense
OBJECTIVES = {"reuse": pyo.maximize, "cost": pyo.minimize, "profit": pyo.maximize, "co2": pyo.minimize,
              "disposal": pyo.minimize}
#: coefficients of one objective or one row spanning more than this (largest / smallest
#: magnitude) are reported as a numerical warning, naming the entries
WIDE_RANGE = 1e9


@dataclass
class SolveInfo:
    """What the solver said: always reported beside a result."""

    status: str = "not solved"
    termination: str = ""
    objective_name: str = ""
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    solve_time: float = 0.0
    stages: list[dict] = field(default_factory=list)
    #: the objective recomputed from the case alone agrees with the solver's (see api.optimize)
    verified: bool | None = None
    #: what was done to get a trustworthy answer (re-solves, fallbacks), in plain words
    notes: list[str] = field(default_factory=list)
    #: the scale the objective had inside HiGHS (objective x scale), from the case's magnitudes
    objective_scale: float = 1.0

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("status", "termination", "objective_name", "objective", "bound",
                                             "gap", "solve_time", "stages", "verified", "notes")}


@dataclass
class Solution:
    """Raw values of one solution, keyed by names (no Pyomo objects)."""

    activity: dict[str, float]
    size: dict[str, int | None]          # candidate plant -> chosen size index, or None
    is_open: dict[str, bool]             # plant -> running (built / not closed)
    flow: dict[tuple, float]             # exchange key -> flow
    opened: dict[tuple, bool]            # exchange key -> open binary
    slot_use: dict[tuple, float]         # (plant, slot, material) -> units
    purchase: dict[tuple, float]
    sale: dict[tuple, float]
    disposal: dict[tuple, float]
    info: SolveInfo


@dataclass
class Options:
    """How to solve: objective, limits and solver settings."""

    objective: str | None = None          # default: the case's settings.objective
    weights: dict[str, float] | None = None   # objective "weighted": {"cost": 1, "co2": 50, ...}
    time_limit: float | None = None
    mip_gap: float | None = None
    #: absolute gap in the objective's own unit (money for cost, t for reuse); default the case's
    mip_abs_gap: float | None = None
    threads: int | None = None
    #: time.perf_counter() by which the whole solve (stages, polish, re-solves) must end
    deadline: float | None = None
    reuse_tolerance: float | None = None
    limits: dict[str, float] = field(default_factory=dict)
    status_quo: bool = False
    verbose: bool = False


class ParkModel:
    """The MILP of one case: build once, then solve, change and re-solve.

    Examples
    --------
    >>> from symbiosis import examples
    >>> pm = ParkModel(examples.tutorial())
    >>> len(pm.exchanges) > 0 and pm.m.a["power"].lb == 2_000_000
    True
    """

    def __init__(self, case: Case, exchanges: list[Exchange] | None = None, *, elastic: bool = False):
        self.case = case
        t0 = time.perf_counter()
        self.exchanges = candidate_exchanges(case) if exchanges is None else list(exchanges)
        self.timings: dict[str, float] = {"candidates": time.perf_counter() - t0}
        self.elastic = elastic
        self.highs = None      # the highspy object of the last solve
        self._tight = False    # binaries held to 1e-9 (see run)
        self.columns = []      # Pyomo variables in HiGHS column order
        self._objective_name = None
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
        if m.find_component("objective") is not None:
            m.del_component("objective")
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

    # ------------------------------------------------------------------ structure
    def fix_status_quo(self):
        """Today's park: no candidate plant built, only existing exchanges open, and no
        plant or exchange forced in (forcing is a planning choice, not today's park)."""
        vs = (*(self.m.y[k] for k in self.sizes),
              *(self.m.z[i] for i, x in enumerate(self.exchanges) if not x.existing))
        self._status_quo_fixed = [(v, v.fixed, v.value) for v in vs if not (v.fixed and v.value == 0)]
        for v, _, _ in self._status_quo_fixed:
            v.fix(0)
        self.m.force_build.deactivate()

    def release_status_quo(self):
        """Undo :meth:`fix_status_quo`: binaries the case fixes (force, forbid) go back to
        what the case says."""
        for v, was_fixed, value in getattr(self, "_status_quo_fixed", ()):
            if was_fixed:
                v.fix(value)
            else:
                v.unfix()
        self._status_quo_fixed = []
        self.m.force_build.activate()

    def binaries(self) -> dict[tuple, object]:
        """The structural decisions, keyed ('plant', p, k) / ('exchange', src, dst, material)."""
        out = {("plant", p, k): self.m.y[p, k] for p, k in self.sizes}
        out.update({("exchange", *x.key): self.m.z[i] for i, x in enumerate(self.exchanges)})
        out.update({("open", p): self.m.w[p] for p in self.closable})
        return out

    # ------------------------------------------------------------------ solve
    def to_highs(self, opts: Options | None = None):
        """Hand the model to HiGHS in memory: compile the active constraints and objective
        into one sparse matrix (Pyomo's LinearStandardFormCompiler) and pass it whole
        with ``Highs.passModel``. Fixed variables become constants, so fixing binaries
        between solves (status quo, forced or forbidden choices, cuts) needs no rebuild;
        every solve compiles the model again (0.3 s at 50k variables).

        Scaling comes from the case's own magnitudes, not from constants: each row is
        divided by a power of two near the geometric mean of its largest and smallest
        coefficient, and the objective likewise (its scale is kept in
        ``self.objective_scale``; values and bounds are reported unscaled). A park counted
        in CNY, in kCNY or in Mt therefore reaches HiGHS with the same numbers, and the
        gaps mean what the user set: ``mip_gap`` relative, ``mip_abs_gap`` in the
        objective's own unit.

        Returns ``(highs, columns)``: the highspy object and the Pyomo variables in
        column order.
        """
        import highspy
        import numpy as np
        from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

        opts = opts or Options()
        t0 = time.perf_counter()
        repn = LinearStandardFormCompiler().write(self.m, mixed_form=True, set_sense=None)
        cols = repn.columns
        n, n_rows = len(cols), len(repn.rows)
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, n_rows
        c = np.asarray(repn.c.toarray()).ravel() if repn.c.shape[0] else np.zeros(n)
        offset = float(np.asarray(repn.c_offset).ravel()[0]) if np.asarray(repn.c_offset).size else 0.0
        obj_scale = _pow2_scale(c)
        self.objective_scale = obj_scale
        lp.col_cost_ = c * obj_scale
        lp.offset_ = offset * obj_scale
        lp.col_lower_ = np.array([-inf if v.lb is None else v.lb for v in cols], dtype=float)
        lp.col_upper_ = np.array([inf if v.ub is None else v.ub for v in cols], dtype=float)
        bt = np.fromiter((r.bound_type for r in repn.rows), dtype=np.int8, count=n_rows)
        rhs = np.asarray(repn.rhs, dtype=float)
        A = _drop_negligible(repn.A.tocsr())
        self.range_notes = _range_notes(A, c, repn, name=self._column_words)
        row_scale = _row_scales(A)
        if n_rows:
            A = A.multiply(row_scale[:, None]).tocsr()
            rhs = rhs * row_scale
        self.row_scale = row_scale
        lp.row_lower_ = np.where(bt == 1, -inf, rhs)
        lp.row_upper_ = np.where(bt == -1, inf, rhs)
        A = A.tocsc()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, n_rows
        lp.a_matrix_.start_ = A.indptr
        lp.a_matrix_.index_ = A.indices
        lp.a_matrix_.value_ = A.data
        integer = [v.is_integer() for v in cols]
        self._is_mip = any(integer)
        if self._is_mip:
            lp.integrality_ = [highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous
                               for k in integer]
        objs = repn.objectives
        if objs and objs[0].sense == pyo.maximize:
            lp.sense_ = highspy.ObjSense.kMaximize
        h = _new_highs()
        h.setOptionValue("output_flag", bool(opts.verbose))
        s = self.case.settings
        h.setOptionValue("time_limit", self._time_left(opts))
        h.setOptionValue("mip_rel_gap", float(opts.mip_gap if opts.mip_gap is not None else s.mip_gap))
        abs_gap = opts.mip_abs_gap if opts.mip_abs_gap is not None else s.mip_abs_gap
        h.setOptionValue("mip_abs_gap", float(abs_gap) * obj_scale)
        h.setOptionValue("random_seed", 1)
        if self._tight:
            h.setOptionValue("mip_feasibility_tolerance", 1e-9)
            h.setOptionValue("primal_feasibility_tolerance", 1e-9)
            h.setOptionValue("dual_feasibility_tolerance", 1e-9)
        if opts.threads:
            h.setOptionValue("threads", int(opts.threads))
        h.passModel(lp)
        # warm start from the values the variables hold (the previous solve), when complete.
        # HiGHS 1.16 was seen to return such a start as "optimal" while reporting the
        # objective of a better network (reuse-then-cost, second stage; after a no-good
        # cut): run() checks the returned values against the objective and solves cold
        # when they disagree. warm_start=False turns starts off.
        self._started = False
        if self._is_mip and self.warm_start and n and all(v.value is not None for v in cols):
            start = highspy.HighsSolution()
            start.col_value = [v.value for v in cols]
            start.value_valid = True
            h.setSolution(start)
            self._started = True
        self.timings["handoff"] = self.timings.get("handoff", 0.0) + time.perf_counter() - t0
        self.highs, self.columns = h, cols
        return h, cols

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
        try:
            h, cols = self.to_highs(opts)
        except InfeasibleConstraintException:
            status = None
        else:
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
        info = SolveInfo(termination=h.modelStatusToString(status), objective_name=name, solve_time=dt,
                         notes=list(getattr(self, "range_notes", [])))
        if status == MS.kUnbounded:
            raise SolverError(f"the objective {name!r} is unbounded: some plant can grow without limit; "
                              "give every candidate plant a capacity and every market a price")
        hinfo = h.getInfo()
        if hinfo.primal_solution_status != 2:  # 2: feasible
            raise SolverError(f"the solver stopped ({info.termination}) before finding any network; "
                              "raise --time-limit")
        values = h.getSolution().col_value
        if self._started:
            import numpy as np
            lp = h.getLp()
            obj = float(np.dot(lp.col_cost_, values)) + lp.offset_
            if abs(obj - hinfo.objective_function_value) > 1e-7 * max(1.0, abs(obj)):
                # the start came back with another network's objective: solve again, cold
                self.warm_start, keep = False, self.warm_start
                try:
                    return self.run(opts, explain=explain)
                finally:
                    self.warm_start = keep
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
        idx = np.array([i for i, v in enumerate(cols) if v.is_integer()], dtype=np.int32)
        x = np.asarray(values, dtype=float)
        rounded = np.round(x[idx])
        # open links that carry (next to) nothing: close them
        col_of = {id(v): j for j, v in enumerate(cols)}
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
            self.set_objective("reuse")
            first = self.run(opts)
            first_values = [(v, v.value) for v in self.columns]
            tol = opts.reuse_tolerance if opts.reuse_tolerance is not None else self.case.settings.reuse_tolerance
            best = first.objective
            floor = best * (1 - tol) - 1e-8 * max(1.0, abs(best))
            self.set_reuse_floor(floor)
            self.set_objective("cost")
            stage_one = {"objective": "reuse", "value": first.objective, "bound": first.bound,
                         "gap": first.gap, "time": first.solve_time, "status": first.status}
            info = None
            if opts.deadline - time.perf_counter() > 0.05:
                try:
                    info = self.run(opts)
                except SolverError:
                    info = None
            if info is None:
                # no second-stage network in time: keep the first stage's
                for v, val in first_values:
                    v.set_value(val, skip_validation=True)
                info = first
                info.objective_name = "reuse-then-cost"
                info.status = f"time limit: first stage only ({first.status})"
                info.notes.append("the time limit ended before a cheapest network with this reuse was found; "
                                  "the network is the first stage's (most reuse), its cost not minimised")
                info.stages = [stage_one, {"objective": "cost", "value": None, "bound": None, "gap": None,
                                           "time": 0.0, "status": "no network in time"}]
                self._objective_name = "reuse"
                return self.extract(info)
            info.objective_name = "reuse-then-cost"
            info.stages = [stage_one,
                           {"objective": "cost", "value": info.objective, "bound": info.bound,
                            "gap": info.gap, "time": info.solve_time, "status": info.status}]
            info.solve_time += first.solve_time
            info.notes = first.notes + info.notes
        else:
            self.set_reuse_floor(None)
            self.set_objective(objective, opts.weights)
            info = self.run(opts)
        return self.extract(info)

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
        m = self.m
        if m.find_component("limits") is not None:
            m.del_component("limits")
        limits = dict(limits or {})
        self._active_limits = limits
        m.limits = pyo.ConstraintList()
        for key, val in limits.items():
            if val is None:
                continue
            if key == "capex":
                m.limits.add(self.kpi["capex"] <= val)
            elif key == "new_plants":
                m.limits.add(sum(m.y[p, k] for p, k in self.sizes) <= val)
            elif key in ("co2", "disposal", "cost"):
                m.limits.add(self.kpi[key] <= val)
            elif key == "min_reuse":
                m.limits.add(self.kpi["reuse_gross"] >= val)
            elif key == "min_reuse_rate":
                gen = self.byproduct_generated_expr()
                m.limits.add(self.kpi["reuse_gross"] >= val * gen)  # rows are scaled at the hand-off
            elif key.startswith("min_reuse_rate:"):
                mn = key.split(":", 1)[1]
                if mn not in self.case.materials:
                    raise ValueError(f"unknown material {mn!r} in limit {key!r}")
                if not self.case.materials[mn].is_byproduct:
                    raise ValueError(f"limit {key!r}: {mn!r} is not a by-product; reuse floors are for "
                                     "by-products")
                sent = sum(m.f[i] for i in self.x_index if self.exchanges[i].material == mn)
                made = sum(self.case.process_of(p).outputs[mn] * m.a[p] for p, m2 in self.outputs if m2 == mn)
                if isinstance(made, int):
                    continue  # no plant makes it: the floor holds trivially
                m.limits.add(sent >= val * made)  # rows are scaled at the hand-off
            else:
                raise ValueError(f"unknown limit {key!r}")

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
        :math:`\sum_{b \in ones} (1 - b) + \sum_{b \in zeros} b \ge 1`."""
        m = self.m
        if m.find_component("cuts") is None:
            m.cuts = pyo.ConstraintList()
        m.cuts.add(sum(1 - b for b in ones) + sum(b for b in zeros) >= 1)

    def require_any(self, binaries: list):
        """Require at least one of ``binaries`` to be 1 (a plant built in any size)."""
        m = self.m
        if m.find_component("require") is None:
            m.require = pyo.ConstraintList()
        m.require.add(sum(binaries) >= 1)

    def clear_require(self):
        if self.m.find_component("require") is not None:
            self.m.del_component("require")

    def set_subsidy(self, name: str | None, exchange: int | None = None, value: float = 0.0):
        r"""Make ``name`` (``cost``) the objective less a subsidy per unit of flow on one
        exchange: :math:`C - s f_x`. ``s`` is a mutable parameter, so a bisection on it
        sends the solver only a changed coefficient. ``name=None`` drops the subsidy."""
        m = self.m
        if m.find_component("subsidy") is None:
            m.subsidy = pyo.Param(mutable=True, initialize=0.0)
        m.subsidy.set_value(value)
        if name is None:
            return
        if exchange is None:
            self.set_objective(name)
            return
        if m.find_component("objective") is not None:
            m.del_component("objective")
        m.objective = pyo.Objective(expr=self.kpi[name] - m.subsidy * m.f[exchange],
                                    sense=pyo.minimize)
        self._objective_name = name

    def clear_cuts(self):
        if self.m.find_component("cuts") is not None:
            self.m.del_component("cuts")

    def set_bound(self, name: str, value: float | None, sense: str | None = None):
        """Bound one KPI (``reuse``, ``cost``, ``profit``, ``co2``, ``disposal``, ``capex``) by
        ``value`` in its own unit, ``<=`` for KPIs minimised and ``>=`` for those maximised
        (or as ``sense`` says); ``None`` lifts the bound. The bound is a mutable parameter,
        so the persistent solver receives a changed right-hand side, not a new row."""
        m = self.m
        sense = sense or ("<=" if OBJECTIVES.get(name, pyo.minimize) == pyo.minimize else ">=")
        cname, pname = f"bound_{name}_{'le' if sense == '<=' else 'ge'}", f"bound_{name}_{'le' if sense == '<=' else 'ge'}_rhs"
        con = m.find_component(cname)
        scale = 1.0  # rows are scaled from their own coefficients at the hand-off
        if con is None:
            if value is None:
                return
            m.add_component(pname, pyo.Param(mutable=True, initialize=value * scale))
            rhs = m.find_component(pname)
            expr = self.kpi[name] * scale <= rhs if sense == "<=" else self.kpi[name] * scale >= rhs
            m.add_component(cname, pyo.Constraint(expr=expr))
            return
        if value is None:
            con.deactivate()
        else:
            m.find_component(pname).set_value(value * scale)
            con.activate()

    def clear_bounds(self):
        for con in list(self.m.component_objects(pyo.Constraint)):
            if con.local_name.startswith("bound_"):
                con.deactivate()

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


def _diagnosis_options(pm: ParkModel, opts: Options | None) -> Options:
    """Solver options for naming the causes of infeasibility: the user's time limit and
    what is left of the deadline (at least 5 s, so a cause can be named at all)."""
    limit = opts.time_limit if opts is not None and opts.time_limit is not None else pm.case.settings.time_limit
    if opts is not None and opts.deadline is not None:
        limit = min(limit, max(opts.deadline - time.perf_counter(), 5.0))
    return Options(time_limit=limit, threads=opts.threads if opts is not None else None)


def _explain_limits(pm: ParkModel, limits: dict, diag: Options | None = None) -> list[str]:
    """The park runs without its limits: find which limits are out of reach alone (by the
    best value the park can reach for each) or only together."""
    m = pm.m
    for var in (*m.excess.values(), *m.short.values(), *m.under.values(), *m.unmet.values()):
        var.fix(0)
    money = pm.case.units.get("money", "CNY")
    units = {"capex": money, "cost": f"{money}/yr", "co2": "t/yr", "disposal": "t/yr", "min_reuse": "t/yr",
             "new_plants": "plants"}
    reasons = []
    for key, val in limits.items():
        if val is None:
            continue
        pm.set_limits({})
        if m.find_component("objective") is not None:
            m.del_component("objective")
        if key in ("capex", "co2", "disposal", "cost"):
            expr, sense = pm.kpi[key], pyo.minimize
        elif key == "new_plants":
            expr, sense = sum(m.y[p, k] for p, k in pm.sizes), pyo.minimize
        elif key == "min_reuse":
            expr, sense = pm.kpi["reuse_gross"], pyo.maximize
        else:  # a reuse-rate floor: the best of reused - rate x generated
            pm.set_limits({key: val})
            try:
                pm.m.objective = pyo.Objective(expr=0)
                pm._objective_name = "limit"
                pm.run(diag or Options(), explain=False)
                continue
            except (InfeasibleError, SolverError):
                what = key.split(":", 1)[1] if ":" in key else "by-products overall"
                reasons.append(f"the limit {key} = {val:g} cannot be met: no network reuses {val:.0%} of "
                               f"{what}; lower the floor or add plants that can take it")
                continue
        m.objective = pyo.Objective(expr=expr, sense=sense)
        pm._objective_name = "limit"
        try:
            pm.run(diag or Options(), explain=False)
        except (InfeasibleError, SolverError):
            continue
        best = pyo.value(expr)
        out_of_reach = best < val - 1e-6 * max(1.0, abs(val)) if sense == pyo.maximize else \
            best > val + 1e-6 * max(1.0, abs(val))
        if out_of_reach:
            word = "at most" if sense == pyo.maximize else "at least"
            reasons.append(f"the limit {key} = {val:,.0f} {units.get(key, '')} cannot be met: the park can reach "
                           f"{word} {best:,.0f} {units.get(key, '')}")
    if not reasons:
        reasons.append("the limits " + ", ".join(f"{k} = {v:g}" for k, v in limits.items() if v is not None)
                       + " can each be met alone but not together; relax one of them")
    return reasons


def _pow2_scale(values) -> float:
    """A power of two that brings the geometric mean of the largest and smallest nonzero
    magnitude of ``values`` to about 1 (1.0 when all are zero). Powers of two scale
    exactly in binary floating point, so scaling changes no digit of the data."""
    import numpy as np
    a = np.abs(np.asarray(values, dtype=float))
    a = a[np.isfinite(a) & (a > 0)]
    if not a.size:
        return 1.0
    mid = 0.5 * (math.log2(float(a.max())) + math.log2(float(a.min())))
    return float(2.0 ** (-round(mid)))


def _row_scales(A) -> "np.ndarray":
    """Per row of the CSR matrix ``A``, a power of two that brings the geometric mean of
    the row's largest and smallest nonzero coefficient to about 1 (1.0 for empty rows)."""
    import numpy as np
    n = A.shape[0]
    out = np.ones(n)
    if not n or not A.nnz:
        return out
    data = np.abs(A.data)
    starts = A.indptr[:-1]
    nonempty = np.diff(A.indptr) > 0
    big = np.zeros(n)
    small = np.ones(n)
    big[nonempty] = np.maximum.reduceat(data, starts[nonempty])
    small[nonempty] = np.minimum.reduceat(data, starts[nonempty])
    ok = nonempty & (big > 0) & (small > 0)
    mid = 0.5 * (np.log2(big[ok]) + np.log2(small[ok]))
    # keep the row's largest coefficient between 1 and 2^20 after scaling, whatever its
    # smallest (a coefficient 1e-186 must not push the others to infinity)
    lb = np.log2(big[ok])
    exp = np.clip(np.round(mid), lb - 20, lb)
    out[ok] = np.exp2(-np.round(exp))
    return out


#: coefficients of one row (or of the objective) spanning more than this get a warning
WIDE_RANGE = 1e9


def _range_notes(A, c, repn, limit: float = WIDE_RANGE, show: int = 5, name=str) -> list[str]:
    """Warnings for the rows (and the objective) whose nonzero coefficients span more than
    ``limit`` (largest / smallest): no scaling makes both ends exact, and the solver's
    tolerances may round the small ones away. Names the constraints (they are indexed by
    plant and material), largest span first."""
    import numpy as np
    out = []
    if A.nnz:
        n = A.shape[0]
        data = np.abs(A.data)
        starts = A.indptr[:-1]
        nonempty = np.diff(A.indptr) > 0
        big, small = np.zeros(n), np.ones(n)
        big[nonempty] = np.maximum.reduceat(data, starts[nonempty])
        small[nonempty] = np.minimum.reduceat(data, starts[nonempty])
        span = np.where(nonempty & (small > 0), big / np.where(small > 0, small, 1.0), 1.0)
        wide = np.flatnonzero(span > limit)
        if wide.size:
            wide = wide[np.argsort(-span[wide])]
            names = [f"{repn.rows[i].constraint.name} ({small[i]:.3g} to {big[i]:.3g})" for i in wide[:show]]
            out.append(f"coefficients span more than {limit:.0e} in {wide.size} row(s): " + "; ".join(names)
                       + (" ..." if wide.size > show else "") + "; check the units and figures of those "
                       "plants and materials: the solver may round the smallest away")
    idx = np.flatnonzero(c) if c.size else c
    if idx.size:
        a = np.abs(c[idx])
        lo, hi = idx[np.argmin(a)], idx[np.argmax(a)]
        if a.max() / a.min() > limit:
            out.append(f"objective coefficients span {a.min():.3g} ({name(repn.columns[lo].name)}) to {a.max():.3g} "
                       f"({name(repn.columns[hi].name)}), more than {limit:.0e}; the smallest costs or weights may be "
                       "rounded away")
    return out


def _drop_negligible(A, rel: float = 1e-12):
    """Zero the coefficients of the CSR matrix ``A`` below ``rel`` times their row's
    largest: below any tolerance of the solver, they are rounding, not data."""
    import numpy as np
    if not A.nnz:
        return A
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    big = np.zeros(A.shape[0])
    np.maximum.at(big, rows, np.abs(A.data))
    tiny = np.abs(A.data) < rel * big[rows]
    if tiny.any():
        A = A.copy()
        A.data[tiny] = 0.0
        A.eliminate_zeros()
    return A


def _new_highs():
    """A Highs object without the licence banner HiGHS prints when it is created."""
    import os
    import sys

    import highspy
    # the banner is written by C++ to the process's stdout: silence file descriptor 1 briefly
    try:
        sys.stdout.flush()
        fd = os.dup(1)
    except OSError:
        return highspy.Highs()
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(fd, 1)
        os.close(fd)
    return h


# ====================================================================== builders
def add_variables(pm: ParkModel):
    """Variables with their bounds: activity, build and open binaries, flows, slot use,
    purchases, sales, disposal (and, in the elastic model, the slacks)."""
    m, case = pm.m, pm.case
    pm._cand_set, pm._close_set = set(pm.candidates), set(pm.closable)

    def a_bounds(_, p):
        plant = case.plants[p]
        if plant.is_candidate:
            return (0.0, 0.0 if plant.forbid else plant.capacity)
        lo = 0.0 if (plant.can_close or pm.elastic) else plant.activity_min
        return (lo, plant.activity_max)

    m.PLANTS = pyo.Set(initialize=pm.plants, ordered=True)
    m.a = pyo.Var(m.PLANTS, within=pyo.NonNegativeReals, bounds=a_bounds)
    m.y = pyo.Var(pyo.Set(dimen=2, initialize=pm.sizes), within=pyo.Binary)
    m.w = pyo.Var(pyo.Set(initialize=pm.closable), within=pyo.Binary)
    for p, k in pm.sizes:
        if case.plants[p].forbid:
            m.y[p, k].fix(0)
    ub = exchange_bounds(pm)
    m.X = pyo.Set(initialize=pm.x_index)
    m.f = pyo.Var(m.X, within=pyo.NonNegativeReals, bounds=lambda _, i: (0.0, ub[i]))
    m.z = pyo.Var(m.X, within=pyo.Binary)
    pm.x_ub = ub
    pm.impossible = []
    for i, x in enumerate(pm.exchanges):
        if x.force and not x.forbid and ub[i] <= 0:
            pm.impossible.append(
                f"the exchange {x.source} -> {x.target} of {x.material!r} is forced but can carry nothing: "
                f"{x.source!r} makes at most {case.process_of(x.source).outputs.get(x.material, 0) * case.plants[x.source].capacity:,.0f} "
                f"and {x.target!r} takes at most "
                f"{case.process_of(x.target).max_intake(x.material, case.plants[x.target].capacity):,.0f} "
                f"{case.materials[x.material].unit}/yr" + (f" (its max is {x.max:g})" if x.max is not None else ""))
        if x.forbid or ub[i] <= 0:
            m.z[i].fix(0)
        elif x.force:
            m.z[i].fix(1)
    m.u = pyo.Var(pyo.Set(dimen=3, initialize=pm.uses), within=pyo.NonNegativeReals)
    m.b = pyo.Var(pyo.Set(dimen=2, initialize=pm.buy), within=pyo.NonNegativeReals)
    m.q = pyo.Var(pyo.Set(dimen=2, initialize=pm.sell), within=pyo.NonNegativeReals)
    m.d = pyo.Var(pyo.Set(dimen=2, initialize=pm.disp), within=pyo.NonNegativeReals)
    if pm.elastic:
        m.excess = pyo.Var(pyo.Set(dimen=2, initialize=pm.outputs), within=pyo.NonNegativeReals)
        m.short = pyo.Var(pyo.Set(dimen=2, initialize=pm.inputs), within=pyo.NonNegativeReals)
        m.under = pyo.Var(m.PLANTS, within=pyo.NonNegativeReals)
        m.unmet = pyo.Var(pyo.Set(initialize=sorted(case.materials)), within=pyo.NonNegativeReals)


def exchange_bounds(pm: ParkModel) -> list[float]:
    """U[x]: the smallest of the exchange's cap, the most i can make of m and the most j
    can take of m; a tight bound keeps the big-M link f <= U z strong."""
    case = pm.case
    out = []
    for x in pm.exchanges:
        src, dst = case.plants[x.source], case.plants[x.target]
        can_make = case.processes[src.process].outputs.get(x.material, 0.0) * src.capacity
        can_take = case.processes[dst.process].max_intake(x.material, dst.capacity)
        u = min(can_make, can_take)
        if x.max is not None:
            u = min(u, x.max)
        out.append(max(0.0, u))
    return out


def add_capacity(pm: ParkModel):
    r"""Capacity of candidates and closable plants.

    .. math:: \text{minload}_p \sum_k K_{pk} y_{pk} \le a_p \le \sum_k K_{pk} y_{pk},\quad \sum_k y_{pk} \le 1

    Existing plants: :math:`A^{min}_p w_p \le a_p \le A^{max}_p w_p` if they may close,
    else the bounds of :math:`a_p` hold them at their stated output.
    """
    m, case = pm.m, pm.case
    multi = [p for p in pm.candidates if len(case.plants[p].sizes) > 1]
    m.one_size = pyo.Constraint(multi, rule=lambda _, p: sum(m.y[p, k] for k in range(len(case.plants[p].sizes))) <= 1)

    def cap(p):
        return sum(s.capacity * m.y[p, k] for k, s in enumerate(case.plants[p].sizes))

    m.cap_max = pyo.Constraint(pm.candidates, rule=lambda _, p: m.a[p] <= cap(p))
    with_min = [p for p in pm.candidates if case.plants[p].min_load > 0]
    m.cap_min = pyo.Constraint(with_min, rule=lambda _, p: m.a[p] >= case.plants[p].min_load * cap(p))
    forced = [p for p in pm.candidates if case.plants[p].force]
    m.force_build = pyo.Constraint(forced, rule=lambda _, p: pm.built_expr(p) == 1)
    m.open_max = pyo.Constraint(pm.closable, rule=lambda _, p: m.a[p] <= case.plants[p].activity_max * m.w[p])
    m.open_min = pyo.Constraint(pm.closable, rule=lambda _, p: m.a[p] >= case.plants[p].activity_min * m.w[p])
    if pm.elastic:
        fixed = [p for p in pm.plants if not case.plants[p].is_candidate and not case.plants[p].can_close]
        m.run_min = pyo.Constraint(fixed, rule=lambda _, p: m.a[p] + m.under[p] >= case.plants[p].activity_min)


def add_output_balances(pm: ParkModel):
    r"""Every output goes somewhere: :math:`o_{pm} a_p = \sum_{x=(p,\cdot,m)} f_x + q_{pm} + d_{pm}`."""
    m, case = pm.m, pm.case
    sell, disp = set(pm.sell), set(pm.disp)

    def rule(_, p, mat):
        rhs = sum(m.f[i] for i in pm.out_x.get((p, mat), ()))
        if (p, mat) in sell:
            rhs += m.q[p, mat]
        if (p, mat) in disp:
            rhs += m.d[p, mat]
        if pm.elastic:
            rhs += m.excess[p, mat]
        coef = case.process_of(p).outputs[mat]
        if isinstance(rhs, int):  # nowhere to go: the output must be zero
            return coef * m.a[p] == 0
        return coef * m.a[p] == rhs

    m.output_balance = pyo.Constraint(pm.outputs, rule=rule)


def add_input_balances(pm: ParkModel):
    r"""Every input comes from somewhere: :math:`\sum_s u_{psm} = \sum_{x=(\cdot,p,m)} f_x + b_{pm}`."""
    m = pm.m
    buy = set(pm.buy)

    def rule(_, p, mat):
        rhs = sum(m.f[i] for i in pm.in_x.get((p, mat), ()))
        if (p, mat) in buy:
            rhs += m.b[p, mat]
        if pm.elastic:
            rhs += m.short[p, mat]
        lhs = sum(m.u[k] for k in pm.uses_of[(p, mat)])
        if isinstance(rhs, int):
            return lhs == 0
        return lhs == rhs

    m.input_balance = pyo.Constraint(pm.inputs, rule=rule)


def add_slots(pm: ParkModel):
    r"""Input slots and alternative inputs:
    :math:`\sum_m e_{sm} u_{psm} = r_{ps} a_p` and :math:`e_{sm} u_{psm} \le h_{sm} r_{ps} a_p`."""
    m, case = pm.m, pm.case
    slot = {(p, s.name): s for p in pm.plants for s in case.process_of(p).slots}
    m.slot = pyo.Constraint(pm.slot_keys, rule=lambda _, p, s: sum(
        e * m.u[p, s, mat] for mat, (e, _h, _c) in slot[(p, s)].options.items()) == slot[(p, s)].amount * m.a[p])
    capped = [(p, s, mat) for (p, s, mat) in pm.uses if slot[(p, s)].options[mat][1] < 1]
    m.share = pyo.Constraint(capped, rule=lambda _, p, s, mat: slot[(p, s)].options[mat][0] * m.u[p, s, mat]
                             <= slot[(p, s)].options[mat][1] * slot[(p, s)].amount * m.a[p])


def add_exchange_links(pm: ParkModel):
    r"""Flows only on open exchanges: :math:`f_x \le U_x z_x`, :math:`f_x \ge L_x z_x`.

    A flow needs both plants to run without a row of its own: a plant that is not built
    (or is closed) has no activity, so it makes nothing to send (output balance) and
    needs nothing to receive (slots and input balance). The rows
    :math:`z_x \le \text{built}_i`, :math:`z_x \le \text{built}_j` are therefore kept only
    where an exchange is forced open (there they force its plants to run); on every
    other exchange they tighten the relaxation little and cost HiGHS's heuristics up to a
    factor of 60 (benchmarks/row_families.py). A link left open without flow is closed
    when the solution is polished (:meth:`ParkModel._polish`)."""
    m = pm.m
    ub = pm.x_ub
    m.link = pyo.Constraint(pm.x_index, rule=lambda _, i: m.f[i] <= ub[i] * m.z[i])
    with_min = [i for i, x in enumerate(pm.exchanges) if x.min]
    m.link_min = pyo.Constraint(with_min, rule=lambda _, i: m.f[i] >= pm.exchanges[i].min * m.z[i])
    cond = pm._cand_set | pm._close_set
    forced = [i for i, x in enumerate(pm.exchanges) if x.force and not x.forbid]
    src = [i for i in forced if pm.exchanges[i].source in cond]
    dst = [i for i in forced if pm.exchanges[i].target in cond]
    m.link_source = pyo.Constraint(src, rule=lambda _, i: m.z[i] <= pm.built_expr(pm.exchanges[i].source))
    m.link_target = pyo.Constraint(dst, rule=lambda _, i: m.z[i] <= pm.built_expr(pm.exchanges[i].target))


def add_market_limits(pm: ParkModel):
    r"""Market caps and demands per material: :math:`\sum_p b_{pm} \le B_m`,
    :math:`\sum_p q_{pm} \le Q_m`, :math:`\sum_p q_{pm} \ge D_m`."""
    m, case = pm.m, pm.case
    by_mat_b, by_mat_q = defaultdict(list), defaultdict(list)
    for k in pm.buy:
        by_mat_b[k[1]].append(k)
    for k in pm.sell:
        by_mat_q[k[1]].append(k)
    mats = case.materials
    cap_b = [mn for mn in by_mat_b if mats[mn].max_purchase is not None]
    cap_q = [mn for mn in by_mat_q if mats[mn].max_sale is not None]
    dem = [mn for mn in mats if mats[mn].min_sale]
    m.max_purchase = pyo.Constraint(cap_b, rule=lambda _, mn: sum(m.b[k] for k in by_mat_b[mn]) <= mats[mn].max_purchase)
    m.max_sale = pyo.Constraint(cap_q, rule=lambda _, mn: sum(m.q[k] for k in by_mat_q[mn]) <= mats[mn].max_sale)

    def demand(_, mn):
        lhs = sum(m.q[k] for k in by_mat_q.get(mn, ()))
        if pm.elastic:
            lhs += m.unmet[mn]
        if isinstance(lhs, int):
            return pyo.Constraint.Infeasible
        return lhs >= mats[mn].min_sale

    m.demand = pyo.Constraint(dem, rule=demand)


def add_expressions(pm: ParkModel):
    r"""The KPI expressions every objective and limit is made of.

    reuse  :math:`R = \sum_{x: m \in \text{by-products}} w_m f_x`
    cost   :math:`C = \sum_{p,k} \text{CRF}_p K^\$_{pk} y_{pk} + \sum_p F_p \text{built}_p + \sum_p c_p a_p
           + \sum_x (F_x z_x + t_x \delta_x f_x) + \sum \pi_m b - \sum \sigma_m q + \sum \lambda_m d + \text{carbon price}\cdot E`
    co2    :math:`E = \sum_p \epsilon_p a_p + \sum_{p,s,m} \epsilon_{sm} u_{psm} + \sum \epsilon_m b`
    disposal :math:`\sum_{m \in \text{by-products}} w_m d_{pm}`
    """
    m, case = pm.m, pm.case
    mats = case.materials
    ex = pm.exchanges
    reuse = sum(mats[x.material].reuse_weight * m.f[i] for i, x in enumerate(ex)
                if mats[x.material].is_byproduct and mats[x.material].reuse_weight)
    # net reuse: what a plant the model may add, close or run harder generates does not
    # count, so the park cannot raise its reuse by making by-product to reuse it
    made = 0
    if case.settings.reuse_basis == "net":
        for p in pm.plants:
            plant = case.plants[p]
            w_out = sum(mats[mn].reuse_weight * coef for mn, coef in case.process_of(p).outputs.items()
                        if mats[mn].is_byproduct and mats[mn].reuse_weight)
            if not w_out:
                continue
            if plant.is_candidate:
                made += w_out * m.a[p]
            elif plant.can_close or plant.activity_max > plant.activity_min:
                made += w_out * (m.a[p] - plant.activity_min)
    capex = (sum(case.plants[p].sizes[k].capex * m.y[p, k] for p, k in pm.sizes)
             + sum(x.capex * m.z[i] for i, x in enumerate(ex) if x.capex))  # plants and links
    capex_annual = sum(case.crf(case.plants[p].life) * case.plants[p].sizes[k].capex * m.y[p, k] for p, k in pm.sizes)
    fixed = sum(case.plants[p].fixed_cost * pm.built_expr(p) for p in pm.plants if case.plants[p].fixed_cost)
    opex = sum(case.process_of(p).operating_cost * m.a[p] for p in pm.plants if case.process_of(p).operating_cost)
    transport = sum(x.unit_cost * m.f[i] for i, x in enumerate(ex) if x.unit_cost)
    link_fixed = sum(x.fixed_cost * m.z[i] for i, x in enumerate(ex) if x.fixed_cost)
    purchases = sum(mats[mn].price * m.b[p, mn] for p, mn in pm.buy)
    sales = sum(mats[mn].sale_price * m.q[p, mn] for p, mn in pm.sell)
    disposal_cost = sum(mats[mn].disposal_cost * m.d[p, mn] for p, mn in pm.disp)
    slot_co2 = {(p, s.name, mn): c for p in pm.plants for s in case.process_of(p).slots
                for mn, (_e, _h, c) in s.options.items() if c}
    co2 = (sum(case.process_of(p).co2 * m.a[p] for p in pm.plants if case.process_of(p).co2)
           + sum(c * m.u[k] for k, c in slot_co2.items())
           + sum(mats[mn].co2_per_unit * m.b[p, mn] for p, mn in pm.buy if mats[mn].co2_per_unit))
    disposal = sum(mats[mn].reuse_weight * m.d[p, mn] for p, mn in pm.disp
                   if mats[mn].is_byproduct and mats[mn].reuse_weight)
    m.e_reuse_gross = pyo.Expression(expr=reuse)
    m.e_reuse = pyo.Expression(expr=reuse - made)
    m.e_capex = pyo.Expression(expr=capex)
    m.e_co2 = pyo.Expression(expr=co2)
    m.e_disposal = pyo.Expression(expr=disposal)
    cost = (capex_annual + fixed + opex + transport + link_fixed + purchases - sales + disposal_cost
            + case.settings.carbon_price * m.e_co2)
    m.e_cost = pyo.Expression(expr=cost)
    pm.kpi = {"reuse": m.e_reuse, "reuse_gross": m.e_reuse_gross, "cost": m.e_cost, "profit": -m.e_cost, "co2": m.e_co2,
              "disposal": m.e_disposal, "capex": m.e_capex}
    if pm.elastic:
        total = (sum(m.excess[k] for k in pm.outputs) + sum(m.short[k] for k in pm.inputs)
                 + 100 * sum(m.under[p] for p in pm.plants) + sum(m.unmet[k] for k in m.unmet.index_set()))
        m.e_slack = pyo.Expression(expr=total)


def add_limits(pm: ParkModel):
    pm.set_limits({})


# ====================================================================== infeasibility
def explain_infeasible(source: ParkModel, opts: Options | None = None) -> list[str]:
    """Name, in the park's words, why it cannot run.

    First an elastic copy of the model (same structure fixed, no limits), in which every
    balance, stated output and demand may be missed at a penalty: each one missed is a
    reason (which plant lacks which material, which by-product has nowhere to go). If the
    park runs without its limits, the limits are the cause: each is checked against the
    best the park can reach for it, and the report names the ones out of reach, with
    that best value, or says that they only fail together.
    """
    case, exchanges, limits = source.case, source.exchanges, dict(source._active_limits or {})
    pm = ParkModel(case, exchanges, elastic=True)
    fixed = {k: v.value for k, v in source.binaries().items() if v.fixed}
    for k, var in pm.binaries().items():
        if k in fixed:
            var.fix(fixed[k])
    if not source.m.force_build.active:
        pm.m.force_build.deactivate()
    pm.m.objective = pyo.Objective(expr=pm.m.e_slack, sense=pyo.minimize)
    pm._objective_name = "slack"
    diag = _diagnosis_options(source, opts)
    try:
        pm.run(diag, explain=False)
    except (InfeasibleError, SolverError):
        return ["the park cannot run as stated, and no single plant or material could be named"]
    if (pm.m.e_slack() or 0.0) <= 1e-6 and limits:
        return _explain_limits(pm, limits, diag)
    reasons: list[str] = []
    m = pm.m
    mats = case.materials

    def amount(v, unit):
        return f"{v:,.0f} {unit}/yr" if v >= 1 else f"{v:,.3g} {unit}/yr"

    for (p, mn), var in m.excess.items():
        v = var.value or 0.0
        if v > 1e-6:
            mat = mats[mn]
            ways = []
            if mat.sale_price is None:
                ways.append("it has no sale_price")
            if mat.disposal_cost is None:
                ways.append("no disposal_cost")
            takers = [x.target for x in exchanges if x.source == p and x.material == mn and not x.forbid]
            ways.append("no plant can take it" if not takers else
                        f"the plants that take it ({', '.join(sorted(set(takers)))}) cannot absorb it all")
            reasons.append(f"plant {p!r} makes {amount(v, mat.unit)} of {mn!r} that has nowhere to go: "
                           f"{'; '.join(ways)}. Give {mn!r} a disposal_cost or sale_price, add a plant that "
                           f"takes it, or lower {p!r}'s output.")
    for (p, mn), var in m.short.items():
        v = var.value or 0.0
        if v > 1e-6:
            mat = mats[mn]
            why = []
            if mat.price is None:
                why.append(f"{mn!r} cannot be bought (no price)")
            elif mat.max_purchase is not None:
                why.append(f"purchases of {mn!r} are capped at {amount(mat.max_purchase, mat.unit)}")
            suppliers = sorted({x.source for x in exchanges if x.target == p and x.material == mn and not x.forbid})
            why.append("no plant in reach supplies it" if not suppliers else
                       f"its suppliers ({', '.join(suppliers)}) cannot send enough")
            reasons.append(f"plant {p!r} lacks {amount(v, mat.unit)} of {mn!r}: {'; '.join(why)}. "
                           f"Give {mn!r} a price, add a supplier, or lower {p!r}'s output.")
    for p, var in m.under.items():
        v = var.value or 0.0
        if v > 1e-6:
            plant = case.plants[p]
            unit = case.processes[plant.process].activity_unit
            reasons.append(f"existing plant {p!r} cannot run at its stated output "
                           f"({amount(plant.activity_min, unit)}); it falls short by {amount(v, unit)}.")
    for mn, var in m.unmet.items():
        v = var.value or 0.0
        if v > 1e-6:
            mat = mats[mn]
            reasons.append(f"the park must sell {amount(mat.min_sale, mat.unit)} of {mn!r} but falls short by "
                           f"{amount(v, mat.unit)}.")
    reasons += policy_reasons(pm)
    if not reasons:
        reasons.append("a forced plant or exchange cannot be used as stated; check 'force' entries")
    return reasons
