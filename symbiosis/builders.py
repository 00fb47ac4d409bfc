r"""The builder functions of the park's MILP: one function per constraint family, each
adding its variables or constraints to ``pm.m`` (a Pyomo block) from the case and the
model's index lists. :class:`~symbiosis.model.ParkModel` calls them in order; the
scenario blocks of symbiosis.outages call them on a block of their own."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyomo.environ as pyo

#: the model these functions work on (symbiosis.model.ParkModel, which imports this module)
ParkModel = Any


def add_variables(pm: ParkModel):
    """Variables with their bounds: activity, build and open binaries, flows, slot use,
    purchases, sales, disposal (and, in the elastic model, the slacks)."""
    m, case = pm.m, pm.case
    pm._cand_set, pm._close_set = set(pm.candidates), set(pm.closable)

    def a_bounds(_, p):
        plant = case.plants[p]
        if plant.is_candidate:
            return (0.0, 0.0 if plant.forbid else plant.capacity)
        lo = 0.0 if (plant.can_close or pm.elastic) else plant.activity_min
        return (lo, plant.activity_max)

    m.PLANTS = pyo.Set(initialize=pm.plants, ordered=True)
    m.a = pyo.Var(m.PLANTS, within=pyo.NonNegativeReals, bounds=a_bounds)
    m.y = pyo.Var(pyo.Set(dimen=2, initialize=pm.sizes), within=pyo.Binary)
    m.w = pyo.Var(pyo.Set(initialize=pm.closable), within=pyo.Binary)
    for p, k in pm.sizes:
        if case.plants[p].forbid:
            m.y[p, k].fix(0)
    ub = exchange_bounds(pm)
    m.X = pyo.Set(initialize=pm.x_index)
    m.f = pyo.Var(m.X, within=pyo.NonNegativeReals, bounds=lambda _, i: (0.0, ub[i]))
    m.z = pyo.Var(m.X, within=pyo.Binary)
    pm.x_ub = ub
    pm.impossible = []
    for i, x in enumerate(pm.exchanges):
        if x.force and not x.forbid and ub[i] <= 0:
            pm.impossible.append(
                f"the exchange {x.source} -> {x.target} of {x.material!r} is forced but can carry nothing: "
                f"{x.source!r} makes at most "
                f"{case.process_of(x.source).outputs.get(x.material, 0) * case.plants[x.source].capacity:,.0f} "
                f"and {x.target!r} takes at most "
                f"{case.process_of(x.target).max_intake(x.material, case.plants[x.target].capacity):,.0f} "
                f"{case.materials[x.material].unit}/yr" + (f" (its max is {x.max:g})" if x.max is not None else ""))
        if x.forbid or ub[i] <= 0:
            m.z[i].fix(0)
        elif x.force:
            m.z[i].fix(1)
    m.u = pyo.Var(pyo.Set(dimen=3, initialize=pm.uses), within=pyo.NonNegativeReals)
    m.b = pyo.Var(pyo.Set(dimen=2, initialize=pm.buy), within=pyo.NonNegativeReals)
    m.q = pyo.Var(pyo.Set(dimen=2, initialize=pm.sell), within=pyo.NonNegativeReals)
    m.d = pyo.Var(pyo.Set(dimen=2, initialize=pm.disp), within=pyo.NonNegativeReals)
    if pm.elastic:
        m.excess = pyo.Var(pyo.Set(dimen=2, initialize=pm.outputs), within=pyo.NonNegativeReals)
        m.short = pyo.Var(pyo.Set(dimen=2, initialize=pm.inputs), within=pyo.NonNegativeReals)
        m.under = pyo.Var(m.PLANTS, within=pyo.NonNegativeReals)
        m.unmet = pyo.Var(pyo.Set(initialize=sorted(case.materials)), within=pyo.NonNegativeReals)


def exchange_bounds(pm: ParkModel) -> list[float]:
    """U[x]: the smallest of the exchange's cap, the most i can make of m and the most j
    can take of m; a tight bound keeps the big-M link f <= U z strong."""
    case = pm.case
    out = []
    for x in pm.exchanges:
        src, dst = case.plants[x.source], case.plants[x.target]
        can_make = case.processes[src.process].outputs.get(x.material, 0.0) * src.capacity
        can_take = case.processes[dst.process].max_intake(x.material, dst.capacity)
        u = min(can_make, can_take)
        if x.max is not None:
            u = min(u, x.max)
        out.append(max(0.0, u))
    return out


def add_capacity(pm: ParkModel):
    r"""Capacity of candidates and closable plants.

    .. math:: \text{minload}_p \sum_k K_{pk} y_{pk} \le a_p \le \sum_k K_{pk} y_{pk},\quad \sum_k y_{pk} \le 1

    Existing plants: :math:`A^{min}_p w_p \le a_p \le A^{max}_p w_p` if they may close,
    else the bounds of :math:`a_p` hold them at their stated output.
    """
    m, case = pm.m, pm.case
    multi = [p for p in pm.candidates if len(case.plants[p].sizes) > 1]
    m.one_size = pyo.Constraint(multi, rule=lambda _, p: sum(m.y[p, k] for k in range(len(case.plants[p].sizes))) <= 1)

    def cap(p):
        return sum(s.capacity * m.y[p, k] for k, s in enumerate(case.plants[p].sizes))

    m.cap_max = pyo.Constraint(pm.candidates, rule=lambda _, p: m.a[p] <= cap(p))
    with_min = [p for p in pm.candidates if case.plants[p].min_load > 0]
    m.cap_min = pyo.Constraint(with_min, rule=lambda _, p: m.a[p] >= case.plants[p].min_load * cap(p))
    forced = [p for p in pm.candidates if case.plants[p].force]
    m.force_build = pyo.Constraint(forced, rule=lambda _, p: pm.built_expr(p) == 1)
    m.open_max = pyo.Constraint(pm.closable, rule=lambda _, p: m.a[p] <= case.plants[p].activity_max * m.w[p])
    m.open_min = pyo.Constraint(pm.closable, rule=lambda _, p: m.a[p] >= case.plants[p].activity_min * m.w[p])
    if pm.elastic:
        fixed = [p for p in pm.plants if not case.plants[p].is_candidate and not case.plants[p].can_close]
        m.run_min = pyo.Constraint(fixed, rule=lambda _, p: m.a[p] + m.under[p] >= case.plants[p].activity_min)


def add_output_balances(pm: ParkModel):
    r"""Every output goes somewhere: :math:`o_{pm} a_p = \sum_{x=(p,\cdot,m)} f_x + q_{pm} + d_{pm}`."""
    m, case = pm.m, pm.case
    sell, disp = set(pm.sell), set(pm.disp)

    def rule(_, p, mat):
        rhs = sum(m.f[i] for i in pm.out_x.get((p, mat), ()))
        if (p, mat) in sell:
            rhs += m.q[p, mat]
        if (p, mat) in disp:
            rhs += m.d[p, mat]
        if pm.elastic:
            rhs += m.excess[p, mat]
        coef = case.process_of(p).outputs[mat]
        if isinstance(rhs, int):  # nowhere to go: the output must be zero
            return coef * m.a[p] == 0
        return coef * m.a[p] == rhs

    m.output_balance = pyo.Constraint(pm.outputs, rule=rule)


def add_input_balances(pm: ParkModel):
    r"""Every input comes from somewhere: :math:`\sum_s u_{psm} = \sum_{x=(\cdot,p,m)} f_x + b_{pm}`."""
    m = pm.m
    buy = set(pm.buy)

    def rule(_, p, mat):
        rhs = sum(m.f[i] for i in pm.in_x.get((p, mat), ()))
        if (p, mat) in buy:
            rhs += m.b[p, mat]
        if pm.elastic:
            rhs += m.short[p, mat]
        lhs = sum(m.u[k] for k in pm.uses_of[(p, mat)])
        if isinstance(rhs, int):
            return lhs == 0
        return lhs == rhs

    m.input_balance = pyo.Constraint(pm.inputs, rule=rule)


def add_slots(pm: ParkModel):
    r"""Input slots and alternative inputs:
    :math:`\sum_m e_{sm} u_{psm} = r_{ps} a_p` and :math:`e_{sm} u_{psm} \le h_{sm} r_{ps} a_p`."""
    m, case = pm.m, pm.case
    slot = {(p, s.name): s for p in pm.plants for s in case.process_of(p).slots}
    m.slot = pyo.Constraint(pm.slot_keys, rule=lambda _, p, s: sum(
        e * m.u[p, s, mat] for mat, (e, _h, _c) in slot[(p, s)].options.items()) == slot[(p, s)].amount * m.a[p])
    capped = [(p, s, mat) for (p, s, mat) in pm.uses if slot[(p, s)].options[mat][1] < 1]
    m.share = pyo.Constraint(capped, rule=lambda _, p, s, mat: slot[(p, s)].options[mat][0] * m.u[p, s, mat]
                             <= slot[(p, s)].options[mat][1] * slot[(p, s)].amount * m.a[p])


def add_exchange_links(pm: ParkModel):
    r"""Flows only on open exchanges: :math:`f_x \le U_x z_x`, :math:`f_x \ge L_x z_x`.

    A flow needs both plants to run without a row of its own: a plant that is not built
    (or is closed) has no activity, so it makes nothing to send (output balance) and
    needs nothing to receive (slots and input balance). The rows
    :math:`z_x \le \text{built}_i`, :math:`z_x \le \text{built}_j` are therefore kept only
    where an exchange is forced open (there they force its plants to run); on every
    other exchange they tighten the relaxation little and cost HiGHS's heuristics up to a
    factor of 60 (benchmarks/row_families.py). A link left open without flow is closed
    when the solution is polished (:meth:`ParkModel._polish`)."""
    m = pm.m
    ub = pm.x_ub
    m.link = pyo.Constraint(pm.x_index, rule=lambda _, i: m.f[i] <= ub[i] * m.z[i])
    with_min = [i for i, x in enumerate(pm.exchanges) if x.min]
    m.link_min = pyo.Constraint(with_min, rule=lambda _, i: m.f[i] >= pm.exchanges[i].min * m.z[i])
    cond = pm._cand_set | pm._close_set
    forced = [i for i, x in enumerate(pm.exchanges) if x.force and not x.forbid]
    src = [i for i in forced if pm.exchanges[i].source in cond]
    dst = [i for i in forced if pm.exchanges[i].target in cond]
    m.link_source = pyo.Constraint(src, rule=lambda _, i: m.z[i] <= pm.built_expr(pm.exchanges[i].source))
    m.link_target = pyo.Constraint(dst, rule=lambda _, i: m.z[i] <= pm.built_expr(pm.exchanges[i].target))


def add_market_limits(pm: ParkModel):
    r"""Market caps and demands per material: :math:`\sum_p b_{pm} \le B_m`,
    :math:`\sum_p q_{pm} \le Q_m`, :math:`\sum_p q_{pm} \ge D_m`."""
    m, case = pm.m, pm.case
    by_mat_b, by_mat_q = defaultdict(list), defaultdict(list)
    for k in pm.buy:
        by_mat_b[k[1]].append(k)
    for k in pm.sell:
        by_mat_q[k[1]].append(k)
    mats = case.materials
    cap_b = [mn for mn in by_mat_b if mats[mn].max_purchase is not None]
    cap_q = [mn for mn in by_mat_q if mats[mn].max_sale is not None]
    dem = [mn for mn in mats if mats[mn].min_sale]
    m.max_purchase = pyo.Constraint(cap_b, rule=lambda _, mn: sum(m.b[k] for k in by_mat_b[mn]) <= mats[mn].max_purchase)
    m.max_sale = pyo.Constraint(cap_q, rule=lambda _, mn: sum(m.q[k] for k in by_mat_q[mn]) <= mats[mn].max_sale)

    def demand(_, mn):
        lhs = sum(m.q[k] for k in by_mat_q.get(mn, ()))
        if pm.elastic:
            lhs += m.unmet[mn]
        if isinstance(lhs, int):
            return pyo.Constraint.Infeasible
        return lhs >= mats[mn].min_sale

    m.demand = pyo.Constraint(dem, rule=demand)


def add_expressions(pm: ParkModel):
    r"""The KPI expressions every objective and limit is made of.

    reuse  :math:`R = \sum_{x: m \in \text{by-products}} w_m f_x`
    cost   :math:`C = \sum_{p,k} \text{CRF}_p K^\$_{pk} y_{pk} + \sum_p F_p \text{built}_p + \sum_p c_p a_p
           + \sum_x (F_x z_x + t_x \delta_x f_x) + \sum \pi_m b - \sum \sigma_m q + \sum \lambda_m d + \text{carbon price}\cdot E`
    co2    :math:`E = \sum_p \epsilon_p a_p + \sum_{p,s,m} \epsilon_{sm} u_{psm} + \sum \epsilon_m b`
    disposal :math:`\sum_{m \in \text{by-products}} w_m d_{pm}`
    """
    m, case = pm.m, pm.case
    mats = case.materials
    ex = pm.exchanges
    reuse = sum(mats[x.material].reuse_weight * m.f[i] for i, x in enumerate(ex)
                if mats[x.material].is_byproduct and mats[x.material].reuse_weight)
    # net reuse: what a plant the model may add, close or run harder generates does not
    # count, so the park cannot raise its reuse by making by-product to reuse it
    made = 0
    if case.settings.reuse_basis == "net":
        for p in pm.plants:
            plant = case.plants[p]
            w_out = sum(mats[mn].reuse_weight * coef for mn, coef in case.process_of(p).outputs.items()
                        if mats[mn].is_byproduct and mats[mn].reuse_weight)
            if not w_out:
                continue
            if plant.is_candidate:
                made += w_out * m.a[p]
            elif plant.can_close or plant.activity_max > plant.activity_min:
                made += w_out * (m.a[p] - plant.activity_min)
    capex = (sum(case.plants[p].sizes[k].capex * m.y[p, k] for p, k in pm.sizes)
             + sum(x.capex * m.z[i] for i, x in enumerate(ex) if x.capex))  # plants and links
    capex_annual = sum(case.crf(case.plants[p].life) * case.plants[p].sizes[k].capex * m.y[p, k] for p, k in pm.sizes)
    fixed = sum(case.plants[p].fixed_cost * pm.built_expr(p) for p in pm.plants if case.plants[p].fixed_cost)
    opex = sum(case.process_of(p).operating_cost * m.a[p] for p in pm.plants if case.process_of(p).operating_cost)
    transport = sum(x.unit_cost * m.f[i] for i, x in enumerate(ex) if x.unit_cost)
    link_fixed = sum(x.fixed_cost * m.z[i] for i, x in enumerate(ex) if x.fixed_cost)
    purchases = sum(mats[mn].price * m.b[p, mn] for p, mn in pm.buy)
    sales = sum(mats[mn].sale_price * m.q[p, mn] for p, mn in pm.sell)
    disposal_cost = sum(mats[mn].disposal_cost * m.d[p, mn] for p, mn in pm.disp)
    slot_co2 = {(p, s.name, mn): c for p in pm.plants for s in case.process_of(p).slots
                for mn, (_e, _h, c) in s.options.items() if c}
    co2 = (sum(case.process_of(p).co2 * m.a[p] for p in pm.plants if case.process_of(p).co2)
           + sum(c * m.u[k] for k, c in slot_co2.items())
           + sum(mats[mn].co2_per_unit * m.b[p, mn] for p, mn in pm.buy if mats[mn].co2_per_unit))
    disposal = sum(mats[mn].reuse_weight * m.d[p, mn] for p, mn in pm.disp
                   if mats[mn].is_byproduct and mats[mn].reuse_weight)
    m.e_reuse_gross = pyo.Expression(expr=reuse)
    m.e_reuse = pyo.Expression(expr=reuse - made)
    m.e_capex = pyo.Expression(expr=capex)
    m.e_co2 = pyo.Expression(expr=co2)
    m.e_disposal = pyo.Expression(expr=disposal)
    cost = (capex_annual + fixed + opex + transport + link_fixed + purchases - sales + disposal_cost
            + case.settings.carbon_price * m.e_co2)
    m.e_cost = pyo.Expression(expr=cost)
    pm.kpi = {"reuse": m.e_reuse, "reuse_gross": m.e_reuse_gross, "cost": m.e_cost, "profit": -m.e_cost, "co2": m.e_co2,
              "disposal": m.e_disposal, "capex": m.e_capex}
    if pm.elastic:
        total = (sum(m.excess[k] for k in pm.outputs) + sum(m.short[k] for k in pm.inputs)
                 + 100 * sum(m.under[p] for p in pm.plants) + sum(m.unmet[k] for k in m.unmet.index_set()))
        m.e_slack = pyo.Expression(expr=total)


def add_limits(pm: ParkModel):
    pm.set_limits({})
