"""Time the outputs of ``symbiosis solve --out`` on synthetic regions: building the tables
(make_result), writing every file (tables, summary, network, Sankey, report, workbook),
the size of each file, and the time chromium takes to draw the pages that open first.
A benchmark measures; it asserts nothing.

    python benchmarks/bench_outputs.py [clusters ...]      (default: 43 143 429 = 301, 1,001, 3,003 plants)
    options: --cache DIR  keep solved results there (pickles) and reuse them
             --no-browser skip the chromium timings

Each cluster of ``synthetic.synthetic_park`` holds 7 plants.
"""
from __future__ import annotations

import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_park  # noqa: E402

from symbiosis.io import case_from_dict  # noqa: E402
from symbiosis.model import Options, ParkModel  # noqa: E402
from symbiosis.result import make_result  # noqa: E402
from symbiosis.views import write_views  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("SYMBIOSIS_CHROMIUM", "/usr/bin/chromium")
TIME_LIMIT = float(os.environ.get("SYMBIOSIS_BENCH_TIME_LIMIT", "60"))  # s per solve; raise it on a busy machine


def solved(n: int, cache: Path | None):
    """(case, exchanges, solution, status-quo solution) of synthetic_park(n), solved for cost."""
    f = cache / f"res_{n}.pkl" if cache else None
    case = case_from_dict(synthetic_park(n), file="<synthetic>")
    if f and f.exists():
        d = pickle.loads(f.read_bytes())
        return case, d["exchanges"], d["result_sol"], d["sq_sol"]
    pm = ParkModel(case)
    sol = pm.solve(Options(objective="cost", time_limit=TIME_LIMIT, mip_gap=0.02))
    sq = pm.solve(Options(objective="cost", time_limit=TIME_LIMIT, mip_gap=0.02, status_quo=True))
    if f:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(pickle.dumps({"exchanges": pm.exchanges, "result_sol": sol, "sq_sol": sq}))
    return case, pm.exchanges, sol, sq


def first_render(paths: dict[str, Path]) -> dict[str, float]:
    """Seconds from navigation to a drawn page, offline, in headless chromium."""
    from playwright.sync_api import sync_playwright
    ready = {"network.html": "window.symbiosisView && window.symbiosisView.ready",
             "report.html": "document.querySelector('#kpi-cards') !== null",
             "sankey.html": "document.querySelector('.main-svg') !== null"}
    out = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for name, path in paths.items():
            page = b.new_page(viewport={"width": 1400, "height": 950})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "about:"))
                       else r.abort())
            t0 = time.perf_counter()
            page.goto(path.resolve().as_uri(), timeout=600_000)
            page.wait_for_function(ready[name], timeout=600_000, polling=50)
            out[name] = time.perf_counter() - t0
            page.close()
        b.close()
    return out


def _accounting_gap(r) -> tuple[str, float, float]:
    """(KPI, |KPI - sum of its table|, that as a share of the KPI) of the KPI whose table
    misses it most, by tests/test_accounting.py's ``table_sums``."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("test_accounting", ROOT / "tests" / "test_accounting.py")
    acc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(acc)
    gaps = [(k, abs(r.kpi(k) - v), abs(r.kpi(k) - v) / max(abs(r.kpi(k)), 1e-12))
            for k, v in acc.table_sums(r).items()]
    return max(gaps, key=lambda g: (g[1], g[2]))


class _FileTimes:
    """Seconds spent on each file of a write: the writers wrapped while it runs."""

    def __init__(self):
        import pandas as pd

        import symbiosis.excel as excel
        import symbiosis.views as views
        import symbiosis.views.report as report
        import symbiosis.views.sankey as sankey
        from symbiosis.result import Result
        self.t: dict[str, float] = {}
        self.patches = [(pd.DataFrame, "to_csv", lambda a, k: a[1]), (pd.DataFrame, "to_parquet", lambda a, k: a[1]),
                        (views, "network_html", lambda a, k: a[1]), (sankey, "sankey_html", lambda a, k: a[1]),
                        (report, "report_html", lambda a, k: a[1]),
                        (excel, "write_results_workbook", lambda a, k: a[1]),
                        (Result, "summary", lambda a, k: "summary.json")]
        self.saved = []

    def __enter__(self):
        for obj, name, key in self.patches:
            orig = getattr(obj, name)
            self.saved.append((obj, name, orig))
            setattr(obj, name, self._wrap(orig, key))
        return self

    def _wrap(self, orig, key):
        def timed(*a, **k):
            t0 = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                name = Path(str(key(a, k))).name
                self.t[name] = self.t.get(name, 0.0) + time.perf_counter() - t0
        return timed

    def __exit__(self, *exc):
        for obj, name, orig in self.saved:
            setattr(obj, name, orig)


def run(n: int, cache: Path | None, browser: bool, parquet: bool | None = None) -> None:
    case, exchanges, sol, sq_sol = solved(n, cache)
    t0 = time.perf_counter()
    r = make_result(case, exchanges, sol)
    t_make = time.perf_counter() - t0
    sq = make_result(case, exchanges, sq_sol)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        with _FileTimes() as ft:
            t0 = time.perf_counter()
            r.write(out, html=False, parquet=parquet, extra=lambda d: write_views(r, d, status_quo=sq))
            t_write = time.perf_counter() - t0
        sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
        times = first_render({k: out / k for k in ("network.html", "report.html")}) if browser else {}
    kpi, gap, rel = _accounting_gap(r)
    print(f"\n{len(r.plants)} plants, {len(r.exchanges)} candidate exchanges, "
          f"{int(r.exchanges['open'].sum()) if 'open' in r.exchanges else '?'} open: make_result {t_make:.2f} s, "
          f"write (all files) {t_write:.2f} s, total {sum(sizes.values()) / 1e6:.1f} MB; "
          f"largest KPI - table gap: {kpi} {gap:.3g} ({rel:.2e} of it)")
    rest = t_write - sum(ft.t.values())
    for name, size in sizes.items():
        shown = f", first render {times[name]:.2f} s" if name in times else ""
        took = f"  write {ft.t[name]:7.2f} s" if name in ft.t else " " * 16
        print(f"  {name:<16} {size / 1e6:8.2f} MB{took}{shown}")
    print(f"  {'(folder swap, fsync, other)':<28}{'':>5}write {rest:7.2f} s")


def main(argv):
    cache = None
    if "--cache" in argv:
        i = argv.index("--cache")
        cache = Path(argv[i + 1])
        del argv[i:i + 2]
    browser = "--no-browser" not in argv
    argv = [a for a in argv if a != "--no-browser"]
    for n in [int(a) for a in argv] or [43, 143, 429]:
        run(n, cache, browser)


if __name__ == "__main__":
    main(sys.argv[1:])
