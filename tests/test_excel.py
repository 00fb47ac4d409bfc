"""Excel workbooks (issue 4): results.xlsx, case template, YAML <-> workbook round trip, errors by cell."""
from __future__ import annotations

import copy
import dataclasses

import openpyxl
import pytest
import yaml

import symbiosis
from symbiosis.errors import CaseError
from symbiosis.excel import (SHEET_ORDER, from_cell, read_case_workbook, split_quantity,
                             to_cell, workbook_to_yaml, write_case_template, write_results_workbook)
from symbiosis.io import case_to_workbook, shipped_cases_dir

SHIPPED = sorted(shipped_cases_dir().glob("*.yaml"))


def _headers(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[1] if c.value is not None}


def _row_of(ws, ident: str, col: str = "id") -> int:
    h = _headers(ws)[col]
    for r in range(2, ws.max_row + 1):
        if ws.cell(row=r, column=h).value == ident:
            return r
    raise KeyError(ident)


def _spelling(v):
    """A YAML value with each quantity text as (number, unit): '260e6 CNY' and '260000000 CNY' alike."""
    if isinstance(v, dict):
        return {k: _spelling(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_spelling(x) for x in v]
    parts = split_quantity(v)
    return (float(parts[0]), parts[1]) if parts else v


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_yaml_workbook_yaml_round_trip(tmp_path, path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    xlsx = case_to_workbook(path, tmp_path / "case.xlsx", library=False)
    assert _spelling(read_case_workbook(xlsx, validate=False)) == _spelling(data)
    back = workbook_to_yaml(xlsx, tmp_path / "case.yaml")
    assert _spelling(yaml.safe_load(back.read_text(encoding="utf-8"))) == _spelling(data)


def _same_case(a, b):
    """Two loaded cases are equal but for the file each was read from."""
    for f in dataclasses.fields(a):
        if f.name == "path":
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if f.name == "processes":
            va = {k: dataclasses.replace(p, file=None) for k, p in va.items()}
            vb = {k: dataclasses.replace(p, file=None) for k, p in vb.items()}
        assert va == vb, f.name


@pytest.mark.parametrize("name", ["tutorial", "changzhi"])
def test_workbook_with_library_loads_an_equal_case(tmp_path, name):
    src = shipped_cases_dir() / f"{name}.yaml"
    xlsx = case_to_workbook(src, tmp_path / f"{name}.xlsx")
    _same_case(symbiosis.load_case(src), symbiosis.load_case(xlsx))


def test_workbook_holds_numbers_with_units_and_the_library(tmp_path):
    src = shipped_cases_dir() / "changzhi.yaml"
    xlsx = case_to_workbook(src, tmp_path / "c.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["plants"]
    h = _headers(ws)
    assert h["capacity unit"] == h["capacity"] + 1
    caps = [ws.cell(row=r, column=h["capacity"]).value for r in range(2, ws.max_row + 1)]
    assert caps and all(isinstance(v, (int, float)) or v is None for v in caps)
    assert not any(isinstance(v, str) for v in caps)
    case = symbiosis.load_case(src)
    own = yaml.safe_load(src.read_text(encoding="utf-8")).get("materials") or {}
    # every process a plant runs and every material they name is a row, library ones included
    procs = {ws.cell(row=r, column=1).value for r in range(2, wb["processes"].max_row + 1)
             for ws in [wb["processes"]]}
    assert {p.process for p in case.plants.values()} <= procs
    mats_ws = wb["materials"]
    mats = {mats_ws.cell(row=r, column=1).value: r for r in range(2, mats_ws.max_row + 1)}
    lib_only = sorted(m for m in mats if m not in own and case.materials[m].price is not None)
    assert lib_only, "the library materials the case uses are in the workbook"
    m = lib_only[0]
    r = mats[m]
    assert mats_ws.cell(row=r, column=1).fill.fgColor.rgb.endswith("EEF5E9")  # marked as the library's
    mh = _headers(mats_ws)
    price = mats_ws.cell(row=r, column=mh["price"]).value
    assert isinstance(price, (int, float))
    assert mats_ws.cell(row=r, column=mh["price unit"]).value
    # a library price changed in the workbook changes the case
    mats_ws.cell(row=r, column=mh["price"]).value = price * 2 + 1
    wb.save(xlsx)
    changed = symbiosis.load_case(xlsx)
    in_base_units = case.materials[m].price / price
    assert changed.materials[m].price == pytest.approx((price * 2 + 1) * in_base_units)


def _checks(ws) -> dict[str, list]:
    """Column header -> the data validations covering its row-2 cell."""
    h = {c.value: c.column_letter for c in ws[1] if c.value}
    out = {}
    for name, letter in h.items():
        out[name] = [dv for dv in ws.data_validations.dataValidation if f"{letter}2" in dv.sqref]
    return out


def test_workbook_dropdowns_and_checks_follow_the_schema(tmp_path):
    xlsx = case_to_workbook(shipped_cases_dir() / "tutorial.yaml", tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    plants = _checks(wb["plants"])
    (status,) = plants["status"]
    assert status.type == "list" and status.formula1 == '"existing,candidate"' and status.errorStyle == "stop"
    (proc,) = plants["process"]
    assert proc.formula1.startswith("processes!$A$2")
    assert plants["can_close"][0].formula1 == '"TRUE,FALSE"'
    (cap,) = plants["capacity"]
    assert cap.type == "decimal" and cap.operator == "greaterThanOrEqual" and cap.formula1 == "0"
    assert plants["name"] == [] and plants["capacity unit"] == []
    mats = _checks(wb["materials"])
    assert "byproduct" in mats["kind"][0].formula1
    assert mats["price"] == []  # a price may be negative
    flows = _checks(wb["process_flows"])
    assert flows["direction"][0].formula1 == '"input,output"'
    assert flows["material"][0].formula1.startswith("materials!$A$2")
    ex = _checks(wb["exchanges"])
    assert ex["from"][0].formula1.startswith("plants!$A$2") and ex["existing"][0].formula1 == '"TRUE,FALSE"'
    settings = wb["settings"]
    rows = {settings.cell(row=r, column=1).value: r for r in range(2, settings.max_row + 1)}
    by_cell = {c: dv for dv in settings.data_validations.dataValidation for c in str(dv.sqref).split()}
    assert by_cell[f"B{rows['objective']}"].formula1 == '"reuse,cost,reuse-then-cost"'
    assert by_cell[f"B{rows['mip_gap']}"].type == "decimal"
    assert settings.cell(row=rows["transport_cost"], column=2).value == 0.45
    assert settings.cell(row=rows["transport_cost"], column=3).value == "CNY/t/km"
    for name in ("materials", "processes", "plants", "process_flows", "exchanges"):
        ws = wb[name]
        assert ws.freeze_panes in ("A2", "B2") and ws.auto_filter.ref
        widths = {c.value: ws.column_dimensions[c.column_letter].width for c in ws[1] if c.value}
        assert all(w >= min(len(h) + 1, 50) for h, w in widths.items()), name


def test_unit_column_rules(tmp_path):
    path, wb = _tutorial_workbook(tmp_path)
    ws = wb["plants"]
    h = _headers(ws)
    r = _row_of(ws, "carbide")
    ws.cell(row=r, column=h["capacity"]).value = "0.5 Mt/yr"  # text is taken as written
    r2 = _row_of(ws, "pvc")
    ws.cell(row=r2, column=h["capacity"]).value = "420"  # a number typed as text joins its unit
    wb.save(path)
    data = read_case_workbook(path, validate=False)
    assert data["plants"]["carbide"]["capacity"] == "0.5 Mt/yr"
    unit = ws.cell(row=r2, column=h["capacity unit"]).value
    assert data["plants"]["pvc"]["capacity"] == f"420 {unit}"
    ws.cell(row=r2, column=h["capacity unit"]).value = 7
    wb.save(path)
    with pytest.raises(CaseError) as info:
        read_case_workbook(path, validate=False)
    assert "is not a unit" in str(info.value.problems[0])


def test_template_has_unit_columns_and_dropdowns(tmp_path):
    wb = openpyxl.load_workbook(write_case_template(tmp_path / "case.xlsx"))
    h = _headers(wb["plants"])
    assert {"capacity unit", "capex unit", "fixed_cost unit"} <= set(h)
    assert _checks(wb["plants"])["status"]


def test_workbook_case_loads_like_the_yaml(tmp_path, tutorial):
    xlsx = case_to_workbook(shipped_cases_dir() / "tutorial.yaml", tmp_path / "tutorial.xlsx")
    case = symbiosis.load_case(xlsx)
    assert set(case.plants) == set(tutorial.plants)
    assert symbiosis.optimize(case).kpi("byproducts_reused") == pytest.approx(427_200)


def test_round_trip_of_awkward_values(tmp_path, tutorial_dict):
    d = copy.deepcopy(tutorial_dict)
    d["description"] = "[not a list] but text"
    d["materials"]["coal"]["note"] = "=not a formula"
    d["materials"]["lime"]["note"] = "null"
    d["materials"]["coke"]["note"] = ""
    d["materials"]["hcl"]["name"] = None
    d["plants"]["power"]["load"] = [0.5, 1.0]
    d["plants"]["carbide"]["location"] = None
    d["plants"]["slag_cement"].pop("capacity")
    d["plants"]["slag_cement"].pop("capex")
    d["plants"]["slag_cement"]["sizes"] = [{"capacity": "300 kt/yr", "capex": "180e6 CNY"},
                                           {"capacity": "600 kt/yr", "capex": "300e6 CNY"}]
    d["processes"]["coal_power"]["balance"] = {"basis": "none", "note": "air not tracked"}
    d["processes"]["slag_cement"]["inputs"]["cao_source"]["options"]["limestone"]["max_share"] = "100 %"
    d["settings"]["carbon_price"] = "50 CNY/t"
    d["scenarios"] = {"no_cement": {"plants": {"slag_cement": {"forbid": True}}},
                      "dear_carbon": {"settings": {"carbon_price": "200 CNY/t"}, "exchanges": []},
                      "empty": {}}
    src = tmp_path / "awkward.yaml"
    src.write_text(yaml.safe_dump(d, sort_keys=False, allow_unicode=True))
    xlsx = case_to_workbook(src, tmp_path / "awkward.xlsx", library=False)
    assert _spelling(read_case_workbook(xlsx, validate=False)) == _spelling(d)
    wb = openpyxl.load_workbook(xlsx)
    assert [ws.title for ws in wb.worksheets] == SHEET_ORDER
    plants = wb["plants"]
    assert {"lon", "lat"} <= set(_headers(plants))
    assert wb["plant_sizes"].max_row == 3  # header and two sizes


@pytest.mark.parametrize("value", [None, True, False, 0, 3, 0.08, -1.5e-7, "300 kt/yr", "", " ", "null", "~",
                                   "'quoted", "=A1", "[x", "{y", "  [z", [1, 2], {"a": [1, "b"]}, [], {}])
def test_cell_encoding_round_trips(value):
    problems = []
    assert from_cell(to_cell(value), "here", problems, "f") == value
    assert problems == []


def test_template_is_empty_with_instructions(tmp_path):
    xlsx = write_case_template(tmp_path / "case.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    assert [ws.title for ws in wb.worksheets] == SHEET_ORDER
    text = " ".join(str(c.value) for row in wb["instructions"].iter_rows() for c in row if c.value)
    for word in ("process_flows", "process_options", "plant_sizes", "lon", "apostrophe", "null", "dotted"):
        assert word in text
    assert {"id", "process", "capacity", "status", "lon", "lat"} <= set(_headers(wb["plants"]))
    assert {"from", "to", "material"} <= set(_headers(wb["exchanges"]))
    assert wb["plants"]["C1"].comment is not None  # columns explained on hover
    assert read_case_workbook(xlsx, validate=False) == {}


def _tutorial_workbook(tmp_path):
    path = case_to_workbook(shipped_cases_dir() / "tutorial.yaml", tmp_path / "t.xlsx")
    return path, openpyxl.load_workbook(path)


def test_bad_quantity_names_sheet_row_and_column(tmp_path):
    path, wb = _tutorial_workbook(tmp_path)
    ws = wb["plants"]
    r, c = _row_of(ws, "carbide"), _headers(ws)["capacity"]
    ws.cell(row=r, column=c).value = "lots of t/yr"
    wb.save(path)
    with pytest.raises(CaseError) as info:
        symbiosis.load_case(path)
    (p,) = info.value.problems
    letter = openpyxl.utils.get_column_letter(c)
    assert p.entry == f"sheet 'plants', row {r}, column {letter} (capacity)"
    assert "plants.carbide.capacity" in p.message
    assert p.file == str(path)


def test_schema_errors_map_back_to_cells(tmp_path):
    path, wb = _tutorial_workbook(tmp_path)
    ws = wb["plants"]
    h = _headers(ws)
    ws.cell(row=_row_of(ws, "pvc"), column=h["status"]).value = "existingg"
    ws.cell(row=_row_of(ws, "power"), column=h["process"]).value = None
    ex = wb["exchanges"]
    ex.cell(row=3, column=_headers(ex)["existing"]).value = "perhaps"
    opts = wb["process_options"]
    opts.cell(row=2, column=_headers(opts)["max_share"]).value = "lots"
    wb.save(path)
    with pytest.raises(CaseError) as info:
        symbiosis.load_case(path)
    entries = [p.entry for p in info.value.problems]
    letter = {k: openpyxl.utils.get_column_letter(v) for k, v in h.items()}
    assert f"sheet 'plants', row {_row_of(ws, 'pvc')}, column {letter['status']} (status)" in entries
    assert f"sheet 'plants', row {_row_of(ws, 'power')}, column {letter['process']} (process)" in entries
    exl = openpyxl.utils.get_column_letter(_headers(ex)["existing"])
    assert f"sheet 'exchanges', row 3, column {exl} (existing)" in entries


def test_unit_error_in_a_nested_sheet(tmp_path):
    path, wb = _tutorial_workbook(tmp_path)
    flows = wb["process_flows"]
    h = _headers(flows)
    flows.cell(row=2, column=h["amount"]).value = "0.43 parsecs"
    wb.save(path)
    with pytest.raises(CaseError) as info:
        symbiosis.load_case(path)
    letter = openpyxl.utils.get_column_letter(h["amount"])
    assert any(p.entry == f"sheet 'process_flows', row 2, column {letter} (amount)" for p in info.value.problems)


def test_reading_errors_name_cells(tmp_path):
    path, wb = _tutorial_workbook(tmp_path)
    wb["plant_sizes"].append(["no_such_plant", "1 kt/yr", "1 CNY"])
    wb["plants"].append(["carbide", None, "carbide_furnace"])  # duplicate id
    ws = wb["plants"]
    ws.cell(row=_row_of(ws, "pvc"), column=_headers(ws)["load"]).value = "[0.5, 1"
    wb.create_sheet("notes")
    wb.save(path)
    with pytest.raises(CaseError) as info:
        read_case_workbook(path)
    text = "\n".join(str(p) for p in info.value.problems)
    assert "sheet 'plant_sizes', row 2, column A (plant): unknown plant 'no_such_plant'" in text
    assert f"sheet 'plants', row {ws.max_row}, column A (id): plant 'carbide' is given twice" in text
    assert "cannot read this list or mapping" in text
    assert "sheet 'notes'" in text


def test_results_workbook_sheets_and_units(tmp_path, tutorial_compared):
    r, sq = tutorial_compared["optimised"], tutorial_compared["status quo"]
    path = write_results_workbook(r, tmp_path / "results.xlsx", status_quo=sq)
    wb = openpyxl.load_workbook(path)
    assert {"KPIs", "plants", "exchanges", "market", "materials"} <= set(wb.sheetnames)
    assert "flow [unit/yr]" in _headers(wb["exchanges"])
    assert "distance [km]" in _headers(wb["exchanges"])
    assert "capex [CNY]" in _headers(wb["plants"])
    assert "capacity [activity_unit/yr]" in _headers(wb["plants"])
    assert "disposal_cost [CNY/yr]" in _headers(wb["market"])
    assert "reuse_rate [fraction]" in _headers(wb["materials"])
    kp = wb["KPIs"]
    assert [c.value for c in kp[1]] == ["kpi", "unit", "status quo [unit]", "optimised [unit]", "change [unit]"]
    rows = {row[0]: row for row in kp.iter_rows(min_row=2, values_only=True)}
    assert rows["byproducts_reused"][3] == pytest.approx(427_200)
    assert rows["byproducts_reused"][2] == pytest.approx(0)
    assert rows["reuse_rate"][1] == "fraction"
    ex = wb["exchanges"]
    assert ex.max_row == len(r.exchanges) + 1
    # formatted and filterable: frozen header, autofilter, chosen exchanges first, KPI formats
    for name in ("KPIs", "plants", "exchanges", "market", "materials"):
        assert wb[name].freeze_panes == "A2" and wb[name].auto_filter.ref.startswith("A1:")
    chosen = [row[_headers(ex)["chosen"] - 1] for row in ex.iter_rows(min_row=2, values_only=True)]
    assert chosen == sorted(chosen, reverse=True) and True in chosen
    import pandas as pd
    from symbiosis.excel import _chosen_first
    mixed = pd.DataFrame({"source": list("abcd"), "chosen": [False, True, False, True]})
    assert list(_chosen_first(mixed)["source"]) == ["b", "d", "a", "c"]
    fmt = {row[0].value: row[3].number_format for row in kp.iter_rows(min_row=2)}
    assert fmt["reuse_rate"] == "0.0%" and fmt["capex"] == "#,##0" and fmt["byproducts_reused"] == "#,##0.00"
