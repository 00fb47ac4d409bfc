"""What a solve is asked and what it returns: :class:`Options` (objective, limits and
solver settings), :class:`SolveInfo` (what the solver said) and :class:`Solution` (the
values of one solution, keyed by names, with no solver objects)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SolveInfo:
    """What the solver said: always reported beside a result."""

    status: str = "not solved"
    termination: str = ""
    objective_name: str = ""
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    solve_time: float = 0.0
    stages: list[dict] = field(default_factory=list)
    #: the objective recomputed from the case alone agrees with the solver's (see api.optimize)
    verified: bool | None = None
    #: what was done to get a trustworthy answer (re-solves, fallbacks), in plain words
    notes: list[str] = field(default_factory=list)
    #: the scale the objective had inside HiGHS (objective x scale), from the case's magnitudes
    objective_scale: float = 1.0

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("status", "termination", "objective_name", "objective", "bound",
                                             "gap", "solve_time", "stages", "verified", "notes")}


@dataclass
class Solution:
    """Raw values of one solution, keyed by names (no Pyomo objects)."""

    activity: dict[str, float]
    size: dict[str, int | None]          # candidate plant -> chosen size index, or None
    is_open: dict[str, bool]             # plant -> running (built / not closed)
    flow: dict[tuple, float]             # exchange key -> flow
    opened: dict[tuple, bool]            # exchange key -> open binary
    slot_use: dict[tuple, float]         # (plant, slot, material) -> units
    purchase: dict[tuple, float]
    sale: dict[tuple, float]
    disposal: dict[tuple, float]
    info: SolveInfo


@dataclass
class Options:
    """How to solve: objective, limits and solver settings."""

    objective: str | None = None          # default: the case's settings.objective
    weights: dict[str, float] | None = None   # objective "weighted": {"cost": 1, "co2": 50, ...}
    time_limit: float | None = None
    mip_gap: float | None = None
    #: absolute gap in the objective's own unit (money for cost, t for reuse); default the case's
    mip_abs_gap: float | None = None
    threads: int | None = None
    #: time.perf_counter() by which the whole solve (stages, polish, re-solves) must end
    deadline: float | None = None
    reuse_tolerance: float | None = None
    limits: dict[str, float] = field(default_factory=dict)
    status_quo: bool = False
    verbose: bool = False
