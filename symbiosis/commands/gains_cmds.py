"""Who gains: ``symbiosis gains CASE``.

Thin: parses the options, calls :func:`symbiosis.gains.gains` and prints rich tables.
Exit codes as ``symbiosis solve``: 2 bad input, 3 infeasible park, 4 solver failure.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from symbiosis.cli import app, console, fail, fmt, load
from symbiosis.errors import CaseError, InfeasibleError, Problem, SolverError

PRICE_HELP = ("Bounds of the transfer price per unit of a material, MATERIAL=LOW:HIGH in the case's money per "
              "unit, repeatable; '*' for every material, an empty side is unbounded: --price '*=0:' (no gate "
              "fees), --price fly_ash=-35:60.")


def parse_price_bounds(texts: list[str] | None) -> dict | None:
    """``["fly_ash=-35:60", "*=0:"]`` -> ``{"fly_ash": (-35.0, 60.0), "*": (0.0, None)}``."""
    if not texts:
        return None
    out = {}
    for text in texts:
        name, sep, rng = text.partition("=")
        lo, sep2, hi = rng.partition(":")
        if not sep or not sep2 or not name.strip():
            raise ValueError(f"--price {text!r}: write MATERIAL=LOW:HIGH, e.g. fly_ash=0:60 or '*=0:'")
        try:
            bounds = tuple(float(v) if v.strip() else None for v in (lo, hi))
        except ValueError:
            raise ValueError(f"--price {text!r}: LOW and HIGH must be numbers (money per unit) or empty") from None
        if None not in bounds and bounds[0] > bounds[1]:  # type: ignore[operator]
            raise ValueError(f"--price {text!r}: LOW is above HIGH")
        out[name.strip()] = bounds
    return out


def _money(v: float, money: str, unit: bool = True) -> str:
    if v is None or v != v:
        return "-"
    v = 0.0 if abs(v) < 0.5 else v  # no "-0.0"
    return fmt(v, f"{money}/yr") if unit else fmt(v)


def _price(v: float) -> str:
    if v is None or v != v:
        return "-"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    return f"{v:,.2f}"


@app.command()
def gains(case: Path = typer.Argument(..., help="Case file (.yaml or .xlsx)."),
          out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for companies.csv, transfer_prices.csv, "
                                   "coalitions.csv and gains.json."),
          by: str = typer.Option("company", "--by", help="Group plants by company (default: the plants' company "
                                 "field, one company per plant without one), park or plant."),
          baseline: str = typer.Option("alone", "--baseline", help="alone: a company on its own trades with the "
                                       "market only; today: the existing exchanges between companies stay open."),
          fair: bool = typer.Option(False, "--fair", help="Also design the network so that no company ends below "
                                    "its standalone margin (payments as variables) and report what that costs."),
          price: Optional[List[str]] = typer.Option(None, "--price", help=PRICE_HELP),
          rule: str = typer.Option("equal", "--rule", help="Default split of the gain: equal (within each group "
                                   "of trading companies) or shapley."),
          shapley: str = typer.Option("auto", "--shapley", help="auto (exact up to 12 players, sampled beyond), "
                                      "exact, sampled or none."),
          samples: int = typer.Option(200, "--samples", help="Permutations for sampled Shapley values."),
          seed: int = typer.Option(0, "--seed", help="Seed of the sampled permutations."),
          scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address for sampled "
                                                  "values (default: a local cluster; 'serial': no Dask)."),
          scenario: Optional[str] = typer.Option(None, help="One of the case's scenarios."),
          time_limit: Optional[float] = typer.Option(None, help="Seconds per solve."),
          mip_gap: float = typer.Option(1e-7, help="Relative MIP gap of each solve."),
          threads: Optional[int] = typer.Option(None, help="Solver threads."),
          html: bool = typer.Option(True, "--html/--no-html", help="Also write network.html (plants coloured by "
                                    "company) and report.html (with the section 'Who gains').")):
    """Who gains: each company's standalone and in-park margin, its Shapley share of the gain of
    cooperation, and the transfer prices that leave no company worse off than alone."""
    from symbiosis.gains import gains as run_gains
    c = load(case, scenario)
    try:
        bounds = parse_price_bounds(price)
        unknown = sorted(set(bounds or ()) - set(c.materials) - {"*"})
        if unknown:
            raise ValueError(f"--price names unknown material(s) {', '.join(unknown)}")
    except ValueError as exc:
        fail(CaseError([Problem("--price", "", str(exc))]))
    try:
        g = run_gains(c, by=by, baseline=baseline, fair=fair, price_bounds=bounds, rule=rule, shapley=shapley,
                      samples=samples, seed=seed, scheduler=scheduler, time_limit=time_limit, mip_gap=mip_gap,
                      threads=threads, out=out, html=html)
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    except ValueError as exc:
        fail(CaseError([Problem("--by/--baseline/--rule/--shapley", "", str(exc))]))
    print_gains(c, g)
    console.print(f"wrote {out}/companies.csv, {out}/transfer_prices.csv"
                  + (f", {out}/coalitions.csv" if g.coalitions is not None else "") + f", {out}/gains.json"
                  + (f", {out}/network.html (plants coloured by {by}) and {out}/report.html" if html else ""))


def print_gains(c, g) -> None:
    money = c.units.get("money", "CNY")
    s = g.summary
    sampled = s["shapley_method"] == "sampled"
    title = (f"{c.name}: who gains (by {s['by']}, baseline {s['baseline']}; gain of cooperation "
             f"{_money(s['gain'], money)}; Shapley {s['shapley_method']}"
             + (f", {s['sampled']['samples']} permutations" if sampled and s.get("sampled") else "")
             + f"; margins in {money}/yr)\nalone: standalone margin; in park: before transfers; after: with "
            "the transfers received; gain: after - alone; Shapley: share of the gain of cooperation")
    t = Table(title=title, title_justify="left")
    for col in ("company", "alone", "in park", "transfers", "after", "gain", "Shapley"):
        t.add_column(col, justify="left" if col == "company" else "right", overflow="fold",
                     min_width=14 if col == "company" else None)
    for r in g.companies.itertuples():
        sh = "-" if r.shapley != r.shapley else _money(r.shapley, money, False)
        if sampled and r.shapley_ci95:
            sh += f" ± {fmt(r.shapley_ci95)}"
        t.add_row(r.company, *(_money(v, money, False) for v in (
            r.standalone_margin, r.park_margin_before_transfers, r.transfers, r.park_margin_after_transfers,
            r.gain)), sh)
    console.print(t)
    tp = g.transfer_prices
    if tp.empty:
        console.print("no exchange between companies in the network: no transfer price needed")
    else:
        need = tp[tp["needs_price"]]
        t = Table(title=f"transfer prices ({s['rule']} split from the market price, 0 without a market; {money} "
                        f"per unit, paid by the receiver to the sender; "
                        f"range: every company at least at its standalone margin, the other prices at their "
                        f"default); {len(tp) - len(need)} other exchange(s) between companies need no payment",
                  title_justify="left")
        for col in ("exchange", "flow", "market", "price", "payment", "range"):
            t.add_column(col, justify="left" if col == "exchange" else "right", overflow="fold",
                         min_width=18 if col == "exchange" else None)
        for r in need.itertuples():
            t.add_row(f"{r.source} -> {r.target}: {r.material}", fmt(r.flow, f"{r.unit}/yr"),
                      f"{_price(r.reference_price)} /{r.unit}", f"{_price(r.price)} /{r.unit}",
                      _money(r.payment, money),
                      f"{_price(r.price_low)} .. {_price(r.price_high)}")
        console.print(t)
    core = s.get("core")
    if core:
        if core["core_empty"]:
            console.print(f"core: empty (least-core epsilon {_money(core['least_core_epsilon'], money)}); the "
                          f"coalition {', '.join(core['blocking_coalition'])} gains "
                          f"{_money(core['blocking_excess'], money)} more by leaving the Shapley split")
        elif core["shapley_in_core"]:
            console.print("core: not empty, and the Shapley split is in it (no coalition is better off alone)")
        else:
            console.print(f"core: not empty, but the Shapley split is not in it: "
                          f"{', '.join(core['blocking_coalition'])} would gain "
                          f"{_money(core['blocking_excess'], money)} by leaving")
    if s.get("coupled_markets"):
        console.print(f"note: companies share capped markets ({', '.join(s['coupled_markets'])}); standalone "
                      "margins take the split of those caps that the standalone solve found")
    if s.get("fair"):
        f = s["fair"]
        cost = (f"nothing (0 within the solvers' gap of {_money(f['gap_money'], money)}; a changed network is "
                f"another optimum of equal cost)" if f["within_gap"] else _money(f["fairness_cost"], money))
        console.print(f"fair design: park margin {_money(f['park_margin_fair'], money)} against "
                      f"{_money(s['park_total'], money)} unconstrained: fairness costs {cost}; network changes: "
                      + (", ".join(f["network_changes"]) or "none"))
    tm = s["timings_s"]
    console.print("time: " + ", ".join(f"{k} {v:.2f} s" for k, v in tm.items()) + f" ({s['solves']} solves)")
