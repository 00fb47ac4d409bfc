"""The rich tables the command line prints: key figures, a solved network, the k best
networks. Each reads a Result or a decision table, never the model."""
from __future__ import annotations

from rich import box
from rich.table import Table

from symbiosis.fmt import per_period
from symbiosis.terminal import console, fmt


def fitted(t: Table, numbers_whole: bool = False) -> Table:
    """``t`` drawn to fit the terminal (80 columns in CI logs and pipes): light rules
    instead of boxes, and a cell too long for its column folds onto the next line
    rather than being cut to ``ceramsite...`` (every column may wrap). ``numbers_whole``:
    right-aligned columns (numbers) stay on one line and names take what is left (the
    result tables, whose numbers fit)."""
    t.box = box.SIMPLE_HEAD
    t.show_edge = False
    t.padding = (0, 1, 0, 0)
    t.pad_edge = False
    t.title_justify = "left"
    for c in t.columns:
        c.overflow = "fold"
        c.no_wrap = numbers_whole and c.justify == "right"
        c.min_width = None  # a minimum wider than the terminal is cut at its edge
    return t


def names_list(items, n: int = 6) -> str:
    items = list(items)
    if not items:
        return "-"
    more = f" +{len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def money_of(case) -> str:
    return case.units.get("money", "CNY")


KEY_KPIS = ["byproducts_generated", "byproducts_reused", "byproducts_disposed", "reuse_rate", "utilisation_rate",
            "co2", "capex", "profit", "new_plants", "exchanges_open"]
#: what a KPI is, where its name alone would mislead
KPI_LABELS = {"profit": "operating margin *", "utilisation_rate": "utilisation rate (reused + sold)"}
MARGIN_NOTE = ("* operating margin = -annualised cost: sales - purchases - operating, transport, link and disposal "
               "costs - carbon - the capex charge of new plants; existing plants carry no capital charge")


def kpi_table(results: dict, title: str) -> Table:
    t = Table(title=title, title_justify="left")
    t.add_column("KPI")
    for name in results:
        t.add_column(name, justify="right")
    first = next(iter(results.values()))
    names = [k for k in KEY_KPIS if k in first.kpis.index] + [
        k for k in first.kpis.index if k.startswith(("reuse_rate_", "reused_"))]
    for k in names:
        unit = first.kpis.loc[k, "unit"]
        if k.startswith("reuse_rate_"):  # reuse beside utilisation (reused + sold), per by-product
            mat = k[len("reuse_rate_"):]
            u = f"utilisation_rate_{mat}"
            t.add_row(f"reuse / utilisation {mat.replace('_', ' ')}",
                      *[f"{r.kpi(k):.1%} / {r.kpi(u):.1%}" if u in r.kpis.index else
                        (f"{r.kpi(k):.1%}" if k in r.kpis.index else "-") for r in results.values()])
            continue
        t.add_row(KPI_LABELS.get(k, k.replace("_", " ")),
                  *[fmt(r.kpi(k), unit) if k in r.kpis.index else "-" for r in results.values()])
    return t


def change_table(result, reference) -> Table:
    """The change of the operating margin against the status quo, by cause (symbiosis.attribution)."""
    from symbiosis.attribution import change_by_cause
    df = change_by_cause(result, reference)
    money = per_period(result, money_of(result))
    t = Table(title="Operating margin against the status quo, by cause", title_justify="left")
    for c in ("cause", "status quo", "optimised", "change", "share"):
        t.add_column(c, justify="left" if c == "cause" else "right")
    for cause, r in df.iterrows():
        t.add_row(r["label"], fmt(r["status_quo"], money), fmt(r["optimised"], money),
                  fmt(r["change"], money), "" if r["share"] != r["share"] else f"{r['share']:.0%}",
                  end_section=(cause == df.index[-2]))
    return t


def objective_unit(result) -> str:
    """The unit of the result's objective: money per period for cost and profit, t per
    period for reuse, CO2 and disposal, none for a weighted sum."""
    name = (result.solver.get("objective_name") or result.objective or "").split("-then-")[-1]
    if name in ("cost", "profit"):
        return per_period(result, money_of(result))
    if name in ("reuse", "co2", "disposal"):
        return per_period(result, "t")
    return ""


def print_result(result, verbose: bool = False) -> None:
    from symbiosis.fmt import fmt_value
    s = result.solver
    unit = objective_unit(result)
    gap = f"{s['gap']:.2%}" if s.get("gap") is not None else "n/a"
    bound = fmt_value(s["bound"], unit) if s.get("bound") is not None else "n/a"
    checked = {True: ", verified", False: ", [red]NOT verified[/]"}.get(s.get("verified"), "")
    console.print(f"[bold]{result.case_name}[/] - objective {result.objective}: status [bold]{s['status']}[/]"
                  f"{checked}, objective {fmt_value(s['objective'], unit)}, bound {bound}, gap {gap}, "
                  f"solve {s['solve_time']:.2f} s")
    for note in s.get("notes") or []:
        console.print(f"  note: {note}", highlight=False)
    for problem in s.get("problems") or []:
        console.print(f"  [red]check:[/] {problem}", highlight=False)
    console.print(fitted(kpi_table({"value": result}, "Key figures")))
    console.print(MARGIN_NOTE, style="dim")
    built = result.built_plants
    if len(built):
        t = Table(title="New plants built", title_justify="left")
        for c in ("plant", "process", "capacity", "activity", "used", f"capex {money_of(result)}"):
            t.add_column(c, justify="right" if c not in ("plant", "process") else "left")
        for r in built.itertuples():
            t.add_row(r.plant, r.process, fmt(r.capacity, per_period(result, r.activity_unit)),
                      fmt(r.activity, per_period(result, r.activity_unit)), f"{r.utilisation:.0%}", fmt(r.capex))
        console.print(fitted(t, numbers_whole=True))
    ch = result.chosen_exchanges
    t = Table(title=f"Exchanges open ({len(ch)})", title_justify="left")
    for c in ("from", "to", "material", "flow", "km", "existing"):
        t.add_column(c, justify="right" if c in ("flow", "km") else "left")
    for r in ch.sort_values(["kind", "unit", "flow"], ascending=[True, False, False]).itertuples():
        t.add_row(r.source, r.target, r.material, fmt(r.flow, per_period(result, r.unit)), f"{r.distance:.1f}",
                  "yes" if r.existing else "new")
    console.print(fitted(t, numbers_whole=True))
    if verbose:
        console.print("phase times: " + ", ".join(f"{k} {v:.3f} s" for k, v in result.timings.items()))


def print_alternatives(c, df, out=None) -> None:
    """Print the table of :func:`symbiosis.decision.alternatives` (also what
    ``symbiosis solve --alternatives K`` prints) on ``out`` (a rich Console; default the
    CLI's)."""
    out = out or console
    money = money_of(c)
    if df.empty:
        out.print("no network is feasible")
        return
    t = Table(title=f"{c.name}: the {len(df)} best network{'s' if len(df) != 1 else ''} by {df.attrs['objective']} "
                    f"({df.attrs['solves']} solves, {df.attrs['seconds']:.2f} s)", title_justify="left")
    for col in ("rank", "reuse", "reuse rate", "cost", "vs best", "capex", "plants", "exchanges",
                "differs from the best"):
        t.add_column(col, justify="left" if col.startswith("differs") else "right",
                     overflow="fold", no_wrap=not col.startswith("differs"),
                     min_width=46 if col.startswith("differs") else None)
    best_cost = df.loc[0, "cost"]
    for r in df.itertuples():
        diff = [f"+{a}" for a in r.added] + [f"-{a}" for a in r.removed]
        delta = r.cost - best_cost
        t.add_row(str(r.rank), fmt(r.reuse, "t/yr"), f"{r.reuse_rate:.1%}", fmt(r.cost, f"{money}/yr"),
                  "" if r.rank == 1 else ("+" if delta >= 0 else "") + fmt(delta, f"{money}/yr"),
                  fmt(r.capex, money), str(len(r.plants)), str(len(r.exchanges)),
                  "(best)" if r.rank == 1 else "\n".join(diff[:8]) + (f"\n+{len(diff) - 8} more" if len(diff) > 8 else ""))
    if df.attrs.get("skipped_idle"):
        out.print(f"{df.attrs['skipped_idle']} network(s) with an idle plant (droppable without loss) were "
                  "skipped; --keep-idle lists them")
    out.print(f"best network: plants {names_list(df.loc[0, 'plants'], 12)}; "
                  f"{len(df.loc[0, 'exchanges'])} by-product exchanges" if df.attrs.get("structure") != "all" else
                  f"best network: plants {names_list(df.loc[0, 'plants'], 12)}; {len(df.loc[0, 'exchanges'])} exchanges")
    out.print(fitted(t))


