r"""The solver object: one HiGHS instance that owns a model's solver state.

:class:`HighsSolver` hands a Pyomo model to HiGHS in memory and keeps what it handed over:
the HiGHS object, the columns (Pyomo variables in column order), the rows (which
constraint each row comes from), the scaling of each row and of the objective, the
tolerances and the warm start. The first hand-off compiles the whole model with Pyomo's
LinearStandardFormCompiler and passes it with ``Highs.passModel``. Every later hand-off
of the same model is *in place*: what changed since the last one is found and sent to
the same HiGHS object through highspy,

- column bounds (fixed and released decisions, bound changes) with ``changeColsBounds``,
- integrality (restored after the polish) with ``changeColsIntegrality``,
- rows of constraints deactivated or deleted with ``deleteRows``; rows of constraints
  added or activated (cuts, limits, bounds on a KPI) with ``addRows``,
- a new objective with ``changeColsCost``, ``changeObjectiveOffset`` and
  ``changeObjectiveSense``,

so a re-solve after a bound change or an added cut costs a few array updates instead of
a recompile of the whole model (benchmarks/resolve_bench.py measures both).

The model is compiled again, whole, only when the in-place update cannot describe the
change exactly: a variable fixed at the first compile (a constant in HiGHS) released or
given another value; a variable that is not a column appearing in a new row or the
objective; a nonlinear term. Decisions are therefore best fixed through column bounds
(:meth:`symbiosis.model.ParkModel.fix`), which keep the variable a column. Constraints
are identified by their Pyomo object: a constraint is never changed in place (no mutable
parameters), it is deleted and added again.

Scaling comes from the case's own magnitudes: each row is multiplied by a power of two
near the geometric mean of its largest and smallest coefficient, and the objective
likewise (``objective_scale``); values and bounds are reported unscaled.
"""
from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

#: coefficients of one objective or one row spanning more than this (largest / smallest
#: magnitude) are reported as a numerical warning, naming the entries
WIDE_RANGE = 1e9


@dataclass
class HandOff:
    """What one hand-off did: ``compiled`` (whole model) or ``in place``, with counts."""

    mode: str = "compiled"
    seconds: float = 0.0
    rows_added: int = 0
    rows_deleted: int = 0
    objective_changed: bool = False
    reason: str = ""


class HighsSolver:
    """One HiGHS instance for one Pyomo model, updated in place between solves.

    ``words`` names a column in the park's words (for the numerical warnings).

    Examples
    --------
    >>> import pyomo.environ as pyo
    >>> m = pyo.ConcreteModel()
    >>> m.x = pyo.Var(bounds=(0, 4)); m.y = pyo.Var(domain=pyo.Binary)
    >>> m.c = pyo.Constraint(expr=m.x <= 3 * m.y)
    >>> m.objective = pyo.Objective(expr=m.x - m.y, sense=pyo.maximize)
    >>> s = HighsSolver()
    >>> h, cols = s.load(m)
    >>> _ = h.run(); round(h.getInfo().objective_function_value, 6)
    2.0
    >>> m.y.setub(0); h, cols = s.load(m); s.last.mode
    'in place'
    >>> _ = h.run(); round(h.getInfo().objective_function_value, 6)
    0.0
    """

    def __init__(self, words=str):
        self.words = words
        self.highs = None
        self.columns: list = []
        self.col_of: dict[int, int] = {}
        self.rows: list = []              # constraint data object of each HiGHS row, in order
        self.row_scale = np.ones(0)
        self.objective_scale = 1.0
        self.is_mip = False
        self.range_notes: list[str] = []
        self.last = HandOff()
        self.compiles = 0
        self.updates = 0
        self._model = None
        self._comps: dict = {}            # id -> (constraint component, its length) handed over
        self._row_comp: list[int] = []    # id of the component of each row
        self._col_state: list = []
        self._fixed: list = []            # (var, value) of variables that are constants in HiGHS
        self._objective = None            # the Pyomo objective data object handed over
        self._integer = np.zeros(0, dtype=bool)
        self._integrality_dirty = False

    # ------------------------------------------------------------------ public
    def load(self, m, *, time_limit: float = 1e30, mip_gap: float = 1e-4, mip_abs_gap: float = 0.0,
             threads: int | None = None, tight: bool = False, verbose: bool = False, force_compile: bool = False):
        """Bring HiGHS up to date with the model ``m`` (in place where possible) and set the
        options for the next run. Returns ``(highs, columns)``.

        Raises pyomo's ``InfeasibleConstraintException`` when a constraint is infeasible
        with its variables fixed (the compiler finds it before HiGHS runs)."""
        t0 = time.perf_counter()
        reason = ""
        if self.highs is None or m is not self._model:
            reason = "first hand-off"
        elif force_compile:
            reason = "asked for"
        if not reason:
            reason = self._update(m)
        if reason:
            self._compile(m)
            self.last = HandOff("compiled", reason=reason)
            self.compiles += 1
        else:
            self.updates += 1
        self._options(time_limit=time_limit, mip_gap=mip_gap, mip_abs_gap=mip_abs_gap, threads=threads,
                      tight=tight, verbose=verbose)
        self.last.seconds = time.perf_counter() - t0
        return self.highs, self.columns

    def set_start(self, values) -> bool:
        """Give HiGHS a MIP start (values in column order); False when none was given."""
        import highspy
        if not self.is_mip or not len(self.columns):
            return False
        start = highspy.HighsSolution()
        start.col_value = list(values)
        start.value_valid = True
        self.highs.setSolution(start)
        return True

    def mark_polished(self):
        """The polish changed integrality and bounds of the binaries on the HiGHS object:
        the next hand-off restores them."""
        self._integrality_dirty = True

    def integer_columns(self) -> np.ndarray:
        return np.flatnonzero(self._integer).astype(np.int32)

    # ------------------------------------------------------------------ whole compile
    def _compile(self, m):
        import highspy
        import pyomo.environ as pyo
        from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

        repn = LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=None)
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
        self.range_notes = _range_notes(A, c, repn, name=self.words)
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
        integer = np.fromiter((v.is_integer() for v in cols), dtype=bool, count=n)
        self._integer = integer
        self.is_mip = bool(integer.any())
        if self.is_mip:
            lp.integrality_ = [highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous
                               for k in integer]
        objs = repn.objectives
        if objs and objs[0].sense == pyo.maximize:
            lp.sense_ = highspy.ObjSense.kMaximize
        h = self.highs if self.highs is not None else _new_highs()
        h.passModel(lp)
        self.highs, self.columns, self._model = h, cols, m
        self.col_of = {id(v): j for j, v in enumerate(cols)}
        self._col_state = _col_state(cols)
        self.rows = [r.constraint for r in repn.rows]
        self._comps = {id(c): (c, len(c)) for c in m.component_objects(pyo.Constraint, active=True, descend_into=True)}
        self._row_comp = [id(r.parent_component()) for r in self.rows]
        self._objective = objs[0] if objs else None
        self._fixed = [(v, v.value) for v in m.component_data_objects(pyo.Var, descend_into=True) if v.fixed]
        self._integrality_dirty = False

    # ------------------------------------------------------------------ in place
    def _update(self, m) -> str:
        """Send what changed since the last hand-off to HiGHS; return "" when done, or the
        reason why the model must be compiled again (nothing sent then)."""
        import highspy
        import pyomo.environ as pyo

        for v, value in self._fixed:
            if not v.fixed or v.value != value:
                return f"{v.name} was a constant in HiGHS and is now {'released' if not v.fixed else 'changed'}"
        cols = self.columns
        n = len(cols)
        inf = highspy.kHighsInf
        # columns whose bounds, fixing or domain changed since the last hand-off (read from
        # a snapshot, not from every variable's bounds)
        state = _col_state(cols)
        changed = [j for j, (a, b) in enumerate(zip(state, self._col_state)) if a != b]
        if self._integrality_dirty:  # the polish fixed and relaxed the binaries on HiGHS
            changed = sorted(set(changed).union(self.integer_columns().tolist()))
        any_fixed = any(st[2] for st in state)
        # rows: constraint components gone (deleted or deactivated), new (or activated), or
        # grown and shrunk (a ConstraintList of cuts)
        now = {id(c): c for c in m.component_objects(pyo.Constraint, active=True, descend_into=True)}
        gone_comps = {k for k in self._comps if k not in now}
        added = []
        for k, comp in now.items():
            known = self._comps.get(k)
            if known is None:
                added += [d for d in comp.values() if d.active]
            elif len(comp) != known[1]:
                have = {id(self.rows[j]) for j, rc in enumerate(self._row_comp) if rc == k}
                data = {id(d): d for d in comp.values() if d.active}
                added += [d for i, d in data.items() if i not in have]
                gone_comps.add(("data", k, frozenset(i for i in have if i not in data)))
        gone_data = set()
        for g in [g for g in gone_comps if isinstance(g, tuple)]:
            gone_comps.discard(g)
            gone_data |= g[2]
        gone = [j for j, (c, rc) in enumerate(zip(self.rows, self._row_comp))
                if rc in gone_comps or (gone_data and id(c) in gone_data)]
        objs = list(m.component_data_objects(pyo.Objective, active=True, descend_into=True))
        objective = objs[0] if objs else None
        new_objective = objective is not self._objective
        if (added or new_objective) and any_fixed:
            return "a column variable is fixed while a row or the objective changes (fix by bounds instead)"
        new_rows = []
        new_fixed = []
        for con in added:
            row = self._linear(con.body)
            if isinstance(row, str):
                return f"constraint {con.name}: {row}"
            idx, val, const, fixed = row
            lo = -inf if con.lower is None else float(pyo.value(con.lower)) - const
            hi = inf if con.upper is None else float(pyo.value(con.upper)) - const
            new_rows.append((con, idx, val, lo, hi))
            new_fixed += fixed
        if new_objective:
            if objective is None:
                c_vec, offset, sense = np.zeros(n), 0.0, pyo.minimize
            else:
                row = self._linear(objective.expr)
                if isinstance(row, str):
                    return f"objective: {row}"
                idx, val, offset, fixed = row
                new_fixed += fixed
                c_vec = np.zeros(n)
                np.add.at(c_vec, idx, val)
                sense = objective.sense
        # everything is describable in place: send it
        h = self.highs
        hand = HandOff("in place")
        if gone:
            keep = np.ones(len(self.rows), dtype=bool)
            keep[gone] = False
            h.deleteRows(len(gone), np.asarray(gone, dtype=np.int32))
            self.rows = [c for c, k in zip(self.rows, keep) if k]
            self._row_comp = [rc for rc, k in zip(self._row_comp, keep) if k]
            self.row_scale = self.row_scale[keep]
            hand.rows_deleted = len(gone)
        if new_rows:
            lows, ups, starts, index, value, scales = [], [], [], [], [], []
            nz = 0
            for con, idx, val, lo, hi in new_rows:
                s = _pow2_scale(val) if len(val) else 1.0
                starts.append(nz)
                index.append(idx)
                value.append(val * s)
                nz += len(idx)
                lows.append(lo * s if math.isfinite(lo) else -inf)
                ups.append(hi * s if math.isfinite(hi) else inf)
                scales.append(s)
                self.rows.append(con)
                self._row_comp.append(id(con.parent_component()))
            h.addRows(len(new_rows), np.asarray(lows), np.asarray(ups), nz, np.asarray(starts, dtype=np.int32),
                      np.concatenate(index).astype(np.int32) if nz else np.zeros(0, dtype=np.int32),
                      np.concatenate(value) if nz else np.zeros(0))
            self.row_scale = np.concatenate([self.row_scale, np.asarray(scales)])
            hand.rows_added = len(new_rows)
        self._comps = {k: (c, len(c)) for k, c in now.items()}
        if changed:
            idx = np.asarray(changed, dtype=np.int32)
            lower, upper = np.empty(len(idx)), np.empty(len(idx))
            for k, j in enumerate(changed):
                v = cols[j]
                if v.fixed:
                    lower[k] = upper[k] = v.value
                else:
                    lb, ub = v.lb, v.ub
                    lower[k] = -inf if lb is None else lb
                    upper[k] = inf if ub is None else ub
            h.changeColsBounds(len(idx), idx, lower, upper)
            integer = np.fromiter((cols[j].is_integer() for j in changed), dtype=bool, count=len(idx))
            if self._integrality_dirty or not np.array_equal(integer, self._integer[idx]):
                kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
                h.changeColsIntegrality(len(idx), idx, np.array([kinds[int(k)] for k in integer]))
                self._integer[idx] = integer
                self.is_mip = bool(self._integer.any())
        self._col_state = state
        self._integrality_dirty = False
        all_cols = np.arange(n, dtype=np.int32)
        if new_objective:
            scale = _pow2_scale(c_vec)
            self.objective_scale = scale
            if n:
                h.changeColsCost(n, all_cols, c_vec * scale)
            h.changeObjectiveOffset(offset * scale)
            h.changeObjectiveSense(highspy.ObjSense.kMaximize if sense == pyo.maximize
                                   else highspy.ObjSense.kMinimize)
            self._objective = objective
            hand.objective_changed = True
            self.range_notes = [s for s in self.range_notes if not s.startswith("objective")] + \
                _range_notes(None, c_vec, None, columns=cols, name=self.words)
        self._fixed += new_fixed
        # forget the last solve's basis and solution (the polish's LP): the next run starts
        # as on a new object, so its time and path do not depend on the solves before it
        h.clearSolver()
        self.last = hand
        return ""

    def _linear(self, expr):
        """(column indices, coefficients, constant, newly constant variables) of a linear
        expression, or the reason it cannot be sent in place."""
        from pyomo.repn.standard_repn import generate_standard_repn
        repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
        if repn.nonlinear_expr is not None:
            return "not linear"
        idx = np.empty(len(repn.linear_vars), dtype=np.int64)
        for k, v in enumerate(repn.linear_vars):
            j = self.col_of.get(id(v))
            if j is None:
                return f"{v.name} is not a column of the HiGHS model"
            idx[k] = j
        val = np.asarray(repn.linear_coefs, dtype=float)
        const = float(repn.constant)
        # variables folded into the constant must stay fixed at that value
        fixed = []
        if const:
            for v in _fixed_vars(expr):
                if id(v) not in self.col_of:
                    fixed.append((v, v.value))
        if len(idx):
            # merge repeated columns
            order = np.argsort(idx, kind="stable")
            idx, val = idx[order], val[order]
            uniq, first = np.unique(idx, return_index=True)
            if len(uniq) < len(idx):
                val = np.add.reduceat(val, first)
                idx = uniq
        return idx, val, const, fixed

    # ------------------------------------------------------------------ options
    def _options(self, *, time_limit, mip_gap, mip_abs_gap, threads, tight, verbose):
        h = self.highs
        h.resetOptions()
        h.setOptionValue("output_flag", bool(verbose))
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.setOptionValue("mip_abs_gap", float(mip_abs_gap) * self.objective_scale)
        h.setOptionValue("random_seed", 1)
        if tight:
            h.setOptionValue("mip_feasibility_tolerance", 1e-9)
            h.setOptionValue("primal_feasibility_tolerance", 1e-9)
            h.setOptionValue("dual_feasibility_tolerance", 1e-9)
        if threads:
            h.setOptionValue("threads", int(threads))


def _col_state(cols) -> list:
    """What decides a column's bounds and type, per column: compared between hand-offs to
    find the columns that changed (Pyomo's own slots where present, as they are ~10x
    faster to read than the bound properties)."""
    try:
        return [(v._lb, v._ub, v._fixed, v._domain, v._value if v._fixed else None) for v in cols]
    except AttributeError:  # another Pyomo layout: the public properties
        return [(v.lb, v.ub, v.fixed, v.domain, v.value if v.fixed else None) for v in cols]


def _fixed_vars(expr):
    from pyomo.core.expr.visitor import identify_variables
    return [v for v in identify_variables(expr, include_fixed=True) if v.fixed]


# ====================================================================== scaling
def _pow2_scale(values) -> float:
    """A power of two that brings the geometric mean of the largest and smallest nonzero
    magnitude of ``values`` to about 1 (1.0 when all are zero). Powers of two scale
    exactly in binary floating point, so scaling changes no digit of the data."""
    a = np.abs(np.asarray(values, dtype=float))
    a = a[np.isfinite(a) & (a > 0)]
    if not a.size:
        return 1.0
    mid = 0.5 * (math.log2(float(a.max())) + math.log2(float(a.min())))
    return float(2.0 ** (-round(mid)))


def _row_scales(A) -> np.ndarray:
    """Per row of the CSR matrix ``A``, a power of two that brings the geometric mean of
    the row's largest and smallest nonzero coefficient to about 1 (1.0 for empty rows)."""
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


def _range_notes(A, c, repn, limit: float = WIDE_RANGE, show: int = 5, name=str, columns=None) -> list[str]:
    """Warnings for the rows (and the objective) whose nonzero coefficients span more than
    ``limit`` (largest / smallest): no scaling makes both ends exact, and the solver's
    tolerances may round the small ones away. Names the constraints (they are indexed by
    plant and material), largest span first."""
    out = []
    if A is not None and A.nnz:
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
    columns = columns if columns is not None else (repn.columns if repn is not None else [])
    idx = np.flatnonzero(c) if c.size else c
    if idx.size:
        a = np.abs(c[idx])
        lo, hi = idx[np.argmin(a)], idx[np.argmax(a)]
        if a.max() / a.min() > limit:
            out.append(f"objective coefficients span {a.min():.3g} ({name(columns[lo].name)}) to {a.max():.3g} "
                       f"({name(columns[hi].name)}), more than {limit:.0e}; the smallest costs or weights may be "
                       "rounded away")
    return out


def _drop_negligible(A, rel: float = 1e-12):
    """Zero the coefficients of the CSR matrix ``A`` below ``rel`` times their row's
    largest: below any tolerance of the solver, they are rounding, not data."""
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
