"""Screenshots of the views of a solved case, for docs/views.md (issue 13).

    symbiosis solve cases/changzhi.yaml --out /tmp/changzhi
    python benchmarks/screenshots.py /tmp/changzhi shots/changzhi

Opens network.html and sankey.html of a result folder in chromium (Playwright, offline,
as tests/test_browser.py does) and writes PNGs: the network as it opens, the network
with a tooltip (hovering the busiest plant), the Sankey page, and the Sankey with a
link's tooltip. Prints the console errors of each page (none expected).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

CHROMIUM = os.environ.get("SYMBIOSIS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
READY = "window.symbiosisView && window.symbiosisView.ready"


def main(folder: Path, prefix: Path) -> None:
    from playwright.sync_api import sync_playwright
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for page_name in ("network", "sankey"):
            page = b.new_page(viewport={"width": 1400, "height": 950})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "about:"))
                       else r.abort())
            page.goto((folder / f"{page_name}.html").resolve().as_uri())
            if page_name == "network":
                page.wait_for_function(READY, timeout=120_000)
                page.wait_for_timeout(500)
                page.screenshot(path=f"{prefix}_network.png")
                # hover the plant drawn largest (the busiest): its tooltip
                pos = page.evaluate("""() => {
                    const ids = symbiosisView.facts.plant_nodes; let best = null, s = -1;
                    for (const id of ids) { const n = network.body.nodes[id]; if (n && n.options.size > s) {
                        s = n.options.size; best = id; } }
                    const p = network.canvasToDOM(network.getPositions([best])[best]);
                    const r = document.querySelector('#network, .vis-network').getBoundingClientRect();
                    return {x: p.x + r.left, y: p.y + r.top}; }""")
                page.mouse.move(pos["x"], pos["y"])
                page.wait_for_timeout(800)
                page.screenshot(path=f"{prefix}_network_hover.png")
            else:
                page.wait_for_selector(".sankey-link", timeout=60_000)
                page.wait_for_timeout(500)
                page.screenshot(path=f"{prefix}_sankey.png", full_page=True)
                link = page.evaluate_handle("""() => {
                    const links = [...document.querySelectorAll('.sankey')[1].querySelectorAll('.sankey-link')];
                    let best = null, w = -1;
                    for (const l of links) { const b = l.getBoundingClientRect();
                        if (b.height * b.width > w) { w = b.height * b.width; best = l; } }
                    return best; }""")
                box = link.as_element().bounding_box()
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.wait_for_timeout(800)
                page.screenshot(path=f"{prefix}_sankey_hover.png")
            print(f"{page_name}: {len(errors)} console errors" + (f": {errors[:3]}" if errors else ""))
            page.close()
        b.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
