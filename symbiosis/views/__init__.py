"""Views of a Result: interactive network (pyvis), Sankey (plotly), reports.

Views read only a :class:`symbiosis.result.Result`, never the model.
"""
from __future__ import annotations

from pathlib import Path

from symbiosis.views.network import OVERVIEW_OVER, external_refs, network_html


#: rows per sheet of the results.xlsx that write_views writes: openpyxl writes about a
#: thousand rows a second on a busy machine (88,864 exchanges at 3,003 plants took 780 s of a
#: 1,608 s write), so a region's workbook keeps the open and chosen rows first and the notes
#: sheet points to the CSV (and Parquet) tables that hold every row
WORKBOOK_ROWS = 10_000


def write_views(result, folder, status_quo=None, *, png: bool = False, node_colors: dict | None = None,
                node_legend: dict | None = None, node_legend_title: str | None = None, gains=None) -> list[Path]:
    """Write every view of ``result`` into ``folder``: network.html, sankey.html,
    report.html and results.xlsx (and, with ``png``, sankey.png of the whole park and
    sankey_byproducts.png of the by-products, each with values and a legend).

    This is what ``symbiosis solve`` and ``symbiosis view`` write; call it on any
    :class:`~symbiosis.result.Result` (``Result.write`` writes the tables beside it)::

        from symbiosis.views import write_views
        write_views(result, "out/", status_quo=symbiosis.optimize(case, status_quo=True))

    ``status_quo`` is the Result of today's park; where given, the Sankey, the report and
    the workbook show it beside ``result``. ``node_colors``, ``node_legend`` and
    ``node_legend_title`` colour the network's plants (see
    :func:`~symbiosis.views.network.network_html`); ``gains`` adds "Who gains" to the report.

    Raises
    ------
    RuntimeError : ``png`` asked for but no browser is available for image export.
    """
    from symbiosis.excel import write_results_workbook
    from symbiosis.views.report import report_html
    from symbiosis.views.sankey import sankey_html, sankey_png
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    net = network_html(result, folder / "network.html", node_colors=node_colors, node_legend=node_legend,
                       node_legend_title=node_legend_title)
    written = [net,
               sankey_html(result, folder / "sankey.html", status_quo=status_quo),
               report_html(result, folder / "report.html", status_quo=status_quo,
                           network_page=(net.read_text(encoding="utf-8") if len(result.plants) <= OVERVIEW_OVER
                                         else None), gains=gains),  # a region's report embeds the overview only
               write_results_workbook(result, folder / "results.xlsx", status_quo=status_quo,
                                      max_rows=WORKBOOK_ROWS)]
    if png:
        written.append(sankey_png(result, folder / "sankey.png", status_quo=status_quo))
        if (result.materials["kind"] == "byproduct").any():
            written.append(sankey_png(result, folder / "sankey_byproducts.png", status_quo=status_quo,
                                      byproducts=True))
    return written


def read_result(folder):
    """A Result read back from the CSV tables and summary.json that ``Result.write``
    (``symbiosis solve``) leaves in ``folder``, enough to draw every view again."""
    import json

    import pandas as pd

    from symbiosis.result import Result
    folder = Path(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    tables = {n: pd.read_csv(folder / f"{n}.csv") for n in ("plants", "exchanges", "market", "inputs", "materials")}
    p = tables["plants"]
    if "company" not in p:  # folders written before plants carried their company
        p["company"] = ""
    for col in ("label", "park", "company", "sector", "process", "status", "activity_unit"):
        p[col] = p[col].astype(object).fillna("").astype(str)  # an all-empty column reads as float
    p["label"] = [lbl or name for lbl, name in zip(p["label"], p["plant"])]
    for df, cols in ((p, ("built",)), (tables["exchanges"], ("existing", "open", "chosen", "forced", "forbidden"))):
        for c in cols:
            if c in df:  # "open" is absent from folders written before it was added
                df[c] = df[c].astype(str).str.lower().isin(["true", "1"])
    p["lon"] = p["lon"].astype(object).where(p["lon"].notna(), None)
    p["lat"] = p["lat"].astype(object).where(p["lat"].notna(), None)
    kpis = pd.read_csv(folder / "kpis.csv").set_index("kpi")
    kpis["unit"] = kpis["unit"].fillna("")
    units = {"money": "CNY", "period": "yr", "distance": "km"}
    if "capex" in kpis.index:
        units["money"] = str(kpis.loc["capex", "unit"])
    return Result(case_name=summary.get("case", folder.name), objective=summary.get("objective", ""),
                  kpis=kpis, solver=summary.get("solver", {}), timings=summary.get("timings_s", {}), units=units,
                  **tables)


__all__ = ["external_refs", "network_html", "read_result", "write_views"]
