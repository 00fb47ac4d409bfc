"""One way to write numbers for people, used by the terminal, the reports, the Sankey,
the workbooks and the README: ``427.2 kt/yr``, ``1.07 bn CNY``, ``-12.38 bn CNY/yr``,
``1.05 M MWh/yr``, ``82.8%``.

Tonnes take SI prefixes (kt, Mt, Gt); every other unit takes k, M and bn before it
(money reads as "1.07 bn CNY", never "1.07 G CNY" or "1.07e9"). Thousands are written
with a separator below ten thousand (``7,500 CNY``) and with ``k`` above.

>>> fmt(1.07e9, "CNY")
'1.07 bn CNY'
>>> fmt(427_200, "t/yr")
'427.2 kt/yr'
>>> fmt(0.8279, "fraction")
'82.8%'
"""
from __future__ import annotations

import math

__all__ = ["fmt", "fmt_value", "money_unit", "period_unit", "per_period"]


def fmt(v, unit: str = "") -> str:
    """``v`` in ``unit`` for reading; ``-`` for a missing value."""
    if v is None:
        return "-"
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(v):
        return "-"
    if math.isinf(v):
        return ("-" if v < 0 else "") + "inf"
    if unit == "fraction":
        return f"{v:.1%}"
    if unit == "count":
        return f"{v:.0f}"
    a = abs(v)
    if unit == "t" or unit.startswith("t/"):  # tonnes take SI prefixes: kt, Mt, Gt
        if a >= 1e9:
            return f"{v / 1e9:,.2f} G{unit}"
        if a >= 1e6:
            return f"{v / 1e6:,.1f} M{unit}"
        if a >= 1e4:
            return f"{v / 1e3:,.1f} k{unit}"
        return f"{v:,.1f} {unit}"
    for div, pre, above in ((1e9, "bn", 1e9), (1e6, "M", 1e6), (1e3, "k", 1e4)):
        if a >= above:
            return f"{v / div:,.2f} {pre} {unit}".rstrip()
    return f"{v:,.1f} {unit}".rstrip()


def fmt_value(v, unit: str = "") -> str:
    """An objective or bound: as :func:`fmt` from ten thousand up, else with six
    significant digits, so that 1.4 CNY/yr is not printed as 1 and a bound of 15.75
    as 16.

    >>> fmt_value(1.4, "CNY/yr"), fmt_value(15.75, ""), fmt_value(2.5e9, "CNY/yr")
    ('1.4 CNY/yr', '15.75', '2.50 bn CNY/yr')
    """
    if v is None:
        return "-"
    v = float(v)
    if not math.isfinite(v) or abs(v) >= 1e4:
        return fmt(v, unit)
    return f"{v:.6g} {unit}".rstrip()


def money_unit(obj) -> str:
    """The money unit of a Case or Result (``units["money"]``, default CNY)."""
    return (getattr(obj, "units", None) or {}).get("money", "CNY")


def period_unit(obj) -> str:
    """The period of a Case or Result (``units["period"]``, default yr)."""
    return (getattr(obj, "units", None) or {}).get("period", "yr")


def per_period(obj, unit: str) -> str:
    """``unit`` per the period of ``obj``: ``per_period(case, "t")`` is ``"t/yr"``."""
    return f"{unit}/{period_unit(obj)}"
