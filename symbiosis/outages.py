r"""What breaks when a plant stops: outages of the chosen network, critical plants, graph
indicators, Monte Carlo draws of simultaneous outages, and networks designed to survive them.

The analysis solves the park once (its case objective), fixes the network it chose (every
build and open binary at its value) and then, for each outage, changes bounds on that one
model and re-optimises operations; bounds are restored after each outage. Nothing is
rebuilt between outages.

Operating rules in an outage (stated, and the same for every outage and for the intact run)
-------------------------------------------------------------------------------------------
- An element out for a share ``s`` of the year: plant ``p``'s activity is capped at
  :math:`(1 - s)\,K_p` (its capacity, the chosen size for a built candidate); an exchange's
  flow at :math:`(1 - s)\,U_x` (the most it can carry). ``s = 1``: out for the year.
- Plants no longer have to run at their stated output: the lower activity bounds of all
  plants (existing plants' stated output, candidates' minimum load) become floors a plant
  may miss, :math:`a_p + \text{short}_p \ge L_p`. A plant that loses an input buys it at
  its price where it has one; it runs less only where it cannot (no price, a purchase
  cap, an output with no way out). Demands (``min_sale``) may be missed likewise, and
  contract minimums of links (``min``) are lifted.
- Operations are re-optimised lexicographically: (0) least lost production, the sum over
  plants of :math:`\text{short}_p / K_p` plus unmet demand shares; (1) most reuse, counted as
  the model counts it (by-product moved, less the by-product a candidate makes or an
  existing plant makes above its stated output); (2) least annualised cost. Lost sales of
  what a plant no longer makes are in the cost already (the sale price times the product
  not made); so are the purchases of replacement virgin inputs and the disposal of what
  loses its taker. ``objective="cost"`` skips stage (1).
- A by-product or other output that loses its taker goes to disposal at its
  ``disposal_cost``. An output with neither a ``disposal_cost`` nor a ``sale_price`` (none
  in the shipped cases) is disposed of at an emergency cost: by default the highest
  ``disposal_cost`` of any material in the same unit in the case, else the highest in the
  case; ``emergency_cost=`` sets it.
- The park's planning limits (capex, reuse floors) do not bind operations.

Reuse lost, cost increase and stranded by-product are measured against the intact
network solved under the same rules, so the figures compare like with like.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pyomo.environ as pyo

from symbiosis.case import Case
from symbiosis.errors import InfeasibleError, SolverError
from symbiosis.graph import build_graph
from symbiosis.model import (Options, ParkModel, add_capacity, add_exchange_links, add_expressions,
                             add_input_balances, add_market_limits, add_output_balances, add_slots, add_variables)
from symbiosis.result import Result, make_result, write_whole

EPS = 1e-6
STAGE_TOL = 1e-8   # relative slack of a stage's optimum when it becomes a constraint


# ====================================================================== operations on a model
def _emergency_costs(case: Case, given=None) -> dict[str, float]:
    """Cost per unit of disposing of a material that has no ``disposal_cost``."""
    mats = case.materials
    known = [m for m in mats.values() if m.disposal_cost is not None]
    top_any = max((m.disposal_cost for m in known), default=0.0)  # type: ignore[type-var]
    out = {}
    for name, m in mats.items():
        if isinstance(given, dict) and name in given:
            out[name] = float(given[name])
        elif given is not None and not isinstance(given, dict):
            out[name] = float(given)
        else:
            same = [k.disposal_cost for k in known if k.unit == m.unit]
            out[name] = max(same) if same else top_any  # type: ignore[assignment, type-var]
    return out


def add_operations(pv: ParkModel, *, emergency_cost=None):
    r"""Turn the model held by ``pv`` (a ParkModel, or a view of one on a scenario block)
    into an operations model with the outage rules of this module.

    Adds, on ``pv.m``: ``op_short[p]`` and ``op_floor[p]``: :math:`a_p + \text{short}_p \ge L_p`;
    ``op_unmet[m]`` and ``op_demand[m]``: :math:`\sum_p q_{pm} + \text{unmet}_m \ge D_m`;
    ``op_dump[p,m]`` (emergency disposal, added to the output balance of outputs with no
    way out); ``op_above[p]`` :math:`\ge w_p (a_p - A^{min}_p)` for existing plants with a
    range; expressions ``e_op_short`` (lost production, shares of capacity), ``e_op_reuse``
    and ``e_op_cost`` (the model's cost plus emergency disposal). The lower activity bounds
    become 0 and the minimum-load, minimum-link and demand rows are deactivated.
    """
    m, case = pv.m, pv.case
    mats = case.materials
    for p in pv.plants:
        m.a[p].setlb(0.0)
    for name in ("cap_min", "open_min", "link_min", "demand", "force_build"):
        comp = m.find_component(name)
        if comp is not None:
            comp.deactivate()

    def floor(p):
        plant = case.plants[p]
        if plant.is_candidate:
            if plant.min_load <= 0:
                return 0
            return plant.min_load * sum(s.capacity * m.y[p, k] for k, s in enumerate(plant.sizes))
        if p in pv._close_set:
            return plant.activity_min * m.w[p]
        return plant.activity_min

    floored = [p for p in pv.plants if not (isinstance(floor(p), (int, float)) and floor(p) <= 0)]
    m.op_short = pyo.Var(pyo.Set(initialize=floored), within=pyo.NonNegativeReals)
    m.op_floor = pyo.Constraint(floored, rule=lambda _, p: m.a[p] + m.op_short[p] >= floor(p))
    demand = [mn for mn in mats if mats[mn].min_sale]
    sellers = {mn: [k for k in pv.sell if k[1] == mn] for mn in demand}
    m.op_unmet = pyo.Var(pyo.Set(initialize=demand), within=pyo.NonNegativeReals)
    m.op_demand = pyo.Constraint(demand, rule=lambda _, mn: sum(m.q[k] for k in sellers[mn]) + m.op_unmet[mn]
                                 >= mats[mn].min_sale)
    sell, disp = set(pv.sell), set(pv.disp)
    nowhere = [(p, mn) for p, mn in pv.outputs if (p, mn) not in sell and (p, mn) not in disp]
    m.op_dump = pyo.Var(pyo.Set(dimen=2, initialize=nowhere), within=pyo.NonNegativeReals)
    for p, mn in nowhere:
        coef = case.process_of(p).outputs[mn]
        rhs = sum(m.f[i] for i in pv.out_x.get((p, mn), ())) + m.op_dump[p, mn]
        m.output_balance[p, mn].set_value(coef * m.a[p] == rhs)
    pen = _emergency_costs(case, emergency_cost)
    # by-product an existing plant makes above its stated output does not count as reuse
    w_out = {p: sum(mats[mn].reuse_weight * c for mn, c in case.process_of(p).outputs.items()
                    if mats[mn].is_byproduct and mats[mn].reuse_weight) for p in pv.plants}
    ranged = [p for p in pv.plants if not case.plants[p].is_candidate and w_out[p]
              and (case.plants[p].activity_max > case.plants[p].activity_min or p in pv._close_set)]
    m.op_above = pyo.Var(pyo.Set(initialize=ranged), within=pyo.NonNegativeReals)
    m.op_above_def = pyo.Constraint(ranged, rule=lambda _, p: m.op_above[p] >= w_out[p] * (
        m.a[p] - case.plants[p].activity_min))
    cand_made = sum(w_out[p] * m.a[p] for p in pv.candidates if w_out[p])
    m.e_op_reuse = pyo.Expression(expr=m.e_reuse_gross - cand_made - sum(m.op_above[p] for p in ranged))
    m.e_op_short = pyo.Expression(expr=sum(m.op_short[p] / max(pv.amax(p), EPS) for p in floored)
                                  + sum(m.op_unmet[mn] / mats[mn].min_sale for mn in demand))
    m.e_op_dump_cost = pyo.Expression(expr=sum(pen[mn] * m.op_dump[p, mn] for p, mn in nowhere))
    m.e_op_cost = pyo.Expression(expr=m.e_cost + m.e_op_dump_cost)
    pv.op_floored, pv.op_nowhere = floored, nowhere  # type: ignore[attr-defined]


@dataclass
class Run:
    """Operations of one state of the park (intact, or some elements out)."""

    label: str
    sol: object = None                # symbiosis.model.Solution (names only), emergency disposal included
    result: Result | None = None      # its tables, when asked for
    cost: float = math.nan            # annualised cost incl. emergency disposal
    reuse: float = math.nan           # by-products reused, t/yr (by-products counted in mass)
    reuse_rate: float = math.nan
    reuse_model: float = math.nan     # reuse as the objective counts it (t-eq/yr)
    generated: float = math.nan
    shortfall: dict = field(default_factory=dict)   # plant -> activity below its floor
    dumped: dict = field(default_factory=dict)      # (plant, material) -> emergency disposal
    status: str = "optimal"
    seconds: float = 0.0


class Operations:
    """One :class:`ParkModel` with its network fixed, re-solved for outages.

    The operations model is compiled once and handed to one HiGHS object
    (:meth:`ParkModel.to_highs`); an outage changes column bounds on it, the three stages
    change the objective's coefficients and add one row each, and everything is put back
    afterwards, so each outage is a warm-started re-solve of the same LP.

    Parameters
    ----------
    case : the park.
    structure : {binary key: 0/1} of the chosen network (``ParkModel.binaries()`` keys).
    model : a ParkModel of ``case`` to use (e.g. the one the nominal network was solved
        with); default: a new one.
    objective : ``"reuse-then-cost"`` (default) or ``"cost"`` (see the module's rules).
    """

    def __init__(self, case: Case, structure: dict, *, model: ParkModel | None = None,
                 objective: str = "reuse-then-cost", emergency_cost=None, time_limit: float | None = None):
        import highspy
        from pyomo.repn import generate_standard_repn

        if objective not in ("reuse-then-cost", "cost"):
            raise ValueError(f"outage operations are re-optimised for 'reuse-then-cost' or 'cost', not {objective!r}")
        t0 = time.perf_counter()
        self.case = case
        self.pm = pm = model if model is not None else ParkModel(case)
        self.objective = objective
        self.opts = Options(time_limit=time_limit)
        pm.release_status_quo()
        pm.set_reuse_floor(None)
        pm.set_limits({})
        for key, var in pm.binaries().items():
            if key in structure:
                var.fix(int(round(structure[key])))
            elif not var.fixed:
                var.fix(0)
        add_operations(pm, emergency_cost=emergency_cost)
        m = pm.m
        self.capacity = {}
        for p in pm.plants:
            plant = case.plants[p]
            if plant.is_candidate:
                k = [k for k in range(len(plant.sizes)) if round(structure.get(("plant", p, k), 0)) == 1]
                self.capacity[p] = plant.sizes[k[0]].capacity if k else 0.0
            else:
                self.capacity[p] = plant.activity_max
        # compile once, with every expression of the stages in the objective so that all
        # their variables are columns
        self.stage_exprs = {"short": m.e_op_short, "reuse": 1e-3 * m.e_op_reuse, "cost": 1e-6 * m.e_op_cost}
        if m.find_component("objective") is not None:
            m.del_component("objective")
        m.objective = pyo.Objective(expr=sum(self.stage_exprs.values()), sense=pyo.minimize)
        pm._objective_name = "operations"
        self.h, self.cols = pm.to_highs(self.opts)
        self.h.changeObjectiveSense(highspy.ObjSense.kMinimize)
        index = {id(v): k for k, v in enumerate(self.cols)}
        self.n = len(self.cols)
        self.vec = {}
        for name, expr in self.stage_exprs.items():
            repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
            c = np.zeros(self.n)
            for v, coef in zip(repn.linear_vars, repn.linear_coefs):
                c[index[id(v)]] += coef
            self.vec[name] = (c, float(repn.constant))
        self.col_of = {id(v): k for k, v in enumerate(self.cols)}
        lp = self.h.getLp()
        self.lower0 = np.array(lp.col_lower_, dtype=float)
        self.upper0 = np.array(lp.col_upper_, dtype=float)
        self.build_seconds = time.perf_counter() - t0

    # ------------------------------------------------------------------ one state
    def _col(self, var) -> int | None:
        return self.col_of.get(id(var))

    def _run_stage(self, name: str, sense: int = 1) -> float:
        """Solve with ``name``'s coefficients (sense 1: minimise, -1: maximise) and return
        the stage's value, or raise SolverError."""
        import highspy
        c, const = self.vec[name]
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), sense * c)
        self.h.run()
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"operations {name} stage: {self.h.modelStatusToString(status)}")
        x = np.asarray(self.h.getSolution().col_value)
        return float(c @ x) + const

    def _add_row(self, name: str, lower: float, upper: float):
        import highspy
        c, const = self.vec[name]
        nz = np.flatnonzero(c)
        inf = highspy.kHighsInf
        self.h.addRow(lower - const if lower > -math.inf else -inf, upper - const if upper < math.inf else inf,
                      len(nz), nz.astype(np.int32), c[nz])

    def solve(self, plants: dict[str, float] | None = None, exchanges: dict[tuple, float] | None = None,
              label: str = "intact", *, tables: bool = False) -> Run:
        """Re-optimise operations with ``plants`` {plant: share out} and ``exchanges``
        {(source, target, material): share out} out; bounds are restored afterwards.
        ``tables=True`` also builds the Result tables of the state."""
        pm, m, h = self.pm, self.pm.m, self.h
        t0 = time.perf_counter()
        changed = []
        for p, s in (plants or {}).items():
            k = self._col(m.a[p])
            if k is not None:
                changed.append(k)
                h.changeColBounds(k, self.lower0[k], min(self.upper0[k], max(0.0, 1 - s) * self.capacity[p]))
        for key, s in (exchanges or {}).items():
            i = pm.x_by_key[tuple(key)]
            k = self._col(m.f[i])
            if k is not None:
                changed.append(k)
                h.changeColBounds(k, self.lower0[k], min(self.upper0[k], max(0.0, 1 - s) * pm.x_ub[i]))
        rows0 = h.getNumRow()
        try:
            short = self._run_stage("short")
            self._add_row("short", -math.inf, short + STAGE_TOL * max(1.0, abs(short)) + 1e-9)
            if self.objective == "reuse-then-cost":
                best = self._run_stage("reuse", -1)
                self._add_row("reuse", best - STAGE_TOL * max(1.0, abs(best)), math.inf)
            self._run_stage("cost")
            for v, x in zip(self.cols, h.getSolution().col_value):
                v.set_value(x, skip_validation=True)
            run = self._collect(label, tables)
        except SolverError as exc:
            run = Run(label, status=f"failed: {exc}")
        finally:
            extra = h.getNumRow() - rows0
            if extra:
                h.deleteRows(extra, np.arange(rows0, rows0 + extra, dtype=np.int32))
            for k in changed:
                h.changeColBounds(k, self.lower0[k], self.upper0[k])
        run.seconds = time.perf_counter() - t0
        return run

    def _value(self, name: str) -> float:
        c, const = self.vec[name]
        return float(c @ np.asarray(self.h.getSolution().col_value)) + const

    def _collect(self, label: str, tables: bool) -> Run:
        pm, m, case = self.pm, self.pm.m, self.case
        mats = case.materials
        short = {p: float(m.op_short[p].value or 0.0) for p in pm.op_floored}  # type: ignore[attr-defined]
        dumped = {k: float(m.op_dump[k].value or 0.0) for k in pm.op_nowhere}  # type: ignore[attr-defined]
        run = Run(label, cost=float(pyo.value(m.e_op_cost)), reuse_model=float(pyo.value(m.e_op_reuse)),
                  shortfall={p: v for p, v in short.items() if v > EPS},
                  dumped={k: v for k, v in dumped.items() if v > EPS})
        sol = pm.extract(_info())
        for k, v in run.dumped.items():
            sol.disposal[k] = sol.disposal.get(k, 0.0) + v
        run.sol = sol
        gen = reused = 0.0
        for (p, mn) in pm.outputs:
            mat = mats[mn]
            if mat.is_byproduct and mat.is_mass:
                a = sol.activity.get(p, 0.0)
                gen += mat.tonnes * case.process_of(p).outputs[mn] * (a if abs(a) >= EPS else 0.0)  # type: ignore[operator]
        for x in pm.exchanges:
            mat = mats[x.material]
            if mat.is_byproduct and mat.is_mass:
                fl = sol.flow.get(x.key, 0.0)
                reused += mat.tonnes * (fl if fl >= EPS else 0.0)  # type: ignore[operator]
        run.reuse, run.generated = reused, gen
        run.reuse_rate = reused / gen if gen > EPS else 0.0
        if tables:
            run.result = make_result(case, pm.exchanges, sol, {})
        return run


def _info():
    from symbiosis.model import SolveInfo
    return SolveInfo(status="optimal", objective_name="operations")


# ====================================================================== the network as a graph
def network_graph(case: Case, result: Result) -> nx.DiGraph:
    """The chosen network: running plants as nodes, exchanges that carry flow as edges
    (one edge per pair of plants, with the list of materials and their flows), from
    :func:`symbiosis.graph.build_graph` less the market nodes."""
    from symbiosis.graph import Exchange
    ch = result.chosen_exchanges
    xs = [Exchange(r.source, r.target, r.material, r.distance, 0.0, 0.0) for r in ch.itertuples()]
    mg = build_graph(case, xs)
    g = nx.DiGraph(name=case.name)
    running = set(result.plants.loc[result.plants["built"] & (result.plants["activity"] > EPS), "plant"])
    running |= set(ch["source"]) | set(ch["target"])
    for p in running:
        g.add_node(p, **mg.nodes[p])
    flows = {(r.source, r.target, r.material): r.flow for r in ch.itertuples()}
    for u, v, key, d in mg.edges(keys=True, data=True):
        if d.get("kind") != "exchange":
            continue
        if not g.has_edge(u, v):
            g.add_edge(u, v, materials={})
        g[u][v]["materials"][key] = flows[(u, v, key)]
    return g


def graph_indicators(case: Case, result: Result) -> pd.DataFrame:
    """Indicators of the chosen network beside the optimisation, one tidy table.

    Rows by ``indicator``:
    ``dependence``: per plant and input material received by exchange, the share of its
    intake (exchanges + purchases) from its largest single supplier (``other``);
    ``dependence_max``: per plant, the largest of those shares;
    ``articulation_point``: plants whose removal splits the exchange network (undirected);
    ``bridge``: exchange links (pairs of plants) whose removal splits it;
    ``component``: connected components, their size and plants.
    """
    g = network_graph(case, result)
    rows = []
    ch = result.chosen_exchanges
    bought = {(r.plant, r.material): r.purchase for r in result.market.itertuples()}
    best: dict[str, float] = {}
    for (p, mn), grp in ch.groupby(["target", "material"]):
        by_src = grp.groupby("source")["flow"].sum()
        intake = float(by_src.sum()) + bought.get((p, mn), 0.0)
        if intake <= EPS:
            continue
        top = by_src.idxmax()
        share = float(by_src.max()) / intake
        best[p] = max(best.get(p, 0.0), share)
        rows.append({"indicator": "dependence", "plant": p, "other": top, "material": mn, "value": share,
                     "detail": f"{by_src.max():,.0f} of {intake:,.0f} {case.materials[mn].unit}/yr"})
    for p in sorted(best):
        rows.append({"indicator": "dependence_max", "plant": p, "other": "", "material": "", "value": best[p],
                     "detail": "largest share of one input from one supplier"})
    u = nx.Graph(g.to_undirected())
    for p in sorted(nx.articulation_points(u)):
        parts = nx.number_connected_components(u.subgraph(set(u) - {p}))
        rows.append({"indicator": "articulation_point", "plant": p, "other": "", "material": "", "value": float(parts),
                     "detail": f"removing it leaves {parts} components"})
    for a, b in sorted(tuple(sorted(e)) for e in nx.bridges(u)):
        mats = sorted(set(g.get_edge_data(a, b, {}).get("materials", {})) | set(g.get_edge_data(b, a, {}).get("materials", {})))
        rows.append({"indicator": "bridge", "plant": a, "other": b, "material": ", ".join(mats), "value": 1.0,
                     "detail": "the only link between two parts of the network"})
    comps = sorted((sorted(c) for c in nx.connected_components(u)), key=lambda c: (-len(c), c))
    for k, c in enumerate(comps):
        rows.append({"indicator": "component", "plant": c[0], "other": str(k), "material": "", "value": float(len(c)),
                     "detail": ", ".join(c)})
    return pd.DataFrame(rows, columns=["indicator", "plant", "other", "material", "value", "detail"])


def reach(g: nx.DiGraph, plant: str | None = None, exchange: tuple | None = None) -> dict[str, int]:
    """Plants downstream of a plant (or an exchange) in the chosen network, with their
    graph distance (number of exchange links) from it."""
    if plant is not None:
        if plant not in g:
            return {}
        d = nx.single_source_shortest_path_length(g, plant)
        return {p: k for p, k in d.items() if p != plant}
    src, dst, _ = exchange  # type: ignore[misc]
    if dst not in g:
        return {}
    return {p: k + 1 for p, k in nx.single_source_shortest_path_length(g, dst).items() if p != src or k > 0}


# ====================================================================== the analysis
@dataclass
class OutageReport:
    """Outages of one chosen network.

    Attributes
    ----------
    nominal : the Result of the chosen network (the case's objective).
    intact : operations of the intact network under the outage rules.
    table : one row per outage (plant or exchange): reuse, reuse lost, cost increase,
        stranded by-product, plants starved, lost production, graph reach.
    effects : the same in long form: one row per outage and effect (stranded material,
        lost input, lost production).
    criticality : plants ranked by reuse lost, then cost increase.
    indicators : :func:`graph_indicators` of the chosen network.
    """

    case_name: str
    share: float
    nominal: Result
    intact: Run
    table: pd.DataFrame
    effects: pd.DataFrame
    criticality: pd.DataFrame
    indicators: pd.DataFrame
    timings: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    montecarlo: pd.DataFrame | None = None
    montecarlo_summary: pd.DataFrame | None = None
    resilient: "ResilientDesign | None" = None
    structure: dict = field(default_factory=dict)   # {binary key: 0/1} of the network analysed

    def criticality_map(self) -> dict[str, float]:
        """{plant: share of the intact network's (net) reuse lost when it stops}: what the
        network view colours critical plants by (0: nothing lost, 1: all reuse lost)."""
        return dict(zip(self.criticality["plant"], self.criticality["reuse_net_lost_share"]))

    #: colours of the network view by share of reuse lost (worst first) and their legend
    CRITICAL_COLOURS = ((0.5, "#b71c1c", "half or more of reuse lost"), (0.2, "#ef6c00", "20-50 % of reuse lost"),
                        (0.05, "#fbc02d", "5-20 % of reuse lost"), (-math.inf, "#b0bec5", "under 5 % of reuse lost"))

    def node_colors(self) -> tuple[dict[str, str], dict[str, str]]:
        """({plant: colour}, {legend text: colour}) for the network view
        (``network_html(result, path, node_colors=..., node_legend=...)``): each running
        plant by the share of the intact network's net reuse its outage loses, in four bands."""
        colors = {}
        for p, v in self.criticality_map().items():
            for lo, c, _ in self.CRITICAL_COLOURS:
                if v >= lo:
                    colors[p] = c
                    break
        used = set(colors.values())
        return colors, {t: c for _, c, t in self.CRITICAL_COLOURS if c in used}

    def write(self, out_dir, *, html: bool = False) -> list[Path]:
        """Write outages.csv, outage_effects.csv, criticality.csv, graph_indicators.csv
        (and montecarlo.csv, montecarlo_summary.csv, resilient.csv when present); with
        ``html``, network.html with critical plants coloured and report.html with the
        outage section, of the nominal network. Whole or not at all."""
        def fill(tmp: Path):
            if html:
                from symbiosis.views.network import network_html
                from symbiosis.views.report import report_html
                colors, legend = self.node_colors()
                net = network_html(self.nominal, tmp / "network.html", node_colors=colors, node_legend=legend,
                                   node_legend_title=f"Critical plants (out for {self.share:.0%} of the year)")
                report_html(self.nominal, tmp / "report.html", network_page=net.read_text(encoding="utf-8"),
                            outages=self)
            self.table.to_csv(tmp / "outages.csv", index=False)
            self.effects.to_csv(tmp / "outage_effects.csv", index=False)
            self.criticality.to_csv(tmp / "criticality.csv", index=False)
            self.indicators.to_csv(tmp / "graph_indicators.csv", index=False)
            if self.montecarlo is not None:
                self.montecarlo.to_csv(tmp / "montecarlo.csv", index=False)
                self.montecarlo_summary.to_csv(tmp / "montecarlo_summary.csv")  # type: ignore[union-attr]
            if self.resilient is not None:
                self.resilient.table.to_csv(tmp / "resilient.csv", index=False)
        return write_whole(out_dir, fill)


def _structure(pm: ParkModel) -> dict:
    return {k: int(round(v.value or 0.0)) for k, v in pm.binaries().items()}


def _sum_by(d: dict, key) -> dict:
    out: dict = {}
    for k, v in d.items():
        if v > EPS:
            out[key(k)] = out.get(key(k), 0.0) + v
    return out


def _fmt_amount(v: float, unit: str) -> str:
    return f"{v:,.0f} {unit}/yr" if abs(v) >= 1 else f"{v:.3g} {unit}/yr"


def compare_runs(case: Case, base: Run, run: Run, g: nx.DiGraph, *, kind: str, element, share: float) -> tuple[dict, list]:
    """One row of the outage table and its long-form effects: ``run`` against ``base``.

    A plant *loses an input* when an exchange into it carries less because its supplier
    makes less of the material (or the exchange itself is out); when the supplier makes as
    much and the taker takes less (it runs less for another reason), the effect is a
    *reduced take*. By-product *stranded* is the increase of its disposal."""
    mats = case.materials
    name = element if kind == "plant" else f"{element[0]} -> {element[1]}: {element[2]}"
    row = {"kind": kind, "element": name, "share": share, "status": run.status}
    if run.sol is None:
        return row, []
    s0, s1 = base.sol, run.sol
    d0, d1 = _sum_by(s0.disposal, lambda k: k[1]), _sum_by(s1.disposal, lambda k: k[1])  # type: ignore[attr-defined]
    stranded = {mn: d1.get(mn, 0.0) - d0.get(mn, 0.0) for mn in set(d0) | set(d1)}
    stranded = {mn: v for mn, v in stranded.items() if v > 1e-3 and mats[mn].is_byproduct}
    act0, act1 = s0.activity, s1.activity  # type: ignore[attr-defined]
    made0 = {(p, mn): c * act0.get(p, 0.0) for p in case.plants for mn, c in case.process_of(p).outputs.items()}
    made1 = {(p, mn): c * act1.get(p, 0.0) for p in case.plants for mn, c in case.process_of(p).outputs.items()}
    lost_in: dict = {}
    reduced: dict = {}
    for key, f0 in s0.flow.items():  # type: ignore[attr-defined]
        src, dst, mn = key
        if f0 <= EPS or (kind == "plant" and dst == element):
            continue
        drop = f0 - s1.flow.get(key, 0.0)  # type: ignore[attr-defined]
        if drop <= 1e-6 * max(1.0, f0):
            continue
        supply_fell = (kind == "exchange" and key == tuple(element)) or \
            made1.get((src, mn), 0.0) < made0.get((src, mn), 0.0) - 1e-6 * max(1.0, made0.get((src, mn), 0.0))
        target = lost_in if supply_fell else reduced
        target[(dst, mn)] = target.get((dst, mn), 0.0) + drop
    b0, b1 = s0.purchase, s1.purchase  # type: ignore[attr-defined]
    lost_prod = {p: act0.get(p, 0.0) - act1.get(p, 0.0) for p in case.plants
                 if act0.get(p, 0.0) - act1.get(p, 0.0) > 1e-6 * max(1.0, act0.get(p, 0.0))
                 and not (kind == "plant" and p == element)}
    effects = []
    for mn, v in sorted(stranded.items()):
        effects.append({"effect": "stranded", "plant": "", "material": mn, "amount": v,
                        "unit": f"{mats[mn].unit}/yr", "replaced_by_purchase": math.nan})
    for label, d in (("lost input", lost_in), ("reduced take", reduced)):
        for (p, mn), v in sorted(d.items()):
            extra = b1.get((p, mn), 0.0) - b0.get((p, mn), 0.0)
            effects.append({"effect": label, "plant": p, "material": mn, "amount": v, "unit": f"{mats[mn].unit}/yr",
                            "replaced_by_purchase": max(0.0, extra) if label == "lost input" else math.nan})
    for p, v in sorted(lost_prod.items()):
        effects.append({"effect": "lost production", "plant": p, "material": case.process_of(p).product or "",
                        "amount": v, "unit": f"{case.process_of(p).activity_unit}/yr", "replaced_by_purchase": math.nan})
    rch = reach(g, plant=element) if kind == "plant" else reach(g, exchange=element)
    affected = sorted({p for (p, _m) in lost_in} | set(lost_prod))
    net_lost = base.reuse_model - run.reuse_model
    row.update({
        "reuse": run.reuse, "reuse_rate": run.reuse_rate,
        "reuse_lost": base.reuse - run.reuse,
        "reuse_lost_share": (base.reuse - run.reuse) / base.reuse if base.reuse > EPS else 0.0,
        "reuse_net": run.reuse_model, "reuse_net_lost": net_lost,
        "reuse_net_lost_share": net_lost / base.reuse_model if base.reuse_model > EPS else 0.0,
        "cost": run.cost, "cost_increase": run.cost - base.cost,
        "stranded_t": sum(v * mats[mn].tonnes for mn, v in stranded.items() if mats[mn].is_mass),
        "stranded": "; ".join(f"{mn} {_fmt_amount(v, mats[mn].unit)}" for mn, v in sorted(stranded.items())),
        "plants_losing_input": "; ".join(
            f"{p} {mn} {_fmt_amount(v, mats[mn].unit)}" for (p, mn), v in sorted(lost_in.items())),
        "lost_production": "; ".join(
            f"{p} {_fmt_amount(v, case.process_of(p).activity_unit)}" for p, v in sorted(lost_prod.items())),
        "plants_affected": len(affected),
        "reach_depth": max(rch.values(), default=0), "reach_plants": len(rch),
        "reached": ", ".join(f"{p} ({k})" for p, k in sorted(rch.items(), key=lambda t: (t[1], t[0]))),
        "emergency_disposal": "; ".join(f"{p} {mn} {_fmt_amount(v, mats[mn].unit)}"
                                        for (p, mn), v in sorted(run.dumped.items())),
        "solve_s": run.seconds,
    })
    for e in effects:
        e.update({"kind": kind, "element": name})
    return row, effects


TABLE_COLUMNS = ["kind", "element", "share", "status", "reuse_net", "reuse_net_lost", "reuse_net_lost_share", "reuse",
                 "reuse_rate", "reuse_lost", "reuse_lost_share", "cost", "cost_increase", "stranded_t", "stranded",
                 "plants_losing_input", "lost_production", "plants_affected", "reach_depth", "reach_plants", "reached",
                 "emergency_disposal", "solve_s"]
EFFECT_COLUMNS = ["kind", "element", "effect", "plant", "material", "amount", "unit", "replaced_by_purchase"]


def outages(case: Case, *, share: float = 1.0, plants: list[str] | None = None, exchanges: bool | list = True,
            objective: str | None = None, emergency_cost=None, time_limit: float | None = None,
            nominal: Result | None = None, structure: dict | None = None, progress=None) -> OutageReport:
    """Outage analysis of the network the case's objective chooses.

    Solves the park once, fixes the chosen network and re-optimises operations on the same
    model with each running plant (``plants``: a subset) and, with ``exchanges``, each
    exchange that carries flow (or those listed, as (source, target, material)) out for
    ``share`` of the year (rules: module docstring). ``progress(done, total)`` is called
    after each outage. ``nominal``: analyse this Result's network instead of solving;
    ``structure`` ({binary key: 0/1}, ``ParkModel.binaries()`` keys) gives its build and
    open decisions exactly (a Result lists only the links it uses).

    Reuse is reported two ways: ``reuse_net`` (t-eq/yr) is what the operations maximise,
    the by-product moved less the by-product that plants running above their stated output
    (a built candidate, an existing plant with a load range) make; it never rises in an
    outage under the default ``"reuse-then-cost"`` operations. ``reuse`` (t/yr) is the
    gross tonnage moved between plants, the ``byproducts_reused`` KPI of a Result; it can
    rise in an outage when a by-product goes through a converting plant (a gangue power
    plant burns what another plant took, and its ash is reused or landfilled), which counts
    the same material twice. Criticality is ranked by net reuse lost.

    Returns
    -------
    OutageReport : the outage table (reuse lost, cost increase, stranded by-product, plants
        that lose an input, lost production, graph reach), the criticality ranking and the
        graph indicators.

    Examples
    --------
    >>> import symbiosis
    >>> rep = symbiosis.outages(symbiosis.examples.tutorial(), exchanges=False)
    >>> rep.criticality.iloc[0]["plant"]
    'power'
    """
    if not 0 <= share <= 1:
        raise ValueError(f"share must be between 0 and 1 (the share of the year the element is out), not {share}")
    timings = {}
    t0 = time.perf_counter()
    pm = ParkModel(case)
    if nominal is None:
        from symbiosis.api import optimize
        nominal = optimize(case, model=pm, time_limit=time_limit)
    else:
        _fix_to_result(pm, nominal)
    struct = _structure(pm)
    if structure is not None:
        struct.update({k: int(round(v)) for k, v in structure.items()})
    timings["nominal"] = time.perf_counter() - t0
    obj = objective or ("cost" if case.settings.objective in ("cost", "profit") else "reuse-then-cost")
    t0 = time.perf_counter()
    ops = Operations(case, struct, model=pm, objective=obj, emergency_cost=emergency_cost,
                     time_limit=time_limit)
    intact = ops.solve(label="intact", tables=True)
    if intact.sol is None:
        raise SolverError(f"the chosen network cannot be operated under the outage rules: {intact.status}")
    timings["intact"] = time.perf_counter() - t0
    g = network_graph(case, nominal)
    running = [p for p in case.plants if nominal.plants.set_index("plant").loc[p, "activity"] > EPS]
    if plants is not None:
        unknown = [p for p in plants if p not in case.plants]
        if unknown:
            raise ValueError(f"unknown plant(s) {unknown}; the case has {sorted(case.plants)}")
        running = [p for p in running if p in plants]
    carried = [(x.source, x.target, x.material) for x in nominal.chosen_exchanges.itertuples()]
    if exchanges is True:
        keys = carried
    elif not exchanges:
        keys = []
    else:
        keys = [tuple(k) for k in exchanges]
        unknown = [k for k in keys if k not in set(carried)]  # type: ignore[misc]
        if unknown:
            raise ValueError(f"exchange(s) {unknown} carry no flow in the chosen network; it carries "
                             f"{len(carried)}: {carried[:5]}{' ...' if len(carried) > 5 else ''}")
    rows, effects = [], []
    t0 = time.perf_counter()
    n, total = 0, len(running) + len(keys)
    for kind, items in (("plant", running), ("exchange", keys)):
        for el in items:
            run = ops.solve({el: share}, label=el) if kind == "plant" else ops.solve(exchanges={el: share},  # type: ignore[arg-type, dict-item]
                                                                                      label=str(el))
            row, eff = compare_runs(case, intact, run, g, kind=kind, element=el, share=share)
            rows.append(row)
            effects += eff
            n += 1
            if progress is not None:
                progress(n, total)
    timings["outages"] = time.perf_counter() - t0
    timings["per_outage"] = timings["outages"] / max(n, 1)
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    eff = pd.DataFrame(effects, columns=EFFECT_COLUMNS)
    # ranked by net reuse lost (gross noise below the solver's tolerance does not reorder)
    crit = table[table["kind"] == "plant"].copy()
    crit["_net"] = crit["reuse_net_lost"].where(crit["reuse_net_lost"].abs() > 1e-6 * max(1.0, abs(intact.reuse_model)),
                                                0.0)
    crit = crit.sort_values(["_net", "cost_increase", "element"], ascending=[False, False, True], kind="stable")
    crit = crit[["element", "reuse_net_lost", "reuse_net_lost_share", "reuse_lost", "reuse_lost_share",
                 "cost_increase", "stranded_t", "plants_affected", "reach_depth", "reach_plants"]].rename(
        columns={"element": "plant"}).reset_index(drop=True)
    crit.insert(0, "rank", range(1, len(crit) + 1))
    ind = graph_indicators(case, nominal)
    ap = set(ind.loc[ind["indicator"] == "articulation_point", "plant"])
    dep = ind[ind["indicator"] == "dependence"].groupby("other")["plant"].nunique().to_dict()
    crit["articulation_point"] = crit["plant"].isin(ap)
    crit["sole_supplier_of"] = crit["plant"].map(lambda p: int(sum(
        1 for r in ind[(ind["indicator"] == "dependence") & (ind["other"] == p)].itertuples() if r.value > 1 - 1e-9))
    ) if len(crit) else []
    crit["supplies_plants"] = crit["plant"].map(lambda p: int(dep.get(p, 0))) if len(crit) else []
    return OutageReport(case_name=case.name, share=share, nominal=nominal, intact=intact, table=table, effects=eff,
                        criticality=crit, indicators=ind, timings=timings, units=dict(case.units),
                        structure=struct)


def _fix_to_result(pm: ParkModel, result: Result):
    """Set the binaries of ``pm`` to the network of ``result`` (not fixed; read by _structure)."""
    built = {r.plant: (None if pd.isna(r.size) else int(r.size)) for r in result.plants.itertuples()
             if r.status == "candidate" and r.built}
    opened = {(r.source, r.target, r.material) for r in result.exchanges.itertuples() if r.chosen}
    running = dict(zip(result.plants["plant"], result.plants["built"]))
    for key, var in pm.binaries().items():
        if key[0] == "plant":
            var.set_value(1 if built.get(key[1], -1) == key[2] else 0)
        elif key[0] == "exchange":
            var.set_value(1 if tuple(key[1:]) in opened else 0)
        else:
            var.set_value(1 if running.get(key[1], True) else 0)


def criticality(case: Case, **kw) -> dict[str, float]:
    """{plant: share of the park's reuse lost when the plant stops for the year} of the
    network the case's objective chooses (see :func:`outages`)."""
    return outages(case, exchanges=False, **kw).criticality_map()


# ====================================================================== Monte Carlo
def _availabilities(case: Case, running: list[str], availability) -> dict[str, float]:
    if isinstance(availability, dict):
        unknown = [p for p in availability if p not in case.plants]
        if unknown:
            raise ValueError(f"availability names unknown plant(s) {unknown}")
        out = {p: float(availability.get(p, 1.0)) for p in running}
    else:
        out = {p: float(availability) for p in running}
    bad = {p: a for p, a in out.items() if not 0 <= a <= 1}
    if bad:
        raise ValueError(f"availabilities must be between 0 and 1: {bad}")
    return out


def draw_outages(avail: dict[str, float], draws: int, seed: int = 0) -> list[tuple[str, ...]]:
    """``draws`` states of the park: each plant is out, independently, with probability
    1 - availability. Returns the plants out in each draw."""
    rng = np.random.default_rng(seed)
    names = list(avail)
    p_out = np.array([1 - avail[p] for p in names])
    out = rng.random((draws, len(names))) < p_out
    return [tuple(n for n, o in zip(names, row) if o) for row in out]


def run_draws(case: Case, structure: dict, states: list[tuple[str, ...]], objective: str, share: float,
              emergency_cost=None, time_limit: float | None = None, first: int = 0) -> list[dict]:
    """Solve a share of the Monte Carlo draws (a Dask task): build the model once, fix the
    network, re-solve operations for each state."""
    t0 = time.perf_counter()
    ops = Operations(case, structure, objective=objective, emergency_cost=emergency_cost, time_limit=time_limit)
    build = time.perf_counter() - t0
    cache: dict[tuple, Run] = {}
    rows = []
    for k, state in enumerate(states):
        key = tuple(sorted(state))
        run = cache.get(key)
        if run is None:
            run = cache[key] = ops.solve({p: share for p in key}, label=",".join(key), tables=False)
        rows.append({"draw": first + k, "plants_out": ", ".join(key), "n_out": len(key), "reuse": run.reuse,
                     "reuse_rate": run.reuse_rate, "cost": run.cost, "lost_production_share": sum(
                         v / max(ops.capacity.get(p, 0.0), EPS) for p, v in run.shortfall.items() if p not in key),
                     "status": run.status, "solve_s": run.seconds, "worker_pid": os.getpid(),
                     "worker_build_s": build if k == 0 else 0.0})
    return rows


def montecarlo(case: Case, draws: int = 1000, *, availability=0.9, share: float = 1.0, seed: int = 0,
               scheduler: str | None = None, n_workers: int = 2, objective: str | None = None,
               emergency_cost=None, time_limit: float | None = None, report: OutageReport | None = None,
               progress=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monte Carlo draws of simultaneous outages of the chosen network, on Dask.

    Each draw is a state of the park: every running plant is up with probability equal to
    its ``availability`` (a float for all, or {plant: availability}, unnamed plants always
    up), independently, and a plant that is down is out for ``share`` of the year. The
    operations are re-optimised for each state as if it held for the year (module rules),
    so the mean over draws is the expected annual figure when states change through the
    year and operations follow them.

    Runs on a Dask LocalCluster of ``n_workers`` processes (default 2), or on the
    scheduler at ``scheduler`` (``"serial"``: in this process, without Dask); each worker
    builds the model once and solves its share.

    Returns
    -------
    (draws, summary) : one row per draw (plants out, reuse t/yr, reuse rate, cost), and the
        mean, p5, p50 and p95 of reuse rate, reuse and cost.
    """
    from dask.distributed import Client, LocalCluster

    if report is None:
        report = outages(case, share=share, exchanges=False, plants=[], objective=objective,
                         emergency_cost=emergency_cost, time_limit=time_limit)
    nominal = report.nominal
    pm = ParkModel(case)
    _fix_to_result(pm, nominal)
    structure = _structure(pm)
    running = [r.plant for r in nominal.plants.itertuples() if r.activity > EPS]
    avail = _availabilities(case, running, availability)
    states = draw_outages(avail, draws, seed)
    obj = objective or ("cost" if case.settings.objective in ("cost", "profit") else "reuse-then-cost")
    cluster = None
    t0 = time.perf_counter()
    if scheduler == "serial":  # in this process, no Dask (small runs, tests)
        rows = run_draws(case, structure, states, obj, share, emergency_cost, time_limit, 0)
        if progress is not None:
            progress(len(rows), len(states))
        seconds = time.perf_counter() - t0
        return _mc_frames(rows, seconds, draws, 1, report)
    if scheduler:
        from symbiosis.sweep import connect
        client = connect(scheduler)  # fails fast, naming the address, when it is unreachable
    else:
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        n = max(1, len(client.scheduler_info().get("workers", {})) or n_workers)
        bounds = np.linspace(0, len(states), n + 1).astype(int)
        futures = [client.submit(run_draws, case, structure, states[a:b], obj, share, emergency_cost, time_limit, a,
                                 pure=False) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
        rows = []
        for fut in futures:
            rows += fut.result()
            if progress is not None:
                progress(len(rows), len(states))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return _mc_frames(rows, time.perf_counter() - t0, draws, len(futures), report)


def _mc_frames(rows, seconds, draws, workers, report):
    df = pd.DataFrame(rows).sort_values("draw").reset_index(drop=True)
    summary = summarise(df)
    summary.attrs.update(seconds=seconds, draws=draws, workers=workers, intact_reuse=report.intact.reuse,
                         intact_reuse_rate=report.intact.reuse_rate, intact_cost=report.intact.cost)
    df.attrs["seconds"] = seconds
    return df, summary


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Mean, p5, p50 and p95 of reuse rate, reuse (t/yr) and cost over the draws."""
    ok = df[df["status"] == "optimal"]
    out = {}
    for col in ("reuse_rate", "reuse", "cost", "n_out"):
        v = ok[col].to_numpy(dtype=float)
        out[col] = {"mean": v.mean(), "p5": np.percentile(v, 5), "p50": np.percentile(v, 50),
                    "p95": np.percentile(v, 95)} if len(v) else {}
    return pd.DataFrame(out).T


# ====================================================================== design for resilience
@dataclass
class ResilientDesign:
    """A network chosen to keep reuse above a floor (and cost under a cap) under each
    listed outage.

    Attributes
    ----------
    result : the resilient network (intact operation), a Result.
    nominal : the nominal optimum (the case's objective), a Result.
    floor : the floor as a share of the nominal network's net reuse (None: no floor);
        ``floor_value`` the floor in t-eq/yr.
    cost_cap : the cost cap under each outage (money/yr; None: no cap), the nominal
        network's intact operations cost plus ``max_cost_increase``.
    table : one row per listed outage: the floor, the least lost production any network
        has under it, the net reuse and cost the joint model guarantees, and the net reuse
        and cost the outage analysis finds on the nominal and on the resilient network.
    cost_of_resilience : annualised cost of the resilient network less the nominal's;
        ``cost_gap`` what the relative MIP gap of both solves allows in money/yr.
    """

    result: Result
    nominal: Result
    floor: float | None
    floor_value: float
    cost_cap: float | None
    table: pd.DataFrame
    cost_of_resilience: float
    opened: list
    closed: list
    built: list
    dropped: list
    seconds: float
    structure: dict = field(default_factory=dict)   # {binary key: 0/1} of the resilient network
    #: what the solvers' relative MIP gap allows in money/yr: a cost of resilience below it
    #: is not told apart from nothing (another network of equal cost within the gap)
    cost_gap: float = 0.0


def _scenario_view(pm: ParkModel, block) -> ParkModel:
    """A ParkModel whose ``m`` is ``block``: the model's builder functions then build a
    copy of the park's variables and constraints on the block."""
    view = object.__new__(ParkModel)
    view.__dict__.update(pm.__dict__)
    view.m = block
    view.kpi = {}  # the builders set the block's own KPIs
    return view


def _build_scenario(pm: ParkModel, name: str, plants: dict, exchanges: dict, emergency_cost):
    m = pm.m
    blk = pyo.Block()
    m.add_component(name, blk)
    v = _scenario_view(pm, blk)
    for builder in (add_variables, add_capacity, add_output_balances, add_input_balances, add_slots,
                    add_exchange_links, add_market_limits, add_expressions):
        builder(v)
    # the structure is shared: the scenario's binaries equal the park's
    for var in (*blk.y.values(), *blk.w.values(), *blk.z.values()):
        if not var.fixed:
            var.domain = pyo.UnitInterval
    blk.same_y = pyo.Constraint(list(blk.y.keys()), rule=lambda _, p, k: blk.y[p, k] == m.y[p, k])
    blk.same_w = pyo.Constraint(list(blk.w.keys()), rule=lambda _, p: blk.w[p] == m.w[p])
    blk.same_z = pyo.Constraint(list(blk.z.keys()), rule=lambda _, i: blk.z[i] == m.z[i])
    # a link only this scenario uses is not idle: the model's polish must not close it
    if "shared_link_flows" not in pm.__dict__:
        pm.shared_link_flows = {}
    for i in blk.f:
        pm.shared_link_flows.setdefault(i, []).append(blk.f[i])
    add_operations(v, emergency_cost=emergency_cost)
    case = pm.case

    def cap(p):
        plant = case.plants[p]
        if plant.is_candidate:
            return sum(s.capacity * blk.y[p, k] for k, s in enumerate(plant.sizes))
        return plant.activity_max

    blk.out_plant = pyo.Constraint(list(plants), rule=lambda _, p: blk.a[p] <= max(0.0, 1 - plants[p]) * cap(p))
    for key, s in exchanges.items():
        i = pm.x_by_key[tuple(key)]
        blk.f[i].setub(max(0.0, 1 - s) * pm.x_ub[i])
    return blk


def _split(o, share):
    return ({o: share}, {}) if isinstance(o, str) else ({}, {tuple(o): share})


def _scenario_best(case, o, share, emergency_cost, time_limit, sense: str, lost: float | None = None) -> float | None:
    """Over every network (within the park's limits): the least lost production under the
    outage ``o`` (``sense="lost"``), or the most net reuse with lost production at most
    ``lost`` (``sense="reuse"``). None when the solver finds nothing."""
    pm = ParkModel(case)
    pm.set_limits(dict(case.limits))
    blk = _build_scenario(pm, "outage", *_split(o, share), emergency_cost)  # type: ignore[call-arg]
    if sense == "lost":
        pm.m.objective = pyo.Objective(expr=blk.e_op_short, sense=pyo.minimize)
    else:
        blk.lost = pyo.Constraint(expr=blk.e_op_short <= lost + LOST_TOL)  # type: ignore[operator]
        pm.m.objective = pyo.Objective(expr=1e-3 * blk.e_op_reuse, sense=pyo.maximize)
    pm._objective_name = "outage"
    try:
        pm.run(Options(time_limit=time_limit, mip_gap=0.0), explain=False)
    except (InfeasibleError, SolverError):
        return None
    return float(pyo.value(blk.e_op_short if sense == "lost" else blk.e_op_reuse))


LOST_TOL = 1e-9   # lost production (shares of capacity) a scenario may exceed the least by


def resilient(case: Case, floor: float | None = 0.9, outages: list | None = None, *, share: float = 1.0,
              max_cost_increase: float | None = None, emergency_cost=None, time_limit: float | None = None,
              mip_gap: float | None = None, report: OutageReport | None = None) -> ResilientDesign:
    r"""Choose the network so that, under each single outage in ``outages``, net reuse stays
    at or above ``floor`` times the nominal network's (intact, under the outage rules),
    and, with ``max_cost_increase`` (money/yr), the annualised cost of operations stays
    within that much of the nominal network's intact cost; at the least annualised cost,
    with the intact network's reuse held at the nominal optimum (``reuse-then-cost``
    cases; a cost case keeps the park's limits only).

    One model: the park's model (intact operation, existing plants at their stated output)
    plus, per outage :math:`k`, a block with its own copy of the operational variables and
    constraints (built by the model's builder functions) sharing the build and open
    binaries; in each block the outage rules of this module hold and

    .. math:: R^{op}_k \ge \text{floor} \cdot R^{op}_{nom}, \quad C^{op}_k \le C^{op}_{nom} + \Delta C,
              \quad S_k \le S^{*}_k

    with :math:`R^{op}` the net reuse the operations maximise, :math:`C^{op}` their cost
    and :math:`S_k` the lost production (the first criterion of the outage rules) held at
    :math:`S^*_k`, the least any network has under outage :math:`k` (one MILP per outage
    beforehand). Because the outage analysis minimises lost production first, the last
    condition makes the block's operations ones the analysis may choose, so the analysis
    of the resilient network finds the floor met (its second criterion maximises reuse)
    and, with ``objective="cost"``, the cap met.

    ``outages``: plant names, or (source, target, material) exchanges; default: every
    plant whose outage breaks the floor on the nominal network. Raises InfeasibleError
    naming the outages no network survives at that floor.
    """
    t_start = time.perf_counter()
    if floor is None and max_cost_increase is None:
        raise ValueError("give a reuse floor, a cost cap (max_cost_increase) or both")
    if floor is not None and not 0 <= floor <= 1:
        raise ValueError(f"floor is a share of the nominal reuse between 0 and 1, not {floor}")
    if report is None:
        report = globals()["outages"](case, share=share, exchanges=False, emergency_cost=emergency_cost,
                                      time_limit=time_limit)
    nominal = report.nominal
    target = floor * report.intact.reuse_model if floor is not None else -math.inf
    cap = report.intact.cost + max_cost_increase if max_cost_increase is not None else math.inf
    if outages is None:
        tab = report.table[report.table["kind"] == "plant"]
        outages = [r.element for r in tab.itertuples()
                   if r.reuse_net < target - 1e-6 * max(1.0, target) or r.cost > cap + 1e-6 * max(1.0, abs(cap))]
    items = [o if isinstance(o, str) else tuple(o) for o in outages]
    pm = ParkModel(case)
    for o in items:
        if isinstance(o, str) and o not in case.plants:
            raise ValueError(f"unknown plant {o!r} in outages; the case has {sorted(case.plants)}")
        if not isinstance(o, str) and o not in pm.x_by_key:
            raise ValueError(f"no candidate exchange {o} in the case")
    least = {}
    for o in items:
        v = _scenario_best(case, o, share, emergency_cost, time_limit, "lost")
        if v is None:
            raise SolverError(f"the least lost production under the outage of {_label(o)} could not be found")
        least[o] = v
    scen = {}
    for k, o in enumerate(items):
        blk = _build_scenario(pm, f"outage_{k}", *_split(o, share), emergency_cost)  # type: ignore[call-arg]
        blk.lost = pyo.Constraint(expr=blk.e_op_short <= least[o] + LOST_TOL)
        if floor is not None:
            blk.floor = pyo.Constraint(expr=1e-3 * blk.e_op_reuse >= 1e-3 * target)
        if max_cost_increase is not None:
            blk.cap = pyo.Constraint(expr=1e-6 * blk.e_op_cost <= 1e-6 * cap)
        scen[o] = blk
    # the nominal objective's reuse, held; then the least cost
    tol = case.settings.reuse_tolerance
    stages = nominal.solver.get("stages") or []
    opts = Options(time_limit=time_limit, mip_gap=mip_gap)
    pm.set_limits(dict(case.limits))
    if stages:
        best = stages[0]["value"]
        pm.set_reuse_floor(best * (1 - tol) - 1e-8 * max(1.0, abs(best)))
    pm.set_objective("cost")
    try:
        info = pm.run(opts, explain=False)
    except InfeasibleError:
        msg = []
        if floor is not None:
            for o in items:
                best_o = _scenario_best(case, o, share, emergency_cost, time_limit, "reuse", least[o])
                if best_o is not None and best_o < target - 1e-6 * max(1.0, target):
                    msg.append(f"no network keeps net reuse at {floor:.0%} of the nominal ({target:,.0f} t-eq/yr) "
                               f"under the outage of {_label(o)}: the most any network keeps is "
                               f"{_round(best_o):,.0f} t-eq/yr "
                               "(with the least lost production)")
        if not msg:
            msg = [f"no network keeps the nominal reuse ({stages[0]['value'] if stages else 0:,.0f} t-eq/yr) intact and "
                   + (f"{floor:.0%} of it" if floor is not None else "")
                   + (" and " if floor is not None and max_cost_increase is not None else "")
                   + (f"its cost within {max_cost_increase:,.0f} /yr" if max_cost_increase is not None else "")
                   + " under every listed outage together; lower the floor, raise the cap or list fewer outages"]
        raise InfeasibleError(msg, case.name) from None  # the message says why; the solver's error adds nothing
    info.objective_name = "resilient"
    sol = pm.extract(info)
    result = make_result(case, pm.exchanges, sol, {})
    struct = _structure(pm)
    # the outage analysis on the resilient network (the same rules as on the nominal)
    check = globals()["outages"](case, share=share, exchanges=[], nominal=result, structure=struct,
                                 emergency_cost=emergency_cost, time_limit=time_limit,
                                 plants=[o for o in items if isinstance(o, str)])
    xs = [o for o in items if not isinstance(o, str)]
    carried = set(map(tuple, result.chosen_exchanges[["source", "target", "material"]].values))
    if xs:
        check_x = globals()["outages"](case, share=share, plants=[], exchanges=[x for x in xs if x in carried],
                                       nominal=result, structure=struct, emergency_cost=emergency_cost,
                                       time_limit=time_limit)
        check.table = pd.concat([check.table, check_x.table], ignore_index=True)
    rows = []
    for o in items:
        lab = _label(o)
        b = scen[o]
        rows.append({"outage": lab, "floor": target if floor is not None else math.nan,
                     "cost_cap": cap if max_cost_increase is not None else math.nan, "least_lost": least[o],
                     "joint_model_reuse": float(pyo.value(b.e_op_reuse)),
                     "joint_model_cost": float(pyo.value(b.e_op_cost)),
                     "nominal_network_reuse": _from(report, lab, "reuse_net"),
                     "resilient_network_reuse": _from(check, lab, "reuse_net", carried_default=o, intact=check),
                     "nominal_network_cost": _from(report, lab, "cost"),
                     "resilient_network_cost": _from(check, lab, "cost", carried_default=o, intact=check),
                     "nominal_reuse_t": _from(report, lab, "reuse"),
                     "resilient_reuse_t": _from(check, lab, "reuse", carried_default=o, intact=check)})
    links = {k: tuple(k[1:]) for k in struct if k[0] == "exchange"}
    ex0 = {x for k, x in links.items() if report.structure.get(k, 0)}
    ex1 = {x for k, x in links.items() if struct.get(k, 0)}
    b0, b1 = set(nominal.built_plants["plant"]), set(result.built_plants["plant"])
    rel_gap = mip_gap if mip_gap is not None else case.settings.mip_gap
    cost_gap = rel_gap * max(abs(nominal.kpi("annualised_cost")), abs(result.kpi("annualised_cost")))
    return ResilientDesign(result=result, nominal=nominal, floor=floor, floor_value=target, cost_gap=cost_gap,
                           cost_cap=cap if max_cost_increase is not None else None, table=pd.DataFrame(rows),
                           cost_of_resilience=result.kpi("annualised_cost") - nominal.kpi("annualised_cost"),
                           opened=sorted(ex1 - ex0), closed=sorted(ex0 - ex1), built=sorted(b1 - b0),
                           dropped=sorted(b0 - b1), seconds=time.perf_counter() - t_start, structure=struct)


def _round(v: float) -> float:
    return 0.0 if abs(v) < 0.5 else v


def _label(o) -> str:
    return o if isinstance(o, str) else f"{o[0]} -> {o[1]}: {o[2]}"


def _from(report: OutageReport, element: str, col: str, carried_default=None, intact=None) -> float:
    """``col`` of one outage of the report. An element the network does not use (a plant
    that does not run, an exchange it does not open) changes nothing: the intact figure."""
    hit = report.table.loc[report.table["element"] == element, col]
    if len(hit):
        return float(hit.iloc[0])
    if intact is not None:
        return {"reuse_net": intact.intact.reuse_model, "cost": intact.intact.cost,
                "reuse": intact.intact.reuse}[col]
    return math.nan
