"""Planning over periods (symbiosis.phased): one period is the single-period model, plants
are built when they are needed, myopic is never better than foresight, per-period limits
out of reach are named with their period and best value, bad periods are named."""
from __future__ import annotations

import copy

import pytest

import symbiosis
from symbiosis.errors import CaseError, InfeasibleError
from symbiosis.io import case_from_dict, read_yaml, shipped_cases_dir
from symbiosis.phased import PhasedModel, discount_factors, one_period, optimize_phased

TUTORIAL = shipped_cases_dir() / "tutorial.yaml"


def tutorial_data() -> dict:
    return read_yaml(TUTORIAL)


def phased(data: dict, periods: list[dict], **settings):
    d = copy.deepcopy(data)
    d["periods"] = periods
    d.setdefault("settings", {}).update(settings)
    return case_from_dict(d, file="phased.yaml", base_dir=TUTORIAL.parent)


def three(changes: list[dict] | None = None) -> list[dict]:
    changes = changes or [{}, {}, {}]
    return [{"name": n, "start": s, "years": 5, "changes": c}
            for n, s, c in zip(("14th", "15th", "16th"), (2021, 2026, 2031), changes)]


def network(r):
    return (sorted(r.built_plants["plant"]),
            sorted(map(tuple, r.chosen_exchanges[["source", "target", "material"]].values.tolist())))


@pytest.mark.parametrize("objective, years", [("reuse-then-cost", 1), ("cost", 5)])
def test_one_period_is_the_single_period_model(objective, years):
    case = symbiosis.load_case(TUTORIAL)
    single = symbiosis.optimize(case, objective)
    res = optimize_phased(one_period(case, years=years), objective)
    r = res.results[res.periods[0]["name"]]
    assert network(r) == network(single)
    assert r.kpi("annualised_cost") == pytest.approx(single.kpi("annualised_cost"), rel=1e-9)
    w = sum(discount_factors(one_period(case, years=years).periods))
    assert res.horizon["npc"]["value"] == pytest.approx(w * single.kpi("annualised_cost"), rel=1e-9)
    assert res.solver["verified"]


def test_one_period_matches_on_pingdingshan():
    case = symbiosis.load_case(shipped_cases_dir() / "pingdingshan.yaml")
    single = symbiosis.optimize(case, "cost")
    res = optimize_phased(one_period(case, years=5), "cost")
    r = res.results[res.periods[0]["name"]]
    assert len(single.built_plants) >= 2
    # the same plants at the same cost; the exchanges may differ by a link of equal cost
    # (Pingdingshan has ties: bottom ash to the ceramsite plant or elsewhere, same money)
    assert network(r)[0] == network(single)[0]
    assert r.kpi("annualised_cost") == pytest.approx(single.kpi("annualised_cost"), rel=1e-7)


def test_one_period_from_the_file_matches():
    case = phased(tutorial_data(), [{"name": "only", "start": 2025, "years": 5}])
    assert [p.name for p in case.periods] == ["only"]
    single = symbiosis.optimize(symbiosis.load_case(TUTORIAL))
    res = optimize_phased(case)
    assert network(res.results["only"]) == network(single)


def test_demand_in_the_last_period_is_served_by_a_plant_built_then():
    data = tutorial_data()
    data["materials"]["cement"]["sale_price"] = "100 CNY/t"    # cement does not pay ...
    case = phased(data, three([{}, {}, {"materials.cement.min_sale": "600 kt/yr"}]),  # ... until it is demanded
                  objective="cost", discount_rate=0.08)
    res = optimize_phased(case)
    plan = res.plan()
    row = plan[(plan["what"] == "plant") & (plan["name"] == "slag_cement")]
    assert row["period"].tolist() == ["16th"]
    # not running before it is built, running after
    act = res.plants[res.plants["plant"] == "slag_cement"].set_index("period")["activity"]
    assert act["14th"] == 0 and act["15th"] == 0 and act["16th"] > 0


def test_identical_periods_without_discounting_build_when_needed():
    case = phased(tutorial_data(), three(), objective="cost", discount_rate=0.0)
    res = optimize_phased(case)
    plan = res.plan()
    # the cement plant pays from the first year: it is built in the first period
    assert plan.loc[plan["what"] == "plant", "period"].tolist() == ["14th"]
    costs = [res.results[p].kpi("annualised_cost") for p in ("14th", "15th", "16th")]
    assert costs[0] == pytest.approx(costs[1]) == pytest.approx(costs[2])


def sized_market_case():
    """Cement market 300 kt/yr in the 14th plan, 600 kt/yr after; the plant comes in a
    small and a large size and is built once."""
    data = tutorial_data()
    cem = data["plants"]["slag_cement"]
    cem.pop("capacity"), cem.pop("capex")
    cem["sizes"] = [{"capacity": "300 kt/yr", "capex": "170e6 CNY"}, {"capacity": "600 kt/yr", "capex": "300e6 CNY"}]
    return phased(data, three([{"materials.cement.max_sale": "300 kt/yr"}, {}, {}]), objective="cost")


def test_myopic_is_strictly_worse_on_a_designed_case():
    case = sized_market_case()
    fore = optimize_phased(case)
    myo = optimize_phased(case, myopic=True)
    assert myo.horizon["npc"]["value"] > fore.horizon["npc"]["value"] + 1e6
    size = lambda r: int(r.results["16th"].plants.set_index("plant").loc["slag_cement", "size"])  # noqa: E731
    assert size(myo) == 0 and size(fore) == 1


@pytest.mark.parametrize("changes", [[{}, {"materials.coal.price": "900 CNY/t"}, {"limits.min_reuse_rate": "50 %"}]])
def test_myopic_is_never_better(changes):
    case = phased(tutorial_data(), three(changes), objective="cost")
    fore = optimize_phased(case)
    myo = optimize_phased(case, myopic=True)
    assert myo.horizon["npc"]["value"] >= fore.horizon["npc"]["value"] - 1e-6 * abs(fore.horizon["npc"]["value"])


def test_a_period_limit_out_of_reach_names_period_limit_and_best():
    case = phased(tutorial_data(), three([{}, {"limits.min_reuse_rate": "95 %"}, {}]), objective="cost")
    with pytest.raises(InfeasibleError) as exc:
        optimize_phased(case)
    text = " ".join(exc.value.reasons)
    assert "15th" in text and "min_reuse_rate" in text and "95.0%" in text
    assert "82.8%" in text  # the tutorial's best: 427,200 of 516,000 t


def test_a_budget_per_period_moves_the_build():
    # 100 M CNY may be invested in the 14th plan: the 300 M plant waits for the 15th
    case = phased(tutorial_data(), three([{"limits.capex": "100e6 CNY"}, {}, {}]), objective="cost")
    res = optimize_phased(case)
    plan = res.plan()
    assert plan.loc[plan["what"] == "plant", "period"].tolist() == ["15th"]
    assert res.horizon["investment_by_period"]["14th"] == 0


def test_closing_a_plant_in_a_period():
    case = phased(tutorial_data(), three([{}, {}, {"plants.power.output": "0 MWh/yr"}]), objective="cost")
    res = optimize_phased(case)
    act = res.plants[res.plants["plant"] == "power"].set_index("period")["activity"]
    assert act["14th"] > 0 and act["16th"] == 0


def test_bad_periods_are_named():
    data = tutorial_data()
    with pytest.raises(CaseError) as exc:
        phased(data, [{"name": "a", "start": 2021, "years": 5}, {"name": "b", "start": 2027, "years": 5,
                                                                  "changes": {"materials.cole.price": "1 CNY/t"}}])
    msgs = [str(p) for p in exc.value.problems]
    assert any("periods[1].start" in m and "gap" in m and "2026" in m for m in msgs)
    assert any("periods[1] (b)" in m and "materials.cole" in m and "coal" in m for m in msgs)
    with pytest.raises(CaseError) as exc:
        phased(data, [{"name": "a", "start": 2021, "years": 0}])
    assert "periods[0].years" in str(exc.value)
    with pytest.raises(CaseError) as exc:
        phased(data, [{"name": "a", "start": 2021, "years": 5,
                       "changes": {"plants.slag_cement.status": "existing"}}])
    assert "periods[0] (a)" in str(exc.value)
    with pytest.raises(CaseError) as exc:
        phased(data, [{"name": "a", "start": 2021, "years": 5, "changes": {"materials.coal.price": "cheap"}}])
    assert "periods[0] (a): materials.coal.price" in str(exc.value)


def test_written_whole(tmp_path):
    import json
    case = phased(tutorial_data(), three(), objective="cost")
    res = optimize_phased(case)
    res.write(tmp_path, html=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [p["name"] for p in summary["periods"]] == ["14th", "15th", "16th"]
    assert summary["periods"][0]["built_plants"] == ["slag_cement"]
    import pandas as pd
    plants = pd.read_csv(tmp_path / "plants.csv")
    assert set(plants.loc[plants["plant"] == "slag_cement", "build_period"]) == {"14th"}
    ex = pd.read_csv(tmp_path / "exchanges.csv")
    assert "open_period" in ex.columns and len(ex) == 3 * len(res.results["14th"].exchanges)


def test_model_is_blocks_of_the_single_model():
    case = phased(tutorial_data(), three())
    pm = PhasedModel(case)
    assert len(pm.blocks) == 3
    assert all(b.m.parent_block() is pm.m for b in pm.blocks)


def test_cli_solve_on_a_phased_case_writes_the_plan(tmp_path):
    import json

    import yaml
    from typer.testing import CliRunner

    from symbiosis.cli import _load_command_modules, app
    _load_command_modules()
    d = tutorial_data()
    d["periods"] = three([{"limits.capex": "100e6 CNY"}, {}, {}])
    d["settings"]["objective"] = "cost"
    path = tmp_path / "phased.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    out = tmp_path / "out"
    res = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["solve", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "What opens when" in res.output and "slag_cement" in res.output
    summary = json.loads((out / "summary.json").read_text())
    assert [p["built_plants"] for p in summary["periods"]] == [[], ["slag_cement"], []]
    bad = CliRunner().invoke(app, ["phased", str(path), "--objective", "co2x", "--out", str(out)])
    assert bad.exit_code == 2


def test_cli_solve_parquet_on_a_phased_case(tmp_path):
    """--parquet writes every table of a phased plan as Parquet too, equal to its CSV."""
    pytest.importorskip("pyarrow", reason="Parquet needs pyarrow (pip install 'symbiosis[parquet]')")
    import pandas as pd
    import yaml
    from typer.testing import CliRunner

    from symbiosis.cli import _load_command_modules, app
    _load_command_modules()
    d = tutorial_data()
    d["periods"] = three()
    d["settings"]["objective"] = "cost"
    path = tmp_path / "phased.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    out = tmp_path / "out"
    res = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["solve", str(path), "--out", str(out), "--parquet"])
    assert res.exit_code == 0, res.output
    for name in ("plants", "exchanges", "plan", "market", "materials", "inputs"):
        pq, csv = pd.read_parquet(out / f"{name}.parquet"), pd.read_csv(out / f"{name}.csv")
        assert len(pq) == len(csv) > 0 and list(pq.columns) == list(csv.columns), name
    plain = tmp_path / "plain"
    assert CliRunner().invoke(app, ["solve", str(path), "--out", str(plain)]).exit_code == 0
    assert not list(plain.glob("*.parquet"))  # small tables: CSV only without --parquet
