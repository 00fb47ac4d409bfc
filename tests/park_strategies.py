"""Hypothesis strategies of small random parks (case dicts) and the example budgets of the
metamorphic and independent tests.

``HYPOTHESIS_PROFILE=long`` runs each property on many more examples than the default
``ci`` budget, for local runs. The budget is given per test (``settings(max_examples=...)``)
rather than by loading a global profile, so other test files keep their own settings.
"""
from __future__ import annotations

import os

from hypothesis import strategies as st

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")


def budget(ci: int, long: int | None = None) -> int:
    """Examples for one property: ``ci`` by default, ``long`` (default 12 x ci) with
    HYPOTHESIS_PROFILE=long."""
    return (long or 12 * ci) if PROFILE == "long" else ci


def _money(draw, lo, hi, unit):
    return f"{draw(st.integers(lo, hi))} {unit}"


@st.composite
def small_parks(draw, max_candidates: int = 3, max_sizes: int = 2, with_limits: bool = True,
                min_sale: bool = True, closable: bool = True):
    """A random park that uses most of the case format: existing sources (some with a load
    range, some closable with a fixed cost) making a product and by-products; candidate
    plants with one or two sizes (capex, fixed cost, min load) whose input slot takes a
    virgin material or by-products (equivalence, max share, CO2 per unit); an energy input
    bought or taken from a source; market prices and caps; a product demand; explicit
    exchange rules with a fixed cost, a cap or a floor; transport costs by distance;
    sometimes a carbon price, a capex budget or a plant limit."""
    n_src = draw(st.integers(1, 3))
    n_cand = draw(st.integers(1, max_candidates))
    byps = [f"bp{i}" for i in range(draw(st.integers(1, 3)))]
    materials = {
        "raw": {"kind": "raw", "unit": "t", "price": _money(draw, 10, 200, "CNY/t")},
        "product": {"kind": "product", "unit": "t", "sale_price": _money(draw, 50, 900, "CNY/t")},
        "virgin": {"kind": "raw", "unit": "t", "price": _money(draw, 10, 300, "CNY/t"),
                   "co2_per_unit": f"{draw(st.sampled_from([0, 0.1, 0.4]))} t/t"},
        "good": {"kind": "product", "unit": "t", "sale_price": _money(draw, 100, 1500, "CNY/t")},
        "power": {"kind": "energy", "unit": "MWh", "price": _money(draw, 300, 600, "CNY/MWh"),
                  "sale_price": _money(draw, 100, 300, "CNY/MWh"), "transport_cost": "0.01 CNY/MWh/km"},
    }
    if draw(st.booleans()):
        materials["virgin"]["max_purchase"] = f"{draw(st.integers(5, 300))} kt/yr"
    if draw(st.booleans()):
        materials["good"]["max_sale"] = f"{draw(st.integers(50, 500))} kt/yr"
    if min_sale and draw(st.booleans()):
        materials["good"]["min_sale"] = f"{draw(st.integers(1, 30))} kt/yr"
    for b in byps:
        spec = {"kind": "byproduct", "unit": "t"}
        outlet = draw(st.sampled_from(["dispose", "dispose", "sell", "both"]))
        if outlet in ("dispose", "both"):
            spec["disposal_cost"] = _money(draw, 0, 80, "CNY/t")
        if outlet in ("sell", "both"):
            spec["sale_price"] = _money(draw, 0, 20, "CNY/t")
        materials[b] = spec
    processes, plants, exchanges = {}, {}, []

    def loc():
        return [100 + draw(st.floats(0, 0.5)), 30 + draw(st.floats(0, 0.5))]

    for i in range(n_src):
        outs = {"product": {"amount": "1 t"}}
        for b in draw(st.lists(st.sampled_from(byps), min_size=1, max_size=len(byps), unique=True)):
            outs[b] = {"amount": f"{draw(st.floats(0.05, 2.0)):.3f} t"}
        if draw(st.booleans()):
            outs["power"] = {"amount": f"{draw(st.floats(0.01, 0.3)):.3f} MWh"}
        processes[f"src{i}"] = {"activity": "t", "inputs": {"raw": {"amount": "1.5 t"}}, "outputs": outs,
                                "operating_cost": _money(draw, 0, 100, "CNY/t"),
                                "co2": f"{draw(st.sampled_from([0, 0.2, 1.0]))} t/t"}
        plant = {"process": f"src{i}", "capacity": f"{draw(st.integers(10, 500))} kt/yr", "location": loc()}
        mode = draw(st.sampled_from(["fixed", "load", "close"] if closable else ["fixed", "load"]))
        if mode == "load":
            plant["load"] = [draw(st.sampled_from([0.3, 0.5, 0.8])), 1.0]
        elif mode == "close":
            plant["can_close"] = True
            plant["fixed_cost"] = f"{draw(st.integers(0, 20))}e6 CNY/yr"
        plants[f"S{i}"] = plant
    for j in range(n_cand):
        opts = {"virgin": {"equivalence": 1.0}}
        for b in draw(st.lists(st.sampled_from(byps), min_size=1, max_size=len(byps), unique=True)):
            opts[b] = {"equivalence": round(draw(st.floats(0.3, 2.0)), 3),
                       "max_share": draw(st.sampled_from([0.2, 0.5, 0.8, 1.0]))}
            if draw(st.booleans()):
                opts[b]["co2"] = f"{draw(st.sampled_from([0.05, 0.3]))} t/t"
        processes[f"user{j}"] = {
            "activity": "t", "product": "good",
            "inputs": {"feed": {"amount": f"{draw(st.floats(0.2, 1.5)):.3f} t", "options": opts},
                       "power": {"amount": f"{draw(st.floats(0.0, 0.2)):.3f} MWh"}},
            "outputs": {"good": {"amount": "1 t"}},
            "operating_cost": _money(draw, 0, 300, "CNY/t")}
        sizes = [{"capacity": f"{draw(st.integers(10, 400))} kt/yr", "capex": f"{draw(st.integers(0, 300))}e6 CNY"}
                 for _ in range(draw(st.integers(1, max_sizes)))]
        plants[f"C{j}"] = {"process": f"user{j}", "status": "candidate", "sizes": sizes,
                           "min_load": draw(st.sampled_from([0, 0.3])), "location": loc(),
                           "life": f"{draw(st.sampled_from([10, 20, 30]))} yr"}
        if draw(st.booleans()):
            plants[f"C{j}"]["fixed_cost"] = f"{draw(st.integers(1, 30))}e6 CNY/yr"
    # explicit rules on some by-product links
    for _ in range(draw(st.integers(0, 2))):
        i, j = draw(st.integers(0, n_src - 1)), draw(st.integers(0, n_cand - 1))
        src_outs = processes[f"src{i}"]["outputs"]
        user_opts = processes[f"user{j}"]["inputs"]["feed"]["options"]
        common = sorted(set(src_outs) & set(user_opts))
        if not common:
            continue
        m = draw(st.sampled_from(common))
        if any(e["from"] == f"S{i}" and e["to"] == f"C{j}" and e["material"] == m for e in exchanges):
            continue
        rule = {"from": f"S{i}", "to": f"C{j}", "material": m}
        kind = draw(st.sampled_from(["fixed", "max", "min", "capex"]))
        if kind == "fixed":
            rule["fixed_cost"] = f"{draw(st.integers(1, 20))}e5 CNY/yr"
        elif kind == "max":
            rule["max"] = f"{draw(st.integers(1, 100))} kt/yr"
        elif kind == "min":
            rule["min"] = f"{draw(st.integers(1, 5))} kt/yr"
        else:
            rule["capex"] = f"{draw(st.integers(1, 50))}e6 CNY"
        exchanges.append(rule)
    settings = {"max_distance": f"{draw(st.integers(5, 100))} km",
                "transport_cost": f"{draw(st.sampled_from([0.2, 0.45, 1.0]))} CNY/t/km",
                "exchange_fixed_cost": f"{draw(st.sampled_from([0, 0, 1e4, 1e5]))} CNY/yr",
                "objective": "cost"}
    if draw(st.booleans()):
        settings["carbon_price"] = f"{draw(st.sampled_from([20, 80]))} CNY/t"
    d = {"name": "random park", "library": [], "materials": materials, "processes": processes,
         "plants": plants, "exchanges": exchanges, "settings": settings}
    if with_limits:
        lim = draw(st.sampled_from([None, "capex", "new_plants"]))
        if lim == "capex":
            d["limits"] = {"capex": f"{draw(st.integers(0, 400))}e6 CNY"}
        elif lim == "new_plants":
            d["limits"] = {"new_plants": draw(st.integers(0, 2))}
    return d
