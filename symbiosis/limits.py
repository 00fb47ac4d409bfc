r"""The limits a solve can respect, in one table.

Each :class:`Limit` says, once, what the limit bounds (the quantity, built from the
model's KPI expressions), in which direction, in which unit, and in which words a
message names it. The model (:meth:`symbiosis.model.ParkModel.set_limits`), the
command line's ``--limit`` (:func:`symbiosis.decision.parse_limits`) and the
explanation of an unreachable limit all read this table, so adding a limit is one
entry here (plus, for a limit written in case files, its field in the case schema).

==================  ====================================================  =========
key                 row                                                   unit
==================  ====================================================  =========
capex               :math:`\sum K y + \sum K_x z \le v`                   money
new_plants          :math:`\sum_{p,k} y_{pk} \le v`                       (a count)
co2                 :math:`E \le v`                                       t/period
disposal            :math:`D \le v`                                       t/period
cost                :math:`C \le v`                                       money/period
min_reuse           :math:`R_\text{gross} \ge v`                          t/period
min_reuse_rate      :math:`R_\text{gross} \ge v \cdot G`                  share
min_reuse_rate:m    :math:`\sum_{x \in m} f_x \ge v \sum_p o_{pm} a_p`    share
==================  ====================================================  =========

(:math:`G`: reuse-weighted by-product generated.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Limit:
    """One kind of limit: ``quantity(pm)`` is the expression bounded, ``sense`` ``<=``
    (a cap) or ``>=`` (a floor); a ``rate`` limit bounds ``quantity - v * base(pm)``
    below by 0 (a share of what the park generates)."""

    key: str
    unit: str                     # "{money}", "t/{period}", "{money}/{period}", "plants", ""
    sense: str                    # "<=" or ">="
    words: str
    quantity: Callable
    base: Callable | None = None  # for rates: the amount the share is of
    per_material: bool = False    # written "<key>:<material>"
    shown: str | None = None      # the unit in messages, when it differs (a count of plants)

    @property
    def rate(self) -> bool:
        return self.base is not None

    def unit_text(self, case, shown: bool = False) -> str:
        unit = self.shown if shown and self.shown else self.unit
        return unit.format(money=case.units.get("money", "CNY"), period=case.units.get("period", "yr"))


def _built(pm):
    return sum(pm.m.y[p, k] for p, k in pm.sizes)


def _generated(pm):
    return pm.byproduct_generated_expr()


def _sent(pm, material: str):
    return sum(pm.m.f[i] for i in pm.x_index if pm.exchanges[i].material == material)


def _made(pm, material: str):
    return sum(pm.case.process_of(p).outputs[material] * pm.m.a[p] for p, m2 in pm.outputs if m2 == material)


LIMITS: dict[str, Limit] = {lim.key: lim for lim in (
    Limit("capex", "{money}", "<=", "capex budget", lambda pm, _=None: pm.kpi["capex"]),
    Limit("new_plants", "", "<=", "most new plants", lambda pm, _=None: _built(pm), shown="plants"),
    Limit("co2", "t/{period}", "<=", "CO2 cap", lambda pm, _=None: pm.kpi["co2"]),
    Limit("disposal", "t/{period}", "<=", "landfill cap", lambda pm, _=None: pm.kpi["disposal"]),
    Limit("cost", "{money}/{period}", "<=", "cost cap", lambda pm, _=None: pm.kpi["cost"]),
    Limit("min_reuse", "t/{period}", ">=", "least by-product reused", lambda pm, _=None: pm.kpi["reuse_gross"]),
    Limit("min_reuse_rate", "", ">=", "least reuse rate", lambda pm, _=None: pm.kpi["reuse_gross"],
          base=lambda pm, _=None: _generated(pm)),
    Limit("min_reuse_rate:", "", ">=", "least reuse rate of one by-product", _sent, base=_made, per_material=True),
)}


def lookup(key: str) -> tuple[Limit, str | None]:
    """The limit of ``key`` and its material (``min_reuse_rate:fly_ash`` -> rate, ``fly_ash``).

    Raises ValueError naming the known keys."""
    if ":" in key:
        base, material = key.split(":", 1)
        lim = LIMITS.get(base + ":")
        if lim is not None and material:
            return lim, material
    elif key in LIMITS and not LIMITS[key].per_material:
        return LIMITS[key], None
    plain = [k for k, v in LIMITS.items() if not v.per_material]
    per = [k + "<material>" for k, v in LIMITS.items() if v.per_material]
    raise ValueError(f"unknown limit {key!r}; use one of {', '.join(plain)} or {', '.join(per)}")


def row(pm, key: str, value: float):
    """The Pyomo relation of limit ``key`` at ``value`` on the model ``pm``, or None when it
    holds trivially (a floor on a by-product no plant makes).

    Raises ValueError for an unknown key, or a per-material limit on a material that is
    not a by-product of the case."""
    lim, material = lookup(key)
    if material is not None:
        mats = pm.case.materials
        if material not in mats:
            raise ValueError(f"unknown material {material!r} in limit {key!r}")
        if not mats[material].is_byproduct:
            raise ValueError(f"limit {key!r}: {material!r} is not a by-product; reuse floors are for by-products")
    q = lim.quantity(pm, material)
    if lim.base is not None:
        base = lim.base(pm, material)
        if isinstance(base, (int, float)):
            return None  # nothing is made: the floor holds trivially
        return q >= value * base  # rows are scaled at the hand-off
    if isinstance(q, (int, float)):
        return None
    return q <= value if lim.sense == "<=" else q >= value


def units(case) -> dict[str, str]:
    """{key: unit} of every plain limit, in the case's money and period (``--limit`` values)."""
    return {k: lim.unit_text(case) for k, lim in LIMITS.items() if not lim.per_material}
