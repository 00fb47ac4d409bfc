"""The park as a graph: plants and market nodes, candidate exchanges as edges.

The candidate rule set is written once, here. A plant i may send material m to plant j
when neither plant is forbidden, i != j, i's process makes m, j's process takes m (as an
input or an alternative input), the case generates candidates, and the distance is within
the material's ``max_distance`` (else ``settings.max_distance``); plants without a
location are taken to be on one site. An exchange the case names is a candidate whatever
these say (it adds a link, or limits, forces, forbids or marks existing a generated one).

- :func:`build_graph` applies the rules to the whole park: the networkx MultiDiGraph of
  plants, markets and candidate exchanges that ``Case.graph()`` returns;
- :func:`candidate_exchanges` is that graph's exchange edges in a stable order: the list
  the model is built from;
- :func:`why_not` applies the same rules to one exchange and names the rule that keeps it
  out;
- :func:`components`, :func:`neighbours`, :func:`downstream` and :func:`material_paths`
  read the graph.

Nothing here knows of Pyomo.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import networkx as nx

from symbiosis.case import Case, ExchangeRule, great_circle_km
from symbiosis.errors import CaseError, Problem

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
              named: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset()):
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
    lat_max = max(abs(loc[1]) for p in located if (loc := plants[p].location) is not None)
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


def _limit(case: Case, material: str) -> float | None:
    """How far ``material`` may travel (km): its own ``max_distance``, else the case's."""
    m = case.materials[material].max_distance
    return m if m is not None else case.settings.max_distance


def _makers_and_takers(case: Case) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per material, the plants (not forbidden) whose process makes it and those whose
    process takes it, in the case's order."""
    makers: dict[str, list[str]] = defaultdict(list)
    takers: dict[str, list[str]] = defaultdict(list)
    for name, plant in case.plants.items():
        if plant.forbid:
            continue
        proc = case.processes[plant.process]
        for m in proc.outputs:
            makers[m].append(name)
        for m in proc.input_materials():
            takers[m].append(name)
    return makers, takers


class _Distances:
    """:func:`plant_distance` for many pairs: each plant's coordinates are turned into
    radians and cosines once. The formula and the order of its operations are those of
    :func:`symbiosis.case.great_circle_km`, so every distance is the same float."""

    def __init__(self, case: Case):
        self.table = case.distances
        self.detour = case.settings.detour_factor
        self.at: dict[str, tuple[float, float, float]] = {}
        for name, p in case.plants.items():
            if p.location is not None:
                lon, lat = math.radians(p.location[0]), math.radians(p.location[1])
                self.at[name] = (lon, lat, math.cos(lat))

    def __call__(self, a: str, b: str) -> float | None:
        if self.table and (a, b) in self.table:
            return self.table[(a, b)]
        pa, pb = self.at.get(a), self.at.get(b)
        if pa is None or pb is None:
            return None
        lon1, lat1, cos1 = pa
        lon2, lat2, cos2 = pb
        h = math.sin((lat2 - lat1) / 2) ** 2 + cos1 * cos2 * math.sin((lon2 - lon1) / 2) ** 2
        return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h))) * self.detour


def _link_costs(case: Case, m: str, rule: ExchangeRule | None) -> tuple[float, float, str]:
    """(transport cost per unit and km, fixed cost per period, mode) of an exchange of
    ``m``: most specific first, the link's transport_cost, the link's mode, the material's
    transport_cost, the material's mode, settings.transport_cost."""
    s = case.settings
    mat = case.materials[m]
    mode = (rule.mode if rule is not None and rule.mode else None) or mat.mode or ""
    tc = mat.transport_cost
    if rule is not None and rule.mode:
        tc = mode_cost(case, rule.mode)
    elif tc is None:
        tc = mode_cost(case, mat.mode) if mat.mode else (s.transport_cost if mat.is_mass else 0.0)
    if tc is not mat.transport_cost and mat.is_mass and tc:
        # settings and modes price a tonne-km; the flow is in the material's unit
        tc *= mat.tonnes if mat.tonnes is not None else 1.0
    fixed = s.exchange_fixed_cost
    if rule is not None:
        if rule.transport_cost is not None:
            tc = rule.transport_cost
        if rule.fixed_cost is not None:
            fixed = rule.fixed_cost
        if rule.capex:
            fixed += rule.capex * case.crf(s.life)
    return tc, fixed, mode


def _named(case: Case, rule: ExchangeRule, distance: float | None) -> Exchange:
    """The candidate an exchange named in the case makes (its distance and costs as the
    case states them, else as generated)."""
    tc, fixed, mode = _link_costs(case, rule.material, rule)
    dist = rule.distance if rule.distance is not None else distance
    return Exchange(rule.source, rule.target, rule.material, 0.0 if dist is None else dist, tc, fixed,
                    max=rule.max, min=rule.min, existing=rule.existing, force=rule.force, forbid=rule.forbid,
                    explicit=True, mode=mode, capex=rule.capex or 0.0)


def _candidates(case: Case) -> list[Exchange]:
    """Every candidate exchange of the case by the rules of this module, in a stable order:
    generated ones by material (sorted), maker and taker (the case's order), then the
    named ones that no rule generates, in the case's order."""
    rules = {r.key: r for r in case.exchanges}
    out: dict[tuple[str, str, str], Exchange] = {}
    if case.settings.generate_candidates:
        makers, takers = _makers_and_takers(case)
        distance = _Distances(case)
        for m in sorted(makers):
            limit = _limit(case, m)
            to = takers.get(m, [])
            if not to:
                continue
            reach = _in_reach(case, makers[m], to, limit, {(a, b) for (a, b, m2) in rules if m2 == m})
            plain: tuple[float, float, str] | None = None  # costs of a link the case does not name
            place = {j: k for k, j in enumerate(to)}
            for i in makers[m]:
                near = reach.get(i) if reach is not None else None
                # the takers within reach, in the case's order (fewer than all takers where a limit applies)
                for j in (to if near is None else sorted((j for j in near if j in place), key=place.__getitem__)):
                    if i == j:
                        continue
                    rule = rules.get((i, j, m))
                    d = distance(i, j)
                    if rule is not None:
                        out[(i, j, m)] = _named(case, rule, d)
                        continue
                    d = 0.0 if d is None else d
                    if limit is not None and d > limit:
                        continue
                    if plain is None:
                        plain = _link_costs(case, m, None)
                    out[(i, j, m)] = Exchange(i, j, m, d, plain[0], plain[1], mode=plain[2])
    for key, rule in rules.items():
        if key in out:
            continue
        if case.plants[rule.source].forbid or case.plants[rule.target].forbid:
            if rule.force:
                bad = rule.source if case.plants[rule.source].forbid else rule.target
                raise CaseError([Problem(str(case.path or "<case>"), f"exchange {rule.source} -> {rule.target}",
                                         f"the exchange of {rule.material!r} is forced but plant {bad!r} is "
                                         "forbidden; drop force or forbid")])
            continue
        out[key] = _named(case, rule, plant_distance(case, rule.source, rule.target))
    return list(out.values())


def build_graph(case: Case, exchanges: list[Exchange] | None = None) -> nx.MultiDiGraph:
    """The park as a MultiDiGraph: what ``Case.graph()`` returns.

    Nodes are plants (attributes: process, sector, status, capacity, location, park, kind
    ``"plant"``) and three market nodes: ``@market`` (purchases), ``@sales`` and
    ``@landfill`` (disposal). Edges between plants are the candidate exchanges of the
    rules above (or ``exchanges`` where given), keyed by material, with the attributes of
    :class:`Exchange`, the Exchange itself (``exchange``) and its place in the list
    (``order``); market edges are keyed by the materials a plant may buy, sell or dispose of.

    Examples
    --------
    >>> from symbiosis import examples
    >>> g = examples.tutorial().graph()
    >>> g.has_edge("pvc", "slag_cement", key="carbide_slag")
    True
    """
    if exchanges is None:
        exchanges = _candidates(case)
    g = nx.MultiDiGraph(name=case.name)
    for name, p in case.plants.items():
        proc = case.processes[p.process]
        g.add_node(name, kind="plant", label=p.label, process=p.process, sector=p.sector, status=p.status,
                   capacity=p.capacity, activity_unit=proc.activity_unit, location=p.location, park=p.park)
    for node, label in ((SUPPLY, "market (purchases)"), (SALES, "market (sales)"), (DISPOSAL, "landfill / disposal")):
        g.add_node(node, kind="market", label=label)
    g.add_edges_from((x.source, x.target, x.material, {**vars(x), "kind": "exchange", "exchange": x, "order": n})
                     for n, x in enumerate(exchanges))
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


def exchanges_of(graph: nx.MultiDiGraph) -> list[Exchange]:
    """The exchange edges of a park graph as :class:`Exchange` objects, in the order the
    graph was built with."""
    found = [(d["order"], d["exchange"]) for _, _, d in graph.edges(data=True) if d.get("kind") == "exchange"]
    found.sort(key=lambda t: t[0])
    return [x for _, x in found]


def candidate_exchanges(case: Case, graph: nx.MultiDiGraph | None = None) -> list[Exchange]:
    """All candidate exchanges of the case, in a stable order: the exchange edges of its
    park graph ``graph`` (:func:`build_graph`) where given, else the same list by the same
    rules without building the graph (a 1,000-plant region's graph costs more than its
    candidates; see benchmarks/bench_candidates.py).

    A generated candidate links plant i to plant j for material m by the rules of this
    module (see its docstring; :func:`why_not` says which rule keeps a link out).
    Exchanges named in the case add to or change these; a forbidden one is kept (marked)
    so that reports can show it, and the model fixes it closed.

    Raises
    ------
    CaseError : an exchange is forced but links a forbidden plant.
    """
    return exchanges_of(graph) if graph is not None else _candidates(case)


def why_not(case: Case, source: str, target: str, material: str) -> str | None:
    """Why ``source`` -> ``target`` of ``material`` is not a candidate the model may open,
    by the same rules as :func:`candidate_exchanges`; None when it is one.

    A candidate the case forbids (``forbid: true`` on the exchange) is in the candidate
    list, fixed closed: its reason says so.

    Examples
    --------
    >>> from symbiosis import examples
    >>> case = examples.tutorial()
    >>> why_not(case, "pvc", "slag_cement", "carbide_slag") is None
    True
    >>> why_not(case, "slag_cement", "pvc", "carbide_slag")
    'slag_cement does not make carbide_slag (its process slag_cement makes cement)'
    """
    for name in (source, target):
        if name not in case.plants:
            return f"no plant {name!r} in the case"
    if material not in case.materials:
        return f"no material {material!r} in the case"
    for name in (source, target):
        if case.plants[name].forbid:
            return f"plant {name} is forbidden in the case (forbid: true)"
    rule = next((r for r in case.exchanges if r.key == (source, target, material)), None)
    if rule is not None:
        return "forbidden in the case (the exchange says forbid: true)" if rule.forbid else None
    if source == target:
        return "a plant does not exchange with itself"
    made = case.process_of(source).outputs
    if material not in made:
        return (f"{source} does not make {material} (its process {case.plants[source].process} makes "
                f"{', '.join(sorted(made)) or 'nothing'})")
    taken = case.process_of(target).input_materials()
    if material not in taken:
        return (f"{target} does not take {material} (its process {case.plants[target].process} takes "
                f"{', '.join(sorted(taken)) or 'nothing'})")
    if not case.settings.generate_candidates:
        return "not generated (settings.generate_candidates is off); name it under exchanges"
    limit = _limit(case, material)
    d = plant_distance(case, source, target)
    if limit is not None and d is not None and d > limit:
        where = (f"materials.{material}.max_distance" if case.materials[material].max_distance is not None
                 else "settings.max_distance")
        return f"distance: {d:,.1f} km is beyond the {limit:g} km {material} may travel ({where})"
    return None


# ---------------------------------------------------------------- reading the graph
def _plants(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The plants and the exchanges between them (the market nodes left out): a view."""
    return graph.subgraph([n for n, k in graph.nodes(data="kind") if k == "plant"])


def components(graph: nx.MultiDiGraph) -> list[set[str]]:
    """The groups of plants that candidate exchanges connect (either direction), largest
    first (ties by first name); a plant no exchange reaches is a group of its own.

    >>> from symbiosis import examples
    >>> [sorted(c) for c in components(examples.tutorial().graph())]
    [['carbide', 'power', 'pvc', 'slag_cement']]
    """
    groups = [set(c) for c in nx.weakly_connected_components(_plants(graph))]
    return sorted(groups, key=lambda c: (-len(c), min(c)))


class Neighbours(NamedTuple):
    """A plant's neighbours in the park graph: plant -> the materials it may send
    (``suppliers``) or receive (``takers``), names sorted."""

    suppliers: dict[str, list[str]]
    takers: dict[str, list[str]]


def neighbours(graph: nx.MultiDiGraph, plant: str) -> Neighbours:
    """The plants ``plant`` may receive from and send to by a candidate exchange.

    >>> from symbiosis import examples
    >>> pvc = neighbours(examples.tutorial().graph(), "pvc")
    >>> pvc.suppliers, pvc.takers
    ({'carbide': ['calcium_carbide'], 'power': ['electricity']}, {'slag_cement': ['carbide_slag']})
    """
    g = _plants(graph)
    if plant not in g:
        raise KeyError(f"no plant {plant!r} in the graph")
    sup: dict[str, list[str]] = defaultdict(list)
    tak: dict[str, list[str]] = defaultdict(list)
    for u, _, m in g.in_edges(plant, keys=True):
        sup[u].append(m)
    for _, v, m in g.out_edges(plant, keys=True):
        tak[v].append(m)
    return Neighbours({p: sorted(ms) for p, ms in sorted(sup.items())},
                      {p: sorted(ms) for p, ms in sorted(tak.items())})


def downstream(graph: nx.MultiDiGraph, plant: str) -> set[str]:
    """The plants that ``plant``'s outputs can reach along candidate exchanges, directly or
    through other plants (what an outage of ``plant`` may touch); ``plant`` itself left out."""
    g = _plants(graph)
    if plant not in g:
        raise KeyError(f"no plant {plant!r} in the graph")
    return set(nx.descendants(g, plant))


def material_paths(graph: nx.MultiDiGraph, material: str, source: str | None = None,
                   cutoff: int | None = None) -> list[list[str]]:
    """The ways ``material`` can travel by candidate exchanges of that material: each a
    list of plants from one that sends it (``source``, else every plant that sends it and
    receives none) to one that receives it and passes none on, at most ``cutoff`` links
    long; sorted. A by-product sent straight to its users gives one link per user.

    >>> from symbiosis import examples
    >>> material_paths(examples.tutorial().graph(), "fly_ash")
    [['power', 'slag_cement']]
    """
    h = nx.DiGraph()
    h.add_edges_from((u, v) for u, v, d in graph.edges(data=True)
                     if d.get("kind") == "exchange" and d.get("material") == material)
    if source is not None and source not in h:
        return []
    starts = [source] if source is not None else sorted(n for n in h if h.in_degree(n) == 0)
    ends = {n for n in h if h.out_degree(n) == 0}
    paths = [p for s in starts for p in nx.all_simple_paths(h, s, ends - {s}, cutoff=cutoff)]
    return sorted(paths)
