"""Synthetic regions for benchmarks and scaling studies: thousands of plants in park
clusters, built from the shipped process library.

:func:`region` returns a case dict (load it with :func:`symbiosis.io.case_from_dict`,
or write it as YAML with :func:`write_region`): plants of eight sectors (coal power,
carbide furnaces, carbide PVC, chlor-alkali, coking, cement, aerated blocks, ceramsite)
with the shipped library's processes, capacities drawn around the sizes of the shipped
cases, spread over parks in a 200 x 200 km region, 30 % of them candidates, and a 50 km
exchange radius (``settings.max_distance``; the library's materials keep their own,
e.g. electricity 60 km, steam 10 km). The same ``(n_plants, seed)`` gives the same case.

With ``listed=True`` every candidate exchange is written out under ``exchanges:``
(with its distance) and generation from coordinates is turned off: the same network,
stated the way a case converted from another tool states it.

The figures below are not data of real plants; they set a plausible scale. Typical
capacities and investment per unit of capacity are those of the shipped cases
(cases/changzhi.yaml, liupanshui.yaml, pingdingshan.yaml), where each carries its
source; spreads, shares, load ranges and park sizes are estimates for a coal-based
industrial province.
"""
from __future__ import annotations

import math
import random
from pathlib import Path

#: region size (km) and its south-west corner (lon, lat), in southern Shanxi
REGION_KM = 200.0
ORIGIN = (111.0, 35.0)
CANDIDATE_SHARE = 0.30
MAX_DISTANCE_KM = 50.0


# sector -> (library process, share of plants, typical capacity, range, capacity unit,
#            capex per unit of capacity in CNY or None (never a candidate), candidate propensity)
# typical capacity and capex per unit: from the shipped cases (see the module docstring):
#   coal_power 3.5-10.8 TWh/yr; new CFB unit 1.4e9 CNY for 1.35 TWh/yr -> ~1.0e9 CNY per TWh/yr
#   carbide_furnace 300-600 kt/yr; 1.2e9 CNY for 400 kt/yr -> 3,000 CNY per t/yr
#   carbide_pvc 200-300 kt/yr; 2.4e9 CNY for 300 kt/yr -> 8,000 CNY per t/yr
#   chlor_alkali_membrane 210-250 kt/yr; 1.05e9 CNY for 210 kt/yr -> 5,000 CNY per t/yr
#   coking 1.0-3.0 Mt/yr (existing only: no investment figure in the shipped cases)
#   cement_plant 1.0-2.5 Mt/yr; 450e6 CNY for 1 Mt/yr, 520e6 for 1.2 Mt/yr -> 450 CNY per t/yr
#   aerated_block 180-500 kt/yr; 60e6 for 180 kt, 100e6 for 360 kt, 150e6 for 500 kt -> 300 CNY per t/yr
#   ceramsite 200-300 kt/yr; 120e6 for 300 kt, 80e6 for 200 kt -> 400 CNY per t/yr
SECTORS = {
    "power": ("coal_power", 0.12, 5.0, (2.0, 11.0), "TWh/yr", 1.0e9, 0.05),
    "carbide": ("carbide_furnace", 0.10, 450.0, (200.0, 700.0), "kt/yr", 3000e3, 0.15),
    "pvc": ("carbide_pvc", 0.10, 300.0, (150.0, 450.0), "kt/yr", 8000e3, 0.15),
    "chlor_alkali": ("chlor_alkali_membrane", 0.08, 230.0, (120.0, 400.0), "kt/yr", 5000e3, 0.15),
    "coking": ("coking", 0.08, 2000.0, (800.0, 3500.0), "kt/yr", None, 0.0),
    "cement": ("cement_plant", 0.16, 1500.0, (600.0, 3000.0), "kt/yr", 450e3, 0.5),
    "blocks": ("aerated_block", 0.22, 300.0, (150.0, 600.0), "kt/yr", 300e3, 0.6),
    "ceramsite": ("ceramsite", 0.14, 250.0, (100.0, 400.0), "kt/yr", 400e3, math.inf),
}
#: sectors whose plants are always candidates: a ceramsite plant needs ash (or gangue), which
#: cannot be bought, so an existing one could not run without a supplier in reach; in the
#: shipped cases every ceramsite plant is a candidate. Any beyond the 30 % become block plants.
ALWAYS_CANDIDATE = ("ceramsite",)
#: sectors whose existing plants stand in a park with an existing power plant (see region)
NEEDS_POWER_PARK = ("cement",)
#: fly ash of coal_power (models/power.yaml: 0.097 t/MWh) and the least fly ash an existing cement
#: plant takes at half load (models/cement_building.yaml: mineral addition 0.30 t/t, at most a third
#: limestone): 0.5 x 0.30 x 2/3 = 0.10 t per t of cement capacity
FLY_ASH_PER_MWH = 0.097
CEMENT_ASH_AT_HALF_LOAD = 0.10
#: spread of capacities around the typical size (log-normal sigma, estimate)
CAPACITY_SIGMA = 0.35
#: a second, double size of building-material candidates costs 1.7x (shipped cases: 180 -> 360 kt
#: AAC 60 -> 100 M CNY = 1.67x; 0.6 -> 1.2 Mt cement 300 -> 520 M CNY = 1.73x)
DOUBLE_SIZE_CAPEX = 1.7
BUILDING = ("cement", "blocks", "ceramsite")
#: candidates of furnaces, electrolysers and boilers run at half load at least once built (estimate)
MIN_LOAD = {"power": 0.5, "carbide": 0.5, "pvc": 0.5, "chlor_alkali": 0.5}
#: existing plants that follow demand run between half and full capacity; the others at capacity (estimate)
FLEXIBLE = ("power", "cement", "blocks", "ceramsite")
#: share of existing building-material plants old enough that closing them is an option (estimate)
CLOSABLE_SHARE = 0.05
#: plants per park on average and the spread of a park around its centre (km, estimate)
PLANTS_PER_PARK = 12
PARK_SIGMA_KM = (2.0, 6.0)


def _capacity_text(value: float, unit: str) -> str:
    if unit == "TWh/yr":
        return f"{value:.2f} TWh/yr"
    return f"{value:.0f} kt/yr"


def _capex_text(value: float) -> str:
    return f"{value / 1e6:.1f}e6 CNY"


def _draw_capacity(rnd: random.Random, typical: float, rng: tuple[float, float], unit: str) -> float:
    v = typical * math.exp(rnd.gauss(0.0, CAPACITY_SIGMA))
    v = min(max(v, rng[0]), rng[1])
    return round(v, 2) if unit == "TWh/yr" else float(round(v / 10.0) * 10)


def _amount(text: str) -> float:
    """A capacity written by _capacity_text in t/yr or MWh/yr."""
    value, unit = text.split()
    return float(value) * (1e6 if unit == "TWh/yr" else 1e3)


def _to_lonlat(x_km: float, y_km: float) -> list[float]:
    lat0 = ORIGIN[1] + REGION_KM / 2 / 110.574
    lon = ORIGIN[0] + x_km / (111.320 * math.cos(math.radians(lat0)))
    lat = ORIGIN[1] + y_km / 110.574
    return [round(lon, 5), round(lat, 5)]


def _place(rnd: random.Random, entry: dict, k: int, parks: list) -> None:
    cx, cy, sigma, _ = parks[k]
    x = min(max(rnd.gauss(cx, sigma), 0.0), REGION_KM)
    y = min(max(rnd.gauss(cy, sigma), 0.0), REGION_KM)
    entry["location"] = _to_lonlat(x, y)
    entry["park"] = f"park {k + 1:03d}"


def region(n_plants: int, seed: int = 1, listed: bool = False) -> dict:
    """A synthetic region of ``n_plants`` plants as a case dict, the same for the same seed.

    Examples
    --------
    >>> from symbiosis.io import case_from_dict
    >>> case = case_from_dict(region(40, seed=3))
    >>> len(case.plants), sum(p.is_candidate for p in case.plants.values())
    (40, 12)
    """
    if n_plants < 1:
        raise ValueError(f"a region needs at least one plant, got {n_plants}")
    rnd = random.Random(seed)
    names = list(SECTORS)
    shares = [SECTORS[s][1] for s in names]
    # every sector appears once its share allows it, the rest is drawn by share
    sectors = [s for s in names if SECTORS[s][1] * n_plants >= 1]
    sectors += rnd.choices(names, weights=shares, k=n_plants - len(sectors))
    rnd.shuffle(sectors)
    # exactly 30 % candidates, drawn by each sector's propensity (weighted sampling without
    # replacement: the largest u ** (1 / w) win)
    n_cand = round(CANDIDATE_SHARE * n_plants)
    keys = []
    for i, s in enumerate(sectors):
        w = SECTORS[s][6]
        u = rnd.random()
        keys.append((2.0 + u if s in ALWAYS_CANDIDATE else u ** (1.0 / w) if w > 0 else -1.0, i))
    candidate = {i for _, i in sorted(keys, reverse=True)[:n_cand]}
    for i, s in enumerate(sectors):
        if s in ALWAYS_CANDIDATE and i not in candidate:
            sectors[i] = "blocks"
    # parks: centres over the region, sizes uneven (gamma weights)
    n_parks = max(1, round(n_plants / PLANTS_PER_PARK))
    parks = []
    for k in range(n_parks):
        parks.append((rnd.uniform(10, REGION_KM - 10), rnd.uniform(10, REGION_KM - 10),
                      rnd.uniform(*PARK_SIGMA_KM), rnd.gammavariate(2.0, 1.0)))
    weights = [p[3] for p in parks]
    entries: list[dict] = []
    deferred = []
    for i, s in enumerate(sectors):
        process, _share, typical, rng, unit, capex_per, _prop = SECTORS[s]
        cap = _draw_capacity(rnd, typical, rng, unit)
        entry: dict = {"process": process}
        if i in candidate:
            entry["status"] = "candidate"
            if s in BUILDING:
                entry["sizes"] = [{"capacity": _capacity_text(cap, unit), "capex": _capex_text(capex_per * cap)},  # type: ignore[operator]
                                  {"capacity": _capacity_text(2 * cap, unit),
                                   "capex": _capex_text(DOUBLE_SIZE_CAPEX * capex_per * cap)}]  # type: ignore[operator]
            else:
                entry["capacity"] = _capacity_text(cap, unit)
                entry["capex"] = _capex_text(capex_per * cap)  # type: ignore[operator]
            if s in MIN_LOAD:
                entry["min_load"] = MIN_LOAD[s]
        else:
            entry["capacity"] = _capacity_text(cap, unit)
            if s in FLEXIBLE:
                entry["load"] = [0.5, 1.0]
            if s in BUILDING and rnd.random() < CLOSABLE_SHARE:
                entry["can_close"] = True
        if s in NEEDS_POWER_PARK and i not in candidate:
            deferred.append(i)   # placed once the power plants are
        else:
            _place(rnd, entry, rnd.choices(range(n_parks), weights=weights)[0], parks)
        entries.append(entry)
    # an existing cement plant needs fly ash (or slag) for two thirds of its mineral addition,
    # which cannot be bought: it stands in a park whose existing power plants make enough
    # fly ash for it at half load (else it may close)
    ash_left: dict[int, float] = {}
    for e in entries:
        if e["process"] == "coal_power" and e.get("status") != "candidate":
            k = int(e["park"].split()[-1]) - 1
            ash_left[k] = ash_left.get(k, 0.0) + FLY_ASH_PER_MWH * _amount(e["capacity"])
    for i in deferred:
        need = CEMENT_ASH_AT_HALF_LOAD * _amount(entries[i]["capacity"])
        fits = sorted(k for k, left in ash_left.items() if left >= need)
        if fits:
            k = rnd.choice(fits)
            ash_left[k] -= need
        else:
            k = rnd.choices(range(n_parks), weights=weights)[0]
            entries[i]["can_close"] = True
            entries[i].pop("load", None)
        _place(rnd, entries[i], k, parks)
    plants = {f"{s}_{i + 1:04d}": e for i, (s, e) in enumerate(zip(sectors, entries))}
    # today's exchanges: each existing PVC plant takes carbide from an existing furnace of its park
    exchanges = []
    by_park: dict[str, list[str]] = {}
    for name, e in plants.items():
        if e["process"] == "carbide_furnace" and e.get("status") != "candidate":
            by_park.setdefault(e["park"], []).append(name)
    for name, e in plants.items():
        if e["process"] == "carbide_pvc" and e.get("status") != "candidate" and by_park.get(e["park"]):
            exchanges.append({"from": by_park[e["park"]][0], "to": name, "material": "calcium_carbide",
                              "existing": True})
    data = {
        "name": f"generated region ({n_plants} plants, seed {seed})",
        "description": (f"Synthetic region from `symbiosis generate --plants {n_plants} --seed {seed}"
                        f"{' --listed' if listed else ''}`: {n_parks} parks in {REGION_KM:.0f} x {REGION_KM:.0f} "
                        f"km, {n_cand} candidate plants; capacities drawn around the shipped cases' sizes. "
                        "Not data of real plants."),
        "library": "shipped",
        "settings": {"max_distance": f"{MAX_DISTANCE_KM:.0f} km", "transport_cost": "0.45 CNY/t/km",
                     "detour_factor": 1.3, "objective": "cost", "time_limit": 120, "mip_gap": 0.01},
        "plants": plants,
        "exchanges": exchanges,
    }
    if listed:
        data = _listed(data)
    return data


def _listed(data: dict) -> dict:
    """The same region with every candidate exchange written out (with its distance)."""
    from symbiosis.graph import candidate_exchanges
    from symbiosis.io import case_from_dict
    case = case_from_dict(data, file="<generated region>")
    rules = {(e["from"], e["to"], e["material"]): e for e in data["exchanges"]}
    out = []
    for x in candidate_exchanges(case):
        entry = {"from": x.source, "to": x.target, "material": x.material, "distance": f"{x.distance:.3f} km"}
        if rules.get(x.key, {}).get("existing"):
            entry["existing"] = True  # type: ignore[assignment]
        out.append(entry)
    listed = dict(data)
    listed["settings"] = {**data["settings"], "generate_candidates": False}
    listed["exchanges"] = out
    return listed


def write_region(data: dict, path: str | Path) -> Path:
    """Write a region (or any case dict) as YAML: one line per exchange and location."""
    import yaml
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path = Path(path)
    with open(path, "w", encoding="utf-8") as fh:
        yaml.dump(data, fh, Dumper=dumper, sort_keys=False, default_flow_style=None, allow_unicode=True,
                  width=200)
    return path
