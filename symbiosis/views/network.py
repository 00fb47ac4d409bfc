"""Interactive network view of a result, as one self-contained HTML file (pyvis)."""
from __future__ import annotations

import html
from pathlib import Path

from pyvis.network import Network

SECTOR_COLOURS = {"power": "#e4572e", "chemicals": "#4c72b0", "building_materials": "#8c8c8c",
                  "coal": "#333333", "coking": "#8c564b", "metals": "#17becf", "waste": "#bcbd22",
                  "other": "#9467bd"}


def network_html(result, path, *, show_unchosen: bool = False) -> Path:
    """Write the network of ``result`` to ``path``: plants coloured by sector and sized by
    activity, chosen exchanges as arrows whose width follows the flow."""
    net = Network(height="800px", width="100%", directed=True, cdn_resources="in_line")
    plants = result.plants
    ex = result.exchanges
    max_act = max(float(plants["utilisation"].max() or 1.0), 1e-9)
    for r in plants.itertuples():
        if not r.built:
            continue
        title = (f"{r.label}\nprocess: {r.process}\nactivity: {r.activity:,.0f} {r.activity_unit}/yr"
                 f"\nutilisation: {r.utilisation:.0%}")
        net.add_node(r.plant, label=r.plant, title=title, color=SECTOR_COLOURS.get(r.sector, "#9467bd"),
                     size=10 + 30 * (r.utilisation / max_act))
    chosen = ex[ex["chosen"]]
    fmax = max(float(chosen["flow"].max()) if len(chosen) else 1.0, 1e-9)
    for r in chosen.itertuples():
        net.add_edge(r.source, r.target, title=f"{r.material}: {r.flow:,.0f} {r.unit}/yr",
                     width=1 + 9 * r.flow / fmax)
    out = Path(path)
    out.write_text(net.generate_html(), encoding="utf-8")
    return out
