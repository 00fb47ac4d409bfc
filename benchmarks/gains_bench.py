"""Time each step of ``symbiosis gains`` on the shipped partner parks.

Per run: build of the one model, the standalone solve, the park's solve, the Shapley
values (exact by coalitions or sampled on Dask), the transfer prices and the fair design,
with the number of solves; then the companies' margins, the Shapley split, the exchanges
that need a transfer price and what fairness costs. A benchmark prints figures; it asserts
nothing. ``--out DIR`` keeps each run's companies.csv, transfer_prices.csv and gains.json
in ``DIR/<case>_<by>``.

    python benchmarks/gains_bench.py                       # the runs of docs/gains.md
    python benchmarks/gains_bench.py changzhi --by park    # one case, one grouping
    python benchmarks/gains_bench.py --sampled             # also by company (sampled, Dask)
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import symbiosis
from symbiosis.errors import InfeasibleError
from symbiosis.fmt import fmt
from symbiosis.io import shipped_cases_dir

#: (case, grouping): the runs of docs/gains.md (by company is sampled: see --sampled)
RUNS = [("changzhi", "park"), ("pingdingshan", "park"), ("liupanshui", "park")]
SAMPLED = [("changzhi", "company"), ("pingdingshan", "company"), ("liupanshui", "company")]


def run(name: str, by: str, *, samples: int, out: Path | None, price_bounds=None):
    case = symbiosis.load_case(shipped_cases_dir() / f"{name}.yaml")
    money = case.units.get("money", "CNY")
    print(f"\n=== {case.name} ({len(case.plants)} plants) by {by}")
    baseline = "alone"
    t0 = time.perf_counter()
    try:
        g = symbiosis.gains(case, by=by, baseline="alone", fair=True, samples=samples, price_bounds=price_bounds)
    except InfeasibleError as exc:
        print("baseline 'alone' is infeasible:")
        for r in exc.reasons[1:]:
            print("  " + r)
        baseline = "today"
        t0 = time.perf_counter()
        g = symbiosis.gains(case, by=by, baseline="today", fair=True, samples=samples, price_bounds=price_bounds)
    wall = time.perf_counter() - t0
    s = g.summary
    print(f"baseline {baseline}; {s['companies']} companies, {len(s['players'])} players; Shapley "
          f"{s['shapley_method']}" + (f" ({s['sampled']['samples']} permutations)" if s.get("sampled") else ""))
    print(f"standalone total {fmt(s['standalone_total'], money)}, park {fmt(s['park_total'], money)}, "
          f"gain of cooperation {fmt(s['gain'], money)}/yr")
    df = g.companies.sort_values("shapley", ascending=False)
    w = max(len(c) for c in df["company"])
    print(f"{'company':<{w}}  {'alone':>11} {'in park':>11} {'after':>11} {'Shapley':>11} {'± 95%':>9}")
    for r in df.itertuples():
        if not r.player and abs(r.gain) < 1 and abs(r.gain_before_transfers) < 1:
            continue
        print(f"{r.company:<{w}}  {fmt(r.standalone_margin):>11} {fmt(r.park_margin_before_transfers):>11} "
              f"{fmt(r.park_margin_after_transfers):>11} {fmt(r.shapley):>11} "
              f"{fmt(r.shapley_ci95) if r.shapley_ci95 else '':>9}")
    quiet = int((~g.companies["player"]).sum())
    if quiet:
        print(f"({quiet} companies with no new exchange possible with another are not players)")
    tp = g.transfer_prices
    need = tp[tp["needs_price"]] if len(tp) else tp
    print(f"{len(need)} of {len(tp)} exchanges between companies carry a payment ({s['rule']} split):")
    for r in need.itertuples():
        off = "" if abs(r.price - r.reference_price) < 1e-6 else f" (reference {r.reference_price:,.2f})"
        print(f"  {r.source} -> {r.target}: {r.material} {fmt(r.flow, r.unit)}/yr at {r.price:,.2f} "
              f"{money}/{r.unit}{off}, range {r.price_low:,.2f} .. {r.price_high:,.2f}")
    core = s.get("core")
    if core:
        print(f"core: empty {core['core_empty']}, Shapley in core {core['shapley_in_core']}"
              + (f"; {', '.join(core['blocking_coalition'])} gain {fmt(core['blocking_excess'], money)}/yr more "
                 "by leaving" if core["blocking_coalition"] else ""))
    f = s["fair"]
    print(f"fairness cost {fmt(f['fairness_cost'], money)}/yr (within the solver's gap: {f['within_gap']}); "
          f"network changes: {', '.join(f['network_changes']) or 'none'}")
    tm = s["timings_s"]
    print("time: " + ", ".join(f"{k} {v:.2f} s" for k, v in tm.items()) + f"; {s['solves']} solves in this "
          f"process, {wall:.1f} s in all")
    if out is not None:
        g.write(out / f"{name}_{by}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", nargs="?", help="shipped case name (default: the runs of docs/gains.md)")
    ap.add_argument("--by", default=None, help="company, park or plant (with a case)")
    ap.add_argument("--sampled", action="store_true", help="also the runs by company (sampled Shapley on Dask)")
    ap.add_argument("--samples", type=int, default=40, help="permutations for sampled Shapley values")
    ap.add_argument("--no-gate-fees", action="store_true", help="price bounds '*=0:' (no negative price)")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, {platform.platform()}")
    runs = [(a.case, a.by or "park")] if a.case else RUNS + (SAMPLED if a.sampled else [])
    bounds = {"*": (0.0, None)} if a.no_gate_fees else None
    for name, by in runs:
        run(name, by, samples=a.samples, out=a.out, price_bounds=bounds)


if __name__ == "__main__":
    main()
