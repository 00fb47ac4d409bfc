"""Which rendering path stays interactive with 10,000+ edges: vis-network (physics off,
positions given, straight edges) or plotly WebGL (scattergl lines, one trace per
material)? Draws random regions of N plants and E edges, offline in headless chromium,
and prints the time to the first drawn frame and to a redraw after a zoom. Measures only.

    python benchmarks/bench_render_paths.py [N:E ...]   (default 1000:3000 3000:10000 3000:30000)
"""
from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import plotly.offline
import pyvis

VIS = (Path(pyvis.__file__).parent / "templates/lib/vis-9.1.2/vis-network.min.js").read_text()
CHROMIUM = os.environ.get("SYMBIOSIS_CHROMIUM", "/usr/bin/chromium")


def data(n, e, seed=1):
    rnd = random.Random(seed)
    xy = [(rnd.uniform(0, 4000), rnd.uniform(0, 3000)) for _ in range(n)]
    edges = []
    for _ in range(e):
        a = rnd.randrange(n)
        b = min(n - 1, max(0, a + rnd.randint(-30, 30)))
        edges.append((a, b, rnd.randrange(12)))
    return xy, edges


def vis_page(xy, edges):
    nodes = [{"id": i, "x": x, "y": y, "label": f"p{i}", "size": 8} for i, (x, y) in enumerate(xy)]
    es = [{"from": a, "to": b, "arrows": "to", "width": 1 + m % 4, "color": {"color": f"hsl({m * 30},70%,45%)"}}
          for a, b, m in edges]
    return (f"<html><head><meta charset='utf-8'><script>{VIS}</script></head><body>"
            "<div id='n' style='width:1400px;height:900px'></div><script>"
            f"var nodes=new vis.DataSet({json.dumps(nodes)}), edges=new vis.DataSet({json.dumps(es)});"
            "var network=new vis.Network(document.getElementById('n'),{nodes:nodes,edges:edges},"
            "{physics:false,layout:{improvedLayout:false},edges:{smooth:false},interaction:{hideEdgesOnDrag:true}});"
            "network.once('afterDrawing',function(){window.ready=true;});"
            "window.zoom=function(){return new Promise(function(r){network.once('afterDrawing',r);"
            "network.moveTo({scale:2.0});});};</script></body></html>")


def plotly_page(xy, edges):
    traces = []
    for m in range(12):
        xs, ys = [], []
        for a, b, mm in edges:
            if mm == m:
                xs += [xy[a][0], xy[b][0], None]
                ys += [xy[a][1], xy[b][1], None]
        traces.append({"type": "scattergl", "mode": "lines", "x": xs, "y": ys, "hoverinfo": "skip",
                       "line": {"width": 1 + m % 4, "color": f"hsl({m * 30},70%,45%)"}})
    traces.append({"type": "scattergl", "mode": "markers", "x": [p[0] for p in xy], "y": [p[1] for p in xy],
                   "text": [f"p{i}" for i in range(len(xy))], "marker": {"size": 8}})
    return (f"<html><head><meta charset='utf-8'><script>{plotly.offline.get_plotlyjs()}</script></head><body>"
            "<div id='n' style='width:1400px;height:900px'></div><script>"
            f"Plotly.newPlot('n',{json.dumps(traces)},{{showlegend:false}}).then(function(){{window.ready=true;}});"
            "window.zoom=function(){return Plotly.relayout('n',{'xaxis.range':[1000,2000],'yaxis.range':[1000,1800]});};"
            "</script></body></html>")


def main(argv):
    from playwright.sync_api import sync_playwright
    sizes = [tuple(map(int, a.split(":"))) for a in argv] or [(1000, 3000), (3000, 10000), (3000, 30000)]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for n, e in sizes:
            xy, edges = data(n, e)
            for name, make in (("vis-network", vis_page), ("plotly scattergl", plotly_page)):
                f = Path(tmp) / f"{name.split()[0]}_{n}_{e}.html"
                f.write_text(make(xy, edges))
                page = b.new_page(viewport={"width": 1400, "height": 950})
                t0 = time.perf_counter()
                page.goto(f.as_uri())
                page.wait_for_function("window.ready === true", timeout=300_000, polling=20)
                first = time.perf_counter() - t0
                t0 = time.perf_counter()
                page.evaluate("() => window.zoom()")
                zoom = time.perf_counter() - t0
                print(f"{n:>6} plants {e:>6} edges  {name:<17} first render {first:6.2f} s, zoom redraw {zoom:5.2f} s, "
                      f"page {f.stat().st_size / 1e6:.1f} MB", flush=True)
                page.close()
        b.close()


if __name__ == "__main__":
    main(sys.argv[1:])
