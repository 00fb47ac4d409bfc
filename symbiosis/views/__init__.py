"""Views of a Result: interactive network (pyvis), Sankey (plotly), reports.

Views read only a :class:`symbiosis.result.Result`, never the model.
"""
from __future__ import annotations

from pathlib import Path

from symbiosis.views.network import external_refs, network_html


def write_views(result, folder, status_quo=None, *, png: bool = False) -> list[Path]:
    """Write every view of ``result`` into ``folder``: network.html, sankey.html,
    report.html and results.xlsx (and sankey.png with ``png``).

    ``status_quo`` is the Result of today's park; where given, the Sankey, the report and
    the workbook show it beside ``result``.

    Raises
    ------
    RuntimeError : ``png`` asked for but no browser is available for image export.
    """
    from symbiosis.excel import write_results_workbook
    from symbiosis.views.report import report_html
    from symbiosis.views.sankey import sankey_html, sankey_png
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    net = network_html(result, folder / "network.html")
    written = [net,
               sankey_html(result, folder / "sankey.html", status_quo=status_quo),
               report_html(result, folder / "report.html", status_quo=status_quo,
                           network_page=net.read_text(encoding="utf-8")),
               write_results_workbook(result, folder / "results.xlsx", status_quo=status_quo)]
    if png:
        written.append(sankey_png(result, folder / "sankey.png", status_quo=status_quo))
    return written


__all__ = ["external_refs", "network_html", "write_views"]
