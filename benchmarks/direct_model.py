"""A straightforward formulation of symbiosis's MILP, written directly for highspy from
numpy arrays: the reference the peer benchmark compares symbiosis with.

Same variables as symbiosis/model.py (a, y, w, f, z, u, b, q, d), same data (the loaded
Case and the exchange list of ``symbiosis.graph.candidate_exchanges``), same cost
objective in M CNY. Rows: output and input balances, slots and option shares, f <= U z
(and f >= L z where an exchange has a min), capacity a <= sum K y (and the min load),
one size per candidate, open/close of closable plants, forced plants, market caps and
demands. No rows tie exchanges to the binaries of their plants (z <= built): a closed
plant has a = 0, so its outputs, slot use and hence every flow on its exchanges are zero
through the balances, and an exchange it opens carries nothing.
"""
from __future__ import annotations

import time
from collections import defaultdict

import numpy as np

SCALE = 1e-6  # money in M CNY, as symbiosis.model.SCALE["cost"]


class DirectModel:
    """Build with ``DirectModel(case, exchanges)``, then ``solve()``. ``timings`` holds
    build, handoff (passModel) and solve (HiGHS run) seconds."""

    def __init__(self, case, exchanges):
        t0 = time.perf_counter()
        self.case, self.exchanges = case, exchanges
        self._build()
        self.timings = {"build": time.perf_counter() - t0}
        self.highs = None

    # ------------------------------------------------------------------ columns
    def _build(self):
        case = self.case
        mats = case.materials
        plants = list(case.plants)
        self.plants = plants
        P = {p: i for i, p in enumerate(plants)}
        cand = [p for p in plants if case.plants[p].is_candidate]
        clos = [p for p in plants if not case.plants[p].is_candidate and case.plants[p].can_close]
        sizes = [(p, k) for p in cand for k in range(len(case.plants[p].sizes))]
        outputs = [(p, m) for p in plants for m in case.process_of(p).outputs]
        inputs = [(p, m) for p in plants for m in sorted(case.process_of(p).input_materials())]
        uses = [(p, s.name, m) for p in plants for s in case.process_of(p).slots for m in s.options]
        buy = [(p, m) for p, m in inputs if mats[m].price is not None]
        sell = [(p, m) for p, m in outputs if mats[m].sale_price is not None]
        disp = [(p, m) for p, m in outputs if mats[m].disposal_cost is not None]
        nX = len(self.exchanges)
        # column offsets
        off = {}
        n = 0
        for name, count in (("a", len(plants)), ("y", len(sizes)), ("w", len(clos)), ("f", nX), ("z", nX),
                            ("u", len(uses)), ("b", len(buy)), ("q", len(sell)), ("d", len(disp))):
            off[name] = n
            n += count
        self.off, self.n = off, n
        self.sizes, self.closable = sizes, clos
        Y = {key: off["y"] + i for i, key in enumerate(sizes)}
        W = {p: off["w"] + i for i, p in enumerate(clos)}
        Ucol = {key: off["u"] + i for i, key in enumerate(uses)}
        Bcol = {key: off["b"] + i for i, key in enumerate(buy)}
        Qcol = {key: off["q"] + i for i, key in enumerate(sell)}
        Dcol = {key: off["d"] + i for i, key in enumerate(disp)}
        lo, up = np.zeros(n), np.full(n, np.inf)
        integer = np.zeros(n, dtype=bool)
        cost = np.zeros(n)
        offset = 0.0
        carbon = case.settings.carbon_price
        for i, p in enumerate(plants):
            pl = case.plants[p]
            proc = case.process_of(p)
            if pl.is_candidate:
                lo[i], up[i] = 0.0, 0.0 if pl.forbid else pl.capacity
            else:
                lo[i], up[i] = (0.0 if pl.can_close else pl.activity_min), pl.activity_max
            cost[i] = proc.operating_cost + carbon * proc.co2
            if pl.fixed_cost:
                if pl.is_candidate:
                    for k in range(len(pl.sizes)):
                        cost[Y[(p, k)]] += pl.fixed_cost
                elif pl.can_close:
                    cost[W[p]] += pl.fixed_cost
                else:
                    offset += pl.fixed_cost
        for (p, k), c in Y.items():
            pl = case.plants[p]
            up[c] = 0.0 if pl.forbid else 1.0
            integer[c] = True
            cost[c] += case.crf(pl.life) * pl.sizes[k].capex
        for p, c in W.items():
            up[c], integer[c] = 1.0, True
        # exchanges: bounds U as symbiosis (what i can make, what j can take, the cap)
        src = np.array([P[x.source] for x in self.exchanges], dtype=np.int64)
        dst = np.array([P[x.target] for x in self.exchanges], dtype=np.int64)
        U = np.empty(nX)
        for i, x in enumerate(self.exchanges):
            s, t = case.plants[x.source], case.plants[x.target]
            u = min(case.processes[s.process].outputs.get(x.material, 0.0) * s.capacity,
                    case.processes[t.process].max_intake(x.material, t.capacity))
            if x.max is not None:
                u = min(u, x.max)
            U[i] = max(0.0, u)
        self.U = U
        fc, zc = off["f"] + np.arange(nX), off["z"] + np.arange(nX)
        up[fc] = U
        integer[zc] = True
        up[zc] = 1.0
        forbid = np.array([x.forbid for x in self.exchanges], dtype=bool) | (U <= 0)
        force = np.array([x.force for x in self.exchanges], dtype=bool) & ~forbid
        up[zc[forbid]] = 0.0
        lo[zc[force]] = 1.0
        cost[fc] = [x.unit_cost for x in self.exchanges]
        cost[zc] = [x.fixed_cost for x in self.exchanges]
        for key, c in Bcol.items():
            cost[c] = mats[key[1]].price + carbon * mats[key[1]].co2_per_unit
        for key, c in Qcol.items():
            cost[c] = -mats[key[1]].sale_price
        for key, c in Dcol.items():
            cost[c] = mats[key[1]].disposal_cost
        # ------------------------------------------------------------------ rows
        R, C, V, rlo, rup = [], [], [], [], []
        nrow = 0

        def row(cols, vals, lower, upper):
            nonlocal nrow
            R.extend([nrow] * len(cols))
            C.extend(cols)
            V.extend(vals)
            rlo.append(lower)
            rup.append(upper)
            nrow += 1
            return nrow - 1

        # output balances: o a - sum f_out - q - d = 0 (flows added below, vectorised)
        out_row = {}
        for p, m in outputs:
            cols, vals = [P[p]], [case.process_of(p).outputs[m]]
            if (p, m) in Qcol:
                cols.append(Qcol[(p, m)])
                vals.append(-1.0)
            if (p, m) in Dcol:
                cols.append(Dcol[(p, m)])
                vals.append(-1.0)
            out_row[(p, m)] = row(cols, vals, 0.0, 0.0)
        in_row = {}
        for p, m in inputs:
            cols, vals = [], []
            for s in case.process_of(p).slots:
                if m in s.options:
                    cols.append(Ucol[(p, s.name, m)])
                    vals.append(1.0)
            if (p, m) in Bcol:
                cols.append(Bcol[(p, m)])
                vals.append(-1.0)
            in_row[(p, m)] = row(cols, vals, 0.0, 0.0)
        ro = np.array([out_row[(x.source, x.material)] for x in self.exchanges], dtype=np.int64)
        ri = np.array([in_row[(x.target, x.material)] for x in self.exchanges], dtype=np.int64)
        # slots and shares
        for p in plants:
            for s in case.process_of(p).slots:
                cols = [Ucol[(p, s.name, m)] for m in s.options] + [P[p]]
                vals = [e for (e, _h, _c) in s.options.values()] + [-s.amount]
                row(cols, vals, 0.0, 0.0)
                for m, (e, h, c) in s.options.items():
                    if carbon and c:
                        cost[Ucol[(p, s.name, m)]] += carbon * c
                    if h < 1:
                        row([Ucol[(p, s.name, m)], P[p]], [e, -h * s.amount], -np.inf, 0.0)
        # capacity of candidates, min load, one size, forced
        for p in cand:
            pl = case.plants[p]
            ks = [Y[(p, k)] for k in range(len(pl.sizes))]
            caps = [s.capacity for s in pl.sizes]
            row([P[p]] + ks, [1.0] + [-c for c in caps], -np.inf, 0.0)
            if pl.min_load > 0:
                row([P[p]] + ks, [1.0] + [-pl.min_load * c for c in caps], 0.0, np.inf)
            if len(ks) > 1:
                row(ks, [1.0] * len(ks), -np.inf, 1.0)
            if pl.force:
                row(ks, [1.0] * len(ks), 1.0, 1.0)
        for p in clos:
            pl = case.plants[p]
            row([P[p], W[p]], [1.0, -pl.activity_max], -np.inf, 0.0)
            row([P[p], W[p]], [1.0, -pl.activity_min], 0.0, np.inf)
        # market caps and demands
        by_b, by_q = defaultdict(list), defaultdict(list)
        for key, c in Bcol.items():
            by_b[key[1]].append(c)
        for key, c in Qcol.items():
            by_q[key[1]].append(c)
        for m, cols in by_b.items():
            if mats[m].max_purchase is not None:
                row(cols, [1.0] * len(cols), -np.inf, mats[m].max_purchase)
        for m, cols in by_q.items():
            if mats[m].max_sale is not None:
                row(cols, [1.0] * len(cols), -np.inf, mats[m].max_sale)
        for m, mat in mats.items():
            if mat.min_sale:
                cols = by_q.get(m, [])
                row(cols, [1.0] * len(cols), mat.min_sale, np.inf)
        # exchange links f - U z <= 0, f - L z >= 0 (vectorised)
        link0 = nrow
        nrow += nX
        mins = [(i, x.min) for i, x in enumerate(self.exchanges) if x.min]
        minrows = np.arange(nrow, nrow + len(mins))
        nrow += len(mins)
        rlo = np.concatenate([np.array(rlo, dtype=float), np.full(nX, -np.inf), np.zeros(len(mins))])
        rup = np.concatenate([np.array(rup, dtype=float), np.zeros(nX), np.full(len(mins), np.inf)])
        mi = np.array([i for i, _ in mins], dtype=np.int64)
        ml = np.array([v for _, v in mins], dtype=float)
        rows = np.concatenate([np.array(R, dtype=np.int64), ro, ri, link0 + np.arange(nX), link0 + np.arange(nX),
                               minrows, minrows])
        cols = np.concatenate([np.array(C, dtype=np.int64), fc, fc, fc, zc, fc[mi], zc[mi]])
        vals = np.concatenate([np.array(V, dtype=float), -np.ones(nX), -np.ones(nX), np.ones(nX), -U,
                               np.ones(len(mi)), -ml])
        from scipy.sparse import coo_matrix
        A = coo_matrix((vals, (rows, cols)), shape=(nrow, n)).tocsc()
        A.sum_duplicates()
        self.A, self.row_lower, self.row_upper = A, rlo, rup
        self.col_lower, self.col_upper, self.integer = lo, up, integer
        self.cost, self.offset = cost * SCALE, offset * SCALE
        self.src, self.dst = src, dst
        self.P = P
        self.cand, self.Y, self.W = cand, Y, W

    @property
    def n_rows(self) -> int:
        return self.A.shape[0]

    @property
    def nnz(self) -> int:
        return self.A.nnz

    # ------------------------------------------------------------------ solve
    def to_highs(self, *, time_limit=120.0, mip_gap=0.01, threads=1, integer=True, fix=None):
        """Pass the model to a new Highs object. ``integer=False``: the LP relaxation;
        ``fix``: {column: value} for binaries held fixed (the column becomes continuous)."""
        import highspy
        t0 = time.perf_counter()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n, self.n_rows
        lp.col_cost_ = self.cost
        lp.offset_ = self.offset
        lo, up = self.col_lower.copy(), self.col_upper.copy()
        isint = self.integer.copy()
        if fix:
            idx = np.fromiter(fix.keys(), dtype=np.int64)
            v = np.fromiter(fix.values(), dtype=float)
            lo[idx] = v
            up[idx] = v
            isint[idx] = False
        lp.col_lower_, lp.col_upper_ = lo, up
        lp.row_lower_, lp.row_upper_ = self.row_lower, self.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = self.n, self.n_rows
        lp.a_matrix_.start_ = self.A.indptr
        lp.a_matrix_.index_ = self.A.indices
        lp.a_matrix_.value_ = self.A.data
        if integer and isint.any():
            lp.integrality_ = np.where(isint, highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous)
        from symbiosis.model import _new_highs  # a Highs object without the banner
        h = _new_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", int(threads))
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.setOptionValue("random_seed", 1)
        h.passModel(lp)
        self.timings["handoff"] = self.timings.get("handoff", 0.0) + time.perf_counter() - t0
        self.highs = h
        return h

    def solve(self, **kw) -> dict:
        h = self.to_highs(**kw)
        t0 = time.perf_counter()
        h.run()
        self.timings["solve"] = self.timings.get("solve", 0.0) + time.perf_counter() - t0
        t0 = time.perf_counter()
        info = h.getInfo()
        out = {"status": h.modelStatusToString(h.getModelStatus()),
               "objective": info.objective_function_value / SCALE,
               "bound": getattr(info, "mip_dual_bound", float("nan")) / SCALE,
               "values": np.asarray(h.getSolution().col_value)}
        self.timings["extract"] = self.timings.get("extract", 0.0) + time.perf_counter() - t0
        return out

    def network(self, values) -> dict:
        """The binaries of a solution, cleaned so that no exchange is open to a plant that
        does not run (such an exchange carries nothing): {'y': {(p, k): 0/1},
        'w': {p: 0/1}, 'z': array of 0/1}."""
        v = np.asarray(values)
        y = {key: int(round(v[c])) for key, c in self.Y.items()}
        w = {p: int(round(v[c])) for p, c in self.W.items()}
        running = np.ones(len(self.plants), dtype=bool)
        for p in self.cand:
            running[self.P[p]] = any(y[(p, k)] for k in range(len(self.case.plants[p].sizes)))
        for p, val in w.items():
            running[self.P[p]] = bool(val)
        z = np.round(v[self.off["z"]:self.off["z"] + len(self.exchanges)]).astype(int)
        dangling = (z == 1) & ~(running[self.src] & running[self.dst])
        z[dangling] = 0
        return {"y": y, "w": w, "z": z, "dangling": int(dangling.sum())}

    def fixed_columns(self, net: dict) -> dict:
        fix = {self.Y[k]: float(v) for k, v in net["y"].items()}
        fix.update({self.W[p]: float(v) for p, v in net["w"].items()})
        z0 = self.off["z"]
        fix.update({z0 + i: float(v) for i, v in enumerate(net["z"])})
        return fix


def evaluate_in_symbiosis(case, exchanges, net: dict, *, time_limit=120.0) -> float:
    """The cost of a network (binaries ``net``) in symbiosis's own model: fix its binaries
    in a ParkModel and solve the LP that is left."""
    from symbiosis.model import Options, ParkModel
    pm = ParkModel(case, exchanges)
    m = pm.m
    for (p, k), v in net["y"].items():
        m.y[p, k].fix(v)
    for p, v in net["w"].items():
        m.w[p].fix(v)
    for i, v in enumerate(net["z"]):
        if not m.z[i].fixed:
            m.z[i].fix(int(v))
    pm.set_objective("cost")
    info = pm.run(Options(time_limit=time_limit, threads=1))
    return info.objective
