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
    capex: float = 0.0         # investment of the link (its annualised share is in fixed_cost)

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


def _in_reach(case: Case, sources: list[str], targets: list[str], limit: float | None,
              named: set[tuple[str, str]] = frozenset()):
    """For each source, the targets worth measuring: those in its own or a neighbouring
    cell of a grid at least ``limit`` wide, plus targets without coordinates, pairs of
    the distance table and pairs the case names (``named``). Keeps candidate generation near linear in the number of plants
    where a distance limit applies (None: measure every pair).

    The grid is an equirectangular projection scaled by the cosine of the highest
    latitude, which never overstates a distance, so no pair within reach is missed.
    """
    if limit is None or len(sources) * len(targets) < 400:
        return None
    plants = case.plants
    located = [p for p in set(sources) | set(targets) if plants[p].location is not None]
    if not located:
        return None
    import math
    lat_max = max(abs(plants[p].location[1]) for p in located)
    kx = math.radians(1) * 6371.0088 * max(math.cos(math.radians(min(lat_max, 89.0))), 1e-6)
    ky = math.radians(1) * 6371.0088
    cell = 1.05 * limit / max(case.settings.detour_factor, 1e-9) + 1e-9

    def key(p):
        lon, lat = plants[p].location
        return (math.floor(lon * kx / cell), math.floor(lat * ky / cell))

    grid: dict[tuple, list[str]] = defaultdict(list)
    anywhere = []
    for j in targets:
        if plants[j].location is None:
            anywhere.append(j)
        else:
            grid[key(j)].append(j)
    tabled = defaultdict(set)
    for (a, b) in (*case.distances, *named):
        tabled[a].add(b)
    out = {}
    for i in sources:
        if plants[i].location is None:
            out[i] = set(targets)
            continue
        cx, cy = key(i)
        near = set(anywhere) | tabled.get(i, set())
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                near.update(grid.get((cx + dx, cy + dy), ()))
        out[i] = near
    return out


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
        if tc is not mat.transport_cost and mat.is_mass and tc:
            tc *= mat.tonnes  # settings and modes price a tonne-km; the flow is in the material's unit
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
                        forbid=rule.forbid if rule else False, explicit=rule is not None, mode=mode,
                        capex=(rule.capex or 0.0) if rule else 0.0)

    if s.generate_candidates:
        for m in sorted(producers):
            mat = case.materials[m]
            limit = mat.max_distance if mat.max_distance is not None else s.max_distance
            takers = consumers.get(m, [])
            reach = _in_reach(case, producers[m], takers, limit,
                              {(a, b) for (a, b, m2) in rules if m2 == m})
            for i in producers[m]:
                near = reach.get(i) if reach is not None else None
                for j in takers:
                    if i != j and (near is None or j in near):
                        x = make(i, j, m, rules.get((i, j, m)))
                        if x is not None:
                            out[x.key] = x
    for key, rule in rules.items():
        if key not in out:
            if case.plants[rule.source].forbid or case.plants[rule.target].forbid:
                if rule.force:
                    from symbiosis.errors import CaseError, Problem
                    bad = rule.source if case.plants[rule.source].forbid else rule.target
                    raise CaseError([Problem(str(case.path or "<case>"), f"exchange {rule.source} -> {rule.target}",
                                             f"the exchange of {rule.material!r} is forced but plant {bad!r} is "
                                             "forbidden; drop force or forbid")])
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
