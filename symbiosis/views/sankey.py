"""Sankey diagrams of material flows (plotly), as self-contained HTML.

Scopes, one function: the by-products (every by-product exchange, sale and disposal in
tonnes: coal and power would make them hairlines in the whole park), the whole park
(every exchange, purchase, sale and disposal counted in one unit, tonnes by default),
one material, or one plant's inputs and outputs. Flows of different units are never
added in one diagram: the whole-park and plant views keep one unit (``unit="t"``) and
the material view uses the material's.

Every link's tooltip gives its flow in its unit per period (``fly_ash: 340.0 kt/yr``,
formatted by :func:`symbiosis.fmt.fmt`), and every node's label carries its throughput,
so the PNG has the numbers too; a legend names the material colours. With a status quo,
both sides are drawn on one scale: a tonne is as wide on the left as on the right, and
the side that moves less material is drawn shorter.

:func:`sankey_data` returns the nodes and links as plain lists (tested against the
result's tables); :func:`sankey_figure` draws one result, or a status quo and an
optimised result side by side; :func:`sankey_html` writes the page, with a menu to
switch between the views.
"""
from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from symbiosis.fmt import fmt
from symbiosis.views.network import material_colours, sector_colour

MARKET_LABELS = {"purchase": "market (purchases)", "sale": "sales", "disposal": "landfill / disposal"}
MARKET_COLOURS = {"purchase": "#7f7f7f", "sale": "#2ca02c", "disposal": "#8c564b"}
#: node padding (px) and the figure's top and bottom margins (px), shared by the layout
#: and the one-scale computation
PAD = 12
MARGIN_T, MARGIN_B = 110, 20


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


def _period(result) -> str:
    return (result.units or {}).get("period", "yr")


def sankey_data(result, *, material: str | None = None, plant: str | None = None,
                unit: str | None = "t", colours: dict[str, str] | None = None,
                byproducts: bool = False) -> dict:
    """Nodes and links of one Sankey.

    Parameters
    ----------
    material : only this material (its own unit; ``unit`` is then ignored).
    plant : only this plant's inputs and outputs (exchanges in and out, purchases, sales,
        disposal).
    unit : keep flows in this unit (``None``: every unit; only sensible for one material).
    byproducts : only by-products (their exchanges, sales and disposal).

    Returns
    -------
    dict with ``labels`` (plant names, one per node), ``texts`` (the label with the
    node's throughput, as drawn), ``colours`` (one per node), ``source``, ``target``,
    ``value``, ``material``, ``kind`` (exchange, purchase, sale or disposal), ``unit``
    and ``hover`` (the tooltip text: material, kind and formatted flow; one per link),
    and ``units``: the units present.
    """
    period = _period(result)
    ex = result.exchanges
    ex = ex[ex["chosen"] & (ex["flow"] > 0)]
    mk = result.market
    if byproducts:
        ex = ex[ex["kind"] == "byproduct"]
        mk = mk[mk["kind"] == "byproduct"]
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
    links: dict[str, list] = {k: [] for k in ("source", "target", "value", "material", "kind", "unit", "hover")}

    def link(s: int, t: int, v: float, m: str, kind: str, u: str):
        links["source"].append(s)
        links["target"].append(t)
        links["value"].append(float(v))
        links["material"].append(m)
        links["kind"].append(kind)
        links["unit"].append(u)
        what = "exchange" if kind == "exchange" else kind
        links["hover"].append(f"{labels[s]} → {labels[t]}<br>{m} ({what}): {fmt(v, f'{u}/{period}')}")

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
    units = sorted(set(links["unit"]))
    through = _throughput(len(labels), links)
    one_unit = units[0] if len(units) == 1 else None
    texts = [f"{lbl} {fmt(t, f'{one_unit}/{period}')}" if one_unit else lbl for lbl, t in zip(labels, through)]
    return {"labels": labels, "texts": texts, "colours": node_colours, **links, "units": units,
            "throughput": through,
            "link_colours": [_rgba(mcol.get(m, "#999999"), 0.5) for m in links["material"]]}


def _throughput(n: int, links: dict) -> list[float]:
    """Each node's value as d3-sankey draws it: the larger of what comes in and goes out."""
    ins, outs = [0.0] * n, [0.0] * n
    for s, t, v in zip(links["source"], links["target"], links["value"]):
        outs[s] += v
        ins[t] += v
    return [max(a, b) for a, b in zip(ins, outs)]


def _columns(data: dict) -> tuple[float, int]:
    """The largest column of the diagram: (sum of its node values, its node count).

    Columns are d3-sankey's: a node's depth is the longest path from a source (links
    that close a cycle are skipped). The drawing scale of a Sankey is set by this column
    (its nodes and the padding between them fill the height)."""
    n = len(data["labels"])
    if n == 0:
        return 0.0, 0
    succ: dict[int, set[int]] = {i: set() for i in range(n)}
    for s, t in zip(data["source"], data["target"]):
        if s != t:
            succ[s].add(t)
    depth = [0] * n
    for _ in range(n):  # Bellman-Ford style longest path, bounded: cycles cannot run away
        changed = False
        for s in range(n):
            for t in succ[s]:
                if depth[t] < depth[s] + 1 and depth[s] + 1 < n:
                    depth[t] = depth[s] + 1
                    changed = True
        if not changed:
            break
    # d3's justify: nodes without outgoing links go to the last column
    last = max(depth)
    depth = [last if not succ[i] else d for i, d in enumerate(depth)]
    cols: dict[int, list[float]] = {}
    for i, d in enumerate(depth):
        cols.setdefault(d, []).append(data["throughput"][i])
    return max(((sum(v), len(v)) for v in cols.values()), key=lambda c: c[0])


def one_scale(datas: list[dict], plot_height: float, pad: float = PAD) -> list[float]:
    """Height fractions of each diagram so that a unit of flow has one width in all.

    d3-sankey scales a diagram so that its fullest column (nodes plus padding) fills the
    height: pixels per unit ``k = (H - (n - 1) pad) / S``. The diagram that needs the
    most height at the common ``k`` gets the full height; the others ``H_i = k S_i +
    (n_i - 1) pad``."""
    cols = [_columns(d) for d in datas]
    ks = [(plot_height - max(0, n - 1) * pad) / s for s, n in cols if s > 0]
    if not ks:
        return [1.0] * len(datas)
    k = min(ks)
    return [min(1.0, max(0.05, (k * s + max(0, n - 1) * pad) / plot_height)) if s > 0 else 1.0 for s, n in cols]


def _two_lines(data: dict) -> list[str]:
    """Node labels; a node that both takes and gives (a middle column) has its throughput on a
    second line: its label, drawn to the right, otherwise runs into the last column's labels,
    drawn to the left, in a dense park (Liupanshui's gangue power plants and cement lines).
    First and last columns stay on one line, so small nodes stacked there do not collide."""
    middle = set(data["source"]) & set(data["target"])
    return [f"{lbl}<br>{t[len(lbl) + 1:]}" if i in middle and t.startswith(lbl + " ") else t
            for i, (lbl, t) in enumerate(zip(data["labels"], data["texts"]))]


# The figures are built as plain dicts: plotly checks every value given to its graph
# objects element by element (each link's colour against a regular expression), which was
# 60 % of a 1,000-plant report's time, and checked each trace again when it was added to the
# menu figure. sankey_figure() hands the dict to go.Figure (checked once, for callers and
# PNGs); the pages write the menu's dict unchecked (tests compare it with the checked one).
def _trace(data: dict, domain_x: tuple[float, float], domain_y: tuple[float, float], period: str) -> dict:
    units = data["units"]
    node_unit = f"{units[0]}/{period}" if len(units) == 1 else ""
    return {"type": "sankey",
            "domain": {"x": list(domain_x), "y": list(domain_y)}, "arrangement": "snap", "valueformat": ",.0f",
            "node": {"label": _two_lines(data), "color": list(data["colours"]), "pad": PAD, "thickness": 14,
                     "line": {"color": "#555", "width": 0.5}, "customdata": list(data["labels"]),
                     "hovertemplate": "%{customdata}: %{value:,.0f} " + node_unit + "<extra></extra>"},
            "link": {"source": list(data["source"]), "target": list(data["target"]), "value": list(data["value"]),
                     "color": list(data["link_colours"]), "customdata": list(data["hover"]),
                     "hovertemplate": "%{customdata}<extra></extra>", "label": list(data["material"])}}


def _title(result, material, plant, unit, data, byproducts=False) -> str:
    what = (f"material {material}" if material else (f"plant {plant}" if plant else
            ("by-products" if byproducts else "whole park")))
    units = ", ".join(data["units"]) or (unit or "-")
    return f"{what} ({units}/{_period(result)})"


def _legend(fig: dict, datas: list[dict], colours: dict[str, str], visible: bool = True) -> list[int]:
    """Legend entries naming the material colours (empty scatter traces: the legend of a
    Sankey is not drawn by plotly), added to the figure dict ``fig``. Returns the indexes
    of the traces added."""
    mats = sorted({m for d in datas for m in d["material"]})
    if len(mats) > 20:  # many materials: a compact legend that fits the height
        fig["layout"].setdefault("legend", {}).update({"font": {"size": 9}, "tracegroupgap": 0,
                                                       "itemsizing": "constant"})
    added = []
    for m in mats:
        fig["data"].append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": m,
                            "showlegend": True, "hoverinfo": "skip", "visible": visible,
                            "marker": {"size": 11, "symbol": "square", "color": colours.get(m, "#999999")}})
        added.append(len(fig["data"]) - 1)
    return added


def _axes_off(fig: dict) -> None:
    lay = fig["layout"]
    lay["xaxis"] = {"visible": False}
    lay["yaxis"] = {"visible": False}
    lay["plot_bgcolor"] = "white"
    lay.setdefault("legend", {}).update({"title": {"text": "material"}, "orientation": "v", "x": 1.0,
                                        "xanchor": "left", "y": 1.0})


def _figure_dict(result, status_quo=None, *, material: str | None = None, plant: str | None = None,
                 unit: str | None = "t", height: int = 650, byproducts: bool = False, legend: bool = True) -> dict:
    """What :func:`sankey_figure` draws, as a plotly figure dict (unchecked)."""
    period = _period(result)
    pairs = [("status quo", status_quo), ("optimised", result)] if status_quo is not None else [("", result)]
    fig: dict = {"data": [], "layout": {}}
    n = len(pairs)
    colours = _colours_of(result, status_quo)
    datas = [sankey_data(r, material=material, plant=plant, unit=unit, colours=colours, byproducts=byproducts)
             for _, r in pairs]
    fracs = one_scale(datas, height - MARGIN_T - MARGIN_B) if n > 1 else [1.0]
    for i, ((name, r), data, f) in enumerate(zip(pairs, datas, fracs)):
        x0, x1 = i / n + (0.02 if i else 0), (i + 1) / n - (0.02 if i < n - 1 else 0)
        fig["data"].append(_trace(data, (x0, x1), (1.0 - f, 1.0), period))
        if name:
            total = sum(v for v, k in zip(data["value"], data["kind"]) if k == "exchange")
            tunit = f"{data['units'][0]}/{period}" if len(data["units"]) == 1 else ""
            sub = f" ({fmt(total, tunit)} exchanged)" if tunit else ""
            fig["layout"].setdefault("annotations", []).append(
                {"x": (x0 + x1) / 2, "y": 1.06, "xref": "paper", "yref": "paper", "showarrow": False,
                 "text": f"<b>{name}</b>{sub}", "font": {"size": 14}})
    if legend:
        _legend(fig, datas, colours)
        _axes_off(fig)
    scale = " (both on one scale)" if n > 1 else ""
    fig["layout"].update({"title": {"text": f"{result.case_name}: material flows, "
                                            f"{_title(result, material, plant, unit, datas[-1], byproducts)}{scale}"},
                          "height": height, "margin": {"l": 20, "r": 20, "t": MARGIN_T, "b": MARGIN_B},
                          "font": {"size": 11}})
    return fig


def sankey_figure(result, status_quo=None, *, material: str | None = None, plant: str | None = None,
                  unit: str | None = "t", height: int = 650, byproducts: bool = False,
                  legend: bool = True) -> go.Figure:
    """A Sankey of ``result``; with ``status_quo`` the two side by side (status quo left),
    on one scale. A legend names the materials' colours."""
    return go.Figure(_figure_dict(result, status_quo, material=material, plant=plant, unit=unit, height=height,
                                  byproducts=byproducts, legend=legend))


def _views(result, status_quo) -> list[tuple[str, dict]]:
    """The scopes the page offers: the by-products in tonnes, the park in tonnes, then
    each material with a chosen exchange (by-products first)."""
    views = [("by-products (t)", {"unit": "t", "byproducts": True}), ("whole park (t)", {"unit": "t"})]
    ex = result.exchanges
    mats = result.materials.set_index("material")
    used = set(ex.loc[ex["chosen"] & (ex["flow"] > 0), "material"])
    if status_quo is not None:
        sx = status_quo.exchanges
        used |= set(sx.loc[sx["chosen"] & (sx["flow"] > 0), "material"])
    byp = set(mats.index[mats["kind"] == "byproduct"]) if len(mats) else set()
    if not byp:
        views = views[1:]
    for m in sorted(used | byp, key=lambda m: (m not in byp, m)):
        u = mats.loc[m, "unit"] if m in mats.index else ""
        views.append((f"{m} ({u})", {"material": m}))
    return views  # type: ignore[return-value]


def _default_template() -> dict:
    import copy

    import plotly.io as pio
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = pio.templates[pio.templates.default].to_plotly_json()
    return copy.deepcopy(_TEMPLATE)


_TEMPLATE = None


def sankey_html(result, path, status_quo=None, *, plant: str | None = None, height: int = 700) -> Path:
    """Write the Sankey page: a menu switches between the by-products, the whole park and
    each material; status quo and optimised side by side where ``status_quo`` is given.
    plotly.js is inlined, so the page opens offline."""
    import plotly.io as pio
    fig = sankey_figure_menu(result, status_quo, plant=plant, height=height)
    out = Path(path)
    pio.write_html(fig, out, include_plotlyjs=True, full_html=True, validate=False,
                   config={"displaylogo": False, "responsive": True})
    return out


def sankey_figure_menu(result, status_quo=None, *, plant: str | None = None, height: int = 700) -> dict:
    """One figure holding every view of :func:`_views`, switched by a dropdown; each view
    has its own legend entries. A plotly figure dict, unchecked (``go.Figure(it)`` checks
    it); write it with ``plotly.io.write_html(fig, ..., validate=False)``."""
    views = _views(result, status_quo)
    fig: dict = {"data": [], "layout": {}}
    titles, annotations, groups = [], [], []
    for vi, (name, kw) in enumerate(views):
        sub = _figure_dict(result, status_quo, plant=plant, height=height, **kw)
        start = len(fig["data"])
        for tr in sub["data"]:
            tr["visible"] = vi == 0
            fig["data"].append(tr)
        groups.append(range(start, len(fig["data"])))
        titles.append(sub["layout"]["title"]["text"])
        annotations.append(list(sub["layout"].get("annotations", [])))
    buttons = []
    for vi, (name, _) in enumerate(views):
        vis = [i in groups[vi] for i in range(len(fig["data"]))]
        buttons.append({"label": name, "method": "update",
                        "args": [{"visible": vis}, {"title.text": titles[vi], "annotations": annotations[vi]}]})
    _axes_off(fig)
    fig["layout"]["template"] = _default_template()  # what go.Figure would add
    if annotations[0]:
        fig["layout"]["annotations"] = annotations[0]
    fig["layout"].update({"title": {"text": titles[0]}, "height": height,
                          "margin": {"l": 20, "r": 20, "t": MARGIN_T, "b": MARGIN_B}, "font": {"size": 11},
                          "updatemenus": [{"buttons": buttons, "direction": "down", "x": 1.0, "xanchor": "right",
                                           "y": 1.16, "yanchor": "top", "showactive": True}]})
    return fig


def sankey_png(result, path, status_quo=None, *, material: str | None = None, plant: str | None = None,
               byproducts: bool = False, width: int = 1400, height: int = 750) -> Path:
    """Write the Sankey as a PNG (kaleido, which drives a Chrome or Chromium), with each
    node's throughput in its label and a legend of the materials.

    Raises
    ------
    RuntimeError : with a plain message when no browser is available for kaleido.
    """
    from symbiosis.views.images import write_png
    fig = sankey_figure(result, status_quo, material=material, plant=plant, height=height, byproducts=byproducts)
    return write_png(fig, path, width=width, height=height)
