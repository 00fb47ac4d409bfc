"""Graph (candidate exchanges) and model (build without solving, re-solve, infeasibility)."""
from __future__ import annotations

import copy

import pytest
from typer.testing import CliRunner

import symbiosis
from symbiosis.case import great_circle_km
from symbiosis.check import assert_sound
from symbiosis.cli import _load_command_modules, app
from symbiosis.errors import InfeasibleError
from symbiosis.graph import DISPOSAL, SALES, SUPPLY, candidate_exchanges
from symbiosis.io import case_from_dict
from symbiosis.model import ParkModel

_load_command_modules()


def make(d, **kw):
    return case_from_dict(d, file="<test>", **kw)


def test_candidates_by_material_match(tutorial):
    keys = {x.key for x in candidate_exchanges(tutorial)}
    assert keys == {
        ("power", "carbide", "electricity"), ("power", "pvc", "electricity"),
        ("power", "slag_cement", "electricity"), ("power", "slag_cement", "fly_ash"),
        ("carbide", "pvc", "calcium_carbide"), ("pvc", "slag_cement", "carbide_slag")}


def test_graph_nodes_edges_and_markets(tutorial):
    g = tutorial.graph()
    assert set(g.nodes) == {"power", "carbide", "pvc", "slag_cement", SUPPLY, SALES, DISPOSAL}
    assert g.nodes["slag_cement"]["status"] == "candidate" and g.nodes["power"]["sector"] == "power"
    e = g.get_edge_data("pvc", "slag_cement", key="carbide_slag")
    assert e["distance"] == 8 and e["kind"] == "exchange"
    assert g.has_edge("pvc", DISPOSAL, key="carbide_slag") and g.has_edge(SUPPLY, "slag_cement", key="limestone")
    assert g.has_edge("pvc", SALES, key="pvc")


def test_max_distance_filters_generated_candidates(tutorial_dict):
    d = copy.deepcopy(tutorial_dict)
    d["exchanges"] = [e for e in d["exchanges"] if e["material"] != "fly_ash"]
    d["settings"]["max_distance"] = "5 km"
    case = make(d)
    dist = great_circle_km(case.plants["power"].location, case.plants["slag_cement"].location)
    assert dist > 5
    keys = {x.key for x in candidate_exchanges(case)}
    assert ("power", "slag_cement", "fly_ash") not in keys
    assert ("power", "carbide", "electricity") in keys  # 2.1 km


def test_material_max_distance_overrides_setting(tutorial_dict):
    d = copy.deepcopy(tutorial_dict)
    d["materials"]["electricity"]["max_distance"] = "3 km"
    keys = {x.key for x in candidate_exchanges(make(d))}
    assert ("power", "carbide", "electricity") in keys and ("power", "slag_cement", "electricity") not in keys


def test_forbid_and_force_exchanges(tutorial_dict):
    d = copy.deepcopy(tutorial_dict)
    d["exchanges"][3]["forbid"] = True  # power -> cement fly ash
    case = make(d)
    r = symbiosis.optimize(case)
    assert_sound(case, r)
    row = r.exchanges.set_index(["source", "target", "material"]).loc[("power", "slag_cement", "fly_ash")]
    assert row["flow"] == 0 and bool(row["forbidden"])
    # without fly ash the cement slot cannot be filled, so no cement plant and no reuse
    assert r.kpi("byproducts_reused") == 0
    d["exchanges"][3]["forbid"] = False
    d["plants"]["slag_cement"]["forbid"] = True
    r = symbiosis.optimize(make(d))
    assert len(r.built_plants) == 0


def test_model_builds_without_solving(tutorial):
    pm = ParkModel(tutorial)
    m = pm.m
    assert m.a["power"].lb == m.a["power"].ub == 2_000_000
    assert m.a["slag_cement"].ub == 600_000
    assert len(m.f) == len(pm.exchanges) == 6
    assert ("slag_cement", "cao_source", "carbide_slag") in m.u
    assert len(m.share) == 1 and len(m.slot) == sum(len(tutorial.process_of(p).slots) for p in tutorial.plants)
    # the tight bound of the slag exchange: cement takes at most 0.8 * 0.8 / 1.25 t per t
    i = pm.x_by_key[("pvc", "slag_cement", "carbide_slag")]
    assert pm.x_ub[i] == pytest.approx(600_000 * 0.8 * 0.8 / 1.25)
    assert pm.timings["build"] > 0


def test_one_model_resolved_with_changed_limits(tutorial):
    pm = ParkModel(tutorial)
    r1 = symbiosis.optimize(tutorial, objective="reuse", model=pm)
    r2 = symbiosis.optimize(tutorial, objective="reuse", model=pm, limits={"capex": 1e8})
    assert r1.kpi("byproducts_reused") == pytest.approx(427_200)
    assert r2.kpi("byproducts_reused") == 0  # the cement plant costs 3e8
    assert_sound(tutorial, r2)


def test_sizes_choose_one(tutorial_dict):
    d = copy.deepcopy(tutorial_dict)
    c = d["plants"]["slag_cement"]
    del c["capacity"], c["capex"]
    c["sizes"] = [{"capacity": "300 kt/yr", "capex": "170e6 CNY"}, {"capacity": "600 kt/yr", "capex": "300e6 CNY"}]
    case = make(d)
    r = symbiosis.optimize(case, objective="reuse", limits={"capex": 2e8})
    assert_sound(case, r)
    assert r.kpi("byproducts_reused") == pytest.approx(427_200 / 2)
    assert r.plants.set_index("plant").loc["slag_cement", "capacity"] == 300_000


def test_byproduct_with_nowhere_to_go_is_explained(tutorial_dict, write_case):
    d = copy.deepcopy(tutorial_dict)
    del d["materials"]["carbide_slag"]["disposal_cost"]
    case = make(d)
    with pytest.raises(InfeasibleError) as info:
        symbiosis.optimize(case, status_quo=True)
    text = str(info.value)
    assert "plant 'pvc' makes 356,000 t/yr of 'carbide_slag' that has nowhere to go" in text
    assert "disposal_cost" in text
    res = CliRunner().invoke(app, ["solve", str(write_case(d)), "--status-quo", "--out", "/tmp/never"])
    assert res.exit_code == 3 and "nowhere to go" in res.output and "Traceback" not in res.output


def test_missing_supply_is_explained(tutorial_dict):
    d = copy.deepcopy(tutorial_dict)
    del d["materials"]["hcl"]["price"]
    with pytest.raises(InfeasibleError) as info:
        symbiosis.optimize(make(d))
    assert "plant 'pvc' lacks 120,000 t/yr of 'hcl'" in str(info.value)
    assert "cannot be bought (no price)" in str(info.value)


def test_unmet_demand_is_explained(tutorial_dict):
    d = copy.deepcopy(tutorial_dict)
    d["materials"]["cement"]["min_sale"] = "700 kt/yr"
    with pytest.raises(InfeasibleError, match="must sell 700,000 t/yr of 'cement' but falls short by 100,000"):
        symbiosis.optimize(make(d))


def test_limits_that_cannot_hold_are_explained(tutorial):
    with pytest.raises(InfeasibleError, match="limits"):
        symbiosis.optimize(tutorial, limits={"capex": 1e8, "min_reuse": 1e5})


def test_status_quo_after_reuse_then_cost_on_one_model(tutorial):
    # bug: the reuse floor of the first solve's second stage stayed active, so the status
    # quo solved on the same model was infeasible
    pm = ParkModel(tutorial)
    best = symbiosis.optimize(tutorial, model=pm)
    sq = symbiosis.optimize(tutorial, status_quo=True, model=pm)
    again = symbiosis.optimize(tutorial, model=pm)
    assert sq.kpi("byproducts_reused") == 0
    assert again.kpi("annualised_cost") == pytest.approx(best.kpi("annualised_cost"), abs=5)
    for r in (best, sq, again):
        assert_sound(tutorial, r)


def test_solve_cli_writes_every_view_and_compares_to_the_status_quo(tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["solve", str(symbiosis.examples.path("tutorial")), "--out", str(out), "-v"],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "reuse rate 0.0% -> 82.8%" in res.output
    for phase in ("load", "candidates", "build", "handoff", "solve", "extract", "write"):
        assert f"{phase} " in res.output
    names = {p.name for p in out.iterdir()}
    assert {"network.html", "report.html", "sankey.html", "results.xlsx", "summary.json", "plants.csv"} <= names


def test_limits_out_of_reach_are_named_with_the_best_reachable(tutorial):
    with pytest.raises(InfeasibleError) as info:
        symbiosis.optimize(tutorial, limits={"min_reuse": 500_000})
    assert "the limit min_reuse = 500,000 t/yr cannot be met: the park can reach at most 427,200 t/yr" in str(info.value)
    with pytest.raises(InfeasibleError) as info:
        symbiosis.optimize(tutorial, limits={"min_reuse_rate:fly_ash": 0.9})
    assert "min_reuse_rate:fly_ash = 0.9 cannot be met" in str(info.value)
    with pytest.raises(InfeasibleError) as info:
        symbiosis.optimize(tutorial, limits={"co2": 1.0e6})
    # least CO2: no cement plant; power 2,000,000 MWh x 0.81 + carbide 300,000 t x 0.69
    assert "the limit co2 = 1,000,000 t/yr cannot be met: the park can reach at least 1,827,000 t/yr" in str(info.value)


@pytest.mark.parametrize("seed,limit", [(1, "20 km"), (2, "60 km"), (3, "150 km"), (4, "5 km")])
def test_grid_search_finds_exactly_the_pairs_in_reach(seed, limit, monkeypatch):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from synthetic import synthetic_park

    from symbiosis import graph
    data = synthetic_park(30, seed=seed, spread_deg=3.0)
    data["settings"]["max_distance"] = limit
    data["materials"]["electricity"].pop("max_distance")
    case = make(data)
    fast = [x.key for x in graph.candidate_exchanges(case)]
    monkeypatch.setattr(graph, "_in_reach", lambda *a: None)
    every_pair = [x.key for x in graph.candidate_exchanges(case)]
    assert fast == every_pair and len(fast) > 0


def test_results_do_not_depend_on_the_unit_a_material_is_counted_in(tutorial_dict, tutorial_result):
    # fly ash counted in kg instead of t: amounts, prices and the tonne-km transport cost
    # convert; reuse KPIs and the cost stay the same
    d = copy.deepcopy(tutorial_dict)
    d["materials"]["fly_ash"]["unit"] = "kg"
    case = make(d)
    r = symbiosis.optimize(case)
    assert_sound(case, r)
    for k in ("byproducts_generated", "byproducts_reused", "reuse_rate", "annualised_cost", "reuse_objective"):
        assert r.kpi(k) == pytest.approx(tutorial_result.kpi(k), rel=1e-6), k
    flows = r.exchanges.set_index(["source", "target", "material"])["flow"]
    assert flows[("power", "slag_cement", "fly_ash")] == pytest.approx(120_000_000)


def test_units_of_the_case_are_checked(tutorial_dict):
    d = copy.deepcopy(tutorial_dict)
    d["units"] = {"money": "USD"}  # a currency of its own: the library's CNY figures need a rate
    with pytest.raises(symbiosis.CaseError, match="units.exchange_rates"):
        make(d)
    d["units"] = {"money": "dollars"}
    with pytest.raises(symbiosis.CaseError, match="units.money"):
        make(d)
    d["units"] = {"money": "CNY", "distance": "t"}
    with pytest.raises(symbiosis.CaseError, match="units.distance"):
        make(d)
