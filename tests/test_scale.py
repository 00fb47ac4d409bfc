"""Region scale (issues 14 and 18): the loader's fast paths read what PyYAML and pint read,
the report of a region embeds the overview only, the workbook is capped with a note,
Parquet is asked for clearly, and a region's views open and drill down in chromium.
Timings are in benchmarks/, not here."""
from __future__ import annotations

import os
from unittest import mock
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import symbiosis.files as sfiles
import symbiosis.io as sio
from symbiosis.errors import CaseError
from symbiosis.units import UnitProblem, to_float


# --------------------------------------------------------------------------- loader (issue 14)
VALUES = ["power_0020", "cement-1", "a.b", "yes", "No", "true", "False", "TRUE", "null", "~", "on", "y",
          "9.612 km", "12 km", "1e3 t/yr", "-0.5 CNY/t", "5 %", "3", "2.5", "1_000", "0x1F", ".inf",
          "'quoted'", "\"q\"", "x # comment", "2026-01-01", "a: b", "m**3", "1 m**3", "[1, 2]", "{a: 1}",
          "&anchor x", "*alias", "!!str 5", "8 CNY/(t*km)", "水泥"]
KEYS = ["from", "to", "material", "distance", "force", "on", "yes", "max", "k_1"]


def _read(tmp_path, text: str):
    f = tmp_path / "case.yaml"
    f.write_text(text, encoding="utf-8")
    try:
        return sio.read_yaml(f)
    except CaseError as exc:
        return ("error", str(exc))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(VALUES)), min_size=1, max_size=4),
                min_size=1, max_size=6),
       st.sampled_from(["", "settings: {objective: cost}\n", "# note\n", "  - {from: a}\n", "- tail\n",
                        "other:\n- {a: b}\n"]))
def test_flow_lists_read_as_pyyaml_reads_them(tmp_path_factory, rows, tail):
    """Every file, plain or not, reads to the same data (or the same error) with the fast
    path for long flow lists as with PyYAML alone."""
    tmp = tmp_path_factory.mktemp("flow")
    lines = ["- {" + ", ".join(f"{k}: {v}" for k, v in row) + "}" for row in rows]
    text = "name: x\nexchanges:\n" + "\n".join(lines) + "\n" + tail
    with mock.patch.object(sfiles, "_FLOW_MIN", 1):
        fast = _read(tmp, text)
    with mock.patch.object(sfiles, "_FLOW_MIN", 10 ** 9):  # no fast path: the C and Python loaders only
        slow = _read(tmp, text)
    assert fast == slow
    try:
        plain = yaml.safe_load(text)
    except yaml.YAMLError:
        plain = None
    if not isinstance(fast, tuple) and plain is not None:
        assert fast == plain


def test_flow_list_is_read_by_the_fast_path_and_keeps_line_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(sfiles, "_FLOW_MIN", 100)
    rows = [f"- {{from: p{i}, to: q{i}, material: ash, distance: {i}.5 km, force: true}}" for i in range(150)]
    text = "name: x\nexchanges:\n" + "\n".join(rows) + "\nplants:\n  a: [1\n"
    stripped, lists = sfiles._flow_lists(text)
    assert len(lists["exchanges"]) == 150 and lists["exchanges"][7] == {
        "from": "p7", "to": "q7", "material": "ash", "distance": "7.5 km", "force": True}
    assert stripped.count("\n") == text.count("\n")
    with pytest.raises(CaseError) as err:  # the syntax error after the list names its own line
        _read_raise(tmp_path, text)
    assert "line 155" in str(err.value) or "line 154" in str(err.value)
    monkeypatch.setattr(sfiles, "_FLOW_MIN", 10 ** 9)
    with pytest.raises(CaseError) as slow:
        _read_raise(tmp_path, text)
    assert str(slow.value) == str(err.value)


def _read_raise(tmp_path, text):
    f = tmp_path / "c.yaml"
    f.write_text(text)
    return sio.read_yaml(f)


def test_duplicate_key_in_a_fast_line_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(sfiles, "_FLOW_MIN", 1)
    with pytest.raises(CaseError, match="twice"):
        _read_raise(tmp_path, "exchanges:\n- {from: a, from: b}\n")


@pytest.mark.parametrize("value,unit", [("9.612 km", "km"), ("1200 m", "km"), ("190 kt/yr", "(t)/yr"),
                                         ("0.45 CNY/t/km", "CNY/(t)/km"), ("5 %", "dimensionless"),
                                         ("2e6 CNY/yr", "CNY/yr"), ("3 MWh", "(GJ)/yr"), ("20 degC", "K"),
                                         ("7 EUR", "CNY"), ("1e400 km", "km"), ("4 t", "km"), ("12", "km")])
def test_fast_quantities_match_to_float(value, unit):
    """The cached factor gives to_float's number where it applies and stands aside elsewhere."""
    try:
        want = to_float(value, unit)
    except UnitProblem:
        want = None
    got = sio._fast_float(value, unit)
    if got is not None:
        assert want is not None and got == pytest.approx(want, rel=1e-12)
    assert (want is None) <= (got is None)  # never a number where to_float refuses


# --------------------------------------------------------------------------- outputs (issue 18)
def _region(result, copies: int):
    """``copies`` of ``result``'s park, each its own park at its own place: the tables of a
    region whose parks do not trade (the views read only these tables). Built column-wise:
    a plant ``p`` of copy ``k`` is ``p_00k``."""
    import numpy as np

    from symbiosis.result import Result
    names = set(result.plants["plant"])
    tabs = {}
    for t in ("plants", "exchanges", "market", "inputs"):
        df = getattr(result, t)
        c = pd.concat([df] * copies, ignore_index=True)
        k = np.repeat(np.arange(copies), len(df))
        suffix = pd.Series([f"_{i:03d}" for i in k], dtype=object)
        for col in ("plant", "source", "target"):
            if col in c:
                v = c[col].astype(object)
                hit = v.isin(names).to_numpy()
                c[col] = np.where(hit, v + suffix, v).tolist()
        if t == "plants":
            c["park"] = [f"park {i:03d}" for i in k]
            c["lon"] = [None if v is None else v + (i % 25) * 0.4 for v, i in zip(c["lon"], k)]
            c["lat"] = [None if v is None else v + (i // 25) * 0.4 for v, i in zip(c["lat"], k)]
        tabs[t] = c
    return Result(case_name=f"{copies} copies of {result.case_name}", objective=result.objective,
                  materials=result.materials, kpis=result.kpis, solver=result.solver, units=result.units, **tabs)


@pytest.fixture(scope="module")
def region_views(tmp_path_factory, tutorial_result):
    """A 1,000-plant region's network.html and report.html, as write_views writes them
    (without the workbook and Sankey page, which these tests do not read). The pages are
    written once per test session: the pytest-xdist workers share them through a folder
    beside their own temporary folders, the first one writing them under a lock."""
    import fcntl

    from symbiosis.views import network_html
    from symbiosis.views.report import report_html
    r = _region(tutorial_result, 250)
    base = tmp_path_factory.getbasetemp()  # under xdist each worker's is popen-gwN in this session's folder
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "region-1000-views"
    shared.mkdir(exist_ok=True)
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "report.html").exists():
            tmp = tmp_path_factory.mktemp("region")
            network_html(r, tmp / "network.html")
            report_html(r, tmp / "report.html")
            for name in ("network.html", "report.html"):  # report.html last: its presence means both
                os.replace(tmp / name, shared / name)
    return r, shared


def test_region_report_embeds_the_overview(region_views):
    r, out = region_views
    assert len(r.plants) == 1000
    report = (out / "report.html").read_text(encoding="utf-8")
    network = (out / "network.html").read_text(encoding="utf-8")
    assert 'id="network-detail-link" href="network.html"' in report
    assert 'id="sym-detail"' in network and "id=&quot;sym-detail&quot;" not in report  # plants: network.html only
    embedded = report.split("srcdoc=")[1].split("</iframe>")[0]
    assert len(embedded) < 0.5 * len(network)
    assert "id=&quot;sym-legend&quot;" in embedded


def test_workbook_is_capped_with_a_note(tmp_path, tutorial_result):
    from openpyxl import load_workbook

    from symbiosis.excel import write_results_workbook
    r = tutorial_result
    n = len(r.exchanges)
    path = write_results_workbook(r, tmp_path / "results.xlsx", max_rows=2)
    wb = load_workbook(path, read_only=True)
    assert "notes" in wb.sheetnames
    notes = [row[0] for row in wb["notes"].iter_rows(min_row=2, values_only=True)]
    assert any(f"2 of {n:,} rows" in x and "exchanges.csv" in x for x in notes)
    rows = list(wb["exchanges"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 2
    head = [c.value for c in next(wb["exchanges"].iter_rows(max_row=1))]
    chosen = head.index("chosen")
    assert all(row[chosen] for row in rows[: int(r.exchanges["chosen"].sum())])  # chosen ones kept first
    full = write_results_workbook(r, tmp_path / "full.xlsx")
    assert "notes" not in load_workbook(full, read_only=True).sheetnames


TABLES = ("plants", "exchanges", "market", "inputs", "materials")
NO_PYARROW = "pyarrow is not installed (pip install 'symbiosis[parquet]')"


def test_parquet_tables_hold_what_the_result_holds(tmp_path, tutorial_result):
    from symbiosis.result import parquet_available
    if not parquet_available():
        pytest.skip(NO_PYARROW)
    written = {p.name for p in tutorial_result.write(tmp_path / "out", html=False, parquet=True)}
    for name in TABLES:
        assert f"{name}.parquet" in written and f"{name}.csv" in written
        back = pd.read_parquet(tmp_path / "out" / f"{name}.parquet")
        exp = getattr(tutorial_result, name).reset_index(drop=True)
        assert list(back.columns) == list(exp.columns) and len(back) == len(exp), name
        for col in exp:  # an object column of numbers and pd.NA comes back as float with NaN
            if back[col].dtype.kind in "fiub":
                assert np.allclose(back[col].astype(float), pd.to_numeric(exp[col]).astype(float), equal_nan=True)
            else:
                assert back[col].tolist() == exp[col].tolist(), (name, col)
    auto = {p.name for p in tutorial_result.write(tmp_path / "auto", html=False)}  # small: CSV only
    assert not [n for n in auto if n.endswith(".parquet")]


def test_solve_parquet_flag(tmp_path):
    from typer.testing import CliRunner

    from symbiosis.cli import app
    from symbiosis.result import parquet_available
    if not parquet_available():
        pytest.skip(NO_PYARROW)
    res = CliRunner().invoke(app, ["solve", "cases/tutorial.yaml", "--parquet", "--no-baseline",
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    for name in TABLES:
        pq, csv = pd.read_parquet(tmp_path / "out" / f"{name}.parquet"), pd.read_csv(tmp_path / "out" / f"{name}.csv")
        assert list(pq.columns) == list(csv.columns) and len(pq) == len(csv), name
    pq, csv = (pd.read_parquet(tmp_path / "out" / "exchanges.parquet"),
               pd.read_csv(tmp_path / "out" / "exchanges.csv"))
    assert pq["flow"].to_numpy() == pytest.approx(csv["flow"].to_numpy())


def test_parquet_without_pyarrow_is_one_clear_error(tmp_path, tutorial_result, monkeypatch):
    """Without pyarrow, --parquet fails before the solve (exit 2, naming the extra), and
    Result.write(parquet=True) writes nothing; by default the CSV tables need no pyarrow."""
    from typer.testing import CliRunner

    import symbiosis.result as sresult
    from symbiosis.cli import app
    monkeypatch.setattr(sresult, "parquet_available", lambda: False)
    res = CliRunner().invoke(app, ["solve", "cases/tutorial.yaml", "--parquet", "--out", str(tmp_path / "cli")])
    assert res.exit_code == 2 and "symbiosis[parquet]" in res.output and "--parquet" in res.output, res.output
    assert not (tmp_path / "cli").exists()  # nothing solved, nothing written
    with pytest.raises(RuntimeError, match="pyarrow"):
        tutorial_result.write(tmp_path / "out", html=False, parquet=True)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    written = tutorial_result.write(tmp_path / "auto", html=False)
    assert not [p for p in written if p.suffix == ".parquet"]


# --------------------------------------------------------------------------- browser (issue 18)
@pytest.mark.browser
def test_region_views_open_and_drill_down_in_chromium(region_views, browser):
    r, out = region_views
    park = "park 007"
    in_park = set(r.plants.loc[r.plants["park"] == park, "plant"])
    blocked, errors = [], []
    page = browser.new_page(viewport={"width": 1400, "height": 950})
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda rt: rt.continue_() if rt.request.url.startswith(("file:", "data:", "about:"))
               else (blocked.append(rt.request.url), rt.abort()))
    page.goto((out / "network.html").resolve().as_uri(), timeout=180_000)
    page.wait_for_function("window.symbiosisView && window.symbiosisView.ready", timeout=60_000)
    assert page.evaluate("window.symbiosisView.mode") == "overview"
    shown = page.evaluate("nodes.getIds()")
    assert len(shown) == 250 and not (set(shown) & set(r.plants["plant"]))  # one node per park
    # a click on the park's node drills down to its plants
    pos = page.evaluate(f"""(() => {{ var id = nodes.getIds({{filter: n => n.park === {park!r}}})[0];
        var p = network.getPositions([id])[id]; return network.canvasToDOM(p); }})()""")
    box = page.locator("#mynetwork canvas").bounding_box()
    network_box = page.locator("#mynetwork").bounding_box()
    page.mouse.click(network_box["x"] + pos["x"], network_box["y"] + pos["y"])
    page.wait_for_function(f"window.symbiosisView.mode === {park!r}", timeout=20_000)
    ids = set(page.evaluate("nodes.getIds({filter: n => !n.outside})"))
    assert ids == in_park
    assert box is not None
    # the report opens on the overview and links to the detail
    page.goto((out / "report.html").resolve().as_uri(), timeout=180_000)
    page.wait_for_function("document.querySelector('#kpi-cards') !== null", timeout=60_000)
    frame = page.frame_locator("#network-frame")
    assert frame.locator("#sym-legend").count() == 1
    assert page.locator("#network-detail-link").get_attribute("href") == "network.html"
    page.close()
    assert not blocked and not errors, (blocked, errors)


# --------------------------------------------------------------------------- README (issue 14)
def test_readme_speed_table_is_the_stored_run():
    """The README's region table is what benchmarks/readme_table.py makes of the stored run."""
    import importlib.util
    import json
    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("readme_table", root / "benchmarks" / "readme_table.py")
    rt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rt)
    data = json.loads(rt.RESULTS.read_text())
    for s in data["sizes"]:  # the stored run is whole: every phase of both, and the agreement checked
        assert {k for k, _ in rt.PHASES} <= set(s["symbiosis"]) & set(s["direct"])
        assert s["agree"] is True
    assert rt.readme_block(rt.README.read_text(encoding="utf-8")) == rt.block(data)
