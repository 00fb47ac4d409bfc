"""The plausibility table of cases/README.md (written by cases/make_plausibility.py): each
shipped case's by-product reuse and utilisation (reused + sold) in the optimised network
stays inside the band the write-up states."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import symbiosis
from symbiosis.io import load_case, shipped_cases_dir

README = Path(__file__).resolve().parents[1] / "cases" / "README.md"
ROW = re.compile(r"^\| (\w+) \| (\w+) \| [^|]+ \| [^|]+ \| (\d+)-(\d+) %; (\d+)-(\d+) % \|", re.M)
BANDS = [(c, m, *map(float, b)) for c, m, *b in ROW.findall(README.read_text(encoding="utf-8"))]


def test_the_table_is_there():
    assert {c for c, *_ in BANDS} == {"changzhi", "pingdingshan"} and len(BANDS) >= 12


@pytest.mark.parametrize("name", ["changzhi", "pingdingshan"])
def test_rates_inside_the_stated_band(name):
    r = symbiosis.optimize(load_case(shipped_cases_dir() / f"{name}.yaml"))
    mats = r.materials.set_index("material")
    bad = []
    for case, m, rlo, rhi, ulo, uhi in BANDS:
        if case != name:
            continue
        row = mats.loc[m]
        reuse = 100 * row["exchanged"] / row["generated"]
        util = 100 * (row["exchanged"] + row["sold"]) / row["generated"]
        if not rlo - 1e-6 <= reuse <= rhi + 1e-6:
            bad.append(f"{m} reuse {reuse:.1f} % outside {rlo:.0f}-{rhi:.0f} %")
        if not ulo - 1e-6 <= util <= uhi + 1e-6:
            bad.append(f"{m} utilisation {util:.1f} % outside {ulo:.0f}-{uhi:.0f} %")
    assert not bad, f"{name}: " + "; ".join(bad) + " -- if intended, rerun cases/make_plausibility.py"
