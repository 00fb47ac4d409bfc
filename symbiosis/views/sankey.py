"""Sankey diagrams of material flows (plotly), as self-contained HTML.

Three scopes, one function: the whole park (every exchange, purchase, sale and
disposal counted in one unit, tonnes by default), one material, or one plant's inputs
and outputs. Flows of different units are never added in one diagram: the whole-park
and plant views keep one unit (``unit="t"``) and the material view uses the material's.

:func:`sankey_data` returns the nodes and links as plain lists (tested against the
result's tables); :func:`sankey_figure` draws one result, or a status quo and an
optimised result side by side; :func:`sankey_html` writes the page, with a menu to
switch between the whole park and each material.
"""
from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from symbiosis.views.network import material_colours, sector_colour

MARKET_LABELS = {"purchase": "market (purchases)", "sale": "sales", "disposal": "landfill / disposal"}
MARKET_COLOURS = {"purchase": "#7f7f7f", "sale": "#2ca02c", "disposal": "#8c564b"}


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _colours_of(*results) -> dict[str, str]:
    names = []
    for r in results:
        if r is not None:
            names += list(r.exchanges["material"]) + list(r.market["material"]) + list(r.materials["material"])
    return material_colours(names)


def sankey_data(result, *, material: str | None = None, plant: str | None = None,
                unit: str | None = "t", colours: dict[str, str] | None = None) -> dict:
    """Nodes and links of one Sankey.

    Parameters
    ----------
    material : only this material (its own unit; ``unit`` is then ignored).
    plant : only this plant's inputs and outputs (exchanges in and out, purchases, sales,
        disposal).
    unit : keep flows in this unit (``None``: every unit; only sensible for one material).

    Returns
    -------
    dict with ``labels``, ``colours`` (one per node), ``source``, ``target``, ``value``,
    ``material``, ``kind`` (exchange, purchase, sale or disposal) and ``unit`` (one per
    link), and ``units``: the units present.
    """
    ex = result.exchanges
    ex = ex[ex["chosen"] & (ex["flow"] > 0)]
    mk = result.market
    if material is not None:
        ex = ex[ex["material"] == material]
        mk = mk[mk["material"] == material]
    elif unit is not None:
        ex = ex[ex["unit"] == unit]
        mk = mk[mk["unit"] == unit]
    if plant is not None:
        ex = ex[(ex["source"] == plant) | (ex["target"] == plant)]
        mk = mk[mk["plant"] == plant]
    sectors = dict(zip(result.plants["plant"], result.plants["sector"]))
    labels: list[str] = []
    node_colours: list[str] = []
    index: dict[str, int] = {}

    def node(key: str, label: str, colour: str) -> int:
        if key not in index:
            index[key] = len(labels)
            labels.append(label)
            node_colours.append(colour)
        return index[key]

    mcol = colours or _colours_of(result)
    links = {k: [] for k in ("source", "target", "value", "material", "kind", "unit")}

    def link(s: int, t: int, v: float, m: str, kind: str, u: str):
        links["source"].append(s)
        links["target"].append(t)
        links["value"].append(float(v))
        links["material"].append(m)
        links["kind"].append(kind)
        links["unit"].append(u)

    def plant_node(p: str) -> int:
        return node(f"plant:{p}", p, sector_colour(sectors.get(p, "other")))

    for r in ex.itertuples():
        link(plant_node(r.source), plant_node(r.target), r.flow, r.material, "exchange", r.unit)
    for r in mk.itertuples():
        for kind in ("purchase", "sale", "disposal"):
            v = float(getattr(r, kind))
            if v <= 0:
                continue
            m = node(f"market:{kind}", MARKET_LABELS[kind], MARKET_COLOURS[kind])
            p = plant_node(r.plant)
            if kind == "purchase":
                link(m, p, v, r.material, kind, r.unit)
            else:
                link(p, m, v, r.material, kind, r.unit)
    return {"labels": labels, "colours": node_colours, **links, "units": sorted(set(links["unit"])),
            "link_colours": [_rgba(mcol.get(m, "#999999"), 0.45) for m in links["material"]]}


def _trace(data: dict, domain_x: tuple[float, float], period: str) -> go.Sankey:
    hover = [f"{m} ({k}): %{{value:,.0f}} {u}/{period}" for m, k, u in
             zip(data["material"], data["kind"], data["unit"])]
    return go.Sankey(
        domain={"x": list(domain_x), "y": [0, 1]}, arrangement="snap", valueformat=",.0f",
        node={"label": data["labels"], "color": data["colours"], "pad": 12, "thickness": 14,
              "line": {"color": "#555", "width": 0.5}},
        link={"source": data["source"], "target": data["target"], "value": data["value"],
              "color": data["link_colours"], "customdata": hover, "hovertemplate": "%{customdata}<extra></extra>",
              "label": data["material"]})


def _title(result, material, plant, unit, data) -> str:
    what = f"material {material}" if material else (f"plant {plant}" if plant else "whole park")
    units = ", ".join(data["units"]) or (unit or "-")
    return f"{what} ({units}/{(result.units or {}).get('period', 'yr')})"


def sankey_figure(result, status_quo=None, *, material: str | None = None, plant: str | None = None,
                  unit: str | None = "t", height: int = 650) -> go.Figure:
    """A Sankey of ``result``; with ``status_quo`` the two side by side (status quo left)."""
    period = (result.units or {}).get("period", "yr")
    pairs = [("status quo", status_quo), ("optimised", result)] if status_quo is not None else [("", result)]
    fig = go.Figure()
    n = len(pairs)
    colours = _colours_of(result, status_quo)
    for i, (name, r) in enumerate(pairs):
        data = sankey_data(r, material=material, plant=plant, unit=unit, colours=colours)
        x0, x1 = i / n + (0.02 if i else 0), (i + 1) / n - (0.02 if i < n - 1 else 0)
        fig.add_trace(_trace(data, (x0, x1), period))
        if name:
            fig.add_annotation(x=(x0 + x1) / 2, y=1.06, xref="paper", yref="paper", showarrow=False,
                               text=f"<b>{name}</b>", font={"size": 14})
    data = sankey_data(result, material=material, plant=plant, unit=unit)
    fig.update_layout(title={"text": f"{result.case_name}: material flows, {_title(result, material, plant, unit, data)}"},
                      height=height, margin={"l": 20, "r": 20, "t": 90, "b": 20}, font={"size": 11})
    return fig


def _views(result, status_quo) -> list[tuple[str, dict]]:
    """The scopes the page offers: the park in tonnes, then each material with a chosen
    exchange (by-products first)."""
    views = [("whole park (t)", {"unit": "t"})]
    ex = result.exchanges
    mats = result.materials.set_index("material")
    used = set(ex.loc[ex["chosen"] & (ex["flow"] > 0), "material"])
    if status_quo is not None:
        sx = status_quo.exchanges
        used |= set(sx.loc[sx["chosen"] & (sx["flow"] > 0), "material"])
    byp = set(mats.index[mats["kind"] == "byproduct"]) if len(mats) else set()
    for m in sorted(used | byp, key=lambda m: (m not in byp, m)):
        u = mats.loc[m, "unit"] if m in mats.index else ""
        views.append((f"{m} ({u})", {"material": m}))
    return views


def sankey_html(result, path, status_quo=None, *, plant: str | None = None, height: int = 700) -> Path:
    """Write the Sankey page: a menu switches between the whole park and each material;
    status quo and optimised side by side where ``status_quo`` is given. plotly.js is
    inlined, so the page opens offline."""
    fig = sankey_figure_menu(result, status_quo, plant=plant, height=height)
    out = Path(path)
    fig.write_html(out, include_plotlyjs=True, full_html=True, config={"displaylogo": False, "responsive": True})
    return out


def sankey_figure_menu(result, status_quo=None, *, plant: str | None = None, height: int = 700) -> go.Figure:
    """One figure holding every view of :func:`_views`, switched by a dropdown."""
    views = _views(result, status_quo)
    fig = go.Figure()
    per_view = 2 if status_quo is not None else 1
    titles, annotations = [], []
    for vi, (name, kw) in enumerate(views):
        sub = sankey_figure(result, status_quo, plant=plant, height=height, **kw)
        for tr in sub.data:
            tr.visible = vi == 0
            fig.add_trace(tr)
        titles.append(sub.layout.title.text)
        annotations.append(list(sub.layout.annotations))
    buttons = []
    for vi, (name, _) in enumerate(views):
        vis = [False] * (len(views) * per_view)
        for k in range(per_view):
            vis[vi * per_view + k] = True
        buttons.append({"label": name, "method": "update",
                        "args": [{"visible": vis}, {"title.text": titles[vi], "annotations": annotations[vi]}]})
    fig.update_layout(title={"text": titles[0]}, annotations=annotations[0], height=height,
                      margin={"l": 20, "r": 20, "t": 110, "b": 20}, font={"size": 11},
                      updatemenus=[{"buttons": buttons, "direction": "down", "x": 1.0, "xanchor": "right",
                                    "y": 1.16, "yanchor": "top", "showactive": True}])
    return fig


def sankey_png(result, path, status_quo=None, *, material: str | None = None, plant: str | None = None,
               width: int = 1400, height: int = 750) -> Path:
    """Write the Sankey as a PNG (kaleido, which drives a Chrome or Chromium).

    Raises
    ------
    RuntimeError : with a plain message when no browser is available for kaleido.
    """
    from symbiosis.views.images import write_png
    fig = sankey_figure(result, status_quo, material=material, plant=plant, height=height)
    return write_png(fig, path, width=width, height=height)
