"""Policy limits stated as data in a case's ``policy:`` section, honoured by the model.

Three kinds of rule, each named (the name appears in the error when a rule makes the
case infeasible) and each with its own ``source``:

``groups``
    Activity-group caps: the plants running one of ``processes`` (or named in
    ``plants``) together may hold at most ``max`` of capacity (``basis: capacity``, the
    default: built candidates' sizes plus the existing plants kept open) or produce at
    most ``max`` (``basis: output``). ``max: existing`` is the existing plants' capacity
    in the group, e.g. cement capacity replacement (no net new clinker)::

        policy:
          groups:
            clinker:
              processes: [cement_plant]
              max: existing
              source: "MIIT capacity-replacement measures (2021)"

``energy``
    Energy-consumption caps in tce per period (Chinese "dual control"): the comprehensive
    energy consumption of the plants in ``parks`` (all plants when empty) is at most
    ``max``. A plant consumes ``factor x input`` of every material in ``energy_factors``
    and is credited ``factor x output`` of what it sends on or sells (disposed or flared
    output counts as consumed); plants of the ``primary`` sectors (default ``coal``:
    mines) are not credited their output, which is production, not conversion::

        policy:
          energy_factors:
            coal: {value: 0.7143 tce/t, source: "GB/T 2589-2020 raw coal 20,908 kJ/kg"}
            electricity: {value: 0.1229 tce/MWh, source: "GB/T 2589-2020 equivalent value"}
          energy:
            park: {max: 30 Mtce/yr, source: "..."}

    An energy rule may cover only some ``processes`` or ``plants`` (the union; with
    ``parks`` the intersection). Its ``max`` in tce per period caps the group's sum; in tce
    per unit of activity (``max: 150 kgce/t``) it is a product's energy standard and caps
    each plant's consumption per unit it makes (one row per plant)::

        policy:
          energy:
            coke: {processes: [coking], max: 150 kgce/t, source: "GB 21342-2013 ..."}

``markets``
    Regional demand caps: the market sales of ``materials`` together are at most ``max``
    per period (e.g. all the wall blocks a prefecture's building sites take)::

        policy:
          markets:
            blocks: {materials: [aerated_block, slag_block], max: 600 kt/yr, source: "..."}

:func:`resolve_policy` checks the section against the case (io calls it), :func:`add_policy`
adds the rows to a :class:`~symbiosis.model.ParkModel` and :func:`policy_reasons` names
the rules an elastic diagnosis had to break.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_TCE = {"tce": 1.0, "kgce": 1e-3, "ktce": 1e3, "Mtce": 1e6}


@dataclass(frozen=True)
class GroupRule:
    name: str
    plants: tuple[str, ...]
    max: float                 # activity units per period
    basis: str                 # "capacity" or "output"
    unit: str                  # activity unit, for messages
    source: str = ""


@dataclass(frozen=True)
class EnergyRule:
    name: str
    plants: tuple[str, ...]
    max: float                 # tce per period (or per unit of activity when per_unit)
    source: str = ""
    per_unit: str = ""         # activity unit when the cap is tce per unit of each plant's product


@dataclass(frozen=True)
class MarketRule:
    name: str
    materials: tuple[str, ...]
    max: float                 # material units per period
    unit: str                  # the materials' unit, for messages
    source: str = ""


@dataclass(frozen=True)
class Policy:
    groups: tuple[GroupRule, ...] = ()
    energy: tuple[EnergyRule, ...] = ()
    factors: dict[str, float] = field(default_factory=dict)   # tce per unit of material
    primary: tuple[str, ...] = ("coal",)
    markets: tuple[MarketRule, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.groups or self.energy or self.markets)


def _tce(text, per: str | None, entry: str, problem) -> float | None:
    """'0.7143 tce/t' -> 0.7143 (tce per unit ``per``); '30 Mtce/yr' -> 3e7 (per == 'yr')."""
    from symbiosis.units import UnitProblem, to_float
    if isinstance(text, dict):
        text = text.get("value")
    elif hasattr(text, "value"):
        text = text.value
    m = re.fullmatch(r"\s*([-+0-9.eE]+)\s*(kgce|ktce|Mtce|tce)\s*/\s*(\S+)\s*", str(text))
    if not m:
        problem(entry, f"{text!r} is not an energy figure; write a number and tce per unit, e.g. "
                       f"'0.7143 tce/{per or 't'}' or '30 Mtce/yr'")
        return None
    try:
        value = float(m.group(1)) * _TCE[m.group(2)]
    except ValueError:
        problem(entry, f"{m.group(1)!r} is not a number")
        return None
    if per is not None:
        try:  # tce per 'm.group(3)' -> tce per 'per'
            value /= to_float(f"1 {m.group(3)}", per)
        except UnitProblem as exc:
            problem(entry, f"the unit after tce/ must be one of {per!r}: {exc}")
            return None
    return value


def resolve_policy(spec, plants: dict, processes: dict, materials: dict, period: str, problem) -> Policy:
    """Check the ``policy`` section against the case and resolve it; problems go to
    ``problem(entry, message)`` (the loader lists them with the others)."""
    if spec is None:
        return Policy()
    groups, energy, factors = [], [], {}
    for name, g in spec.groups.items():
        e = f"policy.groups.{name}"
        members = []
        for pr in g.processes:
            if pr not in processes:
                problem(e, f"unknown process {pr!r} (no plant of the case runs it)")
        for p in g.plants:
            if p not in plants:
                problem(e, f"unknown plant {p!r}")
        members = sorted({p for p, pl in plants.items() if pl.process in set(g.processes)} | set(
            p for p in g.plants if p in plants))
        if not members:
            problem(e, "the group holds no plant: name processes: [...] or plants: [...] of the case")
            continue
        units = sorted({processes[plants[p].process].activity_unit for p in members if plants[p].process in processes})
        if len(units) > 1:
            problem(e, f"the group mixes activity units {units}; a cap adds activities of one unit")
            continue
        unit = units[0] if units else "t"
        if isinstance(g.max, str) and g.max.strip() == "existing":
            cap = sum(plants[p].activity_max for p in members if not plants[p].is_candidate)
        else:
            from symbiosis.units import UnitProblem, to_float
            try:
                cap = to_float(g.max, f"{unit}/{period}")
            except UnitProblem as exc:
                problem(e, f"max: {exc} (or write max: existing)")
                continue
        groups.append(GroupRule(name, tuple(members), cap, g.basis, unit, g.source or ""))
    for mn, fv in spec.energy_factors.items():
        e = f"policy.energy_factors.{mn}"
        if mn not in materials:
            problem(e, f"unknown material {mn!r}")
            continue
        v = _tce(fv, materials[mn].unit, e, problem)
        if v is not None:
            factors[mn] = v
    for name, r in spec.energy.items():
        e = f"policy.energy.{name}"
        if not factors:
            problem(e, "an energy cap needs policy.energy_factors (tce per unit of each energy material)")
            continue
        known_parks = {pl.park for pl in plants.values()}
        for pk in r.parks:
            if pk not in known_parks:
                problem(e, f"unknown park {pk!r}; the case's parks: {', '.join(sorted(k for k in known_parks if k))}")
        for pr in r.processes:
            if pr not in processes:
                problem(e, f"unknown process {pr!r} (no plant of the case runs it)")
        for p in r.plants:
            if p not in plants:
                problem(e, f"unknown plant {p!r}")
        chosen = bool(r.processes or r.plants)
        chosen_members: tuple[str, ...] = tuple(sorted(
            p for p, pl in plants.items()
            if (not r.parks or pl.park in set(r.parks))
            and (not chosen or pl.process in set(r.processes) or p in set(r.plants))))
        if chosen and not chosen_members:
            problem(e, "the rule holds no plant: its processes/plants are not in its parks")
            continue
        per_unit = ""
        quiet: list[str] = []
        cap = _tce(r.max, period, e, lambda _e, msg, quiet=quiet: quiet.append(msg))
        if cap is None:  # not tce per period: tce per unit of each plant's activity (a product standard)
            units = sorted({processes[plants[p].process].activity_unit for p in chosen_members
                            if plants[p].process in processes})
            if len(units) != 1:
                problem(e, f"max {r.max!r} is not tce per {period}, and a cap per unit of product needs plants "
                           f"of one activity unit (these have {units}): name processes: [...] or plants: [...]")
                continue
            per_unit = units[0]
            cap = _tce(r.max, per_unit, e, lambda _e, msg, unit=per_unit: problem(
                _e, f"{msg} (the cap is either tce per {period} or tce per {unit} of product)"))
        if cap is not None:
            energy.append(EnergyRule(name, chosen_members, cap, r.source or "", per_unit))
    markets = []
    for name, r in spec.markets.items():
        e = f"policy.markets.{name}"
        unknown = [mn for mn in r.materials if mn not in materials]
        for mn in unknown:
            problem(e, f"unknown material {mn!r}")
        if unknown:
            continue
        if not r.materials:
            problem(e, "name the materials whose sales the cap covers: materials: [...]")
            continue
        units = sorted({materials[mn].unit for mn in r.materials})
        if len(units) > 1:
            problem(e, f"the materials have different units {units}; a cap adds sales of one unit")
            continue
        from symbiosis.units import UnitProblem, to_float
        try:
            cap = to_float(r.max, f"{units[0]}/{period}")
        except UnitProblem as exc:
            problem(e, f"max: {exc}")
            continue
        markets.append(MarketRule(name, tuple(r.materials), cap, units[0], r.source or ""))
    return Policy(tuple(groups), tuple(energy), factors, tuple(spec.primary), tuple(markets))


# ---------------------------------------------------------------------- model rows
def _group_expr(pm, rule: GroupRule):
    m, case = pm.m, pm.case
    terms = 0
    for p in rule.plants:
        plant = case.plants[p]
        if rule.basis == "output":
            terms += m.a[p]
        elif plant.is_candidate:
            terms += sum(s.capacity * m.y[p, k] for k, s in enumerate(plant.sizes))
        else:
            terms += plant.activity_max * pm.built_expr(p)
    return terms


def energy_expr(pm, rule: EnergyRule, plants=None):
    """Comprehensive energy consumption (tce per period) of the rule's plants (or of ``plants``)."""
    m, case, pol = pm.m, pm.case, pm.case.policy
    disp = set(pm.disp)
    expr = 0
    for p in (rule.plants if plants is None else plants):
        proc = case.process_of(p)
        for mn, fac in pol.factors.items():
            for key in pm.uses_of.get((p, mn), ()):
                expr += fac * m.u[key]
            if mn in proc.outputs and proc.sector not in pol.primary:
                expr -= fac * proc.outputs[mn] * m.a[p]
                if (p, mn) in disp:
                    expr += fac * m.d[p, mn]   # flared or dumped: consumed, not delivered
    return expr


def add_policy(pm) -> None:
    """Add the case's policy rows (``m.policy``); in the elastic model each may be broken
    at a small penalty, so that a diagnosis names it (see :func:`policy_reasons`)."""
    import pyomo.environ as pyo
    pol = getattr(pm.case, "policy", None)
    if not pol:
        return
    m = pm.m
    # one row per rule, a per-unit energy rule one per plant: (kind, rule, plant, lhs, rhs)
    rows = []
    for r in pol.groups:
        rows.append(("group", r, "", _group_expr(pm, r), r.max))
    for r in pol.energy:
        if r.per_unit:
            for p in r.plants:
                rows.append(("energy", r, p, energy_expr(pm, r, (p,)) - r.max * m.a[p], 0.0))
        else:
            rows.append(("energy", r, "", energy_expr(pm, r), r.max))
    for r in pol.markets:
        keys = [k for k in pm.sell if k[1] in set(r.materials)]
        rows.append(("market", r, "", sum(m.q[k] for k in keys), r.max))
    pm.policy_rows = {}
    m.policy = pyo.ConstraintList()
    if pm.elastic:
        m.policy_over = pyo.Var(range(len(rows)), within=pyo.NonNegativeReals)
    for i, (kind, r, plant, lhs, rhs) in enumerate(rows):
        if isinstance(lhs, (int, float)):
            if lhs > rhs + 1e-9 and not pm.elastic:
                pm.impossible.append(_broken(kind, r, lhs - rhs, plant))
            continue
        if pm.elastic:
            lhs = lhs - m.policy_over[i]
        pm.policy_rows[(kind, r.name) + ((plant,) if plant else ())] = m.policy.add(lhs <= rhs)
    if pm.elastic:  # prefer naming a policy rule over short inputs or missed outputs
        m.e_slack.set_value(m.e_slack.expr + 1e-3 * sum(m.policy_over[i] for i in range(len(rows))))
        pm._policy_rules = [(kind, r, plant) for kind, r, plant, _, _ in rows]


def _broken(kind: str, r, over: float, plant: str = "") -> str:
    if kind == "group":
        what = "capacity" if r.basis == "capacity" else "output"
        return (f"the policy rule groups.{r.name} (at most {r.max:,.0f} {r.unit}/yr of {what} in "
                f"{', '.join(r.plants)}; {r.source or 'no source given'}) would be exceeded by "
                f"{over:,.0f} {r.unit}/yr: build or keep less in the group, or change the rule")
    if kind == "market":
        return (f"the policy rule markets.{r.name} (at most {r.max:,.0f} {r.unit}/yr sold of "
                f"{', '.join(r.materials)}; {r.source or 'no source given'}) would be exceeded by "
                f"{over:,.0f} {r.unit}/yr: the region does not take that much; make less or find an outlet")
    if plant:
        return (f"the policy rule energy.{r.name} (at most {r.max * 1e3:,.1f} kgce per {r.per_unit} of product "
                f"at each plant; {r.source or 'no source given'}) would be exceeded at {plant} by {over:,.0f} "
                f"tce/yr: the plant uses more energy per unit than the standard allows (use its by-product "
                f"energy, e.g. the gas it would flare, or change the rule)")
    return (f"the policy rule energy.{r.name} (at most {r.max:,.0f} tce/yr; {r.source or 'no source given'}) "
            f"would be exceeded by {over:,.0f} tce/yr: the park's plants need more energy than the cap allows")


def policy_reasons(pm) -> list[str]:
    """The policy rules the elastic model had to break, in the park's words."""
    rules = getattr(pm, "_policy_rules", None)
    if not rules:
        return []
    out = []
    for i, (kind, r, plant) in enumerate(rules):
        v = pm.m.policy_over[i].value or 0.0
        if v > 1e-6 * max(1.0, abs(r.max)):
            out.append(_broken(kind, r, v, plant))
    return out
