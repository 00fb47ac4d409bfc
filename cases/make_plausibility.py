"""Write the plausibility section of cases/README.md: for each shipped Chinese case, each
by-product's reuse (sent to a park plant) and utilisation (reused + sold) rate in the
status quo and the optimised network, beside published national or provincial figures,
with the reason where the case differs. tests/test_plausibility.py keeps each rate of the
optimised network inside the regression band stated here (the run +- 5 points).

    python cases/make_plausibility.py            # rewrite the section
    python cases/make_plausibility.py --check    # exit 1 if it is stale
"""
from __future__ import annotations

import sys
from pathlib import Path

import symbiosis
from symbiosis.io import load_case

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BEGIN, END = "<!-- plausibility:begin -->", "<!-- plausibility:end -->"
CASES = ["changzhi", "pingdingshan"]
BAND = 5.0  # percentage points either side of the run
MATERIALS = ["coal_gangue", "coal_slime", "fly_ash", "bottom_ash", "fgd_gypsum", "carbide_slag"]

NATIONAL = ("NDRC and nine departments, Guidance on the comprehensive utilisation of bulk solid waste in the "
            "14th Five-Year Plan (2021), reported by news.metal.com/newscontent/101429467 and enviliance.com")
PUBLISHED = {
    "coal_gangue": f"China 2019: 70 % ({NATIONAL}); Shanxi ~50 % of ~100 Mt/yr (ADB TA, process-data-sources.md)",
    "fly_ash": f"China 2019: 78 % ({NATIONAL}); 68 % in 2011 (NDRC on the 2013 fly-ash measures, steel-door-supplier.com/p-8085.html)",
    "fgd_gypsum": f"industrial by-product gypsum, China 2019: 70 % ({NATIONAL})",
    "carbide_slag": "~100 %, mainly to cement (China Chlor-Alkali Industry Association, via tusharmachinery.com; process-data-sources.md)",
    "bottom_ash": f"counted with fly ash as coal ash: 78 % (2019, {NATIONAL}); no separate figure found",
    "coal_slime": "no national figure found; counted with gangue as waste coal (70 %, 2019)",
}
WHY = {
    ("changzhi", "coal_gangue"): "the mines' 5.4 Mt/yr is more than Gaohe (30 % of its heat), Wuyang and backfill take; above Shanxi's ~50 % because the park has two waste-coal plants beside its mines",
    ("changzhi", "coal_slime"): "Gaohe burns slime for at most 60 % of its heat; the rest is sold (200 kt/yr cap) or dumped",
    ("changzhi", "fly_ash"): "below 78 %: Gaohe's USC ash, cement, blocks, ceramsite and backfill are full and the Changzhi ready-mix market is capped at 600 kt/yr",
    ("changzhi", "bottom_ash"): "backfill and blocks take it all once built; none today (as the case is written)",
    ("changzhi", "fgd_gypsum"): "below 70 %: the one plasterboard line (200 kt/yr) and cement retarder take what the capped markets allow",
    ("changzhi", "carbide_slag"): "as the national figure: all of it to the Lucheng kiln",
    ("pingdingshan", "coal_gangue"): "above 70 %: brick works and the CFB plant beside the mines take it all",
    ("pingdingshan", "coal_slime"): "far below: Yaomeng co-fires slime for at most 15 % of its heat and the CFB plant prefers gangue (more tonnes reused per unit of heat); the rest is dumped",
    ("pingdingshan", "fly_ash"): "above 78 %: cement, bricks, blocks, ceramsite and backfill, and 500 kt/yr sold to ready-mix (the cap)",
    ("pingdingshan", "bottom_ash"): "blocks and backfill take most of it once built",
    ("pingdingshan", "fgd_gypsum"): "near 70 %: cement retarder and blocks",
    ("pingdingshan", "carbide_slag"): "below ~100 %: the 0.6 Mt/yr cement line takes at most ~320 kt of the 534 kt in its raw meal and no new clinker may be built (capacity replacement, policy.groups.clinker); blocks take part of the rest",
}


def rates(result) -> dict[str, tuple[float, float]]:
    mats = result.materials.set_index("material")
    out = {}
    for m in MATERIALS:
        if m in mats.index and mats.loc[m, "generated"] > 0:
            row = mats.loc[m]
            out[m] = (100 * row["exchanged"] / row["generated"],
                      100 * (row["exchanged"] + row["sold"]) / row["generated"])
    return out


def section() -> str:
    lines = [BEGIN, "## Plausibility: by-product reuse and utilisation beside published figures", "",
             "Written by `make_plausibility.py` from fresh solves. Reuse = sent to a park plant; utilisation = "
             "reused + sold. The band is the regression band `tests/test_plausibility.py` holds the optimised "
             "network's two rates to (the run +- 5 points); the published figure is what a park engineer sets them "
             "beside.", "",
             "| case | by-product | status quo reuse / utilisation | optimised reuse / utilisation | band (reuse; utilisation) | published figure | why the case differs |",
             "|---|---|---|---|---|---|---|"]
    for name in CASES:
        case = load_case(HERE / f"{name}.yaml")
        sq, opt = rates(symbiosis.optimize(case, status_quo=True)), rates(symbiosis.optimize(case))
        for m in MATERIALS:
            if m not in opt:
                continue
            (sr, su), (r, u) = sq.get(m, (0.0, 0.0)), opt[m]
            band = (f"{max(0, r - BAND):.0f}-{min(100, r + BAND):.0f} %; "
                    f"{max(0, u - BAND):.0f}-{min(100, u + BAND):.0f} %")
            lines.append(f"| {name} | {m} | {sr:.1f} % / {su:.1f} % | {r:.1f} % / {u:.1f} % | {band} | "
                         f"{PUBLISHED[m]} | {WHY.get((name, m), '')} |")
    lines.append(END)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    new_section = section()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        new = head + new_section + tail
    else:
        new = text.rstrip("\n") + "\n\n" + new_section
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
