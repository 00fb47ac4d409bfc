"""The park's margin split by cause, and its change against the status quo.

The *margin* is what the park earns in a period: sales - purchases - operating,
transport, link and disposal costs - the carbon price - the annualised capex of the
plants the model builds. Existing plants carry no capital charge (their capital is sunk),
so it is an operating margin, not a profit after depreciation; it is ``-annualised_cost``.

Every money row of a :class:`~symbiosis.result.Result` (``plants.annual_cost``,
``exchanges.cost``, ``market.annual_cost``, ``inputs.annual_cost``) is given to exactly
one cause, so the causes add up to the margin, and the change of each cause between two
networks adds up to the change of the margin, to rounding:

``byproducts``
    by-product reuse and avoided disposal: disposal fees, sales and purchases of
    by-products, transport and links of by-product exchanges, and the virgin inputs the
    by-products replace in slots (valued at the price of the slot's first option, moved
    here from the receiving plant's cause);
``energy``
    energy bought, sold and exchanged (electricity, steam, fuel gases of kind ``energy``);
``new_plants``
    plants the model builds: their capex charge, operation, CO2 and the products, raw
    materials and intermediates they sell or buy;
``existing_plants``
    the same for today's plants (more or less output, other raw materials).
"""
from __future__ import annotations

import pandas as pd

from symbiosis.frames import rows

CAUSES = ("byproducts", "energy", "new_plants", "existing_plants")
LABELS = {
    "byproducts": "by-product reuse and avoided disposal",
    "energy": "energy bought, sold and exchanged",
    "new_plants": "new plants: products, inputs, operation, capex",
    "existing_plants": "existing plants: output, inputs, operation",
}
KPI_PREFIX = "margin_"


def margin_by_cause(case, plants: pd.DataFrame, exchanges: pd.DataFrame, market: pd.DataFrame,
                    inputs: pd.DataFrame) -> dict[str, float]:
    """Margin (money per period, + earns) of each cause in :data:`CAUSES`, from a result's
    tables (see the module docstring for the rule). The values add up to ``-annualised_cost``."""
    mats = case.materials
    new = {name for name, p in case.plants.items() if p.is_candidate}

    def kind(mn: str) -> str:
        m = mats[mn]
        if m.is_byproduct:
            return "byproducts"
        return "energy" if m.kind == "energy" else ""

    def cause(mn: str, plant: str, other: str | None = None) -> str:
        k = kind(mn)
        if k:
            return k
        return "new_plants" if (plant in new or (other is not None and other in new)) else "existing_plants"

    out = dict.fromkeys(CAUSES, 0.0)
    for r in rows(plants):
        out["new_plants" if r.plant in new else "existing_plants"] -= float(r.annual_cost)
    for r in rows(market):
        out[cause(r.material, r.plant)] -= float(r.annual_cost)
    if len(exchanges):
        used = exchanges[exchanges["cost"] != 0]
        for r in rows(used):
            out[cause(r.material, r.target, r.source)] -= float(r.cost)
    for r in rows(inputs):
        out[cause(r.material, r.plant)] -= float(r.annual_cost)
        # a by-product in a slot spares the slot's first option: that saving is reuse's
        if mats[r.material].is_byproduct and r.avoided:
            slot = next(s for s in case.process_of(r.plant).slots if s.name == r.slot)
            first = next(iter(slot.options))
            price = mats[first].price or 0.0
            if first != r.material and price:
                e_ref = slot.options[first][0]
                value = float(r.avoided) / e_ref * price   # units of the first option not bought
                out["byproducts"] += value
                out[cause(first, r.plant)] -= value
    return out


def kpi_rows(margins: dict[str, float], money: str, period: str = "yr") -> list[tuple[str, float, str]]:
    """KPI rows ``margin_<cause>`` (money per period)."""
    return [(KPI_PREFIX + c, margins[c], f"{money}/{period}") for c in CAUSES]


def change_by_cause(result, status_quo) -> pd.DataFrame:
    """The change of the margin from ``status_quo`` to ``result``, by cause.

    Returns a table indexed by cause with columns ``label``, ``status_quo``, ``optimised``,
    ``change`` and ``share`` (of the total change), and a last row ``total`` whose change is
    the change of ``profit`` (``-annualised_cost``); the causes' changes add up to it.
    """
    rows = []
    for c in CAUSES:
        a, b = status_quo.kpi(KPI_PREFIX + c), result.kpi(KPI_PREFIX + c)
        rows.append({"cause": c, "label": LABELS[c], "status_quo": a, "optimised": b, "change": b - a})
    a, b = status_quo.kpi("profit"), result.kpi("profit")
    total = b - a
    rows.append({"cause": "total", "label": "park margin (no capital charge on existing plants)",
                 "status_quo": a, "optimised": b, "change": total})
    df = pd.DataFrame(rows).set_index("cause")
    df["share"] = df["change"] / total if abs(total) > 1e-9 else float("nan")
    return df


def change_summary(result, status_quo) -> dict:
    """:func:`change_by_cause` as a plain dict (for summary.json)."""
    df = change_by_cause(result, status_quo)
    return {c: {k: (None if (isinstance(v, float) and v != v) else v) for k, v in r.items()}
            for c, r in df.to_dict(orient="index").items()}
