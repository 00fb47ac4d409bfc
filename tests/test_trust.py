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


# ------------------------------------------------------------------ semantics stated (item 4)
def _tutorial_dict():
    import yaml
    d = yaml.safe_load(Path("cases/tutorial.yaml").read_text())
    d["library"] = str(Path("models").resolve())
    return d


def _load_dict(d, tmp_path, name="case.yaml"):
    import yaml
    path = tmp_path / name
    path.write_text(yaml.safe_dump(d, allow_unicode=True))
    return symbiosis.load_case(path)


def test_any_currency_with_exchange_rates(tmp_path):
    from symbiosis.errors import CaseError
    d = _tutorial_dict()
    base = symbiosis.optimize(_load_dict(d, tmp_path, "cny.yaml"), "cost")
    d["units"] = {"money": "EUR"}
    with pytest.raises(CaseError) as e:
        _load_dict(d, tmp_path, "eur_no_rate.yaml")
    assert "exchange_rates" in str(e.value) and "sale_price" in str(e.value)
    d["units"] = {"money": "EUR", "exchange_rates": {"CNY": "0.128 EUR"}}
    case = _load_dict(d, tmp_path, "eur.yaml")
    r = symbiosis.optimize(case, "cost")
    assert r.kpi("annualised_cost") == pytest.approx(0.128 * base.kpi("annualised_cost"), rel=1e-6)
    assert r.kpis.loc["annualised_cost", "unit"] == "EUR/yr"
    assert sorted(r.built_plants["plant"]) == sorted(base.built_plants["plant"])
    d["units"] = {"money": "EURO"}
    with pytest.raises(CaseError, match="units.money"):
        _load_dict(d, tmp_path, "bad_code.yaml")


@pytest.mark.parametrize("period", ["h", "month"])
def test_period_drives_annualisation_and_labels(tmp_path, period):
    d = _tutorial_dict()
    yearly = symbiosis.optimize(_load_dict(d, tmp_path, "yr.yaml"), "cost")
    d["units"] = {"period": period}
    case = _load_dict(d, tmp_path, f"{period}.yaml")
    r = symbiosis.optimize(case, "cost")
    f = case.years_per_period
    assert f == pytest.approx({"h": 1 / 8765.8128, "month": 1 / 12}[period], rel=2e-3)
    for k in ("annualised_cost", "capex_annualised", "byproducts_reused"):
        assert r.kpi(k) / f == pytest.approx(yearly.kpi(k), rel=1e-6), k
    assert r.kpis.loc["annualised_cost", "unit"] == f"CNY/{period}"
    assert r.kpis.loc["byproducts_reused", "unit"] == f"t/{period}"


def test_min_sale_without_sale_price_is_a_validate_error(tmp_path):
    from symbiosis.errors import CaseError
    d = _tutorial_dict()
    d["materials"] = {**(d.get("materials") or {}), "pvc": {"kind": "product", "unit": "t", "min_sale": "1 kt/yr"}}
    d2 = __import__("copy").deepcopy(d)
    # the library gives pvc a sale price; a material of the case's own without one is refused
    d2["materials"]["widget"] = {"kind": "product", "unit": "t", "min_sale": "1 t/yr"}
    with pytest.raises(CaseError) as e:
        _load_dict(d2, tmp_path)
    assert "materials.widget.min_sale" in str(e.value) and "sale_price" in str(e.value)


def test_excess_rule_is_explicit(tmp_path):
    """pns7 with intermediate B (made only by O2, taken by no unit) given no disposal_cost:
    validate names it; 'excess: forbid' says so on purpose and rules O2 out; 'excess:
    dispose' without a disposal_cost is refused."""
    import yaml
    from symbiosis.cli import app
    from symbiosis.errors import CaseError
    data, base = load_dict(PNS / "pns7.yaml")
    data = inline_library(data, base)
    del data["materials"]["B"]["disposal_cost"]
    path = tmp_path / "implicit.yaml"
    path.write_text(yaml.safe_dump(data))
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 0 and "excess: forbid" in " ".join(res.output.split()) and " B" in res.output
    data["materials"]["B"]["excess"] = "forbid"
    case = load(data, base)
    assert case.implicit_excess() == []
    r = symbiosis.optimize(case, "cost")
    assert "u2" not in set(r.built_plants["plant"])  # O2's B could go nowhere
    data["materials"]["B"]["excess"] = "dispose"
    with pytest.raises(CaseError, match="excess: dispose' needs a disposal_cost"):
        load(data, base)
    data["materials"]["B"]["disposal_cost"] = "0 CNY/t"
    data["materials"]["D"]["excess"] = "forbid"  # forbid wins over a disposal_cost
    case = load(data, base)
    assert not case.materials["D"].disposable and case.materials["B"].disposable


def test_nameplate_capacity_and_stated_output_kept_apart():
    """luan_ctl in Changzhi: capacity 1.8 Mt/yr, output 1.0 Mt/yr (the case's figures)."""
    case = symbiosis.load_case("cases/changzhi.yaml")
    p = case.plants["luan_ctl"]
    assert p.nameplate == pytest.approx(1.8e6) and p.activity_max == pytest.approx(1.0e6)
    row = symbiosis.optimize(case).plants.set_index("plant").loc["luan_ctl"]
    assert row["capacity"] == pytest.approx(1.8e6) and row["activity_max"] == pytest.approx(1.0e6)
    assert row["utilisation"] == pytest.approx(row["activity"] / 1.8e6)


def test_wide_coefficient_range_is_named():
    data, base = load_dict(PNS / "pns7.yaml")
    data = inline_library(data, base)
    r = symbiosis.optimize(load(data, base), "cost")
    assert not any("span" in n for n in r.solver["notes"])
    data["processes"]["O6"]["outputs"]["F"]["amount"] = "1e-10 t"
    r = symbiosis.optimize(load(data, base), "cost")
    notes = [n for n in r.solver["notes"] if "span more than" in n]
    assert notes and "F" in notes[0], r.solver["notes"]


def test_solve_time_limit_covers_the_whole_command(monkeypatch, tmp_path):
    """`symbiosis solve --time-limit T`: the optimised solve and the status quo share one
    deadline; the status quo gets what is left, or is skipped with a warning when nothing is."""
    import time

    import symbiosis.api
    from symbiosis.cli import _load_command_modules, app
    _load_command_modules()
    real = symbiosis.api.optimize
    given = []

    def recording(*a, **kw):
        given.append(kw.get("time_limit"))
        return real(*a, **kw)

    monkeypatch.setattr(symbiosis.api, "optimize", recording)
    res = CliRunner().invoke(app, ["solve", "cases/tutorial.yaml", "--time-limit", "30", "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert len(given) == 2 and given[0] <= 30 and given[1] < given[0]

    def slow(*a, **kw):  # the optimised solve uses the whole limit
        r = real(*a, **kw)
        time.sleep(kw.get("time_limit") or 0)
        return r

    monkeypatch.setattr(symbiosis.api, "optimize", slow)
    res = CliRunner().invoke(app, ["solve", "cases/tutorial.yaml", "--time-limit", "1", "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    assert "left no time to solve today's park" in " ".join(res.output.split())
