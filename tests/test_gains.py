"""Who gains: standalone values, coalitions, Shapley values, the core, transfer prices and
the fair design, on parks small enough to check by hand (tests/data/gains/)."""
from __future__ import annotations

import dataclasses
import itertools
import json
import math
from pathlib import Path

import pytest

import symbiosis
from symbiosis.errors import InfeasibleError
from symbiosis.gains import (Game, company_margins, companies_of, margin_expressions, plant_accounts,
                             shapley_exact, shapley_sampled)

DATA = Path(__file__).parent / "data" / "gains"


@pytest.fixture(scope="module")
def two():
    return symbiosis.load_case(DATA / "two_firms.yaml")


@pytest.fixture(scope="module")
def four():
    return symbiosis.load_case(DATA / "four_firms.yaml")


@pytest.fixture(scope="module")
def four_game(four):
    return Game(four)


# ---------------------------------------------------------------- companies
def test_companies_from_the_case_and_defaults(two, tutorial):
    assert companies_of(two) == {"mill_a": "Firm A", "kiln_b": "Firm B"}
    assert companies_of(two, "plant") == {"mill_a": "mill_a", "kiln_b": "kiln_b"}
    # no company field: one company per plant; by park: the tutorial is one park
    assert companies_of(tutorial) == {p: p for p in tutorial.plants}
    assert set(companies_of(tutorial, "park").values()) == {"tutorial"}
    with pytest.raises(ValueError, match="grouping"):
        companies_of(two, "owner")


def test_empty_company_name_is_a_case_error(write_case, tutorial_dict):
    import copy
    d = copy.deepcopy(tutorial_dict)
    d["plants"]["power"]["company"] = "  "
    with pytest.raises(symbiosis.CaseError, match=r"plants\.power\.company"):
        symbiosis.load_case(write_case(d))


# ---------------------------------------------------------------- accounting
def test_company_margins_add_up_to_minus_the_cost(four, four_game):
    r = four_game.solve(None)
    acc = plant_accounts(four, r)
    assert acc["margin"].sum() == pytest.approx(-r.kpi("annualised_cost"), rel=1e-9)
    # the Pyomo margin expressions say the same as the tables, company by company
    exprs = margin_expressions(four_game.pm, four_game.company)
    four_game.solve(None)
    from pyomo.environ import value
    tables = company_margins(four, r, four_game.company)
    for c, e in exprs.items():
        assert value(e) == pytest.approx(tables[c], abs=1e-3)


# ---------------------------------------------------------------- the two-firm park by hand
def test_two_firms_by_hand(two, tmp_path):
    g = symbiosis.gains(two, out=tmp_path)
    df = g.companies.set_index("company")
    # standalone: A 5e6 - 1e6 ore - 50 kt x 20 landfill; B 3e6 - 50 kt x 12 sand
    assert df.loc["Firm A", "standalone_margin"] == pytest.approx(3_000_000)
    assert df.loc["Firm B", "standalone_margin"] == pytest.approx(2_400_000)
    # in the park B pays the link: 50 kt x 10 km x 0.4 + 500,000 fixed
    assert df.loc["Firm A", "park_margin_before_transfers"] == pytest.approx(4_000_000)
    assert df.loc["Firm B", "park_margin_before_transfers"] == pytest.approx(2_300_000)
    assert g.summary["gain"] == pytest.approx(900_000)
    assert df["shapley"].to_dict() == pytest.approx({"Firm A": 450_000, "Firm B": 450_000})
    tp = g.transfer_prices
    assert len(tp) == 1
    row = tp.iloc[0]
    assert (row.sender, row.receiver) == ("Firm A", "Firm B")
    # A accepts any price >= -20 CNY/t (its landfill saving); B pays at most -2 (needs a gate fee)
    assert row.price_low == pytest.approx(-20) and row.price_high == pytest.approx(-2)
    assert row.price_low_any == pytest.approx(-20) and row.price_high_any == pytest.approx(-2)
    assert row.price == pytest.approx(-11)  # equal split: the middle of the range
    assert df["park_margin_after_transfers"].to_dict() == pytest.approx({"Firm A": 3_450_000, "Firm B": 2_850_000})
    assert g.summary["core"]["shapley_in_core"] and not g.summary["core"]["core_empty"]
    written = {p.name for p in tmp_path.iterdir()}
    assert {"companies.csv", "transfer_prices.csv", "coalitions.csv", "gains.json"} <= written
    assert json.loads((tmp_path / "gains.json").read_text())["gain"] == pytest.approx(900_000)


def test_shapley_rule_sets_the_split(two):
    g = symbiosis.gains(two, rule="shapley")
    assert g.transfer_prices.iloc[0].price == pytest.approx(-11)
    with pytest.raises(ValueError, match="rule"):
        symbiosis.gains(two, rule="nash")


# ---------------------------------------------------------------- coalitions and Shapley
def _subcase(case, plants):
    keep = set(plants)
    return dataclasses.replace(case, plants={p: v for p, v in case.plants.items() if p in keep},
                               exchanges=[x for x in case.exchanges if x.source in keep and x.target in keep])


def test_one_solve_gives_every_standalone_value(four, four_game):
    alone = company_margins(four, four_game.solve(frozenset()), four_game.company)
    for c in four_game.names:
        plants = [p for p, k in four_game.company.items() if k == c]
        r = symbiosis.optimize(_subcase(four, plants), "cost")
        assert alone[c] == pytest.approx(-r.kpi("annualised_cost"), abs=1e-3)
    # v(S) = park total - the others' standalone values, checked on a park of S alone
    s = frozenset({"Firm A", "Firm B"})
    v_s = four_game.margin(s) - sum(alone[c] for c in four_game.names if c not in s)
    plants = [p for p, k in four_game.company.items() if k in s]
    assert v_s == pytest.approx(-symbiosis.optimize(_subcase(four, plants), "cost").kpi("annualised_cost"), abs=1e-3)


def test_parts_that_cannot_trade_add_up(four):
    game = Game(four)
    # A and C are both mills: no exchange between them, so {A, C} gains nothing
    assert game.components(frozenset({"Firm A", "Firm C"})) and len(game.components(frozenset({"Firm A", "Firm C"}))) == 2
    assert game.gain({"Firm A", "Firm C"}) == pytest.approx(0, abs=1e-6)
    # a coalition's gain from its parts equals a direct solve of it
    base = game.margin(frozenset())
    for s in ({"Firm A", "Firm B", "Firm C"}, {"Firm A", "Firm B", "Firm C", "Firm D"}):
        direct = plant_accounts(four, game.solve(frozenset(s)))["margin"].sum() - base
        assert game.gain(s) == pytest.approx(direct, abs=1e-3)


def test_shapley_sums_to_the_gain_and_core(four, four_game):
    phi, gains = shapley_exact(four_game)
    grand = frozenset(four_game.players)
    assert sum(phi.values()) == pytest.approx(gains[grand], rel=1e-9)
    assert gains[grand] == pytest.approx(2_100_000)
    for i in four_game.players:
        assert phi[i] >= gains[frozenset({i})] - 1e-6  # individually rational
    g = symbiosis.gains(four)
    assert g.companies["shapley"].sum() == pytest.approx(g.summary["gain"], rel=1e-9)
    # the Shapley split leaves the A-B pair short of what it makes alone (1.3 M): not in the core,
    # though the core (an assignment game) is not empty
    core = g.summary["core"]
    assert not core["core_empty"] and not core["shapley_in_core"]
    assert core["blocking_coalition"] == ["Firm A", "Firm B"]
    ab = gains[frozenset({"Firm A", "Firm B"})]
    assert core["blocking_excess"] == pytest.approx(ab - phi["Firm A"] - phi["Firm B"])


def test_sampled_shapley_converges_to_exact(four_game):
    phi, _ = shapley_exact(four_game)
    errs = []
    for n in (20, 400):
        est = shapley_sampled(four_game, n, seed=3, scheduler="serial")
        errs.append(max(abs(est["shapley"][i] - phi[i]) for i in phi))
        for i in phi:  # the exact value lies in the interval (3 half-widths: a loose, honest check)
            assert abs(est["shapley"][i] - phi[i]) <= 3 * est["ci"][i] + 1e-6
    assert errs[1] < errs[0]
    # every permutation equally often: the estimate is exact
    perms = list(itertools.permutations(four_game.players))
    from symbiosis.gains import _marginals
    marg = _marginals(four_game, [list(p) for p in perms]).mean(axis=0)
    assert dict(zip(four_game.players, marg)) == pytest.approx(phi)


@pytest.mark.slow
def test_sampled_shapley_on_dask(four_game):
    pytest.importorskip("dask.distributed")
    from dask.distributed import LocalCluster
    phi, _ = shapley_exact(four_game)
    # a scheduler given by address, as on a cluster; its one worker in this process starts fast
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        est = shapley_sampled(four_game, 60, seed=1, chunk=15, scheduler=cluster.scheduler_address)
    assert est["samples"] == 60 and est["solves"] > 0
    for i in phi:
        assert abs(est["shapley"][i] - phi[i]) <= 3 * est["ci"][i] + 1e-6
    serial = shapley_sampled(four_game, 60, seed=1, scheduler="serial")
    assert est["shapley"] == pytest.approx(serial["shapley"])  # same permutations, same values


# ---------------------------------------------------------------- fair design
def test_fair_design_costs_nothing_with_free_prices(two, four):
    for case in (two, four):
        g = symbiosis.gains(case, fair=True, shapley="none")
        assert g.summary["fair"]["fairness_cost"] == pytest.approx(0, abs=1e-3)
        df = g.companies
        assert (df["park_margin_after_transfers"] >= df["standalone_margin"] - 1e-3).all()


def test_fair_design_with_no_gate_fee_closes_the_exchange(two):
    bounds = {"*": (0.0, None)}
    g = symbiosis.gains(two, fair=True, price_bounds=bounds, shapley="none")
    f = g.summary["fair"]
    assert f["fairness_cost"] == pytest.approx(900_000)
    assert f["network_changes"] == ["mill_a->kiln_b:waste"]
    df = g.companies
    assert (df["park_margin_after_transfers"] >= df["standalone_margin"] - 1e-3).all()
    assert g.transfer_prices.empty  # no exchange between the firms is left
    # without the fair design, that bound leaves the receiver below its standalone margin
    g0 = symbiosis.gains(two, price_bounds=bounds, shapley="none")
    assert not g0.summary["prices_feasible"]
    assert g0.companies.set_index("company").loc["Firm B", "gain"] < -1


def test_fair_constraints_leave_the_model_as_it_was(two):
    game = Game(two)
    from symbiosis.gains import add_fairness, remove_fairness
    before = -game.solve(None).kpi("annualised_cost")
    add_fairness(game, {"Firm A": 1e9, "Firm B": 0.0})  # A cannot be made whole: infeasible
    with pytest.raises(InfeasibleError):
        game.solve(None)
    remove_fairness(game)
    assert -game.solve(None).kpi("annualised_cost") == pytest.approx(before)


# ---------------------------------------------------------------- errors and baselines
def test_company_that_cannot_run_alone_is_named(tutorial):
    # the PVC plant cannot buy calcium carbide: alone, it cannot run
    with pytest.raises(InfeasibleError) as exc:
        symbiosis.gains(tutorial, by="plant")
    assert "cannot run alone" in exc.value.reasons[0] and "baseline" in exc.value.reasons[0]
    assert any("pvc" in r and "calcium_carbide" in r for r in exc.value.reasons)
    # in the park's words: the company, its plant and the material only another company makes
    named = [r for r in exc.value.reasons if r.startswith("company '")]
    assert any("calcium_carbide" in r and "which has no market price" in r and "pvc" in r for r in named), named
    g = symbiosis.gains(tutorial, by="plant", baseline="today")
    assert g.summary["gain"] >= -1e-3
    assert g.companies["shapley"].sum() == pytest.approx(g.summary["gain"], abs=1e-3)


def test_cli_gains(tmp_path):
    from typer.testing import CliRunner
    from symbiosis.cli import app, main  # noqa: F401  (main imports the command modules)
    import symbiosis.commands.gains_cmds  # noqa: F401
    runner = CliRunner()
    res = runner.invoke(app, ["gains", str(DATA / "two_firms.yaml"), "--out", str(tmp_path), "--fair",
                              "--price", "*=0:"])
    assert res.exit_code == 0, res.output
    assert "fairness costs 900.00 k CNY/yr" in res.output
    assert (tmp_path / "companies.csv").exists() and (tmp_path / "transfer_prices.csv").exists()
    res = runner.invoke(app, ["gains", str(DATA / "two_firms.yaml"), "--out", str(tmp_path), "--price", "waste=3"])
    assert res.exit_code == 2 and "MATERIAL=LOW:HIGH" in res.output
    res = runner.invoke(app, ["gains", str(DATA / "two_firms.yaml"), "--out", str(tmp_path), "--by", "owner"])
    assert res.exit_code == 2 and "grouping" in res.output


# ---------------------------------------------------------------- views: colours by company, "Who gains"
def test_network_view_takes_node_colours_and_a_legend(two, tmp_path):
    from symbiosis.views.network import network_data, network_html
    r = symbiosis.optimize(two, "cost")
    colours = {"mill_a": "#123456", "kiln_b": "#abcdef"}
    legend = {"Firm A": "#123456", "Firm B": "#abcdef"}
    nodes, _edges, facts = network_data(r, node_colors=colours, node_legend=legend)
    by_id = {n["id"]: n for n in nodes}
    assert by_id["mill_a"]["color"]["background"] == "#123456"
    assert by_id["kiln_b"]["color"]["background"] == "#abcdef"
    page = network_html(r, tmp_path / "n.html", node_colors=colours, node_legend=legend,
                        node_legend_title="Plants by company").read_text()
    legend_html = page[page.index('id="node-legend"'):]
    assert "Plants by company" in page and "<h3>Sectors</h3>" not in page
    assert "background:#123456" in legend_html and "Firm A" in legend_html and "Firm B" in legend_html
    # without colours: by sector, as before
    from symbiosis.views.network import _legend
    nodes0, _e, facts0 = network_data(r)
    plain = _legend(facts0, market=False, show_unchosen=True, show_market=False)
    assert "<h3>Sectors</h3>" in plain and 'id="node-legend"' not in plain
    assert {n["id"]: n for n in nodes0}["mill_a"]["color"]["background"] != "#123456"


def test_gains_writes_the_coloured_network_and_the_report_section(two, tmp_path):
    from symbiosis.gains import company_colors
    nodes, legend = company_colors(two)
    assert set(legend) == {"Firm A", "Firm B"} and nodes["mill_a"] == legend["Firm A"] != legend["Firm B"]
    g = symbiosis.gains(two, out=tmp_path, html=True)
    net = (tmp_path / "network.html").read_text()
    assert f"background:{legend['Firm A']}" in net[net.index('id="node-legend"'):]
    rep = (tmp_path / "report.html").read_text()
    sec = rep[rep.index('<h2 id="gains">'):]
    sec = sec[:sec.index("<h2", 5)]
    gains_table = sec[sec.index('id="table-gains"'):sec.index("</table>")]
    # Firm A: 3.00 M alone, 4.00 M in the park, 3.45 M after transfers, Shapley 450 k
    for text in ("Firm A", "3.00 M", "4.00 M", "3.45 M", "450.00 k", "Firm B", "2.40 M", "2.85 M"):
        assert text in gains_table, text
    prices = sec[sec.index('id="table-transfer-prices"'):]
    assert "mill_a -&gt; kiln_b" in prices and "-11.00" in prices and "-20.00 .. -2.00" in prices
    assert g.summary["exchanges_needing_a_price"] == ["mill_a->kiln_b:waste"]


def test_view_colours_by_company(tmp_path):
    from typer.testing import CliRunner
    from symbiosis.cli import app
    import symbiosis.commands.views_cmds  # noqa: F401
    res = CliRunner().invoke(app, ["view", str(DATA / "two_firms.yaml"), "--out", str(tmp_path),
                                   "--color-by", "company"])
    assert res.exit_code == 0, res.output
    net = (tmp_path / "network.html").read_text()
    legend = net[net.index('id="node-legend"'):]
    assert "Firm A" in legend and "Firm B" in legend
    # the plants table carries the company, so a result folder colours the same way
    assert "company" in (tmp_path / "plants.csv").read_text().splitlines()[0]
    res = CliRunner().invoke(app, ["view", str(tmp_path), "--color-by", "owner"])
    assert res.exit_code == 2 and "--color-by" in res.output


def test_empty_core_names_the_coalition_that_would_leave():
    # any two of three firms can share one treatment plant (tests/data/gains/three_sharing.yaml)
    g = symbiosis.gains(symbiosis.load_case(DATA / "three_sharing.yaml"))
    assert g.summary["gain"] == pytest.approx(8_000)
    assert g.companies["shapley"].tolist() == pytest.approx([8_000 / 3] * 3)
    pairs = g.coalitions[g.coalitions["size"] == 2]
    assert len(pairs) == 3 and pairs["gain"].tolist() == pytest.approx([8_000] * 3)
    core = g.summary["core"]
    assert core["core_empty"] and not core["shapley_in_core"]
    assert core["least_core_epsilon"] == pytest.approx(8_000 / 3, rel=1e-6)
    assert len(core["blocking_coalition"]) == 2
    assert core["blocking_excess"] == pytest.approx(8_000 / 3, rel=1e-6)
