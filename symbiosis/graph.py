"""The park as a graph: plants and market nodes, candidate exchanges as edges.

:func:`candidate_exchanges` finds every pair of plants where one plant's output can meet
another plant's input (or alternative input), within the distance the material may
travel, and merges in the exchanges the case names (extra candidates, limits, forced,
forbidden and existing ones). :func:`build_graph` returns them as a networkx
MultiDiGraph keyed by material. Nothing here knows of Pyomo.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from symbiosis.case import Case, great_circle_km

SUPPLY, SALES, DISPOSAL = "@market", "@sales", "@landfill"


@dataclass(frozen=True)
class Exchange:
    """A candidate exchange: ``source`` may send ``material`` to ``target``."""

    source: str
    target: str
    material: str
    distance: float            # km
    transport_cost: float      # money per unit of material per km
    fixed_cost: float          # money per period once opened (incl. annualised capex)
    max: float | None = None   # unit per period
    min: float | None = None
    existing: bool = False
    force: bool = False
    forbid: bool = False
    explicit: bool = False
    mode: str = ""             # transport mode whose cost applies ("" : none named)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.target, self.material)

    @property
    def unit_cost(self) -> float:
        """Transport cost per unit of material moved."""
        return self.transport_cost * self.distance


def plant_distance(case: Case, a: str, b: str) -> float | None:
    """Distance in km: from the case's distance table if it has the pair, else from
    coordinates (great circle x detour factor), else None."""
    if (a, b) in case.distances:
        return case.distances[(a, b)]
    pa, pb = case.plants[a].location, case.plants[b].location
    if pa is None or pb is None:
        return None
    return great_circle_km(pa, pb) * case.settings.detour_factor


def mode_cost(case: Case, mode: str) -> float:
    """Cost per t/km of a transport mode (``truck`` defaults to settings.transport_cost)."""
    modes = case.settings.transport_modes
    if mode in modes:
        return modes[mode]
    if mode == "truck":
        return case.settings.transport_cost
    raise KeyError(f"unknown transport mode {mode!r}; define it under settings.transport_modes")


def candidate_exchanges(case: Case) -> list[Exchange]:
    """All candidate exchanges of the case, in a stable order.

    A generated candidate links plant i to plant j for material m when i's process
    outputs m, j's process can take m (as an input or an alternative input), i != j, and
    the distance is within the material's ``max_distance`` (else ``settings.max_distance``).
    Plants without a location are taken to be on one site (distance 0).
    Exchanges named in the case add to or change these; a forbidden one is kept (marked)
    so that reports can show it, and the model fixes it closed.
    """
    s = case.settings
    producers: dict[str, list[str]] = defaultdict(list)
    consumers: dict[str, list[str]] = defaultdict(list)
    for name, plant in case.plants.items():
        if plant.forbid:
            continue
        proc = case.processes[plant.process]
        for m in proc.outputs:
            producers[m].append(name)
        for m in proc.input_materials():
            consumers[m].append(name)
    rules = {r.key: r for r in case.exchanges}
    out: dict[tuple, Exchange] = {}

    def make(i: str, j: str, m: str, rule=None) -> Exchange | None:
        mat = case.materials[m]
        dist = rule.distance if rule is not None and rule.distance is not None else plant_distance(case, i, j)
        dist = 0.0 if dist is None else dist
        limit = mat.max_distance if mat.max_distance is not None else s.max_distance
        if rule is None and limit is not None and dist > limit:
            return None
        # cost per unit per km, most specific first: the link's transport_cost, the link's
        # mode, the material's transport_cost, the material's mode, settings.transport_cost
        mode = (rule.mode if rule is not None and rule.mode else None) or mat.mode or ""
        tc = mat.transport_cost
        if rule is not None and rule.mode:
            tc = mode_cost(case, rule.mode)
        elif tc is None:
            tc = mode_cost(case, mat.mode) if mat.mode else (s.transport_cost if mat.is_mass else 0.0)
        fixed = s.exchange_fixed_cost
        if rule is not None:
            if rule.transport_cost is not None:
                tc = rule.transport_cost
            if rule.fixed_cost is not None:
                fixed = rule.fixed_cost
            if rule.capex:
                fixed += rule.capex * case.crf(s.life)
        return Exchange(i, j, m, dist, tc, fixed,
                        max=rule.max if rule else None, min=rule.min if rule else None,
                        existing=rule.existing if rule else False, force=rule.force if rule else False,
                        forbid=rule.forbid if rule else False, explicit=rule is not None, mode=mode)

    if s.generate_candidates:
        for m in sorted(producers):
            for i in producers[m]:
                for j in consumers.get(m, ()):
                    if i != j:
                        x = make(i, j, m, rules.get((i, j, m)))
                        if x is not None:
                            out[x.key] = x
    for key, rule in rules.items():
        if key not in out:
            if case.plants[rule.source].forbid or case.plants[rule.target].forbid:
                continue
            x = make(*key, rule=rule)
            if x is not None:
                out[key] = x
    return list(out.values())


def build_graph(case: Case, exchanges: list[Exchange] | None = None) -> nx.MultiDiGraph:
    """The park as a MultiDiGraph.

    Nodes are plants (attributes: process, sector, status, capacity, location, park, kind
    ``"plant"``) and three market nodes: ``@market`` (purchases), ``@sales`` and
    ``@landfill`` (disposal). Edges between plants are the candidate exchanges, keyed by
    material, with the attributes of :class:`Exchange`; market edges are keyed by the
    materials a plant may buy, sell or dispose of.

    Examples
    --------
    >>> from symbiosis import examples
    >>> g = examples.tutorial().graph()
    >>> g.has_edge("pvc", "slag_cement", key="carbide_slag")
    True
    """
    if exchanges is None:
        exchanges = candidate_exchanges(case)
    g = nx.MultiDiGraph(name=case.name)
    for name, p in case.plants.items():
        proc = case.processes[p.process]
        g.add_node(name, kind="plant", label=p.label, process=p.process, sector=p.sector, status=p.status,
                   capacity=p.capacity, activity_unit=proc.activity_unit, location=p.location, park=p.park)
    for node, label in ((SUPPLY, "market (purchases)"), (SALES, "market (sales)"), (DISPOSAL, "landfill / disposal")):
        g.add_node(node, kind="market", label=label)
    for x in exchanges:
        g.add_edge(x.source, x.target, key=x.material, kind="exchange", **vars(x))
    for name, p in case.plants.items():
        proc = case.processes[p.process]
        for m in sorted(proc.input_materials()):
            if case.materials[m].price is not None:
                g.add_edge(SUPPLY, name, key=m, kind="purchase", material=m)
        for m in sorted(proc.outputs):
            mat = case.materials[m]
            if mat.sale_price is not None:
                g.add_edge(name, SALES, key=m, kind="sale", material=m)
            if mat.disposal_cost is not None:
                g.add_edge(name, DISPOSAL, key=m, kind="disposal", material=m)
    return g
