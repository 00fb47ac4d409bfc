"""Decision support over time on a phased case: model size, solves and time of explain
(one plant, every period), the k best plans and a Pareto front.

    python benchmarks/phased_decision_bench.py [CASE] [--plant NAME] [-k K] [--points N]
                                               [--mip-gap G] [--time-limit S]

Default: cases/liupanshui_phased.yaml, --plant hongguo_methanol, -k 3, --points 0 (no
front). Prints one line per run: model size (columns, integer, rows, nonzeros), solves,
seconds, and the status of every solve; then the explain verdict and the plans. Times
are of this machine and its load; run it twice before quoting.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import symbiosis  # noqa: E402
from symbiosis.phased_decision import alternatives_phased, explain_phased, pareto_phased  # noqa: E402


def line(name, df, statuses):
    sz = df.attrs["model_size"]
    print(f"{name}: {sz['columns']:,} columns ({sz['integer_columns']:,} integer), {sz['rows']:,} rows, "
          f"{sz['nonzeros']:,} nonzeros; {df.attrs['solves']} solves in {df.attrs['seconds']:.1f} s; "
          f"statuses {sorted(set(statuses))}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", nargs="?", default=str(ROOT / "cases" / "liupanshui_phased.yaml"))
    ap.add_argument("--plant", default="hongguo_methanol")
    ap.add_argument("-k", type=int, default=3)
    ap.add_argument("--points", type=int, default=0)
    ap.add_argument("--mip-gap", type=float, default=1e-4)
    ap.add_argument("--time-limit", type=float, default=900)
    a = ap.parse_args()
    case = symbiosis.load_case(a.case)
    kw = dict(mip_gap=a.mip_gap, time_limit=a.time_limit)
    if a.plant:
        ex = explain_phased(case, a.plant, **kw)
        line(f"explain {a.plant}", ex, list(ex["status"]) + [ex.attrs["base_status"]])
        print(ex[["test", "regret", "cost_change", "status", "gap"]].to_string(index=False))
        for v in ex.attrs["verdicts"].values():
            print(v)
    if a.k:
        alts = alternatives_phased(case, a.k, **kw)
        line(f"alternatives -k {a.k}", alts, alts["status"])
        for r in alts.itertuples():
            diff = list(r.added) + [f"-{x}" for x in r.removed] + list(r.moved)
            print(f"  {r.rank}: NPC {r.cost:,.0f}, reuse rate {r.reuse_rate:.1%}, verified {r.verified}; "
                  + ("best" if r.rank == 1 else ", ".join(diff)))
    if a.points:
        front = pareto_phased(case, "cost", "reuse", a.points, **kw)
        line(f"pareto -n {a.points}", front, front["status"])
        for r in front.itertuples():
            print(f"  {r.point}: NPC {r.cost:,.0f}, reuse {r.reuse:,.0f} t, rate {r.reuse_rate:.1%}")


if __name__ == "__main__":
    main()
