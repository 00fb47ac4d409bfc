"""Write tests/data/liupanshui_kpis.json: the key KPIs of the four Liupanshui scenarios,
the stored values tests/test_liupanshui.py checks regressions against.

    python tests/data/make_liupanshui_kpis.py

Rerun (and commit the JSON) when the case or the process library changes on purpose.
"""
from __future__ import annotations

import json
from pathlib import Path

import symbiosis
from symbiosis.io import load_case

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "liupanshui.yaml"
OUT = Path(__file__).resolve().parent / "liupanshui_kpis.json"
SCENARIOS = ["status quo", "Partner Park", "Green Park", "both"]
KPIS = ["byproducts_generated", "byproducts_reused", "byproducts_disposed", "reuse_rate", "co2",
        "capex", "annualised_cost", "new_plants"]


def kpis_of(result) -> dict:
    out = {k: result.kpi(k) for k in KPIS}
    out["built"] = sorted(result.built_plants["plant"])
    return out


def main() -> None:
    data = {"case": "cases/liupanshui.yaml",
            "note": "written by tests/data/make_liupanshui_kpis.py",
            "scenarios": {n: kpis_of(symbiosis.optimize(load_case(CASE, scenario=n))) for n in SCENARIOS}}
    OUT.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
