"""Shared fixtures: the shipped cases are the fixtures (STYLE.md, convention 7)."""
from __future__ import annotations

import copy
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
