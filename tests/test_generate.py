"""The region generator: deterministic, valid at scale, solvable, checked independently."""
from __future__ import annotations

import collections

import pytest
import yaml
from typer.testing import CliRunner

import symbiosis
from symbiosis.generate import CANDIDATE_SHARE, SECTORS, region, write_region
from symbiosis.graph import candidate_exchanges
from symbiosis.io import case_from_dict, load_case


def test_same_seed_same_region_other_seed_other_region():
    assert region(50, seed=7) == region(50, seed=7)
    assert region(50, seed=7) != region(50, seed=8)
    assert region(50, seed=7, listed=True) == region(50, seed=7, listed=True)


@pytest.mark.parametrize("n", [50, 300])
def test_region_loads_and_validates(n):
    data = region(n, seed=2)
    case = case_from_dict(data, file="<region>")
    assert len(case.plants) == n
    assert sum(p.is_candidate for p in case.plants.values()) == round(CANDIDATE_SHARE * n)
    # every process is the shipped library's, and every sector is there
    assert {p.process for p in case.plants.values()} == {s[0] for s in SECTORS.values()}
    # plants stand in parks inside the 200 x 200 km region
    parks = collections.Counter(p.park for p in case.plants.values())
    assert 1 < len(parks) < n
    lons = [p.location[0] for p in case.plants.values()]
    lats = [p.location[1] for p in case.plants.values()]
    assert max(lats) - min(lats) <= 200 / 110.574 + 1e-6
    assert max(lons) - min(lons) <= 200 / (111.32 * 0.8) + 1e-6
    xs = candidate_exchanges(case)
    assert len(xs) > 5 * n  # dense: many candidates per plant
    assert max(x.distance for x in xs) <= 60.0 + 1e-9  # 50 km, electricity 60 km (library)


def test_listed_region_states_the_same_network():
    plain = case_from_dict(region(50, seed=4))
    listed_data = region(50, seed=4, listed=True)
    listed = case_from_dict(listed_data)
    assert listed.settings.generate_candidates is False
    a = {x.key: x for x in candidate_exchanges(plain)}
    b = {x.key: x for x in candidate_exchanges(listed)}
    assert a.keys() == b.keys() and len(listed_data["exchanges"]) == len(b)
    for k, x in a.items():
        assert b[k].distance == pytest.approx(x.distance, abs=1e-3)
        assert b[k].existing == x.existing
        assert b[k].unit_cost == pytest.approx(x.unit_cost, abs=x.transport_cost * 6e-4)  # distance to 1 m


@pytest.mark.parametrize("seed", [1, 2])
def test_region_of_sixty_plants_solves_and_checks(seed):
    case = case_from_dict(region(60, seed=seed))
    result = symbiosis.optimize(case, "cost", time_limit=60, mip_gap=0.01)
    assert symbiosis.check_result(case, result) == []
    assert result.kpi("new_plants") >= 1 and result.kpi("exchanges_open") >= 1


def test_generate_command_writes_a_case(tmp_path):
    from symbiosis.cli import _load_command_modules, app
    _load_command_modules()
    out = tmp_path / "region.yaml"
    runner = CliRunner()
    res = runner.invoke(app, ["generate", "--plants", "40", "--seed", "3", "--out", str(out), "--listed"])
    assert res.exit_code == 0, res.output
    assert "40 plants (12 candidates)" in res.output
    assert yaml.safe_load(out.read_text()) == region(40, seed=3, listed=True)
    assert len(load_case(out).plants) == 40
    again = runner.invoke(app, ["generate", "--plants", "40", "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    bad = runner.invoke(app, ["generate", "--plants", "40", "--out", str(tmp_path / "r.xlsx")])
    assert bad.exit_code == 2


def test_write_region_round_trips(tmp_path):
    data = region(30, seed=5)
    p = write_region(data, tmp_path / "r.yaml")
    assert yaml.safe_load(p.read_text()) == data


def test_region_needs_a_plant():
    with pytest.raises(ValueError, match="at least one plant"):
        region(0)
