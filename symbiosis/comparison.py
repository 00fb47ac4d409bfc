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

__all__ = ["compare_results", "network_changes", "compare_periods", "compare_phased_single"]


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


# ---------------------------------------------------------------- across periods (phased plans)
def _period_name(phased, which) -> str:
    """A period of a phased result by name, start year or index."""
    names = [p["name"] for p in phased.periods]
    if isinstance(which, int) and not isinstance(which, bool) and 0 <= which < len(names) and which not in \
            [p["start"] for p in phased.periods]:
        return names[which]
    for p in phased.periods:
        if str(which) in (p["name"], str(p["start"])):
            return p["name"]
    raise ValueError(f"no period {which!r} in the plan; its periods are "
                     + ", ".join(f"{p['name']} ({p['start']})" for p in phased.periods))


def compare_periods(phased, a=0, b=-1) -> pd.DataFrame:
    """Two periods of one phased plan side by side: :func:`compare_results` of period
    ``a`` (the reference) and ``b`` (by name, start year or index; default the first and
    the last). Values are per year of each period; ``attrs`` add the plants built and the
    exchanges opened in the periods after ``a`` up to ``b`` (``built_between``,
    ``opened_between``), besides :func:`network_changes` (the network as it stands in each).

    >>> import symbiosis
    >>> from symbiosis.phased import one_period, optimize_phased
    >>> plan = optimize_phased(one_period(symbiosis.examples.tutorial()))
    >>> list(compare_periods(plan, 0, 0).columns)
    Traceback (most recent call last):
    ...
    ValueError: compare two different periods (got 2025 twice)
    """
    names = [p["name"] for p in phased.periods]
    na = _period_name(phased, a if a != -1 else len(names) - 1)
    nb = _period_name(phased, b if b != -1 else len(names) - 1)
    if na == nb:
        raise ValueError(f"compare two different periods (got {na} twice)")
    df = compare_results(phased.results[na], phased.results[nb], names=(na, nb))
    ia, ib = names.index(na), names.index(nb)
    between = names[min(ia, ib) + 1:max(ia, ib) + 1]
    plan = phased.plan()
    df.attrs["built_between"] = plan.loc[plan["period"].isin(between) & (plan["what"] == "plant"), "name"].tolist()
    df.attrs["opened_between"] = plan.loc[plan["period"].isin(between) & (plan["what"] == "exchange"),
                                          "name"].tolist()
    df.attrs["periods"] = (na, nb)
    return df


def compare_phased_single(phased, single, name: str = "single period") -> pd.DataFrame:
    """A phased plan beside a single-period result: one row per KPI, the single result's
    value (column ``name``) and each period's (per year of the period), and each period's
    change against the single one (``change <period>``). ``attrs["networks"]`` holds
    :func:`network_changes` of each period against the single result, and
    ``attrs["build_period"]`` the period each plant of either is built in (``None``: the
    phased plan does not build it)."""
    names = [p["name"] for p in phased.periods]
    if name in names:
        raise ValueError(f"name the single result other than a period ({name!r})")
    ks = single.kpis
    index = list(ks.index) + [k for n in names for k in phased.results[n].kpis.index if k not in ks.index]
    index = list(dict.fromkeys(index))
    out = pd.DataFrame({"unit": ks["unit"].reindex(index)})
    out[name] = ks["value"].reindex(index).astype(float)
    for n in names:
        kp = phased.results[n].kpis
        out["unit"] = out["unit"].fillna(kp["unit"].reindex(index))
        out[n] = kp["value"].reindex(index).astype(float)
    for n in names:
        out[f"change {n}"] = out[n] - out[name]
    out["unit"] = out["unit"].fillna("")
    out.index.name = "kpi"
    out.attrs["networks"] = {n: network_changes(single, phased.results[n]) for n in names}
    plan = phased.plan()
    built = dict(zip(plan.loc[plan["what"] == "plant", "name"], plan.loc[plan["what"] == "plant", "period"]))
    single_plants = sorted(set(single.built_plants["plant"]) - set(single.plants.loc[
        single.plants["status"] != "candidate", "plant"])) if len(single.plants) else []
    out.attrs["build_period"] = {p: built.get(p) for p in sorted(set(single_plants) | set(built))}
    out.attrs["single_builds"] = single_plants
    out.attrs["periods"] = names
    return out
