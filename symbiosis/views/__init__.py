"""Views of a Result: interactive network (pyvis), Sankey (plotly), reports.

Views read only a :class:`symbiosis.result.Result`, never the model.
"""
from __future__ import annotations

from symbiosis.views.network import network_html


def write_views(result, folder, status_quo=None) -> None:
    """Write every view of ``result`` into ``folder`` (network.html, ...)."""
    from pathlib import Path
    network_html(result, Path(folder) / "network.html")


__all__ = ["network_html", "write_views"]
