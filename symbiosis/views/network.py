"""Interactive network view of a result, as one self-contained HTML file (pyvis).

The page opens offline: vis-network is inlined (``cdn_resources="in_line"``) and the
Bootstrap links pyvis 0.3.2 adds from a CDN are removed; :func:`external_refs` checks
the written page for any remaining http(s) script or stylesheet.

What the page shows:

- plants as nodes coloured by sector (legend), sized by activity (scaled within each
  activity unit), placed by longitude/latitude where the case gives them, else on a
  stable layout that groups plants by park; each park is outlined and named;
- existing plants as dots, newly built plants as diamonds with a dark border, candidate
  plants not built as faint dashed diamonds;
- chosen exchanges as arrows, width by flow (scaled within each unit), colour by
  material; candidate exchanges not chosen as faint dashed arrows, shown or hidden by the
  checkbox ``#toggle-candidates``;
- optional market nodes (``@market``, ``@sales``, ``@landfill``) with purchases, sales and
  disposal, shown or hidden by ``#toggle-market``;
- tooltips with the numbers: flow, distance, transport and fixed cost, the share of the
  sender's by-product the exchange takes, and the park's reuse rate of that material.

Hook for tests and scripts: the page keeps the vis DataSets ``nodes`` and ``edges`` and
the ``network`` as globals; ``window.symbiosisView`` holds the ids of plant, market,
candidate nodes and edges, and ``window.symbiosisView.ready`` turns true once the
network is drawn and its layout frozen.
"""
from __future__ import annotations

import hashlib
import html as _html
import json
import math
import re
from pathlib import Path

from pyvis.network import Network

SECTOR_COLOURS = {"power": "#e4572e", "chemicals": "#4c72b0", "building_materials": "#8c8c8c",
                  "coal": "#333333", "coking": "#8c564b", "metals": "#17becf", "waste": "#bcbd22",
                  "other": "#9467bd"}
EXTRA_COLOURS = ["#2ca02c", "#ff7f0e", "#d62728", "#e377c2", "#7f7f7f", "#1f77b4", "#aec7e8", "#98df8a"]
MATERIAL_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                    "#bcbd22", "#393b79", "#ff9896", "#7f7f7f", "#6b6ecf", "#e7ba52", "#00a087", "#843c39",
                    "#aec7e8", "#c49c94", "#3c5488", "#b5cf6b"]
MARKET_NODES = {"purchase": ("@market", "market (purchases)"), "sale": ("@sales", "sales"),
                "disposal": ("@landfill", "landfill / disposal")}
FAINT = "rgba(150,150,150,0.35)"
# Over this many nodes the page never runs physics: positions are computed here.
PHYSICS_MAX_NODES = 120


def sector_colour(sector: str) -> str:
    if sector in SECTOR_COLOURS:
        return SECTOR_COLOURS[sector]
    h = int(hashlib.md5(str(sector).encode()).hexdigest(), 16)
    return EXTRA_COLOURS[h % len(EXTRA_COLOURS)]


def material_colours(materials) -> dict[str, str]:
    """A stable colour per material: sorted names take the palette in turn; past the
    palette, hues step by the golden angle so neighbours stay apart."""
    import colorsys
    out = {}
    for i, m in enumerate(sorted(set(materials))):
        if i < len(MATERIAL_COLOURS):
            out[m] = MATERIAL_COLOURS[i]
        else:
            r, g, b = colorsys.hls_to_rgb((i * 0.618034) % 1.0, 0.42 if i % 2 else 0.55, 0.7)
            out[m] = f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
    return out


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


def layout(plants) -> dict[str, tuple[float, float]]:
    """Positions in pixels: from lon/lat where given (an equirectangular projection
    scaled to about 1,200 px), else around the park's centre on a sunflower spiral; parks
    without any coordinates sit on a grid beside the mapped ones. Plants sharing a
    location are spread around it. Deterministic: the same result gives the same page."""
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
        scale = 1200.0 / span if len(have) > 1 else 1.0
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
            park_centre.setdefault(str(r.park or ""), []).append(pos[r.plant])  # type: ignore[arg-type]
        park_centre = {p: (sum(x for x, _ in v) / len(v), sum(y for _, y in v) / len(v))
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
    return _separate(pos, min_gap=70.0)


def _separate(pos: dict[str, tuple[float, float]], min_gap: float, rounds: int = 60) -> dict:
    """Push apart plants closer than ``min_gap`` px (plants of one site share nearly one
    coordinate), moving each as little as possible; deterministic, vectorised."""
    import numpy as np
    names = sorted(pos)
    if len(names) < 2 or len(names) > 3000:
        return pos
    xy = np.array([pos[n] for n in names], dtype=float)
    for _ in range(rounds):
        d = xy[:, None, :] - xy[None, :, :]
        dist = np.sqrt((d ** 2).sum(-1))
        np.fill_diagonal(dist, np.inf)
        close = dist < min_gap
        if not close.any():
            break
        # coincident points: a fixed direction per pair so they separate
        same = dist < 1e-6
        if same.any():
            i, j = np.nonzero(np.triu(same))
            ang = (i * 2.399963 + j) % (2 * np.pi)
            xy[j] += np.stack([np.cos(ang), np.sin(ang)], axis=1) * 1.0
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            push = np.where(close, (min_gap - dist) / (2 * dist), 0.0)
        xy += (d * push[:, :, None]).sum(1) * 0.5
    return {n: (float(x), float(y)) for n, (x, y) in zip(names, xy)}


# --------------------------------------------------------------------------- data
def network_data(result, *, market: bool = False, show_unchosen: bool = True) -> tuple[list[dict], list[dict], dict]:
    """Nodes and edges of the view as vis-network dicts, and facts for the legend.

    Every plant is a node (id = plant name); every candidate exchange is an edge
    (id = ``"source->target:material"``); with ``market`` the market nodes and one edge per
    plant and material bought, sold or disposed of are added (id = ``"@sales<-pvc:pvc"`` ...).
    """
    plants = result.plants
    ex = result.exchanges
    mk = result.market
    mats = result.materials
    money = (result.units or {}).get("money", "CNY")
    period = (result.units or {}).get("period", "yr")
    pos = layout(plants)
    # largest activity per unit, for node sizes
    amax: dict[str, float] = {}
    for r in plants.itertuples():
        amax[r.activity_unit] = max(amax.get(r.activity_unit, 0.0), float(r.activity))
    nodes: list[dict] = []
    candidate_nodes: list[str] = []
    for r in plants.itertuples():
        colour = sector_colour(r.sector)
        act = float(r.activity)
        size = 12 + 28 * math.sqrt(act / amax[r.activity_unit]) if amax.get(r.activity_unit, 0) > 0 else 12
        new = r.status == "candidate"
        lines = [f"{r.label}" + (f" ({r.plant})" if r.label != r.plant else ""),
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
        node = {"id": r.plant, "label": r.plant, "title": "\n".join(lines), "group_sector": r.sector,
                "park": str(r.park or ""), "status": r.status, "built": bool(r.built), "size": round(size, 2),
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
                node["size"] = 12
                node["candidate"] = True
                candidate_nodes.append(r.plant)
        else:
            node["shape"] = "dot"
            if not r.built:
                node["color"] = {"background": FAINT, "border": colour}
        x, y = pos[r.plant]
        node["x"], node["y"] = round(x, 1), round(y, 1)
        nodes.append(node)
    # ------------------------------------------------------------------ exchanges
    out_of: dict[tuple[str, str], float] = {}  # by-product leaving each plant: exchanges + sales + disposal
    for r in ex.itertuples():
        out_of[(r.source, r.material)] = out_of.get((r.source, r.material), 0.0) + float(r.flow)
    for r in mk.itertuples():
        out_of[(r.plant, r.material)] = out_of.get((r.plant, r.material), 0.0) + float(r.sale) + float(r.disposal)
    rate = dict(zip(mats["material"], mats["reuse_rate"]))
    colours = material_colours(list(ex["material"]) + list(mk["material"]))
    fmax: dict[str, float] = {}
    for r in ex[ex["chosen"]].itertuples():
        fmax[r.unit] = max(fmax.get(r.unit, 0.0), float(r.flow))
    edges: list[dict] = []
    candidate_edges: list[str] = []
    for r in ex.itertuples():
        flow = float(r.flow)
        lines = [f"{r.material}: {r.source} -> {r.target}",
                 f"flow: {_num(flow, f'{r.unit}/{period}')}", f"distance: {float(r.distance):,.1f} km",
                 f"transport cost: {_num(float(r.transport_cost), f'{money}/{period}')}",
                 f"fixed cost: {_num(float(r.fixed_cost), f'{money}/{period}')}",
                 f"total cost: {_num(float(r.cost), f'{money}/{period}')}"]
        if r.kind == "byproduct":
            sent = out_of.get((r.source, r.material), 0.0)
            if sent > 0:
                lines.append(f"share of {r.source}'s {r.material} reused here: {flow / sent:.1%}")
            rr = rate.get(r.material)
            if rr is not None and not (isinstance(rr, float) and math.isnan(rr)):
                lines.append(f"park reuse rate of {r.material}: {float(rr):.1%}")
        lines.append("existing exchange" if r.existing else ("new exchange" if r.chosen else "candidate, not chosen"))
        if r.forced:
            lines.append("forced by the case")
        if r.forbidden:
            lines.append("forbidden by the case")
        e = {"id": edge_id(r.source, r.target, r.material), "from": r.source, "to": r.target, "material": r.material,
             "title": "\n".join(lines), "arrows": "to", "chosen_exchange": bool(r.chosen), "flow": flow}
        if r.chosen:
            e["color"] = {"color": colours[r.material], "highlight": colours[r.material], "opacity": 0.9}
            e["width"] = round(1 + 9 * flow / fmax[r.unit], 2) if fmax.get(r.unit, 0) > 0 else 1
            if not r.existing:
                e["dashes"] = False
        else:
            e["color"] = {"color": "#bbbbbb", "highlight": "#666666", "opacity": 0.35}
            e["width"] = 0.5
            e["dashes"] = [3, 5]
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
                          "title": f"{label}\ntotal: {tot}", "x": spot[kind][0], "y": spot[kind][1],
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
                              "title": f"{kind} of {r.material} at {r.plant}: {_num(v, f'{r.unit}/{period}')}"
                                       f"\n{money_col.replace('_', ' ')}: "
                                       f"{_num(float(getattr(r, money_col)), f'{money}/{period}')}"})
                market_edges.append(eid)
    used = sorted(set(ex.loc[ex["chosen"], "material"]))
    facts = {"sectors": {s: sector_colour(s) for s in sorted(set(plants["sector"]))},
             "materials": {m: colours[m] for m in used},
             "parks": sorted({str(p) for p in plants["park"] if p}),
             "plant_nodes": list(plants["plant"]), "market_nodes": market_nodes, "market_edges": market_edges,
             "candidate_nodes": candidate_nodes, "candidate_edges": candidate_edges}
    return nodes, edges, facts


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
#mynetwork { float: none !important; border: none !important; }
#sym-legend { flex: 0 0 230px; background: #fafafa; border-left: 1px solid #ddd; padding: 8px 12px;
              font-size: 12px; overflow-y: auto; }
#sym-legend h3 { font-size: 12px; margin: 6px 0 3px; text-transform: uppercase; color: #666; }
#sym-legend .row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
#sym-legend .sw { width: 12px; height: 12px; border-radius: 50%; display: inline-block; flex: none; }
#sym-legend .ln { width: 22px; height: 4px; display: inline-block; flex: none; }
#sym-legend .dia { width: 10px; height: 10px; transform: rotate(45deg); display: inline-block; flex: none;
                   margin: 0 1px; }
#sym-legend label { cursor: pointer; }
div.vis-tooltip { white-space: pre-line; font-size: 12px; max-width: 420px; }
"""

_JS = """
(function () {
  var facts = %(facts)s;
  var physics = %(physics)s;
  var view = window.symbiosisView = {ready: false, facts: facts};
  function setHidden(dataset, ids, hidden) {
    dataset.update(ids.map(function (id) { return {id: id, hidden: hidden}; }));
  }
  view.showCandidates = function (show) {
    setHidden(edges, facts.candidate_edges, !show);
    setHidden(nodes, facts.candidate_nodes, !show);
    var box = document.getElementById('toggle-candidates'); if (box) box.checked = show;
  };
  view.showMarket = function (show) {
    setHidden(edges, facts.market_edges, !show);
    setHidden(nodes, facts.market_nodes, !show);
    var box = document.getElementById('toggle-market'); if (box) box.checked = show;
  };
  var tc = document.getElementById('toggle-candidates');
  if (tc) tc.addEventListener('change', function () { view.showCandidates(tc.checked); });
  var tm = document.getElementById('toggle-market');
  if (tm) tm.addEventListener('change', function () { view.showMarket(tm.checked); });
  // outline and name each park behind the plants
  network.on('beforeDrawing', function (ctx) {
    if (facts.parks.length < 1) return;
    var pos = network.getPositions(facts.plant_nodes), boxes = {};
    facts.plant_nodes.forEach(function (id) {
      var n = nodes.get(id); if (!n || n.hidden || !pos[id]) return;
      var b = boxes[n.park] || (boxes[n.park] = {x0: 1e18, y0: 1e18, x1: -1e18, y1: -1e18});
      b.x0 = Math.min(b.x0, pos[id].x); b.y0 = Math.min(b.y0, pos[id].y);
      b.x1 = Math.max(b.x1, pos[id].x); b.y1 = Math.max(b.y1, pos[id].y);
    });
    ctx.save();
    Object.keys(boxes).forEach(function (park) {
      if (!park) return;
      var b = boxes[park], pad = 45;
      ctx.fillStyle = 'rgba(120,140,170,0.07)'; ctx.strokeStyle = 'rgba(90,110,140,0.45)';
      ctx.lineWidth = 1; ctx.setLineDash([6, 4]);
      ctx.beginPath(); ctx.rect(b.x0 - pad, b.y0 - pad, b.x1 - b.x0 + 2 * pad, b.y1 - b.y0 + 2 * pad);
      ctx.fill(); ctx.stroke();
      ctx.setLineDash([]); ctx.fillStyle = 'rgba(60,70,90,0.85)'; ctx.font = 'bold 16px sans-serif';
      ctx.fillText(park, b.x0 - pad + 6, b.y0 - pad - 8);
    });
    ctx.restore();
  });
  function done() {
    if (view.ready) return;
    network.setOptions({physics: false});
    network.fit();
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
    parts = ['<div id="sym-legend"><h3>Sectors</h3>']
    for s, c in facts["sectors"].items():
        parts.append(f'<div class="row"><span class="sw" style="background:{c}"></span>{e(s.replace("_", " "))}</div>')
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
    parts.append('<h3>Show</h3>'
                 f'<div class="row"><label><input type="checkbox" id="toggle-candidates"'
                 f'{" checked" if show_unchosen else ""}> candidates not chosen '
                 f'({len(facts["candidate_edges"])} exchanges, {len(facts["candidate_nodes"])} plants)</label></div>')
    if market:
        parts.append(f'<div class="row"><label><input type="checkbox" id="toggle-market"'
                     f'{" checked" if show_market else ""}> market (purchases, sales, landfill)</label></div>')
    parts.append('</div>')
    return "".join(parts)


def network_html(result, path, *, show_unchosen: bool | None = None, market: bool = True,
                 show_market: bool | None = None, height: str = "820px", title: str | None = None,
                 physics: bool | None = None) -> Path:
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
        (default: for parks of at most 12 plants; they crowd bigger ones).
    physics : run vis-network's physics once from the computed positions, then freeze it
        (default off: the computed layout keeps each park together, which physics pulls
        apart; never on for more than ``PHYSICS_MAX_NODES`` nodes).

    Returns
    -------
    Path of the written file.
    """
    n_unchosen = int((~result.exchanges["chosen"]).sum())
    if show_unchosen is None:
        show_unchosen = n_unchosen <= 300
    if show_market is None:
        show_market = len(result.plants) <= 12
    nodes, edges, facts = network_data(result, market=market, show_unchosen=show_unchosen)
    if market and not show_market:
        hide = set(facts["market_nodes"]) | set(facts["market_edges"])
        for item in nodes + edges:
            if item["id"] in hide:
                item["hidden"] = True
    physics = bool(physics) and len(nodes) <= PHYSICS_MAX_NODES
    net = Network(height=height, width="100%", directed=True, cdn_resources="in_line", heading="")
    # the DataFrame rows are unique by construction, so fill pyvis's lists directly:
    # add_node/add_edge scan every node per call (quadratic on a few hundred plants)
    net.nodes = nodes
    net.edges = edges
    net.node_ids = [n["id"] for n in nodes]
    net.node_map = {n["id"]: n for n in nodes}
    options = {
        "nodes": {"font": {"size": 13, "face": "sans-serif"}},
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
    page = re.sub(r"<body>", "<body>" + header, page, count=1)
    # close our wrapper after pyvis's card and add the legend inside it
    # pyvis's card holds the canvas; the legend sits beside it in our flex wrapper
    page, n = re.subn(r'(<div id="mynetwork"[^>]*></div>\s*</div>)', lambda m: m.group(1) + legend + "</div>",
                      page, count=1)
    if n != 1:
        raise RuntimeError("pyvis's page template changed: cannot place the legend")
    script = _JS % {"facts": json.dumps(facts), "physics": "true" if physics else "false"}
    idx = page.rfind("</body>")
    page = page[:idx] + "<script>" + script + "</script>" + page[idx:]
    bad = external_refs(page)
    if bad:  # pyvis changed its template: refuse to write a page that needs the internet
        raise RuntimeError(f"the network page would load from the internet: {bad[:3]}")
    out = Path(path)
    out.write_text(page, encoding="utf-8")
    return out
