"""The solver object (symbiosis.solver.HighsSolver): re-solves update HiGHS in place, and
what HiGHS then solves is the model a fresh compile gives, after any sequence of changes
decision support makes (decisions fixed and released, KPI bounds, cuts, objectives,
the status quo)."""
from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbiosis import examples
from symbiosis.errors import InfeasibleError, SolverError
from symbiosis.model import Options, ParkModel

OPTS = Options(mip_gap=0.0, time_limit=60)


@pytest.fixture(scope="module")
def case():
    return examples.tutorial()


def solve_or_none(pm: ParkModel):
    try:
        return pm.run(OPTS, explain=False).objective
    except (InfeasibleError, SolverError):
        return None


def fresh(pm: ParkModel):
    """The same model state, compiled from scratch into a new HiGHS object."""
    keep = pm.__dict__.pop("_solver", None)
    try:
        value = solve_or_none(pm)
        assert pm.solver.compiles == 1 and pm.solver.updates == 0
        return value
    finally:
        pm._solver = keep


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-6)


def test_re_solves_are_in_place(case):
    pm = ParkModel(case)
    pm.set_objective("cost")
    first = pm.run(OPTS)
    assert pm.solver.last.mode == "compiled"
    pm.set_bound("capex", 0.5 * pm.kpi_value("capex"))
    second = pm.run(OPTS)
    assert pm.solver.last.mode == "in place", pm.solver.last
    assert pm.solver.last.rows_added == 1
    assert second.objective >= first.objective - 1e-6
    # a fixed decision is a column bound: still in place
    key = pm.decision_keys()[0]
    pm.fix(key, 1 - round(pm.value(key)))
    here = solve_or_none(pm)
    assert pm.solver.last.mode == "in place"
    assert pm.solver.compiles == 1
    assert same(here, fresh(pm))


def test_bound_is_honoured_in_place(case):
    pm = ParkModel(case)
    pm.set_objective("cost")
    pm.run(OPTS)
    cap = pm.kpi_value("capex")
    assert cap > 0
    pm.set_bound("capex", 0.6 * cap)
    pm.run(OPTS)
    assert pm.kpi_value("capex") <= 0.6 * cap * (1 + 1e-9)
    pm.set_bound("capex", None)  # lifted: the row leaves HiGHS and the first optimum is back
    pm.run(OPTS)
    assert pm.solver.last.rows_deleted == 1
    assert math.isclose(pm.kpi_value("capex"), cap, rel_tol=1e-6)


def test_case_fixed_decision_released_recompiles(case):
    pm = ParkModel(case)
    pm.set_objective("cost")
    pm.run(OPTS)
    var = pm.m.z[0]
    was = var.fixed
    var.fix(0)  # outside the key API: the column is held by its bounds in place
    assert same(solve_or_none(pm), fresh(pm))
    var.unfix()  # released: a constant of the compile would need a recompile
    assert same(solve_or_none(pm), fresh(pm))
    if was:
        assert pm.solver.last.mode == "compiled" and "released" in pm.solver.last.reason


OPS = st.lists(st.tuples(st.sampled_from(["fix", "unfix", "bound", "cut", "objective", "status_quo", "release"]),
                         st.integers(0, 10_000), st.floats(0.2, 1.2)), min_size=1, max_size=5)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_in_place_equals_fresh_compile(case, ops):
    """After every change, the in-place re-solve finds the optimum a fresh compile finds."""
    pm = ParkModel(case)
    pm.tie_binaries_to_use()
    pm.set_objective("cost")
    base = solve_or_none(pm)
    assert base is not None
    keys = pm.decision_keys()
    for op, k, share in ops:
        key = keys[k % len(keys)]
        if op == "fix":
            pm.fix(key, k % 2)
        elif op == "unfix":
            pm.unfix(key)
        elif op == "bound":
            kpi = ("capex", "co2", "cost")[k % 3]
            pm.set_bound(kpi, share * abs(pm.kpi_value(kpi)) if kpi != "cost" else base + share * abs(base))
        elif op == "cut":
            on = [q for q in keys if pm.value(q) > 0.5]
            pm.add_cut(on, [q for q in keys if q not in on])
        elif op == "objective":
            pm.set_objective(("reuse", "cost", "co2", "disposal")[k % 4])
        elif op == "status_quo":
            pm.fix_status_quo()
        else:
            pm.release_status_quo()
        here = solve_or_none(pm)
        assert pm.solver.compiles == 1, pm.solver.last.reason  # every change went in place
        assert same(here, fresh(pm)), (op, key, here)


def test_decision_support_uses_keys_not_solver_variables():
    """decision.py names decisions by key; Pyomo stays below the model layer."""
    src = Path(__file__).resolve().parents[1] / "symbiosis" / "decision.py"
    tree = ast.parse(src.read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in n.names} | {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in imported if m and m.startswith("pyomo")}
    text = src.read_text()
    assert "pm.m." not in text and ".structural_binaries()" not in text
    assert "v.fix(" not in text and "var.fix(" not in text and ".unfix()" not in text


def test_limits_table_is_the_one_place():
    """Every limit the model knows is in symbiosis.limits; the case schema and --limit
    accept exactly those keys, and an unknown key is refused with the list."""
    from symbiosis.decision import LIMIT_UNITS, parse_limits
    from symbiosis.limits import LIMITS, lookup
    from symbiosis.schema import LimitsSpec
    plain = {k for k, v in LIMITS.items() if not v.per_material}
    assert set(LIMIT_UNITS) == plain
    fields = set(LimitsSpec.model_fields) - {"material_reuse_rate"}
    assert fields == plain
    assert lookup("min_reuse_rate:fly_ash")[1] == "fly_ash"
    with pytest.raises(ValueError, match="unknown limit 'budget'.*capex"):
        lookup("budget")
    with pytest.raises(ValueError, match="unknown limit"):
        parse_limits(examples.tutorial(), ["budget=5"])


def test_limits_are_named_rows(case):
    pm = ParkModel(case)
    pm.set_limits({"capex": 1e9, "min_reuse_rate:fly_ash": 0.5})
    names = sorted(c.local_name for c in pm.m.limits.component_objects())
    assert names == ["capex", "min_reuse_rate__fly_ash"]
    pm.set_objective("cost")
    pm.run(OPTS)
    assert pm.kpi_value("capex") <= 1e9 * (1 + 1e-9)


def test_pareto_keeps_the_front_when_one_step_finds_no_network(case, monkeypatch):
    """A step that finds no network in its time limit is reported, not fatal, and every
    epsilon step starts from the previous point's network."""
    import symbiosis.decision as decision
    real = decision.Session.lexicographic
    calls = []

    def flaky(self, first, second, start=False):
        calls.append(start)
        if len(calls) == 4:  # the second epsilon step
            raise SolverError("the solver stopped (Time limit reached) before finding any network")
        return real(self, first, second, start=start)

    monkeypatch.setattr(decision.Session, "lexicographic", flaky)
    df = decision.pareto(case, "co2", "cost", points=5, mip_gap=0.0)
    assert len(df.attrs["missed"]) == 1 and "step 2" in df.attrs["missed"][0]
    assert len(df) >= 2
    assert calls[:2] == [False, False] and all(calls[2:])  # the ends cold, the steps started
