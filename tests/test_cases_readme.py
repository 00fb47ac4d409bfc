"""cases/README.md is what its scripts write from a fresh solve of each case.

RUN AFTER MERGING: the case data is being changed on another branch (issue 11), and
cases/README.md was generated before the estimate flags that branch merged earlier, so this
check fails today. After merging it, regenerate:

    python cases/make_readme.py && python cases/make_liupanshui_readme.py

and run this file with SYMBIOSIS_CHECK_CASES_README=1. Once it passes, delete the skipif
below so the suite runs the check every time. It solves each documented case (status quo
and optimised): about 10 s of CPU.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("SYMBIOSIS_CHECK_CASES_README"),
                       reason="run after merging the case-data branch: SYMBIOSIS_CHECK_CASES_README=1 (see the docstring)"),
]


@pytest.mark.parametrize("script", ["make_readme.py", "make_liupanshui_readme.py"])
def test_cases_readme_is_fresh(script):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, str(ROOT / "cases" / script), "--check"], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=900)
    assert res.returncode == 0, (f"cases/README.md is stale for cases/{script}: run python cases/{script}\n"
                                 + res.stdout[-2000:] + res.stderr[-2000:])
