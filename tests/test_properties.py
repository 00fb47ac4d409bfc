"""Property and fuzz tests: the loader never fails except with a CaseError, and every
solution of random small parks passes the independent balance checker."""
from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symbiosis
from symbiosis.check import check_result
from symbiosis.errors import CaseError, InfeasibleError
from symbiosis.io import case_from_dict
from symbiosis.units import UnitProblem, to_float

junk = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9), st.floats(allow_nan=True),
                 st.text(max_size=12), st.sampled_from(["-1 t/yr", "1 MWh", "3 CNY/t", "x y z", "1e400 t", "%", "nan t"]),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


def _paths(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_loader_fuzz_only_case_errors(tutorial_dict, data):
    d = copy.deepcopy(tutorial_dict)
    paths = list(_paths(d))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        target = d
        try:
            for k in path[:-1]:
                target = target[k]
            target[path[-1]] = data.draw(junk)
        except (KeyError, IndexError, TypeError):
            continue
    try:
        case = case_from_dict(d, file="<fuzz>")
    except CaseError as exc:
        assert exc.problems and all(p.file == "<fuzz>" and p.message for p in exc.problems)
        return
    assert case.plants


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False), st.sampled_from(["kt/yr", "Mt/yr", "t/d", "kg/h"]))
def test_units_convert_consistently(x, unit):
    v = to_float(f"{x!r} {unit}", "t/yr")
    factor = {"kt/yr": 1e3, "Mt/yr": 1e6, "t/d": 365.25, "kg/h": 1e-3 * 24 * 365.25}[unit]
    assert v == pytest.approx(x * factor, rel=1e-9)


def test_wrong_dimension_is_refused():
    with pytest.raises(UnitProblem, match="energy"):
        to_float("3 MWh/yr", "t/yr")
    with pytest.raises(UnitProblem, match="no unit"):
        to_float(3, "t/yr")


# ---------------------------------------------------------------------- random parks
@st.composite
def parks(draw):
    """A random chain park: sources make by-products that candidate plants may take in
    place of a virgin input, with random coefficients, capacities, prices and sizes."""
    n_src = draw(st.integers(1, 3))
    n_cand = draw(st.integers(1, 3))
    byps = [f"bp{i}" for i in range(draw(st.integers(1, 3)))]
    materials = {"raw": {"kind": "raw", "unit": "t", "price": f"{draw(st.integers(10, 200))} CNY/t"},
                 "product": {"kind": "product", "unit": "t", "sale_price": f"{draw(st.integers(50, 900))} CNY/t"},
                 "virgin": {"kind": "raw", "unit": "t", "price": f"{draw(st.integers(10, 300))} CNY/t"}}
    for b in byps:
        materials[b] = {"kind": "byproduct", "unit": "t", "disposal_cost": f"{draw(st.integers(0, 80))} CNY/t"}
    processes, plants = {}, {}
    for i in range(n_src):
        outs = {"product": {"amount": "1 t"}}
        for b in draw(st.lists(st.sampled_from(byps), min_size=1, max_size=len(byps), unique=True)):
            outs[b] = {"amount": f"{draw(st.floats(0.05, 2.0)):.3f} t"}
        processes[f"src{i}"] = {"activity": "t", "inputs": {"raw": {"amount": "1.5 t"}}, "outputs": outs}
        plants[f"S{i}"] = {"process": f"src{i}", "capacity": f"{draw(st.integers(10, 500))} kt/yr",
                           "location": [100 + draw(st.floats(0, 0.5)), 30 + draw(st.floats(0, 0.5))]}
        if draw(st.booleans()):
            plants[f"S{i}"]["load"] = [draw(st.sampled_from([0.5, 0.8, 1.0])), 1.0]
    for j in range(n_cand):
        opts = {"virgin": {"equivalence": 1.0}}
        for b in draw(st.lists(st.sampled_from(byps), min_size=1, max_size=len(byps), unique=True)):
            opts[b] = {"equivalence": round(draw(st.floats(0.3, 2.0)), 3),
                       "max_share": draw(st.sampled_from([0.2, 0.5, 0.8, 1.0]))}
        processes[f"user{j}"] = {"activity": "t", "inputs": {"feed": {"amount": f"{draw(st.floats(0.2, 1.5)):.3f} t",
                                                                      "options": opts}},
                                 "outputs": {"product": {"amount": "1 t"}},
                                 "operating_cost": f"{draw(st.integers(0, 300))} CNY/t"}
        sizes = [{"capacity": f"{draw(st.integers(10, 400))} kt/yr", "capex": f"{draw(st.integers(0, 300))}e6 CNY"}
                 for _ in range(draw(st.integers(1, 2)))]
        plants[f"C{j}"] = {"process": f"user{j}", "status": "candidate", "sizes": sizes,
                           "min_load": draw(st.sampled_from([0, 0.3])),
                           "location": [100 + draw(st.floats(0, 0.5)), 30 + draw(st.floats(0, 0.5))]}
    return {"name": "random park", "library": [], "materials": materials, "processes": processes,
            "plants": plants, "settings": {"max_distance": f"{draw(st.integers(5, 100))} km"}}


@settings(max_examples=25, deadline=None)
@given(park=parks(), objective=st.sampled_from(["reuse-then-cost", "cost", "reuse", "co2", "disposal"]),
       budget=st.one_of(st.none(), st.integers(0, 400).map(lambda x: x * 1e6)))
def test_every_solution_of_random_parks_passes_the_checker(park, objective, budget):
    case = case_from_dict(park, file="<random>")
    try:
        r = symbiosis.optimize(case, objective, limits={"capex": budget} if budget is not None else None)
    except InfeasibleError as exc:
        assert exc.reasons and all(isinstance(x, str) and x for x in exc.reasons)
        return
    assert check_result(case, r) == []
    assert 0 <= r.kpi("reuse_rate") <= 1 + 1e-9
    if budget is not None:
        assert r.kpi("capex") <= budget + 1e-3
    # reuse is never below the status quo's under the reuse objectives
    if objective in ("reuse", "reuse-then-cost"):
        sq = symbiosis.optimize(case, objective, status_quo=True)
        assert r.kpi("byproducts_reused") >= sq.kpi("byproducts_reused") - 1e-6
