"""PNG export of the Sankey and the Pareto chart (kaleido driving Debian's chromium)."""
from __future__ import annotations

from pathlib import Path

import pytest

import symbiosis
from symbiosis.decision import pareto, pareto_png
from symbiosis.views.sankey import sankey_png

pytestmark = pytest.mark.browser

needs_chromium = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                                    reason="chromium not installed at /usr/bin/chromium (apt-get install -y chromium)")


def is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_chromium
def test_sankey_and_pareto_png(tmp_path, tutorial, tutorial_result):
    sq = symbiosis.optimize(tutorial, status_quo=True)
    s = sankey_png(tutorial_result, tmp_path / "sankey.png", status_quo=sq)
    front = pareto(tutorial, "cost", "co2", points=3)
    p = pareto_png(front, tmp_path / "pareto.png")
    for f in (s, p):
        assert is_png(f) and f.stat().st_size > 10_000
