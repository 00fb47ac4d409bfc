"""An independent checker of solutions: recompute every balance from the case data and
the result tables alone (not from the model's constraints) and report what fails.

Used by the test suite on every solution and by ``symbiosis solve --check``.
"""
from __future__ import annotations

import math
from collections import defaultdict

from symbiosis.case import Case, great_circle_km
from symbiosis.frames import rows
from symbiosis.result import Result


def check_result(case: Case, result: Result, rtol: float = 1e-5, atol: float = 1e-3) -> list[str]:
    """Return a list of violations (empty when the solution is sound).

    Checked: every plant's outputs = exchanges out + sales + disposal; every plant's
    inputs = exchanges in + purchases; every input slot is met (sum of equivalence x use =
    requirement x activity) within the options' shares; activity within capacity and
    stated output; flows only on chosen exchanges between running plants, within the
    exchange's cap and distance; purchases only of inputs, sales and disposal only of
    outputs, each allowed by the material's market; market caps and demands; candidate
    capacities as the case sizes them; and the KPIs (by-products generated and reused,
    reuse rate, annualised cost) recomputed from the case's prices and coefficients.
    """
    bad: list[str] = []

    def close(a, b):
        return abs(a - b) <= atol + rtol * max(abs(a), abs(b))

    plants = result.plants.set_index("plant")
    act = plants["activity"].to_dict()
    running = plants["built"].to_dict()
    out_flow: defaultdict[tuple, float] = defaultdict(float)
    in_flow: defaultdict[tuple, float] = defaultdict(float)
    for r in rows(result.exchanges):
        if r.flow < 0:
            bad.append(f"exchange {r.source}->{r.target}:{r.material} has negative flow {r.flow}")
        if r.flow > atol:
            out_flow[(r.source, r.material)] += r.flow
            in_flow[(r.target, r.material)] += r.flow
            if not (running.get(r.source) and running.get(r.target)):
                bad.append(f"exchange {r.source}->{r.target}:{r.material} carries {r.flow:g} but a plant is not running")
            if r.forbidden:
                bad.append(f"forbidden exchange {r.source}->{r.target}:{r.material} carries {r.flow:g}")
            if not r.chosen:
                bad.append(f"exchange {r.source}->{r.target}:{r.material} carries {r.flow:g} but is not chosen")
    rules = {e.key: e for e in case.exchanges}
    for r in rows(result.exchanges):
        rule = rules.get((r.source, r.target, r.material))
        if rule is not None and rule.max is not None and r.flow > rule.max + atol + rtol * rule.max:
            bad.append(f"exchange {r.source}->{r.target}:{r.material} carries {r.flow:g} above its max {rule.max:g}")
        if rule is not None and rule.min and r.chosen and r.flow < rule.min - atol - rtol * rule.min:
            bad.append(f"exchange {r.source}->{r.target}:{r.material} carries {r.flow:g} below its min {rule.min:g}")
        if rule is None and r.flow > atol:
            d = _distance(case, r.source, r.target)
            mat = case.materials[r.material]
            limit = mat.max_distance if mat.max_distance is not None else case.settings.max_distance
            if d is not None and limit is not None and d > limit * (1 + 1e-9):
                bad.append(f"exchange {r.source}->{r.target}:{r.material} spans {d:.1f} km, beyond {limit:g} km")
    buy: defaultdict[tuple, float] = defaultdict(float)
    sell: defaultdict[tuple, float] = defaultdict(float)
    disp: defaultdict[tuple, float] = defaultdict(float)
    for r in rows(result.market):
        buy[(r.plant, r.material)] += r.purchase
        sell[(r.plant, r.material)] += r.sale
        disp[(r.plant, r.material)] += r.disposal
        mat = case.materials[r.material]
        proc = case.process_of(r.plant)
        if r.purchase > atol and r.material not in proc.input_materials():
            bad.append(f"plant {r.plant} buys {r.material}, which its process does not take")
        if (r.sale > atol or r.disposal > atol) and r.material not in proc.outputs:
            bad.append(f"plant {r.plant} sells or disposes of {r.material}, which its process does not make")
        if r.purchase > atol and mat.price is None:
            bad.append(f"plant {r.plant} buys {r.material}, which has no price")
        if r.sale > atol and mat.sale_price is None:
            bad.append(f"plant {r.plant} sells {r.material}, which has no sale_price")
        if r.disposal > atol and not mat.disposable:
            bad.append(f"plant {r.plant} disposes of {r.material}, which has no disposal_cost or says excess: forbid")
    use: defaultdict[tuple, float] = defaultdict(float)
    slot_fill: defaultdict[tuple, dict] = defaultdict(dict)
    for r in rows(result.inputs):
        use[(r.plant, r.material)] += r.amount
        slot_fill[(r.plant, r.slot)][r.material] = r.amount
    for name, p in case.plants.items():
        proc = case.processes[p.process]
        a = act[name]
        if p.is_candidate:
            if not running[name] and a > atol:
                bad.append(f"plant {name} is not built but runs at {a:g}")
            k = plants.loc[name, "size"]
            cap = p.sizes[int(k)].capacity if running[name] and k == k and k is not None else 0.0
            if running[name] and abs(plants.loc[name, "capacity"] - cap) > atol + rtol * cap:
                bad.append(f"plant {name}: the table says capacity {plants.loc[name, 'capacity']:g}, "
                           f"its size {k} has {cap:g}")
            if a > cap + atol + rtol * cap:
                bad.append(f"plant {name} runs at {a:g}, above its capacity {cap:g}")
            if running[name] and p.min_load and a < p.min_load * cap - atol - rtol * cap:
                bad.append(f"plant {name} runs at {a:g}, below its min load {p.min_load:g} x {cap:g}")
        elif running[name]:
            if a > p.activity_max + atol + rtol * p.activity_max or a < p.activity_min - atol - rtol * p.activity_min:
                bad.append(f"existing plant {name} runs at {a:g}, outside [{p.activity_min:g}, {p.activity_max:g}]")
        elif a > atol:
            bad.append(f"closed plant {name} runs at {a:g}")
        for mn, coef in proc.outputs.items():
            made = coef * a
            went = out_flow[(name, mn)] + sell[(name, mn)] + disp[(name, mn)]
            if not close(made, went):
                bad.append(f"plant {name} makes {made:g} {mn} but {went:g} leaves it (exchanges, sales, disposal)")
        for mn in proc.input_materials():
            got = in_flow[(name, mn)] + buy[(name, mn)]
            if not close(use[(name, mn)], got):
                bad.append(f"plant {name} uses {use[(name, mn)]:g} {mn} but receives {got:g}")
        for s in proc.slots:
            fill = slot_fill.get((name, s.name), {})
            met = sum(s.options[mn][0] * v for mn, v in fill.items() if mn in s.options)
            need = s.amount * a
            if not close(met, need):
                bad.append(f"plant {name} slot {s.name}: needs {need:g}, met {met:g}")
            for mn, v in fill.items():
                if mn not in s.options:
                    bad.append(f"plant {name} slot {s.name} is filled with {mn}, not one of its options")
                    continue
                e, h, _ = s.options[mn]
                if e * v > h * need + atol + rtol * need:
                    bad.append(f"plant {name} slot {s.name}: {mn} fills {e * v:g} of {need:g}, above its share {h:g}")
    bought: defaultdict[str, float] = defaultdict(float)  # per material, summed once
    sold: defaultdict[str, float] = defaultdict(float)
    for (_, m2), v in buy.items():
        bought[m2] += v
    for (_, m2), v in sell.items():
        sold[m2] += v
    for mn, mat in case.materials.items():
        tb, ts = bought[mn], sold[mn]
        if mat.max_purchase is not None and tb > mat.max_purchase + atol + rtol * mat.max_purchase:
            bad.append(f"the park buys {tb:g} {mn}, above max_purchase {mat.max_purchase:g}")
        if mat.max_sale is not None and ts > mat.max_sale + atol + rtol * mat.max_sale:
            bad.append(f"the park sells {ts:g} {mn}, above max_sale {mat.max_sale:g}")
        if mat.min_sale and ts < mat.min_sale - atol - rtol * mat.min_sale:
            bad.append(f"the park sells {ts:g} {mn}, below its demand {mat.min_sale:g}")
    mats = case.materials
    reused = sum(r.flow * mats[r.material].tonnes for r in rows(result.exchanges)
                 if mats[r.material].is_byproduct and mats[r.material].is_mass)
    if not close(reused, result.kpi("byproducts_reused")):
        bad.append(f"KPI byproducts_reused {result.kpi('byproducts_reused'):g} != sum of flows {reused:g}")
    gen = sum(coef * act[n] * mats[mn].tonnes for n, p in case.plants.items()
              for mn, coef in case.processes[p.process].outputs.items()
              if mats[mn].is_byproduct and mats[mn].is_mass)
    if not close(gen, result.kpi("byproducts_generated")):
        bad.append(f"KPI byproducts_generated {result.kpi('byproducts_generated'):g} != recomputed {gen:g}")
    rate = reused / gen if gen > 1e-9 else 0.0
    if abs(rate - result.kpi("reuse_rate")) > 1e-6:
        bad.append(f"KPI reuse_rate {result.kpi('reuse_rate'):g} != recomputed {rate:g}")
    cost = _annualised_cost(case, result, act, running)
    if not close(cost, result.kpi("annualised_cost")) and abs(cost - result.kpi("annualised_cost")) > 1.0:
        bad.append(f"KPI annualised_cost {result.kpi('annualised_cost'):,.0f} != recomputed {cost:,.0f}")
    return bad


def assert_sound(case: Case, result: Result):
    """Raise AssertionError listing the violations, if any (for tests)."""
    bad = check_result(case, result)
    if bad:
        raise AssertionError("solution fails the independent check:\n  " + "\n  ".join(bad[:30]))


def _distance(case: Case, a: str, b: str) -> float | None:
    """km between two plants, from the case's distance table or coordinates (written here
    again, apart from the candidate generator, so that the check does not share its code)."""
    if (a, b) in case.distances:
        return case.distances[(a, b)]
    pa, pb = case.plants[a].location, case.plants[b].location
    if pa is None or pb is None:
        return None
    return great_circle_km(pa, pb) * case.settings.detour_factor


def _link_costs(case: Case, source: str, target: str, material: str, rule=None) -> tuple[float, float]:
    """(money per unit of flow, money per period once open) of one exchange, from the
    case's settings, the material and the exchange's own entry: the most specific figure
    wins (the entry's transport_cost, its mode, the material's transport_cost, the
    material's mode, settings.transport_cost per tonne-km)."""
    s, mat = case.settings, case.materials[material]
    dist = rule.distance if rule is not None and rule.distance is not None else _distance(case, source, target)
    dist = dist or 0.0

    def per_tkm(mode: str) -> float:
        if mode in s.transport_modes:
            return float(s.transport_modes[mode])
        return float(s.transport_cost)  # "truck" and the default

    per_unit = mat.transport_cost
    if rule is not None and rule.mode:
        per_unit = per_tkm(rule.mode) * (mat.tonnes if mat.is_mass else 1.0)  # type: ignore[operator]
    elif per_unit is None:
        if mat.mode:
            per_unit = per_tkm(mat.mode) * (mat.tonnes if mat.is_mass else 1.0)  # type: ignore[operator]
        else:
            per_unit = s.transport_cost * mat.tonnes if mat.is_mass else 0.0  # type: ignore[operator]
    fixed = s.exchange_fixed_cost
    if rule is not None:
        if rule.transport_cost is not None:
            per_unit = rule.transport_cost
        if rule.fixed_cost is not None:
            fixed = rule.fixed_cost
        if rule.capex:
            fixed += rule.capex * case.crf(s.life)
    return per_unit * dist, fixed


def independent_kpis(case: Case, result: Result) -> dict[str, float]:
    """The objectives recomputed from the case's prices and coefficients and the
    solution's activities, sizes, flows, purchases, sales and disposal, without the
    model's candidate or cost code: ``cost`` (annualised, carbon price included),
    ``co2``, ``reuse`` (net of what the park chose to generate, as settings.reuse_basis
    says), ``reuse_gross``, ``disposal``, ``capex``, and ``magnitude`` (the sum of the
    absolute cost terms, the scale against which cost is compared)."""
    mats = case.materials
    plants = result.plants.set_index("plant")
    act = plants["activity"].to_dict()
    running = plants["built"].to_dict()
    terms: list[float] = []
    co2 = capex = 0.0
    for name, p in case.plants.items():
        proc = case.processes[p.process]
        a = act.get(name, 0.0)
        terms.append(proc.operating_cost * a)
        co2 += proc.co2 * a
        if running.get(name):
            terms.append(p.fixed_cost)
            k = plants.loc[name, "size"]
            if p.is_candidate and k == k and k is not None:
                terms.append(case.crf(p.life) * p.sizes[int(k)].capex)
                capex += p.sizes[int(k)].capex
    ex = result.exchanges
    is_open = ex["open"] if "open" in ex else ex["chosen"]
    reuse_gross = 0.0
    rules = {e.key: e for e in case.exchanges}
    for r, opened in zip(rows(ex), is_open):
        if r.flow <= 0 and not opened:
            continue
        rule = rules.get((r.source, r.target, r.material))
        per_unit, fixed = _link_costs(case, r.source, r.target, r.material, rule)
        terms.append(per_unit * r.flow)
        if opened:
            terms.append(fixed)
            if rule is not None and rule.capex:
                capex += rule.capex
        mat = mats[r.material]
        if mat.is_byproduct and mat.reuse_weight:
            reuse_gross += mat.reuse_weight * r.flow
    disposal = 0.0
    for r in rows(result.market):
        mat = mats[r.material]
        terms += [r.purchase * (mat.price or 0.0), -r.sale * (mat.sale_price or 0.0),
                  r.disposal * (mat.disposal_cost or 0.0)]
        co2 += r.purchase * mat.co2_per_unit
        if mat.is_byproduct and mat.reuse_weight:
            disposal += mat.reuse_weight * r.disposal
    for r in rows(result.inputs):
        slot = next(s for s in case.process_of(r.plant).slots if s.name == r.slot)
        co2 += slot.options[r.material][2] * r.amount
    terms.append(case.settings.carbon_price * co2)
    made = 0.0
    if case.settings.reuse_basis == "net":
        for name, p in case.plants.items():
            w = sum(mats[mn].reuse_weight * c for mn, c in case.processes[p.process].outputs.items()
                    if mats[mn].is_byproduct and mats[mn].reuse_weight)
            if not w:
                continue
            a = act.get(name, 0.0)
            if p.is_candidate:
                made += w * a
            elif p.can_close or p.activity_max > p.activity_min:
                made += w * (a - p.activity_min)
    return {"cost": math.fsum(terms), "co2": co2, "reuse": reuse_gross - made, "reuse_gross": reuse_gross,
            "disposal": disposal, "capex": capex, "magnitude": math.fsum(abs(t) for t in terms)}


def _annualised_cost(case: Case, result: Result, act: dict, running: dict) -> float:
    return independent_kpis(case, result)["cost"]


#: sense of each objective the checker can recompute
_SENSE = {"reuse": "max", "reuse_gross": "max", "cost": "min", "profit": "max", "co2": "min", "disposal": "min",
          "capex": "min"}


def recompute_objective(case: Case, result: Result, objective: str, weights: dict | None = None,
                        kpis: dict | None = None) -> float:
    """The value of ``objective`` for this solution, from :func:`independent_kpis`."""
    k = kpis or independent_kpis(case, result)
    k = {**k, "profit": -k["cost"]}
    if objective == "weighted":
        return sum(w * k[name] for name, w in (weights or {}).items())
    if "-then-" in objective:
        objective = objective.split("-then-")[1]
    return k[objective]


def verify(case: Case, result: Result, *, weights: dict | None = None, mip_gap: float | None = None,
           mip_abs_gap: float | None = None) -> list[str]:
    """Check a solved result before it is called optimal: the solution is feasible for the
    case (:func:`check_result`), the objective recomputed from the case equals the
    solver's, each stage of a two-stage objective likewise, and the bound is on the right
    side of the objective and within the gap asked for when the status says optimal.
    Returns the problems found, in plain words (empty: verified)."""
    info = result.solver
    name = info.get("objective_name") or result.objective
    bad = check_result(case, result)
    kp = independent_kpis(case, result)
    obj, bound = info.get("objective"), info.get("bound")
    scale = max(1.0, kp["magnitude"]) if name not in ("reuse", "reuse_gross") else max(1.0, abs(kp["reuse_gross"]))

    def tol(v):
        return 1e-6 * max(scale, abs(v))

    stages = info.get("stages") or []
    checks = []
    if "-then-" in name and stages:
        first = name.split("-then-")[0]
        checks.append((first, stages[0].get("value"), stages[0].get("bound"), None))
        if len(stages) > 1 and stages[1].get("value") is not None:
            checks.append((name.split("-then-")[1], stages[1].get("value"), stages[1].get("bound"), stages[1]))
    elif obj is not None and name not in ("limit", "operations"):
        checks.append((name, obj, bound, info))  # type: ignore[arg-type]
    for part, value, bnd, st in checks:
        if value is None:
            continue
        if part in ("reuse", "reuse_gross"):
            t = 1e-6 * max(1.0, abs(kp["reuse_gross"]), abs(value))
        else:
            t = tol(value)
        if part == "weighted":
            again = recompute_objective(case, result, "weighted", weights, kp)
            sense = "min"
        else:
            again = recompute_objective(case, result, part, weights, kp)
            sense = _SENSE.get(part, "min")
        if st is None:  # the first stage of a two-stage objective: its value is kept as a floor
            share = case.settings.reuse_tolerance if part == "reuse" else 0.0
            short = (value - again) if sense == "max" else (again - value)
            if short > share * abs(value) + t:
                bad.append(f"the network gives {part} {again:.10g}, short of the first stage's {value:.10g} "
                           f"(allowed: {share:.2%})")
        elif abs(again - value) > t:
            bad.append(f"the {part} objective recomputed from the case is {again:.10g}, the solver reported "
                       f"{value:.10g}")
        if bnd is not None and math.isfinite(bnd):
            if (sense == "min" and bnd > value + t) or (sense == "max" and bnd < value - t):
                bad.append(f"the solver's bound {bnd:.10g} lies beyond its own {part} objective {value:.10g}")
            status = (st if st is not None else stages[0]).get("status", info.get("status", ""))
            if status == "optimal" and mip_gap is not None:
                allowed = mip_gap * max(abs(value), 1e-9) + (mip_abs_gap or 0.0) + t
                if abs(value - bnd) > allowed:
                    bad.append(f"the status says optimal but the {part} objective {value:.10g} and the bound "
                               f"{bnd:.10g} are {abs(value - bnd):.4g} apart, more than the gap asked for")
    return bad
