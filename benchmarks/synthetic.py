"""A synthetic park of any size, for benchmarks: clusters of coal power, carbide, PVC and
chlor-alkali plants with candidate cement, ceramsite and block plants, spread over a
region so that candidate exchanges grow with the number of plants in reach."""
from __future__ import annotations

import random


def synthetic_park(n_clusters: int, seed: int = 1, spread_deg: float = 2.0) -> dict:
    rnd = random.Random(seed)
    materials = {
        "coal": {"kind": "raw", "unit": "t", "price": "600 CNY/t"},
        "electricity": {"kind": "energy", "unit": "MWh", "price": "500 CNY/MWh", "sale_price": "300 CNY/MWh",
                        "transport_cost": "0 CNY/MWh/km", "max_distance": "40 km"},
        "lime": {"kind": "raw", "unit": "t", "price": "400 CNY/t"},
        "coke": {"kind": "raw", "unit": "t", "price": "1200 CNY/t"},
        "salt": {"kind": "raw", "unit": "t", "price": "300 CNY/t"},
        "hcl": {"kind": "intermediate", "unit": "t", "price": "150 CNY/t", "sale_price": "50 CNY/t"},
        "naoh": {"kind": "product", "unit": "t", "sale_price": "2700 CNY/t"},
        "limestone": {"kind": "raw", "unit": "t", "price": "60 CNY/t"},
        "clay": {"kind": "raw", "unit": "t", "price": "40 CNY/t"},
        "calcium_carbide": {"kind": "intermediate", "unit": "t", "price": "3000 CNY/t", "sale_price": "2800 CNY/t"},
        "pvc": {"kind": "product", "unit": "t", "sale_price": "6000 CNY/t"},
        "cement": {"kind": "product", "unit": "t", "sale_price": "380 CNY/t"},
        "ceramsite": {"kind": "product", "unit": "t", "sale_price": "150 CNY/t"},
        "blocks": {"kind": "product", "unit": "t", "sale_price": "120 CNY/t"},
        "fly_ash": {"kind": "byproduct", "unit": "t", "disposal_cost": "25 CNY/t"},
        "carbide_slag": {"kind": "byproduct", "unit": "t", "disposal_cost": "30 CNY/t"},
        "salt_mud": {"kind": "byproduct", "unit": "t", "disposal_cost": "40 CNY/t"},
    }
    processes = {
        "power": {"activity": "MWh", "sector": "power", "inputs": {"coal": {"amount": "0.43 t"}},
                  "outputs": {"electricity": {"amount": "1 MWh"}, "fly_ash": {"amount": "0.08 t"}}},
        "carbide": {"activity": "t", "sector": "chemicals",
                    "inputs": {"electricity": {"amount": "3.5 MWh"}, "lime": {"amount": "0.95 t"},
                               "coke": {"amount": "0.56 t"}},
                    "outputs": {"calcium_carbide": {"amount": "1 t"}}},
        "chlor_alkali": {"activity": "t", "sector": "chemicals",
                         "inputs": {"salt": {"amount": "1.5 t"}, "electricity": {"amount": "2.3 MWh"}},
                         "outputs": {"naoh": {"amount": "1 t"}, "hcl": {"amount": "0.9 t"},
                                     "salt_mud": {"amount": "0.04 t"}}},
        "pvc": {"activity": "t", "sector": "chemicals",
                "inputs": {"calcium_carbide": {"amount": "1.45 t"}, "hcl": {"amount": "0.6 t"},
                           "electricity": {"amount": "0.3 MWh"}},
                "outputs": {"pvc": {"amount": "1 t"}, "carbide_slag": {"amount": "1.78 t"}}},
        "cement": {"activity": "t", "sector": "building_materials",
                   "inputs": {"cao": {"amount": "0.8 t", "options": {
                       "limestone": {"equivalence": 1, "co2": "0.44 t/t"},
                       "carbide_slag": {"equivalence": 1.25, "max_share": 0.8}}},
                       "admixture": {"amount": "0.2 t", "options": {"clay": {"equivalence": 1},
                                                                  "fly_ash": {"equivalence": 1}, "salt_mud": {
                                                                      "equivalence": 1, "max_share": 0.1}}},
                       "electricity": {"amount": "0.09 MWh"}},
                   "outputs": {"cement": {"amount": "1 t"}}, "operating_cost": "80 CNY/t"},
        "ceramsite": {"activity": "t", "sector": "building_materials",
                      "inputs": {"ash": {"amount": "1.0 t", "options": {"clay": {"equivalence": 1},
                                                                       "fly_ash": {"equivalence": 1,
                                                                                   "max_share": 0.9}}}},
                      "outputs": {"ceramsite": {"amount": "1 t"}}, "operating_cost": "90 CNY/t"},
        "blocks": {"activity": "t", "sector": "building_materials",
                   "inputs": {"binder": {"amount": "0.3 t", "options": {"lime": {"equivalence": 1},
                                                                       "carbide_slag": {"equivalence": 1,
                                                                                        "max_share": 0.7}}},
                              "filler": {"amount": "0.7 t", "options": {"clay": {"equivalence": 1},
                                                                       "fly_ash": {"equivalence": 1}}}},
                   "outputs": {"blocks": {"amount": "1 t"}}, "operating_cost": "60 CNY/t"},
    }
    plants, exchanges = {}, []
    for c in range(n_clusters):
        lon0, lat0 = 110 + rnd.uniform(0, spread_deg * 3), 34 + rnd.uniform(0, spread_deg)

        def loc():
            return [round(lon0 + rnd.uniform(-0.15, 0.15), 4), round(lat0 + rnd.uniform(-0.15, 0.15), 4)]
        plants[f"power_{c}"] = {"process": "power", "capacity": f"{rnd.randint(2, 8)} TWh/yr", "location": loc(),
                                "park": f"park {c}"}
        plants[f"carbide_{c}"] = {"process": "carbide", "capacity": f"{rnd.randint(100, 400)} kt/yr",
                                  "load": [0, 1], "location": loc(), "park": f"park {c}"}
        plants[f"chlor_{c}"] = {"process": "chlor_alkali", "capacity": f"{rnd.randint(100, 300)} kt/yr",
                                "location": loc(), "park": f"park {c}"}
        plants[f"pvc_{c}"] = {"process": "pvc", "capacity": f"{rnd.randint(100, 300)} kt/yr", "location": loc(),
                              "park": f"park {c}"}
        for kind, cap, capex in (("cement", (300, 1000), (150, 450)), ("ceramsite", (50, 300), (30, 120)),
                                 ("blocks", (50, 300), (20, 80))):
            plants[f"{kind}_{c}"] = {"process": kind, "status": "candidate", "location": loc(), "park": f"park {c}",
                                     "sizes": [{"capacity": f"{cap[0]} kt/yr", "capex": f"{capex[0]}e6 CNY"},
                                               {"capacity": f"{cap[1]} kt/yr", "capex": f"{capex[1]}e6 CNY"}]}
        exchanges.append({"from": f"carbide_{c}", "to": f"pvc_{c}", "material": "calcium_carbide", "existing": True})
    return {"name": f"synthetic park ({n_clusters} clusters)", "library": [], "materials": materials,
            "processes": processes, "plants": plants, "exchanges": exchanges,
            "settings": {"max_distance": "60 km", "time_limit": 120, "mip_gap": 0.01}}
