"""Decision support over time (symbiosis.phased_decision): explain says when a plant is
worth building ("not before 2031"), the k best plans are the plans of the forced
re-solves in order, the Pareto front trades reuse for cost by building earlier, every
plan is verified; --limit and -k on a phased case; compare across periods; the timeline."""
from __future__ import annotations

import math

import pytest

from test_phased import phased, three, tutorial_data
from symbiosis.comparison import compare_periods, compare_phased_single
from symbiosis.phased import optimize_phased
from symbiosis.phased_decision import (alternatives_phased, explain_phased, parse_period_limits, pareto_phased,
                                       with_limits)


def late_demand_case():
    """Cement does not pay until a buyer demands 600 kt/yr in the last plan."""
    data = tutorial_data()
    data["materials"]["cement"]["sale_price"] = "100 CNY/t"
    return phased(data, three([{}, {}, {"materials.cement.min_sale": "600 kt/yr"}]), objective="cost",
                  discount_rate=0.08)


def budget_case():
    """100 M CNY may be invested in the 14th plan: the 300 M cement plant cannot be built then."""
    return phased(tutorial_data(), three([{"limits.capex": "100e6 CNY"}, {}, {}]), objective="cost")


def tradeoff_case():
    """Cement at 150 CNY/t: the plant costs money but reuses slag; earlier = more reuse."""
    data = tutorial_data()
    data["materials"]["cement"]["sale_price"] = "150 CNY/t"
    return phased(data, three(), objective="cost", discount_rate=0.08)


def test_explain_says_not_before_the_period_it_is_needed():
    df = explain_phased(late_demand_case())
    rows = df.set_index("test")
    assert set(rows["best"]) == {"16th"}
    r14, r15, r16 = (rows.loc[f"built in {p}", "regret"] for p in ("14th", "15th", "16th"))
    assert r16 == 0 and 0 < r15 < r14          # the earlier, the dearer (discounting and idle years)
    assert math.isinf(rows.loc["forbidden", "regret"])   # the demand cannot be met without it
    text = df.attrs["verdicts"]["slag_cement"]
    assert "worth building, but not before 16th (2031)" in text and "building it in 14th (2021) costs" in text
    assert df.attrs["verified"]
    # the regret is the NPC difference of the plans
    assert rows.loc["built in 14th", "cost_change"] == pytest.approx(r14)


def test_explain_names_a_period_a_limit_rules_out():
    df = explain_phased(budget_case(), "slag_cement")
    rows = df.set_index("test")
    assert math.isinf(rows.loc["built in 14th", "regret"]) and rows.loc["built in 15th", "regret"] == 0
    assert "not before 15th (2026): building it in 14th (2021) is impossible" in df.attrs["verdicts"]["slag_cement"]
    with pytest.raises(ValueError, match="did you mean slag_cement"):
        explain_phased(budget_case(), "slag_cemnt")


def test_alternatives_are_the_forced_plans_in_order():
    case = budget_case()
    alts = alternatives_phased(case, k=10)
    ex = explain_phased(case)
    feasible = sorted(v for v in ex["objective"] if not math.isnan(v))   # built in 15th, 16th, never
    assert alts.attrs["complete"] and len(alts) == len(feasible) == 3
    assert alts["cost"].tolist() == pytest.approx(feasible, rel=1e-9)
    assert alts["verified"].all()
    assert alts.loc[0, "plan"] == ("slag_cement @ 15th",)
    assert alts.loc[1, "moved"] == ("slag_cement: 15th -> 16th",)
    assert alts.loc[2, "removed"] == ("slag_cement",)
    best = optimize_phased(case)
    assert alts.loc[0, "cost"] == pytest.approx(best.horizon["npc"]["value"], rel=1e-9)
    assert len(set(alts["plan"])) == len(alts)


def test_pareto_builds_earlier_for_more_reuse():
    df = pareto_phased(tradeoff_case(), "cost", "reuse", points=5)
    assert len(df) >= 3 and df["verified"].all()
    assert df["cost"].is_monotonic_increasing and df["reuse"].is_monotonic_increasing
    assert df.iloc[0]["plan"] == () and df.iloc[-1]["plan"] == ("slag_cement @ 14th",)
    starts = [int(r["plan"][0].split(" @ ")[1][:2]) for _, r in df.iloc[1:].iterrows()]
    assert starts == sorted(starts, reverse=True)   # more reuse: the plant comes earlier
    with pytest.raises(ValueError, match="unknown objective 'profit'"):
        pareto_phased(tradeoff_case(), "profit", "reuse")


def test_limits_in_every_period_or_one():
    case = budget_case()
    one = parse_period_limits(case, ["capex@2026=50e6"])
    assert one == {1: {"capex": 50e6}}
    res = optimize_phased(with_limits(case, one))
    plan = res.plan()
    assert plan.loc[plan["what"] == "plant", "period"].tolist() == ["16th"]
    res = optimize_phased(with_limits(case, parse_period_limits(case, ["capex=50e6"])))
    assert (res.plan()["what"] != "plant").all()      # no period can pay for it
    with pytest.raises(ValueError, match="no period '2040'.*14th \\(2021\\)"):
        parse_period_limits(case, ["capex@2040=1"])


def test_compare_two_periods_and_with_the_single_period():
    import symbiosis
    case = budget_case()
    res = optimize_phased(case)
    df = compare_periods(res, "14th", 2031)
    assert df.attrs["periods"] == ("14th", "16th")
    assert df.loc["reuse_rate", "14th"] == 0 and df.loc["reuse_rate", "16th"] == pytest.approx(
        res.results["16th"].kpi("reuse_rate"))
    assert df.attrs["built_between"] == ["slag_cement"] and df.attrs["plants_added"] == ["slag_cement"]
    with pytest.raises(ValueError, match="two different periods"):
        compare_periods(res, 0, "14th")
    import dataclasses
    single = symbiosis.optimize(dataclasses.replace(case, periods=[]), "cost")
    both = compare_phased_single(res, single)
    assert both.loc["annualised_cost", "change 15th"] == pytest.approx(
        res.results["15th"].kpi("annualised_cost") - single.kpi("annualised_cost"))
    assert both.attrs["build_period"] == {"slag_cement": "15th"} and both.attrs["single_builds"] == ["slag_cement"]
    assert both.attrs["networks"]["14th"]["plants_removed"] == ["slag_cement"]


def test_timeline_of_the_report():
    from symbiosis.views.report import timeline_frame
    res = optimize_phased(budget_case())
    tl = timeline_frame(res)
    assert tl["period"].tolist() == ["14th", "15th", "16th"]
    assert tl["plants built"].tolist() == ["-", "slag_cement", "-"]
    assert tl["investment"].tolist() == pytest.approx([0, 300e6, 0])
    assert "fly_ash" in tl.loc[1, "by-product exchanges opened"]
    assert tl["reuse rate"].tolist() == pytest.approx([res.results[p].kpi("reuse_rate") for p in tl["period"]])


# ---------------------------------------------------------------- CLI
@pytest.fixture()
def cli(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from symbiosis.cli import _load_command_modules, app
    _load_command_modules()
    d = tutorial_data()
    d["periods"] = three([{"limits.capex": "100e6 CNY"}, {}, {}])
    d["settings"]["objective"] = "cost"
    path = tmp_path / "phased.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    runner = CliRunner(env={"COLUMNS": "160"})

    def run(*args):
        return runner.invoke(app, [a.replace("CASE", str(path)).replace("OUT", str(tmp_path / "out")) for a in args])
    return run


def test_cli_decision_commands_on_a_phased_case(cli):
    r = cli("explain", "CASE")
    assert r.exit_code == 0, r.output
    assert "worth building, but not before 15th (2026)" in r.output and "model:" in r.output
    r = cli("alternatives", "CASE", "-k", "2", "-o", "OUT")
    assert r.exit_code == 0, r.output
    assert "slag_cement: 15th -> 16th" in r.output and "every plan verified" in r.output
    r = cli("pareto", "CASE", "-n", "2", "--x", "profit")
    assert r.exit_code == 2 and "for a phased case" in r.output
    r = cli("explain", "CASE", "--exchange", "power->slag_cement:fly_ash")
    assert r.exit_code == 2 and "--plant" in r.output


def test_cli_solve_honours_limit_and_k_on_a_phased_case(cli, tmp_path):
    import json
    r = cli("solve", "CASE", "--limit", "capex@2026=50e6", "-k", "2", "-o", "OUT")
    assert r.exit_code == 0, r.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [p["built_plants"] for p in summary["periods"]] == [[], [], ["slag_cement"]]
    assert "the 2 best plans" in r.output
    assert (tmp_path / "out" / "report.html").exists() and (tmp_path / "out" / "network.html").exists()
    r = cli("solve", "CASE", "--limit", "capex@1999=1")
    assert r.exit_code == 2 and "no period '1999'" in r.output


def test_cli_compare_across_periods(cli, tmp_path):
    r = cli("compare", "CASE", "--period", "14th", "--period", "2026", "-o", "OUT")
    assert r.exit_code == 0, r.output
    assert "14th against 15th" in r.output and "built from 14th to 15th: slag_cement" in r.output
    assert (tmp_path / "out" / "comparison.csv").exists()
    r = cli("compare", "CASE", "--single-period")
    assert r.exit_code == 0, r.output
    assert "single period" in r.output and "15th" in r.output
    r = cli("compare", "CASE", "--period", "14th")
    assert r.exit_code == 2 and "two periods" in r.output


def test_alternatives_tell_sizes_and_periods_apart():
    from test_phased import sized_market_case
    alts = alternatives_phased(sized_market_case(), k=4)
    assert alts["verified"].all() and len(set(alts["plan"])) == len(alts) == 4
    assert alts["cost"].is_monotonic_increasing
    assert alts.loc[0, "plan"] == ("slag_cement (size 2) @ 14th",)   # foresight: the large size at once
    changes = [c for r in alts.iloc[1:].itertuples() for c in r.moved + r.removed]
    assert any("size 2 -> size 1" in c for c in changes) or any("->" in c for c in changes)
