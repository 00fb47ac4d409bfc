"""The shipped cases as ready fixtures: docs, CLI examples and tests use the same ones."""
from __future__ import annotations

from symbiosis.case import Case
from symbiosis.io import load_case, shipped_cases_dir


def path(name: str):
    """Path of a shipped case by name (``"tutorial"``, ``"changzhi"``...)."""
    p = shipped_cases_dir() / f"{name}.yaml"
    if not p.exists():
        known = sorted(q.stem for q in shipped_cases_dir().glob("*.yaml"))
        raise FileNotFoundError(f"no shipped case {name!r}; shipped: {', '.join(known)}")
    return p


def load(name: str, scenario: str | None = None) -> Case:
    return load_case(path(name), scenario=scenario)


def tutorial() -> Case:
    return load("tutorial")
