"""Views of a result (issue 4): files written, offline pages, numbers that match the result."""
from __future__ import annotations

import json
import re

import pytest

from symbiosis.views import external_refs, network_html, read_result, write_views
from symbiosis.views.network import edge_id, layout, network_data
from symbiosis.views.report import fmt, report_html
from symbiosis.views.sankey import sankey_data, sankey_figure

VIEW_FILES = {"network.html", "sankey.html", "report.html", "results.xlsx"}


def _page_data(page: str, name: str) -> list[dict]:
    """The JSON a pyvis page gives vis.DataSet ``name`` (nodes or edges)."""
    m = re.search(rf"{name} = new vis\.DataSet\((\[.*?\])\);\n", page, re.S)
    assert m, f"no {name} DataSet in the page"
    return json.loads(m.group(1))


def test_write_views_writes_every_file(tmp_path, tutorial_compared):
    r, sq = tutorial_compared["optimised"], tutorial_compared["status quo"]
    written = write_views(r, tmp_path, status_quo=sq)
    assert {p.name for p in written} == VIEW_FILES
    for p in written:
        assert p.stat().st_size > 1000, p


def test_solve_result_write_holds_views(tmp_path, tutorial_result):
    """The path `symbiosis solve` takes: views written inside Result.write's atomic folder."""
    written = tutorial_result.write(tmp_path, html=False, extra=lambda tmp: write_views(tutorial_result, tmp))
    assert VIEW_FILES <= {p.name for p in written}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".symbiosis-")]


def test_no_page_loads_from_the_internet(tmp_path, tutorial_compared):
    r, sq = tutorial_compared["optimised"], tutorial_compared["status quo"]
    write_views(r, tmp_path, status_quo=sq)
    for name in ("network.html", "sankey.html", "report.html"):
        page = (tmp_path / name).read_text(encoding="utf-8")
        assert external_refs(page) == [], name
        # the inlined libraries mention URLs in licence comments and strings; those are
        # text, not requests (test_browser checks that no request leaves the page)
        assert not re.search(r"<script[^>]+src=", page), name
    network = (tmp_path / "network.html").read_text(encoding="utf-8")
    assert "bootstrap" not in network and "cdn.jsdelivr" not in network and "cdnjs" not in network
    assert "vis.Network" in (tmp_path / "network.html").read_text(encoding="utf-8")


def test_external_refs_finds_cdn_links():
    assert external_refs('<link href="https://cdn.jsdelivr.net/x.css" rel="stylesheet">')
    assert external_refs('<script src="//cdn.example.org/x.js"></script>')
    assert external_refs("<style>@import url(https://fonts.example/x.css);</style>")
    assert external_refs('<a href="https://example.org">a link</a>') == []


def test_network_holds_every_plant_and_candidate_exchange(tmp_path, tutorial_result):
    r = tutorial_result
    page = network_html(r, tmp_path / "network.html", market=False).read_text(encoding="utf-8")
    nodes, edges = _page_data(page, "nodes"), _page_data(page, "edges")
    assert {n["id"] for n in nodes} == set(r.plants["plant"])
    expected = {edge_id(x.source, x.target, x.material) for x in r.exchanges.itertuples()}
    assert {e["id"] for e in edges} == expected
    chosen = {edge_id(x.source, x.target, x.material): x.flow for x in r.chosen_exchanges.itertuples()}
    for e in edges:
        assert e["chosen_exchange"] == (e["id"] in chosen)
        assert e["flow"] == pytest.approx(chosen.get(e["id"], 0.0))
    assert 'id="toggle-candidates"' in page


def test_network_tooltips_carry_numbers(tutorial_result):
    nodes, edges, facts = network_data(tutorial_result, market=True)
    slag = next(e for e in edges if e["id"] == "pvc->slag_cement:carbide_slag")
    # 307,200 t of 356,000 t of carbide slag reused: 86.3 %
    assert "307.2 kt/yr" in slag["tip"] and "8.0 km" in slag["tip"]
    assert "86.3%" in slag["tip"]
    assert "transport cost: 1.11 M CNY/yr" in slag["tip"]
    cement = next(n for n in nodes if n["id"] == "slag_cement")
    assert cement["shape"] == "diamond" and cement["borderWidth"] > 1   # newly built
    assert next(n for n in nodes if n["id"] == "power")["shape"] == "dot"  # existing
    assert {"@market", "@sales", "@landfill"} <= {n["id"] for n in nodes}
    landfill = [e for e in edges if e["to"] == "@landfill"]
    assert sum(e["flow"] for e in landfill) == pytest.approx(tutorial_result.kpi("byproducts_disposed"))
    assert set(facts["sectors"]) == {"power", "chemicals", "building_materials"}


def test_network_unbuilt_candidates_are_faint(tmp_path, tutorial_compared):
    sq = tutorial_compared["status quo"]
    nodes, edges, facts = network_data(sq, show_unchosen=False)
    cement = next(n for n in nodes if n["id"] == "slag_cement")
    assert cement.get("candidate") and cement.get("hidden")
    assert facts["candidate_edges"] == [e["id"] for e in edges if e.get("candidate")]
    assert all(e.get("hidden") for e in edges if e.get("candidate"))


def test_layout_is_stable_and_spreads_plants(big_result):
    a, b = layout(big_result.plants), layout(big_result.plants)
    assert a == b
    assert len(a) == len(big_result.plants)
    pts = list(a.values())
    assert len({(round(x), round(y)) for x, y in pts}) == len(pts)  # no two plants on one spot


def test_big_network_is_quick_and_has_no_physics(tmp_path, big_result):
    import time
    t0 = time.perf_counter()
    page = network_html(big_result, tmp_path / "network.html").read_text(encoding="utf-8")
    # (its time is measured in benchmarks/bench_outputs.py, not asserted here)
    assert '"physics": {"enabled": false' in page
    nodes = _page_data(page, "nodes")
    assert all("x" in n and "y" in n for n in nodes)
    assert len(nodes) == len(big_result.plants) + 3  # plants and the three market nodes


def test_sankey_sums_equal_result_flows(tutorial_result):
    r = tutorial_result
    d = sankey_data(r)  # whole park, tonnes
    ex = r.chosen_exchanges
    kinds = list(zip(d["kind"], d["value"]))
    assert sum(v for k, v in kinds if k == "exchange") == pytest.approx(ex.loc[ex["unit"] == "t", "flow"].sum())
    mk = r.market[r.market["unit"] == "t"]
    for kind in ("purchase", "sale", "disposal"):
        assert sum(v for k, v in kinds if k == kind) == pytest.approx(mk[kind].sum())
    assert sum(v for k, v in kinds if k == "disposal") == pytest.approx(r.kpi("byproducts_disposed"))
    assert set(d["units"]) == {"t"}


def test_sankey_one_material_and_one_plant(tutorial_result):
    r = tutorial_result
    slag = sankey_data(r, material="carbide_slag")
    assert sum(slag["value"]) == pytest.approx(356_000)  # generated = reused + disposed
    el = sankey_data(r, material="electricity")
    assert el["units"] == ["MWh"]
    assert sum(v for k, v in zip(el["kind"], el["value"]) if k == "exchange") == pytest.approx(1_164_000)
    cement = sankey_data(r, plant="slag_cement", unit=None)
    ins = sum(v for t, v in zip(cement["target"], cement["value"]) if cement["labels"][t] == "slag_cement"
              and True)
    assert ins > 0
    assert "slag_cement" in cement["labels"]
    assert all("slag_cement" in (cement["labels"][s], cement["labels"][t])
               for s, t in zip(cement["source"], cement["target"]))


def test_sankey_side_by_side(tutorial_compared):
    fig = sankey_figure(tutorial_compared["optimised"], tutorial_compared["status quo"])
    sankeys = [t for t in fig.data if t.type == "sankey"]
    assert len(sankeys) == 2
    assert sankeys[0].domain.x[1] <= sankeys[1].domain.x[0]
    # a legend names every material drawn
    legend = {t.name for t in fig.data if t.type == "scatter"}
    assert legend == set(sankeys[0].link.label) | set(sankeys[1].link.label)
    # the status quo disposes of all 516,000 t of by-products
    sq = sankey_data(tutorial_compared["status quo"])
    assert sum(v for k, v in zip(sq["kind"], sq["value"]) if k == "disposal") == pytest.approx(516_000)


def test_report_contains_kpis(tmp_path, tutorial_compared):
    r, sq = tutorial_compared["optimised"], tutorial_compared["status quo"]
    page = report_html(r, tmp_path / "report.html", status_quo=sq).read_text(encoding="utf-8")
    for name in ("reuse_rate", "byproducts_reused", "byproducts_disposed", "co2", "capex", "annualised_cost"):
        assert f'data-kpi="{name}"' in page
    assert "82.8%" in page                      # reuse rate 427,200 / 516,000
    assert "427.2 kt/yr" in page and "88.8 kt/yr" in page
    assert "status quo 0.0%" in page
    assert 'id="table-exchanges"' in page and 'id="table-kpis"' in page
    assert "<iframe" in page and "srcdoc=" in page and 'class="js-plotly-plot"' in page or "Plotly.newPlot" in page


def test_fmt():
    assert fmt(0.8279, "fraction") == "82.8%"
    assert fmt(427200, "t/yr") == "427.2 kt/yr"
    assert fmt(3e8, "CNY") == "300.00 M CNY"


def test_read_result_redraws(tmp_path, tutorial_result):
    tutorial_result.write(tmp_path, html=False)
    back = read_result(tmp_path)
    assert back.kpi("reuse_rate") == pytest.approx(tutorial_result.kpi("reuse_rate"))
    written = write_views(back, tmp_path / "again")
    assert {p.name for p in written} == VIEW_FILES


def test_view_of_a_result_folder_swaps_the_views_in_whole(tmp_path, tutorial_result, monkeypatch):
    """`symbiosis view FOLDER` writes through outdir.write_whole: the tables and any other
    file are kept, no temporary folder is left, and a fault mid-write changes nothing."""
    from typer.testing import CliRunner

    import symbiosis.commands.views_cmds  # noqa: F401 - registers `view`
    import symbiosis.views as views
    from symbiosis.cli import app
    tutorial_result.write(tmp_path / "res", html=False)
    (tmp_path / "res" / "notes.txt").write_text("mine")
    res = CliRunner().invoke(app, ["view", str(tmp_path / "res")])
    assert res.exit_code == 0, res.output
    names = {p.name for p in (tmp_path / "res").iterdir()}
    assert VIEW_FILES | {"summary.json", "exchanges.csv", "notes.txt"} <= names
    assert not [p for p in tmp_path.iterdir() if ".symbiosis-" in p.name]
    before = {p.name: p.read_bytes() for p in (tmp_path / "res").iterdir()}

    def half(result, folder, **kw):  # writes one page, then fails as a full disk would
        (folder / "network.html").write_text("half")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(views, "write_views", half)
    res = CliRunner().invoke(app, ["view", str(tmp_path / "res")])
    assert res.exit_code == 6 and "nothing was changed" in res.output, res.output
    assert {p.name: p.read_bytes() for p in (tmp_path / "res").iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if ".symbiosis-" in p.name]


def test_png_export_fails_with_a_message(tmp_path, tutorial_result, monkeypatch):
    from symbiosis.views import sankey as sk
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))

    def boom(*a, **k):
        raise ValueError("could not find a browser")
    monkeypatch.setattr(sk.go.Figure, "write_image", boom)
    with pytest.raises(RuntimeError, match="needs Chrome or Chromium"):
        sk.sankey_png(tutorial_result, tmp_path / "s.png")


def test_sankey_tooltips_carry_formatted_flows(tutorial_result):
    r = tutorial_result
    d = sankey_data(r, material="carbide_slag")
    ex = r.chosen_exchanges
    row = ex[ex["material"] == "carbide_slag"].iloc[0]
    i = next(i for i, k in enumerate(d["kind"]) if k == "exchange")
    assert d["hover"][i].endswith(f"carbide_slag (exchange): {fmt(row.flow, 't/yr')}")
    assert "%{" not in d["hover"][i]           # nothing left for plotly to (not) fill in
    fig = sankey_figure(r, material="carbide_slag")
    tr = fig.data[0]
    assert tr.link.hovertemplate == "%{customdata}<extra></extra>"
    assert list(tr.link.customdata) == d["hover"]
    # node labels carry their throughput, so a PNG shows the numbers
    assert all(t.startswith(lbl + " ") and t.endswith("t/yr") for lbl, t in zip(d["labels"], d["texts"]))


def test_sankey_one_scale_and_byproducts(tutorial_compared):
    from symbiosis.views.sankey import _columns, one_scale
    r, sq = tutorial_compared["optimised"], tutorial_compared["status quo"]
    fig = sankey_figure(r, sq)
    sankeys = [t for t in fig.data if t.type == "sankey"]
    datas = [sankey_data(x) for x in (sq, r)]
    h = 650 - 110 - 20
    px = []
    for tr, d in zip(sankeys, datas):
        s, n = _columns(d)
        height = (tr.domain.y[1] - tr.domain.y[0]) * h
        px.append((height - (n - 1) * 12) / s)   # pixels per tonne of the fullest column
    assert px[0] == pytest.approx(px[1], rel=1e-6)
    assert max(one_scale(datas, h)) == 1.0
    byp = sankey_data(r, byproducts=True)
    kinds = dict(zip(r.materials["material"], r.materials["kind"]))
    assert byp["material"] and all(kinds[m] == "byproduct" for m in byp["material"])
    assert sum(byp["value"]) < sum(sankey_data(r)["value"])


def test_sankey_menu_figure_is_what_plotly_checks_make_of_it(tutorial_compared):
    """The Sankey pages write the menu figure as an unchecked dict (plotly's per-element
    checks were most of a region's write time): checking it changes nothing."""
    import plotly.graph_objects as go
    from plotly.utils import PlotlyJSONEncoder

    from symbiosis.views.sankey import sankey_figure_menu
    for sq in (tutorial_compared["status quo"], None):
        fig = sankey_figure_menu(tutorial_compared["optimised"], sq)
        checked = go.Figure(fig).to_plotly_json()
        assert (json.dumps(fig, cls=PlotlyJSONEncoder, sort_keys=True)
                == json.dumps(checked, cls=PlotlyJSONEncoder, sort_keys=True))
        assert any(t["type"] == "sankey" for t in fig["data"]) and fig["layout"]["updatemenus"]
