"""Two results side by side: what changed in the KPIs and in the network.

>>> import symbiosis
>>> case = symbiosis.examples.tutorial()
>>> base = symbiosis.optimize(case)
>>> dearer = symbiosis.optimize(case.with_changes({"materials.cement.sale_price": "300 CNY/t"}))
>>> diff = dearer.compare(base)
>>> list(diff.columns)
['unit', 'reference', 'result', 'change', 'change_pct']
>>> bool(diff.loc["sales", "change"] < 0)
True
"""
from __future__ import annotations

import math

import pandas as pd

from symbiosis.frames import rows

__all__ = ["compare_results", "network_changes"]


def _keys(r) -> tuple[set, set]:
    plants = set(r.built_plants["plant"]) if len(r.plants) else set()
    ex = r.chosen_exchanges
    exchanges = {f"{x.source}->{x.target}:{x.material}" for x in rows(ex)}
    return plants, exchanges


def network_changes(reference, result) -> dict[str, list[str]]:
    """New plants and chosen exchanges that ``result`` adds to or drops from ``reference``:
    ``{"plants_added": [...], "plants_removed": [...], "exchanges_added": [...],
    "exchanges_removed": [...]}`` (exchanges as ``FROM->TO:material``)."""
    p0, e0 = _keys(reference)
    p1, e1 = _keys(result)
    return {"plants_added": sorted(p1 - p0), "plants_removed": sorted(p0 - p1),
            "exchanges_added": sorted(e1 - e0), "exchanges_removed": sorted(e0 - e1)}


def compare_results(reference, result, names: tuple[str, str] = ("reference", "result")) -> pd.DataFrame:
    """The KPIs of ``reference`` and ``result`` side by side, one row per KPI.

    Columns: ``unit``, the two values (named by ``names``), ``change`` (result minus
    reference, in the KPI's unit) and ``change_pct`` (the change as a percentage of the
    reference's absolute value; NaN where the reference is 0). A KPI only one of them
    has shows NaN for the other. ``df.attrs`` holds :func:`network_changes`.

    Works on a :class:`~symbiosis.result.Result` from :func:`symbiosis.optimize` and on
    one read back by :func:`symbiosis.load_result`.
    """
    a, b = names
    if a == b:
        raise ValueError(f"give the two columns different names (got {names!r})")
    ka, kb = reference.kpis, result.kpis
    index = list(ka.index) + [k for k in kb.index if k not in ka.index]
    va = ka["value"].reindex(index).astype(float)
    vb = kb["value"].reindex(index).astype(float)
    unit = ka["unit"].reindex(index).fillna(kb["unit"].reindex(index)).fillna("")
    change = vb - va
    pct = [(c / abs(r) * 100.0) if (r == r and r != 0 and c == c) else math.nan for c, r in zip(change, va)]
    df = pd.DataFrame({"unit": unit, a: va, b: vb, "change": change, "change_pct": pct}, index=index)
    df.index.name = "kpi"
    df.attrs.update(network_changes(reference, result))
    return df
