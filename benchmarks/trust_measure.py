"""Can the answers be trusted? Measure, on small process-network-synthesis cases and the
shipped parks, what an optimum, a bound and a list of alternatives are worth.

Prints figures; asserts nothing. The truth it compares with is computed apart from the
model: tests/independent_milp.py (scipy.optimize.milp, from the Case alone) and a brute
force over every build pattern of the candidate plants (2^7 and 2^12 LPs for the PNS
cases, each with the pattern fixed).

    python benchmarks/trust_measure.py            # everything (~2-4 min on 2 cores)
    python benchmarks/trust_measure.py --quick    # PNS cases only, k = 10

Sections
  (a) rank inversions in symbiosis.alternatives(case, k, objective="cost"): a network
      ranked after one that costs more; money as given, x0.1, x0.01, x1e6
  (b) the single best solve (optimize, objective cost; default gap and --mip-gap 0)
      against the brute-force optimum, at the same scales
  (c) the printed summary line (symbiosis solve) against summary.json: bound and gap
  (d) listed alternatives that are a network plus an idle unit (a built plant none of
      whose output goes to another plant or a sale: all of it is disposed of)
  (e) shipped cases: cost optimum with all money x10^k (k = -3..6) against the
      independent formulation at the same scale
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

import yaml  # noqa: E402

import symbiosis  # noqa: E402
from case_transforms import inline_library, load, load_dict, network, scale_money, shipped  # noqa: E402
from independent_milp import enumerate_structures, idle_units, irredundant, solve_cost  # noqa: E402

PNS = HERE.parent / "tests" / "data" / "pns"
SCALES = (1.0, 0.1, 0.01, 1e6)


def pns_case(name: str, factor: float):
    data, base = load_dict(PNS / f"{name}.yaml")
    return load(scale_money(inline_library(data, base), factor), base), scale_money(inline_library(data, base), factor)


def inversions(costs: list[float]) -> int:
    """Networks ranked after one that costs more."""
    n, worst = 0, -float("inf")
    for c in costs:
        if c < worst - 1e-9 * max(1.0, abs(worst)):
            n += 1
        worst = max(worst, c)
    return n


def section_a_d(names, ks, out):
    print("\n(a) rank inversions and (d) idle units in alternatives(case, k, objective='cost')")
    print(f"{'case':6} {'money':>6} {'k':>3} {'listed':>6} {'inversions':>10} {'idle':>5} {'best+idle':>9} "
          f"{'wrong cost':>10}  first costs (CNY/yr, unscaled)")
    for name in names:
        truth = enumerate_structures(pns_case(name, 1.0)[0])
        truth_by_plants = {frozenset(p for p, _ in pat): c for pat, c in truth.items()}
        for factor in SCALES:
            case, _ = pns_case(name, factor)
            for k in ks:
                t0 = time.perf_counter()
                df = symbiosis.alternatives(case, k=k, objective="cost", keep_results=True)
                dt = time.perf_counter() - t0
                costs = [c / factor for c in df["annualised_cost"]]
                best = set(df["plants"][0])
                idle = [idle_units(r) for r in df["result"]]
                n_idle = sum(bool(i) for i in idle)
                best_plus = sum(1 for plants, i in zip(df["plants"], idle)
                                if len(i) == 1 and set(plants) - set(i) == best)
                # the listed cost of a set of plants against the brute force for it
                wrong = sum(1 for plants, c in zip(df["plants"], costs)
                            if abs(truth_by_plants.get(frozenset(plants), float("nan")) - c) > 1e-6 * max(1, abs(c)))
                inv = inversions(costs)
                print(f"{name:6} {factor:>6g} {k:>3} {len(df):>6} {inv:>10} {n_idle:>5} {best_plus:>9} {wrong:>10}  "
                      + ", ".join(f"{c:g}" for c in costs[:12]) + (" ..." if len(costs) > 12 else "")
                      + f"  [{dt:.1f} s]")
                out["alternatives"].append({"case": name, "money": factor, "k": k, "listed": len(df),
                                            "inversions": inv, "with_idle_unit": n_idle,
                                            "best_plus_one_idle": best_plus, "cost_not_brute_force": wrong,
                                            "costs": costs})
        irr = irredundant(truth)
        print(f"  {name}: brute force {len(truth)} feasible build patterns, {len(irr)} without a droppable unit: "
              + ", ".join(f"{'+'.join(sorted(p for p, _ in pat))}={c:g}" for pat, c in
                          sorted(irr.items(), key=lambda kv: (kv[1], sorted(kv[0])))[:12]))


def section_b(names, out):
    print("\n(b) the single best solve against the brute-force optimum (costs unscaled, CNY/yr)")
    print(f"{'case':6} {'money':>6} {'gap opt':>8} {'status':>8} {'reported':>9} {'bound':>9} {'true opt':>9} "
          f"{'rel err':>9}  plants built / optimal")
    for name in names:
        truth = enumerate_structures(pns_case(name, 1.0)[0])
        best_pat = min(truth, key=truth.get)
        opt = truth[best_pat]
        for factor in SCALES:
            case, _ = pns_case(name, factor)
            for gap in (None, 0.0):
                r = symbiosis.optimize(case, "cost", mip_gap=gap)
                s = r.solver
                cost = r.kpi("annualised_cost") / factor
                err = (cost - opt) / abs(opt)
                built = sorted(r.built_plants.plant)
                print(f"{name:6} {factor:>6g} {('default' if gap is None else '0'):>8} {s['status']:>8} "
                      f"{s['objective'] / factor:>9.4g} {(s['bound'] or float('nan')) / factor:>9.4g} {opt:>9.4g} "
                      f"{err:>9.2e}  {'+'.join(built)} / {'+'.join(sorted(p for p, _ in best_pat))}")
                out["best"].append({"case": name, "money": factor, "mip_gap": gap, "status": s["status"],
                                    "objective": s["objective"] / factor,
                                    "bound": (s["bound"] / factor) if s["bound"] is not None else None,
                                    "true": opt, "rel_err": err, "built": built})


def section_c(names, out):
    from typer.testing import CliRunner

    from symbiosis.cli import app
    print("\n(c) `symbiosis solve --objective cost`: printed summary line against summary.json")
    runner = CliRunner()
    for name in names:
        for factor in (1.0, 0.1):
            _, d = pns_case(name, factor)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"{name}.yaml"
                path.write_text(yaml.safe_dump(d, sort_keys=False))
                res = runner.invoke(app, ["solve", str(path), "--objective", "cost", "--out", str(Path(tmp) / "out"),
                                          "--no-baseline"], env={"COLUMNS": "400"})
                line = next((ln for ln in res.output.splitlines() if "status" in ln and "gap" in ln),
                            res.output[:200])
                summary = json.loads((Path(tmp) / "out" / "summary.json").read_text()) if res.exit_code == 0 else {}
            s = summary.get("solver", {})
            print(f"  {name} money x{factor:g}: printed: {line.strip()}")
            print(f"  {'':6} summary.json: status {s.get('status')}, objective {s.get('objective')!r}, "
                  f"bound {s.get('bound')!r}, gap {s.get('gap')!r}")
            out["summary"].append({"case": name, "money": factor, "printed": line.strip(), "json": s})


def section_e(names, ks, out):
    print("\n(e) shipped cases, objective cost, mip_gap 0: all money x10^k; cost / 10^k against the "
          "independent formulation at the same scale")
    print(f"{'case':12} {'k':>3} {'symbiosis':>18} {'independent':>18} {'rel diff':>9} {'same plants':>11} {'status':>8}")
    worst = (0.0, None)
    for name in names:
        d, base = shipped(name)
        ref = network(symbiosis.optimize(load(d, base), "cost", mip_gap=0))
        for k in ks:
            f = 10.0 ** k
            case = load(scale_money(d, f), base)
            r = symbiosis.optimize(case, "cost", mip_gap=0)
            ind = solve_cost(case)
            mine, theirs = r.kpi("annualised_cost") / f, ind.cost / f
            rel = (mine - theirs) / abs(theirs)
            same = sorted(r.built_plants.plant) == sorted(ind.plants)
            print(f"{name:12} {k:>3} {mine:>18,.0f} {theirs:>18,.0f} {rel:>9.2e} {str(same):>11} {r.solver['status']:>8}"
                  + ("" if network(r) == ref else "  (plants differ from money as given)"))
            out["shipped"].append({"case": name, "k": k, "symbiosis": mine, "independent": theirs, "rel": rel,
                                   "same_plants": same})
            if abs(rel) > abs(worst[0]):
                worst = (rel, f"{name} money x1e{k}")
    print(f"  largest relative discrepancy: {worst[0]:.3e} ({worst[1]})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="PNS cases only, k = 10")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    t0 = time.perf_counter()
    out = {"alternatives": [], "best": [], "summary": [], "shipped": []}
    print(f"symbiosis {symbiosis.__version__}; python {sys.version.split()[0]}")
    names = ["pns7", "pns12"]
    section_a_d(names, (10,) if args.quick else (10, 60), out)
    section_b(names, out)
    section_c(names, out)
    if not args.quick:
        section_e(["tutorial", "kalundborg", "changzhi", "liupanshui", "pingdingshan"], range(-3, 7), out)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        main()
