"""Write tests/data/case_kpis.json: the status-quo and optimised KPIs of the shipped park
cases (Changzhi, Pingdingshan, Kalundborg) that tests/test_cases.py checks against.

Run it after a deliberate change to models/ or the cases, review the diff by eye, and
commit both:

    /work/venv/bin/python tests/data/make_case_kpis.py
"""
from __future__ import annotations

import json
from pathlib import Path

import symbiosis
from symbiosis.io import load_case, shipped_cases_dir

CASES = ["changzhi", "pingdingshan", "kalundborg"]
#: KPI -> relative tolerance. Reuse and cost are objectives (stable); CO2 and capex follow
#: from the chosen network and may shift between equally cheap networks, so they get more room.
KPIS = {"byproducts_generated": 1e-6, "byproducts_reused": 1e-4, "byproducts_disposed": 1e-3,
        "reuse_rate": 1e-4, "annualised_cost": 1e-4, "co2": 1e-2, "capex": 1e-6, "new_plants": 0.0}
OUT = Path(__file__).resolve().parent / "case_kpis.json"


def solve(name: str) -> dict:
    case = load_case(shipped_cases_dir() / f"{name}.yaml")
    out = {}
    for label, sq in (("status_quo", True), ("optimised", False)):
        r = symbiosis.optimize(case, status_quo=sq)
        out[label] = {k: round(r.kpi(k), 6) for k in KPIS}
        out[label]["built_plants"] = sorted(r.built_plants["plant"])
    return out


def main():
    data = {"_note": "written by tests/data/make_case_kpis.py; reviewed by eye before commit",
            "tolerances": KPIS, "cases": {name: solve(name) for name in CASES}}
    OUT.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
