"""Outages (issue 17): a hand-computed chain, outages never raise net reuse, gross against
net reuse, the resilient design against its floor and the nominal cost, Monte Carlo
draws, and the command line. Hand calculations are in the case files' comments
(tests/data/outages/)."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from park_strategies import budget, small_parks
from symbiosis.errors import InfeasibleError
from symbiosis.io import case_from_dict, load_case
from symbiosis.outages import montecarlo, outages, resilient

DATA = Path(__file__).parent / "data" / "outages"


def row(rep, element):
    hit = rep.table[rep.table["element"] == element]
    assert len(hit) == 1, f"no single row for {element}: {list(rep.table['element'])}"
    return hit.iloc[0]


def effects(rep, element, effect):
    e = rep.effects[(rep.effects["element"] == element) & (rep.effects["effect"] == effect)]
    return {(r.plant, r.material): r.amount for r in e.itertuples()}


@pytest.fixture(scope="module")
def chain():
    return load_case(DATA / "chain.yaml")


@pytest.fixture(scope="module")
def chain_year(chain):
    return outages(chain)


# ------------------------------------------------------------------------ the chain, by hand
def test_losing_the_middle_plant_strands_the_upstream_and_starves_the_downstream(chain_year):
    rep = chain_year
    assert rep.intact.reuse == pytest.approx(54_000) and rep.intact.reuse_model == pytest.approx(54_000)
    r = row(rep, "blocks")
    assert r["status"] == "optimal"
    assert r["reuse"] == pytest.approx(0, abs=1e-6)
    assert r["reuse_lost"] == pytest.approx(54_000) and r["reuse_net_lost"] == pytest.approx(54_000)
    assert r["reuse_lost_share"] == pytest.approx(1.0)
    assert r["cost_increase"] == pytest.approx(60_000 * 200 + 24_000 * 300 + 30_000 * 20)  # 19.8 M CNY/yr
    assert r["stranded_t"] == pytest.approx(30_000)
    assert effects(rep, "blocks", "stranded") == {("", "ash"): pytest.approx(30_000)}
    assert effects(rep, "blocks", "lost input") == {("tiles", "fines"): pytest.approx(24_000)}
    assert effects(rep, "blocks", "lost production") == {("tiles", "tiles"): pytest.approx(24_000)}
    assert r["plants_affected"] == 1 and r["reach_depth"] == 1 and r["reached"] == "tiles (1)"


def test_the_chain_for_a_quarter_of_the_year_and_its_other_outages(chain, chain_year):
    q = outages(chain, share=0.25, exchanges=False)
    r = row(q, "blocks")
    assert r["reuse_lost"] == pytest.approx(7_500 + 6_000)
    assert r["cost_increase"] == pytest.approx(15_000 * 200 + 6_000 * 300 + 7_500 * 20)  # 4.95 M CNY/yr
    assert effects(q, "blocks", "stranded") == {("", "ash"): pytest.approx(7_500)}
    assert effects(q, "blocks", "lost production") == {("tiles", "tiles"): pytest.approx(6_000)}
    rep = chain_year
    f = row(rep, "furnace")
    assert f["reuse_lost"] == pytest.approx(54_000)
    assert f["cost_increase"] == pytest.approx(10e6 + 12e6 + 7.2e6 - 5e6)  # lost sales less ore not bought
    assert effects(rep, "furnace", "lost input") == {("blocks", "ash"): pytest.approx(30_000),
                                                     ("tiles", "fines"): pytest.approx(24_000)}
    assert f["reach_depth"] == 2 and f["reached"] == "blocks (1), tiles (2)"
    t = row(rep, "tiles")
    assert t["reuse_lost"] == pytest.approx(24_000) and t["cost_increase"] == pytest.approx(7.2e6 + 24_000 * 30)
    x = row(rep, "blocks -> tiles: fines")
    assert x["kind"] == "exchange" and x["reuse_lost"] == pytest.approx(24_000)
    # ranking: furnace and blocks lose everything, the furnace's outage costs more
    assert list(rep.criticality["plant"]) == ["furnace", "blocks", "tiles"]
    assert list(rep.criticality["rank"]) == [1, 2, 3]
    assert rep.criticality_map()["tiles"] == pytest.approx(24 / 54)


def test_graph_indicators_of_the_chain(chain_year):
    ind = chain_year.indicators
    by = {k: g for k, g in ind.groupby("indicator")}
    assert list(by["articulation_point"]["plant"]) == ["blocks"]
    assert sorted(zip(by["bridge"]["plant"], by["bridge"]["other"])) == [("blocks", "furnace"), ("blocks", "tiles")]
    assert len(by["component"]) == 1 and by["component"].iloc[0]["value"] == 3
    dep = {(r.plant, r.other, r.material): r.value for r in by["dependence"].itertuples()}
    assert dep == {("blocks", "furnace", "ash"): pytest.approx(1.0), ("tiles", "blocks", "fines"): pytest.approx(1.0)}
    crit = chain_year.criticality.set_index("plant")
    assert crit.loc["blocks", "articulation_point"] and not crit.loc["furnace", "articulation_point"]
    assert crit.loc["furnace", "sole_supplier_of"] == 1


# ------------------------------------------------------------------------ never more reuse
@settings(max_examples=budget(5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(park=small_parks(), share=st.sampled_from([1.0, 0.5]))
def test_an_outage_never_shows_more_net_reuse_than_the_intact_network(park, share):
    park["settings"]["objective"] = "reuse-then-cost"
    case = case_from_dict(park, file="<random>")
    try:
        rep = outages(case, share=share)
    except InfeasibleError:
        return
    tol = 1e-6 * max(1.0, abs(rep.intact.reuse_model)) + 1e-4
    assert (rep.table["status"] == "optimal").all(), rep.table[["element", "status"]]
    assert (rep.table["reuse_net"] <= rep.intact.reuse_model + tol).all(), rep.table[["element", "reuse_net"]]
    assert rep.table["cost"].map(math.isfinite).all()


def test_gross_reuse_may_rise_in_an_outage_net_reuse_does_not():
    """The Liupanshui effect on a hand case: a link out sends the gangue to a converting
    plant that burns more slime with it; the slime counts as reuse in the gross tonnage,
    the ash it becomes is landfilled (tests/data/outages/converter.yaml)."""
    rep = outages(load_case(DATA / "converter.yaml"))
    assert rep.intact.reuse == pytest.approx(150_000, rel=1e-6)
    assert rep.intact.reuse_model == pytest.approx(90_000, rel=1e-6)
    assert rep.nominal.kpi("byproducts_reused") == pytest.approx(rep.intact.reuse, rel=1e-6)
    for el in ("mine -> cement: gangue", "cement"):
        r = row(rep, el)
        assert r["reuse"] == pytest.approx(200_000, rel=1e-6)          # 50 kt more gross
        assert r["reuse_lost"] == pytest.approx(-50_000, rel=1e-6)
        assert r["reuse_net"] == pytest.approx(80_000, rel=1e-6)       # 10 kt less net
        assert r["reuse_net_lost"] == pytest.approx(10_000, rel=1e-5)
        assert effects(rep, el, "stranded") == {("", "ash"): pytest.approx(60_000, rel=1e-6)}
    assert (rep.table["reuse_net_lost"] >= -1e-3).all()


# ------------------------------------------------------------------------ resilient design
def test_resilient_design_by_hand_opens_standby_links():
    case = load_case(DATA / "two_sources.yaml")
    rep = outages(case, exchanges=False)
    assert row(rep, "k1")["reuse_net"] == pytest.approx(50_000)
    d = resilient(case, floor=0.9, outages=["k1", "k2"], report=rep)
    assert d.cost_of_resilience == pytest.approx(2_000_000, rel=1e-9)   # two standby links at 1 M CNY/yr
    assert d.opened == [("k1", "b2", "ash"), ("k2", "b1", "ash")] and d.closed == []
    assert d.result.kpi("byproducts_reused") == pytest.approx(100_000)
    for r in d.table.itertuples():
        assert r.nominal_network_reuse == pytest.approx(50_000)
        assert r.resilient_network_reuse == pytest.approx(100_000)
        assert r.joint_model_reuse >= 90_000 * (1 - 1e-9)
    with pytest.raises(InfeasibleError) as err:
        resilient(case, floor=0.9, report=rep)   # default: every plant that breaks the floor
    text = str(err.value)
    assert "outage of b1: the most any network keeps is 50,000 t-eq/yr" in text and "outage of b2" in text


def test_resilient_design_with_a_cost_cap():
    case = load_case(DATA / "two_sources.yaml")
    rep = outages(case, exchanges=False)
    nominal_k1 = row(rep, "k1")["cost"]
    # k1 out costs 17.4 M CNY/yr more on the nominal network; with the standby link k2 -> b1
    # (1 M/yr) b1 takes k2's ash instead of sand (-0.5 M) and landfill (-1 M) over 20 km
    # (+0.4 M): 17.3 M more than the nominal intact. A cap of 17.35 M needs that link.
    d = resilient(case, floor=None, max_cost_increase=17.35e6, outages=["k1"], report=rep)
    assert nominal_k1 > d.cost_cap
    assert d.table.iloc[0]["joint_model_cost"] <= d.cost_cap * (1 + 1e-9)
    assert d.opened == [("k2", "b1", "ash")] and d.cost_of_resilience == pytest.approx(1e6)
    chk = outages(case, nominal=d.result, plants=["k1"], exchanges=False, objective="cost",
                  structure=d.structure)
    assert row(chk, "k1")["cost"] <= d.cost_cap + 1e-6 * abs(d.cost_cap)


@settings(max_examples=budget(3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(park=small_parks(with_limits=False), floor=st.sampled_from([0.3, 0.6, 0.9]))
def test_the_resilient_design_meets_its_floor_and_costs_at_least_the_nominal(park, floor):
    park["settings"].update(objective="reuse-then-cost", mip_gap=0)
    case = case_from_dict(park, file="<random>")
    try:
        rep = outages(case, exchanges=False)
    except InfeasibleError:
        return
    listed = list(rep.table.loc[rep.table["reuse_net_lost"] > 1e-6, "element"])[:3]
    try:
        d = resilient(case, floor=floor, outages=listed, report=rep)
    except InfeasibleError:
        return
    tol = 1e-6 * max(1.0, d.floor_value) + 1e-3
    for r in d.table.itertuples():
        assert r.joint_model_reuse >= d.floor_value - tol, r
        assert r.resilient_network_reuse >= d.floor_value - tol, r
    assert d.result.kpi("annualised_cost") >= rep.nominal.kpi("annualised_cost") - 1e-6 * max(
        1.0, abs(rep.nominal.kpi("annualised_cost")))


# ------------------------------------------------------------------------ views
def test_network_view_colours_critical_plants(chain_year, tmp_path):
    from symbiosis.views.network import network_data, network_html
    colors, legend = chain_year.node_colors()
    assert colors == {"furnace": "#b71c1c", "blocks": "#b71c1c", "tiles": "#ef6c00"}   # 100 %, 100 %, 44 %
    assert legend == {"half or more of reuse lost": "#b71c1c", "20-50 % of reuse lost": "#ef6c00"}
    nodes, _, facts = network_data(chain_year.nominal, node_colors=colors, node_legend=legend,
                                   node_legend_title="Critical plants")
    by = {n["id"]: n for n in nodes}
    assert by["tiles"]["color"]["background"] == "#ef6c00" and by["furnace"]["color"]["background"] == "#b71c1c"
    page = network_html(chain_year.nominal, tmp_path / "n.html", node_colors=colors, node_legend=legend,
                        node_legend_title="Critical plants").read_text()
    assert ">Critical plants<" in page and "half or more of reuse lost" in page
    (tmp_path / "o").mkdir()
    written = {p.name for p in chain_year.write(tmp_path / "o", html=True)}
    assert {"network.html", "report.html", "outages.csv"} <= written
    assert "Critical plants (out for 100% of the year)" in (tmp_path / "o" / "network.html").read_text()


def test_report_has_an_outage_section_when_given(chain_year, tmp_path):
    from symbiosis.views.report import report_html
    page = report_html(chain_year.nominal, tmp_path / "r.html", outages=chain_year).read_text()
    assert 'id="outages"' in page and 'id="outage-chart"' in page and 'id="table-criticality"' in page
    plain = report_html(chain_year.nominal, tmp_path / "p.html").read_text()
    assert 'id="outage-chart"' not in plain


# ------------------------------------------------------------------------ Monte Carlo
def test_monte_carlo_draws_match_the_single_outages(chain, chain_year):
    df, summary = montecarlo(chain, 60, availability={"blocks": 0.5, "tiles": 0.8}, seed=3, scheduler="serial",
                             report=chain_year)
    assert len(df) == 60 and set(df["status"]) == {"optimal"}
    assert "furnace" not in " ".join(df["plants_out"])   # availability 1 when not named
    single = {r.element: r.reuse for r in chain_year.table.itertuples()}
    for r in df.itertuples():
        if r.n_out == 0:
            assert r.reuse == pytest.approx(54_000)
        elif r.n_out == 1:
            assert r.reuse == pytest.approx(single[r.plants_out], abs=1e-6)
        else:
            assert r.reuse == pytest.approx(0, abs=1e-6)
    assert summary.loc["reuse", "mean"] == pytest.approx(df["reuse"].mean())
    again, _ = montecarlo(chain, 60, availability={"blocks": 0.5, "tiles": 0.8}, seed=3, scheduler="serial",
                          report=chain_year)
    assert list(again["plants_out"]) == list(df["plants_out"])


def test_monte_carlo_on_a_dask_scheduler_address(chain, chain_year):
    from dask.distributed import LocalCluster
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        df, summary = montecarlo(chain, 20, availability=0.7, seed=1, scheduler=cluster.scheduler_address,
                                 report=chain_year)
    serial, _ = montecarlo(chain, 20, availability=0.7, seed=1, scheduler="serial", report=chain_year)
    assert list(df["reuse"]) == pytest.approx(list(serial["reuse"]))
    assert summary.attrs["draws"] == 20


# ------------------------------------------------------------------------ command line
def test_cli_outages(tmp_path):
    from typer.testing import CliRunner
    from symbiosis.cli import app, main  # noqa: F401  (main imports the command modules)
    import symbiosis.commands.outages_cmds  # noqa: F401
    runner = CliRunner()
    out = tmp_path / "o"
    res = runner.invoke(app, ["outages", str(DATA / "chain.yaml"), "--out", str(out), "--draws", "30",
                              "--availability", "0.8", "--scheduler", "serial"])
    assert res.exit_code == 0, res.output
    assert "Criticality of plants" in res.output and "blocks*" in res.output   # articulation point marked
    names = {p.name for p in out.iterdir()}
    assert {"outages.csv", "outage_effects.csv", "criticality.csv", "graph_indicators.csv", "montecarlo.csv",
            "montecarlo_summary.csv"} <= names
    assert not [n for n in names if n.startswith(".")]   # no temporary folder left
    assert "network.html" not in names
    import pandas as pd
    crit = pd.read_csv(out / "criticality.csv")
    assert list(crit["plant"]) == ["furnace", "blocks", "tiles"]
    two = tmp_path / "r"
    res = runner.invoke(app, ["outages", str(DATA / "two_sources.yaml"), "--out", str(two), "--no-exchanges",
                              "--resilient", "0.9", "--resilient-outage", "k1", "--resilient-outage", "k2"])
    assert res.exit_code == 0, res.output
    assert "2.00 M CNY/yr more than the nominal" in " ".join(res.output.split())
    assert (two / "resilient.csv").exists()
    res = runner.invoke(app, ["outages", str(DATA / "chain.yaml"), "--out", str(tmp_path / "h"), "--html",
                              "--plant", "blocks", "--no-exchanges"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "h" / "network.html").exists() and (tmp_path / "h" / "report.html").exists()
    assert len(pd.read_csv(tmp_path / "h" / "outages.csv")) == 1
    res = runner.invoke(app, ["outages", str(DATA / "two_sources.yaml"), "--out", str(tmp_path / "x"),
                              "--resilient", "0.9"])
    assert res.exit_code == 3 and "outage of b1" in " ".join(res.output.split())
    assert not (tmp_path / "x").exists() or not list((tmp_path / "x").iterdir())
    res = runner.invoke(app, ["outages", str(DATA / "chain.yaml"), "--share", "1.5"])
    assert res.exit_code == 2 and "--share" in res.output
    res = runner.invoke(app, ["outages", str(DATA / "chain.yaml"), "--draws", "5", "--availability", "nope=0.5"])
    assert res.exit_code == 2 and "unknown plant" in res.output


def test_fmt_thousands_divide_by_a_thousand():
    """The CLI's and report's shared formatter wrote 54,000 CNY as '5.40 k CNY' (found by
    the outage table)."""
    from symbiosis.fmt import fmt
    assert fmt(54_000, "CNY/yr") == "54.00 k CNY/yr"
    assert fmt(9_999, "CNY") == "9,999.0 CNY"
    assert fmt(2e6, "CNY/yr") == "2.00 M CNY/yr"
