"""A case with hundreds of problems gives a message that stays readable; repeats are told once."""
from __future__ import annotations

import pytest
import yaml

from symbiosis.errors import CaseError, Problem
from symbiosis.io import load_case


def _many_problems_case(tmp_path, n=400):
    plants = {f"p{i}": {"capacity": "lots of t/yr" + "x" * 200} for i in range(n)}
    f = tmp_path / "many.yaml"
    f.write_text(yaml.safe_dump({"name": "many", "plants": plants}))
    return f


def test_hundreds_of_problems_capped(tmp_path):
    f = _many_problems_case(tmp_path)
    with pytest.raises(CaseError) as ei:
        load_case(f)
    exc = ei.value
    assert len(exc.problems) >= 300  # every problem is kept on the exception
    msg = str(exc)
    assert len(msg) < CaseError.MAX_CHARS + 500
    shown = [line for line in msg.splitlines() if line.startswith("  - ")]
    assert 0 < len(shown) <= CaseError.SHOWN
    rest = len(exc.problems) - len(shown)
    assert f"... and {rest} more problems" in msg
    assert "symbiosis validate" in msg and "many.yaml" in msg.splitlines()[-1]


def test_one_long_problem_cut():
    exc = CaseError([Problem("c.yaml", "plants.a", "x" * 20_000)])
    assert len(str(exc)) < CaseError.MAX_CHARS + 200
    assert "more problem" not in str(exc)


def test_repeated_problems_told_once_in_order():
    a = Problem("lib/a.yaml", "processes.kiln", "unknown material 'clinkr'")
    b = Problem("lib/b.yaml", "processes.mill", "no unit given")
    exc = CaseError([a, b, a, b, a])
    assert exc.problems == [a, b]
    assert str(exc).count("clinkr") == 1
    assert str(exc).startswith("2 problems")


def test_few_problems_all_shown():
    probs = [Problem("c.yaml", f"plants.p{i}.capacity", "no unit given") for i in range(5)]
    msg = str(CaseError(probs))
    assert all(f"plants.p{i}.capacity" in msg for i in range(5))
    assert "more problem" not in msg


def test_same_library_folder_read_once(tmp_path):
    from symbiosis.io import read_library, shipped_models_dir
    lib = shipped_models_dir()
    mats, procs, _, probs = read_library([lib, lib / ".." / lib.name])
    once = read_library([lib])
    assert probs == once[3]  # no "defined twice" for a folder reached by two paths
    assert set(procs) == set(once[1]) and set(mats) == set(once[0])
