"""Naming, in the park's words, why a park cannot run: an elastic copy of the model
(every balance, output and demand may be missed at a penalty) names the plants and
materials; the limits are checked one by one against the best the park can reach."""
from __future__ import annotations

import time
from typing import Any

import pyomo.environ as pyo

from symbiosis.errors import InfeasibleError, SolverError
from symbiosis.policy import policy_reasons
from symbiosis.solution import Options

#: the model these functions work on (symbiosis.model.ParkModel, which imports this module)
ParkModel = Any


def _diagnosis_options(pm: ParkModel, opts: Options | None) -> Options:
    """Solver options for naming the causes of infeasibility: the user's time limit and
    what is left of the deadline (at least 5 s, so a cause can be named at all)."""
    limit = opts.time_limit if opts is not None and opts.time_limit is not None else pm.case.settings.time_limit
    if opts is not None and opts.deadline is not None:
        limit = min(limit, max(opts.deadline - time.perf_counter(), 5.0))
    return Options(time_limit=limit, threads=opts.threads if opts is not None else None)


def _explain_limits(pm: ParkModel, limits: dict, diag: Options | None = None) -> list[str]:
    """The park runs without its limits: find which limits are out of reach alone (by the
    best value the park can reach for each) or only together."""
    m = pm.m
    for var in (*m.excess.values(), *m.short.values(), *m.under.values(), *m.unmet.values()):
        var.fix(0)
    from symbiosis.limits import lookup
    reasons = []
    for key, val in limits.items():
        if val is None:
            continue
        lim, material = lookup(key)
        pm.set_limits({})
        if m.find_component("objective") is not None:
            m.del_component("objective")
        if lim.rate:  # a reuse-rate floor: can any network meet it alone?
            pm.set_limits({key: val})
            try:
                pm.m.objective = pyo.Objective(expr=0)
                pm._objective_name = "limit"
                pm.run(diag or Options(), explain=False)
                continue
            except (InfeasibleError, SolverError):
                what = material if material is not None else "by-products overall"
                reasons.append(f"the limit {key} = {val:g} cannot be met: no network reuses {val:.0%} of "
                               f"{what}; lower the floor or add plants that can take it")
                continue
        expr = lim.quantity(pm, material)
        sense = pyo.minimize if lim.sense == "<=" else pyo.maximize
        m.objective = pyo.Objective(expr=expr, sense=sense)
        pm._objective_name = "limit"
        try:
            pm.run(diag or Options(), explain=False)
        except (InfeasibleError, SolverError):
            continue
        best = pyo.value(expr)
        out_of_reach = best < val - 1e-6 * max(1.0, abs(val)) if sense == pyo.maximize else \
            best > val + 1e-6 * max(1.0, abs(val))
        if out_of_reach:
            word = "at most" if sense == pyo.maximize else "at least"
            unit = lim.unit_text(pm.case, shown=True)
            reasons.append(f"the limit {key} = {val:,.0f} {unit} cannot be met: the park can reach "
                           f"{word} {best:,.0f} {unit}")
    if not reasons:
        reasons.append("the limits " + ", ".join(f"{k} = {v:g}" for k, v in limits.items() if v is not None)
                       + " can each be met alone but not together; relax one of them")
    return reasons


# ====================================================================== infeasibility
def explain_infeasible(source: ParkModel, opts: Options | None = None) -> list[str]:
    """Name, in the park's words, why it cannot run.

    First an elastic copy of the model (same structure fixed, no limits), in which every
    balance, stated output and demand may be missed at a penalty: each one missed is a
    reason (which plant lacks which material, which by-product has nowhere to go). If the
    park runs without its limits, the limits are the cause: each is checked against the
    best the park can reach for it, and the report names the ones out of reach, with
    that best value, or says that they only fail together.
    """
    case, exchanges, limits = source.case, source.exchanges, dict(source._active_limits or {})
    pm = source.elastic_copy()
    # the same structure: decisions the case fixes, and those held by their bounds
    # (status quo, decision support)
    fixed = {k: v.value for k, v in source.binaries().items() if v.fixed}
    held = {k: v.lb for k, v in source.binaries().items() if not v.fixed and v.lb == v.ub}
    for k, var in pm.binaries().items():
        if k in fixed:
            var.fix(fixed[k])
        elif k in held and not var.fixed:
            var.setlb(held[k])
            var.setub(held[k])
    if not source.m.force_build.active:
        pm.m.force_build.deactivate()
    pm.m.objective = pyo.Objective(expr=pm.m.e_slack, sense=pyo.minimize)
    pm._objective_name = "slack"
    diag = _diagnosis_options(source, opts)
    try:
        pm.run(diag, explain=False)
    except (InfeasibleError, SolverError):
        return ["the park cannot run as stated, and no single plant or material could be named"]
    if (pm.m.e_slack() or 0.0) <= 1e-6 and limits:
        return _explain_limits(pm, limits, diag)
    reasons: list[str] = []
    m = pm.m
    mats = case.materials

    def amount(v, unit):
        return f"{v:,.0f} {unit}/yr" if v >= 1 else f"{v:,.3g} {unit}/yr"

    for (p, mn), var in m.excess.items():
        v = var.value or 0.0
        if v > 1e-6:
            mat = mats[mn]
            ways = []
            if mat.sale_price is None:
                ways.append("it has no sale_price")
            if mat.disposal_cost is None:
                ways.append("no disposal_cost")
            takers = [x.target for x in exchanges if x.source == p and x.material == mn and not x.forbid]
            ways.append("no plant can take it" if not takers else
                        f"the plants that take it ({', '.join(sorted(set(takers)))}) cannot absorb it all")
            reasons.append(f"plant {p!r} makes {amount(v, mat.unit)} of {mn!r} that has nowhere to go: "
                           f"{'; '.join(ways)}. Give {mn!r} a disposal_cost or sale_price, add a plant that "
                           f"takes it, or lower {p!r}'s output.")
    for (p, mn), var in m.short.items():
        v = var.value or 0.0
        if v > 1e-6:
            mat = mats[mn]
            why = []
            if mat.price is None:
                why.append(f"{mn!r} cannot be bought (no price)")
            elif mat.max_purchase is not None:
                why.append(f"purchases of {mn!r} are capped at {amount(mat.max_purchase, mat.unit)}")
            suppliers = sorted({x.source for x in exchanges if x.target == p and x.material == mn and not x.forbid})
            why.append("no plant in reach supplies it" if not suppliers else
                       f"its suppliers ({', '.join(suppliers)}) cannot send enough")
            reasons.append(f"plant {p!r} lacks {amount(v, mat.unit)} of {mn!r}: {'; '.join(why)}. "
                           f"Give {mn!r} a price, add a supplier, or lower {p!r}'s output.")
    for p, var in m.under.items():
        v = var.value or 0.0
        if v > 1e-6:
            plant = case.plants[p]
            unit = case.processes[plant.process].activity_unit
            reasons.append(f"existing plant {p!r} cannot run at its stated output "
                           f"({amount(plant.activity_min, unit)}); it falls short by {amount(v, unit)}.")
    for mn, var in m.unmet.items():
        v = var.value or 0.0
        if v > 1e-6:
            mat = mats[mn]
            reasons.append(f"the park must sell {amount(mat.min_sale, mat.unit)} of {mn!r} but falls short by "
                           f"{amount(v, mat.unit)}.")
    reasons += policy_reasons(pm)
    if not reasons:
        reasons.append("a forced plant or exchange cannot be used as stated; check 'force' entries")
    return reasons
