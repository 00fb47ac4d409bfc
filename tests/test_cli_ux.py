"""The command line a user meets first: --version, --quiet and -v, one-line errors with
their exit codes (never a traceback), tables that fit 80 columns, sweeps checked before
a cluster starts, progress reported through the callbacks."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from symbiosis import __version__
from symbiosis.cli import _load_command_modules, app

_load_command_modules()
ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = str(ROOT / "cases" / "tutorial.yaml")
runner = CliRunner()


def invoke(*args, **kw):
    return runner.invoke(app, [str(a) for a in args], **kw)


def test_version():
    res = invoke("--version")
    assert res.exit_code == 0 and res.stdout.strip() == f"symbiosis {__version__}"


@pytest.mark.parametrize("args, option", [
    (["solve", TUTORIAL, "--objective", "foo"], "--objective"),
    (["compare", TUTORIAL, "--objective", "costs"], "--objective"),
    (["solve", TUTORIAL, "--mip-gap", "-1"], "--mip-gap"),
    (["solve", TUTORIAL, "--mip-gap", "abc"], "--mip-gap"),
    (["solve", TUTORIAL, "--time-limit", "-5"], "--time-limit"),
    (["solve", TUTORIAL, "--threads", "0"], "--threads"),
    (["pareto", TUTORIAL, "--x", "foo"], "--x"),
    (["pareto", TUTORIAL, "--points", "1"], "--points"),
    (["alternatives", TUTORIAL, "-k", "0"], "-k"),
    (["solve", TUTORIAL, "--scenario", "nope"], "scenarios.nope"),
    (["compare", TUTORIAL, "--scenario", "nope"], "scenarios.nope"),
    (["solve", TUTORIAL, "--bogus"], "--bogus"),
    (["frobnicate"], "frobnicate"),
    (["sweep", TUTORIAL, "--vary", "oops"], "--vary"),
    (["sweep", TUTORIAL, "--vary", "materials.cemnt.sale_price=300 CNY/t"], "did you mean cement"),
    (["sweep", TUTORIAL, "--vary", "materials.cement.sale_price=300"], "has no unit"),
])
def test_bad_option_values_are_one_line_errors(args, option, tmp_path):
    res = invoke(*args, "--out", tmp_path / "o") if args[0] in ("solve", "pareto") and "--bogus" not in args \
        else invoke(*args)
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and option in lines[0], res.stderr
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()  # nothing solved, nothing written


def test_sweep_is_checked_before_any_cluster_starts(monkeypatch):
    import dask.distributed

    def no_cluster(*a, **k):
        raise AssertionError("a cluster was started for a sweep that cannot run")
    monkeypatch.setattr(dask.distributed, "LocalCluster", no_cluster)
    res = invoke("sweep", TUTORIAL, "--vary", "materials.cement.sale_price=300 CNY/t,abc",
                 "--vary", "settings.nonsense=1")
    assert res.exit_code == 2 and "abc" in res.stderr and "nonsense" in res.stderr, res.output


def test_unreachable_scheduler_is_one_line_with_its_own_exit_code(monkeypatch):
    import symbiosis.sweep
    monkeypatch.setattr(symbiosis.sweep, "CONNECT_TIMEOUT", 0.5)
    res = invoke("sweep", TUTORIAL, "--vary", "materials.cement.sale_price=300 CNY/t",
                 "--scheduler", "tcp://127.0.0.1:9")
    assert res.exit_code == 6, res.output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.stderr and "Traceback" not in res.output


def test_quiet_prints_nothing_but_the_verbose_flag_logs(tmp_path):
    res = invoke("--quiet", "validate", TUTORIAL)
    assert res.exit_code == 0 and res.stdout == "" and res.stderr == ""
    res = invoke("--quiet", "validate", tmp_path / "missing.yaml")
    assert res.exit_code == 2 and res.stderr.strip()  # errors still show
    res = invoke("-v", "compare", TUTORIAL)
    assert res.exit_code == 0, res.output
    # progress steps go to the log on stderr when stderr is not a terminal
    assert "compare: 0/2 status quo" in res.stderr and "compare: 2/2 done" in res.stderr
    assert "compare: 0/2" not in res.stdout


def test_solve_tables_fit_80_columns_and_cut_no_name(tmp_path):
    res = invoke("solve", TUTORIAL, "--out", tmp_path / "out", env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert "…" not in res.stdout and "..." not in res.stdout
    text = "".join(res.stdout.split())  # a folded name reads whole once the line breaks go
    import pandas as pd
    built = pd.read_csv(tmp_path / "out" / "plants.csv").query("built and status == 'candidate'")["plant"]
    assert len(built) and all(name in text for name in built)


def test_python_dash_m_symbiosis_has_the_same_commands():
    import subprocess
    res = subprocess.run([sys.executable, "-m", "symbiosis", "--version"], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == f"symbiosis {__version__}"


def test_objective_names_match_the_model():
    from symbiosis.model import OBJECTIVES
    from symbiosis.terminal import OBJECTIVE_CHOICES
    from symbiosis.terminal import OBJECTIVES as CLI_OBJECTIVES
    assert set(CLI_OBJECTIVES) == set(OBJECTIVES)
    assert set(OBJECTIVE_CHOICES) == set(OBJECTIVES) | {"reuse-then-cost", "weighted"}


def test_alternatives_table_fits_80_columns_and_cuts_nothing():
    # by-product exchanges as structure: the tutorial has three such networks (by plants, two)
    res = invoke("alternatives", TUTORIAL, "-k", "3", "--structure", "exchanges", env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert max(map(len, res.stdout.splitlines())) <= 80 and "…" not in res.stdout
    assert "the 3 best networks" in res.stdout and "(best)" in res.stdout


def test_shared_number_format_scales_thousands_right():
    from symbiosis.fmt import fmt
    assert fmt(900_000, "CNY/yr") == "900.00 k CNY/yr"
    assert fmt(12_345, "CNY") == "12.35 k CNY" and fmt(7_500, "CNY") == "7,500.0 CNY"
    assert fmt(1.07e9, "CNY") == "1.07 bn CNY" and fmt(3.2e6, "CNY") == "3.20 M CNY"
