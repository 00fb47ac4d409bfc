"""The phased plan's pages in a real browser: the network's period selector shows the
network as it stands in each period, and the report embeds it beside the timeline
(Playwright driving Debian's chromium, offline, as tests/test_browser.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from test_phased import phased, three, tutorial_data
from symbiosis.phased import optimize_phased

pytestmark = pytest.mark.browser




@pytest.fixture(scope="module")
def written(tmp_path_factory):
    # a budget in the first plan moves the cement plant to the second
    case = phased(tutorial_data(), three([{"limits.capex": "100e6 CNY"}, {}, {}]), objective="cost")
    res = optimize_phased(case)
    out = tmp_path_factory.mktemp("phased_views")
    res.write(out)
    return res, out


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 950})
    errors, blocked = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url.startswith(("file://", "data:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()
    page.route("**/*", route)
    page.goto(path.resolve().as_uri())
    return page, errors, blocked


def test_period_selector_switches_the_network(browser, written):
    res, out = written
    page, errors, blocked = _open(browser, out / "network.html")
    page.wait_for_function("window.symbiosisPeriods && window.symbiosisView && window.symbiosisView.ready")
    assert page.evaluate("window.symbiosisPeriods.period") == "16th"   # opens on the last period
    counts = {}
    for name in ("14th", "15th", "16th"):
        page.click(f'#period-select button[data-period="{name}"]')
        assert page.evaluate("window.symbiosisPeriods.period") == name
        assert page.get_attribute("body", "data-period") == name
        counts[name] = page.evaluate("window.symbiosisPeriods.counts()")
        assert name in page.inner_text("#period-kpis")
        assert page.get_attribute(f'#period-select button[data-period="{name}"]', "class") == "on"
    # the cement plant and its three links appear in the 15th plan, when it is built
    r14, r15 = res.results["14th"], res.results["15th"]

    def standing(r):  # plants existing or built by then
        return int(((r.plants["status"] != "candidate") | r.plants["built"]).sum())
    assert counts["14th"]["nodes"] == standing(r14) < counts["15th"]["nodes"] == standing(r15)
    assert counts["14th"]["edges"] == len(r14.chosen_exchanges) < counts["15th"]["edges"] == len(r15.chosen_exchanges)
    page.click('#period-select button[data-period="14th"]')
    assert page.evaluate("nodes.get('slag_cement')") is None
    page.click('#period-select button[data-period="15th"]')
    assert page.evaluate("nodes.get('slag_cement') !== null")
    assert not errors and not blocked, (errors, blocked)


def test_report_has_the_timeline_and_the_period_network(browser, written):
    res, out = written
    page, errors, blocked = _open(browser, out / "report.html")
    page.wait_for_selector("#timeline-chart .main-svg")
    rows = page.locator("#table-timeline tbody tr")
    assert rows.count() == 3
    assert "slag_cement" in rows.nth(1).inner_text() and "slag_cement" not in rows.nth(0).inner_text()
    frame = page.frame_locator("#network-frame")
    frame.locator('#period-select button[data-period="14th"]').click()
    assert "14th" in frame.locator("#period-kpis").inner_text()
    assert not errors and not blocked, (errors, blocked)
