"""Domain objects: materials, processes, plants, exchanges and the case that holds them.

Every number here is a float in the case's base units: material flows in the material's
own unit per period (t/yr, MWh/yr, Nm3/yr), money in CNY, distances in km. Nothing here
imports Pyomo; :mod:`symbiosis.model` reads these objects to build the optimisation.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from symbiosis.hooks import provided


@dataclass(frozen=True)
class Material:
    name: str
    kind: str
    unit: str
    label: str = ""
    dimension: str = "mass"
    price: float | None = None
    sale_price: float | None = None
    disposal_cost: float | None = None
    max_purchase: float | None = None
    max_sale: float | None = None
    min_sale: float | None = None
    co2_per_unit: float = 0.0
    reuse_weight: float = 1.0
    transport_cost: float | None = None
    max_distance: float | None = None
    mode: str | None = None  # default transport mode of its exchanges
    tonnes: float | None = None  # tonnes in one unit, for materials counted in mass (1 for t, 0.001 for kg)
    #: "dispose", "forbid" as the case says, or "" (implicit: dispose where disposal_cost is given)
    excess: str = ""

    @property
    def disposable(self) -> bool:
        """Whether plants may dispose of what they make in excess."""
        return self.disposal_cost is not None and self.excess != "forbid"

    @property
    def is_byproduct(self) -> bool:
        return self.kind == "byproduct"

    @property
    def is_mass(self) -> bool:
        return self.dimension == "mass"


@dataclass(frozen=True)
class Slot:
    """An input requirement ``amount`` per unit of activity, met by one or more options.

    ``options`` maps material -> (equivalence, max_share, co2): one unit of the material
    meets ``equivalence`` slot units, it may fill at most ``max_share`` of the slot, and
    each unit used releases ``co2`` t of CO2 (e.g. limestone calcined in a cement kiln).
    """

    name: str
    amount: float
    options: dict[str, tuple[float, float, float]]

    @property
    def is_plain(self) -> bool:
        return len(self.options) == 1


@dataclass(frozen=True)
class Process:
    name: str
    label: str
    sector: str
    activity_unit: str
    product: str | None
    slots: tuple[Slot, ...]
    outputs: dict[str, float]
    operating_cost: float = 0.0
    co2: float = 0.0
    file: str = ""

    def input_materials(self) -> set[str]:
        return {m for s in self.slots for m in s.options}

    def max_intake(self, material: str, activity: float) -> float:
        """Most of ``material`` the process can take at ``activity``."""
        total = 0.0
        for s in self.slots:
            if material in s.options:
                e, h, _ = s.options[material]
                total += h * s.amount * activity / e
        return total


@dataclass(frozen=True)
class Size:
    capacity: float
    capex: float


@dataclass(frozen=True)
class Plant:
    name: str
    process: str
    status: str  # "existing" or "candidate"
    label: str = ""
    sizes: tuple[Size, ...] = ()
    activity_min: float = 0.0  # existing plants: the range they run in
    activity_max: float = 0.0
    min_load: float = 0.0
    can_close: bool = False
    force: bool = False
    forbid: bool = False
    life: float = 20.0
    fixed_cost: float = 0.0
    location: tuple[float, float] | None = None
    park: str = ""
    sector: str = ""
    company: str = ""  # the owner; "" when the case names none (see symbiosis.gains)
    #: existing plants: the nameplate capacity the case states (``capacity``), kept apart from
    #: the range it runs in (``output`` or ``load`` x capacity: activity_min..activity_max)
    nameplate: float | None = None

    @property
    def is_candidate(self) -> bool:
        return self.status == "candidate"

    @property
    def capacity(self) -> float:
        """Largest activity the plant can reach in this case (largest size for candidates;
        for an existing plant its stated output or top of its load range, which may be
        below its :attr:`nameplate`)."""
        if self.is_candidate:
            return max((s.capacity for s in self.sizes), default=0.0)
        return self.activity_max


@dataclass(frozen=True)
class ExchangeRule:
    """An exchange named in the case: an extra candidate, or limits on a generated one."""

    source: str
    target: str
    material: str
    existing: bool = False
    force: bool = False
    forbid: bool = False
    max: float | None = None
    min: float | None = None
    fixed_cost: float | None = None
    capex: float | None = None
    distance: float | None = None
    transport_cost: float | None = None
    mode: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.target, self.material)


@dataclass(frozen=True)
class Settings:
    max_distance: float | None = None
    transport_cost: float = 0.45
    exchange_fixed_cost: float = 0.0
    detour_factor: float = 1.3
    discount_rate: float = 0.08
    life: float = 20.0
    generate_candidates: bool = True
    objective: str = "reuse-then-cost"
    reuse_basis: str = "net"
    reuse_tolerance: float = 0.0
    carbon_price: float = 0.0
    transport_modes: dict = field(default_factory=dict)  # mode -> money per t per km
    status_quo: bool = False
    time_limit: float = 60.0
    mip_gap: float = 1e-4
    #: absolute MIP gap in the objective's own unit (money for cost, t for reuse)
    mip_abs_gap: float = 0.0


@dataclass
class Period:
    """One planning period of a phased case: the years it covers and the case as it
    stands in it (the base case with the period's changes, validated like any case)."""

    name: str
    start: int
    years: int
    case: "Case"
    changes: dict = field(default_factory=dict)

    @property
    def end(self) -> int:
        """First year after the period."""
        return self.start + self.years


@dataclass
class Case:
    """A validated park: the single input of the graph and the model."""

    name: str
    materials: dict[str, Material]
    processes: dict[str, Process]
    plants: dict[str, Plant]
    exchanges: list[ExchangeRule] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    description: str = ""
    path: Path | None = None
    scenarios: dict[str, dict] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=lambda: {"money": "CNY", "period": "yr", "distance": "km"})
    #: distance table: (plant, plant) -> distance, both orders stored
    distances: dict[tuple[str, str], float] = field(default_factory=dict)
    #: limits of every solve: capex, new_plants, co2, disposal, cost, min_reuse, min_reuse_rate
    #: and "min_reuse_rate:<material>" (see ParkModel.set_limits)
    limits: dict[str, float] = field(default_factory=dict)
    #: policy rules (symbiosis.policy.Policy): group and energy caps
    policy: object = None
    #: entries changed by :meth:`with_changes` since the case was read from its file
    changes: dict = field(default_factory=dict, repr=False)
    #: planning periods (``periods:`` in the file), each with its own resolved case; see symbiosis.phased
    periods: list[Period] = field(default_factory=list, repr=False)

    def with_changes(self, changes: dict) -> "Case":
        """A new validated case with ``changes`` applied, e.g.
        ``case.with_changes({"materials.coal.price": "700 CNY/t"})``: entries as in the
        case file and ``symbiosis sweep --vary`` (see :mod:`symbiosis.changes`).

        Read again from the case's file by :func:`symbiosis.io.with_changes` (a hook: the
        domain imports no loader, see :mod:`symbiosis.hooks`)."""
        return provided("Case.with_changes")(self, changes)

    def implicit_excess(self) -> list[str]:
        """Materials some plant makes that can leave it neither by disposal nor by sale and
        whose case does not say ``excess: forbid``: every unit made must go to another
        plant, which limits the plants that make it. ``symbiosis validate`` names them."""
        made = {mn for p in self.plants.values() for mn in self.processes[p.process].outputs}
        return sorted(mn for mn in made if (m := self.materials[mn]).excess == "" and m.disposal_cost is None
                      and m.sale_price is None)

    def process_of(self, plant: str) -> Process:
        return self.processes[self.plants[plant].process]

    def graph(self) -> Any:
        """The park as a networkx MultiDiGraph of plants, markets and candidate exchanges:
        :func:`symbiosis.graph.build_graph` (a hook: the domain imports no graph layer, see
        :mod:`symbiosis.hooks`)."""
        return provided("Case.graph")(self)

    @property
    def years_per_period(self) -> float:
        """Length of the case's period (units.period) in years: 1 for yr, 1/8760 for h
        (read once per period unit: crf calls it for every plant size of a model build)."""
        return _years_per(((self.units or {}).get("period", "yr")))

    def crf(self, life: float) -> float:
        """Capital recovery factor per period of the case: r / (1 - (1 + r)^-n) per year
        (r the yearly discount rate, n the life in years) times the period's length in
        years, so capex is annualised into an hourly or monthly model consistently."""
        r = self.settings.discount_rate
        if life <= 0:
            raise ValueError("life must be positive")
        per_year = 1.0 / life if r == 0 else r / (1.0 - (1.0 + r) ** (-life))
        return per_year * self.years_per_period

    def __repr__(self) -> str:
        n_new = sum(p.is_candidate for p in self.plants.values())
        return (f"<Case {self.name!r}: {len(self.plants)} plants ({n_new} candidates), "
                f"{len(self.processes)} processes, {len(self.materials)} materials>")


@functools.lru_cache(maxsize=None)
def _years_per(period: str) -> float:
    from symbiosis.units import to_float
    return to_float(f"1 {period}", "yr")


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance in km between two (lon, lat) points in degrees."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))
