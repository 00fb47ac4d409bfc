"""A second, independent formulation of the park's cost-minimising MILP, for the tests.

Written directly with ``scipy.optimize.milp`` (HiGHS through SciPy), reading only the
:class:`symbiosis.case.Case` dataclasses and the candidate exchanges of
:func:`symbiosis.graph.candidate_exchanges` (the graph layer). Nothing of
``symbiosis.model`` is imported: the variables, rows, bounds and the cost are written
again here from the case's meaning, so that a mistake (or a numerical weakness) of the
model shows up as a disagreement.

What it covers
--------------
- activity of every plant: existing plants between their stated range, closable plants
  between 0 and that range with an open binary, candidates with one binary per size,
  at most one size, ``min_load`` x capacity <= activity <= capacity, force and forbid;
- capex x CRF(life) per chosen size and ``fixed_cost`` of every running plant;
- output balances (make = sent + sold + disposed, each outlet only where the material
  has a sale price / disposal cost) and input balances (slot use = received + bought);
- input slots with options: sum_m e_m u_m = r a, e_m u_m <= share_m r a, CO2 per unit used;
- purchases, sales and disposal with prices, ``max_purchase``, ``max_sale``, ``min_sale``;
- exchanges with f <= U z (U: what the sender can make, the receiver take, the cap),
  f >= min z, z <= running(sender), z <= running(receiver), forced and forbidden links,
  fixed and per-unit (distance x transport cost) link costs;
- carbon price x CO2 (process, slot options, purchased materials);
- the case's limits on capex, new plants, CO2, disposal and cost;
- the case's policy rules (symbiosis.policy), written again from their meaning: group caps
  on capacity or output, energy caps in tce per period or per unit of each plant's product
  (inputs x factor - outputs sent on or sold x factor, primary sectors not credited), and
  regional demand caps on the summed sales of groups of materials.

The objective is scaled by the geometric mean of the case's own cost coefficients, and
the MIP gap is 0, so the answer does not depend on the size of the money unit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from symbiosis.case import Case
from symbiosis.graph import candidate_exchanges

INF = np.inf


@dataclass
class Answer:
    status: str                       # "optimal" or "infeasible" (or scipy's message)
    cost: float | None = None         # annualised cost in the case's money per period
    built: dict = field(default_factory=dict)      # plant -> size index (candidates) / True (running)
    activity: dict = field(default_factory=dict)
    flow: dict = field(default_factory=dict)       # exchange key -> flow
    co2: float | None = None

    @property
    def plants(self) -> frozenset:
        """The candidate plants built (the structure as a set of built plants)."""
        return frozenset(p for p, k in self.built.items() if k is not None and k is not False)


class _Builder:
    def __init__(self):
        self.lb, self.ub, self.integer, self.names = [], [], [], []
        self.rows, self.cols, self.vals = [], [], []
        self.row_lo, self.row_hi = [], []
        self.cost: dict[int, float] = {}

    def var(self, name, lo=0.0, hi=INF, integer=False) -> int:
        self.names.append(name)
        self.lb.append(lo)
        self.ub.append(hi)
        self.integer.append(1 if integer else 0)
        return len(self.names) - 1

    def row(self, terms: dict[int, float], lo=-INF, hi=INF):
        r = len(self.row_lo)
        for j, v in terms.items():
            if v != 0:
                self.rows.append(r)
                self.cols.append(j)
                self.vals.append(float(v))
        self.row_lo.append(lo)
        self.row_hi.append(hi)

    def add_cost(self, j: int, c: float):
        if c:
            self.cost[j] = self.cost.get(j, 0.0) + float(c)


def _crf(rate: float, life: float) -> float:
    if rate == 0:
        return 1.0 / life
    return rate / (1.0 - (1.0 + rate) ** (-life))


def _add(d: dict, j: int, v: float):
    d[j] = d.get(j, 0.0) + v


def solve_cost(case: Case, exchanges=None, *, fixed: dict | None = None, time_limit: float = 60.0) -> Answer:
    """Least annualised cost of ``case``.

    ``fixed`` fixes structural choices: candidate plant -> None (not built) or a size
    index; closable plant -> True/False (open or closed). Plants not named stay free.
    """
    if exchanges is None:
        exchanges = candidate_exchanges(case)
    fixed = fixed or {}
    unsupported = {"min_reuse", "min_reuse_rate"} & set(case.limits) or {
        k for k in case.limits if k.startswith("min_reuse_rate:")}
    if unsupported:
        raise NotImplementedError(f"limits {sorted(unsupported)} are not in the independent formulation")
    B = _Builder()
    mats, plants, s = case.materials, case.plants, case.settings
    a, y, w, built = {}, {}, {}, {}   # built[p]: {var: coef} of "p runs", or None for always
    for name, plant in plants.items():
        proc = case.processes[plant.process]
        if plant.status == "candidate":
            cap = max((sz.capacity for sz in plant.sizes), default=0.0)
            a[name] = B.var(("a", name), 0.0, 0.0 if plant.forbid else cap)
            ys = []
            for k, sz in enumerate(plant.sizes):
                lo, hi = 0.0, 0.0 if plant.forbid else 1.0
                if name in fixed:
                    lo = hi = 1.0 if fixed[name] == k else 0.0
                j = B.var(("y", name, k), lo, hi, integer=True)
                ys.append((j, sz))
                B.add_cost(j, _crf(s.discount_rate, plant.life) * sz.capex)
            y[name] = ys
            built[name] = {j: 1.0 for j, _ in ys}
            B.row({j: 1.0 for j, _ in ys}, hi=1.0)
            if plant.force:
                B.row({j: 1.0 for j, _ in ys}, lo=1.0, hi=1.0)
            # min_load K y <= a <= K y
            B.row({a[name]: 1.0, **{j: -sz.capacity for j, sz in ys}}, hi=0.0)
            if plant.min_load > 0:
                B.row({a[name]: 1.0, **{j: -plant.min_load * sz.capacity for j, sz in ys}}, lo=0.0)
        elif plant.can_close:
            lo, hi = 0.0, 1.0
            if name in fixed:
                lo = hi = 1.0 if fixed[name] else 0.0
            w[name] = B.var(("w", name), lo, hi, integer=True)
            a[name] = B.var(("a", name), 0.0, plant.activity_max)
            built[name] = {w[name]: 1.0}
            B.row({a[name]: 1.0, w[name]: -plant.activity_max}, hi=0.0)
            B.row({a[name]: 1.0, w[name]: -plant.activity_min}, lo=0.0)
        else:
            a[name] = B.var(("a", name), plant.activity_min, plant.activity_max)
            built[name] = None
        if plant.fixed_cost:
            if built[name] is None:
                fixed_offset = plant.fixed_cost
                B.cost.setdefault("offset", 0.0)
                B.cost["offset"] += fixed_offset
            else:
                for j in built[name]:
                    B.add_cost(j, plant.fixed_cost)
        B.add_cost(a[name], proc.operating_cost + s.carbon_price * proc.co2)

    # exchanges
    f, z = {}, {}
    out_f, in_f = {}, {}
    for i, x in enumerate(exchanges):
        src, dst = plants[x.source], plants[x.target]
        make = case.processes[src.process].outputs.get(x.material, 0.0) * src.capacity
        take = 0.0
        for slot in case.processes[dst.process].slots:
            if x.material in slot.options:
                e, h, _c = slot.options[x.material]
                take += h * slot.amount * dst.capacity / e
        U = min(make, take, x.max if x.max is not None else INF)
        U = max(U, 0.0)
        zlo, zhi = 0.0, 1.0
        if x.forbid or U <= 0:
            zhi = 0.0
        elif x.force:
            zlo = 1.0
        f[i] = B.var(("f", *x.key), 0.0, U)
        z[i] = B.var(("z", *x.key), zlo, zhi, integer=True)
        B.row({f[i]: 1.0, z[i]: -U}, hi=0.0)
        if x.min:
            B.row({f[i]: 1.0, z[i]: -x.min}, lo=0.0)
        for who in (x.source, x.target):
            if built[who] is not None:
                B.row({z[i]: 1.0, **{j: -1.0 for j in built[who]}}, hi=0.0)
        B.add_cost(f[i], x.transport_cost * x.distance)
        B.add_cost(z[i], x.fixed_cost)
        out_f.setdefault((x.source, x.material), []).append(f[i])
        in_f.setdefault((x.target, x.material), []).append(f[i])

    # slots, purchases, input balances
    buys, sells, disps = {}, {}, {}
    uses, dvar = {}, {}
    for name, plant in plants.items():
        proc = case.processes[plant.process]
        use = uses[name] = {}
        for slot in proc.slots:
            terms = {a[name]: -slot.amount}
            for mname, (e, h, c) in slot.options.items():
                u = B.var(("u", name, slot.name, mname))
                use.setdefault(mname, []).append(u)
                _add(terms, u, e)
                if h < 1:
                    B.row({u: e, a[name]: -h * slot.amount}, hi=0.0)
                B.add_cost(u, s.carbon_price * c)
            B.row(terms, lo=0.0, hi=0.0)
        for mname, us in use.items():
            mat = mats[mname]
            terms = {u: 1.0 for u in us}
            for j in in_f.get((name, mname), []):
                _add(terms, j, -1.0)
            if mat.price is not None:
                b = B.var(("b", name, mname))
                buys.setdefault(mname, []).append(b)
                terms[b] = -1.0
                B.add_cost(b, mat.price + s.carbon_price * mat.co2_per_unit)
            B.row(terms, lo=0.0, hi=0.0)
        for mname, coef in proc.outputs.items():
            mat = mats[mname]
            terms = {a[name]: coef}
            for j in out_f.get((name, mname), []):
                _add(terms, j, -1.0)
            if mat.sale_price is not None:
                q = B.var(("q", name, mname))
                sells.setdefault(mname, []).append(q)
                terms[q] = -1.0
                B.add_cost(q, -mat.sale_price)
            if mat.disposal_cost is not None:
                d = B.var(("d", name, mname))
                disps.setdefault(mname, []).append((d, mat))
                dvar[(name, mname)] = d
                terms[d] = -1.0
                B.add_cost(d, mat.disposal_cost)
            B.row(terms, lo=0.0, hi=0.0)
    for mname, mat in mats.items():
        if mat.max_purchase is not None and mname in buys:
            B.row({b: 1.0 for b in buys[mname]}, hi=mat.max_purchase)
        if mat.max_sale is not None and mname in sells:
            B.row({q: 1.0 for q in sells[mname]}, hi=mat.max_sale)
        if mat.min_sale:
            if mname not in sells:
                return Answer("infeasible")
            B.row({q: 1.0 for q in sells[mname]}, lo=mat.min_sale)

    # policy rules
    pol = getattr(case, "policy", None)
    if pol:
        for g in pol.groups:
            terms, const = {}, 0.0
            for p in g.plants:
                plant = plants[p]
                if g.basis == "output":
                    _add(terms, a[p], 1.0)
                elif p in y:
                    for j, sz in y[p]:
                        _add(terms, j, sz.capacity)
                elif p in w:
                    _add(terms, w[p], plant.activity_max)
                else:
                    const += plant.activity_max
            if not terms:
                if const > g.max + 1e-9:
                    return Answer("infeasible")
                continue
            B.row(terms, hi=g.max - const)

        def energy_terms(names) -> dict:
            terms = {}
            for p in names:
                proc = case.processes[plants[p].process]
                for mn, fac in pol.factors.items():
                    for u in uses[p].get(mn, []):
                        _add(terms, u, fac)
                    if mn in proc.outputs and proc.sector not in pol.primary:
                        _add(terms, a[p], -fac * proc.outputs[mn])
                        if (p, mn) in dvar:
                            _add(terms, dvar[(p, mn)], fac)
            return terms
        for r in pol.energy:
            if r.per_unit:
                for p in r.plants:
                    terms = energy_terms([p])
                    _add(terms, a[p], -r.max)
                    B.row(terms, hi=0.0)
            else:
                B.row(energy_terms(r.plants), hi=r.max)
        for r in pol.markets:
            B.row({q: 1.0 for mn in r.materials for q in sells.get(mn, [])}, hi=r.max)

    # limits
    lim = case.limits
    if lim.get("capex") is not None:
        terms = {j: sz.capex for ys in y.values() for j, sz in ys}
        for i, x in enumerate(exchanges):
            if x.capex:
                _add(terms, z[i], x.capex)
        B.row(terms, hi=lim["capex"])
    if lim.get("new_plants") is not None:
        B.row({j: 1.0 for ys in y.values() for j, _ in ys}, hi=lim["new_plants"])
    if lim.get("disposal") is not None:
        B.row({d: m.reuse_weight for ds in disps.values() for d, m in ds if m.is_byproduct and m.reuse_weight},
              hi=lim["disposal"])
    co2_terms = {}
    for name, plant in plants.items():
        proc = case.processes[plant.process]
        if proc.co2:
            _add(co2_terms, a[name], proc.co2)
    for k, j in enumerate(B.names):
        if j[0] == "u":
            c = case.processes[plants[j[1]].process]
            c = next(sl for sl in c.slots if sl.name == j[2]).options[j[3]][2]
            if c:
                _add(co2_terms, k, c)
        elif j[0] == "b" and mats[j[2]].co2_per_unit:
            _add(co2_terms, k, mats[j[2]].co2_per_unit)
    if lim.get("co2") is not None:
        B.row(co2_terms, hi=lim["co2"])
    offset = B.cost.pop("offset", 0.0)
    n = len(B.names)
    c = np.zeros(n)
    for j, v in B.cost.items():
        c[j] = v
    if lim.get("cost") is not None:
        B.row({j: v for j, v in B.cost.items()}, hi=lim["cost"] - offset)

    # solve, with the objective scaled by the case's own cost coefficients: their geometric
    # mean (log-centre), so neither the largest price nor the smallest transport cost falls
    # outside the solver's tolerances (HiGHS's dual feasibility tolerance is 1e-7)
    nz = np.abs(c[c != 0])
    scale = float(np.exp(np.mean(np.log(nz)))) if len(nz) else 1.0
    A = coo_matrix((B.vals, (B.rows, B.cols)), shape=(len(B.row_lo), n)).tocsr()
    cons = [LinearConstraint(A, np.array(B.row_lo), np.array(B.row_hi))] if B.row_lo else []
    res = milp(c / scale, constraints=cons, integrality=np.array(B.integer), bounds=Bounds(B.lb, B.ub),
               options={"mip_rel_gap": 0.0, "time_limit": time_limit, "presolve": True})
    if res.status == 2:
        return Answer("infeasible")
    if res.status != 0 or res.x is None:
        return Answer(f"failed: {res.message}")
    xv = res.x
    # recompute the cost from the solution's values (not the solver's objective)
    cost = float(np.dot(c, xv)) + offset
    out = Answer("optimal", cost=cost, co2=float(sum(v * xv[j] for j, v in co2_terms.items())))
    for name in plants:
        out.activity[name] = float(xv[a[name]])
        if name in y:
            chosen = [k for k, (j, _) in enumerate(y[name]) if xv[j] > 0.5]
            out.built[name] = chosen[0] if chosen else None
        elif name in w:
            out.built[name] = bool(xv[w[name]] > 0.5)
    for i, x in enumerate(exchanges):
        out.flow[x.key] = float(xv[f[i]]) if xv[z[i]] > 0.5 else 0.0
    return out


def enumerate_structures(case: Case, exchanges=None) -> dict[frozenset, float]:
    """Brute force: every build pattern of the candidate plants (each not built or built
    in one of its sizes), each solved with the pattern fixed. Returns
    {frozenset of (plant, size) built: least cost} for the feasible patterns."""
    import itertools
    if exchanges is None:
        exchanges = candidate_exchanges(case)
    cands = [p for p, pl in case.plants.items() if pl.is_candidate and not pl.forbid]
    choices = [[None, *range(len(case.plants[p].sizes))] for p in cands]
    out = {}
    for combo in itertools.product(*choices):
        fix = dict(zip(cands, combo))
        if any(case.plants[p].force and k is None for p, k in fix.items()):
            continue
        ans = solve_cost(case, exchanges, fixed=fix)
        if ans.status == "optimal":
            out[frozenset((p, k) for p, k in fix.items() if k is not None)] = ans.cost
    return out


def irredundant(patterns: dict[frozenset, float], rtol: float = 1e-9) -> dict[frozenset, float]:
    """The patterns from which no built plant can be dropped without raising the cost or
    making the park infeasible: no unit in them is idle (a unit whose output only goes to
    disposal can be dropped, saving its fixed cost). These are the solution structures a
    P-graph n-best list counts."""
    out = {}
    for pat, cost in patterns.items():
        ok = True
        for item in pat:
            sub = pat - {item}
            if sub in patterns and patterns[sub] <= cost + rtol * max(1.0, abs(cost)):
                ok = False
                break
        if ok:
            out[pat] = cost
    return out


def idle_units(result) -> list[str]:
    """Built candidate plants none of whose output goes to another plant or a sale."""
    sent = {r.source for r in result.exchanges.itertuples() if r.flow > 1e-9}
    sold = {r.plant for r in result.market.itertuples() if r.sale > 1e-9}
    return [r.plant for r in result.plants.itertuples()
            if r.status == "candidate" and r.built and r.plant not in sent | sold]
