"""A result folder read back: what ``symbiosis solve`` (``Result.write``) leaves on disk
becomes a :class:`~symbiosis.result.Result` again, to compare, redraw or export.

>>> import symbiosis, tempfile
>>> r = symbiosis.optimize(symbiosis.examples.tutorial())
>>> folder = tempfile.mkdtemp()
>>> _ = r.write(folder, html=False)
>>> back = symbiosis.load_result(folder)
>>> round(back.kpi("reuse_rate"), 4) == round(r.kpi("reuse_rate"), 4)
True
"""
from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["load_result", "RESULT_FILES"]

#: the files a result folder must hold
RESULT_FILES = ("summary.json", "kpis.csv", "plants.csv", "exchanges.csv", "market.csv", "inputs.csv",
                "materials.csv")


def load_result(folder: str | os.PathLike):
    """The :class:`~symbiosis.result.Result` whose tables and summary.json are in ``folder``
    (written by ``symbiosis solve`` or ``Result.write``): every table, the KPIs, the solver
    figures and the money unit; enough for ``compare``, ``to_excel`` and every view.

    Raises
    ------
    FileNotFoundError : ``folder`` or one of its files is missing (named, with what
        writes them).
    ValueError : a file cannot be read as a result table (named, with the reason).
    """
    import pandas as pd

    from symbiosis.result import Result
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder; write one with `symbiosis solve CASE --out {folder}` "
                                "or result.write(folder)")
    missing = [f for f in RESULT_FILES if not (folder / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: not a result folder, {', '.join(missing)} missing; write one with "
                                f"`symbiosis solve CASE --out {folder}` or result.write(folder)")
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        tables = {n: pd.read_csv(folder / f"{n}.csv") for n in ("plants", "exchanges", "market", "inputs",
                                                                 "materials")}
        kpis = pd.read_csv(folder / "kpis.csv").set_index("kpi")
    except (ValueError, KeyError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ValueError(f"{folder}: cannot read the result ({type(exc).__name__}: {exc})") from None
    p = tables["plants"]
    for col in ("label", "park", "sector", "process", "status", "activity_unit"):
        if col in p:
            p[col] = p[col].fillna("").astype(str)
    if "label" in p:
        p["label"] = [lbl or name for lbl, name in zip(p["label"], p["plant"])]
    for df, cols in ((p, ("built",)), (tables["exchanges"], ("existing", "open", "chosen", "forced", "forbidden"))):
        for c in cols:
            if c in df:  # "open" is absent from folders written before it was added
                df[c] = df[c].astype(str).str.lower().isin(["true", "1"])
    for c in ("lon", "lat"):
        if c in p:
            p[c] = p[c].astype(object).where(p[c].notna(), None)
    kpis["unit"] = kpis["unit"].fillna("")
    kpis["value"] = kpis["value"].astype(float)
    units = {"money": "CNY", "period": "yr", "distance": "km"}
    if "capex" in kpis.index:
        units["money"] = str(kpis.loc["capex", "unit"])
    return Result(case_name=summary.get("case", folder.name), objective=summary.get("objective", ""),
                  kpis=kpis, solver=summary.get("solver", {}), timings=summary.get("timings_s", {}), units=units,
                  meta={"folder": str(folder)}, **tables)

