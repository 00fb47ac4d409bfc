"""One pint registry for the project, with the units industrial parks use.

Pint knows SI and most engineering units; this adds a currency dimension (CNY, also
spelled yuan or RMB), normal cubic metres of gas (``Nm3``, its own dimension so a gas
volume never silently converts to a liquid volume), coal equivalent (``tce``,
``kgce``, ``gce``; 1 kgce = 7,000 kcal = 29.3076 MJ, GB/T 2589) and the kilotonne
``kt`` (pint reads ``kt`` as the knot by default).
"""
from __future__ import annotations

import functools
import logging
import re

import pint

_log = logging.getLogger(__name__)

ureg = pint.UnitRegistry(on_redefinition="ignore", autoconvert_offset_to_baseunit=True)
logging.getLogger("pint.util").setLevel(logging.ERROR)
ureg.define("kilotonne_mass = 1000 * metric_ton = kt")
ureg.define("CNY = [currency] = yuan = RMB")
ureg.define("Nm3 = [gas_volume] = normal_cubic_metre")
ureg.define("kgce = 29.3076 * megajoule")
ureg.define("tce = 1000 * kgce")
ureg.define("gce = kgce / 1000")
ureg.define("t_km = metric_ton * kilometer = tkm")

Quantity = ureg.Quantity

#: the dimensions a material may be measured in, with the unit the case uses by default
BASE_UNITS = {"mass": "t", "energy": "MWh", "gas_volume": "Nm3", "volume": "m**3", "money": "CNY",
              "period": "yr", "distance": "km", "count": "dimensionless"}

_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


class UnitProblem(ValueError):
    """A quantity that cannot be read or has the wrong dimension."""


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> pint.Quantity:
    """Parse ``"300 kt/yr"`` into a pint Quantity; raise UnitProblem with a readable hint."""
    try:
        q = ureg.Quantity(text)
    except Exception as exc:  # pint raises several kinds; all mean "cannot read"
        raise UnitProblem(f"cannot read {text!r} as a quantity ({exc.__class__.__name__}: {exc}); "
                          "write a number and a unit, e.g. '300 kt/yr'") from None
    if not isinstance(q, pint.Quantity):
        q = ureg.Quantity(q)
    return q


def to_float(value, unit: str, *, what: str = "", allow_plain: bool = False) -> float:
    """Convert a case value (number or ``"number unit"`` string) to a float in ``unit``.

    A plain number is accepted only where ``allow_plain`` is true or the target unit is
    dimensionless; otherwise the unit must be written, because a bare number in a case
    file is the most common source of silent errors.
    """
    if isinstance(value, bool):
        raise UnitProblem(f"expected a quantity in {unit}, got {value!r}")
    try:
        target = ureg.Unit(unit) if unit else ureg.dimensionless
    except Exception:
        raise UnitProblem(f"unknown unit {unit!r}") from None
    if isinstance(value, (int, float)):
        if allow_plain or target.dimensionless:
            return float(value)
        raise UnitProblem(f"{value!r} has no unit; write it with one, e.g. '{value} {unit}'")
    if not isinstance(value, str):
        raise UnitProblem(f"expected a quantity in {unit}, got {type(value).__name__} {value!r}")
    q = parse(value.strip())
    try:
        return float(q.to(target).magnitude)
    except pint.DimensionalityError:
        raise UnitProblem(
            f"{value!r} is in {_dim_name(q)}, expected {_dim_name(ureg.Quantity(1, target))} "
            f"(convertible to {unit})") from None


def dimension_of(unit: str) -> str:
    """Name of the dimension of a unit string, in the words of BASE_UNITS where possible."""
    return _dim_name(ureg.Quantity(1, unit))


def _dim_name(q: pint.Quantity) -> str:
    dim = q.dimensionality
    names = {ureg.Quantity(1, u).dimensionality: n for n, u in BASE_UNITS.items() if n != "period"}
    names[ureg.Quantity(1, "yr").dimensionality] = "time"
    if dim in names:
        return names[dim]
    per = (q * ureg.Quantity(1, "yr")).dimensionality
    if per in names:
        return f"{names[per]} per time"
    return str(dim) if str(dim) else "dimensionless"


def is_number_text(text: str) -> bool:
    return bool(_NUMBER.match(text))
