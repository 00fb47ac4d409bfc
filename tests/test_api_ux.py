"""The Python API a planning script uses: change a case, re-optimise with progress,
compare, export, read back; imports that stay light; no new import cycles."""
from __future__ import annotations

import ast
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import symbiosis

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "cases" / "tutorial.yaml"
HEAVY = ("pyomo", "plotly", "dask")


@pytest.fixture(scope="module")
def base():
    return symbiosis.optimize(symbiosis.load_case(TUTORIAL))


@pytest.fixture(scope="module")
def dearer():
    case = symbiosis.load_case(TUTORIAL)
    return symbiosis.optimize(case.with_changes({"materials.cement.sale_price": "300 CNY/t"}))


def test_with_changes_returns_a_new_case_and_leaves_the_old(base):
    case = symbiosis.load_case(TUTORIAL)
    changed = case.with_changes({"materials.cement.sale_price": "300 CNY/t"})
    assert changed.materials["cement"].sale_price == 300.0 and case.materials["cement"].sale_price == 380.0
    with pytest.raises(symbiosis.CaseError, match="did you mean cement"):
        case.with_changes({"materials.cemnt.sale_price": "300 CNY/t"})


def test_compare_gives_both_values_and_the_change(base, dearer):
    diff = dearer.compare(base)
    assert list(diff.columns) == ["unit", "reference", "result", "change", "change_pct"]
    for k in base.kpis.index:
        assert diff.loc[k, "reference"] == pytest.approx(base.kpi(k))
        assert diff.loc[k, "result"] == pytest.approx(dearer.kpi(k))
        assert diff.loc[k, "change"] == pytest.approx(dearer.kpi(k) - base.kpi(k))
    # cement sells for 80 CNY/t less: sales fall by 80 CNY/t times the cement sold
    sold = dearer.market.query("material == 'cement'")["sale"].sum()
    assert diff.loc["sales", "change"] == pytest.approx(
        dearer.kpi("sales") - base.kpi("sales")) and sold > 0
    assert diff.loc["sales", "change_pct"] == pytest.approx(
        100 * diff.loc["sales", "change"] / abs(base.kpi("sales")))
    named = dearer.compare(base, names=("base", "dearer"))
    assert {"base", "dearer"} <= set(named.columns)
    # symbiosis.compare(a, b) on two Results: the same table (b against a)
    assert symbiosis.compare(base, dearer).equals(diff)
    assert set(diff.attrs) == {"plants_added", "plants_removed", "exchanges_added", "exchanges_removed"}


def test_write_load_result_round_trip_compares_to_zero(base, tmp_path):
    base.write(tmp_path / "run", html=False)
    back = symbiosis.load_result(tmp_path / "run")
    diff = back.compare(base)
    assert (diff["change"].abs() <= 1e-6 * (1 + diff["reference"].abs())).all()
    assert diff.attrs["plants_added"] == [] and diff.attrs["exchanges_removed"] == []
    with pytest.raises(FileNotFoundError, match="not a result folder, summary.json"):
        (tmp_path / "empty").mkdir()
        symbiosis.load_result(tmp_path / "empty")


def test_to_excel_is_written_whole(base, dearer, tmp_path, monkeypatch):
    from openpyxl import load_workbook
    path = dearer.to_excel(tmp_path / "r.xlsx", status_quo=base)
    wb = load_workbook(path)
    assert {"KPIs", "plants", "exchanges"} <= set(wb.sheetnames)
    before = path.read_bytes()
    import openpyxl.workbook.workbook as wbmod

    def broken(self, filename):
        Path(filename).write_bytes(b"half")
        raise OSError("disk full")
    monkeypatch.setattr(wbmod.Workbook, "save", broken)
    with pytest.raises(OSError):
        base.to_excel(path)
    assert path.read_bytes() == before  # the old workbook stands
    with pytest.raises(ValueError, match=r"\.xlsx"):
        base.to_excel(tmp_path / "r.csv")


def test_optimize_reports_its_phases():
    calls = []
    symbiosis.optimize(symbiosis.load_case(TUTORIAL), progress=lambda d, n, m: calls.append((d, n, m)))
    assert [c[0] for c in calls] == [0, 1, 2, 3] and all(c[1] == 3 for c in calls)
    assert calls[-1][2] == "done"


def test_planning_example_runs(tmp_path, capsys):
    ns = runpy.run_path(str(ROOT / "examples" / "planning.py"), run_name="planning")
    ns["main"](tmp_path)
    out = capsys.readouterr().out
    assert "annualised_cost" in out and "plants added" in out
    assert (tmp_path / "changed" / "summary.json").exists() and (tmp_path / "changed.xlsx").exists()


# ---------------------------------------------------------------- light imports
def _loaded_after(code: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    probe = code + "\nimport sys\nprint('LOADED:' + ','.join(m for m in %r if m in sys.modules))" % (HEAVY,)
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("LOADED:")][-1]
    return [m for m in line[len("LOADED:"):].split(",") if m]


def test_import_symbiosis_loads_no_solver_plots_or_dask():
    assert _loaded_after("import symbiosis; symbiosis.__version__") == []


@pytest.mark.parametrize("argv", [["--help"], ["validate", "cases/tutorial.yaml"], ["solve", "--help"]])
def test_cli_help_and_validate_load_no_solver_plots_or_dask(argv):
    code = ("import sys\nfrom symbiosis.cli import main\nsys.argv = ['symbiosis'] + %r\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n" % (argv,))
    assert _loaded_after(code) == []


# ---------------------------------------------------------------- layers and import cycles
#: The package's layers, lowest first: a module imports only modules of its own layer or
#: a lower one (at the top of the file or inside a function: both count). The pipeline
#: reads a file (io), builds the Case (domain), its graph and model, solves and reads the
#: result; io sits above the domain because it builds Case objects. A new module is put
#: in its layer here (the one place); CONTRIBUTING.md draws the same map.
LAYERS: list[tuple[str, set[str]]] = [
    ("base", {"errors", "fmt", "_pint", "units", "schema", "attribution", "comparison", "outdir", "hooks", "frames"}),
    ("domain", {"case", "policy"}),
    ("io", {"files", "excel", "changes", "periods", "io", "examples"}),
    ("graph", {"graph", "generate"}),
    ("model", {"solution", "solver", "limits", "builders", "diagnose", "model"}),
    ("result", {"result", "loadresult", "check"}),
    ("solve", {"api"}),
    ("analysis", {"decision", "sweep", "gains", "outages", "phased", "phased_decision"}),
    ("views", {"views"}),
    ("cli", {"cli", "commands", "terminal", "tables", "phased_print", "__main__"}),
]

#: imports against the layers known today (importer, imported); this list may only shrink
KNOWN_AGAINST = {
    ("decision", "views"),  # the Pareto front's PNG: decision.write_png (views.images)
    ("gains", "views"),     # gains colours plants by company and writes its report (views.network, views.report)
    ("outages", "views"),   # the outage report's network and page (views.network, views.report)
    ("phased", "views"),    # PhasedResult.write: the network by period and the timeline report
}


def _layer_of(module: str) -> int:
    top = module.split(".")[0]
    for i, (_, names) in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"symbiosis/{module.replace('.', '/')}.py is in no layer: add it to LAYERS in "
                         "tests/test_api_ux.py (and to the map in CONTRIBUTING.md)")


def _imports() -> dict[str, set[str]]:
    pkg = ROOT / "symbiosis"
    mods = {}
    for f in pkg.rglob("*.py"):
        rel = f.relative_to(pkg).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        if not parts:
            continue  # the package face: names only, imported lazily
        mods[".".join(parts)] = f
    edges: dict[str, set[str]] = {m: set() for m in mods}

    def owner(name: str) -> str | None:
        name = name[len("symbiosis."):] if name.startswith("symbiosis.") else None
        while name:
            if name in mods:
                return name
            name = name.rpartition(".")[0]
        return None
    for m, f in mods.items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                  and (getattr(node.func, "attr", None) == "import_module"
                       or getattr(node.func, "id", None) in ("import_module", "__import__"))):
                targets = [str(node.args[0].value)]  # importlib.import_module("symbiosis.x") counts too
            for t in targets:
                o = owner(t)
                if o and o != m and not (o == m.rpartition(".")[0]) :
                    edges[m].add(o)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle():
    cycles = _cycles(_imports())
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(sorted(c)) for c in cycles) + \
        " (import what is shared from a lower module)"


def _against(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(m.split(".")[0], o.split(".")[0]) for m, targets in edges.items() for o in targets
            if _layer_of(o) > _layer_of(m)}


def test_imports_follow_the_layers():
    against = _against(_imports())
    new = sorted(against - KNOWN_AGAINST)
    assert not new, ("imports against the layers (lower -> higher): "
                     + ", ".join(f"{a} -> {b} ({LAYERS[_layer_of(a)][0]} -> {LAYERS[_layer_of(b)][0]})" for a, b in new)
                     + "; move the code to the higher layer, or give the lower one a hook (symbiosis/hooks.py)")
    assert KNOWN_AGAINST <= against, f"gone, remove from KNOWN_AGAINST: {sorted(KNOWN_AGAINST - against)}"
    # the domain reads no file, builds no graph; a result draws no view
    assert not {o.split(".")[0] for o in _imports()["case"]} & {"io", "files", "changes", "excel", "graph"}
    assert not any(o.startswith("views") for o in _imports()["result"])


def test_the_layer_check_sees_an_import_against_the_layers():
    edges = {"case": {"units"}, "io": {"case"}, "result": {"views.network", "graph"}}
    assert _against(edges) == {("result", "views")}


def test_hooks_are_wired_upwards():
    """Every hook a module asks for (symbiosis.hooks.provided("Class.method")) is wired by
    the package face, to a function of a higher layer that exists."""
    import importlib

    from symbiosis import hooks
    asked: dict[str, str] = {}
    for f in (ROOT / "symbiosis").rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "provided" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                asked[node.args[0].value] = f.relative_to(ROOT / "symbiosis").with_suffix("").as_posix()
    assert asked, "the walker found no hook"
    assert set(asked) == set(hooks.WIRED), (sorted(asked), sorted(hooks.WIRED))
    for name, caller in asked.items():
        module, _, function = hooks.WIRED[name].partition(":")
        assert callable(getattr(importlib.import_module(module), function))
        provider = module[len("symbiosis."):]
        assert _layer_of(provider) > _layer_of(caller.replace("/", ".")), (name, caller, provider)


def test_the_cycle_walker_sees_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
