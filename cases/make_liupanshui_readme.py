"""Write the Liupanshui section of cases/README.md from a fresh solve of its scenarios.

Only the text between ``<!-- liupanshui:begin -->`` and ``<!-- liupanshui:end -->`` is
rewritten; the rest of the file belongs to the other cases' authors and is left as it
is. Without the markers, they are appended at the end (the file is created if need be).

    python cases/make_liupanshui_readme.py            # rewrite the section
    python cases/make_liupanshui_readme.py --check    # exit 1 if the section is stale
"""
from __future__ import annotations

import sys
from pathlib import Path

import symbiosis
from symbiosis.io import load_case
from symbiosis.tables import MARGIN_NOTE

HERE = Path(__file__).resolve().parent
CASE = HERE / "liupanshui.yaml"
README = HERE / "README.md"
BEGIN, END = "<!-- liupanshui:begin -->", "<!-- liupanshui:end -->"
SCENARIOS = ["status quo", "Partner Park", "Green Park", "both"]


def solve_all() -> dict:
    """The four scenarios, solved with the case's own objective and settings."""
    return {name: symbiosis.optimize(load_case(CASE, scenario=name)) for name in SCENARIOS}


def _mt(v: float) -> str:
    return f"{v / 1e6:.2f}"


def _bn(v: float) -> str:
    return f"{v / 1e9:.2f}"


def _chg(r, sq, kpi: str) -> str:
    """Change of one cause of the margin (symbiosis.attribution) against the status quo, bn CNY/yr."""
    return f"{(r.kpi(kpi) - sq.kpi(kpi)) / 1e9:+.2f}"


def section(results: dict) -> str:
    """The markdown of the section (without the markers)."""
    sq = results["status quo"]
    lines = [
        "## Liupanshui (Guizhou): `liupanshui.yaml`",
        "",
        "A third coal city asked to learn from Changzhi's Partner Park and Pingdingshan's Green",
        "Park (issue 6). Eight parks in three zones (Liuzhi; Shuicheng-Zhongshan with Fa'er;",
        "Panzhou with Pannan, Panbei and Hongguo), with today's coal mines, coal and waste-coal",
        "power, coke ovens, Shougang Shuigang steel, cement and Fa'er's solid-waste block and",
        "brick plants. Candidates: the Changzhi chains (carbide with lime kilns on its furnace gas, PVC, chlor-alkali, carbide-slag",
        "and slag cement, slag blocks, ceramsite, aerated blocks, industrial silicon) and the",
        "Pingdingshan chains (waste-coal CFB power, gangue bricks, tar distillation, needle coke",
        "and graphite anode, coke-oven-gas hydrogen, coal to methanol, ammonia and urea, soda",
        "ash). \"both\" may build the union of the two; every scenario has the objective",
        "reuse-then-cost. Power-station sizes and sites are sourced (Global Energy Monitor,",
        "SourceWatch); mine, coke-oven, steelworks and cement capacities and all capex are",
        "estimates, marked in the case file. Gangue, slime, fly ash and bottom ash travel at most",
        "50 km by road (a haul of 0.45 CNY/t/km costs more than disposal beyond that); other",
        "materials up to 100 km.",
        "",
        "Today's park as it runs: the Hongguo and Liuzhi coke ovens burn their surplus gas for",
        "power (the coking entry criteria require 98 % of the gas used, and the case states the",
        "GB 21342 coke energy standard as policy), Shuigang's granulated slag is sold to the",
        "region's slag-powder and cement plants, and the Liuzhi station burns the coalfield's",
        "high-sulphur coal (`coal_power_high_sulphur`, three times the FGD gypsum). Wangjiazhai",
        "and Liuzhi phase II, gangue-power projects their own sources call cancelled and shelved,",
        "are forbidden in every scenario. Wall blocks and ceramsite sell into regional markets",
        "capped at 730 and 150 kt/yr (estimates, `policy.markets`).",
        "",
        "| KPI | " + " | ".join(results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    rows = [
        ("by-products generated (Mt/yr)", lambda r: _mt(r.kpi("byproducts_generated"))),
        ("by-products reused (Mt/yr)", lambda r: _mt(r.kpi("byproducts_reused"))),
        ("by-products disposed (Mt/yr)", lambda r: _mt(r.kpi("byproducts_disposed"))),
        ("reuse rate", lambda r: f"{100 * r.kpi('reuse_rate'):.1f} %"),
        ("new plants", lambda r: f"{int(r.kpi('new_plants'))}"),
        ("capex (bn CNY)", lambda r: _bn(r.kpi("capex"))),
        ("utilisation rate (reused + sold)", lambda r: f"{100 * r.kpi('utilisation_rate'):.1f} %"),
        ("operating margin * (bn CNY/yr)", lambda r: _bn(r.kpi("profit"))),
        ("margin change vs status quo (bn CNY/yr)", lambda r: f"{(r.kpi('profit') - sq.kpi('profit')) / 1e9:+.2f}"),
        ("  of which by-product reuse and avoided disposal", lambda r: _chg(r, sq, "margin_byproducts")),
        ("  of which energy", lambda r: _chg(r, sq, "margin_energy")),
        ("  of which new plants", lambda r: _chg(r, sq, "margin_new_plants")),
        ("  of which existing plants", lambda r: _chg(r, sq, "margin_existing_plants")),
        ("CO2 (Mt/yr)", lambda r: _mt(r.kpi("co2"))),
        ("CO2 vs status quo (Mt/yr)", lambda r: f"{(r.kpi('co2') - sq.kpi('co2')) / 1e6:+.2f}"),
        ("CO2 avoided by substitution (Mt/yr)", lambda r: _mt(r.kpi("co2_avoided_by_substitution"))),
    ]
    for label, fn in rows:
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in results.values()) + " |")
    lines += ["", MARGIN_NOTE, ""]
    for name, r in results.items():
        if name == "status quo":
            continue
        built = r.built_plants
        plants = ", ".join(f"{p} ({a / c:.0%})" if c else p
                           for p, a, c in zip(built["plant"], built["activity"], built["capacity"]))
        ex = r.chosen_exchanges
        ex = ex[(~ex["existing"]) & (ex["kind"] == "byproduct") & (ex["flow"] > 0)]
        by_mat = ex.groupby(["material", "unit"])["flow"].sum().sort_values(ascending=False)
        top = ", ".join(f"{m.replace('_', ' ')} {v / 1e3:,.0f} kt/yr" if u == "t"
                        else f"{m.replace('_', ' ')} {v / 1e6:,.0f} M{u}/yr" for (m, u), v in by_mat.items())
        gain = r.kpi("byproducts_reused") - sq.kpi("byproducts_reused")
        lines += [
            f"**{name}**: reuse {100 * r.kpi('reuse_rate'):.1f} % ({_mt(r.kpi('byproducts_reused'))} Mt/yr, "
            f"+{_mt(gain)} Mt/yr on the status quo) for {_bn(r.kpi('capex'))} bn CNY of capex; "
            f"CO2 {(r.kpi('co2') - sq.kpi('co2')) / 1e6:+.2f} Mt/yr against today.",
            f"New plants (share of capacity used): {plants or 'none'}.",
            f"New by-product exchanges ({len(ex)}), by material: {top or 'none'}.",
            "",
        ]
    reading = []
    for name, r in results.items():
        if name == "status quo":
            continue
        d_co2 = (r.kpi("co2") - sq.kpi("co2")) / 1e6
        reading.append(f"{name} {'adds' if d_co2 > 0 else 'saves'} {abs(d_co2):.2f} Mt/yr of CO2")
    lines += [
        "Reading: " + "; ".join(reading) + ". CO2 is the park's own: every new plant's",
        "emissions count (carbide, silicon, CFB power, coal chemicals) and its products earn no",
        "credit for production they might displace elsewhere; inside the plants that take them,",
        "slags, ash and carbide slag avoid the CO2 of the clinker and limestone they replace",
        "(the \"avoided by substitution\" row). All the coke-oven gas's carbon is charged at the",
        "coke ovens (0.33 t CO2 per t coke), so the gas's users (hydrogen, tar furnace) carry none.",
        "Reuse rises from the status quo to each park and from each park to \"both\" by",
        "construction (tests/test_liupanshui.py).",
        "",
        "Regenerate with `python cases/make_liupanshui_readme.py` (solves in a few seconds).",
    ]
    pp = results.get("Partner Park")
    if pp is not None and "panbei_pvc" in set(pp.built_plants["plant"]):
        at = lines.index("Regenerate with `python cases/make_liupanshui_readme.py` (solves in a few seconds).")
        lines[at - 1:at - 1] = [
            "",
            "The Partner Park builds the carbide-PVC chain on cost, not on reuse: under net reuse the",
            "carbide slag of a new PVC plant does not count, and with its own lime kilns firing the",
            "furnace gas (lime at cost instead of bought at 450 CNY/t) the chain pays at the library's",
            "prices (PVC ~6,700 CNY/t, c. 2022). Carbide-route PVC margins were negative in 2024",
            "(process-data.md section 10), so that choice is price-sensitive.",
        ]
    return "\n".join(lines)


def splice(text: str, body: str) -> str:
    """``text`` with the part between the markers replaced by ``body`` (markers appended
    at the end when absent)."""
    block = f"{BEGIN}\n{body}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        return head + block + tail
    sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return text + sep + block + "\n"


def main(argv: list[str]) -> int:
    old = README.read_text(encoding="utf-8") if README.exists() else ""
    new = splice(old, section(solve_all()))
    if "--check" in argv:
        if new != old:
            print(f"{README} is stale: run python {Path(__file__).name}")
            return 1
        return 0
    if new != old:
        README.write_text(new, encoding="utf-8")
        print(f"wrote the Liupanshui section of {README}")
    else:
        print(f"{README} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
