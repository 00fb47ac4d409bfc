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
