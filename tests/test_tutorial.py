"""The tutorial optimum equals the hand calculation in cases/tutorial.yaml's header."""
from __future__ import annotations

import pytest

import symbiosis
from symbiosis.check import assert_sound

# From the hand calculation in cases/tutorial.yaml (numbers typed from the comment).
GENERATED = 160_000 + 356_000
REUSED = 307_200 + 120_000
COST = -422_535_917            # CNY/yr, reuse-then-cost optimum
STATUS_QUO_COST = -308_589_500


def test_reuse_then_cost_matches_hand_calculation(tutorial, tutorial_result):
    r = tutorial_result
    assert_sound(tutorial, r)
    assert r.solver["status"] == "optimal"
    assert r.kpi("byproducts_generated") == pytest.approx(GENERATED, rel=1e-9)
    assert r.kpi("byproducts_reused") == pytest.approx(REUSED, rel=1e-7)
    assert r.kpi("reuse_rate") == pytest.approx(REUSED / GENERATED, rel=1e-7)
    assert r.kpi("annualised_cost") == pytest.approx(COST, abs=5)
    assert r.solver["objective"] == pytest.approx(COST, abs=5)
    assert r.kpi("capex") == pytest.approx(300e6)
    assert r.built_plants["plant"].tolist() == ["slag_cement"]
    flows = {(x.source, x.target, x.material): x.flow for x in r.chosen_exchanges.itertuples()}
    assert flows == pytest.approx({
        ("pvc", "slag_cement", "carbide_slag"): 307_200, ("power", "slag_cement", "fly_ash"): 120_000,
        ("power", "carbide", "electricity"): 1_050_000, ("power", "pvc", "electricity"): 60_000,
        ("power", "slag_cement", "electricity"): 54_000, ("carbide", "pvc", "calcium_carbide"): 290_000})
    per = r.materials.set_index("material")
    assert per.loc["carbide_slag", "disposed"] == pytest.approx(48_800)
    assert per.loc["fly_ash", "disposed"] == pytest.approx(40_000)
    assert per.loc["electricity", "sold"] == pytest.approx(836_000)
    assert r.kpi("co2_avoided_by_substitution") == pytest.approx(384_000 * 0.44)


def test_status_quo_matches_hand_calculation(tutorial):
    r = symbiosis.optimize(tutorial, status_quo=True)
    assert_sound(tutorial, r)
    assert r.kpi("byproducts_reused") == 0
    assert r.kpi("byproducts_disposed") == pytest.approx(GENERATED)
    assert r.kpi("annualised_cost") == pytest.approx(STATUS_QUO_COST, abs=5)
    assert len(r.built_plants) == 0


def test_reuse_objective_alone_reaches_the_same_reuse(tutorial):
    r = symbiosis.optimize(tutorial, objective="reuse")
    assert_sound(tutorial, r)
    assert r.solver["objective"] == pytest.approx(REUSED, rel=1e-7)


def test_cost_objective_builds_the_cement_plant_too(tutorial):
    # per t of cement: sale 380 against ~231 of costs (see the case header), so it pays
    r = symbiosis.optimize(tutorial, objective="cost")
    assert_sound(tutorial, r)
    assert r.kpi("annualised_cost") == pytest.approx(COST, abs=5)


def test_compare_api(tutorial):
    both = symbiosis.compare(tutorial)
    assert list(both) == ["status quo", "optimised"]
    assert both["optimised"].kpi("byproducts_reused") >= both["status quo"].kpi("byproducts_reused")
    for r in both.values():
        assert_sound(tutorial, r)
