"""What breaks when a plant stops: ``symbiosis outages CASE``.

Thin: parses the options, calls :mod:`symbiosis.outages` and prints rich tables.
Exit codes as ``symbiosis solve``: 2 bad input, 3 infeasible park, 4 solver failure.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from symbiosis.cli import app, console, err_console, fail, load
from symbiosis.errors import CaseError, InfeasibleError, Problem, SolverError
from symbiosis.fmt import fmt, money_unit
from symbiosis.terminal import stop_starting


def parse_availability(texts: list[str] | None):
    """``["0.9"]`` -> 0.9; ``["0.9", "luan_mines=0.8"]`` -> {"*": 0.9, "luan_mines": 0.8}."""
    if not texts:
        return 0.9
    out: dict = {}
    for text in texts:
        name, sep, value = text.rpartition("=")
        try:
            v = float(value)
        except ValueError:
            raise ValueError(f"--availability {text!r}: write a share such as 0.9, or PLANT=0.8") from None
        if not 0 <= v <= 1:
            raise ValueError(f"--availability {text!r}: a share of the year between 0 and 1")
        out[name.strip() if sep else "*"] = v
    return out["*"] if list(out) == ["*"] else out


def _availability_for(case, parsed):
    """A float for all plants, or {plant: share} with the default for unnamed plants."""
    if not isinstance(parsed, dict):
        return parsed
    unknown = sorted(set(parsed) - set(case.plants) - {"*"})
    if unknown:
        raise ValueError(f"--availability names unknown plant(s) {', '.join(unknown)}")
    default = parsed.get("*", 1.0)
    return {p: parsed.get(p, default) for p in case.plants}


def _parse_outage(text: str):
    """``plant`` or ``source->target:material``."""
    if "->" in text:
        src, _, rest = text.partition("->")
        dst, sep, mat = rest.partition(":")
        if not sep:
            raise ValueError(f"--resilient-outage {text!r}: write PLANT or SOURCE->TARGET:MATERIAL")
        return (src.strip(), dst.strip(), mat.strip())
    return text.strip()


@app.command()
def outages(case: Path = typer.Argument(..., help="Case file (.yaml or .xlsx)."),
            out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for outages.csv, outage_effects.csv, "
                                     "criticality.csv, graph_indicators.csv (and montecarlo*.csv, resilient.csv)."),
            share: float = typer.Option(1.0, "--share", help="Share of the year each element is out (1: the year)."),
            plant: Optional[List[str]] = typer.Option(None, "--plant", help="Only these plants' outages (repeat)."),
            exchanges: bool = typer.Option(True, "--exchanges/--no-exchanges", help="Also each exchange that "
                                           "carries flow."),
            objective: Optional[str] = typer.Option(None, help="Operations in an outage: reuse-then-cost (default "
                                                    "for reuse cases) or cost (default for cost and profit cases)."),
            draws: int = typer.Option(0, "--draws", help="Monte Carlo draws of simultaneous outages (0: none)."),
            availability: Optional[List[str]] = typer.Option(None, "--availability", help="Availability of every "
                                                             "plant for the draws (default 0.9), or PLANT=SHARE "
                                                             "(repeat); a plant not named takes the bare value, "
                                                             "else 1."),
            seed: int = typer.Option(0, "--seed", help="Seed of the draws."),
            scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address for the "
                                                    "draws (default: a local cluster; 'serial': no Dask)."),
            workers: int = typer.Option(2, "--workers", help="Workers of the local cluster."),
            resilient: Optional[float] = typer.Option(None, "--resilient", help="Also design a network that keeps "
                                                      "this share of the nominal net reuse under each single "
                                                      "outage (e.g. 0.5)."),
            max_cost_increase: Optional[float] = typer.Option(None, "--max-cost-increase", help="Also (or "
                                                              "instead) keep the cost of operations under each "
                                                              "outage within this much (money/yr) of the nominal."),
            resilient_outage: Optional[List[str]] = typer.Option(None, "--resilient-outage", help="Outages the "
                                                                 "design must survive: PLANT or SOURCE->TARGET:"
                                                                 "MATERIAL (repeat); default every plant that "
                                                                 "breaks the floor or cap."),
            scenario: Optional[str] = typer.Option(None, help="One of the case's scenarios."),
            time_limit: Optional[float] = typer.Option(None, help="Seconds per solve."),
            top: int = typer.Option(15, "--top", help="Rows of the criticality table to print."),
            html: bool = typer.Option(False, "--html", help="Also write network.html (critical plants coloured) "
                                      "and report.html (with the outage section) of the nominal network.")):
    """What breaks when a plant stops: each plant (and exchange) of the chosen network out,
    operations re-optimised on the fixed network; criticality ranking, graph indicators,
    Monte Carlo draws of simultaneous outages and a network designed to survive them."""
    from symbiosis.outages import montecarlo, outages as run_outages, resilient as design_resilient
    from symbiosis.sweep import SchedulerError
    c = load(case, scenario)
    try:
        if not 0 <= share <= 1:
            raise ValueError(f"--share {share}: a share of the year between 0 and 1")
        avail = _availability_for(c, parse_availability(availability)) if draws else None
        listed = [_parse_outage(t) for t in resilient_outage] if resilient_outage else None
        if draws < 0:
            raise ValueError("--draws must not be negative")
    except ValueError as exc:
        fail(CaseError([Problem("--share/--availability/--draws/--resilient-outage", "", str(exc))]))
    try:
        stop_starting()
        with console.status("outages..."):
            rep = run_outages(c, share=share, plants=plant, exchanges=exchanges, objective=objective,
                             time_limit=time_limit)
        if draws:
            with console.status(f"{draws} Monte Carlo draws..."):
                rep.montecarlo, rep.montecarlo_summary = montecarlo(
                    c, draws, availability=avail, share=share, seed=seed, scheduler=scheduler, n_workers=workers,
                    objective=objective, time_limit=time_limit, report=rep)
        if resilient is not None or max_cost_increase is not None:
            with console.status("resilient design..."):
                rep.resilient = design_resilient(c, floor=resilient, outages=listed, share=share,
                                             max_cost_increase=max_cost_increase, time_limit=time_limit,
                                             report=rep)
    except (InfeasibleError, SolverError) as exc:
        fail(exc)
    except SchedulerError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except ValueError as exc:
        fail(CaseError([Problem("--plant/--objective/--resilient", "", str(exc))]))
    print_outages(c, rep, top=top)
    written = rep.write(out, html=html)
    console.print(f"wrote {len(written)} files to {out}/: " + ", ".join(p.name for p in written))


def _t(v: float) -> str:
    return fmt(v, "t/yr")


def _kt(v: float) -> str:
    v = 0.0 if abs(v) < 0.05 else v  # no "-0.0"
    return f"{v / 1000:,.1f}"


def _teq(v: float) -> str:
    """Net reuse, in tonne-equivalents: 54.0 kt-eq/yr."""
    text = fmt(v, "t/yr")
    return text[:-4] + "t-eq/yr" if text.endswith("t/yr") else text


def print_outages(c, rep, top: int = 15) -> None:
    money = money_unit(c)
    intact = rep.intact
    console.print(f"[bold]{c.name}[/]: intact network, net reuse {_teq(intact.reuse_model)}, "
                  f"by-products reused {_t(intact.reuse)} ({intact.reuse_rate:.1%}), operations cost "
                  f"{fmt(intact.cost, money + '/yr')}; each element out for {rep.share:.0%} of the year")
    t = Table(title=f"Criticality of plants (ranked by net reuse lost; reuse and stranded by-product in kt/yr, "
                    f"cost in {money}/yr)", title_justify="left")
    for col in ("rank", "plant", "net lost", "share", "gross lost", "cost +", "stranded", "hit", "reach"):
        t.add_column(col, justify="left" if col == "plant" else "right", overflow="fold",
                     min_width=12 if col == "plant" else None)
    for r in rep.criticality.head(top).itertuples():
        t.add_row(str(r.rank), r.plant + ("*" if r.articulation_point else ""), _kt(r.reuse_net_lost),
                  f"{r.reuse_net_lost_share:.0%}", _kt(r.reuse_lost), fmt(r.cost_increase), _kt(r.stranded_t),
                  str(r.plants_affected), f"{r.reach_plants}/{r.reach_depth}")
    console.print(t)
    left = len(rep.criticality) - top
    console.print("* articulation point of the exchange network; hit: plants that lose an input or production; reach: "
                  "plants downstream / depth in links; net reuse: what operations maximise (by-product moved "
                  "less what plants above their stated output make); gross: t moved between plants"
                  + (f"; {left} more plants in criticality.csv" if left > 0 else ""))
    ex = rep.table[rep.table["kind"] == "exchange"]
    if len(ex):
        worst = ex.sort_values("reuse_net_lost", ascending=False).head(min(top, 8))
        t = Table(title=f"Exchange outages: the {len(worst)} that cost most reuse (of {len(ex)})",
                  title_justify="left")
        for col in ("exchange", "net reuse lost", "cost increase", "stranded"):
            t.add_column(col, justify="left" if col == "exchange" else "right", overflow="fold")
        for r in worst.itertuples():
            t.add_row(r.element, _teq(r.reuse_net_lost), fmt(r.cost_increase, f"{money}/yr"),
                      _t(r.stranded_t))
        console.print(t)
    ind = rep.indicators
    aps = ind.loc[ind["indicator"] == "articulation_point", "plant"].tolist()
    n_br = int((ind["indicator"] == "bridge").sum())
    comps = ind[ind["indicator"] == "component"]
    sole = ind[(ind["indicator"] == "dependence") & (ind["value"] > 1 - 1e-9)]
    console.print(f"graph: {len(comps)} connected component(s) (largest {int(comps['value'].max()) if len(comps) else 0}"
                  f" plants), {len(aps)} articulation point(s){': ' + ', '.join(aps) if aps else ''}, {n_br} "
                  f"bridge(s), {len(sole)} input(s) taken from one supplier only")
    if rep.montecarlo_summary is not None:
        s = rep.montecarlo_summary
        a = s.attrs
        t = Table(title=f"Monte Carlo: {a['draws']} draws on {a['workers']} worker(s) in {a['seconds']:.1f} s "
                        f"(intact reuse rate {a['intact_reuse_rate']:.1%})", title_justify="left")
        for col in ("", "mean", "p5", "p50", "p95"):
            t.add_column(col, justify="left" if not col else "right")
        for key, label, unit in (("reuse_rate", "reuse rate", "fraction"), ("reuse", "by-products reused", "t/yr"),
                                 ("cost", "cost", f"{money}/yr"), ("n_out", "plants out", "count")):
            if key in s.index and len(s.loc[key].dropna()):
                t.add_row(label, *(fmt(s.loc[key, q], unit) for q in ("mean", "p5", "p50", "p95")))
        console.print(t)
    d = rep.resilient
    if d is not None:
        what = ", ".join(x for x in (f"net reuse at least {d.floor:.0%} of the nominal ({_teq(d.floor_value)})"
                                     if d.floor is not None else "",
                                     f"operations cost at most {fmt(d.cost_cap, money + '/yr')}"
                                     if d.cost_cap is not None else "") if x)
        t = Table(title=f"Resilient design: {what} under each listed outage; it costs "
                        f"{fmt(d.cost_of_resilience, money + '/yr')} more than the nominal optimum"
                        + (f" (within the solvers' gap of {fmt(d.cost_gap, money + '/yr')}: not told apart from "
                           "nothing)" if abs(d.cost_of_resilience) <= d.cost_gap else "")
                        + f" ({d.seconds:.1f} s)", title_justify="left")
        for col in ("outage", "nominal network", "resilient network", "guaranteed"):
            t.add_column(col, justify="left" if col == "outage" else "right", overflow="fold")
        for r in d.table.itertuples():
            t.add_row(r.outage, _teq(r.nominal_network_reuse), _teq(r.resilient_network_reuse),
                      _teq(r.joint_model_reuse))
        console.print(t)
        if not len(d.table):
            console.print("the nominal network already meets the floor under every single outage")
        changes = ([f"+ {a} -> {b}: {m}" for a, b, m in d.opened] + [f"- {a} -> {b}: {m}" for a, b, m in d.closed]
                   + [f"+ build {p}" for p in d.built] + [f"- drop {p}" for p in d.dropped])
        console.print("network changes: " + ("; ".join(changes) if changes else "none"))
    tm = rep.timings
    console.print(f"time: nominal {tm['nominal']:.2f} s, intact {tm['intact']:.2f} s, {len(rep.table)} outages "
                  f"{tm['outages']:.2f} s ({tm['per_outage'] * 1000:.1f} ms each)")
