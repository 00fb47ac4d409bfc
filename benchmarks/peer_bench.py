"""symbiosis against a straightforward direct highspy formulation of the same MILP, side
by side on generated regions (``symbiosis.generate.region``).

Each run is a fresh subprocess (so its peak memory is its own); runs alternate between
the two (interleaved, order swapped every repetition) and the table gives medians.
Both read the same case file with ``symbiosis.load_case`` and use the same exchanges
(``symbiosis.graph.candidate_exchanges``); objective cost, HiGHS 1 thread, mip_rel_gap
1 %, time limit 120 s.

- symbiosis: load_case, ParkModel (candidates + build), optimize (hand-off, HiGHS,
  polish and result tables).
- direct: benchmarks/direct_model.py (numpy arrays -> Highs.passModel).

"outside" is the wall time of a run less the time inside HiGHS's MIP ``run``; peak is
the child's peak RSS (ru_maxrss), "base" its RSS once the libraries are imported.
Agreement: the direct model's network (its binaries, exchanges to idle plants closed)
is fixed in a ParkModel and in the direct model and both LPs are solved; "eval diff" is
their relative difference (the same MILP gives 0 up to LP tolerances). "obj diff" is
symbiosis's MIP objective against the direct one (both stop at a 1 % gap).

    python benchmarks/peer_bench.py [--sizes 300 1000 3000] [--repeat 3] [--unlisted]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("SYMBIOSIS_BENCH_CACHE", "/tmp/symbiosis-bench"))


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def case_file(n: int, seed: int, listed: bool) -> Path:
    """The region's YAML file, written once per (size, seed, listed)."""
    from symbiosis.generate import region, write_region
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"region_{n}_s{seed}{'_listed' if listed else ''}.yaml"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        write_region(region(n, seed, listed=listed), tmp)
        tmp.rename(path)
    return path


# ---------------------------------------------------------------------- children
def child_symbiosis(path: str, time_limit: float) -> dict:
    import symbiosis
    from symbiosis.model import ParkModel
    base = _rss_mb()
    t_start = time.perf_counter()
    t0 = time.perf_counter()
    case = symbiosis.load_case(path)
    t_load = time.perf_counter() - t0
    pm = ParkModel(case)
    t0 = time.perf_counter()
    try:
        r = symbiosis.optimize(case, "cost", model=pm, time_limit=time_limit, mip_gap=0.01, threads=1)
    except symbiosis.SolverError as exc:  # no network within the time limit: say so in the table
        wall = time.perf_counter() - t_start
        inside = pm.timings.get("solve", 0.0)
        return {"load": t_load, "candidates": pm.timings["candidates"], "build": pm.timings["build"],
                "handoff": pm.timings.get("handoff", 0.0), "highs": inside, "after": 0.0, "wall": wall,
                "outside": wall - inside, "objective": float("nan"), "bound": float("nan"),
                "status": f"no solution ({exc})"[:60], "exchanges": len(pm.exchanges), "rows": 0, "base_mb": base}
    t_opt = time.perf_counter() - t0
    wall = time.perf_counter() - t_start
    tm = r.timings
    inside = tm["solve"]
    return {"load": t_load, "candidates": pm.timings["candidates"], "build": pm.timings["build"],
            "handoff": tm["handoff"], "highs": inside, "after": t_opt - tm["handoff"] - inside,
            "wall": wall, "outside": wall - inside, "objective": r.solver["objective"],
            "bound": r.solver["bound"], "status": r.solver["status"], "exchanges": len(pm.exchanges),
            "rows": len(getattr(pm.highs.getLp(), "row_lower_", [])), "base_mb": base}


def child_direct(path: str, time_limit: float, verify: bool) -> dict:
    sys.path.insert(0, str(HERE))
    import symbiosis
    from direct_model import DirectModel, evaluate_in_symbiosis
    from symbiosis.graph import candidate_exchanges
    base = _rss_mb()
    t_start = time.perf_counter()
    t0 = time.perf_counter()
    case = symbiosis.load_case(path)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    xs = candidate_exchanges(case)
    t_cand = time.perf_counter() - t0
    dm = DirectModel(case, xs)
    sol = dm.solve(time_limit=time_limit, mip_gap=0.01, threads=1)
    wall = time.perf_counter() - t_start
    inside = dm.timings["solve"]
    out = {"load": t_load, "candidates": t_cand, "build": dm.timings["build"], "handoff": dm.timings["handoff"],
           "highs": inside, "after": dm.timings["extract"], "wall": wall, "outside": wall - inside,
           "objective": sol["objective"], "bound": sol["bound"], "status": sol["status"], "exchanges": len(xs),
           "rows": dm.n_rows, "nnz": dm.nnz, "base_mb": base}
    if verify:
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        net = dm.network(sol["values"])
        h = dm.to_highs(fix=dm.fixed_columns(net), time_limit=time_limit)
        h.run()
        lp_direct = h.getInfo().objective_function_value / 1e-6
        lp_sym = evaluate_in_symbiosis(case, xs, net, time_limit=time_limit)
        out.update({"eval_direct": lp_direct, "eval_symbiosis": lp_sym, "dangling": net["dangling"],
                    "eval_diff": abs(lp_sym - lp_direct) / max(1.0, abs(lp_direct))})
        out["peak_mb"] = peak_before  # the verification's model does not count
    return out


def child_main(args) -> None:
    if args.child == "symbiosis":
        res = child_symbiosis(args.case, args.time_limit)
    else:
        res = child_direct(args.case, args.time_limit, args.verify)
    res.setdefault("peak_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("RESULT " + json.dumps(res), flush=True)


def run_child(kind: str, path: Path, time_limit: float, verify: bool = False) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--case", str(path),
           "--time-limit", str(time_limit)] + (["--verify"] if verify else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{kind} run failed on {path}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


# ---------------------------------------------------------------------- parent
def med(runs: list[dict], key: str) -> float:
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else float("nan")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 3000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--unlisted", action="store_true", help="exchanges generated from coordinates, not listed")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--child", choices=["symbiosis", "direct"])
    ap.add_argument("--case")
    ap.add_argument("--verify", action="store_true")
    ap.add_argument("--json", type=Path, help="also store the medians there (benchmarks/readme_table.py "
                    "turns them into the README's speed table)")
    args = ap.parse_args(argv)
    if args.child:
        child_main(args)
        return
    listed = not args.unlisted
    print(f"# peer benchmark: {'listed' if listed else 'generated'} exchanges, seed {args.seed}, objective cost, "
          f"HiGHS 1 thread, gap 1 %, limit {args.time_limit:g} s, medians of {args.repeat} interleaved runs",
          flush=True)
    rows = []
    for n in args.sizes:
        t0 = time.perf_counter()
        path = case_file(n, args.seed, listed)
        print(f"# {n} plants: {path} ({path.stat().st_size / 1e6:.1f} MB, ready in {time.perf_counter() - t0:.1f} s)",
              flush=True)
        sym, dir_ = [], []
        for rep in range(args.repeat):
            order = ("symbiosis", "direct") if rep % 2 == 0 else ("direct", "symbiosis")
            for kind in order:
                r = run_child(kind, path, args.time_limit, verify=(kind == "direct" and rep == 0))
                (sym if kind == "symbiosis" else dir_).append(r)
                print(f"#   run {rep + 1} {kind:9s}: wall {r['wall']:7.2f} s, HiGHS {r['highs']:7.2f} s, "
                      f"outside {r['outside']:6.2f} s, peak {r['peak_mb']:6.0f} MB, {r['status']}, "
                      f"objective {r['objective']:.6e}", flush=True)
        rows.append((n, sym, dir_))
        _table(rows)
        if args.json:
            _store(args, rows)


PHASES = ("load", "candidates", "build", "handoff", "highs", "after", "outside", "wall", "peak_mb")


def agreement(sym: list[dict], dir_: list[dict], gap: float = 0.01) -> dict:
    """Do the two runs agree? Each incumbent (cost, minimised) must be no better than the
    other's proven bound, and the objectives within the gap of each other."""
    so, do = med(sym, "objective"), med(dir_, "objective")
    sb, db = med(sym, "bound"), med(dir_, "bound")
    tol = 1e-6 * max(1.0, abs(do))
    rel = abs(so - do) / max(1.0, abs(do))
    return {"objective_symbiosis": so, "objective_direct": do, "bound_symbiosis": sb, "bound_direct": db,
            "rel_diff": rel, "agree": bool(rel <= gap and so >= db - tol and do >= sb - tol)}


def _store(args, rows) -> None:
    import platform
    out = {"settings": {"listed": not args.unlisted, "seed": args.seed, "repeat": args.repeat,
                        "time_limit": args.time_limit, "mip_gap": 0.01, "threads": 1, "objective": "cost"},
           "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                       "load_average": os.getloadavg()[0]},
           "date": time.strftime("%Y-%m-%d", time.gmtime()), "sizes": []}
    for n, sym, dir_ in rows:
        out["sizes"].append({
            "plants": n, "exchanges": sym[0]["exchanges"], "rows_symbiosis": sym[0]["rows"],
            "rows_direct": dir_[0]["rows"], "symbiosis": {k: med(sym, k) for k in PHASES},
            "direct": {k: med(dir_, k) for k in PHASES},
            "status_symbiosis": [r["status"] for r in sym], "status_direct": [r["status"] for r in dir_],
            "eval_diff": dir_[0].get("eval_diff"), **agreement(sym, dir_)})
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1) + "\n")
    print(f"# medians stored in {args.json}", flush=True)


def _table(rows) -> None:
    print("\n| plants | exchanges | rows sym / direct | phase (median s) | symbiosis | direct |")
    print("|---|---|---|---|---|---|")
    keys = [("load", "load_case"), ("candidates", "candidates"), ("build", "build"), ("handoff", "hand-off"),
            ("after", "after HiGHS (polish, tables / extract)"), ("outside", "**outside HiGHS**"),
            ("highs", "**inside HiGHS**"), ("wall", "**wall**")]
    for n, sym, dir_ in rows:
        first = True
        for key, label in keys:
            lead = (f"| {n:,} | {sym[0]['exchanges']:,} | {sym[0]['rows']:,} / {dir_[0]['rows']:,} " if first
                    else "| | | ")
            print(f"{lead}| {label} | {med(sym, key):.2f} | {med(dir_, key):.2f} |")
            first = False
        print(f"| | | | peak RSS MB (base after imports) | {med(sym, 'peak_mb'):.0f} ({med(sym, 'base_mb'):.0f}) "
              f"| {med(dir_, 'peak_mb'):.0f} ({med(dir_, 'base_mb'):.0f}) |")
        so, do = med(sym, "objective"), med(dir_, "objective")
        sb, db = med(sym, "bound"), med(dir_, "bound")
        print(f"| | | | objective (M CNY/yr) / bound | {so / 1e6:,.1f} / {sb / 1e6:,.1f} | {do / 1e6:,.1f} / "
              f"{db / 1e6:,.1f} |")
        print(f"| | | | status | {', '.join(r['status'] for r in sym)} | {', '.join(r['status'] for r in dir_)} |")
        v = dir_[0]
        print(f"| | | | obj diff (sym - direct) / direct | {(so - do) / abs(do):+.2e} | |")
        if "eval_diff" in v:
            print(f"| | | | direct network in both models (LP) | {v['eval_symbiosis'] / 1e6:,.3f} | "
                  f"{v['eval_direct'] / 1e6:,.3f} (rel diff {v['eval_diff']:.1e}; {v['dangling']} open exchanges to "
                  f"idle plants closed) |")
    print(flush=True)


if __name__ == "__main__":
    main()
