"""Bad input: one message per problem naming file, entry and what is expected; exit code 2."""
from __future__ import annotations

import copy
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import symbiosis
from symbiosis.cli import _load_command_modules, app
from symbiosis.errors import CaseError

_load_command_modules()
runner = CliRunner()


def broken(base: dict, edit) -> dict:
    data = copy.deepcopy(base)
    edit(data)
    return data


CASES = {
    "unknown process": (lambda d: d["plants"]["pvc"].update(process="carbide_pvcc"),
                        "plants.pvc.process", "unknown process 'carbide_pvcc'; did you mean 'carbide_pvc'?"),
    "unknown material": (lambda d: d["processes"]["carbide_pvc"]["inputs"].update(hcll={"amount": "0.1 t"}),
                         "processes.carbide_pvc.inputs.hcll", "unknown material 'hcll'"),
    "missing field": (lambda d: d["plants"]["carbide"].pop("process"),
                      "plants.carbide.process", "required field 'process' is missing"),
    "wrong unit": (lambda d: d["plants"]["slag_cement"].update(capacity="600 MWh/yr"),
                   "plants.slag_cement.capacity", "expected"),
    "negative capacity": (lambda d: d["plants"]["slag_cement"].update(capacity="-600 kt/yr"),
                          "plants.slag_cement.capacity", "must be positive"),
    "exchange to a plant that does not exist": (
        lambda d: d["exchanges"].append({"from": "pvc", "to": "cement_2", "material": "carbide_slag"}),
        "exchanges[4].to", "unknown plant 'cement_2'"),
    "number without unit": (lambda d: d["plants"]["power"].update(capacity=2000000),
                            "plants.power.capacity", "has no unit"),
    "unknown field": (lambda d: d["plants"]["power"].update(capcity="1 TWh/yr"),
                      "plants.power.capcity", "did you mean 'capacity'?"),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_bad_input_names_file_entry_and_fix(kind, tutorial_dict, write_case):
    edit, entry, words = CASES[kind]
    path = write_case(broken(tutorial_dict, edit))
    with pytest.raises(CaseError) as info:
        symbiosis.load_case(path)
    problems = info.value.problems
    assert any(p.entry == entry and words in p.message and p.file == str(path) for p in problems), problems
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 2
    assert f"{path}: {entry}" in res.output.replace("\n  ", " ") or f"{path}: {entry}" in res.output
    assert "Traceback" not in res.output


def test_yaml_syntax_error_names_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nplants:\n  a: {process: coal_power, capacity: 1 TWh/yr\n  b: 2\n")
    with pytest.raises(CaseError) as info:
        symbiosis.load_case(p)
    (prob,) = info.value.problems
    assert prob.file == str(p) and prob.entry.startswith("line ") and "YAML syntax error" in prob.message
    res = runner.invoke(app, ["solve", str(p), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2 and "YAML syntax error" in res.output
    assert not (tmp_path / "out").exists()


def test_duplicate_key_is_an_error(tmp_path):
    p = tmp_path / "dup.yaml"
    p.write_text("name: x\nname: y\nplants: {}\n")
    with pytest.raises(CaseError, match="found the key 'name' twice"):
        symbiosis.load_case(p)


def test_validate_reports_every_problem_at_once(tutorial_dict, write_case):
    def edit(d):
        for e, _, _ in CASES.values():
            e(d)
    path = write_case(broken(tutorial_dict, edit))
    with pytest.raises(CaseError) as info:
        symbiosis.load_case(path)
    entries = [p.entry for p in info.value.problems]
    # structural problems (missing field, unknown field) and the ones found after the
    # schema (units, references, signs) come out of one run
    assert {CASES[k][1] for k in CASES} <= set(entries), set(CASES[k][1] for k in CASES) - set(entries)
    assert len(entries) == len(set(entries))
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 2 and f"{len(entries)} problem(s)" in res.output


def test_no_problem_is_reported_for_an_entry_that_was_set_aside(tutorial_dict, write_case):
    # plant 'pvc' breaks the schema; the exchanges naming it must not add "unknown plant 'pvc'"
    data = broken(tutorial_dict, lambda d: d["plants"]["pvc"].update(capacity=None, status="built"))
    with pytest.raises(CaseError) as info:
        symbiosis.load_case(write_case(data))
    assert all("'pvc'" not in p.message for p in info.value.problems if not p.entry.startswith("plants.pvc"))


def test_missing_file(tmp_path):
    res = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2 and "file not found" in res.output


def test_wrong_dimension_in_process_amount(tutorial_dict, write_case):
    data = broken(tutorial_dict, lambda d: d["processes"]["coal_power"]["inputs"]["coal"].update(amount="0.43 MWh"))
    with pytest.raises(CaseError) as info:
        symbiosis.load_case(write_case(data))
    (p,) = info.value.problems
    assert p.entry == "processes.coal_power.inputs.coal.amount" and "energy" in p.message and "mass" in p.message


def test_exchange_of_material_the_plant_does_not_make(tutorial_dict, write_case):
    data = broken(tutorial_dict, lambda d: d["exchanges"].append(
        {"from": "carbide", "to": "slag_cement", "material": "fly_ash"}))
    with pytest.raises(CaseError, match="does not make 'fly_ash'"):
        symbiosis.load_case(write_case(data))


def test_energy_byproduct_needs_a_weight(tutorial_dict, write_case):
    def edit(d):
        d["materials"]["furnace_gas"] = {"kind": "byproduct", "unit": "Nm3", "disposal_cost": "0 CNY/Nm3"}
        d["processes"]["carbide_furnace"]["outputs"]["furnace_gas"] = {"amount": "350 Nm3"}
    with pytest.raises(CaseError) as info:
        symbiosis.load_case(write_case(broken(tutorial_dict, edit)))
    (p,) = info.value.problems
    assert p.entry == "materials.furnace_gas.reuse_weight" and "Nm3" in p.message


def test_cli_entry_point_runs_as_installed(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    res = subprocess.run([sys.executable, "-m", "symbiosis.cli", "validate", str(bad)],
                         capture_output=True, text=True)
    assert res.returncode == 2, res.stderr
    assert "plants" in res.stderr and "required field" in res.stderr and "Traceback" not in res.stderr
