"""Policy as data (symbiosis.policy): group caps (capacity replacement, ``max: existing``)
and energy caps in tce/yr are validated at load, honoured by the model, and name
themselves when they make a case infeasible."""
from __future__ import annotations

import copy

import pyomo.environ as pyo
import pytest

import symbiosis
from symbiosis import policy
from symbiosis.errors import CaseError, InfeasibleError
from symbiosis.io import case_from_dict, read_yaml, shipped_cases_dir
from symbiosis.model import Options, ParkModel

TUTORIAL = read_yaml(shipped_cases_dir() / "tutorial.yaml")
FACTORS = {"coal": "0.7143 tce/t", "electricity": "0.1229 tce/MWh"}


def tutorial(pol: dict):
    data = copy.deepcopy(TUTORIAL)
    data["policy"] = pol
    return case_from_dict(data, file="tutorial.yaml", base_dir=shipped_cases_dir())


def test_no_policy_leaves_the_tutorial_as_it_was():
    r = symbiosis.optimize(tutorial({}))
    assert "slag_cement" in set(r.built_plants["plant"])


def test_max_existing_blocks_new_capacity_of_the_group():
    """No existing slag_cement plant: 'max: existing' is 0, so the candidate is not built."""
    case = tutorial({"groups": {"clinker": {"processes": ["slag_cement"], "max": "existing", "source": "test"}}})
    assert case.policy.groups[0].max == 0.0
    r = symbiosis.optimize(case)
    assert "slag_cement" not in set(r.built_plants["plant"])
    # a cap with room for it lets it be built again
    case = tutorial({"groups": {"clinker": {"processes": ["slag_cement"], "max": "600 kt/yr"}}})
    assert "slag_cement" in set(symbiosis.optimize(case).built_plants["plant"])


def test_energy_cap_is_honoured_and_names_itself_when_it_cannot_be_met():
    base = tutorial({"energy_factors": FACTORS, "energy": {"park": {"max": "1e12 tce/yr"}}})
    pm = ParkModel(base)
    pm.solve(Options())
    used = pyo.value(policy.energy_expr(pm, base.policy.energy[0]))
    assert used > 0
    # the power plant alone burns 0.43 t x 0.7143 tce per MWh less the 0.1229 tce it delivers
    assert used >= 2e6 * (0.43 * 0.7143 - 0.1229) - 1
    tight = tutorial({"energy_factors": FACTORS,
                      "energy": {"park": {"max": f"{used * 0.5:.0f} tce/yr", "source": "dual control (test)"}}})
    with pytest.raises(InfeasibleError) as err:
        symbiosis.optimize(tight)
    text = str(err.value)
    assert "energy.park" in text and "dual control (test)" in text


def test_group_cap_below_existing_output_names_the_rule():
    case = tutorial({"groups": {"power_cap": {"processes": ["coal_power"], "max": "1 TWh/yr",
                                              "source": "made-up cap"}}})
    with pytest.raises(InfeasibleError) as err:
        symbiosis.optimize(case)
    assert "groups.power_cap" in str(err.value) and "made-up cap" in str(err.value)


@pytest.mark.parametrize("pol, words", [
    ({"groups": {"g": {"processes": ["no_such_process"], "max": "existing"}}}, "unknown process"),
    ({"groups": {"g": {"processes": ["slag_cement"], "max": "5 MWh/yr"}}}, "policy.groups.g"),
    ({"energy_factors": {"coal": "0.7 t/t"}, "energy": {"e": {"max": "1 Mtce/yr"}}}, "tce per unit"),
    ({"energy_factors": {"coal": "0.7 tce/MWh"}}, "policy.energy_factors.coal"),
    ({"energy": {"e": {"max": "1 Mtce/yr"}}}, "needs policy.energy_factors"),
    ({"energy_factors": FACTORS, "energy": {"e": {"parks": ["nowhere"], "max": "1 Mtce/yr"}}}, "unknown park"),
    ({"groups": {"g": {"processes": ["slag_cement"], "max": "existing", "typo": 1}}}, "typo"),
])
def test_bad_policy_is_refused_at_load_naming_the_entry(pol, words):
    with pytest.raises(CaseError) as err:
        tutorial(pol)
    assert words in str(err.value)


def test_shipped_cases_state_their_rules_and_run_within_them():
    from symbiosis.io import load_case
    for name in ("changzhi", "pingdingshan"):
        case = load_case(shipped_cases_dir() / f"{name}.yaml")
        assert {g.name for g in case.policy.groups} == {"clinker"}
        assert all(r.source for r in (*case.policy.groups, *case.policy.energy, *case.policy.markets))
        assert {r.name for r in case.policy.markets} == {"blocks", "ceramsite"}
        pm = ParkModel(case)
        pm.solve(Options())
        for r in case.policy.energy:
            if r.per_unit:  # a product standard: each plant per unit it makes
                for p in r.plants:
                    assert pyo.value(policy.energy_expr(pm, r, (p,))) <= r.max * pyo.value(pm.m.a[p]) + 1e-3
            else:
                assert pyo.value(policy.energy_expr(pm, r)) <= r.max * (1 + 1e-6)
        for g in case.policy.groups:
            assert pyo.value(policy._group_expr(pm, g)) <= g.max * (1 + 1e-6)
