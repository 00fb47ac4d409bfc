"""The time limit used up before HiGHS starts: the message names the phases and their times."""
from __future__ import annotations

import dataclasses
import time

import pytest

from symbiosis.errors import SolverError
from symbiosis.io import load_case, shipped_cases_dir
from symbiosis.model import Options, ParkModel


class _NoRun:
    """A HiGHS object whose run() returns at once: what a starved solve amounts to."""

    def __init__(self, h):
        self._h = h

    def run(self):
        return None

    def __getattr__(self, name):
        return getattr(self._h, name)


def test_starved_message_names_phases(monkeypatch):
    case = load_case(shipped_cases_dir() / "tutorial.yaml")
    pm = ParkModel(case)
    real = pm.to_highs

    def to_highs(opts):
        h, cols = real(opts)
        return _NoRun(h), cols

    monkeypatch.setattr(pm, "to_highs", to_highs)
    opts = dataclasses.replace(Options(time_limit=2), deadline=time.perf_counter() - 1.0)
    with pytest.raises(SolverError) as ei:
        pm.run(opts)
    msg = str(ei.value)
    assert "used up before the solver started" in msg
    assert "time limit of 2 s" in msg
    assert "finding candidates and building the model" in msg and "start-up" in msg
    assert "--time-limit" in msg


def test_not_starved_message_differs(monkeypatch):
    case = load_case(shipped_cases_dir() / "tutorial.yaml")
    pm = ParkModel(case)
    real = pm.to_highs
    monkeypatch.setattr(pm, "to_highs", lambda opts: (_NoRun(real(opts)[0]), real(opts)[1]))
    with pytest.raises(SolverError) as ei:
        pm.run(Options(time_limit=60))
    assert "before finding any network" in str(ei.value)
    assert "before the solver started" not in str(ei.value)
