"""Outage analysis on the shipped cases: the figures of docs/outages.md.

For each case: the nominal solve, every plant and exchange out for the year on one model
re-solved (time per outage, against rebuilding the model for a few outages), the
criticality ranking with net and gross reuse lost; Monte Carlo draws of simultaneous
outages on a Dask LocalCluster (default 1,000 draws on 2 workers, availability 0.9);
the resilient Changzhi design at a stated floor and its cost against the nominal; and
the Liupanshui exchange outage whose gross reuse rises while net reuse falls.

    python benchmarks/outages_bench.py [--cases changzhi pingdingshan kalundborg] [--draws 1000]
        [--workers 2] [--mc-cases changzhi] [--floor 0.5] [--rebuilds 3] [--no-liupanshui]
"""
from __future__ import annotations

import argparse
import statistics
import time

import symbiosis
from symbiosis.fmt import fmt
from symbiosis.io import shipped_cases_dir
from symbiosis.outages import Operations, montecarlo, outages, resilient


def kt(v: float) -> str:
    return f"{(0.0 if abs(v) < 50 else v) / 1000:,.1f}"


def criticality_lines(rep, top: int) -> list[str]:
    money = rep.units.get("money", "CNY")
    lines = [f"| rank | plant | net reuse lost (kt-eq/yr) | share | gross lost (kt/yr) | cost increase ({money}/yr) "
             "| stranded (kt/yr) | plants hit |", "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in rep.criticality.head(top).itertuples():
        lines.append(f"| {r.rank} | {r.plant}{' (cut vertex)' if r.articulation_point else ''} | "
                     f"{kt(r.reuse_net_lost)} | {r.reuse_net_lost_share:.1%} | {kt(r.reuse_lost)} | "
                     f"{fmt(r.cost_increase)} | {kt(r.stranded_t)} | {r.plants_affected} |")
    return lines


def rebuild_seconds(case, rep, plants: list[str]) -> float:
    """Seconds per outage when the operations model is built again for each."""
    from symbiosis.model import ParkModel
    from symbiosis.outages import _fix_to_result, _structure
    t = []
    for p in plants:
        t0 = time.perf_counter()
        pm = ParkModel(case)
        _fix_to_result(pm, rep.nominal)
        ops = Operations(case, _structure(pm), model=pm)
        ops.solve({p: 1.0})
        t.append(time.perf_counter() - t0)
    return statistics.mean(t) if t else float("nan")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", nargs="+", default=["changzhi", "pingdingshan", "kalundborg"])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--availability", type=float, default=0.9)
    ap.add_argument("--mc-cases", nargs="*", default=["changzhi"])
    ap.add_argument("--floor", type=float, default=0.5)
    ap.add_argument("--rebuilds", type=int, default=3)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--no-liupanshui", action="store_true")
    args = ap.parse_args(argv)
    cases = shipped_cases_dir()
    for name in args.cases:
        case = symbiosis.load_case(cases / f"{name}.yaml")
        rep = outages(case)
        tm = rep.timings
        n_p = int((rep.table["kind"] == "plant").sum())
        n_x = len(rep.table) - n_p
        solve_s = rep.table["solve_s"]
        print(f"\n## {case.name} ({name}.yaml): {len(case.plants)} plants, {len(rep.nominal.chosen_exchanges)} "
              f"exchanges carry flow")
        print(f"intact: net reuse {kt(rep.intact.reuse_model)} kt-eq/yr, gross {kt(rep.intact.reuse)} kt/yr "
              f"({rep.intact.reuse_rate:.1%}), operations cost {fmt(rep.intact.cost)} {case.units.get('money')}/yr")
        print(f"time: nominal solve {tm['nominal']:.2f} s, operations model built and intact solved "
              f"{tm['intact']:.2f} s, {n_p} plant + {n_x} exchange outages {tm['outages']:.2f} s: "
              f"{tm['per_outage'] * 1000:.1f} ms per outage (median solve {solve_s.median() * 1000:.1f} ms, "
              f"max {solve_s.max() * 1000:.1f} ms)")
        if args.rebuilds:
            plants = list(rep.criticality["plant"].head(args.rebuilds))
            print(f"rebuilding the model for each outage instead: {rebuild_seconds(case, rep, plants) * 1000:.0f} ms "
                  f"per outage ({len(plants)} outages)")
        print("\n".join(criticality_lines(rep, args.top)))
        ind = rep.indicators
        aps = ind.loc[ind["indicator"] == "articulation_point", "plant"].tolist()
        comps = ind[ind["indicator"] == "component"]
        sole = ind[(ind["indicator"] == "dependence") & (ind["value"] > 1 - 1e-9)]
        print(f"graph: {len(comps)} component(s), sizes {[int(v) for v in comps['value']]}; articulation points "
              f"{aps}; {int((ind['indicator'] == 'bridge').sum())} bridges; {len(sole)} inputs from one supplier only")
        up = rep.table[rep.table["reuse_lost"] < -1e-3 * max(1.0, rep.intact.reuse)]
        if len(up):
            print(f"outages with more gross reuse than intact: {len(up)} (largest "
                  f"{kt(-up['reuse_lost'].min())} kt/yr); with more net reuse: "
                  f"{int((rep.table['reuse_net_lost'] < -1e-6 * max(1.0, rep.intact.reuse_model)).sum())}")
        if name in args.mc_cases and args.draws:
            df, s = montecarlo(case, args.draws, availability=args.availability, n_workers=args.workers, report=rep)
            a = s.attrs
            print(f"Monte Carlo: {a['draws']} draws, availability {args.availability:.0%}, on {a['workers']} workers: "
                  f"{a['seconds']:.1f} s wall (cluster start included), {len(df.drop_duplicates('plants_out'))} "
                  f"distinct states; reuse rate mean {s.loc['reuse_rate', 'mean']:.1%}, p5 {s.loc['reuse_rate', 'p5']:.1%}, "
                  f"p50 {s.loc['reuse_rate', 'p50']:.1%}, p95 {s.loc['reuse_rate', 'p95']:.1%} (intact "
                  f"{a['intact_reuse_rate']:.1%}); cost mean {fmt(s.loc['cost', 'mean'])}, p95 {fmt(s.loc['cost', 'p95'])} "
                  f"(intact {fmt(a['intact_cost'])}); plants out mean {s.loc['n_out', 'mean']:.2f}; "
                  f"solve time per draw {df['solve_s'].mean() * 1000:.1f} ms")
        if name == "changzhi" and args.floor:
            target = args.floor * rep.intact.reuse_model
            tab = rep.table[rep.table["kind"] == "plant"]
            breaking = [r.element for r in tab.itertuples() if r.reuse_net < target]
            try:
                resilient(case, floor=args.floor, report=rep)
            except symbiosis.errors.InfeasibleError as exc:
                print(f"resilient at {args.floor:.0%} under every single plant outage: {exc}")
            survivable = [p for p in breaking if p != "luan_mines"]
            d = resilient(case, floor=args.floor, outages=survivable, report=rep)
            print(f"resilient at {args.floor:.0%} ({kt(d.floor_value)} kt-eq/yr) under the outages of {survivable}: "
                  f"{d.seconds:.1f} s; annualised cost {fmt(d.result.kpi('annualised_cost'))} against nominal "
                  f"{fmt(d.nominal.kpi('annualised_cost'))}: resilience costs {fmt(d.cost_of_resilience)} "
                  f"{case.units.get('money')}/yr (the MIP gap allows {fmt(d.cost_gap)}); opened {d.opened}; closed {d.closed}; built {d.built}; "
                  f"dropped {d.dropped}")
            for r in d.table.itertuples():
                print(f"  {r.outage}: nominal network {kt(r.nominal_network_reuse)}, resilient network "
                      f"{kt(r.resilient_network_reuse)}, guaranteed {kt(r.joint_model_reuse)} kt-eq/yr; gross "
                      f"{kt(r.nominal_reuse_t)} -> {kt(r.resilient_reuse_t)} kt/yr")
    if not args.no_liupanshui:
        case = symbiosis.load_case(cases / "liupanshui.yaml")
        rep = outages(case)
        t = rep.table
        r = t.loc[t["reuse_lost"].idxmin()]
        print(f"\n## Liupanshui: {len(t)} outages in {rep.timings['outages']:.1f} s "
              f"({rep.timings['per_outage'] * 1000:.1f} ms each); largest gross rise: {r['element']}: gross reuse "
              f"{kt(rep.intact.reuse)} -> {kt(r['reuse'])} kt/yr ({kt(-r['reuse_lost'])} more), net "
              f"{kt(rep.intact.reuse_model)} -> {kt(r['reuse_net'])} kt-eq/yr ({kt(r['reuse_net_lost'])} less); "
              f"outages with more net reuse than intact: "
              f"{int((t['reuse_net_lost'] < -1e-6 * max(1.0, rep.intact.reuse_model)).sum())}")
        eff = rep.effects[rep.effects["element"] == r["element"]]
        for e in eff.itertuples():
            print(f"  {e.effect}: {e.plant} {e.material} {e.amount:,.0f} {e.unit}")


if __name__ == "__main__":
    main()
