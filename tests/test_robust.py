"""Issue 12: library paths confined, output folders swapped whole (kill, concurrent writers,
read-only, full disk), Excel formulas without saved values, and a bounded loader fuzz."""
from __future__ import annotations

import copy
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbiosis.errors import CaseError
from symbiosis.io import load_case, shipped_cases_dir
from symbiosis.outdir import OutputError, check_writable, write_whole

PKG = Path(__file__).resolve().parents[1] / "symbiosis"
TUTORIAL = shipped_cases_dir() / "tutorial.yaml"


# --------------------------------------------------------------------------- library paths
def _case_with_library(tmp_path: Path, library) -> Path:
    data = yaml.safe_load(TUTORIAL.read_text())
    data["library"] = library
    f = tmp_path / "case" / "case.yaml"
    f.parent.mkdir(exist_ok=True)
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    return f


@pytest.mark.parametrize("lib", ["/", "/proc", "/etc", "..", "../../..", "/proc/self/fd"])
def test_library_outside_the_case_folder_is_refused_with_the_fix(tmp_path, lib):
    with pytest.raises(CaseError) as e:
        load_case(_case_with_library(tmp_path, lib))
    [p] = e.value.problems
    assert p.entry == "library" and p.file.endswith("case.yaml")
    assert "outside the case's folder" in p.message and "SYMBIOSIS_LIBRARY_PATH=" in p.message


def test_library_inside_the_case_folder_and_the_case_file_itself(tmp_path):
    # '.' is the case's own folder: the case file there is not read as a library
    case = load_case(_case_with_library(tmp_path, "."))
    assert "carbide" in case.plants
    with pytest.raises(CaseError) as e:
        load_case(_case_with_library(tmp_path, "case.yaml"))
    assert "is a file" in e.value.problems[0].message


def test_library_link_out_of_the_case_folder_is_not_followed(tmp_path):
    f = _case_with_library(tmp_path, "lib")
    (f.parent / "lib").mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "bad.yaml").write_text("processes: {x: 1}\n")  # would be a problem if read
    (f.parent / "lib" / "link.yaml").symlink_to(outside / "bad.yaml")
    assert "carbide" in load_case(f).plants
    (f.parent / "lib2").symlink_to(outside, target_is_directory=True)
    data = yaml.safe_load(f.read_text())
    data["library"] = ["lib2"]
    f.write_text(yaml.safe_dump(data))
    with pytest.raises(CaseError, match="outside the case's folder"):
        load_case(f)


def test_library_path_allowed_by_the_environment(tmp_path, monkeypatch):
    shared = tmp_path / "shared_models"
    shared.mkdir()
    (shared / "empty.yaml").write_text("materials: {}\n")
    f = _case_with_library(tmp_path, str(shared))
    with pytest.raises(CaseError, match="outside the case's folder"):
        load_case(f)
    monkeypatch.setenv("SYMBIOSIS_LIBRARY_PATH", str(shared))
    assert "carbide" in load_case(f).plants


# --------------------------------------------------------------------------- output folders
# Child processes import symbiosis.outdir without the package's __init__ (Pyomo, pandas):
# a stub package whose __path__ is the source folder.
CHILD_HEAD = textwrap.dedent(f"""
    import os, sys, time, types
    from pathlib import Path
    pkg = types.ModuleType("symbiosis"); pkg.__path__ = [{str(PKG)!r}]; sys.modules["symbiosis"] = pkg
    from symbiosis.outdir import write_whole, OutputError
    N = 12
    def fill_with(tag, pause=0.0):
        def fill(d):
            for i in range(N):
                (d / f"part{{i:02d}}.csv").write_text(f"{{tag}}\\n" * 2000)
                time.sleep(pause)
            (d / "views").mkdir()
            (d / "views" / "report.html").write_text(tag)
        return fill
""")


def _generations(out: Path) -> tuple[set[str], bool]:
    """The tags found in out/ and whether the folder is complete."""
    parts = sorted(out.glob("part*.csv"))
    tags = {p.read_text().split("\n", 1)[0] for p in parts}
    if (out / "views" / "report.html").exists():
        tags.add((out / "views" / "report.html").read_text())
    return tags, len(parts) == 12 and (out / "views" / "report.html").exists()


def test_kill_mid_write_leaves_old_whole_or_new_whole(tmp_path):
    """A writer killed at many points of a write: out/ holds one generation, complete;
    the next run removes what the killed one left and the kept file survives."""
    out = tmp_path / "out"
    child = CHILD_HEAD + textwrap.dedent(f"""
        out = Path({str(out)!r})
        g = int(sys.argv[1])
        print("go", flush=True)
        while True:
            g += 1
            write_whole(out, fill_with(f"gen{{g}}"))
    """)
    subprocess.run([sys.executable, "-c", child.replace("while True:", "for _ in range(1):"), "0"], check=True)
    (out / "mine.txt").write_text("a file another command wrote")
    seen = {"old whole": 0, "new whole": 0, "mixed or incomplete": 0}
    last = {"gen1"}
    kills = 16
    for k in range(kills):
        p = subprocess.Popen([sys.executable, "-c", child, str(1000 * (k + 1))], stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "go"
        time.sleep(0.02 + 0.037 * k)  # kill at a different point of the write loop each time
        p.send_signal(signal.SIGKILL)
        p.wait()
        tags, complete = _generations(out)
        if len(tags) == 1 and complete:
            seen["old whole" if tags == last else "new whole"] += 1
            last = tags
        else:
            seen["mixed or incomplete"] += 1
        assert (out / "mine.txt").read_text() == "a file another command wrote"
    print("kill test:", kills, "kills,", seen)
    assert seen["mixed or incomplete"] == 0, seen
    subprocess.run([sys.executable, "-c", child.replace("while True:", "for _ in range(1):"), "0"], check=True)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # stale temporaries and lock removed
    assert _generations(out)[1]


def test_concurrent_writers_do_not_mix(tmp_path):
    out = tmp_path / "out"
    child = CHILD_HEAD + textwrap.dedent(f"""
        write_whole(Path({str(out)!r}), fill_with(sys.argv[1], pause=0.01))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", child, tag]) for tag in ("runA", "runB", "runC")]
    assert [p.wait() for p in procs] == [0, 0, 0]
    tags, complete = _generations(out)
    assert complete and len(tags) == 1 and tags <= {"runA", "runB", "runC"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_second_writer_fails_clearly_when_the_lock_is_held(tmp_path):
    out, go = tmp_path / "out", tmp_path / "go"
    child = CHILD_HEAD + textwrap.dedent(f"""
        def slow(d):
            print("filling", flush=True)
            while not Path({str(go)!r}).exists():
                time.sleep(0.02)
            fill_with("first")(d)
        write_whole(Path({str(out)!r}), slow)
    """)
    p = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "filling"
        with pytest.raises(OutputError, match=rf"another run \(process {p.pid}\) is writing to .*out/"):
            write_whole(out, lambda d: (d / "x.csv").write_text("second"), lock_timeout=0.3)
    finally:
        go.write_text("")
        assert p.wait() == 0
    assert _generations(out) == ({"first"}, True) and not (out / "x.csv").exists()


def test_failed_fill_leaves_the_folder_and_no_temporaries(tmp_path):
    out = tmp_path / "out"
    write_whole(out, lambda d: (d / "a.csv").write_text("old"))

    def boom(d):
        (d / "a.csv").write_text("new")
        raise RuntimeError("view failed")

    with pytest.raises(RuntimeError):
        write_whole(out, boom)
    assert (out / "a.csv").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_full_disk_is_one_clear_error(tmp_path):
    out = tmp_path / "out"
    write_whole(out, lambda d: (d / "a.csv").write_text("old"))
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full to produce ENOSPC")

    def fill(d):  # a write that the kernel answers with ENOSPC
        (d / "network.html").symlink_to("/dev/full")
        with open(d / "network.html", "w") as f:
            f.write("x" * 100_000)

    with pytest.raises(OutputError, match="no space left on the device; nothing was changed there"):
        write_whole(out, fill)
    assert (out / "a.csv").read_text() == "old"


def test_read_only_folder_is_one_clear_error_before_the_solve(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as root: chmod cannot make a folder read-only for this user")
        with pytest.raises(OutputError, match="permission denied"):
            check_writable(ro / "out")
        with pytest.raises(OutputError, match="permission denied; nothing was changed"):
            write_whole(ro / "out", lambda d: (d / "a.csv").write_text("x"))
    finally:
        ro.chmod(0o755)


def test_cli_checks_the_output_folder_before_solving(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import symbiosis.api
    from symbiosis.cli import app

    def no_solve(*a, **k):
        raise AssertionError("the solve started although --out cannot be written")

    monkeypatch.setattr(symbiosis.api, "optimize", no_solve)
    blocker = tmp_path / "file"
    blocker.write_text("")
    for out in (blocker, blocker / "out"):  # a file; a folder below a file (ENOTDIR, also as root)
        r = CliRunner().invoke(app, ["solve", str(TUTORIAL), "--out", str(out)])
        assert r.exit_code == 6, r.output
        assert "cannot write results to" in r.output and "Traceback" not in r.output


def test_write_keeps_other_commands_files_and_follows_a_link(tmp_path):
    real = tmp_path / "real"
    write_whole(real, lambda d: (d / "pareto.csv").write_text("p"))
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    written = write_whole(link, lambda d: (d / "summary.json").write_text("{}"))
    assert [p.name for p in written] == ["summary.json"]
    assert link.is_symlink() and sorted(p.name for p in real.iterdir()) == ["pareto.csv", "summary.json"]


# --------------------------------------------------------------------------- Excel formulas
def _workbook_with_formula(tmp_path, cached: str | None) -> Path:
    """The tutorial as a workbook whose equivalence of the second slot option (sheet
    process_options, D3, 1.25) is the formula =1+0.25, saved with its value (as Excel
    and LibreOffice save it) or without one (as openpyxl or pandas write it)."""
    from openpyxl import load_workbook

    from symbiosis.io import case_to_workbook
    xlsx = case_to_workbook(TUTORIAL, tmp_path / "case.xlsx")
    wb = load_workbook(xlsx)
    ws = wb["process_options"]
    assert ws["D1"].value == "equivalence" and ws["D3"].value == 1.25
    ws["D3"] = "=1+0.25"
    wb.save(xlsx)
    if cached is not None:  # add <v> beside <f> in the sheet's XML
        with zipfile.ZipFile(xlsx) as z:
            items = {n: z.read(n) for n in z.namelist()}
        name = next(n for n in items if n.startswith("xl/worksheets/") and b"<f>1+0.25</f>" in items[n])
        items[name] = re.sub(rb"<f>1\+0\.25</f>(<v\s*/>|<v></v>)?", b"<f>1+0.25</f><v>" + cached.encode() + b"</v>",
                             items[name])
        with zipfile.ZipFile(xlsx, "w") as z:
            for n, data in items.items():
                z.writestr(n, data)
    return xlsx


def test_excel_formula_without_a_saved_value_names_the_cell(tmp_path):
    with pytest.raises(CaseError) as e:
        load_case(_workbook_with_formula(tmp_path, None))
    p = e.value.problems[0]
    assert p.entry == "sheet 'process_options', cell D3"
    assert "=1+0.25" in p.message and "no saved value" in p.message


def test_excel_formula_with_a_saved_value_reads_the_value(tmp_path):
    from symbiosis.excel import read_case_workbook
    from symbiosis.io import case_to_workbook
    plain = read_case_workbook(case_to_workbook(TUTORIAL, tmp_path / "plain.xlsx"), validate=False)
    xlsx = _workbook_with_formula(tmp_path, "1.25")
    assert read_case_workbook(xlsx, validate=False) == plain  # the formula reads as the number it replaced
    assert load_case(xlsx).plants.keys() == load_case(TUTORIAL).plants.keys()


# --------------------------------------------------------------------------- loader fuzz
BAD = ["nan", ".nan", "inf", "-inf", "1e400", "10**400", "9**9**9", "1" + "0" * 401, "∞", "1/0",
       "500 CNY/MWh", "-5 t", "", "x y z", "🙂", None, True, [], {}, [1, 2], {"a": 1}, 0, -1, 1e300]


def _paths(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


TUTORIAL_DICT = yaml.safe_load(TUTORIAL.read_text())
TUTORIAL_PATHS = list(_paths(TUTORIAL_DICT))


@st.composite
def mutated_case(draw):
    d = copy.deepcopy(TUTORIAL_DICT)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(TUTORIAL_PATHS))
        node = d
        try:
            for k in path[:-1]:
                node = node[k]
            kind = draw(st.sampled_from(["value", "delete", "unit", "library"]))
            if kind == "value":
                node[path[-1]] = draw(st.one_of(st.sampled_from(BAD), st.text(max_size=12),
                                                st.floats(allow_nan=True, allow_infinity=True)))
            elif kind == "delete":
                del node[path[-1]]
            elif kind == "unit":
                node[path[-1]] = f"{draw(st.sampled_from(BAD[:10]))} {draw(st.sampled_from(['t/yr', 'CNY', 'CNY/t']))}"
            else:
                d["library"] = draw(st.sampled_from(["/", "..", ".", "/proc", "", "nope", "shipped", []]))
        except (KeyError, IndexError, TypeError):
            pass
    return d


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(mutated_case())
def test_loader_fuzz_loads_or_raises_case_error(tmp_path, data):
    f = tmp_path / "case.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    try:
        case = load_case(f)
    except CaseError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        assert "instance of" not in str(exc) and len(str(exc)) < 20_000
        return
    import math
    for name, p in case.plants.items():
        for v in (p.capacity, p.activity_min, p.activity_max, p.fixed_cost):
            assert v is None or math.isfinite(v), (name, v)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_loader_fuzz_raw_bytes(data):
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "case.yaml"
        f.write_bytes(data)
        try:
            load_case(f)
        except CaseError as exc:
            assert exc.problems


def test_library_folder_of_cases_stops_at_the_first(tmp_path):
    f = _case_with_library(tmp_path, "others")
    (f.parent / "others").mkdir()
    for i in range(30):
        (f.parent / "others" / f"c{i:02d}.yaml").write_text(TUTORIAL.read_text())
    with pytest.raises(CaseError) as e:
        load_case(f)
    [p] = e.value.problems
    assert p.file.endswith("c00.yaml") and "is a case file" in p.message


# --------------------------------------------------------------------------- loader bounds (issue 12)
def _bomb(levels: int, field: str) -> str:
    """A YAML alias bomb: ``levels`` lists of nine aliases of the level below, ~9**levels values."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    data = yaml.safe_load((shipped_cases_dir() / "tutorial.yaml").read_text(encoding="utf-8"))
    kept = yaml.safe_dump({k: v for k, v in data.items() if k != field}, sort_keys=False)
    return kept + "\n" + "\n".join(f"x{ln}" for ln in lines) + f"\n{field}: *a{levels - 1}\n"


@pytest.mark.parametrize("levels, field", [(9, "description"), (8, "plants"), (9, "exchanges")])
def test_alias_bomb_is_refused_naming_the_expansion(tmp_path, levels, field):
    """A 400-byte file expanding to 9**9 values: refused as such (counted by identity,
    never expanded; benchmarks/fuzz_cases.py measures the time)."""
    f = tmp_path / "bomb.yaml"
    f.write_text(_bomb(levels, field), encoding="utf-8")
    from symbiosis.files import MAX_VALUES
    assert 9 ** levels > MAX_VALUES  # a bomb beyond the bound
    with pytest.raises(CaseError, match=f"expands to more than {MAX_VALUES:,} values") as exc:
        load_case(f)
    assert len(str(exc.value)) < 600  # the error does not echo the expansion


def test_self_referencing_alias_is_refused(tmp_path):
    f = tmp_path / "loop.yaml"
    f.write_text("name: x\nloop: &a [*a]\nplants: {}\n", encoding="utf-8")
    with pytest.raises(CaseError, match="nested more than"):
        load_case(f)


def test_huge_text_is_refused_naming_its_entry(tmp_path):
    data = yaml.safe_load((shipped_cases_dir() / "tutorial.yaml").read_text(encoding="utf-8"))
    data["description"] = "x" * 1_000_000
    data["plants"]["pvc"]["note"] = "y" * 200_000
    f = tmp_path / "huge.yaml"
    f.write_text(yaml.safe_dump(data, width=10 ** 7), encoding="utf-8")
    with pytest.raises(CaseError) as exc:
        load_case(f)
    text = str(exc.value)
    assert "1,000,000 characters" in text and "description" in text and len(text) < 600
    data["description"] = "x" * 1000  # a long but ordinary text is read
    del data["plants"]["pvc"]["note"]
    f.write_text(yaml.safe_dump(data, width=10 ** 7), encoding="utf-8")
    assert load_case(f).description.startswith("xxx")


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    import symbiosis.files as sio  # the YAML reader and its limits
    f = tmp_path / "big.yaml"
    f.write_text("name: x\nplants: {}\n" + "# pad\n" * 1000, encoding="utf-8")
    monkeypatch.setattr(sio, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(sio.Path, "read_bytes", lambda self: pytest.fail("read before the size check"))
    with pytest.raises(CaseError, match="MB; a case or library file is at most"):
        load_case(f)


def test_a_power_tower_as_the_unit_of_activity_is_refused(tmp_path):
    """The 10,000-input fuzz found `activity: 9**9**9 t/yr` hanging the loader (pint
    evaluated the tower): it is refused, naming the entry."""
    import yaml

    from symbiosis import CaseError, load_case
    data = yaml.safe_load(TUTORIAL.read_text())
    name = next(iter(data["processes"]))
    data["processes"][name]["activity"] = "9**9**9 t/yr"
    path = tmp_path / "tower.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(CaseError, match=rf"processes\.{name}\.activity: .*powers of numbers"):
        load_case(path)
