"""The plausibility table of cases/README.md: each shipped case's by-product utilisation
(reused + sold) stays inside the band the write-up states."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import symbiosis
from symbiosis.io import load_case, shipped_cases_dir

README = Path(__file__).resolve().parents[1] / "cases" / "README.md"
ROW = re.compile(r"^\| (\w+) \| (\w+) \| [^|]+ \| [^|]+ \| (\d+)-(\d+) % \|", re.M)
BANDS = [(c, m, float(lo), float(hi)) for c, m, lo, hi in ROW.findall(README.read_text(encoding="utf-8"))]


def test_the_table_is_there():
    assert {c for c, *_ in BANDS} == {"changzhi", "pingdingshan"} and len(BANDS) >= 12


@pytest.mark.parametrize("name", ["changzhi", "pingdingshan"])
def test_utilisation_inside_the_stated_band(name):
    r = symbiosis.optimize(load_case(shipped_cases_dir() / f"{name}.yaml"))
    mats = r.materials.set_index("material")
    bad = []
    for case, m, lo, hi in BANDS:
        if case != name:
            continue
        row = mats.loc[m]
        util = 100 * (row["exchanged"] + row["sold"]) / row["generated"]
        if not lo - 1e-6 <= util <= hi + 1e-6:
            bad.append(f"{m}: {util:.1f} % outside {lo:.0f}-{hi:.0f} %")
    assert not bad, f"{name}: " + "; ".join(bad) + " -- update the table in cases/README.md with its reason"
