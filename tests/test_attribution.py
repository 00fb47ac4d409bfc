"""The margin split by cause (symbiosis.attribution): a hand-computed park, and the shipped
cases, where the causes' changes must add up to the change of the margin."""
from __future__ import annotations

import pytest

import symbiosis
from symbiosis.attribution import CAUSES, KPI_PREFIX, change_by_cause, change_summary
from symbiosis.io import case_from_dict, load_case, shipped_cases_dir

CASES = shipped_cases_dir()

# A power station (existing) whose 100 t/yr of ash goes to landfill, and a candidate
# block works that can take the ash for up to half of its body in place of clay.
MINI = {
    "name": "two plants", "library": [],
    "materials": {
        "coal": {"kind": "raw", "unit": "t", "price": "50 CNY/t", "source": "test"},
        "clay": {"kind": "raw", "unit": "t", "price": "20 CNY/t", "source": "test"},
        "power": {"kind": "energy", "unit": "MWh", "price": "500 CNY/MWh", "sale_price": "300 CNY/MWh",
                  "source": "test"},
        "ash": {"kind": "byproduct", "unit": "t", "disposal_cost": "10 CNY/t", "source": "test"},
        "block": {"kind": "product", "unit": "t", "sale_price": "100 CNY/t", "source": "test"},
    },
    "processes": {
        "gen": {"activity": "MWh", "product": "power", "operating_cost": "10 CNY/MWh",
                "inputs": {"coal": {"amount": "0.5 t"}},
                "outputs": {"power": {"amount": "1 MWh"}, "ash": {"amount": "0.1 t"}}},
        "blocks": {"activity": "t", "product": "block", "operating_cost": "5 CNY/t",
                   "inputs": {"body": {"amount": "1 t", "options": {
                       "clay": {"equivalence": 1.0}, "ash": {"equivalence": 1.0, "max_share": 0.5}}}},
                   "outputs": {"block": {"amount": "1 t"}}},
    },
    "plants": {
        "station": {"process": "gen", "status": "existing", "capacity": "1000 MWh/yr"},
        "works": {"process": "blocks", "status": "candidate", "capacity": "400 t/yr", "capex": "0 CNY",
                  "fixed_cost": "500 CNY/yr"},
    },
    "exchanges": [{"from": "station", "to": "works", "material": "ash", "distance": "10 km"}],
    "settings": {"transport_cost": "0.5 CNY/t/km", "generate_candidates": False},
}


def test_split_of_a_hand_computed_park():
    case = case_from_dict(MINI)
    sq = symbiosis.optimize(case, "cost", status_quo=True)
    opt = symbiosis.optimize(case, "cost")
    # status quo: coal 500 t x 50 + O&M 10,000 = 35,000 on the station; power 1,000 MWh x 300 sold;
    # 100 t ash landfilled x 10
    assert [sq.kpi(KPI_PREFIX + c) for c in CAUSES] == pytest.approx([-1_000, 300_000, 0, -35_000])
    # optimised: the works makes 400 t of blocks (40,000), 100 t of ash fill half its body
    # (at most 200 t): transport 100 t x 10 km x 0.5 = 500 and 100 t of clay not bought
    # (2,000) are the ash's; the works pays 300 t clay (6,000), O&M 2,000 and 500 fixed
    assert opt.kpi("profit") == pytest.approx(300_000 + 40_000 - 35_000 - 6_000 - 2_000 - 500 - 500)
    assert [opt.kpi(KPI_PREFIX + c) for c in CAUSES] == pytest.approx(
        [-500 + 2_000, 300_000, 40_000 - 6_000 - 2_000 - 500 - 2_000, -35_000])
    df = change_by_cause(opt, sq)
    assert df.loc[list(CAUSES), "change"].tolist() == pytest.approx([2_500, 0, 29_500, 0])
    assert df.loc["total", "change"] == pytest.approx(32_000)
    assert df.loc["byproducts", "share"] == pytest.approx(2_500 / 32_000)
    # reuse beside utilisation: all the ash reused, none sold
    mats = opt.materials.set_index("material")
    assert mats.loc["ash", "reuse_rate"] == pytest.approx(1.0)
    assert mats.loc["ash", "utilisation_rate"] == pytest.approx(1.0)
    assert sq.materials.set_index("material").loc["ash", "utilisation_rate"] == pytest.approx(0.0)


def test_utilisation_counts_what_is_sold():
    data = {**MINI, "materials": {**MINI["materials"],
                                  "ash": {"kind": "byproduct", "unit": "t", "disposal_cost": "10 CNY/t",
                                          "sale_price": "5 CNY/t", "max_sale": "30 t/yr", "source": "test"}}}
    case = case_from_dict(data)
    sq = symbiosis.optimize(case, "cost", status_quo=True)
    row = sq.materials.set_index("material").loc["ash"]
    assert (row["reuse_rate"], row["utilisation_rate"]) == pytest.approx((0.0, 0.3))
    assert sq.kpi("utilisation_rate_ash") == pytest.approx(0.3)
    # 30 t sold for 5, the other 70 t landfilled for 10: 150 - 700
    assert sq.kpi(KPI_PREFIX + "byproducts") == pytest.approx(150 - 700)


@pytest.mark.parametrize("name", ["tutorial", "changzhi", "pingdingshan", "liupanshui", "kalundborg"])
def test_causes_add_up_to_the_change_on_shipped_cases(name):
    case = load_case(CASES / f"{name}.yaml")
    runs = symbiosis.compare(case)
    sq, opt = runs["status quo"], runs["optimised"]
    for r in (sq, opt):
        parts = sum(r.kpi(KPI_PREFIX + c) for c in CAUSES)
        assert parts == pytest.approx(r.kpi("profit"), rel=1e-9, abs=1e-3)
        assert r.kpi("profit") == pytest.approx(-r.kpi("annualised_cost"))
    df = change_by_cause(opt, sq)
    total = opt.kpi("profit") - sq.kpi("profit")
    assert df.loc["total", "change"] == pytest.approx(total)
    assert df.loc[list(CAUSES), "change"].sum() == pytest.approx(total, rel=1e-9, abs=1e-3)
    summary = change_summary(opt, sq)
    assert set(summary) == set(CAUSES) | {"total"}
    # utilisation never below reuse
    m = opt.materials.dropna(subset=["reuse_rate"])
    assert (m["utilisation_rate"] >= m["reuse_rate"] - 1e-12).all()


def test_solve_prints_and_writes_the_change_by_cause(tmp_path):
    import json

    from typer.testing import CliRunner

    from symbiosis.cli import app
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["solve", str(symbiosis.examples.path("tutorial")), "--out", str(out)],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())   # rich wraps lines at the console's width
    assert "operating margin" in text and "existing plants carry no capital charge" in text
    assert "against the status quo, by cause" in text and "reuse / utilisation" in text
    summary = json.loads((out / "summary.json").read_text())
    change = summary["change_against_status_quo"]
    assert sum(change[c]["change"] for c in CAUSES) == pytest.approx(change["total"]["change"])
    # tutorial hand calculation (cases/tutorial.yaml): -308,589,500 -> -422,535,917 CNY/yr of cost
    assert change["total"]["change"] == pytest.approx(422_535_917 - 308_589_500, abs=5)
    # by cause, from the same hand calculation: disposal 14,680,000 -> 2,464,000; by-product transport
    # 1,753,920 (slag and fly ash; CaC2 is a product); 384,000 t limestone-eq not bought x 60
    assert change["byproducts"]["change"] == pytest.approx(14_680_000 - 2_464_000 - 1_753_920 + 384_000 * 60, abs=5)
    # PVC takes its 60,000 MWh from the station instead of the grid (500): 950,000 -> 836,000 MWh sold at 300
    assert change["energy"]["change"] == pytest.approx(836_000 * 300 - (950_000 * 300 - 60_000 * 500), abs=5)
    # the cement plant: sales 228e6 - capex charge 30,555,663 - O&M 48e6 - coal 36e6 - limestone 5.76e6,
    # less the 23.04e6 of limestone its slag spares, which is the slag's
    assert change["new_plants"]["change"] == pytest.approx(
        228e6 - 30_555_663 - 48e6 - 36e6 - 5.76e6 - 384_000 * 60, abs=5)
    assert change["existing_plants"]["change"] == pytest.approx(0, abs=5)
    assert summary["materials"]["fly_ash"]["utilisation_rate"] == pytest.approx(120_000 / 160_000)
