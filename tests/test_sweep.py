"""Sweeps on Dask: every grid point solved, same answer as a direct solve, clear errors."""
from __future__ import annotations

import pytest

import symbiosis
from symbiosis.errors import CaseError
from symbiosis.sweep import grid_runs, run_one, set_entry, sweep


def test_grid_runs_cover_every_combination():
    runs = grid_runs({"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(runs) == 6 and {"a": 2, "b": "z"} in runs


def test_set_entry_names_a_missing_entry():
    with pytest.raises(CaseError, match="no entry 'materials.cemnt'"):
        set_entry({"materials": {}}, "materials.cemnt.sale_price", 3)


def test_run_one_matches_a_direct_solve(tutorial):
    path = str(symbiosis.examples.path("tutorial"))
    row = run_one(path, {"materials.cement.sale_price": "380 CNY/t"}, "cost", None, None)
    direct = symbiosis.optimize(tutorial, "cost")
    assert row["annualised_cost"] == pytest.approx(direct.kpi("annualised_cost"), rel=1e-9)
    low = run_one(path, {"materials.cement.sale_price": "150 CNY/t"}, "cost", None, None)
    assert low["new_plants"] == 0 and low["byproducts_reused"] == 0  # cement no longer pays
    bad = run_one(path, {"materials.cement.sale_price": "150 MWh"}, "cost", None, None)
    assert bad["status"] == "bad input" and "materials.cement.sale_price" in bad["reason"]


@pytest.mark.slow
def test_sweep_on_a_local_dask_cluster():
    path = symbiosis.examples.path("tutorial")
    seen = []
    df = sweep(path, {"materials.cement.sale_price": ["150 CNY/t", "380 CNY/t"], "settings.discount_rate": [0.08]},
               objective="cost", n_workers=2, progress=lambda d, n: seen.append((d, n)))
    assert list(df["materials.cement.sale_price"]) == ["150 CNY/t", "380 CNY/t"]
    assert list(df["new_plants"]) == [0, 1]
    assert df.loc[1, "annualised_cost"] == pytest.approx(-422_535_917, abs=5)
    assert seen[-1] == (2, 2)
