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
               objective="cost", n_workers=2, progress=lambda d, n, msg: seen.append((d, n)))
    assert list(df["materials.cement.sale_price"]) == ["150 CNY/t", "380 CNY/t"]
    assert list(df["new_plants"]) == [0, 1]
    assert df.loc[1, "annualised_cost"] == pytest.approx(-422_535_917, abs=5)
    assert seen[-1] == (2, 2)


def test_a_bad_vary_entry_fails_before_any_cluster(monkeypatch):
    import dask.distributed

    def no_cluster(*a, **k):
        raise AssertionError("a cluster was started for a grid that does not apply")
    monkeypatch.setattr(dask.distributed, "LocalCluster", no_cluster)
    path = symbiosis.examples.path("tutorial")
    with pytest.raises(CaseError) as err:
        sweep(path, {"materials.cemnt.sale_price": ["300 CNY/t"], "materials.cement.sale_price": ["3 MWh"]})
    text = str(err.value)
    assert "materials.cemnt" in text and "did you mean cement" in text
    assert "materials.cement.sale_price" in text and "'3 MWh'" in text


def test_sweep_takes_a_case_and_a_users_client():
    from dask.distributed import Client, LocalCluster
    case = symbiosis.examples.tutorial().with_changes({"settings.discount_rate": 0.12})
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        df = sweep(case, {"materials.cement.sale_price": ["380 CNY/t"]}, objective="cost", client=client)
        assert client.status == "running"  # the caller's client stays open
    direct = symbiosis.optimize(case, "cost")
    assert df.loc[0, "annualised_cost"] == pytest.approx(direct.kpi("annualised_cost"), rel=1e-9)
    assert "settings.discount_rate" not in df.columns


def test_an_unreachable_scheduler_is_one_clear_error():
    from symbiosis.sweep import SchedulerError
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        sweep(symbiosis.examples.path("tutorial"), {"settings.discount_rate": [0.05]},
              scheduler="tcp://127.0.0.1:9")
