"""A planning script: what if coal gets dearer and the cement plant pays less for fly ash?

Change the case from Python (no YAML edited), re-optimise, compare with the base plan,
and export the tables. Run it from the repository's root:

    python examples/planning.py [OUT_DIR]

Everything here is the public API: ``load_case``, ``Case.with_changes``, ``optimize``,
``Result.compare``, the result's pandas tables, ``Result.write``, ``Result.to_excel``
and ``load_result``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import symbiosis

ROOT = Path(__file__).resolve().parents[1]


def main(out: Path) -> None:
    case = symbiosis.load_case(ROOT / "cases" / "tutorial.yaml")
    base = symbiosis.optimize(case)

    # the same entries as `symbiosis sweep --vary` and a case file's scenarios
    changed = case.with_changes({
        "materials.cement.sale_price": "300 CNY/t",   # a weaker cement market
        "materials.fly_ash.disposal_cost": "60 CNY/t",  # landfill gets dearer
    })
    plan = symbiosis.optimize(changed)

    diff = plan.compare(base, names=("base", "changed"))
    key = ["byproducts_reused", "reuse_rate", "capex", "annualised_cost", "new_plants", "exchanges_open"]
    print(diff.loc[key, ["unit", "base", "changed", "change"]].to_string(float_format=lambda v: f"{v:,.4g}"))
    print("plants added:", ", ".join(diff.attrs["plants_added"]) or "none",
          "| removed:", ", ".join(diff.attrs["plants_removed"]) or "none")

    # the tables are pandas DataFrames: where does the fly ash go now?
    flows = plan.chosen_exchanges
    print(flows[flows["material"] == "fly_ash"][["source", "target", "flow", "unit"]].to_string(index=False))

    # export: a result folder (CSV + summary.json) and one workbook, each written whole
    plan.write(out / "changed", html=False)
    plan.to_excel(out / "changed.xlsx", status_quo=base)
    again = symbiosis.load_result(out / "changed")  # read back later, e.g. in another script
    assert abs(again.kpi("reuse_rate") - plan.kpi("reuse_rate")) < 1e-9
    print(f"wrote {out / 'changed'}/ and {out / 'changed.xlsx'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out") / "planning")
