"""The optimiser against a separate formulation and against brute force.

tests/independent_milp.py writes the park's cost MILP again with scipy.optimize.milp from
the Case alone; brute force solves every build pattern of the candidate plants with the
pattern fixed. On random small parks and on the PNS cases of tests/data/pns/:
- the optimum cost of ``symbiosis.optimize(case, "cost", mip_gap=0)`` equals the
  independent one (rtol 1e-6) and both find the park infeasible together;
- the k best networks of ``symbiosis.alternatives(..., mip_gap=0)`` (a network = the set of built plants)
  agree with brute force, in order, and list no network with an idle unit.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

import symbiosis
from case_transforms import inline_library, load, load_dict, scale_money
from independent_milp import enumerate_structures, idle_units, irredundant, solve_cost
from park_strategies import budget, small_parks
from symbiosis.errors import InfeasibleError
from symbiosis.io import case_from_dict

PNS = Path(__file__).parent / "data" / "pns"
RTOL = 1e-6


def close(a: float, b: float, rtol: float = RTOL, atol: float = 1e-6) -> bool:
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def pns(name: str, money: float = 1.0):
    data, base = load_dict(PNS / f"{name}.yaml")
    return load(scale_money(inline_library(data, base), money), base)


def by_plants(patterns: dict[frozenset, float]) -> dict[frozenset, float]:
    """{set of built plants: least cost over their sizes}."""
    out: dict[frozenset, float] = {}
    for pat, cost in patterns.items():
        key = frozenset(p for p, _ in pat)
        out[key] = min(cost, out.get(key, float("inf")))
    return out


def assert_k_best_agree(case, k: int):
    """The k best networks (sets of built plants) against brute force: ranked by cost,
    none with an idle unit, every structure without a droppable unit that costs less than
    the last one listed is listed, in the brute force's order, at its brute-force cost."""
    truth = by_plants(enumerate_structures(case))
    structures = irredundant(truth)
    try:
        df = symbiosis.alternatives(case, k=k, objective="cost", structure="plants", keep_results=True, mip_gap=0)
    except InfeasibleError:
        assert not truth, f"alternatives says infeasible; brute force found {len(truth)} networks"
        return
    costs = list(df["annualised_cost"])
    listed = [frozenset(p.split(" [")[0] for p in plants if not p.endswith("(closed)")) for plants in df["plants"]]
    assert costs[0] == pytest.approx(min(truth.values()), rel=RTOL, abs=1e-6)
    assert len(set(listed)) == len(listed), f"a network is listed twice: {listed}"
    for a, b in zip(costs, costs[1:]):
        assert b >= a - 1e-9 * max(1.0, abs(a)) - 1e-6, f"rank inversion: {costs}"
    for plants, result in zip(listed, df["result"]):
        assert not idle_units(result), f"{sorted(plants)} has idle unit(s) {idle_units(result)}"
        assert symbiosis.check_result(case, result) == []
        if plants in structures:
            assert close(result.kpi("annualised_cost"), structures[plants]), (sorted(plants), structures[plants])
    last = costs[-1]
    expected = sorted((c, sorted(s)) for s, c in structures.items() if c < last - 1e-6 * max(1.0, abs(last)))
    got = [(c, sorted(s)) for s, c in zip(listed, costs) if s in structures and c < last - 1e-6 * max(1.0, abs(last))]
    assert [c for c, _ in got] == pytest.approx([c for c, _ in expected], rel=RTOL, abs=1e-6)
    assert sorted(map(tuple, (s for _, s in got))) == sorted(map(tuple, (s for _, s in expected)))
    if len(df) < k:  # the list ran out: it holds every structure
        assert set(structures) <= set(listed)


# ------------------------------------------------------------------------ optimum
@settings(max_examples=budget(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(park=small_parks())
def test_optimum_equals_the_independent_formulation(park):
    case = case_from_dict(park, file="<random>")
    ind = solve_cost(case)
    try:
        r = symbiosis.optimize(case, "cost", mip_gap=0)
    except InfeasibleError:
        assert ind.status == "infeasible", f"optimize: infeasible; independent: {ind.status} {ind.cost}"
        return
    assert ind.status == "optimal"
    assert close(r.kpi("annualised_cost"), ind.cost), (r.kpi("annualised_cost"), ind.cost)
    assert symbiosis.check_result(case, r) == []


@pytest.mark.parametrize("name", ["pns7", "pns12"])
def test_pns_optimum_equals_brute_force_as_given(name):
    case = pns(name)
    truth = enumerate_structures(case) if name == "pns7" else None
    best = solve_cost(case)
    r = symbiosis.optimize(case, "cost", mip_gap=0)
    assert r.kpi("annualised_cost") == pytest.approx(best.cost, rel=RTOL)
    if truth is not None:
        assert best.cost == pytest.approx(min(truth.values()), rel=1e-9)


@pytest.mark.parametrize("money", [0.1, 0.01])
@pytest.mark.parametrize("name", ["pns7", "pns12"])
def test_pns_optimum_at_small_money(name, money):
    case = pns(name, money)
    best = solve_cost(case)
    assert best.cost == pytest.approx(money * solve_cost(pns(name)).cost, rel=1e-9)
    r = symbiosis.optimize(case, "cost", mip_gap=0)
    assert r.kpi("annualised_cost") == pytest.approx(best.cost, rel=RTOL)
    assert sorted(r.built_plants.plant) == sorted(best.plants)


def test_shipped_pingdingshan_optimum_equals_the_independent_formulation():
    case = symbiosis.load_case(symbiosis.io.shipped_cases_dir() / "pingdingshan.yaml")
    ind = solve_cost(case)
    r = symbiosis.optimize(case, "cost", mip_gap=0)
    assert close(r.kpi("annualised_cost"), ind.cost), (r.kpi("annualised_cost"), ind.cost)


@pytest.mark.parametrize("name", ["tutorial", "kalundborg", "changzhi", "liupanshui"])
def test_shipped_optimum_equals_the_independent_formulation(name):
    case = symbiosis.load_case(symbiosis.io.shipped_cases_dir() / f"{name}.yaml")
    ind = solve_cost(case)
    r = symbiosis.optimize(case, "cost", mip_gap=0)
    assert close(r.kpi("annualised_cost"), ind.cost), (r.kpi("annualised_cost"), ind.cost)
    assert sorted(r.built_plants.plant) == sorted(ind.plants)


# ------------------------------------------------------------------------ k best
@pytest.mark.parametrize("money", [1.0, 0.1, 1e6])
def test_pns7_k_best_agree_with_brute_force(money):
    assert_k_best_agree(pns("pns7", money), k=10)


@settings(max_examples=budget(15), deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # shrinking a park takes minutes of solves
@given(park=small_parks(max_candidates=3, max_sizes=1, with_limits=False, closable=False))
def test_k_best_of_random_parks_agree_with_brute_force(park):
    assert_k_best_agree(case_from_dict(park, file="<random>"), k=4)


def test_brute_force_finds_the_known_pns7_structures():
    """The seven-unit case by hand: the structures with no droppable unit and their costs
    (fixed costs O1 5, O2 4, O3 6, O4 3, O5 2, O6 7, O7 8 CNY/yr; see pns7.yaml)."""
    s = irredundant(by_plants(enumerate_structures(pns("pns7"))))
    assert {tuple(sorted(k)): v for k, v in s.items()} == {
        ("u1", "u4"): 8.0,           # O1 + O4 (O4 makes C from F and G, O1 returns F)
        ("u1", "u3"): 11.0,          # O1 + O3 (the C-F cycle on raw E)
        ("u2", "u4", "u6"): 14.0,    # O2 + O4 + O6 (F from J)
        ("u2", "u5", "u7"): 14.0,    # O2 + O5 + O7 (H from K, L)
    }
