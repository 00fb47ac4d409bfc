r"""Who gains: each company's share of the park's benefit, and transfer prices that leave
no company worse off than alone.

A park is built by companies. This module treats it as a cooperative game with
transferable money, on the one :class:`~symbiosis.model.ParkModel` of the case: its
exchange binaries are fixed and freed between solves, the model is never rebuilt.

Accounting (all in the case's money per period; margin = revenue - costs)
---------------------------------------------------------------------------
A company's margin is the sum over its plants of

* sales revenue, less purchases and disposal at the plant (market rows);
* less operating cost, fixed cost once built and annualised capex of the plant;
* less the carbon price times the plant's CO2 (process, input slots, purchases);
* less the cost of the links *into* the plant: the **receiver pays** the transport and
  the fixed cost of an opened exchange (including its annualised capex, e.g. a kiln
  retrofit), as a buyer pays freight.

The margins of all companies add up to minus the park's ``cost`` KPI. A transfer price
:math:`t_x` per unit on an exchange between two companies moves :math:`P_x = t_x f_x`
from the receiver to the sender (negative: the sender pays a gate fee).

Game
----
:math:`M(S)`: the park's total margin (cost objective) when exchanges between companies
are open only inside the set of companies :math:`S` (exchanges inside one company are
always allowed). :math:`M(\emptyset)` closes every exchange between companies: with no
exchange between them and no market cap shared by several companies, the park's
problem is a sum of independent company problems, so this **one solve gives every
company's standalone margin** (its margin in that solution). The value of a coalition
is :math:`v(S) = M(S) - \sum_{j\notin S} \text{alone}_j`, its gain of cooperation
:math:`g(S) = v(S) - \sum_{i\in S}\text{alone}_i = M(S) - M(\emptyset)`. When a capped
market (``max_sale``, ``max_purchase``, ``min_sale``) is shared by plants of several
companies the decomposition does not hold exactly; :attr:`Gains.coupled` names those
materials and the report says so.

Companies with no possible exchange with another company are null players (Shapley
share 0) and are left out of the enumeration; a coalition whose companies cannot trade
with each other splits into independent parts, whose gains add, so only coalitions
connected by candidate exchanges cost a solve.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from symbiosis.case import Case
from symbiosis.model import Options, ParkModel
from symbiosis.result import EPS, Result, make_result, write_whole

#: how plants are grouped into companies
BY = ("company", "park", "plant")
#: what a company earns without the others: "alone" (market only, no exchange with
#: another company) or "today" (the existing exchanges between companies stay open)
BASELINES = ("alone", "today")
#: most players for exact Shapley values (2^n coalitions); sampled beyond
EXACT_MAX = 12
#: money is handled in M (of the case's currency) inside the price LPs
_M = 1e-6


def companies_of(case: Case, by: str = "company") -> dict[str, str]:
    """plant -> company. ``by="company"``: the plants' ``company`` (a plant without one is a
    company of its own, named after the plant); ``"park"``: the plants' ``park``;
    ``"plant"``: one company per plant."""
    if by not in BY:
        raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(BY)}")
    out = {}
    for name, p in case.plants.items():
        group = {"company": p.company, "park": p.park, "plant": ""}[by]
        out[name] = group or name
    return out


#: colour of plants whose owner the case does not name (each a company of its own)
UNNAMED_COLOUR = "#b0b0b0"


def company_colors(source, by: str = "company") -> tuple[dict[str, str], dict[str, str]]:
    """Colours for the network view by company (``network_html(node_colors=...,
    node_legend=...)``): plant -> colour, and legend label -> colour. ``source``: a Case,
    or a Result (its plants table's ``company`` and ``park``). Each company named takes a
    distinct colour; with ``by="company"``, the plants whose owner is not named share one
    grey."""
    from symbiosis.views.network import palette
    if by not in BY:
        raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(BY)}")
    if isinstance(source, Case):
        owners = {p: (pl.company, pl.park) for p, pl in source.plants.items()}
    else:
        t = source.plants
        comp = t["company"] if "company" in t else [""] * len(t)
        owners = {p: (str(c or ""), str(k or "")) for p, c, k in zip(t["plant"], comp, t["park"])}
    company = {p: ({"company": c, "park": k, "plant": ""}[by] or p) for p, (c, k) in owners.items()}
    unnamed = {p for p, (c, _k) in owners.items() if by == "company" and not c}
    named = sorted({c for p, c in company.items() if p not in unnamed})
    colours = dict(zip(named, palette(len(named), avoid=(UNNAMED_COLOUR,))))
    nodes = {p: UNNAMED_COLOUR if p in unnamed else colours[c] for p, c in company.items()}
    legend = dict(colours)
    if unnamed:
        legend["owner not named (a company of its own)"] = UNNAMED_COLOUR
    return nodes, legend


# ====================================================================== accounting
def plant_accounts(case: Case, result: Result) -> pd.DataFrame:
    """One row per plant: revenue and each cost (see the module's accounting) and margin,
    from the tables of ``result``."""
    mats = case.materials
    cp = case.settings.carbon_price
    rows = {p: dict.fromkeys(("revenue", "purchases", "disposal", "operating", "capex_annualised", "co2_cost",
                              "links_in"), 0.0) for p in case.plants}
    for r in result.plants.itertuples():
        acc = rows[r.plant]
        acc["operating"] += r.operating_cost
        acc["capex_annualised"] += r.capex_annualised
        acc["co2_cost"] += cp * r.co2
    for r in result.market.itertuples():
        acc = rows[r.plant]
        acc["revenue"] += r.sales_revenue
        acc["purchases"] += r.purchase_cost
        acc["disposal"] += r.disposal_cost
        acc["co2_cost"] += cp * mats[r.material].co2_per_unit * r.purchase
    if cp:
        for r in result.inputs.itertuples():
            slot = next(s for s in case.process_of(r.plant).slots if s.name == r.slot)
            acc = rows[r.plant]
            acc["co2_cost"] += cp * slot.options[r.material][2] * r.amount
    for r in result.exchanges.itertuples():
        rows[r.target]["links_in"] += r.transport_cost + r.fixed_cost
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "plant"
    df["margin"] = df["revenue"] - df[["purchases", "disposal", "operating", "capex_annualised", "co2_cost",
                                       "links_in"]].sum(axis=1)
    return df.reset_index()


def company_margins(case: Case, result: Result, company: dict[str, str]) -> dict[str, float]:
    acc = plant_accounts(case, result)
    acc["company"] = acc["plant"].map(company)
    return acc.groupby("company")["margin"].sum().to_dict()


def margin_expressions(pm: ParkModel, company: dict[str, str]) -> dict[str, object]:
    """company -> Pyomo expression of its margin (the accounting above, on the model's
    variables); their sum is minus the ``cost`` KPI."""
    m, case = pm.m, pm.case
    mats = case.materials
    cp = case.settings.carbon_price
    cost = {p: 0 for p in pm.plants}
    for p, k in pm.sizes:
        plant = case.plants[p]
        cost[p] += case.crf(plant.life) * plant.sizes[k].capex * m.y[p, k]
    for p in pm.plants:
        plant, proc = case.plants[p], case.process_of(p)
        if plant.fixed_cost:
            cost[p] += plant.fixed_cost * pm.built_expr(p)
        if proc.operating_cost:
            cost[p] += proc.operating_cost * m.a[p]
        if cp and proc.co2:
            cost[p] += cp * proc.co2 * m.a[p]
        if cp:
            for s in proc.slots:
                for mn, (_e, _h, c) in s.options.items():
                    if c:
                        cost[p] += cp * c * m.u[p, s.name, mn]
    for i, x in enumerate(pm.exchanges):
        if x.unit_cost:
            cost[x.target] += x.unit_cost * m.f[i]
        if x.fixed_cost:
            cost[x.target] += x.fixed_cost * m.z[i]
    for p, mn in pm.buy:
        cost[p] += (mats[mn].price + cp * mats[mn].co2_per_unit) * m.b[p, mn]  # type: ignore[operator]
    for p, mn in pm.sell:
        cost[p] -= mats[mn].sale_price * m.q[p, mn]
    for p, mn in pm.disp:
        cost[p] += mats[mn].disposal_cost * m.d[p, mn]
    out: dict[str, object] = {}
    for p, c in cost.items():
        out[company[p]] = out.get(company[p], 0) - c  # type: ignore[operator]
    return out


def coupled_markets(case: Case, pm: ParkModel, company: dict[str, str]) -> list[str]:
    """Materials whose market cap or demand is shared by plants of more than one company."""
    mats = case.materials
    out = []
    for mn, mat in sorted(mats.items()):
        owners = set()
        if mat.max_purchase is not None:
            owners |= {company[p] for p, m2 in pm.buy if m2 == mn}
        if mat.max_sale is not None or mat.min_sale:
            owners |= {company[p] for p, m2 in pm.sell if m2 == mn}
        if len(owners) > 1:
            out.append(mn)
    return out


def stranded_inputs(case: Case, exchanges, company: dict[str, str], open_inside=None) -> list[str]:
    """Why companies cannot run alone, in the park's words: for each plant that must run
    (an existing plant that cannot close, with a minimum activity, or a forced one), each
    input slot none of whose materials can be bought or come from a plant of the same
    company (``open_inside(exchange)``: also counts an exchange as open, e.g. one that
    stays open in every coalition); one line per slot naming the company, the plant,
    the materials and the companies that could supply them."""
    out = []
    for name, plant in case.plants.items():
        must = plant.force or (not plant.is_candidate and not plant.can_close and plant.activity_min > 0)
        if not must:
            continue
        c = company[name]
        proc = case.process_of(name)
        for slot in proc.slots:
            if not slot.amount:
                continue
            others: dict[str, set[str]] = {}
            share = 0.0  # most of the slot the materials at hand can fill (their max shares)
            lacking = []
            for mn, (_e, most, _co2) in slot.options.items():
                ok = case.materials[mn].price is not None
                for x in exchanges:
                    if ok:
                        break
                    if x.target != name or x.material != mn or x.forbid:
                        continue
                    if company[x.source] == c or (open_inside is not None and open_inside(x)):
                        ok = True
                    else:
                        others.setdefault(mn, set()).add(f"{company[x.source]} ({x.source})")
                if ok:
                    share += most
                else:
                    lacking.append(mn)
            if share >= 1.0 - 1e-9:
                continue
            mats = " or ".join(f"'{mn}'" for mn in lacking)
            who = "; ".join(f"'{mn}' from {', '.join(sorted(v))}" for mn, v in sorted(others.items()))
            label = f"{plant.label} ({name})" if plant.label and plant.label != name else name
            part = "" if share <= 0 else f" for at least {1 - share:.0%} of it"
            none = "which has no market price" if len(lacking) == 1 else "none of which has a market price"
            out.append(f"company '{c}': plant {label} needs {mats} (input '{slot.name}'{part}), {none}; "
                       f"only other companies can supply it: {who or 'no one'}")
    return out


# ====================================================================== the game
class Game:
    """The coalition game of one case on one ParkModel.

    ``margin(S)`` solves the park with exchanges between companies open only inside the
    coalition ``S`` (a frozenset of company names; ``None``: every company) and caches the
    total margin; ``gain(S) = margin(S) - margin(frozenset())``.
    """

    def __init__(self, case: Case, by: str = "company", *, time_limit: float | None = None,
                 mip_gap: float | None = 1e-7, threads: int | None = None, model: ParkModel | None = None,
                 company: dict[str, str] | None = None, baseline: str = "alone"):
        if baseline not in BASELINES:
            raise ValueError(f"unknown baseline {baseline!r}; use one of {', '.join(BASELINES)}")
        t0 = time.perf_counter()
        self.case = case
        self.baseline = baseline
        self.pm = model if model is not None else ParkModel(case)
        self.by = by
        self.company = dict(company) if company is not None else companies_of(case, by)
        self.names = sorted(set(self.company.values()))
        self.options = Options(objective="cost", time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                               limits={k: None for k in case.limits})  # type: ignore[misc]
        z = self.pm.m.z
        self._base = {i: (z[i].fixed, z[i].value) for i in self.pm.x_index}
        ex = self.pm.exchanges
        between = [i for i, x in enumerate(ex) if self.company[x.source] != self.company[x.target]
                   and not (self._base[i][0] and self._base[i][1] == 0)]
        #: exchanges between companies that the case does not rule out (all carry a transfer price)
        self.open_cross = between
        #: those a coalition opens: all of them, or (baseline "today") the new ones only
        self.cross = [i for i in between if baseline == "alone" or not ex[i].existing]
        self.adjacent: dict[str, set[str]] = {c: set() for c in self.names}
        for i in self.cross:
            a, b = self.company[ex[i].source], self.company[ex[i].target]
            self.adjacent[a].add(b)
            self.adjacent[b].add(a)
        self.players = sorted(c for c in self.names if self.adjacent[c])
        #: parts of a coalition are independent only when no exchange stays open between
        #: companies in every coalition (baseline "today" with existing exchanges)
        self.decomposable = len(self.cross) == len(between)
        self.coupled = coupled_markets(case, self.pm, self.company)
        self._cache: dict[frozenset, float] = {}
        self.solves = 0
        self.solve_seconds = 0.0
        self.build_seconds = time.perf_counter() - t0

    # ------------------------------------------------------------------ solving
    def allow(self, coalition: frozenset | None):
        """Fix the binaries for coalition ``coalition`` (None: all companies)."""
        z = self.pm.m.z
        for i in self.cross:
            was_fixed, value = self._base[i]
            x = self.pm.exchanges[i]
            inside = coalition is None or (self.company[x.source] in coalition and self.company[x.target] in coalition)
            if not inside:
                z[i].fix(0)
            elif was_fixed:
                z[i].fix(value)
            else:
                z[i].unfix()

    def solve(self, coalition: frozenset | None = None) -> Result:
        """The park's cost-optimal network with exchanges between companies only inside
        ``coalition``; raises InfeasibleError naming the plants that cannot run."""
        from symbiosis.errors import InfeasibleError
        self.allow(coalition)
        hint = ("give the plants of one integrated site the same 'company', give the missing material a "
                "market price, or keep today's exchanges between companies (baseline 'today', --baseline today)")
        t0 = time.perf_counter()
        try:
            sol = self.pm.solve(self.options)
        except InfeasibleError as exc:
            if coalition is not None and len(coalition) < len(self.names):
                who = "alone" if not coalition else f"with exchanges only inside {sorted(coalition)}"
                first = (f"the companies cannot run {who} (grouping by {self.by}, baseline {self.baseline!r}): "
                         f"{hint}")
                why = []
                if not coalition:
                    cross = set(self.cross)
                    keep = {id(x) for i, x in enumerate(self.pm.exchanges) if i not in cross}
                    why = stranded_inputs(self.case, self.pm.exchanges, self.company,
                                          lambda x: id(x) in keep and self.company[x.source] != self.company[x.target])
                raise InfeasibleError([first, *why, *(self._owned(r) for r in exc.reasons)],
                                      self.case.name) from None
            raise
        finally:
            self.allow(None)
            self.solves += 1
            self.solve_seconds += time.perf_counter() - t0
        return make_result(self.case, self.pm.exchanges, sol)

    def _owned(self, reason: str) -> str:
        """``reason`` with each plant named followed by its company (when it differs)."""
        import re

        def own(m):
            p = m.group(1)
            c = self.company.get(p)
            return m.group(0) + (f" (company '{c}')" if c and c != p else "")
        return re.sub(r"plant '([^']+)'", own, reason)

    def margin(self, coalition: frozenset) -> float:
        """Total margin of the park with exchanges between companies only inside
        ``coalition`` (cached; a coalition made of parts that cannot trade with each other
        is the sum of its parts)."""
        coalition = frozenset(c for c in coalition if c in self.adjacent and self.adjacent[c])
        if coalition in self._cache:
            return self._cache[coalition]
        parts = self.components(coalition) if self.decomposable else [coalition]
        if len(parts) > 1:
            base = self.margin(frozenset())
            value = base + sum(self.margin(p) - base for p in parts)
        else:
            r = self.solve(coalition)
            value = float(plant_accounts(self.case, r)["margin"].sum())
        self._cache[coalition] = value
        return value

    def gain(self, coalition) -> float:
        return self.margin(frozenset(coalition)) - self.margin(frozenset())

    def components(self, coalition: frozenset) -> list[frozenset]:
        """The parts of ``coalition`` connected by candidate exchanges between its companies."""
        left, parts = set(coalition), []
        while left:
            start = left.pop()
            part, todo = {start}, [start]
            while todo:
                c = todo.pop()
                for d in self.adjacent[c] & left:
                    left.discard(d)
                    part.add(d)
                    todo.append(d)
            parts.append(frozenset(part))
        return parts


# ====================================================================== Shapley and core
def shapley_exact(game: Game) -> tuple[dict[str, float], dict[frozenset, float]]:
    """Exact Shapley values of the gain over the game's players by enumerating every
    coalition; returns the values and the gains of all coalitions."""
    players = game.players
    n = len(players)
    gains: dict[frozenset, float] = {}
    for r in range(n + 1):
        for combo in itertools.combinations(players, r):
            s = frozenset(combo)
            gains[s] = game.gain(s)
    fact = [math.factorial(k) for k in range(n + 1)]
    phi = dict.fromkeys(players, 0.0)
    for s, g in gains.items():
        k = len(s)
        for i in players:
            if i in s:
                continue
            weight = fact[k] * fact[n - k - 1] / fact[n]
            phi[i] += weight * (gains[s | {i}] - g)
    return phi, gains


def _marginals(game: Game, perms: list[list[str]]) -> np.ndarray:
    players = game.players
    idx = {p: j for j, p in enumerate(players)}
    out = np.zeros((len(perms), len(players)))
    for r, perm in enumerate(perms):
        s: frozenset = frozenset()
        prev = 0.0
        for p in perm:
            s = s | {p}
            g = game.gain(s)
            out[r, idx[p]] = g - prev
            prev = g
    return out


_WORKER_GAMES: dict = {}


def _worker_marginals(case: Case, by: str, company: dict, solver: dict, baseline: str, perms: list[list[str]]):
    """Dask task: marginal contributions along ``perms`` on the worker's own model (built
    once per worker process and kept, with its cache of coalition values)."""
    key = (case.name, by, baseline, tuple(sorted(company.items())), tuple(sorted(solver.items())))
    game = _WORKER_GAMES.get(key)
    if game is None:
        game = _WORKER_GAMES[key] = Game(case, by, company=company, baseline=baseline, **solver)
    before = game.solves
    return _marginals(game, perms), game.solves - before


def shapley_sampled(game: Game, samples: int = 200, *, seed: int = 0, scheduler: str | None = None,
                    chunk: int = 10, solver: dict | None = None) -> dict:
    """Shapley values estimated from ``samples`` random permutations of the players.

    The permutations run on Dask: ``scheduler=None`` starts a ``LocalCluster`` (one
    process per core, one thread each: Pyomo models are not shared between threads),
    an address (``"tcp://host:8786"``) uses that scheduler, ``"serial"`` runs them here.
    Returns ``{"shapley": {...}, "ci": {...}, "samples": n, "solves": k}``, ``ci`` the
    half-width of the 95 % confidence interval (1.96 standard errors)."""
    rng = np.random.default_rng(seed)
    players = list(game.players)
    perms = [list(rng.permutation(players)) for _ in range(samples)]
    if scheduler == "serial":
        marg = _marginals(game, perms)
        solves = None
    else:
        from dask.distributed import Client, LocalCluster
        cluster = None
        if scheduler is None:
            cluster = LocalCluster(n_workers=max(1, min(os.cpu_count() or 1, 4)), threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(scheduler)
        try:
            case_f = client.scatter(game.case, broadcast=True)
            chunks = [perms[i:i + chunk] for i in range(0, len(perms), chunk)]
            futures = [client.submit(_worker_marginals, case_f, game.by, game.company, solver or {}, game.baseline, c,
                                     pure=False)
                       for c in chunks]
            parts = client.gather(futures)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        marg = np.vstack([p[0] for p in parts])
        solves = int(sum(p[1] for p in parts))
    mean = marg.mean(axis=0)
    sd = marg.std(axis=0, ddof=1) if len(perms) > 1 else np.full(len(players), np.inf)
    ci = 1.96 * sd / math.sqrt(len(perms))
    return {"shapley": dict(zip(players, mean)), "ci": dict(zip(players, ci)), "samples": len(perms),
            "solves": solves}


def core_check(players: list[str], gains: dict[frozenset, float], allocation: dict[str, float],
               tol: float = 1e-6) -> dict:
    r"""Is the core of the gain game empty? The least-core LP
    :math:`\min \varepsilon: \sum_{i\in S} x_i \ge g(S) - \varepsilon\ \forall S, \sum x = g(N)`;
    the core is empty when :math:`\varepsilon^* > 0`, and the coalition named is the one
    that gains most by leaving ``allocation`` (the Shapley split): :math:`g(S) - x(S)`."""
    from scipy.optimize import linprog
    n = len(players)
    grand = frozenset(players)
    scale = max(1.0, max((abs(v) for v in gains.values()), default=1.0))
    coalitions = [s for s in gains if s and s != grand]
    blocking, excess = None, 0.0
    for s in coalitions:
        e = gains[s] - sum(allocation.get(i, 0.0) for i in s)
        if e > excess:
            blocking, excess = s, e
    if n < 2:
        return {"core_empty": False, "least_core_epsilon": 0.0, "shapley_in_core": True,
                "blocking_coalition": [], "blocking_excess": 0.0}
    # variables x_1..x_n, eps; minimise eps
    c = np.zeros(n + 1)
    c[-1] = 1.0
    A = np.zeros((len(coalitions), n + 1))
    b = np.zeros(len(coalitions))
    for r, s in enumerate(coalitions):
        for j, p in enumerate(players):
            if p in s:
                A[r, j] = -1.0
        A[r, -1] = -1.0
        b[r] = -gains[s] / scale
    A_eq = np.zeros((1, n + 1))
    A_eq[0, :n] = 1.0
    res = linprog(c, A_ub=A if len(coalitions) else None, b_ub=b if len(coalitions) else None, A_eq=A_eq,
                  b_eq=[gains[grand] / scale], bounds=[(None, None)] * (n + 1), method="highs")
    eps = float(res.x[-1]) * scale if res.status == 0 else float("nan")
    rel = tol * max(1.0, abs(gains[grand]))
    return {"core_empty": bool(eps > rel), "least_core_epsilon": eps,
            "shapley_in_core": bool(excess <= rel),
            "blocking_coalition": sorted(blocking) if blocking is not None and excess > rel else [],
            "blocking_excess": excess if excess > rel else 0.0}


# ====================================================================== transfer prices
def _price_bounds(case: Case, material: str, bounds: dict | None) -> tuple[float, float]:
    """Per-unit bounds of a transfer price: ``bounds`` maps material -> (low, high) (None:
    unbounded), ``"*"`` for every material."""
    if not bounds:
        return (-math.inf, math.inf)
    lo, hi = bounds.get(material, bounds.get("*", (None, None)))
    return (-math.inf if lo is None else lo, math.inf if hi is None else hi)


def reference_price(case: Case, material: str) -> float:
    """The price per unit an exchange of ``material`` starts from: the market price the
    receiver saves when the material can be bought, else the sale price the sender
    forgoes when it can be sold, else 0 (a by-product without a market)."""
    mat = case.materials[material]
    if mat.price is not None:
        return float(mat.price)
    if mat.sale_price is not None:
        return float(mat.sale_price)
    return 0.0


def transfer_prices(case: Case, result: Result, company: dict[str, str], alone: dict[str, float],
                    targets: dict[str, float] | None = None, bounds: dict | None = None) -> tuple[pd.DataFrame, dict]:
    r"""Transfer prices on the exchanges between companies of ``result``'s network.

    The default payments :math:`P_x` make each company's margin after transfers equal to
    its standalone margin plus its ``targets`` share of the gain (default: the gain of
    each group of companies trading with each other split equally among them), with the
    least money moved away from the :func:`reference_price` of each exchange, weighed by
    the exchange's value (:math:`\min \sum_x |P_x - r_x f_x| / V_x`, :math:`V_x` the flow's
    market value plus its link cost, floored at 1/1000 of the largest): a material with a
    market trades at its market price, and the payments that split the gain land on the
    exchanges of most value, where their price departs least from it; when the targets cannot
    be met (prices bounded), the nearest split that
    leaves no company below its standalone margin. Per exchange, ``price_low`` ..
    ``price_high``: the range of its price, the other exchanges at their default price,
    within which every company stays at least at its standalone margin (the sender's
    floor to the receiver's ceiling); ``price_low_any`` .. ``price_high_any``: the same
    with the other prices free (LP; infinite when another exchange can make up).

    Returns the table and a dict ``{"after": company -> margin after transfers, ...}``.
    """
    from scipy.optimize import linprog
    park = company_margins(case, result, company)
    names = sorted(set(company.values()))
    for c in names:
        park.setdefault(c, 0.0)
    ex = result.exchanges
    rows = [r for r in ex.itertuples() if company[r.source] != company[r.target] and r.flow > EPS]
    n = len(rows)
    idx = {c: j for j, c in enumerate(names)}
    # net payment into each company: +P on exchanges it sends, -P on those it receives
    B = np.zeros((len(names), n))
    for k, r in enumerate(rows):
        B[idx[company[r.source]], k] += 1.0
        B[idx[company[r.target]], k] -= 1.0
    base = np.array([park[c] - alone.get(c, 0.0) for c in names]) * _M  # gain before transfers
    # targets: equal split of each trading group's gain
    if targets is None:
        targets = {}
        adj: dict[str, set] = {c: set() for c in names}
        for r in rows:
            adj[company[r.source]].add(company[r.target])
            adj[company[r.target]].add(company[r.source])
        seen = set()
        for c in names:
            if c in seen:
                continue
            part, todo = {c}, [c]
            while todo:
                d = todo.pop()
                for e in adj[d] - part:
                    part.add(e)
                    todo.append(e)
            seen |= part
            g = sum(park[d] - alone.get(d, 0.0) for d in part)
            for d in part:
                targets[d] = g / len(part)
    tgt = np.array([targets.get(c, 0.0) for c in names]) * _M
    flows = np.array([r.flow for r in rows])
    ref_unit = np.array([reference_price(case, r.material) for r in rows])
    ref = ref_unit * flows * _M  # the payment at the reference price
    lo_hi = [_price_bounds(case, r.material, bounds) for r in rows]
    p_bounds = [(None if math.isinf(lo) else lo * f * _M, None if math.isinf(hi) else hi * f * _M)
                for (lo, hi), f in zip(lo_hi, flows)]
    info = {"park": park, "targets": targets, "feasible": True}
    if n:
        # variables: P (n, free within bounds), |P - ref| (n), dev+ dev- (companies)
        nc = len(names)
        # a unit of money moved off the reference weighs less on an exchange of more value
        # (market value of the flow plus the link's cost): the split lands on the big flows
        value = np.abs(ref) + np.array([(r.transport_cost + r.fixed_cost) * _M for r in rows])
        floor = max(1e-3 * float(value.max()), 1e-12)
        weight = floor / np.maximum(value, floor)
        c = np.concatenate([np.zeros(n), weight, 1e3 * np.ones(2 * nc)])  # type: ignore[assignment]
        A_eq = np.hstack([B, np.zeros((nc, n)), -np.eye(nc), np.eye(nc)])
        b_eq = tgt - base
        A_ub = np.vstack([
            np.hstack([np.eye(n), -np.eye(n), np.zeros((n, 2 * nc))]),
            np.hstack([-np.eye(n), -np.eye(n), np.zeros((n, 2 * nc))]),
            np.hstack([-B, np.zeros((nc, n)), np.zeros((nc, 2 * nc))]),  # base + B P >= 0
        ])
        b_ub = np.concatenate([ref, -ref, base])
        bnds = p_bounds + [(0, None)] * n + [(0, None)] * (2 * nc)
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bnds, method="highs")
        if res.status != 0:
            # no price within the bounds leaves every company at its standalone margin
            info["feasible"] = False
            res = linprog(np.concatenate([np.zeros(n), np.ones(n), 1e3 * np.ones(2 * nc)]), A_ub=A_ub[:2 * n],
                          b_ub=b_ub[:2 * n], A_eq=A_eq, b_eq=b_eq, bounds=bnds, method="highs")
        P = res.x[:n]
    else:
        P = np.zeros(0)
    after_gain = base + B @ P
    info["after"] = {c: alone.get(c, 0.0) + after_gain[idx[c]] / _M for c in names}
    info["transfers"] = {c: float((B @ P)[idx[c]] / _M) for c in names}
    out = []
    for k, r in enumerate(rows):
        s, t = company[r.source], company[r.target]
        f = r.flow
        price = P[k] / _M / f
        surplus_s, surplus_t = after_gain[idx[s]] / _M, after_gain[idx[t]] / _M
        low, high = price - surplus_s / f, price + surplus_t / f
        lo_any, hi_any = _range_any(B, base, k, p_bounds)
        lo_b, hi_b = lo_hi[k]
        out.append({"source": r.source, "target": r.target, "material": r.material, "unit": r.unit,
                    "sender": s, "receiver": t, "flow": f, "reference_price": ref_unit[k], "price": price,
                    "payment": P[k] / _M,
                    "needs_price": abs(P[k] / _M) > 1e-3 * max(1.0, abs(price) * f) and abs(P[k]) > 1e-9,
                    "price_low": max(low, lo_b), "price_high": min(high, hi_b),
                    "price_low_any": lo_any / _M / f if math.isfinite(lo_any) else -math.inf,
                    "price_high_any": hi_any / _M / f if math.isfinite(hi_any) else math.inf,
                    "bound_low": lo_b, "bound_high": hi_b,
                    "link_cost_paid_by_receiver": r.transport_cost + r.fixed_cost})
    cols = ["source", "target", "material", "unit", "sender", "receiver", "flow", "reference_price", "price", "payment",
            "needs_price", "price_low", "price_high", "price_low_any", "price_high_any", "bound_low", "bound_high",
            "link_cost_paid_by_receiver"]
    return pd.DataFrame(out, columns=cols), info


def _range_any(B, base, k, p_bounds) -> tuple[float, float]:
    """Lowest and highest P_k (scaled money) such that every company keeps its
    standalone margin, the other payments free within their bounds."""
    from scipy.optimize import linprog
    n = B.shape[1]
    out = []
    for sign in (1.0, -1.0):
        c = np.zeros(n)
        c[k] = sign
        res = linprog(c, A_ub=-B, b_ub=base, bounds=p_bounds, method="highs")
        if res.status == 3:
            out.append(-sign * math.inf)
        elif res.status == 0:
            out.append(float(res.x[k]))
        else:
            out.append(math.nan)
    return out[0], out[1]


# ====================================================================== fair design
def add_fairness(game: Game, alone: dict[str, float], bounds: dict | None = None, big_m: float | None = None):
    r"""Add to the game's model the constraints that no company ends below its standalone
    margin: payment variables :math:`P_x` (money per period, free in sign) on the
    exchanges between companies, :math:`-M z_x \le P_x \le M z_x`, and per company
    :math:`\text{margin}_c + \sum_{x\ \text{sent by}\ c} P_x - \sum_{x\ \text{received by}\ c} P_x
    \ge \text{alone}_c`, linear since payments, not prices, are the variables. Price
    bounds per unit :math:`l_m f_x \le P_x \le h_m f_x` are linear too. Removed by
    :func:`remove_fairness`."""
    pm, m = game.pm, game.pm.m
    remove_fairness(game)
    margins = margin_expressions(pm, game.company)
    idx = list(game.open_cross)
    if big_m is None:
        big_m = 2.0 * sum(abs(v) for v in alone.values()) + 1.0
    m.fair_X = pyo.Set(initialize=idx)
    m.fair_P = pyo.Var(m.fair_X, bounds=(-big_m * _M, big_m * _M))  # in M of money
    m.fair_up = pyo.Constraint(m.fair_X, rule=lambda _, i: m.fair_P[i] <= big_m * _M * m.z[i])
    m.fair_down = pyo.Constraint(m.fair_X, rule=lambda _, i: m.fair_P[i] >= -big_m * _M * m.z[i])
    ex = pm.exchanges

    def lo_rule(_, i):
        lo, _hi = _price_bounds(game.case, ex[i].material, bounds)
        return pyo.Constraint.Skip if math.isinf(lo) else m.fair_P[i] >= lo * _M * m.f[i]

    def hi_rule(_, i):
        _lo, hi = _price_bounds(game.case, ex[i].material, bounds)
        return pyo.Constraint.Skip if math.isinf(hi) else m.fair_P[i] <= hi * _M * m.f[i]

    m.fair_low = pyo.Constraint(m.fair_X, rule=lo_rule)
    m.fair_high = pyo.Constraint(m.fair_X, rule=hi_rule)

    def ir(_, c):
        pay = sum(m.fair_P[i] for i in idx if game.company[ex[i].source] == c) \
            - sum(m.fair_P[i] for i in idx if game.company[ex[i].target] == c)
        return _M * margins[c] + pay >= _M * alone[c] - 1e-6 * max(1.0, abs(alone[c]) * _M)

    m.fair_C = pyo.Set(initialize=game.names)
    m.fair_ir = pyo.Constraint(m.fair_C, rule=ir)


def remove_fairness(game: Game):
    m = game.pm.m
    for name in ("fair_ir", "fair_C", "fair_high", "fair_low", "fair_down", "fair_up", "fair_P", "fair_X"):
        if m.find_component(name) is not None:
            m.del_component(name)


# ====================================================================== the analysis
@dataclass
class Gains:
    """What :func:`gains` found. ``companies`` and ``transfer_prices`` are what
    companies.csv and transfer_prices.csv hold; ``summary`` the totals, the core check,
    the fairness cost and the timings (seconds per step)."""

    case_name: str
    companies: pd.DataFrame
    transfer_prices: pd.DataFrame
    summary: dict
    coalitions: pd.DataFrame | None = None
    park: Result | None = None
    standalone: Result | None = None
    fair: Result | None = None
    timings: dict = field(default_factory=dict)
    #: plant -> colour and legend label -> colour, by company (see :func:`company_colors`)
    colors: tuple[dict, dict] | None = None

    def write(self, out_dir, *, html: bool = False) -> list[Path]:
        """Write companies.csv, transfer_prices.csv, coalitions.csv (exact runs) and
        gains.json into ``out_dir``, whole or not at all; with ``html`` also network.html
        (the network chosen, plants coloured by company) and report.html (with the
        section "Who gains")."""
        def fill(tmp: Path):
            self.companies.to_csv(tmp / "companies.csv", index=False)
            self.transfer_prices.to_csv(tmp / "transfer_prices.csv", index=False)
            if self.coalitions is not None:
                self.coalitions.to_csv(tmp / "coalitions.csv", index=False)
            (tmp / "gains.json").write_text(json.dumps(self.summary, indent=2, default=_jsonable))
            if html:
                from symbiosis.views.network import network_html
                from symbiosis.views.report import report_html
                chosen = self.fair if self.fair is not None else self.park
                nodes, legend = self.colors or (None, None)
                net = network_html(chosen, tmp / "network.html", node_colors=nodes, node_legend=legend,
                                   node_legend_title=f"Plants by {self.summary.get('by', 'company')}")
                report_html(chosen, tmp / "report.html", network_page=net.read_text(encoding="utf-8"), gains=self)
        return write_whole(out_dir, fill)


def _jsonable(v):
    if isinstance(v, (np.floating, np.integer)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None if v != v else ("inf" if v > 0 else "-inf")
    if isinstance(v, (set, frozenset)):
        return sorted(v)
    return v


def gains(case: Case, *, by: str = "company", baseline: str = "alone", fair: bool = False, price_bounds: dict | None = None,
          rule: str = "equal", shapley: str = "auto", samples: int = 200, seed: int = 0,
          scheduler: str | None = None, exact_max: int = EXACT_MAX, time_limit: float | None = None,
          mip_gap: float | None = 1e-7, threads: int | None = None, model: ParkModel | None = None,
          out=None, html: bool = False) -> Gains:
    """Who gains from the park's cost-optimal network, and at what transfer prices.

    Parameters
    ----------
    by : group plants by ``"company"`` (default), ``"park"`` or ``"plant"``.
    baseline : ``"alone"`` (default: a company on its own trades with the market only) or
        ``"today"`` (the existing exchanges between companies stay open in every coalition,
        at today's price, taken as zero; the gain is then that of the new exchanges).
    fair : also design the network with the fairness constraints (:func:`add_fairness`),
        and report prices and margins for that network and what fairness costs.
    price_bounds : per-unit bounds of the transfer prices, material -> (low, high), ``"*"``
        for all; e.g. ``{"*": (0, None)}``: no gate fees.
    rule : default split of the gain: ``"equal"`` (each group of trading companies splits
        its gain equally) or ``"shapley"`` (each company its Shapley share).
    shapley : ``"auto"`` (exact up to ``exact_max`` players, sampled beyond), ``"exact"``,
        ``"sampled"`` or ``"none"``; ``samples``, ``seed``, ``scheduler``: see
        :func:`shapley_sampled`.
    mip_gap : relative gap of each solve; tighter than the case's default because the
        park's objective holds the large fixed costs of its existing plants.
    out : write companies.csv, transfer_prices.csv, coalitions.csv and gains.json here;
        with ``html`` also network.html (plants coloured by company) and report.html.
    """
    if rule not in ("equal", "shapley"):
        raise ValueError(f"unknown rule {rule!r}; use 'equal' or 'shapley'")
    if shapley not in ("auto", "exact", "sampled", "none"):
        raise ValueError(f"unknown shapley {shapley!r}; use auto, exact, sampled or none")
    timings = {}
    t0 = time.perf_counter()
    game = Game(case, by, time_limit=time_limit, mip_gap=mip_gap, threads=threads, model=model, baseline=baseline)
    timings["build"] = time.perf_counter() - t0
    names = game.names

    t0 = time.perf_counter()
    standalone = game.solve(frozenset())
    alone = company_margins(case, standalone, game.company)
    game._cache[frozenset()] = sum(alone.values())
    timings["standalone"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    park = game.solve(None)
    park_margin = company_margins(case, park, game.company)
    game._cache[frozenset(game.players)] = sum(park_margin.values())
    timings["park"] = time.perf_counter() - t0
    total_alone, total_park = sum(alone.values()), sum(park_margin.values())

    # ---------------------------------------------------------------- Shapley
    t0 = time.perf_counter()
    n = len(game.players)
    method = shapley
    if method == "auto":
        method = "exact" if n <= exact_max else "sampled"
    phi: dict = {}
    ci: dict = {}
    coalitions, core, sampled = None, None, None
    if method == "exact":
        phi, all_gains = shapley_exact(game)
        core = core_check(game.players, all_gains, phi)
        coalitions = pd.DataFrame([{"coalition": "; ".join(sorted(s)), "size": len(s), "gain": g,
                                    "shapley_share": sum(phi[i] for i in s), "excess": g - sum(phi[i] for i in s)}
                                   for s, g in sorted(all_gains.items(), key=lambda kv: (len(kv[0]), sorted(kv[0])))])
    elif method == "sampled":
        solver = {"time_limit": time_limit, "mip_gap": mip_gap, "threads": threads}
        sampled = shapley_sampled(game, samples, seed=seed, scheduler=scheduler, solver=solver)
        phi, ci = sampled["shapley"], sampled["ci"]
    timings["shapley"] = time.perf_counter() - t0

    # ---------------------------------------------------------------- prices
    t0 = time.perf_counter()
    targets = None
    if rule == "shapley":
        if not phi:
            raise ValueError("rule 'shapley' needs Shapley values (shapley='none' given)")
        targets = {c: phi.get(c, 0.0) for c in names}
    prices, pinfo = transfer_prices(case, park, game.company, alone, targets, price_bounds)
    timings["prices"] = time.perf_counter() - t0

    # ---------------------------------------------------------------- fair design
    fair_result, fair_info = None, {}
    chosen_margin, chosen_info = park_margin, pinfo
    if fair:
        t0 = time.perf_counter()
        add_fairness(game, alone, price_bounds)
        try:
            fair_result = game.solve(None)
        finally:
            remove_fairness(game)
        fair_margin = company_margins(case, fair_result, game.company)
        total_fair = sum(fair_margin.values())
        prices, finfo = transfer_prices(case, fair_result, game.company, alone, targets, price_bounds)
        chosen_margin, chosen_info = fair_margin, finfo
        changed = sorted(set(_network(park)) ^ set(_network(fair_result)))
        gap = (mip_gap if mip_gap is not None else case.settings.mip_gap) * abs(total_park) + 1.0
        fair_info = {"park_margin_fair": total_fair, "fairness_cost": total_park - total_fair,
                     "within_gap": abs(total_park - total_fair) <= gap, "gap_money": gap,
                     "network_changes": changed, "prices_feasible": finfo["feasible"]}
        timings["fair"] = time.perf_counter() - t0

    # ---------------------------------------------------------------- tables
    plants_of: dict[str, list[str]] = {}
    for p, c in game.company.items():
        plants_of.setdefault(c, []).append(p)
    rows = []
    for c in names:
        a, before, after = alone.get(c, 0.0), chosen_margin.get(c, 0.0), chosen_info["after"][c]
        rows.append({"company": c, "plants": "; ".join(plants_of[c]), "player": c in game.players,
                     "standalone_margin": a, "park_margin_before_transfers": before,
                     "transfers": chosen_info["transfers"][c], "park_margin_after_transfers": after,
                     "gain": after - a, "gain_before_transfers": before - a,
                     "shapley": phi.get(c, 0.0) if method != "none" else math.nan,
                     "shapley_ci95": ci.get(c, 0.0) if method == "sampled" else 0.0})
    companies = pd.DataFrame(rows)
    summary = {
        "case": case.name, "by": by, "baseline": baseline, "companies": len(names), "players": game.players,
        "standalone_total": total_alone, "park_total": total_park, "gain": total_park - total_alone,
        "shapley_method": method, "shapley_sum": float(sum(phi.values())) if phi else None,
        "sampled": {k: v for k, v in (sampled or {}).items() if k in ("samples", "solves")} or None,
        "core": core, "rule": rule, "price_bounds": price_bounds, "prices_feasible": chosen_info["feasible"],
        "exchanges_needing_a_price": [f"{r.source}->{r.target}:{r.material}" for r in prices.itertuples()
                                      if r.needs_price],
        "coupled_markets": game.coupled, "fair": fair_info or None, "solves": game.solves,
        "solve_seconds": game.solve_seconds, "timings_s": timings,
        "notes": ["margin = revenue - costs of the company's plants; the receiver pays the link's transport "
                  "and fixed cost; a transfer price moves money from receiver to sender",
                  "cost objective; the case's limits are not applied (they bind the park, not a company)"],
    }
    g = Gains(case.name, companies, prices, summary, coalitions, park, standalone, fair_result, timings,
              colors=company_colors(case, by))
    if out is not None:
        g.write(out, html=html)
    return g


def _network(result: Result) -> list[str]:
    ex = [f"{r.source}->{r.target}:{r.material}" for r in result.chosen_exchanges.itertuples()]
    plants = [f"build {r.plant}" for r in result.built_plants.itertuples()]
    return ex + plants
