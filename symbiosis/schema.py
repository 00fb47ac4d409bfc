"""The case format as pydantic models: the one place that defines each field.

These models describe the files as written (quantities are still text such as
``"300 kt/yr"``); :mod:`symbiosis.io` checks the references and units and turns them
into the domain objects of :mod:`symbiosis.case`. ``symbiosis schema`` prints the JSON
Schema generated from here.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema


def _quantity_text(v: Any) -> Any:
    import math
    import reprlib
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise ValueError(f"expected a quantity such as '300 kt/yr' (a number and a unit), got {reprlib.repr(v)}")
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"{v!r} is not a finite number; write a number and a unit such as '300 kt/yr'")
    if isinstance(v, int) and abs(v) > 10 ** 18:
        raise ValueError(f"{reprlib.repr(v)} is too large to be a park's figure")
    return v


_Q_SCHEMA = {"anyOf": [{"type": "string"}, {"type": "number"}],
             "description": "A quantity: a number and a unit in one string, e.g. '300 kt/yr', '0.45 CNY/t/km'."}
Q = Annotated[Any, BeforeValidator(_quantity_text), WithJsonSchema(_Q_SCHEMA)]
Share = Annotated[Any, BeforeValidator(_quantity_text), WithJsonSchema(
    {"anyOf": [{"type": "string"}, {"type": "number"}],
     "description": "A fraction 0..1, or a percentage such as '68 %'."})]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class Sourced(_Strict):
    """Provenance every number in models/ and cases/ carries."""

    source: str | None = Field(None, description="Where the number comes from: paper, handbook, "
                               "or the stoichiometry it follows from.")
    estimate: bool = Field(False, description="True when the number is an estimate; say why in `source` or `note`.")
    note: str | None = Field(None, description="Reasoning, caveats, ranges.")


class SourcedValue(Sourced):
    value: Q = Field(description="The quantity.")


def _sourced_or_quantity(v: Any) -> Any:
    if isinstance(v, dict):
        return SourcedValue.model_validate(v)
    return _quantity_text(v)


SQ = Annotated[Any, BeforeValidator(_sourced_or_quantity), WithJsonSchema(
    {"anyOf": [_Q_SCHEMA, {"type": "object", "required": ["value"], "additionalProperties": False,
                           "properties": {"value": _Q_SCHEMA, "source": {"type": "string"},
                                          "estimate": {"type": "boolean"}, "note": {"type": "string"}}}]})]


class Option(Sourced):
    """One material that may fill an input slot."""

    equivalence: Q = Field(1.0, description="Slot units met by one unit of this material "
                                           "(e.g. 1.37 t limestone-equivalent per t of dry carbide slag).")
    max_share: Share = Field(1.0, description="Largest share of the slot this material may fill.")
    co2: Q | None = Field(None, description="Direct CO2 released per unit of this material used "
                          "(e.g. '0.44 t/t' for limestone calcined in a kiln).")


class Flow(Sourced):
    """An input or output per unit of activity. With `options` an input is a slot that
    several materials may fill."""

    amount: Q = Field(description="Quantity per one unit of activity, in a unit of the material's dimension "
                      "(for a slot: of the first option's dimension).")
    options: dict[str, Option] | None = Field(None, description="For an input slot: the materials that may fill it.")


class Balance(_Strict):
    """How the process's mass balance is meant to close (checked by the test suite)."""

    basis: Literal["mass", "none"] = "mass"
    tolerance: float = Field(0.05, description="Allowed relative gap between mass in and mass out.")
    note: str | None = Field(None, description="What is not tracked (air, water, CO2) and so explains the gap.")
    estimate: bool = Field(False, description="True when the untracked terms or the note rest on estimates.")
    untracked: dict[str, Q] = Field(default_factory=dict, description="Masses per unit of activity that cross "
                                    "the process boundary untracked, with the first option of every slot: "
                                    "positive enters (air O2, slaking water), negative leaves (flue-gas water, "
                                    "vapour, off-gas), e.g. {air O2 for the fuel: '0.23 t'}; each derived in "
                                    "`note`. The check closes in + untracked against out + CO2 within `tolerance`.")
    by_option: dict[str, dict[str, Q]] = Field(default_factory=dict, description="'slot.option': the untracked "
                                               "masses when that option fills the whole slot, replacing the "
                                               "same-named terms of `untracked` (a new name counts 0 with the "
                                               "first option); mixed linearly at a partial share.")


class ProcessSpec(Sourced):
    name: str | None = Field(None, description="Readable name.")
    sector: str = Field("other", description="Sector, used for colours and grouping: power, chemicals, "
                        "building_materials, coal, coking, metals, waste, other.")
    activity: str = Field(description="Unit of activity, e.g. 't' for a tonne of product or 'MWh'.")
    product: str | None = Field(None, description="Main product material (its output is the activity).")
    inputs: dict[str, Flow] = Field(default_factory=dict)
    outputs: dict[str, Flow] = Field(default_factory=dict)
    operating_cost: SQ | None = Field(None, description="Operating cost per unit of activity, "
                                                    "excluding the inputs the model buys, e.g. '120 CNY/t'.")
    co2: SQ | None = Field(None, description="Direct CO2 per unit of activity, e.g. '0.85 t/t'.")
    balance: Balance | None = None


class MaterialSpec(Sourced):
    name: str | None = Field(None, description="Readable name.")
    kind: Literal["raw", "product", "intermediate", "byproduct", "energy", "utility"] | None = Field(
        None, description="raw (bought), product, intermediate, byproduct (reused or disposed), energy, utility.")
    unit: str | None = Field(None, description="Unit flows of the material are counted in: t, MWh, Nm3, GJ.")
    price: Q | None = Field(None, description="Purchase price; if given, plants may buy the material.")
    sale_price: Q | None = Field(None, description="Sale price; if given, plants may sell the material.")
    disposal_cost: Q | None = Field(None, description="Cost of disposal (landfill, flare); if given, "
                                    "plants may dispose of the material.")
    max_purchase: Q | None = Field(None, description="Most the park may buy per period.")
    max_sale: Q | None = Field(None, description="Most the park may sell per period.")
    min_sale: Q | None = Field(None, description="Demand the park must meet per period.")
    co2_per_unit: Q | None = Field(None, description="Embodied CO2 of a purchased unit, e.g. '0.58 t/MWh'.")
    excess: Literal["dispose", "forbid"] | None = Field(
        None, description="What becomes of what plants make beyond what other plants take and the market buys: "
        "'dispose' (at disposal_cost, which must be given) or 'forbid' (every unit made must be used or sold, so "
        "a plant runs only as far as its output has a taker). Default: dispose where a disposal_cost is given, "
        "else forbid; `symbiosis validate` names the materials left to that default.")
    reuse_weight: float | None = Field(None, description="Weight of one unit reused in the reuse objective. "
                                       "Default 1 per tonne for by-products counted in mass; by-products in "
                                       "energy or gas units must state it (0 leaves them out).")
    transport_cost: Q | None = Field(None, description="Cost per unit per km, overriding settings.transport_cost.")
    max_distance: Q | None = Field(None, description="Longest exchange of this material (steam, gas: short).")
    mode: str | None = Field(None, description="Default transport mode of this material's exchanges, one of "
                             "settings.transport_modes (truck, rail, pipeline, conveyor); a material's own "
                             "transport_cost takes precedence.")


class SizeSpec(_Strict):
    capacity: Q = Field(description="Capacity of this size option, e.g. '0.5 Mt/yr'.")
    capex: Q = Field("0 CNY", description="Investment for this size, e.g. '260e6 CNY'.")


class PlantSpec(Sourced):
    name: str | None = Field(None, description="Readable name.")
    process: str = Field(description="Process id from the library or the case's own processes.")
    status: Literal["existing", "candidate"] = "existing"
    capacity: Q | None = Field(None, description="Most activity per period, e.g. '300 kt/yr', '4.2 TWh/yr'.")
    capex: Q | None = Field(None, description="Investment of a candidate with one size.")
    sizes: list[SizeSpec] | None = Field(None, description="Capacity options of a candidate (economies of scale).")
    output: Q | None = Field(None, description="Existing plants: activity per period they run at "
                             "(default: capacity).")
    load: tuple[Share, Share] | None = Field(None, description="Existing plants: allowed activity as "
                                             "fractions of capacity [min, max] instead of a fixed output.")
    min_load: Share = Field(0.0, description="Candidates: least activity, as a fraction of capacity, once built.")
    can_close: bool = Field(False, description="Existing plants: the model may close the plant.")
    force: bool = Field(False, description="Candidates: must be built.")
    forbid: bool = Field(False, description="Candidates: must not be built.")
    life: Q | None = Field(None, description="Economic life for annualising capex (default settings.life).")
    fixed_cost: Q | None = Field(None, description="Fixed operating cost per period once built, e.g. '5e6 CNY/yr'.")
    location: tuple[float, float] | None = Field(None, description="[longitude, latitude] in degrees.")
    park: str | None = Field(None, description="The park or zone the plant belongs to.")
    sector: str | None = Field(None, description="Overrides the process's sector.")
    company: str | None = Field(None, description="The company that owns (or would build) the plant, as the "
                                "sources name it; default: a company of its own (see symbiosis gains).")


class ExchangeSpec(Sourced):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)
    sender: str = Field(alias="from", description="Plant that sends the material.")
    receiver: str = Field(alias="to", description="Plant that receives it.")
    material: str
    existing: bool = Field(False, description="The exchange runs today (part of the status quo).")
    force: bool = Field(False, description="The exchange must be opened.")
    forbid: bool = Field(False, description="The exchange must not be opened.")
    max: Q | None = Field(None, description="Most flow per period.")
    min: Q | None = Field(None, description="Least flow per period once opened.")
    fixed_cost: Q | None = Field(None, description="Cost per period of an opened link, e.g. '2e6 CNY/yr'.")
    capex: Q | None = Field(None, description="Investment of the link (pipeline, conveyor), annualised like plants.")
    distance: Q | None = Field(None, description="Transport distance; default from the plants' locations.")
    transport_cost: Q | None = Field(None, description="Cost per unit per km on this link.")
    mode: str | None = Field(None, description="Transport mode of this link, one of settings.transport_modes "
                             "(truck, rail, pipeline, conveyor); its cost per t/km applies unless the link "
                             "states transport_cost. Default: the material's mode.")


class DistanceSpec(_Strict):
    """One entry of the case's distance table (road or rail distance between two plants)."""

    source: str = Field(alias="from", description="A plant.")
    target: str = Field(alias="to", description="Another plant; the distance holds both ways.")
    km: Q = Field(description="Distance: a number of km, or a quantity such as '12 km'. Used as is "
                  "(no detour factor); it overrides the distance from the plants' coordinates.")
    note: str | None = Field(None, description="Route, source of the figure.")


class LimitsSpec(_Strict):
    """Limits every solve of the case respects (budgets, caps and policy floors).

    The command line (``--limit capex=5e8``) and Python (``limits={...}``) add to these
    or replace them key by key."""

    capex: Q | None = Field(None, description="Capex budget: most total investment in new plants, e.g. '500e6 CNY'.")
    new_plants: int | None = Field(None, description="Most candidate plants built.")
    co2: Q | None = Field(None, description="CO2 cap of the park, e.g. '2 Mt/yr'.")
    disposal: Q | None = Field(None, description="Landfill cap: most by-product disposed of, e.g. '100 kt/yr' "
                               "(in reuse-weighted tonnes).")
    cost: Q | None = Field(None, description="Most annualised cost, e.g. '-300e6 CNY/yr' (a profit of at least 300 M).")
    min_reuse: Q | None = Field(None, description="Least by-product reused, e.g. '300 kt/yr'.")
    min_reuse_rate: Share | None = Field(None, description="Least overall reuse rate (reused / generated "
                                         "by-product), e.g. '60 %'.")
    material_reuse_rate: dict[str, Share] = Field(
        default_factory=dict, description="Least reuse rate per by-product, sent through exchanges over what the "
        "park generates (policy floors such as a fly-ash utilisation target), e.g. {fly_ash: '70 %'}.")


class SettingsSpec(_Strict):
    max_distance: Q | None = Field(None, description="Longest exchange generated automatically, e.g. '60 km'.")
    transport_cost: Q = Field("0.45 CNY/t/km", description="Default transport cost of mass by-products "
                              "(truck, at least 0.4 CNY/t/km in China).")
    exchange_fixed_cost: Q = Field("0 CNY/yr", description="Default cost per period of an opened exchange.")
    detour_factor: float = Field(1.3, ge=1.0, description="Road distance over great-circle distance (>= 1).")
    discount_rate: float = Field(0.08, description="For annualising capex.")
    life: Q = Field("20 yr", description="Default economic life of candidate plants and links.")
    generate_candidates: bool = Field(True, description="Generate candidate exchanges by material match.")
    objective: Literal["reuse", "cost", "reuse-then-cost"] = "reuse-then-cost"
    reuse_basis: Literal["net", "gross"] = Field("net", description="The reuse objective: 'net' counts "
                                                 "by-product reused minus what plants the model adds (or runs "
                                                 "harder) generate, so making by-product to reuse it earns "
                                                 "nothing; 'gross' counts every tonne exchanged.")
    reuse_tolerance: float = Field(0.0, ge=0.0, lt=1.0, description="reuse-then-cost: share of the best reuse the cheapest "
                                   "network may give up.")
    carbon_price: Q = Field("0 CNY/t", description="Price of CO2 added to the cost.")
    transport_modes: dict[str, Q] = Field(default_factory=dict, description="Cost per t/km of each transport "
                                          "mode, e.g. {truck: '0.45 CNY/t/km', rail: '0.15 CNY/t/km', "
                                          "pipeline: '0.05 CNY/t/km', conveyor: '0.08 CNY/t/km'}. 'truck' "
                                          "defaults to transport_cost.")
    status_quo: bool = Field(False, description="Solve only today's park: existing plants and existing "
                             "exchanges (a scenario may set this).")
    time_limit: float = Field(60.0, gt=0, description="Solver time limit in seconds per solve.")
    mip_gap: float = Field(1e-4, ge=0, lt=1, description="Relative MIP gap at which the solver stops: "
                           "|objective - bound| / |objective|.")
    mip_abs_gap: Q = Field("0 CNY/yr", description="Absolute MIP gap in the objective's own unit at which the "
                           "solver stops (money per period for cost and profit, t for reuse, CO2 and disposal); "
                           "a plain number is taken in that unit. 0: only the relative gap stops the solver.")


class GroupCapSpec(Sourced):
    """A cap on a group of plants (symbiosis.policy): e.g. cement capacity replacement."""

    processes: list[str] = Field(default_factory=list, description="Plants running these processes are in the group.")
    plants: list[str] = Field(default_factory=list, description="Plants named into the group.")
    max: Q = Field(description="Most capacity (or output) of the group per period, e.g. '1.5 Mt/yr', or "
                   "'existing': the existing plants' capacity (no net new capacity).")
    basis: Literal["capacity", "output"] = Field("capacity", description="capacity: built sizes and open existing "
                                                 "plants; output: activity.")


class EnergyCapSpec(Sourced):
    """An energy-consumption cap on the plants of some parks, processes or named plants (symbiosis.policy):
    in tce per period for the group, or in tce per unit of product for each plant (a product standard)."""

    parks: list[str] = Field(default_factory=list, description="The parks (plant.park) it covers; empty: all plants.")
    processes: list[str] = Field(default_factory=list, description="Only plants running these processes "
                                 "(with plants: the union); empty: every plant of the parks.")
    plants: list[str] = Field(default_factory=list, description="Only these plants (with processes: the union).")
    max: Q = Field(description="Most comprehensive energy consumption per period, e.g. '30 Mtce/yr', or per "
                   "unit of each plant's activity (a product's energy standard), e.g. '150 kgce/t'.")


class MarketCapSpec(Sourced):
    """A regional demand cap: the market sales of some materials together (symbiosis.policy)."""

    materials: list[str] = Field(description="Materials whose market sales count against the cap (one unit).")
    max: Q = Field(description="Most sold per period, e.g. '500 kt/yr'.")


class PolicySpec(_Strict):
    """Policy limits as data (symbiosis.policy): group, energy and market caps, each named and sourced."""

    groups: dict[str, GroupCapSpec] = Field(default_factory=dict, description="Activity-group caps by rule name.")
    energy_factors: dict[str, SQ] = Field(default_factory=dict, description="tce per unit of each energy "
                                          "material, e.g. {coal: '0.7143 tce/t', electricity: '0.1229 tce/MWh'}.")
    energy: dict[str, EnergyCapSpec] = Field(default_factory=dict, description="Energy caps by rule name.")
    markets: dict[str, MarketCapSpec] = Field(default_factory=dict, description="Regional demand caps on the "
                                              "market sales of groups of materials, by rule name.")
    primary: list[str] = Field(default_factory=lambda: ["coal"], description="Sectors whose energy outputs are "
                               "production (mines), not conversion: not credited against their inputs.")


class UnitsSpec(_Strict):
    money: str = Field("CNY", description="The case's currency: CNY (also yuan, RMB) or any three-letter code "
                       "(EUR, DKK, ...). Labels, reports and workbooks use it.")
    period: str = Field("yr", description="The period flows and costs are counted per (yr, month, d, h); capex "
                        "is annualised and then converted to it.")
    distance: str = "km"
    exchange_rates: dict[str, str | float] = Field(
        default_factory=dict, description="Value of one unit of another currency in the case's money, to read "
        "figures written in it (the shipped library is in CNY), e.g. {CNY: '0.128 EUR'}.")


class PeriodSpec(Sourced):
    """One planning period (a five-year plan): its start year, length and what changes in it."""

    name: str | None = Field(None, description="Name of the period, e.g. '14th FYP'; default its start year.")
    start: int = Field(description="First year of the period, e.g. 2021.")
    years: int = Field(description="Length in years, e.g. 5; periods follow one another without gaps.")
    changes: dict[str, Any] = Field(default_factory=dict, description="What differs from the case in this "
                                    "period, written like a scenario (nested, merged over the case) or as "
                                    "dotted entries: {'materials.coal.price': '700 CNY/t', "
                                    "'plants.mine.capacity': '120 Mt/yr', 'limits.min_reuse_rate': '60 %', "
                                    "'limits.capex': '2e9 CNY' (investment in the period), "
                                    "'settings.discount_rate': 0.06}.")


class CaseSpec(_Strict):
    """A park case file."""

    name: str = Field(description="Name of the park.")
    description: str | None = None
    extends: str | None = Field(None, description="Another case file (relative to this one) that this file "
                                "is merged over, as a scenario is: e.g. a phased plan of a shipped case.")
    library: str | list[str] | None = Field(None, description="Process library folder(s), relative to the "
                                            "case file; default: the shipped models/.")
    units: UnitsSpec = Field(default_factory=UnitsSpec)  # type: ignore[arg-type]
    materials: dict[str, MaterialSpec] = Field(default_factory=dict,
                                               description="New materials, or fields overriding the library's.")
    processes: dict[str, ProcessSpec] = Field(default_factory=dict, description="Processes local to the case.")
    plants: dict[str, PlantSpec]
    exchanges: list[ExchangeSpec] = Field(default_factory=list)
    distances: list[DistanceSpec] = Field(default_factory=list, description="Distance table: "
                                          "[{from, to, km}], overriding coordinates for these pairs.")
    limits: LimitsSpec = Field(default_factory=LimitsSpec, description="Budgets, caps and policy floors.")  # type: ignore[arg-type]
    policy: PolicySpec = Field(default_factory=PolicySpec, description="Policy rules as data: group caps "
                               "(capacity replacement) and energy caps (symbiosis.policy).")
    settings: SettingsSpec = Field(default_factory=SettingsSpec)  # type: ignore[arg-type]
    scenarios: dict[str, dict] | None = Field(None, description="Named overrides of this case "
                                              "(merged over it), for compare.")
    periods: list[PeriodSpec] | None = Field(None, description="Planning periods (five-year plans) for "
                                             "symbiosis phased: which plants and exchanges open when.")


class LibraryFile(_Strict):
    """A file of the process library (models/*.yaml)."""

    description: str | None = None
    materials: dict[str, MaterialSpec] = Field(default_factory=dict)
    processes: dict[str, ProcessSpec] = Field(default_factory=dict)
