"""Excel workbooks: results to hand on, and cases kept in spreadsheets.

Results: :func:`write_results_workbook` writes ``results.xlsx`` with a sheet each for
KPIs, plants, exchanges, market, materials, input slots and the solver, units in the
headers (``flow [unit/yr]`` means: in the unit of the row's ``unit`` column, per year).

Cases: :func:`write_case_template` writes an empty case workbook, :func:`case_to_workbook`
turns a YAML case into one, :func:`read_case_workbook` reads one back into the dict the
YAML file would give (``symbiosis.io.load_case`` calls it for ``.xlsx`` files), and
:func:`workbook_to_yaml` writes that dict as YAML. YAML -> workbook -> YAML gives an
equal dict. The flat encoding (also written into the workbook's instructions sheet):

- one sheet per section: ``case``, ``units``, ``settings`` (field / value rows),
  ``materials``, ``processes``, ``plants``, ``exchanges`` (a row per entry; ``id`` names the
  material, process or plant), ``process_flows`` (a row per process input or output),
  ``process_options`` (a row per material that may fill an input slot), ``plant_sizes``
  (a row per size option of a candidate plant, in order), ``scenarios`` (a row per
  overridden field: scenario, dotted path, value);
- a nested field is a dotted column: ``operating_cost.value``, ``operating_cost.source``,
  ``balance.tolerance``; a plant's ``location`` is the two columns ``lon`` and ``lat``;
- an empty cell means the field is not given; ``null`` means an explicit null; a cell
  starting with ``[`` or ``{`` holds a list or mapping (YAML/JSON flow style, e.g.
  ``[0.5, 1.0]``); a text starting with an apostrophe is taken literally without it
  (``'[not a list]``, ``'null``, ``'=x``); numbers, TRUE/FALSE and text keep their types.

Problems in a workbook name the sheet, row and column: ``sheet 'plants', row 5,
column C (capacity)``; errors the case validation finds afterwards are mapped back to
the cell they came from where possible.
"""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any, Callable

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from symbiosis import schema
from symbiosis.errors import CaseError, Problem

# =========================================================================== results
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
BOLD = Font(bold=True)


def _result_units(money: str, period: str) -> dict[str, dict[str, str]]:
    per = f"/{period}"
    return {
        "plants": {"capacity": f"activity_unit{per}", "activity": f"activity_unit{per}", "utilisation": "fraction",
                   "capex": money, "capex_annualised": f"{money}{per}", "operating_cost": f"{money}{per}",
                   "co2": f"t CO2{per}", "lon": "deg", "lat": "deg"},
        "exchanges": {"flow": f"unit{per}", "distance": "km", "transport_cost": f"{money}{per}",
                      "fixed_cost": f"{money}{per}", "cost": f"{money}{per}", "reuse": f"weighted t{per}"},
        "market": {"purchase": f"unit{per}", "sale": f"unit{per}", "disposal": f"unit{per}",
                   "purchase_cost": f"{money}{per}", "sales_revenue": f"{money}{per}",
                   "disposal_cost": f"{money}{per}"},
        "materials": {"generated": f"unit{per}", "exchanged": f"unit{per}", "sold": f"unit{per}",
                      "disposed": f"unit{per}", "purchased": f"unit{per}", "reuse_rate": "fraction"},
        "inputs": {"amount": f"unit{per}"},
    }


def _write_frame(ws, df, units: dict[str, str], row_format=None, least_width: dict[str, int] | None = None) -> None:
    """Write ``df`` to the worksheet ``ws`` (normal or write-only): a bold header with the
    units, frozen and filtered, column widths from the first rows, numbers formatted by
    column (``units``) or, for the KPI sheet, by row (``row_format(row) -> format``)."""
    headers = [f"{c} [{units[c]}]" if c in units else str(c) for c in df.columns]
    for i, h in enumerate(headers, start=1):  # widths first: a write-only sheet needs them before its rows
        col = df.columns[i - 1]
        width = max([len(h)] + [len(str(v)) for v in df[col].head(200)]) if len(df) else len(h)
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(min(max(10, width + 2), 45), (least_width or {}).get(letter, 0))
    ws.freeze_panes = "A2"
    head = []
    for h in headers:
        c = WriteOnlyCell(ws, value=h)
        c.font, c.fill = BOLD, HEADER_FILL
        head.append(c)
    ws.append(head)
    fmts: list[str | None] = []
    for col in df.columns:
        fmt = None
        if units.get(col) == "fraction":
            fmt = "0.0%"
        elif col in units and col not in ("lon", "lat", "distance"):
            fmt = "#,##0.00"
        fmts.append(fmt)
    # column by column to Python values (NaN and NA -> None, numpy scalars -> Python)
    cols = []
    for col in df.columns:
        ser = df[col]
        vals = ser.astype(object).where(ser.notna(), None).tolist()
        cols.append([v.item() if hasattr(v, "item") else v for v in vals])
    for row in zip(*cols) if cols else ():
        fmt_row = row_format(row) if row_format is not None else None
        out: list[Any] = []
        for v, fmt in zip(row, fmts):
            fmt = fmt_row if fmt_row is not None and isinstance(v, (int, float)) and not isinstance(v, bool) else fmt
            if fmt is not None and v is not None:
                c = WriteOnlyCell(ws, value=v)
                c.number_format = fmt
                out.append(c)
            else:
                out.append(v)
        ws.append(out)
    ws.auto_filter.ref = f"A1:{get_column_letter(max(len(headers), 1))}{len(df) + 1}"


#: Excel's sheet holds 1,048,576 rows (one is the header); far fewer already open slowly
EXCEL_MAX_ROWS = 1_048_575
XLSX_MAX_ROWS = 100_000


def _capped(name: str, df, cap: int):
    """``df`` cut to ``cap`` rows, the rows a reader wants first kept (open or chosen
    exchanges, built plants, largest flows), and a note saying so; (df, None) when it fits."""
    if len(df) <= cap:
        return df, None
    keys = [c for c in ("open", "chosen", "built") if c in df.columns]
    size = next((c for c in ("flow", "amount", "activity") if c in df.columns), None)
    order = df
    if keys or size:
        cols = keys + ([size] if size else [])
        order = df.sort_values(cols, ascending=False, kind="stable")
    first = " and ".join(keys + ([f"largest {size}"] if size else [])) or "first"
    note = (f"sheet '{name}' holds {cap:,} of {len(df):,} rows ({first} first); the whole table is in "
            f"{name}.csv beside this workbook (Excel opens at most {EXCEL_MAX_ROWS + 1:,} rows a sheet)")
    return order.head(cap), note


def write_results_workbook(result, path, status_quo=None, *, max_rows: int = XLSX_MAX_ROWS) -> Path:
    """Write ``results.xlsx``: sheets KPIs, plants, exchanges, market, materials, inputs,
    solver; with ``status_quo`` the KPI sheet shows both networks and the change. A table
    longer than ``max_rows`` (at most Excel's 1,048,575) is cut to its first rows, open and
    chosen ones first, with a ``notes`` sheet saying so: the CSV files hold every row."""
    import pandas as pd
    max_rows = min(int(max_rows), EXCEL_MAX_ROWS)
    money = (result.units or {}).get("money", "CNY")
    period = (result.units or {}).get("period", "yr")
    units = _result_units(money, period)
    kp = result.kpis.reset_index()[["kpi", "unit", "value"]]
    if status_quo is not None:
        sq = status_quo.kpis["value"]
        kp = kp.rename(columns={"value": "optimised"})
        kp.insert(2, "status quo", [float(sq[k]) if k in sq.index else None for k in kp["kpi"]])
        kp["change"] = kp["optimised"] - kp["status quo"]
        kp.columns = ["kpi", "unit", "status quo [unit]", "optimised [unit]", "change [unit]"]
    else:
        kp.columns = ["kpi", "unit", "value [unit]"]
    notes, tables = [], []
    for name in ("plants", "exchanges", "market", "materials", "inputs"):
        df, note = _capped(name, _chosen_first(getattr(result, name)), max_rows)
        if note:
            notes.append(note)
        tables.append((name, df))
    # write-only: rows stream to the file (a cell object per formatted value only), so a
    # 100,000-row sheet takes seconds, not minutes; sheets are written in their order
    wb = Workbook(write_only=True)
    _write_frame(wb.create_sheet("KPIs"), kp, {}, row_format=_kpi_format, least_width={"A": 30})
    if notes:
        _write_frame(wb.create_sheet("notes"), pd.DataFrame({"note": notes}), {})
    for name, df in tables:
        _write_frame(wb.create_sheet(name), df, units.get(name, {}))
    s = wb.create_sheet("solver")
    info = [("case", result.case_name), ("objective", result.objective)]
    info += [(k, v if isinstance(v, (int, float, str, bool)) or v is None else str(v)) for k, v in result.solver.items()]
    info += [(f"time {k} [s]", float(v)) for k, v in (result.timings or {}).items()]
    _write_frame(s, pd.DataFrame(info, columns=["field", "value"]), {})
    out = Path(path)
    tmp = out.with_name(f".{out.name}.tmp")
    wb.save(tmp)
    os.replace(tmp, out)
    return out


def _chosen_first(df):
    """Exchanges chosen (or plants built) first, each group in its own order."""
    key = next((c for c in ("chosen", "built") if c in df.columns), None)
    if key is None or not len(df):
        return df
    return df.sort_values(key, ascending=False, kind="stable")


def _kpi_format(row) -> str:
    """A KPI row's number format: shares as percent, the rest with thousands separators
    (money without decimals); the unit is the row's second field."""
    unit = str(row[1] or "")
    return "0.0%" if unit == "fraction" else ("#,##0" if re.match(r"^[A-Z]{3}\b", unit) else "#,##0.00")


# =========================================================================== case workbooks
KV_SHEETS = ("case", "units", "settings")
SECTION_SHEETS = {"materials": schema.MaterialSpec, "processes": schema.ProcessSpec, "plants": schema.PlantSpec}
SHEET_ORDER = ["instructions", "case", "units", "settings", "materials", "processes", "process_flows",
               "process_options", "plants", "plant_sizes", "exchanges", "scenarios"]
SOURCED = ["source", "estimate", "note"]
_ABSENT = object()


def _fields(model) -> list[str]:
    """Field names as written in files; provenance (source, estimate, note) last."""
    names = [f.alias or n for n, f in model.model_fields.items()]
    return [n for n in names if n not in SOURCED] + [n for n in names if n in SOURCED]


def _descr(model, name: str) -> str:
    for n, f in model.model_fields.items():
        if (f.alias or n) == name:
            return f.description or ""
    return ""


# columns of each table sheet (before any dotted extras), with the model describing them
def _columns() -> dict[str, tuple[list[str], Any]]:
    plant_cols = [c for c in _fields(schema.PlantSpec) if c not in ("location", "sizes")]
    i = plant_cols.index("park")
    plant_cols = plant_cols[:i] + ["lon", "lat"] + plant_cols[i:]
    proc_cols = [c for c in _fields(schema.ProcessSpec) if c not in ("inputs", "outputs", "balance")]
    proc_cols += ["balance.basis", "balance.tolerance", "balance.note"]
    return {
        "materials": (["id"] + _fields(schema.MaterialSpec), schema.MaterialSpec),
        "processes": (["id"] + proc_cols, schema.ProcessSpec),
        "process_flows": (["process", "direction", "material", "amount"] + SOURCED, schema.Flow),
        "process_options": (["process", "slot", "material"] + [c for c in _fields(schema.Option) if c not in SOURCED]
                            + SOURCED, schema.Option),
        "plants": (["id"] + plant_cols, schema.PlantSpec),
        "plant_sizes": (["plant"] + _fields(schema.SizeSpec), schema.SizeSpec),
        "exchanges": (_fields(schema.ExchangeSpec), schema.ExchangeSpec),
        "scenarios": (["scenario", "path", "value"], None),
    }


COLUMN_NOTES = {
    "id": "Name used to refer to this entry elsewhere (lowercase_with_underscores).",
    "lon": "Longitude in degrees (the first number of location).",
    "lat": "Latitude in degrees (the second number of location).",
    "process": "Process id (sheet processes, or the process library).",
    "direction": "input or output.",
    "slot": "The input (process_flows row with direction input) this option may fill.",
    "plant": "Plant id (sheet plants).",
    "scenario": "Scenario name; one row per field it overrides.",
    "path": "Dotted path of the overridden field, e.g. plants.slag_cement.forbid or settings.carbon_price.",
    "value": "The value (same cell rules as everywhere).",
    "balance.basis": "How the mass balance is meant to close: mass or none.",
    "balance.tolerance": "Allowed relative gap between mass in and mass out.",
    "balance.note": "What is not tracked (air, water, CO2).",
}


# --------------------------------------------------------------------------- cells
def to_cell(v: Any) -> Any:
    """A YAML value as an Excel cell value (see the module docstring for the rules)."""
    if v is None:
        return "null"
    if isinstance(v, bool) or isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        if not v.strip() or v[0] in "'=" or v.lstrip()[0] in "[{" or v in ("null", "~"):
            return "'" + v
        return v
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def from_cell(v: Any, where: str, problems: list[Problem], file: str) -> Any:
    """An Excel cell value as the YAML value it stands for; ``_ABSENT`` for an empty cell."""
    if v is None:
        return _ABSENT
    if isinstance(v, str):
        if v.startswith("'"):
            return v[1:]
        if v.strip() == "":
            return _ABSENT
        if v in ("null", "~"):
            return None
        if v.lstrip()[:1] in "[{":
            try:
                return yaml.safe_load(v)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                problems.append(Problem(file, where, "cannot read this list or mapping"
                                        + (f" (character {mark.column + 1})" if mark else "")
                                        + "; write it like [0.5, 1.0] or {value: 3 t, source: x}, or start the "
                                        "cell with an apostrophe to keep it as text"))
                return _ABSENT
        return v
    if hasattr(v, "isoformat"):  # a date typed into Excel
        return v.isoformat()
    return v


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v and all(isinstance(x, str) and "." not in x for x in v):
            out += _flatten(v, key + ".")
        else:
            out.append((key, v))
    return out


def _is_table(v: Any) -> bool:
    """A non-empty mapping of names to mappings (what a sheet of rows can hold)."""
    return isinstance(v, dict) and bool(v) and all(isinstance(k, str) and isinstance(x, dict) for k, x in v.items())


# --------------------------------------------------------------------------- writing
class _Sheet:
    """Rows of one sheet with an ordered, growing set of columns."""

    def __init__(self, columns: list[str]):
        self.columns = list(columns)
        self.rows: list[dict] = []

    def add(self, row: dict) -> None:
        for k in row:
            if k not in self.columns:
                root = k.split(".")[0]
                idx = [i for i, c in enumerate(self.columns) if c == root or c.startswith(root + ".")]
                self.columns.insert(idx[-1] + 1 if idx else len(self.columns), k)
        self.rows.append(row)


def _case_sheets(data: dict) -> tuple[dict[str, list[tuple[str, Any]]], dict[str, _Sheet]]:
    """The case dict as key/value sheets and table sheets."""
    cols = _columns()
    tables = {name: _Sheet(c) for name, (c, _) in cols.items()}
    kv: dict[str, list[tuple[str, Any]]] = {"case": [], "units": [], "settings": []}
    for key, value in data.items():
        if key in ("units", "settings") and isinstance(value, dict) and value:
            kv[key] += _flatten(value)
        elif key in SECTION_SHEETS and _is_table(value):
            for ident, spec in value.items():
                _add_entry(tables, key, ident, spec)
        elif key == "exchanges" and isinstance(value, list) and value:
            for item in value:
                tables["exchanges"].add(dict(_flatten(item)) if isinstance(item, dict) else {"_value": item})
        elif key == "scenarios" and _is_table(value):
            for name, over in value.items():
                flat = _flatten(over)
                if not flat:
                    tables["scenarios"].add({"scenario": name, "path": None, "value": over})
                for path, v in flat:
                    tables["scenarios"].add({"scenario": name, "path": path, "value": v})
        else:
            kv["case"].append((key, value))
    return kv, tables


def _add_entry(tables: dict[str, _Sheet], section: str, ident: str, spec: dict) -> None:
    row: dict[str, Any] = {"id": ident}
    spec = dict(spec)
    if section == "plants":
        loc = spec.get("location", _ABSENT)
        if (isinstance(loc, list) and len(loc) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                              for x in loc)):
            spec.pop("location")
            row["lon"], row["lat"] = loc
        sizes = spec.get("sizes", _ABSENT)
        if isinstance(sizes, list) and sizes and all(isinstance(s, dict) for s in sizes):
            spec.pop("sizes")
            for s in sizes:
                tables["plant_sizes"].add({"plant": ident, **dict(_flatten(s))})
    if section == "processes":
        for direction, key in (("input", "inputs"), ("output", "outputs")):
            flows = spec.get(key, _ABSENT)
            if not _is_table(flows):
                continue
            spec.pop(key)
            for mat, flow in flows.items():
                flow = dict(flow)
                opts = flow.get("options", _ABSENT)
                if _is_table(opts):
                    flow.pop("options")
                    for om, o in opts.items():
                        tables["process_options"].add({"process": ident, "slot": mat, "material": om,
                                                       **dict(_flatten(o))})
                tables["process_flows"].add({"process": ident, "direction": direction, "material": mat,
                                             **dict(_flatten(flow))})
    row.update(_flatten(spec))
    tables[section].add(row)


def _style_header(ws, model, notes: bool = True) -> None:
    for cell in ws[1]:
        cell.font, cell.fill = BOLD, HEADER_FILL
        name = str(cell.value or "")
        text = COLUMN_NOTES.get(name) or (_descr(model, name.split(".")[0]) if model is not None else "")
        if notes and text:
            cell.comment = Comment(text, "symbiosis")
        ws.column_dimensions[cell.column_letter].width = min(max(12, len(name) + 3), 40)
    ws.freeze_panes = "A2"


def _instructions(ws) -> None:
    lines = [
        ("symbiosis case workbook", ""),
        ("", ""),
        ("How to fill it", ""),
        ("Sheets", "One sheet per section of the case file (see the YAML format in README). Row 1 holds the "
                   "column names; every row below is one entry. Hover over a column name for its meaning."),
        ("case, units, settings", "Rows of field / value. An empty value leaves the field out (its default "
                                  "applies). The description column is for reading only."),
        ("materials, processes, plants", "One row per entry; the id column names it (lowercase_with_underscores)."),
        ("process_flows", "One row per input or output of a process: process, direction (input or output), "
                          "material, amount per unit of activity (e.g. '0.43 t'), source."),
        ("process_options", "One row per material that may fill an input slot: process, slot (the input's name "
                            "in process_flows), material, equivalence, max_share, co2, source."),
        ("plant_sizes", "One row per size option of a candidate plant, in order: plant, capacity, capex."),
        ("plants: lon, lat", "The plant's location as longitude and latitude in degrees."),
        ("exchanges", "One row per named exchange: from, to, material and its limits or costs."),
        ("scenarios", "One row per overridden field: scenario, dotted path (plants.slag_cement.forbid), value."),
        ("", ""),
        ("Cell rules", ""),
        ("quantities", "A number in its column and the unit in the column beside it ('capacity unit', "
                       "'value unit'): 300 and kt/yr. A quantity written as text in one cell (300 kt/yr, "
                       "0.45 CNY/t/km, 260e6 CNY) is taken as written and the unit column is not read."),
        ("dropdowns and checks", "Columns with a fixed set of values (status, kind, direction, TRUE/FALSE) "
                                 "offer a dropdown; process, material and plant columns offer the ids of "
                                 "their sheets (another id draws a warning: it may come from the library); "
                                 "numbers that must not be negative are checked."),
        ("green rows", "Materials and processes of the process library the case uses: the values shown apply "
                       "to this case; change them here to override the library."),
        ("empty cell", "The field is not given."),
        ("null", "An explicit null."),
        ("[ ... ] or { ... }", "A list or a mapping in YAML/JSON flow style, e.g. [0.5, 1.0] for a plant's load."),
        ("'text", "A leading apostrophe keeps the rest as text (for text that starts with [, {, = or is null)."),
        ("dotted column", "A nested field: operating_cost.value, operating_cost.source, balance.tolerance. "
                          "Where a field is either a quantity or a mapping with a source, use the plain column "
                          "(operating_cost) or the dotted ones (operating_cost.value, operating_cost.source)."),
        ("numbers, TRUE/FALSE", "Keep their types; Excel keeps 15 significant digits."),
        ("", ""),
        ("Check and convert", "symbiosis validate case.xlsx; symbiosis convert case.xlsx case.yaml (and back). "
                              "Problems name the sheet, row and column."),
        ("", ""),
        ("Columns", ""),
    ]
    for name, (cols, model) in _columns().items():
        for c in cols:
            text = COLUMN_NOTES.get(c) or (_descr(model, c.split(".")[0]) if model is not None else "")
            lines.append((f"{name}: {c}", text))
    for sheet, model in (("units", schema.UnitsSpec), ("settings", schema.SettingsSpec)):
        for c in _fields(model):
            lines.append((f"{sheet}: {c}", _descr(model, c)))
    for a, b in lines:
        ws.append([a, b])
    ws["A1"].font = Font(bold=True, size=14)
    for r in ws.iter_rows(min_row=2):
        if r[0].value and not r[1].value:
            r[0].font = BOLD
        r[1].alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 110


def _build_workbook(data: dict | None, library_ids: set[str] | None = None) -> Workbook:
    library_ids = set(library_ids or ())
    kv, tables = _case_sheets(data or {})
    quantity = _quantity_columns()
    for name, t in tables.items():
        _split_units(t, quantity.get(name, {}), every=data is None)
    wb = Workbook()
    _instructions(wb.active)
    wb.active.title = "instructions"
    kv_models = {"case": schema.CaseSpec, "units": schema.UnitsSpec, "settings": schema.SettingsSpec}
    for name in KV_SHEETS:
        ws = wb.create_sheet(name)
        ws.append(["field", "value", "value" + UNIT_SUFFIX, "description"])
        model = kv_models[name] if name != "case" else None
        given = {f: (v, u) for f, v, u in _split_kv(kv[name], model)}
        listed = []
        fields = ["name", "description", "library"] if name == "case" else _fields(kv_models[name])

        def cells(f, given=given):
            v, u = given[f]
            return [to_cell(v), None if u is _ABSENT else u]
        for f in fields:  # every field listed, so the sheet shows what can be set
            listed.append(f)
            ws.append([f, *(cells(f) if f in given else [None, None]), _descr(kv_models[name], f)])
        for f, _v in kv[name]:
            if f not in listed:
                ws.append([f, *cells(f), _descr(kv_models[name], f.split(".")[0])])
        _style_header(ws, None, notes=False)
        ws.column_dimensions["B"].width = 40
        ws.column_dimensions["C"].width = 14
        ws.column_dimensions["D"].width = 90
        _guide_kv(ws, model)
    cols = _columns()
    for name in SHEET_ORDER[4:]:
        t = tables[name]
        ws = wb.create_sheet(name)
        ws.append(t.columns)
        for row in t.rows:
            ws.append([to_cell(row[c]) if c in row else None for c in t.columns])
        _style_header(ws, cols[name][1])
        _guide_table(ws, name, cols[name][1], data or {}, library_ids if name in SECTION_SHEETS else set())
    return wb


def write_case_template(path) -> Path:
    """Write an empty case workbook: an instructions sheet and one sheet per section,
    every column named and described."""
    out = Path(path)
    _build_workbook(None).save(out)
    return out


def data_to_workbook(data: dict, xlsx_path, library_ids: set[str] | None = None) -> Path:
    """Write the case dict ``data`` (as a case file holds it) as a workbook, whole or not at
    all; rows whose ids are in ``library_ids`` are marked as coming from the library.
    :func:`symbiosis.io.case_to_workbook` reads a YAML case (and its library) into it."""
    out = Path(xlsx_path)
    tmp = out.with_name(f".{out.name}.tmp")
    _build_workbook(data, set(library_ids or ())).save(tmp)
    os.replace(tmp, out)
    return out


def workbook_to_yaml(xlsx_path, yaml_path) -> Path:
    """Write the case workbook ``xlsx_path`` as a YAML case file."""
    data = read_case_workbook(xlsx_path, validate=False)
    out = Path(yaml_path)
    out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    return out


# --------------------------------------------------------------------------- reading
class _Where:
    """Where each value of the case dict came from, for error messages."""

    def __init__(self):
        self.cells: dict[str, tuple[str, int, str | None, str | None]] = {}

    def put(self, entry: str, sheet: str, row: int, col: int | None = None, header: str | None = None):
        self.cells.setdefault(entry, (sheet, row, get_column_letter(col) if col else None, header))

    @staticmethod
    def text(sheet: str, row: int, letter: str | None = None, header: str | None = None) -> str:
        s = f"sheet '{sheet}', row {row}"
        return s + (f", column {letter} ({header})" if letter else "")

    def locate(self, entry: str, headers: dict[str, dict[str, int]]) -> str | None:
        """The cell (or row) an entry path of the case came from."""
        parts = re.findall(r"\[\d+\]|[^.\[\]]+", entry)
        for n in range(len(parts), 0, -1):
            key = _join(parts[:n])
            if key in self.cells:
                sheet, row, letter, header = self.cells[key]
                if letter is None and n < len(parts):  # a row: find the column of the missing field
                    rest = ".".join(p for p in parts[n:] if not p.startswith("["))
                    for cand in (rest, rest.split(".")[0]):
                        if cand == "location" and "lon" in headers.get(sheet, {}):
                            cand = "lon"
                        if cand in headers.get(sheet, {}):
                            return self.text(sheet, row, get_column_letter(headers[sheet][cand]), cand)
                return self.text(sheet, row, letter, header)
        return None


def _join(parts: list[str]) -> str:
    out = ""
    for p in parts:
        out += p if p.startswith("[") else (("." if out else "") + p)
    return out


def _set(d: dict, dotted: str, value: Any) -> bool:
    """Set ``d[a][b] = value`` for ``"a.b"``; False if it clashes with a value already set."""
    keys = dotted.split(".")
    cur = d
    for k in keys[:-1]:
        nxt = cur.setdefault(k, {})
        if not isinstance(nxt, dict):
            return False
        cur = nxt
    if keys[-1] in cur and (isinstance(cur[keys[-1]], dict) or not isinstance(value, dict)):
        return False
    cur[keys[-1]] = value
    return True


def _table_rows(ws, file: str, problems: list[Problem]):
    """Yield (row number, {column: (value, column number)}) of a table sheet; the header row maps names."""
    rows = ws.iter_rows(values_only=True)
    try:
        header = next(rows)
    except StopIteration:
        return {}, []
    names: dict[str, int] = {}
    for i, h in enumerate(header, start=1):
        if h is None or str(h).strip() == "":
            continue
        h = str(h).strip()
        if h in names:
            problems.append(Problem(file, _Where.text(ws.title, 1, get_column_letter(i), h),
                                    f"column {h!r} appears twice; keep one"))
            continue
        names[h] = i
    out = []
    for r, values in enumerate(rows, start=2):
        cells = {}
        for h, i in names.items():
            v = values[i - 1] if i - 1 < len(values) else None
            where = _Where.text(ws.title, r, get_column_letter(i), h)
            x = from_cell(v, where, problems, file)
            if x is not _ABSENT:
                cells[h] = (x, i)
        _join_units(names, cells, ws.title, r, file, problems)
        if cells:
            out.append((r, cells))
    return names, out


def _formulas_without_values(path: Path, wb, file: str) -> list[Problem]:
    """Formula cells whose saved (cached) value is empty, each named by sheet and cell.

    A case is read from the values Excel or LibreOffice saved beside each formula
    (``data_only``); a workbook written by a script (openpyxl, pandas) holds formulas
    without values, which would otherwise read as empty cells."""
    try:
        wf = load_workbook(path, read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - the values workbook opened; nothing more to learn
        return []
    problems: list[Problem] = []
    try:
        for ws in wf.worksheets:
            formulas = []
            for row in ws.iter_rows():
                for cell in row:
                    v = getattr(cell, "value", None)
                    if isinstance(v, str) and v.startswith("=") and getattr(cell, "data_type", "f") == "f":
                        formulas.append((cell.row, cell.column, v))
            if not formulas:
                continue
            values = {}
            for r, row in enumerate(wb[ws.title].iter_rows(values_only=True), start=1):
                for c, v in enumerate(row, start=1):
                    values[(r, c)] = v
            for r, c, f in formulas:
                if values.get((r, c)) is None:
                    shown = f if len(f) <= 60 else f[:57] + "..."
                    problems.append(Problem(file, f"sheet '{ws.title}', cell {get_column_letter(c)}{r}",
                                            f"the formula {shown} has no saved value (the workbook was written "
                                            "by a program that does not compute formulas); open and save it "
                                            "in Excel or LibreOffice, or write the number itself"))
    finally:
        wf.close()
    return problems


def read_case_workbook(path, *, validate: Callable[..., object] | None | bool = None) -> dict:
    """Read a case workbook into the dict its YAML file would hold.

    Parameters
    ----------
    path : the ``.xlsx`` file.
    validate : the loader's check, called as ``validate(data, file=, base_dir=)``
        (:func:`symbiosis.io.load_case` passes :func:`symbiosis.io.case_from_dict`): its
        problems are reported by sheet, row and column. None or False: read only
        (converting to YAML does not need a valid case). The loader is passed in, so
        this module does not import it back.

    Raises
    ------
    CaseError : every problem found, each naming sheet, row and column.
    """
    path = Path(path)
    file = str(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise CaseError([Problem(file, "", "file not found; check the path")]) from None
    except Exception as exc:
        raise CaseError([Problem(file, "", f"cannot read the workbook ({type(exc).__name__}: {exc}); "
                                 "save it as .xlsx from Excel or LibreOffice")]) from None
    problems: list[Problem] = _formulas_without_values(path, wb, file)
    where = _Where()
    headers: dict[str, dict[str, int]] = {}
    data: dict[str, Any] = {}
    try:
        sheets = {ws.title: ws for ws in wb.worksheets}
        known = set(SHEET_ORDER)
        for name in sheets:
            if name not in known:
                problems.append(Problem(file, f"sheet '{name}'", "unknown sheet; the sheets are "
                                        + ", ".join(SHEET_ORDER[1:])))
        # ---------------------------------------------------------------- key/value sheets
        for name in KV_SHEETS:
            if name not in sheets:
                continue
            ws = sheets[name]
            hdr, rows = _table_rows(ws, file, problems)
            headers[name] = hdr
            if "field" not in hdr or "value" not in hdr:
                problems.append(Problem(file, _Where.text(name, 1), "the first row must name the columns "
                                        "'field' and 'value'"))
                continue
            for r, cells in rows:
                if "field" not in cells:
                    if "value" in cells:
                        problems.append(Problem(file, _Where.text(name, r, "A", "field"),
                                                "a value without a field name"))
                    continue
                field = str(cells["field"][0]).strip()
                if "value" not in cells:
                    continue
                value, col = cells["value"]
                if name == "case":
                    ok = _set(data, field, value)
                    entry = field
                else:
                    section = data.setdefault(name, {})
                    if not isinstance(section, dict):
                        problems.append(Problem(file, _Where.text(name, r), f"'{name}' is also given in sheet "
                                                "'case'; give it in one place"))
                        continue
                    ok = _set(section, field, value)
                    entry = f"{name}.{field}"
                if not ok:
                    problems.append(Problem(file, _Where.text(name, r, get_column_letter(col), "value"),
                                            f"field {field!r} is given twice"))
                where.put(entry, name, r, col, "value")
        # ---------------------------------------------------------------- sections
        for section in ("materials", "processes", "plants"):
            if section not in sheets:
                continue
            hdr, rows = _table_rows(sheets[section], file, problems)
            headers[section] = hdr
            for r, cells in rows:
                entry = _entry_row(section, r, cells, hdr, data, where, problems, file)
                if entry is None:
                    continue
        # process flows and options, plant sizes
        if "process_flows" in sheets:
            hdr, rows = _table_rows(sheets["process_flows"], file, problems)
            headers["process_flows"] = hdr
            for r, cells in rows:
                proc = _need(cells, "process", "process_flows", r, hdr, problems, file)
                dirn = _need(cells, "direction", "process_flows", r, hdr, problems, file)
                mat = _need(cells, "material", "process_flows", r, hdr, problems, file)
                if None in (proc, dirn, mat):
                    continue
                key = {"input": "inputs", "inputs": "inputs", "output": "outputs", "outputs": "outputs"}.get(
                    str(dirn).strip().lower())
                if key is None:
                    problems.append(Problem(file, _Where.text("process_flows", r, get_column_letter(hdr["direction"]),
                                                              "direction"), f"{dirn!r}: write input or output"))
                    continue
                p = _section_entry(data, "processes", proc, "process_flows", r, hdr, "process", problems, file)
                if p is None:
                    continue
                flows = p.setdefault(key, {})
                if not isinstance(flows, dict) or mat in flows:
                    problems.append(Problem(file, _Where.text("process_flows", r, get_column_letter(hdr["material"]),
                                                              "material"),
                                            f"the {dirn} {mat!r} of process {proc!r} is given twice"))
                    continue
                flows[mat] = _row_dict(cells, ("process", "direction", "material"), "process_flows", r, where,
                                       f"processes.{proc}.{key}.{mat}", problems, file)
        if "process_options" in sheets:
            hdr, rows = _table_rows(sheets["process_options"], file, problems)
            headers["process_options"] = hdr
            for r, cells in rows:
                proc = _need(cells, "process", "process_options", r, hdr, problems, file)
                slot = _need(cells, "slot", "process_options", r, hdr, problems, file)
                mat = _need(cells, "material", "process_options", r, hdr, problems, file)
                if None in (proc, slot, mat):
                    continue
                p = _section_entry(data, "processes", proc, "process_options", r, hdr, "process", problems, file)
                if p is None:
                    continue
                flow = (p.get("inputs") or {}).get(slot) if isinstance(p.get("inputs"), dict) else None
                if not isinstance(flow, dict):
                    problems.append(Problem(file, _Where.text("process_options", r, get_column_letter(hdr["slot"]),
                                                              "slot"),
                                            f"process {proc!r} has no input {slot!r} in sheet 'process_flows'; "
                                            "add the input row first"))
                    continue
                opts = flow.setdefault("options", {})
                if not isinstance(opts, dict) or mat in opts:
                    problems.append(Problem(file, _Where.text("process_options", r,
                                                              get_column_letter(hdr["material"]), "material"),
                                            f"option {mat!r} of slot {slot!r} is given twice"))
                    continue
                opts[mat] = _row_dict(cells, ("process", "slot", "material"), "process_options", r, where,
                                      f"processes.{proc}.inputs.{slot}.options.{mat}", problems, file)
        if "plant_sizes" in sheets:
            hdr, rows = _table_rows(sheets["plant_sizes"], file, problems)
            headers["plant_sizes"] = hdr
            for r, cells in rows:
                plant = _need(cells, "plant", "plant_sizes", r, hdr, problems, file)
                if plant is None:
                    continue
                p = _section_entry(data, "plants", plant, "plant_sizes", r, hdr, "plant", problems, file)
                if p is None:
                    continue
                sizes = p.setdefault("sizes", [])
                if not isinstance(sizes, list) or any(not isinstance(s, dict) for s in sizes):
                    problems.append(Problem(file, _Where.text("plant_sizes", r), f"plant {plant!r} also gives "
                                            "'sizes' in sheet 'plants'; give them in one place"))
                    continue
                sizes.append(_row_dict(cells, ("plant",), "plant_sizes", r, where,
                                       f"plants.{plant}.sizes[{len(sizes)}]", problems, file))
        if "exchanges" in sheets:
            hdr, rows = _table_rows(sheets["exchanges"], file, problems)
            headers["exchanges"] = hdr
            items = data.setdefault("exchanges", [])
            if not isinstance(items, list):
                problems.append(Problem(file, "sheet 'exchanges'", "'exchanges' is also given in sheet 'case'"))
                items = []
            for r, cells in rows:
                entry = f"exchanges[{len(items)}]"
                if set(cells) == {"_value"}:
                    items.append(cells["_value"][0])
                    where.put(entry, "exchanges", r)
                    continue
                items.append(_row_dict(cells, (), "exchanges", r, where, entry, problems, file))
            if not items and data.get("exchanges") == [] and "exchanges" not in _case_keys(where):
                data.pop("exchanges")
        if "scenarios" in sheets:
            hdr, rows = _table_rows(sheets["scenarios"], file, problems)
            headers["scenarios"] = hdr
            for r, cells in rows:
                name = _need(cells, "scenario", "scenarios", r, hdr, problems, file)
                if name is None:
                    continue
                scen = data.setdefault("scenarios", {})
                if not isinstance(scen, dict):
                    problems.append(Problem(file, "sheet 'scenarios'", "'scenarios' is also given in sheet 'case'"))
                    break
                value = cells["value"][0] if "value" in cells else _ABSENT
                path_ = cells.get("path", (None,))[0]
                if path_ is None:
                    if name in scen:
                        problems.append(Problem(file, _Where.text("scenarios", r), f"scenario {name!r}: a row "
                                                "without a path must be the scenario's only row"))
                    scen[name] = None if value is _ABSENT else value
                    continue
                if value is _ABSENT:
                    problems.append(Problem(file, _Where.text("scenarios", r, get_column_letter(hdr.get("value", 3)),
                                                              "value"), "a path without a value"))
                    continue
                over = scen.setdefault(name, {})
                if not isinstance(over, dict) or not _set(over, str(path_), value):
                    problems.append(Problem(file, _Where.text("scenarios", r, get_column_letter(hdr["path"]), "path"),
                                            f"scenario {name!r}: {path_!r} is given twice or clashes with another row"))
                    continue
                where.put(f"scenarios.{name}.{path_}", "scenarios", r, cells["value"][1], "value")
    finally:
        wb.close()
    if problems:
        raise CaseError(problems)
    if validate is True:
        raise TypeError("validate= takes the loader's check (symbiosis.io.case_from_dict), not True; "
                        "symbiosis.load_case reads and checks a workbook")
    if validate:
        try:
            validate(data, file=file, base_dir=path.parent)
        except CaseError as exc:
            mapped = []
            for p in exc.problems:
                loc = where.locate(p.entry, headers) if p.file == file and p.entry else None
                mapped.append(Problem(p.file, loc, f"{p.message} [entry {p.entry}]") if loc else p)
            raise CaseError(mapped) from None
    return data


def _case_keys(where: _Where) -> set[str]:
    return {k for k, v in where.cells.items() if v[0] == "case"}


def _need(cells, col, sheet, r, hdr, problems, file):
    if col not in cells:
        letter = get_column_letter(hdr[col]) if col in hdr else None
        problems.append(Problem(file, _Where.text(sheet, r, letter, col if letter else None)
                                + ("" if letter else f" (no column '{col}')"), f"'{col}' is required here"))
        return None
    v = cells[col][0]
    return v if isinstance(v, str) else str(v)


def _section_entry(data, section, ident, sheet, r, hdr, col, problems, file):
    entries = data.get(section)
    if not isinstance(entries, dict) or ident not in entries or not isinstance(entries[ident], dict):
        problems.append(Problem(file, _Where.text(sheet, r, get_column_letter(hdr[col]), col),
                                f"unknown {section[:-1]} {ident!r}; add it to sheet '{section}' first"))
        return None
    return entries[ident]


def _row_dict(cells, skip, sheet, r, where, entry, problems, file) -> dict:
    out: dict[str, Any] = {}
    where.put(entry, sheet, r)
    for h, (v, col) in cells.items():
        if h in skip:
            continue
        if not _set(out, h, v):
            problems.append(Problem(file, _Where.text(sheet, r, get_column_letter(col), h),
                                    f"{h!r} clashes with another column of this row (give either "
                                    f"{h.split('.')[0]!r} or its dotted parts)"))
            continue
        where.put(f"{entry}.{h}", sheet, r, col, h)
    return out


def _entry_row(section, r, cells, hdr, data, where, problems, file):
    if "id" not in cells:
        letter = get_column_letter(hdr["id"]) if "id" in hdr else "A"
        problems.append(Problem(file, _Where.text(section, r, letter, "id"), "every row needs an id"))
        return None
    ident = cells["id"][0]
    ident = ident if isinstance(ident, str) else str(ident)
    entries = data.setdefault(section, {})
    if not isinstance(entries, dict):
        problems.append(Problem(file, _Where.text(section, r), f"'{section}' is also given in sheet 'case'"))
        return None
    if ident in entries:
        problems.append(Problem(file, _Where.text(section, r, get_column_letter(hdr["id"]), "id"),
                                f"{section[:-1]} {ident!r} is given twice"))
        return None
    rest = {h: c for h, c in cells.items() if h not in ("id", "lon", "lat")}
    spec = _row_dict(rest, (), section, r, where, f"{section}.{ident}", problems, file)
    if section == "plants" and ("lon" in cells or "lat" in cells):
        if "lon" in cells and "lat" in cells:
            if "location" in spec:
                problems.append(Problem(file, _Where.text(section, r, get_column_letter(hdr["lon"]), "lon"),
                                        "give the location either as lon and lat or in a location column"))
            spec["location"] = [cells["lon"][0], cells["lat"][0]]
            where.put(f"plants.{ident}.location", section, r, cells["lon"][1], "lon")
        else:
            miss = "lat" if "lon" in cells else "lon"
            col = hdr.get(miss)
            problems.append(Problem(file, _Where.text(section, r, get_column_letter(col) if col else None,
                                                      miss if col else None),
                                    f"{miss} is missing: give both lon and lat, or neither"))
    entries[ident] = spec
    return ident


# =========================================================================== guidance
# Case workbooks that guide the person filling them in: numbers in numeric cells with a
# unit column beside them, dropdowns and number checks from the schema, widths that fit,
# frozen headers and filters, and the library entries the case uses, to see and change.
# (Kept apart from the encoding above: the reader only needs _join_units.)

UNIT_SUFFIX = " unit"
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_UNIT_START = re.compile(r"[A-Za-z%\u00b5\u00b0$\u20ac\u00a5(]")
LIBRARY_FILL = PatternFill("solid", fgColor="EEF5E9")
#: rows a dropdown or number check covers below the last written row
GUIDED_ROWS = 500


def _is_quantity_field(model, name: str) -> bool:
    for n, f in model.model_fields.items():
        if (f.alias or n) == name:
            return "_quantity_text" in repr(f.annotation) + repr(f.metadata)
    return False


def _quantity_columns() -> dict[str, dict[str, bool]]:
    """Per table sheet: the columns that hold a quantity, each with whether the case
    requires it to be >= 0 (as symbiosis.io checks it)."""
    nonneg = {
        "materials": {"max_purchase", "max_sale", "min_sale", "transport_cost", "max_distance"},
        "plants": {"capacity", "capex", "output", "life", "fixed_cost", "min_load"},
        "plant_sizes": {"capacity", "capex"},
        "exchanges": {"max", "min", "fixed_cost", "capex", "distance", "transport_cost"},
        "process_flows": {"amount"},
        "process_options": {"equivalence", "max_share"},
        "processes": set(),
    }
    models = {"materials": schema.MaterialSpec, "plants": schema.PlantSpec, "plant_sizes": schema.SizeSpec,
              "exchanges": schema.ExchangeSpec, "process_flows": schema.Flow, "process_options": schema.Option,
              "processes": schema.ProcessSpec}
    out: dict[str, dict[str, bool]] = {}
    for sheet, model in models.items():
        cols = {}
        for name in _fields(model):
            if name != "load" and _is_quantity_field(model, name):
                cols[name] = name in nonneg[sheet]
                if sheet == "processes":  # operating_cost and co2 may be {value, source}
                    cols[f"{name}.value"] = False
        out[sheet] = cols
    return out


def split_quantity(v: Any) -> tuple[int | float, str] | None:
    """``"300 kt/yr"`` as ``(300, "kt/yr")``; None for anything else (a bare number, text)."""
    if not isinstance(v, str):
        return None
    m = _NUMBER.match(v.strip())
    if not m:
        return None
    unit = v.strip()[m.end():].strip()
    if not unit or not _UNIT_START.match(unit):
        return None
    text = m.group(0)
    try:
        num: int | float = int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)
    except ValueError:
        return None
    if isinstance(num, float) and not math.isfinite(num):
        return None
    return num, unit


def number_text(x: int | float) -> str:
    """A cell's number as the text of a quantity (integral values without '.0')."""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x) if isinstance(x, float) else str(x)


def _split_units(t: "_Sheet", quantity: dict[str, bool], every: bool) -> None:
    """Write each quantity of ``t`` as a number and a unit column ("capacity", "capacity unit").
    ``every``: add the unit column of every quantity column (the template), else of those
    that hold a quantity in some row."""
    for col in [c for c in t.columns if c in quantity]:
        if not every and not any(split_quantity(row.get(col)) for row in t.rows):
            continue
        ucol = col + UNIT_SUFFIX
        if ucol not in t.columns:
            t.columns.insert(t.columns.index(col) + 1, ucol)
        for row in t.rows:
            parts = split_quantity(row.get(col))
            if parts:
                row[col], row[ucol] = parts


def _split_kv(rows: list[tuple[str, Any]], model) -> list[tuple[str, Any, Any]]:
    out = []
    for f, v in rows:
        parts = split_quantity(v) if model is not None and _is_quantity_field(model, f.split(".")[0]) else None
        out.append((f, *parts) if parts else (f, v, _ABSENT))
    return out


def _join_units(names: dict[str, int], cells: dict, sheet: str, r: int, file: str, problems: list[Problem]) -> None:
    """Fold each "X unit" cell of a row into X: a number and its unit become the text
    "300 kt/yr" at X's cell. Text in X is taken as written; a unit without a number is
    ignored (a template's unit left standing)."""
    for h in [h for h in names if h.endswith(UNIT_SUFFIX)]:
        base = h[: -len(UNIT_SUFFIX)]
        if base not in names:
            continue
        unit = cells.pop(h, None)
        if unit is None or base not in cells:
            continue
        value, col = cells[base]
        u = unit[0]
        if not isinstance(u, str) or not u.strip():
            problems.append(Problem(file, _Where.text(sheet, r, get_column_letter(unit[1]), h),
                                    f"{u!r} is not a unit; write one such as kt/yr or CNY/t"))
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            cells[base] = (f"{number_text(value)} {u.strip()}", col)
        elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            cells[base] = (f"{value.strip()} {u.strip()}", col)


# --------------------------------------------------------------------------- the library a case uses
def _with_library(data: dict, mats: dict, procs: dict) -> dict:
    out = dict(data)
    own_m = dict(out.get("materials") or {})
    for n, m in mats.items():
        own_m[n] = m
    own_p = dict(out.get("processes") or {})
    for n, p in procs.items():
        own_p.setdefault(n, p)
    if own_m:
        out["materials"] = own_m
    if own_p:
        out["processes"] = own_p
    return out


# --------------------------------------------------------------------------- dropdowns and checks
SECTORS = ["power", "chemicals", "building_materials", "coal", "coking", "metals", "waste", "other"]
_BOOL_LIST = '"TRUE,FALSE"'


def _literal_values(model, name: str) -> list[str] | None:
    import typing
    for n, f in model.model_fields.items():
        if (f.alias or n) != name:
            continue
        ann = f.annotation
        for a in (ann, *typing.get_args(ann)):
            if typing.get_origin(a) is typing.Literal:
                return [str(x) for x in typing.get_args(a)]
    return None


def _is_bool_field(model, name: str) -> bool:
    for n, f in model.model_fields.items():
        if (f.alias or n) == name:
            return f.annotation is bool
    return False


def _list_check(values: list[str] | str, strict: bool, what: str):
    from openpyxl.worksheet.datavalidation import DataValidation
    formula = values if isinstance(values, str) else '"' + ",".join(values) + '"'
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False,
                        errorStyle="stop" if strict else "warning", showErrorMessage=True)
    dv.errorTitle = "symbiosis"
    dv.error = what if strict else what + " Keep it anyway?"
    dv.promptTitle, dv.prompt = "choose", what
    return dv


def _min_check(minimum: float, what: str, strict_less: float | None = None):
    from openpyxl.worksheet.datavalidation import DataValidation
    if strict_less is not None:
        dv = DataValidation(type="decimal", operator="between", formula1=str(minimum),
                            formula2=str(strict_less), allow_blank=True, showErrorMessage=True)
    else:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1=str(minimum),
                            allow_blank=True, showErrorMessage=True)
    dv.errorTitle, dv.error = "symbiosis", what
    return dv


def _ref(sheet: str, col: str = "A") -> str:
    return f"{sheet}!${col}$2:${col}${GUIDED_ROWS * 4}"


def _column_checks(name: str, model, data: dict) -> dict[str, Any]:
    """Column name -> DataValidation of a table sheet."""
    modes = sorted((data.get("settings") or {}).get("transport_modes") or {}) if isinstance(
        (data.get("settings") or {}), dict) else []
    checks: dict[str, Any] = {}
    if model is not None:
        for c in _fields(model):
            lits = _literal_values(model, c)
            if lits:
                checks[c] = _list_check(lits, True, f"{c}: one of " + ", ".join(lits) + ".")
            elif _is_bool_field(model, c):
                checks[c] = _list_check(_BOOL_LIST, True, f"{c}: TRUE or FALSE (empty: FALSE).")
    for c, nonneg in _quantity_columns().get(name, {}).items():
        if nonneg:
            checks[c] = _min_check(0, f"{c}: a number >= 0 (its unit in the column '{c}{UNIT_SUFFIX}'), "
                                      "or a quantity as text such as '300 kt/yr'.")
    refs = {"materials": {"mode": modes},
            "processes": {"sector": SECTORS, "product": _ref("materials")},
            "plants": {"process": _ref("processes"), "sector": SECTORS},
            "process_flows": {"process": _ref("processes"), "material": _ref("materials"),
                              "direction": ["input", "output"]},
            "process_options": {"process": _ref("processes"), "material": _ref("materials")},
            "plant_sizes": {"plant": _ref("plants")},
            "exchanges": {"from": _ref("plants"), "to": _ref("plants"), "material": _ref("materials"),
                          "mode": modes}}
    for c, values in refs.get(name, {}).items():  # type: ignore[attr-defined]
        if not values:
            continue
        strict = c == "direction"
        what = {"process": "a process id of sheet 'processes' (or of the process library).",
                "material": "a material id of sheet 'materials' (or of the process library).",
                "product": "a material id of sheet 'materials' (or of the process library).",
                "plant": "a plant id of sheet 'plants'.", "from": "a plant id of sheet 'plants'.",
                "to": "a plant id of sheet 'plants'.", "direction": "input or output.",
                "sector": "a sector (others are allowed and get a colour of their own).",
                "mode": "a transport mode of settings.transport_modes."}[c]
        checks[c] = _list_check(values, strict, f"{c}: {what}")
    return checks


def _fit_widths(ws, lo: int = 10, hi: int = 50) -> None:
    widths: dict[int, int] = {}
    for row in ws.iter_rows(max_row=min(ws.max_row, 300)):
        for cell in row:
            if cell.value is None:
                continue
            n = len(str(cell.value)) + (3 if cell.row == 1 else 1)
            widths[cell.column] = max(widths.get(cell.column, 0), n)
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(max(lo, w + 1), hi)


def _guide_table(ws, name: str, model, data: dict, library_ids: set[str]) -> None:
    """Dropdowns, number checks, unit columns marked, widths, frozen header and filter."""
    headers = {str(c.value): c.column_letter for c in ws[1] if c.value is not None}
    last = max(ws.max_row, 1) + GUIDED_ROWS
    for col, dv in _column_checks(name, model, data).items():
        if col in headers:
            ws.add_data_validation(dv)
            dv.add(f"{headers[col]}2:{headers[col]}{last}")
    for h, letter in headers.items():
        if h.endswith(UNIT_SUFFIX):
            ws[f"{letter}1"].comment = Comment(f"The unit of the number in column '{h[:-len(UNIT_SUFFIX)]}', "
                                               "e.g. kt/yr, CNY/t, t.", "symbiosis")
    if library_ids and "id" in headers:
        for (cell,) in ws.iter_rows(min_row=2, min_col=1, max_col=1):
            if cell.value in library_ids:
                for c in ws[cell.row]:
                    c.fill = LIBRARY_FILL
                cell.comment = Comment("From the process library; the values here apply to this case "
                                       "(change them to override the library).", "symbiosis")
    _fit_widths(ws)
    ws.freeze_panes = "B2" if "id" in headers else "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(max(ws.max_column, 1))}{max(ws.max_row, 1)}"


def _guide_kv(ws, model) -> None:
    """Per row of a field/value sheet: a dropdown or a number check from the field's type."""
    if model is None:
        return
    import annotated_types as at
    for (fcell, vcell) in ws.iter_rows(min_row=2, max_col=2):
        f = str(fcell.value or "")
        field = next((x for n, x in model.model_fields.items() if (x.alias or n) == f), None)
        if field is None:
            continue
        lits = _literal_values(model, f)
        dv = None
        if lits:
            dv = _list_check(lits, True, f"{f}: one of " + ", ".join(lits) + ".")
        elif field.annotation is bool:
            dv = _list_check(_BOOL_LIST, True, f"{f}: TRUE or FALSE.")
        elif field.annotation is float:
            lo = next((m.ge for m in field.metadata if isinstance(m, at.Ge)), None)
            lo = lo if lo is not None else next((m.gt for m in field.metadata if isinstance(m, at.Gt)), None)  # type: ignore[assignment]
            hi = next((m.lt for m in field.metadata if isinstance(m, at.Lt)), None)
            if lo is not None:
                dv = _min_check(lo, f"{f}: a number >= {lo:g}" + (f" and < {hi:g}." if hi is not None else "."),  # type: ignore[arg-type]
                                strict_less=hi)  # type: ignore[arg-type]
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(vcell.coordinate)
