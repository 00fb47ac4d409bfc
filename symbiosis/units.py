"""One pint registry for the project, with the units industrial parks use.

Pint knows SI and most engineering units; this adds currencies (CNY, also spelled yuan
or RMB, and any three-letter code such as EUR or DKK, each its own dimension so money
never silently converts between currencies), normal cubic metres of gas (``Nm3``, its
own dimension so a gas volume never silently converts to a liquid volume), coal
equivalent (``tce``, ``kgce``, ``gce``; 1 kgce = 7,000 kcal = 29.3076 MJ, GB/T 2589) and
the kilotonne ``kt`` (pint reads ``kt`` as the knot by default).

Quantities are read at the door: the number is split from its unit and read by Python
(finite, no exponent towers such as ``9**9**9`` ever evaluated), the unit text is read by
pint once per distinct string and cached.
"""
from __future__ import annotations

import functools
import logging
import math
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

#: currencies known from the start (others are defined when a case names them)
COMMON_CURRENCIES = ("EUR", "USD", "DKK", "GBP", "JPY", "SEK", "NOK", "CHF", "KRW", "INR", "AUD", "CAD",
                     "HKD", "TWD", "SGD", "BRL", "ZAR", "RUB", "PLN", "CZK", "TRY", "MXN", "IDR", "THB",
                     "VND", "MYR", "NZD")
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
_CURRENCIES = {"CNY"}

_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
#: a leading number, then the unit text
_SPLIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\d.eE])\s*(.*?)\s*$", re.S)
_POWER_OF_NUMBER = re.compile(r"(?:\d|\.|\))\s*(\*\*|\^)|(\*\*|\^)\s*[-+(]*\s*[\d.]*\s*(\*\*|\^)")
_EXPONENT = re.compile(r"(\*\*|\^)\s*\(?\s*([-+]?[\d.]+(?:[eE][-+]?\d+)?)?")
MAX_TEXT = 200  # characters of one quantity
MAX_EXPONENT = 6  # largest power of a unit (m**3, s**-2)


class UnitProblem(ValueError):
    """A quantity that cannot be read or has the wrong dimension."""


def define_currency(code: str) -> None:
    """Make the three-letter currency ``code`` a unit of its own dimension."""
    if code in _CURRENCIES:
        return
    if not _CURRENCY_CODE.match(code):
        raise UnitProblem(f"{code!r} is not a currency code; write three capital letters such as EUR or DKK")
    if code in ureg and not _is_currency_unit(code):
        raise UnitProblem(f"{code!r} is already a unit ({ureg.Unit(code)}), not a currency")
    ureg.define(f"{code} = [currency_{code}]")
    _CURRENCIES.add(code)
    if "parse_unit" in globals():  # a unit text read before may name the new currency
        parse_unit.cache_clear()
        parse.cache_clear()


def _is_currency_unit(code: str) -> bool:
    try:
        dims = ureg.Unit(code).dimensionality
    except Exception:  # noqa: BLE001
        return False
    return len(dims) == 1 and next(iter(dims)).startswith("[currency")


for _c in COMMON_CURRENCIES:
    define_currency(_c)


def currency_of_dimension(dim: str) -> str | None:
    """'[currency_EUR]' -> 'EUR', '[currency]' -> 'CNY', anything else None."""
    if dim == "[currency]":
        return "CNY"
    if dim.startswith("[currency_"):
        return dim[len("[currency_"):-1]
    return None


def _check_unit_text(text: str, whole: str) -> None:
    if _POWER_OF_NUMBER.search(text):
        raise UnitProblem(f"{_short(whole)}: powers of numbers (** or ^) are not read; write the number "
                          "out, e.g. '3e8 CNY'")
    for m in _EXPONENT.finditer(text):
        exp = m.group(2)
        try:
            ok = exp is not None and float(exp) == int(float(exp)) and abs(float(exp)) <= MAX_EXPONENT
        except (ValueError, OverflowError):
            ok = False
        if not ok:
            raise UnitProblem(f"{_short(whole)}: a unit may only be raised to a small whole power "
                              f"(m**3, s**-2; at most {MAX_EXPONENT})")


@functools.lru_cache(maxsize=8192)
def parse_unit(text: str) -> pint.Quantity:
    """The unit part of a quantity ('kt/yr', 'CNY/t/km', '%'), read by pint once per string."""
    if not text:
        return ureg.Quantity(1, ureg.dimensionless)
    _check_unit_text(text, text)
    try:
        q = ureg.Quantity(text)
    except UnitProblem:
        raise
    except Exception as exc:  # pint raises several kinds; all mean "cannot read"
        raise UnitProblem(f"cannot read the unit {_short(text)!r} ({_pint_reason(exc)}); write a number and a "
                          "unit, e.g. '300 kt/yr'") from None
    if not isinstance(q, pint.Quantity):
        q = ureg.Quantity(q)
    if not math.isfinite(float(q.magnitude)):
        raise UnitProblem(f"cannot read the unit {_short(text)!r}: it is not a finite quantity")
    return q


def _pint_reason(exc: Exception) -> str:
    if isinstance(exc, pint.UndefinedUnitError):
        return f"unknown unit {', '.join(map(str, exc.args[0] if isinstance(exc.args[0], (tuple, list)) else exc.args))}"
    return type(exc).__name__


def _short(text, n: int = 60) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 3] + "..."


@functools.lru_cache(maxsize=16384)
def parse(text: str) -> pint.Quantity:
    """Parse ``"300 kt/yr"`` into a pint Quantity; raise UnitProblem with a readable hint.

    The number is read by Python (finite, at most ~1.8e308), the unit by :func:`parse_unit`;
    no arithmetic of the text is evaluated beyond products and quotients of units."""
    if len(text) > MAX_TEXT:
        raise UnitProblem(f"{_short(text)!r} is {len(text)} characters long; a quantity is a number and a unit "
                          f"(at most {MAX_TEXT} characters)")
    m = _SPLIT.match(text)
    if m is None:
        low = text.strip().lower()
        if low.lstrip("+-.").startswith(("nan", "inf")) or low.startswith(("∞", "-∞")):
            raise UnitProblem(f"{_short(text)!r} is not a finite number; write a number such as '300 kt/yr'")
        q = parse_unit(text.strip())  # a unit alone ('%', 't') or a unit with a number inside
        return q
    number, unit = m.group(1), m.group(2)
    x = float(number)
    if not math.isfinite(x):
        raise UnitProblem(f"{_short(text)!r}: the number is too large to be a park's figure "
                          "(beyond 1e308); check it and its unit")
    return x * parse_unit(unit)


def _pretty(unit: str) -> str:
    """'(t)/yr' -> 't/yr', 'CNY/(MWh)' -> 'CNY/MWh' for messages."""
    return re.sub(r"\(([A-Za-z_0-9*]+)\)", r"\1", unit)


def to_float(value, unit: str, *, what: str = "", allow_plain: bool = False,
             rates: dict[str, float] | None = None, base: str = "CNY") -> float:
    """Convert a case value (number or ``"number unit"`` string) to a finite float in ``unit``.

    A plain number is accepted only where ``allow_plain`` is true or the target unit is
    dimensionless; otherwise the unit must be written, because a bare number in a case
    file is the most common source of silent errors. ``rates`` maps other currency codes to
    the value of one unit in the case's currency ``base`` (``{"CNY": 0.128}`` in a EUR case).
    """
    if isinstance(value, bool):
        raise UnitProblem(f"expected a quantity in {_pretty(unit)}, got {value!r}")
    try:
        target = parse_unit(unit).units if unit else ureg.dimensionless
    except UnitProblem:
        raise UnitProblem(f"unknown unit {unit!r}") from None
    if isinstance(value, (int, float)):
        try:
            x = float(value)
        except OverflowError:
            raise UnitProblem(f"{_short(value)}: the number is too large to be a park's figure") from None
        if not math.isfinite(x):
            raise UnitProblem(f"{value!r} is not a finite number; write a number such as '300 {_pretty(unit)}'")
        if allow_plain or target.dimensionless:
            return x
        raise UnitProblem(f"{value!r} has no unit; expected e.g. '{value} {_pretty(unit)}'")
    if not isinstance(value, str):
        raise UnitProblem(f"expected a quantity in {_pretty(unit)}, got {type(value).__name__} {_short(repr(value))}")
    q = parse(value.strip())
    if is_number_text(value) and not target.dimensionless and not allow_plain:
        raise UnitProblem(f"{value.strip()!r} has no unit; expected e.g. '{value.strip()} {_pretty(unit)}'")
    try:
        x = float(q.to(target).magnitude)
    except pint.DimensionalityError:
        q2 = _convert_currencies(q, target, rates or {}, base, value)
        try:
            x = float(q2.to(target).magnitude)
        except pint.DimensionalityError:
            raise UnitProblem(
                f"{_short(value)!r} is in {_dim_name(q)}, expected {_dim_name(ureg.Quantity(1, target))} "
                f"(convertible to {_pretty(unit)})") from None
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise UnitProblem(f"{_short(value)!r} is too large once converted to {_pretty(unit)}; check the number "
                          "and its unit")
    return x


def _convert_currencies(q, target, rates: dict[str, float], base: str, value) -> pint.Quantity:
    """Express the foreign currencies of ``q`` in ``base`` at ``rates``; a currency without a
    rate is refused naming it."""
    want = ureg.Quantity(1, target).dimensionality
    if q.magnitude == 0:  # nothing is nothing in any currency (defaults such as '0 CNY/yr')
        return ureg.Quantity(0, target)
    for dim, exp in dict(q.dimensionality).items():
        code = currency_of_dimension(dim)
        if code is None or code == base or want.get(dim, 0) == exp:
            continue
        if code not in rates:
            raise UnitProblem(f"{_short(value)!r} is in {code}, but the case counts money in {base}: convert it, "
                              f"or give the rate under units.exchange_rates, e.g. {{{code}: '0.13 {base}'}}")
        q = q * (ureg.Quantity(rates[code], base) / ureg.Quantity(1, code)) ** exp
    return q


def dimension_of(unit: str) -> str:
    """Name of the dimension of a unit string, in the words of BASE_UNITS where possible."""
    return _dim_name(ureg.Quantity(1, unit))


_WORDS = (("mass", "t"), ("energy", "MWh"), ("gas volume", "Nm3"), ("volume", "m**3"), ("time", "yr"),
          ("distance", "km"))


def _dim_name(q: pint.Quantity) -> str:
    """The dimension in words ('money (CNY) per mass per distance'), never a pint formula."""
    return _dim_words(str(q.dimensionality), q.dimensionality)


@functools.lru_cache(maxsize=1024)
def _dim_words(key: str, dim) -> str:
    if not dim:
        return "dimensionless"
    words = list(_WORDS)
    for d in dim:
        code = currency_of_dimension(d)
        if code:
            words.insert(0, (f"money ({code})", code))
    units = [(n, ureg.Quantity(1, u)) for n, u in words]
    one = ureg.Quantity(1, ureg.dimensionless)
    for num_name, num in [("", one)] + units:
        if num.dimensionality == dim:
            return num_name
    for num_name, num in units + [("1", one)]:
        for d1, q1 in units:
            if (num / q1).dimensionality == dim:
                return f"{num_name} per {d1}"
    for num_name, num in units + [("1", one)]:
        for i, (d1, q1) in enumerate(units):
            for d2, q2 in units[i:]:
                if (num / q1 / q2).dimensionality == dim:
                    return f"{num_name} per {d1} per {d2}"
    return "an unusual combination of units (" + " ".join(
        f"{d.strip('[]')}{'' if e == 1 else f'^{e:g}'}" for d, e in dim.items()) + ")"


def is_number_text(text: str) -> bool:
    return bool(_NUMBER.match(text))
