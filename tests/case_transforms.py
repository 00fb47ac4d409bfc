"""Transformations of a case dict (as read from YAML) that must not change the answer,
for the metamorphic tests and benchmarks/trust_measure.py.

- :func:`inline_library`: copy the library materials and processes a case uses into the
  dict (case fields over library fields, as the loader merges them), so that every number
  the case depends on is in one dict and can be transformed;
- :func:`scale_money`: every quantity in the case's money unit times a factor (prices,
  costs, capex, transport costs, limits), including the defaults the loader would apply
  (``settings.transport_cost``);
- :func:`scale_material_units`: count materials in t as kt and in MWh as GWh;
- :func:`rename_and_reorder`: new plant names, every mapping and list in another order;
- :func:`add_unconnected_candidate`: a candidate plant on materials nobody else uses,
  which loses money, so it is never worth building.
"""
from __future__ import annotations

import copy
import random
import re
from pathlib import Path

import yaml

from symbiosis.io import case_from_dict, deep_merge, shipped_cases_dir, shipped_models_dir

#: fields whose text is prose, never a quantity
PROSE = {"source", "note", "name", "description", "label", "estimate", "park", "sector", "money", "process"}
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_MONEY = re.compile(rf"^\s*({_NUM})\s*((?:[A-Za-z0-9_*().^/-]*?)(?:CNY|yuan|RMB)(?:[A-Za-z0-9_*().^/-]*))\s*$")
DEFAULT_TRANSPORT_COST = 0.45  # CNY/t/km, schema.SettingsSpec.transport_cost's default


def load_dict(path: str | Path) -> tuple[dict, Path]:
    path = Path(path)
    return yaml.safe_load(path.read_text()), path.parent


def _library_dirs(data: dict, base_dir: Path) -> list[Path]:
    lib = data.get("library")
    if lib is None:
        return [shipped_models_dir()]
    if isinstance(lib, str):
        lib = [lib]
    out = []
    for entry in lib:
        p = Path(entry)
        out.append(p if p.is_absolute() else (base_dir / p))
    return out


def inline_library(data: dict, base_dir: Path) -> dict:
    """The case with every library material and process in its own sections and
    ``library: []``. Case materials override library fields one by one (as the loader
    does); a case process replaces the library's."""
    d = copy.deepcopy(data)
    mats, procs = {}, {}
    for folder in _library_dirs(data, base_dir):
        for f in sorted(Path(folder).rglob("*.yaml")):
            lib = yaml.safe_load(f.read_text()) or {}
            mats.update(lib.get("materials") or {})
            procs.update(lib.get("processes") or {})
    for name, spec in (d.get("materials") or {}).items():
        mats[name] = {**mats.get(name, {}), **spec}
    procs.update(d.get("processes") or {})
    d["materials"], d["processes"], d["library"] = mats, procs, []
    return d


def _scale_text(text: str, factor: float) -> str | None:
    m = _MONEY.match(text)
    if not m:
        return None
    return f"{float(m.group(1)) * factor!r} {m.group(2)}"


def scale_money(data: dict, factor: float) -> dict:
    """Every money quantity of an inlined case dict times ``factor``. Raises if a string
    names the money unit in a form the scaler does not understand (outside prose)."""
    d = copy.deepcopy(data)

    def walk(obj, key=None):
        if isinstance(obj, dict):
            return {k: (v if k in PROSE else walk(v, k)) for k, v in obj.items()}
        if isinstance(obj, list):
            return [walk(v, key) for v in obj]
        if isinstance(obj, str) and re.search(r"(?<![A-Za-z])(CNY|yuan|RMB)", obj):
            out = _scale_text(obj, factor)
            if out is None:
                raise ValueError(f"cannot scale the money in {obj!r} (field {key!r})")
            return out
        return obj

    d = walk(d)
    s = d.setdefault("settings", {})
    if "transport_cost" not in s:
        s["transport_cost"] = f"{DEFAULT_TRANSPORT_COST * factor!r} CNY/t/km"
    for scen in (d.get("scenarios") or {}).values():
        if scen and "settings" in scen and "transport_cost" not in scen["settings"]:
            pass  # the base case's (scaled) setting applies
    return d


def scale_material_units(data: dict, mass: str = "kt", energy: str = "GWh") -> dict:
    """Materials counted in t are counted in ``mass``, those in MWh in ``energy``; every
    quantity keeps its own unit in the text, so the loader converts it (the same park)."""
    d = copy.deepcopy(data)
    for spec in (d.get("materials") or {}).values():
        if spec.get("unit") == "t":
            spec["unit"] = mass
        elif spec.get("unit") == "MWh":
            spec["unit"] = energy
    return d


def _shuffled(mapping: dict, rng: random.Random) -> dict:
    items = list(mapping.items())
    rng.shuffle(items)
    return dict(items)


def rename_and_reorder(data: dict, seed: int = 0) -> tuple[dict, dict[str, str]]:
    """New plant names and every mapping and list of the case in another order. Returns
    the dict and {new name: old name}."""
    rng = random.Random(seed)
    d = copy.deepcopy(data)
    old = list(d["plants"])
    new_names = {p: f"plant_{i:03d}_{rng.randrange(10**6):06d}" for i, p in enumerate(old)}
    d["plants"] = _shuffled({new_names[p]: spec for p, spec in d["plants"].items()}, rng)
    for e in d.get("exchanges") or []:
        e["from"], e["to"] = new_names[e["from"]], new_names[e["to"]]
    for e in d.get("distances") or []:
        e["from"], e["to"] = new_names[e["from"]], new_names[e["to"]]
    if d.get("exchanges"):
        rng.shuffle(d["exchanges"])
    if d.get("distances"):
        rng.shuffle(d["distances"])
    d["materials"] = _shuffled(d.get("materials") or {}, rng)
    procs = {}
    for name, p in _shuffled(d.get("processes") or {}, rng).items():
        p = copy.deepcopy(p)
        for sec in ("inputs", "outputs"):
            if isinstance(p.get(sec), dict):
                # a slot's options keep their order: the first option names the unit the
                # slot is counted in (its equivalences are relative to it), so reordering
                # them changes what the case says, not only how it is written
                p[sec] = _shuffled(p[sec], rng)
        procs[name] = p
    d["processes"] = procs
    for spec in d["plants"].values():
        if isinstance(spec.get("sizes"), list):
            rng.shuffle(spec["sizes"])
    return d, {v: k for k, v in new_names.items()}


def add_unconnected_candidate(data: dict) -> dict:
    """A candidate plant whose process uses and makes only materials of its own, and
    loses money on every unit (input 50 CNY/t, output sold at 10 CNY/t, a fixed cost)."""
    d = copy.deepcopy(data)
    d.setdefault("materials", {})
    d["materials"]["zz_isolated_feed"] = {"kind": "raw", "unit": "t", "price": "50 CNY/t"}
    d["materials"]["zz_isolated_good"] = {"kind": "product", "unit": "t", "sale_price": "10 CNY/t"}
    d.setdefault("processes", {})
    d["processes"]["zz_isolated"] = {"activity": "t", "inputs": {"zz_isolated_feed": {"amount": "1 t"}},
                                     "outputs": {"zz_isolated_good": {"amount": "1 t"}},
                                     "operating_cost": "5 CNY/t"}
    d["plants"]["zz_isolated_plant"] = {"process": "zz_isolated", "status": "candidate",
                                        "capacity": "100 kt/yr", "capex": "10e6 CNY", "fixed_cost": "1e5 CNY/yr"}
    return d


def load(data: dict, base_dir: Path | None = None):
    return case_from_dict(data, file="<transformed>", base_dir=base_dir or shipped_cases_dir())


def shipped(name: str) -> tuple[dict, Path]:
    """A shipped case as an inlined dict and its folder."""
    data, base = load_dict(shipped_cases_dir() / f"{name}.yaml")
    return inline_library(data, base), base


def network(result, rename: dict[str, str] | None = None) -> frozenset:
    """The built candidate plants of a result with their capacity (the structure), and the
    closed plants, by original name."""
    rename = rename or {}
    out = set()
    for r in result.plants.itertuples():
        name = rename.get(r.plant, r.plant)
        if r.status == "candidate" and r.built:
            out.add((name, round(float(r.capacity), 6)))
        elif r.status == "existing" and not r.built:
            out.add((name, "closed"))
    return frozenset(out)
