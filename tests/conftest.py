"""Shared fixtures: the shipped cases are the fixtures (STYLE.md, convention 7)."""
from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml

import symbiosis
from symbiosis.io import shipped_cases_dir

CASES = shipped_cases_dir()


@pytest.fixture(scope="session")
def tutorial_dict() -> dict:
    """The tutorial case as the dict read from YAML (copy before changing it)."""
    return yaml.safe_load((CASES / "tutorial.yaml").read_text())


@pytest.fixture(scope="session")
def tutorial():
    return symbiosis.examples.tutorial()


@pytest.fixture(scope="session")
def tutorial_result(tutorial):
    return symbiosis.optimize(tutorial)


@pytest.fixture
def write_case(tmp_path):
    """Write a case dict to a YAML file in a temporary folder and return its path."""
    def _write(data: dict, name: str = "case.yaml") -> Path:
        p = tmp_path / name
        p.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return p
    return _write


def variant(base: dict, **changes) -> dict:
    out = copy.deepcopy(base)
    out.update(changes)
    return out


# --------------------------------------------------------------------------- views (issue 4)
def synthetic_park(n_parks: int = 60) -> dict:
    """A region of ``n_parks`` copies of the tutorial park (4 plants each), for tests that
    need size; every seventh park has no coordinates, to exercise the fallback layout."""
    base = yaml.safe_load((CASES / "tutorial.yaml").read_text())
    d = copy.deepcopy(base)
    d["name"] = f"Synthetic region of {n_parks} parks"
    d["plants"], d["exchanges"] = {}, []
    for k in range(n_parks):
        lon, lat = 110 + (k % 10) * 0.6, 34 + (k // 10) * 0.6
        for name, spec in base["plants"].items():
            p = copy.deepcopy(spec)
            p["park"] = f"park_{k:02d}"
            p["location"] = [round(lon + p["location"][0] - 113.1, 4), round(lat + p["location"][1] - 36.2, 4)]
            if k % 7 == 3:
                p.pop("location")
            d["plants"][f"{name}_{k:02d}"] = p
        for e in base["exchanges"]:
            d["exchanges"].append({**e, "from": f"{e['from']}_{k:02d}", "to": f"{e['to']}_{k:02d}"})
    return d


@pytest.fixture(scope="session")
def tutorial_compared(tutorial):
    """{"status quo": Result, "optimised": Result} of the tutorial."""
    return symbiosis.compare(tutorial)


@pytest.fixture(scope="session")
def big_result():
    """A solved synthetic region of 240 plants (a few hundred, as the views must handle)."""
    from symbiosis.io import case_from_dict
    return symbiosis.optimize(case_from_dict(synthetic_park(60), base_dir=CASES))


# ---------------------------------------------------------------- the browser of the view tests
#: Debian's chromium, driven by Playwright (installed by .ci/run)
CHROMIUM = os.environ.get("SYMBIOSIS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """One headless chromium per test module; skipped, saying why, when it cannot start."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium not installed at {CHROMIUM} (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
