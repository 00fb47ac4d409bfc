"""Interactive network view of a result, as one self-contained HTML file (vis-network,
through pyvis's page template).

The page opens offline: vis-network is inlined (``cdn_resources="in_line"``) and the
Bootstrap links pyvis 0.3.2 adds from a CDN are removed; :func:`external_refs` checks
the written page for any remaining http(s) script or stylesheet.

What the page shows:

- plants as nodes coloured by sector (legend), sized by activity (scaled within each
  activity unit), labelled with the plant's name (wrapped; a readable form of the id
  where the case gives no name), placed by longitude/latitude where the case gives them,
  else on a stable layout that groups plants by park; each park is outlined and named,
  and parks are moved apart until neither their boxes nor their plants' labels overlap;
- existing plants as dots, newly built plants as diamonds with a dark border, candidate
  plants not built as faint dashed diamonds;
- chosen exchanges as arrows, width by flow (scaled within each unit), colour by
  material from a palette of maximally distinct colours (Glasbey's method: each next
  colour the farthest in CIELAB from those taken); candidate exchanges not chosen as faint
  dashed arrows, shown or hidden by the checkbox ``#toggle-candidates`` (at most
  ``MAX_CANDIDATES`` of them, the shortest, with a note; all are in exchanges.csv);
- optional market nodes (``@market``, ``@sales``, ``@landfill``) with purchases, sales and
  disposal, shown or hidden by ``#toggle-market``;
- tooltips with the numbers: flow, distance, transport and fixed cost, the share of the
  sender's by-product the exchange takes, and the park's reuse rate of that material. A
  tooltip names every exchange drawn between the two plants under the pointer (chosen
  first) and goes when the pointer leaves.

Regions of more than ``OVERVIEW_OVER`` plants open on an overview: one node per park and
one arrow per pair of parks and material, flows summed; the selector ``#park-select`` or
a click on a park shows that park's plants (with the plants they trade with elsewhere),
or every plant. Physics is off and positions are computed here (measured with
``benchmarks/bench_render_paths.py``: vis-network drew 3,000 plants and 10,000 edges in
2.5 s against 6.6 s for plotly's WebGL scatter).

Hook for tests and scripts: the page keeps the vis DataSets ``nodes`` and ``edges`` and
the ``network`` as globals; ``window.symbiosisView`` holds the ids of plant, market,
candidate nodes and edges, the current ``mode`` (``"plants"``, ``"overview"``, ``"all"``
or a park's name), ``show(mode)``, and ``ready``, true once the network is drawn.
"""
from __future__ import annotations

import functools
import html as _html
import json
import math
import re
from pathlib import Path
from typing import Any

from pyvis.network import Network

# sectors most parks have keep one colour across cases; others take the palette in turn
SECTOR_COLOURS = {"power": "#d62728", "chemicals": "#1f77b4", "building_materials": "#8c8c8c",
                  "coal": "#333333", "coking": "#8c564b"}
# Tableau 10 without its grey (grey is for candidates not chosen)
TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf")
MARKET_NODES = {"purchase": ("@market", "market (purchases)"), "sale": ("@sales", "sales"),
                "disposal": ("@landfill", "landfill / disposal")}
FAINT = "rgba(150,150,150,0.35)"
# Over this many nodes the page never runs physics: positions are computed here.
PHYSICS_MAX_NODES = 120
# Over this many plants the page opens on one node per park.
OVERVIEW_OVER = 300
# At most this many candidate exchanges not chosen go into the page (the shortest).
MAX_CANDIDATES = 3000
LABEL_WIDTH = 18   # characters per line of a node label
LABEL_LINES = 3
CHAR_PX = 7.0      # width of a character of the 13 px label font, about
LINE_PX = 16.0


# --------------------------------------------------------------------------- colours
def _lab(rgb):
    """sRGB in 0..1 (n x 3) to CIELAB (D65)."""
    import numpy as np
    c = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = c @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


@functools.lru_cache(maxsize=8)
def palette(n: int, avoid: tuple[str, ...] = ()) -> tuple[str, ...]:
    """``n`` colours as far apart as possible for the eye: Tableau's ten where they are
    apart from ``avoid``, then Glasbey's method (Glasbey et al., 2007: each next colour the
    farthest in CIELAB from all taken, over an sRGB grid), readable on white (lightness
    30-80). Deterministic."""
    import numpy as np
    levels = np.linspace(0, 1, 18)
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(-1, 3)
    lab = _lab(grid)
    keep = (lab[:, 0] > 30) & (lab[:, 0] < 80)
    grid, lab = grid[keep], lab[keep]
    def lab_of(h):
        return _lab(np.array([[int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)]]))[0]
    taken = [lab_of(h) for h in avoid]
    taken.append(_lab(np.array([[1.0, 1.0, 1.0]]))[0])  # the page's background
    out: list[str] = []
    for h in TAB10:  # Tableau's ten first, where they stand apart from those taken
        if len(out) < n and min(float(((lab_of(h) - t) ** 2).sum()) for t in taken) > 25.0 ** 2:
            out.append(h)
            taken.append(lab_of(h))
    d = np.min([((lab - t) ** 2).sum(1) for t in taken], axis=0)
    while len(out) < n:
        k = int(np.argmax(d))
        out.append("#%02x%02x%02x" % tuple(int(round(v * 255)) for v in grid[k]))
        d = np.minimum(d, ((lab - lab[k]) ** 2).sum(1))
    return tuple(out)


def sector_colours(sectors) -> dict[str, str]:
    """A colour per sector: the usual sectors keep theirs, the others take distinct colours."""
    names = sorted(set(sectors))
    others = [s for s in names if s not in SECTOR_COLOURS]
    extra = palette(len(others), tuple(SECTOR_COLOURS.values())) if others else ()
    out = {s: SECTOR_COLOURS[s] for s in names if s in SECTOR_COLOURS}
    out.update(zip(others, extra))
    return out


def sector_colour(sector: str) -> str:
    return sector_colours([sector])[sector]


def material_colours(materials, first=()) -> dict[str, str]:
    """A distinct colour per material: those in ``first`` (the chosen exchanges') take the
    most distinct colours, in sorted order, the rest follow."""
    first = sorted(set(first))
    rest = sorted(set(materials) - set(first))
    cols = palette(len(first) + len(rest)) if first or rest else ()
    return dict(zip(first + rest, cols))


# --------------------------------------------------------------------------- labels
ACRONYMS = {"pvc", "hcl", "cog", "ctl", "lng", "lpg", "naoh", "co2", "mdi", "tdi", "bdo", "pe", "pp", "pta",
            "hdpe", "ldpe", "aac", "cnt", "fgd", "usc", "chp", "bf", "bof", "eaf", "dri", "mw", "pv", "ccs",
            "ccus", "ngcc", "npk", "dap", "map", "eva", "abs", "ps", "pet", "sbr", "nbr"}


def readable(ident: str) -> str:
    """A name for people from an id: ``donggu_pvc`` -> ``Donggu PVC``."""
    words = [w for w in re.split(r"[_\s]+", str(ident)) if w]
    out = []
    for i, w in enumerate(words):
        if w.lower() in ACRONYMS or (len(w) <= 4 and not re.search(r"[aeiouy]", w.lower())):
            out.append(w.upper())
        elif i == 0:
            out.append(w[:1].upper() + w[1:])
        else:
            out.append(w)
    return " ".join(out)


def display_label(plant: str, label: str | None) -> str:
    """The plant's name without its parenthesised remark, or a readable form of its id."""
    text = str(label or "").strip()
    if not text or text == plant:
        return readable(plant)
    short = re.sub(r"\s*\([^)]*\)\s*$", "", text).strip()
    return short or text


def wrap(text: str, width: int = LABEL_WIDTH, lines: int = LABEL_LINES) -> str:
    """Break ``text`` into at most ``lines`` lines of about ``width`` characters."""
    import textwrap
    parts = textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=True) or [text]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][:width - 1].rstrip() + "\u2026"
    return "\n".join(parts)


def edge_id(source: str, target: str, material: str) -> str:
    return f"{source}->{target}:{material}"


def _num(v: float, unit: str = "") -> str:
    """427.2 kt/yr, 1.11 M CNY/yr: SI prefixes join tonnes, stand apart from money."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    a = abs(v)
    glue = "" if unit == "t" or unit.startswith("t/") else " "
    for div, pre in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if a >= div:
            n = f"{v / div:,.2f}" if pre != "k" else f"{v / 1e3:,.1f}"
            return f"{n} {pre}{glue}{unit}".rstrip()
    return f"{v:,.1f} {unit}".rstrip()


# --------------------------------------------------------------------------- layout
def _sunflower(n: int, spacing: float) -> list[tuple[float, float]]:
    """n points evenly filling a disc (Vogel's spiral): stable and overlap-free."""
    golden = math.pi * (3 - math.sqrt(5))
    return [(spacing * math.sqrt(k + 0.5) * math.cos(k * golden), spacing * math.sqrt(k + 0.5) * math.sin(k * golden))
            for k in range(n)]


def _positions(plants) -> dict[str, tuple[float, float]]:
    """Raw positions in pixels: from lon/lat where given (an equirectangular projection
    scaled to about 1,200 px, or 40 px per plant across for big regions), else around the
    park's centre on a sunflower spiral; parks without any coordinates sit on a grid beside
    the mapped ones. Plants sharing a location are spread around it."""
    rows = list(plants.itertuples())
    have = [r for r in rows if r.lon is not None and r.lat is not None
            and not (isinstance(r.lon, float) and math.isnan(r.lon))]
    pos: dict[str, tuple[float, float]] = {}
    spacing = 45.0
    if have:
        lon0 = sum(r.lon for r in have) / len(have)
        lat0 = sum(r.lat for r in have) / len(have)
        k = math.cos(math.radians(lat0))
        xs = [(r.lon - lon0) * k for r in have]
        ys = [-(r.lat - lat0) for r in have]
        span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
        scale = max(1200.0, 40.0 * math.sqrt(len(have))) / span if len(have) > 1 else 1.0
        for r, x, y in zip(have, xs, ys):
            pos[r.plant] = (x * scale, y * scale)
        # spread plants that share (nearly) one spot
        spots: dict[tuple[int, int], list[str]] = {}
        for name, (x, y) in pos.items():
            spots.setdefault((round(x / 20), round(y / 20)), []).append(name)
        for names in spots.values():
            if len(names) > 1:
                cx = sum(pos[n][0] for n in names) / len(names)
                cy = sum(pos[n][1] for n in names) / len(names)
                for n, (dx, dy) in zip(sorted(names), _sunflower(len(names), spacing)):
                    pos[n] = (cx + dx, cy + dy)
    missing = [r for r in rows if r.plant not in pos]
    if missing:
        by_park: dict[str, list[str]] = {}
        for r in missing:
            by_park.setdefault(str(r.park or ""), []).append(r.plant)
        park_centre: dict[str, tuple[float, float]] = {}
        for r in have:
            park_centre.setdefault(str(r.park or ""), []).append(pos[r.plant])  # type: ignore[arg-type, attr-defined]
        park_centre = {p: (sum(x for x, _ in v) / len(v), sum(y for _, y in v) / len(v))  # type: ignore[has-type, misc]
                       for p, v in park_centre.items()}
        x_off = (max(x for x, _ in pos.values()) + 300) if pos else 0.0
        unplaced = [p for p in sorted(by_park) if p not in park_centre]
        cols = max(1, math.ceil(math.sqrt(len(unplaced))))
        radius = {p: spacing * math.sqrt(len(by_park[p]) + 1) + 120 for p in by_park}
        cell = 2 * max(radius.values())
        for i, p in enumerate(unplaced):
            park_centre[p] = (x_off + (i % cols) * cell, (i // cols) * cell)
        for p, names in by_park.items():
            cx, cy = park_centre[p]
            taken = sum(1 for r in have if str(r.park or "") == p)
            pts = _sunflower(len(names) + taken, spacing)[taken:]
            for n, (dx, dy) in zip(sorted(names), pts):
                pos[n] = (cx + dx, cy + dy)
    return pos



def _push_apart(xy, rect, gap: float, rounds: int = 80):
    """Move anchors ``xy`` (n x 2) until the rectangles ``rect`` (n x 4: left, right, up,
    down of the anchor) are ``gap`` apart; each overlap is undone along its shorter side,
    half by each rectangle. Deterministic, vectorised."""
    import numpy as np
    xy = np.array(xy, dtype=float)
    n = len(xy)
    if n < 2:
        return xy
    le, ri, up, dn = (rect[:, k] for k in range(4))
    idx = np.arange(n)
    # rectangles centred on one spot: a fixed direction per pair (the same every round)
    ang = (idx[:, None] * 2.399963 + idx[None, :] * 0.7) % (2 * np.pi)
    order = np.sign(idx[:, None] - idx[None, :])
    tx, ty = np.sign(np.cos(ang) + 1e-12) * order, np.sign(np.sin(ang) + 1e-12) * order
    del ang, order
    for _ in range(rounds):
        x0, x1, y0, y1 = xy[:, 0] - le, xy[:, 0] + ri, xy[:, 1] - up, xy[:, 1] + dn
        ox = np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :]) + gap
        oy = np.minimum(y1[:, None], y1[None, :]) - np.maximum(y0[:, None], y0[None, :]) + gap
        hit = (ox > 0) & (oy > 0)
        np.fill_diagonal(hit, False)
        if not hit.any():
            break
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        dx, dy = cx[:, None] - cx[None, :], cy[:, None] - cy[None, :]
        tie = (np.abs(dx) < 1e-9) & (np.abs(dy) < 1e-9)
        sx = np.where(tie, tx, np.sign(dx))
        sy = np.where(tie, ty, np.sign(dy))
        along_x = hit & (ox <= oy)
        along_y = hit & (ox > oy)
        xy[:, 0] += np.where(along_x, sx * ox / 2, 0.0).sum(1) * 0.6
        xy[:, 1] += np.where(along_y, sy * oy / 2, 0.0).sum(1) * 0.6
    return xy


def _push_apart_many(groups: list[tuple[list, Any]], gap: float, rounds: int = 80) -> list:
    """``_push_apart`` of many small groups at once (each padded to the largest, the
    padding never touching anything): what the groups would get one by one, in one
    vectorised loop instead of one Python loop per park."""
    import numpy as np
    g, m = len(groups), max(len(xy) for xy, _ in groups)
    xy = np.zeros((g, m, 2))
    rect = np.zeros((g, m, 4))
    real = np.zeros((g, m), dtype=bool)
    for k, (pts, r) in enumerate(groups):
        xy[k, :len(pts)] = pts
        rect[k, :len(pts)] = r
        real[k, :len(pts)] = True
    pair = real[:, :, None] & real[:, None, :] & ~np.eye(m, dtype=bool)[None]
    le, ri, up, dn = (rect[:, :, j] for j in range(4))
    idx = np.arange(m)
    ang = (idx[:, None] * 2.399963 + idx[None, :] * 0.7) % (2 * np.pi)
    order = np.sign(idx[:, None] - idx[None, :])
    tx, ty = np.sign(np.cos(ang) + 1e-12) * order, np.sign(np.sin(ang) + 1e-12) * order
    for _ in range(rounds):
        x0, x1, y0, y1 = xy[:, :, 0] - le, xy[:, :, 0] + ri, xy[:, :, 1] - up, xy[:, :, 1] + dn
        ox = np.minimum(x1[:, :, None], x1[:, None, :]) - np.maximum(x0[:, :, None], x0[:, None, :]) + gap
        oy = np.minimum(y1[:, :, None], y1[:, None, :]) - np.maximum(y0[:, :, None], y0[:, None, :]) + gap
        hit = (ox > 0) & (oy > 0) & pair
        if not hit.any():
            break
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        dx, dy = cx[:, :, None] - cx[:, None, :], cy[:, :, None] - cy[:, None, :]
        tie = (np.abs(dx) < 1e-9) & (np.abs(dy) < 1e-9)
        sx = np.where(tie, tx[None], np.sign(dx))
        sy = np.where(tie, ty[None], np.sign(dy))
        xy[:, :, 0] += np.where(hit & (ox <= oy), sx * ox / 2, 0.0).sum(2) * 0.6
        xy[:, :, 1] += np.where(hit & (ox > oy), sy * oy / 2, 0.0).sum(2) * 0.6
    return [xy[k, :len(pts)] for k, (pts, _) in enumerate(groups)]


def _sizes(plants) -> dict[str, float]:
    """Node radius in px by activity, scaled within each activity unit."""
    amax: dict[str, float] = {}
    for r in plants.itertuples():
        amax[r.activity_unit] = max(amax.get(r.activity_unit, 0.0), float(r.activity))
    out = {}
    for r in plants.itertuples():
        top = amax.get(r.activity_unit, 0.0)
        size = 12 + 28 * math.sqrt(float(r.activity) / top) if top > 0 else 12
        out[r.plant] = 12.0 if (r.status == "candidate" and not r.built) else size
    return out


def _extent(label: str, size: float) -> tuple[float, float, float, float]:
    """Left, right, up, down of a node and its label below it, in px."""
    lines = label.split("\n")
    half = max(size, CHAR_PX * max(len(x) for x in lines) / 2) + 4
    return (half, half, size + 4, size + 6 + LINE_PX * len(lines))


PARK_PAD = 18.0    # px around a park's plants inside its box
PARK_TITLE = 24.0  # px of the park's name above its plants, inside the box
TITLE_PX = 9.0     # width of a character of the bold 16 px park name


def layout(plants, labels: dict[str, str] | None = None, sizes: dict[str, float] | None = None,
           ) -> dict[str, tuple[float, float]]:
    """Positions in pixels: geography or parks first (see ``_positions``), then the
    plants of each park pushed apart until their labels do not overlap, then whole parks
    moved apart until their boxes (name included) do not overlap. Deterministic: the same
    result gives the same page."""
    labels = labels or {r.plant: wrap(display_label(r.plant, r.label)) for r in plants.itertuples()}
    sizes = sizes or _sizes(plants)
    # the same plants give the same layout: network.html and the report's overview (and a
    # `view` of the same result) compute it once; the key holds everything layout reads
    key = repr((list(plants[["plant", "lon", "lat", "park"]].itertuples(index=False, name=None)),
                sorted(labels.items()), sorted(sizes.items())))
    hit = _LAYOUTS.get(key)
    if hit is None:
        hit = _LAYOUTS[key] = _layout(plants, labels, sizes)
        while len(_LAYOUTS) > 4:
            _LAYOUTS.pop(next(iter(_LAYOUTS)))
    return dict(hit)


_LAYOUTS: dict[str, dict[str, tuple[float, float]]] = {}  # a few recent layouts, by what they were made of


def _layout(plants, labels: dict[str, str], sizes: dict[str, float]) -> dict[str, tuple[float, float]]:
    import numpy as np
    pos = _positions(plants)
    names = sorted(pos)
    group_of = {r.plant: (str(r.park) if r.park else "#" + r.plant) for r in plants.itertuples()}
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(group_of[n], []).append(n)
    ext = {n: _extent(labels[n], sizes[n]) for n in names}
    small = [m for m in groups.values() if 1 < len(m) <= 24]  # parks: pushed apart together
    for size in sorted({len(m) for m in small}):  # groups of one size at a time: no padding work wasted
        same = [m for m in small if len(m) == size]
        moved = _push_apart_many([([pos[n] for n in m], np.array([ext[n] for n in m])) for m in same], gap=8.0)
        for members, xy in zip(same, moved):
            pos.update({n: (float(x), float(y)) for n, (x, y) in zip(members, xy)})
    for members in groups.values():
        if 24 < len(members) <= 1500:
            xy = _push_apart([pos[n] for n in members], np.array([ext[n] for n in members]), gap=8.0)
            pos.update({n: (float(x), float(y)) for n, (x, y) in zip(members, xy)})
    gnames = sorted(groups)
    anchor, rects = [], []
    for g in gnames:
        m = groups[g]
        x0 = min(pos[n][0] - ext[n][0] for n in m) - PARK_PAD
        x1 = max(pos[n][0] + ext[n][1] for n in m) + PARK_PAD
        y0 = min(pos[n][1] - ext[n][2] for n in m) - PARK_PAD - (PARK_TITLE if not g.startswith("#") else 0)
        y1 = max(pos[n][1] + ext[n][3] for n in m) + PARK_PAD
        if not g.startswith("#"):
            x1 = max(x1, x0 + TITLE_PX * len(g) + 12)
        ax, ay = (x0 + x1) / 2, (y0 + y1) / 2
        anchor.append((ax, ay))
        rects.append((ax - x0, x1 - ax, ay - y0, y1 - ay))
    if len(gnames) > 1:
        moved = _push_apart(anchor, np.array(rects), gap=40.0, rounds=200 if len(gnames) <= 1500 else 0)
        for g, (ax, ay), (nx, ny) in zip(gnames, anchor, moved):
            for n in groups[g]:
                pos[n] = (pos[n][0] + nx - ax, pos[n][1] + ny - ay)
    return {n: (round(float(x), 1), round(float(y), 1)) for n, (x, y) in pos.items()}


# --------------------------------------------------------------------------- data
def network_data(result, *, market: bool = False, show_unchosen: bool = True,
                 max_candidates: int | None = MAX_CANDIDATES, node_colors: dict[str, str] | None = None,
                 node_legend: dict[str, str] | None = None,
                 node_legend_title: str | None = None) -> tuple[list[dict], list[dict], dict]:
    """Nodes and edges of the view as vis-network dicts, and facts for the legend.

    Every plant is a node (id = plant name); every exchange open or chosen is an edge
    (id = ``"source->target:material"``), and so are candidate exchanges not chosen, at
    most ``max_candidates`` of them (the shortest; ``facts["candidates_left_out"]`` counts
    the rest); with ``market`` the market nodes and one edge per plant and material
    bought, sold or disposed of are added (id = ``"@sales<-pvc:pvc"`` ...). The tooltip
    text of each is under ``"tip"``. ``node_colors`` (plant -> CSS colour) colours those
    plants instead of by sector; ``node_legend`` (label -> CSS colour) and
    ``node_legend_title`` then replace the legend of sectors (see :func:`network_html`).
    """
    plants = result.plants
    ex = result.exchanges
    mk = result.market
    mats = result.materials
    money = (result.units or {}).get("money", "CNY")
    period = (result.units or {}).get("period", "yr")
    labels = {r.plant: wrap(display_label(r.plant, r.label)) for r in plants.itertuples()}
    sizes = _sizes(plants)
    pos = layout(plants, labels, sizes)
    scolours = sector_colours(plants["sector"])
    nodes: list[dict] = []
    candidate_nodes: list[str] = []
    for r in plants.itertuples():
        colour = (node_colors or {}).get(r.plant) or scolours[r.sector]
        act = float(r.activity)
        new = r.status == "candidate"
        full = str(r.label or "") or readable(r.plant)
        lines = [full + (f" ({r.plant})" if full != r.plant else ""),
                 f"process: {r.process}", f"sector: {r.sector}", f"park: {r.park or '-'}",
                 f"status: {'newly built' if new and r.built else ('candidate, not built' if new else r.status)}"
                 + ("" if r.built or new else " (closed)"),
                 f"activity: {_num(act, f'{r.activity_unit}/{period}')}",
                 f"capacity: {_num(float(r.capacity), f'{r.activity_unit}/{period}')}",
                 f"utilisation: {float(r.utilisation):.0%}"]
        if new:
            lines.append(f"capex: {_num(float(r.capex), money)} ({_num(float(r.capex_annualised), f'{money}/{period}')})")
        lines += [f"operating cost: {_num(float(r.operating_cost), f'{money}/{period}')}",
                  f"CO2: {_num(float(r.co2), f't/{period}')}"]
        ext = _extent(labels[r.plant], sizes[r.plant])
        node = {"id": r.plant, "label": labels[r.plant], "tip": "\n".join(lines), "group_sector": r.sector,
                "park": str(r.park or ""), "status": r.status, "built": bool(r.built),
                "size": round(sizes[r.plant], 2), "ext": [round(v, 1) for v in ext],
                "borderWidth": 1, "color": {"background": colour, "border": colour,
                                            "highlight": {"background": colour, "border": "#000000"}}}
        if new:
            node["shape"] = "diamond"
            if r.built:
                node["borderWidth"] = 4
                node["color"]["border"] = "#111111"
            else:
                node["color"] = {"background": FAINT, "border": "#888888"}
                node["shapeProperties"] = {"borderDashes": [4, 4]}
                node["font"] = {"color": "#999999"}
                node["candidate"] = True
                candidate_nodes.append(r.plant)
        else:
            node["shape"] = "dot"
            if not r.built:
                node["color"] = {"background": FAINT, "border": colour}
        node["x"], node["y"] = pos[r.plant]
        nodes.append(node)
    # ------------------------------------------------------------------ exchanges
    shown = ex["chosen"] | ex["open"] if "open" in ex else ex["chosen"].copy()
    idle = ex[~shown]
    left_out = 0
    if max_candidates is not None and len(idle) > max_candidates:
        keep = idle.sort_values(["distance", "source", "target", "material"], kind="stable").index[:max_candidates]
        left_out = len(idle) - max_candidates
        shown = shown.copy()
        shown.loc[keep] = True
        ex_in = ex[shown]
    else:
        ex_in = ex
    sent = ex.groupby(["source", "material"])["flow"].sum().to_dict()
    for r in mk.itertuples():
        sent[(r.plant, r.material)] = sent.get((r.plant, r.material), 0.0) + float(r.sale) + float(r.disposal)
    rate = dict(zip(mats["material"], mats["reuse_rate"]))
    colours = material_colours(list(ex["material"]) + list(mk["material"]), first=ex.loc[ex["chosen"], "material"])
    fmax = ex[ex["chosen"]].groupby("unit")["flow"].max().to_dict()
    edges: list[dict] = []
    candidate_edges: list[str] = []
    has_open = "open" in ex_in
    for r in ex_in.itertuples():
        flow = float(r.flow)
        is_open = bool(r.open) if has_open else bool(r.chosen)
        lines = [f"{r.material}: {labels[r.source].replace(chr(10), ' ')} -> {labels[r.target].replace(chr(10), ' ')}",
                 f"flow: {_num(flow, f'{r.unit}/{period}')}", f"distance: {float(r.distance):,.1f} km",
                 f"transport cost: {_num(float(r.transport_cost), f'{money}/{period}')}",
                 f"fixed cost: {_num(float(r.fixed_cost), f'{money}/{period}')}",
                 f"total cost: {_num(float(r.cost), f'{money}/{period}')}"]
        if r.kind == "byproduct":
            out = sent.get((r.source, r.material), 0.0)
            if out > 0:
                lines.append(f"share of {r.source}'s {r.material} reused here: {flow / out:.1%}")
            rr = rate.get(r.material)
            if rr is not None and not (isinstance(rr, float) and math.isnan(rr)):
                lines.append(f"park reuse rate of {r.material}: {float(rr):.1%}")
        lines.append("existing exchange" if r.existing else ("new exchange" if r.chosen else
                     ("open, no flow" if is_open else "candidate, not chosen")))
        if r.forced:
            lines.append("forced by the case")
        if r.forbidden:
            lines.append("forbidden by the case")
        e = {"id": edge_id(r.source, r.target, r.material), "from": r.source, "to": r.target, "material": r.material,
             "tip": "\n".join(lines), "arrows": "to", "chosen_exchange": bool(r.chosen), "open": is_open,
             "flow": flow}
        if r.chosen:
            e["color"] = {"color": colours[r.material], "highlight": colours[r.material], "opacity": 0.9}
            e["width"] = round(1 + 9 * flow / fmax[r.unit], 2) if fmax.get(r.unit, 0) > 0 else 1
        elif is_open:  # open without flow: its fixed cost is paid, so it is drawn, thin
            e["color"] = {"color": colours[r.material], "highlight": colours[r.material], "opacity": 0.6}
            e["width"] = 1
            e["dashes"] = [2, 3]
        else:
            e["color"] = {"color": "#bbbbbb", "highlight": "#666666", "opacity": 0.35}
            e["width"] = 0.5
            e["dashes"] = [3, 5]
            e["smooth"] = {"enabled": True, "type": "curvedCCW", "roundness": 0.2}
            e["candidate"] = True
            e["hidden"] = not show_unchosen
            candidate_edges.append(e["id"])
        edges.append(e)
    if not show_unchosen:
        for n in nodes:
            if n.get("candidate"):
                n["hidden"] = True
    # ------------------------------------------------------------------ market
    market_nodes: list[str] = []
    market_edges: list[str] = []
    if market and len(mk):
        xs = [n["x"] for n in nodes] or [0.0]
        ys = [n["y"] for n in nodes] or [0.0]
        x0, x1, ymid = min(xs) - 350, max(xs) + 350, (min(ys) + max(ys)) / 2
        spot = {"purchase": (x0, ymid), "sale": (x1, ymid - 150), "disposal": (x1, ymid + 150)}
        totals = {k: mk.groupby("unit")[k].sum().to_dict() for k in ("purchase", "sale", "disposal")}
        for kind, (nid, label) in MARKET_NODES.items():
            if not (mk[kind] > 0).any():
                continue
            tot = ", ".join(_num(v, f"{u}/{period}") for u, v in totals[kind].items() if v > 0)
            nodes.append({"id": nid, "label": label, "shape": "box", "market": True,
                          "tip": f"{label}\ntotal: {tot}", "x": spot[kind][0], "y": spot[kind][1],
                          "color": {"background": "#f2f2f2", "border": "#555555"}})
            market_nodes.append(nid)
        mmax: dict[str, float] = {}
        for r in mk.itertuples():
            for kind in ("purchase", "sale", "disposal"):
                mmax[r.unit] = max(mmax.get(r.unit, 0.0), float(getattr(r, kind)))
        for r in mk.itertuples():
            for kind, money_col in (("purchase", "purchase_cost"), ("sale", "sales_revenue"),
                                    ("disposal", "disposal_cost")):
                v = float(getattr(r, kind))
                if v <= 0:
                    continue
                nid = MARKET_NODES[kind][0]
                src, dst = (nid, r.plant) if kind == "purchase" else (r.plant, nid)
                eid = f"{nid}{'->' if kind == 'purchase' else '<-'}{r.plant}:{r.material}"
                edges.append({"id": eid, "from": src, "to": dst, "material": r.material, "arrows": "to",
                              "market": True, "flow": v, "dashes": kind == "disposal",
                              "width": round(0.5 + 4 * v / mmax[r.unit], 2) if mmax.get(r.unit, 0) > 0 else 0.5,
                              "color": {"color": colours.get(r.material, "#999999"), "opacity": 0.45},
                              "tip": f"{kind} of {r.material} at {labels[r.plant].replace(chr(10), ' ')}: "
                                     f"{_num(v, f'{r.unit}/{period}')}\n{money_col.replace('_', ' ')}: "
                                     f"{_num(float(getattr(r, money_col)), f'{money}/{period}')}"})
                market_edges.append(eid)
    used = sorted(set(ex.loc[ex["chosen"], "material"]))
    facts = {"sectors": scolours,
             "node_legend": dict(node_legend) if node_colors and node_legend else None,
             "node_legend_title": node_legend_title or "Plants by colour",
             "materials": {m: colours[m] for m in used},
             "parks": sorted({str(p) for p in plants["park"] if p}),
             "plant_nodes": list(plants["plant"]), "market_nodes": market_nodes, "market_edges": market_edges,
             "candidate_nodes": candidate_nodes, "candidate_edges": candidate_edges,
             "candidates_total": int(len(idle)), "candidates_left_out": int(left_out),
             "pad": PARK_PAD, "title": PARK_TITLE}
    return nodes, edges, facts


def overview_data(result, nodes: list[dict], edges: list[dict], facts: dict) -> tuple[list[dict], list[dict]]:
    """One node per park (id ``"park:<name>"``; a plant outside any park stands for
    itself) at its plants' centre, and one edge per pair of parks and material with the
    chosen exchanges' flows summed (id ``"park:A->park:B:material"``); a park's own
    exchanges are summed in its tooltip."""
    period = (result.units or {}).get("period", "yr")
    plants = [n for n in nodes if not n.get("market")]
    group = {n["id"]: ("park:" + n["park"]) if n["park"] else n["id"] for n in plants}
    members: dict[str, list[dict]] = {}
    for n in plants:
        members.setdefault(group[n["id"]], []).append(n)
    unit = dict(zip(result.exchanges["material"], result.exchanges["unit"]))
    inner: dict[str, dict[str, float]] = {}
    between: dict[tuple[str, str, str], list] = {}
    for e in edges:
        if e.get("market") or not e["chosen_exchange"]:
            continue
        a, b = group[e["from"]], group[e["to"]]
        if a == b:
            inner.setdefault(a, {}).setdefault(e["material"], 0.0)
            inner[a][e["material"]] += e["flow"]
        else:
            acc = between.setdefault((a, b, e["material"]), [0.0, 0])
            acc[0] += e["flow"]
            acc[1] += 1
    out_nodes = []
    for g, ms in sorted(members.items()):
        if not g.startswith("park:"):
            n = dict(ms[0])
            n.pop("ext", None)
            out_nodes.append(n)
            continue
        name = g[5:]
        sectors: dict[str, int] = {}
        for n in ms:
            sectors[n["group_sector"]] = sectors.get(n["group_sector"], 0) + 1
        built = sum(1 for n in ms if n["status"] == "candidate" and n["built"])
        lines = [name, f"{len(ms)} plants: " + ", ".join(f"{k} {s.replace('_', ' ')}" for s, k in
                                                       sorted(sectors.items(), key=lambda kv: -kv[1]))]
        if built:
            lines.append(f"{built} new plants built")
        if inner.get(g):
            lines.append("exchanged inside the park:")
            lines += [f"  {m}: " + _num(v, unit.get(m, "") + "/" + period) for m, v in sorted(inner[g].items())]
        lines.append("click to show its plants")
        top = max(sectors, key=lambda s: (sectors[s], s))
        colour = facts["sectors"].get(top, "#777777")
        out_nodes.append({"id": g, "label": wrap(name, 22, 2), "park_node": True, "park": name,
                          "size": round(10 + 5 * math.sqrt(len(ms)), 1), "shape": "dot", "tip": "\n".join(lines),
                          "x": round(sum(n["x"] for n in ms) / len(ms), 1),
                          "y": round(sum(n["y"] for n in ms) / len(ms), 1), "borderWidth": 2,
                          "color": {"background": colour, "border": "#333333"}})
    # parks closer together than their plants are: the typical distance to the nearest
    # park becomes about 150 px, so park nodes and names read at the zoom that fits all
    if len(out_nodes) > 2:
        import numpy as np
        xy = np.array([(n["x"], n["y"]) for n in out_nodes], dtype=float)
        if len(xy) <= 4000:
            d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
            np.fill_diagonal(d, np.inf)
            near = float(np.median(d.min(1)))
            k = min(1.0, 150.0 / near) if near > 0 else 1.0
            for n, (x, y) in zip(out_nodes, xy):
                n["x"], n["y"] = round(x * k, 1), round(y * k, 1)
    fmax: dict[str, float] = {}
    for (a, b, m), (f, k) in between.items():
        fmax[unit.get(m, "")] = max(fmax.get(unit.get(m, ""), 0.0), f)
    out_edges = []
    for (a, b, m), (f, k) in sorted(between.items()):
        u = unit.get(m, "")
        c = facts["materials"].get(m, "#999999")
        out_edges.append({"id": f"{a}->{b}:{m}", "from": a, "to": b, "material": m, "arrows": "to",
                          "flow": f, "chosen_exchange": True, "park_edge": True,
                          "width": round(1 + 9 * f / fmax[u], 2) if fmax.get(u, 0) > 0 else 1,
                          "color": {"color": c, "highlight": c, "opacity": 0.85},
                          "tip": f"{m}: {a[5:] if a.startswith('park:') else a} -> "
                                 f"{b[5:] if b.startswith('park:') else b}\n"
                                 f"flow: {_num(f, f'{u}/{period}')} in {k} exchange{'s' if k > 1 else ''}"})
    return out_nodes, out_edges


# --------------------------------------------------------------------------- page
_EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//[^>]*>"""
    r"""|@import\s+(?:url\()?\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.I)


def external_refs(page: str) -> list[str]:
    """Scripts, stylesheets, images, frames or CSS imports the page would fetch from the
    network (http, https or protocol-relative). An offline page has none."""
    return [m.group(0)[:200] for m in _EXTERNAL.finditer(page)]


def _strip_external(page: str) -> str:
    """Drop pyvis's CDN links (Bootstrap CSS and JS): its select and filter menus, which
    we do not use, are the only reason it links them."""
    page = re.sub(r"<link\b[^>]*href\s*=\s*[\"']https?://[^>]*>", "", page, flags=re.I | re.S)
    page = re.sub(r"<script\b[^>]*src\s*=\s*[\"']https?://[^>]*>\s*</script>", "", page, flags=re.I | re.S)
    # a commented-out local vis.js link, and a source map DevTools would try to fetch
    page = re.sub(r"<!--\s*<link[^>]*>\s*<script[^>]*>\s*</script>\s*-->", "", page, flags=re.I | re.S)
    return page.replace("//# sourceMappingURL=vis-network.min.js.map", "")


_CSS = """
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; }
center:empty, center > h1:empty { display: none; }
#sym-header { padding: 8px 14px; border-bottom: 1px solid #ddd; display: flex; gap: 18px; align-items: baseline;
              flex-wrap: wrap; }
#sym-header h1 { font-size: 18px; margin: 0; }
#sym-header .kpi { font-size: 13px; color: #444; }
#sym-wrap { display: flex; align-items: stretch; }
#sym-wrap > .card { flex: 1 1 auto; min-width: 0; }
#mynetwork { float: none !important; border: none !important; position: relative; }
#sym-legend { flex: 0 0 230px; background: #fafafa; border-left: 1px solid #ddd; padding: 8px 12px;
              font-size: 12px; overflow-y: auto; }
#sym-legend h3 { font-size: 12px; margin: 6px 0 3px; text-transform: uppercase; color: #666; }
#sym-legend .row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
#sym-legend .sw { width: 12px; height: 12px; border-radius: 50%; display: inline-block; flex: none; }
#sym-legend .ln { width: 22px; height: 4px; display: inline-block; flex: none; }
#sym-legend .dia { width: 10px; height: 10px; transform: rotate(45deg); display: inline-block; flex: none;
                   margin: 0 1px; }
#sym-legend label { cursor: pointer; }
#sym-legend select { width: 100%; }
#sym-legend .note { color: #666; margin: 4px 0; }
#sym-tip { position: absolute; z-index: 10; pointer-events: none; white-space: pre-line; font-size: 12px;
           max-width: 420px; background: #fffff0; border: 1px solid #999; border-radius: 3px; padding: 5px 7px;
           box-shadow: 2px 2px 6px rgba(0,0,0,0.2); }
"""

_JS = """
(function () {
  var facts = %(facts)s;
  var physics = %(physics)s;
  var showCand = %(show_unchosen)s;
  var view = window.symbiosisView = {ready: false, facts: facts, mode: facts.start_mode, tip: null};
  var detail = null;
  function getDetail() {
    if (detail) return detail;
    var el = document.getElementById('sym-detail');
    if (el) detail = JSON.parse(el.textContent);
    return detail;
  }
  function setHidden(dataset, ids, hidden) {
    var have = ids.filter(function (id) { return dataset.get(id) !== null; });
    dataset.update(have.map(function (id) { return {id: id, hidden: hidden}; }));
  }
  view.showCandidates = function (show) {
    showCand = show;
    setHidden(edges, facts.candidate_edges, !show);
    setHidden(nodes, facts.candidate_nodes, !show);
    var box = document.getElementById('toggle-candidates'); if (box) box.checked = show;
  };
  view.showMarket = function (show) {
    setHidden(edges, facts.market_edges, !show);
    setHidden(nodes, facts.market_nodes, !show);
    var box = document.getElementById('toggle-market'); if (box) box.checked = show;
  };
  // ------------------------------------------------------------ tooltips
  var container = document.getElementById('mynetwork');
  var tip = document.createElement('div');
  tip.id = 'sym-tip'; tip.style.display = 'none'; container.appendChild(tip);
  function hideTip() { tip.style.display = 'none'; view.tip = null; }
  function showTip(text, pointer) {
    if (!text) { hideTip(); return; }
    tip.textContent = text; tip.style.display = 'block'; view.tip = text;
    var w = container.clientWidth, h = container.clientHeight;
    var x = pointer.DOM.x + 14, y = pointer.DOM.y + 14;
    if (x + tip.offsetWidth > w) x = Math.max(0, pointer.DOM.x - 14 - tip.offsetWidth);
    if (y + tip.offsetHeight > h) y = Math.max(0, pointer.DOM.y - 14 - tip.offsetHeight);
    tip.style.left = x + 'px'; tip.style.top = y + 'px';
  }
  view.hideTip = hideTip;
  network.on('hoverNode', function (p) { var n = nodes.get(p.node); showTip(n && n.tip, p.pointer); });
  network.on('hoverEdge', function (p) {
    var e = edges.get(p.edge); if (!e || e.hidden) { hideTip(); return; }
    // every exchange drawn between the two plants under the pointer, chosen ones first
    var same = edges.get({filter: function (x) {
      return !x.hidden && ((x.from === e.from && x.to === e.to) || (x.from === e.to && x.to === e.from)); }});
    same.sort(function (a, b) { return (b.chosen_exchange - a.chosen_exchange) || (b.flow - a.flow); });
    var texts = same.slice(0, 4).map(function (x) { return x.tip; });
    if (same.length > 4) texts.push('... and ' + (same.length - 4) + ' more between these two');
    showTip(texts.join('\\n\\n'), p.pointer);
  });
  ['blurNode', 'blurEdge', 'dragStart', 'zoom', 'click'].forEach(function (ev) { network.on(ev, hideTip); });
  container.addEventListener('mouseleave', hideTip);
  // ------------------------------------------------------------ views of a region
  var select = document.getElementById('park-select');
  view.show = function (mode) {
    var d = getDetail(); if (!d) return false;
    hideTip();
    var ns, es;
    if (mode === 'overview') { ns = d.park_nodes; es = d.park_edges; }
    else {
      var inside = {}, keep = {};
      d.nodes.forEach(function (n) { if (mode === 'all' || n.park === mode) inside[n.id] = true; });
      es = d.edges.filter(function (e) {
        var a = inside[e.from], b = inside[e.to];
        return (mode === 'all' || e.candidate) ? (a && b) : (a || b);
      });
      es.forEach(function (e) { keep[e.from] = true; keep[e.to] = true; });
      ns = d.nodes.filter(function (n) { return inside[n.id] || keep[n.id]; }).map(function (n) {
        var m = Object.assign({}, n);
        if (!inside[n.id]) {  // a plant of another park this one trades with
          m.outside = true; m.color = {background: '#eeeeee', border: '#999999'}; m.font = {color: '#888888'};
        }
        if (m.candidate) m.hidden = !showCand;
        return m;
      });
      es = es.map(function (e) { return e.candidate ? Object.assign({}, e, {hidden: !showCand}) : e; });
    }
    nodes.clear(); edges.clear();
    network.setOptions({edges: {smooth: es.length <= 1500 ? {enabled: true, type: 'curvedCW', roundness: 0.12}
                                                            : {enabled: false}}});
    nodes.add(ns); edges.add(es);
    view.mode = mode;
    if (select) select.value = mode;
    network.fit();
    return true;
  };
  if (select) select.addEventListener('change', function () { view.show(select.value); });
  network.on('click', function (p) {
    if (!p.nodes.length) return;
    var n = nodes.get(p.nodes[0]);
    if (n && n.park_node) view.show(n.park);
  });
  var tc = document.getElementById('toggle-candidates');
  if (tc) tc.addEventListener('change', function () { view.showCandidates(tc.checked); });
  var tm = document.getElementById('toggle-market');
  if (tm) tm.addEventListener('change', function () { view.showMarket(tm.checked); });
  // ------------------------------------------------------------ park boxes
  network.on('beforeDrawing', function (ctx) {
    if (facts.parks.length < 1) return;
    var all = nodes.get({filter: function (n) { return n.park && !n.hidden && !n.outside && !n.park_node; }});
    if (!all.length) return;
    var pos = network.getPositions(all.map(function (n) { return n.id; })), boxes = {};
    all.forEach(function (n) {
      var p = pos[n.id]; if (!p) return;
      var x = n.ext || [20, 20, 20, 40];
      var b = boxes[n.park] || (boxes[n.park] = {x0: 1e18, y0: 1e18, x1: -1e18, y1: -1e18});
      b.x0 = Math.min(b.x0, p.x - x[0]); b.x1 = Math.max(b.x1, p.x + x[1]);
      b.y0 = Math.min(b.y0, p.y - x[2]); b.y1 = Math.max(b.y1, p.y + x[3]);
    });
    ctx.save();
    ctx.font = 'bold 16px sans-serif';
    Object.keys(boxes).forEach(function (park) {
      var b = boxes[park], pad = facts.pad, head = facts.title;
      var x0 = b.x0 - pad, y0 = b.y0 - pad - head, w = Math.max(b.x1 - b.x0 + 2 * pad,
                                                              ctx.measureText(park).width + 12);
      ctx.fillStyle = 'rgba(120,140,170,0.07)'; ctx.strokeStyle = 'rgba(90,110,140,0.45)';
      ctx.lineWidth = 1; ctx.setLineDash([6, 4]);
      ctx.beginPath(); ctx.rect(x0, y0, w, b.y1 - b.y0 + 2 * pad + head); ctx.fill(); ctx.stroke();
      ctx.setLineDash([]); ctx.fillStyle = 'rgba(60,70,90,0.9)';
      ctx.fillText(park, x0 + 6, y0 + 18);
    });
    ctx.restore();
  });
  function done() {
    if (view.ready) return;
    network.setOptions({physics: false});
    network.fit();
    var m = /^#park=(.+)$/.exec(window.location.hash || '');
    if (m && getDetail()) view.show(decodeURIComponent(m[1]));
    view.ready = true;
    document.body.setAttribute('data-ready', 'true');
  }
  if (physics) {
    network.once('stabilizationIterationsDone', done);
    setTimeout(done, 8000);  // never leave a page moving
  } else {
    network.once('afterDrawing', done);
    network.redraw();
  }
})();
"""


def _legend(facts: dict, *, market: bool, show_unchosen: bool, show_market: bool) -> str:
    e = _html.escape
    parts = ['<div id="sym-legend">']
    if facts.get("start_mode") == "overview":
        opts = ['<option value="overview">parks (overview)</option>', '<option value="all">every plant</option>']
        opts += [f'<option value="{e(p, quote=True)}">{e(p)}</option>' for p in facts["parks"]]
        parts.append('<h3>View</h3>')
        if facts.get("detail_href"):
            parts.append(f'<div class="note">{facts["n_plants"]:,} plants in {len(facts["parks"]):,} parks, '
                         f'flows summed between parks. <a href="{e(facts["detail_href"], quote=True)}" '
                         'target="_blank">Open the detailed view</a> to see each park\'s plants.</div>')
        else:
            parts.append(f'<select id="park-select">{"".join(opts)}</select>'
                         f'<div class="note">{facts["n_plants"]:,} plants in {len(facts["parks"]):,} parks: '
                         'flows summed between parks; click a park or choose it here to see its plants.</div>')
    if facts.get("node_legend"):  # colours given by the caller (e.g. by company) instead of sectors
        parts.append(f'<h3>{e(facts["node_legend_title"])}</h3><div id="node-legend">')
        for label, c in facts["node_legend"].items():
            parts.append(f'<div class="row"><span class="sw" style="background:{e(c, quote=True)}"></span>'
                         f'{e(label)}</div>')
        parts.append('</div>')
    else:
        parts.append('<h3>Sectors</h3>')
        for s, c in facts["sectors"].items():
            parts.append(f'<div class="row"><span class="sw" style="background:{c}"></span>'
                         f'{e(s.replace("_", " "))}</div>')
    parts.append('<h3>Plants</h3>'
                 '<div class="row"><span class="sw" style="background:#999"></span>existing</div>'
                 '<div class="row"><span class="dia" style="background:#999;border:2px solid #111"></span>'
                 'newly built</div>'
                 '<div class="row"><span class="dia" style="background:#eee;border:1px dashed #888"></span>'
                 'candidate, not built</div>')
    if facts["materials"]:
        parts.append('<h3>Exchanges (width = flow)</h3>')
        for m, c in facts["materials"].items():
            parts.append(f'<div class="row"><span class="ln" style="background:{c}"></span>{e(m.replace("_", " "))}</div>')
    if not facts.get("detail_href"):
        parts.append('<h3>Show</h3>'
                     f'<div class="row"><label><input type="checkbox" id="toggle-candidates"'
                     f'{" checked" if show_unchosen else ""}> candidates not chosen '
                     f'({len(facts["candidate_edges"]):,} exchanges, {len(facts["candidate_nodes"]):,} plants)'
                     '</label></div>')
        if facts.get("candidates_left_out"):
            parts.append(f'<div class="note" id="candidates-note">the {len(facts["candidate_edges"]):,} shortest of '
                         f'{facts["candidates_total"]:,} candidate exchanges not chosen are drawn; all are listed '
                         'in exchanges.csv.</div>')
        if facts.get("start_mode") == "overview":
            parts.append('<div class="note">candidates show in the views of plants.</div>')
    if market:
        parts.append(f'<div class="row"><label><input type="checkbox" id="toggle-market"'
                     f'{" checked" if show_market else ""}> market (purchases, sales, landfill)</label></div>')
    parts.append('</div>')
    return "".join(parts)


def network_html(result, path, *, show_unchosen: bool | None = None, market: bool = True,
                 show_market: bool | None = None, height: str = "820px", title: str | None = None,
                 physics: bool | None = None, overview: bool | None = None,
                 max_candidates: int | None = MAX_CANDIDATES, detail_href: str | None = None,
                 node_colors: dict[str, str] | None = None, node_legend: dict[str, str] | None = None,
                 node_legend_title: str | None = None) -> Path:
    """Write the network of ``result`` to ``path`` as one HTML file that opens offline.

    Parameters
    ----------
    result : a :class:`symbiosis.result.Result`.
    path : file to write.
    show_unchosen : show candidate exchanges and plants not chosen when the page opens
        (default: when there are at most 300 such exchanges); the page's checkbox
        ``#toggle-candidates`` switches them either way.
    market : add market nodes (purchases, sales, landfill) with their flows; they can be
        switched by ``#toggle-market``; ``show_market`` sets whether they show at first
        (default: for parks of at most 12 plants; they crowd bigger ones). Not in the
        overview of a region.
    physics : run vis-network's physics once from the computed positions, then freeze it
        (default off: the computed layout keeps each park together, which physics pulls
        apart; never on for more than ``PHYSICS_MAX_NODES`` nodes).
    overview : open on one node per park with flows summed between parks, and a park
        selector (default: for more than ``OVERVIEW_OVER`` plants).
    max_candidates : candidate exchanges not chosen drawn at most (the shortest); None: all.
    detail_href : write the overview only, without the plants, and link to this page for
        them (see :func:`network_overview_html`).
    node_colors : plant -> CSS colour (``"#1f77b4"``): these plants take it instead of their
        sector's colour (e.g. by company, :func:`symbiosis.gains.company_colors`); plants
        not named keep theirs.
    node_legend : label -> CSS colour, shown with ``node_colors`` in place of the legend
        of sectors, under ``node_legend_title``.

    Returns
    -------
    Path of the written file.
    """
    if overview is None:
        overview = len(result.plants) > OVERVIEW_OVER
    if detail_href:
        overview = True
    n_unchosen = int((~result.exchanges["chosen"]).sum())
    if show_unchosen is None:
        show_unchosen = n_unchosen <= 300
    if show_market is None:
        show_market = len(result.plants) <= 12
    market = market and not overview
    nodes, edges, facts = network_data(result, market=market, show_unchosen=show_unchosen,
                                       max_candidates=max_candidates, node_colors=node_colors,
                                       node_legend=node_legend, node_legend_title=node_legend_title)
    if market and not show_market:
        hide = set(facts["market_nodes"]) | set(facts["market_edges"])
        for item in nodes + edges:
            if item["id"] in hide:
                item["hidden"] = True
    facts["start_mode"] = "overview" if overview else "plants"
    facts["n_plants"] = len(result.plants)
    facts["detail_href"] = detail_href
    detail = None
    if overview:
        park_nodes, park_edges = overview_data(result, nodes, edges, facts)
        if not detail_href:
            detail = {"nodes": nodes, "edges": edges, "park_nodes": park_nodes, "park_edges": park_edges}
        nodes, edges = park_nodes, park_edges
    physics = bool(physics) and len(nodes) <= PHYSICS_MAX_NODES and not overview
    net = Network(height=height, width="100%", directed=True, cdn_resources="in_line", heading="")
    # the rows are unique by construction, so fill pyvis's lists directly:
    # add_node/add_edge scan every node per call (quadratic on a few hundred plants)
    net.nodes = nodes
    net.edges = edges
    net.node_ids = [n["id"] for n in nodes]
    net.node_map = {n["id"]: n for n in nodes}
    options = {
        "nodes": {"font": {"size": 13, "face": "sans-serif", "multi": False}},
        "edges": {"smooth": {"enabled": len(edges) <= 1500, "type": "curvedCW", "roundness": 0.12},
                  "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}}, "arrowStrikethrough": False},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": len(edges) > 800,
                        "navigationButtons": False, "keyboard": False},
        "physics": {"enabled": bool(physics), "solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 120, "avoidOverlap": 0.4},
                    "stabilization": {"enabled": True, "iterations": 300, "fit": True}},
        "layout": {"randomSeed": 7, "improvedLayout": False},
    }
    net.set_options(json.dumps(options))
    page = _strip_external(net.generate_html())
    r = result
    heading = _html.escape(title or f"{r.case_name}: exchange network ({r.objective})")
    kpis = []
    for name, label in (("reuse_rate", "reuse rate"), ("byproducts_reused", "by-products reused"),
                        ("byproducts_disposed", "disposed"), ("exchanges_open", "exchanges open"),
                        ("new_plants", "new plants")):
        if name in r.kpis.index:
            v, unit = r.kpi(name), r.kpis.loc[name, "unit"]
            text = f"{v:.1%}" if unit == "fraction" else (f"{v:.0f}" if unit == "count" else _num(v, unit))
            kpis.append(f'<span class="kpi"><b>{_html.escape(label)}</b> {_html.escape(text)}</span>')
    header = f'<div id="sym-header"><h1>{heading}</h1>{"".join(kpis)}</div><div id="sym-wrap">'
    legend = _legend(facts, market=bool(facts["market_nodes"]), show_unchosen=show_unchosen,
                     show_market=show_market)
    page = page.replace("</head>", f"<title>{heading}</title><style>{_CSS}</style></head>", 1)
    page = re.sub(r"<body>", lambda m: "<body>" + header, page, count=1)
    # pyvis's card holds the canvas; the legend sits beside it in our flex wrapper
    page, n = re.subn(r'(<div id="mynetwork"[^>]*></div>\s*</div>)', lambda m: m.group(1) + legend + "</div>",
                      page, count=1)
    if n != 1:
        raise RuntimeError("pyvis's page template changed: cannot place the legend")
    script = _JS % {"facts": json.dumps(facts), "physics": "true" if physics else "false",
                    "show_unchosen": "true" if show_unchosen else "false"}
    blob = ""
    if detail is not None:  # the plants, drawn on request; "</" escaped so no tag closes early
        blob = ('<script type="application/json" id="sym-detail">'
                + json.dumps(detail, separators=(",", ":")).replace("</", "<\\/") + "</script>")
    idx = page.rfind("</body>")
    page = page[:idx] + blob + "<script>" + script + "</script>" + page[idx:]
    bad = external_refs(page)
    if bad:  # pyvis changed its template: refuse to write a page that needs the internet
        raise RuntimeError(f"the network page would load from the internet: {bad[:3]}")
    out = Path(path)
    out.write_text(page, encoding="utf-8")
    return out


def network_overview_html(result, path, *, detail_href: str = "network.html", **kw) -> Path:
    """A small page for embedding (e.g. in report.html): for a region of more than
    ``OVERVIEW_OVER`` plants, the overview of parks and the flows between them only, with a
    link to ``detail_href`` (the full network.html beside it) for the plants; for a
    smaller park, the full network page itself."""
    if len(result.plants) > OVERVIEW_OVER:
        return network_html(result, path, detail_href=detail_href, **kw)
    return network_html(result, path, **kw)


# ====================================================================== phased plans: a period selector
_PERIODS_CSS = """
#period-select { display: inline-flex; gap: 4px; align-items: center; font-size: 13px; }
#period-select button { border: 1px solid #999; background: #f4f4f4; border-radius: 4px; padding: 2px 9px;
                        cursor: pointer; font-size: 13px; }
#period-select button.on { background: #334; color: #fff; border-color: #334; }
#period-kpis { font-size: 13px; color: #444; }
"""

_PERIODS_JS = """
(function () {
  var data = JSON.parse(document.getElementById('sym-periods').textContent);
  var ctl = window.symbiosisPeriods = {period: null, names: data.names};
  function visible(ds) { return ds.get({filter: function (x) { return !x.hidden; }}).length; }
  ctl.counts = function () { return {nodes: visible(nodes), edges: visible(edges)}; };
  ctl.show = function (name) {
    var d = data.periods[name]; if (!d) return false;
    if (window.symbiosisView && window.symbiosisView.hideTip) window.symbiosisView.hideTip();
    nodes.clear(); edges.clear(); nodes.add(d.nodes); edges.add(d.edges);
    ctl.period = name;
    document.querySelectorAll('#period-select button').forEach(function (b) {
      b.classList.toggle('on', b.getAttribute('data-period') === name); });
    var k = document.getElementById('period-kpis'); if (k) k.textContent = d.kpis;
    document.body.setAttribute('data-period', name);
    network.fit();
    return true;
  };
  document.querySelectorAll('#period-select button').forEach(function (b) {
    b.addEventListener('click', function () { ctl.show(b.getAttribute('data-period')); }); });
  ctl.show(data.start);
})();
"""


def period_network_data(phased) -> dict:
    """Per period of a phased plan (:class:`symbiosis.phased.PhasedResult`), the network as
    it stands then: the plants existing or built by that period and the exchanges in use,
    as vis-network nodes and edges (:func:`network_data` of the period's result, less the
    candidates not built yet and the exchanges not chosen), with one colour per material
    over all periods. Returns {"names": [...], "periods": {name: {"nodes", "edges",
    "kpis", "label"}}}."""
    names = [p["name"] for p in phased.periods]
    chosen_last = phased.results[names[-1]].exchanges
    every = []
    for n in names:
        ex = phased.results[n].exchanges
        every += list(ex.loc[ex["chosen"], "material"])
    colours = material_colours(every, first=chosen_last.loc[chosen_last["chosen"], "material"])
    out = {"names": names, "periods": {}}
    for p in phased.periods:
        r = phased.results[p["name"]]
        nodes, edges, _facts = network_data(r, market=False, show_unchosen=False, max_candidates=0)
        nodes = [n for n in nodes if not n.get("candidate")]
        edges = [e for e in edges if not e.get("candidate")]
        for e in edges:
            c = colours.get(e["material"])
            if c and isinstance(e.get("color"), dict):
                e["color"] = {**e["color"], "color": c, "highlight": c}
        built = [n["id"] for n in nodes if n.get("status") == "candidate"]
        kpis = (f"{p['name']} ({p['start']}-{p['end']}): reuse rate {r.kpi('reuse_rate'):.1%}, "
                f"{len(nodes)} plants running or built ({len(built)} new), {len(edges)} exchanges in use")
        out["periods"][p["name"]] = {"nodes": nodes, "edges": edges, "kpis": kpis,  # type: ignore[index]
                                     "label": f"{p['name']} ({p['start']}-{p['end']})"}
    return out


def network_periods_html(phased, path, *, title: str | None = None, start: str | None = None,
                         height: str = "820px") -> Path:
    """Write the network of a phased plan with a period selector (one button per period,
    ``#period-select``): each button shows the network as it stands in that period
    (:func:`period_network_data`). One offline HTML file; the page of the last period is
    drawn by :func:`network_html` and the other periods are swapped in by the selector.
    ``window.symbiosisPeriods.show(name)`` and ``.counts()`` drive it from a script.
    ``start``: the period shown first (default the last)."""
    data = period_network_data(phased)
    names = data["names"]
    start = start if start in names else names[-1]
    data["start"] = start
    last = phased.results[names[-1]]
    heading = title or f"{phased.case_name}: the plan's network by period ({phased.objective})"
    out = network_html(last, path, show_unchosen=False, market=False, title=heading, overview=False,
                       height=height)
    page = out.read_text(encoding="utf-8")
    page = re.sub(r'<span class="kpi">.*?</span>', "", page)  # the last period's figures: the selector's instead
    page = re.sub(r'<h3>Show</h3><div class="row"><label><input type="checkbox" id="toggle-candidates".*?</label></div>',
                  '<h3>Show</h3><div class="note">each period shows the plants existing or built by then and the '
                  'exchanges in use; candidates not built are left out.</div>', page, count=1, flags=re.S)
    e = _html.escape
    buttons = "".join(f'<button type="button" data-period="{e(n, quote=True)}">{e(data["periods"][n]["label"])}'
                      f"</button>" for n in names)
    selector = (f'<div id="period-select"><b>Period</b> {buttons}</div><span id="period-kpis"></span>')
    page, n = re.subn(r'(<div id="sym-header"><h1>.*?</h1>)', lambda m: m.group(1) + selector, page, count=1,
                      flags=re.S)
    if n != 1:
        raise RuntimeError("the network page has no header to hold the period selector")
    page = page.replace("</head>", f"<style>{_PERIODS_CSS}</style></head>", 1)
    blob = ('<script type="application/json" id="sym-periods">'
            + json.dumps(data, separators=(",", ":")).replace("</", "<\\/") + "</script>")
    idx = page.rfind("</body>")
    page = page[:idx] + blob + "<script>" + _PERIODS_JS + "</script>" + page[idx:]
    out.write_text(page, encoding="utf-8")
    return out
