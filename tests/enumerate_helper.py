"""Brute-force enumeration of every network of a small case, for checking the optimiser.

Every combination of the structural binaries is fixed in turn (a candidate plant: not
built, or built in one of its sizes; an exchange: closed or open, and open only when both
its plants run), and the rest, now a linear programme, is solved for each objective
asked. Combinations the LP finds infeasible are skipped. The binaries are tied to use
(ParkModel.tie_binaries_to_use) so that one combination is one network, as in
symbiosis.decision.

Nothing of symbiosis.decision is used here: only the model's own components.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from symbiosis.errors import InfeasibleError, SolverError
from symbiosis.model import ParkModel
from symbiosis.result import make_result

SENSE = {"reuse": "max", "cost": "min", "profit": "max", "co2": "min", "disposal": "min"}


@dataclass
class Network:
    pattern: frozenset
    values: dict = field(default_factory=dict)    # objective spec -> {kpi: value} at that objective's optimum
    results: dict = field(default_factory=dict)   # objective spec -> Result


def _choices(pm: ParkModel) -> tuple[list[list[dict]], list[tuple]]:
    """Per decision, the list of its options as {binary key: value} (pruned: no exchange
    open to a plant that does not run)."""
    bins = pm.structural_binaries()
    decisions = []
    for p in pm.candidates:
        keys = [k for k in bins if k[0] == "plant" and k[1] == p]
        if keys:
            opts = [{k: 0 for k in keys}]
            for chosen in keys:
                opts.append({k: int(k == chosen) for k in keys})
            decisions.append(opts)
    for p in pm.closable:
        if ("open", p) in bins:
            decisions.append([{("open", p): 0}, {("open", p): 1}])
    exchange_keys = [k for k in bins if k[0] == "exchange"]
    return decisions, exchange_keys


def _runs(pm: ParkModel, assignment: dict, plant: str) -> bool:
    plants = pm.case.plants
    if plant in pm._cand_set:
        return any(v for k, v in assignment.items() if k[0] == "plant" and k[1] == plant) or plants[plant].force
    if plant in pm._close_set:
        return bool(assignment.get(("open", plant), 1))
    return True


def enumerate_networks(case, objectives=("reuse-then-cost",), limits: dict | None = None,
                       keep_results: bool = False) -> list[Network]:
    """Every feasible network of ``case`` with its optimum for each objective.

    ``objectives`` are KPI names (``cost``, ``reuse``...) or lexicographic ``a-then-b``.
    """
    pm = ParkModel(case)
    pm.tie_binaries_to_use()
    pm.warm_start = False
    pm.set_limits({**case.limits, **(limits or {})})
    bins = pm.structural_binaries()
    decisions, exchange_keys = _choices(pm)
    out: list[Network] = []
    for combo in itertools.product(*decisions):
        base = {}
        for part in combo:
            base.update(part)
        free_x = []
        for k in exchange_keys:
            _, src, dst, _m = k
            if _runs(pm, base, src) and _runs(pm, base, dst):
                free_x.append(k)
        for bits in itertools.product((0, 1), repeat=len(free_x)):
            assignment = dict(base)
            assignment.update({k: 0 for k in exchange_keys})
            assignment.update(dict(zip(free_x, bits)))
            for k, v in assignment.items():
                bins[k].fix(v)
            net = Network(frozenset(k for k, v in assignment.items() if v))
            try:
                for spec in objectives:
                    info = _solve(pm, spec)
                    net.values[spec] = {k: float(_value(pm, k)) for k in SENSE} | {"objective": info.objective}
                    if keep_results:
                        net.results[spec] = make_result(case, pm.exchanges, pm.extract(info))
            except (InfeasibleError, SolverError):
                continue
            finally:
                for k in assignment:
                    bins[k].unfix()
                pm.clear_bounds()
            out.append(net)
    return out


def _value(pm, name):
    import pyomo.environ as pyo
    return pyo.value(pm.kpi[name])


def _solve(pm: ParkModel, spec: str):
    if "-then-" in spec:
        first, second = spec.split("-then-")
        pm.set_objective(first)
        one = pm.run(explain=False)
        tol = 1e-8 * max(1.0, abs(one.objective))
        pm.set_bound(first, one.objective - tol if SENSE[first] == "max" else one.objective + tol)
        pm.set_objective(second)
        info = pm.run(explain=False)
        pm.set_bound(first, None)
        return info
    pm.set_objective(spec)
    return pm.run(explain=False)


def ranked(networks: list[Network], spec: str, rel: float = 1e-7) -> list[Network]:
    """Networks sorted best first by ``spec``. For a lexicographic spec, values of the
    first part within ``rel`` of each other count as equal (solver tolerance), and such
    networks are ordered by the second part."""
    parts = spec.split("-then-")

    def signed(n, p):
        v = n.values[spec][p]
        return -v if SENSE[p] == "max" else v
    order = sorted(networks, key=lambda n: signed(n, parts[0]))
    if len(parts) == 1:
        return order
    out, group = [], []
    for n in order:
        if group and abs(signed(n, parts[0]) - signed(group[0], parts[0])) > rel * max(1.0, abs(signed(n, parts[0]))):
            out += sorted(group, key=lambda g: signed(g, parts[1]))
            group = []
        group.append(n)
    return out + sorted(group, key=lambda g: signed(g, parts[1]))
