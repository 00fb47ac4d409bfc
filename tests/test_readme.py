"""README's Python example runs as written, and its Quick start names a shipped case."""
from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(tmp_path):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for block in blocks:
            code = block.replace('"tutorial-network.html"', repr(str(tmp_path / "net.html")))
            exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    finally:
        os.chdir(cwd)
    assert (tmp_path / "net.html").stat().st_size > 10_000


def test_quick_start_uses_a_shipped_case():
    text = (ROOT / "README.md").read_text()
    qs = text.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", qs, flags=re.S).group(1)
    cases = re.findall(r"cases/(\w+)\.yaml", block)
    assert cases and all((ROOT / "cases" / f"{c}.yaml").exists() for c in cases)


# ---------------------------------------------------------------- CLI transcripts
# Every ```text block of README.md that starts with "$ symbiosis ..." is a transcript of a
# real run: its lines must come out of that command, in order ("..." stands for lines
# left out; times in seconds may differ). Run at 100 columns from a folder holding cases/.
import shlex  # noqa: E402

import pytest  # noqa: E402

#: transcripts of commands slower than the suite's budget: checked with SYMBIOSIS_DOCS_SLOW=1
SLOW = ("pareto", "alternatives", "explain", "sweep")
_SECONDS = re.compile(r"\d[\d,]*\.\d+ s\b")


def _transcripts() -> list[tuple[str, list[str]]]:
    text = (ROOT / "README.md").read_text()
    out = []
    for block in re.findall(r"```text\n(.*?)```", text, flags=re.S):
        lines = block.rstrip("\n").split("\n")
        if not lines[0].startswith("$ symbiosis "):
            continue
        cmd, body = None, []
        for line in lines:
            if line.startswith("$ symbiosis "):
                if cmd is not None:
                    out.append((cmd, body))
                cmd, body = line[2:], []
            else:
                body.append(line)
        out.append((cmd, body))
    return out


#: the sweep table's last column: seconds per run, without a unit
_SECONDS_COLUMN = re.compile(r"(?<=\s)\d+\.\d\d$")


def _norm(line: str) -> str:
    return _SECONDS_COLUMN.sub("N", _SECONDS.sub("N s", line).rstrip())


def _matches(expected: list[str], got: list[str]) -> str | None:
    """None if ``expected`` (with "..." gaps) is ``got`` in order, else the first line not found."""
    i = 0
    gap = False
    for e in expected:
        if e.strip() == "...":
            gap = True
            continue
        while i < len(got) and _norm(got[i]) != _norm(e):
            if not gap:
                return e
            i += 1
        if i == len(got):
            return e
        i += 1
        gap = False
    return None


@pytest.mark.parametrize("cmd, expected", _transcripts(), ids=lambda v: v if isinstance(v, str) else "")
def test_readme_transcript_is_a_real_run(cmd, expected, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from symbiosis.cli import _load_command_modules, app
    args = shlex.split(cmd)[1:]
    if args[0] in SLOW and not os.environ.get("SYMBIOSIS_DOCS_SLOW"):
        pytest.skip(f"`symbiosis {args[0]}` transcript: slow, checked with SYMBIOSIS_DOCS_SLOW=1")
    _load_command_modules()
    (tmp_path / "cases").symlink_to(ROOT / "cases")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, args, env={"COLUMNS": "100"})
    got = res.output.rstrip("\n").split("\n")
    missing = _matches(expected, got)
    assert missing is None, f"README shows {missing!r}, which `{cmd}` does not print:\n" + "\n".join(got)
