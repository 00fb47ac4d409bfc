"""The plausibility table of cases/README.md: each shipped Chinese case's by-product
reuse and utilisation (reused + sold), in the status quo and the optimised network, stays
inside the band cases/plausibility/bands.yaml states beside the published figure. The bands are
read from that one file (through cases/make_plausibility.py, which also writes them into
the README), so the write-up and the test cannot drift apart."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parents[1] / "cases"
_spec = importlib.util.spec_from_file_location("make_plausibility", CASES / "make_plausibility.py")
mp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mp)


@pytest.fixture(scope="module")
def data():
    return mp.load_bands()


@pytest.fixture(scope="module")
def runs(data):
    return mp.solve_all(data)


def test_every_chinese_case_has_bands_for_its_bulk_byproducts(data):
    assert set(data["cases"]) == {"changzhi", "pingdingshan", "liupanshui"}
    for name, mats in data["cases"].items():
        assert {"coal_gangue", "fly_ash", "fgd_gypsum", "coke_oven_gas"} <= set(mats), name
        for m, entry in mats.items():
            assert entry["why"].strip(), (name, m)
            for s in mp.STATES:
                for lo, hi in entry[s].values():
                    assert 0 <= lo <= hi <= 100, (name, m, s)


def test_a_band_is_parsed_strictly():
    assert mp.band("50-100") == (50.0, 100.0)
    for bad in ("100-50", "50", "a-b"):
        with pytest.raises(ValueError):
            mp.band(bad)


def test_rates_inside_the_stated_bands(data, runs):
    bad = mp.outside(data, runs)
    assert not bad, "; ".join(bad) + " -- fix the case, or restate the band and its reason in cases/plausibility/bands.yaml"


def test_a_rate_outside_its_band_is_caught(data, runs):
    """The check is not vacuous: narrow one band below the run and it reports that rate."""
    import copy
    narrowed = copy.deepcopy(data)
    r, _ = runs["liupanshui"]["status_quo"]["coke_oven_gas"]
    narrowed["cases"]["liupanshui"]["coke_oven_gas"]["status_quo"]["reuse"] = (0.0, r - 1.0)
    bad = mp.outside(narrowed, runs)
    assert len(bad) == 1 and "liupanshui status_quo coke_oven_gas reuse" in bad[0]


def test_the_readme_shows_these_runs_and_bands(data, runs):
    text = mp.README.read_text(encoding="utf-8")
    assert mp.with_section(text, mp.section(data, runs)) == text, \
        "cases/README.md's plausibility section is stale: run python cases/make_plausibility.py"
