"""``report.html``: one offline page an engineer can hand on.

KPI cards (reuse rate, by-products reused and disposed, CO2, capex, annualised cost),
the status quo against the optimised network where given, the tables, and the network
and Sankey views embedded. The network page is embedded whole in an ``<iframe srcdoc>``
(its globals and styles stay apart; for a region, the overview of parks only, with a link
to network.html for the plants); the Sankey is drawn in the page with plotly.js
inlined once. Nothing is fetched from the internet.
"""
from __future__ import annotations

import html
import math
import tempfile
from pathlib import Path

import pandas as pd

from symbiosis.views.network import OVERVIEW_OVER, external_refs, network_html, network_overview_html
from symbiosis.views.sankey import sankey_figure_menu
from symbiosis.fmt import fmt  # one formatter for terminal, report and README

CARDS = [("reuse_rate", "Reuse rate", True), ("byproducts_reused", "By-products reused", True),
         ("byproducts_disposed", "By-products disposed", False), ("co2", "CO2 emitted", False),
         ("capex", "Capex", False), ("annualised_cost", "Annualised cost (= -operating margin)", False)]


def _card(name, label, higher_better, result, status_quo) -> str:
    if name not in result.kpis.index:
        return ""
    unit = result.kpis.loc[name, "unit"]
    v = result.kpi(name)
    sub = ""
    if status_quo is not None and name in status_quo.kpis.index:
        v0 = status_quo.kpi(name)
        d = v - v0
        good = (d > 0) == higher_better if abs(d) > 1e-9 else None
        cls = "" if good is None else (" good" if good else " bad")
        sign = "+" if d > 0 else ""
        delta = f"{sign}{d * 100:.1f} points" if unit == "fraction" else f"{sign}{fmt(d, unit)}"
        sub = (f'<div class="sq">status quo {html.escape(fmt(v0, unit))}</div>'
               f'<div class="delta{cls}">{html.escape(delta)}</div>')
    return (f'<div class="card" data-kpi="{name}"><div class="label">{html.escape(label)}</div>'
            f'<div class="value">{html.escape(fmt(v, unit))}</div>{sub}</div>')


def _table(df: pd.DataFrame, table_id: str, money: str = "CNY") -> str:
    """A plain HTML table with numbers formatted for reading."""
    if df is None or len(df) == 0:
        return f'<p class="empty" id="{table_id}">none</p>'
    out = [f'<table id="{table_id}"><thead><tr>']
    out += [f"<th>{html.escape(str(c))}</th>" for c in df.columns]
    out.append("</tr></thead><tbody>")
    for row in df.itertuples(index=False):
        out.append("<tr>")
        for c, v in zip(df.columns, row):
            if isinstance(v, bool):
                text, num = ("yes" if v else "no"), False
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                num = True
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    text = ""
                elif str(c).endswith("rate") or c == "utilisation":
                    text = f"{v:.1%}"
                elif isinstance(v, float) and abs(v) >= 1000:
                    text = f"{v:,.0f}"
                elif isinstance(v, float):
                    text = f"{v:,.3g}" if abs(v) < 1 else f"{v:,.1f}"
                else:
                    text = f"{v:,}"
            else:
                text, num = ("" if v is None or v is pd.NA else str(v)), False
            out.append(f'<td{" class=num" if num else ""}>{html.escape(text)}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def kpi_frame(result, status_quo=None) -> pd.DataFrame:
    """Every KPI with its unit; with a status quo: both values and the change."""
    df = result.kpis.reset_index()[["kpi", "unit", "value"]].rename(columns={"value": "optimised"
                                                                              if status_quo is not None else "value"})
    if status_quo is not None:
        sq = status_quo.kpis["value"]
        df.insert(2, "status quo", [float(sq[k]) if k in sq.index else float("nan") for k in df["kpi"]])
        df["change"] = df["optimised"] - df["status quo"]
    return df


def _kpi_text(result, status_quo=None) -> pd.DataFrame:
    """The KPI table as text, each value formatted in its unit."""
    df = kpi_frame(result, status_quo)
    out = df[["kpi", "unit"]].copy()
    for col in df.columns[2:]:
        out[col] = [("+" if col == "change" and v > 0 else "") + fmt(v, u) if u != "fraction" or col != "change"
                    else f"{v * 100:+.1f} points" for v, u in zip(df[col], df["unit"])]
    return out


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1400px;
       padding: 16px 24px 48px; color: #222; }
h1 { font-size: 24px; margin: 8px 0 2px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd;
     padding-bottom: 4px; }
.meta { color: #666; font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; margin-top: 16px; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: 12px 14px; background: #fafbfc; }
.card .label { font-size: 12px; text-transform: uppercase; color: #666; letter-spacing: .03em; }
.card .value { font-size: 24px; font-weight: 600; margin: 4px 0; }
.card .sq { font-size: 12px; color: #666; } .card .delta { font-size: 13px; font-weight: 600; color: #555; }
.card .delta.good { color: #1a7f37; } .card .delta.bad { color: #c62828; }
table { border-collapse: collapse; font-size: 12px; width: 100%; margin-bottom: 8px; }
th, td { border-bottom: 1px solid #eee; padding: 3px 6px; text-align: left; white-space: nowrap; }
th { background: #f3f4f6; position: sticky; top: 0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { max-height: 420px; overflow: auto; border: 1px solid #eee; }
iframe.network { width: 100%; height: 860px; border: 1px solid #ddd; border-radius: 6px; }
details > summary { cursor: pointer; font-weight: 600; margin: 8px 0; }
nav a { margin-right: 14px; font-size: 13px; }
"""


def outage_section(outages, money: str = "CNY", top: int = 20) -> str:
    """The outage section of the report: a bar chart of the net reuse each plant's outage
    loses and the cost increase (the ``top`` most critical), and the criticality and
    outage tables. ``outages``: an object with ``criticality`` and ``table`` DataFrames and
    ``share`` (:class:`symbiosis.outages.OutageReport`)."""
    import plotly.graph_objects as go
    crit = outages.criticality.head(top)
    fig = go.Figure()
    fig.add_bar(x=list(crit["plant"]), y=list(crit["reuse_net_lost"] / 1000), name="net reuse lost (kt-eq/yr)",
                marker_color="#b71c1c", hovertemplate="%{x}: %{y:,.1f} kt-eq/yr<extra></extra>")
    fig.add_bar(x=list(crit["plant"]), y=list(crit["cost_increase"] / 1e6), name=f"cost increase (M {money}/yr)",
                marker_color="#1f77b4", yaxis="y2", hovertemplate="%{x}: %{y:,.2f} M " + money + "/yr<extra></extra>")
    fig.update_layout(barmode="group", height=420, margin={"l": 60, "r": 60, "t": 30, "b": 120},
                      yaxis={"title": "net reuse lost (kt-eq/yr)"},
                      yaxis2={"title": f"cost increase (M {money}/yr)", "overlaying": "y", "side": "right"},
                      legend={"orientation": "h", "y": 1.1})
    chart = fig.to_html(full_html=False, include_plotlyjs=False, div_id="outage-chart",
                        config={"displaylogo": False, "responsive": True})
    cols = ["rank", "plant", "reuse_net_lost", "reuse_net_lost_share", "reuse_lost", "cost_increase", "stranded_t",
            "plants_affected", "reach_plants", "articulation_point"]
    ctab = outages.criticality[[c for c in cols if c in outages.criticality.columns]].rename(
        columns={"reuse_net_lost_share": "reuse_net_lost_rate"})
    tcols = ["kind", "element", "reuse_net_lost", "reuse_lost", "cost_increase", "stranded", "plants_losing_input",
             "lost_production", "reached"]
    t = outages.table[[c for c in tcols if c in outages.table.columns]]
    share = getattr(outages, "share", 1.0)
    return (f'<p class="meta">Each plant and exchange of the network out for {share:.0%} of the year, operations '
            "re-optimised on the fixed network (least lost production, then most reuse, then least cost). Net "
            "reuse: by-product moved less what plants above their stated output make (what the operations "
            "maximise); gross: tonnes moved between plants.</p>" + chart
            + '<h3>Criticality of plants</h3><div class="scroll">' + _table(ctab, "table-criticality", money)
            + '</div><details><summary>every outage</summary><div class="scroll">'
            + _table(t, "table-outages", money) + "</div></details>")


def _money_text(v, money: str) -> str:
    if v is None or v != v:
        return ""
    return fmt(0.0 if abs(v) < 0.5 else v, money)


def _price_text(v) -> str:
    if v is None or v != v:
        return ""
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    return f"{v:,.2f}"


def gains_section(gains, money: str = "CNY", period: str = "yr") -> str:
    """The "Who gains" section: per company its standalone margin, its margin in the park
    before and after transfers and its Shapley share of the gain; the exchanges between
    companies that carry a transfer price, with their range; the core and what fairness
    costs. ``gains``: a :class:`symbiosis.gains.Gains`."""
    e = html.escape
    s = gains.summary
    per = f"{money}/{period}"
    sampled = s.get("shapley_method") == "sampled"
    c = gains.companies
    c = c[c["player"] | (c["gain"].abs() > 0.5) | (c["gain_before_transfers"].abs() > 0.5)]
    left = len(gains.companies) - len(c)
    rows = pd.DataFrame({
        "company": c["company"], "plants": c["plants"],
        f"standalone ({per})": [_money_text(v, "") for v in c["standalone_margin"]],
        f"in park, before transfers ({per})": [_money_text(v, "") for v in c["park_margin_before_transfers"]],
        f"transfers ({per})": [_money_text(v, "") for v in c["transfers"]],
        f"in park, after transfers ({per})": [_money_text(v, "") for v in c["park_margin_after_transfers"]],
        f"Shapley share ({per})": [(_money_text(v, "") + (f" ± {fmt(h)}" if sampled and h else ""))
                                   if v == v else "" for v, h in zip(c["shapley"], c["shapley_ci95"])],
    })
    head = (f'<p class="meta">Grouped by {e(str(s["by"]))}, baseline {e(str(s["baseline"]))}: '
            f'standalone margins {e(fmt(s["standalone_total"], per))}, in the park {e(fmt(s["park_total"], per))}, '
            f'gain of cooperation <b>{e(fmt(s["gain"], per))}</b>. Shapley values {e(str(s["shapley_method"]))}'
            + (f' ({s["sampled"]["samples"]} permutations, ± the 95 % half-width)' if sampled and s.get("sampled")
               else "")
            + f'; default transfer prices: {e(str(s["rule"]))} split of the gain, starting from each material\'s '
            'market price. Margin = revenue - costs of the company\'s plants; the receiver pays the link.</p>')
    if left:
        head += (f'<p class="meta">{left} companies that neither trade with another nor change their margin '
                 'are left out of the table.</p>')
    tp = gains.transfer_prices
    need = tp[tp["needs_price"]] if len(tp) else tp
    if len(need):
        ex = pd.DataFrame({
            "exchange": [f"{r.source} -> {r.target}" for r in need.itertuples()],
            "material": need["material"], "sender": need["sender"], "receiver": need["receiver"],
            "flow": [fmt(f, f"{u}/{period}") for f, u in zip(need["flow"], need["unit"])],
            f"market price ({money}/unit)": [_price_text(v) for v in need["reference_price"]],
            f"transfer price ({money}/unit)": [_price_text(v) for v in need["price"]],
            f"payment ({per})": [_money_text(v, "") for v in need["payment"]],
            "range (every company at least alone)": [f"{_price_text(lo)} .. {_price_text(hi)}" for lo, hi in
                                                     zip(need["price_low"], need["price_high"])],
        })
        ex_html = (f'<h3>Exchanges that need a transfer price ({len(need)} of {len(tp)} between companies)</h3>'
                   f'<div class="scroll">{_table(ex, "table-transfer-prices", money)}</div>')
    else:
        ex_html = ('<p class="empty" id="table-transfer-prices">no exchange between companies needs a transfer '
                   'price</p>')
    notes = []
    core = s.get("core")
    if core:
        if core["core_empty"]:
            notes.append(f'The core is empty: {", ".join(core["blocking_coalition"])} would gain '
                         f'{fmt(core["blocking_excess"], per)} more by leaving the Shapley split.')
        elif core["shapley_in_core"]:
            notes.append("The Shapley split is in the core: no coalition is better off alone.")
        else:
            notes.append(f'The core is not empty, but {", ".join(core["blocking_coalition"])} would gain '
                         f'{fmt(core["blocking_excess"], per)} more by leaving the Shapley split.')
    f = s.get("fair")
    if f:
        cost = ("nothing (within the solver's gap)" if f["within_gap"] else fmt(f["fairness_cost"], per))
        notes.append(f"Fair design (no company below its standalone margin): fairness costs {cost}; "
                     f"network changes: {', '.join(f['network_changes']) or 'none'}.")
    if s.get("coupled_markets"):
        notes.append(f"Companies share capped markets ({', '.join(s['coupled_markets'])}): standalone margins take "
                     "the split of those caps the standalone solve found.")
    note_html = "".join(f'<p class="meta">{e(n)}</p>' for n in notes)
    return (f'{head}<div class="scroll">{_table(rows, "table-gains", money)}</div>{ex_html}{note_html}')


def report_html(result, path, status_quo=None, *, network_page: str | None = None, max_rows: int = 2000,
                network_href: str = "network.html", gains=None, outages=None) -> Path:
    """Write ``report.html`` for ``result`` (and ``status_quo`` beside it, if given).

    ``network_page`` is the text of network.html when it is already written (saves
    drawing it twice); otherwise it is made here. For a region of more than
    ``OVERVIEW_OVER`` plants the report embeds the overview of parks and the flows
    between them instead (:func:`network_overview_html`), linking to ``network_href``
    (network.html beside the report) for the plants. ``gains`` (a
    :class:`symbiosis.gains.Gains`) adds the section "Who gains"; ``outages``, an outage
    analysis of ``result``'s network (:func:`symbiosis.outages.outages`), adds an outage
    section (:func:`outage_section`).
    """
    r = result
    money = (r.units or {}).get("money", "CNY")
    region = len(r.plants) > OVERVIEW_OVER
    if region:
        with tempfile.TemporaryDirectory() as tmp:
            network_page = network_overview_html(r, Path(tmp) / "overview.html",
                                                 detail_href=network_href).read_text(encoding="utf-8")
    elif network_page is None:
        with tempfile.TemporaryDirectory() as tmp:
            network_page = network_html(r, Path(tmp) / "network.html").read_text(encoding="utf-8")
    import plotly.io as pio
    sankey_div = pio.to_html(sankey_figure_menu(r, status_quo, height=650), full_html=False, include_plotlyjs=True,
                             div_id="sankey", validate=False, config={"displaylogo": False, "responsive": True})
    s = r.solver
    gap = f"{s['gap']:.2%}" if s.get("gap") is not None else "n/a"
    cards = "".join(_card(n, lbl, hb, r, status_quo) for n, lbl, hb in CARDS)
    built = r.built_plants[["plant", "label", "process", "sector", "park", "capacity", "activity", "activity_unit",
                            "utilisation", "capex", "capex_annualised"]] if len(r.built_plants) else None
    chosen = r.chosen_exchanges.sort_values(["kind", "flow"], ascending=[True, False])
    ex_cols = ["source", "target", "material", "unit", "flow", "distance", "transport_cost", "fixed_cost", "cost",
               "existing"]
    plants = r.plants.drop(columns=["label"])
    sections = [
        ("kpis", "Key figures", _table(_kpi_text(r, status_quo), "table-kpis", money)),
        ("built", "New plants built", _table(built, "table-built", money)),
        ("exchanges", f"Exchanges open ({len(chosen)})",
         f'<div class="scroll">{_table(chosen[ex_cols].head(max_rows), "table-exchanges", money)}</div>'),
        ("materials", "Materials", f'<div class="scroll">{_table(r.materials, "table-materials", money)}</div>'),
        ("plants", f"Plants ({len(plants)})",
         f'<details><summary>show all plants</summary><div class="scroll">'
         f'{_table(plants.head(max_rows), "table-plants", money)}</div></details>'),
        ("market", "Market: purchases, sales, disposal",
         f'<details><summary>show market flows</summary><div class="scroll">'
         f'{_table(r.market.head(max_rows), "table-market", money)}</div></details>'),
    ]
    if gains is not None:
        period = (r.units or {}).get("period", "yr")
        sections.insert(1, ("gains", "Who gains", gains_section(gains, money, period)))
    if outages is not None:
        sections.append(("outages", "Outages: what breaks when a plant stops", outage_section(outages, money)))
    nav = "".join(f'<a href="#{k}">{html.escape(t)}</a>' for k, t, _ in
                  [("network", "Network", ""), ("sankey-section", "Sankey", "")] + sections)
    title = html.escape(f"{r.case_name}: symbiosis report")
    compare_note = (" Status quo (today's plants and exchanges) against the optimised network."
                    if status_quo is not None else "")
    body = [
        f"<h1>{title}</h1>",
        f'<div class="meta">objective {html.escape(str(r.objective))}; solver status {html.escape(str(s.get("status")))}, '
        f'gap {gap}, solve {float(s.get("solve_time") or 0):.2f} s.{html.escape(compare_note)}</div>',
        f"<nav>{nav}</nav>",
        f'<div class="cards" id="kpi-cards">{cards}</div>',
        '<h2 id="network">Network</h2>',
        (f'<p class="meta" id="network-note">{len(r.plants):,} plants: the overview of parks and the flows between '
         f'them; the plants and each exchange are in <a id="network-detail-link" href="{html.escape(network_href)}" '
         f'target="_blank">{html.escape(network_href)}</a>.</p>' if region else ""),
        f'<iframe class="network" id="network-frame" title="exchange network" '
        f'srcdoc="{html.escape(network_page, quote=True)}"></iframe>',
        '<h2 id="sankey-section">Material flows</h2>', sankey_div,
    ]
    for key, head, content in sections:
        body.append(f'<h2 id="{key}">{html.escape(head)}</h2>{content}')
    page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>")
    bad = external_refs(page)
    if bad:
        raise RuntimeError(f"the report would load from the internet: {bad[:3]}")
    out = Path(path)
    out.write_text(page, encoding="utf-8")
    return out


# ====================================================================== phased plans: the timeline
def timeline_frame(phased) -> pd.DataFrame:
    """What opens when, and reuse and cost by period, one row per period of a phased plan
    (:class:`symbiosis.phased.PhasedResult`): plants built, by-product exchanges opened,
    investment, reuse rate, by-products reused, annualised cost and its discounted worth."""
    plan = phased.plan()
    ex = phased.exchanges
    kinds = {(r.source, r.target, r.material): r.kind for r in ex.itertuples()}
    rows = []
    for p in phased.periods:
        n = p["name"]
        r = phased.results[n]
        here = plan[plan["period"] == n]
        opened = [f"{x.name} ({x.detail})" for x in here[here["what"] == "exchange"].itertuples()
                  if kinds.get(tuple(x.name.split(" -> ")) + (x.detail,)) == "byproduct"]
        rows.append({"period": n, "years": f"{p['start']}-{p['end']}",
                     "plants built": ", ".join(here.loc[here["what"] == "plant", "name"]) or "-",
                     "by-product exchanges opened": ", ".join(opened) or "-",
                     "investment": phased.horizon["investment_by_period"][n],
                     "reuse rate": r.kpi("reuse_rate"), "by-products reused": r.kpi("byproducts_reused"),
                     "annualised cost": r.kpi("annualised_cost"),
                     "discount weight": p["discount_weight"]})
    return pd.DataFrame(rows)


def timeline_figure(phased):
    """Reuse rate (line, right axis), investment and annualised cost (bars) by period."""
    import plotly.graph_objects as go
    df = timeline_frame(phased)
    money = phased.kpis.loc["capex", "unit"] if "capex" in phased.kpis.index else "CNY"
    fig = go.Figure()
    fig.add_bar(x=df["period"], y=df["investment"], name=f"investment in the period ({money})")
    fig.add_bar(x=df["period"], y=df["annualised cost"], name=f"annualised cost ({money}/yr)")
    fig.add_scatter(x=df["period"], y=df["reuse rate"], name="reuse rate", yaxis="y2", mode="lines+markers+text",
                    text=[f"{v:.1%}" for v in df["reuse rate"]], textposition="top center")
    fig.update_layout(template="plotly_white", barmode="group", height=420, margin={"t": 30},
                      yaxis={"title": money}, yaxis2={"title": "reuse rate", "overlaying": "y", "side": "right",
                                                        "tickformat": ".0%", "rangemode": "tozero"},
                      legend={"orientation": "h", "y": -0.15})
    return fig


def phased_report_html(phased, path, *, network_page: str | None = None) -> Path:
    """Write ``report.html`` of a phased plan: the horizon's figures, the timeline (what
    opens when, reuse rate and cost by period, table and chart), the network with its
    period selector (:func:`~symbiosis.views.network.network_periods_html`, embedded), the
    KPIs by period and the plan. One offline page."""
    from symbiosis.views.network import network_periods_html
    r = phased
    money = r.kpis.loc["capex", "unit"] if "capex" in r.kpis.index else "CNY"
    if network_page is None:
        with tempfile.TemporaryDirectory() as tmp:
            network_page = network_periods_html(r, Path(tmp) / "network.html").read_text(encoding="utf-8")
    h = r.horizon
    cards = [("npc", "Net present cost", fmt(h["npc"]["value"], money)),
             ("investment", "Investment over the horizon", fmt(h["investment"]["value"], money)),
             ("reuse_rate", "Reuse over the horizon", f"{h['reuse_rate']['value']:.1%}"),
             ("reused", "By-products reused over the horizon", fmt(h["byproducts_reused_total"]["value"], "t"))]
    cards_html = "".join(f'<div class="card" data-kpi="{k}"><div class="label">{html.escape(lbl)}</div>'
                         f'<div class="value">{html.escape(v)}</div></div>' for k, lbl, v in cards)
    tl = timeline_frame(r)
    tl_text = tl.copy()
    tl_text["investment"] = [fmt(v, money) for v in tl["investment"]]
    tl_text["annualised cost"] = [fmt(v, f"{money}/yr") for v in tl["annualised cost"]]
    tl_text["by-products reused"] = [fmt(v, "t/yr") for v in tl["by-products reused"]]
    tl_text["discount weight"] = [f"{v:.2f}" for v in tl["discount weight"]]
    chart = timeline_figure(r).to_html(full_html=False, include_plotlyjs=True, div_id="timeline-chart",
                                       config={"displaylogo": False, "responsive": True})
    kp = r.kpis.reset_index()
    kp_text = kp[["kpi", "unit"]].copy()
    for p in r.periods:
        kp_text[p["name"]] = [fmt(v, u) for v, u in zip(kp[p["name"]], kp["unit"])]
    plan = r.plan()
    plan_text = plan.assign(capex=[fmt(v, money) if v else "-" for v in plan["capex"]])
    s = r.solver
    gap = f"{s['gap']:.2%}" if s.get("gap") is not None else "n/a"
    how = "myopic" if r.myopic else "perfect foresight"
    title = html.escape(f"{r.case_name}: phased plan")
    sections = [("timeline", "Timeline: what opens when, reuse and cost by period",
                 _table(tl_text, "table-timeline", money) + chart),
                ("network", "Network by period", f'<iframe class="network" id="network-frame" title="network by '
                 f'period" srcdoc="{html.escape(network_page, quote=True)}"></iframe>'),
                ("kpis", "Key figures by period (per year of each period)", _table(kp_text, "table-period-kpis")),
                ("plan", f"The plan ({len(plan)} plants and exchanges opened)",
                 f'<div class="scroll">{_table(plan_text, "table-plan", money)}</div>')]
    nav = "".join(f'<a href="#{k}">{html.escape(t.split(":")[0])}</a>' for k, t, _ in sections)
    body = [f"<h1>{title}</h1>",
            f'<div class="meta">{html.escape(how)}, objective {html.escape(str(r.objective))}; solver status '
            f'{html.escape(str(s.get("status")))}, gap {gap}; {len(r.periods)} periods, '
            f'{r.periods[0]["start"]}-{r.periods[-1]["end"]}; costs discounted to {r.periods[0]["start"]}.</div>',
            f"<nav>{nav}</nav>", f'<div class="cards" id="kpi-cards">{cards_html}</div>']
    body += [f'<h2 id="{k}">{html.escape(t)}</h2>{c}' for k, t, c in sections]
    page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>")
    bad = external_refs(page)
    if bad:
        raise RuntimeError(f"the report would load from the internet: {bad[:3]}")
    out = Path(path)
    out.write_text(page, encoding="utf-8")
    return out
