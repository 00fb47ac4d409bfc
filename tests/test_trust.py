"""Every reported optimum is checked against the case alone (issue 9, item 2), and what a
user reads of it is what the solver found.

- ``symbiosis.check.verify`` recomputes feasibility and the objective from the Case (not
  from the model's candidate or cost code) and compares them with the solver's objective
  and bound: a tampered objective, a bound on the wrong side or a gap wider than asked
  for are each caught;
- ``optimize`` solves again, with tolerances of 1e-9 and no gap, when the first answer
  fails the check, and says so in ``result.solver["notes"]``;
- the summary line prints small money as it is (0.8 CNY/yr, not 1).
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from typer.testing import CliRunner

import symbiosis
from case_transforms import inline_library, load, load_dict, scale_money
from symbiosis.check import independent_kpis, recompute_objective, verify
from symbiosis.model import ParkModel

PNS = Path(__file__).parent / "data" / "pns"


def pns(name: str, money: float = 1.0):
    data, base = load_dict(PNS / f"{name}.yaml")
    return load(scale_money(inline_library(data, base), money), base)


@pytest.fixture(scope="module")
def tutorial_cost():
    case = symbiosis.examples.tutorial()
    return case, symbiosis.optimize(case, "cost", mip_gap=0)


@pytest.mark.parametrize("name", ["tutorial", "changzhi", "pingdingshan", "liupanshui"])
def test_every_shipped_solve_is_verified(name):
    case = symbiosis.examples.tutorial() if name == "tutorial" else symbiosis.load_case(f"cases/{name}.yaml")
    r = symbiosis.optimize(case)
    assert r.solver["verified"] is True and r.solver["status"] == "optimal", r.solver.get("problems")
    # the recomputed cost is the reported annualised cost
    assert independent_kpis(case, r)["cost"] == pytest.approx(r.kpi("annualised_cost"), rel=1e-7, abs=1e-3)


def test_independent_objective_equals_the_solvers(tutorial_cost):
    case, r = tutorial_cost
    assert recompute_objective(case, r, "cost") == pytest.approx(r.solver["objective"], rel=1e-9)
    assert recompute_objective(case, r, "profit") == pytest.approx(-r.solver["objective"], rel=1e-9)
    assert verify(case, r, mip_gap=0.0) == []


def test_verify_catches_a_wrong_objective(tutorial_cost):
    case, r = tutorial_cost
    bad = copy.deepcopy(r)
    bad.solver["objective"] *= 1.001
    problems = verify(case, bad, mip_gap=0.0)
    assert any("recomputed from the case" in p for p in problems), problems


def test_verify_catches_a_bound_beyond_the_objective(tutorial_cost):
    case, r = tutorial_cost
    bad = copy.deepcopy(r)
    bad.solver["bound"] = r.solver["objective"] + 0.01 * abs(r.solver["objective"])  # min: bound above objective
    assert any("beyond its own" in p for p in verify(case, bad, mip_gap=0.0))


def test_verify_catches_optimal_with_a_gap_wider_than_asked(tutorial_cost):
    case, r = tutorial_cost
    bad = copy.deepcopy(r)
    bad.solver["bound"] = r.solver["objective"] - 0.02 * abs(r.solver["objective"])
    assert any("more than the gap asked for" in p for p in verify(case, bad, mip_gap=1e-4))
    assert not any("more than the gap" in p for p in verify(case, bad, mip_gap=0.05))


def test_verify_catches_an_infeasible_flow(tutorial_cost):
    case, r = tutorial_cost
    bad = copy.deepcopy(r)
    i = bad.exchanges.index[bad.exchanges["flow"] > 0][0]
    bad.exchanges.loc[i, "flow"] *= 1.5
    assert verify(case, bad, mip_gap=0.0)


def test_optimize_solves_again_when_the_check_fails(monkeypatch):
    """A first answer whose objective does not match the case (here: the solver's value
    is made wrong on the first run) is solved again with tight tolerances, and the note
    says so; the second answer is verified."""
    case = pns("pns7")
    real_run = ParkModel.run
    calls = {"n": 0}

    def run(self, *a, **kw):
        info = real_run(self, *a, **kw)
        calls["n"] += 1
        if calls["n"] == 1:
            info.objective *= 1.5
        return info

    monkeypatch.setattr(ParkModel, "run", run)
    r = symbiosis.optimize(case, "cost")
    assert calls["n"] >= 2
    assert r.solver["verified"] is True
    assert any("failed the independent check" in n for n in r.solver["notes"])
    assert r.kpi("annualised_cost") == pytest.approx(8.0)


def test_unverifiable_answer_is_not_called_optimal(monkeypatch):
    case = pns("pns7")
    real_run = ParkModel.run

    def run(self, *a, **kw):
        info = real_run(self, *a, **kw)
        info.objective *= 1.5  # every run
        return info

    monkeypatch.setattr(ParkModel, "run", run)
    r = symbiosis.optimize(case, "cost")
    assert r.solver["verified"] is False and r.solver["status"] == "not verified"
    assert r.solver["problems"]


def test_summary_prints_small_money_as_it_is(tmp_path):
    """pns7 with money x 0.1: the optimum is 0.8 CNY/yr; the summary line used to say 1."""
    import yaml
    data, base = load_dict(PNS / "pns7.yaml")
    path = tmp_path / "pns7_small.yaml"
    path.write_text(yaml.safe_dump(scale_money(inline_library(data, base), 0.1), allow_unicode=True))
    from symbiosis.cli import app
    res = CliRunner().invoke(app, ["solve", str(path), "--objective", "cost", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert "objective 0.8 CNY/yr" in flat and "verified" in flat, flat[:400]


def test_alternatives_cli_structure_option(tmp_path):
    from symbiosis.cli import _load_command_modules, app
    _load_command_modules()
    res = CliRunner().invoke(app, ["alternatives", str(PNS / "pns7.yaml"), "-k", "3", "--objective", "cost",
                                   "--structure", "plants"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["alternatives", str(PNS / "pns7.yaml"), "--structure", "routes"])
    assert res.exit_code != 0 and "plants, exchanges, all" in res.output
