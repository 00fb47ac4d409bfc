"""Result tables, KPIs recomputed from the tables, and whole-or-nothing writing."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from symbiosis.check import check_result


def test_tables_are_keyed_by_names(tutorial_result):
    r = tutorial_result
    assert {"plant", "built", "activity", "utilisation", "capex"} <= set(r.plants.columns)
    assert {"source", "target", "material", "chosen", "flow", "cost"} <= set(r.exchanges.columns)
    assert {"plant", "material", "purchase", "sale", "disposal"} <= set(r.market.columns)
    plants = r.plants.set_index("plant")
    assert plants.loc["slag_cement", "utilisation"] == pytest.approx(1.0)
    assert plants.loc["power", "activity"] == pytest.approx(2e6)
    slots = r.inputs.set_index(["plant", "slot", "material"])["amount"]
    assert slots[("slag_cement", "cao_source", "limestone")] == pytest.approx(96_000)


def test_kpis_add_up(tutorial_result):
    r = tutorial_result
    k = r.kpis["value"]
    parts = (k["capex_annualised"] + k["operating_cost"] + k["transport_and_link_cost"] + k["purchases"]
             - k["sales"] + k["disposal_cost"])
    assert k["annualised_cost"] == pytest.approx(parts)
    assert k["byproducts_generated"] == pytest.approx(k["byproducts_reused"] + k["byproducts_sold"]
                                                      + k["byproducts_disposed"])


def test_checker_catches_a_broken_balance(tutorial, tutorial_result):
    r = tutorial_result
    broken = r.exchanges.copy()
    i = broken.index[(broken["material"] == "carbide_slag") & broken["chosen"]][0]
    broken.loc[i, "flow"] += 1000.0
    bad = check_result(tutorial, type(r)(**{**r.__dict__, "exchanges": broken}))
    assert any("pvc makes" in b and "carbide_slag" in b for b in bad)
    assert any("slag_cement uses" in b for b in bad)


def test_checker_catches_capacity_overrun(tutorial, tutorial_result):
    r = tutorial_result
    plants = r.plants.copy()
    plants.loc[plants["plant"] == "slag_cement", "capacity"] = 500_000
    bad = check_result(tutorial, type(r)(**{**r.__dict__, "plants": plants}))
    assert any("capacity 500000, its size 0 has 600000" in b for b in bad)


def test_checker_catches_flows_off_network_sales_and_a_wrong_cost(tutorial, tutorial_result):
    r = tutorial_result
    ex = r.exchanges.copy()
    ex.loc[(ex["material"] == "fly_ash"), "chosen"] = False
    assert any("carries 120000 but is not chosen" in b for b in check_result(tutorial, type(r)(**{**r.__dict__, "exchanges": ex})))
    market = r.market.copy()
    market.loc[len(market)] = {"plant": "pvc", "material": "cement", "unit": "t", "kind": "product", "purchase": 0.0,
                               "sale": 1e6, "disposal": 0.0, "purchase_cost": 0.0, "sales_revenue": 3.8e8,
                               "disposal_cost": 0.0}
    assert any("pvc sells or disposes of cement" in b for b in check_result(tutorial, type(r)(**{**r.__dict__, "market": market})))
    kpis = r.kpis.copy()
    kpis.loc["annualised_cost", "value"] = 1e9
    assert any("annualised_cost" in b for b in check_result(tutorial, type(r)(**{**r.__dict__, "kpis": kpis})))


def test_write_all_files(tutorial_result, tmp_path):
    files = tutorial_result.write(tmp_path / "out")
    names = {f.name for f in files}
    assert {"plants.csv", "exchanges.csv", "market.csv", "kpis.csv", "summary.json", "network.html"} <= names
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["kpis"]["byproducts_reused"]["value"] == pytest.approx(427_200)
    assert summary["built_plants"] == ["slag_cement"]
    assert summary["solver"]["status"] == "optimal"
    back = pd.read_csv(tmp_path / "out" / "exchanges.csv")
    assert back["flow"].sum() == pytest.approx(tutorial_result.exchanges["flow"].sum())


def test_write_is_whole_or_nothing(tutorial_result, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "plants.csv").write_text("old")

    def boom(_tmp):
        raise RuntimeError("view failed")

    with pytest.raises(RuntimeError):
        tutorial_result.write(out, extra=boom)
    assert [p.name for p in out.iterdir()] == ["plants.csv"]
    assert (out / "plants.csv").read_text() == "old"
