"""Planning periods of a case (``periods:``): each period's case, validated like any case.

A period is the base case with the period's ``changes`` applied, written as a scenario
is (a nested mapping merged over the case) or as dotted entries (as ``Case.with_changes``
and ``symbiosis sweep --vary`` take them). Every period's case goes through the same
loader, so a bad price in the 15th plan is reported as ``periods[1] (15th FYP):
materials.coal.price: ...`` with the loader's own words. Nothing here imports Pyomo; the
phased model is :mod:`symbiosis.phased`.
"""
from __future__ import annotations

import copy
from pathlib import Path

from symbiosis.case import Case, Period
from symbiosis.errors import CaseError, Problem


def resolve_periods(data: dict, spec, file: str, base_dir: Path | None, base: Case, *, load,
                    apply_changes) -> list[Period]:
    """The periods of a case file's ``data`` (scenario already merged), each with its case.

    ``load(data, file=, base_dir=)`` reads a case from a dict and ``apply_changes(data,
    changes, file, base_dir)`` merges a period's changes: the loader passes its own, so
    this module does not import the loader back (no import cycle).

    Raises
    ------
    CaseError : naming ``periods[i]`` and the entry, for a bad order, length or change,
        and for changes the phased model cannot follow (a plant changing status, a
        candidate's sizes changing capacity).
    """
    case_from_dict = load
    problems: list[Problem] = []
    specs = list(spec.periods or [])
    if not specs:
        raise CaseError([Problem(file, "periods", "an empty list; give at least one period, e.g. "
                                 "[{name: 14th FYP, start: 2021, years: 5}], or leave 'periods' out")])
    plain = {k: v for k, v in data.items() if k != "periods"}
    names: dict[str, int] = {}
    out: list[Period] = []
    for i, ps in enumerate(specs):
        entry = f"periods[{i}]"
        name = (ps.name or str(ps.start)).strip()
        if not name:
            problems.append(Problem(file, f"{entry}.name", "an empty name; name the period, e.g. '14th FYP'"))
        if name in names:
            problems.append(Problem(file, f"{entry}.name", f"the name {name!r} is already used by "
                                    f"periods[{names[name]}]; give each period its own name"))
        names.setdefault(name, i)
        if ps.years <= 0:
            problems.append(Problem(file, f"{entry}.years", f"must be a positive number of years, got {ps.years}"))
        if not 1900 <= ps.start <= 2200:
            problems.append(Problem(file, f"{entry}.start", f"{ps.start} is not a calendar year such as 2021"))
        if out:
            prev = out[-1]
            if ps.start != prev.end:
                what = "overlaps" if ps.start < prev.end else "leaves a gap after"
                problems.append(Problem(file, f"{entry}.start", f"{ps.start} {what} periods[{i - 1}] "
                                        f"({prev.name}: {prev.start} + {prev.years} yr = {prev.end}); periods "
                                        f"follow one another, so start it in {prev.end}"))
        try:
            pdata = apply_changes(plain, dict(ps.changes or {}), file, base_dir)
            pcase = case_from_dict(pdata, file=file, base_dir=base_dir)
        except CaseError as exc:
            problems += [Problem(p.file, f"{entry} ({name}): {p.entry}" if p.entry else f"{entry} ({name})",
                                 p.message) for p in exc.problems]
            out.append(Period(name=name, start=ps.start, years=max(ps.years, 1), case=base,
                              changes=copy.deepcopy(ps.changes or {})))
            continue
        pcase.name = f"{base.name} [{name}]"
        pcase.scenarios = base.scenarios
        problems += _consistency(base, pcase, file, f"{entry} ({name})")
        out.append(Period(name=name, start=ps.start, years=max(ps.years, 1), case=pcase,
                          changes=copy.deepcopy(ps.changes or {})))
    if problems:
        raise CaseError(problems)
    return out


def _consistency(base: Case, pcase: Case, file: str, where: str) -> list[Problem]:
    """What the phased model needs to hold across periods: a plant keeps its status, a
    candidate keeps its sizes' capacities (its capex may change from period to period)."""
    out = []
    for name, p in pcase.plants.items():
        b = base.plants.get(name)
        if b is None:
            continue  # a plant that appears in this period only
        if b.status != p.status:
            out.append(Problem(file, f"{where}: plants.{name}.status", f"the plant is {b.status} in the case and "
                               f"{p.status} in this period; a plant keeps its status over the periods (a "
                               "candidate is built in one of them); close an existing plant with "
                               "output: 0, or add a new candidate plant"))
        elif p.is_candidate and [s.capacity for s in p.sizes] != [s.capacity for s in b.sizes]:
            out.append(Problem(file, f"{where}: plants.{name}.sizes", "a candidate's sizes keep their capacity "
                               "over the periods (a plant built in one period runs at that size after); change "
                               "its capex per period, or add another candidate"))
    return out
