"""Results as tidy pandas tables keyed by names, and the KPIs a park engineer reads.

A :class:`Result` is made from a case and one solution; it holds no Pyomo object, so it
can be pickled, written, compared and drawn. Views and reports read only a Result.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from symbiosis.case import Case
from symbiosis.frames import rows as table_rows
from symbiosis.graph import Exchange
from symbiosis.hooks import provided
from symbiosis.outdir import OutputError, write_whole  # noqa: F401 - re-exported

EPS = 1e-6


@dataclass
class Result:
    """Tables of one solved network.

    Attributes
    ----------
    plants : one row per plant: built/open, size, capacity, activity, utilisation, capex.
    exchanges : one row per candidate exchange: chosen, flow, distance, costs.
    market : one row per plant and material traded with the market: purchase, sale, disposal.
    inputs : slot use: which material fills which input slot of which plant.
    materials : per material: generated, reused, sold, disposed, purchased, reuse rate.
    kpis : one row per KPI with value and unit (``result.kpi("reuse_rate")``).
    solver : status, objective, bound, gap, solve time; ``timings``: seconds per phase.
    """

    case_name: str
    objective: str
    plants: pd.DataFrame
    exchanges: pd.DataFrame
    market: pd.DataFrame
    inputs: pd.DataFrame
    materials: pd.DataFrame
    kpis: pd.DataFrame
    solver: dict
    timings: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def kpi(self, name: str) -> float:
        return float(self.kpis.loc[name, "value"])

    @property
    def chosen_exchanges(self) -> pd.DataFrame:
        return self.exchanges[self.exchanges["chosen"]]

    @property
    def built_plants(self) -> pd.DataFrame:
        return self.plants[(self.plants["status"] == "candidate") & self.plants["built"]]

    def summary(self) -> dict:
        """KPIs and solver figures as a plain dict (what summary.json holds)."""
        return {
            "case": self.case_name, "objective": self.objective,
            "solver": self.solver, "timings_s": self.timings,
            "kpis": {k: {"value": _jsonable(r["value"]), "unit": r["unit"]} for k, r in self.kpis.iterrows()},
            "built_plants": self.built_plants["plant"].tolist(),
            "chosen_exchanges": [f"{r.source}->{r.target}:{r.material}" for r in table_rows(self.chosen_exchanges)],
            "materials": {r["material"]: {k: _jsonable(r[k]) for k in ("unit", "generated", "exchanged", "sold",
                                                                        "disposed", "reuse_rate", "utilisation_rate")}
                          for _, r in self.materials.iterrows() if r["kind"] == "byproduct"},
            **({"change_against_status_quo": self.meta["change_against_status_quo"]}
               if "change_against_status_quo" in self.meta else {}),
        }

    def compare(self, reference: "Result", names: tuple[str, str] = ("reference", "result")) -> pd.DataFrame:
        """KPIs of ``reference`` and this result side by side, with the change (this minus
        reference); see :func:`symbiosis.comparison.compare_results`."""
        from symbiosis.comparison import compare_results
        return compare_results(reference, self, names)

    def to_excel(self, path: str | os.PathLike, status_quo: "Result | None" = None) -> Path:
        """Write ``path`` (.xlsx): sheets KPIs (with ``status_quo``: both and the change),
        plants, exchanges, market, materials, inputs, solver; whole or not at all."""
        from symbiosis.excel import write_results_workbook
        if Path(path).suffix.lower() != ".xlsx":
            raise ValueError(f"{path}: a results workbook must end in .xlsx")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return write_results_workbook(self, path, status_quo=status_quo)

    def to_html(self, path: str | os.PathLike, **kw) -> Path:
        """Write the interactive network view (self-contained HTML):
        :func:`symbiosis.views.network_html` (a hook: results import no view, see
        :mod:`symbiosis.hooks`)."""
        return provided("Result.to_html")(self, path, **kw)

    def write(self, out_dir: str | os.PathLike, *, html: bool = True, extra=None,
              parquet: bool | None = None) -> list[Path]:
        """Write the tables as CSV, summary.json and (by default) network.html into
        ``out_dir``, whole or not at all (see :func:`write_whole`); ``extra(folder)`` may
        add files (views, workbooks) to the same folder before it is moved in.

        ``parquet``: also write each table as ``name.parquet`` (typed, compressed, read
        back in a fraction of the CSV's time; needs pyarrow, ``pip install
        symbiosis[parquet]``): True for every table, None (default) for the tables of more
        than ``PARQUET_OVER`` rows when pyarrow is installed, False for none."""
        need_parquet(parquet)

        def fill(tmp: Path):
            for name in ("plants", "exchanges", "market", "inputs", "materials"):
                write_table(tmp, name, getattr(self, name), parquet)
            self.kpis.reset_index().to_csv(tmp / "kpis.csv", index=False)
            (tmp / "summary.json").write_text(json.dumps(self.summary(), indent=2, default=_jsonable))
            if html:
                self.to_html(tmp / "network.html")
            if extra is not None:
                extra(tmp)
        return write_whole(out_dir, fill)


PARQUET_OVER = 100_000  # rows of a table beyond which Result.write adds Parquet (when pyarrow is there)


def need_parquet(parquet: bool | None) -> None:
    """Refuse ``parquet=True`` before anything is written when pyarrow is missing."""
    if parquet and not parquet_available():
        raise RuntimeError("Parquet output needs pyarrow: pip install pyarrow (or symbiosis[parquet]); "
                           "the CSV tables are written without it")


def write_table(folder: Path, name: str, df, parquet: bool | None) -> None:
    """``name.csv`` and, by the rule of :meth:`Result.write` (``parquet``: True always,
    None over ``PARQUET_OVER`` rows when pyarrow is there), ``name.parquet``."""
    df.to_csv(folder / f"{name}.csv", index=False)
    if parquet or (parquet is None and len(df) > PARQUET_OVER and parquet_available()):
        df.to_parquet(folder / f"{name}.parquet", index=False)


def parquet_available() -> bool:
    """Whether pandas can write Parquet here (pyarrow installed)."""
    import importlib.util
    return importlib.util.find_spec("pyarrow") is not None


def _jsonable(v):
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


def make_result(case: Case, exchanges: list[Exchange], sol, timings: dict | None = None) -> Result:
    """Build the tables of a solution (``symbiosis.model.Solution``).

    The tables account for every KPI row by row (``tests/test_accounting.py``):
    capex = plants.capex + exchanges.capex; capex_annualised = plants.capex_annualised;
    operating_cost = plants.operating_cost; transport_and_link_cost = exchanges.cost
    (transport_cost + fixed_cost of every ``open`` link: one with flow, or without flow
    but with a fixed cost or capex paid);
    purchases, sales, disposal_cost = market.purchase_cost, sales_revenue, disposal_cost;
    co2 = plants.co2 + inputs.co2 + market.co2; annualised_cost = plants.annual_cost +
    exchanges.cost + market.annual_cost + inputs.annual_cost (the carbon price on each
    row's CO2 included); byproducts_generated, reused, sold, disposed = plants.byproducts_t,
    exchanges.reused_t, market.sold_t, market.disposed_t; reuse_objective =
    exchanges.reuse - plants.reuse_made; exchanges_open = exchanges.open.
    """
    import numpy as np
    mats = case.materials
    carbon = case.settings.carbon_price
    net = case.settings.reuse_basis == "net"

    def t_of(mn: str) -> float:  # tonnes per unit of a mass by-product, else 0
        m = mats[mn]
        return float(m.tonnes) if (m.is_byproduct and m.is_mass and m.tonnes) else 0.0
    # ---------------------------------------------------------------- plants
    rows = []
    for name, p in case.plants.items():
        proc = case.processes[p.process]
        act = sol.activity.get(name, 0.0)
        act = 0.0 if abs(act) < EPS else act
        built = sol.is_open.get(name, True)
        k = sol.size.get(name)
        # nameplate capacity (a candidate's size, an existing plant's stated capacity), apart
        # from the most the case lets it run (an existing plant's stated output)
        cap = p.sizes[k].capacity if (p.is_candidate and k is not None) else (
            (p.nameplate if p.nameplate is not None else p.capacity) if not p.is_candidate else 0.0)
        run_max = cap if p.is_candidate else p.activity_max
        capex = p.sizes[k].capex if (p.is_candidate and k is not None) else 0.0
        capex_a = capex * case.crf(p.life) if capex else 0.0
        opex = proc.operating_cost * act + (p.fixed_cost if built else 0.0)
        co2 = proc.co2 * act
        w_out = sum(mats[mn].reuse_weight * c for mn, c in proc.outputs.items() if mats[mn].is_byproduct)
        made = 0.0
        if net and w_out:
            if p.is_candidate:
                made = w_out * act
            elif p.can_close or p.activity_max > p.activity_min:
                made = w_out * (act - p.activity_min)
        rows.append({
            "plant": name, "label": p.label, "process": p.process, "sector": p.sector, "park": p.park,
            "company": p.company, "status": p.status, "built": bool(built), "size": (k if k is not None else pd.NA),
            "capacity": cap, "activity_max": run_max, "activity": act, "activity_unit": proc.activity_unit,
            "utilisation": act / cap if cap > 0 else 0.0,
            "capex": capex, "capex_annualised": capex_a, "operating_cost": opex, "co2": co2,
            "annual_cost": capex_a + opex + carbon * co2,
            "byproducts_t": sum(c * act * t_of(mn) for mn, c in proc.outputs.items()),
            "reuse_made": made,
            "lon": p.location[0] if p.location else None, "lat": p.location[1] if p.location else None,
        })
    plants = pd.DataFrame(rows)
    # ---------------------------------------------------------------- exchanges (vectorised)
    cols = ["source", "target", "material", "unit", "kind", "existing", "open", "chosen", "flow", "distance",
            "transport_cost", "fixed_cost", "cost", "capex", "reuse", "reused_t", "forced", "forbidden"]
    n = len(exchanges)
    ex = pd.DataFrame({
        "source": [x.source for x in exchanges], "target": [x.target for x in exchanges],
        "material": [x.material for x in exchanges],
        "existing": np.fromiter((x.existing for x in exchanges), bool, n),
        "distance": np.fromiter((x.distance for x in exchanges), float, n),
        "forced": np.fromiter((x.force for x in exchanges), bool, n),
        "forbidden": np.fromiter((x.forbid for x in exchanges), bool, n),
    })
    unit_cost = np.fromiter((x.transport_cost * x.distance for x in exchanges), float, n)
    fixed = np.fromiter((x.fixed_cost for x in exchanges), float, n)
    link_capex = np.fromiter((x.capex for x in exchanges), float, n)
    flow = np.fromiter((sol.flow.get(x.key, 0.0) for x in exchanges), float, n)
    flow[flow < EPS] = 0.0
    forced = ex["forced"].to_numpy()
    # open: the link carries flow or costs something (a link the solver left switched on
    # with neither flow nor cost changes nothing and is not reported open)
    opened = np.fromiter((bool(sol.opened.get(x.key, False)) for x in exchanges), bool, n) & (
        (flow > EPS) | (fixed > 0) | (link_capex > 0) | forced)
    used = sorted(set(ex["material"]))
    by_mat = {"unit": {mn: mats[mn].unit for mn in used}, "kind": {mn: mats[mn].kind for mn in used},
              "w": {mn: (mats[mn].reuse_weight if mats[mn].is_byproduct else 0.0) for mn in used},
              "t": {mn: t_of(mn) for mn in used}}
    ex["unit"] = ex["material"].map(by_mat["unit"])
    ex["kind"] = ex["material"].map(by_mat["kind"])
    ex["open"] = opened
    ex["chosen"] = opened & ((flow > EPS) | forced)
    ex["flow"] = flow
    ex["transport_cost"] = unit_cost * flow
    ex["fixed_cost"] = np.where(opened, fixed, 0.0)
    ex["cost"] = ex["transport_cost"] + ex["fixed_cost"]
    ex["capex"] = np.where(opened, link_capex, 0.0)
    ex["reuse"] = ex["material"].map(by_mat["w"]).to_numpy(float) * flow if n else 0.0
    ex["reused_t"] = ex["material"].map(by_mat["t"]).to_numpy(float) * flow if n else 0.0
    ex = ex.reindex(columns=cols)
    # ---------------------------------------------------------------- market
    keys = sorted(set(sol.purchase) | set(sol.sale) | set(sol.disposal))
    rows = []
    for p, mn in keys:
        b, q, d = sol.purchase.get((p, mn), 0.0), sol.sale.get((p, mn), 0.0), sol.disposal.get((p, mn), 0.0)
        b, q, d = (0.0 if v < EPS else v for v in (b, q, d))
        if b == q == d == 0.0:
            continue
        mat = mats[mn]
        buy, sell, dump = b * (mat.price or 0.0), q * (mat.sale_price or 0.0), d * (mat.disposal_cost or 0.0)
        co2 = mat.co2_per_unit * b
        rows.append({"plant": p, "material": mn, "unit": mat.unit, "kind": mat.kind, "purchase": b, "sale": q,
                     "disposal": d, "purchase_cost": buy, "sales_revenue": sell, "disposal_cost": dump, "co2": co2,
                     "annual_cost": buy - sell + dump + carbon * co2, "sold_t": q * t_of(mn),
                     "disposed_t": d * t_of(mn)})
    market = pd.DataFrame(rows, columns=["plant", "material", "unit", "kind", "purchase", "sale", "disposal",
                                         "purchase_cost", "sales_revenue", "disposal_cost", "co2", "annual_cost",
                                         "sold_t", "disposed_t"])
    # ---------------------------------------------------------------- slot use
    rows = []
    for (p, s, mn), v in sorted(sol.slot_use.items()):
        if v <= EPS:
            continue
        slot = next(x for x in case.process_of(p).slots if x.name == s)
        e, _h, c = slot.options[mn]
        sub = mats[mn].is_byproduct and not slot.is_plain
        e_ref, _, c_ref = next(iter(slot.options.values()))
        rows.append({"plant": p, "slot": s, "material": mn, "unit": mats[mn].unit, "amount": v, "co2": c * v,
                     "annual_cost": carbon * c * v, "avoided": e * v if sub else 0.0,
                     "co2_avoided": (e * v * c_ref / e_ref - c * v) if sub else 0.0})
    inputs = pd.DataFrame(rows, columns=["plant", "slot", "material", "unit", "amount", "co2", "annual_cost",
                                         "avoided", "co2_avoided"])
    # ---------------------------------------------------------------- per material
    act = dict(zip(plants["plant"], plants["activity"]))
    gen: dict[str, float] = {}
    for name, p in case.plants.items():
        for mn, coef in case.processes[p.process].outputs.items():
            gen[mn] = gen.get(mn, 0.0) + coef * act[name]
    chosen = ex[ex["flow"] > 0]
    reused = chosen.groupby("material")["flow"].sum().to_dict()
    sold = market.groupby("material")["sale"].sum().to_dict()
    disposed = market.groupby("material")["disposal"].sum().to_dict()
    bought = market.groupby("material")["purchase"].sum().to_dict()
    rows = []
    for mn in sorted(set(gen) | set(bought)):
        mat = mats[mn]
        g = gen.get(mn, 0.0)
        rows.append({"material": mn, "kind": mat.kind, "unit": mat.unit, "generated": g,
                     "exchanged": reused.get(mn, 0.0), "sold": sold.get(mn, 0.0), "disposed": disposed.get(mn, 0.0),
                     "purchased": bought.get(mn, 0.0),
                     "reuse_rate": reused.get(mn, 0.0) / g if g > EPS else None,
                     # utilisation: reused in the park or sold to an outside user
                     "utilisation_rate": (reused.get(mn, 0.0) + sold.get(mn, 0.0)) / g if g > EPS else None})
    materials = pd.DataFrame(rows, columns=["material", "kind", "unit", "generated", "exchanged", "sold", "disposed",
                                            "purchased", "reuse_rate", "utilisation_rate"])
    kpis = compute_kpis(case, plants, ex, market, inputs, materials, sol.info)
    solver = sol.info.as_dict()
    return Result(case_name=case.name, objective=sol.info.objective_name, plants=plants, exchanges=ex,
                  market=market, inputs=inputs, materials=materials, kpis=kpis, solver=solver,
                  timings=dict(timings or {}), units=dict(case.units))


def compute_kpis(case: Case, plants, ex, market, inputs, materials, info) -> pd.DataFrame:
    """KPIs recomputed from the tables (not read from the model's objective)."""
    from symbiosis.attribution import kpi_rows, margin_by_cause
    mats = case.materials
    money = case.units.get("money", "CNY")
    per = case.units.get("period", "yr")
    byp = materials[materials["kind"] == "byproduct"]
    in_mass = byp["material"].map(lambda mn: mats[mn].is_mass).astype(bool) if len(byp) else []
    mass_byp = byp[in_mass] if len(byp) else byp
    other_byp = byp[~in_mass] if len(byp) else byp  # type: ignore[operator]  # a Series where byp has rows
    t_per_unit = mass_byp["material"].map(lambda mn: mats[mn].tonnes) if len(mass_byp) else 0.0
    generated = float((mass_byp["generated"] * t_per_unit).sum()) if len(mass_byp) else 0.0
    reused = float((mass_byp["exchanged"] * t_per_unit).sum()) if len(mass_byp) else 0.0
    sold = float((mass_byp["sold"] * t_per_unit).sum()) if len(mass_byp) else 0.0
    disposed = float((mass_byp["disposed"] * t_per_unit).sum()) if len(mass_byp) else 0.0
    # virgin inputs avoided: slot units met by by-products, in the unit of the slot's first option
    avoided = 0.0
    for r in table_rows(inputs):
        if mats[r.material].is_byproduct:
            slot = next(s for s in case.process_of(r.plant).slots if s.name == r.slot)
            if not slot.is_plain:
                avoided += slot.options[r.material][0] * r.amount
    slot_co2 = 0.0
    co2_avoided = 0.0  # CO2 the reference (first) option would have released for the slot units by-products met
    for r in table_rows(inputs):
        slot = next(s for s in case.process_of(r.plant).slots if s.name == r.slot)
        e, _h, c = slot.options[r.material]
        slot_co2 += c * r.amount
        if mats[r.material].is_byproduct and not slot.is_plain:
            e_ref, _, c_ref = next(iter(slot.options.values()))
            co2_avoided += e * r.amount * c_ref / e_ref - c * r.amount
    co2 = float(plants["co2"].sum()) + slot_co2 + float(
        sum(mats[r.material].co2_per_unit * r.purchase for r in table_rows(market)))
    link_capex = float(ex["capex"].sum())
    capex = float(plants.loc[plants["built"] & (plants["status"] == "candidate"), "capex"].sum()) + link_capex
    annual_capex = float(plants["capex_annualised"].sum())
    opex = float(plants["operating_cost"].sum())
    transport = float(ex["cost"].sum())
    purchases = float(market["purchase_cost"].sum())
    revenue = float(market["sales_revenue"].sum())
    disp_cost = float(market["disposal_cost"].sum())
    carbon = case.settings.carbon_price * co2
    cost = annual_capex + opex + transport + purchases - revenue + disp_cost + carbon
    # the reuse the objective counts (settings.reuse_basis), recomputed from the tables
    act = dict(zip(plants["plant"], plants["activity"]))
    reuse_objective = float(sum(mats[r.material].reuse_weight * r.flow for r in table_rows(ex)
                                if mats[r.material].is_byproduct))
    if case.settings.reuse_basis == "net":
        for name, plant in case.plants.items():
            w_out = sum(mats[mn].reuse_weight * coef for mn, coef in case.process_of(name).outputs.items()
                        if mats[mn].is_byproduct)
            if plant.is_candidate:
                reuse_objective -= w_out * act[name]
            elif plant.can_close or plant.activity_max > plant.activity_min:
                reuse_objective -= w_out * (act[name] - plant.activity_min)
    rows = [
        ("byproducts_generated", generated, f"t/{per}"),
        ("byproducts_reused", reused, f"t/{per}"),
        ("byproducts_sold", sold, f"t/{per}"),
        ("byproducts_disposed", disposed, f"t/{per}"),
        ("reuse_rate", reused / generated if generated > EPS else 0.0, "fraction"),
        ("reuse_objective", reuse_objective, f"t-eq/{per} ({case.settings.reuse_basis})"),
        ("utilisation_rate", (reused + sold) / generated if generated > EPS else 0.0, "fraction"),
        ("virgin_inputs_avoided", avoided, f"t/{per} (slot units)"),
        ("co2", co2, f"t/{per}"),
        ("co2_avoided_by_substitution", co2_avoided, f"t/{per}"),
        ("capex", capex, money),
        ("capex_links", link_capex, money),
        ("capex_annualised", annual_capex, f"{money}/{per}"),
        ("operating_cost", opex, f"{money}/{per}"),
        ("transport_and_link_cost", transport, f"{money}/{per}"),
        ("purchases", purchases, f"{money}/{per}"),
        ("sales", revenue, f"{money}/{per}"),
        ("disposal_cost", disp_cost, f"{money}/{per}"),
        ("annualised_cost", cost, f"{money}/{per}"),
        ("profit", -cost, f"{money}/{per}"),
        # the margin (= profit) split by cause: symbiosis.attribution
        *kpi_rows(margin_by_cause(case, plants, ex, market, inputs), money, per),
        ("new_plants", int((plants["built"] & (plants["status"] == "candidate")).sum()), "count"),
        ("exchanges_open", int(ex["open"].sum() if "open" in ex else ex["chosen"].sum()), "count"),
    ]
    for r in table_rows(other_byp):
        rows.append((f"reused_{r.material}", r.exchanged, f"{r.unit}/{per}"))
        rows.append((f"generated_{r.material}", r.generated, f"{r.unit}/{per}"))
    for r in table_rows(byp):
        if r.reuse_rate is not None:
            rows.append((f"reuse_rate_{r.material}", r.reuse_rate, "fraction"))
            rows.append((f"utilisation_rate_{r.material}", r.utilisation_rate, "fraction"))
    df = pd.DataFrame(rows, columns=["kpi", "value", "unit"]).set_index("kpi")
    df["value"] = df["value"].astype(float)
    return df
