"""Write the plausibility section of cases/README.md: for each shipped Chinese case, each
by-product's reuse (sent to a park plant) and utilisation (reused + sold) rate in the
status quo and the optimised network, beside published national or provincial figures,
the band the case is held to and the reason where it differs. The figures, bands and
reasons are stated once, in cases/plausibility/bands.yaml; tests/test_plausibility.py reads the
same file (through this module) and keeps every run inside its band.

    python cases/make_plausibility.py            # rewrite the section
    python cases/make_plausibility.py --check    # exit 1 if it is stale
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

import symbiosis
from symbiosis.io import load_case

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BANDS = HERE / "plausibility" / "bands.yaml"
BEGIN, END = "<!-- plausibility:begin -->", "<!-- plausibility:end -->"
STATES = ("status_quo", "optimised")


def band(text) -> tuple[float, float]:
    """'50-100' -> (50.0, 100.0)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*", str(text))
    if not m or float(m.group(1)) > float(m.group(2)):
        raise ValueError(f"{BANDS.name}: band {text!r} is not 'lo-hi' (per cent, lo <= hi)")
    return float(m.group(1)), float(m.group(2))


def load_bands() -> dict:
    """The bands file, with every band parsed: data['cases'][case][material][state] ->
    {'reuse': (lo, hi), 'utilisation': (lo, hi)}."""
    data = yaml.safe_load(BANDS.read_text(encoding="utf-8"))
    for mats in data["cases"].values():
        for m, entry in mats.items():
            if m not in data["published"]:
                raise ValueError(f"{BANDS.name}: {m} has bands but no published figure")
            for s in STATES:
                entry[s] = {k: band(entry[s][k]) for k in ("reuse", "utilisation")}
    return data


def rates(result, materials) -> dict[str, tuple[float, float]]:
    """Reuse and utilisation (per cent) of each material the park generates."""
    mats = result.materials.set_index("material")
    out = {}
    for m in materials:
        if m in mats.index and mats.loc[m, "generated"] > 0:
            row = mats.loc[m]
            out[m] = (100 * row["exchanged"] / row["generated"],
                      100 * (row["exchanged"] + row["sold"]) / row["generated"])
    return out


def solve_all(data: dict) -> dict:
    """Fresh solves: {case: {state: {material: (reuse, utilisation)}}}."""
    out = {}
    for name, mats in data["cases"].items():
        out[name] = {}
        for s in STATES:
            how = dict(data["runs"][name][s])
            scenario = how.pop("scenario", None)
            case = load_case(HERE / f"{name}.yaml", scenario=scenario) if scenario else load_case(HERE / f"{name}.yaml")
            out[name][s] = rates(symbiosis.optimize(case, **how), mats)
    return out


def outside(data: dict, runs: dict) -> list[str]:
    """Every rate outside its band, in words (empty when all are inside)."""
    bad = []
    for name, mats in data["cases"].items():
        for m, entry in mats.items():
            for s in STATES:
                if m not in runs[name][s]:
                    continue  # the park generates none of it in this run
                for k, v in zip(("reuse", "utilisation"), runs[name][s][m]):
                    lo, hi = entry[s][k]
                    if not lo - 1e-6 <= v <= hi + 1e-6:
                        bad.append(f"{name} {s} {m} {k} {v:.1f} % outside {lo:g}-{hi:g} %")
    return bad


def _pair(r) -> str:
    return "-" if r is None else f"{r[0]:.1f} % / {r[1]:.1f} %"


def _band(b) -> str:
    return f"{b['reuse'][0]:g}-{b['reuse'][1]:g} %; {b['utilisation'][0]:g}-{b['utilisation'][1]:g} %"


def section(data: dict, runs: dict) -> str:
    src = data["sources"]

    def cite(text: str) -> str:
        return re.sub(r"\b(" + "|".join(map(re.escape, src)) + r")\b", lambda mt: src[mt.group(1)], text)

    lines = [BEGIN, "## Plausibility: by-product reuse and utilisation beside published figures", "",
             "Written by `make_plausibility.py` from fresh solves and `plausibility/bands.yaml`, the one place the "
             "published figures, bands and reasons are stated; `tests/test_plausibility.py` keeps every rate "
             "inside its band. Reuse = sent to a park plant; utilisation = reused + sold. Optimised is the "
             "case's optimised network (Liupanshui: the \"both\" scenario). A band that starts at 0 marks a gap "
             "of the case (no outlet written in yet), not a claim that the park reuses nothing.", "",
             "| case | by-product | status quo reuse / utilisation | optimised reuse / utilisation | band, status quo (reuse; utilisation) | band, optimised | published figure | why the case differs |",
             "|---|---|---|---|---|---|---|---|"]
    for name, mats in data["cases"].items():
        for m, entry in mats.items():
            sq, opt = runs[name]["status_quo"].get(m), runs[name]["optimised"].get(m)
            if sq is None and opt is None:
                continue
            lines.append(f"| {name} | {m} | {_pair(sq)} | {_pair(opt)} | {_band(entry['status_quo'])} | "
                         f"{_band(entry['optimised'])} | {cite(data['published'][m])} | {entry['why']} |")
    lines.append(END)
    return "\n".join(lines) + "\n"


def with_section(text: str, new_section: str) -> str:
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        return head + new_section + tail
    return text.rstrip("\n") + "\n\n" + new_section


def main(argv: list[str]) -> int:
    data = load_bands()
    runs = solve_all(data)
    text = README.read_text(encoding="utf-8")
    new = with_section(text, section(data, runs))
    bad = outside(data, runs)
    for b in bad:
        print(f"warning: {b}")
    if "--check" in argv:
        if new != text:
            print(f"{README}: the plausibility section is stale; run python cases/make_plausibility.py")
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    print(f"wrote the plausibility section of {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
