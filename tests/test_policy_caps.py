"""Policy caps per product and per regional market (symbiosis.policy): an energy standard
in tce per unit of product holds each plant to it (a coke oven must use its surplus gas),
and a demand cap on the market sales of a group of materials holds their sum; both name
themselves when they cannot be met."""
from __future__ import annotations

import copy

import pytest

import symbiosis
from symbiosis.errors import CaseError, InfeasibleError
from symbiosis.io import case_from_dict, read_yaml, shipped_cases_dir

FACTORS = {"coking_coal": "0.9 tce/t", "coke": "0.9714 tce/t", "coke_oven_gas": "0.000597 tce/Nm3",
           "electricity": "0.1229 tce/MWh"}
#: a coke oven of the shipped library with a gas power plant that loses money on every MWh
#: (power sells at 0 here), so without a rule the surplus gas is flared
COKE_PARK = {
    "name": "coke oven and gas power",
    "materials": {"electricity": {"sale_price": "0 CNY/MWh", "estimate": True, "source": "test"}},
    "plants": {
        "ovens": {"process": "coking", "status": "existing", "capacity": "1 Mt/yr", "park": "p",
                  "location": [113.0, 36.0], "estimate": True, "source": "test"},
        "gas_power": {"process": "cog_power", "status": "existing", "capacity": "400 GWh/yr", "load": [0, 1],
                      "park": "p", "location": [113.01, 36.0], "estimate": True, "source": "test"},
    },
    "exchanges": [{"from": "ovens", "to": "gas_power", "material": "coke_oven_gas", "existing": True}],
    "settings": {"objective": "cost", "generate_candidates": False},
}


def coke_park(policy: dict | None):
    data = copy.deepcopy(COKE_PARK)
    if policy is not None:
        data["policy"] = policy
    return case_from_dict(data, file="coke_park.yaml", base_dir=shipped_cases_dir())


def gas_burnt(result) -> float:
    ex = result.exchanges
    return float(ex[ex["material"] == "coke_oven_gas"]["flow"].sum())


def standard(max_: str, source: str = "GB 21342 (test)"):
    return {"energy_factors": FACTORS,
            "energy": {"coke": {"processes": ["coking"], "max": max_, "source": source}}}


def test_without_a_standard_the_surplus_gas_is_flared():
    r = symbiosis.optimize(coke_park(None))
    assert gas_burnt(r) == pytest.approx(0.0, abs=1.0)


def test_a_coke_energy_standard_makes_the_oven_use_its_gas():
    case = coke_park(standard("150 kgce/t"))
    rule = case.policy.energy[0]
    assert rule.per_unit == "t" and rule.max == pytest.approx(0.150) and rule.plants == ("ovens",)
    r = symbiosis.optimize(case)
    # per t coke: 1.37 x 0.9 + 0.035 x 0.1229 - 0.9714 = 0.266 tce with all 250 Nm3 flared; each Nm3
    # sent on is credited 0.000597, so (0.266 - 0.150) / 0.000597 = 194 Nm3/t must be sent on
    flared_all = 1.37 * 0.9 + 0.035 * 0.1229 - 0.9714
    need = (flared_all - 0.150) / 0.000597 * 1e6  # Nm3/yr the oven must send on
    assert 0 < need < 250e6
    assert gas_burnt(r) == pytest.approx(need, rel=1e-4)  # just what the standard requires: burning loses money
    # a looser standard asks for less
    assert gas_burnt(symbiosis.optimize(coke_park(standard("0.2 tce/t")))) < need


def test_a_standard_no_oven_can_meet_names_the_rule_and_the_plant():
    with pytest.raises(InfeasibleError) as err:
        symbiosis.optimize(coke_park(standard("100 kgce/t", source="a made-up standard")))
    text = str(err.value)
    assert "energy.coke" in text and "ovens" in text and "a made-up standard" in text


TUTORIAL = read_yaml(shipped_cases_dir() / "tutorial.yaml")


def tutorial(pol: dict):
    data = copy.deepcopy(TUTORIAL)
    data["policy"] = pol
    return case_from_dict(data, file="tutorial.yaml", base_dir=shipped_cases_dir())


def sold(result, materials) -> float:
    mk = result.market
    return float(mk[mk["material"].isin(materials)]["sale"].sum())


def test_a_regional_demand_cap_holds_the_groups_sales():
    free = symbiosis.optimize(tutorial({}))
    both = ["calcium_carbide", "cement"]
    carbide, cement = sold(free, ["calcium_carbide"]), sold(free, ["cement"])
    assert carbide > 0 and cement > 100_000
    cap = carbide + 100_000
    r = symbiosis.optimize(tutorial({"markets": {"region": {"materials": both, "max": f"{cap:.0f} t/yr",
                                                            "source": "test"}}}))
    assert sold(r, both) <= cap * (1 + 1e-9)
    assert sold(r, ["cement"]) < cement


def test_a_demand_cap_below_fixed_output_names_the_rule():
    carbide = sold(symbiosis.optimize(tutorial({})), ["calcium_carbide"])
    with pytest.raises(InfeasibleError) as err:
        symbiosis.optimize(tutorial({"markets": {"carbide_region": {
            "materials": ["calcium_carbide"], "max": f"{carbide / 2:.0f} t/yr", "source": "a made-up market"}}}))
    assert "markets.carbide_region" in str(err.value) and "a made-up market" in str(err.value)


@pytest.mark.parametrize("pol, words", [
    ({"markets": {"m": {"materials": ["no_such"], "max": "1 kt/yr"}}}, "unknown material"),
    ({"markets": {"m": {"materials": ["cement", "electricity"], "max": "1 kt/yr"}}}, "different units"),
    ({"markets": {"m": {"materials": ["cement"], "max": "1 MWh/yr"}}}, "policy.markets.m"),
    ({"energy_factors": {"coal": "0.7143 tce/t"}, "energy": {"e": {"processes": ["nope"], "max": "1 tce/t"}}},
     "unknown process"),
    ({"energy_factors": {"coal": "0.7143 tce/t"}, "energy": {"e": {"max": "1 tce/t"}}}, "one activity unit"),
])
def test_bad_caps_are_refused_at_load_naming_the_entry(pol, words):
    with pytest.raises(CaseError) as err:
        tutorial(pol)
    assert words in str(err.value)


def test_the_independent_formulation_agrees_where_the_caps_bind():
    """tests/independent_milp.py writes the rules again from their meaning: same optimum."""
    from independent_milp import solve_cost
    carbide = sold(symbiosis.optimize(tutorial({})), ["calcium_carbide"])
    cases = [coke_park(standard("150 kgce/t")),
             tutorial({"markets": {"region": {"materials": ["calcium_carbide", "cement"],
                                              "max": f"{carbide + 100_000:.0f} t/yr", "source": "test"}}})]
    for case in cases:
        r = symbiosis.optimize(case, "cost", mip_gap=0)
        ind = solve_cost(case)
        assert ind.status == "optimal"
        assert r.kpi("annualised_cost") == pytest.approx(ind.cost, rel=1e-6, abs=1.0)
