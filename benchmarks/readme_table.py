"""The README's region speed table, made from a stored peer_bench run.

    python benchmarks/peer_bench.py --sizes 300 1000 --json benchmarks/results/peer_bench.json
    python benchmarks/readme_table.py            # prints the table
    python benchmarks/readme_table.py --write    # puts it into README.md between the markers

The figures are the medians the run stored (symbiosis against the direct highspy model of
the same MILP, one process each, interleaved); tests/test_scale.py checks that the README
holds exactly what this script makes of the stored file, never a timing.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "peer_bench.json"
README = ROOT / "README.md"
START, END = "<!-- speed-table:start (benchmarks/readme_table.py) -->", "<!-- speed-table:end -->"
PHASES = [("load", "load (read, validate)"), ("candidates", "candidates"), ("build", "build"),
          ("handoff", "hand-off to HiGHS"), ("highs", "**inside HiGHS**"),
          ("after", "after HiGHS (polish, tables / extract)"), ("outside", "**outside HiGHS**"),
          ("wall", "**wall**")]


def _s(x: float) -> str:
    return f"{x:.1f} s" if x >= 10 else f"{x:.2f} s"


def table(data: dict) -> str:
    """The markdown block (without the markers) for the stored run ``data``."""
    st, m = data["settings"], data["machine"]
    sizes = data["sizes"]
    head = "| phase | " + " | ".join(f"{s['plants']:,} plants ({s['exchanges']:,} exchanges): symbiosis / direct"
                                     for s in sizes) + " |"
    lines = [head, "|---|" + "---:|" * len(sizes)]
    for key, label in PHASES:
        lines.append(f"| {label} | " + " | ".join(f"{_s(s['symbiosis'][key])} / {_s(s['direct'][key])}"
                                                   for s in sizes) + " |")
    lines.append("| peak memory | " + " | ".join(f"{s['symbiosis']['peak_mb']:,.0f} / {s['direct']['peak_mb']:,.0f} MB"
                                                  for s in sizes) + " |")
    lines.append("| HiGHS rows | " + " | ".join(f"{s['rows_symbiosis']:,} / {s['rows_direct']:,}" for s in sizes) + " |")
    lines.append("| objective, M CNY/yr (bound) | " + " | ".join(
        f"{s['objective_symbiosis'] / 1e6:,.0f} ({s['bound_symbiosis'] / 1e6:,.0f}) / "
        f"{s['objective_direct'] / 1e6:,.0f} ({s['bound_direct'] / 1e6:,.0f})" for s in sizes) + " |")
    lines.append("| objectives agree within the gap | " + " | ".join(
        f"{'yes' if s['agree'] else 'NO'} ({s['rel_diff']:.2%} apart)" for s in sizes) + " |")
    note = (f"Generated regions (`symbiosis generate --seed {st['seed']}`, every exchange "
            f"{'listed' if st['listed'] else 'generated'}), objective {st['objective']}, HiGHS {st['threads']} "
            f"thread, gap {st['mip_gap']:.0%}, limit {st['time_limit']:g} s, {repeats(data)}, {data['date']}, "
            f"{m['cpus']} cores, {quiet(m['load_average'])}. "
            "Both formulations read the case with `symbiosis.load_case`; the direct network evaluated in "
            "symbiosis's model gives the same objective.")
    return "\n".join(lines) + "\n\n" + note + "\n"


def repeats(data: dict) -> str:
    """How many interleaved runs each size's medians are of (a size may carry its own)."""
    n = data["settings"]["repeat"]
    per = [(s["plants"], s.get("repeat", n)) for s in data["sizes"]]
    if all(r == n for _, r in per):
        return f"medians of {n} interleaved runs"
    return "; ".join(f"{p:,} plants: {'one run' if r == 1 else f'medians of {r} interleaved runs'}" for p, r in per)


def quiet(load: float) -> str:
    if load < 1.5:
        return f"a quiet machine (load average {load:.1f} at the end of the run)"
    return (f"shared with other work (load average {load:.0f} at the end of the run, so every figure is slower "
            "than on a quiet machine; the ratios are what to read)")


def block(data: dict) -> str:
    return f"{START}\n{table(data)}{END}"


def readme_block(text: str) -> str | None:
    """The block between the markers in the README's ``text`` (markers included)."""
    i, j = text.find(START), text.find(END)
    return text[i:j + len(END)] if i >= 0 and j > i else None


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--write", action="store_true", help="replace the block in README.md")
    args = ap.parse_args(argv)
    data = json.loads(args.results.read_text())
    new = block(data)
    if not args.write:
        print(new)
        return
    text = README.read_text(encoding="utf-8")
    old = readme_block(text)
    if old is None:
        raise SystemExit(f"README.md has no {START!r} ... {END!r} block; add the markers where the table goes")
    README.write_text(text.replace(old, new), encoding="utf-8")
    print(f"README.md: speed table from {args.results}")


if __name__ == "__main__":
    main()
