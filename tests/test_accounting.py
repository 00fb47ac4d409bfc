"""The tables account for every KPI: summing the rows of plants, exchanges, market and
inputs gives each KPI, and the annualised cost equals the solver's objective. Checked on
every shipped case and on a generated region (open links without flow included)."""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

import symbiosis
from symbiosis.io import case_from_dict, load_case, shipped_cases_dir

CASES = shipped_cases_dir()
SHIPPED = sorted(p.stem for p in CASES.glob("*.yaml"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def table_sums(r) -> dict[str, float]:
    """Each KPI recomputed by summing table rows only (no case, no model)."""
    p, x, m, i = r.plants, r.exchanges, r.market, r.inputs
    xo = x[x["open"]]
    new = p[(p["status"] == "candidate") & p["built"]]
    cost = float(p["annual_cost"].sum() + xo["cost"].sum() + m["annual_cost"].sum() + i["annual_cost"].sum())
    gen = float(p["byproducts_t"].sum())
    reused = float(xo["reused_t"].sum())
    return {
        "capex": float(new["capex"].sum() + xo["capex"].sum()),
        "capex_links": float(xo["capex"].sum()),
        "capex_annualised": float(p["capex_annualised"].sum()),
        "operating_cost": float(p["operating_cost"].sum()),
        "transport_and_link_cost": float(xo["cost"].sum()),
        "purchases": float(m["purchase_cost"].sum()),
        "sales": float(m["sales_revenue"].sum()),
        "disposal_cost": float(m["disposal_cost"].sum()),
        "co2": float(p["co2"].sum() + i["co2"].sum() + m["co2"].sum()),
        "annualised_cost": cost,
        "profit": -cost,
        "byproducts_generated": gen,
        "byproducts_reused": reused,
        "byproducts_sold": float(m["sold_t"].sum()),
        "byproducts_disposed": float(m["disposed_t"].sum()),
        "reuse_rate": reused / gen if gen > 1e-6 else 0.0,
        "reuse_objective": float(xo["reuse"].sum() - p["reuse_made"].sum()),
        "virgin_inputs_avoided": float(i["avoided"].sum()),
        "co2_avoided_by_substitution": float(i["co2_avoided"].sum()),
        "new_plants": float(len(new)),
        "exchanges_open": float(len(xo)),
    }


def assert_accounts(r):
    sums = table_sums(r)
    for kpi, total in sums.items():
        assert r.kpi(kpi) == pytest.approx(total, rel=1e-9, abs=1e-6), kpi
    x = r.exchanges
    shut = x[~x["open"]]
    # a link not open carries nothing and costs nothing; one with flow is open
    assert (shut["flow"] == 0).all() and (shut["cost"] == 0).all() and (shut["capex"] == 0).all()
    assert x.loc[x["flow"] > 0, "open"].all()
    assert (x["chosen"] <= x["open"]).all()
    # the money the tables add up to is the money the solver minimised
    if r.objective == "cost":
        assert r.kpi("annualised_cost") == pytest.approx(r.solver["objective"], rel=1e-6, abs=1.0)


@pytest.mark.parametrize("name", SHIPPED)
def test_tables_add_up_to_every_kpi_on_shipped_cases(name):
    assert_accounts(symbiosis.optimize(load_case(CASES / f"{name}.yaml"), "cost"))


def test_tables_add_up_with_a_carbon_price(tutorial_dict):
    d = copy.deepcopy(tutorial_dict)
    d.setdefault("settings", {})["carbon_price"] = "120 CNY/t"
    r = symbiosis.optimize(case_from_dict(d, base_dir=CASES), "cost")
    assert r.kpi("co2") > 0
    assert (r.plants["annual_cost"] != r.plants["capex_annualised"] + r.plants["operating_cost"]).any()
    assert_accounts(r)


@pytest.fixture(scope="module")
def region():
    """A generated region of 56 plants with a fixed cost per open link, solved for cost:
    (case, model, solution)."""
    from synthetic import synthetic_park

    from symbiosis.model import Options, ParkModel
    d = synthetic_park(8)
    d["settings"]["exchange_fixed_cost"] = "2e5 CNY/yr"  # every link costs something once open
    case = case_from_dict(d, file="<synthetic>")
    pm = ParkModel(case)
    return case, pm, pm.solve(Options(objective="cost", mip_gap=1e-6))


def test_tables_add_up_on_a_generated_region(region):
    from symbiosis.result import make_result
    case, pm, sol = region
    r = make_result(case, pm.exchanges, sol)
    assert len(r.plants) == 56 and r.kpi("exchanges_open") > 0
    assert_accounts(r)


def test_open_link_without_flow_is_reported_and_counted(region):
    """An open link that carries nothing, as a solver may leave one: its fixed cost is in
    the KPI, so the table shows it open and the count includes it."""
    import dataclasses

    from symbiosis.result import make_result
    case, pm, sol = region
    r0 = make_result(case, pm.exchanges, sol)
    idle = next(x for x in pm.exchanges if not sol.opened.get(x.key) and x.fixed_cost > 0)
    sol1 = dataclasses.replace(sol, opened={**sol.opened, idle.key: True}, flow={**sol.flow, idle.key: 0.0})
    r = make_result(case, pm.exchanges, sol1)
    x = r.exchanges
    row = x[(x["source"] == idle.source) & (x["target"] == idle.target) & (x["material"] == idle.material)].iloc[0]
    assert bool(row["open"]) and not bool(row["chosen"]) and row["flow"] == 0
    assert row["fixed_cost"] == pytest.approx(idle.fixed_cost)
    assert r.kpi("exchanges_open") == r0.kpi("exchanges_open") + 1
    assert r.kpi("transport_and_link_cost") == pytest.approx(r0.kpi("transport_and_link_cost") + idle.fixed_cost)
    assert r.kpi("annualised_cost") == pytest.approx(r0.kpi("annualised_cost") + idle.fixed_cost)
    sums = table_sums(r)
    for kpi in ("exchanges_open", "transport_and_link_cost", "annualised_cost", "capex"):
        assert r.kpi(kpi) == pytest.approx(sums[kpi]), kpi
