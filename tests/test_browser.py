"""The written pages in a real browser (issue 4): Playwright driving Debian's chromium,
offline (every request outside file:// and data: is aborted and counted)."""
from __future__ import annotations

import os
import struct
import time
import zlib
from pathlib import Path

import pytest

from symbiosis.views import write_views
from symbiosis.views.network import edge_id

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SYMBIOSIS_SCREENSHOTS", "")) if os.environ.get("SYMBIOSIS_SCREENSHOTS") else None



class Page:
    """A page opened offline, with its console errors and the requests it tried."""

    def __init__(self, browser, width=1400, height=950):
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file://", "data:", "about:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, path: Path, ready: str | None = None, timeout=30_000) -> float:
        t0 = time.perf_counter()
        self.page.goto(path.resolve().as_uri())
        if ready:
            self.page.wait_for_function(ready, timeout=timeout)
        return time.perf_counter() - t0


def png_colours(data: bytes, step: int = 7) -> int:
    """Distinct colours in a PNG (8-bit RGB/RGBA, as Chromium writes), sampling every ``step``-th pixel."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    seen = set()
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # undo the PNG filter of the scanline
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        if y % step == 0:
            for x in range(0, width, step):
                seen.add(bytes(line[x * bpp:x * bpp + 3]))
    return len(seen)


READY = "window.symbiosisView && window.symbiosisView.ready"


@pytest.fixture(scope="module")
def tutorial_views(tmp_path_factory, tutorial_compared):
    folder = tmp_path_factory.mktemp("views")
    write_views(tutorial_compared["optimised"], folder, status_quo=tutorial_compared["status quo"])
    return folder, tutorial_compared["optimised"]


def test_network_page_renders_the_result(browser, tutorial_views):
    folder, r = tutorial_views
    pg = Page(browser)
    pg.open(folder / "network.html", READY)
    assert pg.errors == [] and pg.blocked == []
    ids = pg.page.evaluate("""() => ({
        nodes: network.body.data.nodes.getIds(), edges: network.body.data.edges.getIds(),
        drawn: Object.keys(network.body.nodes).length,
        plants: symbiosisView.facts.plant_nodes, market: symbiosisView.facts.market_nodes,
        marketEdges: symbiosisView.facts.market_edges})""")
    assert set(ids["plants"]) == set(r.plants["plant"])
    assert set(ids["nodes"]) == set(r.plants["plant"]) | set(ids["market"])
    assert ids["drawn"] >= len(ids["nodes"])
    plant_edges = {edge_id(x.source, x.target, x.material) for x in r.exchanges.itertuples()}
    assert set(ids["edges"]) == plant_edges | set(ids["marketEdges"])
    # one market edge per plant, material and kind of trade
    mk = r.market
    assert len(ids["marketEdges"]) == int((mk["purchase"] > 0).sum() + (mk["sale"] > 0).sum()
                                          + (mk["disposal"] > 0).sum())
    flows = pg.page.evaluate("() => edges.get({filter: e => e.chosen_exchange}).map(e => [e.id, e.flow])")
    chosen = {edge_id(x.source, x.target, x.material): x.flow for x in r.chosen_exchanges.itertuples()}
    assert dict(flows) == pytest.approx(chosen)
    physics = pg.page.evaluate("() => network.physics.physicsEnabled")
    assert physics is False  # frozen once laid out
    pg.page.close()


def _visible(pg, ids_expr: str) -> int:
    return pg.page.evaluate(f"() => {ids_expr}.filter(id => !network.body.data.edges.get(id).hidden"
                            f" && network.body.edges[id] && network.body.edges[id].options.hidden !== true).length")


def test_toggle_hides_and_shows_unchosen_candidates(browser, tmp_path, tutorial_compared):
    # the status quo leaves the slag and fly-ash exchanges unchosen and the cement plant unbuilt
    sq = tutorial_compared["status quo"]
    n_unchosen = int((~sq.exchanges["chosen"]).sum())
    assert n_unchosen > 0
    write_views(sq, tmp_path)
    pg = Page(browser)
    pg.open(tmp_path / "network.html", READY)
    facts = "symbiosisView.facts.candidate_edges"
    assert pg.page.evaluate(f"() => {facts}.length") == n_unchosen
    assert pg.page.is_checked("#toggle-candidates")
    assert _visible(pg, facts) == n_unchosen
    pg.page.click("#toggle-candidates")
    assert not pg.page.is_checked("#toggle-candidates")
    assert _visible(pg, facts) == 0
    assert pg.page.evaluate("() => nodes.get('slag_cement').hidden") is True
    chosen = "edges.getIds().filter(id => edges.get(id).chosen_exchange)"
    assert _visible(pg, chosen) == int(sq.exchanges["chosen"].sum())  # chosen ones stay
    pg.page.click("#toggle-candidates")
    assert _visible(pg, facts) == n_unchosen
    assert pg.page.evaluate("() => nodes.get('slag_cement').hidden") is False
    assert pg.errors == [] and pg.blocked == []
    pg.page.close()


def test_screenshot_is_not_blank(browser, tutorial_views):
    folder, _ = tutorial_views
    pg = Page(browser)
    pg.open(folder / "network.html", READY)
    pg.page.wait_for_timeout(200)
    shot = pg.page.screenshot(full_page=False)
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "network_tutorial.png").write_bytes(shot)
    assert png_colours(shot) > 20
    # the canvas itself holds a drawing, not a blank rectangle
    canvas = pg.page.evaluate("""() => {
        const c = document.querySelector('#mynetwork canvas'); const g = c.getContext('2d');
        const d = g.getImageData(0, 0, c.width, c.height).data; const s = new Set();
        for (let i = 0; i < d.length; i += 4 * 97) s.add(d[i] + ',' + d[i+1] + ',' + d[i+2] + ',' + d[i+3]);
        return s.size; }""")
    assert canvas > 10
    pg.page.close()


def test_few_hundred_plants_load_quickly(browser, tmp_path, big_result):
    from symbiosis.views import network_html
    network_html(big_result, tmp_path / "network.html")
    pg = Page(browser)
    seconds = pg.open(tmp_path / "network.html", READY)
    n = pg.page.evaluate("() => network.body.data.nodes.length")
    assert n == len(big_result.plants) + 3
    assert seconds < 15, f"{seconds:.1f} s to draw {n} plants"
    assert pg.errors == [] and pg.blocked == []
    if SHOTS:
        (SHOTS / "network_big.png").write_bytes(pg.page.screenshot())
        (SHOTS / "load_times.txt").write_text(f"{n} nodes: {seconds:.2f} s\n")
    pg.page.close()


def test_report_and_sankey_load_offline(browser, tutorial_views):
    folder, r = tutorial_views
    pg = Page(browser)
    pg.open(folder / "report.html")
    pg.page.wait_for_selector("#sankey .main-svg", timeout=20_000)
    frame = pg.page.frame_locator("#network-frame")
    frame.locator("#mynetwork canvas").wait_for(timeout=20_000)
    assert pg.page.locator(".card[data-kpi]").count() == 6
    assert "82.8%" in pg.page.inner_text("#kpi-cards")
    assert pg.errors == [] and pg.blocked == []
    if SHOTS:
        (SHOTS / "report.png").write_bytes(pg.page.screenshot(full_page=True))
    pg.page.close()
    pg = Page(browser)
    pg.open(folder / "sankey.html")
    pg.page.wait_for_selector(".sankey", timeout=20_000)
    n_links = pg.page.evaluate("() => document.querySelectorAll('.sankey-link').length")
    assert n_links > 0
    assert pg.errors == [] and pg.blocked == []
    pg.page.close()


def test_physics_layout_is_frozen_once_stable(browser, tmp_path, tutorial_result):
    from symbiosis.views import network_html
    network_html(tutorial_result, tmp_path / "network.html", physics=True)
    pg = Page(browser)
    pg.open(tmp_path / "network.html", READY)
    assert pg.page.evaluate("() => network.physics.physicsEnabled") is False
    before = pg.page.evaluate("() => network.getPositions()")
    pg.page.wait_for_timeout(300)
    assert pg.page.evaluate("() => network.getPositions()") == before
    assert pg.errors == [] and pg.blocked == []
    pg.page.close()


def test_sankey_tooltip_shows_the_flow_and_one_scale(browser, tutorial_views):
    """Hover a link of sankey.html: the tooltip names the material and its flow as a
    number with its unit (not a template plotly left unfilled); status quo and optimised
    nodes are drawn at one height per tonne."""
    import re
    folder, r = tutorial_views
    pg = Page(browser)
    pg.open(folder / "sankey.html")
    pg.page.wait_for_selector(".sankey-link", timeout=20_000)
    # the first view (by-products) of the optimised side: hover its widest link
    link = pg.page.evaluate_handle("""() => {
        const links = [...document.querySelectorAll('.sankey')[1].querySelectorAll('.sankey-link')];
        let best = null, w = -1;
        for (const l of links) { const b = l.getBoundingClientRect(); if (b.height * b.width > w) {
            w = b.height * b.width; best = l; } }
        return best; }""")
    box = link.as_element().bounding_box()
    pg.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    pg.page.wait_for_selector(".hoverlayer .hovertext", timeout=5_000)
    text = pg.page.evaluate("() => [...document.querySelectorAll('.hoverlayer .hovertext text tspan.line')]"
                            ".map(t => t.textContent).join('\\n')")
    assert "%{" not in text
    m = re.search(r"^(\w+) \((exchange|sale|disposal|purchase)\): ([\d,.]+) (k|M|G)?t/yr", text, flags=re.M)
    assert m, text
    value = float(m.group(3).replace(",", "")) * {"k": 1e3, "M": 1e6, "G": 1e9, None: 1}[m.group(4)]
    mat = m.group(1)
    ex, mk = r.chosen_exchanges, r.market
    flows = list(ex.loc[ex["material"] == mat, "flow"]) + \
        list(mk.loc[mk["material"] == mat, ["sale", "disposal", "purchase"]].to_numpy().ravel())
    assert any(abs(value - f) <= 0.051 * max(1.0, f) for f in flows if f > 0), (text, flows)
    # one scale: pixels per tonne of every node rectangle agree between the two diagrams
    ratios = pg.page.evaluate("""() => [...document.querySelectorAll('.sankey')].map(s =>
        [...s.querySelectorAll('.node-rect')].map(n => {
            const d = n.__data__; return d && d.node && d.node.value > 0 ? n.getBBox().height / d.node.value : null;
        }).filter(v => v !== null && isFinite(v)))""")
    assert len(ratios) == 2 and all(ratios)
    per_side = [sorted(x)[len(x) // 2] for x in ratios]
    assert per_side[0] == pytest.approx(per_side[1], rel=0.1), per_side
    assert pg.errors == [] and pg.blocked == []
    if SHOTS:
        (SHOTS / "sankey_hover.png").write_bytes(pg.page.screenshot())
    pg.page.close()
